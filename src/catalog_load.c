/*-------------------------------------------------------------------------
 *
 * catalog_load.c
 *	  Loading every migration's state from migrate.migration and
 *	  migrate.applied (SPEC §7).
 *
 * migrate_status(), migrate_current() and every writer start here, so this
 * is the part of a call whose cost could grow with the number of
 * migrations.  What a backend loaded is kept, and used again while nothing
 * has changed: every statement that writes migrate.migration or
 * migrate.applied makes a new version of the one row of
 * migrate.state_serial (a trigger, catalog.c), and the state kept is used
 * only by a snapshot that sees the version it was loaded with.  A version
 * made by the caller's own transaction is never kept: it may still be
 * rolled back.  So a call reads one row when nothing changed, and its
 * cost does not depend on how many migrations there are.
 *
 * Loading scans the two tables with the server's heap scans and takes from
 * each row only the columns it needs, without an executor or a join.
 * Nothing another role defines is evaluated: no operator, no collation, no
 * rule or policy, and no search_path is read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "migrate.h"

/* The attribute numbers of the columns read, looked up by name */
typedef struct Columns
{
	AttrNumber	id;
	AttrNumber	description;
	AttrNumber	down_sql;
	AttrNumber	checksum;
	AttrNumber	registered_by;
	AttrNumber	transactional;	/* InvalidAttrNumber before 0.3 */
	AttrNumber	applied_at;
	AttrNumber	applied_by;
	AttrNumber	duration;
} Columns;

/* A version of the row of migrate.state_serial */
typedef struct StateVersion
{
	Oid			relid;			/* of migrate.state_serial */
	TransactionId xmin;			/* that wrote it, as written (not frozen) */
	int64		serial;
} StateVersion;

/* The state loaded last, and the version of the row it was loaded with */
static struct
{
	MemoryContext cxt;			/* NULL: nothing kept */
	MigrateCatalog *cat;
	StateVersion version;
}			kept;

static Oid
catalog_table(const char *name)
{
	Oid			nsp = get_namespace_oid("migrate", false);
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the migrate extension's table migrate.%s is missing",
						name),
				 errhint("Reinstall the extension.")));
	return relid;
}

static AttrNumber
column(Oid relid, const char *name)
{
	AttrNumber	attnum = get_attnum(relid, name);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the migrate extension's table \"%s\" has no column \"%s\"",
						get_rel_name(relid), name),
				 errhint("Reinstall the extension.")));
	return attnum;
}

/*
 * The migrations in version order, and how to find one by id.  Ids are
 * sorted by their version keys, one memcmp() per comparison; if an id is
 * not valid (a catalog written by hand), by migrate_version_cmp().
 */
typedef struct SortItem
{
	unsigned char *key;
	int			keylen;
	MigrateEntry *entry;
} SortItem;

typedef struct Sorted
{
	MemoryContext scratch;		/* the keys, and the entries before sorting */
	int			n;
	SortItem   *items;
	bool		keyed;
} Sorted;

static int
compare_items(const void *a, const void *b)
{
	const SortItem *x = (const SortItem *) a;
	const SortItem *y = (const SortItem *) b;

	return migrate_version_key_cmp(x->key, x->keylen, y->key, y->keylen);
}

static int
compare_item_ids(const void *a, const void *b)
{
	return migrate_version_cmp(((const SortItem *) a)->entry->id,
							   ((const SortItem *) b)->entry->id);
}

static int
compare_entries(const void *a, const void *b)
{
	return migrate_version_cmp(((const MigrateEntry *) a)->id,
							   ((const MigrateEntry *) b)->id);
}

/*
 * Sort cat's entries (in sorted->scratch), keeping in sorted how to find
 * them; the sorted entries are in the current memory context.
 */
static void
sort_entries(MigrateCatalog *cat, Sorted *sorted)
{
	MigrateEntry *entries;
	unsigned char key[MIGRATE_VERSION_KEY_MAX];
	MemoryContext old = MemoryContextSwitchTo(sorted->scratch);
	int			i;

	sorted->n = cat->n;
	sorted->items = palloc(sizeof(SortItem) * Max(cat->n, 1));
	sorted->keyed = true;
	for (i = 0; i < cat->n; i++)
	{
		SortItem   *item = &sorted->items[i];

		item->entry = &cat->entries[i];
		item->keylen = migrate_version_key(cat->entries[i].id, key);
		if (item->keylen < 0)
			sorted->keyed = false;
		else
		{
			item->key = palloc(item->keylen);
			memcpy(item->key, key, item->keylen);
		}
	}
	qsort(sorted->items, sorted->n, sizeof(SortItem),
		  sorted->keyed ? compare_items : compare_item_ids);
	MemoryContextSwitchTo(old);

	/* the entries themselves in that order */
	entries = palloc_extended(sizeof(MigrateEntry) * Max(cat->n, 1),
							  MCXT_ALLOC_HUGE);
	for (i = 0; i < cat->n; i++)
	{
		entries[i] = *sorted->items[i].entry;
		sorted->items[i].entry = &entries[i];
	}
	cat->entries = entries;
}

/* The registered migration with this id, or NULL */
static MigrateEntry *
find_entry(Sorted *sorted, const char *id)
{
	unsigned char key[MIGRATE_VERSION_KEY_MAX];
	int			keylen = -1;
	int			lo = 0;
	int			hi = sorted->n - 1;

	if (sorted->keyed)
	{
		keylen = migrate_version_key(id, key);
		if (keylen < 0)
			return NULL;		/* not a valid id: none of the keyed ones */
	}
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		SortItem   *item = &sorted->items[mid];
		int			cmp = sorted->keyed ?
		migrate_version_key_cmp(key, keylen, item->key, item->keylen) :
		migrate_version_cmp(id, item->entry->id);

		if (cmp == 0)
			return item->entry;
		if (cmp < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * A role name, kept once: a history names a few roles thousands of times,
 * and what is loaded is kept (see the top of the file).  The last names
 * seen by this load are reused; a name not among them is copied.
 */
#define ROLE_NAMES_KEPT 8

static const char *role_names[ROLE_NAMES_KEPT];

static char *
role_name(Datum name)
{
	const char *s = NameStr(*DatumGetName(name));
	int			i;
	char	   *copy;

	for (i = 0; i < ROLE_NAMES_KEPT && role_names[i] != NULL; i++)
		if (strcmp(role_names[i], s) == 0)
			return (char *) role_names[i];
	copy = pstrdup(s);
	memmove(role_names + 1, role_names, sizeof(char *) * (ROLE_NAMES_KEPT - 1));
	role_names[0] = copy;
	return copy;
}

/* Text of a column that cannot be NULL (NULL if it somehow is) */
static char *
text_value(Datum *values, bool *nulls, AttrNumber attnum)
{
	return nulls[attnum - 1] ? NULL : TextDatumGetCString(values[attnum - 1]);
}

/* Every registered migration, sorted */
static void
load_registered(MigrateCatalog *cat, Sorted *sorted, Snapshot snapshot,
				Columns *c)
{
	Oid			relid = catalog_table("migration");
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	TableScanDesc scan;
	HeapTuple	tup;
	int			size = 64;

	c->id = column(relid, "id");
	c->description = column(relid, "description");
	c->down_sql = column(relid, "down_sql");
	c->checksum = column(relid, "checksum");
	c->registered_by = column(relid, "registered_by");
	c->transactional = get_attnum(relid, "transactional");

	cat->n = 0;
	cat->entries = MemoryContextAllocZero(sorted->scratch,
										  sizeof(MigrateEntry) * size);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		MigrateEntry *e;

		if (cat->n == size)
		{
			cat->entries = repalloc_huge(cat->entries,
										 sizeof(MigrateEntry) * size * 2);
			memset(cat->entries + size, 0, sizeof(MigrateEntry) * size);
			size *= 2;
		}
		e = &cat->entries[cat->n++];
		heap_deform_tuple(tup, desc, values, nulls);
		e->id = text_value(values, nulls, c->id);
		e->registered = true;
		e->description = text_value(values, nulls, c->description);
		e->reversible = !nulls[c->down_sql - 1];
		if (!nulls[c->checksum - 1])
			text_to_cstring_buffer(DatumGetTextPP(values[c->checksum - 1]),
								   e->checksum, sizeof(e->checksum));
		if (!nulls[c->registered_by - 1])
			e->registered_by =
				role_name(values[c->registered_by - 1]);
		e->transactional = c->transactional == InvalidAttrNumber ||
			nulls[c->transactional - 1] ||
			DatumGetBool(values[c->transactional - 1]);
		e->state = MIGRATE_PENDING;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	pfree(values);
	pfree(nulls);

	sort_entries(cat, sorted);
}

/*
 * Mark the applied migrations.  An applied migration is "modified" when
 * the checksum of its registered up script (a generated column, so always
 * the script's own) differs from the checksum it was applied with; one
 * that is applied but no longer registered is "missing" (the foreign key
 * of migrate.applied forbids it, but a catalog restored by hand may have
 * one): those are returned, to be added when nothing else looks entries up.
 */
static List *
load_applied(MigrateCatalog *cat, Sorted *sorted, Snapshot snapshot,
			 Columns *c)
{
	Oid			relid = catalog_table("applied");
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	AttrNumber	id = column(relid, "id");
	AttrNumber	checksum = column(relid, "checksum");
	List	   *missing = NIL;
	TableScanDesc scan;
	HeapTuple	tup;

	c->applied_at = column(relid, "applied_at");
	c->applied_by = column(relid, "applied_by");
	c->duration = column(relid, "duration");

	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		char	   *applied_id;
		MigrateEntry *e;
		char		applied_checksum[MIGRATE_CHECKSUM_LEN + 1] = "";

		heap_deform_tuple(tup, desc, values, nulls);
		applied_id = text_value(values, nulls, id);
		if (applied_id == NULL)
			continue;
		if (!nulls[checksum - 1])
			text_to_cstring_buffer(DatumGetTextPP(values[checksum - 1]),
								   applied_checksum, sizeof(applied_checksum));
		e = find_entry(sorted, applied_id);
		if (e == NULL)
		{
			e = palloc0(sizeof(MigrateEntry));
			e->id = applied_id;
			e->state = MIGRATE_MISSING;
			missing = lappend(missing, e);
		}
		else
			e->state = strcmp(e->checksum, applied_checksum) == 0 ?
				MIGRATE_APPLIED : MIGRATE_MODIFIED;
		e->applied = true;
		/* the checksum the migration was applied with */
		strlcpy(e->checksum, applied_checksum, sizeof(e->checksum));
		if (!nulls[c->applied_at - 1])
			e->applied_at = DatumGetTimestampTz(values[c->applied_at - 1]);
		if (!nulls[c->applied_by - 1])
			e->applied_by =
				role_name(values[c->applied_by - 1]);
		if (!nulls[c->duration - 1])
			e->duration = *DatumGetIntervalP(values[c->duration - 1]);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	pfree(values);
	pfree(nulls);

	return missing;
}

/*
 * Mark the migrations a deploy started and did not finish, as
 * migrate.progress records them (a database whose extension is not yet
 * updated to 0.3 has no such table).  A partial migration is applied only
 * if it was being rolled back.
 */
static void
load_progress(MigrateCatalog *cat, Sorted *sorted, Snapshot snapshot)
{
	Oid			nsp = get_namespace_oid("migrate", false);
	Oid			relid = get_relname_relid("progress", nsp);
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	id;
	AttrNumber	script;
	AttrNumber	done;
	AttrNumber	error;
	TableScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(relid))
		return;
	id = column(relid, "id");
	script = column(relid, "script");
	done = column(relid, "done");
	error = column(relid, "error");
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, id, desc, &isnull);
		MigrateEntry *e;
		char	   *kind;

		if (isnull)
			continue;
		e = find_entry(sorted, TextDatumGetCString(d));
		if (e == NULL)
			continue;
		d = heap_getattr(tup, script, desc, &isnull);
		kind = isnull ? "up" : TextDatumGetCString(d);
		e->partial = true;
		e->partial_kind = strcmp(kind, "down") == 0 ?
			MIGRATE_SCRIPT_DOWN : MIGRATE_SCRIPT_UP;
		d = heap_getattr(tup, done, desc, &isnull);
		e->partial_done = isnull ? 0 : DatumGetInt32(d);
		d = heap_getattr(tup, error, desc, &isnull);
		e->partial_error = isnull ? NULL : TextDatumGetCString(d);
		e->state = MIGRATE_PARTIAL;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * The version of the row of migrate.state_serial that snapshot sees, and
 * whether the caller's transaction wrote it (own).  False if there is not
 * exactly one row (a database whose extension is not yet updated to 0.3
 * has no such table).
 */
static bool
visible_version(Snapshot snapshot, StateVersion *version, bool *own)
{
	Oid			nsp = get_namespace_oid("migrate", false);
	Oid			relid = get_relname_relid("state_serial", nsp);
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	tup = heap_getnext(scan, ForwardScanDirection);
	if (tup != NULL)
	{
		bool		isnull;
		Datum		serial = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);

		version->relid = relid;
		version->xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
		version->serial = isnull ? -1 : DatumGetInt64(serial);
		*own = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data));
		found = !isnull && heap_getnext(scan, ForwardScanDirection) == NULL;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * migrate_state_written_here: has this transaction written the row of
 * migrate.state_serial already (so that it need not write it again)?
 */
bool
migrate_state_written_here(void)
{
	StateVersion version;
	bool		own = false;
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	bool		found = visible_version(snapshot, &version, &own);

	UnregisterSnapshot(snapshot);
	return found && own;
}

/*
 * migrate_catalog_load: every registered or applied migration, in version
 * order, with its state (SPEC §7).  A pending migration is "out_of_order"
 * when it sorts before the latest applied one.  Writers pass fresh after
 * taking the lock: the tables are then read with a new snapshot, which
 * sees every committed deploy and what the caller's transaction did
 * before; readers see the snapshot of the query that called them.
 *
 * What is returned may be the state kept from an earlier call, so it is
 * read-only; it stays valid until the end of the transaction at least.
 */
const MigrateCatalog *
migrate_catalog_load(bool fresh)
{
	MigrateCatalog *cat;
	Snapshot	snapshot;
	StateVersion version;
	bool		own = false;
	bool		keep;
	MemoryContext cxt;
	MemoryContext old;
	Sorted		sorted;
	Columns		c;
	List	   *missing;
	int			latest = -1;
	int			i;

	if (fresh)
	{
		CommandCounterIncrement();
		snapshot = RegisterSnapshot(GetLatestSnapshot());
	}
	else
		snapshot = RegisterSnapshot(GetActiveSnapshot());

	/* a version this transaction wrote may still be rolled back */
	keep = visible_version(snapshot, &version, &own) && !own;
	if (keep && kept.cxt != NULL && kept.version.relid == version.relid &&
		kept.version.xmin == version.xmin &&
		kept.version.serial == version.serial)
	{
		UnregisterSnapshot(snapshot);
		return kept.cat;
	}

	/* in the call's memory until it is complete, so that an error frees it */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate state",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	cat = palloc0(sizeof(MigrateCatalog));
	sorted.scratch = AllocSetContextCreate(cxt, "migrate state sorting",
										   ALLOCSET_DEFAULT_SIZES);
	memset(role_names, 0, sizeof(role_names));
	load_registered(cat, &sorted, snapshot, &c);
	missing = load_applied(cat, &sorted, snapshot, &c);
	load_progress(cat, &sorted, snapshot);
	memset(role_names, 0, sizeof(role_names));
	if (missing != NIL)
	{
		ListCell   *lc;
		int			n = cat->n;

		cat->n += list_length(missing);
		cat->entries = repalloc_huge(cat->entries,
									 sizeof(MigrateEntry) * cat->n);
		foreach(lc, missing)
			cat->entries[n++] = *(MigrateEntry *) lfirst(lc);
		qsort(cat->entries, cat->n, sizeof(MigrateEntry), compare_entries);
	}
	UnregisterSnapshot(snapshot);

	for (i = 0; i < cat->n; i++)
		if (cat->entries[i].applied)
			latest = i;
	cat->latest_applied = latest;
	for (i = 0; i < latest; i++)
		if (cat->entries[i].state == MIGRATE_PENDING)
			cat->entries[i].state = MIGRATE_OUT_OF_ORDER;

	MemoryContextDelete(sorted.scratch);
	MemoryContextSwitchTo(old);

	if (keep)
	{
		/* what a caller of this transaction may still use lives as long */
		if (kept.cxt != NULL)
			MemoryContextSetParent(kept.cxt, TopTransactionContext);
		MemoryContextSetParent(cxt, TopMemoryContext);
		kept.cxt = cxt;
		kept.cat = cat;
		kept.version = version;
	}
	return cat;
}

const char *
migrate_state_name(MigrateState state)
{
	switch (state)
	{
		case MIGRATE_APPLIED:
			return "applied";
		case MIGRATE_PENDING:
			return "pending";
		case MIGRATE_MODIFIED:
			return "modified";
		case MIGRATE_OUT_OF_ORDER:
			return "out_of_order";
		case MIGRATE_MISSING:
			return "missing";
		case MIGRATE_PARTIAL:
			return "partial";
	}
	return "unknown";
}
