/*-------------------------------------------------------------------------
 *
 * locking.c
 *	  Lock-safe execution (SPEC §8): the statements of a migration run under
 *	  migrate.lock_timeout.  The locks they will need are first taken
 *	  without waiting; when one is busy, the migration runs in a
 *	  subtransaction instead, and a statement that waits longer for a lock
 *	  gives up, so it never keeps the queries queued behind it waiting for
 *	  long; the migration is rolled back, the call waits (doubling the wait
 *	  each time) and tries again, up to migrate.lock_retries times, then
 *	  fails naming the migration, the relation and the blocking processes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "dataloss.h"
#include "migrate.h"

int			migrate_lock_timeout = 1000;
int			migrate_lock_retries = 5;

/* The longest wait between two tries, in milliseconds */
#define MAX_BACKOFF_MS	30000

/*
 * Who holds locks on the relations statement stmt_no touches: "relation
 * orders is held by process 123 (AccessShareLock, idle in transaction:
 * SELECT ...)".
 */
char *
migrate_describe_blockers(MigrateScript *script, int stmt_no)
{
	StringInfoData buf;
	List	   *created = NIL;
	ListCell   *lc;
	int			nestlevel;

	initStringInfo(&buf);
	if (stmt_no < 1 || stmt_no > script->nstmts)
		return "no statement to blame";

	/*
	 * The query below is the extension's own: run it with nothing but
	 * pg_catalog on the search_path, whatever the migration set (its names
	 * are qualified anyway).  It runs as the caller, who sees of other
	 * sessions what pg_stat_activity shows it.
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	foreach(lc, migrate_analyze(script->stmts[stmt_no - 1].stmt, &created))
	{
		MigrateEffect *e = (MigrateEffect *) lfirst(lc);
		MemoryContext cxt = CurrentMemoryContext;
		Datum		arg;
		Oid			argtype = OIDOID;
		uint64		i;

		if (!OidIsValid(e->relid))
			continue;
		arg = ObjectIdGetDatum(e->relid);
		if (SPI_execute_with_args("SELECT l.pid, l.mode,"
								  " coalesce(a.state, 'unknown'),"
								  " pg_catalog.left(coalesce(a.query, ''), 60)"
								  " FROM pg_catalog.pg_locks l"
								  " LEFT JOIN pg_catalog.pg_stat_activity a"
								  "   ON a.pid OPERATOR(pg_catalog.=) l.pid"
								  " WHERE l.locktype OPERATOR(pg_catalog.=) 'relation'"
								  " AND l.relation OPERATOR(pg_catalog.=) $1"
								  " AND l.granted"
								  " AND l.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()"
								  " ORDER BY l.pid",
								  1, &argtype, &arg, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read pg_locks");
		MemoryContextSwitchTo(cxt);
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;

			appendStringInfo(&buf, "%srelation %s is held by process %s (%s, %s: %s)",
							 buf.len > 0 ? "; " : "", e->relname,
							 SPI_getvalue(tup, desc, 1), SPI_getvalue(tup, desc, 2),
							 SPI_getvalue(tup, desc, 3), SPI_getvalue(tup, desc, 4));
		}
		SPI_freetuptable(SPI_tuptable);
	}
	AtEOXact_GUC(true, nestlevel);
	if (buf.len == 0)
		appendStringInfoString(&buf, "no holder of a lock on the relations it touches was found; pg_locks shows who waits for whom");
	return buf.data;
}

/*
 * Take now, without waiting, the locks the statements of script will take
 * on relations that exist (relations created earlier in the call are
 * invisible to every other session).  If every one is free, no statement
 * can queue behind another session for them, and the migration needs no
 * subtransaction.  Returns false if one is busy, or if the script has a
 * statement whose locks cannot be known (DO, CALL).  Locks taken
 * are kept: the statements would take them anyway.
 */
static bool
take_locks_now(MigrateScript *script)
{
	List	   *created = NIL;
	int			i;

	for (i = 0; i < script->nstmts; i++)
	{
		Node	   *stmt = script->stmts[i].stmt;
		ListCell   *lc;

		if (script->stmts[i].skip)
			continue;
		if (IsA(stmt, DoStmt) || IsA(stmt, CallStmt))
			return false;
		foreach(lc, migrate_analyze(stmt, &created))
		{
			MigrateEffect *e = (MigrateEffect *) lfirst(lc);

			if (OidIsValid(e->relid) && e->lockmode != NoLock &&
				!ConditionalLockRelationOid(e->relid, e->lockmode))
				return false;
		}
	}
	return true;
}

/* Run the statements with lock_timeout set to migrate.lock_timeout */
static void
run_under_timeout(MigrateExecState *st, MigrateScript *script)
{
	int			nestlevel = NewGUCNestLevel();
	char		timeout[32];

	snprintf(timeout, sizeof(timeout), "%d", migrate_lock_timeout);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	migrate_run_statements(st, script);
	AtEOXact_GUC(false, nestlevel);
}

typedef struct RunArgs
{
	MigrateExecState *st;
	MigrateScript *script;
} RunArgs;

static void
run_under_timeout_cb(void *arg)
{
	RunArgs    *a = (RunArgs *) arg;

	run_under_timeout(a->st, a->script);
}

/* migrate_backoff_sleep: sleep ms milliseconds, interruptibly */
void
migrate_backoff_sleep(int ms)
{
	TimestampTz end = GetCurrentTimestamp() + (TimestampTz) ms * 1000;

	for (;;)
	{
		long		left = (long) ((end - GetCurrentTimestamp()) / 1000);

		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * migrate_retry_wait_ms: how long to wait before retry attempt + 1 (0
 * based): migrate.lock_timeout, doubled each time, at most 30 s.
 */
int
migrate_retry_wait_ms(int attempt)
{
	return (int) Min((int64) migrate_lock_timeout << Min(attempt, 20),
					 (int64) MAX_BACKOFF_MS);
}

/*
 * migrate_run_locked: run the statements of script, the script of the
 * migration st names, under the lock timeout and retries of the GUCs.
 * activity is what pg_stat_activity shows for the migration.
 */
void
migrate_run_locked(MigrateExecState *st, MigrateScript *script,
				   const char *activity)
{
	RunArgs		args;
	int			attempt;

	if (migrate_lock_timeout <= 0)
	{
		migrate_run_statements(st, script);
		return;
	}

	/*
	 * Usually every lock is free: then no subtransaction.  lock_timeout still
	 * bounds a wait for a lock the analysis did not foresee; such a wait that
	 * times out fails the call instead of being retried.
	 */
	if (take_locks_now(script))
	{
		run_under_timeout(st, script);
		return;
	}

	args.st = st;
	args.script = script;
	for (attempt = 0;; attempt++)
	{
		ErrorData  *edata;
		char	   *blockers;
		int			stmt_no;
		int			wait_ms;
		MigrateDataLossMark mark;

		migrate_dataloss_mark(&mark);
		edata = migrate_subtransaction(run_under_timeout_cb, &args, true);
		if (edata == NULL)
			return;
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(edata);
		/* what the rolled-back try found is found again, or not, next time */
		migrate_dataloss_reset(&mark);

		stmt_no = st->stmt_no;
		blockers = migrate_describe_blockers(script, stmt_no);
		if (attempt >= migrate_lock_retries)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("migration \"%s\" could not take its locks in %d %s",
							st->id, attempt + 1, attempt == 0 ? "try" : "tries"),
					 errdetail("Statement %d waited migrate.lock_timeout (%d ms) for a lock each time; %s.",
							   stmt_no, migrate_lock_timeout, blockers),
					 errhint("Apply when the blocking sessions are done, or end them; migrate.lock_timeout and migrate.lock_retries set how long to try.")));

		wait_ms = migrate_retry_wait_ms(attempt);
		ereport(NOTICE,
				(errmsg("migration \"%s\": statement %d waited %d ms for a lock, trying again in %d ms (retry %d of %d)",
						st->id, stmt_no, migrate_lock_timeout, wait_ms,
						attempt + 1, migrate_lock_retries),
				 errdetail("%s.", blockers)));
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("%s, waiting to retry after a lock timeout", activity));
		st->stmt_no = 0;
		migrate_backoff_sleep(wait_ms);
		pgstat_report_activity(STATE_RUNNING, activity);
		FreeErrorData(edata);
	}
}
