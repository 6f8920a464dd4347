/*-------------------------------------------------------------------------
 *
 * stepwise.c
 *	  A non-transactional migration, run by a deploy statement by statement,
 *	  each committed on its own (SPEC §10).
 *
 * Progress is recorded in migrate.progress.  An ordinary statement runs in
 * a transaction of its own, with the lock-safe execution and the data-loss
 * guard of any migration, and the progress row says it is done in that
 * same transaction: it runs exactly once.  A statement that refuses a
 * transaction block (CREATE INDEX CONCURRENTLY...) runs at top level
 * (toplevel.c) and commits in steps of its own; the progress row records
 * its start, committed first, and its end, committed after.  Interrupted
 * in between (an error, a cancel, a crash), the migration shows as
 * partial, stopped at that statement, and the next deploy resumes there,
 * after cleaning up what the interrupted try left (resume.c).  A lock
 * timeout of such a statement is retried as in lock-safe execution (§8),
 * after the same clean-up.
 *
 * SET and RESET statements of the script keep their effect for the
 * statements after them, as they do in a psql session, and the settings
 * they changed are put back when the migration ends; a resumed migration
 * runs them again first.  SET LOCAL ends with its statement's transaction.
 *
 * The procedure's memory (this migration's context, which outlives the
 * commits) holds everything that must survive a commit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "portability/instr_time.h"
#include "storage/lmgr.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "dataloss.h"
#include "migrate.h"
#include "protect.h"
#include "resume.h"
#include "stepwise.h"

/* A setting a SET statement of the script changes, and its value before */
typedef struct SavedSetting
{
	char	   *name;
	char	   *value;			/* NULL: it had none */
} SavedSetting;

typedef struct Stepwise
{
	const MigrateEntry *e;
	MigrateScriptKind kind;
	bool		guarded;
	MigrateScript *script;
	char		checksum[MIGRATE_CHECKSUM_LEN + 1];
	char	   *activity;		/* "migrate_deploy: id (2 of 5)" */
	MemoryContext cxt;			/* outlives the commits */
	bool		connected;		/* to SPI */
	List	   *saved;			/* SavedSetting * */
} Stepwise;

static bool
is_session_set(Node *stmt)
{
	return IsA(stmt, VariableSetStmt) &&
		!((VariableSetStmt *) stmt)->is_local &&
		((VariableSetStmt *) stmt)->name != NULL;
}

/* The settings the script's SET statements change, as they are now */
static List *
save_settings(MigrateScript *script)
{
	List	   *saved = NIL;
	int			i;

	for (i = 0; i < script->nstmts; i++)
	{
		VariableSetStmt *set;
		SavedSetting *s;
		const char *value;
		ListCell   *lc;
		bool		seen = false;

		if (!is_session_set(script->stmts[i].stmt))
			continue;
		set = (VariableSetStmt *) script->stmts[i].stmt;
		foreach(lc, saved)
			if (pg_strcasecmp(((SavedSetting *) lfirst(lc))->name, set->name) == 0)
			seen = true;
		if (seen)
			continue;
		value = GetConfigOption(set->name, true, false);
		s = palloc(sizeof(SavedSetting));
		s->name = pstrdup(set->name);
		s->value = value ? pstrdup(value) : NULL;
		saved = lappend(saved, s);
	}
	return saved;
}

/* Put the settings back as they were before the migration */
static void
restore_settings(List *saved)
{
	ListCell   *lc;

	foreach(lc, saved)
	{
		SavedSetting *s = (SavedSetting *) lfirst(lc);

		if (s->value != NULL)
			(void) set_config_option(s->name, s->value,
									 superuser() ? PGC_SUSET : PGC_USERSET,
									 PGC_S_SESSION, GUC_ACTION_SET, true,
									 WARNING, false);
	}
}

static void
connect_spi(Stepwise *sw)
{
	MemoryContextSwitchTo(sw->cxt);
	if (!sw->connected && SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");
	sw->connected = true;
	MemoryContextSwitchTo(sw->cxt);
}

static void
disconnect_spi(Stepwise *sw)
{
	if (sw->connected)
		SPI_finish();
	sw->connected = false;
	MemoryContextSwitchTo(sw->cxt);
}

/* Commit, in SPI or not, and go on in a new transaction */
static void
commit(Stepwise *sw)
{
	migrate_dataloss_committing();
	if (sw->connected)
		SPI_commit();
	else
	{
		CommitTransactionCommand();
		StartTransactionCommand();
	}
	MemoryContextSwitchTo(sw->cxt);
}

static void
report(Stepwise *sw, int stmt_no)
{
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("%s, statement %d of %d", sw->activity,
									stmt_no, sw->script->nstmts));
}

/* The script with every statement but statement i left out */
static MigrateScript *
only_statement(MigrateScript *script, int i)
{
	MigrateScript *one = palloc(sizeof(MigrateScript));
	int			j;

	*one = *script;
	one->stmts = palloc(sizeof(MigrateStatement) * script->nstmts);
	for (j = 0; j < script->nstmts; j++)
	{
		one->stmts[j] = script->stmts[j];
		one->stmts[j].skip = j != i;
	}
	return one;
}

/*
 * Run ordinary statement i in the current transaction, as a migration of
 * one statement: lock-safe, guarded, errors placed at its line.  A SET
 * runs as it is, so that it outlives the transaction.
 */
static void
run_ordinary(Stepwise *sw, int i)
{
	MigrateStatement *stmt = &sw->script->stmts[i];
	MigrateExecState st;

	migrate_exec_begin(&st, sw->e->id, sw->kind);
	migrate_dataloss_begin_migration(sw->e->id, sw->kind, sw->guarded);
	migrate_script_begin();
	PG_TRY();
	{
		if (IsA(stmt->stmt, VariableSetStmt))
			migrate_exec_statement(&st, stmt, i + 1);
		else
			migrate_run_locked(&st, only_statement(sw->script, i),
							   sw->activity);
	}
	PG_FINALLY();
	{
		migrate_script_end();
		migrate_dataloss_end_migration();
	}
	PG_END_TRY();
	migrate_exec_end(&st);
	/* a loss stops the migration here, before its statement commits */
	migrate_dataloss_refuse_found();
}

/* Errors raised while a statement runs at top level name it */
static void
toplevel_error_callback(void *arg)
{
	MigrateExecState *st = (MigrateExecState *) arg;

	errcontext("migration \"%s\", %s script, statement %d, line %d",
			   st->id, migrate_script_name(st->kind), st->stmt_no,
			   st->stmt_line);
}

/* lock_timeout for the statements at top level, which commit on their own */
static char *
set_lock_timeout(void)
{
	char	   *old = pstrdup(GetConfigOption("lock_timeout", false, false));
	char		value[32];

	snprintf(value, sizeof(value), "%d", migrate_lock_timeout);
	(void) set_config_option("lock_timeout", value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
	return old;
}

static void
reset_lock_timeout(const char *old)
{
	(void) set_config_option("lock_timeout", old, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
}

/*
 * One try of top-level statement i: clean up after an earlier try, then
 * run it.  Not connected to SPI; returns in a transaction of its own.
 */
static void
try_toplevel(Stepwise *sw, int i, bool attempted, TransactionId since)
{
	MigrateStatement *stmt = &sw->script->stmts[i];
	MigrateResume r;
	ListCell   *lc;

	migrate_resume_prepare(stmt->stmt, attempted, since, &r);
	foreach(lc, r.before)
	{
		MigrateResumeStep *step = (MigrateResumeStep *) lfirst(lc);

		ereport(NOTICE,
				(errmsg("migration \"%s\", statement %d: %s",
						sw->e->id, i + 1, step->text)));
		migrate_run_toplevel(step->stmt, step->text, 0, strlen(step->text));
		commit(sw);
	}
	if (r.done)
	{
		ereport(NOTICE,
				(errmsg("migration \"%s\", statement %d was done by the interrupted deploy",
						sw->e->id, i + 1)));
		return;
	}
	migrate_protect_statement_start();
	migrate_script_begin();
	PG_TRY();
	{
		migrate_run_toplevel(stmt->stmt, stmt->text, 0, stmt->len);
	}
	PG_FINALLY();
	{
		migrate_script_end();
	}
	PG_END_TRY();
	/* what it created, looked up in the transaction it ended in */
	migrate_protect_statement_done();
}

/*
 * Run top-level statement i, retried after a lock timeout.  Called
 * connected to SPI, in a transaction of its own; returns so, in the
 * transaction the statement ended in, which records that it is done.
 */
static void
run_toplevel(Stepwise *sw, int i, bool attempted, TransactionId attempted_since)
{
	MigrateStatement *stmt = &sw->script->stmts[i];
	MigrateExecState st;
	ErrorContextCallback errcallback;
	TransactionId since;
	char	   *old_timeout;
	int			attempt;
	instr_time	t0;
	instr_time	elapsed;

	/*
	 * Its start, committed before it runs.  What an interrupted earlier try
	 * made is newer than the transaction that recorded that try's start.
	 */
	migrate_catalog_progress_step(sw->e->id, i, true);
	since = attempted && TransactionIdIsValid(attempted_since) ?
		attempted_since : GetTopTransactionId();
	commit(sw);
	disconnect_spi(sw);

	st.id = sw->e->id;
	st.kind = sw->kind;
	st.stmt_no = i + 1;
	st.stmt_line = stmt->line;
	old_timeout = set_lock_timeout();
	INSTR_TIME_SET_CURRENT(t0);
	for (attempt = 0;; attempt++)
	{
		ErrorData  *edata;
		int			wait_ms;

		errcallback.callback = toplevel_error_callback;
		errcallback.arg = &st;
		errcallback.previous = error_context_stack;

		error_context_stack = &errcallback;
		PG_TRY();
		{
			try_toplevel(sw, i, attempted, since);
			edata = NULL;
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(sw->cxt);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();
		error_context_stack = errcallback.previous;

		if (edata == NULL)
			break;

		/*
		 * The statement's transaction is rolled back here, as SPI does when a
		 * commit fails; the abort releases the writers' lock too, which the
		 * deploy takes again before it goes on.
		 */
		AbortCurrentTransaction();
		StartTransactionCommand();
		MemoryContextSwitchTo(sw->cxt);
		migrate_relock_writers_for_session();
		attempted = true;

		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE ||
			migrate_lock_timeout <= 0 || attempt >= migrate_lock_retries)
		{
			reset_lock_timeout(old_timeout);
			restore_settings(sw->saved);
			connect_spi(sw);
			migrate_catalog_progress_error(sw->e->id, edata->message);
			migrate_catalog_log(sw->e->id, "interrupted",
								GetCurrentTimestamp(), 0, false, sw->checksum);
			SPI_commit();
			MemoryContextSwitchTo(sw->cxt);
			if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
				migrate_lock_timeout > 0)
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("migration \"%s\" could not take its locks in %d %s",
								sw->e->id, attempt + 1,
								attempt == 0 ? "try" : "tries"),
						 errdetail("Statement %d waited migrate.lock_timeout (%d ms) for a lock, or for older transactions to end, each time: %s.",
								   i + 1, migrate_lock_timeout, edata->message),
						 errhint("The migration is partial; CALL migrate_deploy() resumes it at that statement when the blocking sessions are done.")));
			ReThrowError(edata);
		}

		wait_ms = migrate_retry_wait_ms(attempt);
		ereport(NOTICE,
				(errmsg("migration \"%s\": statement %d waited %d ms for a lock, trying again in %d ms (retry %d of %d)",
						sw->e->id, i + 1, migrate_lock_timeout, wait_ms,
						attempt + 1, migrate_lock_retries),
				 errdetail("%s.", edata->message)));
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("%s, waiting to retry after a lock timeout",
										sw->activity));
		/* no snapshot, no lock but the writers': nobody waits for us */
		migrate_backoff_sleep(wait_ms);
		report(sw, i + 1);
		FreeErrorData(edata);
	}
	reset_lock_timeout(old_timeout);
	connect_spi(sw);
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, t0);
	ereport(NOTICE,
			(errmsg("migration \"%s\": statement %d of %d (%s) done in %.1f ms",
					sw->e->id, i + 1, sw->script->nstmts,
					GetCommandTagName(CreateCommandTag(stmt->stmt)),
					INSTR_TIME_GET_MILLISEC(elapsed))));
}

/*
 * Record what stopped ordinary statement i (the error edata, which rolled
 * it back in its subtransaction), commit that, and raise it again.
 */
static void
stopped(Stepwise *sw, ErrorData *edata)
{
	restore_settings(sw->saved);
	migrate_catalog_progress_error(sw->e->id, edata->message);
	migrate_catalog_log(sw->e->id, "interrupted", GetCurrentTimestamp(), 0,
						false, sw->checksum);
	commit(sw);
	ReThrowError(edata);
}

typedef struct OrdinaryArgs
{
	Stepwise   *sw;
	int			i;
} OrdinaryArgs;

static void
run_ordinary_cb(void *arg)
{
	OrdinaryArgs *a = (OrdinaryArgs *) arg;

	run_ordinary(a->sw, a->i);
}

/*
 * migrate_run_stepwise: run the kind script of non-transactional migration
 * e statement by statement, each committed on its own, resuming where an
 * interrupted deploy stopped; record it as applied (or rolled back) when
 * its last statement is done.  Called connected to SPI (non-atomic), in a
 * transaction of its own; returns so, every statement committed, and the
 * record of the migration in the transaction, for the caller to commit.
 * cxt outlives the commits.  caller and step of total name it in
 * pg_stat_activity.
 */
void
migrate_run_stepwise(const MigrateEntry *e, MigrateScriptKind kind,
					 bool allow_data_loss, int step, int total,
					 const char *caller, MemoryContext cxt)
{
	Stepwise	sw;
	MigrateRow *row;
	MigrateProgress progress;
	const char *sql;
	TimestampTz started;
	instr_time	t0;
	instr_time	elapsed;
	int64		usecs;
	int			start = 0;
	bool		resumed;
	int			i;

	MemoryContextSwitchTo(cxt);
	memset(&sw, 0, sizeof(sw));
	sw.e = e;
	sw.kind = kind;
	sw.cxt = cxt;
	sw.connected = true;
	sw.activity = psprintf("%s: %s (%d of %d)", caller, e->id, step, total);

	row = migrate_catalog_fetch(e->id);
	if (row == NULL)
		elog(ERROR, "migration \"%s\" vanished from migrate.migration", e->id);
	sql = kind == MIGRATE_SCRIPT_DOWN ? row->down_sql : row->up_sql;
	if (sql == NULL)
		elog(ERROR, "migration \"%s\" has no down script", e->id);
	sw.guarded = !(allow_data_loss || row->data_loss_ok);
	sw.script = migrate_script_parse(e->id, kind, sql, false);
	migrate_checksum(sql, strlen(sql), sw.checksum);

	resumed = migrate_catalog_progress_get(e->id, &progress);
	if (resumed)
	{
		if (progress.kind != kind || strcmp(progress.checksum, sw.checksum) != 0 ||
			progress.statements != sw.script->nstmts)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration \"%s\" was interrupted in its %s script, which is not the script to run now",
							e->id, migrate_script_name(progress.kind)),
					 errhint(progress.kind == MIGRATE_SCRIPT_DOWN ?
							 "Resume the rollback with CALL migrate_undeploy()." :
							 "Resume it with CALL migrate_deploy().")));
		start = progress.done;
		ereport(NOTICE,
				(errmsg("resuming migration \"%s\" at statement %d of %d of its %s script",
						e->id, start + 1, sw.script->nstmts,
						migrate_script_name(kind))));
	}
	else
	{
		migrate_catalog_progress_start(e->id, kind, sw.checksum,
									   sw.script->nstmts);
		commit(&sw);
	}

	sw.saved = save_settings(sw.script);
	/* the settings an interrupted deploy had made */
	for (i = 0; i < start; i++)
	{
		MigrateExecState st;

		if (!is_session_set(sw.script->stmts[i].stmt))
			continue;
		migrate_exec_begin(&st, e->id, kind);
		migrate_exec_statement(&st, &sw.script->stmts[i], i + 1);
		migrate_exec_end(&st);
	}

	started = GetCurrentTimestamp();
	INSTR_TIME_SET_CURRENT(t0);
	PG_TRY();
	{
		/*
		 * The settings the script made are put back when it ends, and when it
		 * stops, before the error goes on (stopped(), run_toplevel()): in a
		 * transaction that commits, which an abort would not undo.
		 */
		for (i = start; i < sw.script->nstmts; i++)
		{
			report(&sw, i + 1);
			if (sw.script->stmts[i].toplevel)
				run_toplevel(&sw, i, resumed && i == start,
							 resumed ? progress.statement_xid : InvalidTransactionId);
			else
			{
				OrdinaryArgs args;
				ErrorData  *edata;

				args.sw = &sw;
				args.i = i;
				edata = migrate_subtransaction(run_ordinary_cb, &args, true);
				MemoryContextSwitchTo(cxt);
				if (edata != NULL)
					stopped(&sw, edata);
			}
			migrate_catalog_progress_step(e->id, i + 1, false);
			commit(&sw);
		}

		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, t0);
		usecs = INSTR_TIME_GET_MICROSEC(elapsed);
		migrate_catalog_progress_end(e->id);
		if (kind == MIGRATE_SCRIPT_DOWN)
		{
			migrate_catalog_mark_rolled_back(e->id);
			migrate_catalog_log(e->id, "rollback", started, usecs, true,
								e->checksum);
		}
		else
		{
			migrate_catalog_mark_applied(e->id, sw.checksum, started, usecs);
			migrate_catalog_log(e->id, "apply", started, usecs, true,
								sw.checksum);
		}
	}
	PG_FINALLY();
	{
		if (debug_query_string)
			pgstat_report_activity(STATE_RUNNING, debug_query_string);
	}
	PG_END_TRY();
	/* in the transaction that records it, which the caller commits */
	restore_settings(sw.saved);

	ereport(NOTICE,
			(errmsg_plural("%s %s (%d of %d) in %.1f ms, %d statement committed on its own",
						   "%s %s (%d of %d) in %.1f ms, %d statements each committed on its own",
						   sw.script->nstmts,
						   kind == MIGRATE_SCRIPT_DOWN ? "rolled back" : "applied",
						   e->id, step, total, usecs / 1000.0, sw.script->nstmts)));
}
