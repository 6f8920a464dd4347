/*-------------------------------------------------------------------------
 *
 * import.c
 *	  migrate_import(tool, history_table), SPEC §12: read the history that
 *	  another migration tool left in this database, match what it lists as
 *	  applied with the registered migrations, and baseline those
 *	  (baseline.c).
 *
 * Each tool names a migration by a version taken from its file name; a
 * registered migration's id is its file name (as the README's id mapping
 * says), so the tool's version of a registered migration is taken from
 * the leading part of its id, the way the tool takes it from the file:
 *
 *	  flyway          V1_2__add.sql        id 1.2 (description "add")
 *					  version "1.2": the leading parts of digits, "_" and
 *					  "." alike, before the end, "-" or "__" (1.2-add,
 *					  V1_2__add are matched too), compared as numbers,
 *					  trailing zero parts ignored (1.0 is 1) as Flyway
 *					  compares them; the version alone sorts in migrate's
 *					  version order as in Flyway's (1 before 1.1), which
 *					  1__x and 1_1__y would not
 *	  dbmate          20240101120000_x.sql id 20240101120000_x
 *					  version "20240101120000": the leading digits, as text
 *	  golang-migrate  000001_x.up.sql      id 000001_x
 *					  version 1: the leading digits, as a number
 *	  diesel          2024-01-01-120000_x/ id 2024-01-01-120000_x
 *					  version "20240101120000": the part before the first
 *					  "_", without "-", as text
 *	  sqitch          change x, n-th in sqitch.plan: id 000n_x
 *					  change "x": what follows the leading digits and "_"
 *					  (the whole id if it has none)
 *	  graphile-migrate committed/000001-x.sql: id 000001-x (or 000001)
 *					  1: the leading digits, as a number, as in its
 *					  history's file name 000001.sql
 *
 * What a tool lists as applied: every row of dbmate's, diesel's, Sqitch's
 * and graphile-migrate's tables; golang-migrate keeps one row, its current
 * version, and every migration up to it is applied; Flyway's rows are read
 * in installed_rank order: a versioned migration that succeeded is
 * applied, until an undo or a DELETE row (flyway repair) takes it back,
 * and a baseline row makes every version up to its own applied.  Flyway's
 * repeatable migrations (R__x.sql, version NULL) have no version: they are
 * not versioned migrations, and are not imported (a NOTICE counts them).
 *
 * The import is refused, with every problem in one error, when the history
 * is dirty or failed (golang-migrate dirty, Flyway success = false), lists
 * a version that no registered migration has (or that several have), holds
 * the changes of several Sqitch projects, or leaves a gap: a registered
 * migration that sorts before the last one imported but is not in the
 * history.  So the migrations imported are the first ones in version
 * order, and after the import no pending migration is out of order.
 *
 * The history is another role's table (SPEC §14): it is read only, with
 * the server's heap scans, so no view, function, operator, policy or
 * search_path of anyone else is evaluated, and it must be a plain heap
 * table that the caller may SELECT from.  It is never written: the team
 * can go back to the tool.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/varlena.h"

#include "migrate.h"

/* Items listed in one message before "and N more" */
#define MAX_LISTED	10

typedef struct History History;

typedef struct Tool
{
	const char *name;			/* as migrate_import() takes it */
	const char *display;		/* in messages */
	const char *schema;			/* of its table; NULL: on search_path */
	const char *table;
	const char *columns;		/* of its table, for messages */
	const char *noun;			/* what it lists: "version", "change" */
	const char *nouns;
	/* the tool's version of a registered id, NULL if it has none */
	char	   *(*id_key) (const char *id);
	void		(*read) (Relation rel, History *h);
	/* the same key listed twice is two migrations (a reworked change) */
	bool		by_occurrence;
	const char *repair;			/* hint for a dirty or failed history */
	const char *id_rule;		/* the id of a migration of the tool */
}			Tool;

/* One migration the history lists as applied */
typedef struct Listed
{
	char	   *shown;			/* as the tool stores it */
	char	   *key;			/* to match with, NULL if not a version */
	bool		removed;		/* taken back later (Flyway undo, DELETE) */
} Listed;

struct History
{
	const		Tool *tool;
	const char *relname;		/* qualified, for messages */
	int			n;
	int			size;
	Listed	   *items;			/* in the tool's order */
	/* every version up to this one is applied (NULL: none) */
	char	   *through_shown;
	char	   *through_key;
	bool		through_registered; /* it must itself be registered */
	StringInfoData problems;	/* of the history itself, sentences */
	int			nrepeatable;	/* Flyway repeatable migrations */
};

/* A list of names for a message: "a", "b" and 3 more */
typedef struct NameList
{
	StringInfoData buf;
	int			n;
} NameList;

static void
names_init(NameList *l)
{
	initStringInfo(&l->buf);
	l->n = 0;
}

static void
names_add(NameList *l, const char *name)
{
	if (l->n < MAX_LISTED)
		appendStringInfo(&l->buf, "%s\"%s\"", l->n > 0 ? ", " : "", name);
	l->n++;
}

static const char *
names_done(NameList *l)
{
	if (l->n > MAX_LISTED)
		appendStringInfo(&l->buf, " and %d more", l->n - MAX_LISTED);
	return l->buf.data;
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The run of digits at the start of s, without leading zeros, or NULL */
static char *
leading_number(const char *s, const char **end)
{
	const char *p = s;

	while (is_digit(*p))
		p++;
	*end = p;
	if (p == s)
		return NULL;
	while (s < p - 1 && *s == '0')
		s++;
	return pnstrdup(s, p - s);
}

/*
 * A Flyway version, "1.2", "1_2", "01.2.0": parts of digits separated by
 * "." or "_" (Flyway reads "_" in a file name as "."), as "1.2": leading
 * zeros and trailing zero parts dropped, since Flyway compares the parts as
 * numbers and 1.0 equals 1.  NULL if it is not a version.
 */
static char *
flyway_version(const char *s, int len)
{
	StringInfoData buf;
	const char *p = s;
	const char *stop = s + len;
	int			keep = 0;

	initStringInfo(&buf);
	while (p < stop)
	{
		const char *start = p;

		while (p < stop && is_digit(*p))
			p++;
		if (p == start)
			return NULL;
		while (start < p - 1 && *start == '0')
			start++;
		if (buf.len > 0)
			appendStringInfoChar(&buf, '.');
		appendBinaryStringInfo(&buf, start, p - start);
		if (p - start != 1 || *start != '0')
			keep = buf.len;
		if (p < stop)
		{
			if (*p != '.' && *p != '_')
				return NULL;
			p++;
			if (p == stop)
				return NULL;
		}
	}
	if (buf.len == 0)
		return NULL;
	/* trailing zero parts go, but a version of zeros is "0" */
	buf.data[keep > 0 ? keep : 1] = '\0';
	return buf.data;
}

/*
 * id 1.2 (the version alone), or with a description after "-" or "__"
 * (1.2-add, 1_2__add, V1_2__add): version "1.2"
 */
static char *
flyway_id_key(const char *id)
{
	const char *p;

	if ((id[0] == 'V' || id[0] == 'v') && is_digit(id[1]))
		id++;
	p = id;
	while (is_digit(*p))
	{
		while (is_digit(*p))
			p++;
		if ((*p == '.' || *p == '_') && is_digit(p[1]))
			p++;
	}
	if (p == id ||
		!(*p == '\0' || *p == '-' || (p[0] == '_' && p[1] == '_')))
		return NULL;
	return flyway_version(id, (int) (p - id));
}

/* id 20240101120000_x: "20240101120000", as written */
static char *
dbmate_id_key(const char *id)
{
	const char *p = id;

	while (is_digit(*p))
		p++;
	return p == id ? NULL : pnstrdup(id, p - id);
}

/* id 000001_x: 1 */
static char *
golang_id_key(const char *id)
{
	const char *end;
	char	   *n = leading_number(id, &end);

	return (n != NULL && (*end == '_' || *end == '\0')) ? n : NULL;
}

/* id 000001 or 000001-add-users: 1 */
static char *
graphile_id_key(const char *id)
{
	const char *end;
	char	   *n = leading_number(id, &end);

	return (n != NULL && (*end == '-' || *end == '\0')) ? n : NULL;
}

/* id 2024-01-01-120000_x: "20240101120000" */
static char *
diesel_id_key(const char *id)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	for (p = id; *p != '\0' && *p != '_'; p++)
		if (*p != '-')
			appendStringInfoChar(&buf, *p);
	return buf.len > 0 ? buf.data : NULL;
}

/* id 0003_x: change "x"; an id without leading digits and "_" is the name */
static char *
sqitch_id_key(const char *id)
{
	const char *p = id;

	while (is_digit(*p))
		p++;
	if (p > id && *p == '_' && p[1] != '\0')
		return pstrdup(p + 1);
	return pstrdup(id);
}

/* ---------- reading a history table ---------- */

static const Oid text_types[] = {TEXTOID, VARCHAROID, BPCHAROID, InvalidOid};
static const Oid int_types[] = {INT2OID, INT4OID, INT8OID, InvalidOid};
static const Oid bool_types[] = {BOOLOID, InvalidOid};
static const Oid time_types[] = {TIMESTAMPTZOID, TIMESTAMPOID, InvalidOid};

static bool
type_in(Oid type, const Oid *types)
{
	for (; OidIsValid(*types); types++)
		if (*types == type)
			return true;
	return false;
}

/*
 * The column name of the history table, of one of types, or
 * InvalidAttrNumber if there is none and !required; a column of another
 * type is an error.
 */
static AttrNumber
history_column(Relation rel, History *h, const char *name, const Oid *types,
			   bool required)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (!type_in(att->atttypid, types))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table %s is of type %s, which is not what %s writes",
							name, h->relname, format_type_be(att->atttypid),
							h->tool->display),
					 errdetail("%s keeps its history in a table with the columns %s.",
							   h->tool->display, h->tool->columns),
					 errhint("Name the table that holds the history of %s: migrate_import('%s', 'schema.table').",
							 h->tool->display, h->tool->name)));
		return att->attnum;
	}
	if (required)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table %s has no column \"%s\"", h->relname, name),
				 errdetail("%s keeps its history in a table with the columns %s.",
						   h->tool->display, h->tool->columns),
				 errhint("Name the table that holds the history of %s: migrate_import('%s', 'schema.table').",
						 h->tool->display, h->tool->name)));
	return InvalidAttrNumber;
}

/* The text of a text, varchar or char column (without char's padding) */
static char *
text_value(Relation rel, Datum *values, bool *nulls, AttrNumber attnum)
{
	char	   *s;

	if (nulls[attnum - 1])
		return NULL;
	s = TextDatumGetCString(values[attnum - 1]);
	if (TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid == BPCHAROID)
	{
		int			len = strlen(s);

		while (len > 0 && s[len - 1] == ' ')
			s[--len] = '\0';
	}
	return s;
}

static int64
int_value(Relation rel, Datum *values, AttrNumber attnum)
{
	switch (TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid)
	{
		case INT2OID:
			return DatumGetInt16(values[attnum - 1]);
		case INT4OID:
			return DatumGetInt32(values[attnum - 1]);
		default:
			return DatumGetInt64(values[attnum - 1]);
	}
}

static void
add_listed(History *h, const char *shown, char *key)
{
	Listed	   *l;

	if (h->n == h->size)
	{
		h->size = h->size == 0 ? 64 : h->size * 2;
		h->items = h->items == NULL ?
			palloc(sizeof(Listed) * h->size) :
			repalloc_huge(h->items, sizeof(Listed) * h->size);
	}
	l = &h->items[h->n++];
	l->shown = pstrdup(shown);
	l->key = key;
	l->removed = false;
}

static void
add_problem(History *h, const char *sentence)
{
	appendStringInfo(&h->problems, "%s%s", h->problems.len > 0 ? " " : "",
					 sentence);
}

/* A scan of every row of the history, deformed into values and nulls */
typedef struct RowScan
{
	Relation	rel;
	Snapshot	snapshot;
	TableScanDesc scan;
	Datum	   *values;
	bool	   *nulls;
} RowScan;

static void
scan_begin(RowScan *rs, Relation rel)
{
	int			natts = RelationGetDescr(rel)->natts;

	rs->rel = rel;
	/* the history as committed now, as the writers' state is read */
	rs->snapshot = RegisterSnapshot(GetLatestSnapshot());
	rs->scan = table_beginscan(rel, rs->snapshot, 0, NULL);
	rs->values = palloc(sizeof(Datum) * Max(natts, 1));
	rs->nulls = palloc(sizeof(bool) * Max(natts, 1));
}

static bool
scan_next(RowScan *rs)
{
	HeapTuple	tup = heap_getnext(rs->scan, ForwardScanDirection);

	if (tup == NULL)
		return false;
	heap_deform_tuple(tup, RelationGetDescr(rs->rel), rs->values, rs->nulls);
	return true;
}

static void
scan_end(RowScan *rs)
{
	table_endscan(rs->scan);
	UnregisterSnapshot(rs->snapshot);
}

/* The type of column name of rel, InvalidOid if it has none */
static Oid
column_type(Relation rel, const char *name)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->atttypid;
	}
	return InvalidOid;
}

/*
 * dbmate and diesel: one row per applied migration, its version as text.
 * A table schema_migrations with golang-migrate's columns is not dbmate's.
 */
static void
read_versions(Relation rel, History *h)
{
	AttrNumber	version;
	RowScan		rs;

	if (type_in(column_type(rel, "version"), int_types) &&
		OidIsValid(column_type(rel, "dirty")))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table %s is not the history of %s", h->relname,
						h->tool->display),
				 errdetail("Its columns are those of golang-migrate's history (version bigint, dirty boolean); %s keeps %s.",
						   h->tool->display, h->tool->columns),
				 errhint("Import it with migrate_import('golang-migrate').")));
	version = history_column(rel, h, "version", text_types, true);

	scan_begin(&rs, rel);
	while (scan_next(&rs))
	{
		char	   *v = text_value(rel, rs.values, rs.nulls, version);

		if (v != NULL)
			add_listed(h, v, pstrdup(v));
	}
	scan_end(&rs);
}

/*
 * golang-migrate: one row, the current version, and whether it is dirty.
 * A table schema_migrations with a text version and no dirty column is
 * dbmate's (or Rails').
 */
static void
read_golang(Relation rel, History *h)
{
	AttrNumber	version;
	AttrNumber	dirty;
	RowScan		rs;
	int			rows = 0;

	if (type_in(column_type(rel, "version"), text_types) &&
		!OidIsValid(column_type(rel, "dirty")))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("table %s is not the history of golang-migrate",
						h->relname),
				 errdetail("golang-migrate keeps %s; a table with a version of text and no dirty column is the history of dbmate (or Rails).",
						   h->tool->columns),
				 errhint("Import it with migrate_import('dbmate').")));
	version = history_column(rel, h, "version", int_types, true);
	dirty = history_column(rel, h, "dirty", bool_types, true);

	scan_begin(&rs, rel);
	while (scan_next(&rs))
	{
		int64		v;
		bool		is_dirty;

		rows++;
		if (rs.nulls[version - 1])
			continue;
		v = int_value(rel, rs.values, version);
		is_dirty = !rs.nulls[dirty - 1] && DatumGetBool(rs.values[dirty - 1]);
		if (is_dirty)
			add_problem(h, psprintf("golang-migrate marked version %lld dirty: a migration failed part way, and what it did is not known.",
									(long long) v));
		else if (v >= 0 && h->through_key == NULL)
		{
			h->through_key = psprintf("%lld", (long long) v);
			h->through_shown = h->through_key;
			h->through_registered = true;
		}
	}
	scan_end(&rs);
	if (rows > 1)
		add_problem(h, psprintf("The table holds %d rows; golang-migrate keeps one, its current version.",
								rows));
}

/*
 * graphile-migrate: one row per committed migration applied, its file name
 * as 000001.sql (the number, without the message); the number is the
 * version.
 */
static void
read_graphile(Relation rel, History *h)
{
	AttrNumber	filename = history_column(rel, h, "filename", text_types, true);
	RowScan		rs;

	scan_begin(&rs, rel);
	while (scan_next(&rs))
	{
		char	   *f = text_value(rel, rs.values, rs.nulls, filename);
		const char *end;
		char	   *n;

		if (f == NULL)
			continue;
		n = leading_number(f, &end);
		add_listed(h, f, (n != NULL && strcmp(end, ".sql") == 0) ? n : NULL);
	}
	scan_end(&rs);
}

/* A row of Flyway's history */
typedef struct FlywayRow
{
	int64		rank;
	char	   *version;
	char	   *type;
	char	   *script;
	bool		success;
} FlywayRow;

static int
compare_flyway_rows(const void *a, const void *b)
{
	int64		x = ((const FlywayRow *) a)->rank;
	int64		y = ((const FlywayRow *) b)->rank;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* The versioned migration of h with key, not taken back, or NULL */
static Listed *
find_listed(History *h, const char *key)
{
	int			i;

	for (i = h->n - 1; i >= 0; i--)
		if (!h->items[i].removed && h->items[i].key != NULL &&
			strcmp(h->items[i].key, key) == 0)
			return &h->items[i];
	return NULL;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s);
	size_t		m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * Flyway: rows in installed_rank order.  A versioned migration that
 * succeeded is applied; an undo (UNDO_SQL...) or DELETE row (written by
 * flyway repair for a migration that is gone) takes its version back; a
 * baseline row (BASELINE, SQL_BASELINE...) makes every version up to its
 * own applied; a SCHEMA row (the schemas Flyway created) is no migration.
 * A row with success = false is a failed migration.
 */
static void
read_flyway(Relation rel, History *h)
{
	AttrNumber	rank = history_column(rel, h, "installed_rank", int_types, true);
	AttrNumber	version = history_column(rel, h, "version", text_types, true);
	AttrNumber	type = history_column(rel, h, "type", text_types, true);
	AttrNumber	script = history_column(rel, h, "script", text_types, true);
	AttrNumber	success = history_column(rel, h, "success", bool_types, true);
	FlywayRow  *rows;
	int			n = 0;
	int			size = 64;
	int			i;
	NameList	failed;
	RowScan		rs;

	rows = palloc(sizeof(FlywayRow) * size);
	scan_begin(&rs, rel);
	while (scan_next(&rs))
	{
		FlywayRow  *r;

		if (n == size)
		{
			size *= 2;
			rows = repalloc_huge(rows, sizeof(FlywayRow) * size);
		}
		r = &rows[n++];
		r->rank = rs.nulls[rank - 1] ? 0 : int_value(rel, rs.values, rank);
		r->version = text_value(rel, rs.values, rs.nulls, version);
		r->type = text_value(rel, rs.values, rs.nulls, type);
		if (r->type == NULL)
			r->type = "";
		r->script = text_value(rel, rs.values, rs.nulls, script);
		r->success = !rs.nulls[success - 1] &&
			DatumGetBool(rs.values[success - 1]);
	}
	scan_end(&rs);
	qsort(rows, n, sizeof(FlywayRow), compare_flyway_rows);

	names_init(&failed);
	for (i = 0; i < n; i++)
	{
		FlywayRow  *r = &rows[i];
		char	   *key = r->version ?
		flyway_version(r->version, strlen(r->version)) : NULL;
		Listed	   *l;

		if (!r->success)
		{
			names_add(&failed, r->version ? r->version :
					  r->script ? r->script : "");
			continue;
		}
		if (strcmp(r->type, "SCHEMA") == 0)
			continue;
		if (r->version == NULL)
		{
			h->nrepeatable++;
			continue;
		}
		if (strncmp(r->type, "UNDO_", 5) == 0 ||
			strcmp(r->type, "DELETE") == 0)
		{
			if (key != NULL && (l = find_listed(h, key)) != NULL)
				l->removed = true;
			continue;
		}
		if (strcmp(r->type, "BASELINE") == 0 || ends_with(r->type, "_BASELINE"))
		{
			if (key == NULL)
				add_listed(h, r->version, NULL);
			else if (h->through_key == NULL ||
					 migrate_version_cmp(key, h->through_key) > 0)
			{
				h->through_key = key;
				h->through_shown = r->version;
			}
			continue;
		}
		if (key == NULL || find_listed(h, key) == NULL)
			add_listed(h, r->version, key);
	}
	if (failed.n > 0)
		add_problem(h, psprintf(failed.n == 1 ?
								"Flyway recorded a failed migration: %s." :
								"Flyway recorded failed migrations: %s.",
								names_done(&failed)));
}

/* Sqitch: one row per deployed change, in the order deployed */
typedef struct SqitchRow
{
	TimestampTz at;
	int			seen;			/* order of the scan, for ties */
	char	   *change;
} SqitchRow;

static int
compare_sqitch_rows(const void *a, const void *b)
{
	const SqitchRow *x = (const SqitchRow *) a;
	const SqitchRow *y = (const SqitchRow *) b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seen - y->seen;
}

static void
read_sqitch(Relation rel, History *h)
{
	AttrNumber	change = history_column(rel, h, "change", text_types, true);
	AttrNumber	project = history_column(rel, h, "project", text_types, true);
	AttrNumber	committed_at = history_column(rel, h, "committed_at",
											  time_types, true);
	SqitchRow  *rows;
	int			n = 0;
	int			size = 64;
	int			i;
	NameList	projects;
	List	   *seen_projects = NIL;
	RowScan		rs;

	names_init(&projects);
	rows = palloc(sizeof(SqitchRow) * size);
	scan_begin(&rs, rel);
	while (scan_next(&rs))
	{
		char	   *c = text_value(rel, rs.values, rs.nulls, change);
		char	   *p = text_value(rel, rs.values, rs.nulls, project);
		ListCell   *lc;
		bool		known = false;

		if (c == NULL)
			continue;
		if (n == size)
		{
			size *= 2;
			rows = repalloc_huge(rows, sizeof(SqitchRow) * size);
		}
		rows[n].at = rs.nulls[committed_at - 1] ? 0 :
			DatumGetTimestampTz(rs.values[committed_at - 1]);
		rows[n].seen = n;
		rows[n].change = c;
		n++;
		if (p == NULL)
			p = "";
		foreach(lc, seen_projects)
			if (strcmp((char *) lfirst(lc), p) == 0)
			known = true;
		if (!known)
		{
			seen_projects = lappend(seen_projects, p);
			names_add(&projects, p);
		}
	}
	scan_end(&rs);
	if (projects.n > 1)
		add_problem(h, psprintf("The Sqitch registry holds the changes of %d projects: %s.",
								projects.n, names_done(&projects)));

	qsort(rows, n, sizeof(SqitchRow), compare_sqitch_rows);
	for (i = 0; i < n; i++)
		add_listed(h, rows[i].change, pstrdup(rows[i].change));
}

static const Tool tools[] = {
	{
		"flyway", "Flyway", NULL, "flyway_schema_history",
		"installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time and success",
		"version", "versions", flyway_id_key, read_flyway, false,
		"Undo what the failed migrations did, run flyway repair, then import again.",
		"its version, parts joined by \".\" (V1_1__x.sql: 1.1)"
	},
	{
		"dbmate", "dbmate", NULL, "schema_migrations",
		"version (character varying, one row per applied migration)",
		"version", "versions", dbmate_id_key, read_versions, false, NULL,
		"its file name without .sql"
	},
	{
		"golang-migrate", "golang-migrate", NULL, "schema_migrations",
		"version bigint and dirty boolean (one row, the current version)",
		"version", "versions", golang_id_key, read_golang, false,
		"Repair the database by hand, record the version it is at with golang-migrate's force command, then import again.",
		"its file name without .up.sql"
	},
	{
		"diesel", "diesel", NULL, "__diesel_schema_migrations",
		"version (character varying) and run_on",
		"version", "versions", diesel_id_key, read_versions, false, NULL,
		"its directory name"
	},
	{
		"graphile-migrate", "graphile-migrate", "graphile_migrate", "migrations",
		"hash, previous_hash, filename and date (table migrations of schema graphile_migrate)",
		"file", "files", graphile_id_key, read_graphile, false, NULL,
		"its committed file name without .sql"
	},
	{
		"sqitch", "Sqitch", "sqitch", "changes",
		"change_id, script_hash, change, project, note, committed_at... (table changes of the registry schema sqitch)",
		"change", "changes", sqitch_id_key, read_sqitch, true,
		"Import a registry that holds one project: migrate_import('sqitch', 'registry.changes').",
		"its place in sqitch.plan and its name (0002_users)"
	},
};

static const Tool *
find_tool(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(tools); i++)
		if (strcmp(tools[i].name, name) == 0)
			return &tools[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown migration tool \"%s\"", name),
			 errdetail("migrate_import() reads the history of flyway, dbmate, golang-migrate, diesel, sqitch or graphile-migrate.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * Open the history table of tool (table: its name as given, NULL for the
 * tool's own), locked in AccessShareLock: it must be a plain heap table
 * the caller may read.
 */
static Relation
open_history(const Tool * tool, const char *table, History *h)
{
	RangeVar   *rv;
	Oid			relid;
	Relation	rel;
	AclResult	aclresult;
	char	   *shown;

	if (table != NULL)
	{
		rv = makeRangeVarFromNameList(stringToQualifiedNameList(table));
		shown = pstrdup(table);
	}
	else
	{
		rv = makeRangeVar(tool->schema ? pstrdup(tool->schema) : NULL,
						  pstrdup(tool->table), -1);
		shown = tool->schema ?
			psprintf("%s.%s", tool->schema, tool->table) : pstrdup(tool->table);
	}
	relid = RangeVarGetRelid(rv, AccessShareLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("history table \"%s\" of %s does not exist", shown,
						tool->display),
				 table != NULL ? 0 :
				 errdetail("%s keeps its history in table %s%s.",
						   tool->display, shown,
						   tool->schema ? "" : ", looked up on search_path"),
				 errhint("Run migrate_import() in the database that %s migrated, or name the table: migrate_import('%s', 'schema.table').",
						 tool->display, tool->name)));

	rel = relation_open(relid, NoLock);
	h->relname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											RelationGetRelationName(rel));
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relam != HEAP_TABLE_AM_OID)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not a table", h->relname),
				 errdetail("migrate_import() reads a history only from a plain table, with the server's own scans: it evaluates no view, function or other code that a role defined."),
				 errhint("Name the table itself: migrate_import('%s', 'schema.table').",
						 tool->name)));
	if (RELATION_IS_OTHER_TEMP(rel))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot read temporary tables of other sessions")));
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, RelationGetRelationName(rel));
	/* heap scans see every row: refuse rather than show what policies hide */
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot read the %s history of table %s: row-level security applies to role \"%s\"",
						tool->display, h->relname,
						GetUserNameFromId(GetUserId(), false)),
				 errdetail("migrate_import() reads the table with the server's own scans and evaluates no policy, so it would read rows that the policies hide."),
				 errhint("Run it as the owner of the table, or as a role with BYPASSRLS.")));
	return rel;
}

/* A registered migration, by the tool's version of its id */
typedef struct Keyed
{
	char	   *key;
	int			index;			/* into the catalog, in version order */
} Keyed;

static int
compare_keyed(const void *a, const void *b)
{
	const Keyed *x = (const Keyed *) a;
	const Keyed *y = (const Keyed *) b;
	int			cmp = strcmp(x->key, y->key);

	if (cmp != 0)
		return cmp;
	return x->index - y->index;
}

/* The first of keyed[0..n) with key, or -1 */
static int
find_keyed(Keyed *keyed, int n, const char *key)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(keyed[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && strcmp(keyed[lo].key, key) == 0) ? lo : -1;
}

/*
 * migrate_import_run: migrate_import(tool, history_table).  Returns how
 * many migrations were baselined.
 */
int
migrate_import_run(const char *toolname, const char *table)
{
	const		Tool *tool = find_tool(toolname);
	const MigrateCatalog *cat;
	History		h;
	Relation	rel;
	char	   *what;
	Keyed	   *keyed;
	int			nkeyed = 0;
	char	  **notes;
	bool	   *imported;
	int			last = -1;
	NameList	unknown;
	NameList	gaps;
	StringInfoData ambiguous;
	StringInfoData detail;
	StringInfoData hint;
	List	   *chosen = NIL;
	List	   *notelist = NIL;
	int			i;
	int			n;

	memset(&h, 0, sizeof(h));
	h.tool = tool;
	initStringInfo(&h.problems);
	what = psprintf("import the %s history", tool->display);

	migrate_enter("migrate_import()", true);
	cat = migrate_catalog_load(true);
	migrate_baseline_check_state(cat, "migrate_import()", what);
	migrate_validate(cat, false, false);

	rel = open_history(tool, table, &h);
	tool->read(rel, &h);
	relation_close(rel, NoLock);

	/* the registered migrations by their version for the tool */
	keyed = palloc(sizeof(Keyed) * Max(cat->n, 1));
	notes = palloc0(sizeof(char *) * Max(cat->n, 1));
	imported = palloc0(sizeof(bool) * Max(cat->n, 1));
	for (i = 0; i < cat->n; i++)
	{
		char	   *key = tool->id_key(cat->entries[i].id);

		if (key == NULL)
			continue;
		keyed[nkeyed].key = key;
		keyed[nkeyed].index = i;
		nkeyed++;
	}
	qsort(keyed, nkeyed, sizeof(Keyed), compare_keyed);

	names_init(&unknown);
	initStringInfo(&ambiguous);
	for (i = 0; i < h.n; i++)
	{
		Listed	   *l = &h.items[i];
		int			k;
		int			j;

		if (l->removed)
			continue;
		k = l->key ? find_keyed(keyed, nkeyed, l->key) : -1;
		if (k < 0)
		{
			names_add(&unknown, l->shown);
			continue;
		}
		if (tool->by_occurrence)
		{
			/* the first registered one with that key not yet taken */
			for (j = k; j < nkeyed && strcmp(keyed[j].key, l->key) == 0; j++)
				if (!imported[keyed[j].index])
					break;
			if (j == nkeyed || strcmp(keyed[j].key, l->key) != 0)
			{
				names_add(&unknown, l->shown);
				continue;
			}
			k = j;
		}
		else if (k + 1 < nkeyed && strcmp(keyed[k + 1].key, l->key) == 0)
		{
			appendStringInfo(&ambiguous, "%s%s \"%s\" is the %s of more than one registered migration: ",
							 ambiguous.len > 0 ? " " : "",
							 tool->display, l->shown, tool->noun);
			for (j = k; j < nkeyed && strcmp(keyed[j].key, l->key) == 0; j++)
				appendStringInfo(&ambiguous, "%s\"%s\"", j > k ? ", " : "",
								 cat->entries[keyed[j].index].id);
			appendStringInfoChar(&ambiguous, '.');
			continue;
		}
		imported[keyed[k].index] = true;
		notes[keyed[k].index] = psprintf("%s %s \"%s\"", tool->display,
										 tool->noun, l->shown);
	}

	/* every version up to the current one (golang-migrate, a baseline) */
	if (h.through_key != NULL)
	{
		int			k = find_keyed(keyed, nkeyed, h.through_key);

		if (h.through_registered && k < 0)
			names_add(&unknown, h.through_shown);
		else if (h.through_registered && k + 1 < nkeyed &&
				 strcmp(keyed[k + 1].key, h.through_key) == 0)
			appendStringInfo(&ambiguous, "%s%s %s \"%s\" is the %s of more than one registered migration.",
							 ambiguous.len > 0 ? " " : "",
							 tool->display, tool->noun, h.through_shown,
							 tool->noun);
		else
		{
			for (i = 0; i < nkeyed; i++)
			{
				int			index = keyed[i].index;

				if (imported[index] ||
					migrate_version_cmp(keyed[i].key, h.through_key) > 0)
					continue;
				imported[index] = true;
				notes[index] = psprintf("%s %s \"%s\", up to %s \"%s\"",
										tool->display, tool->noun,
										keyed[i].key, tool->noun,
										h.through_shown);
			}
		}
	}

	/* a gap: registered, sorts before the last imported, not imported */
	for (i = 0; i < cat->n; i++)
		if (imported[i])
			last = i;
	names_init(&gaps);
	for (i = 0; i < last; i++)
		if (!imported[i])
			names_add(&gaps, cat->entries[i].id);

	if (h.problems.len > 0 || unknown.n > 0 || ambiguous.len > 0 ||
		gaps.n > 0)
	{
		initStringInfo(&detail);
		initStringInfo(&hint);
		appendStringInfoString(&detail, h.problems.data);
		if (h.problems.len > 0 && tool->repair != NULL)
			appendStringInfoString(&hint, tool->repair);
		if (unknown.n > 0)
		{
			appendStringInfo(&detail, "%s%s %s with no registered migration: %s.",
							 detail.len > 0 ? " " : "",
							 unknown.n == 1 ? "The history lists a" : "The history lists",
							 unknown.n == 1 ? tool->noun : tool->nouns,
							 names_done(&unknown));
			appendStringInfo(&hint, "%sRegister every migration the history lists, then import again: the id of a %s migration is %s.",
							 hint.len > 0 ? " " : "",
							 tool->display, tool->id_rule);
		}
		if (ambiguous.len > 0)
		{
			appendStringInfo(&detail, "%s%s", detail.len > 0 ? " " : "",
							 ambiguous.data);
			appendStringInfo(&hint, "%sGive each registered migration a %s of its own.",
							 hint.len > 0 ? " " : "", tool->noun);
		}
		if (gaps.n > 0)
		{
			appendStringInfo(&detail, "%s%s sort%s before \"%s\", the last migration the history lists, but %s not in it: %s.",
							 detail.len > 0 ? " " : "",
							 gaps.n == 1 ? "A registered migration" : "Registered migrations",
							 gaps.n == 1 ? "s" : "",
							 cat->entries[last].id,
							 gaps.n == 1 ? "is" : "are",
							 names_done(&gaps));
			appendStringInfo(&hint, "%sApply the missing migrations with %s first, or register them again with ids that sort after \"%s\".",
							 hint.len > 0 ? " " : "", tool->display,
							 cat->entries[last].id);
		}
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot import the %s history of table %s",
						tool->display, h.relname),
				 errdetail("%s", detail.data),
				 hint.len > 0 ? errhint("%s", hint.data) : 0));
	}

	if (h.nrepeatable > 0)
		ereport(NOTICE,
				(errmsg_plural("%d repeatable migration of the %s history is not imported",
							   "%d repeatable migrations of the %s history are not imported",
							   h.nrepeatable, h.nrepeatable, tool->display),
				 errdetail("Repeatable migrations (R__ files) have no version; they are not versioned migrations.")));

	for (i = 0; i <= last; i++)
	{
		chosen = lappend_int(chosen, i);
		notelist = lappend(notelist, notes[i]);
	}
	if (chosen == NIL)
		ereport(NOTICE,
				(errmsg("the %s history of table %s lists no applied migration; nothing was baselined",
						tool->display, h.relname)));
	n = migrate_baseline_mark(cat, chosen, notelist);
	migrate_leave();
	return n;
}
