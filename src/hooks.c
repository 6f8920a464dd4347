/*-------------------------------------------------------------------------
 *
 * hooks.c
 *	  What the server tells the extension while a migration script runs:
 *	  every object it creates, alters, drops or truncates (the object access
 *	  hook), every query's write to a relation (the executor's permission
 *	  check hook), and every utility command (ProcessUtility).  Installed
 *	  when the library is loaded; outside migration scripts each hook only
 *	  passes the call on.  This module dispatches; the data-loss guard
 *	  (dataloss.c), the protection of the extension's own objects
 *	  (protect.c) and the drift record (drift.c) decide.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/objectaccess.h"
#include "access/transam.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "tcop/utility.h"

#include "dataloss.h"
#include "hooks.h"
#include "migrate.h"
#include "protect.h"
#include "targets.h"

static object_access_hook_type prev_object_access = NULL;
static ExecutorCheckPerms_hook_type prev_check_perms = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

static void
object_access(ObjectAccessType access, Oid classId, Oid objectId,
			  int subId, void *arg)
{
	if (prev_object_access)
		prev_object_access(access, classId, objectId, subId, arg);
	if (!migrate_script_running())
		return;

	switch (access)
	{
		case OAT_POST_CREATE:
			migrate_protect_created(classId, objectId, subId);
			migrate_dataloss_created(classId, objectId, subId);
			migrate_drift_touched(classId, objectId, false);
			break;
		case OAT_POST_ALTER:
			migrate_protect_object(classId, objectId, subId, "alter");
			if (classId == RelationRelationId)
				migrate_dataloss_altered(objectId);
			migrate_drift_touched(classId, objectId, false);
			break;
		case OAT_DROP:
			migrate_protect_object(classId, objectId, subId, "drop");
			migrate_dataloss_dropped(classId, objectId, subId);
			migrate_drift_touched(classId, objectId, true);
			break;
		case OAT_TRUNCATE:
			migrate_protect_object(RelationRelationId, objectId, 0, "truncate");
			migrate_dataloss_truncated(objectId);
			break;
		default:
			break;
	}
}

static bool
check_perms(List *rangeTable, bool ereport_on_violation)
{
	if (prev_check_perms &&
		!prev_check_perms(rangeTable, ereport_on_violation))
		return false;
	if (migrate_script_running())
	{
		ListCell   *lc;

		migrate_protect_writes(rangeTable);
		foreach(lc, rangeTable)
		{
			RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

			if (rte->rtekind == RTE_RELATION &&
				rte->relid < FirstNormalObjectId &&
				(rte->requiredPerms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) != 0)
				migrate_drift_untrusted("a migration wrote the system catalogs");
		}
	}
	return true;
}

/*
 * A utility command of a migration is about to run: what it names and
 * changes without the object access hook hearing of it.
 */
static void
utility_of_migration(Node *stmt)
{
	ListCell   *lc;

	foreach(lc, migrate_utility_objects(stmt))
	{
		MigrateUtilityObject *o = (MigrateUtilityObject *) lfirst(lc);

		migrate_protect_object(o->classid, o->objid, o->subid, o->action);
		if (o->contents)
			migrate_drift_touched_contents(o->objid);
		else
			migrate_drift_touched(o->classid, o->objid, false);
	}
	migrate_protect_utility(stmt);
	if (IsA(stmt, DropOwnedStmt))
		migrate_drift_untrusted("DROP OWNED revoked privileges");
	else if (IsA(stmt, AlterExtensionContentsStmt))
		migrate_drift_untrusted("ALTER EXTENSION changed which objects belong to an extension");
}

static void
process_utility(PlannedStmt *pstmt, const char *queryString,
				bool readOnlyTree, ProcessUtilityContext context,
				ParamListInfo params, QueryEnvironment *queryEnv,
				DestReceiver *dest, QueryCompletion *qc)
{
	if (migrate_script_running())
		utility_of_migration(pstmt->utilityStmt);
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* migrate_install_hooks: from _PG_init, once per backend */
void
migrate_install_hooks(void)
{
	prev_object_access = object_access_hook;
	object_access_hook = object_access;
	prev_check_perms = ExecutorCheckPerms_hook;
	ExecutorCheckPerms_hook = check_perms;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = process_utility;
}
