/*-------------------------------------------------------------------------
 *
 * layout_sqitch.c
 *	  Sqitch's layout: sqitch.plan lists the changes in the order they
 *	  deploy; deploy/<change>.sql and revert/<change>.sql are their scripts
 *	  (verify/ is not read: migrate_verify() proves the revert scripts).
 *
 * A change's id is its place among the plan's changes (tags are not
 * changes), four digits or more, and its name: the third change, users, is
 * migration 0003_users.  The name alone would not do: migrate orders
 * migrations by id, Sqitch by the plan, and a reworked change is a second
 * change of the same name (0002_users, then 0005_users).  migrate_import()
 * matches sqitch.changes with these ids by name, the n-th deployment of a
 * name with its n-th id.  A reworked change's earlier version has its
 * scripts at deploy/<change>@<tag>.sql, <tag> the first tag after it, as
 * Sqitch keeps them.
 *
 * Sqitch's templates wrap each script in BEGIN; and COMMIT;, since psql runs
 * the file: those two lines are taken off (left blank, so that line numbers
 * stay those of the file), and migrate runs the script in its transaction.
 * A script without them is run by Sqitch one statement at a time, and so
 * is by migrate: such a migration is non-transactional.  The note is the
 * description.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "pg_migrate.h"

typedef struct PlanChange
{
	char	   *name;
	char	   *id;
	char	   *note;
	char	   *tag;			/* the first tag after it, NULL if none */
	bool		reworked;		/* a later change has the same name */
	int			line;
} PlanChange;

/* 2013-12-30T23:49:00Z at p? */
static bool
is_timestamp(const char *p)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	int			i;

	for (i = 0; pattern[i]; i++)
	{
		if (pattern[i] == 'd' ? !isdigit((unsigned char) p[i]) : p[i] != pattern[i])
			return false;
	}
	return p[i] == '\0' || isspace((unsigned char) p[i]);
}

/*
 * Take the first BEGIN; line and the last COMMIT; line of a script off,
 * leaving them empty (so that line numbers stay those of the file); false
 * if the script has not both, in that order.
 */
static bool
take_off_transaction(char *sql)
{
	char	   *begin = NULL;
	char	   *commit = NULL;
	char	   *p = sql;
	char	   *q;

	while (*p)
	{
		char	   *eol = strchr(p, '\n');
		char	   *end = eol ? eol : p + strlen(p);
		char	   *s = p;
		char	   *e = end;

		while (s < e && isspace((unsigned char) *s))
			s++;
		while (e > s && isspace((unsigned char) e[-1]))
			e--;
		if (e - s == 6 && pg_strncasecmp(s, "BEGIN;", 6) == 0 && begin == NULL)
			begin = p;
		else if (e - s == 7 && pg_strncasecmp(s, "COMMIT;", 7) == 0)
			commit = p;
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	if (begin == NULL || commit == NULL || commit < begin)
		return false;

	/* copy the script over itself without the two lines' text */
	for (p = q = sql; *p; p++)
	{
		if ((p == begin || p == commit))
		{
			while (*p && *p != '\n')
				p++;
			if (*p == '\0')
				break;
		}
		*q++ = *p;
	}
	*q = '\0';
	return true;
}

/* Read deploy/ or revert/ <file>: its text, NULL if absent or unreadable */
static char *
read_script(MigrationSet *set, const char *kind, const char *file,
			bool *transactional, bool required, char **path_out)
{
	char	   *sub = path_join(set->dir, kind);
	char	   *path = path_join(sub, file);
	FileText	contents;

	pg_free(sub);
	*path_out = path;
	if (!is_regular_file(path))
	{
		if (required)
			problem(set, path, "is missing: the change is in sqitch.plan");
		return NULL;
	}
	if (!read_text_file(set, path, &contents))
		return NULL;
	if (!take_off_transaction(contents.data))
		*transactional = false;
	return contents.data;
}

void
sqitch_read(MigrationSet *set, DirEntry *entries, int n)
{
	char	   *plan_path = path_join(set->dir, "sqitch.plan");
	FileText	plan;
	PlanChange *changes;
	int			nchanges = 0;
	int			lineno = 0;
	char	   *line;
	char	   *next;
	int			i;
	int			j;

	(void) entries;
	(void) n;
	if (!read_text_file(set, plan_path, &plan))
		return;
	changes = pg_malloc0(sizeof(PlanChange) * (plan.len / 2 + 2));

	for (line = plan.data; line != NULL; line = next)
	{
		char	   *p;
		char	   *end;
		char	   *name;
		char	   *ts = NULL;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		for (p = line; isspace((unsigned char) *p); p++);
		if (*p == '\0' || *p == '#' || *p == '%')
			continue;

		/* the time planned: the first token that is one */
		for (end = p; *end; end++)
			if ((end == p || isspace((unsigned char) end[-1])) &&
				is_timestamp(end))
			{
				ts = end;
				break;
			}

		if (*p == '@')
		{
			/* a tag: the changes before it that have none get it */
			char	   *t = p + 1;

			for (end = t; *end && !isspace((unsigned char) *end); end++);
			for (j = nchanges - 1; j >= 0 && changes[j].tag == NULL; j--)
				changes[j].tag = pnstrdup(t, end - t);
			continue;
		}
		if (*p == '-')
		{
			problem(set, plan_path, "line %d: a change marked \"-\" (to revert) is not supported", lineno);
			continue;
		}
		if (*p == '+')
			p++;
		name = p;
		while (*p && !isspace((unsigned char) *p) && *p != '[')
			p++;
		if (ts == NULL)
		{
			problem(set, plan_path, "line %d: no planned time (YYYY-MM-DDTHH:MM:SSZ) in \"%s\"",
					lineno, line);
			continue;
		}
		changes[nchanges].name = pnstrdup(name, p - name);
		changes[nchanges].id = psprintf("%04d_%s", nchanges + 1,
										changes[nchanges].name);
		changes[nchanges].line = lineno;
		p = strchr(ts, '#');
		if (p != NULL)
		{
			for (p++; isspace((unsigned char) *p); p++);
			end = p + strlen(p);
			while (end > p && isspace((unsigned char) end[-1]))
				end--;
			if (end > p)
				changes[nchanges].note = pnstrdup(p, end - p);
		}
		nchanges++;
	}

	/* a change reworked later keeps its earlier scripts as name@tag */
	for (i = 0; i < nchanges; i++)
		for (j = i + 1; j < nchanges; j++)
			if (strcmp(changes[i].name, changes[j].name) == 0)
			{
				changes[i].reworked = true;
				break;
			}

	for (i = 0; i < nchanges; i++)
	{
		PlanChange *c = &changes[i];
		char	   *file;
		char	   *up_path;
		char	   *down_path;
		char	   *up;
		char	   *down;
		bool		transactional = true;
		Migration  *m;

		if (c->reworked && c->tag == NULL)
		{
			problem(set, plan_path, "line %d: change %s is reworked later, but no tag follows it",
					c->line, c->name);
			continue;
		}
		file = c->reworked ? psprintf("%s@%s.sql", c->name, c->tag) :
			psprintf("%s.sql", c->name);
		up = read_script(set, "deploy", file, &transactional, true, &up_path);
		down = read_script(set, "revert", file, &transactional, false, &down_path);
		if (up != NULL && (m = add_migration(set, c->id, up_path)) != NULL)
		{
			m->up = up;
			m->down = down;
			m->transactional = transactional;
			if (c->note != NULL)
				m->description = c->note;
			read_headers(m);
		}
		pg_free(file);
		pg_free(up_path);
		pg_free(down_path);
	}
	pg_free(plan_path);
}
