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
 * expressions are not evaluated: their values count as data.
 */
static void
column_default(Relation rel, CountedColumn *col)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), col->attnum - 1);
	int			i;

	col->has_default = false;
	col->typbyval = att->attbyval;
	col->typlen = att->attlen;
	if (constr == NULL)
		return;
	for (i = 0; i < constr->num_defval; i++)
	{
		Node	   *expr;

		if (constr->defval[i].adnum != col->attnum)
			continue;
		expr = stringToNode(constr->defval[i].adbin);
		if (IsA(expr, Const) && !((Const *) expr)->constisnull)
		{
			col->has_default = true;
			col->defval = ((Const *) expr)->constvalue;
		}
		return;
	}
}

/*
 * Was this row written by the call itself?  Rows the call inserted are no
 * data at stake (SPEC §8 rule 1): those its transaction wrote, and those
 * written by the call's earlier transactions, own_xids.  A row version made
 * by an UPDATE may stand for a row that existed before, so it counts.
 * Tuples of access methods other than heap always count.
 */
static bool
written_by_call(TupleTableSlot *slot, List *own_xids)
{
	HeapTupleHeader htup;
	TransactionId xmin;
	ListCell   *lc;

	if (!TTS_IS_BUFFERTUPLE(slot))
		return false;
	htup = ((BufferHeapTupleTableSlot *) slot)->base.tuple->t_data;
	if (htup->t_infomask & HEAP_UPDATED)
		return false;
	xmin = HeapTupleHeaderGetXmin(htup);
	if (TransactionIdIsCurrentTransactionId(xmin))
		return true;
	foreach(lc, own_xids)
	{
		if (TransactionIdEquals(xmin, (TransactionId) lfirst_oid(lc)))
			return true;
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
migrate_count_at_stake(Relation rel, AttrNumber *attnums, int nattnums,
					   List *own_xids, int64 cap)
{
	MemoryContext tmpcxt;
	MemoryContext oldcxt;
	CountedColumn *cols;
	Snapshot	snapshot;
	TableScanDesc scan;
	TupleTableSlot *slot;
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
		cols[i].attnum = attnums[i];
		column_default(rel, &cols[i]);
	}

	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (n < cap && table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		if (written_by_call(slot, own_xids))
			continue;
		if (nattnums == 0 || holds_value(slot, cols, nattnums))
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
