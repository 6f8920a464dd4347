/*-------------------------------------------------------------------------
 *
 * diff_actions.c
 *	  Actions: the statements that make, change or drop one object (or one
 *	  part of it), with what they need and what they do, from which
 *	  diff_order.c orders them:
 *
 *	  requires  objects of the second description that must exist, as they
 *				will be, before it runs (made or changed by their producers)
 *	  produces  objects of the second description it makes or changes
 *	  drops		objects of the first description it drops, with all that
 *				goes with them: whatever depended on them must be dropped
 *				or changed before
 *	  releases	objects of the first description that, after it, no
 *				longer depend on what they used to
 *	  clears	objects of the first description whose dependents that are
 *				dropped or changed must be so before it (a column whose
 *				type changes: the views that read it)
 *	  frees, takes
 *				names: an object that takes a name comes after the one
 *				that frees it
 *
 *	  and the owner, privileges and comment of an object, its attributes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "diff.h"

DiffAction *
diff_action(DiffContext *ctx, int rank)
{
	DiffAction *a = palloc0(sizeof(DiffAction));

	a->id = list_length(ctx->actions);
	a->rank = rank;
	ctx->actions = lappend(ctx->actions, a);
	return a;
}

/* Add a statement (transactional, not destructive until told otherwise) */
DiffStatement *
diff_add(DiffAction *a, const char *sql, const char *note)
{
	DiffStatement *s = palloc0(sizeof(DiffStatement));

	s->sql = pstrdup(sql);
	s->transactional = true;
	s->note = note ? pstrdup(note) : NULL;
	a->statements = lappend(a->statements, s);
	return s;
}

/*
 * A statement that destroys data and is not allowed to: written as a
 * comment, so that the migration shows what it leaves out.
 */
DiffStatement *
diff_add_skipped(DiffAction *a, const char *sql, const char *why)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "-- not written, allow_drop => true writes it: ");
	for (p = sql; *p; p++)
	{
		appendStringInfoChar(&buf, *p);
		if (*p == '\n')
			appendStringInfoString(&buf, "-- ");
	}
	return diff_add(a, buf.data, why);
}

/*
 * A statement that destroys data: written if allow_drop allows it, as a
 * comment (diff_add_skipped()) otherwise, and marked destructive either way.
 */
DiffStatement *
diff_add_destructive(DiffContext *ctx, DiffAction *a, const char *sql,
					 const char *note)
{
	DiffStatement *s;

	if (ctx->allow_drop)
		s = diff_add(a, sql, note);
	else
		s = diff_add_skipped(a, sql, note);
	s->destructive = true;
	return s;
}

static List *
append_unique(List *list, void *item)
{
	return list_append_unique_ptr(list, item);
}

void
diff_requires(DiffAction *a, DiffObject *to)
{
	if (to != NULL)
		a->requires = append_unique(a->requires, to);
}

/* Require the objects of the second description that keys name */
void
diff_requires_depends(DiffContext *ctx, DiffAction *a, DiffObject *to,
					  List *keys)
{
	ListCell   *lc;

	foreach(lc, keys)
	{
		DiffObject *ref = diff_lookup(ctx->to, (char *) lfirst(lc));

		if (ref != NULL && ref != to)
			diff_requires(a, ref);
	}
}

void
diff_produces(DiffAction *a, DiffObject *to)
{
	if (to == NULL)
		return;
	a->produces = append_unique(a->produces, to);
	to->producers = append_unique(to->producers, a);
}

/*
 * a drops from, and with it its parts (their dropper is a too), and frees
 * their names (but those of a rewritten type, which its rename freed)
 */
void
diff_drops(DiffContext *ctx, DiffAction *a, DiffObject *from)
{
	ListCell   *lc;

	if (from == NULL)
		return;
	a->drops = append_unique(a->drops, from);
	from->dropper = a;
	diff_after(a, from->rename_action);
	if (!from->rewrite && !(from->parent && from->parent->rewrite))
		diff_frees(ctx, a, diff_slot(from, from->identity));
	foreach(lc, from->children)
	{
		DiffObject *child = (DiffObject *) lfirst(lc);

		if (child->dropper == NULL)
			diff_drops(ctx, a, child);
	}
	if (from->column_default && from->column_default->dropper == NULL)
		diff_drops(ctx, a, from->column_default);
}

void
diff_releases(DiffAction *a, DiffObject *from)
{
	if (from == NULL)
		return;
	a->releases = append_unique(a->releases, from);
	from->releasers = append_unique(from->releasers, a);
	diff_after(a, from->rename_action);
}

void
diff_clears(DiffAction *a, DiffObject *from)
{
	if (from == NULL)
		return;
	a->clears = append_unique(a->clears, from);
	diff_after(a, from->rename_action);
}

void
diff_frees(DiffContext *ctx, DiffAction *a, const char *slot)
{
	a->frees = lappend(a->frees, pstrdup(slot));
	diff_map_put(ctx->slots, (char *) llast(a->frees), a);
}

void
diff_takes(DiffAction *a, const char *slot)
{
	a->takes = lappend(a->takes, pstrdup(slot));
}

void
diff_after(DiffAction *a, DiffAction *before)
{
	if (before != NULL && before != a)
		a->after = lappend(a->after, before);
}

/*
 * The name an object takes, in the namespace it shares with others:
 * relations, indexes and types (a table has a row type of its name) share
 * one per schema, routines one, constraints one per table.
 */
char *
diff_slot(DiffObject *o, const char *identity)
{
	if (diff_is_relation(o) || diff_is(o, "index") || diff_is(o, "enum") ||
		diff_is(o, "domain") || diff_is(o, "range") || diff_is(o, "type"))
		return psprintf("relation %s", identity);
	if (diff_is(o, "function") || diff_is(o, "procedure") ||
		diff_is(o, "aggregate"))
		return psprintf("routine %s", identity);
	return psprintf("%s %s", o->kind, identity);
}

void
diff_note(DiffContext *ctx, const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	ctx->notes = lappend(ctx->notes, buf.data);
}

/*
 * Is an object of the second description made by this migration (new, or
 * dropped and made again), or part of one that is?
 */
bool
diff_created_here(DiffObject *to)
{
	if (to == NULL)
		return false;
	if (to->change == DIFF_ADDED || (to->twin && to->twin->replace))
		return true;
	return to->parent != NULL && diff_created_here(to->parent);
}

/* Is an object of the first description dropped (and made again or not)? */
bool
diff_goes(DiffObject *from)
{
	return from != NULL &&
		(from->change == DIFF_REMOVED || from->replace || from->rewrite);
}

/* The note of the drop of an object made again, or otherwise */
const char *
diff_why(DiffObject *from, const char *otherwise)
{
	if (from->replace || from->rewrite)
		return psprintf("made again below: %s",
						from->why ? from->why : "it changes in a way no statement makes in place");
	return otherwise;
}

/* Does the object a part of the first description belongs to go? */
bool
diff_parent_goes(DiffObject *from)
{
	return from->parent != NULL &&
		(diff_goes(from->parent) || diff_parent_goes(from->parent));
}

/* Does this kind of object have an owner of its own? */
static bool
has_owner(DiffObject *o)
{
	if (diff_is(o, "sequence") &&
		(diff_str(o, "owned_by") != NULL || diff_str(o, "identity_of") != NULL))
		return false;			/* it follows its table's owner */
	return diff_is(o, "schema") || diff_is_relation(o) ||
		diff_is(o, "function") || diff_is(o, "procedure") ||
		diff_is(o, "enum") || diff_is(o, "domain") || diff_is(o, "range") ||
		diff_is(o, "type");
}

/* Does this kind of object have privileges? */
static bool
has_acl(DiffObject *o)
{
	return diff_is(o, "schema") || diff_is_relation(o) ||
		diff_is(o, "function") || diff_is(o, "procedure") ||
		diff_is(o, "enum") || diff_is(o, "domain") || diff_is(o, "range") ||
		diff_is(o, "type") || diff_is(o, "column");
}

/*
 * diff_attributes: the owner, privileges and comment of to, changed from
 * those of from, or, with from NULL (to is made by this migration), from
 * those a new object has: owned by the role that runs the migration (taken
 * to be the one that described the second schema), the default privileges
 * of its owner, no comment.
 */
void
diff_attributes(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a = NULL;
	const char *from_owner = NULL;
	List	   *sql = NIL;
	ListCell   *lc;

	if (has_owner(to))
	{
		const char *owner = diff_str(to, "owner");

		if (from != NULL && !diff_str_equal(diff_str(from, "owner"), owner))
		{
			sql = lappend(sql, diff_owner_sql(to));
			from_owner = diff_str(from, "owner");
		}
		else if (from == NULL && !diff_str_equal(owner, ctx->to->described_by))
			sql = lappend(sql, diff_owner_sql(to));
	}
	if (has_acl(to))
		sql = list_concat(sql, diff_acl_sql(from, to, from_owner));
	if (!diff_str_equal(from ? diff_str(from, "comment") : NULL,
						diff_str(to, "comment")))
		sql = lappend(sql, diff_comment_sql(to, diff_str(to, "comment")));
	foreach(lc, sql)
	{
		if (a == NULL)
		{
			a = diff_action(ctx, 1);
			diff_requires(a, to);
		}
		diff_add(a, (char *) lfirst(lc), NULL);
	}
}

/*
 * Action a makes object to, a part of a table (an index, a trigger, a
 * policy): it needs the table and what to depends on, and gives to and its
 * name.
 */
void
diff_creates(DiffContext *ctx, DiffAction *a, DiffObject *to)
{
	diff_requires(a, to->parent);
	diff_requires_depends(ctx, a, to, to->depends);
	diff_produces(a, to);
	diff_takes(a, diff_slot(to, to->identity));
}
