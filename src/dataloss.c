/*-------------------------------------------------------------------------
 *
 * dataloss.c
 *	  The data-loss guard (SPEC §8): just before a statement of a migration
 *	  runs, if it could destroy data (drop a table, column or schema,
 *	  truncate, delete or update every row, narrow a type), look at the live
 *	  relation, and refuse when there is data to lose, unless the migration
 *	  was registered with data_loss_ok or the call allows data loss.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "migrate.h"

/* Rows are counted up to this many; more is reported as "at least" */
#define COUNT_CAP	1000000

/*
 * Could stmt destroy data?  A cheap test of the node alone, so that the
 * guard costs nothing for the statements that cannot.
 */
static bool
may_destroy(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_DropStmt:
			return ((DropStmt *) stmt)->removeType == OBJECT_TABLE ||
				((DropStmt *) stmt)->removeType == OBJECT_SCHEMA;
		case T_TruncateStmt:
			return true;
		case T_DeleteStmt:
			return ((DeleteStmt *) stmt)->whereClause == NULL;
		case T_UpdateStmt:
			return ((UpdateStmt *) stmt)->whereClause == NULL;
		case T_AlterTableStmt:
			foreach(lc, ((AlterTableStmt *) stmt)->cmds)
			{
				AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

				if (cmd->subtype == AT_DropColumn ||
					cmd->subtype == AT_AlterColumnType)
					return true;
			}
			return false;
		default:
			return false;
	}
}

/* Rows of relid (with a non-null column, if given), up to COUNT_CAP */
static int64
count_rows(Oid relid, const char *column)
{
	StringInfoData sql;
	MemoryContext cxt = CurrentMemoryContext;
	bool		isnull;
	int64		n;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT pg_catalog.count(*) FROM (SELECT FROM %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												get_rel_name(relid)));
	if (column)
		appendStringInfo(&sql, " WHERE %s IS NOT NULL", quote_identifier(column));
	appendStringInfo(&sql, " LIMIT %d) s", COUNT_CAP);

	if (SPI_execute(sql.data, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not count the rows of relation %u", relid);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(cxt);
	return n;
}

/* Rows in the tables of schema nsp */
static int64
count_schema_rows(Oid nsp)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		arg = ObjectIdGetDatum(nsp);
	Oid			argtype = OIDOID;
	List	   *rels = NIL;
	ListCell   *lc;
	int64		n = 0;
	uint64		i;

	if (SPI_execute_with_args("SELECT c.oid FROM pg_catalog.pg_class c"
							  " WHERE c.relnamespace OPERATOR(pg_catalog.=) $1"
							  " AND c.relkind IN ('r', 'm')",
							  1, &argtype, &arg, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the tables of schema %u", nsp);
	MemoryContextSwitchTo(cxt);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		rels = lappend_oid(rels, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																SPI_tuptable->tupdesc,
																1, &isnull)));
	}
	SPI_freetuptable(SPI_tuptable);
	foreach(lc, rels)
		n += count_rows(lfirst_oid(lc), NULL);
	return Min(n, COUNT_CAP);
}

/* The rows of data an effect would destroy now, or 0 */
static int64
at_stake(MigrateEffect *e)
{
	if (!e->destroys)
		return 0;
	switch (e->check)
	{
		case MIGRATE_CHECK_ROWS:
			return OidIsValid(e->relid) ? count_rows(e->relid, NULL) : 0;
		case MIGRATE_CHECK_COLUMN:
			return OidIsValid(e->relid) ? count_rows(e->relid, e->column) : 0;
		case MIGRATE_CHECK_SCHEMA:
			return OidIsValid(e->schema) ? count_schema_rows(e->schema) : 0;
		case MIGRATE_CHECK_NONE:
			break;
	}
	return 0;
}

/* "at least 1000000 rows", "3 rows", "values in 3 rows" */
static void
describe_loss(StringInfo buf, MigrateEffect *e, int64 rows)
{
	appendStringInfo(buf, "%s" INT64_FORMAT " %s",
					 rows >= COUNT_CAP ? "at least " : "", rows,
					 rows == 1 ? "row" : "rows");
	if (e->check == MIGRATE_CHECK_COLUMN)
		appendStringInfo(buf, " with a value in column %s of %s",
						 quote_identifier(e->column), e->relname);
	else if (e->check == MIGRATE_CHECK_SCHEMA)
		appendStringInfo(buf, " in the tables of %s", e->relname);
	else
		appendStringInfo(buf, " of %s", e->relname);
}

/* Describe statement stmt_no's loss into buf; false if it loses nothing */
static bool
statement_loss(StringInfo buf, MigrateStatement *stmt, int stmt_no)
{
	List	   *created = NIL;
	ListCell   *lc;
	bool		loses = false;

	foreach(lc, migrate_analyze(stmt->stmt, &created))
	{
		MigrateEffect *e = (MigrateEffect *) lfirst(lc);
		int64		rows = at_stake(e);

		if (rows <= 0)
			continue;
		if (!loses)
			appendStringInfo(buf, "%sstatement %d (%s, line %d) would destroy ",
							 buf->len > 0 ? "; " : "", stmt_no,
							 GetCommandTagName(CreateCommandTag(stmt->stmt)),
							 stmt->line);
		else
			appendStringInfoString(buf, " and ");
		describe_loss(buf, e, rows);
		loses = true;
	}
	return loses;
}

/*
 * migrate_guard_statement: called just before statement number stmt_no of
 * script runs.  If it would destroy data that exists now, raise an error
 * naming it, the rows at stake, and the later statements of the migration
 * that would destroy data as the database stands.
 */
void
migrate_guard_statement(MigrateExecState *st, MigrateScript *script,
						int stmt_no)
{
	MigrateStatement *stmt = &script->stmts[stmt_no - 1];
	StringInfoData loss;
	StringInfoData later;
	int			i;

	if (!may_destroy(stmt->stmt))
		return;
	initStringInfo(&loss);
	if (!statement_loss(&loss, stmt, stmt_no))
		return;

	initStringInfo(&later);
	for (i = stmt_no; i < script->nstmts; i++)
		if (may_destroy(script->stmts[i].stmt))
			(void) statement_loss(&later, &script->stmts[i], i + 1);

	ereport(ERROR,
			(errcode(ERRCODE_RESTRICT_VIOLATION),
			 errmsg("migration \"%s\" would destroy data", st->id),
			 later.len > 0 ?
			 errdetail("In the %s script, %s. Later, as the database stands: %s.",
					   migrate_script_name(st->kind), loss.data, later.data) :
			 errdetail("In the %s script, %s.",
					   migrate_script_name(st->kind), loss.data),
			 errhint("If the loss is intended, register the migration with data_loss_ok => true, or pass allow_data_loss => true to this call.")));
}
