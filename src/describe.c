/*-------------------------------------------------------------------------
 *
 * describe.c
 *	  The schema described (SPEC §9): one row (kind, identity, definition)
 *	  per user object, for migrate_schema(), migrate_verify() and drift.
 *
 * What is described: every schema but the system ones, migrate and those of
 * extensions; in them, tables (partitioned, unlogged and foreign ones too),
 * views, materialized views, sequences and composite types with their
 * columns, and tables with their constraints, indexes, triggers and
 * policies; functions, procedures and aggregates; enums, domains with their
 * constraints, and ranges.  Extension members, with all that belongs to them,
 * and temporary objects are left out.  Objects are identified by name, never
 * by OID, and definitions come from PostgreSQL's own deparsing functions
 * (ruleutils.c), called with search_path set to pg_catalog, pg_temp so that
 * every other name they print is schema-qualified, and with DateStyle,
 * TimeZone, IntervalStyle, extra_float_digits, bytea_output, lc_monetary,
 * quote_all_identifiers and standard_conforming_strings fixed, so that names
 * and constants print alike in every session.  The rows are those of the
 * PL/pgSQL migrate_schema() of version 0.2 (test/compare/old_schema.sql) run
 * with those settings, but where that one was wrong (sql/describe lists each
 * difference):
 *
 * - nothing of an extension's is described: not the indexes of its tables,
 *   the constraints of its domains, the columns of its composite types nor
 *   what is part of a member (an identity sequence, a range's multirange).
 * - a policy's roles are sorted, each once, not in the order given.
 * - a constraint trigger is described once, as a trigger, not also as a
 *   constraint.
 * - a column's collation is schema-qualified.
 * - an owner's name is quoted as an identifier, as a policy's roles were.
 * - quote_all_identifiers and standard_conforming_strings are fixed too.
 * - a domain's default is deparsed as the description is made, not taken
 *   as the session that created the domain printed it.
 * - the items of an ACL are sorted, not in the order of the grants, and an
 *   ACL that grants what the default does reads as none, as after a
 *   restore.
 * - a table's options and a list partition's values are sorted, not in the
 *   order given.
 *
 * A drift reference that the update from 0.2 kept (that of a database that
 * had drifted) shows those rows as changes until the next apply, rollback
 * or migrate_accept_drift() records the reference anew.
 *
 * The structured description (migrate_describe_structured(), for
 * migrate_describe_json() and migrate_diff(), SPEC §13) gives the same rows,
 * each with its parts (SchemaDetail): the names, types, expressions and
 * deparsed statements that a statement making or changing the object is
 * written from, its owner, privileges (what is granted, and what a new
 * object of that owner would grant) and comment, and the keys of the
 * described objects it depends on according to pg_depend (describe_depend.c
 * names them).  They are read while the object is described, under the
 * same locks, so that a description never mixes two states of an object.
 *
 * Concurrent DDL (SPEC §14).  The catalogs are listed under one registered
 * snapshot, but the deparsing functions read the syscache, which follows
 * what other sessions commit: an object dropped between the listing and its
 * deparsing made the SQL version fail with "cache lookup failed" or "could
 * not open relation" (XX000).  Here each top-level object (a schema; a
 * relation with its columns, constraints, indexes, triggers and policies; a
 * routine; a type with its constraints) is described on its own, and one
 * function per kind describes it, for migrate_describe() and
 * migrate_describe_objects() alike:
 *
 * 1. Its locks are taken without waiting: AccessShareLock on a relation,
 *    on its indexes and on the relations that the queries of its views or
 *    policies read (the deparser locks those, waiting, and keeps them to the
 *    end of the transaction), or on the schema, routine or type itself, and
 *    on the relations a routine's SQL body reads.  DROP takes
 *    AccessExclusiveLock on each of these (AcquireDeletionLock()), and the
 *    commands that change what is described take a lock that conflicts too,
 *    so while we hold ours the object stays as it is.  Taking a lock
 *    processed the invalidations others sent, so the object is looked up
 *    again in the syscache (gone: skipped), described, and its locks are
 *    released at once: they belong to a resource owner of our own, which
 *    also owns the locks the deparser took.  So at most one object's locks
 *    are held at a time, none is waited for, and none is kept.
 *
 * 2. If one of those locks is busy, another session is changing the object
 *    right now.  The object is then described inside a subtransaction that
 *    is always rolled back (so the locks taken in it go with it), waiting
 *    for the same locks for at most DESCRIBE_LOCK_TIMEOUT ms each: the other
 *    session usually commits within that, and the object is then described
 *    as that left it, or found gone.  On any error (the wait ran out, or
 *    what was being read was dropped), the object is looked up again (gone:
 *    skipped) and tried again, from step 1, up to DESCRIBE_ATTEMPTS times;
 *    after that its row says that it could not be described, and the
 *    description goes on.  Only cancellation and a lack of resources are
 *    thrown, since they are not about the object.  Such a wait delays
 *    another session by as much at most (a lock request queued behind
 *    ours), and it ends long before deadlock_timeout, so no deadlock can be
 *    reported for it, to us or to the other session.
 *
 * Nothing here runs code that another role can define: only PostgreSQL's
 * own C functions (ruleutils, the syscache, GetComment(), format_type()),
 * no SPI on a user relation, and every name is resolved with search_path
 * set to pg_catalog, pg_temp.
 *
 * Memory: the rows are allocated in the caller's memory context, everything
 * else for one top-level object in a context reset after it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_description.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/comment.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "describe.h"
#include "migrate.h"

/* How often a busy object is tried before its row says so */
#define DESCRIBE_ATTEMPTS		3

/* The longest wait for one lock of a busy object, in ms */
#define DESCRIBE_LOCK_TIMEOUT	10

#define NOT_DESCRIBED	MIGRATE_NOT_DESCRIBED

typedef struct MemberKey
{
	Oid			classid;
	Oid			objid;
} MemberKey;

typedef struct CommentKey
{
	Oid			objoid;
	Oid			classoid;
	int32		objsubid;
} CommentKey;

typedef struct CommentEntry
{
	CommentKey	key;
	char	   *text;
} CommentEntry;

/* A namespace as the description sees it */
typedef struct NamespaceEntry
{
	Oid			oid;			/* hash key */
	bool		described;		/* in scope: its objects are described */
	char	   *quoted;			/* its name, quoted as an identifier */
} NamespaceEntry;

typedef struct DescribeState
{
	MemoryContext result_cxt;	/* the rows */
	MemoryContext work_cxt;		/* what lasts the whole description */
	MemoryContext object_cxt;	/* one top-level object's, reset after it */
	ResourceOwner caller_owner;
	ResourceOwner owner;		/* the locks of the object being described */
	Snapshot	snapshot;		/* what is listed */
	int			guc_nestlevel;
	HTAB	   *members;		/* MemberKey of every extension member */
	HTAB	   *comments;		/* pg_description, or NULL: GetComment() */
	HTAB	   *namespaces;		/* NamespaceEntry by OID */
	int			n;
	int			max;
	SchemaObject *rows;
	Oid			top_class;		/* the top-level object being described */
	Oid			top_oid;
	bool		structured;		/* each row with its structure (detail) */
	const char *parent_kind;	/* of the relation or domain whose parts are
								 * being described */
	const char *parent_qname;
} DescribeState;

/* A top-level object */
typedef struct TopObject
{
	Oid			classid;
	Oid			objid;
} TopObject;

typedef struct WaitingArgs
{
	DescribeState *st;
	Oid			classid;
	Oid			objid;
} WaitingArgs;


/* ---------- rows and the strings in them ---------- */

static void
emit(DescribeState *st, const char *kind, const char *identity,
	 const char *definition)
{
	MemoryContext old = MemoryContextSwitchTo(st->result_cxt);
	SchemaObject *o;

	if (st->n >= st->max)
	{
		st->max *= 2;
		st->rows = repalloc(st->rows, sizeof(SchemaObject) * st->max);
	}
	o = &st->rows[st->n++];
	o->kind = unconstify(char *, kind);
	o->key = psprintf("%s%c%s", kind, '\x01', identity);
	o->identity = o->key + strlen(kind) + 1;
	o->definition = pstrdup(definition);
	o->owner_class = st->top_class;
	o->owner_oid = st->top_oid;
	o->detail = st->structured ? palloc0(sizeof(SchemaDetail)) : NULL;
	MemoryContextSwitchTo(old);
}

/* A role's name as pg_get_userbyid() gives it */
static const char *
user_name(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("unknown (OID=%u)", roleid);
}

/*
 * A role's name in a definition (an owner, a policy's role): quoted as an
 * identifier, as the server quotes it in an ACL's text, so that a name
 * with a comma or a space reads as one name.
 */
static const char *
role_name(const char *name)
{
	return quote_identifier(name);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * The text form of a relation's options (a text[] of name=value), sorted
 * in byte order; NULL gives "", as format('%s').  They are kept in the
 * order that WITH (...) or SET (...) gave them, and WITH (a=1, b=2) means
 * what WITH (b=2, a=1) does.
 */
static List *
options_list(Datum options, bool isnull)
{
	ArrayType  *arr;
	Datum	   *elems;
	char	  **texts;
	int			n;
	int			i;
	List	   *result = NIL;

	if (isnull)
		return NIL;
	arr = DatumGetArrayTypeP(options);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL,
					  &n);
	texts = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		texts[i] = TextDatumGetCString(elems[i]);
	qsort(texts, n, sizeof(char *), compare_names);
	for (i = 0; i < n; i++)
		result = lappend(result, texts[i]);
	return result;
}

static const char *
options_text(Datum options, bool isnull)
{
	List	   *texts;
	Datum	   *elems;
	ListCell   *lc;
	int			n = 0;

	if (isnull)
		return "";
	texts = options_list(options, isnull);
	elems = palloc(sizeof(Datum) * Max(list_length(texts), 1));
	foreach(lc, texts)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return OidOutputFunctionCall(F_ARRAY_OUT,
								 PointerGetDatum(construct_array(elems, n, TEXTOID,
																 -1, false,
																 TYPALIGN_INT)));
}

/* An ACL item and its text, for sorting */
typedef struct AclEntry
{
	char	   *text;
	AclItem		item;
} AclEntry;

static int
compare_acl_entries(const void *a, const void *b)
{
	return strcmp(((const AclEntry *) a)->text, ((const AclEntry *) b)->text);
}

/* Sort the items of acl in byte order of their text, in place */
static void
sort_acl(Acl *acl)
{
	int			n = ACL_NUM(acl);
	AclItem    *items = ACL_DAT(acl);
	AclEntry   *entries = palloc(sizeof(AclEntry) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		entries[i].item = items[i];
		entries[i].text = DatumGetCString(DirectFunctionCall1(aclitemout,
															  PointerGetDatum(&items[i])));
	}
	qsort(entries, n, sizeof(AclEntry), compare_acl_entries);
	for (i = 0; i < n; i++)
		items[i] = entries[i].item;
	pfree(entries);
}

/*
 * The text of the ACL of an object of type objtype owned by owner: its
 * items in byte order of their text, and "" when it grants what NULL does.
 *
 * GRANT adds an item for a new grantee at the end, so the order of the
 * items is that of the grants, and two objects with the same privileges
 * granted in another order, or one object before and after a dump and
 * restore, had ACLs that read differently.  Each item reads as the server
 * prints it.
 *
 * An ACL that a GRANT and its REVOKE brought back to the owner's default
 * privileges is no longer NULL, but means the same, and pg_dump dumps
 * nothing for it, so that a restore makes it NULL again.  (An empty ACL,
 * with which not even the owner has privileges, is no default.)
 */
static const char *
acl_text(Datum aclDatum, bool isnull, ObjectType objtype, Oid owner)
{
	Acl		   *acl;
	Acl		   *deflt;

	if (isnull)
		return "";
	acl = DatumGetAclPCopy(aclDatum);
	sort_acl(acl);
	deflt = acldefault(objtype, owner);
	sort_acl(deflt);
	if (ACL_NUM(acl) > 0 && ACL_NUM(acl) == ACL_NUM(deflt) &&
		memcmp(ACL_DAT(acl), ACL_DAT(deflt),
			   ACL_NUM(acl) * sizeof(AclItem)) == 0)
		return "";
	return OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(acl));
}

static const char *
comment_text(DescribeState *st, Oid objoid, Oid classoid, int32 subid)
{
	char	   *text;

	if (st->comments)
	{
		CommentKey	key;
		CommentEntry *entry;

		key.objoid = objoid;
		key.classoid = classoid;
		key.objsubid = subid;
		entry = hash_search(st->comments, &key, HASH_FIND, NULL);
		return entry ? entry->text : "";
	}
	text = GetComment(objoid, classoid, subid);
	return text ? text : "";
}

/*
 * Call one of ruleutils' SQL-callable functions on arg0 (and arg1), as the
 * SQL version did, so that the pretty-printing is the same; NULL if it
 * returns NULL (for an object gone), where DirectFunctionCall would throw.
 */
static char *
deparse(PGFunction fn, Datum arg0, bool two_args, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, two_args ? 2 : 1, InvalidOid,
							 NULL, NULL);
	fcinfo->args[0].value = arg0;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg1;
	fcinfo->args[1].isnull = false;
	result = (*fn) (fcinfo);
	if (fcinfo->isnull)
		return NULL;
	return TextDatumGetCString(result);
}

static char *
deparse_oid(PGFunction fn, Oid oid)
{
	return deparse(fn, ObjectIdGetDatum(oid), false, (Datum) 0);
}

/* pg_get_expr(expr, relid); "" for a NULL expression or result */
static const char *
deparse_expr(Datum expr, bool isnull, Oid relid)
{
	char	   *s;

	if (isnull)
		return "";
	s = deparse(pg_get_expr, expr, true, ObjectIdGetDatum(relid));
	return s ? s : "";
}

static const char *
or_empty(const char *s)
{
	return s ? s : "";
}


/* ---------- the structure of a row (migrate_describe_structured()) ---------- */

/*
 * Each of these adds a part to the row emitted last, in the rows' memory
 * context.  They are called only when st->structured.
 */
static SchemaField *
add_field(DescribeState *st, const char *name, SchemaFieldType type)
{
	SchemaDetail *detail = st->rows[st->n - 1].detail;
	MemoryContext old = MemoryContextSwitchTo(st->result_cxt);
	SchemaField *f = palloc0(sizeof(SchemaField));

	f->name = name;
	f->type = type;
	detail->fields = lappend(detail->fields, f);
	MemoryContextSwitchTo(old);
	return f;
}

/* A string, or null for NULL */
static void
field_str(DescribeState *st, const char *name, const char *value)
{
	SchemaField *f = add_field(st, name,
							   value ? SCHEMA_FIELD_STRING : SCHEMA_FIELD_NULL);

	if (value)
		f->str = MemoryContextStrdup(st->result_cxt, value);
}

/* A string, or null for NULL or "" */
static void
field_nonempty(DescribeState *st, const char *name, const char *value)
{
	field_str(st, name, value && *value ? value : NULL);
}

static void
field_bool(DescribeState *st, const char *name, bool value)
{
	add_field(st, name, SCHEMA_FIELD_BOOL)->b = value;
}

static void
field_int(DescribeState *st, const char *name, int64 value)
{
	add_field(st, name, SCHEMA_FIELD_INT)->i = value;
}

/* A list of strings (items copied) */
static void
field_list(DescribeState *st, const char *name, List *items)
{
	SchemaField *f = add_field(st, name, SCHEMA_FIELD_LIST);
	MemoryContext old = MemoryContextSwitchTo(st->result_cxt);
	ListCell   *lc;

	foreach(lc, items)
		f->list = lappend(f->list, pstrdup((char *) lfirst(lc)));
	MemoryContextSwitchTo(old);
}

/*
 * The items of an ACL, each as the server prints it, in byte order: the
 * ACL itself, or the default of the owner's objects of that type if it is
 * NULL (so that the items are always what is granted).
 */
static List *
acl_items(Datum aclDatum, bool isnull, ObjectType objtype, Oid owner)
{
	Acl		   *acl;
	List	   *items = NIL;
	int			i;

	acl = isnull ? acldefault(objtype, owner) : DatumGetAclPCopy(aclDatum);
	sort_acl(acl);
	for (i = 0; i < ACL_NUM(acl); i++)
		items = lappend(items,
						DatumGetCString(DirectFunctionCall1(aclitemout,
															PointerGetDatum(&ACL_DAT(acl)[i]))));
	return items;
}

/*
 * The parts every object with an owner has: owner, acl (what is granted),
 * acl_default (what a new object of that owner grants) and comment.
 */
static void
field_owner_acl(DescribeState *st, Oid owner, Datum acl, bool acl_null,
				ObjectType objtype, const char *comment)
{
	field_str(st, "owner", role_name(user_name(owner)));
	field_list(st, "acl", acl_items(acl, acl_null, objtype, owner));
	field_list(st, "acl_default", acl_items((Datum) 0, true, objtype, owner));
	field_nonempty(st, "comment", comment);
}

/*
 * Add to list (each once) the keys of what (classid, objid) depends on, of
 * sub-object subid only if it is >= 0: its normal and automatic
 * dependencies on described objects other than the row itself (on columns
 * only if columns).  Internal
 * ones tie a part to its whole (an index to its constraint, a rule to its
 * view, an identity sequence to its column), and partition ones an object
 * cloned for a partition to its parent: neither orders anything.
 */
static List *
depend_keys(DescribeState *st, List *list, Oid classid, Oid objid,
			int32 subid, bool columns)
{
	SchemaObject *o = &st->rows[st->n - 1];
	char	   *self = psprintf("%s %s", o->kind, o->identity);
	ListCell   *lc;

	foreach(lc, migrate_object_depends(classid, objid, subid))
	{
		DependRef  *ref = (DependRef *) lfirst(lc);
		char	   *key;
		ListCell   *lc2;
		bool		found = false;

		if (ref->deptype != DEPENDENCY_NORMAL && ref->deptype != DEPENDENCY_AUTO)
			continue;
		if (!columns && ref->refclassid == RelationRelationId &&
			ref->refobjsubid > 0)
			continue;
		key = migrate_object_key(ref->refclassid, ref->refobjid,
								 ref->refobjsubid);
		if (key == NULL || strcmp(key, self) == 0)
			continue;
		foreach(lc2, list)
		{
			if (strcmp((char *) lfirst(lc2), key) == 0)
			{
				found = true;
				break;
			}
		}
		if (!found)
		{
			MemoryContext old = MemoryContextSwitchTo(st->result_cxt);

			list = lappend(list, pstrdup(key));
			MemoryContextSwitchTo(old);
		}
	}
	return list;
}

/* The dependencies of the row emitted last */
static void
add_depends(DescribeState *st, Oid classid, Oid objid, int32 subid)
{
	SchemaDetail *detail = st->rows[st->n - 1].detail;

	detail->depends = depend_keys(st, detail->depends, classid, objid, subid,
								  true);
}

/* The key of the row emitted last's parent: kind and qualified name */
static void
field_parent(DescribeState *st, const char *kind, const char *qname)
{
	field_str(st, "parent", psprintf("%s %s", kind, qname));
}


/* ---------- scope ---------- */

static bool
is_member(DescribeState *st, Oid classid, Oid objid)
{
	MemberKey	key;

	key.classid = classid;
	key.objid = objid;
	return hash_search(st->members, &key, HASH_FIND, NULL) != NULL;
}

static NamespaceEntry *
lookup_namespace(DescribeState *st, Oid nspid)
{
	NamespaceEntry *entry;
	bool		found;

	entry = hash_search(st->namespaces, &nspid, HASH_ENTER, &found);
	if (!found)
	{
		HeapTuple	tup = SearchSysCache1(NAMESPACEOID,
										  ObjectIdGetDatum(nspid));

		entry->described = false;
		entry->quoted = NULL;
		if (HeapTupleIsValid(tup))
		{
			const char *name = NameStr(((Form_pg_namespace) GETSTRUCT(tup))->nspname);

			entry->described = migrate_namespace_name_described(name) &&
				!is_member(st, NamespaceRelationId, nspid);
			entry->quoted = MemoryContextStrdup(st->work_cxt,
												quote_identifier(name));
			ReleaseSysCache(tup);
		}
	}
	return entry;
}

static char *
qualified(NamespaceEntry *nsp, const char *name)
{
	return psprintf("%s.%s", nsp->quoted, quote_identifier(name));
}


/* ---------- what belongs to a relation ---------- */

/* The OIDs of the rows of catalog whose key column equals relid */
static List *
rows_of(Oid catalog, Oid index, AttrNumber keycol, AttrNumber oidcol,
		Oid relid)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *result = NIL;

	ScanKeyInit(&key, keycol, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		bool		isnull;

		result = lappend_oid(result,
							 DatumGetObjectId(heap_getattr(tup, oidcol,
														   RelationGetDescr(rel),
														   &isnull)));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}


/* ---------- locks ---------- */

static bool
lock_relation(Oid relid, bool wait)
{
	if (!wait)
		return ConditionalLockRelationOid(relid, AccessShareLock);
	LockRelationOid(relid, AccessShareLock);
	return true;
}

/*
 * Lock the relations other than self that object (a view's rule, a policy,
 * a routine with an SQL body) depends on: those its queries read, which the
 * deparser would otherwise lock itself, waiting.
 */
static bool
lock_referenced(Oid classid, Oid objid, Oid self, bool wait)
{
	List	   *relids = NIL;
	ListCell   *lc;

	foreach(lc, migrate_object_depends(classid, objid, -1))
	{
		DependRef  *dep = lfirst(lc);

		if (dep->refclassid == RelationRelationId && dep->refobjid != self)
			relids = list_append_unique_oid(relids, dep->refobjid);
	}

	foreach(lc, relids)
	{
		if (!lock_relation(lfirst_oid(lc), wait))
			return false;
	}
	return true;
}

/*
 * Take the locks that keep a top-level object as it is while it is
 * described (see the top of the file).  Without wait, false if one is busy;
 * with wait, each wait is bounded by lock_timeout.  The locks go to
 * CurrentResourceOwner.
 */
static bool
lock_object(Oid classid, Oid objid, bool wait)
{
	if (classid == RelationRelationId)
	{
		char		relkind;
		ListCell   *lc;

		if (!lock_relation(objid, wait))
			return false;
		/* the lock processed invalidations: this is the relation now */
		relkind = get_rel_relkind(objid);
		if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
			relkind == RELKIND_MATVIEW)
		{
			foreach(lc, rows_of(IndexRelationId, IndexIndrelidIndexId,
								Anum_pg_index_indrelid,
								Anum_pg_index_indexrelid, objid))
			{
				if (!lock_relation(lfirst_oid(lc), wait))
					return false;
			}
		}
		if (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW)
		{
			foreach(lc, rows_of(RewriteRelationId, RewriteRelRulenameIndexId,
								Anum_pg_rewrite_ev_class, Anum_pg_rewrite_oid,
								objid))
			{
				if (!lock_referenced(RewriteRelationId, lfirst_oid(lc), objid,
									 wait))
					return false;
			}
		}
		if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
			relkind == RELKIND_FOREIGN_TABLE)
		{
			foreach(lc, rows_of(PolicyRelationId, PolicyPolrelidPolnameIndexId,
								Anum_pg_policy_polrelid, Anum_pg_policy_oid,
								objid))
			{
				if (!lock_referenced(PolicyRelationId, lfirst_oid(lc), objid,
									 wait))
					return false;
			}
		}
		return true;
	}

	if (wait)
		LockDatabaseObject(classid, objid, 0, AccessShareLock);
	else if (!ConditionalLockDatabaseObject(classid, objid, 0, AccessShareLock))
		return false;

	if (classid == ProcedureRelationId)
	{
		HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(objid));
		bool		has_body;

		if (!HeapTupleIsValid(tup))
			return true;
		has_body = !heap_attisnull(tup, Anum_pg_proc_prosqlbody, NULL);
		ReleaseSysCache(tup);
		if (has_body && !lock_referenced(ProcedureRelationId, objid,
										 InvalidOid, wait))
			return false;
	}
	return true;
}

static void
unlock_object(Oid classid, Oid objid)
{
	if (classid == RelationRelationId)
		UnlockRelationOid(objid, AccessShareLock);
	else
		UnlockDatabaseObject(classid, objid, 0, AccessShareLock);
}

/* Release every lock of owner: ours and those the deparser took */
static void
release_locks(ResourceOwner owner)
{
	ResourceOwnerRelease(owner, RESOURCE_RELEASE_LOCKS, false, false);
}

static bool
object_exists(Oid classid, Oid objid)
{
	switch (classid)
	{
		case NamespaceRelationId:
			return SearchSysCacheExists1(NAMESPACEOID, ObjectIdGetDatum(objid));
		case RelationRelationId:
			return SearchSysCacheExists1(RELOID, ObjectIdGetDatum(objid));
		case ProcedureRelationId:
			return SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(objid));
		case TypeRelationId:
			return SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(objid));
	}
	return false;
}


/* ---------- names of what a structure refers to ---------- */

/* A collation's qualified name, as a column's is printed */
static const char *
collation_name(DescribeState *st, Oid collid)
{
	HeapTuple	tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
	const char *name = NULL;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_collation coll = (Form_pg_collation) GETSTRUCT(tup);
		NamespaceEntry *nsp = lookup_namespace(st, coll->collnamespace);

		if (nsp->quoted != NULL)
			name = qualified(nsp, NameStr(coll->collname));
		ReleaseSysCache(tup);
	}
	return name;
}

/* An operator class's qualified name */
static const char *
opclass_name(DescribeState *st, Oid opclassid)
{
	HeapTuple	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassid));
	const char *name = NULL;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_opclass opc = (Form_pg_opclass) GETSTRUCT(tup);
		NamespaceEntry *nsp = lookup_namespace(st, opc->opcnamespace);

		if (nsp->quoted != NULL)
			name = qualified(nsp, NameStr(opc->opcname));
		ReleaseSysCache(tup);
	}
	return name;
}

/* A routine's qualified name (without arguments), NULL for InvalidOid */
static const char *
routine_name(DescribeState *st, Oid procid)
{
	HeapTuple	tup;
	const char *name = NULL;

	if (!OidIsValid(procid))
		return NULL;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(procid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
		NamespaceEntry *nsp = lookup_namespace(st, proc->pronamespace);

		if (nsp->quoted != NULL)
			name = qualified(nsp, NameStr(proc->proname));
		ReleaseSysCache(tup);
	}
	return name;
}

/*
 * The key of the object a routine is part of (a range's constructors are
 * made and dropped with it), or NULL
 */
static const char *
routine_part_of(Oid procid)
{
	ListCell   *lc;

	foreach(lc, migrate_object_depends(ProcedureRelationId, procid, 0))
	{
		DependRef  *ref = (DependRef *) lfirst(lc);

		if (ref->deptype == DEPENDENCY_INTERNAL)
			return migrate_object_key(ref->refclassid, ref->refobjid,
									  ref->refobjsubid);
	}
	return NULL;
}

/* ---------- one function per kind of top-level object ---------- */

static void
describe_namespace(DescribeState *st, Oid nspid)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspid));
	Form_pg_namespace nsp;
	bool		isnull;
	Datum		acl;

	if (!HeapTupleIsValid(tup))
		return;
	nsp = (Form_pg_namespace) GETSTRUCT(tup);
	if (migrate_namespace_name_described(NameStr(nsp->nspname)) &&
		!is_member(st, NamespaceRelationId, nspid))
	{
		acl = SysCacheGetAttr(NAMESPACEOID, tup, Anum_pg_namespace_nspacl,
							  &isnull);
		emit(st, "schema", quote_identifier(NameStr(nsp->nspname)),
			 psprintf("owner %s; acl %s; comment %s",
					  role_name(user_name(nsp->nspowner)),
					  acl_text(acl, isnull, OBJECT_SCHEMA, nsp->nspowner),
					  comment_text(st, nspid, NamespaceRelationId, 0)));
		if (st->structured)
		{
			field_str(st, "name", quote_identifier(NameStr(nsp->nspname)));
			field_owner_acl(st, nsp->nspowner, acl, isnull, OBJECT_SCHEMA,
							comment_text(st, nspid, NamespaceRelationId, 0));
		}
	}
	ReleaseSysCache(tup);
}

/* The default expressions of a relation, by attnum */
typedef struct Defaults
{
	bool		loaded;
	int			n;
	AttrNumber *attnums;
	text	  **exprs;
	Oid		   *oids;			/* of the pg_attrdef rows */
} Defaults;

static text *
column_default(Oid relid, Defaults *defs, AttrNumber attnum, Oid *oid)
{
	int			i;

	if (!defs->loaded)
	{
		Relation	rel = table_open(AttrDefaultRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;
		int			max = 8;

		defs->loaded = true;
		defs->attnums = palloc(sizeof(AttrNumber) * max);
		defs->exprs = palloc(sizeof(text *) * max);
		defs->oids = palloc(sizeof(Oid) * max);
		ScanKeyInit(&key, Anum_pg_attrdef_adrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(rel, AttrDefaultIndexId, true, NULL, 1, &key);
		while ((tup = systable_getnext(scan)) != NULL)
		{
			bool		isnull;
			Datum		bin = heap_getattr(tup, Anum_pg_attrdef_adbin,
										   RelationGetDescr(rel), &isnull);

			if (isnull)
				continue;
			if (defs->n >= max)
			{
				max *= 2;
				defs->attnums = repalloc(defs->attnums, sizeof(AttrNumber) * max);
				defs->exprs = repalloc(defs->exprs, sizeof(text *) * max);
				defs->oids = repalloc(defs->oids, sizeof(Oid) * max);
			}
			defs->attnums[defs->n] = ((Form_pg_attrdef) GETSTRUCT(tup))->adnum;
			defs->exprs[defs->n] = DatumGetTextPCopy(bin);
			defs->oids[defs->n] = ((Form_pg_attrdef) GETSTRUCT(tup))->oid;
			defs->n++;
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	for (i = 0; i < defs->n; i++)
		if (defs->attnums[i] == attnum)
		{
			if (oid)
				*oid = defs->oids[i];
			return defs->exprs[i];
		}
	return NULL;
}

/* Columns: of tables, foreign tables, views, matviews and composite types */
static void
describe_columns(DescribeState *st, Oid relid, const char *qname)
{
	Relation	rel = table_open(AttributeRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	Defaults	defs = {0};
	int			position = 0;

	ScanKeyInit(&key[0], Anum_pg_attribute_attrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attribute_attnum, BTGreaterStrategyNumber,
				F_INT2GT, Int16GetDatum(0));
	scan = systable_beginscan(rel, AttributeRelidNumIndexId, true, NULL, 2,
							  key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tup);
		HeapTuple	typtup;
		Oid			typcollation;
		const char *deflt = "";
		const char *identity = "";
		const char *generated = "";
		const char *collate = "";
		const char *default_expr = NULL;
		const char *generated_expr = NULL;
		const char *collation = NULL;
		bool		volatile_default = false;
		Oid			defoid = InvalidOid;
		bool		isnull;
		Datum		acl;

		if (att->attisdropped)
			continue;
		/* the SQL version joined pg_type: no type, no row, no position */
		typtup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(att->atttypid));
		if (!HeapTupleIsValid(typtup))
			continue;
		typcollation = ((Form_pg_type) GETSTRUCT(typtup))->typcollation;
		ReleaseSysCache(typtup);
		position++;

		if (att->atthasdef && att->attgenerated == '\0')
		{
			text	   *expr = column_default(relid, &defs, att->attnum, &defoid);

			if (expr)
			{
				const char *s = deparse_expr(PointerGetDatum(expr), false, relid);

				if (*s)
				{
					deflt = psprintf(" default %s", s);
					default_expr = s;
					if (st->structured)
						volatile_default = contain_volatile_functions(stringToNode(text_to_cstring(expr)));
				}
			}
		}
		if (att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS)
			identity = " generated always as identity";
		else if (att->attidentity == ATTRIBUTE_IDENTITY_BY_DEFAULT)
			identity = " generated by default as identity";
		if (att->attgenerated == ATTRIBUTE_GENERATED_STORED)
		{
			text	   *expr = column_default(relid, &defs, att->attnum, &defoid);

			if (expr)
			{
				const char *s = deparse_expr(PointerGetDatum(expr), false, relid);

				if (*s)
				{
					generated = psprintf(" generated always as (%s) stored", s);
					generated_expr = s;
				}
			}
		}

		/*
		 * Schema-qualified, as pg_dump prints it: a collation's name is
		 * unique only in its schema.
		 */
		if (OidIsValid(att->attcollation) && att->attcollation != typcollation &&
			(collation = collation_name(st, att->attcollation)) != NULL)
			collate = psprintf(" collate %s", collation);
		/* a column grants nothing by default, whoever owns its relation */
		acl = heap_getattr(tup, Anum_pg_attribute_attacl, RelationGetDescr(rel),
						   &isnull);
		emit(st, "column",
			 psprintf("%s.%s", qname, quote_identifier(NameStr(att->attname))),
			 psprintf("position %d; %s%s%s%s%s%s; acl %s; comment %s",
					  position,
					  format_type_extended(att->atttypid, att->atttypmod,
										   FORMAT_TYPE_TYPEMOD_GIVEN |
										   FORMAT_TYPE_ALLOW_INVALID),
					  att->attnotnull ? " not null" : "",
					  deflt, identity, generated, collate,
					  acl_text(acl, isnull, OBJECT_COLUMN, InvalidOid),
					  comment_text(st, relid, RelationRelationId, att->attnum)));
		if (st->structured)
		{
			field_parent(st, st->parent_kind, qname);
			field_str(st, "name", quote_identifier(NameStr(att->attname)));
			field_int(st, "position", position);
			field_str(st, "type",
					  format_type_extended(att->atttypid, att->atttypmod,
										   FORMAT_TYPE_TYPEMOD_GIVEN |
										   FORMAT_TYPE_ALLOW_INVALID));
			field_bool(st, "not_null", att->attnotnull);
			field_str(st, "default", default_expr);
			field_bool(st, "default_volatile", volatile_default);
			field_str(st, "identity_kind",
					  att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS ? "always" :
					  att->attidentity == ATTRIBUTE_IDENTITY_BY_DEFAULT ? "by default" :
					  NULL);
			field_str(st, "generated", generated_expr);
			field_str(st, "collation", collation);
			field_bool(st, "inherited", !att->attislocal);
			field_list(st, "acl", acl_items(acl, isnull, OBJECT_COLUMN, InvalidOid));
			field_nonempty(st, "comment",
						   comment_text(st, relid, RelationRelationId, att->attnum));
			add_depends(st, RelationRelationId, relid, att->attnum);
			/* what its default or generation expression uses */
			add_field(st, "default_depends", SCHEMA_FIELD_LIST)->list =
				OidIsValid(defoid) ?
				depend_keys(st, NIL, AttrDefaultRelationId, defoid, -1, true) : NIL;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * Constraints: of a table (domain false) or of a domain.  The pg_constraint
 * row of a constraint trigger is left out: the trigger's row describes it
 * whole (events, function, arguments, whether enabled), and the row of the
 * constraint would say only "TRIGGER" and when it is checked, which the
 * trigger's says too.  pg_dump dumps the trigger and its comment and never
 * the constraint, so that row would not even survive a dump and restore
 * with its comment.
 */
static void
describe_constraints(DescribeState *st, bool domain, Oid oid,
					 const char *qname)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key,
				domain ? Anum_pg_constraint_contypid : Anum_pg_constraint_conrelid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(oid));
	scan = systable_beginscan(rel,
							  domain ? ConstraintTypidIndexId : ConstraintRelidTypidNameIndexId,
							  true, NULL, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		char	   *def;

		if (con->contype == CONSTRAINT_TRIGGER)
			continue;
		def = deparse_oid(pg_get_constraintdef, con->oid);
		/* NULL: gone, as of the snapshot pg_get_constraintdef() reads */
		if (def == NULL)
			continue;
		emit(st, "constraint",
			 psprintf("%s.%s", qname, quote_identifier(NameStr(con->conname))),
			 psprintf("%s%s; comment %s", def,
					  con->convalidated ? "" : " (not validated)",
					  comment_text(st, con->oid, ConstraintRelationId, 0)));
		if (st->structured)
		{
			field_parent(st, domain ? "domain" : st->parent_kind, qname);
			field_str(st, "name", quote_identifier(NameStr(con->conname)));
			field_str(st, "type", psprintf("%c", con->contype));
			field_str(st, "def", def);
			field_bool(st, "validated", con->convalidated);
			field_str(st, "index",
					  OidIsValid(con->conindid) && con->contype != CONSTRAINT_FOREIGN ?
					  migrate_object_key(RelationRelationId, con->conindid, 0) : NULL);
			field_str(st, "references",
					  OidIsValid(con->confrelid) ?
					  migrate_object_key(RelationRelationId, con->confrelid, 0) : NULL);
			field_bool(st, "inherited", !con->conislocal);
			field_nonempty(st, "comment",
						   comment_text(st, con->oid, ConstraintRelationId, 0));
			add_depends(st, ConstraintRelationId, con->oid, -1);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* Indexes of a relation */
static void
describe_indexes(DescribeState *st, Oid relid, bool partitioned)
{
	ListCell   *lc;

	foreach(lc, rows_of(IndexRelationId, IndexIndrelidIndexId,
						Anum_pg_index_indrelid, Anum_pg_index_indexrelid,
						relid))
	{
		Oid			indexid = lfirst_oid(lc);
		HeapTuple	tup;
		NamespaceEntry *nsp;
		char	   *def;
		char	   *identity;
		char	   *name;
		bool		ispartition;

		tup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexid));
		if (!HeapTupleIsValid(tup))
			continue;
		nsp = lookup_namespace(st, ((Form_pg_class) GETSTRUCT(tup))->relnamespace);
		name = pstrdup(NameStr(((Form_pg_class) GETSTRUCT(tup))->relname));
		ispartition = ((Form_pg_class) GETSTRUCT(tup))->relispartition;
		identity = nsp->described ? qualified(nsp, name) : NULL;
		ReleaseSysCache(tup);
		if (identity == NULL)
			continue;
		def = deparse_oid(pg_get_indexdef, indexid);
		if (def == NULL)
			continue;
		emit(st, "index", identity,
			 psprintf("%s; comment %s", def,
					  comment_text(st, indexid, RelationRelationId, 0)));
		if (st->structured)
		{
			Oid			conid = get_index_constraint(indexid);

			field_parent(st, st->parent_kind, st->parent_qname);
			field_str(st, "name", quote_identifier(name));
			field_str(st, "def", def);
			field_str(st, "constraint",
					  OidIsValid(conid) ?
					  migrate_object_key(ConstraintRelationId, conid, 0) : NULL);
			field_bool(st, "partitioned", partitioned);
			field_bool(st, "inherited", ispartition);
			field_nonempty(st, "comment",
						   comment_text(st, indexid, RelationRelationId, 0));
			add_depends(st, RelationRelationId, indexid, -1);
		}
	}
}

static void
describe_triggers(DescribeState *st, Oid relid, const char *qname)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_trigger_tgrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, TriggerRelidNameIndexId, true, NULL, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_trigger tg = (Form_pg_trigger) GETSTRUCT(tup);
		char	   *def;

		if (tg->tgisinternal)
			continue;
		def = deparse_oid(pg_get_triggerdef, tg->oid);
		if (def == NULL)
			continue;
		emit(st, "trigger",
			 psprintf("%s.%s", qname, quote_identifier(NameStr(tg->tgname))),
			 psprintf("%s; enabled %c; comment %s", def, tg->tgenabled,
					  comment_text(st, tg->oid, TriggerRelationId, 0)));
		if (st->structured)
		{
			field_parent(st, st->parent_kind, qname);
			field_str(st, "name", quote_identifier(NameStr(tg->tgname)));
			field_str(st, "def", def);
			field_str(st, "enabled", psprintf("%c", tg->tgenabled));
			field_bool(st, "inherited", OidIsValid(tg->tgparentid));
			field_nonempty(st, "comment",
						   comment_text(st, tg->oid, TriggerRelationId, 0));
			add_depends(st, TriggerRelationId, tg->oid, -1);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static const char *
policy_command(char cmd)
{
	switch (cmd)
	{
		case 'r':
			return "select";
		case 'a':
			return "insert";
		case 'w':
			return "update";
		case 'd':
			return "delete";
	}
	return "all";
}

/*
 * A policy's roles ("public" for 0), in byte order of name, each once:
 * polroles keeps them in the order of the CREATE POLICY that gave them,
 * and TO a, b means what TO b, a does.  pg_dump lists them each once, in
 * the order pg_roles returns them, so a restore changes that order too.
 */
static List *
policy_role_list(Datum roles, bool isnull)
{
	ArrayType  *arr;
	Datum	   *elems;
	const char **names;
	int			n;
	int			i;
	List	   *result = NIL;

	if (isnull)
		return NIL;
	arr = DatumGetArrayTypeP(roles);
	deconstruct_array(arr, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems,
					  NULL, &n);
	names = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		Oid			roleid = DatumGetObjectId(elems[i]);

		names[i] = roleid == InvalidOid ? "public" : user_name(roleid);
	}
	qsort(names, n, sizeof(char *), compare_names);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		result = lappend(result, unconstify(char *, role_name(names[i])));
	}
	return result;
}

static const char *
policy_roles(Datum roles, bool isnull)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, policy_role_list(roles, isnull))
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, (char *) lfirst(lc));
	}
	return buf.data;
}

static void
describe_policies(DescribeState *st, Oid relid, const char *qname)
{
	Relation	rel = table_open(PolicyRelationId, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_policy_polrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, PolicyPolrelidPolnameIndexId, true, NULL, 1,
							  &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tup);
		bool		roles_null;
		bool		qual_null;
		bool		check_null;
		Datum		roles = heap_getattr(tup, Anum_pg_policy_polroles, desc,
										 &roles_null);
		Datum		qual = heap_getattr(tup, Anum_pg_policy_polqual, desc,
										&qual_null);
		Datum		check = heap_getattr(tup, Anum_pg_policy_polwithcheck, desc,
										 &check_null);

		emit(st, "policy",
			 psprintf("%s.%s", qname, quote_identifier(NameStr(pol->polname))),
			 psprintf("for %s %s to %s using %s with check %s; comment %s",
					  policy_command(pol->polcmd),
					  pol->polpermissive ? "permissive" : "restrictive",
					  policy_roles(roles, roles_null),
					  deparse_expr(qual, qual_null, relid),
					  deparse_expr(check, check_null, relid),
					  comment_text(st, pol->oid, PolicyRelationId, 0)));
		if (st->structured)
		{
			field_parent(st, st->parent_kind, qname);
			field_str(st, "name", quote_identifier(NameStr(pol->polname)));
			field_str(st, "command", policy_command(pol->polcmd));
			field_bool(st, "permissive", pol->polpermissive);
			field_list(st, "roles", policy_role_list(roles, roles_null));
			field_nonempty(st, "using", deparse_expr(qual, qual_null, relid));
			field_nonempty(st, "check", deparse_expr(check, check_null, relid));
			field_nonempty(st, "comment",
						   comment_text(st, pol->oid, PolicyRelationId, 0));
			add_depends(st, PolicyRelationId, pol->oid, -1);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* A list partition's value and how it is deparsed, for sorting */
typedef struct BoundValue
{
	char	   *text;
	Node	   *value;
} BoundValue;

static int
compare_bound_values(const void *a, const void *b)
{
	return strcmp(((const BoundValue *) a)->text,
				  ((const BoundValue *) b)->text);
}

/*
 * A partition's bound (relpartbound of relid), deparsed.  The values of a
 * list partition are kept in the order FOR VALUES IN (...) gave them, and
 * IN ('a', 'b') means what IN ('b', 'a') does: they are deparsed in byte
 * order of their text.
 */
static const char *
partition_bound_text(Datum bound, bool isnull, Oid relid)
{
	PartitionBoundSpec *spec;

	if (isnull)
		return "";
	spec = castNode(PartitionBoundSpec,
					stringToNode(TextDatumGetCString(bound)));
	if (spec->strategy == PARTITION_STRATEGY_LIST &&
		list_length(spec->listdatums) > 1)
	{
		int			n = list_length(spec->listdatums);
		BoundValue *values = palloc(sizeof(BoundValue) * n);
		ListCell   *lc;
		int			i = 0;

		foreach(lc, spec->listdatums)
		{
			values[i].value = lfirst(lc);
			values[i].text = deparse_expression(values[i].value, NIL, false,
												false);
			i++;
		}
		qsort(values, n, sizeof(BoundValue), compare_bound_values);
		i = 0;
		foreach(lc, spec->listdatums)
			lfirst(lc) = values[i++].value;
		bound = CStringGetTextDatum(nodeToString(spec));
	}
	return deparse_expr(bound, false, relid);
}

/* The row of a table, partitioned table or foreign table */
static void
describe_table_row(DescribeState *st, HeapTuple tup, const char *qname)
{
	Form_pg_class rel = (Form_pg_class) GETSTRUCT(tup);
	bool		acl_null;
	bool		options_null;
	bool		bound_null;
	Datum		acl = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl,
									  &acl_null);
	Datum		options = SysCacheGetAttr(RELOID, tup, Anum_pg_class_reloptions,
										  &options_null);
	Datum		bound = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relpartbound,
										&bound_null);
	const char *partkey = "";

	/* pg_get_partkeydef() is NULL but for partitioned tables */
	if (rel->relkind == RELKIND_PARTITIONED_TABLE)
		partkey = or_empty(deparse_oid(pg_get_partkeydef, rel->oid));
	emit(st, rel->relkind == RELKIND_FOREIGN_TABLE ? "foreign table" : "table",
		 qname,
		 psprintf("%s%s; owner %s; acl %s; row security %s, forced %s; options %s; partition %s %s; comment %s",
				  rel->relpersistence == RELPERSISTENCE_UNLOGGED ? "unlogged " : "",
				  rel->relkind == RELKIND_PARTITIONED_TABLE ? "partitioned table" : "table",
				  role_name(user_name(rel->relowner)),
				  acl_text(acl, acl_null, OBJECT_TABLE, rel->relowner),
				  rel->relrowsecurity ? "t" : "f",
				  rel->relforcerowsecurity ? "t" : "f",
				  options_text(options, options_null), partkey,
				  partition_bound_text(bound, bound_null, rel->oid),
				  comment_text(st, rel->oid, RelationRelationId, 0)));
	if (st->structured)
	{
		List	   *parents = rows_of(InheritsRelationId,
									  InheritsRelidSeqnoIndexId,
									  Anum_pg_inherits_inhrelid,
									  Anum_pg_inherits_inhparent,
									  rel->oid);
		List	   *inherits = NIL;
		ListCell   *lc;

		field_str(st, "schema", lookup_namespace(st, rel->relnamespace)->quoted);
		field_str(st, "name", quote_identifier(NameStr(rel->relname)));
		field_bool(st, "unlogged", rel->relpersistence == RELPERSISTENCE_UNLOGGED);
		field_nonempty(st, "partition_by", partkey);
		field_str(st, "partition_of",
				  rel->relispartition && parents != NIL ?
				  migrate_object_key(RelationRelationId,
									 linitial_oid(parents), 0) : NULL);
		field_nonempty(st, "bound",
					   partition_bound_text(bound, bound_null, rel->oid));
		if (!rel->relispartition)
			foreach(lc, parents)
		{
			char	   *key = migrate_object_key(RelationRelationId,
												 lfirst_oid(lc), 0);

			if (key)
				inherits = lappend(inherits, key);
		}
		field_list(st, "inherits", inherits);
		field_str(st, "of_type",
				  OidIsValid(rel->reloftype) ?
				  migrate_object_key(TypeRelationId, rel->reloftype, 0) : NULL);
		field_list(st, "options", options_list(options, options_null));
		field_bool(st, "row_security", rel->relrowsecurity);
		field_bool(st, "force_row_security", rel->relforcerowsecurity);
		field_owner_acl(st, rel->relowner, acl, acl_null, OBJECT_TABLE,
						comment_text(st, rel->oid, RelationRelationId, 0));
		add_depends(st, RelationRelationId, rel->oid, 0);
	}
}

static void
describe_view_row(DescribeState *st, HeapTuple tup, const char *qname)
{
	Form_pg_class rel = (Form_pg_class) GETSTRUCT(tup);
	bool		acl_null;
	Datum		acl = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl,
									  &acl_null);

	const char *query = or_empty(deparse_oid(pg_get_viewdef, rel->oid));

	emit(st, rel->relkind == RELKIND_VIEW ? "view" : "materialized view",
		 qname,
		 psprintf("%s; owner %s; acl %s; comment %s",
				  query,
				  role_name(user_name(rel->relowner)),
				  acl_text(acl, acl_null, OBJECT_TABLE, rel->relowner),
				  comment_text(st, rel->oid, RelationRelationId, 0)));
	if (st->structured)
	{
		bool		options_null;
		Datum		options = SysCacheGetAttr(RELOID, tup,
											  Anum_pg_class_reloptions,
											  &options_null);
		SchemaDetail *detail = st->rows[st->n - 1].detail;
		ListCell   *lc;

		field_str(st, "schema", lookup_namespace(st, rel->relnamespace)->quoted);
		field_str(st, "name", quote_identifier(NameStr(rel->relname)));
		field_str(st, "query", query);
		field_list(st, "options", options_list(options, options_null));
		field_bool(st, "populated", rel->relispopulated);
		field_owner_acl(st, rel->relowner, acl, acl_null, OBJECT_TABLE,
						comment_text(st, rel->oid, RelationRelationId, 0));
		add_depends(st, RelationRelationId, rel->oid, 0);
		/* what its query reads: the dependencies of its rule */
		foreach(lc, rows_of(RewriteRelationId, RewriteRelRulenameIndexId,
							Anum_pg_rewrite_ev_class, Anum_pg_rewrite_oid,
							rel->oid))
			detail->depends = depend_keys(st, detail->depends,
										  RewriteRelationId, lfirst_oid(lc), -1,
										  true);
	}
}

static void
describe_sequence_row(DescribeState *st, HeapTuple tup, const char *qname)
{
	Form_pg_class rel = (Form_pg_class) GETSTRUCT(tup);
	HeapTuple	seqtup = SearchSysCache1(SEQRELID, ObjectIdGetDatum(rel->oid));
	Form_pg_sequence seq;
	bool		acl_null;
	Datum		acl;

	if (!HeapTupleIsValid(seqtup))
		return;
	seq = (Form_pg_sequence) GETSTRUCT(seqtup);
	acl = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl, &acl_null);
	emit(st, "sequence", qname,
		 psprintf("%s start " INT64_FORMAT " increment " INT64_FORMAT
				  " min " INT64_FORMAT " max " INT64_FORMAT
				  " cache " INT64_FORMAT "%s; owner %s; acl %s; comment %s",
				  format_type_extended(seq->seqtypid, -1,
									   FORMAT_TYPE_ALLOW_INVALID),
				  seq->seqstart, seq->seqincrement, seq->seqmin, seq->seqmax,
				  seq->seqcache, seq->seqcycle ? " cycle" : "",
				  role_name(user_name(rel->relowner)),
				  acl_text(acl, acl_null, OBJECT_SEQUENCE, rel->relowner),
				  comment_text(st, rel->oid, RelationRelationId, 0)));
	if (st->structured)
	{
		const char *owned_by = NULL;
		const char *identity_of = NULL;
		ListCell   *lc;

		field_str(st, "schema", lookup_namespace(st, rel->relnamespace)->quoted);
		field_str(st, "name", quote_identifier(NameStr(rel->relname)));
		field_str(st, "type", format_type_extended(seq->seqtypid, -1,
												   FORMAT_TYPE_ALLOW_INVALID));
		field_int(st, "start", seq->seqstart);
		field_int(st, "increment", seq->seqincrement);
		field_int(st, "min", seq->seqmin);
		field_int(st, "max", seq->seqmax);
		field_int(st, "cache", seq->seqcache);
		field_bool(st, "cycle", seq->seqcycle);

		/*
		 * OWNED BY a column (serial): an automatic dependency on it; an
		 * identity column's: an internal one.  Neither orders the sequence
		 * after the column: a default uses the sequence.
		 */
		foreach(lc, migrate_object_depends(RelationRelationId, rel->oid, 0))
		{
			DependRef  *ref = (DependRef *) lfirst(lc);

			if (ref->refclassid != RelationRelationId || ref->refobjsubid <= 0)
				continue;
			if (ref->deptype == DEPENDENCY_AUTO)
				owned_by = migrate_object_key(ref->refclassid, ref->refobjid,
											  ref->refobjsubid);
			else if (ref->deptype == DEPENDENCY_INTERNAL)
				identity_of = migrate_object_key(ref->refclassid,
												 ref->refobjid,
												 ref->refobjsubid);
		}
		field_str(st, "owned_by", owned_by);
		field_str(st, "identity_of", identity_of);
		field_owner_acl(st, rel->relowner, acl, acl_null, OBJECT_SEQUENCE,
						comment_text(st, rel->oid, RelationRelationId, 0));
		st->rows[st->n - 1].detail->depends =
			depend_keys(st, NIL, RelationRelationId, rel->oid, 0, false);
	}
	ReleaseSysCache(seqtup);
}

/* enum, domain, range and composite type rows */
static void
describe_type_row(DescribeState *st, HeapTuple tup, const char *qname)
{
	Form_pg_type typ = (Form_pg_type) GETSTRUCT(tup);
	const char *kind;
	const char *head = "";
	bool		acl_null;
	Datum		acl = SysCacheGetAttr(TYPEOID, tup, Anum_pg_type_typacl,
									  &acl_null);
	List	   *labels = NIL;
	const char *domain_default = NULL;
	HeapTuple	rngtup = NULL;

	switch (typ->typtype)
	{
		case TYPTYPE_ENUM:
			{
				Relation	rel = table_open(EnumRelationId, AccessShareLock);
				ScanKeyData key;
				SysScanDesc scan;
				HeapTuple	etup;
				StringInfoData buf;
				bool		any = false;

				kind = "enum";
				initStringInfo(&buf);
				appendStringInfoString(&buf, "enum (");
				ScanKeyInit(&key, Anum_pg_enum_enumtypid, BTEqualStrategyNumber,
							F_OIDEQ, ObjectIdGetDatum(typ->oid));
				/* in the order of enumsortorder */
				scan = systable_beginscan(rel, EnumTypIdSortOrderIndexId, true,
										  NULL, 1, &key);
				while ((etup = systable_getnext(scan)) != NULL)
				{
					if (any)
						appendStringInfoString(&buf, ", ");
					appendStringInfoString(&buf,
										   quote_literal_cstr(NameStr(((Form_pg_enum) GETSTRUCT(etup))->enumlabel)));
					labels = lappend(labels,
									 pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(etup))->enumlabel)));
					any = true;
				}
				systable_endscan(scan);
				table_close(rel, AccessShareLock);
				appendStringInfoChar(&buf, ')');
				/* no label: string_agg() was NULL, and so was all of it */
				if (any)
					head = buf.data;
				break;
			}
		case TYPTYPE_DOMAIN:
			{
				/*
				 * typdefault is the default as CREATE DOMAIN deparsed it,
				 * with the search_path and DateStyle of that session: a
				 * function it calls may be unqualified, a date in any style,
				 * and a restore (pg_dump prints typdefaultbin) changes it.
				 * typdefaultbin is deparsed now, as column defaults are.
				 */
				bool		isnull;
				Datum		deflt = SysCacheGetAttr(TYPEOID, tup,
													Anum_pg_type_typdefaultbin,
													&isnull);
				const char *s = deparse_expr(deflt, isnull, InvalidOid);

				kind = "domain";
				domain_default = s;
				head = psprintf("domain over %s%s%s%s",
								format_type_extended(typ->typbasetype,
													 typ->typtypmod,
													 FORMAT_TYPE_TYPEMOD_GIVEN |
													 FORMAT_TYPE_ALLOW_INVALID),
								typ->typnotnull ? " not null" : "",
								*s ? " default " : "", s);
				break;
			}
		case TYPTYPE_RANGE:
			{
				rngtup = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(typ->oid));
				kind = "range";
				if (HeapTupleIsValid(rngtup))
					head = psprintf("range of %s",
									format_type_extended(((Form_pg_range) GETSTRUCT(rngtup))->rngsubtype,
														 -1, FORMAT_TYPE_ALLOW_INVALID));
				break;
			}
		default:
			kind = "type";
			head = "composite type";
			break;
	}
	emit(st, kind, qname,
		 psprintf("%s; owner %s; acl %s; comment %s", head,
				  role_name(user_name(typ->typowner)),
				  acl_text(acl, acl_null, OBJECT_TYPE, typ->typowner),
				  comment_text(st, typ->oid, TypeRelationId, 0)));
	if (st->structured)
	{
		field_str(st, "schema", lookup_namespace(st, typ->typnamespace)->quoted);
		field_str(st, "name", quote_identifier(NameStr(typ->typname)));
		if (typ->typtype == TYPTYPE_ENUM)
			field_list(st, "labels", labels);
		else if (typ->typtype == TYPTYPE_DOMAIN)
		{
			field_str(st, "base",
					  format_type_extended(typ->typbasetype, typ->typtypmod,
										   FORMAT_TYPE_TYPEMOD_GIVEN |
										   FORMAT_TYPE_ALLOW_INVALID));
			field_bool(st, "not_null", typ->typnotnull);
			field_nonempty(st, "default", domain_default);
			field_str(st, "collation",
					  OidIsValid(typ->typcollation) &&
					  typ->typcollation != get_typcollation(typ->typbasetype) ?
					  collation_name(st, typ->typcollation) : NULL);
		}
		else if (typ->typtype == TYPTYPE_RANGE && HeapTupleIsValid(rngtup))
		{
			Form_pg_range rng = (Form_pg_range) GETSTRUCT(rngtup);

			field_str(st, "subtype",
					  format_type_extended(rng->rngsubtype, -1,
										   FORMAT_TYPE_ALLOW_INVALID));
			field_str(st, "subtype_opclass",
					  rng->rngsubopc != GetDefaultOpClass(rng->rngsubtype,
														  BTREE_AM_OID) ?
					  opclass_name(st, rng->rngsubopc) : NULL);
			field_str(st, "collation",
					  OidIsValid(rng->rngcollation) &&
					  rng->rngcollation != get_typcollation(rng->rngsubtype) ?
					  collation_name(st, rng->rngcollation) : NULL);
			field_str(st, "canonical", routine_name(st, rng->rngcanonical));
			field_str(st, "subtype_diff", routine_name(st, rng->rngsubdiff));
			field_str(st, "multirange",
					  format_type_extended(rng->rngmultitypid, -1,
										   FORMAT_TYPE_ALLOW_INVALID));
		}
		field_owner_acl(st, typ->typowner, acl, acl_null, OBJECT_TYPE,
						comment_text(st, typ->oid, TypeRelationId, 0));
		add_depends(st, TypeRelationId, typ->oid, -1);
	}
	if (rngtup != NULL && HeapTupleIsValid(rngtup))
		ReleaseSysCache(rngtup);
}

/*
 * A relation and what belongs to it.  An extension's relation is not
 * described, and neither is anything of it (its columns, constraints,
 * indexes, triggers and policies): an index or a constraint is never an
 * extension member itself, so the SQL version of 0.2 described those of an
 * extension's tables, and the columns of its composite types.
 */
static void
describe_relation(DescribeState *st, Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class rel;
	NamespaceEntry *nsp;
	char	   *qname;
	char		relkind;
	bool		table;

	if (!HeapTupleIsValid(tup))
		return;
	rel = (Form_pg_class) GETSTRUCT(tup);
	relkind = rel->relkind;
	nsp = lookup_namespace(st, rel->relnamespace);

	/*
	 * The pg_class row of a composite type is part of its pg_type row, the
	 * member (load_members() counts it in, but say it here too).
	 */
	if (!nsp->described || is_member(st, RelationRelationId, relid) ||
		(relkind == RELKIND_COMPOSITE_TYPE &&
		 is_member(st, TypeRelationId, rel->reltype)))
	{
		ReleaseSysCache(tup);
		return;
	}
	qname = qualified(nsp, NameStr(rel->relname));
	table = (relkind == RELKIND_RELATION ||
			 relkind == RELKIND_PARTITIONED_TABLE ||
			 relkind == RELKIND_FOREIGN_TABLE);

	if (table)
		describe_table_row(st, tup, qname);
	else if (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW)
		describe_view_row(st, tup, qname);
	else if (relkind == RELKIND_SEQUENCE)
		describe_sequence_row(st, tup, qname);

	/*
	 * The SQL version also asked, of a composite type, that no pg_type row
	 * other than a composite one has it as typrelid: always so.
	 */
	st->parent_kind = migrate_relation_kind_name(relkind);
	st->parent_qname = qname;
	if (table || relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW ||
		relkind == RELKIND_COMPOSITE_TYPE)
		describe_columns(st, relid, qname);
	if (table)
	{
		describe_constraints(st, false, relid, qname);
		describe_policies(st, relid, qname);
	}
	if (table || relkind == RELKIND_VIEW)
		describe_triggers(st, relid, qname);
	if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
		relkind == RELKIND_MATVIEW)
		describe_indexes(st, relid, relkind == RELKIND_PARTITIONED_TABLE);
	if (relkind == RELKIND_COMPOSITE_TYPE)
	{
		HeapTuple	typtup = SearchSysCache1(TYPEOID,
											 ObjectIdGetDatum(rel->reltype));

		if (HeapTupleIsValid(typtup))
		{
			NamespaceEntry *typnsp = lookup_namespace(st,
													  ((Form_pg_type) GETSTRUCT(typtup))->typnamespace);

			if (typnsp->described)
				describe_type_row(st, typtup,
								  qualified(typnsp, NameStr(((Form_pg_type) GETSTRUCT(typtup))->typname)));
			ReleaseSysCache(typtup);
		}
	}
	ReleaseSysCache(tup);
}

static void
describe_routine(DescribeState *st, Oid procid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(procid));
	Form_pg_proc proc;
	NamespaceEntry *nsp;
	char	   *args;
	const char *head;
	bool		acl_null;
	Datum		acl;

	if (!HeapTupleIsValid(tup))
		return;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	nsp = lookup_namespace(st, proc->pronamespace);
	if (!nsp->described || is_member(st, ProcedureRelationId, procid) ||
		(args = deparse_oid(pg_get_function_identity_arguments, procid)) == NULL)
	{
		ReleaseSysCache(tup);
		return;
	}
	/* pg_get_functiondef() refuses aggregates */
	if (proc->prokind == PROKIND_AGGREGATE)
	{
		char	   *result = deparse_oid(pg_get_function_result, procid);

		head = result ? psprintf("aggregate returning %s", result) : "";
	}
	else
		head = or_empty(deparse_oid(pg_get_functiondef, procid));
	acl = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proacl, &acl_null);
	emit(st,
		 migrate_routine_kind_name(proc->prokind),
		 psprintf("%s.%s(%s)", nsp->quoted,
				  quote_identifier(NameStr(proc->proname)), args),
		 psprintf("%s; owner %s; acl %s; comment %s", head,
				  role_name(user_name(proc->proowner)),
				  acl_text(acl, acl_null, OBJECT_FUNCTION, proc->proowner),
				  comment_text(st, procid, ProcedureRelationId, 0)));
	if (st->structured)
	{
		field_str(st, "schema", nsp->quoted);
		field_str(st, "name", quote_identifier(NameStr(proc->proname)));
		field_nonempty(st, "create",
					   proc->prokind == PROKIND_AGGREGATE ? NULL : head);
		field_str(st, "arguments",
				  deparse_oid(pg_get_function_arguments, procid));
		field_str(st, "identity_arguments", args);
		field_str(st, "result", deparse_oid(pg_get_function_result, procid));
		field_str(st, "part_of", routine_part_of(procid));
		field_owner_acl(st, proc->proowner, acl, acl_null, OBJECT_FUNCTION,
						comment_text(st, procid, ProcedureRelationId, 0));
		add_depends(st, ProcedureRelationId, procid, -1);
	}
	ReleaseSysCache(tup);
}

/*
 * An enum, domain or range (composite types are described with their
 * relation).  An extension's domain is not described, nor are its
 * constraints (which the SQL version of 0.2 described).
 */
static void
describe_type(DescribeState *st, Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type typ;
	NamespaceEntry *nsp;
	char	   *qname;

	if (!HeapTupleIsValid(tup))
		return;
	typ = (Form_pg_type) GETSTRUCT(tup);
	nsp = lookup_namespace(st, typ->typnamespace);
	if (migrate_type_kind_name(typ->typtype) != NULL && nsp->described &&
		!is_member(st, TypeRelationId, typid))
	{
		qname = qualified(nsp, NameStr(typ->typname));
		describe_type_row(st, tup, qname);
		if (typ->typtype == TYPTYPE_DOMAIN)
			describe_constraints(st, true, typid, qname);
	}
	ReleaseSysCache(tup);
}

static void
describe_kind(DescribeState *st, Oid classid, Oid objid)
{
	switch (classid)
	{
		case NamespaceRelationId:
			describe_namespace(st, objid);
			break;
		case RelationRelationId:
			describe_relation(st, objid);
			break;
		case ProcedureRelationId:
			describe_routine(st, objid);
			break;
		case TypeRelationId:
			describe_type(st, objid);
			break;
	}
}

/*
 * The row of an object that could not be described: its own row, if it has
 * one, with a definition that says why.
 */
static void
describe_busy(DescribeState *st, Oid classid, Oid objid)
{
	HeapTuple	tup;
	NamespaceEntry *nsp;

	switch (classid)
	{
		case NamespaceRelationId:
			tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(objid));
			if (!HeapTupleIsValid(tup))
				return;
			if (migrate_namespace_name_described(NameStr(((Form_pg_namespace) GETSTRUCT(tup))->nspname)) &&
				!is_member(st, NamespaceRelationId, objid))
				emit(st, "schema",
					 quote_identifier(NameStr(((Form_pg_namespace) GETSTRUCT(tup))->nspname)),
					 NOT_DESCRIBED);
			ReleaseSysCache(tup);
			break;
		case RelationRelationId:
			{
				Form_pg_class rel;
				const char *kind = NULL;

				tup = SearchSysCache1(RELOID, ObjectIdGetDatum(objid));
				if (!HeapTupleIsValid(tup))
					return;
				rel = (Form_pg_class) GETSTRUCT(tup);
				/* an index is described with its table */
				if (rel->relkind != RELKIND_INDEX &&
					rel->relkind != RELKIND_PARTITIONED_INDEX)
					kind = migrate_relation_kind_name(rel->relkind);
				nsp = lookup_namespace(st, rel->relnamespace);
				if (kind && nsp->described &&
					!is_member(st, rel->relkind == RELKIND_COMPOSITE_TYPE ?
							   TypeRelationId : RelationRelationId,
							   rel->relkind == RELKIND_COMPOSITE_TYPE ?
							   rel->reltype : objid))
					emit(st, kind, qualified(nsp, NameStr(rel->relname)),
						 NOT_DESCRIBED);
				ReleaseSysCache(tup);
				break;
			}
		case ProcedureRelationId:
			{
				Form_pg_proc proc;
				char	   *args;

				tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(objid));
				if (!HeapTupleIsValid(tup))
					return;
				proc = (Form_pg_proc) GETSTRUCT(tup);
				nsp = lookup_namespace(st, proc->pronamespace);
				if (nsp->described && !is_member(st, ProcedureRelationId, objid) &&
					(args = deparse_oid(pg_get_function_identity_arguments, objid)) != NULL)
					emit(st,
						 migrate_routine_kind_name(proc->prokind),
						 psprintf("%s.%s(%s)", nsp->quoted,
								  quote_identifier(NameStr(proc->proname)), args),
						 NOT_DESCRIBED);
				ReleaseSysCache(tup);
				break;
			}
		case TypeRelationId:
			{
				Form_pg_type typ;

				tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(objid));
				if (!HeapTupleIsValid(tup))
					return;
				typ = (Form_pg_type) GETSTRUCT(tup);
				nsp = lookup_namespace(st, typ->typnamespace);
				if (nsp->described && !is_member(st, TypeRelationId, objid) &&
					migrate_type_kind_name(typ->typtype) != NULL)
					emit(st, migrate_type_kind_name(typ->typtype),
						 qualified(nsp, NameStr(typ->typname)), NOT_DESCRIBED);
				ReleaseSysCache(tup);
				break;
			}
	}
}


/* ---------- describing one top-level object ---------- */

/*
 * Step 1 (see the top of the file): lock without waiting and describe.
 * False if a lock was busy: then nothing was described.
 */
static bool
describe_locked(DescribeState *st, Oid classid, Oid objid)
{
	bool		locked;

	CurrentResourceOwner = st->owner;
	locked = lock_object(classid, objid, false);
	if (locked)
	{
		describe_kind(st, classid, objid);
		unlock_object(classid, objid);
	}
	CurrentResourceOwner = st->caller_owner;
	release_locks(st->owner);
	return locked;
}

static void
describe_waiting_cb(void *arg)
{
	WaitingArgs *a = (WaitingArgs *) arg;
	int			nestlevel = NewGUCNestLevel();
	int			timeout = DESCRIBE_LOCK_TIMEOUT;
	char		value[16];

	if (LockTimeout > 0 && LockTimeout < timeout)
		timeout = LockTimeout;
	snprintf(value, sizeof(value), "%d", timeout);
	(void) set_config_option("lock_timeout", value, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) lock_object(a->classid, a->objid, true);
	describe_kind(a->st, a->classid, a->objid);
	AtEOXact_GUC(false, nestlevel);
}

/*
 * Step 2: describe in a subtransaction, always rolled back, waiting a
 * little for the locks.  False on an error, with the rows of the attempt
 * taken back.
 */
static bool
describe_waiting(DescribeState *st, Oid classid, Oid objid)
{
	WaitingArgs a;
	int			first = st->n;
	ErrorData  *edata;
	int			category;

	a.st = st;
	a.classid = classid;
	a.objid = objid;
	edata = migrate_subtransaction(describe_waiting_cb, &a, false);
	if (edata == NULL)
		return true;
	category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
	if (category == ERRCODE_OPERATOR_INTERVENTION ||
		category == ERRCODE_INSUFFICIENT_RESOURCES ||
		category == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		ReThrowError(edata);
	FreeErrorData(edata);
	st->n = first;
	return false;
}

static void
describe_top(DescribeState *st, Oid classid, Oid objid)
{
	int			attempt;

	st->top_class = classid;
	st->top_oid = objid;
	for (attempt = 0; attempt < DESCRIBE_ATTEMPTS; attempt++)
	{
		if (describe_locked(st, classid, objid) ||
			describe_waiting(st, classid, objid))
			return;
		/* what the other session committed, if anything */
		AcceptInvalidationMessages();
		if (!object_exists(classid, objid))
			return;
	}
	describe_busy(st, classid, objid);
}


/* ---------- the whole description ---------- */

static HTAB *
make_hash(const char *name, Size keysize, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * Add to the members, and to the queue of those whose parts are still to
 * be added, what has a dependency of type deptype on object (key), as of
 * snapshot: the members of an extension (DEPENDENCY_EXTENSION), the parts
 * of a member (DEPENDENCY_INTERNAL).
 */
static void
add_parts(DescribeState *st, Relation deprel, const MemberKey *object,
		  char deptype, List **queue)
{
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(object->classid));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(object->objid));
	scan = systable_beginscan(deprel, DependReferenceIndexId, true,
							  st->snapshot, 2, key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		MemberKey	part;
		bool		found;

		if (dep->deptype != deptype)
			continue;
		part.classid = dep->classid;
		part.objid = dep->objid;
		(void) hash_search(st->members, &part, HASH_ENTER, &found);
		if (!found)
		{
			MemberKey  *next = palloc(sizeof(MemberKey));

			*next = part;
			*queue = lappend(*queue, next);
		}
	}
	systable_endscan(scan);
}

/*
 * Every extension member, as of snapshot, and everything that is part of
 * one.  An object with an internal dependency on another cannot exist
 * without it, and pg_dump dumps it with it or not at all: the pg_class row
 * of a composite type (its pg_type row is the member), the identity
 * sequence of a table, the multirange type and the constructors of a range
 * type.  CREATE EXTENSION makes some of these members too, ALTER EXTENSION
 * ADD none.  What belongs to a member relation or domain without being part
 * of it in pg_depend (its columns, constraints, indexes, triggers and
 * policies) is left out by describe_relation() and describe_type().
 */
static void
load_members(DescribeState *st)
{
	Relation	extrel = table_open(ExtensionRelationId, AccessShareLock);
	Relation	deprel = table_open(DependRelationId, AccessShareLock);
	SysScanDesc extscan;
	HeapTuple	ext;
	List	   *queue = NIL;
	int			i;

	st->members = make_hash("migrate describe members", sizeof(MemberKey),
							sizeof(MemberKey), st->work_cxt);
	extscan = systable_beginscan(extrel, InvalidOid, false, st->snapshot, 0,
								 NULL);
	while ((ext = systable_getnext(extscan)) != NULL)
	{
		MemberKey	extension;

		extension.classid = ExtensionRelationId;
		extension.objid = ((Form_pg_extension) GETSTRUCT(ext))->oid;
		add_parts(st, deprel, &extension, DEPENDENCY_EXTENSION, &queue);
	}
	systable_endscan(extscan);

	/* the list grows while it is walked: foreach would not see that */
	for (i = 0; i < list_length(queue); i++)
		add_parts(st, deprel, list_nth(queue, i), DEPENDENCY_INTERNAL, &queue);
	list_free_deep(queue);
	table_close(deprel, AccessShareLock);
	table_close(extrel, AccessShareLock);
}

/*
 * The comments on the kinds of objects described, as of snapshot: for the
 * whole schema, one scan costs less than one lookup per object.
 */
static void
load_comments(DescribeState *st)
{
	Relation	rel = table_open(DescriptionRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tup;

	st->comments = make_hash("migrate describe comments", sizeof(CommentKey),
							 sizeof(CommentEntry), st->work_cxt);
	scan = systable_beginscan(rel, InvalidOid, false, st->snapshot, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_description d = (Form_pg_description) GETSTRUCT(tup);
		CommentKey	key;
		CommentEntry *entry;
		bool		isnull;
		Datum		description;

		switch (d->classoid)
		{
			case NamespaceRelationId:
			case RelationRelationId:
			case ConstraintRelationId:
			case ProcedureRelationId:
			case TriggerRelationId:
			case TypeRelationId:
			case PolicyRelationId:
				break;
			default:
				continue;
		}
		description = heap_getattr(tup, Anum_pg_description_description,
								   RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		key.objoid = d->objoid;
		key.classoid = d->classoid;
		key.objsubid = d->objsubid;
		entry = hash_search(st->comments, &key, HASH_ENTER, NULL);
		entry->text = MemoryContextStrdup(st->work_cxt,
										  TextDatumGetCString(description));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
describe_begin(DescribeState *st, bool whole)
{
	static const char *const fixed_settings[][2] = {
		{"search_path", "pg_catalog, pg_temp"},
		{"DateStyle", "ISO, MDY"},
		{"IntervalStyle", "postgres"},
		{"TimeZone", "UTC"},
		{"extra_float_digits", "1"},
		{"bytea_output", "hex"},
		{"lc_monetary", "C"},
		{"quote_all_identifiers", "off"},
		{"standard_conforming_strings", "on"},
	};
	int			i;

	memset(st, 0, sizeof(*st));
	st->result_cxt = CurrentMemoryContext;
	st->work_cxt = AllocSetContextCreate(CurrentMemoryContext,
										 "migrate describe",
										 ALLOCSET_DEFAULT_SIZES);
	st->object_cxt = AllocSetContextCreate(st->work_cxt,
										   "migrate describe object",
										   ALLOCSET_DEFAULT_SIZES);
	st->max = 1024;
	st->rows = palloc(sizeof(SchemaObject) * st->max);

	/*
	 * Every name that ruleutils and format_type() print is qualified, and
	 * every constant they print (a partition bound, a default, a check) is
	 * printed the same way whatever the session's settings, so that two
	 * sessions describe one schema alike.  quote_identifier() and ruleutils
	 * quote every name under quote_all_identifiers, and ruleutils doubles the
	 * backslashes of a string constant when standard_conforming_strings is
	 * off.
	 */
	st->guc_nestlevel = NewGUCNestLevel();
	for (i = 0; i < lengthof(fixed_settings); i++)
		(void) set_config_option(fixed_settings[i][0], fixed_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);

	MemoryContextSwitchTo(st->work_cxt);

	/*
	 * What the caller's own transaction did so far is part of the schema (the
	 * objects a migration of this very statement created), and the deparsing
	 * functions read pg_rewrite with the active snapshot: describe under a
	 * snapshot taken now, after the latest command, and make it the active
	 * one too.
	 */
	CommandCounterIncrement();
	st->snapshot = RegisterSnapshot(GetLatestSnapshot());
	PushActiveSnapshot(st->snapshot);
	st->caller_owner = CurrentResourceOwner;
	st->owner = ResourceOwnerCreate(CurrentResourceOwner, "migrate describe");
	st->namespaces = make_hash("migrate describe namespaces", sizeof(Oid),
							   sizeof(NamespaceEntry), st->work_cxt);
	load_members(st);
	if (whole)
		load_comments(st);
	MemoryContextSwitchTo(st->result_cxt);
}

/* A row and when it was described, for sorting */
typedef struct RowRef
{
	SchemaObject *row;
	int			seq;
} RowRef;

static int
compare_rows(const void *a, const void *b)
{
	const RowRef *x = (const RowRef *) a;
	const RowRef *y = (const RowRef *) b;
	int			cmp = strcmp(x->row->key, y->row->key);

	if (cmp != 0)
		return cmp;
	return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

/*
 * The rows in byte order of key, each key once.  Objects are described one
 * after the other, so a rename committed in between could give two of them
 * the same name (a swap of two names, say): the one described last is as
 * the catalog is now, and is kept.  The drift reference's primary key and
 * migrate_compare() rely on keys being unique.
 */
static Schema *
sorted_rows(DescribeState *st)
{
	RowRef	   *refs = palloc(sizeof(RowRef) * Max(st->n, 1));
	Schema	   *s = palloc(sizeof(Schema));
	int			i;

	for (i = 0; i < st->n; i++)
	{
		refs[i].row = &st->rows[i];
		refs[i].seq = i;
	}
	qsort(refs, st->n, sizeof(RowRef), compare_rows);
	s->objects = palloc(sizeof(SchemaObject) * Max(st->n, 1));
	s->n = 0;
	for (i = 0; i < st->n; i++)
		if (i + 1 == st->n || strcmp(refs[i].row->key, refs[i + 1].row->key) != 0)
			s->objects[s->n++] = *refs[i].row;
	pfree(refs);
	pfree(st->rows);
	return s;
}

static int
compare_tops(const void *a, const void *b)
{
	const TopObject *x = (const TopObject *) a;
	const TopObject *y = (const TopObject *) b;

	if (x->classid != y->classid)
		return x->classid < y->classid ? -1 : 1;
	if (x->objid != y->objid)
		return x->objid < y->objid ? -1 : 1;
	return 0;
}

/* Describe each of tops, then sort the rows */
static Schema *
describe_run(DescribeState *st, TopObject *tops, int ntops)
{
	int			i;

	PG_TRY();
	{
		for (i = 0; i < ntops; i++)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextSwitchTo(st->object_cxt);
			describe_top(st, tops[i].classid, tops[i].objid);
			MemoryContextSwitchTo(st->result_cxt);
			MemoryContextReset(st->object_cxt);
		}
	}
	PG_CATCH();
	{
		CurrentResourceOwner = st->caller_owner;
		MemoryContextSwitchTo(st->result_cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	ResourceOwnerDelete(st->owner);
	PopActiveSnapshot();
	UnregisterSnapshot(st->snapshot);
	AtEOXact_GUC(true, st->guc_nestlevel);
	MemoryContextDelete(st->work_cxt);

	return sorted_rows(st);
}

/* Append a top-level object to tops, growing it as needed */
static void
add_top(TopObject **tops, int *n, int *max, Oid classid, Oid objid)
{
	if (*n >= *max)
	{
		*max *= 2;
		*tops = repalloc(*tops, sizeof(TopObject) * *max);
	}
	(*tops)[*n].classid = classid;
	(*tops)[*n].objid = objid;
	(*n)++;
}

/*
 * migrate_describe: every user object, sorted by key.  The schemas,
 * relations, routines and types to describe are listed under one snapshot;
 * each is then described as it is (see the top of the file).
 */
static Schema *
describe_all(bool structured)
{
	DescribeState st;
	TopObject  *tops;
	int			n = 0;
	int			max = 1024;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;

	describe_begin(&st, true);
	st.structured = structured;
	MemoryContextSwitchTo(st.work_cxt);
	tops = palloc(sizeof(TopObject) * max);

	rel = table_open(NamespaceRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, st.snapshot, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_namespace nsp = (Form_pg_namespace) GETSTRUCT(tup);

		if (migrate_namespace_name_described(NameStr(nsp->nspname)) &&
			!is_member(&st, NamespaceRelationId, nsp->oid))
			add_top(&tops, &n, &max, NamespaceRelationId, nsp->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	/* indexes are described with their relation */
	rel = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, st.snapshot, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		switch (c->relkind)
		{
			case RELKIND_RELATION:
			case RELKIND_PARTITIONED_TABLE:
			case RELKIND_FOREIGN_TABLE:
			case RELKIND_VIEW:
			case RELKIND_MATVIEW:
			case RELKIND_SEQUENCE:
			case RELKIND_COMPOSITE_TYPE:
				if (lookup_namespace(&st, c->relnamespace)->described)
					add_top(&tops, &n, &max, RelationRelationId, c->oid);
				break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	rel = table_open(ProcedureRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, st.snapshot, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);

		if (lookup_namespace(&st, proc->pronamespace)->described)
			add_top(&tops, &n, &max, ProcedureRelationId, proc->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	/* composite types are described with their relation */
	rel = table_open(TypeRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, st.snapshot, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_type typ = (Form_pg_type) GETSTRUCT(tup);

		if (migrate_type_kind_name(typ->typtype) != NULL &&
			lookup_namespace(&st, typ->typnamespace)->described)
			add_top(&tops, &n, &max, TypeRelationId, typ->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	MemoryContextSwitchTo(st.result_cxt);
	return describe_run(&st, tops, n);
}

Schema *
migrate_describe(void)
{
	return describe_all(false);
}

/*
 * migrate_describe_structured: the rows of migrate_describe(), each with
 * its structure: the parts a statement is written from, and the keys of
 * the objects it depends on (SPEC §13).
 */
Schema *
migrate_describe_structured(void)
{
	return describe_all(true);
}

/*
 * The top-level object that address stands for, or false if none: an
 * index for its table, a constraint for its table or domain, a trigger,
 * policy or column default for its table, a composite type for its
 * relation.
 */
static bool
top_object(const ObjectAddress *address, TopObject *top)
{
	HeapTuple	tup;

	top->classid = address->classId;
	top->objid = address->objectId;
	switch (address->classId)
	{
		case NamespaceRelationId:
		case ProcedureRelationId:
			return true;
		case RelationRelationId:
			switch (get_rel_relkind(address->objectId))
			{
				case RELKIND_INDEX:
				case RELKIND_PARTITIONED_INDEX:
					tup = SearchSysCache1(INDEXRELID,
										  ObjectIdGetDatum(address->objectId));
					if (!HeapTupleIsValid(tup))
						return false;
					top->objid = ((Form_pg_index) GETSTRUCT(tup))->indrelid;
					ReleaseSysCache(tup);
					return true;
				case RELKIND_TOASTVALUE:
				case '\0':
					return false;
			}
			return true;
		case TypeRelationId:
			tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(address->objectId));
			if (!HeapTupleIsValid(tup))
				return false;
			if (((Form_pg_type) GETSTRUCT(tup))->typtype == TYPTYPE_COMPOSITE)
			{
				top->classid = RelationRelationId;
				top->objid = ((Form_pg_type) GETSTRUCT(tup))->typrelid;
			}
			ReleaseSysCache(tup);
			return true;
		case ConstraintRelationId:
			tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(address->objectId));
			if (!HeapTupleIsValid(tup))
				return false;
			if (OidIsValid(((Form_pg_constraint) GETSTRUCT(tup))->conrelid))
			{
				top->classid = RelationRelationId;
				top->objid = ((Form_pg_constraint) GETSTRUCT(tup))->conrelid;
			}
			else
			{
				top->classid = TypeRelationId;
				top->objid = ((Form_pg_constraint) GETSTRUCT(tup))->contypid;
			}
			ReleaseSysCache(tup);
			return true;
		case TriggerRelationId:
		case PolicyRelationId:
		case AttrDefaultRelationId:
		case RewriteRelationId:
			top->classid = RelationRelationId;
			top->objid = migrate_part_relation(address->classId,
											   address->objectId);
			return OidIsValid(top->objid);
	}
	return false;
}

/* migrate_describe_owner: see describe.h */
bool
migrate_describe_owner(Oid classid, Oid objid, Oid *owner_class,
					   Oid *owner_oid)
{
	ObjectAddress address;
	TopObject	top;

	address.classId = classid;
	address.objectId = objid;
	address.objectSubId = 0;
	if (!top_object(&address, &top))
		return false;
	*owner_class = top.classid;
	*owner_oid = top.objid;
	return true;
}

/*
 * migrate_describe_objects: the rows of the given objects (ObjectAddress
 * pointers) and of what belongs to them, sorted by key.  Each top-level
 * object gives the same rows as in migrate_describe().
 */
Schema *
migrate_describe_objects(List *addresses)
{
	DescribeState st;
	TopObject  *tops;
	int			n = 0;
	int			unique = 0;
	int			i;
	ListCell   *lc;

	describe_begin(&st, false);
	MemoryContextSwitchTo(st.work_cxt);
	tops = palloc(sizeof(TopObject) * Max(list_length(addresses), 1));
	foreach(lc, addresses)
	{
		if (top_object((ObjectAddress *) lfirst(lc), &tops[n]))
			n++;
	}
	qsort(tops, n, sizeof(TopObject), compare_tops);
	for (i = 0; i < n; i++)
		if (unique == 0 || compare_tops(&tops[unique - 1], &tops[i]) != 0)
			tops[unique++] = tops[i];
	MemoryContextSwitchTo(st.result_cxt);
	return describe_run(&st, tops, unique);
}
