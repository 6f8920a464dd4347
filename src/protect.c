/*-------------------------------------------------------------------------
 *
 * protect.c
 *	  A migration cannot change, drop or write the extension's own objects
 *	  (SPEC §14): the extension, its schema migrate and everything in it
 *	  (the catalog that records the migrations), and its functions.  A
 *	  migration that did could leave every function failing (a column of
 *	  migrate.migration dropped) or fake the state of the deploy (a row
 *	  written into migrate.applied).  Registration refuses the statements
 *	  that name these objects (script.c); what reaches them another way (a
 *	  search_path, a DO block, CASCADE, DROP OWNED) is refused here, as it
 *	  runs, from what the server reports through the hooks of hooks.c.  The
 *	  error aborts the call, and nothing of it is kept.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "migrate.h"
#include "protect.h"

/* Objects created by the migration statement running, checked at its end */
static List *created = NIL;

/* The schema of an object of one of the classes that name one, or InvalidOid */
static Oid
object_namespace(Oid classid, Oid objid)
{
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	switch (classid)
	{
		case RelationRelationId:
			return get_rel_namespace(objid);
		case ProcedureRelationId:
			return get_func_namespace(objid);
		case TypeRelationId:
			tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tup))
			{
				nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
				ReleaseSysCache(tup);
			}
			return nsp;
		default:
			return InvalidOid;
	}
}

/* The extension and its schema, looked up once for several objects */
typedef struct OwnIds
{
	Oid			ext;
	Oid			nsp;
} OwnIds;

static void
own_ids(OwnIds *ids)
{
	ids->ext = get_extension_oid("migrate", true);
	ids->nsp = get_namespace_oid("migrate", true);
}

/*
 * Is the object one of the extension's: the extension, its schema, an
 * object in that schema or on a relation of it, or a member of the
 * extension (its functions and event triggers)?  An object that a
 * migration has just created can be a member only by replacing one of the
 * extension's functions (new objects belong to an extension only while its
 * own script runs), so for those (created) the members are only looked
 * among functions.
 */
static bool
own_object_of(const OwnIds *ids, Oid classid, Oid objid, bool created)
{
	Oid			relid;

	if (!OidIsValid(ids->ext))
		return false;
	if (classid == ExtensionRelationId)
		return objid == ids->ext;
	if (classid == NamespaceRelationId)
		return objid == ids->nsp;
	relid = migrate_part_relation(classid, objid);
	if (OidIsValid(relid))
	{
		classid = RelationRelationId;
		objid = relid;
	}
	if (OidIsValid(ids->nsp) && object_namespace(classid, objid) == ids->nsp)
		return true;
	if (created && classid != ProcedureRelationId)
		return false;
	return getExtensionOfObject(classid, objid) == ids->ext;
}

static bool
own_object(Oid classid, Oid objid)
{
	OwnIds		ids;

	own_ids(&ids);
	return own_object_of(&ids, classid, objid, false);
}

static void
refuse(Oid classid, Oid objid, int subid, const char *action)
{
	ObjectAddress addr;
	char	   *what;

	addr.classId = classid;
	addr.objectId = objid;
	addr.objectSubId = subid;
	/* named in full, whatever search_path the migration set */
	(void) NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	what = getObjectDescription(&addr, true);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("a migration cannot %s %s", action,
					what ? what : "an object of the migrate extension"),
			 errdetail("The migrate extension keeps the state of the migrations in its objects; nothing of this call is kept."),
			 errhint("Change the extension outside migrations, through its functions or ALTER EXTENSION migrate UPDATE.")));
}

/*
 * migrate_protect_object: the server is about to drop, or has altered or
 * truncated, an object while a migration runs: refused if it is one of the
 * extension's.
 */
void
migrate_protect_object(Oid classid, Oid objid, int subid, const char *action)
{
	if (own_object(classid, objid))
		refuse(classid, objid, subid, action);
}

/*
 * migrate_protect_created: the server created an object while a migration
 * runs.  A column added to an existing relation is checked now; a new
 * object cannot be looked up in the catalogs before the end of the command
 * that makes it, so it is checked when the migration's statement ends
 * (migrate_protect_statement_done).  A function replaced keeps its OID and
 * is checked there too.
 */
void
migrate_protect_created(Oid classid, Oid objid, int subid)
{
	MemoryContext old;
	ObjectAddress *addr;

	if (classid == RelationRelationId && subid > 0)
	{
		migrate_protect_object(classid, objid, subid, "add a column to");
		return;
	}
	/* a statement at top level commits as it goes (CREATE INDEX CONCURRENTLY) */
	old = MemoryContextSwitchTo(TopMemoryContext);
	addr = palloc(sizeof(ObjectAddress));
	addr->classId = classid;
	addr->objectId = objid;
	addr->objectSubId = subid;
	created = lappend(created, addr);
	MemoryContextSwitchTo(old);
}

/*
 * migrate_protect_statement_done: a statement of a migration ended: refuse
 * the objects it created (or replaced) among the extension's.  Objects
 * created and dropped by the statement are gone and pass.
 */
void
migrate_protect_statement_done(void)
{
	List	   *check = created;
	OwnIds		ids;
	int			pass;
	ListCell   *lc;

	created = NIL;
	if (check == NIL)
		return;
	own_ids(&ids);
	/* relations first: a table is named rather than its row type */
	for (pass = 0; pass < 2; pass++)
	{
		foreach(lc, check)
		{
			ObjectAddress *addr = (ObjectAddress *) lfirst(lc);

			if ((addr->classId == RelationRelationId) != (pass == 0))
				continue;
			if (own_object_of(&ids, addr->classId, addr->objectId, true))
				refuse(addr->classId, addr->objectId, addr->objectSubId,
					   addr->classId == ProcedureRelationId ? "create or replace" : "create");
		}
	}
	list_free_deep(check);
}

/*
 * migrate_protect_statement_start: nothing is pending from a statement
 * that failed.
 */
void
migrate_protect_statement_start(void)
{
	list_free_deep(created);
	created = NIL;
}

/*
 * migrate_protect_writes: a query of a migration is about to run: refuse
 * it if it inserts, updates or deletes rows of the extension's tables.
 */
void
migrate_protect_writes(List *rangeTable)
{
	ListCell   *lc;

	foreach(lc, rangeTable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		if (rte->rtekind != RTE_RELATION ||
			(rte->requiredPerms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) == 0)
			continue;
		if (own_object(RelationRelationId, rte->relid))
			refuse(RelationRelationId, rte->relid, 0, "write to");
	}
}

/*
 * migrate_protect_utility: a utility command of a migration is about to
 * run.  The objects it names whose change no object access hook may report
 * (privileges, comments, labels, some ALTER TABLE subcommands) are checked
 * by hooks.c through migrate_protect_object(); here, the drop of the
 * extension or its schema, refused before the server drops the first of
 * its members, and the default privileges of its schema.
 */
void
migrate_protect_utility(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			{
				DropStmt   *drop = (DropStmt *) stmt;
				ListCell   *lc;

				if (drop->removeType != OBJECT_EXTENSION &&
					drop->removeType != OBJECT_SCHEMA)
					break;
				foreach(lc, drop->objects)
				{
					const char *name = strVal(lfirst(lc));

					if (drop->removeType == OBJECT_EXTENSION)
					{
						Oid			ext = get_extension_oid(name, true);

						if (OidIsValid(ext))
							migrate_protect_object(ExtensionRelationId, ext, 0, "drop");
					}
					else
					{
						Oid			nsp = get_namespace_oid(name, true);

						if (OidIsValid(nsp))
							migrate_protect_object(NamespaceRelationId, nsp, 0, "drop");
					}
				}
				break;
			}
		case T_AlterDefaultPrivilegesStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterDefaultPrivilegesStmt *) stmt)->options)
				{
					DefElem    *opt = (DefElem *) lfirst(lc);
					ListCell   *lc2;

					if (strcmp(opt->defname, "schemas") != 0)
						continue;
					foreach(lc2, (List *) opt->arg)
					{
						Oid			nsp = get_namespace_oid(strVal(lfirst(lc2)), true);

						if (OidIsValid(nsp))
							migrate_protect_object(NamespaceRelationId, nsp, 0,
												   "alter the default privileges of");
					}
				}
				break;
			}
		default:
			break;
	}
}
