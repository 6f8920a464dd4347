/*-------------------------------------------------------------------------
 *
 * layout.c
 *	  Which layout a directory of migrations is in, and the set of
 *	  migrations read from it.
 *
 * Without --format, each name in the directory is a sign of at most one
 * layout (see classify()); a directory with signs of two layouts is refused,
 * naming a file of each, and so is one with none.  With --format, the
 * directory is read as that layout, as the tool itself reads it.
 *
 * Every problem of every file is reported (problem()), not only the first,
 * and a set with problems is registered not at all.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "common/logging.h"

#include "pg_migrate.h"

typedef struct LayoutInfo
{
	Layout		layout;
	const char *name;
	const char *alias;
	void		(*read) (MigrationSet *set, DirEntry *entries, int n);
}			LayoutInfo;

static const LayoutInfo layouts[] = {
	{LAYOUT_UPDOWN, "updown", "golang-migrate", updown_read},
	{LAYOUT_DBMATE, "dbmate", NULL, dbmate_read},
	{LAYOUT_FLYWAY, "flyway", NULL, flyway_read},
	{LAYOUT_DIESEL, "diesel", NULL, diesel_read},
	{LAYOUT_SQITCH, "sqitch", NULL, sqitch_read},
	{LAYOUT_GRAPHILE, "graphile", "graphile-migrate", graphile_read},
	{LAYOUT_NONE, NULL, NULL, NULL}
};

const char *
layout_name(Layout layout)
{
	const		LayoutInfo *li;

	for (li = layouts; li->name != NULL; li++)
		if (li->layout == layout)
			return li->name;
	return "none";
}

Layout
layout_from_name(const char *name)
{
	const		LayoutInfo *li;

	for (li = layouts; li->name != NULL; li++)
		if (strcmp(li->name, name) == 0 ||
			(li->alias != NULL && strcmp(li->alias, name) == 0))
			return li->layout;
	return LAYOUT_NONE;
}

const char *
layout_names(void)
{
	return "updown (golang-migrate), dbmate, flyway, diesel, sqitch or graphile";
}

/*
 * problem: report a problem of file (or of the directory, if file is NULL);
 * counted in set, whose migrations are then not registered.
 */
void
problem(MigrationSet *set, const char *file, const char *fmt,...)
{
	int			save_errno = errno;
	va_list		ap;
	char		buf[2048];

	errno = save_errno;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (file != NULL)
		pg_log_error("%s: %s", file, buf);
	else
		pg_log_error("%s", buf);
	record_error(file, buf);
	set->problems++;
	if (file == NULL)
		set->directory_problems++;
}

/*
 * id_valid: 1 to 200 characters from [A-Za-z0-9_.-], starting with a letter
 * or digit (SPEC §3), and not a target word.  The server checks it too; the
 * client checks it to name the file.
 */
bool
id_valid(const char *id)
{
	const char *p;

	if (!isalnum((unsigned char) id[0]) || strlen(id) > 200)
		return false;
	for (p = id; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '_' || *p == '.' ||
			  *p == '-') || (unsigned char) *p >= 0x80)
			return false;
	return strcmp(id, "head") != 0 && strcmp(id, "base") != 0;
}

static int
compare_migrations(const void *a, const void *b)
{
	return strcmp(((const Migration *) a)->id, ((const Migration *) b)->id);
}

/*
 * sort_migrations: the set in byte order of id, for find_migration().  The
 * order of registration means nothing (the server orders migrations).
 */
void
sort_migrations(MigrationSet *set)
{
	if (set->n > 1)
		qsort(set->items, set->n, sizeof(Migration), compare_migrations);
}

/* find_migration: the migration with this id in a sorted set, or NULL */
Migration *
find_migration(const MigrationSet *set, const char *id)
{
	Migration	key;

	if (set->n == 0)
		return NULL;
	key.id = (char *) id;
	return bsearch(&key, set->items, set->n, sizeof(Migration),
				   compare_migrations);
}

/*
 * add_migration: a new migration with this id, defined by file, or NULL
 * (and a problem) if the id is not valid.  Two files with one id are
 * found after reading (check_duplicates), in one pass.
 */
Migration *
add_migration(MigrationSet *set, const char *id, const char *file)
{
	Migration  *m;

	if (!id_valid(id))
	{
		problem(set, file,
				"\"%s\" is not a valid migration id: 1 to 200 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit (and not head or base)",
				id);
		return NULL;
	}
	if (set->n == set->size)
	{
		set->size = set->size ? set->size * 2 : 64;
		set->items = pg_realloc(set->items, sizeof(Migration) * set->size);
	}
	m = &set->items[set->n++];
	memset(m, 0, sizeof(*m));
	m->id = pg_strdup(id);
	m->file = pg_strdup(file);
	m->transactional = true;
	return m;
}

static int
compare_ids(const void *a, const void *b)
{
	const Migration *x = *(Migration *const *) a;
	const Migration *y = *(Migration *const *) b;
	int			c = strcmp(x->id, y->id);

	/* keep the files' order for the message */
	if (c == 0)
		return x < y ? -1 : (x > y ? 1 : 0);
	return c;
}

static void
check_duplicates(MigrationSet *set)
{
	Migration **sorted;
	int			i;

	if (set->n < 2)
		return;
	sorted = pg_malloc(sizeof(Migration *) * set->n);
	for (i = 0; i < set->n; i++)
		sorted[i] = &set->items[i];
	qsort(sorted, set->n, sizeof(Migration *), compare_ids);
	for (i = 1; i < set->n; i++)
		if (strcmp(sorted[i - 1]->id, sorted[i]->id) == 0)
			problem(set, sorted[i]->file,
					"defines migration \"%s\", which %s defines already",
					sorted[i]->id, sorted[i - 1]->file);
	pg_free(sorted);
}

/*
 * read_headers: what the leading comment lines of the up script say,
 * whatever the layout:
 *	  -- description: TEXT	  the description, unless the layout gave one
 *	  -- data_loss_ok: true	  the author confirms that it destroys data
 *							  (SPEC §8)
 */
void
read_headers(Migration *m)
{
	const char *p = m->up;

	while (*p)
	{
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		const char *q = p;

		while (q < end && isspace((unsigned char) *q))
			q++;
		if (q == end)
		{
			/* a blank line */
		}
		else if (end - q >= 2 && q[0] == '-' && q[1] == '-')
		{
			const char *k = q + 2;

			while (k < end && isspace((unsigned char) *k))
				k++;
			if (end - k > 12 && pg_strncasecmp(k, "description:", 12) == 0 &&
				m->description == NULL)
			{
				const char *v = k + 12;
				const char *vend = end;

				while (v < vend && isspace((unsigned char) *v))
					v++;
				while (vend > v && isspace((unsigned char) vend[-1]))
					vend--;
				if (vend > v)
					m->description = pnstrdup(v, vend - v);
			}
			else if (end - k >= 13 && pg_strncasecmp(k, "data_loss_ok:", 13) == 0)
			{
				const char *v = k + 13;

				while (v < end && isspace((unsigned char) *v))
					v++;
				if (end - v >= 4 && pg_strncasecmp(v, "true", 4) == 0)
					m->data_loss_ok = true;
			}
		}
		else
			break;				/* the first statement */
		if (eol == NULL)
			break;
		p = eol + 1;
	}
}

/* Signs of a layout: the number of names, and the first one */
typedef struct Signs
{
	int			count;
	const char *example;
} Signs;

static void
sign(Signs *signs, Layout layout, const char *name)
{
	if (signs[layout].count++ == 0)
		signs[layout].example = name;
}

/* V1_2__x.sql, U1_2__x.sql, R__x.sql: Flyway's versioned, undo, repeatable */
static bool
flyway_name(const char *name)
{
	const char *p = name + 1;

	if (!has_suffix(name, ".sql") && !has_suffix(name, ".sql.conf"))
		return false;
	if (name[0] == 'R')
		return strncmp(name, "R__", 3) == 0;
	if (name[0] != 'V' && name[0] != 'U')
		return false;
	if (!isdigit((unsigned char) *p))
		return false;
	while (isdigit((unsigned char) *p) || *p == '.' ||
		   (*p == '_' && p[1] != '_'))
		p++;
	return strncmp(p, "__", 2) == 0;
}

/* does the file begin as graphile-migrate's committed migrations do? */
static bool
graphile_committed_file(const char *dir, const char *name)
{
	char	   *path = path_join(dir, name);
	FILE	   *f = fopen(path, "rb");
	char		buf[32];
	size_t		got = 0;

	pg_free(path);
	if (f == NULL)
		return false;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	return strncmp(buf, "--! Previous:", 13) == 0;
}

/*
 * classify: the layout whose sign each name is.  Names no layout claims are
 * left for the reader of the layout chosen (which refuses stray .sql
 * files); other files (README.md, .gitkeep) mean nothing.
 */
static Layout
classify(const char *dir, DirEntry *entries, int n, Signs *signs)
{
	int			i;
	int			found = 0;
	Layout		layout = LAYOUT_NONE;
	Layout		l;
	bool		digits_checked = false;
	Layout		digits_layout = LAYOUT_DBMATE;

	for (i = 0; i < n; i++)
	{
		const char *name = entries[i].name;

		if (entries[i].dir)
		{
			char	   *sub = path_join(dir, name);
			char	   *up = path_join(sub, "up.sql");
			char	   *down = path_join(sub, "down.sql");

			if (strcmp(name, "committed") == 0)
				sign(signs, LAYOUT_GRAPHILE, name);
			else if (is_regular_file(up) || is_regular_file(down))
				sign(signs, LAYOUT_DIESEL, name);
			pg_free(down);
			pg_free(up);
			pg_free(sub);
		}
		else if (strcmp(name, "sqitch.plan") == 0)
			sign(signs, LAYOUT_SQITCH, name);
		else if (has_suffix(name, ".up.sql") || has_suffix(name, ".down.sql"))
			sign(signs, LAYOUT_UPDOWN, name);
		else if (flyway_name(name))
			sign(signs, LAYOUT_FLYWAY, name);
		else if (isdigit((unsigned char) name[0]) && has_suffix(name, ".sql"))
		{
			/* dbmate's files, or graphile-migrate's committed/ itself */
			if (!digits_checked)
			{
				digits_layout = graphile_committed_file(dir, name) ?
					LAYOUT_GRAPHILE : LAYOUT_DBMATE;
				digits_checked = true;
			}
			sign(signs, digits_layout, name);
		}
	}

	/* a Sqitch project's own files are no sign of another layout */
	if (signs[LAYOUT_SQITCH].count > 0)
		signs[LAYOUT_DIESEL].count = 0;

	for (l = LAYOUT_UPDOWN; l <= LAYOUT_GRAPHILE; l++)
		if (signs[l].count > 0)
		{
			found++;
			layout = l;
		}
	return found == 1 ? layout : (found == 0 ? LAYOUT_NONE : (Layout) -1);
}

/*
 * read_migrations: the migrations of dir, in the layout named by format or
 * told from the files, into set.  False if anything is wrong; every problem
 * has been reported then.
 */
bool
read_migrations(const char *dir, const char *format, MigrationSet *set)
{
	DirEntry   *entries;
	int			n;
	const		LayoutInfo *li;
	int			i;

	memset(set, 0, sizeof(*set));
	set->dir = dir;
	entries = list_directory(dir, &n);
	if (entries == NULL)
	{
		problem(set, NULL, "could not read the migrations directory \"%s\": %m", dir);
		return false;
	}

	if (format != NULL)
		set->layout = layout_from_name(format);
	else
	{
		Signs		signs[LAYOUT_GRAPHILE + 1];
		Layout		l = LAYOUT_NONE;

		memset(signs, 0, sizeof(signs));
		l = classify(dir, entries, n, signs);
		if (l == LAYOUT_NONE)
		{
			problem(set, NULL,
					"found no migration files in \"%s\"", dir);
			pg_log_error_hint("The layouts are %s; name one with --format if the files are there.",
							  layout_names());
			return false;
		}
		if (l == (Layout) -1)
		{
			PQExpBuffer buf = createPQExpBuffer();
			Layout		k;

			for (k = LAYOUT_UPDOWN; k <= LAYOUT_GRAPHILE; k++)
				if (signs[k].count > 0)
					appendPQExpBuffer(buf, "%s%s (%s)",
									  buf->len ? ", " : "",
									  layout_name(k), signs[k].example);
			problem(set, NULL, "\"%s\" mixes layouts: %s", dir, buf->data);
			pg_log_error_hint("Keep one layout in a directory, or name the layout with --format.");
			destroyPQExpBuffer(buf);
			return false;
		}
		set->layout = l;
	}

	for (li = layouts; li->name != NULL; li++)
		if (li->layout == set->layout)
			li->read(set, entries, n);

	for (i = 0; i < n; i++)
		pg_free(entries[i].name);
	pg_free(entries);

	if (set->problems == 0 && set->n == 0)
		problem(set, NULL, "found no migrations in \"%s\" (layout %s)", dir,
				layout_name(set->layout));
	check_duplicates(set);
	sort_migrations(set);
	for (i = 0; i < set->n; i++)
		registration_checksum(&set->items[i]);
	return set->problems == 0;
}
