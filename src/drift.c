/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  Schema drift (SPEC §9): what changed outside migrations since the
 *	  reference, the schema as the last apply, rollback or
 *	  migrate_accept_drift() left it.  The writers record the reference
 *	  themselves, under the writers' lock and in the transaction of their
 *	  call, so that no DDL of another session ever waits on the extension
 *	  and a deploy is never mistaken for drift.  Whatever changed the
 *	  schema (DDL, REASSIGN OWNED, a restore) shows, because the reference
 *	  is compared with a description of the schema as it is.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/formatting.h"

#include "fingerprint.h"
#include "migrate.h"

typedef struct DriftRows
{
	Tuplestorestate *store;
	TupleDesc	desc;
} DriftRows;

static void
emit_drift(void *arg, SchemaObject *obj, const char *recorded,
		   const char *current)
{
	DriftRows  *dr = (DriftRows *) arg;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	values[0] = CStringGetTextDatum(recorded == NULL ? "added" :
									current == NULL ? "removed" : "changed");
	values[1] = CStringGetTextDatum(obj->kind);
	values[2] = CStringGetTextDatum(obj->identity);
	if (recorded)
		values[3] = CStringGetTextDatum(recorded);
	else
		nulls[3] = true;
	if (current)
		values[4] = CStringGetTextDatum(current);
	else
		nulls[4] = true;
	tuplestore_putvalues(dr->store, dr->desc, values, nulls);
}

/*
 * migrate_drift_rows: what changed in the schema outside migrations since
 * the reference, into store; how many objects.  Without a reference (no
 * apply, rollback or migrate_accept_drift() yet) there is nothing to
 * compare with, and a NOTICE says so.
 */
int
migrate_drift_rows(Tuplestorestate *store, TupleDesc desc)
{
	Schema	   *recorded = migrate_catalog_reference();
	DriftRows	dr;
	char	   *fingerprint;
	char	   *deploy_pending;
	bool		incremental;

	if (recorded == NULL)
	{
		ereport(NOTICE,
				(errmsg("no reference schema has been recorded yet"),
				 errhint("An apply or a rollback records one; migrate_accept_drift() records the schema as it is.")));
		return 0;
	}
	(void) migrate_catalog_reference_state(&fingerprint, &incremental,
										   &deploy_pending);
	if (deploy_pending != NULL)
		ereport(NOTICE,
				(errmsg("the drift reference does not include a deploy that started at %s",
						deploy_pending),
				 errdetail("A deploy records what it committed when it ends; until then, or if it stopped, its migrations show as drift."),
				 errhint("The next apply, rollback or deploy records the reference anew; migrate_accept_drift() does now.")));
	dr.store = store;
	dr.desc = desc;
	return migrate_compare(recorded, migrate_describe(), emit_drift, &dr);
}

static void
count_only(void *arg, SchemaObject *obj, const char *before, const char *after)
{
}

/* A top-level object of the description */
typedef struct Owner
{
	Oid			classid;
	Oid			objid;
} Owner;

/*
 * What the migrations of the call changed, as the server reported it while
 * they ran (hooks.c): objects created or altered, to be looked up when the
 * call ends, and the owners of objects it dropped, looked up as the server
 * dropped them.  Kept across the commits of a deploy.
 */
static struct
{
	bool		in_call;
	MemoryContext cxt;
	List	   *touched;		/* ObjectAddress *, created or altered */
	List	   *owners;			/* Owner *, of what was dropped */
	char	   *untrusted;		/* why the record cannot follow, or NULL */
	char	   *stale;			/* when the deploy began whose record the
								 * reference misses, or NULL */
	MemoryContextCallback gone; /* track.cxt is gone: forget it all */
}			track;

static void
track_gone(void *arg)
{
	memset(&track, 0, sizeof(track));
}

/*
 * migrate_drift_begin_call: a call that runs migrations starts.  What it
 * tracks lives in a memory context of the call's: however the call ends
 * (an error included), the state goes with the context.
 */
void
migrate_drift_begin_call(void)
{
	migrate_drift_forget();
	track.cxt = AllocSetContextCreate(CurrentMemoryContext,
									  "migrate drift tracking",
									  ALLOCSET_SMALL_SIZES);
	track.gone.func = track_gone;
	track.gone.arg = NULL;
	MemoryContextRegisterResetCallback(track.cxt, &track.gone);
	track.in_call = true;
}

/* migrate_drift_forget: the call ended, recorded or not */
void
migrate_drift_forget(void)
{
	if (track.cxt != NULL)
		MemoryContextDelete(track.cxt); /* clears track */
	memset(&track, 0, sizeof(track));
}

static void
add_owner(List **owners, Oid classid, Oid objid)
{
	Owner	   *o = palloc(sizeof(Owner));

	o->classid = classid;
	o->objid = objid;
	*owners = lappend(*owners, o);
}

/*
 * migrate_drift_touched: a migration of the call created, altered, dropped
 * or commented on an object, or granted privileges on it.
 */
void
migrate_drift_touched(Oid classid, Oid objid, bool dropping)
{
	MemoryContext old;
	Oid			owner_class;
	Oid			owner_oid;

	if (!track.in_call)
		return;
	old = MemoryContextSwitchTo(track.cxt);
	if (dropping)
	{
		/* looked up now, while it is still there */
		if (migrate_describe_owner(classid, objid, &owner_class, &owner_oid))
			add_owner(&track.owners, owner_class, owner_oid);
	}
	else
	{
		ObjectAddress *addr = palloc(sizeof(ObjectAddress));

		addr->classId = classid;
		addr->objectId = objid;
		addr->objectSubId = 0;
		track.touched = lappend(track.touched, addr);
	}
	MemoryContextSwitchTo(old);
}

/*
 * migrate_drift_touched_contents: a migration changed every object of a
 * kind in schema nspid (GRANT ... ON ALL TABLES IN SCHEMA): its relations
 * and routines are described again.
 */
void
migrate_drift_touched_contents(Oid nspid)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;

	if (!track.in_call)
		return;
	rel = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		if (c->relnamespace == nspid)
			migrate_drift_touched(RelationRelationId, c->oid, false);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	rel = table_open(ProcedureRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);

		if (p->pronamespace == nspid)
			migrate_drift_touched(ProcedureRelationId, p->oid, false);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * migrate_drift_untrusted: a migration changed the schema in a way the
 * server does not report object by object (it wrote the system catalogs,
 * DROP OWNED revoked privileges): the reference is recorded whole.
 */
void
migrate_drift_untrusted(const char *why)
{
	if (!track.in_call || track.untrusted != NULL)
		return;
	track.untrusted = MemoryContextStrdup(track.cxt, why);
}

static int
compare_owners(const void *a, const void *b)
{
	const Owner *x = *(const Owner *const *) a;
	const Owner *y = *(const Owner *const *) b;

	if (x->classid != y->classid)
		return x->classid < y->classid ? -1 : 1;
	if (x->objid != y->objid)
		return x->objid < y->objid ? -1 : 1;
	return 0;
}

static int
compare_owner_cells(const ListCell *a, const ListCell *b)
{
	Owner	   *x = (Owner *) lfirst(a);
	Owner	   *y = (Owner *) lfirst(b);

	return compare_owners(&x, &y);
}

/*
 * Add to owners the owners of the objects that depend on object (classid,
 * objid): their description names it, so it changes when it is renamed or
 * altered (a view over a table whose column was renamed, a default that
 * calls a function, the columns of a type or of a collation, everything in
 * a schema).  Names are schema-qualified, so what depends on an object of
 * a schema (a column of its type or collation, a default that calls its
 * function, a view over its table, in whatever schema) names the schema
 * too: for a schema, two levels.
 */
static void
add_dependents(List **owners, Oid classid, Oid objid)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *contents = NIL;
	ListCell   *lc;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		Oid			owner_class;
		Oid			owner_oid;

		if (dep->deptype == DEPENDENCY_EXTENSION)
			continue;
		if (migrate_describe_owner(dep->classid, dep->objid, &owner_class,
								   &owner_oid))
			add_owner(owners, owner_class, owner_oid);
		if (classid == NamespaceRelationId)
			add_owner(&contents, dep->classid, dep->objid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	foreach(lc, contents)
	{
		Owner	   *o = (Owner *) lfirst(lc);

		add_dependents(owners, o->classid, o->objid);
	}
	list_free_deep(contents);
}

/*
 * The top-level objects the call changed, each once, sorted, with those
 * that depend on them.
 */
static List *
changed_owners(void)
{
	List	   *owners = list_copy(track.owners);
	List	   *named = NIL;
	List	   *direct;
	List	   *unique = NIL;
	ListCell   *lc;
	Owner	   *prev = NULL;

	foreach(lc, track.touched)
	{
		ObjectAddress *addr = (ObjectAddress *) lfirst(lc);
		Oid			owner_class;
		Oid			owner_oid;

		/*
		 * Gone since: its drop was reported, with its owner.  Or not
		 * described itself (a collation): what depends on it names it.
		 */
		if (migrate_describe_owner(addr->classId, addr->objectId,
								   &owner_class, &owner_oid))
			add_owner(&owners, owner_class, owner_oid);
		else
			add_owner(&named, addr->classId, addr->objectId);
	}
	direct = list_concat(list_copy(owners), named);
	foreach(lc, direct)
	{
		Owner	   *o = (Owner *) lfirst(lc);

		add_dependents(&owners, o->classid, o->objid);
	}

	list_sort(owners, compare_owner_cells);
	foreach(lc, owners)
	{
		Owner	   *o = (Owner *) lfirst(lc);

		if (prev == NULL || compare_owners(&prev, &o) != 0)
			unique = lappend(unique, o);
		prev = o;
	}
	return unique;
}

/* The whole schema becomes the reference; its fingerprint is returned */
static char *
record_whole(void)
{
	Schema	   *all = migrate_describe();
	MigrateDigest d;
	char	   *hex;

	migrate_digest_schema(all, &d);
	hex = migrate_digest_hex(&d);
	(void) migrate_catalog_update_reference(NULL, NULL, -1, all);
	migrate_catalog_set_reference(hex);
	return hex;
}

/*
 * The reference becomes the old one with the rows of the objects the call
 * changed described again; the fingerprint follows, row by row.  Returns
 * the new fingerprint.
 */
static char *
record_changes(const char *old_fingerprint)
{
	List	   *owners = changed_owners();
	List	   *addresses = NIL;
	Oid		   *classes;
	Oid		   *oids;
	Schema	   *described;
	Schema	   *removed;
	MigrateDigest d;
	ListCell   *lc;
	int			n = 0;
	int			i;

	if (owners == NIL)
		return pstrdup(old_fingerprint);
	classes = palloc(sizeof(Oid) * list_length(owners));
	oids = palloc(sizeof(Oid) * list_length(owners));
	foreach(lc, owners)
	{
		Owner	   *o = (Owner *) lfirst(lc);
		ObjectAddress *addr = palloc(sizeof(ObjectAddress));

		classes[n] = o->classid;
		oids[n++] = o->objid;
		addr->classId = o->classid;
		addr->objectId = o->objid;
		addr->objectSubId = 0;
		addresses = lappend(addresses, addr);
	}
	described = migrate_describe_objects(addresses);
	removed = migrate_catalog_update_reference(classes, oids, n, described);

	(void) migrate_digest_parse(old_fingerprint, &d);
	for (i = 0; i < removed->n; i++)
		migrate_digest_row(&d, removed->objects[i].kind,
						   removed->objects[i].identity,
						   removed->objects[i].definition, true);
	for (i = 0; i < described->n; i++)
		migrate_digest_row(&d, described->objects[i].kind,
						   described->objects[i].identity,
						   described->objects[i].definition, false);
	migrate_catalog_set_reference(migrate_digest_hex(&d));
	return migrate_digest_hex(&d);
}

/*
 * Record the reference after a call that ran migrations.  own_deploy: the
 * call is the deploy that marked the reference as missing what it commits
 * (migrate_drift_deploy_begin), which that deploy knows how to fill in.
 */
static void
record(bool own_deploy)
{
	char	   *old_fingerprint;
	char	   *deploy_pending;
	bool		incremental;
	bool		recorded;
	MigrateDigest check;
	char	   *fingerprint;

	if (migrate_catalog_version() < 3)
	{
		migrate_catalog_record_fingerprint(NULL);
		migrate_drift_forget();
		return;
	}
	recorded = migrate_catalog_reference_state(&old_fingerprint, &incremental,
											   &deploy_pending);
	/* a mark this deploy did not make: one that died left it */
	if (own_deploy && track.stale != NULL)
		deploy_pending = track.stale;
	else if (own_deploy)
		deploy_pending = NULL;
	if (recorded && incremental && track.untrusted == NULL &&
		deploy_pending == NULL &&
		migrate_digest_parse(old_fingerprint, &check))
	{
		fingerprint = record_changes(old_fingerprint);
		/* the deploy's mark goes, even if it changed nothing described */
		if (own_deploy)
			migrate_catalog_set_reference(fingerprint);
	}
	else
	{
		if (recorded && track.untrusted != NULL)
			ereport(NOTICE,
					(errmsg("the drift reference was recorded from the whole schema"),
					 errdetail("%s, which the server does not report object by object.",
							   track.untrusted)));
		else if (recorded && deploy_pending != NULL)
			ereport(NOTICE,
					(errmsg("the drift reference was recorded from the whole schema"),
					 errdetail("A deploy that started at %s stopped before it recorded what it committed.",
							   deploy_pending)));
		fingerprint = record_whole();
	}
	migrate_catalog_record_fingerprint(fingerprint);
	migrate_drift_forget();
}

/*
 * migrate_drift_record: after an apply or rollback, the schema it leaves is
 * the reference, and its fingerprint goes on the history row of the call's
 * last migration.  The reference is the previous one plus what the call's
 * migrations changed, described again (SPEC §9): the call pays for what it
 * changed, not for the size of the schema.  The whole schema is described
 * only when it must be: there is no reference yet, the one there was kept
 * by an update from 0.2, a deploy stopped before it recorded what it
 * committed, or a migration changed the schema in a way the server does
 * not report object by object (a NOTICE says so).
 */
void
migrate_drift_record(void)
{
	record(false);
}

/*
 * migrate_drift_deploy_begin: a deploy starts.  It records the reference
 * once, when it ends or fails (SPEC §10: per-deploy costs are paid once
 * per deploy), for every migration it committed; until then the reference
 * is marked as missing them, so that a deploy that dies meanwhile leaves a
 * reference that the next call records anew from the whole schema.  What
 * the deploy's migrations touch is tracked across its commits, in the
 * current memory context, which must outlive them.
 */
void
migrate_drift_deploy_begin(void)
{
	char	   *fingerprint;
	char	   *deploy_pending;
	bool		incremental;

	migrate_drift_begin_call();
	(void) migrate_catalog_reference_state(&fingerprint, &incremental,
										   &deploy_pending);
	if (deploy_pending != NULL)
		track.stale = MemoryContextStrdup(track.cxt, deploy_pending);
	migrate_catalog_deploy_pending();
}

/* migrate_drift_deploy_record: the deploy ends, or failed: record it */
void
migrate_drift_deploy_record(void)
{
	record(true);
}

/*
 * migrate_drift_accept: the schema as it is becomes the reference; returns
 * how many objects had drifted from the old one (all of them, if there was
 * none).
 */
int
migrate_drift_accept(void)
{
	Schema	   *recorded = migrate_catalog_reference();
	Schema		none = {0, NULL};
	int			n;

	if (migrate_catalog_version() < 3)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate extension must be updated to keep a drift reference"),
				 errhint("Run ALTER EXTENSION migrate UPDATE.")));
	n = migrate_compare(recorded ? recorded : &none, migrate_describe(),
						count_only, NULL);
	(void) record_whole();
	return n;
}

/*
 * migrate_drift_warn: before a deploy changes anything, say so if DDL was
 * run outside migrations since the reference, as migrate.ddl_log recorded
 * it (with the capture on).  Telling what changed needs a description of
 * the whole schema, which a deploy does not pay for: migrate_drift() does.
 */
void
migrate_drift_warn(void)
{
	int64		n = migrate_catalog_ddl_since_reference();

	if (n > 0)
		ereport(WARNING,
				(errmsg_plural("%lld DDL command was run outside migrations since the last apply or rollback",
							   "%lld DDL commands were run outside migrations since the last apply or rollback",
							   n, (long long) n),
				 errhint("migrate_drift() lists what changed; migrate.ddl_log says who.")));
}

/*
 * migrate_drift_record_base: an apply is about to apply the first
 * migration: the schema as it is now is what a rollback to base should
 * leave.
 */
void
migrate_drift_record_base(void)
{
	migrate_catalog_record_base();
}

/*
 * migrate_drift_record_baseline: a baseline marked migrations applied
 * without running them, so the schema as it is is what they made: it
 * becomes the reference, as with migrate_accept_drift(), and its
 * fingerprint goes on the history row of the last migration baselined.
 * The schema before the first of them was never seen here: a rollback to
 * base has nothing to compare with.
 */
void
migrate_drift_record_baseline(void)
{
	migrate_catalog_forget_base();
	migrate_catalog_record_fingerprint(record_whole());
}

/* What differs from the schema before the first migration, by kind */
typedef struct BaseDiff
{
	StringInfoData lists[3];	/* left over, gone, changed */
	int			n;
} BaseDiff;

#define BASE_LISTED 20

static void
note_base_difference(void *arg, SchemaObject *obj, const char *before,
					 const char *after)
{
	BaseDiff   *bd = (BaseDiff *) arg;
	StringInfo	list = &bd->lists[before == NULL ? 0 : after == NULL ? 1 : 2];

	if (bd->n++ < BASE_LISTED)
		appendStringInfo(list, "%s%s %s", list->len > 0 ? ", " : "",
						 obj->kind, obj->identity);
}

/*
 * migrate_drift_check_base: a rollback rolled everything back.  Compare
 * with the schema before the first migration was applied, and warn of what
 * differs: a down script that forgot something (SPEC §9).
 */
void
migrate_drift_check_base(void)
{
	static const char *const names[3] = {"Left over", "Gone", "Changed"};
	Schema	   *base = migrate_catalog_base();
	BaseDiff	bd;
	StringInfoData detail;
	int			i;

	if (base == NULL)
		return;
	for (i = 0; i < 3; i++)
		initStringInfo(&bd.lists[i]);
	bd.n = 0;
	(void) migrate_compare(base, migrate_describe(), note_base_difference, &bd);
	if (bd.n == 0)
		return;
	initStringInfo(&detail);
	for (i = 0; i < 3; i++)
		if (bd.lists[i].len > 0)
			appendStringInfo(&detail, "%s%s: %s", detail.len > 0 ? "; " : "",
							 detail.len > 0 ? asc_tolower(names[i], strlen(names[i])) : names[i],
							 bd.lists[i].data);
	if (bd.n > BASE_LISTED)
		appendStringInfo(&detail, "; and %d more", bd.n - BASE_LISTED);
	ereport(WARNING,
			(errmsg_plural("after the rollback to base, %d object differs from the schema before the first migration was applied",
						   "after the rollback to base, %d objects differ from the schema before the first migration was applied",
						   bd.n, bd.n),
			 errdetail("%s.", detail.data),
			 errhint("A down script does not undo all that its up script did; migrate_verify() finds which, before the migrations are applied again.")));
}
