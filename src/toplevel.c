/*-------------------------------------------------------------------------
 *
 * toplevel.c
 *	  Running one statement of a non-transactional migration at top level,
 *	  as psql would send it on its own (SPEC §10).
 *
 * CREATE INDEX CONCURRENTLY and the others refuse a transaction block and
 * a function (PreventInTransactionBlock): PostgreSQL runs them only when
 * ProcessUtility is called with PROCESS_UTILITY_TOPLEVEL, outside any
 * transaction block and subtransaction, and they then commit and start
 * transactions of their own while they run.  SPI always runs a statement
 * as a query (PROCESS_UTILITY_QUERY), so this calls ProcessUtility itself,
 * from the procedure CALL migrate_deploy(), which CALL runs non-atomic:
 *
 *	 - The deploy has committed (SPI_commit) before: the snapshot of CALL
 *	   is gone (SPI_commit forgets the portal's snapshots), and the new
 *	   transaction has no xmin until something takes a snapshot.  The only
 *	   snapshot here is the one pushed for the statement, which the
 *	   statement pops itself before its first commit, as it does under
 *	   exec_simple_query.  So the statement's waits for older snapshots
 *	   (WaitForOlderSnapshots) and for lockers (WaitForLockers) never wait
 *	   for the deploying backend itself.
 *	 - The deploy is not connected to SPI while the statement runs: its
 *	   commits would end SPI connections they do not know of (AtEOXact_SPI).
 *	 - The deploy holds no lock but the writers' lock, a session lock on a
 *	   table no statement touches.
 *
 * A dynamic background worker (pg_background, pg_cron's worker mode) can
 * run such a statement too, but its caller waits for it while holding its
 * own snapshot and locks, and the statement waits for that snapshot: an
 * undetected deadlock (pg_background issue 64, REINDEX CONCURRENTLY with
 * the caller in IPC:MessageQueueReceive and the worker in Lock:virtualxid;
 * Flyway issues 3497 and 3682 hang the same way on their own lock).  Here
 * the statement runs in the deploying backend, which waits for nothing
 * while it runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/plannodes.h"
#include "tcop/cmdtag.h"
#include "tcop/dest.h"
#include "tcop/utility.h"
#include "utils/snapmgr.h"

#include "resume.h"

/*
 * migrate_run_toplevel: run utility statement stmt (text is its text, in
 * which it is at location for len bytes) at top level, in the current
 * transaction, which must hold no snapshot and be no transaction block.
 * The statement may commit and start transactions; it returns in the last
 * one, uncommitted.
 */
void
migrate_run_toplevel(Node *stmt, const char *text, int location, int len)
{
	PlannedStmt *ps = makeNode(PlannedStmt);
	QueryCompletion qc;

	ps->commandType = CMD_UTILITY;
	ps->canSetTag = true;
	/* the statement may scribble on its tree: run a copy */
	ps->utilityStmt = copyObject(stmt);
	ps->stmt_location = location;
	ps->stmt_len = len;
	InitializeQueryCompletion(&qc);

	PushActiveSnapshot(GetTransactionSnapshot());
	ProcessUtility(ps, text, false, PROCESS_UTILITY_TOPLEVEL, NULL, NULL,
				   None_Receiver, &qc);
	/* some statements pop it themselves, as under exec_simple_query */
	if (ActiveSnapshotSet())
		PopActiveSnapshot();
}
