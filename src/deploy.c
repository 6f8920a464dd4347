/*-------------------------------------------------------------------------
 *
 * deploy.c
 *	  CALL migrate_deploy(target, allow_data_loss) and
 *	  migrate_undeploy(target, allow_data_loss): migrations beyond one
 *	  transaction (SPEC §10).
 *
 * A procedure, called as a statement of its own at top level, that holds
 * the writers' lock for the session and commits after each migration.  A
 * transactional migration runs as migrate_apply() runs it, and commits
 * with its record and the drift reference of what it changed; a failure
 * rolls back that migration only.  A non-transactional one runs statement
 * by statement (stepwise.c).  So no backlog is too large for the lock
 * table, no lock is held longer than one migration, and a migration that
 * uses an enum value an earlier one added works.
 *
 * The data-loss guard (SPEC §8) spans the deploy: rows an earlier
 * migration of the deploy wrote are its own.  When a migration would
 * destroy data, the transactional migrations after it still run, in the
 * same transaction, so that one refusal lists what each of them would
 * destroy too; the refusal then rolls that transaction back, and the
 * migrations before it stay committed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "dataloss.h"
#include "migrate.h"
#include "stepwise.h"

PG_FUNCTION_INFO_V1(migrate_deploy);
PG_FUNCTION_INFO_V1(migrate_undeploy);

/* For the error context: how far the deploy got */
typedef struct DeployProgress
{
	const char *caller;
	bool		rollback;
	int			total;
	int			committed;
} DeployProgress;

static void
deploy_error_callback(void *arg)
{
	DeployProgress *d = (DeployProgress *) arg;

	if (d->total > 0)
		errcontext("%s: %d of %d %s %s and committed before this error; the others are %s",
				   d->caller, d->committed, d->total,
				   d->total == 1 ? "migration" : "migrations",
				   d->rollback ? "rolled back" : "applied",
				   d->rollback ? "still applied" : "pending");
}

static char *
copy_string(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

/*
 * The catalog, copied into the deploy's memory (it outlives the commits,
 * and what migrate_catalog_load() returns does not have to).  For a
 * rollback, a migration that a deploy applied in part counts as applied:
 * its down script undoes what it did.
 */
static MigrateCatalog *
copy_catalog(const MigrateCatalog *cat, bool rollback, const char *funcname)
{
	MigrateCatalog *copy = palloc(sizeof(MigrateCatalog));
	int			i;

	copy->n = cat->n;
	copy->entries = palloc_extended(sizeof(MigrateEntry) * Max(cat->n, 1),
									MCXT_ALLOC_HUGE);
	copy->latest_applied = -1;
	for (i = 0; i < cat->n; i++)
	{
		MigrateEntry *e = &copy->entries[i];

		*e = cat->entries[i];
		e->id = pstrdup(e->id);
		e->description = copy_string(e->description);
		e->applied_by = copy_string(e->applied_by);
		e->registered_by = copy_string(e->registered_by);
		e->partial_error = copy_string(e->partial_error);
		if (e->partial && e->partial_kind == MIGRATE_SCRIPT_DOWN && !rollback)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s cannot run: migration \"%s\" was interrupted while being rolled back",
							funcname, e->id),
					 errdetail("Statements 1 to %d of its down script are committed.",
							   e->partial_done),
					 errhint("Resume the rollback with CALL migrate_undeploy().")));
		if (e->partial && e->partial_kind == MIGRATE_SCRIPT_UP && rollback)
			e->applied = true;
		if (e->applied)
			copy->latest_applied = i;
	}
	return copy;
}

/* Commit what the transaction did, the guard's own rows noted first */
static void
commit(MemoryContext cxt)
{
	migrate_dataloss_committing();
	SPI_commit();
	MemoryContextSwitchTo(cxt);
}

/*
 * Commit a transactional migration without waiting for its WAL to reach
 * the disk (synchronous_commit off, for this commit only).  The migration
 * and its record are one commit, so a crash loses both or neither: at
 * worst the last few migrations are pending again, and the next deploy
 * applies them.  The deploy's last commit, which records the drift
 * reference, waits as the session's synchronous_commit says, and so makes
 * every commit before it durable (WAL is flushed in order) before CALL
 * returns.
 */
static void
commit_migration(MemoryContext cxt)
{
	(void) set_config_option("synchronous_commit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	commit(cxt);
}

/*
 * After an error that ends the deploy: roll back the transaction that
 * failed, and record the drift reference for what the deploy committed
 * before, in a transaction of its own (the writers' lock, which the abort
 * released, taken again).  If that fails too, the reference stays marked
 * as missing the deploy, and the next call records it anew.
 */
static void
record_after_failure(MemoryContext cxt)
{
	AbortCurrentTransaction();
	StartTransactionCommand();
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		migrate_relock_writers_for_session();
		if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect_ext failed");
		MemoryContextSwitchTo(cxt);
		migrate_drift_deploy_record();
		SPI_commit();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		StartTransactionCommand();
		MemoryContextSwitchTo(cxt);
		ereport(WARNING,
				(errmsg("could not record the drift reference after the deploy failed: %s",
						edata->message),
				 errhint("The next apply, rollback or deploy records it anew.")));
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
}

static void
deploy(FunctionCallInfo fcinfo, bool rollback)
{
	const char *funcname = rollback ? "migrate_undeploy()" : "migrate_deploy()";
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext cxt;
	MemoryContext percxt;
	MigrateTarget target;
	MigrateCatalog *cat;
	List	   *chosen;
	bool		allow_data_loss;
	volatile bool refusing = false;
	volatile bool refused = false;
	int			napplied;
	int			step = 0;
	ListCell   *lc;
	DeployProgress progress;
	ErrorContextCallback errcallback;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target of %s must not be null", funcname)));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("allow_data_loss of %s must not be null", funcname)));

	/* the procedure's memory: it outlives the commits, unlike theirs */
	cxt = AllocSetContextCreate(outer, "migrate deploy", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	migrate_parse_target(text_to_cstring(PG_GETARG_TEXT_PP(0)), rollback,
						 &target);
	allow_data_loss = PG_GETARG_BOOL(1);

	migrate_enter_deploy(fcinfo, funcname);
	MemoryContextSwitchTo(cxt);
	cat = copy_catalog(migrate_catalog_load(true), rollback, funcname);
	migrate_validate(cat, rollback, true);
	chosen = rollback ? migrate_select_rollback(cat, &target) :
		migrate_select_apply(cat, &target);
	migrate_check_authors(cat, chosen, rollback);
	napplied = migrate_applied_count(cat);

	progress.caller = rollback ? "migrate_undeploy" : "migrate_deploy";
	progress.rollback = rollback;
	progress.total = list_length(chosen);
	progress.committed = 0;
	errcallback.callback = deploy_error_callback;
	errcallback.arg = &progress;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (chosen != NIL)
		migrate_drift_warn();
	/* the first migration: what a rollback to base should leave */
	if (chosen != NIL && !rollback && cat->latest_applied < 0)
		migrate_drift_record_base();

	if (chosen == NIL)
	{
		error_context_stack = errcallback.previous;
		migrate_leave_deploy();
		MemoryContextSwitchTo(outer);
		MemoryContextDelete(cxt);
		return;
	}
	percxt = AllocSetContextCreate(cxt, "migrate deploy migration",
								   ALLOCSET_DEFAULT_SIZES);
	migrate_dataloss_begin_call();
	migrate_drift_deploy_begin();
	PG_TRY();
	{
		foreach(lc, chosen)
		{
			const MigrateEntry *e = &cat->entries[lfirst_int(lc)];

			step++;
			MemoryContextSwitchTo(percxt);
			if (e->transactional)
			{
				migrate_run_one(e, rollback, allow_data_loss, step,
								list_length(chosen), progress.caller);
				if (migrate_dataloss_found())
				{
					/* refused at the end; what follows still runs, to list */
					refusing = true;
					continue;
				}
			}
			else
			{
				/* its statements commit on their own: refuse what was found */
				if (refusing)
					break;
				if (rollback && e->partial && e->partial_kind == MIGRATE_SCRIPT_UP)
				{
					ereport(NOTICE,
							(errmsg("rolling back migration \"%s\", interrupted after statement %d of its up script, with its down script",
									e->id, e->partial_done)));
					migrate_catalog_progress_end(e->id);
					commit(percxt);
				}
				migrate_run_stepwise(e, rollback ? MIGRATE_SCRIPT_DOWN : MIGRATE_SCRIPT_UP,
									 allow_data_loss, step, list_length(chosen),
									 progress.caller, percxt);
			}
			if (rollback && step == napplied)
				migrate_drift_check_base();
			if (e->transactional)
				commit_migration(percxt);
			else
				commit(percxt);
			progress.committed++;
			MemoryContextSwitchTo(cxt);
			MemoryContextReset(percxt);
		}
		/* the refusal, if a migration would destroy data */
		refused = refusing;
		migrate_dataloss_refuse_found();
		MemoryContextSwitchTo(cxt);
		migrate_drift_deploy_record();
		commit(cxt);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		record_after_failure(cxt);
		if (refused)
		{
			migrate_dataloss_forget();
			ReThrowError(edata);
		}
		migrate_dataloss_fail_call(edata);
	}
	PG_END_TRY();
	migrate_dataloss_end_call();
	error_context_stack = errcallback.previous;

	migrate_leave_deploy();
	MemoryContextSwitchTo(outer);
	MemoryContextDelete(cxt);
}

/*
 * migrate_deploy(target, allow_data_loss)
 *		Apply pending migrations up to target, each committed on its own,
 *		resuming a migration an interrupted deploy applied in part.
 */
Datum
migrate_deploy(PG_FUNCTION_ARGS)
{
	deploy(fcinfo, false);
	PG_RETURN_VOID();
}

/*
 * migrate_undeploy(target, allow_data_loss)
 *		Roll back applied migrations down to target, each committed on its
 *		own, resuming a rollback an interrupted one did in part.
 */
Datum
migrate_undeploy(PG_FUNCTION_ARGS)
{
	deploy(fcinfo, true);
	PG_RETURN_VOID();
}
