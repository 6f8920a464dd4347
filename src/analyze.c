/*-------------------------------------------------------------------------
 *
 * analyze.c
 *	  What a statement of a migration does to the relations that exist now:
 *	  the lock it takes on each (the server's own lock level computation for
 *	  ALTER TABLE), whether it rewrites the table, scans it while holding a
 *	  lock that blocks writes, or destroys data, the relation's size, a risk
 *	  level and advice (SPEC §8).  Read from the raw parse tree and the live
 *	  catalogs; nothing is executed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/tablecmds.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "storage/lmgr.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "migrate.h"

/* A relation of more rows than this, rewritten or scanned under a lock, is high risk */
#define BIG_TABLE_ROWS		10000
/* ... or of more pages than this (8 MB), when its row count is unknown */
#define BIG_TABLE_PAGES		1024

typedef struct Analysis
{
	List	   *effects;		/* MigrateEffect * */
	List	  **created;		/* names created earlier in the migration */
} Analysis;

static const char *
qualified_name(RangeVar *rv)
{
	if (rv->schemaname)
		return psprintf("%s.%s", rv->schemaname, rv->relname);
	return pstrdup(rv->relname);
}

/*
 * The relation rv names now, or InvalidOid: looked up without a lock and
 * without checking any privilege, so that analysis never fails where the
 * statement itself would (the statement checks its privileges when it runs).
 */
static Oid
lookup_relation(RangeVar *rv)
{
	if (rv->schemaname != NULL)
	{
		Oid			nsp = get_namespace_oid(rv->schemaname, true);

		return OidIsValid(nsp) ? get_relname_relid(rv->relname, nsp) : InvalidOid;
	}
	return RelnameGetRelid(rv->relname);
}

/* Was rv created by an earlier statement of the same migration? */
static bool
created_here(Analysis *an, RangeVar *rv)
{
	ListCell   *lc;

	foreach(lc, *an->created)
	{
		RangeVar   *c = (RangeVar *) lfirst(lc);

		if (strcmp(c->relname, rv->relname) == 0 &&
			(c->schemaname == NULL || rv->schemaname == NULL ||
			 strcmp(c->schemaname, rv->schemaname) == 0))
			return true;
	}
	return false;
}

static void
note_created(Analysis *an, RangeVar *rv)
{
	if (rv != NULL)
		*an->created = lappend(*an->created, copyObject(rv));
}

/* A new effect on rv (which may not exist) with lock mode lockmode */
static MigrateEffect *
add_effect(Analysis *an, RangeVar *rv, LOCKMODE lockmode)
{
	MigrateEffect *e = palloc0(sizeof(MigrateEffect));

	e->lockmode = lockmode;
	e->rows = -1;
	e->pages = -1;
	if (rv != NULL)
	{
		e->relname = qualified_name(rv);
		e->created_here = created_here(an, rv);
		if (!e->created_here)
			e->relid = lookup_relation(rv);
	}
	an->effects = lappend(an->effects, e);
	return e;
}

/* A relation's name as a DBA would write it: qualified unless visible */
const char *
migrate_relation_name(Oid relid)
{
	if (RelationIsVisible(relid))
		return quote_identifier(get_rel_name(relid));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* An effect on an existing relation known by oid (an index's table...) */
static MigrateEffect *
add_effect_oid(Analysis *an, Oid relid, LOCKMODE lockmode)
{
	MigrateEffect *e = palloc0(sizeof(MigrateEffect));

	e->lockmode = lockmode;
	e->rows = -1;
	e->pages = -1;
	e->relid = relid;
	e->relname = migrate_relation_name(relid);
	an->effects = lappend(an->effects, e);
	return e;
}

static void
set_advice(MigrateEffect *e, const char *advice)
{
	if (e->advice == NULL)
		e->advice = advice;
	else
		e->advice = psprintf("%s %s", e->advice, advice);
}

/* Does a raw expression call a volatile function (by name, conservatively)? */
static bool
volatile_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall))
	{
		FuncCall   *fc = (FuncCall *) node;
		FuncCandidateList c;

		c = FuncnameGetCandidates(fc->funcname, -1, NIL, false, false, false, true);
		for (; c != NULL; c = c->next)
		{
			if (func_volatile(c->oid) == PROVOLATILE_VOLATILE)
				return true;
		}
	}
	return raw_expression_tree_walker(node, volatile_walker, context);
}

static bool
is_serial(TypeName *tn)
{
	const char *name;

	if (tn == NULL || list_length(tn->names) != 1)
		return false;
	name = strVal(linitial(tn->names));
	return strcmp(name, "serial") == 0 || strcmp(name, "bigserial") == 0 ||
		strcmp(name, "smallserial") == 0 || strcmp(name, "serial4") == 0 ||
		strcmp(name, "serial8") == 0 || strcmp(name, "serial2") == 0;
}

/* The values of column colname are at stake in effect e */
static void
values_at_stake(MigrateEffect *e, const char *colname)
{
	e->destroys = true;
	e->check = MIGRATE_CHECK_VALUES;
	e->columns = lappend(e->columns, pstrdup(colname));
}

static bool
reads_column_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef))
	{
		ColumnRef  *ref = (ColumnRef *) node;
		Node	   *last = llast(ref->fields);

		if (IsA(last, String) && strcmp(strVal(last), (const char *) context) == 0)
			return true;
	}
	return raw_expression_tree_walker(node, reads_column_walker, context);
}

/* Does a raw expression read column colname (by name, conservatively)? */
static bool
reads_column(Node *expr, const char *colname)
{
	return reads_column_walker(expr, (void *) colname);
}

static bool
reads_any_column_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef) || IsA(node, SubLink) || IsA(node, ParamRef))
		return true;
	return raw_expression_tree_walker(node, reads_any_column_walker, context);
}

/*
 * Is a condition the same for every row: absent, or reading no column (WHERE
 * true, WHERE 1 = 1)?  Then a DELETE or UPDATE under it takes every row or
 * none, and is counted as taking every row.  A subquery counts as reading
 * columns.
 */
static bool
constant_condition(Node *cond)
{
	return cond == NULL || !reads_any_column_walker(cond, NULL);
}

/* ALTER TABLE ... ADD COLUMN */
static void
analyze_add_column(Analysis *an, MigrateEffect *e, ColumnDef *col)
{
	ListCell   *lc;
	bool		has_default = false;
	bool		not_null = false;

	if (is_serial(col->typeName))
	{
		e->rewrites = true;
		set_advice(e, "A serial column fills every existing row: add a nullable column, attach a sequence default, then backfill in batches.");
	}
	foreach(lc, col->constraints)
	{
		Constraint *c = (Constraint *) lfirst(lc);

		switch (c->contype)
		{
			case CONSTR_DEFAULT:
				has_default = true;
				if (volatile_walker(c->raw_expr, NULL))
				{
					e->rewrites = true;
					set_advice(e, "A volatile default is computed for every existing row, rewriting the table: add the column without a default, set the default, then backfill in batches.");
				}
				break;
			case CONSTR_IDENTITY:
			case CONSTR_GENERATED:
				e->rewrites = true;
				set_advice(e, "An identity or stored generated column fills every existing row, rewriting the table: add a plain column and backfill in batches.");
				break;
			case CONSTR_NOTNULL:
				not_null = true;
				break;
			case CONSTR_PRIMARY:
			case CONSTR_UNIQUE:
			case CONSTR_EXCLUSION:
			case CONSTR_CHECK:
				e->scans = true;
				set_advice(e, "Add the column first, then its constraint: CHECK ... NOT VALID and VALIDATE CONSTRAINT, or a unique index built beforehand.");
				break;
			case CONSTR_FOREIGN:
				e->scans = true;
				set_advice(e, "Add the column first, then the foreign key with NOT VALID, then VALIDATE CONSTRAINT.");
				if (c->pktable)
				{
					MigrateEffect *ref = add_effect(an, c->pktable, ShareRowExclusiveLock);

					set_advice(ref, "The referenced table is locked against writes while the foreign key is added.");
				}
				break;
			default:
				break;
		}
	}
	if (not_null && !has_default)
	{
		e->scans = true;
		set_advice(e, "NOT NULL without a default fails on a table that has rows: add a nullable column, backfill, then add a CHECK (... IS NOT NULL) NOT VALID, validate it, and SET NOT NULL.");
	}
}

/* Type of column colname of relid, or false */
static bool
column_type(Oid relid, const char *colname, Oid *type, int32 *typmod)
{
	HeapTuple	tup = SearchSysCacheAttName(relid, colname);
	Form_pg_attribute att;

	if (!HeapTupleIsValid(tup))
		return false;
	att = (Form_pg_attribute) GETSTRUCT(tup);
	*type = att->atttypid;
	*typmod = att->atttypmod;
	ReleaseSysCache(tup);
	return true;
}

/* Is old -> new a conversion that keeps every value? */
static bool
widening(Oid from, Oid to)
{
	static const Oid pairs[][2] = {
		{INT2OID, INT4OID}, {INT2OID, INT8OID}, {INT4OID, INT8OID},
		{INT2OID, NUMERICOID}, {INT4OID, NUMERICOID}, {INT8OID, NUMERICOID},
		{FLOAT4OID, FLOAT8OID}, {INT2OID, FLOAT8OID}, {INT4OID, FLOAT8OID},
		{DATEOID, TIMESTAMPOID}, {DATEOID, TIMESTAMPTZOID},
		{TIMESTAMPOID, TIMESTAMPTZOID}, {TIMEOID, TIMETZOID},
	};
	int			i;

	if (to == TEXTOID)
		return true;
	for (i = 0; i < lengthof(pairs); i++)
		if (pairs[i][0] == from && pairs[i][1] == to)
			return true;
	return false;
}

/* ALTER TABLE ... ALTER COLUMN ... TYPE */
static void
analyze_alter_type(MigrateEffect *e, const char *colname, ColumnDef *def)
{
	Oid			oldtype;
	int32		oldmod;
	Oid			newtype;
	int32		newmod;
	Type		t;

	if (!OidIsValid(e->relid) || !column_type(e->relid, colname, &oldtype, &oldmod))
	{
		e->rewrites = true;
		return;
	}
	if (def->raw_default != NULL && !reads_column(def->raw_default, colname))
	{
		/* USING NULL, USING 0...: the old values are not carried over */
		e->rewrites = true;
		values_at_stake(e, colname);
		set_advice(e, "The USING expression does not read the column, so its values are replaced: copy them to a new column first if they are needed.");
		return;
	}
	t = LookupTypeName(NULL, def->typeName, &newmod, true);
	if (t == NULL)
	{
		e->rewrites = true;
		return;
	}
	newtype = ((Form_pg_type) GETSTRUCT(t))->oid;
	ReleaseSysCache(t);

	if (oldtype == newtype || IsBinaryCoercible(oldtype, newtype))
	{
		bool		narrower = false;

		if (oldtype == newtype && newmod >= 0 && oldmod >= 0 &&
			newtype == NUMERICOID)
		{
			int			oldprec = ((oldmod - VARHDRSZ) >> 16) & 0xffff;
			int			oldscale = (oldmod - VARHDRSZ) & 0xffff;
			int			newprec = ((newmod - VARHDRSZ) >> 16) & 0xffff;
			int			newscale = (newmod - VARHDRSZ) & 0xffff;

			narrower = newscale < oldscale || newprec - newscale < oldprec - oldscale;
			e->rewrites = newscale != oldscale || newprec < oldprec;
		}
		else if (newmod >= 0 && (oldmod < 0 || newmod < oldmod))
		{
			narrower = true;
			e->rewrites = true;
		}
		else if (oldtype == newtype && newmod >= 0 && newmod != oldmod &&
				 newtype != VARCHAROID && newtype != BPCHAROID &&
				 newtype != BITOID && newtype != VARBITOID)
			e->rewrites = true;
		if (narrower)
		{
			values_at_stake(e, colname);
			set_advice(e, "Narrowing a type fails on or alters values that do not fit: add a new column of the new type, backfill and check it, then switch over.");
		}
	}
	else
	{
		e->rewrites = true;
		if (!widening(oldtype, newtype))
		{
			values_at_stake(e, colname);
			set_advice(e, "This type change can lose or reject values: add a new column of the new type, backfill and check it, then switch over.");
		}
	}
	if (e->rewrites)
		set_advice(e, "Changing the type rewrites the table and its indexes under ACCESS EXCLUSIVE: add a new column, backfill in batches, then swap.");
}

static void
analyze_alter_table(Analysis *an, AlterTableStmt *stmt)
{
	LOCKMODE	lockmode = AlterTableGetLockLevel(stmt->cmds);
	MigrateEffect *e = add_effect(an, stmt->relation, lockmode);
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		switch (cmd->subtype)
		{
			case AT_AddColumn:
				analyze_add_column(an, e, (ColumnDef *) cmd->def);
				break;
			case AT_AlterColumnType:
				analyze_alter_type(e, cmd->name, (ColumnDef *) cmd->def);
				break;
			case AT_SetNotNull:
				e->scans = true;
				set_advice(e, "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE: first add CHECK (column IS NOT NULL) NOT VALID and VALIDATE CONSTRAINT; SET NOT NULL then skips the scan.");
				break;
			case AT_AddConstraint:
				{
					Constraint *c = (Constraint *) cmd->def;

					if (c->contype == CONSTR_CHECK && !c->skip_validation)
					{
						e->scans = true;
						set_advice(e, "Add the constraint with NOT VALID, then VALIDATE CONSTRAINT, which does not block writes.");
					}
					else if (c->contype == CONSTR_FOREIGN)
					{
						if (!c->skip_validation)
						{
							e->scans = true;
							set_advice(e, "Add the foreign key with NOT VALID, then VALIDATE CONSTRAINT, which does not block writes.");
						}
						if (c->pktable)
						{
							MigrateEffect *ref = add_effect(an, c->pktable, ShareRowExclusiveLock);

							set_advice(ref, "The referenced table is locked against writes while the foreign key is added.");
						}
					}
					else if ((c->contype == CONSTR_PRIMARY ||
							  c->contype == CONSTR_UNIQUE) && c->indexname == NULL)
					{
						e->scans = true;
						set_advice(e, "Build a unique index first (CREATE UNIQUE INDEX CONCURRENTLY, outside a migration), then add the constraint USING INDEX.");
					}
					else if (c->contype == CONSTR_EXCLUSION)
						e->scans = true;
					break;
				}
			case AT_DropColumn:
				e->destroys = true;
				set_advice(e, "Stop reading and writing the column in the application first, and drop it in a later release.");
				break;
			case AT_SetLogged:
			case AT_SetUnLogged:
			case AT_SetTableSpace:
			case AT_SetAccessMethod:
				e->rewrites = true;
				set_advice(e, "This rewrites the whole table under ACCESS EXCLUSIVE; schedule it for a quiet period or use a copy-and-swap.");
				break;
			case AT_AttachPartition:
				e->scans = true;
				set_advice(e, "Add a CHECK constraint matching the partition bound to the table first, so that ATTACH PARTITION skips the scan.");
				break;
			default:
				break;
		}
	}
}

/* The table of index rv, if rv names an existing index */
static Oid
index_table(RangeVar *rv)
{
	Oid			idx = lookup_relation(rv);

	if (OidIsValid(idx) && get_rel_relkind(idx) == RELKIND_INDEX)
		return IndexGetRelation(idx, true);
	return InvalidOid;
}

/* The relation an object named by a qualified name list belongs to */
static RangeVar *
owning_rangevar(List *names)
{
	if (list_length(names) < 2)
		return NULL;
	return makeRangeVarFromNameList(list_truncate(list_copy(names),
												  list_length(names) - 1));
}

static void
analyze_drop(Analysis *an, DropStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->objects)
	{
		Node	   *obj = (Node *) lfirst(lc);
		MigrateEffect *e;

		switch (stmt->removeType)
		{
			case OBJECT_TABLE:
			case OBJECT_MATVIEW:
			case OBJECT_FOREIGN_TABLE:
				e = add_effect(an, makeRangeVarFromNameList((List *) obj), AccessExclusiveLock);
				if (stmt->removeType != OBJECT_FOREIGN_TABLE)
				{
					e->destroys = true;
					set_advice(e, "Stop using the table in the application first, and keep a copy until you are sure.");
				}
				break;
			case OBJECT_INDEX:
				{
					RangeVar   *rv = makeRangeVarFromNameList((List *) obj);
					Oid			table = index_table(rv);

					LOCKMODE	mode = stmt->concurrent ?
					ShareUpdateExclusiveLock : AccessExclusiveLock;

					e = add_effect(an, rv, mode);
					if (OidIsValid(table))
					{
						MigrateEffect *t = add_effect_oid(an, table, mode);

						if (!stmt->concurrent)
							set_advice(t, "DROP INDEX locks its table against reads and writes; DROP INDEX CONCURRENTLY in a migration registered with transactional => false does not.");
					}
					break;
				}
			case OBJECT_TRIGGER:
			case OBJECT_POLICY:
			case OBJECT_RULE:
				{
					RangeVar   *rv = owning_rangevar((List *) obj);

					if (rv == NULL)
						continue;
					/* ACCESS EXCLUSIVE on the table, as DROP TABLE */
					e = add_effect(an, rv, AccessExclusiveLock);
					break;
				}
			case OBJECT_VIEW:
				e = add_effect(an, makeRangeVarFromNameList((List *) obj), AccessExclusiveLock);
				/* materialized views over it go with it */
				e->destroys = stmt->behavior == DROP_CASCADE;
				break;
			case OBJECT_SEQUENCE:
				e = add_effect(an, makeRangeVarFromNameList((List *) obj), AccessExclusiveLock);
				e->destroys = true;
				set_advice(e, "A sequence that was used holds state: one made again starts over, and its new values can collide with values stored elsewhere.");
				break;
			case OBJECT_SCHEMA:
				e = add_effect(an, NULL, AccessExclusiveLock);
				e->relname = psprintf("schema %s", strVal(obj));
				e->schema = get_namespace_oid(strVal(obj), true);
				e->destroys = true;
				e->check = MIGRATE_CHECK_SCHEMA;
				set_advice(e, "Every table in the schema goes with it.");
				break;
			default:
				if (stmt->behavior != DROP_CASCADE)
					continue;
				/* a type, domain, function, collation... and what uses it */
				e = add_effect(an, NULL, NoLock);
				e->destroys = true;
				break;
		}
		if (stmt->behavior == DROP_CASCADE)
			set_advice(e, "CASCADE also drops every object that depends on it, columns of tables included: name them instead.");
	}
}

typedef struct ReadContext
{
	Analysis   *an;
	Node	   *target;			/* the relation the statement writes */
	List	   *ctenames;		/* names of the WITH queries in scope */
} ReadContext;

static void
note_ctes(ReadContext *rc, WithClause *with)
{
	ListCell   *lc;

	if (with == NULL)
		return;
	foreach(lc, with->ctes)
		rc->ctenames = lappend(rc->ctenames, ((CommonTableExpr *) lfirst(lc))->ctename);
}

static bool
read_walker(Node *node, void *context)
{
	ReadContext *rc = (ReadContext *) context;

	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_RangeVar:
			{
				RangeVar   *rv = (RangeVar *) node;

				ListCell   *lc;

				if (node == rc->target)
					return false;
				if (rv->schemaname == NULL)
				{
					foreach(lc, rc->ctenames)
					{
						if (strcmp((const char *) lfirst(lc), rv->relname) == 0)
							return false;
					}
				}
				add_effect(rc->an, rv, AccessShareLock);
				return false;
			}
			/* the names of WITH queries hide relations of the same name */
		case T_SelectStmt:
			note_ctes(rc, ((SelectStmt *) node)->withClause);
			break;
		case T_InsertStmt:
			note_ctes(rc, ((InsertStmt *) node)->withClause);
			break;
		case T_UpdateStmt:
			note_ctes(rc, ((UpdateStmt *) node)->withClause);
			break;
		case T_DeleteStmt:
			note_ctes(rc, ((DeleteStmt *) node)->withClause);
			break;
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
			note_ctes(rc, ((MergeStmt *) node)->withClause);
			break;
#endif
		default:
			break;
	}
	return raw_expression_tree_walker(node, read_walker, context);
}

/*
 * The relations a query reads (FROM, JOIN, subqueries, USING, a MERGE's
 * source), other than the one it writes: each is locked ACCESS SHARE, which
 * only ACCESS EXCLUSIVE waits for, but which a later ACCESS EXCLUSIVE of the
 * same call keeps until the call ends.
 */
static void
analyze_reads(Analysis *an, Node *query, RangeVar *target)
{
	ReadContext rc;

	rc.an = an;
	rc.target = (Node *) target;
	rc.ctenames = NIL;
	(void) read_walker(query, &rc);
}

/*
 * COMMENT ON a relation or on something of one (a column, a constraint, a
 * trigger, a rule, a policy) locks the relation SHARE UPDATE EXCLUSIVE.
 */
static void
analyze_comment(Analysis *an, CommentStmt *stmt)
{
	RangeVar   *rv = NULL;

	switch (stmt->objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_INDEX:
		case OBJECT_SEQUENCE:
		case OBJECT_FOREIGN_TABLE:
			rv = makeRangeVarFromNameList((List *) stmt->object);
			break;
		case OBJECT_COLUMN:
		case OBJECT_TABCONSTRAINT:
		case OBJECT_TRIGGER:
		case OBJECT_RULE:
		case OBJECT_POLICY:
			rv = owning_rangevar((List *) stmt->object);
			break;
		default:
			break;
	}
	if (rv != NULL)
		add_effect(an, rv, ShareUpdateExclusiveLock);
}

/*
 * Effects of one statement on the same existing relation (a self-referencing
 * foreign key, a table both read and written) are one: the strongest lock,
 * and every finding.
 */
static List *
merge_effects(List *effects)
{
	List	   *merged = NIL;
	ListCell   *lc;

	foreach(lc, effects)
	{
		MigrateEffect *e = (MigrateEffect *) lfirst(lc);
		MigrateEffect *into = NULL;
		ListCell   *lc2;

		if (OidIsValid(e->relid))
		{
			foreach(lc2, merged)
			{
				if (((MigrateEffect *) lfirst(lc2))->relid == e->relid)
					into = (MigrateEffect *) lfirst(lc2);
			}
		}
		if (into == NULL)
		{
			merged = lappend(merged, e);
			continue;
		}
		into->lockmode = Max(into->lockmode, e->lockmode);
		into->rewrites |= e->rewrites;
		into->scans |= e->scans;
		into->destroys |= e->destroys;
		into->inh |= e->inh;
		if (e->check == MIGRATE_CHECK_ROWS ||
			(e->check != MIGRATE_CHECK_NONE && into->check == MIGRATE_CHECK_NONE))
			into->check = e->check;
		into->columns = list_concat_unique(into->columns, e->columns);
		if (e->advice != NULL &&
			(into->advice == NULL || strstr(into->advice, e->advice) == NULL))
			set_advice(into, e->advice);
	}
	return merged;
}

/* The names of the columns an UPDATE (or MERGE ... UPDATE) SET assigns */
static List *
set_columns(List *targets)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, targets)
		names = list_append_unique_ptr(names, ((ResTarget *) lfirst(lc))->name);
	return names;
}

/* Rows (or, for UPDATE, the values of columns) of rv at stake */
static void
dml_at_stake(Analysis *an, RangeVar *rv, List *columns, const char *advice)
{
	MigrateEffect *e = add_effect(an, rv, RowExclusiveLock);

	e->destroys = true;
	e->inh = rv->inh;
	e->check = columns != NIL ? MIGRATE_CHECK_VALUES : MIGRATE_CHECK_ROWS;
	e->columns = columns;
	set_advice(e, advice);
}

/*
 * DELETE, UPDATE, INSERT, MERGE and SELECT, with the data-changing
 * statements of their WITH clauses (WITH d AS (DELETE ...) SELECT ...).  A
 * DELETE or UPDATE whose condition is absent or the same for every row
 * destroys (or overwrites) every row; so does a MERGE whose join condition
 * is, in its unconditional WHEN MATCHED actions.
 */
static void
analyze_dml(Analysis *an, Node *stmt)
{
	WithClause *with = NULL;
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_DeleteStmt:
			{
				DeleteStmt *del = (DeleteStmt *) stmt;

				with = del->withClause;
				if (constant_condition(del->whereClause))
					dml_at_stake(an, del->relation, NIL,
								 "DELETE without a condition on the rows removes every row.");
				else
					add_effect(an, del->relation, RowExclusiveLock);
				break;
			}
		case T_UpdateStmt:
			{
				UpdateStmt *upd = (UpdateStmt *) stmt;

				with = upd->withClause;
				if (constant_condition(upd->whereClause))
					dml_at_stake(an, upd->relation, set_columns(upd->targetList),
								 "UPDATE without a condition on the rows overwrites every row in one transaction: backfill in batches of bounded size instead.");
				else
					add_effect(an, upd->relation, RowExclusiveLock);
				break;
			}
		case T_InsertStmt:
			{
				InsertStmt *ins = (InsertStmt *) stmt;

				with = ins->withClause;
				add_effect(an, ins->relation, RowExclusiveLock);
				if (ins->selectStmt)
					analyze_dml(an, ins->selectStmt);
				break;
			}
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
			{
				MergeStmt  *merge = (MergeStmt *) stmt;
				List	   *columns = NIL;
				bool		deletes = false;

				with = merge->withClause;
				foreach(lc, merge->mergeWhenClauses)
				{
					MergeWhenClause *mw = (MergeWhenClause *) lfirst(lc);

					if (!mw->matched || mw->condition != NULL ||
						!constant_condition(merge->joinCondition))
						continue;
					if (mw->commandType == CMD_DELETE)
						deletes = true;
					else if (mw->commandType == CMD_UPDATE)
						columns = list_concat_unique_ptr(columns,
														 set_columns(mw->targetList));
				}
				if (deletes)
					dml_at_stake(an, merge->relation, NIL,
								 "MERGE whose join condition matches every row deletes every row.");
				else if (columns != NIL)
					dml_at_stake(an, merge->relation, columns,
								 "MERGE whose join condition matches every row overwrites every row.");
				else
					add_effect(an, merge->relation, RowExclusiveLock);
				break;
			}
#endif
		case T_SelectStmt:
			{
				SelectStmt *sel = (SelectStmt *) stmt;

				with = sel->withClause;
				if (sel->larg)
					analyze_dml(an, (Node *) sel->larg);
				if (sel->rarg)
					analyze_dml(an, (Node *) sel->rarg);
				break;
			}
		default:
			break;
	}
	if (with != NULL)
	{
		foreach(lc, with->ctes)
			analyze_dml(an, ((CommonTableExpr *) lfirst(lc))->ctequery);
	}
}

/* What a DML statement reads and writes */
static void
analyze_query(Analysis *an, Node *stmt)
{
	RangeVar   *target = NULL;

	analyze_dml(an, stmt);
	switch (nodeTag(stmt))
	{
		case T_DeleteStmt:
			target = ((DeleteStmt *) stmt)->relation;
			break;
		case T_UpdateStmt:
			target = ((UpdateStmt *) stmt)->relation;
			break;
		case T_InsertStmt:
			target = ((InsertStmt *) stmt)->relation;
			break;
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
			target = ((MergeStmt *) stmt)->relation;
			break;
#endif
		default:
			break;
	}
	analyze_reads(an, stmt, target);
}

static void
analyze_rename(Analysis *an, RenameStmt *stmt)
{
	MigrateEffect *e;

	if (stmt->relation == NULL)
	{
		add_effect(an, NULL, NoLock);
		return;
	}
	e = add_effect(an, stmt->relation, AccessExclusiveLock);
	if (stmt->renameType == OBJECT_TABLE || stmt->renameType == OBJECT_COLUMN ||
		stmt->renameType == OBJECT_VIEW || stmt->renameType == OBJECT_MATVIEW)
		set_advice(e, "Running application code still uses the old name: expand and contract instead (add the new name, for a table a view, write to both, move readers, then drop the old).");
}

/*
 * migrate_analyze: the effects of one raw statement.  created holds the
 * relations created by earlier statements of the same migration, and
 * gains those this one creates.
 */
List *
migrate_analyze(Node *stmt, List **created)
{
	Analysis	an;
	MigrateEffect *e;
	ListCell   *lc;
	bool		concurrently;

	an.effects = NIL;
	an.created = created;

	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			analyze_alter_table(&an, (AlterTableStmt *) stmt);
			break;
		case T_IndexStmt:
			{
				IndexStmt  *idx = (IndexStmt *) stmt;

				if (idx->concurrent)
				{
					e = add_effect(&an, idx->relation, ShareUpdateExclusiveLock);
					e->scans = true;
					set_advice(e, "CREATE INDEX CONCURRENTLY lets reads and writes go on; it waits for the transactions that use the table, then for every older snapshot, each wait bounded by migrate.lock_timeout.");
					break;
				}
				e = add_effect(&an, idx->relation, ShareLock);
				e->scans = true;
				set_advice(e, "CREATE INDEX blocks writes while it builds; on a big table build it with CREATE INDEX CONCURRENTLY in a migration registered with transactional => false.");
				break;
			}
		case T_DropStmt:
			analyze_drop(&an, (DropStmt *) stmt);
			break;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
			{
				e = add_effect(&an, (RangeVar *) lfirst(lc), AccessExclusiveLock);
				e->destroys = true;
				e->inh = ((RangeVar *) lfirst(lc))->inh;
				set_advice(e, "TRUNCATE removes every row.");
				if (((TruncateStmt *) stmt)->behavior == DROP_CASCADE)
					set_advice(e, "CASCADE also empties every table that references it.");
			}
			break;
		case T_DeleteStmt:
		case T_UpdateStmt:
		case T_InsertStmt:
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
#endif
		case T_SelectStmt:
			analyze_query(&an, stmt);
			break;
		case T_CommentStmt:
			analyze_comment(&an, (CommentStmt *) stmt);
			break;
		case T_RenameStmt:
			analyze_rename(&an, (RenameStmt *) stmt);
			break;
		case T_ClusterStmt:
			e = add_effect(&an, ((ClusterStmt *) stmt)->relation, AccessExclusiveLock);
			e->rewrites = true;
			set_advice(e, "CLUSTER rewrites the table under ACCESS EXCLUSIVE, blocking reads and writes; consider pg_repack.");
			break;
		case T_ReindexStmt:
			{
				ReindexStmt *ri = (ReindexStmt *) stmt;

				if (ri->relation == NULL)
				{
					add_effect(&an, NULL, NoLock);
					break;
				}
				concurrently = false;
				foreach(lc, ri->params)
					if (strcmp(((DefElem *) lfirst(lc))->defname, "concurrently") == 0)
					concurrently = true;
				if (ri->kind == REINDEX_OBJECT_INDEX)
				{
					Oid			table = index_table(ri->relation);

					add_effect(&an, ri->relation, concurrently ?
							   ShareUpdateExclusiveLock : AccessExclusiveLock);
					if (!OidIsValid(table))
						break;
					e = add_effect_oid(&an, table, concurrently ?
									   ShareUpdateExclusiveLock : ShareLock);
				}
				else
					e = add_effect(&an, ri->relation, concurrently ?
								   ShareUpdateExclusiveLock : ShareLock);
				e->scans = true;
				if (!concurrently)
					set_advice(e, "REINDEX blocks writes; REINDEX CONCURRENTLY in a migration registered with transactional => false does not.");
				break;
			}
		case T_RefreshMatViewStmt:
			{
				RefreshMatViewStmt *rm = (RefreshMatViewStmt *) stmt;

				e = add_effect(&an, rm->relation,
							   rm->concurrent ? ExclusiveLock : AccessExclusiveLock);
				e->rewrites = !rm->concurrent;
				if (!rm->concurrent)
					set_advice(e, "Without CONCURRENTLY the view cannot be read while it refreshes: add a unique index and use REFRESH MATERIALIZED VIEW CONCURRENTLY.");
				break;
			}
		case T_LockStmt:
			{
				LockStmt   *ls = (LockStmt *) stmt;

				foreach(lc, ls->relations)
				{
					e = add_effect(&an, (RangeVar *) lfirst(lc), ls->mode);
					set_advice(e, "An explicit lock is held until the whole call commits.");
				}
				break;
			}
		case T_VacuumStmt:
			foreach(lc, ((VacuumStmt *) stmt)->rels)
			{
				VacuumRelation *vr = (VacuumRelation *) lfirst(lc);

				add_effect(&an, vr->relation, ShareUpdateExclusiveLock);
			}
			break;
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				foreach(lc, cs->tableElts)
				{
					Node	   *elt = (Node *) lfirst(lc);
					List	   *cons = NIL;
					ListCell   *lc2;

					if (IsA(elt, ColumnDef))
						cons = ((ColumnDef *) elt)->constraints;
					else if (IsA(elt, Constraint))
						cons = list_make1(elt);
					foreach(lc2, cons)
					{
						Constraint *c = (Constraint *) lfirst(lc2);

						if (c->contype == CONSTR_FOREIGN && c->pktable)
							add_effect(&an, c->pktable, ShareRowExclusiveLock);
					}
				}
				foreach(lc, cs->inhRelations)
					add_effect(&an, (RangeVar *) lfirst(lc),
							   cs->partbound ? AccessExclusiveLock : ShareUpdateExclusiveLock);
				note_created(&an, cs->relation);
				break;
			}
		case T_CreateTableAsStmt:
			analyze_reads(&an, ((CreateTableAsStmt *) stmt)->query, NULL);
			note_created(&an, ((CreateTableAsStmt *) stmt)->into->rel);
			break;
		case T_ViewStmt:
			analyze_reads(&an, ((ViewStmt *) stmt)->query, NULL);
			note_created(&an, ((ViewStmt *) stmt)->view);
			break;
		case T_CreateSeqStmt:
			note_created(&an, ((CreateSeqStmt *) stmt)->sequence);
			break;
		case T_CreateTrigStmt:
			add_effect(&an, ((CreateTrigStmt *) stmt)->relation, ShareRowExclusiveLock);
			break;
		default:
			break;
	}

	/* sizes, and the risk of each effect */
	an.effects = merge_effects(an.effects);
	foreach(lc, an.effects)
	{
		e = (MigrateEffect *) lfirst(lc);

		if (OidIsValid(e->relid))
		{
			HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(e->relid));

			if (HeapTupleIsValid(tup))
			{
				Form_pg_class rel = (Form_pg_class) GETSTRUCT(tup);

				e->rows = rel->reltuples < 0 ? -1 : (int64) rel->reltuples;
				e->pages = rel->relpages;
				ReleaseSysCache(tup);
			}
		}
		e->risk = migrate_effect_risk(e);
		if (e->advice == NULL && OidIsValid(e->relid) &&
			e->lockmode == AccessExclusiveLock)
			e->advice = "Brief, but ACCESS EXCLUSIVE waits behind every query running on the table and blocks every query that arrives meanwhile: run it with a short lock_timeout.";
		if (e->risk == MIGRATE_RISK_NONE && e->created_here)
			e->advice = "Created by an earlier statement of this plan: no existing traffic uses it.";
		else if (e->risk == MIGRATE_RISK_NONE && e->relname != NULL &&
				 !OidIsValid(e->relid) && e->check != MIGRATE_CHECK_SCHEMA)
			e->advice = "Does not exist yet: no existing traffic uses it.";
	}
	if (an.effects == NIL)
		add_effect(&an, NULL, NoLock);
	return an.effects;
}

/* The risk of an effect (see README: the rules of migrate_plan) */
MigrateRisk
migrate_effect_risk(MigrateEffect *e)
{
	bool		big;

	if (e->check == MIGRATE_CHECK_SCHEMA)
		return OidIsValid(e->schema) ? MIGRATE_RISK_HIGH : MIGRATE_RISK_NONE;
	/* DROP TYPE, FUNCTION... CASCADE: what depends on it is not known here */
	if (e->destroys && e->relname == NULL)
		return MIGRATE_RISK_HIGH;
	if (!OidIsValid(e->relid))
		return MIGRATE_RISK_NONE;
	if (e->destroys)
		return MIGRATE_RISK_HIGH;
	big = e->rows > BIG_TABLE_ROWS || (e->rows < 0 && e->pages > BIG_TABLE_PAGES);
	if (e->rewrites || e->scans)
		return big ? MIGRATE_RISK_HIGH : MIGRATE_RISK_MEDIUM;
	if (e->lockmode >= ShareRowExclusiveLock)
		return MIGRATE_RISK_MEDIUM;
	if (e->lockmode > NoLock)
		return MIGRATE_RISK_LOW;
	return MIGRATE_RISK_NONE;
}

const char *
migrate_risk_name(MigrateRisk risk)
{
	switch (risk)
	{
		case MIGRATE_RISK_NONE:
			return "none";
		case MIGRATE_RISK_LOW:
			return "low";
		case MIGRATE_RISK_MEDIUM:
			return "medium";
		case MIGRATE_RISK_HIGH:
			return "high";
	}
	return "unknown";
}
