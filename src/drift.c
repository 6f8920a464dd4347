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

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

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

	if (recorded == NULL)
	{
		ereport(NOTICE,
				(errmsg("no reference schema has been recorded yet"),
				 errhint("An apply or a rollback records one; migrate_accept_drift() records the schema as it is.")));
		return 0;
	}
	dr.store = store;
	dr.desc = desc;
	return migrate_compare(recorded, migrate_describe(), emit_drift, &dr);
}

static void
count_only(void *arg, SchemaObject *obj, const char *before, const char *after)
{
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
	migrate_catalog_record_reference(false);
	return n;
}

/*
 * migrate_drift_record: after an apply or rollback, the schema it leaves is
 * the reference, and its fingerprint goes on the history row of the call's
 * last migration.
 */
void
migrate_drift_record(void)
{
	migrate_catalog_record_reference(true);
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
