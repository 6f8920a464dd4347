/*-------------------------------------------------------------------------
 *
 * diff_types.c
 *	  The statements of schemas, types (enums, domains, ranges, composite
 *	  types), sequences and routines (SPEC §13).
 *
 * Each function is called with (NULL, to) for an object to make, (from,
 * NULL) for one to drop, and (from, to) for one changed in place; an
 * object made again gets both of the first two.
 *
 * A type that cannot be changed in place (an enum that loses or reorders
 * values, a domain whose base type changes, a range) is rewritten: the
 * old one is renamed away, the new one made under its name, every column
 * of it changed to the new one through text, and the old one dropped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "diff.h"

/* ---------- schemas ---------- */

void
diff_schema_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;

	if (from == NULL)
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("CREATE SCHEMA %s;", to->identity), NULL);
		diff_produces(a, to);
		diff_takes(a, diff_slot(to, to->identity));
		diff_attributes(ctx, NULL, to);
	}
	else if (to == NULL)
	{
		a = diff_action(ctx, 0);
		diff_add(a, psprintf("DROP SCHEMA %s;", from->identity), NULL);
		diff_drops(ctx, a, from);
	}
	else
		diff_attributes(ctx, from, to);
}


/* ---------- types ---------- */

/*
 * Is the list of values from the start of to, with values added in
 * between?  Then ADD VALUE makes to from from.
 */
bool
diff_enum_extends(List *from, List *to)
{
	ListCell   *lt = list_head(to);
	ListCell   *lf;

	foreach(lf, from)
	{
		while (lt != NULL && strcmp(lfirst(lt), lfirst(lf)) != 0)
			lt = lnext(to, lt);
		if (lt == NULL)
			return false;
		lt = lnext(to, lt);
	}
	return true;
}

static const char *
type_word(DiffObject *o)
{
	return diff_is(o, "domain") ? "DOMAIN" : "TYPE";
}


static void
create_type(DiffContext *ctx, DiffObject *to)
{
	DiffAction *a = diff_action(ctx, 1);
	ListCell   *lc;

	if (diff_is(to, "enum"))
	{
		List	   *labels = NIL;

		foreach(lc, diff_list(to, "labels"))
			labels = lappend(labels, quote_literal_cstr(lfirst(lc)));
		diff_add(a, psprintf("CREATE TYPE %s AS ENUM (%s);", to->identity,
							 diff_keyword_join(labels, ", ")), NULL);
	}
	else if (diff_is(to, "domain"))
	{
		const char *deflt = diff_str(to, "default");

		diff_add(a, psprintf("CREATE DOMAIN %s AS %s%s%s%s%s;", to->identity,
							 diff_str(to, "base"), diff_collate_sql(to),
							 deflt ? " DEFAULT " : "", deflt ? deflt : "",
							 diff_bool(to, "not_null") ? " NOT NULL" : ""),
				 NULL);
	}
	else if (diff_is(to, "range"))
	{
		StringInfoData buf;
		const char *s;

		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE TYPE %s AS RANGE (SUBTYPE = %s",
						 to->identity, diff_str(to, "subtype"));
		if ((s = diff_str(to, "subtype_opclass")) != NULL)
			appendStringInfo(&buf, ", SUBTYPE_OPCLASS = %s", s);
		if ((s = diff_str(to, "collation")) != NULL)
			appendStringInfo(&buf, ", COLLATION = %s", s);
		if ((s = diff_str(to, "subtype_diff")) != NULL)
			appendStringInfo(&buf, ", SUBTYPE_DIFF = %s", s);
		if ((s = diff_str(to, "multirange")) != NULL)
		{
			appendStringInfo(&buf, ", MULTIRANGE_TYPE_NAME = %s", s);
			diff_takes(a, psprintf("relation %s", s));
		}
		appendStringInfoString(&buf, ");");
		diff_add(a, buf.data, NULL);
		/* and its constructors */
		foreach(lc, to->dependents)
		{
			DiffObject *f = (DiffObject *) lfirst(lc);

			if (f->implicit && diff_str_equal(diff_str(f, "part_of"), to->key))
				diff_produces(a, f);
		}
	}
	else
	{
		List	   *attrs = NIL;

		foreach(lc, diff_columns(to))
		{
			DiffObject *c = (DiffObject *) lfirst(lc);

			attrs = lappend(attrs, diff_attribute_sql(c));
			diff_produces(a, c);
			diff_requires_depends(ctx, a, to, c->depends);
		}
		diff_add(a, psprintf("CREATE TYPE %s AS (%s);", to->identity,
							 diff_keyword_join(attrs, ", ")), NULL);
	}
	diff_requires_depends(ctx, a, to, to->depends);
	diff_produces(a, to);
	diff_takes(a, diff_slot(to, to->identity));
	diff_attributes(ctx, NULL, to);
}

/* A rewritten type's old name, while its columns are changed */
static char *
old_name(DiffObject *o)
{
	return diff_name_with_suffix(diff_str(o, "name"), "_migrate_old");
}

static void
drop_type(DiffContext *ctx, DiffObject *from)
{
	DiffAction *a;

	if (from->rewrite)
	{
		DiffAction *rename = diff_action(ctx, 1);
		const char *multi = diff_str(from, "multirange");
		char	   *old = old_name(from);

		diff_add(rename, psprintf("ALTER %s %s RENAME TO %s;", type_word(from),
								  from->identity, old),
				 "the type is rewritten: its new version takes its name, its columns are changed to it, then the old one is dropped");
		diff_frees(ctx, rename, diff_slot(from, from->orig_identity));
		if (multi)
		{
			const char *dot = strrchr(multi, '.');

			diff_add(rename, psprintf("ALTER TYPE %s RENAME TO %s;", multi,
									  diff_name_with_suffix(dot ? dot + 1 : multi,
															"_migrate_old")),
					 NULL);
			diff_frees(ctx, rename, psprintf("relation %s", multi));
		}
		diff_releases(rename, from);
		a = diff_action(ctx, 0);
		diff_add(a, psprintf("DROP %s %s.%s;", type_word(from),
							 diff_str(from, "schema"), old),
				 "the old version of the rewritten type");
		diff_after(a, rename);
		diff_drops(ctx, a, from);
		return;
	}
	a = diff_action(ctx, 0);
	diff_add(a, psprintf("DROP %s %s;", type_word(from), from->identity), NULL);
	diff_drops(ctx, a, from);
}

static void
alter_enum(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	List	   *current = list_copy(diff_list(from, "labels"));
	List	   *labels = diff_list(to, "labels");
	DiffAction *a = NULL;
	int			i = 0;
	ListCell   *lc;

	foreach(lc, labels)
	{
		const char *label = lfirst(lc);
		const char *where = "";
		int			j;

		i++;
		if (diff_list_has(current, label))
			continue;
		/* before the next value that exists, or after the one before */
		for (j = i; j < list_length(labels); j++)
		{
			if (diff_list_has(current, list_nth(labels, j)))
			{
				where = psprintf(" BEFORE %s",
								 quote_literal_cstr(list_nth(labels, j)));
				break;
			}
		}
		if (*where == '\0' && i > 1)
			where = psprintf(" AFTER %s",
							 quote_literal_cstr(list_nth(labels, i - 2)));
		current = lappend(current, (char *) label);
		if (a == NULL)
		{
			a = diff_action(ctx, 1);
			diff_produces(a, to);
		}
		diff_add(a, psprintf("ALTER TYPE %s ADD VALUE %s%s;", to->identity,
							 quote_literal_cstr(label), where),
				 "adds a value: neither the type nor its columns are rewritten");
	}
}

static void
alter_domain(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	const char *deflt = diff_str(to, "default");
	DiffAction *a = NULL;

	if (!diff_str_equal(diff_str(from, "default"), deflt))
	{
		a = diff_action(ctx, 1);
		diff_produces(a, to);
		diff_releases(a, from);
		diff_requires_depends(ctx, a, to, to->depends);
		diff_add(a, deflt ?
				 psprintf("ALTER DOMAIN %s SET DEFAULT %s;", to->identity, deflt) :
				 psprintf("ALTER DOMAIN %s DROP DEFAULT;", to->identity), NULL);
	}
	if (diff_bool(from, "not_null") != diff_bool(to, "not_null"))
	{
		if (a == NULL)
		{
			a = diff_action(ctx, 1);
			diff_produces(a, to);
		}
		if (diff_bool(to, "not_null"))
			diff_add(a, psprintf("ALTER DOMAIN %s SET NOT NULL;", to->identity),
					 "checks every column of the domain for nulls");
		else
			diff_add(a, psprintf("ALTER DOMAIN %s DROP NOT NULL;", to->identity),
					 NULL);
	}
}

void
diff_type_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	if (from == NULL)
		create_type(ctx, to);
	else if (to == NULL)
		drop_type(ctx, from);
	else
	{
		if (diff_is(to, "enum"))
			alter_enum(ctx, from, to);
		else if (diff_is(to, "domain"))
			alter_domain(ctx, from, to);
		diff_attributes(ctx, from, to);
	}
}


/* ---------- sequences ---------- */

static const char *
cycle_sql(DiffObject *o)
{
	return diff_bool(o, "cycle") ? " CYCLE" : " NO CYCLE";
}

/* The identity of a column key ("column s.t.c") */
static const char *
key_identity(const char *key)
{
	return key + strlen("column ");
}

void
diff_sequence_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;

	if (from == NULL)
	{
		if (diff_str(to, "identity_of") == NULL)
		{
			a = diff_action(ctx, 1);
			diff_add(a, psprintf("CREATE SEQUENCE %s AS %s INCREMENT BY " INT64_FORMAT
								 " MINVALUE " INT64_FORMAT " MAXVALUE " INT64_FORMAT
								 " START WITH " INT64_FORMAT " CACHE " INT64_FORMAT "%s;",
								 to->identity, diff_str(to, "type"),
								 diff_int(to, "increment"), diff_int(to, "min"),
								 diff_int(to, "max"), diff_int(to, "start"),
								 diff_int(to, "cache"), cycle_sql(to)), NULL);
			diff_requires_depends(ctx, a, to, to->depends);
			diff_produces(a, to);
			diff_takes(a, diff_slot(to, to->identity));
			if (diff_str(to, "owned_by"))
			{
				a = diff_action(ctx, 1);
				diff_add(a, psprintf("ALTER SEQUENCE %s OWNED BY %s;",
									 to->identity,
									 key_identity(diff_str(to, "owned_by"))),
						 NULL);
				diff_requires(a, to);
				diff_requires(a, diff_lookup(ctx->to, diff_str(to, "owned_by")));
			}
		}
		diff_attributes(ctx, NULL, to);
		return;
	}
	if (to == NULL)
	{
		const char *of = diff_str(from, "identity_of");
		const char *owner = diff_str(from, "owned_by");
		DiffObject *column = NULL;

		if (of)
			column = diff_lookup(ctx->from, of);
		else if (owner)
			column = diff_lookup(ctx->from, owner);
		/* an identity sequence goes with its column (or its identity) */
		if (of)
		{
			if (column && column->dropper)
				diff_drops(ctx, column->dropper, from);
			return;
		}
		/* so does a sequence owned by a column that goes */
		if (column && (diff_goes(column) || diff_parent_goes(column)) &&
			column->dropper)
		{
			diff_drops(ctx, column->dropper, from);
			return;
		}
		a = diff_action(ctx, 0);
		diff_add_destructive(ctx, a, psprintf("DROP SEQUENCE %s;", from->identity),
							 "destroys the sequence's state (its last value)");
		diff_drops(ctx, a, from);
		return;
	}

	/* changed in place */
	{
		StringInfoData buf;

		initStringInfo(&buf);
		if (!diff_str_equal(diff_str(from, "type"), diff_str(to, "type")) &&
			diff_str(to, "identity_of") == NULL)
			appendStringInfo(&buf, " AS %s", diff_str(to, "type"));
		if (diff_int(from, "increment") != diff_int(to, "increment"))
			appendStringInfo(&buf, " INCREMENT BY " INT64_FORMAT,
							 diff_int(to, "increment"));
		if (diff_int(from, "min") != diff_int(to, "min"))
			appendStringInfo(&buf, " MINVALUE " INT64_FORMAT, diff_int(to, "min"));
		if (diff_int(from, "max") != diff_int(to, "max"))
			appendStringInfo(&buf, " MAXVALUE " INT64_FORMAT, diff_int(to, "max"));
		if (diff_int(from, "start") != diff_int(to, "start"))
			appendStringInfo(&buf, " START WITH " INT64_FORMAT,
							 diff_int(to, "start"));
		if (diff_int(from, "cache") != diff_int(to, "cache"))
			appendStringInfo(&buf, " CACHE " INT64_FORMAT, diff_int(to, "cache"));
		if (diff_bool(from, "cycle") != diff_bool(to, "cycle"))
			appendStringInfoString(&buf, cycle_sql(to));
		if (buf.len > 0)
		{
			a = diff_action(ctx, 1);
			diff_add(a, psprintf("ALTER SEQUENCE %s%s;", to->identity, buf.data),
					 NULL);
			diff_produces(a, to);
		}
	}
	if (!diff_str_equal(diff_str(from, "owned_by"), diff_str(to, "owned_by")))
	{
		const char *owner = diff_str(to, "owned_by");

		a = diff_action(ctx, 1);
		diff_add(a, psprintf("ALTER SEQUENCE %s OWNED BY %s;", to->identity,
							 owner ? key_identity(owner) : "NONE"), NULL);
		diff_requires(a, owner ? diff_lookup(ctx->to, owner) : NULL);
		diff_releases(a, from);
	}
	diff_attributes(ctx, from, to);
}


/* ---------- functions and procedures ---------- */

void
diff_routine_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;

	/* a range's constructor: made and dropped with it */
	if ((from && from->implicit) || (to && to->implicit))
		return;

	if (to == NULL)
	{
		a = diff_action(ctx, 0);
		diff_add(a, psprintf("DROP %s %s;", diff_object_word(from),
							 from->identity), diff_why(from, NULL));
		diff_drops(ctx, a, from);
		return;
	}
	if (from == NULL ||
		!diff_str_equal(diff_str(from, "create"), diff_str(to, "create")))
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("%s;", diff_strip_semicolon(diff_str(to, "create"))),
				 from ? "replaces the body; what uses the routine stays" : NULL);
		diff_requires_depends(ctx, a, to, to->depends);
		diff_produces(a, to);
		if (from)
			diff_releases(a, from);
		else
			diff_takes(a, diff_slot(to, to->identity));
	}
	diff_attributes(ctx, from, to);
}
