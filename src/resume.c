/*-------------------------------------------------------------------------
 *
 * resume.c
 *	  What a statement that runs at top level left behind when it was
 *	  interrupted (SPEC §10), and what to do before it runs again.  Each of
 *	  these statements commits in steps of its own, so an error, a cancel,
 *	  a lock timeout or a crash can stop it half done:
 *
 *	  - CREATE INDEX CONCURRENTLY leaves an INVALID index: it is dropped
 *		(DROP INDEX CONCURRENTLY) and built again, never skipped by IF NOT
 *		EXISTS.  A valid index of that name that the interrupted try made
 *		(newer than the transaction that recorded its start) means the
 *		build finished: the statement is done.
 *	  - DROP INDEX CONCURRENTLY leaves an invalid index, which running it
 *		again drops; an index already gone after a try means it is done.
 *	  - REINDEX CONCURRENTLY leaves invalid indexes named <index>_ccnew or
 *		<index>_ccold: they are dropped, and the REINDEX runs again.
 *	  - DETACH PARTITION CONCURRENTLY leaves the partition pending detach:
 *		ALTER TABLE ... DETACH PARTITION ... FINALIZE completes it.  A
 *		partition already detached after a try means it is done.
 *	  - VACUUM leaves nothing: it runs again.
 *
 *	  The statements this decides to run first are built as parse trees
 *	  (names quoted and qualified), never as text another role could shape.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "resume.h"

/* A statement to run before, for the message that says so */
static void
add_before(MigrateResume *r, Node *stmt, char *text)
{
	MigrateResumeStep *step = palloc(sizeof(MigrateResumeStep));

	step->stmt = stmt;
	step->text = text;

	r->before = lappend(r->before, step);
}

/* DROP INDEX CONCURRENTLY IF EXISTS nsp.name, as a parse tree */
static void
drop_index(MigrateResume *r, Oid indexid, const char *why)
{
	char	   *nsp = get_namespace_name(get_rel_namespace(indexid));
	char	   *name = get_rel_name(indexid);
	DropStmt   *drop = makeNode(DropStmt);

	if (nsp == NULL || name == NULL)
		return;					/* gone meanwhile */
	drop->removeType = OBJECT_INDEX;
	drop->objects = list_make1(list_make2(makeString(nsp), makeString(name)));
	drop->behavior = DROP_RESTRICT;
	drop->missing_ok = true;
	drop->concurrent = true;
	add_before(r, (Node *) drop,
			   psprintf("DROP INDEX CONCURRENTLY IF EXISTS %s (%s)",
						quote_qualified_identifier(nsp, name), why));
}

/* The index's pg_index row: valid?  false if it is no index */
static bool
index_state(Oid indexid, bool *valid)
{
	HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexid));

	if (!HeapTupleIsValid(tup))
		return false;
	*valid = ((Form_pg_index) GETSTRUCT(tup))->indisvalid;
	ReleaseSysCache(tup);
	return true;
}

/* Was relation relid made after transaction since (by the interrupted try)? */
static bool
made_since(Oid relid, TransactionId since)
{
	HeapTuple	tup;
	TransactionId xmin;

	if (!TransactionIdIsNormal(since))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return false;
	xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
	ReleaseSysCache(tup);
	return TransactionIdFollows(xmin, since);
}

/* The index a name list names, in the schema search, or InvalidOid */
static Oid
named_index(List *names)
{
	RangeVar   *rv = makeRangeVarFromNameList(names);

	return RangeVarGetRelid(rv, NoLock, true);
}

static void
resume_create_index(IndexStmt *stmt, bool attempted, TransactionId since,
					MigrateResume *r)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	Oid			indexid;
	bool		valid;

	if (!OidIsValid(relid) || stmt->idxname == NULL)
		return;					/* the statement says what is wrong */
	indexid = get_relname_relid(stmt->idxname, get_rel_namespace(relid));
	if (!OidIsValid(indexid) || !index_state(indexid, &valid))
		return;
	if (!valid)
		drop_index(r, indexid, "left invalid by an interrupted build");
	else if (attempted && made_since(indexid, since))
		r->done = true;
}

static void
resume_drop_index(DropStmt *stmt, bool attempted, MigrateResume *r)
{
	ListCell   *lc;

	if (!attempted)
		return;
	foreach(lc, stmt->objects)
		if (OidIsValid(named_index((List *) lfirst(lc))))
		return;
	r->done = true;				/* every index it drops is gone */
}

/* Does name end in suffix, then digits only? */
static bool
named_like(const char *name, const char *base, const char *suffix)
{
	size_t		nb = strlen(base);
	size_t		ns = strlen(suffix);
	const char *p;

	if (strncmp(name, base, nb) != 0 || strncmp(name + nb, suffix, ns) != 0)
		return false;
	for (p = name + nb + ns; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * The invalid indexes REINDEX CONCURRENTLY of index (or, with index
 * invalid, of every index of table) left on table: <index>_ccnew[N] and
 * <index>_ccold[N].
 */
static void
drop_reindex_leftovers(Oid tableid, Oid only_index, MigrateResume *r)
{
	Relation	rel = table_open(IndexRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *indexes = NIL;
	List	   *invalid = NIL;
	ListCell   *lc;
	ListCell   *lc2;

	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(tableid));
	scan = systable_beginscan(rel, IndexIndrelidIndexId, true, NULL, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_index ix = (Form_pg_index) GETSTRUCT(tup);

		indexes = lappend_oid(indexes, ix->indexrelid);
		if (!ix->indisvalid)
			invalid = lappend_oid(invalid, ix->indexrelid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	foreach(lc, invalid)
	{
		char	   *name = get_rel_name(lfirst_oid(lc));

		if (name == NULL)
			continue;
		foreach(lc2, indexes)
		{
			Oid base = lfirst_oid(lc2);
			char	   *basename;

			if (base == lfirst_oid(lc) ||
				(OidIsValid(only_index) && base !=only_index))
				continue;
			basename = get_rel_name(base);
			if (basename != NULL &&
				(named_like(name, basename, "_ccnew") ||
				 named_like(name, basename, "_ccold")))
			{
				drop_index(r, lfirst_oid(lc),
						   "left by an interrupted REINDEX CONCURRENTLY");
				break;
			}
		}
	}
}

static void
resume_reindex(ReindexStmt *stmt, MigrateResume *r)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);

	if (!OidIsValid(relid))
		return;
	if (stmt->kind == REINDEX_OBJECT_INDEX)
	{
		Oid			tableid = IndexGetRelation(relid, true);

		if (OidIsValid(tableid))
			drop_reindex_leftovers(tableid, relid, r);
	}
	else
		drop_reindex_leftovers(relid, InvalidOid, r);
}

/* The pg_inherits row of partition under parent: found, and pending? */
static bool
inherits_row(Oid partition, Oid parent, bool *pending)
{
	Relation	rel = table_open(InheritsRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	ScanKeyInit(&key, Anum_pg_inherits_inhrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(partition));
	scan = systable_beginscan(rel, InheritsRelidSeqnoIndexId, true, NULL, 1,
							  &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_inherits inh = (Form_pg_inherits) GETSTRUCT(tup);

		if (inh->inhparent == parent)
		{
			found = true;
			*pending = inh->inhdetachpending;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

static void
resume_detach(AlterTableStmt *stmt, bool attempted, MigrateResume *r)
{
	AlterTableCmd *cmd = linitial_node(AlterTableCmd, stmt->cmds);
	PartitionCmd *part = (PartitionCmd *) cmd->def;
	Oid			parent = RangeVarGetRelid(stmt->relation, NoLock, true);
	Oid			partition = RangeVarGetRelid(part->name, NoLock, true);
	bool		pending = false;

	if (list_length(stmt->cmds) != 1 || !OidIsValid(parent) ||
		!OidIsValid(partition))
		return;
	if (!inherits_row(partition, parent, &pending))
	{
		if (attempted)
			r->done = true;		/* detached by the interrupted try */
		return;
	}
	if (pending)
	{
		AlterTableStmt *finalize = copyObject(stmt);
		AlterTableCmd *fcmd = linitial_node(AlterTableCmd, finalize->cmds);

		fcmd->subtype = AT_DetachPartitionFinalize;
		((PartitionCmd *) fcmd->def)->concurrent = false;
		add_before(r, (Node *) finalize,
				   psprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE (left pending by an interrupted detach)",
							quote_qualified_identifier(get_namespace_name(get_rel_namespace(parent)),
													   get_rel_name(parent)),
							quote_qualified_identifier(get_namespace_name(get_rel_namespace(partition)),
													   get_rel_name(partition))));
		r->done = true;
	}
}

/*
 * migrate_resume_prepare: before statement stmt (one that runs at top
 * level) runs, what to run first and whether it is done already.
 * attempted says that an earlier try of it started and did not record its
 * end; since is the transaction that recorded that start, older than
 * anything the try made.
 */
void
migrate_resume_prepare(Node *stmt, bool attempted, TransactionId since,
					   MigrateResume *r)
{
	r->before = NIL;
	r->done = false;
	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			resume_create_index((IndexStmt *) stmt, attempted, since, r);
			break;
		case T_DropStmt:
			resume_drop_index((DropStmt *) stmt, attempted, r);
			break;
		case T_ReindexStmt:
			resume_reindex((ReindexStmt *) stmt, r);
			break;
		case T_AlterTableStmt:
			resume_detach((AlterTableStmt *) stmt, attempted, r);
			break;
		default:
			break;
	}
}
