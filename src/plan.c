/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  migrate_plan(): one row per statement and relation of every pending
 *	  migration up to a target, with what analyze.c predicts.  With execute,
 *	  the migrations also run, in a subtransaction that is always rolled
 *	  back, and each row adds the locks the backend really acquired (from
 *	  the lock manager), the statement's time, and where the two disagree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "portability/instr_time.h"
#include "storage/lock.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "migrate.h"

/* the columns of 0.2; 0.3 adds the statement's text */
#define PLAN_COLS_0_2	16
#define PLAN_COLS	17

typedef struct PlanContext
{
	const MigrateCatalog *cat;
	List	   *chosen;
	bool		execute;
	bool		rollback;		/* the down scripts */
	Tuplestorestate *store;
	TupleDesc	desc;
	List	   *created;		/* relations created earlier in the plan */
} PlanContext;

/* A relation lock held by this backend: which modes */
typedef struct HeldLock
{
	Oid			relid;
	LOCKMASK	mask;
} HeldLock;

/* The relation locks this backend holds in this database */
static List *
held_relation_locks(void)
{
	LockData   *data = GetLockStatusData();
	List	   *held = NIL;
	int			i;

	for (i = 0; i < data->nelements; i++)
	{
		LockInstanceData *li = &data->locks[i];
		HeldLock   *h;

		if (li->pid != MyProcPid || li->holdMask == 0 ||
			li->locktag.locktag_type != LOCKTAG_RELATION ||
			li->locktag.locktag_field1 != MyDatabaseId)
			continue;
		h = palloc(sizeof(HeldLock));
		h->relid = li->locktag.locktag_field2;
		h->mask = li->holdMask;
		held = lappend(held, h);
	}
	pfree(data->locks);
	pfree(data);
	return held;
}

static LOCKMASK
mask_of(List *held, Oid relid)
{
	ListCell   *lc;
	LOCKMASK	mask = 0;

	foreach(lc, held)
	{
		HeldLock   *h = (HeldLock *) lfirst(lc);

		if (h->relid == relid)
			mask |= h->mask;
	}
	return mask;
}

static LOCKMODE
strongest(LOCKMASK mask)
{
	LOCKMODE	m;

	for (m = MaxLockMode; m > NoLock; m--)
		if (mask & LOCKBIT_ON(m))
			return m;
	return NoLock;
}

static const char *
mode_name(LOCKMODE mode)
{
	return mode == NoLock ? NULL : GetLockmodeName(DEFAULT_LOCKMETHOD, mode);
}

/*
 * Locks the statement acquired: in after and not in before, on tables,
 * materialized views and partitioned tables that existed before this
 * transaction (new ones carry no risk and are not worth a row).
 */
static List *
acquired_locks(List *before, List *after)
{
	List	   *acquired = NIL;
	ListCell   *lc;

	foreach(lc, after)
	{
		HeldLock   *h = (HeldLock *) lfirst(lc);
		LOCKMASK	gained = h->mask & ~mask_of(before, h->relid);
		char		kind;
		Relation	rel;
		bool		is_new;
		HeldLock   *a;

		if (gained == 0 || h->relid < FirstNormalObjectId)
			continue;
		kind = get_rel_relkind(h->relid);
		if (kind != RELKIND_RELATION && kind != RELKIND_MATVIEW &&
			kind != RELKIND_PARTITIONED_TABLE)
			continue;
		rel = RelationIdGetRelation(h->relid);
		if (!RelationIsValid(rel))
			continue;
		is_new = rel->rd_createSubid != InvalidSubTransactionId;
		RelationClose(rel);
		if (is_new)
			continue;
		a = palloc(sizeof(HeldLock));
		a->relid = h->relid;
		a->mask = gained;
		acquired = lappend(acquired, a);
	}
	return acquired;
}

static void
put_row(PlanContext *pc, const char *id, MigrateStatement *st, int stmt_no,
		const char *command, MigrateEffect *e, const char *observed,
		int64 usecs, const char *mismatch)
{
	int			line = st->line;
	Datum		values[PLAN_COLS];
	bool		nulls[PLAN_COLS];
	const char *lockname = mode_name(e->lockmode);

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(id);
	values[1] = Int32GetDatum(stmt_no);
	values[2] = Int32GetDatum(line);
	values[3] = CStringGetTextDatum(command);
	if (e->relname)
		values[4] = CStringGetTextDatum(e->relname);
	else
		nulls[4] = true;
	if (lockname)
		values[5] = CStringGetTextDatum(lockname);
	else
		nulls[5] = true;
	values[6] = BoolGetDatum(e->rewrites);
	values[7] = BoolGetDatum(e->scans);
	values[8] = BoolGetDatum(e->destroys);
	if (e->rows >= 0)
		values[9] = Int64GetDatum(e->rows);
	else
		nulls[9] = true;
	if (e->pages >= 0)
		values[10] = Int64GetDatum(e->pages * (int64) BLCKSZ);
	else
		nulls[10] = true;
	values[11] = CStringGetTextDatum(migrate_risk_name(e->risk));
	if (e->advice)
		values[12] = CStringGetTextDatum(e->advice);
	else
		nulls[12] = true;
	if (observed)
	{
		values[13] = CStringGetTextDatum(observed);
		values[14] = IntervalPGetDatum(migrate_usecs_interval(usecs));
	}
	else
		nulls[13] = nulls[14] = true;
	if (mismatch)
		values[15] = CStringGetTextDatum(mismatch);
	else
		nulls[15] = true;
	/* a database still at 0.2 declares the function without it */
	if (pc->desc->natts >= PLAN_COLS)
		values[16] = CStringGetTextDatum(st->text);
	else
		Assert(pc->desc->natts == PLAN_COLS_0_2);
	tuplestore_putvalues(pc->store, pc->desc, values, nulls);
}

/*
 * What the statement did to relid: the modes it acquired, or the lock the
 * transaction already held on it (a lock is taken once per transaction).
 * Sets *mismatch when the prediction is not what happened: the statement
 * ended up holding less than predicted, or newly took a stronger mode.
 */
static char *
observed_on(Oid relid, LOCKMODE predicted, List *before, List *after,
			char **mismatch)
{
	LOCKMASK	held = mask_of(after, relid);
	LOCKMASK	gained = held & ~mask_of(before, relid);
	StringInfoData buf;
	LOCKMODE	m;

	initStringInfo(&buf);
	for (m = 1; m <= MaxLockMode; m++)
		if (gained & LOCKBIT_ON(m))
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", mode_name(m));
	if (gained == 0 && held != 0)
		appendStringInfo(&buf, "held already: %s", mode_name(strongest(held)));

	*mismatch = NULL;
	if (strongest(held) < predicted)
		*mismatch = psprintf("predicted %s, observed %s", mode_name(predicted),
							 held == 0 ? "no lock" : mode_name(strongest(held)));
	else if (strongest(gained) > predicted)
		*mismatch = psprintf("predicted %s, took %s",
							 predicted == NoLock ? "no lock" : mode_name(predicted),
							 mode_name(strongest(gained)));
	return buf.data;
}

/*
 * Rows of one statement; if it ran, with the locks held before and after
 * it and its time.
 */
static void
plan_statement(PlanContext *pc, const char *id, int stmt_no,
			   MigrateStatement *st, List *effects, bool ran,
			   List *before, List *after, int64 usecs)
{
	const char *command = GetCommandTagName(CreateCommandTag(st->stmt));
	StringInfoData extra;
	ListCell   *lc;
	bool		first = true;

	/* locks on existing tables that no effect predicted go to the first row */
	initStringInfo(&extra);
	if (ran)
	{
		foreach(lc, acquired_locks(before, after))
		{
			HeldLock   *a = (HeldLock *) lfirst(lc);
			ListCell   *lc2;
			bool		predicted = false;

			foreach(lc2, effects)
			{
				if (((MigrateEffect *) lfirst(lc2))->relid == a->relid)
					predicted = true;
			}
			if (!predicted)
				appendStringInfo(&extra, "%s%s on %s", extra.len > 0 ? ", " : "",
								 mode_name(strongest(a->mask)),
								 migrate_relation_name(a->relid));
		}
	}

	foreach(lc, effects)
	{
		MigrateEffect *e = (MigrateEffect *) lfirst(lc);
		char	   *observed = NULL;
		char	   *mismatch = NULL;

		if (ran)
			observed = OidIsValid(e->relid) ?
				observed_on(e->relid, e->lockmode, before, after, &mismatch) :
				"";
		if (first && extra.len > 0)
			mismatch = psprintf("%s%snot predicted: %s", mismatch ? mismatch : "",
								mismatch ? "; " : "", extra.data);
		put_row(pc, id, st, stmt_no, command, e, observed, usecs, mismatch);
		first = false;
	}
}

/* Plan (and, with execute, run) one migration */
static void
plan_migration(PlanContext *pc, MigrateEntry *entry)
{
	MigrateRow *row = migrate_catalog_fetch(entry->id);
	MigrateScriptKind kind = pc->rollback ? MIGRATE_SCRIPT_DOWN : MIGRATE_SCRIPT_UP;
	MigrateScript *script;
	MigrateExecState st;
	int			nestlevel;
	int			i;

	if (row == NULL)
		elog(ERROR, "migration \"%s\" vanished from migrate.migration", entry->id);
	script = migrate_script_parse(entry->id, kind,
								  pc->rollback ? row->down_sql : row->up_sql,
								  row->transactional);

	nestlevel = NewGUCNestLevel();
	migrate_exec_begin(&st, entry->id, kind);
	if (pc->execute)
		migrate_script_begin();
	PG_TRY();
	{
		for (i = 0; i < script->nstmts; i++)
		{
			MigrateStatement *stmt = &script->stmts[i];
			List	   *effects;

			st.stmt_no = i + 1;
			st.stmt_line = stmt->line;
			effects = migrate_analyze(stmt->stmt, &pc->created);
			/* one that runs at top level cannot run here: it is analyzed */
			if (pc->execute && !stmt->toplevel)
			{
				List	   *before = held_relation_locks();
				List	   *after;
				instr_time	t0;
				instr_time	elapsed;

				INSTR_TIME_SET_CURRENT(t0);
				migrate_exec_statement(&st, stmt, i + 1);
				INSTR_TIME_SET_CURRENT(elapsed);
				INSTR_TIME_SUBTRACT(elapsed, t0);
				after = held_relation_locks();
				plan_statement(pc, entry->id, i + 1, stmt, effects, true,
							   before, after, INSTR_TIME_GET_MICROSEC(elapsed));
			}
			else
			{
				/* names later statements resolve depend on SET search_path */
				if (IsA(stmt->stmt, VariableSetStmt) &&
					((VariableSetStmt *) stmt->stmt)->name != NULL &&
					strcmp(((VariableSetStmt *) stmt->stmt)->name, "search_path") == 0)
					ExecSetVariableStmt((VariableSetStmt *) stmt->stmt, false);
				plan_statement(pc, entry->id, i + 1, stmt, effects, false,
							   NIL, NIL, 0);
			}
		}
	}
	PG_FINALLY();
	{
		if (pc->execute)
			migrate_script_end();
	}
	PG_END_TRY();
	migrate_exec_end(&st);
	AtEOXact_GUC(false, nestlevel);
}

static void
plan_all(void *arg)
{
	PlanContext *pc = (PlanContext *) arg;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext percxt = AllocSetContextCreate(outer, "migrate plan",
												 ALLOCSET_DEFAULT_SIZES);
	ListCell   *lc;

	foreach(lc, pc->chosen)
	{
		MemoryContextSwitchTo(percxt);
		plan_migration(pc, &pc->cat->entries[lfirst_int(lc)]);
		MemoryContextSwitchTo(outer);
		/* the names created so far must outlive the reset */
		pc->created = copyObject(pc->created);
		MemoryContextReset(percxt);
	}
	MemoryContextDelete(percxt);
}

/*
 * migrate_plan_rows: the rows of migrate_plan() for the chosen migrations,
 * into store.
 */
void
migrate_plan_rows(const MigrateCatalog *cat, List *chosen, bool execute,
				  bool rollback, Tuplestorestate *store, TupleDesc desc)
{
	PlanContext pc;

	pc.cat = cat;
	pc.chosen = chosen;
	pc.execute = execute;
	pc.rollback = rollback;
	pc.store = store;
	pc.desc = desc;
	pc.created = NIL;
	if (execute)
		migrate_rolled_back(plan_all, &pc);
	else
		plan_all(&pc);
}
