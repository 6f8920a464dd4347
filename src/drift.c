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

#include "utils/builtins.h"

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
