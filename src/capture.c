/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  The capture of DDL run outside migrations (SPEC §9, §14): the event
 *	  triggers migrate_ddl_end (ddl_command_end) and migrate_ddl_drop
 *	  (sql_drop) record each such command in migrate.ddl_log when the
 *	  capture is on, and migrate_capture_ddl() turns it on or off.
 *
 *	  The setting is a row of migrate.settings, which only the extension's
 *	  owner can write, changed through a function that only a superuser may
 *	  call: no other role can turn it off by any route, which a GUC could
 *	  not promise (a role connecting with -c migrate.capture_ddl=off before
 *	  the library was loaded turned it off for its session, up to 0.2).
 *
 *	  The triggers only ever insert rows, so no other session's DDL waits
 *	  for them, and they never raise an internal error when an object they
 *	  look at was dropped meanwhile.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/syscache.h"

#include "migrate.h"

PG_FUNCTION_INFO_V1(migrate_ddl_start);
PG_FUNCTION_INFO_V1(migrate_ddl_end);
PG_FUNCTION_INFO_V1(migrate_capture_ddl_get);
PG_FUNCTION_INFO_V1(migrate_capture_ddl_set);

/*
 * Is relid a temporary relation?  A relation dropped meanwhile (its name
 * was looked up without a lock) is not: false, never an error.
 */
static bool
rel_is_temp(Oid relid)
{
	HeapTuple	tup;
	bool		temp;

	if (!OidIsValid(relid))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return false;
	temp = ((Form_pg_class) GETSTRUCT(tup))->relpersistence == RELPERSISTENCE_TEMP;
	ReleaseSysCache(tup);
	return temp;
}

static bool
rv_is_temp(RangeVar *rv)
{
	if (rv == NULL)
		return false;
	if (rv->relpersistence == RELPERSISTENCE_TEMP)
		return true;
	return rel_is_temp(RangeVarGetRelid(rv, NoLock, true));
}

/* Is stmt about a temporary object?  Those are no part of the schema. */
static bool
on_temporary(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
			return rv_is_temp(((CreateStmt *) stmt)->relation);
		case T_CreateTableAsStmt:
			return rv_is_temp(((CreateTableAsStmt *) stmt)->into->rel);
		case T_ViewStmt:
			return rv_is_temp(((ViewStmt *) stmt)->view);
		case T_CreateSeqStmt:
			return rv_is_temp(((CreateSeqStmt *) stmt)->sequence);
		case T_IndexStmt:
			return rv_is_temp(((IndexStmt *) stmt)->relation);
		case T_AlterTableStmt:
			return rv_is_temp(((AlterTableStmt *) stmt)->relation);
		case T_DropStmt:
			{
				DropStmt   *drop = (DropStmt *) stmt;
				ListCell   *lc;

				if (drop->removeType != OBJECT_TABLE &&
					drop->removeType != OBJECT_VIEW &&
					drop->removeType != OBJECT_SEQUENCE &&
					drop->removeType != OBJECT_INDEX)
					return false;
				foreach(lc, drop->objects)
				{
					if (!rv_is_temp(makeRangeVarFromNameList((List *) lfirst(lc))))
						return false;
				}
				return true;
			}
		default:
			return false;
	}
}

/* Does an event trigger have anything to do for this command? */
static bool
outside_migrations(FunctionCallInfo fcinfo)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "not fired by an event trigger");
	trigdata = (EventTriggerData *) fcinfo->context;
	return !migrate_script_running() && !creating_extension &&
		!on_temporary(trigdata->parsetree);
}

/*
 * migrate_ddl_start()
 *		The event trigger on ddl_command_start of versions 0.2: it recorded
 *		the drift reference lazily.  The writers record it now; until ALTER
 *		EXTENSION migrate UPDATE drops the trigger, it does nothing.
 */
Datum
migrate_ddl_start(PG_FUNCTION_ARGS)
{
	PG_RETURN_NULL();
}

/*
 * migrate_ddl_end()
 *		Event trigger on ddl_command_end and sql_drop: with the capture on,
 *		record each DDL command run outside migrations in migrate.ddl_log
 *		(for sql_drop, each object dropped).
 */
Datum
migrate_ddl_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!outside_migrations(fcinfo))
		PG_RETURN_NULL();
	trigdata = (EventTriggerData *) fcinfo->context;
	migrate_enter_trigger();
	if (migrate_catalog_capture_on())
		migrate_catalog_log_ddl(strcmp(trigdata->event, "sql_drop") == 0,
								GetCommandTagName(trigdata->tag));
	migrate_leave();
	PG_RETURN_NULL();
}

/*
 * migrate_capture_ddl()
 *		Whether DDL run outside migrations is recorded in migrate.ddl_log.
 */
Datum
migrate_capture_ddl_get(PG_FUNCTION_ARGS)
{
	bool		on;

	migrate_enter("migrate_capture_ddl()", false);
	on = migrate_catalog_capture_on();
	migrate_leave();
	PG_RETURN_BOOL(on);
}

/*
 * migrate_capture_ddl(enable)
 *		Turn the capture on or off; only a superuser may, so that nobody can
 *		hide a change.  Returns the new setting.
 */
Datum
migrate_capture_ddl_set(PG_FUNCTION_ARGS)
{
	bool		on = PG_GETARG_BOOL(0);

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can turn the capture of DDL on or off"),
				 errdetail("The capture records changes made outside migrations; a role that could turn it off could hide its own.")));
	migrate_enter("migrate_capture_ddl()", true);
	migrate_catalog_set_capture(on);
	migrate_leave();
	PG_RETURN_BOOL(on);
}
