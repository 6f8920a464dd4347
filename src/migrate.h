/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  Declarations shared by the modules of the migrate extension.
 *
 * The modules, one job each:
 *	  migrate.c  SQL-callable functions and GUCs
 *	  guard.c    entry checks, the writers' lock, running-script guard
 *	  version.c  migration ids: validity and version order
 *	  target.c   parsing targets and choosing the migrations they name
 *	  script.c   parsing scripts into statements, refusing what cannot run
 *	  catalog.c  reading and writing the migrate.* tables
 *	  execute.c  running migrations through SPI
 *	  analyze.c  what a statement does to existing relations
 *	  dataloss.c refusing statements that would destroy data
 *	  locking.c  lock timeout and retries around each migration
 *	  plan.c     migrate_plan()
 *	  describe.c the schema described: migrate_schema() (describe.h)
 *	  verify.c   migrate_verify(), drift
 *	  baseline.c adopting a database: migrate_baseline(), marking applied
 *	  import.c   migrate_import(): another tool's history, matched, baselined
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "postgres.h"

#include "fmgr.h"

#include "datatype/timestamp.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"
#include "utils/tuplestore.h"

#include "describe.h"

/* Longest id accepted, in characters (all ASCII). */
#define MIGRATE_ID_MAXLEN		200

/* Hex SHA-256: 64 digits and the terminator. */
#define MIGRATE_CHECKSUM_LEN	64

/*
 * Key of the advisory lock that serialized writers up to version 0.2, the
 * same lock as pg_advisory_xact_lock(1835624306, 1635018017) ("migr",
 * "ate!"); kept for databases not yet updated.  From 0.3 on, writers lock
 * the table migrate.writer_lock instead.
 */
#define MIGRATE_LOCK_KEY1		1835624306
#define MIGRATE_LOCK_KEY2		1635018017

/* ---------- rows.c ---------- */

extern Tuplestorestate *migrate_begin_rows(FunctionCallInfo fcinfo,
										   TupleDesc *desc);

/* GUCs (migrate.c) */
extern bool migrate_allow_out_of_order;

/* ---------- guard.c ---------- */

extern void migrate_enter(const char *funcname, bool writer);
extern void migrate_leave(void);
extern void migrate_script_begin(void);
extern void migrate_script_end(void);
extern bool migrate_script_running(void);
extern void migrate_enter_trigger(void);
extern Oid	migrate_extension_owner(void);
extern Oid	migrate_writer_lock_relid(void);
extern void migrate_enter_deploy(FunctionCallInfo fcinfo, const char *funcname);
extern void migrate_leave_deploy(void);

/* ---------- writer_lock.c ---------- */

extern void migrate_lock_writers(const char *funcname);
extern void migrate_lock_writers_for_session(void);
extern void migrate_unlock_writers_for_session(void);
extern void migrate_relock_writers_for_session(void);
extern void migrate_check_extension(const char *id);

/* ---------- version.c ---------- */

extern int	migrate_version_cmp(const char *a, const char *b);

/* room for the sort key of any valid id */
#define MIGRATE_VERSION_KEY_MAX	(4 * MIGRATE_ID_MAXLEN + 4)
extern int	migrate_version_key(const char *id, unsigned char *key);
extern int	migrate_version_key_cmp(const unsigned char *a, int alen,
									const unsigned char *b, int blen);
extern bool migrate_id_valid(const char *id);
extern void migrate_check_id(const char *id);

/* ---------- script.c ---------- */

typedef enum MigrateScriptKind
{
	MIGRATE_SCRIPT_UP,
	MIGRATE_SCRIPT_DOWN
} MigrateScriptKind;

extern const char *migrate_script_name(MigrateScriptKind kind);

typedef struct MigrateStatement
{
	int			offset;			/* byte offset of its first token */
	int			len;			/* length in bytes */
	int			line;			/* 1-based line of its first token */
	char	   *text;			/* its text, from offset for len bytes */
	struct RawStmt *raw;		/* its raw parse tree, positions in text */
	Node	   *stmt;			/* raw->stmt */
	bool		toplevel;		/* refuses a transaction block: a deploy runs
								 * it at top level, on its own */
	bool		skip;			/* left out of a transactional equivalent */
} MigrateStatement;

typedef struct MigrateScript
{
	const char *sql;			/* the whole script */
	int			nstmts;
	MigrateStatement *stmts;
} MigrateScript;

extern MigrateScript *migrate_script_parse(const char *id,
										   MigrateScriptKind kind,
										   const char *sql,
										   bool transactional);
extern void migrate_script_check(const char *id, const char *up,
								 const char *down, bool transactional);
extern const char *migrate_toplevel_command(Node *stmt);
extern void migrate_script_make_transactional(MigrateScript *script);
extern int	migrate_script_line_at(const char *text, int charpos, int *column);
extern void migrate_checksum(const char *data, size_t len, char *dest);
struct pg_cryptohash_ctx;
extern void migrate_sha256_final(struct pg_cryptohash_ctx *ctx, uint8 *digest,
								 const char *what);
extern void migrate_hex(const uint8 *bytes, size_t len, char *dest);

/* ---------- catalog.c ---------- */

typedef enum MigrateState
{
	MIGRATE_APPLIED,
	MIGRATE_PENDING,
	MIGRATE_MODIFIED,
	MIGRATE_OUT_OF_ORDER,
	MIGRATE_MISSING,
	MIGRATE_PARTIAL
} MigrateState;

extern const char *migrate_state_name(MigrateState state);

/* One migration, registered or applied or both, as loaded from the catalog */
typedef struct MigrateEntry
{
	char	   *id;
	char	   *description;	/* NULL if none */
	bool		registered;		/* has a migrate.migration row */
	bool		applied;		/* has a migrate.applied row */
	bool		reversible;		/* down_sql is not NULL */
	MigrateState state;
	TimestampTz applied_at;
	char	   *applied_by;
	char	   *registered_by;	/* NULL if not registered */
	Interval	duration;
	char		checksum[MIGRATE_CHECKSUM_LEN + 1];
	bool		transactional;	/* false: a deploy runs it statement by
								 * statement */
	/* a deploy started its up or down script and did not finish it */
	bool		partial;
	MigrateScriptKind partial_kind;
	int			partial_done;	/* statements committed */
	char	   *partial_error;	/* what stopped it, NULL if not known */
} MigrateEntry;

/* Every migration, in version order */
typedef struct MigrateCatalog
{
	int			n;
	MigrateEntry *entries;
	int			latest_applied; /* index of the latest applied, or -1 */
} MigrateCatalog;

/* A migration's stored row */
typedef struct MigrateRow
{
	char	   *id;
	char	   *up_sql;
	char	   *down_sql;		/* NULL if irreversible */
	char	   *description;
	char	   *checksum;
	bool		data_loss_ok;
	bool		transactional;
	bool		applied;
	bool		partial;		/* a deploy started it and did not finish */
	char	   *registered_by;	/* its author: who registered or changed it */
} MigrateRow;

extern const MigrateCatalog *migrate_catalog_load(bool fresh);
extern bool migrate_state_written_here(void);
extern void migrate_catalog_state_changed(void);
extern MigrateRow *migrate_catalog_fetch(const char *id);
extern void migrate_catalog_insert(const MigrateRow *row);
extern void migrate_catalog_update(const MigrateRow *row);
extern void migrate_catalog_delete(const char *id);
extern void migrate_catalog_mark_applied(const char *id, const char *checksum,
										 TimestampTz at, int64 usecs);
extern void migrate_catalog_mark_rolled_back(const char *id);

/* A deploy's progress through a non-transactional migration's script */
typedef struct MigrateProgress
{
	MigrateScriptKind kind;
	char	   *checksum;		/* of the script being run */
	int			statements;
	int			done;			/* committed */
	TransactionId statement_xid;	/* recorded the start of statement done +
									 * 1, or invalid */
} MigrateProgress;

extern bool migrate_catalog_progress_get(const char *id,
										 MigrateProgress *progress);
extern void migrate_catalog_progress_start(const char *id,
										   MigrateScriptKind kind,
										   const char *checksum,
										   int statements);
extern void migrate_catalog_progress_step(const char *id, int done,
										  bool starting);
extern void migrate_catalog_progress_error(const char *id,
										   const char *message);
extern void migrate_catalog_progress_end(const char *id);
extern Interval *migrate_usecs_interval(int64 usecs);
extern int	migrate_catalog_version(void);
extern Schema *migrate_catalog_reference(void);
extern bool migrate_catalog_reference_state(char **fingerprint,
											bool *incremental,
											char **deploy_pending);
extern void migrate_catalog_deploy_pending(void);
extern Schema *migrate_catalog_update_reference(Oid *owner_classes,
												Oid *owner_oids, int n,
												Schema *described);
extern void migrate_catalog_set_reference(const char *fingerprint);
extern void migrate_catalog_record_fingerprint(const char *fingerprint);
extern void migrate_catalog_record_base(void);
extern void migrate_catalog_forget_base(void);
extern Schema *migrate_catalog_base(void);
extern int64 migrate_catalog_ddl_since_reference(void);
extern bool migrate_catalog_capture_on(void);
extern void migrate_catalog_set_capture(bool on);
extern void migrate_catalog_log_ddl(bool dropped, const char *tag);
extern void migrate_catalog_log(const char *id, const char *action,
								TimestampTz at, int64 usecs, bool has_duration,
								const char *checksum);

/* ---------- analyze.c ---------- */

typedef enum MigrateRisk
{
	MIGRATE_RISK_NONE,
	MIGRATE_RISK_LOW,
	MIGRATE_RISK_MEDIUM,
	MIGRATE_RISK_HIGH
} MigrateRisk;

/*
 * What the data-loss guard counts just before a statement runs.  What a
 * statement drops or truncates is not here: the guard counts it as the
 * server removes it (dataloss.c), dependencies and CASCADE included.
 */
typedef enum MigrateDataCheck
{
	MIGRATE_CHECK_NONE,
	MIGRATE_CHECK_ROWS,			/* the rows of the relation (DELETE) */
	MIGRATE_CHECK_VALUES,		/* rows with a value in one of columns */
	MIGRATE_CHECK_SCHEMA		/* for the plan: a schema dropped */
} MigrateDataCheck;

/* What one statement does to one relation */
typedef struct MigrateEffect
{
	const char *relname;		/* as written, or NULL for no relation */
	Oid			relid;			/* InvalidOid: does not exist now */
	Oid			schema;			/* for MIGRATE_CHECK_SCHEMA */
	List	   *columns;		/* names, for MIGRATE_CHECK_VALUES */
	bool		inh;			/* with its inheritors (not ONLY) */
	bool		created_here;	/* created earlier in the same migration */
	int			lockmode;		/* LOCKMODE, NoLock for none */
	bool		rewrites;
	bool		scans;			/* scans under a lock that blocks writes */
	bool		destroys;		/* may destroy existing data */
	MigrateDataCheck check;
	int64		rows;			/* estimate, -1 unknown */
	int64		pages;			/* -1 unknown */
	MigrateRisk risk;
	const char *advice;
} MigrateEffect;

extern List *migrate_analyze(Node *stmt, List **created);
extern const char *migrate_relation_name(Oid relid);
extern MigrateRisk migrate_effect_risk(MigrateEffect *e);
extern const char *migrate_risk_name(MigrateRisk risk);

/* ---------- target.c ---------- */

typedef enum MigrateTargetKind
{
	MIGRATE_TARGET_HEAD,		/* apply: every pending migration */
	MIGRATE_TARGET_BASE,		/* rollback: every applied migration */
	MIGRATE_TARGET_ID,			/* apply up to it; roll back what follows it */
	MIGRATE_TARGET_STEPS		/* apply +N, roll back -N */
} MigrateTargetKind;

typedef struct MigrateTarget
{
	const char *text;			/* as given, for messages */
	MigrateTargetKind kind;
	int			steps;			/* for MIGRATE_TARGET_STEPS */
	const char *id;				/* for MIGRATE_TARGET_ID */
} MigrateTarget;

extern void migrate_parse_target(const char *spec, bool rollback,
								 MigrateTarget *target);
extern void migrate_parse_target_of(const char *spec, bool rollback,
									const char *funcname,
									MigrateTarget *target);
extern List *migrate_select_apply(const MigrateCatalog *cat, MigrateTarget *target);
extern List *migrate_select_rollback(const MigrateCatalog *cat, MigrateTarget *target);
extern void migrate_validate(const MigrateCatalog *cat, bool rollback,
							 bool deploy);
extern int	migrate_applied_count(const MigrateCatalog *cat);
extern void migrate_refuse_nontransactional(const MigrateCatalog *cat,
											List *chosen, bool rollback);
extern void migrate_check_authors(const MigrateCatalog *cat, List *chosen,
								  bool rollback);
extern void migrate_check_authors_for(const MigrateCatalog *cat, List *chosen,
									  const char *action);

/* ---------- execute.c ---------- */

/* The error context of a migration being run */
typedef struct MigrateExecState
{
	const char *id;
	MigrateScriptKind kind;
	int			stmt_no;		/* 1-based; 0 outside any statement */
	int			stmt_line;
	ErrorContextCallback callback;
} MigrateExecState;

extern int	migrate_execute(const MigrateCatalog *cat, List *chosen, bool rollback,
							bool dry_run, bool allow_data_loss);
extern void migrate_execute_failed(MemoryContext cxt) pg_attribute_noreturn();
extern void migrate_run_one(const MigrateEntry *e, bool rollback,
							bool allow_data_loss, int step, int total,
							const char *caller);
extern void migrate_run_script(const char *id, MigrateScriptKind kind,
							   const char *sql, bool transactional);
extern void migrate_exec_begin(MigrateExecState *st, const char *id,
							   MigrateScriptKind kind);
extern void migrate_exec_statement(MigrateExecState *st,
								   MigrateStatement *stmt, int stmt_no);
extern void migrate_exec_end(MigrateExecState *st);
extern void migrate_run_statements(MigrateExecState *st, MigrateScript *script);
extern ErrorData *migrate_subtransaction(void (*fn) (void *arg), void *arg,
										 bool keep);
extern void migrate_rolled_back(void (*fn) (void *arg), void *arg);

/* ---------- locking.c ---------- */

extern int	migrate_lock_timeout;
extern int	migrate_lock_retries;
extern char *migrate_describe_blockers(MigrateScript *script, int stmt_no);
extern void migrate_backoff_sleep(int ms);
extern int	migrate_retry_wait_ms(int attempt);
extern void migrate_run_locked(MigrateExecState *st, MigrateScript *script,
							   const char *activity);

/* ---------- verify.c ---------- */

typedef void (*MigrateDiffFn) (void *arg, SchemaObject *obj,
							   const char *before, const char *after);

extern int	migrate_compare(Schema *before, Schema *after, MigrateDiffFn emit,
							void *arg);
extern void migrate_verify_rows(const MigrateCatalog *cat, List *chosen,
								Tuplestorestate *store, TupleDesc desc);

/* ---------- drift.c ---------- */

extern int	migrate_drift_rows(Tuplestorestate *store, TupleDesc desc);
extern int	migrate_drift_accept(void);
extern void migrate_drift_begin_call(void);
extern void migrate_drift_forget(void);
extern void migrate_drift_touched(Oid classid, Oid objid, bool dropping);
extern void migrate_drift_touched_contents(Oid nspid);
extern void migrate_drift_untrusted(const char *why);
extern void migrate_drift_record(void);
extern void migrate_drift_deploy_begin(void);
extern void migrate_drift_deploy_record(void);
extern void migrate_drift_warn(void);
extern void migrate_drift_record_base(void);
extern void migrate_drift_record_baseline(void);
extern void migrate_drift_check_base(void);

/* ---------- baseline.c ---------- */

extern void migrate_baseline_check_state(const MigrateCatalog *cat,
										 const char *funcname,
										 const char *what);
extern int	migrate_baseline_mark(const MigrateCatalog *cat, List *chosen,
								  List *notes);
extern int	migrate_baseline_run(const char *target);

/* ---------- import.c ---------- */

extern int	migrate_import_run(const char *tool, const char *table);

/* ---------- plan.c ---------- */

extern void migrate_plan_rows(const MigrateCatalog *cat, List *chosen, bool execute,
							  bool rollback, Tuplestorestate *store,
							  TupleDesc desc);

#endif							/* MIGRATE_H */
