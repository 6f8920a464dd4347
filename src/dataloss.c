/*-------------------------------------------------------------------------
 *
 * dataloss.c
 *	  The data-loss guard (SPEC §8): migrate_apply() and migrate_rollback()
 *	  refuse to destroy data unless the migration was registered with
 *	  data_loss_ok or the call allows data loss.
 *
 *	  What a statement removes is asked of the server itself: while a
 *	  guarded migration runs, the server tells the guard (hooks.c) of every
 *	  relation, column and sequence it drops and every table it truncates,
 *	  whatever the command and however it got there (CASCADE, DROP OWNED,
 *	  a DROP inside a DO block, partitions in another schema), just before
 *	  it removes it, under the locks it took for that.  The guard counts
 *	  what is there at that moment (datacount.c).  What DELETE, UPDATE,
 *	  MERGE and type changes destroy is read from the parse tree
 *	  (analyze.c) and counted just before the statement runs, after taking
 *	  the lock the statement takes.  Data is rows and values that existed
 *	  before the call: what the call itself inserted or added is not at
 *	  stake.
 *
 *	  A loss does not stop the call at once: the migrations go on, so that
 *	  one refusal at the end lists every statement of every migration of the
 *	  call that would destroy data (SPEC §8 rule 4); the refusal then rolls
 *	  the whole call back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "dataloss.h"

/* Migrations listed in one refusal before "and N more" */
#define MAX_LISTED_MIGRATIONS	20

/* One statement's loss of one relation's data */
typedef struct Finding
{
	char	   *id;				/* the migration */
	MigrateScriptKind kind;
	int			stmt_no;
	int			line;
	const char *command;
	char	   *what;			/* "2 rows of old.log" */
} Finding;

typedef struct CreatedColumn
{
	Oid			relid;
	AttrNumber	attnum;
} CreatedColumn;

/* A column default the server dropped, before the column it belongs to */
typedef struct DroppedDefault
{
	Oid			relid;
	AttrNumber	attnum;
	Node	   *expr;
} DroppedDefault;

/* The guard's state during one call of migrate_apply() or _rollback() */
static struct
{
	bool		in_call;
	MemoryContext cxt;			/* lives as long as the call */
	List	   *findings;		/* Finding * */
	List	   *created_rels;	/* relations the call created */
	List	   *created_cols;	/* columns it added, CreatedColumn * */
	List	   *own_xids;		/* transactions of the call already ended */
	CommandId	first_cid;		/* the call's first command */
	List	   *altered;		/* relations altered in this transaction */
	List	   *rewritten;		/* relations rewritten by an ended one */
	/* the migration running */
	const char *id;
	MigrateScriptKind kind;
	bool		guarded;
	/* its statement running, NULL between statements */
	MigrateStatement *stmt;
	int			stmt_no;
	List	   *truncated;		/* relations this statement truncates */
	List	   *defaults;		/* DroppedDefault *, by this statement */
	MemoryContextCallback gone; /* guard.cxt is gone: forget it all */
}			guard;

static void refuse(ErrorData *later) pg_attribute_noreturn();

static void
guard_gone(void *arg)
{
	memset(&guard, 0, sizeof(guard));
}

/*
 * migrate_dataloss_begin_call: a call that runs migrations starts.  Its
 * state lives in a memory context of the call's: however the call ends (an
 * error included), the state goes with the context.
 */
void
migrate_dataloss_begin_call(void)
{
	migrate_dataloss_forget();
	guard.cxt = AllocSetContextCreate(CurrentMemoryContext,
									  "migrate data-loss guard",
									  ALLOCSET_SMALL_SIZES);
	guard.gone.func = guard_gone;
	guard.gone.arg = NULL;
	MemoryContextRegisterResetCallback(guard.cxt, &guard.gone);
	guard.first_cid = GetCurrentCommandId(false);
	guard.in_call = true;
}

/* migrate_dataloss_forget: the call ended, one way or another */
void
migrate_dataloss_forget(void)
{
	if (guard.cxt != NULL)
		MemoryContextDelete(guard.cxt); /* clears guard */
	memset(&guard, 0, sizeof(guard));
}

void
migrate_dataloss_begin_migration(const char *id, MigrateScriptKind kind,
								 bool guarded)
{
	if (!guard.in_call)
		return;
	guard.id = MemoryContextStrdup(guard.cxt, id);
	guard.kind = kind;
	guard.guarded = guarded;
	guard.stmt = NULL;
}

void
migrate_dataloss_end_migration(void)
{
	guard.stmt = NULL;
	guard.guarded = false;
}

void
migrate_dataloss_mark(MigrateDataLossMark *mark)
{
	mark->findings = list_length(guard.findings);
	mark->created_rels = list_length(guard.created_rels);
	mark->created_cols = list_length(guard.created_cols);
}

void
migrate_dataloss_reset(const MigrateDataLossMark *mark)
{
	guard.findings = list_truncate(guard.findings, mark->findings);
	guard.created_rels = list_truncate(guard.created_rels, mark->created_rels);
	guard.created_cols = list_truncate(guard.created_cols, mark->created_cols);
}

static bool
created_rel(Oid relid)
{
	return list_member_oid(guard.created_rels, relid);
}

static bool
created_col(Oid relid, AttrNumber attnum)
{
	ListCell   *lc;

	foreach(lc, guard.created_cols)
	{
		CreatedColumn *c = (CreatedColumn *) lfirst(lc);

		if (c->relid == relid && c->attnum == attnum)
			return true;
	}
	return false;
}

/* Record that the statement running would destroy what */
static void
add_finding(const char *what)
{
	MemoryContext old = MemoryContextSwitchTo(guard.cxt);
	Finding    *f = palloc(sizeof(Finding));

	f->id = pstrdup(guard.id);
	f->kind = guard.kind;
	f->stmt_no = guard.stmt_no;
	f->line = guard.stmt->line;
	f->command = GetCommandTagName(CreateCommandTag(guard.stmt->stmt));
	f->what = pstrdup(what);
	guard.findings = lappend(guard.findings, f);
	MemoryContextSwitchTo(old);
}

static const char *
count_text(int64 n)
{
	return psprintf("%s" INT64_FORMAT " %s", n >= MIGRATE_COUNT_CAP ? "at least " : "",
					n, n == 1 ? "row" : "rows");
}

/*
 * Which rows of rel the call wrote itself.  A relation the call rewrote (a
 * type change, SET LOGGED) or truncated holds rows that all look written by
 * the call: none is taken for its own then.
 */
static void
own_rows(Relation rel, MigrateOwnRows *own)
{
	own->first_cid = guard.first_cid;
	own->own_xids = guard.own_xids;
	own->trust_xmin = rel->rd_firstRelfilenodeSubid == InvalidSubTransactionId &&
		!list_member_oid(guard.rewritten, RelationGetRelid(rel));
}

/*
 * migrate_dataloss_altered: the server altered relation relid while a
 * migration runs (a rewrite, if any, is known when the transaction ends).
 */
void
migrate_dataloss_altered(Oid relid)
{
	MemoryContext old;

	if (!guard.in_call || list_member_oid(guard.altered, relid))
		return;
	old = MemoryContextSwitchTo(guard.cxt);
	guard.altered = lappend_oid(guard.altered, relid);
	MemoryContextSwitchTo(old);
}

/*
 * migrate_dataloss_committing: a deploy is about to commit a transaction
 * of its own (SPEC §10).  What that transaction wrote stays the call's own
 * in the transactions to come: its id and those of its committed
 * subtransactions join the call's, and the relations it rewrote (whose
 * rows then all carry its id, like rows it wrote) are remembered as not to
 * be told apart by who wrote them.  Everything the next transaction writes
 * is the call's.
 */
void
migrate_dataloss_committing(void)
{
	TransactionId xid = GetCurrentTransactionIdIfAny();
	TransactionId *children;
	MemoryContext old;
	ListCell   *lc;
	int			n;
	int			i;

	if (!guard.in_call)
		return;
	old = MemoryContextSwitchTo(guard.cxt);
	if (TransactionIdIsValid(xid))
	{
		guard.own_xids = lappend_oid(guard.own_xids, (Oid) xid);
		n = xactGetCommittedChildren(&children);
		for (i = 0; i < n; i++)
			guard.own_xids = lappend_oid(guard.own_xids, (Oid) children[i]);
	}
	foreach(lc, guard.altered)
	{
		Relation	rel = try_relation_open(lfirst_oid(lc), NoLock);

		if (rel == NULL)
			continue;
		if (rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId &&
			!list_member_oid(guard.rewritten, RelationGetRelid(rel)))
			guard.rewritten = lappend_oid(guard.rewritten, RelationGetRelid(rel));
		relation_close(rel, NoLock);
	}
	list_free(guard.altered);
	guard.altered = NIL;
	guard.first_cid = FirstCommandId;
	MemoryContextSwitchTo(old);
}

/* migrate_dataloss_found: has the call found a loss so far? */
bool
migrate_dataloss_found(void)
{
	return guard.in_call && guard.findings != NIL;
}

/* migrate_dataloss_refuse_found: refuse now what the call found, if any */
void
migrate_dataloss_refuse_found(void)
{
	if (migrate_dataloss_found())
		refuse(NULL);
}

/* Rows of rel that would be lost: found, if any */
static void
count_rows(Relation rel)
{
	MigrateOwnRows own;
	int64		n;

	own_rows(rel, &own);
	n = migrate_count_at_stake(rel, NULL, 0, &own, MIGRATE_COUNT_CAP);

	if (n > 0)
		add_finding(psprintf("%s of %s", count_text(n),
							 migrate_relation_name(RelationGetRelid(rel))));
}

/* The default the server dropped for the column in this statement, if any */
static void
dropped_default(Oid relid, MigrateCountColumn *col)
{
	ListCell   *lc;

	col->default_known = false;
	col->default_expr = NULL;
	foreach(lc, guard.defaults)
	{
		DroppedDefault *d = (DroppedDefault *) lfirst(lc);

		if (d->relid == relid && d->attnum == col->attnum)
		{
			col->default_known = true;
			col->default_expr = d->expr;
		}
	}
}

/*
 * Values of rel's columns attnums that would be lost: found, if any.  For
 * a column the server drops, a value equal to the column's constant default
 * holds nothing (adding the column again gives it back); a value that an
 * UPDATE overwrites or a type change converts is at stake whatever it is.
 */
static void
count_values(Relation rel, AttrNumber *attnums, int n, bool dropped)
{
	StringInfoData cols;
	MigrateCountColumn *counted;
	MigrateOwnRows own;
	int64		rows;
	int			i;

	if (n == 0)
		return;
	counted = palloc(sizeof(MigrateCountColumn) * n);
	for (i = 0; i < n; i++)
	{
		counted[i].attnum = attnums[i];
		if (dropped)
			dropped_default(RelationGetRelid(rel), &counted[i]);
		else
		{
			counted[i].default_known = true;
			counted[i].default_expr = NULL;
		}
	}
	own_rows(rel, &own);
	rows = migrate_count_at_stake(rel, counted, n, &own, MIGRATE_COUNT_CAP);
	if (rows == 0)
		return;
	initStringInfo(&cols);
	for (i = 0; i < n; i++)
		appendStringInfo(&cols, "%s%s", i > 0 ? ", " : "",
						 quote_identifier(get_attname(RelationGetRelid(rel),
													  attnums[i], false)));
	add_finding(psprintf("%s with a value in %s %s of %s", count_text(rows),
						 n == 1 ? "column" : "columns", cols.data,
						 migrate_relation_name(RelationGetRelid(rel))));
}

/*
 * Before statement stmt runs: the data its DELETE, UPDATE, MERGE or type
 * change would destroy, counted after taking the lock the statement takes,
 * so that no row committed meanwhile is missed.  Relations created by the
 * call, and columns it added, hold nothing at stake.
 */
static void
check_before(MigrateStatement *stmt)
{
	List	   *created = NIL;
	ListCell   *lc;

	foreach(lc, migrate_analyze(stmt->stmt, &created))
	{
		MigrateEffect *e = (MigrateEffect *) lfirst(lc);
		List	   *rels;
		ListCell   *lc2;

		if (e->check != MIGRATE_CHECK_ROWS && e->check != MIGRATE_CHECK_VALUES)
			continue;
		if (!OidIsValid(e->relid) || e->created_here || created_rel(e->relid))
			continue;
		LockRelationOid(e->relid, e->lockmode);
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(e->relid)))
			continue;			/* dropped while we waited */
		rels = e->inh ? find_all_inheritors(e->relid, e->lockmode, NULL) :
			list_make1_oid(e->relid);

		foreach(lc2, rels)
		{
			Oid			relid = lfirst_oid(lc2);
			Relation	rel;

			if (created_rel(relid))
				continue;
			rel = relation_open(relid, NoLock);
			if (e->check == MIGRATE_CHECK_ROWS)
				count_rows(rel);
			else
			{
				AttrNumber *attnums = palloc(sizeof(AttrNumber) * list_length(e->columns));
				int			n = 0;
				ListCell   *lc3;

				foreach(lc3, e->columns)
				{
					AttrNumber	attnum = get_attnum(relid, (const char *) lfirst(lc3));

					if (attnum > 0 && !created_col(relid, attnum))
						attnums[n++] = attnum;
				}
				count_values(rel, attnums, n, false);
			}
			relation_close(rel, NoLock);
		}
	}
}

/*
 * migrate_dataloss_statement: statement stmt_no of the migration running is
 * about to run.  In a guarded migration, count what its DELETE, UPDATE,
 * MERGE or type change would destroy; what it drops or truncates is counted
 * as the server does it.
 */
void
migrate_dataloss_statement(MigrateStatement *stmt, int stmt_no)
{
	if (!guard.in_call)
		return;
	guard.stmt = stmt;
	guard.stmt_no = stmt_no;
	guard.truncated = NIL;
	guard.defaults = NIL;
	if (guard.guarded)
		check_before(stmt);
}

/* Is the guard looking at what the server does now? */
static bool
watching(void)
{
	return guard.in_call && guard.guarded && guard.stmt != NULL;
}

/*
 * migrate_dataloss_created: the server created a relation (subid 0) or
 * added a column to one, while a migration of the call ran.  Its data is
 * the call's own.
 */
void
migrate_dataloss_created(Oid classid, Oid objid, int subid)
{
	MemoryContext old;

	if (!guard.in_call || classid != RelationRelationId)
		return;
	old = MemoryContextSwitchTo(guard.cxt);
	if (subid == 0)
		guard.created_rels = lappend_oid(guard.created_rels, objid);
	else
	{
		CreatedColumn *c = palloc(sizeof(CreatedColumn));

		c->relid = objid;
		c->attnum = (AttrNumber) subid;
		guard.created_cols = lappend(guard.created_cols, c);
	}
	MemoryContextSwitchTo(old);
}

/*
 * The server is about to drop a column default: it drops the default before
 * its column (the default depends on it), so keep the default's expression
 * for the count of the column's values.
 */
static void
note_dropped_default(Oid attrdefoid)
{
	Relation	catalog = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_attrdef_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(attrdefoid));
	scan = systable_beginscan(catalog, AttrDefaultOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_attrdef ad = (Form_pg_attrdef) GETSTRUCT(tup);
		bool		isnull;
		Datum		bin = heap_getattr(tup, Anum_pg_attrdef_adbin,
									   RelationGetDescr(catalog), &isnull);
		MemoryContext old = MemoryContextSwitchTo(guard.cxt);
		DroppedDefault *d = palloc(sizeof(DroppedDefault));

		d->relid = ad->adrelid;
		d->attnum = ad->adnum;
		d->expr = isnull ? NULL : stringToNode(TextDatumGetCString(bin));
		guard.defaults = lappend(guard.defaults, d);
		MemoryContextSwitchTo(old);
	}
	systable_endscan(scan);
	table_close(catalog, AccessShareLock);
}

/*
 * migrate_dataloss_dropped: the server is about to drop a relation (subid
 * 0) or a column of one, under the lock it took for that.  Count the rows
 * of a table or materialized view, the values of a column, the state of a
 * used sequence.
 */
void
migrate_dataloss_dropped(Oid classid, Oid objid, int subid)
{
	Relation	rel;

	if (!watching())
		return;
	if (classid == AttrDefaultRelationId)
	{
		note_dropped_default(objid);
		return;
	}
	if (classid != RelationRelationId || created_rel(objid))
		return;
	if (subid > 0 && created_col(objid, (AttrNumber) subid))
		return;

	rel = relation_open(objid, NoLock);
	if (subid > 0)
	{
		AttrNumber	attnum = (AttrNumber) subid;

		count_values(rel, &attnum, 1, true);
	}
	else if (rel->rd_rel->relkind == RELKIND_SEQUENCE)
	{
		int64		last;

		if (migrate_sequence_used(rel, &last))
			add_finding(psprintf("the state of sequence %s (last value " INT64_FORMAT ")",
								 migrate_relation_name(objid), last));
	}
	else
		count_rows(rel);
	relation_close(rel, NoLock);
}

/*
 * migrate_dataloss_truncated: the server is about to truncate a table
 * (TRUNCATE, and every table its CASCADE reaches).  For the tables named
 * in the statement the server asks before it locks them: take the lock
 * TRUNCATE takes first.
 */
void
migrate_dataloss_truncated(Oid relid)
{
	Relation	rel;
	MemoryContext old;

	migrate_dataloss_altered(relid);
	if (!watching() || created_rel(relid) ||
		list_member_oid(guard.truncated, relid))
		return;
	old = MemoryContextSwitchTo(guard.cxt);
	guard.truncated = lappend_oid(guard.truncated, relid);
	MemoryContextSwitchTo(old);

	LockRelationOid(relid, AccessExclusiveLock);
	rel = relation_open(relid, NoLock);
	count_rows(rel);
	relation_close(rel, NoLock);
}

/*
 * The refusal: every statement that would destroy data, grouped by
 * migration and statement.  later, if not NULL, is the error that ended
 * the call after the losses were found.
 */
static void
refuse(ErrorData *later)
{
	StringInfoData detail;
	const char *first_id = NULL;
	int			nmigrations = 0;
	Finding    *prev = NULL;
	ListCell   *lc;

	initStringInfo(&detail);
	foreach(lc, guard.findings)
	{
		Finding    *f = (Finding *) lfirst(lc);
		bool		same_migration = prev != NULL &&
		strcmp(prev->id, f->id) == 0 && prev->kind == f->kind;

		if (!same_migration)
		{
			nmigrations++;
			if (first_id == NULL)
				first_id = pstrdup(f->id);
			if (nmigrations > MAX_LISTED_MIGRATIONS)
				continue;
			appendStringInfo(&detail, "%sMigration \"%s\", %s script: statement %d (%s, line %d) would destroy %s",
							 prev != NULL ? ".\n" : "", f->id,
							 migrate_script_name(f->kind), f->stmt_no,
							 f->command, f->line, f->what);
		}
		else if (nmigrations > MAX_LISTED_MIGRATIONS)
			continue;
		else if (prev->stmt_no == f->stmt_no)
			appendStringInfo(&detail, " and %s", f->what);
		else
			appendStringInfo(&detail, "; statement %d (%s, line %d) would destroy %s",
							 f->stmt_no, f->command, f->line, f->what);
		prev = f;
	}
	appendStringInfoChar(&detail, '.');
	if (nmigrations > MAX_LISTED_MIGRATIONS)
		appendStringInfo(&detail, "\nAnd %d more migrations.",
						 nmigrations - MAX_LISTED_MIGRATIONS);
	if (later != NULL)
		appendStringInfo(&detail, "\nThen this error stopped the call, and nothing after it was looked at: %s",
						 later->message);

	migrate_dataloss_forget();
	if (nmigrations == 1)
		ereport(ERROR,
				(errcode(ERRCODE_RESTRICT_VIOLATION),
				 errmsg("migration \"%s\" would destroy data", first_id),
				 errdetail_internal("%s", detail.data),
				 errhint("If the loss is intended, register the migration with data_loss_ok => true, or pass allow_data_loss => true to this call.")));
	ereport(ERROR,
			(errcode(ERRCODE_RESTRICT_VIOLATION),
			 errmsg("%d migrations of this call would destroy data", nmigrations),
			 errdetail_internal("%s", detail.data),
			 errhint("If the loss is intended, register those migrations with data_loss_ok => true, or pass allow_data_loss => true to this call.")));
}

/*
 * migrate_dataloss_end_call: the call ran all its migrations.  If any of
 * them would destroy data, refuse: one error lists them all, and the call
 * is rolled back with it.
 */
void
migrate_dataloss_end_call(void)
{
	if (guard.in_call && guard.findings != NIL)
		refuse(NULL);
	migrate_dataloss_forget();
}

/*
 * migrate_dataloss_fail_call: the call failed with edata.  If losses were
 * found before, the refusal is the error to report (the failure may follow
 * from them), with edata's message; otherwise edata itself.
 */
void
migrate_dataloss_fail_call(ErrorData *edata)
{
	if (guard.in_call && guard.findings != NIL)
		refuse(edata);
	migrate_dataloss_forget();
	ReThrowError(edata);
}
