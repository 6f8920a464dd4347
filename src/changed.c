/*-------------------------------------------------------------------------
 *
 * changed.c
 *	  migrate_changed(ids, checksums): which of the migrations a deploy job
 *	  is about to register are new, or differ from their registration, so
 *	  that the client (pg_migrate) sends the scripts of those only.
 *
 * A deploy job registers every migration file on every run, and usually
 * nothing has changed.  Sending every script and parsing it again costs
 * more than the deploy itself: one statement with each migration's id and
 * registration checksum answers the question instead.  The registration
 * checksum covers everything migrate_register() compares: it is the
 * lowercase hex SHA-256 of these lines (each ending with a newline but the
 * last):
 *
 *	  the checksum of up_sql (lowercase hex SHA-256, the stored column)
 *	  down_sql as <its length in bytes>:<its text>, or - if it is NULL
 *	  the description the same way
 *	  two characters, t or f: data_loss_ok, then transactional
 *
 * so each row is hashed once, from its stored checksum and its down script
 * and description, with one hashing context for the whole scan.
 * migrate_registration_checksum() computes it for given scripts.
 *
 * A migration registered by another role is reported too ("author"): the
 * same scripts registered again make the caller their author (SPEC §5, the
 * author decides who may apply them), as migrate_register() would.
 *
 * It reads migrate.migration with a heap scan, as catalog_load.c does:
 * nothing another role defines is evaluated, and it takes no lock but the
 * table's AccessShareLock (a reader: a deploy in progress does not hold it
 * up).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "migrate.h"

PG_FUNCTION_INFO_V1(migrate_changed);
PG_FUNCTION_INFO_V1(migrate_registration_checksum);

/* flags characters of the registration checksum */
#define FLAG(b) ((b) ? 't' : 'f')

/* hash a text field: <length>:<bytes>, or - for NULL */
static void
hash_field(pg_cryptohash_ctx *ctx, const char *data, int len)
{
	char		prefix[16];
	int			n;

	if (data == NULL)
		n = snprintf(prefix, sizeof(prefix), "-\n");
	else
		n = snprintf(prefix, sizeof(prefix), "%d:", len);
	if (pg_cryptohash_update(ctx, (const uint8 *) prefix, n) < 0 ||
		(data != NULL &&
		 (pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		  pg_cryptohash_update(ctx, (const uint8 *) "\n", 1) < 0)))
		elog(ERROR, "could not compute SHA-256 checksum");
}

/*
 * The registration checksum into dest (65 bytes), with ctx (reused from
 * row to row); down and description may be NULL.
 */
static void
registration_checksum(pg_cryptohash_ctx *ctx, const char *up_checksum,
					  const char *down, int downlen,
					  const char *description, int desclen,
					  bool data_loss_ok, bool transactional, char *dest)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		flags[2];

	flags[0] = FLAG(data_loss_ok);
	flags[1] = FLAG(transactional);
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) up_checksum,
							 strlen(up_checksum)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) "\n", 1) < 0)
		elog(ERROR, "could not compute SHA-256 checksum");
	hash_field(ctx, down, downlen);
	hash_field(ctx, description, desclen);
	if (pg_cryptohash_update(ctx, (const uint8 *) flags, 2) < 0)
		elog(ERROR, "could not compute SHA-256 checksum");
	migrate_sha256_final(ctx, digest, "checksum");
	migrate_hex(digest, PG_SHA256_DIGEST_LENGTH, dest);
}

static pg_cryptohash_ctx *
new_hasher(void)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL)
		elog(ERROR, "could not compute SHA-256 checksum");
	return ctx;
}

/*
 * migrate_registration_checksum(up_sql, down_sql, description,
 *								 data_loss_ok, transactional)
 *		The registration checksum of these scripts, as migrate_changed()
 *		expects it.
 */
Datum
migrate_registration_checksum(PG_FUNCTION_ARGS)
{
	text	   *up;
	text	   *down = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	text	   *desc = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	char		up_checksum[MIGRATE_CHECKSUM_LEN + 1];
	char		result[MIGRATE_CHECKSUM_LEN + 1];
	pg_cryptohash_ctx *ctx;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("up_sql, data_loss_ok and transactional of migrate_registration_checksum() must not be null")));
	up = PG_GETARG_TEXT_PP(0);
	migrate_checksum(VARDATA_ANY(up), VARSIZE_ANY_EXHDR(up), up_checksum);
	ctx = new_hasher();
	registration_checksum(ctx, up_checksum,
						  down ? VARDATA_ANY(down) : NULL,
						  down ? VARSIZE_ANY_EXHDR(down) : 0,
						  desc ? VARDATA_ANY(desc) : NULL,
						  desc ? VARSIZE_ANY_EXHDR(desc) : 0,
						  PG_GETARG_BOOL(3), PG_GETARG_BOOL(4), result);
	pg_cryptohash_free(ctx);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/* What the caller sent for one id, and what is registered */
typedef struct Wanted
{
	char		id[MIGRATE_ID_MAXLEN + 1];	/* the hash key */
	const char *checksum;
	const char *change;			/* NULL: registered as given */
} Wanted;

static AttrNumber
column(Relation rel, const char *name)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), name);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the migrate extension's table migrate.migration has no column \"%s\"",
						name),
				 errhint("Update the extension with ALTER EXTENSION migrate UPDATE.")));
	return attnum;
}

/* the text arguments' elements, which must not be NULL */
static int
text_elements(ArrayType *array, const char *argname, Datum **elems)
{
	bool	   *nulls;
	int			n;
	int			i;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s of migrate_changed() must be a one-dimensional array",
						argname)));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, elems, &nulls,
					  &n);
	for (i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s of migrate_changed() must not hold a null",
							argname)));
	return n;
}

/*
 * Mark in the table of wanted ids those that are registered as the caller
 * sent them (change NULL), or registered otherwise ("changed", "author").
 */
static void
compare_registered(HTAB *wanted)
{
	Oid			relid = get_relname_relid("migration",
										  get_namespace_oid("migrate", false));
	Relation	rel;
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	AttrNumber	a_id;
	AttrNumber	a_checksum;
	AttrNumber	a_down;
	AttrNumber	a_desc;
	AttrNumber	a_data_loss_ok;
	AttrNumber	a_transactional;
	AttrNumber	a_registered_by;
	const char *me = GetUserNameFromId(GetUserId(), false);
	Snapshot	snapshot = RegisterSnapshot(GetActiveSnapshot());
	pg_cryptohash_ctx *ctx = new_hasher();
	TableScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the migrate extension's table migrate.migration is missing"),
				 errhint("Reinstall the extension.")));
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	a_id = column(rel, "id");
	a_checksum = column(rel, "checksum");
	a_down = column(rel, "down_sql");
	a_desc = column(rel, "description");
	a_data_loss_ok = column(rel, "data_loss_ok");
	a_transactional = column(rel, "transactional");
	a_registered_by = column(rel, "registered_by");

	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		char		id[MIGRATE_ID_MAXLEN + 1];
		text	   *t;
		Wanted	   *w;
		char		up_checksum[MIGRATE_CHECKSUM_LEN + 1];
		char		checksum[MIGRATE_CHECKSUM_LEN + 1];
		text	   *down = NULL;
		text	   *description = NULL;

		heap_deform_tuple(tup, desc, values, nulls);
		if (nulls[a_id - 1] || nulls[a_checksum - 1])
			continue;
		t = DatumGetTextPP(values[a_id - 1]);
		if (VARSIZE_ANY_EXHDR(t) > MIGRATE_ID_MAXLEN)
			continue;
		text_to_cstring_buffer(t, id, sizeof(id));
		w = hash_search(wanted, id, HASH_FIND, NULL);
		if (w == NULL)
			continue;

		text_to_cstring_buffer(DatumGetTextPP(values[a_checksum - 1]),
							   up_checksum, sizeof(up_checksum));
		if (!nulls[a_down - 1])
			down = DatumGetTextPP(values[a_down - 1]);
		if (!nulls[a_desc - 1])
			description = DatumGetTextPP(values[a_desc - 1]);
		registration_checksum(ctx, up_checksum,
							  down ? VARDATA_ANY(down) : NULL,
							  down ? VARSIZE_ANY_EXHDR(down) : 0,
							  description ? VARDATA_ANY(description) : NULL,
							  description ? VARSIZE_ANY_EXHDR(description) : 0,
							  !nulls[a_data_loss_ok - 1] &&
							  DatumGetBool(values[a_data_loss_ok - 1]),
							  nulls[a_transactional - 1] ||
							  DatumGetBool(values[a_transactional - 1]),
							  checksum);
		if (strcmp(checksum, w->checksum) != 0)
			w->change = "changed";
		else if (nulls[a_registered_by - 1] ||
				 strcmp(NameStr(*DatumGetName(values[a_registered_by - 1])), me) != 0)
			w->change = "author";
		else
			w->change = NULL;
		/* pfree what detoasting made */
		if (down != NULL && (Pointer) down != DatumGetPointer(values[a_down - 1]))
			pfree(down);
		if (description != NULL &&
			(Pointer) description != DatumGetPointer(values[a_desc - 1]))
			pfree(description);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snapshot);
	pg_cryptohash_free(ctx);
	pfree(values);
	pfree(nulls);
}

/*
 * migrate_changed(ids text[], checksums text[])
 *		RETURNS TABLE(id text, change text)
 *		The ids, in the order given, whose migration is not registered
 *		("new"), is registered otherwise ("changed"), or was registered by
 *		another role ("author"); an id given twice is answered once.
 */
Datum
migrate_changed(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	Datum	   *ids;
	Datum	   *sums;
	char	  **idstrs;
	int			n;
	int			i;
	HASHCTL		ctl;
	HTAB	   *wanted;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ids and checksums of migrate_changed() must not be null")));

	n = text_elements(PG_GETARG_ARRAYTYPE_P(0), "ids", &ids);
	if (text_elements(PG_GETARG_ARRAYTYPE_P(1), "checksums", &sums) != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ids and checksums of migrate_changed() must have as many elements")));

	migrate_enter("migrate_changed()", false);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = MIGRATE_ID_MAXLEN + 1;
	ctl.entrysize = sizeof(Wanted);
	ctl.hcxt = CurrentMemoryContext;
#if PG_VERSION_NUM >= 140000
	wanted = hash_create("migrate_changed", Max(n, 16), &ctl,
						 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
#else
	wanted = hash_create("migrate_changed", Max(n, 16), &ctl,
						 HASH_ELEM | HASH_CONTEXT);
#endif
	idstrs = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		Wanted	   *w;
		bool		found;

		idstrs[i] = TextDatumGetCString(ids[i]);
		if (strlen(idstrs[i]) > MIGRATE_ID_MAXLEN)
			continue;			/* not an id: never registered */
		w = hash_search(wanted, idstrs[i], HASH_ENTER, &found);
		if (!found)
		{
			w->checksum = TextDatumGetCString(sums[i]);
			w->change = "new";
		}
	}
	compare_registered(wanted);

	tupstore = migrate_begin_rows(fcinfo, &tupdesc);

	for (i = 0; i < n; i++)
	{
		Wanted	   *w = strlen(idstrs[i]) > MIGRATE_ID_MAXLEN ? NULL :
		hash_search(wanted, idstrs[i], HASH_FIND, NULL);
		const char *change = w ? w->change : "new";
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (change == NULL)
			continue;
		values[0] = CStringGetTextDatum(idstrs[i]);
		values[1] = CStringGetTextDatum(change);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
		/* answered once */
		if (w != NULL)
			w->change = NULL;
	}

	migrate_leave();
	return (Datum) 0;
}
