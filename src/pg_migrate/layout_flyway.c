/*-------------------------------------------------------------------------
 *
 * layout_flyway.c
 *	  Flyway's layout: V<version>__<description>.sql (a versioned
 *	  migration), U<version>__<description>.sql (its undo script),
 *	  R__<description>.sql (a repeatable one), and beside a script an
 *	  optional <script>.conf whose executeInTransaction=false makes it
 *	  non-transactional.
 *
 * The id is the version as Flyway reads it, underscores turned into dots:
 * V1_2__add_users.sql is migration 1.2, described "add users".  migrate's
 * version order then orders them as Flyway does (1.2 before 1.10, 1 before
 * 1.1); two files whose versions Flyway takes for one (1.0 and 1, 1.01 and
 * 1.1) are a problem, as they are to Flyway.  The undo script U1_2__... is
 * the down script of 1.2; none: irreversible.
 *
 * Repeatable migrations are refused: migrate applies each migration once
 * and keeps it unchanged, while Flyway runs an R__ script again whenever it
 * changes.  Make each a versioned migration; when it changes, add a new one
 * (CREATE OR REPLACE ...).  So are Flyway's placeholders (${...}), which
 * pg_migrate does not replace, and any other .sql file (callbacks such as
 * afterMigrate.sql, B<version>__ baseline migrations).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "pg_migrate.h"

typedef struct FlywayName
{
	char		kind;			/* 'V', 'U' or 'R' */
	char	   *version;		/* with dots; NULL for R */
	char	   *description;	/* underscores as spaces */
	char	   *canonical;		/* the version as Flyway compares it */
	char	   *file;			/* of a versioned migration read */
} FlywayName;

/*
 * Parse a script name; false if it is not one of Flyway's.  The version is
 * digits separated by dots or single underscores, ending at "__".
 */
static bool
parse_name(const char *name, FlywayName *fn)
{
	const char *p = name + 1;
	const char *vstart;
	const char *dstart;
	const char *dend;
	char	   *q;

	memset(fn, 0, sizeof(*fn));
	if (!has_suffix(name, ".sql"))
		return false;
	fn->kind = name[0];
	dend = name + strlen(name) - 4;
	if (fn->kind == 'R')
	{
		if (strncmp(name, "R__", 3) != 0)
			return false;
		fn->description = pnstrdup(name + 3, dend - (name + 3));
	}
	else
	{
		if (fn->kind != 'V' && fn->kind != 'U')
			return false;
		vstart = p;
		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p) || *p == '.' ||
			   (*p == '_' && p[1] != '_'))
			p++;
		if (strncmp(p, "__", 2) != 0 || p == vstart)
			return false;
		fn->version = pnstrdup(vstart, p - vstart);
		for (q = fn->version; *q; q++)
			if (*q == '_')
				*q = '.';
		dstart = p + 2;
		fn->description = dend > dstart ? pnstrdup(dstart, dend - dstart) : pg_strdup("");
	}
	for (q = fn->description; *q; q++)
		if (*q == '_')
			*q = ' ';
	return true;
}

/* 1.01.0 -> "1.1": each part a number, trailing zero parts dropped */
static char *
canonical_version(const char *version)
{
	PQExpBuffer buf = createPQExpBuffer();
	const char *p = version;
	int			keep = 0;
	char	   *result;

	while (*p)
	{
		const char *start;

		while (*p == '0' && isdigit((unsigned char) p[1]))
			p++;
		start = p;
		while (isdigit((unsigned char) *p))
			p++;
		if (buf->len > 0)
			appendPQExpBufferChar(buf, '.');
		appendBinaryPQExpBuffer(buf, start, p - start);
		if (!(p - start == 1 && *start == '0') && p > start)
			keep = buf->len;
		while (*p == '.')
			p++;
	}
	buf->data[keep] = '\0';
	result = pg_strdup(buf->data[0] ? buf->data : "0");
	destroyPQExpBuffer(buf);
	return result;
}

/* executeInTransaction=false in the script's .conf file? */
static bool
conf_nontransactional(MigrationSet *set, const char *script_path)
{
	char	   *path = psprintf("%s.conf", script_path);
	FileText	contents;
	bool		result = false;
	char	   *line;
	char	   *save;

	if (!is_regular_file(path) || !read_text_file(set, path, &contents))
	{
		pg_free(path);
		return false;
	}
	for (line = strtok_r(contents.data, "\r\n", &save); line != NULL;
		 line = strtok_r(NULL, "\r\n", &save))
	{
		char	   *eq;
		char	   *key = line;
		char	   *value;
		char	   *end;

		while (isspace((unsigned char) *key))
			key++;
		if (*key == '#' || *key == '\0' || (eq = strchr(key, '=')) == NULL)
			continue;
		value = eq + 1;
		end = eq;
		while (end > key && isspace((unsigned char) end[-1]))
			end--;
		*end = '\0';
		while (isspace((unsigned char) *value))
			value++;
		end = value + strlen(value);
		while (end > value && isspace((unsigned char) end[-1]))
			end--;
		*end = '\0';
		if (strcmp(key, "executeInTransaction") == 0)
		{
			if (pg_strcasecmp(value, "false") == 0)
				result = true;
			else if (pg_strcasecmp(value, "true") != 0)
				problem(set, path, "executeInTransaction must be true or false, not \"%s\"", value);
		}
	}
	pg_free(contents.data);
	pg_free(path);
	return result;
}

static bool
has_placeholder(MigrationSet *set, const char *path, const char *sql)
{
	const char *p = strstr(sql, "${");
	const char *end;

	if (p == NULL)
		return false;
	end = strchr(p, '}');
	if (end == NULL || memchr(p, '\n', end - p) != NULL)
		end = p + 1;
	problem(set, path, "uses the Flyway placeholder %.*s (line %d), which pg_migrate does not replace; write the value in the script",
			(int) (end - p + 1), p, line_at(sql, p - sql));
	return true;
}

static int
compare_canonical(const void *a, const void *b)
{
	return strcmp((*(FlywayName *const *) a)->canonical,
				  (*(FlywayName *const *) b)->canonical);
}

void
flyway_read(MigrationSet *set, DirEntry *entries, int n)
{
	FlywayName *names = pg_malloc0(sizeof(FlywayName) * (n + 1));
	FlywayName **versioned = pg_malloc(sizeof(FlywayName *) * (n + 1));
	int			nversioned = 0;
	int			i;

	/* versioned migrations first, then their undo scripts */
	for (i = 0; i < n; i++)
	{
		const char *name = entries[i].name;
		char	   *path;
		FileText	contents;
		Migration  *m;

		if (entries[i].dir || has_suffix(name, ".sql.conf") ||
			!has_suffix(name, ".sql"))
			continue;
		path = path_join(set->dir, name);
		if (!parse_name(name, &names[i]))
		{
			problem(set, path, "is not a Flyway migration (V<version>__<description>.sql, U<version>__<description>.sql or R__<description>.sql)");
			pg_free(path);
			continue;
		}
		if (names[i].kind == 'R')
		{
			problem(set, path, "is a Flyway repeatable migration, which migrate does not have: each migration is applied once and never changes");
			pg_free(path);
			continue;
		}
		if (names[i].kind == 'V' && read_text_file(set, path, &contents) &&
			!has_placeholder(set, path, contents.data) &&
			(m = add_migration(set, names[i].version, path)) != NULL)
		{
			m->up = contents.data;
			if (names[i].description[0] != '\0')
				m->description = pg_strdup(names[i].description);
			if (conf_nontransactional(set, path))
				m->transactional = false;
			read_headers(m);
			names[i].canonical = canonical_version(names[i].version);
			names[i].file = m->file;
			versioned[nversioned++] = &names[i];
		}
		pg_free(path);
	}

	/* two versions Flyway takes for one */
	qsort(versioned, nversioned, sizeof(FlywayName *), compare_canonical);
	for (i = 1; i < nversioned; i++)
		if (strcmp(versioned[i - 1]->canonical, versioned[i]->canonical) == 0 &&
			strcmp(versioned[i - 1]->version, versioned[i]->version) != 0)
			problem(set, versioned[i]->file,
					"has version %s, which Flyway takes for the version %s of %s",
					versioned[i]->version, versioned[i - 1]->version,
					versioned[i - 1]->file);

	sort_migrations(set);
	for (i = 0; i < n; i++)
	{
		char	   *path;
		Migration  *m;
		FileText	contents;

		if (names[i].kind != 'U')
			continue;
		path = path_join(set->dir, entries[i].name);
		m = find_migration(set, names[i].version);
		if (m == NULL)
			problem(set, path, "undoes version %s, which no V%s__*.sql file defines",
					names[i].version, names[i].version);
		else if (read_text_file(set, path, &contents) &&
				 !has_placeholder(set, path, contents.data))
		{
			m->down = contents.data;
			if (conf_nontransactional(set, path))
				m->transactional = false;
		}
		pg_free(path);
	}
	pg_free(versioned);
	pg_free(names);
}
