/*-------------------------------------------------------------------------
 *
 * hooks.c
 *	  What the server tells the extension while a migration script runs:
 *	  every object it creates, alters, drops or truncates (the object access
 *	  hook), every query's write to a relation (the executor's permission
 *	  check hook), and every utility command (ProcessUtility).  Installed
 *	  when the library is loaded; outside migration scripts each hook only
 *	  passes the call on.  This module dispatches; the data-loss guard
 *	  (dataloss.c) and the protection of the extension's own objects
 *	  (protect.c) decide.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "tcop/utility.h"

#include "dataloss.h"
#include "hooks.h"
#include "protect.h"

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
			break;
		case OAT_POST_ALTER:
			migrate_protect_object(classId, objectId, subId, "alter");
			break;
		case OAT_DROP:
			migrate_protect_object(classId, objectId, subId, "drop");
			migrate_dataloss_dropped(classId, objectId, subId);
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
		migrate_protect_writes(rangeTable);
	return true;
}

static void
process_utility(PlannedStmt *pstmt, const char *queryString,
				bool readOnlyTree, ProcessUtilityContext context,
				ParamListInfo params, QueryEnvironment *queryEnv,
				DestReceiver *dest, QueryCompletion *qc)
{
	if (migrate_script_running())
		migrate_protect_utility(pstmt->utilityStmt);
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
