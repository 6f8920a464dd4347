/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  What every entry point checks before it does anything: that it is not
 *	  called from inside a migration script, that writers run where they can
 *	  write and under READ COMMITTED, and the lock that serializes writers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/fmgroids.h"
#include "tcop/pquery.h"
#include "utils/portal.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "migrate.h"

/* Depth of migration scripts running in this backend (0: none). */
static int	script_depth = 0;

/* The extension and its owner, looked up once per call of an entry point. */
static Oid	extension_oid = InvalidOid;
static Oid	extension_owner = InvalidOid;

static Oid
lookup_extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("migrate"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
		extension_oid = ((Form_pg_extension) GETSTRUCT(tuple))->oid;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"migrate\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION migrate.")));
	return owner;
}

/* The role that owns the extension and its catalog tables. */
Oid
migrate_extension_owner(void)
{
	if (!OidIsValid(extension_owner))
		extension_owner = lookup_extension_owner();
	return extension_owner;
}

/*
 * migrate_check_extension: raise an error if the migration just run
 * dropped the extension (through a statement registration could not see,
 * such as one in a DO block); its changes then roll back with the call.
 */
void
migrate_check_extension(const char *id)
{
	if (get_extension_oid("migrate", true) != extension_oid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" dropped the migrate extension", id),
				 errdetail("A migration that removes the catalog recording it cannot be recorded; nothing of this call is kept."),
				 errhint("Drop the extension outside migrations.")));
}

/* No entry point runs from inside a migration script (SPEC §6.7) */
static void
refuse_in_script(const char *funcname)
{
	if (script_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s cannot be called from inside a migration script",
						funcname),
				 errdetail("Migration scripts are run by the extension, which keeps the migration state itself."),
				 errhint("Remove the call from the migration script.")));
}

/* Writers run on the primary */
static void
refuse_in_recovery(const char *funcname)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("%s cannot run during recovery", funcname),
				 errdetail("This server is a standby or is still recovering; migrations are applied on the primary and reach standbys through WAL."),
				 errhint("Run it on the primary server.  migrate_status() and migrate_current() work here.")));
}

/*
 * Writers run under READ COMMITTED: a snapshot older than the writers' lock
 * could not see the work of a concurrent deploy.
 */
static void
refuse_snapshot_isolation(const char *funcname, const char *hint)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("%s requires the READ COMMITTED isolation level",
						funcname),
				 errdetail("Under REPEATABLE READ or SERIALIZABLE its snapshot could not see the work of a concurrent deploy."),
				 errhint("%s", hint)));
}

/*
 * migrate_enter: the checks every entry point makes, then SPI_connect.
 * A writer (register, unregister, apply, rollback) also takes the lock that
 * serializes writers, for the rest of the transaction.
 */
void
migrate_enter(const char *funcname, bool writer)
{
	refuse_in_script(funcname);
	if (writer)
	{
		refuse_in_recovery(funcname);
		PreventCommandIfReadOnly(funcname);
		refuse_snapshot_isolation(funcname,
								  "Run it in a READ COMMITTED transaction.");
	}

	extension_owner = InvalidOid;
	(void) migrate_extension_owner();

	if (writer)
		migrate_lock_writers(funcname);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
migrate_leave(void)
{
	SPI_finish();
}

/*
 * Is the procedure of fcinfo the statement the active portal runs, a CALL
 * of its own, rather than called from a function, a DO block or another
 * procedure (which runs in a portal of its own statement)?
 */
static bool
called_as_statement(FunctionCallInfo fcinfo)
{
	PlannedStmt *ps;
	CallStmt   *call;

	if (ActivePortal == NULL || list_length(ActivePortal->stmts) != 1)
		return false;
	ps = linitial_node(PlannedStmt, ActivePortal->stmts);
	if (ps->commandType != CMD_UTILITY || ps->utilityStmt == NULL ||
		!IsA(ps->utilityStmt, CallStmt))
		return false;
	call = (CallStmt *) ps->utilityStmt;
	return call->funcexpr != NULL &&
		call->funcexpr->funcid == fcinfo->flinfo->fn_oid;
}

/*
 * migrate_enter_deploy: the checks of CALL migrate_deploy() and
 * migrate_undeploy(), which commit as they go (SPEC §10): called as a
 * statement of its own at top level, outside a transaction block, on a
 * primary, in READ COMMITTED.  Then the first commit, which lets go of the
 * snapshot of CALL, and the writers' lock for the session, waited for in a
 * transaction that holds no snapshot.  SPI is connected non-atomic.
 */
void
migrate_enter_deploy(FunctionCallInfo fcinfo, const char *funcname)
{
	CallContext *call = (CallContext *) fcinfo->context;

	refuse_in_script(funcname);
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run inside a transaction block", funcname),
				 errdetail("It commits after each migration."),
				 errhint("Run CALL %s outside BEGIN ... COMMIT, or use migrate_apply() inside a transaction of your own.",
						 funcname)));
	if (call == NULL || !IsA(call, CallContext) || call->atomic ||
		!called_as_statement(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s must be called as a statement of its own", funcname),
				 errdetail("It commits after each migration, which it cannot do when called from a function, a DO block or another procedure."),
				 errhint("Run CALL %s as a top-level statement.", funcname)));
	refuse_in_recovery(funcname);

	extension_owner = InvalidOid;
	(void) migrate_extension_owner();
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");
	SPI_commit();

	/* the transactions to come are the session's defaults */
	PreventCommandIfReadOnly(funcname);
	refuse_snapshot_isolation(funcname,
							  "SET default_transaction_isolation = 'read committed' first.");
	migrate_lock_writers_for_session();
}

/* migrate_leave_deploy: the deploy is done */
void
migrate_leave_deploy(void)
{
	migrate_unlock_writers_for_session();
	SPI_finish();
}

/*
 * Bracket the execution of a migration script.  While it runs, calls of
 * this extension's functions are refused (SPEC §6.7).  On error the caller
 * unwinds through PG_FINALLY, which calls migrate_script_end.
 */
void
migrate_script_begin(void)
{
	script_depth++;
}

void
migrate_script_end(void)
{
	if (script_depth > 0)
		script_depth--;
}

/* Is a migration script running in this backend? */
bool
migrate_script_running(void)
{
	return script_depth > 0;
}

/* For event triggers: look the extension up afresh, and connect to SPI */
void
migrate_enter_trigger(void)
{
	extension_owner = InvalidOid;
	(void) migrate_extension_owner();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}
