/*-------------------------------------------------------------------------
 *
 * targets.c
 *	  The objects a utility command of a migration names, looked up just
 *	  before it runs.  Some commands change objects without the server
 *	  reporting it to the object access hook: GRANT and REVOKE, COMMENT,
 *	  SECURITY LABEL, and some ALTER TABLE subcommands (ENABLE ROW LEVEL
 *	  SECURITY...).  The protection of the extension's objects and the drift
 *	  record both need them (hooks.c).  Names are looked up without locks,
 *	  and an object that does not exist is left out: the command itself says
 *	  so when it runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"

#include "targets.h"

static void
add(List **objs, Oid classid, Oid objid, int subid, bool contents,
	const char *action)
{
	MigrateUtilityObject *o;

	if (!OidIsValid(objid))
		return;
	o = palloc(sizeof(MigrateUtilityObject));
	o->classid = classid;
	o->objid = objid;
	o->subid = subid;
	o->contents = contents;
	o->action = action;
	*objs = lappend(*objs, o);
}

static void
add_relation(List **objs, RangeVar *rv, const char *action)
{
	if (rv != NULL)
		add(objs, RelationRelationId, RangeVarGetRelid(rv, NoLock, true), 0,
			false, action);
}

/* The objects of GRANT or REVOKE */
static void
grant_objects(List **objs, GrantStmt *stmt)
{
	const char *action = "grant or revoke privileges on";
	ListCell   *lc;

	if (stmt->targtype == ACL_TARGET_DEFAULTS)
		return;
	foreach(lc, stmt->objects)
	{
		Node	   *obj = (Node *) lfirst(lc);

		if (stmt->targtype == ACL_TARGET_ALL_IN_SCHEMA)
		{
			add(objs, NamespaceRelationId, get_namespace_oid(strVal(obj), true),
				0, true, "grant or revoke privileges on the objects of");
			continue;
		}
		switch (stmt->objtype)
		{
			case OBJECT_TABLE:
			case OBJECT_SEQUENCE:
				add_relation(objs, (RangeVar *) obj, action);
				break;
			case OBJECT_FUNCTION:
			case OBJECT_PROCEDURE:
			case OBJECT_ROUTINE:
				add(objs, ProcedureRelationId,
					LookupFuncWithArgs(stmt->objtype, (ObjectWithArgs *) obj, true),
					0, false, action);
				break;
			case OBJECT_SCHEMA:
				add(objs, NamespaceRelationId, get_namespace_oid(strVal(obj), true),
					0, false, action);
				break;
			default:
				{
					/* types, domains, languages...: as COMMENT finds them */
					Relation	rel = NULL;
					ObjectAddress addr;

					if (stmt->objtype != OBJECT_TYPE && stmt->objtype != OBJECT_DOMAIN)
						break;
					addr = get_object_address(stmt->objtype, obj, &rel,
											  AccessShareLock, true);
					if (rel != NULL)
						relation_close(rel, NoLock);
					add(objs, addr.classId, addr.objectId, 0, false, action);
					break;
				}
		}
	}
}

/* The object a COMMENT or SECURITY LABEL is about */
static void
described_object(List **objs, ObjectType objtype, Node *object)
{
	Relation	rel = NULL;
	ObjectAddress addr;

	/* the lock the command itself takes first, and keeps */
	addr = get_object_address(objtype, object, &rel, AccessShareLock, true);
	if (rel != NULL)
		relation_close(rel, NoLock);
	add(objs, addr.classId, addr.objectId, addr.objectSubId, false,
		"comment on or label");
}

/*
 * migrate_utility_objects: the objects (MigrateUtilityObject *) that stmt
 * changes and names, for the commands whose changes the object access hook
 * may not report.
 */
List *
migrate_utility_objects(Node *stmt)
{
	List	   *objs = NIL;

	switch (nodeTag(stmt))
	{
		case T_GrantStmt:
			grant_objects(&objs, (GrantStmt *) stmt);
			break;
		case T_CommentStmt:
			described_object(&objs, ((CommentStmt *) stmt)->objtype,
							 ((CommentStmt *) stmt)->object);
			break;
		case T_SecLabelStmt:
			described_object(&objs, ((SecLabelStmt *) stmt)->objtype,
							 ((SecLabelStmt *) stmt)->object);
			break;
		case T_AlterTableStmt:
			add_relation(&objs, ((AlterTableStmt *) stmt)->relation, "alter");
			break;
		case T_RenameStmt:
			add_relation(&objs, ((RenameStmt *) stmt)->relation, "rename");
			break;
		default:
			break;
	}
	return objs;
}
