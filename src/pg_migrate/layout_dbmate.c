/*-------------------------------------------------------------------------
 *
 * layout_dbmate.c
 *	  dbmate's layout: one file per migration, <version><anything>.sql,
 *	  holding both scripts:
 *
 *		-- migrate:up [transaction:false]
 *		CREATE TABLE ...;
 *		-- migrate:down [transaction:false]
 *		DROP TABLE ...;
 *
 * Read as dbmate 2.x reads it (pkg/dbmate/migration.go): a directive is a
 * line that starts with "--", optional white space and "migrate:up" (or
 * "migrate:down"), followed by white space or the end; only blank and
 * comment lines may come before the first one; each "-- migrate:up" starts
 * a section that must hold one "-- migrate:down"; a section's up script
 * runs from its up directive to its down directive, its down script from
 * there to the end of the section.  A file of several sections is one
 * migration whose scripts are its sections' scripts in order (dbmate runs
 * the down sections in that order too).  "transaction:false" on any
 * directive makes the migration non-transactional.
 *
 * The id is the file name without .sql: 20240101120000_create_users.sql is
 * migration 20240101120000_create_users.  dbmate sorts files by name and
 * migrate by version: the two agree while versions have the same number of
 * digits, as dbmate's timestamps do.  Files whose name does not start with a
 * digit are not migrations to dbmate; a .sql file of that kind is a
 * problem here, so that a misnamed migration is not skipped unseen.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "pg_migrate.h"

/*
 * The next directive ("migrate:up" or "migrate:down") at or after p in
 * text, or NULL: at the start of a line, "--", white space, the word, then
 * white space or the end of the text.
 */
static const char *
find_directive(const char *s, const char *p, const char *word)
{
	size_t		wlen = strlen(word);

	/* from the start of the line after p, unless p starts one */
	if (p != s && p[-1] != '\n')
	{
		p = strchr(p, '\n');
		if (p == NULL)
			return NULL;
		p++;
	}
	while (*p)
	{
		const char *eol = strchr(p, '\n');

		if (p[0] == '-' && p[1] == '-')
		{
			const char *q = p + 2;

			while (*q && isspace((unsigned char) *q) && *q != '\n')
				q++;
			if (strncmp(q, word, wlen) == 0 &&
				(q[wlen] == '\0' || isspace((unsigned char) q[wlen])))
				return p;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return NULL;
}

/* does a directive line (up to its end of line) say transaction:false? */
static bool
directive_nontransactional(const char *directive)
{
	const char *eol = strchr(directive, '\n');
	const char *end = eol ? eol : directive + strlen(directive);
	const char *p = strchr(directive, ':') + 1;

	/* skip the word after "migrate:" */
	while (p < end && !isspace((unsigned char) *p))
		p++;
	while (p < end)
	{
		const char *word;
		size_t		len;

		while (p < end && isspace((unsigned char) *p))
			p++;
		word = p;
		while (p < end && !isspace((unsigned char) *p))
			p++;
		len = p - word;
		if (len == 17 && strncmp(word, "transaction:false", 17) == 0)
			return true;
	}
	return false;
}

/* only blank lines and comments before the first directive? */
static bool
only_comments(const char *s, const char *until)
{
	const char *p = s;

	while (p < until)
	{
		const char *eol = memchr(p, '\n', until - p);
		const char *end = eol ? eol : until;
		const char *q = p;

		while (q < end && isspace((unsigned char) *q))
			q++;
		if (q < end && !(end - q >= 2 && q[0] == '-' && q[1] == '-'))
			return false;
		p = end + 1;
	}
	return true;
}

static void
read_file(MigrationSet *set, const char *name)
{
	char	   *path = path_join(set->dir, name);
	FileText	contents;
	const char *up;
	PQExpBuffer ups;
	PQExpBuffer downs;
	bool		transactional = true;
	bool		ok = true;
	Migration  *m;
	char	   *id;

	if (!read_text_file(set, path, &contents))
	{
		pg_free(path);
		return;
	}
	up = find_directive(contents.data, contents.data, "migrate:up");
	if (up == NULL)
	{
		problem(set, path, "has no \"-- migrate:up\" line: dbmate requires each migration to define an up block with '-- migrate:up'");
		pg_free(path);
		return;
	}
	if (!only_comments(contents.data, up))
	{
		problem(set, path, "has statements before \"-- migrate:up\" (line %d): dbmate does not support statements preceding the '-- migrate:up' block",
				line_at(contents.data, up - contents.data));
		pg_free(path);
		return;
	}

	ups = createPQExpBuffer();
	downs = createPQExpBuffer();
	while (up != NULL)
	{
		const char *next = find_directive(contents.data, up + 1, "migrate:up");
		const char *end = next ? next : contents.data + contents.len;
		const char *down = find_directive(contents.data, up, "migrate:down");
		const char *down2;

		if (down == NULL || down > end)
		{
			problem(set, path, "the section at line %d has no \"-- migrate:down\" line: dbmate requires each migration to define a down block with '-- migrate:down'",
					line_at(contents.data, up - contents.data));
			ok = false;
			break;
		}
		down2 = find_directive(contents.data, down + 1, "migrate:down");
		if (down2 != NULL && down2 < end)
		{
			problem(set, path, "has a second \"-- migrate:down\" line (line %d) in one section: dbmate requires every '-- migrate:down' to be preceded by a '-- migrate:up'",
					line_at(contents.data, down2 - contents.data));
			ok = false;
			break;
		}
		if (directive_nontransactional(up) ||
			directive_nontransactional(down))
			transactional = false;
		appendBinaryPQExpBuffer(ups, up, down - up);
		appendBinaryPQExpBuffer(downs, down, end - down);
		up = next;
	}

	/* a "-- migrate:down" before the first "-- migrate:up" */
	if (ok)
	{
		const char *down = find_directive(contents.data, contents.data, "migrate:down");

		if (down != NULL && down < find_directive(contents.data, contents.data, "migrate:up"))
		{
			problem(set, path, "has \"-- migrate:down\" before \"-- migrate:up\": dbmate requires '-- migrate:up' to appear before '-- migrate:down'");
			ok = false;
		}
	}

	id = pnstrdup(name, strlen(name) - 4);
	if (ok && (m = add_migration(set, id, path)) != NULL)
	{
		m->up = pg_strdup(ups->data);
		m->down = pg_strdup(downs->data);
		m->transactional = transactional;
		read_headers(m);
	}
	pg_free(id);
	destroyPQExpBuffer(ups);
	destroyPQExpBuffer(downs);
	pg_free(contents.data);
	pg_free(path);
}

void
dbmate_read(MigrationSet *set, DirEntry *entries, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *name = entries[i].name;

		if (entries[i].dir || !has_suffix(name, ".sql"))
			continue;
		if (!isdigit((unsigned char) name[0]))
		{
			char	   *path = path_join(set->dir, name);

			problem(set, path, "is not a dbmate migration, whose file names start with a version (digits); dbmate would skip it");
			pg_free(path);
			continue;
		}
		read_file(set, name);
	}
}
