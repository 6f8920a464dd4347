/*-------------------------------------------------------------------------
 *
 * diff.c
 *	  migrate_diff(from, to) (SPEC §13): the statements that turn the
 *	  schema described by from into the schema described by to (both made
 *	  by migrate_describe_json(), in one database or in two), in the order
 *	  the dependencies they carry require.
 *
 * 1. Both descriptions are read, and the renames given applied to from
 *	  (diff_input.c, diff_rename.c).  An object of one is the same object
 *	  in the other when its key ("kind identity") is the same.
 * 2. Each object is found added, removed, changed or the same; a change
 *	  that no statement makes in place (a view whose columns change, a
 *	  function whose result type changes, an enum that loses a value)
 *	  makes the object be dropped and made again, and with it what depends
 *	  on it, and a column whose type changes has the views and policies
 *	  that read it dropped and made again around the change.
 * 3. The statements of each object are made (diff_types.c, diff_tables.c,
 *	  diff_views.c) as actions that say what they need and what they do,
 *	  and diff_order.c orders the actions.
 *
 * What cannot be diffed (aggregates, foreign tables, a change of a
 * partitioned table's key, an object another session was changing while
 * it was described...) is never silently left out: the output begins
 * with a comment naming each.
 *
 * Nothing here reads the database: the output depends on the two
 * descriptions and the options alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "describe.h"
#include "diff.h"

PG_FUNCTION_INFO_V1(migrate_diff);

/* The order actions are made in (the tie-break of their order) */
static const char *const kind_order[] = {
	"schema", "enum", "range", "domain", "type", "sequence", "function",
	"procedure", "aggregate", "table", "foreign table", "column", "default",
	"constraint", "index", "view", "materialized view", "trigger", "policy"
};


/* ---------- what changed ---------- */

/* The parts, not in the definition, that make two objects differ */
static const char *const extra_parts[] = {
	"partition_of", "of_type", "owned_by", "populated", "collation",
	"subtype_opclass", "subtype_diff", "canonical", "multirange"
};

static bool
objects_differ(DiffObject *from, DiffObject *to)
{
	int			i;

	if (strcmp(from->definition, to->definition) != 0)
		return true;
	for (i = 0; i < lengthof(extra_parts); i++)
	{
		if (strcmp(extra_parts[i], "populated") == 0)
		{
			if (diff_bool(from, "populated") != diff_bool(to, "populated"))
				return true;
		}
		else if (!diff_str_equal(diff_str(from, extra_parts[i]),
								 diff_str(to, extra_parts[i])))
			return true;
	}
	return !diff_list_equal(diff_list(from, "inherits"), diff_list(to, "inherits")) ||
		!diff_list_equal(diff_list(from, "options"), diff_list(to, "options"));
}

/* Mark o and its parts as not diffed */
static void
skip_object(DiffObject *o)
{
	ListCell   *lc;

	o->skip = true;
	if (o->twin)
		o->twin->skip = true;
	foreach(lc, o->children)
		skip_object((DiffObject *) lfirst(lc));
	if (o->column_default)
		skip_object(o->column_default);
}

static const char *
change_name(DiffObject *o)
{
	switch (o->change)
	{
		case DIFF_ADDED:
			return "added";
		case DIFF_REMOVED:
			return "removed";
		case DIFF_CHANGED:
			return "changed";
		case DIFF_SAME:
			break;
	}
	return "the same";
}

/* Objects made and dropped with another one, never on their own */
static bool
is_implicit(DiffObject *o)
{
	if (diff_is(o, "sequence") && diff_str(o, "identity_of") != NULL)
		return true;			/* with its identity column */
	if (diff_is(o, "index") && diff_str(o, "constraint") != NULL)
		return true;			/* with its constraint */
	if ((diff_is(o, "function") || diff_is(o, "procedure")) &&
		diff_str(o, "part_of") != NULL)
		return true;			/* with its range type */
	/* cloned from a parent for a partition or an inheriting table */
	return (diff_is(o, "column") || diff_is(o, "constraint") ||
			diff_is(o, "index") || diff_is(o, "trigger")) &&
		diff_bool(o, "inherited");
}

static void
match(DiffContext *ctx)
{
	ListCell   *lc;

	foreach(lc, ctx->from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);

		o->twin = diff_lookup(ctx->to, o->key);
		if (o->twin)
			o->twin->twin = o;
	}
	foreach(lc, ctx->from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);

		o->implicit = is_implicit(o);
		if (o->twin == NULL)
			o->change = DIFF_REMOVED;
		else
		{
			o->change = o->twin->change =
				objects_differ(o, o->twin) ? DIFF_CHANGED : DIFF_SAME;
		}
	}
	foreach(lc, ctx->to->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);

		o->implicit = is_implicit(o);
		if (o->twin == NULL)
			o->change = DIFF_ADDED;
	}
	/* a column's identity sequence */
	foreach(lc, list_concat(list_copy(ctx->from->objects), ctx->to->objects))
	{
		DiffObject *o = (DiffObject *) lfirst(lc);
		const char *of;
		DiffObject *column;

		if (!diff_is(o, "sequence") || (of = diff_str(o, "identity_of")) == NULL)
			continue;
		column = diff_lookup(o->side == DIFF_FROM ? ctx->from : ctx->to, of);
		if (column)
			column->identity_sequence = o;
	}
}

/* What is not diffed, and said at the top */
static void
find_skipped(DiffContext *ctx)
{
	DiffSchema *sides[2] = {ctx->from, ctx->to};
	int			side;

	for (side = 0; side < 2; side++)
	{
		ListCell   *lc;

		foreach(lc, sides[side]->objects)
		{
			DiffObject *o = (DiffObject *) lfirst(lc);
			DiffObject *t = o->twin;

			if (o->skip || (side == 1 && t != NULL))
				continue;
			if (strcmp(o->definition, MIGRATE_NOT_DESCRIBED) == 0 ||
				(t && strcmp(t->definition, MIGRATE_NOT_DESCRIBED) == 0))
			{
				diff_note(ctx, "cannot diff %s %s: another session was changing it while it was described; describe again",
						  o->kind, o->identity);
				skip_object(o);
			}
			else if (o->change == DIFF_SAME)
				continue;
			else if (diff_is(o, "aggregate"))
			{
				diff_note(ctx, "cannot diff aggregate %s (%s): aggregates are not described in full",
						  o->identity, change_name(o));
				skip_object(o);
			}
			else if (diff_is(o, "foreign table") ||
					 (o->parent && diff_is(o->parent, "foreign table")))
			{
				DiffObject *ft = diff_is(o, "foreign table") ? o : o->parent;

				if (!ft->skip)
					diff_note(ctx, "cannot diff foreign table %s (%s): foreign tables, their servers and options are not described in full",
							  ft->identity, change_name(ft));
				skip_object(ft);
			}
			else if (diff_is(o, "table") && t != NULL &&
					 !diff_str_equal(diff_str(o, "partition_by"),
									 diff_str(t, "partition_by")))
			{
				diff_note(ctx, "cannot diff table %s: its partition key changes, which needs a new table and its rows moved",
						  o->identity);
				skip_object(o);
			}
			else if (diff_is(o, "table") && t != NULL &&
					 !diff_list_equal(diff_list(o, "inherits"),
									  diff_list(t, "inherits")))
			{
				diff_note(ctx, "cannot diff table %s: the tables it inherits from change",
						  o->identity);
				skip_object(o);
			}
			else if (diff_is(o, "table") &&
					 (diff_str(o, "of_type") != NULL ||
					  (t && diff_str(t, "of_type") != NULL)))
			{
				diff_note(ctx, "cannot diff typed table %s (%s): tables made OF a type are not diffed",
						  o->identity, change_name(o));
				skip_object(o);
			}
			else if (diff_is(o, "range") &&
					 (diff_str(o, "canonical") != NULL ||
					  (t && diff_str(t, "canonical") != NULL)))
			{
				diff_note(ctx, "cannot diff range %s (%s): a range with a canonical function needs a shell type first",
						  o->identity, change_name(o));
				skip_object(o);
			}
		}
	}
}


/* ---------- what must be made again ---------- */

/* Is a view's or materialized view's change more than its attributes? */
static bool
query_changes(DiffObject *from, DiffObject *to)
{
	return !diff_str_equal(diff_str(from, "query"), diff_str(to, "query")) ||
		!diff_list_equal(diff_list(from, "options"), diff_list(to, "options"));
}

static const char *
strip_not_valid(const char *def)
{
	size_t		len = def ? strlen(def) : 0;

	if (len > 10 && strcmp(def + len - 10, " NOT VALID") == 0)
		return pnstrdup(def, len - 10);
	return def;
}

/* The changes of from (an object of the first description) in itself */
static void
own_changes(DiffContext *ctx, DiffObject *from)
{
	DiffObject *to = from->twin;

	if (to == NULL || from->change != DIFF_CHANGED || from->skip)
		return;
	if (diff_is(from, "view"))
	{
		from->replace = query_changes(from, to) &&
			!diff_view_columns_compatible(from, to);
		from->why = "its columns change, which CREATE OR REPLACE VIEW cannot do";
	}
	else if (diff_is(from, "materialized view"))
	{
		from->replace = query_changes(from, to);
		from->why = "its query changes";
	}
	else if (diff_is(from, "function") || diff_is(from, "procedure"))
	{
		from->replace =
			!diff_str_equal(diff_str(from, "arguments"), diff_str(to, "arguments")) ||
			!diff_str_equal(diff_str(from, "result"), diff_str(to, "result"));
		from->why = "its arguments or result change, which CREATE OR REPLACE cannot do";
	}
	else if (diff_is(from, "index") || diff_is(from, "trigger"))
	{
		from->replace = !diff_str_equal(diff_str(from, "def"),
										diff_str(to, "def"));
		from->why = "its definition changes";
	}
	else if (diff_is(from, "constraint"))
	{
		/* only validated: VALIDATE CONSTRAINT */
		from->replace =
			!diff_str_equal(strip_not_valid(diff_str(from, "def")),
							strip_not_valid(diff_str(to, "def"))) ||
			(diff_bool(from, "validated") && !diff_bool(to, "validated"));
		from->why = "its definition changes";
	}
	else if (diff_is(from, "policy"))
	{
		from->replace =
			!diff_str_equal(diff_str(from, "command"), diff_str(to, "command")) ||
			diff_bool(from, "permissive") != diff_bool(to, "permissive") ||
			(diff_str(from, "using") && !diff_str(to, "using")) ||
			(diff_str(from, "check") && !diff_str(to, "check"));
		from->why = "its command or kind changes, or it loses a clause, which ALTER POLICY cannot do";
	}
	else if (diff_is(from, "enum"))
	{
		List	   *fl = diff_list(from, "labels");
		List	   *tl = diff_list(to, "labels");

		if (!diff_enum_extends(fl, tl))
		{
			ListCell   *lc;
			List	   *lost = NIL;

			foreach(lc, fl)
			{
				bool		kept = false;
				ListCell   *lc2;

				foreach(lc2, tl)
					kept |= strcmp(lfirst(lc), lfirst(lc2)) == 0;
				if (!kept)
					lost = lappend(lost, quote_literal_cstr(lfirst(lc)));
			}
			if (lost != NIL && !ctx->allow_drop)
			{
				diff_note(ctx, "not written, allow_drop => true writes it: enum %s loses %s %s, which rewrites the type and every column of it",
						  from->identity,
						  list_length(lost) > 1 ? "values" : "value",
						  diff_keyword_join(lost, ", "));
				skip_object(from);
			}
			else
			{
				from->rewrite = true;
				from->loses_values = lost != NIL;
			}
		}
	}
	else if (diff_is(from, "domain"))
		from->rewrite =
			!diff_str_equal(diff_str(from, "base"), diff_str(to, "base")) ||
			!diff_str_equal(diff_str(from, "collation"), diff_str(to, "collation"));
	else if (diff_is(from, "range"))
		from->rewrite =
			!diff_str_equal(diff_str(from, "subtype"), diff_str(to, "subtype")) ||
			!diff_str_equal(diff_str(from, "subtype_opclass"), diff_str(to, "subtype_opclass")) ||
			!diff_str_equal(diff_str(from, "collation"), diff_str(to, "collation")) ||
			!diff_str_equal(diff_str(from, "subtype_diff"), diff_str(to, "subtype_diff")) ||
			!diff_str_equal(diff_str(from, "multirange"), diff_str(to, "multirange"));
	else if (diff_is(from, "column") && from->parent &&
			 diff_is(from->parent, "table"))
	{
		const char *fg = diff_str(from, "generated");
		const char *tg = diff_str(to, "generated");

		if (tg != NULL && !diff_str_equal(fg, tg))
			from->replace = true;
		else if (!diff_str_equal(diff_str(from, "type"), diff_str(to, "type")) ||
				 !diff_str_equal(diff_str(from, "collation"),
								 diff_str(to, "collation")))
			from->retype = true;
	}
}

/* Is from's dependency on x through its type (a column of type x)? */
static bool
typed_by(DiffObject *column, DiffObject *x)
{
	const char *type = diff_str(column, "type");
	size_t		len = strlen(x->identity);

	return type != NULL && strncmp(type, x->identity, len) == 0 &&
		(type[len] == '\0' || type[len] == '[');
}

/*
 * x (of the first description) is made again, or its type: mark what
 * depends on it to be made again too.  Returns the objects newly marked.
 */
static List *
mark_dependents(DiffContext *ctx, DiffObject *x)
{
	List	   *marked = NIL;
	List	   *dependents = list_copy(x->dependents);
	ListCell   *lc;

	/* what depends on its parts (a view's columns) depends on it */
	if (x->replace)
		foreach(lc, x->children)
			dependents = list_concat_unique_ptr(dependents,
												((DiffObject *) lfirst(lc))->dependents);
	foreach(lc, dependents)
	{
		DiffObject *y = (DiffObject *) lfirst(lc);
		DiffObject *target = y;

		if (y->parent == x || y->twin == NULL || y->skip ||
			diff_is(y, "sequence"))
			continue;
		if (diff_is(y, "default"))
			;
		else if (diff_is(y, "column"))
		{
			DiffObject *rel = y->parent;

			if (rel && (diff_is(rel, "view") || diff_is(rel, "materialized view")))
				target = rel;
			else if (x->retype && diff_str(y, "generated") == NULL)
				continue;		/* an index, a key: rebuilt by the server */
			else if (x->rewrite && typed_by(y, x) &&
					 rel && diff_is(rel, "table"))
			{
				if (!y->retype_via_text)
				{
					y->retype = y->retype_via_text = true;
					y->retype_loses = x->loses_values;
					marked = lappend(marked, y);
				}
				continue;
			}
			else if (diff_str(y, "generated") == NULL)
			{
				diff_note(ctx, "cannot diff column %s: it depends on %s %s, which is made again",
						  y->identity, x->kind, x->identity);
				skip_object(y);
				continue;
			}
		}
		else if (x->retype &&
				 (diff_is(y, "index") || diff_is(y, "constraint")))
			continue;			/* rebuilt by ALTER COLUMN TYPE */
		else if (diff_is(y, "index") && diff_str(y, "constraint"))
			target = diff_lookup(ctx->from, diff_str(y, "constraint"));

		if (target == NULL || target->twin == NULL || target->replace ||
			target->skip)
			continue;
		if (diff_is(target, "table") || diff_is(target, "schema"))
			continue;			/* never made again */
		target->replace = true;
		target->why = x->retype ?
			psprintf("it reads column %s, whose type changes", x->identity) :
			x->rewrite ? psprintf("it uses %s %s, which is rewritten", x->kind, x->identity) :
			psprintf("it depends on %s %s, which is made again", x->kind, x->identity);
		marked = lappend(marked, target);
	}
	/* a retyped column's default is set again after the change */
	if (x->retype && x->column_default && x->column_default->twin &&
		!x->column_default->replace)
	{
		x->column_default->replace = true;
		x->column_default->why = "its column's type changes";
		marked = lappend(marked, x->column_default);
	}
	return marked;
}

static void
propagate(DiffContext *ctx)
{
	List	   *work = NIL;
	ListCell   *lc;

	foreach(lc, ctx->from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);

		own_changes(ctx, o);
	}

	/*
	 * What changes in place (CREATE OR REPLACE, SET DEFAULT, ALTER POLICY)
	 * but depended on an object that is dropped is made again instead: the
	 * change in place would have to come both before that drop and after what
	 * takes the dropped object's place.
	 */
	foreach(lc, ctx->from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);
		ListCell   *lc2;

		if (o->change != DIFF_REMOVED || o->skip)
			continue;
		foreach(lc2, o->dependents)
		{
			DiffObject *y = (DiffObject *) lfirst(lc2);

			if (y->twin && !y->skip && y->change == DIFF_CHANGED &&
				(diff_is(y, "view") || diff_is(y, "function") ||
				 diff_is(y, "procedure") || diff_is(y, "default") ||
				 diff_is(y, "policy")))
			{
				y->replace = true;
				y->why = psprintf("it depended on %s %s, which is dropped",
								  o->kind, o->identity);
			}
		}
	}
	foreach(lc, ctx->from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);

		if ((o->replace || o->rewrite || o->retype) && !o->skip)
			work = lappend(work, o);
	}
	while (work != NIL)
	{
		DiffObject *x = (DiffObject *) linitial(work);

		work = list_delete_first(work);
		work = list_concat(work, mark_dependents(ctx, x));
	}
}


/* ---------- the actions ---------- */

typedef void (*ActionFn) (DiffContext *ctx, DiffObject *from, DiffObject *to);

static ActionFn
action_fn(DiffObject *o)
{
	if (diff_is(o, "schema"))
		return diff_schema_actions;
	if (diff_is(o, "enum") || diff_is(o, "domain") || diff_is(o, "range") ||
		diff_is(o, "type"))
		return diff_type_actions;
	if (diff_is(o, "sequence"))
		return diff_sequence_actions;
	if (diff_is(o, "function") || diff_is(o, "procedure"))
		return diff_routine_actions;
	if (diff_is(o, "table"))
		return diff_table_actions;
	if (diff_is(o, "column"))
		return diff_column_actions;
	if (diff_is(o, "default"))
		return diff_default_actions;
	if (diff_is(o, "constraint"))
		return diff_constraint_actions;
	if (diff_is(o, "index"))
		return diff_index_actions;
	if (diff_is(o, "view") || diff_is(o, "materialized view"))
		return diff_view_actions;
	if (diff_is(o, "trigger"))
		return diff_trigger_actions;
	if (diff_is(o, "policy"))
		return diff_policy_actions;
	return NULL;
}

/*
 * The order of the objects of the second description in which their
 * actions are made: the columns of a relation by position (so that those
 * added are added in that order), all else as it was (the order of keys).
 */
static int
compare_positions(const ListCell *a, const ListCell *b)
{
	DiffObject *x = (DiffObject *) lfirst(a);
	DiffObject *y = (DiffObject *) lfirst(b);
	int			cmp;

	if (diff_is(x, "column") && diff_is(y, "column") &&
		x->parent_key && y->parent_key &&
		(cmp = strcmp(x->parent_key, y->parent_key)) == 0)
	{
		int64		px = diff_int(x, "position");
		int64		py = diff_int(y, "position");

		return px < py ? -1 : px > py ? 1 : 0;
	}
	return strcmp(x->key, y->key);
}

static void
make_actions(DiffContext *ctx)
{
	int			k;

	/* drops, the dependents' kinds first */
	for (k = lengthof(kind_order) - 1; k >= 0; k--)
	{
		ListCell   *lc;

		foreach(lc, ctx->from->objects)
		{
			DiffObject *o = (DiffObject *) lfirst(lc);
			ActionFn	fn;

			if (o->skip || strcmp(o->kind, kind_order[k]) != 0 ||
				(o->change != DIFF_REMOVED && !o->replace && !o->rewrite))
				continue;
			if ((fn = action_fn(o)) != NULL)
				fn(ctx, o, NULL);
		}
	}
	/* the rest, what is depended on first; columns in order of position */
	list_sort(ctx->to->objects, compare_positions);
	for (k = 0; k < lengthof(kind_order); k++)
	{
		ListCell   *lc;

		foreach(lc, ctx->to->objects)
		{
			DiffObject *o = (DiffObject *) lfirst(lc);
			DiffObject *from = o->twin;
			ActionFn	fn;

			if (o->skip || strcmp(o->kind, kind_order[k]) != 0 ||
				(fn = action_fn(o)) == NULL)
				continue;
			if (from == NULL || from->replace || from->rewrite ||
				(o->parent && diff_created_here(o->parent)))
				fn(ctx, NULL, o);
			else if (from->change == DIFF_CHANGED || from->retype ||
					 diff_is(o, "table"))
				fn(ctx, from, o);
		}
	}
}

/*
 * An enum's new value cannot be used in the transaction that adds it: if
 * another statement of the migration uses the enum, the ADD VALUE runs on
 * its own, committed before the others.
 */
static void
enum_values_first(DiffContext *ctx)
{
	ListCell   *lc;

	foreach(lc, ctx->actions)
	{
		DiffAction *a = (DiffAction *) lfirst(lc);
		ListCell   *lc2;

		foreach(lc2, a->requires)
		{
			DiffObject *req = (DiffObject *) lfirst(lc2);
			ListCell   *lc3;

			if (!diff_is(req, "enum"))
				continue;
			foreach(lc3, req->producers)
			{
				DiffAction *p = (DiffAction *) lfirst(lc3);
				ListCell   *lc4;

				if (p == a)
					continue;
				foreach(lc4, p->statements)
				{
					DiffStatement *s = (DiffStatement *) lfirst(lc4);

					if (strstr(s->sql, " ADD VALUE ") != NULL &&
						s->transactional)
					{
						s->transactional = false;
						s->note = psprintf("%s; runs on its own: a later statement uses the type, and a value added in a transaction cannot be used in it",
										   s->note);
					}
				}
			}
		}
	}
}

/* The types of the columns of a relation, in order */
static List *
column_types(DiffObject *rel)
{
	List	   *types = NIL;
	int			pos;
	ListCell   *lc;

	for (pos = 1; pos <= list_length(rel->children); pos++)
	{
		foreach(lc, rel->children)
		{
			DiffObject *c = (DiffObject *) lfirst(lc);

			if (diff_is(c, "column") && diff_int(c, "position") == pos)
				types = lappend(types, (char *) diff_str(c, "type"));
		}
	}
	return types;
}

/*
 * Hints for what looks like a rename that was not given: a table dropped
 * and one added with columns of the same types, a column dropped and one
 * added of the same type in the same table.  Renames are never guessed:
 * the statements stay a drop and an add.
 */
static void
rename_hints(DiffContext *ctx)
{
	ListCell   *lc;

	foreach(lc, ctx->from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);
		ListCell   *lc2;

		if (o->change != DIFF_REMOVED || o->skip ||
			!(diff_is(o, "table") || diff_is(o, "column")))
			continue;
		if (diff_is(o, "column") &&
			(o->parent == NULL || o->parent->twin == NULL ||
			 !diff_is(o->parent, "table")))
			continue;
		foreach(lc2, ctx->to->objects)
		{
			DiffObject *n = (DiffObject *) lfirst(lc2);
			bool		alike;

			if (n->change != DIFF_ADDED || strcmp(n->kind, o->kind) != 0)
				continue;
			if (diff_is(o, "column"))
				alike = n->parent == o->parent->twin &&
					diff_str_equal(diff_str(o, "type"), diff_str(n, "type"));
			else
				alike = diff_list_equal(column_types(o), column_types(n));
			if (alike)
				diff_note(ctx, "%s %s is dropped and %s %s added, alike: if it is a rename, give it (%s:%s=%s)",
						  o->kind, o->identity, n->kind, n->identity,
						  o->kind, o->identity, diff_str(n, "name"));
		}
	}
}

/* The first statement, if LANGUAGE sql routines are made */
static void
function_bodies(DiffContext *ctx, List **ordered)
{
	ListCell   *lc;

	foreach(lc, ctx->actions)
	{
		DiffAction *a = (DiffAction *) lfirst(lc);
		ListCell   *lc2;

		foreach(lc2, a->statements)
		{
			DiffStatement *s = (DiffStatement *) lfirst(lc2);

			if (strncmp(s->sql, "CREATE OR REPLACE ", 18) == 0 &&
				strstr(s->sql, " LANGUAGE sql\n") != NULL &&
				strstr(s->sql, "BEGIN ATOMIC") == NULL)
			{
				DiffAction *set = palloc0(sizeof(DiffAction));

				diff_add(set, "SET check_function_bodies = false;",
						 "as pg_dump does: a LANGUAGE sql function's body may name objects made after it; it is checked when it runs");
				*ordered = lcons(set, *ordered);
				return;
			}
		}
	}
}


/* ---------- migrate_diff() ---------- */

#define DIFF_COLS 5

static void
put_row(Tuplestorestate *store, TupleDesc desc, int step, const char *sql,
		bool transactional, bool destructive, const char *note)
{
	Datum		values[DIFF_COLS];
	bool		nulls[DIFF_COLS] = {false, false, false, false, false};

	values[0] = Int32GetDatum(step);
	values[1] = CStringGetTextDatum(sql);
	values[2] = BoolGetDatum(transactional);
	values[3] = BoolGetDatum(destructive);
	if (note)
		values[4] = CStringGetTextDatum(note);
	else
		nulls[4] = true;
	tuplestore_putvalues(store, desc, values, nulls);
}

/*
 * migrate_diff(from_schema, to_schema, allow_drop, unsafe, renames)
 *		The statements that turn the schema described by from_schema into
 *		the one described by to_schema.
 */
Datum
migrate_diff(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DiffContext ctx;
	MemoryContext cxt;
	MemoryContext oldcxt;
	List	   *ordered;
	ListCell   *lc;
	int			step = 0;
	int			i;
	static const char *const argnames[] = {
		"from_schema", "to_schema", "allow_drop", "unsafe", "renames"
	};

	for (i = 0; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s of migrate_diff() must not be null",
							argnames[i])));
	InitMaterializedSRF(fcinfo, 0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate_diff",
								ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	memset(&ctx, 0, sizeof(ctx));
	ctx.allow_drop = PG_GETARG_BOOL(2);
	ctx.unsafe = PG_GETARG_BOOL(3);
	ctx.slots = diff_map_create("migrate diff names");
	ctx.from = diff_read(PG_GETARG_JSONB_P(0), DIFF_FROM, "from_schema");
	ctx.to = diff_read(PG_GETARG_JSONB_P(1), DIFF_TO, "to_schema");
	diff_link(ctx.from);
	diff_link(ctx.to);
	diff_apply_renames(&ctx, PG_GETARG_ARRAYTYPE_P(4));

	match(&ctx);
	find_skipped(&ctx);
	propagate(&ctx);
	diff_rename_actions(&ctx);
	make_actions(&ctx);
	enum_values_first(&ctx);
	rename_hints(&ctx);
	ordered = diff_order(&ctx);
	function_bodies(&ctx, &ordered);

	MemoryContextSwitchTo(oldcxt);
	foreach(lc, ctx.notes)
		put_row(rsinfo->setResult, rsinfo->setDesc, ++step,
				psprintf("-- %s", (char *) lfirst(lc)), true, false, NULL);
	foreach(lc, ordered)
	{
		DiffAction *a = (DiffAction *) lfirst(lc);
		ListCell   *lc2;

		foreach(lc2, a->statements)
		{
			DiffStatement *s = (DiffStatement *) lfirst(lc2);

			put_row(rsinfo->setResult, rsinfo->setDesc, ++step, s->sql,
					s->transactional, s->destructive, s->note);
		}
	}
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
