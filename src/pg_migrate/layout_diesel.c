/*-------------------------------------------------------------------------
 *
 * layout_diesel.c
 *	  diesel's layout: a directory per migration, <version>_<name>/, holding
 *	  up.sql, down.sql and optionally metadata.toml, whose
 *	  run_in_transaction = false makes the migration non-transactional.
 *
 * The id is the directory's name: 2024-01-01-120000_create_users/ is
 * migration 2024-01-01-120000_create_users (and diesel's own
 * 00000000000000_diesel_initial_setup/ is one too).  Its digit runs order
 * it by its timestamp, as diesel does.  No down.sql: irreversible; an empty
 * one: nothing to undo.  A directory whose name does not start with a
 * version, or that holds no up.sql, is a problem; so is a .sql file beside
 * the directories.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "pg_migrate.h"

/* run_in_transaction = false in metadata.toml? */
static bool
metadata_nontransactional(MigrationSet *set, const char *dir)
{
	char	   *path = path_join(dir, "metadata.toml");
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
		char	   *p = line;
		char	   *end;

		while (isspace((unsigned char) *p))
			p++;
		if (strncmp(p, "run_in_transaction", 18) != 0)
			continue;
		p += 18;
		while (isspace((unsigned char) *p))
			p++;
		if (*p++ != '=')
			continue;
		while (isspace((unsigned char) *p))
			p++;
		end = strchr(p, '#');
		if (end == NULL)
			end = p + strlen(p);
		while (end > p && isspace((unsigned char) end[-1]))
			end--;
		if (end - p == 5 && strncmp(p, "false", 5) == 0)
			result = true;
		else if (!(end - p == 4 && strncmp(p, "true", 4) == 0))
			problem(set, path, "run_in_transaction must be true or false");
	}
	pg_free(contents.data);
	pg_free(path);
	return result;
}

void
diesel_read(MigrationSet *set, DirEntry *entries, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *name = entries[i].name;
		char	   *dir = path_join(set->dir, name);
		char	   *up_path;
		char	   *down_path;
		FileText	contents;
		Migration  *m;

		if (!entries[i].dir)
		{
			if (has_suffix(name, ".sql"))
				problem(set, dir, "is not part of a diesel migration, which is a directory <version>_<name>/ holding up.sql and down.sql");
			pg_free(dir);
			continue;
		}
		up_path = path_join(dir, "up.sql");
		down_path = path_join(dir, "down.sql");
		if (!isdigit((unsigned char) name[0]))
			problem(set, dir, "is not a diesel migration, whose directory name starts with its version (2024-01-01-120000_create_users)");
		else if (!is_regular_file(up_path))
			problem(set, dir, "has no up.sql");
		else if (read_text_file(set, up_path, &contents) &&
				 (m = add_migration(set, name, up_path)) != NULL)
		{
			m->up = contents.data;
			if (is_regular_file(down_path) &&
				read_text_file(set, down_path, &contents))
				m->down = contents.data;
			if (metadata_nontransactional(set, dir))
				m->transactional = false;
			read_headers(m);
		}
		pg_free(up_path);
		pg_free(down_path);
		pg_free(dir);
	}
}
