/*-------------------------------------------------------------------------
 *
 * fingerprint.c
 *	  The schema's fingerprint (SPEC §9): a digest of its description that
 *	  can be kept up to date object by object.  It is the sum, modulo
 *	  2^256, of the SHA-256 of each row (kind, identity and definition,
 *	  separated by spaces), written as 64 hex digits.  A sum does not depend
 *	  on the order of the rows, and a row's part can be taken out and put
 *	  back in, so that recording what a migration changed costs what it
 *	  changed (drift.c), not the size of the schema.  Equal schemas have
 *	  equal fingerprints; different ones have different fingerprints unless
 *	  someone crafts thousands of objects to make them collide, which a
 *	  fingerprint meant to tell schemas apart, not to authenticate them,
 *	  does not guard against.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "fingerprint.h"
#include "migrate.h"

PG_FUNCTION_INFO_V1(migrate_fingerprint);

void
migrate_digest_zero(MigrateDigest *d)
{
	memset(d->bytes, 0, sizeof(d->bytes));
}

/* d += v (or d -= v), modulo 2^256, both big-endian */
static void
add_bytes(MigrateDigest *d, const uint8 *v, bool subtract)
{
	int			carry = 0;
	int			i;

	for (i = MIGRATE_DIGEST_LEN - 1; i >= 0; i--)
	{
		int			x = subtract ? d->bytes[i] - v[i] - carry :
		d->bytes[i] + v[i] + carry;

		carry = subtract ? (x < 0) : (x > 255);
		d->bytes[i] = (uint8) (x & 0xff);
	}
}

/* migrate_digest_row: add (or take out) the part of one row */
void
migrate_digest_row(MigrateDigest *d, const char *kind, const char *identity,
				   const char *definition, bool subtract)
{
	uint8		row[PG_SHA256_DIGEST_LENGTH];
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) kind, strlen(kind)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) " ", 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) identity, strlen(identity)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) " ", 1) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) definition, strlen(definition)) < 0)
		elog(ERROR, "could not compute SHA-256 digest");
	migrate_sha256_final(ctx, row, "digest");
	pg_cryptohash_free(ctx);
	add_bytes(d, row, subtract);
}

/* migrate_digest_schema: the digest of a whole description */
void
migrate_digest_schema(Schema *s, MigrateDigest *d)
{
	int			i;

	migrate_digest_zero(d);
	for (i = 0; i < s->n; i++)
		migrate_digest_row(d, s->objects[i].kind, s->objects[i].identity,
						   s->objects[i].definition, false);
}

/* migrate_digest_hex: 64 lowercase hex digits, palloc'd */
char *
migrate_digest_hex(const MigrateDigest *d)
{
	char	   *out = palloc(MIGRATE_DIGEST_LEN * 2 + 1);

	migrate_hex(d->bytes, MIGRATE_DIGEST_LEN, out);
	return out;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* migrate_digest_parse: the digest of 64 hex digits; false if it is not one */
bool
migrate_digest_parse(const char *hex, MigrateDigest *d)
{
	int			i;

	if (hex == NULL || strlen(hex) != MIGRATE_DIGEST_LEN * 2)
		return false;
	for (i = 0; i < MIGRATE_DIGEST_LEN; i++)
	{
		int			hi = hex_value(hex[2 * i]);
		int			lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		d->bytes[i] = (uint8) (hi << 4 | lo);
	}
	return true;
}

/*
 * migrate_fingerprint()
 *		The fingerprint of the schema as it is.
 */
Datum
migrate_fingerprint(PG_FUNCTION_ARGS)
{
	MigrateDigest d;

	migrate_digest_schema(migrate_describe(), &d);
	PG_RETURN_TEXT_P(cstring_to_text(migrate_digest_hex(&d)));
}
