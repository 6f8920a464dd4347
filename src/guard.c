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

/*
 * migrate_writer_lock_relid: the table every writer locks, migrate.writer_lock,
 * or InvalidOid in a database whose extension is not yet updated to 0.3.
 */
Oid
migrate_writer_lock_relid(void)
{
	Oid			nsp = get_namespace_oid("migrate", true);

	return OidIsValid(nsp) ? get_relname_relid("writer_lock", nsp) : InvalidOid;
}

/*
 * The lock that serializes writers, held to the end of the transaction: a
 * plain lock wait, which lock_timeout bounds and pg_locks shows.  It is
 * ExclusiveLock on migrate.writer_lock, a table no other role can reach
 * (SPEC §14): unlike an advisory lock, nobody without the extension's grants
 * can take it and hold every deploy back.  A database still at 0.1 or 0.2
 * has no such table and keeps the advisory lock of those versions until
 * ALTER EXTENSION migrate UPDATE.
 */
static void
lock_writers(void)
{
	Oid			relid = migrate_writer_lock_relid();
	LOCKTAG		tag;

	if (OidIsValid(relid))
	{
		LockRelationOid(relid, ExclusiveLock);
		return;
	}
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 MIGRATE_LOCK_KEY2, 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * migrate_enter: the checks every entry point makes, then SPI_connect.
 * A writer (register, unregister, apply, rollback) also takes the lock that
 * serializes writers, for the rest of the transaction.
 */
void
migrate_enter(const char *funcname, bool writer)
{
	if (script_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s cannot be called from inside a migration script",
						funcname),
				 errdetail("Migration scripts are run by migrate_apply() and migrate_rollback(), which keep the migration state themselves."),
				 errhint("Remove the call from the migration script.")));

	if (writer)
	{
		if (RecoveryInProgress())
			ereport(ERROR,
					(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
					 errmsg("%s cannot run during recovery", funcname),
					 errdetail("This server is a standby or is still recovering; migrations are applied on the primary and reach standbys through WAL."),
					 errhint("Run it on the primary server.  migrate_status() and migrate_current() work here.")));
		PreventCommandIfReadOnly(funcname);
		if (IsolationUsesXactSnapshot())
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
					 errmsg("%s requires the READ COMMITTED isolation level",
							funcname),
					 errdetail("Under REPEATABLE READ or SERIALIZABLE its snapshot could not see the work of a concurrent deploy."),
					 errhint("Run it in a READ COMMITTED transaction.")));
	}

	extension_owner = InvalidOid;
	(void) migrate_extension_owner();

	if (writer)
		lock_writers();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
migrate_leave(void)
{
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
