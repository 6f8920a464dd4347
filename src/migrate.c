/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  The SQL-callable functions of the migrate extension and its GUCs.
 *
 * Each function checks its arguments, enters through guard.c (writers take
 * the lock that serializes them), and leaves the work to the modules named
 * in migrate.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "hooks.h"
#include "migrate.h"

PG_MODULE_MAGIC;

bool		migrate_allow_out_of_order = false;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(migrate_register);
PG_FUNCTION_INFO_V1(migrate_unregister);
PG_FUNCTION_INFO_V1(migrate_apply);
PG_FUNCTION_INFO_V1(migrate_rollback);
PG_FUNCTION_INFO_V1(migrate_status);
PG_FUNCTION_INFO_V1(migrate_current);
PG_FUNCTION_INFO_V1(migrate_checksum_sql);
PG_FUNCTION_INFO_V1(migrate_plan);
PG_FUNCTION_INFO_V1(migrate_schema);
PG_FUNCTION_INFO_V1(migrate_verify);
PG_FUNCTION_INFO_V1(migrate_drift);
PG_FUNCTION_INFO_V1(migrate_accept_drift);
PG_FUNCTION_INFO_V1(migrate_state_changed);
PG_FUNCTION_INFO_V1(migrate_baseline);
PG_FUNCTION_INFO_V1(migrate_import);

void
_PG_init(void)
{
	DefineCustomBoolVariable("migrate.allow_out_of_order",
							 "Lets migrate_apply() apply pending migrations that sort before the latest applied one.",
							 NULL,
							 &migrate_allow_out_of_order,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("migrate.lock_timeout",
							"Longest wait for a lock of a statement of a migration; 0 waits as long as it takes.",
							"A migration whose statement waits longer is rolled back and tried again (migrate.lock_retries). "
							"Each migration then runs in a subtransaction.",
							&migrate_lock_timeout,
							1000, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("migrate.lock_retries",
							"How many times a migration that timed out waiting for a lock is tried again.",
							"The waits between tries double from migrate.lock_timeout, up to 30 s.",
							&migrate_lock_retries,
							5, 0, 1000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	migrate_install_hooks();

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("migrate");
#else
	EmitWarningsOnPlaceholders("migrate");
#endif
}

/* Argument argno of the current call, which must not be NULL. */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *funcname,
			const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of %s must not be null", argname, funcname)));
}

static inline bool
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * migrate_register(id, up_sql, down_sql, description, data_loss_ok,
 *					transactional)
 *		Register a migration, or update a registered one (SPEC §5).  Before
 *		0.3 the function is declared without transactional; until ALTER
 *		EXTENSION UPDATE it is called with five arguments.
 */
Datum
migrate_register(PG_FUNCTION_ARGS)
{
	MigrateRow	row;
	MigrateRow *old;
	char		checksum[MIGRATE_CHECKSUM_LEN + 1];
	const char *result;

	require_arg(fcinfo, 0, "migrate_register()", "id");
	require_arg(fcinfo, 1, "migrate_register()", "up_sql");
	require_arg(fcinfo, 4, "migrate_register()", "data_loss_ok");

	row.id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	row.up_sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	row.down_sql = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	row.description = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	row.data_loss_ok = PG_GETARG_BOOL(4);
	row.transactional = true;
	if (PG_NARGS() > 5)
	{
		require_arg(fcinfo, 5, "migrate_register()", "transactional");
		row.transactional = PG_GETARG_BOOL(5);
	}
	row.applied = false;

	migrate_enter("migrate_register()", true);
	migrate_check_id(row.id);

	/*
	 * Deploy jobs re-register everything on every run: that writes nothing.
	 * The same scripts registered by another role are a change of author,
	 * which decides who may apply them (migrate_check_authors), so that is an
	 * update.
	 */
	old = migrate_catalog_fetch(row.id);
	if (old != NULL &&
		strcmp(old->up_sql, row.up_sql) == 0 &&
		str_equal(old->down_sql, row.down_sql) &&
		str_equal(old->description, row.description) &&
		old->data_loss_ok == row.data_loss_ok &&
		old->transactional == row.transactional &&
		strcmp(old->registered_by, GetUserNameFromId(GetUserId(), false)) == 0)
	{
		migrate_leave();
		PG_RETURN_TEXT_P(cstring_to_text("unchanged"));
	}

	migrate_script_check(row.id, row.up_sql, row.down_sql, row.transactional);
	migrate_checksum(row.up_sql, strlen(row.up_sql), checksum);
	row.checksum = checksum;

	if (old == NULL)
	{
		migrate_catalog_insert(&row);
		migrate_catalog_log(row.id, "register", GetCurrentTimestamp(), 0,
							false, checksum);
		result = "registered";
	}
	else
	{
		if (old->partial &&
			(strcmp(old->up_sql, row.up_sql) != 0 ||
			 !str_equal(old->down_sql, row.down_sql) ||
			 old->transactional != row.transactional))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot change the scripts of migration \"%s\", which a deploy started and did not finish",
							row.id),
					 errdetail("Some of its statements are committed; the next deploy resumes it from the statement where it stopped."),
					 errhint("Finish it with CALL migrate_deploy() (or CALL migrate_undeploy() for a rollback), then register a new migration that makes the change.")));
		if (old->applied && strcmp(old->up_sql, row.up_sql) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot change the up script of applied migration \"%s\"",
							row.id),
					 errdetail("An applied migration is immutable, except for its down script and description."),
					 errhint("Leave this migration as it is and register a new one that makes the change.")));
		if (old->applied && old->data_loss_ok != row.data_loss_ok)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot change data_loss_ok of applied migration \"%s\"",
							row.id),
					 errdetail("An applied migration is immutable, except for its down script and description."),
					 errhint("Register it again with data_loss_ok => %s.",
							 old->data_loss_ok ? "true" : "false")));
		if (old->applied && old->transactional != row.transactional)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot change transactional of applied migration \"%s\"",
							row.id),
					 errdetail("An applied migration is immutable, except for its down script and description."),
					 errhint("Register it again with transactional => %s.",
							 old->transactional ? "true" : "false")));
		migrate_catalog_update(&row);
		migrate_catalog_log(row.id, "update", GetCurrentTimestamp(), 0,
							false, checksum);
		result = "updated";
	}

	migrate_leave();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/*
 * migrate_unregister(id)
 *		Remove a pending migration.
 */
Datum
migrate_unregister(PG_FUNCTION_ARGS)
{
	char	   *id;
	MigrateRow *old;

	require_arg(fcinfo, 0, "migrate_unregister()", "id");
	id = text_to_cstring(PG_GETARG_TEXT_PP(0));

	migrate_enter("migrate_unregister()", true);
	old = migrate_catalog_fetch(id);
	if (old == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration \"%s\" is not registered", id),
				 errhint("migrate_status() lists the registered migrations.")));
	if (old->applied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot unregister applied migration \"%s\"", id),
				 errhint("Roll it back first with migrate_rollback().")));
	if (old->partial)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot unregister migration \"%s\", which a deploy started and did not finish", id),
				 errhint("Finish it with CALL migrate_deploy(), then roll it back with CALL migrate_undeploy().")));

	migrate_catalog_delete(id);
	migrate_catalog_log(id, "unregister", GetCurrentTimestamp(), 0, false,
						old->checksum);
	migrate_leave();
	PG_RETURN_VOID();
}

/*
 * The pending migrations target names, for migrate_apply() and
 * migrate_plan(): parse the target, enter, load the catalog and choose.  A
 * call that will run them (will_run) is a writer: it takes the writers'
 * lock first, and the catalog and the migrations' authors are checked
 * before anything runs.  The caller must migrate_leave().
 */
static List *
choose_migrations(FunctionCallInfo fcinfo, const char *funcname, bool will_run,
				  bool rollback, const MigrateCatalog **cat)
{
	MigrateTarget target;
	List	   *chosen;

	migrate_parse_target(text_to_cstring(PG_GETARG_TEXT_PP(0)), rollback,
						 &target);
	migrate_enter(funcname, will_run);
	*cat = migrate_catalog_load(will_run);
	if (will_run)
		migrate_validate(*cat, rollback, false);
	chosen = rollback ? migrate_select_rollback(*cat, &target) :
		migrate_select_apply(*cat, &target);
	if (will_run)
	{
		migrate_check_authors(*cat, chosen, rollback);

		/*
		 * migrate_plan() runs what it can of them, migrate_verify() their
		 * transactional equivalents
		 */
		if (strcmp(funcname, "migrate_plan()") != 0 &&
			strcmp(funcname, "migrate_verify()") != 0)
			migrate_refuse_nontransactional(*cat, chosen, rollback);
	}
	return chosen;
}

static List *
choose_pending(FunctionCallInfo fcinfo, const char *funcname, bool will_run,
			   const MigrateCatalog **cat)
{
	return choose_migrations(fcinfo, funcname, will_run, false, cat);
}

/*
 * migrate_apply(target, dry_run, allow_data_loss)
 *		Apply pending migrations up to target (SPEC §6); statements that
 *		would destroy data are refused unless allowed (SPEC §8).
 */
Datum
migrate_apply(PG_FUNCTION_ARGS)
{
	const MigrateCatalog *cat;
	List	   *chosen;
	int			n;

	require_arg(fcinfo, 0, "migrate_apply()", "target");
	require_arg(fcinfo, 1, "migrate_apply()", "dry_run");
	require_arg(fcinfo, 2, "migrate_apply()", "allow_data_loss");

	chosen = choose_pending(fcinfo, "migrate_apply()", true, &cat);
	if (chosen != NIL)
		migrate_drift_warn();
	/* the first migration: what a rollback to base should leave */
	if (chosen != NIL && cat->latest_applied < 0 && !PG_GETARG_BOOL(1))
		migrate_drift_record_base();
	n = migrate_execute(cat, chosen, false, PG_GETARG_BOOL(1),
						PG_GETARG_BOOL(2));
	if (n > 0 && !PG_GETARG_BOOL(1))
		migrate_drift_record();
	migrate_leave();
	PG_RETURN_INT32(n);
}

/*
 * migrate_rollback(target, dry_run, allow_data_loss)
 *		Roll back applied migrations (SPEC §7).  Version 0.1 declares the
 *		function without allow_data_loss; until ALTER EXTENSION UPDATE it is
 *		called with two arguments, and data loss is not allowed.
 */
Datum
migrate_rollback(PG_FUNCTION_ARGS)
{
	const MigrateCatalog *cat;
	List	   *chosen;
	bool		allow_data_loss = false;
	int			n;

	require_arg(fcinfo, 0, "migrate_rollback()", "target");
	require_arg(fcinfo, 1, "migrate_rollback()", "dry_run");
	if (PG_NARGS() > 2)
	{
		require_arg(fcinfo, 2, "migrate_rollback()", "allow_data_loss");
		allow_data_loss = PG_GETARG_BOOL(2);
	}

	chosen = choose_migrations(fcinfo, "migrate_rollback()", true, true, &cat);
	if (chosen != NIL)
		migrate_drift_warn();
	n = migrate_execute(cat, chosen, true, PG_GETARG_BOOL(1), allow_data_loss);
	if (n > 0 && !PG_GETARG_BOOL(1))
	{
		if (n == migrate_applied_count(cat))
			migrate_drift_check_base();
		migrate_drift_record();
	}
	migrate_leave();
	PG_RETURN_INT32(n);
}

/*
 * A text datum of s in buf, which is reused from row to row: rows are
 * copied into the tuplestore, and thousands of them need not leave a copy
 * of each value behind.
 */
static Datum
text_in(StringInfo buf, const char *s)
{
	resetStringInfo(buf);
	appendStringInfoSpaces(buf, VARHDRSZ);
	appendStringInfoString(buf, s);
	SET_VARSIZE(buf->data, buf->len);
	return PointerGetDatum(buf->data);
}

/*
 * migrate_status()
 *		Every registered or applied migration in version order.
 */
Datum
migrate_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_begin_rows(fcinfo, &tupdesc);
	const MigrateCatalog *cat;
	StringInfoData id;
	StringInfoData description;
	StringInfoData state;
	StringInfoData error;
	NameData	applied_by;
	int			ncols = tupdesc->natts;
	int			i;

	initStringInfo(&id);
	initStringInfo(&description);
	initStringInfo(&state);
	initStringInfo(&error);
	migrate_enter("migrate_status()", false);
	cat = migrate_catalog_load(false);
	for (i = 0; i < cat->n; i++)
	{
		const MigrateEntry *e = &cat->entries[i];
		Datum		values[11];
		bool		nulls[11] = {false};

		values[0] = text_in(&id, e->id);
		if (e->description)
			values[1] = text_in(&description, e->description);
		else
			nulls[1] = true;
		values[2] = text_in(&state, migrate_state_name(e->state));
		if (e->applied)
		{
			values[3] = TimestampTzGetDatum(e->applied_at);
			namestrcpy(&applied_by, e->applied_by ? e->applied_by : "");
			values[4] = NameGetDatum(&applied_by);
			values[5] = IntervalPGetDatum(&e->duration);
		}
		else
			nulls[3] = nulls[4] = nulls[5] = true;
		values[6] = BoolGetDatum(e->reversible);
		/* 0.3 adds these; a catalog not yet updated declares seven */
		if (ncols >= 11)
		{
			values[7] = BoolGetDatum(e->transactional);
			nulls[8] = nulls[9] = nulls[10] = !e->partial;
			if (e->partial)
			{
				values[8] = CStringGetTextDatum(e->partial_kind == MIGRATE_SCRIPT_UP ?
												"up" : "down");
				values[9] = Int32GetDatum(e->partial_done + 1);
				if (e->partial_error)
					values[10] = text_in(&error, e->partial_error);
				else
					nulls[10] = true;
			}
		}
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	migrate_leave();
	return (Datum) 0;
}

/*
 * migrate_plan(target, execute)
 *		What the pending migrations up to target would do (SPEC §8): one row
 *		per statement and relation.  With execute, they also run in a
 *		subtransaction that is always rolled back, and each row shows the
 *		locks really taken and the time.
 */
Datum
migrate_plan(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	const MigrateCatalog *cat;
	List	   *chosen;
	bool		execute;
	bool		rollback = false;

	require_arg(fcinfo, 0, "migrate_plan()", "target");
	require_arg(fcinfo, 1, "migrate_plan()", "execute");
	execute = PG_GETARG_BOOL(1);
	/* version 0.2 declares the function without rollback */
	if (PG_NARGS() > 2)
	{
		require_arg(fcinfo, 2, "migrate_plan()", "rollback");
		rollback = PG_GETARG_BOOL(2);
	}
	tupstore = migrate_begin_rows(fcinfo, &tupdesc);

	/* running the migrations, even rolled back, is a writer's business */
	chosen = choose_migrations(fcinfo, "migrate_plan()", execute, rollback,
							   &cat);
	migrate_plan_rows(cat, chosen, execute, rollback, tupstore, tupdesc);
	migrate_leave();
	return (Datum) 0;
}

/*
 * migrate_current()
 *		The id of the latest applied migration in version order, or NULL.
 */
Datum
migrate_current(PG_FUNCTION_ARGS)
{
	const MigrateCatalog *cat;
	char	   *id = NULL;

	migrate_enter("migrate_current()", false);
	cat = migrate_catalog_load(false);
	/* SPI_palloc: the answer must outlive SPI_finish */
	if (cat->latest_applied >= 0)
		id = strcpy(SPI_palloc(strlen(cat->entries[cat->latest_applied].id) + 1),
					cat->entries[cat->latest_applied].id);
	migrate_leave();

	if (id == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

/*
 * migrate_checksum(script)
 *		Lowercase hex SHA-256 of the script's bytes; computes the generated
 *		column migrate.migration.checksum.
 */
Datum
migrate_checksum_sql(PG_FUNCTION_ARGS)
{
	text	   *script = PG_GETARG_TEXT_PP(0);
	char		checksum[MIGRATE_CHECKSUM_LEN + 1];

	migrate_checksum(VARDATA_ANY(script), VARSIZE_ANY_EXHDR(script), checksum);
	PG_RETURN_TEXT_P(cstring_to_text(checksum));
}

/*
 * migrate_schema()
 *		The schema described (SPEC §9): one row (kind, identity, definition)
 *		per user object, in byte order of kind and identity.
 */
Datum
migrate_schema(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_begin_rows(fcinfo, &tupdesc);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "migrate_schema",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	Schema	   *s = migrate_describe();
	int			i;

	for (i = 0; i < s->n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(s->objects[i].kind);
		values[1] = CStringGetTextDatum(s->objects[i].identity);
		values[2] = CStringGetTextDatum(s->objects[i].definition);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
		pfree(DatumGetPointer(values[2]));
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * migrate_verify(target)
 *		For each pending migration up to target, whether its down script
 *		restores the schema its up script changed (SPEC §9).  Nothing of it
 *		persists.
 */
Datum
migrate_verify(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	const MigrateCatalog *cat;
	List	   *chosen;

	require_arg(fcinfo, 0, "migrate_verify()", "target");
	tupstore = migrate_begin_rows(fcinfo, &tupdesc);
	chosen = choose_pending(fcinfo, "migrate_verify()", true, &cat);
	migrate_verify_rows(cat, chosen, tupstore, tupdesc);
	migrate_leave();
	return (Datum) 0;
}

/*
 * migrate_drift()
 *		Objects added, removed or changed outside migrations since the last
 *		apply or rollback (SPEC §9).
 */
Datum
migrate_drift(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_begin_rows(fcinfo, &tupdesc);

	migrate_enter("migrate_drift()", false);
	(void) migrate_drift_rows(tupstore, tupdesc);
	migrate_leave();
	return (Datum) 0;
}

/*
 * migrate_accept_drift()
 *		The schema as it is becomes the reference of migrate_drift(), as
 *		after an apply: for objects made by hand before migrations were
 *		adopted, or by a restore.  Returns how many objects had drifted.
 */
Datum
migrate_accept_drift(PG_FUNCTION_ARGS)
{
	int			n;

	migrate_enter("migrate_accept_drift()", true);
	n = migrate_drift_accept();
	migrate_leave();
	PG_RETURN_INT32(n);
}

/*
 * migrate.state_changed()
 *		Statement trigger on migrate.migration and migrate.applied: the
 *		migrations' state changed, so what backends kept of it is old.
 */
Datum
migrate_state_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("migrate.state_changed() must be called as a trigger")));
	migrate_enter_trigger();
	migrate_catalog_state_changed();
	migrate_leave();
	return PointerGetDatum(NULL);
}

/*
 * migrate_baseline(target)
 *		Mark the pending migrations up to target applied without running
 *		them, on a database where none is applied yet (SPEC §12).
 */
Datum
migrate_baseline(PG_FUNCTION_ARGS)
{
	require_arg(fcinfo, 0, "migrate_baseline()", "target");
	PG_RETURN_INT32(migrate_baseline_run(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/*
 * migrate_import(tool, history_table)
 *		Baseline the registered migrations that another tool's history lists
 *		as applied (SPEC §12).  history_table NULL: the tool's own table.
 */
Datum
migrate_import(PG_FUNCTION_ARGS)
{
	require_arg(fcinfo, 0, "migrate_import()", "tool");
	PG_RETURN_INT32(migrate_import_run(text_to_cstring(PG_GETARG_TEXT_PP(0)),
									   PG_ARGISNULL(1) ? NULL :
									   text_to_cstring(PG_GETARG_TEXT_PP(1))));
}
