/*-------------------------------------------------------------------------
 *
 * layout_updown.c
 *	  The layout of golang-migrate, mattermost's morph and this project:
 *	  <id>.up.sql and, if the migration can be undone, <id>.down.sql.
 *
 * The id is the file name without .up.sql: 000001_create_users.up.sql is
 * migration 000001_create_users.  No down file: the migration is
 * irreversible; an empty one: it has nothing to undo.  An up or down file
 * whose first line is "-- morph:nontransactional" makes the migration
 * non-transactional (morph's marker): a deploy runs its statements one at a
 * time.  Subdirectories and files other than .sql are ignored; another .sql
 * file is a problem.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "pg_migrate.h"

/* does the script begin with morph's marker? */
static bool
morph_nontransactional(const char *sql)
{
	const char *p = sql;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "-- morph:nontransactional", 25) != 0)
		return false;
	p += 25;
	return *p == '\0' || isspace((unsigned char) *p);
}

static char *
strip_suffix(const char *name, const char *suffix)
{
	return pnstrdup(name, strlen(name) - strlen(suffix));
}

void
updown_read(MigrationSet *set, DirEntry *entries, int n)
{
	int			i;

	/* the up files first, then each down file finds its up file */
	for (i = 0; i < n; i++)
	{
		const char *name = entries[i].name;
		char	   *path;
		char	   *id;
		FileText	contents;
		Migration  *m;

		if (entries[i].dir || !has_suffix(name, ".sql") ||
			has_suffix(name, ".down.sql"))
			continue;
		path = path_join(set->dir, name);
		if (!has_suffix(name, ".up.sql"))
		{
			problem(set, path, "is not a migration file of the updown layout, whose files are <id>.up.sql and <id>.down.sql");
			pg_free(path);
			continue;
		}
		id = strip_suffix(name, ".up.sql");
		if (read_text_file(set, path, &contents) &&
			(m = add_migration(set, id, path)) != NULL)
		{
			m->up = contents.data;
			if (morph_nontransactional(m->up))
				m->transactional = false;
			read_headers(m);
		}
		pg_free(id);
		pg_free(path);
	}

	sort_migrations(set);
	for (i = 0; i < n; i++)
	{
		const char *name = entries[i].name;
		char	   *path;
		char	   *id;
		FileText	contents;
		Migration  *m;

		if (entries[i].dir || !has_suffix(name, ".down.sql"))
			continue;
		path = path_join(set->dir, name);
		id = strip_suffix(name, ".down.sql");
		m = find_migration(set, id);
		if (m == NULL)
		{
			char	   *up = psprintf("%s.up.sql", id);

			if (id_valid(id))
				problem(set, path, "has no up file: %s is missing", up);
			else
				add_migration(set, id, path);	/* says why */
			pg_free(up);
		}
		else if (read_text_file(set, path, &contents))
		{
			m->down = contents.data;
			if (morph_nontransactional(m->down))
				m->transactional = false;
		}
		pg_free(id);
		pg_free(path);
	}
}
