/*-------------------------------------------------------------------------
 *
 * diff_tables.c
 *	  The statements of tables and their parts (SPEC §13): columns and
 *	  their defaults, constraints, indexes, triggers, policies, row-level
 *	  security.
 *
 * Safe by default, on a table that exists already (unless unsafe):
 *
 * - an index is built with CREATE INDEX CONCURRENTLY, dropped with DROP
 *	 INDEX CONCURRENTLY (statements that cannot run in a transaction
 *	 block: transactional false), a primary key or unique constraint
 *	 takes such an index (ADD CONSTRAINT ... USING INDEX);
 * - a foreign key or check is added NOT VALID, then validated by a
 *	 statement of its own, which scans under a lock that lets writes go on;
 * - SET NOT NULL comes after a CHECK (column IS NOT NULL) so validated,
 *	 so that it does not scan, and the check is dropped after;
 * - a new column with a volatile default is added without it, then the
 *	 default is set and the existing rows filled by an UPDATE, so that the
 *	 table is not rewritten under ACCESS EXCLUSIVE.
 *
 * The second step of each (VALIDATE, the UPDATE) is marked to run on its
 * own (transactional false): its lock is weaker than that of the step
 * before, which a transaction holding both would keep.  A statement that
 * destroys data (dropping a table or a column, a type change that may
 * narrow) is written only with allow_drop, and is marked destructive.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/formatting.h"

#include "diff.h"

/* ---------- types ---------- */

/*
 * What a type change does to the values, as the data-loss guard judges it
 * (analyze.c): a conversion it cannot tell keeps every value destroys
 * data, and so is destructive here too, or a generated migration would be
 * refused by the guard without data_loss_ok.
 */
typedef enum TypeChange
{
	TYPE_NARROWS,				/* or not known to keep every value */
	TYPE_WIDENS,				/* keeps every value, rewrites */
	TYPE_COERCIBLE				/* keeps every value, no rewrite */
} TypeChange;

/* The name of a type and its modifier: "numeric(10,2)" -> numeric, 10, 2 */
static char *
type_parts(const char *type, int *mod1, int *mod2)
{
	const char *paren = strchr(type, '(');
	char	   *name;

	*mod1 = *mod2 = -1;
	if (paren == NULL)
		return pstrdup(type);
	name = pnstrdup(type, paren - type);
	if (sscanf(paren, "(%d,%d)", mod1, mod2) < 1)
		*mod1 = -1;
	/* "timestamp(3) with time zone": the rest of the name */
	if (strchr(paren, ')') && strchr(paren, ')')[1] != '\0')
		name = psprintf("%s%s", name, strchr(paren, ')') + 1);
	return name;
}

static int
int_rank(const char *name)
{
	if (strcmp(name, "smallint") == 0)
		return 1;
	if (strcmp(name, "integer") == 0)
		return 2;
	if (strcmp(name, "bigint") == 0)
		return 3;
	return 0;
}

static TypeChange
type_change(const char *from, const char *to)
{
	int			f1,
				f2,
				t1,
				t2;
	char	   *fname = type_parts(from, &f1, &f2);
	char	   *tname = type_parts(to, &t1, &t2);
	bool		fstr = strcmp(fname, "character varying") == 0 ||
	strcmp(fname, "text") == 0;

	if (strcmp(tname, "text") == 0)
		return fstr ? TYPE_COERCIBLE : TYPE_WIDENS;
	if (strcmp(tname, "character varying") == 0 && fstr)
	{
		if (t1 < 0)
			return TYPE_COERCIBLE;
		if (strcmp(fname, "character varying") == 0 && f1 >= 0 && f1 <= t1)
			return TYPE_COERCIBLE;
		return TYPE_NARROWS;
	}
	if (strcmp(fname, "numeric") == 0 && strcmp(tname, "numeric") == 0)
	{
		if (t1 < 0)
			return TYPE_COERCIBLE;
		if (f1 < 0)
			return TYPE_NARROWS;
		if (f2 < 0)
			f2 = 0;
		if (t2 < 0)
			t2 = 0;
		if (t2 == f2 && t1 >= f1)
			return TYPE_COERCIBLE;
		if (t2 >= f2 && t1 - t2 >= f1 - f2)
			return TYPE_WIDENS;
		return TYPE_NARROWS;
	}
	if ((strncmp(fname, "timestamp", 9) == 0 || strncmp(fname, "time ", 5) == 0 ||
		 strcmp(fname, "interval") == 0) && strcmp(fname, tname) == 0)
		return t1 < 0 || (f1 >= 0 && f1 <= t1) ? TYPE_COERCIBLE : TYPE_NARROWS;
	if (int_rank(fname) && int_rank(tname))
		return int_rank(tname) >= int_rank(fname) ? TYPE_WIDENS : TYPE_NARROWS;
	if (int_rank(fname) && strcmp(tname, "numeric") == 0 && t1 < 0)
		return TYPE_WIDENS;
	if ((int_rank(fname) == 1 || int_rank(fname) == 2 ||
		 strcmp(fname, "real") == 0) && strcmp(tname, "double precision") == 0)
		return TYPE_WIDENS;
	if ((strcmp(fname, "date") == 0 &&
		 (strcmp(tname, "timestamp without time zone") == 0 ||
		  strcmp(tname, "timestamp with time zone") == 0)) ||
		(strcmp(fname, "timestamp without time zone") == 0 &&
		 strcmp(tname, "timestamp with time zone") == 0) ||
		(strcmp(fname, "time without time zone") == 0 &&
		 strcmp(tname, "time with time zone") == 0))
		return TYPE_WIDENS;
	return TYPE_NARROWS;
}

/* Does a column of type from keep every value as type to? */
bool
diff_type_widens(const char *from, const char *to)
{
	return type_change(from, to) != TYPE_NARROWS;
}


/* ---------- pieces ---------- */

static const char *
rel_of(DiffObject *part)
{
	return diff_relation_name(part);
}

/*
 * DROP TRIGGER or DROP POLICY (the word diff_object_word() gives) name ON
 * its table, unless the table goes and takes it along
 */
static void
drop_part_on(DiffContext *ctx, DiffObject *from)
{
	DiffAction *a;

	if (diff_parent_goes(from))
		return;
	a = diff_action(ctx, 0);
	diff_add(a, psprintf("DROP %s %s ON %s;", diff_object_word(from),
						 diff_str(from, "name"), rel_of(from)),
			 diff_why(from, NULL));
	diff_drops(ctx, a, from);
}

static int64
type_max(const char *type)
{
	if (strcmp(type, "smallint") == 0)
		return PG_INT16_MAX;
	if (strcmp(type, "integer") == 0)
		return PG_INT32_MAX;
	return PG_INT64_MAX;
}

static int64
type_min(const char *type)
{
	if (strcmp(type, "smallint") == 0)
		return PG_INT16_MIN;
	if (strcmp(type, "integer") == 0)
		return PG_INT32_MIN;
	return PG_INT64_MIN;
}

/*
 * The options of an identity column's sequence that are not the defaults,
 * as GENERATED ... AS IDENTITY (...) takes them; "" if none.
 */
static char *
identity_options(DiffObject *column)
{
	DiffObject *seq = column->identity_sequence;
	StringInfoData buf;
	const char *type;
	int64		inc,
				min,
				max;
	char	   *table;
	char	   *default_name;

	if (seq == NULL)
		return "";
	type = diff_str(column, "type");
	inc = diff_int(seq, "increment");
	min = inc > 0 ? 1 : type_min(type);
	max = inc > 0 ? type_max(type) : -1;
	initStringInfo(&buf);
	table = diff_unquote(diff_str(column->parent, "name"));
	default_name = psprintf("%s_%s_seq", table,
							diff_unquote(diff_str(column, "name")));
	if (strcmp(diff_unquote(diff_str(seq, "name")), default_name) != 0 ||
		!diff_str_equal(diff_str(seq, "schema"), diff_str(column->parent, "schema")))
		appendStringInfo(&buf, " SEQUENCE NAME %s", seq->identity);
	if (inc != 1)
		appendStringInfo(&buf, " INCREMENT BY " INT64_FORMAT, inc);
	if (diff_int(seq, "min") != min)
		appendStringInfo(&buf, " MINVALUE " INT64_FORMAT, diff_int(seq, "min"));
	if (diff_int(seq, "max") != max)
		appendStringInfo(&buf, " MAXVALUE " INT64_FORMAT, diff_int(seq, "max"));
	if (diff_int(seq, "start") != (inc > 0 ? diff_int(seq, "min") : diff_int(seq, "max")))
		appendStringInfo(&buf, " START WITH " INT64_FORMAT, diff_int(seq, "start"));
	if (diff_int(seq, "cache") != 1)
		appendStringInfo(&buf, " CACHE " INT64_FORMAT, diff_int(seq, "cache"));
	if (diff_bool(seq, "cycle"))
		appendStringInfoString(&buf, " CYCLE");
	return buf.len > 0 ? psprintf(" (%s)", buf.data + 1) : "";
}

static const char *
identity_sql(DiffObject *column)
{
	const char *identity = diff_str(column, "identity_kind");

	if (identity == NULL)
		return "";
	return psprintf(" GENERATED %s AS IDENTITY%s",
					strcmp(identity, "always") == 0 ? "ALWAYS" : "BY DEFAULT",
					identity_options(column));
}

/* A column as CREATE TABLE and ADD COLUMN write it */
char *
diff_column_sql(DiffContext *ctx, DiffObject *c, bool with_default)
{
	const char *generated = diff_str(c, "generated");
	const char *deflt = diff_str(c, "default");

	return psprintf("%s%s%s%s%s", diff_attribute_sql(c),
					generated ? psprintf(" GENERATED ALWAYS AS (%s) STORED", generated) : "",
					identity_sql(c),
					with_default && deflt ? psprintf(" DEFAULT %s", deflt) : "",
					diff_bool(c, "not_null") && diff_str(c, "identity_kind") == NULL ?
					" NOT NULL" : "");
}

/* A name for a constraint of the migration's own, on column c */
static char *
own_constraint_name(DiffObject *c, const char *suffix)
{
	return diff_name_with_suffix(quote_identifier(psprintf("%s_%s",
														   diff_unquote(diff_str(c->parent, "name")),
														   diff_unquote(diff_str(c, "name")))),
								 suffix);
}

/* SET NOT NULL on column c of an existing table */
static void
set_not_null(DiffContext *ctx, DiffAction *a, DiffObject *c)
{
	const char *rel = rel_of(c);
	const char *name = diff_str(c, "name");
	DiffStatement *s;
	char	   *check;

	if (ctx->unsafe)
	{
		diff_add(a, psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;", rel,
							 name),
				 "scans the table under ACCESS EXCLUSIVE");
		return;
	}
	check = own_constraint_name(c, "_not_null");
	diff_add(a, psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;",
						 rel, check, name),
			 "no scan: rows written from now on are checked");
	s = diff_add(a, psprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", rel, check),
				 "checks the existing rows under SHARE UPDATE EXCLUSIVE: reads and writes go on (runs on its own)");
	s->transactional = false;
	diff_add(a, psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;", rel, name),
			 "uses the validated check: no scan");
	diff_add(a, psprintf("ALTER TABLE %s DROP CONSTRAINT %s;", rel, check), NULL);
}


/* ---------- tables ---------- */

static bool
inline_constraint(DiffObject *con)
{
	const char *type = diff_str(con, "type");

	return !con->implicit && diff_bool(con, "validated") && type != NULL &&
		strchr("pucx", type[0]) != NULL;
}

static void
row_security(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a = NULL;
	const char *rel = to->identity;
	bool		frls = from ? diff_bool(from, "row_security") : false;
	bool		fforce = from ? diff_bool(from, "force_row_security") : false;
	bool		trls = diff_bool(to, "row_security");
	bool		tforce = diff_bool(to, "force_row_security");

	if (frls != trls || fforce != tforce)
	{
		a = diff_action(ctx, 1);
		diff_requires(a, to);
	}
	if (frls != trls)
		diff_add(a, psprintf("ALTER TABLE %s %s ROW LEVEL SECURITY;", rel,
							 trls ? "ENABLE" : "DISABLE"), NULL);
	if (fforce != tforce)
		diff_add(a, psprintf("ALTER TABLE %s %sFORCE ROW LEVEL SECURITY;", rel,
							 tforce ? "" : "NO "), NULL);
}

/*
 * A table made to inherit from parent (or as its partition) takes its
 * parent's checks as they are then, NOT VALID ones as valid.  The checks
 * its own copy of which is valid are made before it; those it has NOT
 * VALID, after it (add_constraint()).
 */
static void
require_checks(DiffContext *ctx, DiffAction *a, DiffObject *parent,
			   DiffObject *child)
{
	ListCell   *lc;

	foreach(lc, parent->children)
	{
		DiffObject *con = (DiffObject *) lfirst(lc);
		const char *type = diff_is(con, "constraint") ? diff_str(con, "type") : NULL;
		DiffObject *copy;

		if (type == NULL || type[0] != 'c')
			continue;
		copy = diff_lookup2(ctx->to, "constraint",
							psprintf("%s.%s", child->identity, diff_str(con, "name")));
		if (copy == NULL || diff_bool(copy, "validated"))
			diff_requires(a, con);
	}
}

/*
 * The tables that inherit a NOT VALID check of their parent's as NOT
 * VALID: made before it
 */
static void
require_heirs(DiffContext *ctx, DiffAction *a, DiffObject *con)
{
	ListCell   *lc;

	foreach(lc, ctx->to->objects)
	{
		DiffObject *copy = (DiffObject *) lfirst(lc);
		DiffObject *heir = copy->parent;

		if (!diff_is(copy, "constraint") || !copy->implicit || heir == NULL ||
			diff_bool(copy, "validated") ||
			!diff_str_equal(diff_str(copy, "name"), diff_str(con, "name")))
			continue;
		if (diff_str_equal(diff_str(heir, "partition_of"), con->parent_key) ||
			diff_list_has(diff_list(heir, "inherits"), con->parent_key))
			diff_requires(a, heir);
	}
}

static void
create_table(DiffContext *ctx, DiffObject *to)
{
	DiffAction *a = diff_action(ctx, 1);
	const char *partition_of = diff_str(to, "partition_of");
	const char *partition_by = diff_str(to, "partition_by");
	List	   *parts = NIL;
	List	   *inherits = NIL;
	List	   *adjust = NIL;
	StringInfoData buf;
	ListCell   *lc;

	foreach(lc, diff_columns(to))
	{
		DiffObject *c = (DiffObject *) lfirst(lc);

		diff_produces(a, c);
		diff_produces(a, c->identity_sequence);
		if (c->implicit || partition_of)
		{
			/* from the parent: its default and NOT NULL, unless its own */
			DiffObject *parent_table = diff_lookup(ctx->to, partition_of ? partition_of :
												   (char *) linitial(diff_list(to, "inherits")));
			DiffObject *pc = parent_table ?
			diff_lookup2(ctx->to, "column", psprintf("%s.%s", parent_table->identity,
													 diff_str(c, "name"))) : NULL;

			diff_produces(a, c->column_default);
			if (pc && !diff_str_equal(diff_str(pc, "default"), diff_str(c, "default")))
				adjust = lappend(adjust,
								 diff_str(c, "default") ?
								 psprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;",
										  to->identity, diff_str(c, "name"),
										  diff_str(c, "default")) :
								 psprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;",
										  to->identity, diff_str(c, "name")));
			if (pc && diff_bool(c, "not_null") && !diff_bool(pc, "not_null"))
				adjust = lappend(adjust,
								 psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;",
										  to->identity, diff_str(c, "name")));
			if (c->column_default)
				diff_requires_depends(ctx, a, to, c->column_default->depends);
			continue;
		}
		parts = lappend(parts, psprintf("    %s", diff_column_sql(ctx, c, true)));
		diff_produces(a, c->column_default);
		diff_requires_depends(ctx, a, to, c->depends);
		if (c->column_default)
			diff_requires_depends(ctx, a, to, c->column_default->depends);
	}
	foreach(lc, to->children)
	{
		DiffObject *con = (DiffObject *) lfirst(lc);

		if (!diff_is(con, "constraint") || !inline_constraint(con))
			continue;
		parts = lappend(parts, psprintf("    CONSTRAINT %s %s", diff_str(con, "name"),
										diff_str(con, "def")));
		diff_produces(a, con);
		if (diff_str(con, "index"))
		{
			DiffObject *idx = diff_lookup(ctx->to, diff_str(con, "index"));

			diff_produces(a, idx);
			if (idx)
				diff_takes(a, diff_slot(idx, idx->identity));
		}
		diff_requires_depends(ctx, a, to, con->depends);
	}
	foreach(lc, diff_list(to, "inherits"))
	{
		DiffObject *p = diff_lookup(ctx->to, (char *) lfirst(lc));

		if (p)
		{
			inherits = lappend(inherits, p->identity);
			diff_requires(a, p);
			require_checks(ctx, a, p, to);
		}
	}

	initStringInfo(&buf);
	if (partition_of)
	{
		DiffObject *parent = diff_lookup(ctx->to, partition_of);

		diff_requires(a, parent);
		if (parent)
			require_checks(ctx, a, parent, to);
		appendStringInfo(&buf, "CREATE TABLE %s PARTITION OF %s", to->identity,
						 parent ? parent->identity : partition_of);
		if (parts)
			appendStringInfo(&buf, " (\n%s\n)", diff_keyword_join(parts, ",\n"));
		appendStringInfo(&buf, " %s", diff_str(to, "bound"));
	}
	else
		appendStringInfo(&buf, "CREATE %sTABLE %s (\n%s\n)%s",
						 diff_bool(to, "unlogged") ? "UNLOGGED " : "",
						 to->identity, diff_keyword_join(parts, ",\n"),
						 inherits ? psprintf(" INHERITS (%s)",
											 diff_keyword_join(inherits, ", ")) : "");
	if (partition_by)
		appendStringInfo(&buf, " PARTITION BY %s", partition_by);
	appendStringInfo(&buf, "%s;", diff_with_options(to));
	diff_add(a, buf.data, NULL);
	diff_requires_depends(ctx, a, to, to->depends);
	diff_produces(a, to);
	diff_takes(a, diff_slot(to, to->identity));

	if (adjust)
	{
		DiffAction *b = diff_action(ctx, 1);

		diff_requires(b, to);
		foreach(lc, adjust)
			diff_add(b, (char *) lfirst(lc), NULL);
	}
	diff_attributes(ctx, NULL, to);
	row_security(ctx, NULL, to);
}

/*
 * Does dropped table from reach target through the foreign keys of
 * dropped tables?
 */
static bool
reaches(DiffContext *ctx, DiffObject *from, DiffObject *target, List **seen)
{
	ListCell   *lc;

	if (list_member_ptr(*seen, from))
		return false;
	*seen = lappend(*seen, from);
	foreach(lc, from->children)
	{
		DiffObject *fk = (DiffObject *) lfirst(lc);
		const char *refs = diff_str(fk, "references");
		DiffObject *ref;

		if (!diff_is(fk, "constraint") || refs == NULL)
			continue;
		ref = diff_lookup(ctx->from, refs);
		if (ref == NULL || ref->change != DIFF_REMOVED)
			continue;
		if (ref == target || reaches(ctx, ref, target, seen))
			return true;
	}
	return false;
}

static void
drop_table(DiffContext *ctx, DiffObject *from)
{
	DiffAction *a;
	ListCell   *lc;
	char	   *sql = psprintf("DROP TABLE %s;", from->identity);

	/*
	 * Dropped tables that reference each other: the foreign keys between them
	 * are dropped first, or no DROP TABLE could come first.
	 */
	foreach(lc, from->children)
	{
		DiffObject *fk = (DiffObject *) lfirst(lc);
		const char *refs = diff_str(fk, "references");
		DiffObject *ref;
		List	   *seen = NIL;

		if (!diff_is(fk, "constraint") || refs == NULL || fk->implicit)
			continue;
		ref = diff_lookup(ctx->from, refs);
		if (ref == NULL || ref == from || ref->change != DIFF_REMOVED ||
			!reaches(ctx, ref, from, &seen))
			continue;
		a = diff_action(ctx, 0);
		diff_add(a, psprintf("ALTER TABLE %s DROP CONSTRAINT %s;", from->identity,
							 diff_str(fk, "name")),
				 "the tables dropped reference each other");
		diff_drops(ctx, a, fk);
	}
	a = diff_action(ctx, 0);
	diff_add_destructive(ctx, a, sql, "destroys its rows");
	diff_drops(ctx, a, from);
}

/* A note when the columns will not end in the desired order */
static void
column_order(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	List	   *result = NIL;
	List	   *wanted = NIL;
	ListCell   *lc;

	foreach(lc, diff_columns(from))
	{
		DiffObject *c = (DiffObject *) lfirst(lc);

		if (c->twin && !c->replace)
			result = lappend(result, (char *) diff_str(c->twin, "name"));
	}
	foreach(lc, diff_columns(to))
	{
		DiffObject *c = (DiffObject *) lfirst(lc);

		wanted = lappend(wanted, (char *) diff_str(c, "name"));
		if (c->twin == NULL || c->twin->replace)
			result = lappend(result, (char *) diff_str(c, "name"));
	}
	if (!diff_list_equal(result, wanted))
		diff_note(ctx, "column order: table %s will have its columns in the order (%s), the desired schema has (%s): PostgreSQL adds a column at the end",
				  to->identity, diff_keyword_join(result, ", "),
				  diff_keyword_join(wanted, ", "));
}

/* The "name=value" options of list whose name is not in names */
static List *
options_missing(List *list, List *names)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, list)
	{
		char	   *opt = (char *) lfirst(lc);
		char	   *eq = strchr(opt, '=');
		char	   *name = eq ? pnstrdup(opt, eq - opt) : opt;
		bool		found = false;
		ListCell   *lc2;

		foreach(lc2, names)
		{
			char	   *other = (char *) lfirst(lc2);
			char	   *oeq = strchr(other, '=');

			found |= strlen(name) == (oeq ? oeq - other : strlen(other)) &&
				strncmp(name, other, strlen(name)) == 0;
		}
		if (!found)
			result = lappend(result, name);
	}
	return result;
}

static void
alter_table(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	const char *rel = to->identity;
	List	   *set = NIL;
	List	   *reset;
	ListCell   *lc;
	DiffAction *a;

	column_order(ctx, from, to);
	if (diff_bool(from, "unlogged") != diff_bool(to, "unlogged"))
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("ALTER TABLE %s SET %s;", rel,
							 diff_bool(to, "unlogged") ? "UNLOGGED" : "LOGGED"),
				 "rewrites the table under ACCESS EXCLUSIVE");
		diff_produces(a, to);
	}
	foreach(lc, diff_list(to, "options"))
	{
		ListCell   *lc2;
		bool		found = false;

		foreach(lc2, diff_list(from, "options"))
			found |= strcmp(lfirst(lc), lfirst(lc2)) == 0;
		if (!found)
			set = lappend(set, lfirst(lc));
	}
	reset = options_missing(diff_list(from, "options"), diff_list(to, "options"));
	if (set || reset)
	{
		a = diff_action(ctx, 1);
		if (reset)
			diff_add(a, psprintf("ALTER TABLE %s RESET (%s);", rel,
								 diff_keyword_join(reset, ", ")), NULL);
		if (set)
			diff_add(a, psprintf("ALTER TABLE %s SET (%s);", rel,
								 diff_keyword_join(set, ", ")), NULL);
		diff_produces(a, to);
	}
	if (!diff_str_equal(diff_str(from, "partition_of"), diff_str(to, "partition_of")) ||
		!diff_str_equal(diff_str(from, "bound"), diff_str(to, "bound")))
	{
		DiffObject *old = diff_str(from, "partition_of") ?
		diff_lookup(ctx->from, diff_str(from, "partition_of")) : NULL;
		DiffObject *new = diff_str(to, "partition_of") ?
		diff_lookup(ctx->to, diff_str(to, "partition_of")) : NULL;
		DiffAction *detach = NULL;

		if (old)
		{
			detach = diff_action(ctx, 0);
			diff_add(detach, psprintf("ALTER TABLE %s DETACH PARTITION %s;",
									  old->identity, rel), NULL);
			diff_releases(detach, from);
		}
		if (new)
		{
			a = diff_action(ctx, 1);
			diff_add(a, psprintf("ALTER TABLE %s ATTACH PARTITION %s %s;",
								 new->identity, rel, diff_str(to, "bound")),
					 "scans the table to check its bound, unless a CHECK constraint says as much");
			diff_requires(a, new);
			diff_produces(a, to);
			diff_after(a, detach);
		}
	}
	diff_attributes(ctx, from, to);
	row_security(ctx, from, to);
}

void
diff_table_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	if (from == NULL)
		create_table(ctx, to);
	else if (to == NULL)
		drop_table(ctx, from);
	else
		alter_table(ctx, from, to);
}


/* ---------- columns ---------- */

static void
add_column(DiffContext *ctx, DiffObject *to)
{
	DiffAction *a = diff_action(ctx, 1);
	const char *rel = rel_of(to);
	const char *name = diff_str(to, "name");
	const char *deflt = diff_str(to, "default");
	const char *note = NULL;

	/* the columns added to a table, in the order of their positions */
	diff_after(a, to->parent->last_added);
	to->parent->last_added = a;

	diff_requires(a, to->parent);
	diff_requires_depends(ctx, a, to, to->depends);
	diff_produces(a, to);
	diff_produces(a, to->identity_sequence);
	if (to->column_default)
	{
		diff_requires_depends(ctx, a, to, to->column_default->depends);
		diff_produces(a, to->column_default);
	}
	if (!ctx->unsafe && deflt && diff_bool(to, "default_volatile") &&
		diff_str(to, "identity_kind") == NULL && diff_str(to, "generated") == NULL)
	{
		DiffStatement *s;

		diff_add(a, psprintf("ALTER TABLE %s ADD COLUMN %s;", rel,
							 diff_attribute_sql(to)),
				 "without its volatile default, which would rewrite the table under ACCESS EXCLUSIVE");
		diff_add(a, psprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;", rel,
							 name, deflt),
				 "rows inserted from now on get the default");
		s = diff_add(a, psprintf("UPDATE %s SET %s = DEFAULT WHERE %s IS NULL;", rel,
								 name, name),
					 "fills the existing rows under row locks: reads and writes go on (runs on its own)");
		s->transactional = false;
		if (diff_bool(to, "not_null"))
			set_not_null(ctx, a, to);
		return;
	}
	if (diff_str(to, "identity_kind"))
		note = "rewrites the table under ACCESS EXCLUSIVE: every row gets a value";
	else if (diff_str(to, "generated"))
		note = "rewrites the table under ACCESS EXCLUSIVE: every row's value is computed";
	else if (deflt && diff_bool(to, "default_volatile"))
		note = "rewrites the table under ACCESS EXCLUSIVE (a volatile default)";
	else if (diff_bool(to, "not_null") && deflt == NULL)
		note = "fails if the table has rows: NOT NULL without a default has no value to give them";
	diff_add(a, psprintf("ALTER TABLE %s ADD COLUMN %s;", rel,
						 diff_column_sql(ctx, to, true)), note);
}

static void
drop_column(DiffContext *ctx, DiffObject *from)
{
	DiffAction *a = diff_action(ctx, 0);
	char	   *sql = psprintf("ALTER TABLE %s DROP COLUMN %s;", rel_of(from),
							   diff_str(from, "name"));
	DiffStatement *s;

	if (from->replace)
	{
		s = diff_add(a, sql, "its generation changes: the column is added again below and its values computed again");
		s->destructive = true;
	}
	else
		diff_add_destructive(ctx, a, sql, "destroys the column's values");
	diff_drops(ctx, a, from);
}

static void
alter_column(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	const char *rel = rel_of(to);
	const char *name = diff_str(to, "name");
	const char *fi = diff_str(from, "identity_kind");
	const char *ti = diff_str(to, "identity_kind");
	DiffAction *prev = NULL;
	DiffAction *a;

	if (from->retype)
	{
		const char *type = diff_str(to, "type");
		bool		type_changes = !diff_str_equal(diff_str(from, "type"), type);
		TypeChange	change = type_change(diff_str(from, "type"), type);
		const char *using = "";
		const char *note;
		char	   *sql;
		bool		destructive;
		DiffStatement *s;

		if (from->retype_via_text)
			using = psprintf(" USING %s::text%s::%s", name,
							 strchr(type, '[') ? "[]" : "", type);
		else if (type_changes && change == TYPE_NARROWS)
			using = psprintf(" USING %s::%s", name, type);
		/* through text: the guard cannot tell that it keeps every value */
		destructive = from->retype_via_text ||
			(type_changes && change == TYPE_NARROWS);
		if (from->retype_via_text)
			note = from->retype_loses ?
				"its type is rewritten without some values: rows that hold one make it fail; rewrites the table under ACCESS EXCLUSIVE" :
				"its type is rewritten: every value is kept, but converted through text, which the data-loss guard counts as destroying; rewrites the table under ACCESS EXCLUSIVE";
		else if (!type_changes || change == TYPE_COERCIBLE)
			note = type_changes ? "no rewrite: the new type takes every value as it is" :
				"the collation changes: rebuilds the column's indexes under ACCESS EXCLUSIVE";
		else if (change == TYPE_WIDENS)
			note = "rewrites the table and its indexes under ACCESS EXCLUSIVE";
		else
			note = "may not keep every value (narrower or another type): rewrites the table under ACCESS EXCLUSIVE, and fails on a value it cannot convert";
		sql = psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s%s%s;", rel, name,
					   type, diff_collate_sql(to), using);
		a = diff_action(ctx, 1);
		/* via text: always written, its type's rewrite (diff.c) needs it */
		if (destructive && !ctx->allow_drop && !from->retype_via_text)
			s = diff_add_skipped(a, sql, note);
		else
			s = diff_add(a, sql, note);
		s->destructive = destructive;
		diff_requires(a, to->parent);
		diff_requires_depends(ctx, a, to, to->depends);
		diff_produces(a, to);
		diff_releases(a, from);
		diff_clears(a, from);
		prev = a;
	}
	if (diff_str(from, "generated") && diff_str(to, "generated") == NULL)
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION;", rel,
							 name),
				 "the values stay, no longer computed");
		diff_produces(a, to);
		diff_releases(a, from);
		diff_after(a, prev);
		prev = a;
	}
	if (!diff_bool(from, "not_null") && diff_bool(to, "not_null"))
	{
		a = diff_action(ctx, 1);
		set_not_null(ctx, a, to);
		diff_produces(a, to);
		diff_after(a, prev);
		prev = a;
	}
	else if (diff_bool(from, "not_null") && !diff_bool(to, "not_null"))
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL;", rel,
							 name), NULL);
		diff_produces(a, to);
		diff_clears(a, from);
		diff_after(a, prev);
		prev = a;
	}
	if (!diff_str_equal(fi, ti))
	{
		a = diff_action(ctx, 1);
		if (fi == NULL)
		{
			diff_add(a, psprintf("ALTER TABLE %s ALTER COLUMN %s ADD%s;", rel, name,
								 identity_sql(to)),
					 "the existing rows keep their values");
			diff_produces(a, to->identity_sequence);
		}
		else if (ti == NULL)
		{
			char	   *sql = psprintf("ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY;",
									   rel, name);

			diff_add_destructive(ctx, a, sql, "drops its sequence, and the sequence's state");
			diff_releases(a, from);
			if (from->identity_sequence)
				diff_drops(ctx, a, from->identity_sequence);
		}
		else
			diff_add(a, psprintf("ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s;",
								 rel, name,
								 strcmp(ti, "always") == 0 ? "ALWAYS" : "BY DEFAULT"),
					 NULL);
		diff_produces(a, to);
		diff_after(a, prev);
	}
}

/* An attribute of a composite type */
static void
type_column(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;
	DiffObject *o = to ? to : from;
	const char *type = rel_of(o);

	if (from == NULL)
	{
		if (!diff_created_here(to->parent))
		{
			a = diff_action(ctx, 1);
			diff_add(a, psprintf("ALTER TYPE %s ADD ATTRIBUTE %s;", type,
								 diff_attribute_sql(to)),
					 NULL);
			diff_requires(a, to->parent);
			diff_requires_depends(ctx, a, to, to->depends);
			diff_produces(a, to);
		}
		diff_attributes(ctx, NULL, to);
	}
	else if (to == NULL)
	{
		char	   *sql;
		bool		used = false;
		ListCell   *lc;

		if (diff_parent_goes(from))
			return;
		foreach(lc, from->parent->dependents)
			used |= diff_is((DiffObject *) lfirst(lc), "column");
		sql = psprintf("ALTER TYPE %s DROP ATTRIBUTE %s;", type,
					   diff_str(from, "name"));
		a = diff_action(ctx, 0);
		if (used)
			diff_add_destructive(ctx, a, sql, "destroys that part of the values of the columns of the type");
		else
			diff_add(a, sql, NULL);
		diff_drops(ctx, a, from);
	}
	else
	{
		if (!diff_str_equal(diff_str(from, "type"), diff_str(to, "type")) ||
			!diff_str_equal(diff_str(from, "collation"), diff_str(to, "collation")))
		{
			a = diff_action(ctx, 1);
			diff_add(a, psprintf("ALTER TYPE %s ALTER ATTRIBUTE %s TYPE %s%s;", type,
								 diff_str(to, "name"), diff_str(to, "type"),
								 diff_collate_sql(to)),
					 NULL);
			diff_requires_depends(ctx, a, to, to->depends);
			diff_produces(a, to);
			diff_releases(a, from);
		}
		diff_attributes(ctx, from, to);
	}
}

void
diff_column_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffObject *o = to ? to : from;
	DiffObject *rel = o->parent;

	if (rel == NULL)
		return;
	if (diff_is(rel, "type"))
	{
		type_column(ctx, from, to);
		return;
	}
	if (!diff_is(rel, "table"))
	{
		/* a view's: made with it; its comment and privileges */
		if (to)
			diff_attributes(ctx, diff_created_here(to) ? NULL : from, to);
		return;
	}
	if (from == NULL)
	{
		if (to->implicit)
			return;
		if (!diff_created_here(rel) && (to->twin == NULL || to->twin->replace))
			add_column(ctx, to);
		diff_attributes(ctx, NULL, to);
		return;
	}
	if (to == NULL)
	{
		if (!diff_parent_goes(from) && !from->implicit)
			drop_column(ctx, from);
		return;
	}
	alter_column(ctx, from, to);
	diff_attributes(ctx, from, to);
}


/* ---------- defaults ---------- */

void
diff_default_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffObject *o = to ? to : from;
	DiffObject *column = o->parent;
	const char *word;
	DiffAction *a;

	if (column == NULL || column->parent == NULL)
		return;
	word = diff_is(column->parent, "view") ? "VIEW" : "TABLE";
	if (from == NULL)
	{
		/* a column made here is made with its default */
		if (diff_created_here(column))
			return;
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("ALTER %s %s ALTER COLUMN %s SET DEFAULT %s;", word,
							 rel_of(column), diff_str(column, "name"),
							 diff_str(to, "default")), NULL);
		diff_requires(a, column);
		diff_requires_depends(ctx, a, to, to->depends);
		diff_produces(a, to);
		return;
	}
	if (to == NULL)
	{
		if (diff_goes(column) || diff_parent_goes(column))
			return;
		a = diff_action(ctx, 0);
		diff_add(a, psprintf("ALTER %s %s ALTER COLUMN %s DROP DEFAULT;", word,
							 rel_of(column), diff_str(column, "name")),
				 diff_why(from, NULL));
		diff_drops(ctx, a, from);
		return;
	}
	a = diff_action(ctx, 1);
	diff_add(a, psprintf("ALTER %s %s ALTER COLUMN %s SET DEFAULT %s;", word,
						 rel_of(column), diff_str(column, "name"),
						 diff_str(to, "default")), NULL);
	diff_requires_depends(ctx, a, to, to->depends);
	diff_produces(a, to);
	diff_releases(a, from);
}


/* ---------- constraints ---------- */

static bool
on_domain(DiffObject *con)
{
	return con->parent_key != NULL && strncmp(con->parent_key, "domain ", 7) == 0;
}

/* "CREATE [UNIQUE] INDEX name ..." with CONCURRENTLY */
static char *
concurrently(const char *def)
{
	const char *p = strstr(def, "INDEX ");

	if (p == NULL)
		return pstrdup(def);
	p += strlen("INDEX ");
	return psprintf("%.*sCONCURRENTLY %s", (int) (p - def), def, p);
}

static void
add_constraint(DiffContext *ctx, DiffObject *to)
{
	bool		domain = on_domain(to);
	const char *cmd = domain ? "ALTER DOMAIN" : "ALTER TABLE";
	const char *rel = rel_of(to);
	const char *name = diff_str(to, "name");
	const char *def = diff_str(to, "def");
	char		type = diff_str(to, "type")[0];
	bool		existing = !diff_created_here(to->parent);
	DiffObject *idx = diff_str(to, "index") ?
	diff_lookup(ctx->to, diff_str(to, "index")) : NULL;
	DiffAction *a = diff_action(ctx, 1);
	DiffStatement *s;

	diff_requires(a, to->parent);
	diff_requires_depends(ctx, a, to, to->depends);
	diff_produces(a, to);
	diff_produces(a, idx);
	diff_takes(a, diff_slot(to, to->identity));
	if (idx)
		diff_takes(a, diff_slot(idx, idx->identity));

	if (!diff_bool(to, "validated"))
	{
		diff_add(a, psprintf("%s %s ADD CONSTRAINT %s %s;", cmd, rel, name, def),
				 "not validated, as in the desired schema");
		if (!domain)
			require_heirs(ctx, a, to);
	}
	else if (existing && !ctx->unsafe && (type == 'f' || type == 'c'))
	{
		diff_add(a, psprintf("%s %s ADD CONSTRAINT %s %s NOT VALID;", cmd, rel, name,
							 def),
				 type == 'f' ?
				 "no scan: rows written from now on are checked; a brief SHARE ROW EXCLUSIVE lock on both tables" :
				 "no scan: rows written from now on are checked");
		s = diff_add(a, psprintf("%s %s VALIDATE CONSTRAINT %s;", cmd, rel, name),
					 domain ? "checks the existing values (runs on its own)" :
					 "checks the existing rows under SHARE UPDATE EXCLUSIVE: reads and writes go on (runs on its own)");
		s->transactional = false;
	}
	else if (existing && !ctx->unsafe && (type == 'p' || type == 'u') && idx &&
			 !diff_bool(idx, "partitioned"))
	{
		const char *using = "";

		if (strstr(def, " DEFERRABLE") && strstr(def, " INITIALLY DEFERRED"))
			using = " DEFERRABLE INITIALLY DEFERRED";
		else if (strstr(def, " DEFERRABLE") && !strstr(def, " NOT DEFERRABLE"))
			using = " DEFERRABLE";
		s = diff_add(a, psprintf("%s;", concurrently(diff_str(idx, "def"))),
					 "builds the index without blocking writes (cannot run in a transaction block)");
		s->transactional = false;
		diff_add(a, psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s%s;",
							 rel, name, type == 'p' ? "PRIMARY KEY" : "UNIQUE",
							 diff_str(idx, "name"), using),
				 type == 'p' ?
				 "takes the index built: a brief ACCESS EXCLUSIVE lock (its columns are NOT NULL already, or are scanned)" :
				 "takes the index built: a brief ACCESS EXCLUSIVE lock");
	}
	else
		diff_add(a, psprintf("%s %s ADD CONSTRAINT %s %s;", cmd, rel, name, def),
				 !existing ? NULL :
				 (type == 'p' || type == 'u' || type == 'x') ?
				 "builds its index under ACCESS EXCLUSIVE" :
				 "scans the table under a lock that blocks writes");
}

void
diff_constraint_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;

	if ((to && to->implicit) || (from && from->implicit))
		return;
	if (from == NULL)
	{
		if (on_domain(to) || !diff_created_here(to->parent) ||
			!inline_constraint(to))
			add_constraint(ctx, to);
		diff_attributes(ctx, NULL, to);
		return;
	}
	if (to == NULL)
	{
		DiffObject *idx;

		if (diff_parent_goes(from))
			return;
		a = diff_action(ctx, 0);
		diff_add(a, psprintf("%s %s DROP CONSTRAINT %s;",
							 on_domain(from) ? "ALTER DOMAIN" : "ALTER TABLE",
							 rel_of(from), diff_str(from, "name")),
				 diff_why(from, NULL));
		diff_drops(ctx, a, from);
		if (diff_str(from, "index") &&
			(idx = diff_lookup(ctx->from, diff_str(from, "index"))) != NULL)
		{
			diff_drops(ctx, a, idx);
		}
		return;
	}
	if (!diff_bool(from, "validated") && diff_bool(to, "validated"))
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("%s %s VALIDATE CONSTRAINT %s;",
							 on_domain(to) ? "ALTER DOMAIN" : "ALTER TABLE",
							 rel_of(to), diff_str(to, "name")),
				 "checks the existing rows under SHARE UPDATE EXCLUSIVE: reads and writes go on");
		diff_produces(a, to);
	}
	diff_attributes(ctx, from, to);
}


/* ---------- indexes ---------- */

void
diff_index_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;
	DiffStatement *s;

	if ((to && diff_bool(to, "inherited")) || (from && diff_bool(from, "inherited")))
		return;
	if ((to && to->implicit) || (from && from->implicit))
	{
		/* a constraint's: its comment */
		if (to)
		{
			DiffObject *con = diff_lookup(ctx->to, diff_str(to, "constraint"));

			diff_attributes(ctx, con && diff_created_here(con) ? NULL : from, to);
		}
		return;
	}
	if (from == NULL)
	{
		bool		existing = !diff_created_here(to->parent);
		const char *def = diff_str(to, "def");
		const char *only = strstr(def, " ON ONLY ");

		/*
		 * An index of a partitioned table reads ON ONLY (its partitions'
		 * indexes are attached to it one by one): made without ONLY, it is
		 * made on every partition too.
		 */
		if (only != NULL)
			def = psprintf("%.*s ON %s", (int) (only - def), def,
						   only + strlen(" ON ONLY "));

		a = diff_action(ctx, 1);
		if (existing && diff_bool(to, "partitioned"))
			diff_add(a, psprintf("%s;", def),
					 "an index on a partitioned table cannot be built concurrently: each partition's is built under SHARE lock, which blocks writes");
		else if (existing && !ctx->unsafe)
		{
			s = diff_add(a, psprintf("%s;", concurrently(def)),
						 "builds the index without blocking writes (cannot run in a transaction block)");
			s->transactional = false;
		}
		else
			diff_add(a, psprintf("%s;", def),
					 existing ? "blocks writes to the table while it builds (SHARE lock)" : NULL);
		diff_creates(ctx, a, to);
		diff_attributes(ctx, NULL, to);
		return;
	}
	if (to == NULL)
	{
		if (diff_parent_goes(from))
			return;
		a = diff_action(ctx, 0);
		if (!ctx->unsafe && !diff_bool(from, "partitioned"))
		{
			s = diff_add(a, psprintf("DROP INDEX CONCURRENTLY %s;", from->identity),
						 diff_why(from, "does not block reads or writes (cannot run in a transaction block)"));
			s->transactional = false;
		}
		else
			diff_add(a, psprintf("DROP INDEX %s;", from->identity),
					 diff_why(from, NULL));
		diff_drops(ctx, a, from);
		return;
	}
	diff_attributes(ctx, from, to);
}


/* ---------- triggers ---------- */

static const char *
trigger_state_sql(DiffObject *to)
{
	const char *state = diff_str(to, "enabled");

	switch (state ? state[0] : 'O')
	{
		case 'D':
			return "DISABLE TRIGGER";
		case 'R':
			return "ENABLE REPLICA TRIGGER";
		case 'A':
			return "ENABLE ALWAYS TRIGGER";
	}
	return "ENABLE TRIGGER";
}

void
diff_trigger_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;
	const char *state = to ? diff_str(to, "enabled") : NULL;

	if ((to && to->implicit) || (from && from->implicit))
		return;
	if (from == NULL)
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("%s;", diff_str(to, "def")), NULL);
		if (state && state[0] != 'O')
			diff_add(a, psprintf("ALTER TABLE %s %s %s;", rel_of(to),
								 trigger_state_sql(to), diff_str(to, "name")), NULL);
		diff_creates(ctx, a, to);
		diff_attributes(ctx, NULL, to);
		return;
	}
	if (to == NULL)
	{
		drop_part_on(ctx, from);
		return;
	}
	if (!diff_str_equal(diff_str(from, "enabled"), state))
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("ALTER TABLE %s %s %s;", rel_of(to),
							 trigger_state_sql(to), diff_str(to, "name")), NULL);
		diff_produces(a, to);
	}
	diff_attributes(ctx, from, to);
}


/* ---------- policies ---------- */

static char *
policy_roles(DiffObject *o)
{
	List	   *roles = diff_list(o, "roles");

	return roles ? diff_keyword_join(roles, ", ") : "public";
}

void
diff_policy_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;

	if (from == NULL)
	{
		const char *qual = diff_str(to, "using");
		const char *check = diff_str(to, "check");

		a = diff_action(ctx, 1);
		diff_add(a, psprintf("CREATE POLICY %s ON %s AS %s FOR %s TO %s%s%s%s%s;",
							 diff_str(to, "name"), rel_of(to),
							 diff_bool(to, "permissive") ? "PERMISSIVE" : "RESTRICTIVE",
							 asc_toupper(diff_str(to, "command"),
										 strlen(diff_str(to, "command"))),
							 policy_roles(to),
							 qual ? " USING (" : "", qual ? qual : "",
							 qual ? ")" : "",
							 check ? psprintf(" WITH CHECK (%s)", check) : ""),
				 NULL);
		diff_creates(ctx, a, to);
		diff_attributes(ctx, NULL, to);
		return;
	}
	if (to == NULL)
	{
		drop_part_on(ctx, from);
		return;
	}
	{
		StringInfoData buf;
		const char *qual = diff_str(to, "using");
		const char *check = diff_str(to, "check");

		initStringInfo(&buf);
		if (!diff_list_equal(diff_list(from, "roles"), diff_list(to, "roles")))
			appendStringInfo(&buf, " TO %s", policy_roles(to));
		if (!diff_str_equal(diff_str(from, "using"), qual) && qual)
			appendStringInfo(&buf, " USING (%s)", qual);
		if (!diff_str_equal(diff_str(from, "check"), check) && check)
			appendStringInfo(&buf, " WITH CHECK (%s)", check);
		if (buf.len > 0)
		{
			a = diff_action(ctx, 1);
			diff_add(a, psprintf("ALTER POLICY %s ON %s%s;", diff_str(to, "name"),
								 rel_of(to), buf.data), NULL);
			diff_requires_depends(ctx, a, to, to->depends);
			diff_produces(a, to);
			diff_releases(a, from);
		}
	}
	diff_attributes(ctx, from, to);
}
