/*-------------------------------------------------------------------------
 *
 * execute.c
 *	  Running migrations: each statement of a script through SPI in the
 *	  caller's transaction, GUC changes scoped to the migration, errors
 *	  placed at the migration, statement and line, progress shown in
 *	  pg_stat_activity and NOTICEs, and the bookkeeping of each step.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "executor/spi_priv.h"
#include "portability/instr_time.h"
#include "tcop/dest.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "dataloss.h"
#include "migrate.h"
#include "protect.h"

/*
 * Adds the migration, statement and line to every error raised while a
 * migration runs.  A full lock table gets a hint that fits migrations.
 */
static void
exec_error_callback(void *arg)
{
	MigrateExecState *a = (MigrateExecState *) arg;

	if (geterrcode() == ERRCODE_OUT_OF_MEMORY)
		errhint("If the shared lock table is full, apply fewer migrations per transaction with a target of the form +N, or raise max_locks_per_transaction.");

	if (a->stmt_no > 0)
		errcontext("migration \"%s\", %s script, statement %d, line %d",
				   a->id, migrate_script_name(a->kind), a->stmt_no,
				   a->stmt_line);
	else
		errcontext("migration \"%s\"", a->id);
}

/* Errors from here to migrate_exec_end name migration id and its statement */
void
migrate_exec_begin(MigrateExecState *st, const char *id, MigrateScriptKind kind)
{
	st->id = id;
	st->kind = kind;
	st->stmt_no = 0;
	st->stmt_line = 0;
	st->callback.callback = exec_error_callback;
	st->callback.arg = st;
	st->callback.previous = error_context_stack;
	error_context_stack = &st->callback;
}

void
migrate_exec_end(MigrateExecState *st)
{
	error_context_stack = st->callback.previous;
}

/*
 * Run one statement from its parse tree, through SPI, as SPI_execute()
 * would run its text: a one-shot plan whose raw parse tree is analyzed,
 * planned and run in one go.  SPI_execute() would lex the text again, with
 * the session's settings at that moment, and a script that had set
 * standard_conforming_strings = off could then make one checked statement
 * run as two (SPEC §14); the tree is the statement the checks saw.  The
 * plan is built like SPI_execute_extended() builds its own (spi.c), on the
 * SPI plan structure of spi_priv.h, which PL/pgSQL uses too.
 */
static int
exec_parse_tree(MigrateStatement *stmt)
{
	_SPI_plan	plan;
#if PG_VERSION_NUM >= 140000
	SPIExecuteOptions options;

	memset(&options, 0, sizeof(options));
	options.read_only = false;
	options.dest = None_Receiver;
#endif

	memset(&plan, 0, sizeof(plan));
	plan.magic = _SPI_PLAN_MAGIC;
	plan.oneshot = true;
#if PG_VERSION_NUM >= 140000
	plan.parse_mode = RAW_PARSE_DEFAULT;
#endif
	plan.cursor_options = CURSOR_OPT_PARALLEL_OK;
	plan.plancxt = CurrentMemoryContext;
	/* analysis and execution may scribble on the tree: run a copy */
	plan.plancache_list =
		list_make1(CreateOneShotCachedPlan(copyObject(stmt->raw), stmt->text,
										   CreateCommandTag(stmt->stmt)));
#if PG_VERSION_NUM >= 140000
	return SPI_execute_plan_extended(&plan, &options);
#else
	{
		int			rc = SPI_execute_plan_with_paramlist(&plan, NULL, false, 0);

		SPI_freetuptable(SPI_tuptable);
		return rc;
	}
#endif
}

/*
 * migrate_exec_statement: run statement stmt_no (1-based) of a script
 * through SPI; it sees the work of the statements before it, and results
 * of queries are discarded.
 */
void
migrate_exec_statement(MigrateExecState *st, MigrateStatement *stmt,
					   int stmt_no)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	st->stmt_no = stmt_no;
	st->stmt_line = stmt->line;

	migrate_protect_statement_start();
	rc = exec_parse_tree(stmt);
	MemoryContextSwitchTo(cxt);
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("statement cannot run inside a migration: %s",
						SPI_result_code_string(rc))));
	migrate_protect_statement_done();
	st->stmt_no = 0;
}

/*
 * migrate_run_statements: run every statement of script, in order, each
 * shown to the data-loss guard first (which counts what it would destroy,
 * in a guarded migration).
 */
void
migrate_run_statements(MigrateExecState *st, MigrateScript *script)
{
	int			i;

	for (i = 0; i < script->nstmts; i++)
	{
		if (script->stmts[i].skip)
			continue;
		/* errors of the guard's look are placed at the statement too */
		st->stmt_no = i + 1;
		st->stmt_line = script->stmts[i].line;
		migrate_dataloss_statement(&script->stmts[i], i + 1);
		migrate_exec_statement(st, &script->stmts[i], i + 1);
	}
}

/*
 * migrate_run_script: run the kind script of migration id, statement by
 * statement, with errors placed at the migration, statement and line.  A
 * script of a non-transactional migration runs as its transactional
 * equivalent (SPEC §9): the same statements without CONCURRENTLY, which
 * have the same effect on the schema.
 */
void
migrate_run_script(const char *id, MigrateScriptKind kind, const char *sql,
				   bool transactional)
{
	MigrateExecState st;
	MigrateScript *script = migrate_script_parse(id, kind, sql, transactional);

	if (!transactional)
		migrate_script_make_transactional(script);
	migrate_exec_begin(&st, id, kind);
	migrate_run_statements(&st, script);
	migrate_exec_end(&st);
}

/*
 * migrate_run_one: run one migration in the current transaction, record
 * it, and say so in a NOTICE; caller names the entry point in
 * pg_stat_activity.
 */
void
migrate_run_one(const MigrateEntry *e, bool rollback, bool allow_data_loss,
				int step, int total, const char *caller)
{
	MigrateScriptKind kind = rollback ? MIGRATE_SCRIPT_DOWN : MIGRATE_SCRIPT_UP;
	MigrateRow *row;
	const char *sql;
	MigrateScript *script;
	char		checksum[MIGRATE_CHECKSUM_LEN + 1];
	char		activity[MIGRATE_ID_MAXLEN + 64];
	TimestampTz started;
	instr_time	t0;
	instr_time	elapsed;
	int64		usecs;
	int			nestlevel;
	MigrateExecState st;

	migrate_exec_begin(&st, e->id, kind);

	row = migrate_catalog_fetch(e->id);
	if (row == NULL)
		elog(ERROR, "migration \"%s\" vanished from migrate.migration", e->id);
	sql = rollback ? row->down_sql : row->up_sql;
	if (sql == NULL)
		elog(ERROR, "migration \"%s\" has no down script", e->id);
	script = migrate_script_parse(e->id, kind, sql, row->transactional);

	snprintf(activity, sizeof(activity), "%s: %s (%d of %d)",
			 caller, e->id, step, total);
	pgstat_report_activity(STATE_RUNNING, activity);

	started = GetCurrentTimestamp();
	INSTR_TIME_SET_CURRENT(t0);

	/* GUC changes the script makes (SET, SET ROLE...) end with it */
	nestlevel = NewGUCNestLevel();
	migrate_dataloss_begin_migration(e->id, kind,
									 !(allow_data_loss || row->data_loss_ok));
	migrate_script_begin();
	PG_TRY();
	{
		migrate_run_locked(&st, script, activity);
	}
	PG_FINALLY();
	{
		migrate_script_end();
		migrate_dataloss_end_migration();
		if (debug_query_string)
			pgstat_report_activity(STATE_RUNNING, debug_query_string);
	}
	PG_END_TRY();
	AtEOXact_GUC(false, nestlevel);
	migrate_check_extension(e->id);

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, t0);
	usecs = INSTR_TIME_GET_MICROSEC(elapsed);

	if (rollback)
	{
		migrate_catalog_mark_rolled_back(e->id);
		migrate_catalog_log(e->id, "rollback", started, usecs, true,
							e->checksum);
	}
	else
	{
		migrate_checksum(sql, strlen(sql), checksum);
		migrate_catalog_mark_applied(e->id, checksum, started, usecs);
		migrate_catalog_log(e->id, "apply", started, usecs, true, checksum);
	}

	migrate_exec_end(&st);

	ereport(NOTICE,
			(errmsg("%s %s (%d of %d) in %.1f ms",
					rollback ? "rolled back" : "applied", e->id, step, total,
					usecs / 1000.0)));
}

static void
run_all(const MigrateCatalog *cat, List *chosen, bool rollback, bool allow_data_loss)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext percxt;
	ListCell   *lc;
	int			step = 0;

	/* Whatever one migration allocates is freed before the next */
	percxt = AllocSetContextCreate(outer, "migrate migration",
								   ALLOCSET_DEFAULT_SIZES);
	foreach(lc, chosen)
	{
		MemoryContextSwitchTo(percxt);
		migrate_run_one(&cat->entries[lfirst_int(lc)], rollback,
						allow_data_loss, ++step, list_length(chosen),
						rollback ? "migrate_rollback" : "migrate_apply");
		MemoryContextSwitchTo(outer);
		MemoryContextReset(percxt);
	}
	MemoryContextDelete(percxt);
}

/*
 * migrate_subtransaction: call fn(arg) inside a subtransaction.  If fn
 * returns, the subtransaction is committed (keep) or rolled back (!keep),
 * and the result is NULL.  If fn throws, the subtransaction is rolled back
 * and the error, copied into the caller's memory context, is returned
 * instead of thrown, so the caller decides what it means: rolled back
 * first, so that whoever catches it when rethrown (a PL/pgSQL EXCEPTION
 * block) finds its own subtransaction on top.
 */
ErrorData *
migrate_subtransaction(void (*fn) (void *arg), void *arg, bool keep)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	if (edata == NULL && keep)
		ReleaseCurrentSubTransaction();
	else
		RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}

/*
 * migrate_rolled_back: call fn(arg) inside a subtransaction that is then
 * always rolled back, so that nothing it does persists; its errors go on.
 */
void
migrate_rolled_back(void (*fn) (void *arg), void *arg)
{
	ErrorData  *edata = migrate_subtransaction(fn, arg, false);

	if (edata != NULL)
		ReThrowError(edata);
}

typedef struct RunAllArgs
{
	const MigrateCatalog *cat;
	List	   *chosen;
	bool		rollback;
	bool		allow_data_loss;
} RunAllArgs;

static void
run_all_cb(void *arg)
{
	RunAllArgs *a = (RunAllArgs *) arg;

	run_all(a->cat, a->chosen, a->rollback, a->allow_data_loss);
}

/*
 * migrate_execute_failed: in the PG_CATCH of a call that runs migrations
 * (cxt is the caller's memory): the drift record is forgotten, and the
 * error goes on, or the data-loss refusal if losses were found before it.
 */
void
migrate_execute_failed(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	migrate_drift_forget();
	migrate_dataloss_fail_call(edata);
}

/*
 * migrate_execute: apply (or roll back) the chosen migrations, in the
 * order given, refusing statements that would destroy data unless the call
 * or the migration allows it.  A dry run does the same inside a
 * subtransaction that is always rolled back.  Returns how many migrations
 * ran.
 */
int
migrate_execute(const MigrateCatalog *cat, List *chosen, bool rollback, bool dry_run,
				bool allow_data_loss)
{
	MemoryContext cxt = CurrentMemoryContext;
	RunAllArgs	args;

	args.cat = cat;
	args.chosen = chosen;
	args.rollback = rollback;
	args.allow_data_loss = allow_data_loss;

	/*
	 * What the migrations would destroy is refused at the end, all at once;
	 * what they change is what the drift record describes again.
	 */
	migrate_dataloss_begin_call();
	migrate_drift_begin_call();
	PG_TRY();
	{
		if (dry_run)
			migrate_rolled_back(run_all_cb, &args);
		else
			run_all_cb(&args);
	}
	PG_CATCH();
	{
		migrate_execute_failed(cxt);
	}
	PG_END_TRY();
	migrate_dataloss_end_call();
	if (!dry_run)
		return list_length(chosen);
	migrate_drift_forget();

	ereport(NOTICE,
			(errmsg("dry run: %d %s would be %s; nothing was changed",
					list_length(chosen),
					list_length(chosen) == 1 ? "migration" : "migrations",
					rollback ? "rolled back" : "applied")));
	return list_length(chosen);
}
