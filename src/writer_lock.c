/*-------------------------------------------------------------------------
 *
 * writer_lock.c
 *	  The lock that serializes writers (SPEC §6, §10, §14): ExclusiveLock on
 *	  migrate.writer_lock, a table no other role can reach, so nobody
 *	  without the extension's grants can take it and hold every deploy
 *	  back.  A function that writes (migrate_apply() and the others) holds
 *	  it to the end of its transaction; CALL migrate_deploy() holds it for
 *	  the session across the commits of the deploy, and gives it back when
 *	  it ends, fails (an abort releases session locks too) or its backend
 *	  dies.
 *
 *	  The two kinds of waiter differ in one way that matters.  A deploy
 *	  waits for the lock in a transaction of its own that holds no snapshot.
 *	  A function waits inside the query that called it, which holds one.
 *	  A deploy that runs CREATE INDEX CONCURRENTLY (or another statement
 *	  that waits for older snapshots, WaitForOlderSnapshots) waits for that
 *	  query to end, while the query waits for the deploy's lock: a deadlock
 *	  that the server finds only after deadlock_timeout, and then possibly
 *	  by failing the deploy's index build.  So a function waits in short
 *	  slices, and between two slices gives up, with an error saying why, as
 *	  soon as the holder of the lock is waiting for its transaction: the
 *	  deploy goes on.  The slices are lock waits like any other: pg_locks
 *	  shows them, and lock_timeout bounds their sum.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "migrate.h"

/* How long a function waits for the lock before it looks again */
#define SLICE_MS	100

/* The deploy's session lock, while it holds it */
static LockRelId deploy_lock;
static bool deploy_locked = false;

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
 * The process that holds the writers' lock, if it is waiting for this
 * transaction to end (it waits on this backend's virtual transaction id);
 * 0 if not.
 */
static int
holder_awaiting_me(Oid relid)
{
	LockData   *data = GetLockStatusData();
	VirtualTransactionId me;
	int			holder = 0;
	int			i;

	GET_VXID_FROM_PGPROC(me, *MyProc);
	for (i = 0; i < data->nelements; i++)
	{
		LockInstanceData *inst = &data->locks[i];

		if (inst->locktag.locktag_type == LOCKTAG_RELATION &&
			inst->locktag.locktag_field1 == MyDatabaseId &&
			inst->locktag.locktag_field2 == relid &&
			(inst->holdMask & LOCKBIT_ON(ExclusiveLock)) != 0)
			holder = inst->pid;
	}
	if (holder != 0)
	{
		for (i = 0; i < data->nelements; i++)
		{
			LockInstanceData *inst = &data->locks[i];

			if (inst->pid == holder &&
				inst->waitLockMode != NoLock &&
				inst->locktag.locktag_type == LOCKTAG_VIRTUALTRANSACTION &&
				inst->locktag.locktag_field1 == me.backendId &&
				inst->locktag.locktag_field2 == me.localTransactionId)
				return holder;
		}
	}
	return 0;
}

/* Wait at most ms for the lock; false if it stayed busy */
static bool
wait_slice(Oid relid, int ms)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int			nestlevel;
	bool		got = true;
	char		timeout[32];

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	nestlevel = NewGUCNestLevel();
	snprintf(timeout, sizeof(timeout), "%d", ms);
	(void) set_config_option("lock_timeout", timeout, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		LockRelationOid(relid, ExclusiveLock);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(edata);
		got = false;
	}
	PG_END_TRY();
	AtEOXact_GUC(false, nestlevel);
	if (got)
		ReleaseCurrentSubTransaction(); /* the lock goes to the parent */
	else
		RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return got;
}

/*
 * migrate_lock_writers: a function that writes takes the writers' lock, to
 * the end of its transaction (see the top of the file).  A database still
 * at 0.1 or 0.2 has no such table and keeps the advisory lock of those
 * versions until ALTER EXTENSION migrate UPDATE.
 */
void
migrate_lock_writers(const char *funcname)
{
	Oid			relid = migrate_writer_lock_relid();
	TimestampTz start;
	LOCKTAG		tag;

	if (!OidIsValid(relid))
	{
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
							 MIGRATE_LOCK_KEY2, 2);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
		return;
	}
	if (ConditionalLockRelationOid(relid, ExclusiveLock))
		return;

	start = GetCurrentTimestamp();
	for (;;)
	{
		long		waited = (long) ((GetCurrentTimestamp() - start) / 1000);
		int			slice = SLICE_MS;
		bool		last = false;
		int			holder;

		/* the last slice ends when lock_timeout does, and fails as it */
		if (LockTimeout > 0 && LockTimeout - waited <= SLICE_MS)
		{
			slice = (int) Max(LockTimeout - waited, 1);
			last = true;
		}
		if (wait_slice(relid, slice))
			return;
		if (last)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("canceling statement due to lock timeout")));
		holder = holder_awaiting_me(relid);
		if (holder != 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_DEADLOCK_DETECTED),
					 errmsg("%s cannot wait for the deploy in progress", funcname),
					 errdetail("Process %d holds the writers' lock and runs a statement that waits for this transaction to end, as CREATE INDEX CONCURRENTLY waits for every older snapshot.",
							   holder),
					 errhint("Run it again when the deploy is done, or queue behind it with CALL migrate_deploy(), which waits without holding a snapshot.")));
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * migrate_lock_writers_for_session: CALL migrate_deploy() takes the
 * writers' lock for the session, in a transaction that holds no snapshot
 * (the caller committed the one of CALL), so that no statement of another
 * deploy that waits for older snapshots ever waits for this one while it
 * waits.  Only the catalog snapshot of the lookup could remain: it is let
 * go before the wait.
 */
void
migrate_lock_writers_for_session(void)
{
	Oid			relid = migrate_writer_lock_relid();

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate extension must be updated to deploy"),
				 errhint("Run ALTER EXTENSION migrate UPDATE.")));
	deploy_lock.relId = relid;
	deploy_lock.dbId = MyDatabaseId;
	InvalidateCatalogSnapshot();
	LockRelationIdForSession(&deploy_lock, ExclusiveLock);
	deploy_locked = true;
}

/*
 * migrate_unlock_writers_for_session: the deploy ended.  After an error
 * the abort of the transaction has released the lock already.
 */
void
migrate_unlock_writers_for_session(void)
{
	if (deploy_locked)
		UnlockRelationIdForSession(&deploy_lock, ExclusiveLock);
	deploy_locked = false;
}

/*
 * migrate_relock_writers_for_session: the deploy aborted a transaction of its own
 * (to go on after an error it records, or to retry): the abort released
 * the session lock, which is taken again.
 */
void
migrate_relock_writers_for_session(void)
{
	InvalidateCatalogSnapshot();
	LockRelationIdForSession(&deploy_lock, ExclusiveLock);
	deploy_locked = true;
}
