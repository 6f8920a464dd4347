/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Reading and writing the catalog tables migrate.migration,
 *	  migrate.applied and migrate.history (the state of every migration is
 *	  loaded by catalog_load.c).
 *
 * Every statement here runs as the extension's owner, with search_path set
 * to pg_catalog, pg_temp (SPEC §2): the caller needs no privilege on the
 * tables, and nothing on the caller's search_path can change what these
 * statements mean.  Plans are prepared once per backend and kept.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "migrate.h"

typedef enum CatalogQuery
{
	Q_FETCH,
	Q_FETCH3,
	Q_INSERT,
	Q_INSERT3,
	Q_UPDATE,
	Q_UPDATE3,
	Q_DELETE,
	Q_MARK_APPLIED,
	Q_MARK_ROLLED_BACK,
	Q_LOG,
	Q_RECORDED_AT,
	Q_REFERENCE_STATE,
	Q_SNAPSHOT,
	Q_CLEAR_SNAPSHOT,
	Q_INSERT_SNAPSHOT,
	Q_DELETE_SNAPSHOT_OWNERS,
	Q_DELETE_SNAPSHOT_KEYS,
	Q_SET_REFERENCE,
	Q_DEPLOY_PENDING,
	Q_SET_FINGERPRINT,
	Q_RECORD_FINGERPRINT,
	Q_DDL_SINCE,
	Q_BASE_AT,
	Q_BASE,
	Q_CLEAR_BASE,
	Q_TAKE_BASE,
	Q_SET_BASE_AT,
	Q_UNSET_BASE_AT,
	Q_CAPTURE_ON,
	Q_SET_CAPTURE,
	Q_LOG_DDL,
	Q_LOG_DROP,
	Q_STATE_CHANGED,
	Q_PROGRESS_GET,
	Q_PROGRESS_START,
	Q_PROGRESS_STEP,
	Q_PROGRESS_ERROR,
	Q_PROGRESS_END,
	NUM_QUERIES
} CatalogQuery;

typedef struct CatalogQueryDef
{
	const char *sql;
	int			nargs;
	Oid			argtypes[8];
	bool		custom;			/* planned for its arguments each time */
} CatalogQueryDef;

static const CatalogQueryDef queries[NUM_QUERIES] = {
	[Q_FETCH] = {
		"SELECT m.up_sql, m.down_sql, m.description, m.checksum,"
		" m.data_loss_ok,"
		" EXISTS (SELECT FROM migrate.applied a WHERE a.id = m.id),"
		" m.registered_by"
		" FROM migrate.migration m WHERE m.id = $1",
		1, {TEXTOID}
	},
	[Q_FETCH3] = {
		"SELECT m.up_sql, m.down_sql, m.description, m.checksum,"
		" m.data_loss_ok,"
		" EXISTS (SELECT FROM migrate.applied a WHERE a.id = m.id),"
		" m.registered_by, m.transactional,"
		" EXISTS (SELECT FROM migrate.progress p WHERE p.id = m.id)"
		" FROM migrate.migration m WHERE m.id = $1",
		1, {TEXTOID}
	},
	[Q_INSERT3] = {
		"INSERT INTO migrate.migration (id, description, up_sql, down_sql,"
		" data_loss_ok, registered_at, registered_by, transactional)"
		" VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6, $7)",
		7, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID, BOOLOID}
	},
	[Q_UPDATE3] = {
		"UPDATE migrate.migration SET description = $2, up_sql = $3,"
		" down_sql = $4, data_loss_ok = $5,"
		" registered_at = clock_timestamp(), registered_by = $6,"
		" transactional = $7"
		" WHERE id = $1",
		7, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID, BOOLOID}
	},
	[Q_INSERT] = {
		"INSERT INTO migrate.migration (id, description, up_sql, down_sql,"
		" data_loss_ok, registered_at, registered_by)"
		" VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6)",
		6, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID}
	},
	[Q_UPDATE] = {
		"UPDATE migrate.migration SET description = $2, up_sql = $3,"
		" down_sql = $4, data_loss_ok = $5,"
		" registered_at = clock_timestamp(), registered_by = $6"
		" WHERE id = $1",
		6, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID}
	},
	[Q_DELETE] = {
		"DELETE FROM migrate.migration WHERE id = $1",
		1, {TEXTOID}
	},
	[Q_MARK_APPLIED] = {
		"INSERT INTO migrate.applied (id, checksum, applied_at, applied_by,"
		" duration) VALUES ($1, $2, $3, $4, $5)",
		5, {TEXTOID, TEXTOID, TIMESTAMPTZOID, NAMEOID, INTERVALOID}
	},
	[Q_MARK_ROLLED_BACK] = {
		"DELETE FROM migrate.applied WHERE id = $1",
		1, {TEXTOID}
	},
	[Q_LOG] = {
		"INSERT INTO migrate.history (id, action, at, by, duration, checksum)"
		" VALUES ($1, $2, $3, $4, $5, $6)",
		6, {TEXTOID, TEXTOID, TIMESTAMPTZOID, NAMEOID, INTERVALOID, TEXTOID}
	},
	[Q_RECORDED_AT] = {
		"SELECT recorded_at FROM migrate.drift_state",
		0, {0}
	},
	[Q_REFERENCE_STATE] = {
		"SELECT recorded_at IS NOT NULL, fingerprint, incremental,"
		" deploy_pending::text FROM migrate.drift_state",
		0, {0}
	},
	[Q_SNAPSHOT] = {
		"SELECT kind, identity, definition FROM migrate.schema_snapshot"
		" ORDER BY kind COLLATE \"C\", identity COLLATE \"C\"",
		0, {0}
	},
	[Q_CLEAR_SNAPSHOT] = {
		"DELETE FROM migrate.schema_snapshot",
		0, {0}
	},
	[Q_INSERT_SNAPSHOT] = {
		"INSERT INTO migrate.schema_snapshot (kind, identity, definition, owner_class, owner_oid)"
		" SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::oid[], $5::oid[])",
		5, {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, OIDARRAYOID, OIDARRAYOID}
	},
	[Q_DELETE_SNAPSHOT_OWNERS] = {
		"DELETE FROM migrate.schema_snapshot s"
		" USING unnest($1::oid[], $2::oid[]) o (owner_class, owner_oid)"
		" WHERE s.owner_class = o.owner_class AND s.owner_oid = o.owner_oid"
		" RETURNING s.kind, s.identity, s.definition",
		2, {OIDARRAYOID, OIDARRAYOID}, true
	},
	[Q_DELETE_SNAPSHOT_KEYS] = {
		"DELETE FROM migrate.schema_snapshot s"
		" USING unnest($1::text[], $2::text[]) k (kind, identity)"
		" WHERE s.kind = k.kind AND s.identity = k.identity"
		" RETURNING s.kind, s.identity, s.definition",
		2, {TEXTARRAYOID, TEXTARRAYOID}, true
	},
	[Q_SET_REFERENCE] = {
		"UPDATE migrate.drift_state SET recorded_at = clock_timestamp(),"
		" fingerprint = $1, incremental = $2, deploy_pending = NULL",
		2, {TEXTOID, BOOLOID}
	},
	[Q_DEPLOY_PENDING] = {
		"UPDATE migrate.drift_state SET deploy_pending = clock_timestamp()",
		0, {0}
	},
	[Q_SET_FINGERPRINT] = {
		"UPDATE migrate.history SET fingerprint = $1"
		" WHERE seq = (SELECT max(seq) FROM migrate.history)",
		1, {TEXTOID}
	},
	/* a database still at 0.2 */
	[Q_RECORD_FINGERPRINT] = {
		"UPDATE migrate.history SET fingerprint = pg_catalog.migrate_fingerprint()"
		" WHERE seq = (SELECT max(seq) FROM migrate.history)",
		0, {0}
	},
	[Q_DDL_SINCE] = {
		"SELECT count(*) FROM migrate.ddl_log"
		" WHERE at >= (SELECT recorded_at FROM migrate.drift_state)",
		0, {0}
	},
	[Q_BASE_AT] = {
		"SELECT base_at FROM migrate.drift_state",
		0, {0}
	},
	[Q_BASE] = {
		"SELECT kind, identity, definition FROM migrate.base_snapshot"
		" ORDER BY kind COLLATE \"C\", identity COLLATE \"C\"",
		0, {0}
	},
	[Q_CLEAR_BASE] = {
		"DELETE FROM migrate.base_snapshot",
		0, {0}
	},
	[Q_TAKE_BASE] = {
		"INSERT INTO migrate.base_snapshot (kind, identity, definition)"
		" SELECT kind, identity, definition FROM pg_catalog.migrate_schema()",
		0, {0}
	},
	[Q_SET_BASE_AT] = {
		"UPDATE migrate.drift_state SET base_at = clock_timestamp()",
		0, {0}
	},
	[Q_UNSET_BASE_AT] = {
		"UPDATE migrate.drift_state SET base_at = NULL",
		0, {0}
	},
	[Q_CAPTURE_ON] = {
		"SELECT capture_ddl FROM migrate.settings",
		0, {0}
	},
	[Q_SET_CAPTURE] = {
		"INSERT INTO migrate.settings (capture_ddl) VALUES ($1)"
		" ON CONFLICT (single) DO UPDATE SET capture_ddl = excluded.capture_ddl",
		1, {BOOLOID}
	},
	[Q_LOG_DDL] = {
		"INSERT INTO migrate.ddl_log (at, by, command_tag, object_type,"
		" object_identity, query)"
		" SELECT clock_timestamp(), $1, command_tag, object_type,"
		" object_identity, current_query()"
		" FROM pg_event_trigger_ddl_commands()",
		1, {NAMEOID}
	},
	[Q_LOG_DROP] = {
		"INSERT INTO migrate.ddl_log (at, by, command_tag, object_type,"
		" object_identity, query)"
		" SELECT clock_timestamp(), $1, $2, object_type, object_identity,"
		" current_query()"
		" FROM pg_event_trigger_dropped_objects() WHERE original",
		2, {NAMEOID, TEXTOID}
	},
	[Q_STATE_CHANGED] = {
		"UPDATE migrate.state_serial SET serial = serial OPERATOR(pg_catalog.+) 1",
		0, {0}
	},
	[Q_PROGRESS_GET] = {
		"SELECT script, checksum, statements, done, statement_xid::text"
		" FROM migrate.progress WHERE id = $1",
		1, {TEXTOID}
	},
	[Q_PROGRESS_START] = {
		"INSERT INTO migrate.progress (id, script, checksum, statements, done,"
		" started_at, updated_at, by)"
		" VALUES ($1, $2, $3, $4, 0, clock_timestamp(), clock_timestamp(), $5)",
		5, {TEXTOID, TEXTOID, TEXTOID, INT4OID, NAMEOID}
	},
	[Q_PROGRESS_STEP] = {
		"UPDATE migrate.progress SET done = $2,"
		" statement_xid = CASE WHEN $3 THEN pg_catalog.pg_current_xact_id() END,"
		" updated_at = clock_timestamp(), error = NULL"
		" WHERE id = $1",
		3, {TEXTOID, INT4OID, BOOLOID}
	},
	[Q_PROGRESS_ERROR] = {
		"UPDATE migrate.progress SET error = $2, updated_at = clock_timestamp()"
		" WHERE id = $1",
		2, {TEXTOID, TEXTOID}
	},
	[Q_PROGRESS_END] = {
		"DELETE FROM migrate.progress WHERE id = $1",
		1, {TEXTOID}
	},
};

static SPIPlanPtr plans[NUM_QUERIES];

/* The state saved while catalog statements run as the extension owner */
typedef struct OwnerContext
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	MemoryContext caller_cxt;
	NameData	caller;
} OwnerContext;

static void
owner_begin(OwnerContext *oc)
{
	oc->caller_cxt = CurrentMemoryContext;
	GetUserIdAndSecContext(&oc->save_userid, &oc->save_sec_context);
	namestrcpy(&oc->caller, GetUserNameFromId(oc->save_userid, false));
	SetUserIdAndSecContext(migrate_extension_owner(),
						   oc->save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	oc->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static void
owner_end(OwnerContext *oc)
{
	AtEOXact_GUC(true, oc->save_nestlevel);
	SetUserIdAndSecContext(oc->save_userid, oc->save_sec_context);
	MemoryContextSwitchTo(oc->caller_cxt);
}

/* Run query q (inside owner_begin/owner_end); returns the SPI result code. */
static int
run_query(CatalogQuery q, Datum *values, const char *nulls, bool read_only)
{
	int			rc;

	if (plans[q] == NULL)
	{
		/*
		 * The deletes from the drift reference are planned for the arrays
		 * they get, each time: a plan made once, when the reference was
		 * small, would go on scanning all of it as it grows.
		 */
		SPIPlanPtr	plan = SPI_prepare_cursor(queries[q].sql, queries[q].nargs,
											  (Oid *) queries[q].argtypes,
											  queries[q].custom ?
											  CURSOR_OPT_CUSTOM_PLAN : 0);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 queries[q].sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		plans[q] = plan;
	}
	rc = SPI_execute_plan(plans[q], values, nulls, read_only, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s",
			 queries[q].sql, SPI_result_code_string(rc));
	return rc;
}

static inline Datum
text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

static char *
get_text(HeapTuple tuple, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
get_bool(HeapTuple tuple, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* migrate_catalog_fetch: the stored row of migration id, or NULL. */
MigrateRow *
migrate_catalog_fetch(const char *id)
{
	OwnerContext oc;
	Datum		arg = CStringGetTextDatum(id);
	MigrateRow *row = NULL;

	bool		v3 = migrate_catalog_version() >= 3;

	owner_begin(&oc);
	(void) run_query(v3 ? Q_FETCH3 : Q_FETCH, &arg, NULL, false);
	MemoryContextSwitchTo(oc.caller_cxt);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		row = palloc(sizeof(MigrateRow));
		row->id = pstrdup(id);
		row->up_sql = get_text(tup, desc, 1);
		row->down_sql = get_text(tup, desc, 2);
		row->description = get_text(tup, desc, 3);
		row->checksum = get_text(tup, desc, 4);
		row->data_loss_ok = get_bool(tup, desc, 5);
		row->applied = get_bool(tup, desc, 6);
		row->registered_by = pstrdup(NameStr(*DatumGetName(SPI_getbinval(tup, desc, 7, &isnull))));
		row->transactional = !v3 || get_bool(tup, desc, 8);
		row->partial = v3 && get_bool(tup, desc, 9);
	}
	SPI_freetuptable(SPI_tuptable);
	owner_end(&oc);
	return row;
}

/*
 * Insert or update the row of a migration (q3 for a 0.3 catalog, which
 * knows transactional; a migration that is not cannot be registered in an
 * older one).
 */
static void
write_row(CatalogQuery q, CatalogQuery q3, const MigrateRow *row)
{
	OwnerContext oc;
	Datum		values[7];
	char		nulls[7];
	bool		v3 = migrate_catalog_version() >= 3;

	if (!v3 && !row->transactional)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate extension must be updated to register non-transactional migrations"),
				 errhint("Run ALTER EXTENSION migrate UPDATE.")));

	owner_begin(&oc);
	values[0] = text_or_null(row->id, &nulls[0]);
	values[1] = text_or_null(row->description, &nulls[1]);
	values[2] = text_or_null(row->up_sql, &nulls[2]);
	values[3] = text_or_null(row->down_sql, &nulls[3]);
	values[4] = BoolGetDatum(row->data_loss_ok);
	nulls[4] = ' ';
	values[5] = NameGetDatum(&oc.caller);
	nulls[5] = ' ';
	values[6] = BoolGetDatum(row->transactional);
	nulls[6] = ' ';
	(void) run_query(v3 ? q3 : q, values, nulls, false);
	owner_end(&oc);
}

void
migrate_catalog_insert(const MigrateRow *row)
{
	write_row(Q_INSERT, Q_INSERT3, row);
}

void
migrate_catalog_update(const MigrateRow *row)
{
	write_row(Q_UPDATE, Q_UPDATE3, row);
}

static void
delete_by_id(CatalogQuery q, const char *id)
{
	OwnerContext oc;
	Datum		arg = CStringGetTextDatum(id);

	owner_begin(&oc);
	(void) run_query(q, &arg, NULL, false);
	owner_end(&oc);
}

void
migrate_catalog_delete(const char *id)
{
	delete_by_id(Q_DELETE, id);
}

void
migrate_catalog_mark_rolled_back(const char *id)
{
	delete_by_id(Q_MARK_ROLLED_BACK, id);
}

/* migrate_usecs_interval: an interval of usecs microseconds */
Interval *
migrate_usecs_interval(int64 usecs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = usecs;
	return iv;
}

void
migrate_catalog_mark_applied(const char *id, const char *checksum,
							 TimestampTz at, int64 usecs)
{
	OwnerContext oc;
	Datum		values[5];

	owner_begin(&oc);
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(checksum);
	values[2] = TimestampTzGetDatum(at);
	values[3] = NameGetDatum(&oc.caller);
	values[4] = IntervalPGetDatum(migrate_usecs_interval(usecs));
	(void) run_query(Q_MARK_APPLIED, values, NULL, false);
	owner_end(&oc);
}

/* migrate_catalog_log: append a row to migrate.history. */
void
migrate_catalog_log(const char *id, const char *action, TimestampTz at,
					int64 usecs, bool has_duration, const char *checksum)
{
	OwnerContext oc;
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	owner_begin(&oc);
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(action);
	values[2] = TimestampTzGetDatum(at);
	values[3] = NameGetDatum(&oc.caller);
	if (has_duration)
		values[4] = IntervalPGetDatum(migrate_usecs_interval(usecs));
	else
	{
		values[4] = (Datum) 0;
		nulls[4] = 'n';
	}
	values[5] = text_or_null(checksum, &nulls[5]);
	(void) run_query(Q_LOG, values, nulls, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_version: which version's catalog the database has, 1 to
 * 3, told by the tables each version added.  The library serves databases
 * not yet updated (ALTER EXTENSION migrate UPDATE) as far as their catalog
 * allows.
 */
int
migrate_catalog_version(void)
{
	Oid			nsp = get_namespace_oid("migrate", true);

	if (!OidIsValid(nsp))
		return 0;
	if (OidIsValid(get_relname_relid("settings", nsp)))
		return 3;
	if (OidIsValid(get_relname_relid("drift_state", nsp)))
		return 2;
	return 1;
}

/* The rows of the last query, (kind, identity, definition) in key order */
static Schema *
schema_from_spi(void)
{
	Schema	   *s = palloc(sizeof(Schema));
	uint64		i;

	s->n = (int) SPI_processed;
	s->objects = palloc(sizeof(SchemaObject) * Max(s->n, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *kind = SPI_getvalue(tup, desc, 1);
		char	   *identity = SPI_getvalue(tup, desc, 2);
		char	   *def = SPI_getvalue(tup, desc, 3);

		s->objects[i].kind = kind;
		s->objects[i].identity = identity;
		s->objects[i].key = psprintf("%s%c%s", kind, '\x01', identity);
		s->objects[i].definition = def ? def : pstrdup("");
		s->objects[i].owner_class = InvalidOid;
		s->objects[i].owner_oid = InvalidOid;
	}
	SPI_freetuptable(SPI_tuptable);
	return s;
}

/*
 * recorded_schema: the schema query q_rows reads, if query q_at (one row,
 * one column) says it was recorded; else NULL.  In the caller's memory.
 */
static Schema *
recorded_schema(CatalogQuery q_at, CatalogQuery q_rows)
{
	OwnerContext oc;
	Schema	   *s = NULL;
	bool		isnull = true;

	if (migrate_catalog_version() < 3)
		return NULL;
	owner_begin(&oc);
	(void) run_query(q_at, NULL, NULL, true);
	if (SPI_processed == 1)
		(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
							 &isnull);
	SPI_freetuptable(SPI_tuptable);
	if (!isnull)
	{
		(void) run_query(q_rows, NULL, NULL, true);
		MemoryContextSwitchTo(oc.caller_cxt);
		s = schema_from_spi();
	}
	owner_end(&oc);
	return s;
}

/*
 * migrate_catalog_reference: the reference of migrate_drift(), the schema as
 * the last apply, rollback or migrate_accept_drift() recorded it, or NULL
 * if none was ever recorded.
 */
Schema *
migrate_catalog_reference(void)
{
	return recorded_schema(Q_RECORDED_AT, Q_SNAPSHOT);
}

/*
 * migrate_catalog_reference_state: whether a reference was recorded, and
 * if so its fingerprint and whether it can be updated object by object (a
 * reference that an update from 0.2 kept does not know the objects its
 * rows belong to).  False on a catalog older than 0.3.
 */
bool
migrate_catalog_reference_state(char **fingerprint, bool *incremental,
								char **deploy_pending)
{
	OwnerContext oc;
	bool		recorded = false;

	*fingerprint = NULL;
	*incremental = false;
	*deploy_pending = NULL;
	if (migrate_catalog_version() < 3)
		return false;
	owner_begin(&oc);
	(void) run_query(Q_REFERENCE_STATE, NULL, NULL, true);
	MemoryContextSwitchTo(oc.caller_cxt);
	if (SPI_processed == 1)
	{
		recorded = get_bool(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*fingerprint = get_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		*incremental = get_bool(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
		*deploy_pending = get_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	}
	SPI_freetuptable(SPI_tuptable);
	owner_end(&oc);
	return recorded;
}

/*
 * migrate_catalog_deploy_pending: a deploy starts, which records the drift
 * reference when it ends: until then, the reference misses what it
 * commits.
 */
void
migrate_catalog_deploy_pending(void)
{
	OwnerContext oc;

	if (migrate_catalog_version() < 3)
		return;
	owner_begin(&oc);
	(void) run_query(Q_DEPLOY_PENDING, NULL, NULL, false);
	owner_end(&oc);
}

/* An oid[] of n OIDs */
static Datum
oid_array(Oid *oids, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = ObjectIdGetDatum(oids[i]);
	return PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid), true,
										   TYPALIGN_INT));
}

/* Text and OID arrays of the rows of s */
static void
schema_arrays(Schema *s, Datum *values)
{
	Datum	   *kinds = palloc(sizeof(Datum) * Max(s->n, 1));
	Datum	   *identities = palloc(sizeof(Datum) * Max(s->n, 1));
	Datum	   *definitions = palloc(sizeof(Datum) * Max(s->n, 1));
	Datum	   *classes = palloc(sizeof(Datum) * Max(s->n, 1));
	Datum	   *oids = palloc(sizeof(Datum) * Max(s->n, 1));
	int			i;

	for (i = 0; i < s->n; i++)
	{
		kinds[i] = CStringGetTextDatum(s->objects[i].kind);
		identities[i] = CStringGetTextDatum(s->objects[i].identity);
		definitions[i] = CStringGetTextDatum(s->objects[i].definition);
		classes[i] = ObjectIdGetDatum(s->objects[i].owner_class);
		oids[i] = ObjectIdGetDatum(s->objects[i].owner_oid);
	}
	values[0] = PointerGetDatum(construct_array(kinds, s->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[1] = PointerGetDatum(construct_array(identities, s->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(definitions, s->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(classes, s->n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(oids, s->n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

/* Append the rows a DELETE ... RETURNING gave to removed */
static void
collect_removed(Schema *removed)
{
	uint64		i;

	removed->objects = repalloc(removed->objects,
								sizeof(SchemaObject) * (removed->n + SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
	{
		SchemaObject *o = &removed->objects[removed->n++];
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		o->kind = SPI_getvalue(tup, desc, 1);
		o->identity = SPI_getvalue(tup, desc, 2);
		o->definition = SPI_getvalue(tup, desc, 3);
		if (o->definition == NULL)
			o->definition = pstrdup("");
		o->key = NULL;
		o->owner_class = o->owner_oid = InvalidOid;
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * migrate_catalog_update_reference: in the reference, replace the rows of
 * the given top-level objects (owners, n of them) and any row with the key
 * of a row of described with described, and return the rows taken out.
 * With n < 0, every row is replaced.
 */
Schema *
migrate_catalog_update_reference(Oid *owner_classes, Oid *owner_oids, int n,
								 Schema *described)
{
	OwnerContext oc;
	Schema	   *removed = palloc0(sizeof(Schema));
	Datum		values[5];

	removed->objects = palloc(sizeof(SchemaObject));
	owner_begin(&oc);
	if (n < 0)
	{
		(void) run_query(Q_CLEAR_SNAPSHOT, NULL, NULL, false);
		MemoryContextSwitchTo(oc.caller_cxt);
	}
	else
	{
		values[0] = oid_array(owner_classes, n);
		values[1] = oid_array(owner_oids, n);
		(void) run_query(Q_DELETE_SNAPSHOT_OWNERS, values, NULL, false);
		MemoryContextSwitchTo(oc.caller_cxt);
		collect_removed(removed);
	}
	schema_arrays(described, values);
	if (n >= 0)
	{
		(void) run_query(Q_DELETE_SNAPSHOT_KEYS, values, NULL, false);
		MemoryContextSwitchTo(oc.caller_cxt);
		collect_removed(removed);
	}
	(void) run_query(Q_INSERT_SNAPSHOT, values, NULL, false);
	owner_end(&oc);
	return removed;
}

/*
 * migrate_catalog_set_reference: the reference just updated was recorded
 * now, and has this fingerprint; it can be updated object by object.
 */
void
migrate_catalog_set_reference(const char *fingerprint)
{
	OwnerContext oc;
	Datum		values[2];

	owner_begin(&oc);
	values[0] = CStringGetTextDatum(fingerprint);
	values[1] = BoolGetDatum(true);
	(void) run_query(Q_SET_REFERENCE, values, NULL, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_record_fingerprint: the fingerprint of the schema an
 * apply or rollback left goes on the history row of its last migration.
 * On a catalog still at 0.2, 0.2's migrate_fingerprint() computes it.
 */
void
migrate_catalog_record_fingerprint(const char *fingerprint)
{
	OwnerContext oc;
	int			version = migrate_catalog_version();
	Datum		arg;

	if (version < 2)
		return;
	owner_begin(&oc);
	if (version < 3)
		(void) run_query(Q_RECORD_FINGERPRINT, NULL, NULL, false);
	else
	{
		arg = CStringGetTextDatum(fingerprint);
		(void) run_query(Q_SET_FINGERPRINT, &arg, NULL, false);
	}
	owner_end(&oc);
}

/*
 * migrate_catalog_record_base: the schema as it is, before the first
 * migration is applied, becomes the one a rollback to base compares with.
 */
void
migrate_catalog_record_base(void)
{
	OwnerContext oc;

	if (migrate_catalog_version() < 3)
		return;
	owner_begin(&oc);
	(void) run_query(Q_CLEAR_BASE, NULL, NULL, false);
	(void) run_query(Q_TAKE_BASE, NULL, NULL, false);
	(void) run_query(Q_SET_BASE_AT, NULL, NULL, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_forget_base: the schema before the first migration is not
 * known (a baseline marked migrations applied that never ran here).
 */
void
migrate_catalog_forget_base(void)
{
	OwnerContext oc;

	if (migrate_catalog_version() < 3)
		return;
	owner_begin(&oc);
	(void) run_query(Q_CLEAR_BASE, NULL, NULL, false);
	(void) run_query(Q_UNSET_BASE_AT, NULL, NULL, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_base: the schema before the first migration was applied,
 * or NULL if it was not recorded (before 0.3, or since a restore).
 */
Schema *
migrate_catalog_base(void)
{
	return recorded_schema(Q_BASE_AT, Q_BASE);
}

/*
 * migrate_catalog_ddl_since_reference: how many DDL commands migrate.ddl_log
 * recorded since the reference was (0 without capture, or without one).
 */
int64
migrate_catalog_ddl_since_reference(void)
{
	OwnerContext oc;
	int64		n = 0;

	if (migrate_catalog_version() < 3)
		return 0;
	owner_begin(&oc);
	(void) run_query(Q_DDL_SINCE, NULL, NULL, true);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			n = DatumGetInt64(d);
	}
	SPI_freetuptable(SPI_tuptable);
	owner_end(&oc);
	return n;
}

/* migrate_catalog_capture_on: is the capture of DDL outside migrations on? */
bool
migrate_catalog_capture_on(void)
{
	OwnerContext oc;
	bool		on = false;

	if (migrate_catalog_version() < 3)
		return false;
	owner_begin(&oc);
	(void) run_query(Q_CAPTURE_ON, NULL, NULL, true);
	if (SPI_processed == 1)
		on = get_bool(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	owner_end(&oc);
	return on;
}

/* migrate_catalog_set_capture: turn the capture on or off */
void
migrate_catalog_set_capture(bool on)
{
	OwnerContext oc;
	Datum		arg = BoolGetDatum(on);

	if (migrate_catalog_version() < 3)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate extension must be updated to record DDL"),
				 errhint("Run ALTER EXTENSION migrate UPDATE.")));
	owner_begin(&oc);
	(void) run_query(Q_SET_CAPTURE, &arg, NULL, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_log_ddl: in an event trigger, record the commands (or
 * for sql_drop, the objects dropped) of a DDL command run outside
 * migrations, with who ran it.
 */
void
migrate_catalog_log_ddl(bool dropped, const char *tag)
{
	OwnerContext oc;
	Datum		values[2];

	owner_begin(&oc);
	values[0] = NameGetDatum(&oc.caller);
	values[1] = CStringGetTextDatum(tag);
	(void) run_query(dropped ? Q_LOG_DROP : Q_LOG_DDL, values, NULL, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_state_changed: a statement wrote migrate.migration or
 * migrate.applied (the trigger state_changed): make a new version of the
 * row of migrate.state_serial, so that no backend uses the state it kept
 * from before (catalog_load.c).  Once per transaction is enough: until it
 * commits, no other transaction sees the change, and this one never keeps
 * a state loaded with a version of its own.
 */
void
migrate_catalog_state_changed(void)
{
	OwnerContext oc;

	if (migrate_state_written_here())
		return;
	owner_begin(&oc);
	(void) run_query(Q_STATE_CHANGED, NULL, NULL, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_progress_get: how far a deploy got through the script of
 * migration id that it started and did not finish (SPEC §10); false if it
 * has not started one.
 */
bool
migrate_catalog_progress_get(const char *id, MigrateProgress *progress)
{
	OwnerContext oc;
	Datum		arg = CStringGetTextDatum(id);
	bool		found = false;

	owner_begin(&oc);
	(void) run_query(Q_PROGRESS_GET, &arg, NULL, false);
	MemoryContextSwitchTo(oc.caller_cxt);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *xid;

		found = true;
		progress->kind = strcmp(get_text(tup, desc, 1), "down") == 0 ?
			MIGRATE_SCRIPT_DOWN : MIGRATE_SCRIPT_UP;
		progress->checksum = get_text(tup, desc, 2);
		progress->statements = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		progress->done = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		xid = get_text(tup, desc, 5);
		progress->statement_xid = xid == NULL ? InvalidTransactionId :
			(TransactionId) (strtou64(xid, NULL, 10) & 0xFFFFFFFF);
	}
	SPI_freetuptable(SPI_tuptable);
	owner_end(&oc);
	return found;
}

/* migrate_catalog_progress_start: a deploy starts the script of id */
void
migrate_catalog_progress_start(const char *id, MigrateScriptKind kind,
							   const char *checksum, int statements)
{
	OwnerContext oc;
	Datum		values[5];

	owner_begin(&oc);
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(kind == MIGRATE_SCRIPT_DOWN ? "down" : "up");
	values[2] = CStringGetTextDatum(checksum);
	values[3] = Int32GetDatum(statements);
	values[4] = NameGetDatum(&oc.caller);
	(void) run_query(Q_PROGRESS_START, values, NULL, false);
	owner_end(&oc);
}

/*
 * migrate_catalog_progress_step: done statements of the script of id are
 * committed; with starting, the next one is about to start, in a
 * transaction of its own that this one (whose id is recorded) precedes.
 */
void
migrate_catalog_progress_step(const char *id, int done, bool starting)
{
	OwnerContext oc;
	Datum		values[3];

	owner_begin(&oc);
	values[0] = CStringGetTextDatum(id);
	values[1] = Int32GetDatum(done);
	values[2] = BoolGetDatum(starting);
	(void) run_query(Q_PROGRESS_STEP, values, NULL, false);
	owner_end(&oc);
}

/* migrate_catalog_progress_error: what stopped the script of id */
void
migrate_catalog_progress_error(const char *id, const char *message)
{
	OwnerContext oc;
	Datum		values[2];

	owner_begin(&oc);
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(message);
	(void) run_query(Q_PROGRESS_ERROR, values, NULL, false);
	owner_end(&oc);
}

/* migrate_catalog_progress_end: the script of id is done */
void
migrate_catalog_progress_end(const char *id)
{
	OwnerContext oc;
	Datum		arg = CStringGetTextDatum(id);

	owner_begin(&oc);
	(void) run_query(Q_PROGRESS_END, &arg, NULL, false);
	owner_end(&oc);
}
