/*-------------------------------------------------------------------------
 *
 * version.c
 *	  Migration ids: what is a valid id, and the version order of ids.
 *
 * Version order (SPEC §4): an id is split into runs of digits and runs of
 * other characters.  Digit runs compare as numbers of any length (leading
 * zeros ignored), other runs byte-wise; a run that is a prefix of the other
 * sorts first.  Ties are broken byte-wise on the whole id.  Nothing here
 * depends on the database's collation or locale.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "migrate.h"

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		is_digit(c) || c == '_' || c == '.' || c == '-';
}

/* Length of the run starting at s: digits, or anything but digits. */
static inline int
run_length(const char *s)
{
	bool		digits = is_digit(*s);
	int			n = 0;

	while (s[n] != '\0' && is_digit(s[n]) == digits)
		n++;
	return n;
}

/* Compare two digit runs as numbers. */
static int
compare_numbers(const char *a, int alen, const char *b, int blen)
{
	int			cmp;

	while (alen > 1 && *a == '0')
	{
		a++;
		alen--;
	}
	while (blen > 1 && *b == '0')
	{
		b++;
		blen--;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	cmp = memcmp(a, b, alen);
	return cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
}

/* Compare two runs byte-wise; a prefix sorts first. */
static int
compare_bytes(const char *a, int alen, const char *b, int blen)
{
	int			cmp = memcmp(a, b, Min(alen, blen));

	if (cmp != 0)
		return cmp < 0 ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return 0;
}

/*
 * migrate_version_cmp: -1, 0 or 1 as a sorts before, with or after b.
 * Only equal strings compare equal.
 */
int
migrate_version_cmp(const char *a, const char *b)
{
	const char *pa = a;
	const char *pb = b;
	int			cmp;

	while (*pa != '\0' && *pb != '\0')
	{
		int			alen = run_length(pa);
		int			blen = run_length(pb);

		if (is_digit(*pa) && is_digit(*pb))
			cmp = compare_numbers(pa, alen, pb, blen);
		else
			cmp = compare_bytes(pa, alen, pb, blen);
		if (cmp != 0)
			return cmp;
		pa += alen;
		pb += blen;
	}
	if (*pa != *pb)
		return *pa == '\0' ? -1 : 1;

	/* equal as versions ("01" and "1"): break the tie byte-wise */
	cmp = strcmp(a, b);
	return cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
}

/*
 * migrate_version_key: write into key (MIGRATE_VERSION_KEY_MAX bytes) a
 * byte string whose order under migrate_version_key_cmp() is the version
 * order of the ids, and return its length; -1 for a string that is not a
 * valid id, which only migrate_version_cmp() orders.  Sorting thousands of
 * ids by key costs one memcmp() per comparison instead of splitting both
 * ids into runs each time.
 *
 * A digit run becomes the byte '0', which sorts after '-' and '.' and
 * before letters and '_' as every digit does, then the number of its
 * digits without leading zeros (at least one), then those digits: numbers
 * compare by length, then digit by digit.  Any other run is copied, then
 * ended by \001, which sorts before every character of an id, so that a
 * run that is a prefix of another sorts first.  \000 ends the runs (an id
 * with fewer runs sorts first), and the id itself follows, with its \000,
 * to break ties byte-wise.
 */
int
migrate_version_key(const char *id, unsigned char *key)
{
	const char *p = id;
	int			n = 0;

	if (!migrate_id_valid(id))
		return -1;
	while (*p != '\0')
	{
		int			len = run_length(p);

		if (is_digit(*p))
		{
			const char *digits = p;
			int			ndigits = len;

			while (ndigits > 1 && *digits == '0')
			{
				digits++;
				ndigits--;
			}
			key[n++] = '0';
			key[n++] = (unsigned char) ndigits;
			memcpy(key + n, digits, ndigits);
			n += ndigits;
		}
		else
		{
			memcpy(key + n, p, len);
			n += len;
			key[n++] = '\001';
		}
		p += len;
	}
	key[n++] = '\0';
	memcpy(key + n, id, p - id + 1);
	n += p - id + 1;
	Assert(n <= MIGRATE_VERSION_KEY_MAX);
	return n;
}

/* migrate_version_key_cmp: -1, 0 or 1, as migrate_version_cmp() */
int
migrate_version_key_cmp(const unsigned char *a, int alen,
						const unsigned char *b, int blen)
{
	return compare_bytes((const char *) a, alen, (const char *) b, blen);
}

/*
 * migrate_id_valid: 1 to MIGRATE_ID_MAXLEN characters from [A-Za-z0-9_.-],
 * starting with a letter or digit.
 */
bool
migrate_id_valid(const char *id)
{
	int			n;

	if (id[0] == '\0' || !is_id_char(id[0]) || id[0] == '_' ||
		id[0] == '.' || id[0] == '-')
		return false;
	for (n = 0; id[n] != '\0'; n++)
	{
		if (n >= MIGRATE_ID_MAXLEN || !is_id_char(id[n]))
			return false;
	}
	return true;
}

/*
 * migrate_check_id: raise an error unless id is a valid migration id that
 * can be registered.  The words head and base are targets, so they cannot be
 * ids.
 */
void
migrate_check_id(const char *id)
{
	if (!migrate_id_valid(id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid migration id \"%s\"", id),
				 errdetail("A migration id is 1 to %d characters from A-Z, a-z, 0-9, \"_\", \".\" and \"-\", starting with a letter or digit.",
						   MIGRATE_ID_MAXLEN),
				 errhint("Name migrations so that they sort in the order they must run, for example 0001_create_users or 20261121093000_add_email.")));
	if (strcmp(id, "head") == 0 || strcmp(id, "base") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid migration id \"%s\"", id),
				 errdetail("The words head and base name targets of migrate_apply() and migrate_rollback(), so they cannot be migration ids."),
				 errhint("Choose another id.")));
}
