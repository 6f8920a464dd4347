/*-------------------------------------------------------------------------
 *
 * describe_depend.c
 *	  The dependencies of a described object (SPEC §13), named as the
 *	  description names objects: the key ("kind identity") of each object
 *	  that pg_depend says it depends on.  A description taken in one
 *	  database and one taken in another can so be compared, and the
 *	  statements that turn one into the other ordered, by name alone.
 *
 * The identities are made exactly as describe.c makes them: names quoted
 * with quote_identifier(), schema-qualified, a routine with its identity
 * arguments as pg_get_function_identity_arguments() prints them under the
 * describe's search_path (pg_catalog, pg_temp), so that every type name
 * in them is qualified too.
 *
 * Nothing here waits for a lock or runs user code: the syscache and a scan
 * of pg_depend, under the lock the describe holds on the object whose
 * dependencies are read.  A referenced object gone meanwhile has no key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "describe.h"

/* The schemas whose objects are never described, by name */
bool
migrate_namespace_name_described(const char *name)
{
	return strcmp(name, "pg_catalog") != 0 &&
		strcmp(name, "information_schema") != 0 &&
		strcmp(name, "pg_toast") != 0 &&
		strcmp(name, "migrate") != 0 &&
		strncmp(name, "pg_temp_", 8) != 0 &&
		strncmp(name, "pg_toast_temp_", 14) != 0;
}

/* The quoted name of a described schema, or NULL */
static char *
namespace_quoted(Oid nspid)
{
	char	   *name = get_namespace_name(nspid);

	if (name == NULL || !migrate_namespace_name_described(name))
		return NULL;
	return pstrdup(quote_identifier(name));
}

static char *
qualified_name(Oid nspid, const char *name)
{
	char	   *nsp = namespace_quoted(nspid);

	if (nsp == NULL)
		return NULL;
	return psprintf("%s.%s", nsp, quote_identifier(name));
}

const char *
migrate_relation_kind_name(char relkind)
{
	switch (relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
			return "table";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_SEQUENCE:
			return "sequence";
		case RELKIND_COMPOSITE_TYPE:
			return "type";
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			return "index";
	}
	return NULL;
}

/* migrate_routine_kind_name: see describe.h */
const char *
migrate_routine_kind_name(char prokind)
{
	switch (prokind)
	{
		case PROKIND_PROCEDURE:
			return "procedure";
		case PROKIND_AGGREGATE:
			return "aggregate";
	}
	return "function";
}

/* migrate_type_kind_name: see describe.h */
const char *
migrate_type_kind_name(char typtype)
{
	switch (typtype)
	{
		case TYPTYPE_ENUM:
			return "enum";
		case TYPTYPE_DOMAIN:
			return "domain";
		case TYPTYPE_RANGE:
			return "range";
	}
	return NULL;
}

/* The qualified name of a relation and its kind, or NULL */
static char *
relation_name(Oid relid, char *relkind)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class rel;
	char	   *name;

	if (!HeapTupleIsValid(tup))
		return NULL;
	rel = (Form_pg_class) GETSTRUCT(tup);
	*relkind = rel->relkind;
	name = migrate_relation_kind_name(rel->relkind) ?
		qualified_name(rel->relnamespace, NameStr(rel->relname)) : NULL;
	ReleaseSysCache(tup);
	return name;
}

static char *
relation_key(Oid relid, int32 subid)
{
	char		relkind;
	char	   *qname = relation_name(relid, &relkind);
	char	   *attname;

	if (qname == NULL)
		return NULL;
	if (subid <= 0)
		return psprintf("%s %s", migrate_relation_kind_name(relkind), qname);
	if (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX ||
		relkind == RELKIND_SEQUENCE)
		return psprintf("%s %s", migrate_relation_kind_name(relkind), qname);
	attname = get_attname(relid, (AttrNumber) subid, true);
	if (attname == NULL)
		return NULL;
	return psprintf("column %s.%s", qname, quote_identifier(attname));
}

static char *
type_key(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	char	   *key = NULL;

	if (!HeapTupleIsValid(tup))
		return NULL;
	typ = (Form_pg_type) GETSTRUCT(tup);
	if (typ->typtype == TYPTYPE_COMPOSITE && OidIsValid(typ->typrelid))
		key = relation_key(typ->typrelid, 0);
	else if (OidIsValid(typ->typelem) && IsTrueArrayType(typ))
		key = type_key(typ->typelem);
	else if (typ->typtype == TYPTYPE_MULTIRANGE)
		key = type_key(get_multirange_range(typid));
	else if (migrate_type_kind_name(typ->typtype) != NULL)
	{
		char	   *qname = qualified_name(typ->typnamespace,
										   NameStr(typ->typname));

		if (qname != NULL)
			key = psprintf("%s %s", migrate_type_kind_name(typ->typtype),
						   qname);
	}
	ReleaseSysCache(tup);
	return key;
}

static char *
routine_key(Oid procid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(procid));
	Form_pg_proc proc;
	char	   *nsp;
	char	   *key = NULL;

	if (!HeapTupleIsValid(tup))
		return NULL;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	nsp = namespace_quoted(proc->pronamespace);
	if (nsp != NULL)
	{
		LOCAL_FCINFO(fcinfo, 1);
		Datum		args;

		/* NULL (not an error) for a routine dropped meanwhile */
		InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = ObjectIdGetDatum(procid);
		fcinfo->args[0].isnull = false;
		args = pg_get_function_identity_arguments(fcinfo);
		if (!fcinfo->isnull)
			key = psprintf("%s %s.%s(%s)",
						   migrate_routine_kind_name(proc->prokind),
						   nsp, quote_identifier(NameStr(proc->proname)),
						   TextDatumGetCString(args));
	}
	ReleaseSysCache(tup);
	return key;
}

static char *
constraint_key(Oid conid)
{
	HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conid));
	Form_pg_constraint con;
	char	   *owner = NULL;
	char	   *key = NULL;

	if (!HeapTupleIsValid(tup))
		return NULL;
	con = (Form_pg_constraint) GETSTRUCT(tup);
	/* a constraint trigger's row is described as the trigger */
	if (con->contype != CONSTRAINT_TRIGGER)
	{
		if (OidIsValid(con->conrelid))
		{
			char		relkind;

			owner = relation_name(con->conrelid, &relkind);
		}
		else if (OidIsValid(con->contypid))
		{
			HeapTuple	typtup = SearchSysCache1(TYPEOID,
												 ObjectIdGetDatum(con->contypid));

			if (HeapTupleIsValid(typtup))
			{
				Form_pg_type typ = (Form_pg_type) GETSTRUCT(typtup);

				owner = qualified_name(typ->typnamespace, NameStr(typ->typname));
				ReleaseSysCache(typtup);
			}
		}
		if (owner != NULL)
			key = psprintf("constraint %s.%s", owner,
						   quote_identifier(NameStr(con->conname)));
	}
	ReleaseSysCache(tup);
	return key;
}

/*
 * The key of row objid of catalog (a trigger, a policy, a rule), of the
 * given kind and named by column namecol, on the relation in relcol; for a
 * rule, its relation's key.
 */
static char *
relation_part_key(Oid catalog, Oid oidindex, AttrNumber oidcol,
				  AttrNumber relcol, AttrNumber namecol, const char *kind,
				  Oid objid)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *result = NULL;

	ScanKeyInit(&key, oidcol, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, oidindex, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(heap_getattr(tup, relcol,
														  RelationGetDescr(rel),
														  &isnull));

		if (kind == NULL)
			result = relation_key(relid, 0);
		else
		{
			char		relkind;
			char	   *qname = relation_name(relid, &relkind);
			Name		name = DatumGetName(heap_getattr(tup, namecol,
														 RelationGetDescr(rel),
														 &isnull));

			if (qname != NULL)
				result = psprintf("%s %s.%s", kind, qname,
								  quote_identifier(NameStr(*name)));
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* migrate_part_relation: see describe.h */
Oid
migrate_part_relation(Oid classid, Oid objid)
{
	Relation	catalog;
	HeapTuple	tup;
	AttrNumber	oidcol;
	AttrNumber	relcol;
	Oid			relid = InvalidOid;

	switch (classid)
	{
		case AttrDefaultRelationId:
			return GetAttrDefaultColumnAddress(objid).objectId;
		case ConstraintRelationId:
			tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(objid));
			if (HeapTupleIsValid(tup))
			{
				relid = ((Form_pg_constraint) GETSTRUCT(tup))->conrelid;
				ReleaseSysCache(tup);
			}
			return relid;
		case TriggerRelationId:
			oidcol = Anum_pg_trigger_oid;
			relcol = Anum_pg_trigger_tgrelid;
			break;
		case RewriteRelationId:
			oidcol = Anum_pg_rewrite_oid;
			relcol = Anum_pg_rewrite_ev_class;
			break;
		case PolicyRelationId:
			oidcol = Anum_pg_policy_oid;
			relcol = Anum_pg_policy_polrelid;
			break;
		default:
			return InvalidOid;
	}
	catalog = table_open(classid, AccessShareLock);
	tup = get_catalog_object_by_oid(catalog, oidcol, objid);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, relcol, RelationGetDescr(catalog),
									 &isnull);

		if (!isnull)
			relid = DatumGetObjectId(d);
		heap_freetuple(tup);
	}
	table_close(catalog, AccessShareLock);
	return relid;
}

/* migrate_object_key: see describe.h */
char *
migrate_object_key(Oid classid, Oid objid, int32 subid)
{
	switch (classid)
	{
		case NamespaceRelationId:
			{
				char	   *nsp = namespace_quoted(objid);

				return nsp ? psprintf("schema %s", nsp) : NULL;
			}
		case RelationRelationId:
			return relation_key(objid, subid);
		case TypeRelationId:
			return type_key(objid);
		case ProcedureRelationId:
			return routine_key(objid);
		case ConstraintRelationId:
			return constraint_key(objid);
		case TriggerRelationId:
			return relation_part_key(TriggerRelationId, TriggerOidIndexId,
									 Anum_pg_trigger_oid,
									 Anum_pg_trigger_tgrelid,
									 Anum_pg_trigger_tgname, "trigger", objid);
		case PolicyRelationId:
			return relation_part_key(PolicyRelationId, PolicyOidIndexId,
									 Anum_pg_policy_oid,
									 Anum_pg_policy_polrelid,
									 Anum_pg_policy_polname, "policy", objid);
		case RewriteRelationId:
			return relation_part_key(RewriteRelationId, RewriteOidIndexId,
									 Anum_pg_rewrite_oid,
									 Anum_pg_rewrite_ev_class,
									 Anum_pg_rewrite_rulename, NULL, objid);
	}
	return NULL;
}

/* migrate_object_depends: see describe.h */
List *
migrate_object_depends(Oid classid, Oid objid, int32 subid)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[3];
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *result = NIL;
	int			nkeys = 2;

	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	if (subid >= 0)
	{
		ScanKeyInit(&key[2], Anum_pg_depend_objsubid, BTEqualStrategyNumber,
					F_INT4EQ, Int32GetDatum(subid));
		nkeys = 3;
	}
	scan = systable_beginscan(rel, DependDependerIndexId, true, NULL, nkeys,
							  key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		DependRef  *ref = palloc(sizeof(DependRef));

		ref->deptype = dep->deptype;
		ref->refclassid = dep->refclassid;
		ref->refobjid = dep->refobjid;
		ref->refobjsubid = dep->refobjsubid;
		result = lappend(result, ref);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}
