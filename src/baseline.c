/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  Adopting a database (SPEC §12): marking registered migrations applied
 *	  without running them, for migrate_baseline() and migrate_import().
 *
 * A baseline is a writer like an apply: it holds the writers' lock, reads
 * the state afresh, and refuses a database where any migration is applied
 * already (or was started by a deploy), since adopting is what a database
 * does once, before migrate has applied anything.  Each migration marked
 * gets its migrate.applied row (the checksum of its registered up script,
 * applied now by the caller, in no time) and a history row of action
 * baseline.  Nothing runs, so the schema as it is becomes the drift
 * reference.
 *
 * The authors of the migrations are checked as for an apply (target.c):
 * a baseline runs no script, but it records the scripts as what made the
 * schema, and later rollbacks run their down scripts.  A role may mark
 * applied only what it could have applied, so that migrate.applied never
 * holds a migration that nobody with the applier's privileges wrote or
 * took over by registering it again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "migrate.h"

/* Ids listed in one message before "and N more" */
#define MAX_LISTED	10

/*
 * migrate_baseline_check_state: refuse to adopt (funcname: what adopts;
 * what: the phrase of the error, "baseline migrations" or "import the
 * dbmate history") a database where a migration is applied, or was
 * started by a deploy that did not finish.
 */
void
migrate_baseline_check_state(const MigrateCatalog *cat, const char *funcname,
							 const char *what)
{
	StringInfoData applied;
	StringInfoData partial;
	int			napplied = 0;
	int			npartial = 0;
	int			i;

	initStringInfo(&applied);
	initStringInfo(&partial);
	for (i = 0; i < cat->n; i++)
	{
		const MigrateEntry *e = &cat->entries[i];
		StringInfo	list;
		int		   *n;

		if (e->applied)
		{
			list = &applied;
			n = &napplied;
		}
		else if (e->partial)
		{
			list = &partial;
			n = &npartial;
		}
		else
			continue;
		if (*n < MAX_LISTED)
			appendStringInfo(list, "%s\"%s\"", *n > 0 ? ", " : "", e->id);
		(*n)++;
	}
	if (napplied > MAX_LISTED)
		appendStringInfo(&applied, " and %d more", napplied - MAX_LISTED);
	if (npartial > MAX_LISTED)
		appendStringInfo(&partial, " and %d more", npartial - MAX_LISTED);

	if (napplied > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot %s: %d migration is already applied",
							   "cannot %s: %d migrations are already applied",
							   napplied, what, napplied),
				 errdetail("Applied: %s. %s adopts a database where no migration is applied yet.",
						   applied.data, funcname),
				 errhint("This database is adopted already: apply the pending migrations with migrate_apply().")));
	if (npartial > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot %s: %d migration was interrupted in the middle of a deploy",
							   "cannot %s: %d migrations were interrupted in the middle of a deploy",
							   npartial, what, npartial),
				 errdetail("Partly applied: %s. Some of their statements are committed and some are not; marking them applied would hide the rest.",
						   partial.data),
				 errhint("Finish them with CALL migrate_deploy(); the database is then adopted already.")));
}

/*
 * migrate_baseline_mark: mark the chosen migrations of cat (indexes, in
 * version order) applied without running them, with a NOTICE each; notes,
 * NIL or one string per migration, is added to its NOTICE.  The schema as
 * it is then becomes the drift reference.  Returns how many were marked.
 */
int
migrate_baseline_mark(const MigrateCatalog *cat, List *chosen, List *notes)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext percxt;
	TimestampTz now = GetCurrentTimestamp();
	int			total = list_length(chosen);
	int			step = 0;
	ListCell   *lc;

	Assert(notes == NIL || list_length(notes) == total);
	migrate_check_authors_for(cat, chosen, "baseline");

	/* Whatever one migration allocates is freed before the next */
	percxt = AllocSetContextCreate(outer, "migrate baseline",
								   ALLOCSET_SMALL_SIZES);
	foreach(lc, chosen)
	{
		const MigrateEntry *e = &cat->entries[lfirst_int(lc)];
		const char *note = notes == NIL ? NULL :
		(const char *) list_nth(notes, step);

		MemoryContextSwitchTo(percxt);
		step++;
		/* a registered migration's checksum is that of its up script */
		migrate_catalog_mark_applied(e->id, e->checksum, now, 0);
		migrate_catalog_log(e->id, "baseline", now, 0, true, e->checksum);
		if (note != NULL)
			ereport(NOTICE,
					(errmsg("baselined %s (%d of %d): %s", e->id, step, total,
							note)));
		else
			ereport(NOTICE,
					(errmsg("baselined %s (%d of %d)", e->id, step, total)));
		MemoryContextSwitchTo(outer);
		MemoryContextReset(percxt);
	}
	MemoryContextDelete(percxt);

	if (total > 0)
		migrate_drift_record_baseline();
	return total;
}

/*
 * migrate_baseline_run: migrate_baseline(target), SPEC §12: mark the
 * pending migrations up to target (a target of migrate_apply()'s form)
 * applied without running them, on a database where none is applied yet.
 */
int
migrate_baseline_run(const char *spec)
{
	MigrateTarget target;
	const MigrateCatalog *cat;
	List	   *chosen;
	int			n;

	migrate_parse_target_of(spec, false, "migrate_baseline()", &target);
	migrate_enter("migrate_baseline()", true);
	cat = migrate_catalog_load(true);
	migrate_baseline_check_state(cat, "migrate_baseline()",
								 "baseline migrations");
	/* with nothing applied, only what the checks above refused is left */
	migrate_validate(cat, false, false);
	chosen = migrate_select_apply(cat, &target);
	n = migrate_baseline_mark(cat, chosen, NIL);
	migrate_leave();
	return n;
}
