/*-------------------------------------------------------------------------
 *
 * fingerprint.h
 *	  The schema's fingerprint, kept up to date object by object
 *	  (fingerprint.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_FINGERPRINT_H
#define MIGRATE_FINGERPRINT_H

#include "describe.h"

#define MIGRATE_DIGEST_LEN	32

typedef struct MigrateDigest
{
	uint8		bytes[MIGRATE_DIGEST_LEN];	/* big-endian */
} MigrateDigest;

extern void migrate_digest_zero(MigrateDigest *d);
extern void migrate_digest_row(MigrateDigest *d, const char *kind,
							   const char *identity, const char *definition,
							   bool subtract);
extern void migrate_digest_schema(Schema *s, MigrateDigest *d);
extern char *migrate_digest_hex(const MigrateDigest *d);
extern bool migrate_digest_parse(const char *hex, MigrateDigest *d);

#endif							/* MIGRATE_FINGERPRINT_H */
