/*-------------------------------------------------------------------------
 *
 * datacount.c
 *	  Counting the data a statement would destroy, for the data-loss guard
 *	  (SPEC §8 rule 3): with the server's own scans of the relation's
 *	  storage, never with SQL.  No view, function, operator, policy or
 *	  search_path of anyone is ever evaluated, and row-level security hides
 *	  nothing, because nothing is planned or executed: the table access
 *	  method returns the tuples visible to a fresh snapshot and the counting
 *	  looks at their header and at their attributes' bytes.
 *
 *	  The caller holds the lock the statement takes on the relation, so the
 *	  snapshot taken here sees every row committed before the statement can
 *	  run.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/sequence.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "storage/bufmgr.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "dataloss.h"

/* A column whose values are counted, with its constant default if any */
typedef struct CountedColumn
{
	AttrNumber	attnum;
	bool		has_default;	/* a non-NULL constant default */
	Datum		defval;
	bool		typbyval;
	int16		typlen;
} CountedColumn;

/*
 * The column's default if it is a constant (the stored expression is a
 * Const): a value equal to it is what re-adding the column would give every
 * row, so it holds nothing at stake (SPEC §8 rule 1).  Defaults that are
 * expressions are not evaluated: their values count as data.  The caller
 * may know the default better than the relation (the server drops a
 * column's default before the column).
 */
static void
column_default(Relation rel, const MigrateCountColumn *given, CountedColumn *col)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), col->attnum - 1);
	Node	   *expr = NULL;
	int			i;

	col->has_default = false;
	col->typbyval = att->attbyval;
	col->typlen = att->attlen;
	if (given->default_known)
		expr = given->default_expr;
	else if (constr != NULL)
	{
		for (i = 0; i < constr->num_defval; i++)
		{
			if (constr->defval[i].adnum == col->attnum)
				expr = stringToNode(constr->defval[i].adbin);
		}
	}
	if (expr != NULL && IsA(expr, Const) && !((Const *) expr)->constisnull)
	{
		col->has_default = true;
		col->defval = ((Const *) expr)->constvalue;
	}
}

/*
 * Did the call write this row version?  Its transaction did, from the call's
 * first command on; or one of the call's transactions that ended.
 */
static bool
written_by_call(HeapTupleHeader htup, const MigrateOwnRows *own)
{
	TransactionId xmin = HeapTupleHeaderGetXmin(htup);

	if (!own->trust_xmin)
		return false;
	if (TransactionIdIsCurrentTransactionId(xmin))
		return HeapTupleHeaderGetCmin(htup) >= own->first_cid;
	return list_member_oid(own->own_xids, (Oid) xmin);
}

/* Did the call update (or delete) this row version? */
static bool
replaced_by_call(HeapTupleHeader htup, const MigrateOwnRows *own)
{
	TransactionId xmax = HeapTupleHeaderGetUpdateXid(htup);

	if (TransactionIdIsCurrentTransactionId(xmax))
		return HeapTupleHeaderGetCmax(htup) >= own->first_cid;
	return list_member_oid(own->own_xids, (Oid) xmax);
}

/* Who wrote a row version */
typedef enum RowOrigin
{
	ROW_THERE_BEFORE,			/* existed before the call */
	ROW_INSERTED_BY_CALL,
	ROW_UPDATED_BY_CALL			/* a version the call's UPDATE made */
} RowOrigin;

static RowOrigin
row_origin(HeapTupleHeader htup, const MigrateOwnRows *own)
{
	if (!written_by_call(htup, own))
		return ROW_THERE_BEFORE;
	return (htup->t_infomask & HEAP_UPDATED) ? ROW_UPDATED_BY_CALL :
		ROW_INSERTED_BY_CALL;
}

/*
 * Rows the call inserted are no data at stake (SPEC §8 rule 1): those its
 * transaction wrote, and those written by the call's earlier transactions,
 * own_xids.  Rows the caller's transaction wrote before the call are not
 * the call's (they come before its first command).  A row version the
 * call's UPDATE made stands for a row that may have existed before: it is
 * the call's own only if the version it replaced is
 * (an_update_of_own_row).  Tuples of access methods other than heap always
 * count.
 */
static RowOrigin
slot_origin(TupleTableSlot *slot, const MigrateOwnRows *own)
{
	if (!TTS_IS_BUFFERTUPLE(slot))
		return ROW_THERE_BEFORE;
	return row_origin(((BufferHeapTupleTableSlot *) slot)->base.tuple->t_data,
					  own);
}

/* A row version that the call's UPDATE replaced, by the version after it */
typedef struct Replaced
{
	ItemPointerData successor;	/* hash key */
	ItemPointerData self;
	RowOrigin	origin;
} Replaced;

/*
 * The versions of rel's rows that the call's UPDATEs replaced, by the TID
 * of the version that replaced each: read with SnapshotAny, since the
 * call's own dead versions are still there (nothing prunes a version whose
 * deleter is still running).
 */
static HTAB *
replaced_versions(Relation rel, const MigrateOwnRows *own)
{
	HASHCTL		ctl;
	HTAB	   *map;
	TableScanDesc scan;
	TupleTableSlot *slot;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ItemPointerData);
	ctl.entrysize = sizeof(Replaced);
	ctl.hcxt = CurrentMemoryContext;
	map = hash_create("migrate replaced versions", 256, &ctl,
					  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	scan = table_beginscan(rel, SnapshotAny, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		HeapTuple	tup;
		HeapTupleHeader htup;
		Replaced   *r;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		if (!TTS_IS_BUFFERTUPLE(slot))
			break;
		tup = ((BufferHeapTupleTableSlot *) slot)->base.tuple;
		htup = tup->t_data;
		/* replaced by the call: its xmax is the call's, its ctid moved on */
		if ((htup->t_infomask & HEAP_XMAX_INVALID) ||
			HEAP_XMAX_IS_LOCKED_ONLY(htup->t_infomask) ||
			ItemPointerEquals(&htup->t_ctid, &tup->t_self) ||
			!replaced_by_call(htup, own))
			continue;
		r = (Replaced *) hash_search(map, &htup->t_ctid, HASH_ENTER, &found);
		r->self = tup->t_self;
		r->origin = row_origin(htup, own);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	return map;
}

/* Is the row version at tid, made by the call's UPDATE, the call's own? */
static bool
an_update_of_own_row(HTAB *replaced, ItemPointer tid)
{
	ItemPointerData at = *tid;
	int			steps;

	/* follow the versions back to the first; a broken chain counts */
	for (steps = 0; steps < 10000; steps++)
	{
		Replaced   *r = (Replaced *) hash_search(replaced, &at, HASH_FIND, NULL);

		if (r == NULL || r->origin == ROW_THERE_BEFORE)
			return false;
		if (r->origin == ROW_INSERTED_BY_CALL)
			return true;
		at = r->self;
	}
	return false;
}

/* Does the row hold a value in one of the columns? */
static bool
holds_value(TupleTableSlot *slot, CountedColumn *cols, int ncols)
{
	int			i;

	for (i = 0; i < ncols; i++)
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, cols[i].attnum, &isnull);

		if (isnull)
			continue;
		if (!cols[i].has_default)
			return true;

		/*
		 * Never fetch a value stored out of line: the guard may be counting
		 * while the server drops the relation, its TOAST table first.  A
		 * constant default is never stored that way.
		 */
		if (cols[i].typlen == -1 &&
			VARATT_IS_EXTERNAL(DatumGetPointer(value)))
			return true;
		if (!datum_image_eq(value, cols[i].defval, cols[i].typbyval,
							cols[i].typlen))
			return true;
	}
	return false;
}

/*
 * migrate_count_at_stake: how many rows of rel hold data that would be lost:
 * with no columns, the rows; with columns, the rows that hold a value (not
 * NULL, not the column's constant default) in one of them.  Rows the call
 * wrote do not count.  Counting stops at cap.  rel must be locked by the
 * caller with the lock the destroying statement takes.  Relations without
 * storage of their own hold nothing.
 */
int64
migrate_count_at_stake(Relation rel, MigrateCountColumn *given, int nattnums,
					   const MigrateOwnRows *own, int64 cap)
{
	MemoryContext tmpcxt;
	MemoryContext oldcxt;
	CountedColumn *cols;
	Snapshot	snapshot;
	TableScanDesc scan;
	TupleTableSlot *slot;
	HTAB	   *replaced = NULL;
	int64		n = 0;
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_MATVIEW)
		return 0;

	tmpcxt = AllocSetContextCreate(CurrentMemoryContext, "migrate count",
								   ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(tmpcxt);
	cols = palloc(sizeof(CountedColumn) * Max(nattnums, 1));
	for (i = 0; i < nattnums; i++)
	{
		cols[i].attnum = given[i].attnum;
		column_default(rel, &given[i], &cols[i]);
	}

	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (n < cap && table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		RowOrigin	origin;

		CHECK_FOR_INTERRUPTS();
		origin = slot_origin(slot, own);
		if (origin == ROW_INSERTED_BY_CALL)
			continue;
		if (nattnums > 0 && !holds_value(slot, cols, nattnums))
			continue;
		if (origin == ROW_UPDATED_BY_CALL)
		{
			/* rare: look at the versions only once it is needed */
			if (replaced == NULL)
				replaced = replaced_versions(rel, own);
			if (an_update_of_own_row(replaced, &slot->tts_tid))
				continue;
		}
		n++;
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snapshot);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(tmpcxt);
	return n;
}

/*
 * migrate_sequence_used: has sequence rel been used (nextval called, or
 * setval with is_called)?  Its state is then data (SPEC §8 rule 1): a
 * sequence made again starts over.  Read from the sequence's one tuple, as
 * the server itself reads it.
 */
bool
migrate_sequence_used(Relation rel, int64 *last_value)
{
	Buffer		buf;
	Page		page;
	ItemId		lp;
	HeapTupleHeader htup;
	Form_pg_sequence_data seq;
	bool		used;

	if (rel->rd_rel->relkind != RELKIND_SEQUENCE)
		return false;
	buf = ReadBuffer(rel, 0);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	lp = PageGetItemId(page, FirstOffsetNumber);
	htup = (HeapTupleHeader) PageGetItem(page, lp);
	seq = (Form_pg_sequence_data) ((char *) htup + htup->t_hoff);
	used = seq->is_called;
	*last_value = seq->last_value;
	UnlockReleaseBuffer(buf);
	return used;
}
