/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  The registration checksum of a migration, which migrate_changed()
 *	  compares with what is registered, so that a deploy sends the scripts
 *	  of new and changed migrations only.
 *
 * It is the lowercase hex SHA-256 of
 *
 *	  sha256(up) " " sha256(down) " " sha256(description) " " flags
 *
 * where each sha256() is lowercase hex, "-" stands for a NULL down script
 * or description, and flags are two characters, "t" or "f", for
 * data_loss_ok and transactional.  The server computes the same from the
 * registered row (src/changed.c); migrate_registration_checksum() shows it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/cryptohash.h"
#include "common/sha1.h"
#include "common/sha2.h"

#include "pg_migrate.h"

static bool
hash_hex(pg_cryptohash_type type, int digest_len, const char *data,
		 size_t len, char *dest)
{
	static const char hex[] = "0123456789abcdef";
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(type);
	int			i;

	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		pg_cryptohash_free(ctx);
		return false;
	}
	pg_cryptohash_free(ctx);
	for (i = 0; i < digest_len; i++)
	{
		dest[2 * i] = hex[digest[i] >> 4];
		dest[2 * i + 1] = hex[digest[i] & 0x0f];
	}
	dest[2 * digest_len] = '\0';
	return true;
}

/* lowercase hex SHA-256 of len bytes into dest (65 bytes) */
void
sha256_hex(const char *data, size_t len, char *dest)
{
	if (!hash_hex(PG_SHA256, PG_SHA256_DIGEST_LENGTH, data, len, dest))
	{
		fprintf(stderr, "pg_migrate: could not compute a SHA-256 checksum\n");
		exit(EXIT_FAILED);
	}
}

/* lowercase hex SHA-1 into dest (41 bytes), for graphile-migrate's hashes */
bool
sha1_hex(const char *data, size_t len, char *dest)
{
	return hash_hex(PG_SHA1, SHA1_DIGEST_LENGTH, data, len, dest);
}

void
registration_checksum(Migration *m)
{
	char		up[CHECKSUM_LEN + 1];
	char		down[CHECKSUM_LEN + 1] = "-";
	char		description[CHECKSUM_LEN + 1] = "-";
	char text[	4 * (CHECKSUM_LEN + 1) + 3];

	sha256_hex(m->up, strlen(m->up), up);
	if (m->down != NULL)
		sha256_hex(m->down, strlen(m->down), down);
	if (m->description != NULL)
		sha256_hex(m->description, strlen(m->description), description);
	snprintf(text, sizeof(text), "%s %s %s %c%c", up, down, description,
			 m->data_loss_ok ? 't' : 'f', m->transactional ? 't' : 'f');
	sha256_hex(text, strlen(text), m->checksum);
}
