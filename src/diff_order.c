/*-------------------------------------------------------------------------
 *
 * diff_order.c
 *	  The order of the actions (SPEC §13): a topological sort of the graph
 *	  that the dependencies of the two descriptions make, not a fixed order
 *	  of kinds.  An action comes after
 *
 *	  - the actions that produce what it requires: what is depended on is
 *		made first;
 *	  - when it drops objects, the actions that drop, or change so that
 *		they no longer depend on them, whatever depended on them: the
 *		dependents are dropped first;
 *	  - when it clears an object (a column whose type changes), the actions
 *		that drop or change its dependents;
 *	  - the actions that free a name it takes.
 *
 * Among the actions whose predecessors have all come, the one of lowest
 * rank, then the one made first, comes next, so that the output reads in
 * the order the actions were made (drops, then the rest, object by
 * object) wherever the dependencies allow.  If the graph has a cycle
 * (objects that need each other in a way no statement breaks), the
 * earliest of the actions left is written anyway and the output says so
 * at the top.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/binaryheap.h"

#include "diff.h"

static void
edge(DiffAction *before, DiffAction *after)
{
	if (before == NULL || before == after)
		return;
	before->successors = lappend(before->successors, after);
	after->predecessors++;
}

/* The dependents of from that go, or change, must have done so before a */
static void
after_dependents(DiffAction *a, DiffObject *from)
{
	ListCell   *lc;

	foreach(lc, from->dependents)
	{
		DiffObject *dep = (DiffObject *) lfirst(lc);
		ListCell   *lc2;

		if (dep->dropper == a)
			continue;
		edge(dep->dropper, a);
		foreach(lc2, dep->releasers)
			edge((DiffAction *) lfirst(lc2), a);
	}
}

static void
build_edges(DiffContext *ctx)
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

			foreach(lc3, req->producers)
				edge((DiffAction *) lfirst(lc3), a);
		}
		foreach(lc2, a->drops)
			after_dependents(a, (DiffObject *) lfirst(lc2));
		foreach(lc2, a->clears)
			after_dependents(a, (DiffObject *) lfirst(lc2));
		foreach(lc2, a->after)
			edge((DiffAction *) lfirst(lc2), a);
		foreach(lc2, a->takes)
		{
			ListCell   *lc3;

			foreach(lc3, diff_map_get(ctx->slots, (char *) lfirst(lc2)))
				edge((DiffAction *) lfirst(lc3), a);
		}
	}
}

/* binaryheap keeps the greatest on top: the lowest rank, then id */
static int
compare_actions(Datum a, Datum b, void *arg)
{
	DiffAction *x = (DiffAction *) DatumGetPointer(a);
	DiffAction *y = (DiffAction *) DatumGetPointer(b);

	if (x->rank != y->rank)
		return x->rank < y->rank ? 1 : -1;
	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* diff_order: the actions in the order they are written */
List *
diff_order(DiffContext *ctx)
{
	int			n = list_length(ctx->actions);
	binaryheap *ready = binaryheap_allocate(Max(n, 1), compare_actions, NULL);
	List	   *result = NIL;
	bool		cycle = false;
	ListCell   *lc;

	build_edges(ctx);
	foreach(lc, ctx->actions)
	{
		DiffAction *a = (DiffAction *) lfirst(lc);

		if (a->predecessors == 0)
			binaryheap_add_unordered(ready, PointerGetDatum(a));
	}
	binaryheap_build(ready);

	while (list_length(result) < n)
	{
		DiffAction *next;

		if (binaryheap_empty(ready))
		{
			/* a cycle: take the earliest left */
			next = NULL;
			foreach(lc, ctx->actions)
			{
				DiffAction *a = (DiffAction *) lfirst(lc);

				if (!a->emitted && (next == NULL ||
									compare_actions(PointerGetDatum(a),
													PointerGetDatum(next),
													NULL) > 0))
					next = a;
			}
			cycle = true;
		}
		else
			next = (DiffAction *) DatumGetPointer(binaryheap_remove_first(ready));
		if (next->emitted)
			continue;
		next->emitted = true;
		result = lappend(result, next);
		foreach(lc, next->successors)
		{
			DiffAction *s = (DiffAction *) lfirst(lc);

			if (--s->predecessors == 0 && !s->emitted)
				binaryheap_add(ready, PointerGetDatum(s));
		}
	}
	if (cycle)
		diff_note(ctx, "the dependencies between these statements form a cycle: "
				  "some could not be put after what they need, check their order");
	return result;
}
