/*-------------------------------------------------------------------------
 *
 * layout_graphile.c
 *	  graphile-migrate's layout: migrations/committed/000001.sql (or
 *	  000001-message.sql), each opening with headers
 *
 *		--! Previous: sha1:...     (or - for the first)
 *		--! Hash: sha1:...
 *		--! Message: add users     (optional)
 *
 *	  then an empty line and the script.  The directory read is either
 *	  migrations/ (whose current.sql and fixtures/ are not committed
 *	  migrations, and are not read) or committed/ itself.
 *
 * Read as graphile-migrate 1.4 reads it (src/migration.ts): headers are
 * the leading lines "--! Key" or "--! Key: value" (Key starting with a
 * capital letter), followed by an empty line; the script is the rest,
 * trimmed.  The chain is checked as the tool checks it: each Previous is
 * the Hash of the migration before, and each Hash is the SHA-1 of the
 * previous hash, a newline and the script, unless the file says
 * "--! AllowInvalidHash".  A script whose first line is
 * "--! no-transaction" is non-transactional.
 *
 * The id is the file name without .sql: committed/000001.sql is migration
 * 000001, committed/000002-add-users.sql migration 000002-add-users
 * (graphile-migrate records 000002.sql, and migrate_import() matches it by
 * the leading digits).  The message is the description.  graphile-migrate has no down scripts: every migration is
 * irreversible.  Placeholders (:DATABASE_NAME, :DATABASE_OWNER and those
 * of .gmrc) are not replaced; a script that uses the two built-in ones is
 * a problem.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "pg_migrate.h"

typedef struct Header
{
	char	   *key;
	char	   *value;			/* NULL: none */
} Header;

typedef struct Committed
{
	char	   *number;			/* the leading digits, which order them */
	char	   *id;				/* the name without .sql */
	char	   *path;
	Header		headers[16];
	int			nheaders;
	char	   *body;
} Committed;

static const char *
header(Committed *c, const char *key, bool *present)
{
	int			i;

	for (i = 0; i < c->nheaders; i++)
		if (strcmp(c->headers[i].key, key) == 0)
		{
			if (present)
				*present = true;
			return c->headers[i].value;
		}
	if (present)
		*present = false;
	return NULL;
}

/* JavaScript's trim(), for ASCII white space */
static char *
trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char) *s))
		s++, len--;
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	return pnstrdup(s, len);
}

/* graphile-migrate's 000001.sql or 000001-some-message.sql */
static bool
committed_name(const char *name, char **number)
{
	const char *p = name;

	while (isdigit((unsigned char) *p))
		p++;
	if (p == name)
		return false;
	*number = pnstrdup(name, p - name);
	if (*p == '-')
		for (p++; isalnum((unsigned char) *p) || *p == '-' || *p == '_'; p++);
	if (strcmp(p, ".sql") != 0)
	{
		pg_free(*number);
		return false;
	}
	return true;
}

/* the headers and the script of a committed migration; false if broken */
static bool
parse_committed(MigrationSet *set, Committed *c, char *s)
{
	char	   *line = s;
	char	   *body;

	for (;;)
	{
		char	   *eol = strchr(line, '\n');
		size_t		len = eol ? (size_t) (eol - line) : strlen(line);
		const char *k;
		const char *kend;
		int			i;

		if (len < 5 || strncmp(line, "--! ", 4) != 0 ||
			!(line[4] >= 'A' && line[4] <= 'Z'))
			break;
		k = line + 4;
		for (kend = k; kend < line + len &&
			 (isalnum((unsigned char) *kend) || *kend == '_'); kend++);
		if (kend != line + len && *kend != ':')
			break;
		if (c->nheaders == lengthof(c->headers))
		{
			problem(set, c->path, "has too many headers");
			return false;
		}
		c->headers[c->nheaders].key = pnstrdup(k, kend - k);
		for (i = 0; i < c->nheaders; i++)
			if (strcmp(c->headers[i].key, c->headers[c->nheaders].key) == 0)
			{
				problem(set, c->path, "header '%s' is specified more than once",
						c->headers[i].key);
				return false;
			}
		c->headers[c->nheaders].value = *kend == ':' ?
			trimmed(kend + 1, line + len - (kend + 1)) : NULL;
		if (c->headers[c->nheaders].value != NULL &&
			c->headers[c->nheaders].value[0] == '\0')
			c->headers[c->nheaders].value = NULL;
		c->nheaders++;
		if (eol == NULL)
		{
			line += len;
			break;
		}
		line = eol + 1;
	}
	if (*line != '\n')
	{
		problem(set, c->path, "there should be two newlines after the headers section, as graphile-migrate requires");
		return false;
	}
	body = trimmed(line, strlen(line));
	c->body = psprintf("%s\n", body);
	pg_free(body);
	return true;
}

/* does the script use a placeholder that graphile-migrate replaces? */
static bool
uses_placeholder(const char *body)
{
	return strstr(body, ":DATABASE_NAME") != NULL ||
		strstr(body, ":DATABASE_OWNER") != NULL;
}

static bool
no_transaction(const char *body)
{
	const char *p = body;

	if (strncmp(p, "--!", 3) != 0)
		return false;
	for (p += 3; *p == ' ' || *p == '\t'; p++);
	return strncmp(p, "no-transaction", 14) == 0 &&
		!(isalnum((unsigned char) p[14]) || p[14] == '_');
}

static int
compare_committed(const void *a, const void *b)
{
	return strcmp(((const Committed *) a)->number,
				  ((const Committed *) b)->number);
}

void
graphile_read(MigrationSet *set, DirEntry *entries, int n)
{
	const char *dir = set->dir;
	char	   *committed_dir = NULL;
	DirEntry   *own = NULL;
	Committed  *cs;
	int			nc = 0;
	const char *previous_hash = NULL;
	int			i;

	set->no_down_scripts = true;
	for (i = 0; i < n; i++)
		if (entries[i].dir && strcmp(entries[i].name, "committed") == 0)
		{
			committed_dir = path_join(dir, "committed");
			own = list_directory(committed_dir, &n);
			if (own == NULL)
			{
				problem(set, committed_dir, "could not read: %m");
				pg_free(committed_dir);
				return;
			}
			entries = own;
			dir = committed_dir;
			break;
		}

	cs = pg_malloc0(sizeof(Committed) * (n + 1));
	for (i = 0; i < n; i++)
	{
		const char *name = entries[i].name;
		char	   *number;
		FileText	contents;
		Committed  *c;

		if (entries[i].dir || !has_suffix(name, ".sql"))
			continue;
		if (committed_dir == NULL && strcmp(name, "current.sql") == 0)
			continue;			/* not committed yet */
		if (!committed_name(name, &number))
		{
			char	   *path = path_join(dir, name);

			problem(set, path, "is not a committed graphile-migrate migration (000001.sql or 000001-message.sql)");
			pg_free(path);
			continue;
		}
		c = &cs[nc];
		c->number = number;
		c->id = pnstrdup(name, strlen(name) - 4);
		c->path = path_join(dir, name);
		if (!read_text_file(set, c->path, &contents))
			continue;
		if (parse_committed(set, c, contents.data))
			nc++;
		pg_free(contents.data);
	}
	qsort(cs, nc, sizeof(Committed), compare_committed);

	for (i = 0; i < nc; i++)
	{
		Committed  *c = &cs[i];
		const char *prev = header(c, "Previous", NULL);
		const char *hash = header(c, "Hash", NULL);
		bool		allow_invalid;
		char		digest[41];
		char	   *hashed;
		char	   *calc;
		Migration  *m;

		(void) header(c, "AllowInvalidHash", &allow_invalid);
		if (prev == NULL)
		{
			problem(set, c->path, "has no 'Previous' header");
			continue;
		}
		if (hash == NULL)
		{
			problem(set, c->path, "has no 'Hash' header");
			continue;
		}
		if (strcmp(prev, "-") == 0)
			prev = NULL;
		if (previous_hash == NULL && prev != NULL)
			problem(set, c->path, "expects a previous migration (%s), but none comes before it",
					prev);
		else if (previous_hash != NULL &&
				 (prev == NULL || strcmp(prev, previous_hash) != 0))
			problem(set, c->path, "expects the previous migration's hash to be %s, but %s has %s",
					prev ? prev : "-", cs[i - 1].path, previous_hash);
		previous_hash = hash;

		/* ((previous || "") + "\n" + body.trim()).trim() + "\n" */
		{
			char	   *body = trimmed(c->body, strlen(c->body));
			char	   *joined = psprintf("%s\n%s", prev ? prev : "", body);

			hashed = trimmed(joined, strlen(joined));
			calc = psprintf("%s\n", hashed);
			pg_free(body);
			pg_free(joined);
			pg_free(hashed);
		}
		if (!sha1_hex(calc, strlen(calc), digest))
			problem(set, c->path, "could not compute its SHA-1 hash");
		else if (strncmp(hash, "sha1:", 5) != 0 ||
				 strcmp(hash + 5, digest) != 0)
		{
			if (!allow_invalid)
				problem(set, c->path, "its hash does not match: the file says %s, its contents give sha1:%s; has the file been edited since it was committed?",
						hash, digest);
		}
		else if (allow_invalid)
			problem(set, c->path, "allows an invalid hash, but its hash matches: remove \"--! AllowInvalidHash\"");
		pg_free(calc);

		if (uses_placeholder(c->body))
		{
			problem(set, c->path, "uses a graphile-migrate placeholder (:DATABASE_NAME or :DATABASE_OWNER), which pg_migrate does not replace");
			continue;
		}
		m = add_migration(set, c->id, c->path);
		if (m != NULL)
		{
			m->up = c->body;
			m->down = NULL;
			m->transactional = !no_transaction(c->body);
			if (header(c, "Message", NULL) != NULL)
				m->description = pg_strdup(header(c, "Message", NULL));
			read_headers(m);
		}
	}
	pg_free(own);
	pg_free(committed_dir);
}
