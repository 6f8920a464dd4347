/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  The registration checksum of a migration, which migrate_changed()
 *	  compares with what is registered, so that a deploy sends the scripts
 *	  of new and changed migrations only.
 *
 * It is the lowercase hex SHA-256 of these lines (each but the last ending
 * with a newline):
 *
 *	  the lowercase hex SHA-256 of the up script
 *	  the down script as <its length in bytes>:<its text>, or - for none
 *	  the description the same way
 *	  two characters, t or f: data_loss_ok, then transactional
 *
 * The server computes the same from the registered row (src/changed.c);
 * migrate_registration_checksum() shows it.
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

/* hash a text field: <length>:<bytes> and a newline, or - and a newline */
static bool
hash_field(pg_cryptohash_ctx *ctx, const char *text)
{
	char		prefix[32];
	size_t		len = text ? strlen(text) : 0;

	if (text == NULL)
		return pg_cryptohash_update(ctx, (const uint8 *) "-\n", 2) == 0;
	snprintf(prefix, sizeof(prefix), "%zu:", len);
	return pg_cryptohash_update(ctx, (const uint8 *) prefix, strlen(prefix)) == 0 &&
		pg_cryptohash_update(ctx, (const uint8 *) text, len) == 0 &&
		pg_cryptohash_update(ctx, (const uint8 *) "\n", 1) == 0;
}

void
registration_checksum(Migration *m)
{
	static const char hex[] = "0123456789abcdef";
	static pg_cryptohash_ctx *ctx = NULL;
	char		up[CHECKSUM_LEN + 1];
	char		flags[2];
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	int			i;

	sha256_hex(m->up, strlen(m->up), up);
	flags[0] = m->data_loss_ok ? 't' : 'f';
	flags[1] = m->transactional ? 't' : 'f';
	if (ctx == NULL)
		ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) up, CHECKSUM_LEN) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) "\n", 1) < 0 ||
		!hash_field(ctx, m->down) ||
		!hash_field(ctx, m->description) ||
		pg_cryptohash_update(ctx, (const uint8 *) flags, 2) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		fprintf(stderr, "pg_migrate: could not compute a SHA-256 checksum\n");
		exit(EXIT_FAILED);
	}
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		m->checksum[2 * i] = hex[digest[i] >> 4];
		m->checksum[2 * i + 1] = hex[digest[i] & 0x0f];
	}
	m->checksum[CHECKSUM_LEN] = '\0';
}
