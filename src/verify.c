/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  migrate_verify() (SPEC §9): for each pending migration up to a target,
 *	  inside a subtransaction that is always rolled back, describe the
 *	  schema (migrate_schema()), run up, run down, describe again and
 *	  compare, then run up again; then go back to the state after the first
 *	  up, on which the next migration is verified.  A down script that does
 *	  not restore the schema exactly is found before an incident needs it.
 *	  And migrate_difference(), the same judgement of one difference, for
 *	  the client.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "migrate.h"

PG_FUNCTION_INFO_V1(migrate_difference);

#define VERIFY_COLS 6

typedef struct VerifyContext
{
	const MigrateCatalog *cat;
	List	   *chosen;
	Tuplestorestate *store;
	TupleDesc	desc;
} VerifyContext;

/*
 * migrate_compare: call emit for every object that differs between before
 * and after (a NULL definition: not there); returns how many.
 */
int
migrate_compare(Schema *before, Schema *after, MigrateDiffFn emit, void *arg)
{
	int			i = 0;
	int			j = 0;
	int			differences = 0;

	while (i < before->n || j < after->n)
	{
		int			cmp;

		if (i >= before->n)
			cmp = 1;
		else if (j >= after->n)
			cmp = -1;
		else
			cmp = strcmp(before->objects[i].key, after->objects[j].key);

		if (cmp < 0)
		{
			emit(arg, &before->objects[i], before->objects[i].definition, NULL);
			i++;
			differences++;
		}
		else if (cmp > 0)
		{
			emit(arg, &after->objects[j], NULL, after->objects[j].definition);
			j++;
			differences++;
		}
		else
		{
			if (strcmp(before->objects[i].definition, after->objects[j].definition) != 0)
			{
				emit(arg, &before->objects[i], before->objects[i].definition,
					 after->objects[j].definition);
				differences++;
			}
			i++;
			j++;
		}
	}
	return differences;
}

static void
put_row(VerifyContext *vc, const char *id, const char *result,
		const char *object, const char *before, const char *after,
		const char *error)
{
	Datum		values[VERIFY_COLS];
	bool		nulls[VERIFY_COLS];
	const char *cols[VERIFY_COLS] = {id, result, object, before, after, error};
	int			i;

	for (i = 0; i < VERIFY_COLS; i++)
	{
		nulls[i] = cols[i] == NULL;
		values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(cols[i]);
	}
	tuplestore_putvalues(vc->store, vc->desc, values, nulls);
}

typedef struct DiffRow
{
	VerifyContext *vc;
	const char *id;
	int			real;			/* differences that are failures */
} DiffRow;

/* A column's definition without its "position N; " */
static const char *
without_position(const char *def)
{
	const char *semi;

	if (strncmp(def, "position ", 9) != 0 || (semi = strchr(def, ';')) == NULL)
		return def;
	return semi + 1;
}

/* Are a and b the same text but for the length and kind of white space? */
static bool
same_but_whitespace(const char *a, const char *b)
{
	for (;;)
	{
		bool		space_a = false;
		bool		space_b = false;

		while (*a != '\0' && isspace((unsigned char) *a))
		{
			a++;
			space_a = true;
		}
		while (*b != '\0' && isspace((unsigned char) *b))
		{
			b++;
			space_b = true;
		}
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (space_a != space_b || *a != *b)
			return false;
		a++;
		b++;
	}
}

/*
 * What kind of difference this is (SPEC §9 precision rules): a column that
 * only moved (a down that adds back a column at the end moves it and every
 * column after it), a routine whose body differs only in white space, or a
 * real difference.  Only the last makes the down script fail.
 */
static const char *
difference_kind(const char *kind, const char *before, const char *after)
{
	if (before == NULL || after == NULL)
		return "differs";
	if (strcmp(kind, "column") == 0 &&
		strcmp(without_position(before), without_position(after)) == 0)
		return "column order";
	if ((strcmp(kind, "function") == 0 ||
		 strcmp(kind, "procedure") == 0) &&
		same_but_whitespace(before, after))
		return "whitespace only";
	return "differs";
}

/*
 * migrate_difference(kind, before, after)
 *		The kind of a difference between two definitions of an object of
 *		migrate_schema(), as migrate_verify() judges it: 'column order',
 *		'whitespace only' or 'differs' (a NULL definition: not there).  So
 *		that the client, which compares schemas of two databases, judges
 *		them as the server does.
 */
Datum
migrate_difference(PG_FUNCTION_ARGS)
{
	const char *before;
	const char *after;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind of migrate_difference() must not be null")));
	before = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	after = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	PG_RETURN_TEXT_P(cstring_to_text(difference_kind(text_to_cstring(PG_GETARG_TEXT_PP(0)),
													 before, after)));
}

static void
emit_difference(void *arg, SchemaObject *obj, const char *before,
				const char *after)
{
	DiffRow    *d = (DiffRow *) arg;
	const char *kind = difference_kind(obj->kind, before, after);

	if (strcmp(kind, "differs") == 0)
		d->real++;
	put_row(d->vc, d->id, kind,
			psprintf("%s %s", obj->kind, obj->identity), before, after, NULL);
}

typedef struct ScriptRun
{
	const char *id;
	MigrateScriptKind kind;
	const char *sql;
	bool		transactional;
} ScriptRun;

static void
run_script_cb(void *arg)
{
	ScriptRun  *r = (ScriptRun *) arg;
	int			nestlevel = NewGUCNestLevel();

	migrate_script_begin();
	PG_TRY();
	{
		migrate_run_script(r->id, r->kind, r->sql, r->transactional);
	}
	PG_FINALLY();
	{
		migrate_script_end();
	}
	PG_END_TRY();
	AtEOXact_GUC(false, nestlevel);
}

/* Why a script failed, and whether only one transaction is to blame */
typedef struct Failure
{
	char	   *message;		/* with its context */
	bool		one_transaction;	/* works across transactions */
} Failure;

/*
 * Run one script of a migration in a subtransaction of its own; on error,
 * roll that back and return why, else NULL.  Using an enum value added in
 * the same transaction fails ("unsafe use of new value") where, applied
 * and rolled back in transactions of their own, the scripts work: that is
 * no fault of the scripts (SPEC §9).
 */
static Failure *
try_script(const char *id, MigrateScriptKind kind, const char *sql,
		   bool transactional)
{
	ScriptRun	r;
	ErrorData  *edata;
	Failure    *failure;

	r.id = id;
	r.kind = kind;
	r.sql = sql;
	r.transactional = transactional;
	edata = migrate_subtransaction(run_script_cb, &r, true);
	if (edata == NULL)
		return NULL;
	failure = palloc(sizeof(Failure));
	failure->message = edata->context ?
		psprintf("%s (%s)", edata->message, edata->context) :
		pstrdup(edata->message);
	failure->one_transaction = edata->sqlerrcode == ERRCODE_UNSAFE_NEW_ENUM_VALUE_USAGE;
	FreeErrorData(edata);
	return failure;
}

#define NOT_VERIFIABLE "not verifiable in one transaction"

typedef struct DownCheck
{
	VerifyContext *vc;
	MigrateEntry *e;
	MigrateRow *row;
	Schema	   *before;
} DownCheck;

/* Run down, compare, run up again; called in a rolled-back subtransaction */
static void
check_down(void *arg)
{
	DownCheck  *dc = (DownCheck *) arg;
	DiffRow		diff;
	Failure    *failure;

	failure = try_script(dc->e->id, MIGRATE_SCRIPT_DOWN, dc->row->down_sql,
						 dc->row->transactional);
	if (failure)
	{
		put_row(dc->vc, dc->e->id,
				failure->one_transaction ? NOT_VERIFIABLE : "down failed",
				NULL, NULL, NULL, failure->message);
		return;
	}
	diff.vc = dc->vc;
	diff.id = dc->e->id;
	diff.real = 0;
	if (migrate_compare(dc->before, migrate_describe(), emit_difference, &diff) == 0)
		put_row(dc->vc, dc->e->id, "ok", NULL, NULL, NULL, NULL);

	/* the down must leave a state from which up works */
	failure = try_script(dc->e->id, MIGRATE_SCRIPT_UP, dc->row->up_sql,
						 dc->row->transactional);
	if (failure)
		put_row(dc->vc, dc->e->id,
				failure->one_transaction ? NOT_VERIFIABLE : "up failed after down",
				NULL, NULL, NULL, failure->message);
}

/*
 * Verify one migration, leaving it applied (its up script run) for the
 * ones after it; false if it cannot be applied, so that they cannot be
 * verified.  Down, the comparison and the second up run in a subtransaction
 * that is rolled back, so a faulty down does not spoil the migrations after
 * it.
 */
static bool
verify_one(VerifyContext *vc, MigrateEntry *e)
{
	DownCheck	dc;
	Failure    *failure;

	dc.vc = vc;
	dc.e = e;
	dc.row = migrate_catalog_fetch(e->id);
	if (dc.row == NULL)
		elog(ERROR, "migration \"%s\" vanished from migrate.migration", e->id);

	dc.before = migrate_describe();
	failure = try_script(e->id, MIGRATE_SCRIPT_UP, dc.row->up_sql,
						 dc.row->transactional);
	if (failure)
	{
		put_row(vc, e->id, failure->one_transaction ? NOT_VERIFIABLE : "up failed",
				NULL, NULL, NULL, failure->message);
		return false;
	}
	if (dc.row->down_sql == NULL)
		put_row(vc, e->id, "irreversible", NULL, NULL, NULL, NULL);
	else
		migrate_rolled_back(check_down, &dc);
	return true;
}

static void
verify_all(void *arg)
{
	VerifyContext *vc = (VerifyContext *) arg;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext percxt = AllocSetContextCreate(outer, "migrate verify",
												 ALLOCSET_DEFAULT_SIZES);
	ListCell   *lc;

	foreach(lc, vc->chosen)
	{
		MigrateEntry *e = &vc->cat->entries[lfirst_int(lc)];
		bool		go_on;

		MemoryContextSwitchTo(percxt);
		go_on = verify_one(vc, e);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(percxt);
		if (!go_on)
		{
			/* the rest depend on it */
			for_each_cell(lc, vc->chosen, lnext(vc->chosen, lc))
				put_row(vc, vc->cat->entries[lfirst_int(lc)].id,
						"not verified", NULL, NULL, NULL,
						"An earlier migration of this call failed.");
			break;
		}
	}
	MemoryContextDelete(percxt);
}

/*
 * migrate_verify_rows: the rows of migrate_verify() for the chosen
 * migrations, into store.  Nothing of it persists.
 */
void
migrate_verify_rows(const MigrateCatalog *cat, List *chosen, Tuplestorestate *store,
					TupleDesc desc)
{
	VerifyContext vc;

	vc.cat = cat;
	vc.chosen = chosen;
	vc.store = store;
	vc.desc = desc;
	migrate_rolled_back(verify_all, &vc);
}
