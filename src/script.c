/*-------------------------------------------------------------------------
 *
 * script.c
 *	  Parsing migration scripts with the server's own parser: splitting them
 *	  into statements, placing errors at a line and column of the script,
 *	  refusing statements that cannot run inside a migration's transaction,
 *	  and the checksum of a script.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "parser/parser.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"

#include "migrate.h"

typedef struct ParseErrorArg
{
	const char *id;
	MigrateScriptKind kind;
	const char *sql;
	int			stmt_no;		/* statement being checked, 0 while parsing */
	int			stmt_line;
} ParseErrorArg;

const char *
migrate_script_name(MigrateScriptKind kind)
{
	return kind == MIGRATE_SCRIPT_UP ? "up" : "down";
}

/*
 * migrate_script_line_at: the 1-based line (and column, if wanted) of the
 * charpos'th character (1-based, as in error cursor positions) of text.
 */
int
migrate_script_line_at(const char *text, int charpos, int *column)
{
	const char *p = text;
	int			line = 1;
	int			col = 1;
	int			i;

	for (i = 1; i < charpos && *p != '\0'; i++)
	{
		if (*p == '\n')
		{
			line++;
			col = 1;
		}
		else
			col++;
		p += pg_mblen(p);
	}
	if (column)
		*column = col;
	return line;
}

/*
 * Errors from the parser carry a cursor position inside the script, which
 * a client would place in the query it sent (the call of this extension's
 * function).  Turn it into a line and column of the script instead.
 */
static void
parse_error_callback(void *arg)
{
	ParseErrorArg *a = (ParseErrorArg *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		int			line;
		int			column;

		line = migrate_script_line_at(a->sql, pos, &column);
		errposition(0);
		errcontext("migration \"%s\", %s script, line %d, column %d",
				   a->id, migrate_script_name(a->kind), line, column);
	}
	else if (a->stmt_no > 0)
		errcontext("migration \"%s\", %s script, statement %d, line %d",
				   a->id, migrate_script_name(a->kind), a->stmt_no,
				   a->stmt_line);
	else
		errcontext("migration \"%s\", %s script",
				   a->id, migrate_script_name(a->kind));
}

/*
 * Skip white space and comments from offset; the parser's statement
 * locations start right after the previous semicolon.
 */
static int
skip_blanks(const char *sql, int offset, int end)
{
	const char *p = sql + offset;
	const char *stop = sql + end;

	while (p < stop)
	{
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
			*p == '\f' || *p == '\v')
			p++;
		else if (p[0] == '-' && p + 1 < stop && p[1] == '-')
		{
			while (p < stop && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p + 1 < stop && p[1] == '*')
		{
			int			depth = 1;

			p += 2;
			while (p < stop && depth > 0)
			{
				if (p[0] == '/' && p + 1 < stop && p[1] == '*')
				{
					depth++;
					p += 2;
				}
				else if (p[0] == '*' && p + 1 < stop && p[1] == '/')
				{
					depth--;
					p += 2;
				}
				else
					p++;
			}
		}
		else
			break;
	}
	return p - sql;
}

/* Calls of any of these from a script are refused (SPEC §6.7). */
static const char *const own_functions[] = {
	"migrate_register",
	"migrate_unregister",
	"migrate_apply",
	"migrate_rollback",
	"migrate_status",
	"migrate_current",
	"migrate_plan",
	"migrate_verify",
	"migrate_accept_drift",
	"migrate_deploy",
	"migrate_undeploy",
	"migrate_baseline",
	"migrate_import",
	"migrate_changed",
	NULL
};

static bool
find_own_call_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall))
	{
		FuncCall   *fc = (FuncCall *) node;
		const char *name = strVal(llast(fc->funcname));
		int			i;

		for (i = 0; own_functions[i] != NULL; i++)
		{
			if (strcmp(name, own_functions[i]) == 0)
			{
				*(const char **) context = own_functions[i];
				return true;
			}
		}
	}
	return raw_expression_tree_walker(node, find_own_call_walker, context);
}

/*
 * The name of a function of this extension that stmt calls, where the raw
 * parse tree shows it (DML, CALL, CREATE TABLE AS, EXPLAIN), or NULL.
 * Calls hidden in DO blocks or functions are caught when they run.
 */
static const char *
own_function_called(Node *stmt)
{
	const char *found = NULL;

	switch (nodeTag(stmt))
	{
		case T_CallStmt:
			stmt = (Node *) ((CallStmt *) stmt)->funccall;
			break;
		case T_CreateTableAsStmt:
			stmt = ((CreateTableAsStmt *) stmt)->query;
			break;
		case T_ExplainStmt:
			stmt = ((ExplainStmt *) stmt)->query;
			break;
		default:
			break;
	}
	switch (nodeTag(stmt))
	{
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_FuncCall:
			(void) find_own_call_walker(stmt, &found);
			break;
		default:
			break;
	}
	return found;
}

static bool
has_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, name) == 0)
			return true;
	}
	return false;
}

/*
 * The statements that refuse a transaction block or a function
 * (PreventInTransactionBlock) and that a non-transactional migration may
 * hold, as the command's name, or NULL for any other statement.  A deploy
 * runs each of them at top level, committed on its own, and knows how to
 * resume each after an interruption (resume.c).
 */
const char *
migrate_toplevel_command(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->concurrent ?
				"CREATE INDEX CONCURRENTLY" : NULL;
		case T_DropStmt:
			return ((DropStmt *) stmt)->concurrent ?
				"DROP INDEX CONCURRENTLY" : NULL;
		case T_ReindexStmt:
			{
				ReindexStmt *reindex = (ReindexStmt *) stmt;

				if (has_option(reindex->params, "concurrently") &&
					(reindex->kind == REINDEX_OBJECT_INDEX ||
					 reindex->kind == REINDEX_OBJECT_TABLE))
					return "REINDEX CONCURRENTLY";
				return NULL;
			}
		case T_VacuumStmt:
			return ((VacuumStmt *) stmt)->is_vacuumcmd ? "VACUUM" : NULL;
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_DetachPartition &&
						((PartitionCmd *) cmd->def)->concurrent)
						return "DETACH PARTITION CONCURRENTLY";
				}
				return NULL;
			}
		default:
			return NULL;
	}
}

/*
 * Why stmt cannot run in any migration, as the command's name, or NULL if
 * it can: statements that end or split the transaction, that need the
 * client's copy protocol, or that refuse a transaction block and act on
 * the cluster rather than on this database's schema (or on all of it at
 * once), which a deploy could not resume.
 */
static const char *
forbidden_command(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
			return GetCommandTagName(CreateCommandTag(stmt));
		case T_CopyStmt:
			{
				CopyStmt   *copy = (CopyStmt *) stmt;

				if (copy->filename == NULL && !copy->is_program)
					return copy->is_from ? "COPY FROM STDIN" : "COPY TO STDOUT";
				return NULL;
			}
		case T_ReindexStmt:
			{
				ReindexStmt *reindex = (ReindexStmt *) stmt;

				if (reindex->kind == REINDEX_OBJECT_SCHEMA ||
					reindex->kind == REINDEX_OBJECT_SYSTEM ||
					reindex->kind == REINDEX_OBJECT_DATABASE)
					return "REINDEX SCHEMA, SYSTEM or DATABASE";
				return NULL;
			}
		case T_ClusterStmt:
			return ((ClusterStmt *) stmt)->relation == NULL ?
				"CLUSTER without a table" : NULL;
		case T_AlterDatabaseStmt:
			return has_option(((AlterDatabaseStmt *) stmt)->options, "tablespace") ?
				"ALTER DATABASE SET TABLESPACE" : NULL;
		case T_CreatedbStmt:
		case T_DropdbStmt:
		case T_CreateTableSpaceStmt:
		case T_DropTableSpaceStmt:
		case T_AlterSystemStmt:
		case T_CreateSubscriptionStmt:
		case T_DropSubscriptionStmt:
			return GetCommandTagName(CreateCommandTag(stmt));
		case T_DiscardStmt:
			return ((DiscardStmt *) stmt)->target == DISCARD_ALL ?
				"DISCARD ALL" : NULL;
		case T_VariableSetStmt:
			{
				VariableSetStmt *set = (VariableSetStmt *) stmt;

				if (set->kind == VAR_SET_MULTI &&
					(strcmp(set->name, "TRANSACTION") == 0 ||
					 strcmp(set->name, "TRANSACTION SNAPSHOT") == 0))
					return "SET TRANSACTION";
				return NULL;
			}
		default:
			return NULL;
	}
}

/* Is the function one of the extension's (its members, in pg_catalog)? */
static bool
own_function(Oid funcid)
{
	Oid			ext = get_extension_oid("migrate", true);

	return OidIsValid(funcid) && OidIsValid(ext) &&
		getExtensionOfObject(ProcedureRelationId, funcid) == ext;
}

/* Does a name list (schema.name, db.schema.name...) name schema migrate? */
static bool
names_in_migrate(List *names, int trailing)
{
	int			n = list_length(names);

	return n > trailing && IsA(list_nth(names, n - trailing - 1), String) &&
		strcmp(strVal(list_nth(names, n - trailing - 1)), "migrate") == 0;
}

static bool
rv_in_migrate(RangeVar *rv)
{
	return rv != NULL && rv->schemaname != NULL &&
		strcmp(rv->schemaname, "migrate") == 0;
}

/* Is obj, an object of kind objtype as the parser gives it, the extension's? */
static bool
object_is_own(ObjectType objtype, Node *obj)
{
	if (obj == NULL)
		return false;
	switch (nodeTag(obj))
	{
		case T_String:
			return (objtype == OBJECT_SCHEMA || objtype == OBJECT_EXTENSION) &&
				strcmp(strVal(obj), "migrate") == 0;
		case T_List:
			return names_in_migrate((List *) obj, objtype == OBJECT_COLUMN ? 2 : 1);
		case T_TypeName:
			return names_in_migrate(((TypeName *) obj)->names, 1);
		case T_RangeVar:
			return rv_in_migrate((RangeVar *) obj);
		case T_ObjectWithArgs:
			if (objtype != OBJECT_FUNCTION && objtype != OBJECT_PROCEDURE &&
				objtype != OBJECT_ROUTINE && objtype != OBJECT_AGGREGATE)
				return false;
			return names_in_migrate(((ObjectWithArgs *) obj)->objname, 1) ||
				own_function(LookupFuncWithArgs(objtype, (ObjectWithArgs *) obj,
												true));
		default:
			return false;
	}
}

static bool
any_object_is_own(ObjectType objtype, List *objects)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		if (object_is_own(objtype, (Node *) lfirst(lc)))
			return true;
	}
	return false;
}

/* Does a function of that name in pg_catalog belong to the extension? */
static bool
own_function_name(List *funcname)
{
	FuncCandidateList c;

	if (list_length(funcname) == 2 &&
		strcmp(strVal(linitial(funcname)), "pg_catalog") != 0)
		return names_in_migrate(funcname, 1);
	c = FuncnameGetCandidates(funcname, -1, NIL, false, false, false, true);
	for (; c != NULL; c = c->next)
	{
		if (own_function(c->oid))
			return true;
	}
	return false;
}

static bool writes_own_relation(Node *stmt);

/* The data-changing statements of a WITH clause */
static bool
with_writes_own(WithClause *with)
{
	ListCell   *lc;

	if (with == NULL)
		return false;
	foreach(lc, with->ctes)
	{
		if (writes_own_relation(((CommonTableExpr *) lfirst(lc))->ctequery))
			return true;
	}
	return false;
}

/* Does a DML statement write a relation of schema migrate by name? */
static bool
writes_own_relation(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_InsertStmt:
			return rv_in_migrate(((InsertStmt *) stmt)->relation) ||
				with_writes_own(((InsertStmt *) stmt)->withClause);
		case T_UpdateStmt:
			return rv_in_migrate(((UpdateStmt *) stmt)->relation) ||
				with_writes_own(((UpdateStmt *) stmt)->withClause);
		case T_DeleteStmt:
			return rv_in_migrate(((DeleteStmt *) stmt)->relation) ||
				with_writes_own(((DeleteStmt *) stmt)->withClause);
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
			return rv_in_migrate(((MergeStmt *) stmt)->relation) ||
				with_writes_own(((MergeStmt *) stmt)->withClause);
#endif
		case T_SelectStmt:
			return with_writes_own(((SelectStmt *) stmt)->withClause);
		default:
			return false;
	}
}

/*
 * Does stmt drop, change or write the migrate extension or one of its
 * objects, as far as its parse tree shows (SPEC §14)?  Names are looked at
 * as written (schema migrate, the extension, its schema) and the
 * extension's functions are looked up.  What the tree does not show (a
 * search_path, a DO block) is refused when it runs (protect.c).  A migration
 * that did could not be recorded, or would fake what is recorded.
 */
static bool
touches_migrate(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
#endif
		case T_SelectStmt:
			return writes_own_relation(stmt);
		case T_CopyStmt:
			return ((CopyStmt *) stmt)->is_from &&
				rv_in_migrate(((CopyStmt *) stmt)->relation);
		case T_TruncateStmt:
			return any_object_is_own(OBJECT_TABLE, ((TruncateStmt *) stmt)->relations);
		case T_AlterTableStmt:
			return rv_in_migrate(((AlterTableStmt *) stmt)->relation);
		case T_CreateStmt:
			return rv_in_migrate(((CreateStmt *) stmt)->relation);
		case T_IndexStmt:
			return rv_in_migrate(((IndexStmt *) stmt)->relation);
		case T_ViewStmt:
			return rv_in_migrate(((ViewStmt *) stmt)->view);
		case T_CreateSeqStmt:
			return rv_in_migrate(((CreateSeqStmt *) stmt)->sequence);
		case T_AlterSeqStmt:
			return rv_in_migrate(((AlterSeqStmt *) stmt)->sequence);
		case T_CreateTableAsStmt:
			return rv_in_migrate(((CreateTableAsStmt *) stmt)->into->rel);
		case T_CreateTrigStmt:
			return rv_in_migrate(((CreateTrigStmt *) stmt)->relation);
		case T_RuleStmt:
			return rv_in_migrate(((RuleStmt *) stmt)->relation);
		case T_CreatePolicyStmt:
			return rv_in_migrate(((CreatePolicyStmt *) stmt)->table);
		case T_AlterPolicyStmt:
			return rv_in_migrate(((AlterPolicyStmt *) stmt)->table);
		case T_DropStmt:
			return any_object_is_own(((DropStmt *) stmt)->removeType,
									 ((DropStmt *) stmt)->objects);
		case T_RenameStmt:
			{
				RenameStmt *ren = (RenameStmt *) stmt;

				return rv_in_migrate(ren->relation) ||
					object_is_own(ren->renameType, ren->object) ||
					((ren->renameType == OBJECT_SCHEMA ||
					  ren->renameType == OBJECT_EXTENSION) &&
					 ren->subname != NULL && strcmp(ren->subname, "migrate") == 0);
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *alt = (AlterObjectSchemaStmt *) stmt;

				return rv_in_migrate(alt->relation) ||
					object_is_own(alt->objectType, alt->object) ||
					strcmp(alt->newschema, "migrate") == 0;
			}
		case T_AlterOwnerStmt:
			return rv_in_migrate(((AlterOwnerStmt *) stmt)->relation) ||
				object_is_own(((AlterOwnerStmt *) stmt)->objectType,
							  ((AlterOwnerStmt *) stmt)->object);
		case T_GrantStmt:
			{
				GrantStmt  *grant = (GrantStmt *) stmt;

				if (grant->targtype == ACL_TARGET_ALL_IN_SCHEMA)
					return any_object_is_own(OBJECT_SCHEMA, grant->objects);
				return any_object_is_own(grant->objtype, grant->objects);
			}
		case T_CommentStmt:
			return object_is_own(((CommentStmt *) stmt)->objtype,
								 ((CommentStmt *) stmt)->object);
		case T_SecLabelStmt:
			return object_is_own(((SecLabelStmt *) stmt)->objtype,
								 ((SecLabelStmt *) stmt)->object);
		case T_AlterFunctionStmt:
			return object_is_own(((AlterFunctionStmt *) stmt)->objtype,
								 (Node *) ((AlterFunctionStmt *) stmt)->func);
		case T_CreateFunctionStmt:
			return own_function_name(((CreateFunctionStmt *) stmt)->funcname);
		case T_AlterEventTrigStmt:
			return strncmp(((AlterEventTrigStmt *) stmt)->trigname, "migrate_", 8) == 0;
		case T_AlterExtensionStmt:
			return strcmp(((AlterExtensionStmt *) stmt)->extname, "migrate") == 0;
		case T_AlterExtensionContentsStmt:
			return strcmp(((AlterExtensionContentsStmt *) stmt)->extname, "migrate") == 0;
		default:
			return false;
	}
}

/*
 * Parse sql with the lexer settings every script is parsed with, whatever
 * the session's: standard_conforming_strings on and backslash_quote on.
 * Those two settings decide where a string literal ends, and so where a
 * statement ends; a script may change them (SET standard_conforming_strings
 * = off), and a session may have them set otherwise than the one that
 * registered it.  Parsed always the same way, a script's statements are
 * the ones registration and the analysis checked, and statements are run
 * from their parse trees, never lexed again (SPEC §14): no setting can
 * split or join them.  backslash_quote = on rather than its default,
 * safe_encoding, which looks at the client's encoding: the script is text
 * in the server's encoding already, and the parse must not depend on the
 * session.
 */
static List *
parse_fixed(const char *sql)
{
	bool		save_scs = standard_conforming_strings;
	int			save_bq = backslash_quote;
	List	   *raw = NIL;

	PG_TRY();
	{
		standard_conforming_strings = true;
		backslash_quote = BACKSLASH_QUOTE_ON;
		raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	}
	PG_FINALLY();
	{
		standard_conforming_strings = save_scs;
		backslash_quote = save_bq;
	}
	PG_END_TRY();
	return raw;
}

/*
 * The parse tree of one statement, parsed from its own text, so that the
 * positions in it (and in errors raised when it runs) are positions in that
 * text, as when a client sends the statement alone.  Its text holds exactly
 * the tokens of one statement of the script, parsed with the same settings:
 * the same tree.
 */
static RawStmt *
parse_statement(const char *text)
{
	List	   *raw = parse_fixed(text);

	if (list_length(raw) != 1)
		elog(ERROR, "statement text \"%s\" parsed as %d statements",
			 text, list_length(raw));
	return linitial_node(RawStmt, raw);
}

/* One thing wrong with a script, found at registration */
typedef struct ScriptProblem
{
	MigrateScriptKind kind;
	int			sqlstate;
	char	   *where;			/* "statement 2, line 3", "line 1, column 5" */
	char	   *message;
	char	   *detail;
	char	   *hint;
} ScriptProblem;

/* What the parse of a script found wrong: raised at once, or collected */
typedef struct ScriptCheck
{
	const char *id;
	MigrateScriptKind kind;
	bool		transactional;	/* the migration runs in one transaction */
	List	  **problems;		/* NULL: raise the first problem */
} ScriptCheck;

/*
 * A problem of statement stmt_no (at line): with problems collected, noted;
 * otherwise raised, with the migration, script, statement and line as
 * context, as since version 0.1.
 */
static void
problem(ScriptCheck *sc, int stmt_no, int line, int sqlstate,
		const char *message, const char *detail, const char *hint)
{
	ScriptProblem *p;

	if (sc->problems == NULL)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg_internal("%s", message),
				 detail ? errdetail_internal("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0,
				 errcontext("migration \"%s\", %s script, statement %d, line %d",
							sc->id, migrate_script_name(sc->kind), stmt_no, line)));
	p = palloc(sizeof(ScriptProblem));
	p->kind = sc->kind;
	p->sqlstate = sqlstate;
	p->where = psprintf("statement %d, line %d", stmt_no, line);
	p->message = pstrdup(message);
	p->detail = detail ? pstrdup(detail) : NULL;
	p->hint = hint ? pstrdup(hint) : NULL;
	*sc->problems = lappend(*sc->problems, p);
}

/* The checks of one statement, which must be able to run in a migration */
static void
check_statement(ScriptCheck *sc, MigrateStatement *st, int stmt_no)
{
	const char *forbidden = forbidden_command(st->stmt);
	const char *toplevel = migrate_toplevel_command(st->stmt);
	const char *own;

	if (forbidden != NULL)
	{
		const char *detail;
		const char *hint = "Remove it.";

		if (IsA(st->stmt, TransactionStmt))
			detail = "migrate commits or rolls back each migration itself.";
		else if (IsA(st->stmt, CopyStmt))
		{
			detail = "A migration has no client connection to copy from or to.";
			hint = "Use INSERT statements, or COPY from a file on the server.";
		}
		else if (IsA(st->stmt, VariableSetStmt))
			detail = "It would change the transaction that migrate runs the migration in.";
		else if (IsA(st->stmt, DiscardStmt))
			detail = "It would reset the session that runs the migrations.";
		else
		{
			detail = "It refuses a transaction block and acts on the whole database or cluster, so a deploy could not resume it once interrupted.";
			hint = "Run it outside migrate.";
		}
		problem(sc, stmt_no, st->line, ERRCODE_FEATURE_NOT_SUPPORTED,
				psprintf("%s cannot run inside a migration", forbidden),
				detail, hint);
	}
	else if (toplevel != NULL && sc->transactional)
		problem(sc, stmt_no, st->line, ERRCODE_FEATURE_NOT_SUPPORTED,
				psprintf("%s cannot run inside a transactional migration", toplevel),
				"It cannot run inside a transaction block, and a transactional migration runs in one.",
				"Register the migration with transactional => false and deploy it with CALL migrate_deploy(), which runs each of its statements on its own.");
	else if (toplevel != NULL && IsA(st->stmt, IndexStmt) &&
			 ((IndexStmt *) st->stmt)->idxname == NULL)
		problem(sc, stmt_no, st->line, ERRCODE_FEATURE_NOT_SUPPORTED,
				"CREATE INDEX CONCURRENTLY in a migration must name the index",
				"A build that is interrupted leaves an invalid index behind, which the next deploy drops and builds again: it finds it by its name.",
				"Give the index a name: CREATE INDEX CONCURRENTLY name ON ...");
	st->toplevel = toplevel != NULL;

	if (touches_migrate(st->stmt))
		problem(sc, stmt_no, st->line, ERRCODE_FEATURE_NOT_SUPPORTED,
				"a migration cannot change, drop or write the migrate extension or its objects",
				"The extension keeps the state of the migrations in them; a migration that changed them could not be recorded, or would change what is recorded.",
				"Change the extension outside migrations, through its functions or ALTER EXTENSION migrate UPDATE.");

	own = own_function_called(st->stmt);
	if (own != NULL)
		problem(sc, stmt_no, st->line, ERRCODE_FEATURE_NOT_SUPPORTED,
				psprintf("%s() cannot be called from a migration script", own),
				NULL,
				"Remove the call: migrations are run by migrate_apply() and migrate_rollback(), which keep the migration state themselves.");
}

typedef struct RawParse
{
	const char *sql;
	List	   *raw;
} RawParse;

static void
raw_parse_cb(void *arg)
{
	RawParse   *rp = (RawParse *) arg;

	rp->raw = parse_fixed(rp->sql);
}

/*
 * The raw parse of a whole script.  Raised, a syntax error names the
 * migration, the script, the line and the column; collected, it is one
 * problem, and the rest of the checks go on with the other script.
 */
static bool
parse_whole(ScriptCheck *sc, const char *sql, List **raw)
{
	ErrorContextCallback errcallback;
	ParseErrorArg arg;
	RawParse	rp;
	ErrorData  *edata;
	ScriptProblem *p;
	int			line;
	int			column;

	arg.id = sc->id;
	arg.kind = sc->kind;
	arg.sql = sql;
	arg.stmt_no = 0;
	arg.stmt_line = 0;
	if (sc->problems == NULL)
	{
		errcallback.callback = parse_error_callback;
		errcallback.arg = &arg;
		errcallback.previous = error_context_stack;
		error_context_stack = &errcallback;
		*raw = parse_fixed(sql);
		error_context_stack = errcallback.previous;
		return true;
	}

	/* the parser only allocates memory; a subtransaction cleans up anyway */
	rp.sql = sql;
	rp.raw = NIL;
	edata = migrate_subtransaction(raw_parse_cb, &rp, true);
	if (edata == NULL)
	{
		*raw = rp.raw;
		return true;
	}
	line = migrate_script_line_at(sql, edata->cursorpos, &column);
	p = palloc(sizeof(ScriptProblem));
	p->kind = sc->kind;
	p->sqlstate = edata->sqlerrcode;
	p->where = edata->cursorpos > 0 ?
		psprintf("line %d, column %d", line, column) : pstrdup("");
	p->message = pstrdup(edata->message);
	p->detail = edata->detail ? pstrdup(edata->detail) : NULL;
	p->hint = edata->hint ? pstrdup(edata->hint) : NULL;
	*sc->problems = lappend(*sc->problems, p);
	FreeErrorData(edata);
	return false;
}

/*
 * Parse sql, the kind script of migration id, into its statements, and
 * check that each can run inside a migration.  Problems are raised at once,
 * or, with problems given, collected (returning NULL if the script does not
 * parse).  A script with no statement (empty, or only comments) is a no-op,
 * not a problem (SPEC §5).
 */
static MigrateScript *
parse_script(const char *id, MigrateScriptKind kind, const char *sql,
			 bool transactional, List **problems)
{
	ScriptCheck sc;
	MigrateScript *script;
	List	   *raw;
	ListCell   *lc;
	int			total = strlen(sql);
	int			n = 0;
	int			line = 1;		/* line at byte offset scanned */
	int			scanned = 0;

	sc.id = id;
	sc.kind = kind;
	sc.transactional = transactional;
	sc.problems = problems;
	if (!parse_whole(&sc, sql, &raw))
		return NULL;

	script = palloc(sizeof(MigrateScript));
	script->sql = sql;
	script->nstmts = list_length(raw);
	script->stmts = palloc(sizeof(MigrateStatement) * Max(script->nstmts, 1));

	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		MigrateStatement *st = &script->stmts[n++];
		int			end = rs->stmt_len > 0 ? rs->stmt_location + rs->stmt_len : total;

		st->offset = skip_blanks(sql, rs->stmt_location, end);
		st->len = end - st->offset;
		st->text = pnstrdup(sql + st->offset, st->len);
		st->raw = parse_statement(st->text);
		st->stmt = st->raw->stmt;
		st->skip = false;

		/*
		 * Count lines from the previous statement on, so that a script of
		 * many statements is not rescanned for each one.  Bytes will do: in
		 * every server encoding a newline byte is a newline.
		 */
		for (; scanned < st->offset; scanned++)
			if (sql[scanned] == '\n')
				line++;
		st->line = line;

		check_statement(&sc, st, n);
	}
	return script;
}

/*
 * migrate_script_parse: parse sql, the kind script of migration id, into
 * its statements, and refuse a statement that cannot run inside a
 * migration (transactional or not).  Errors name the migration, the script
 * and the line.
 */
MigrateScript *
migrate_script_parse(const char *id, MigrateScriptKind kind, const char *sql,
					 bool transactional)
{
	return parse_script(id, kind, sql, transactional, NULL);
}

/*
 * migrate_script_make_transactional: turn the script of a
 * non-transactional migration into its transactional equivalent (SPEC §9),
 * for migrate_verify(): the same statements without CONCURRENTLY, which
 * leave the same schema; VACUUM, which changes no schema, is left out.
 */
void
migrate_script_make_transactional(MigrateScript *script)
{
	int			i;

	for (i = 0; i < script->nstmts; i++)
	{
		MigrateStatement *st = &script->stmts[i];
		Node	   *stmt = st->stmt;

		if (st->toplevel)
		{
			if (IsA(stmt, VacuumStmt))
				st->skip = true;
			else if (IsA(stmt, IndexStmt))
				((IndexStmt *) stmt)->concurrent = false;
			else if (IsA(stmt, DropStmt))
				((DropStmt *) stmt)->concurrent = false;
			else if (IsA(stmt, ReindexStmt))
			{
				ReindexStmt *reindex = (ReindexStmt *) stmt;
				List	   *params = NIL;
				ListCell   *lc;

				foreach(lc, reindex->params)
					if (strcmp(((DefElem *) lfirst(lc))->defname, "concurrently") != 0)
					params = lappend(params, lfirst(lc));
				reindex->params = params;
			}
			else if (IsA(stmt, AlterTableStmt))
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_DetachPartition)
						((PartitionCmd *) cmd->def)->concurrent = false;
				}
			}
			st->toplevel = false;
		}
	}
}

/*
 * migrate_script_check: at registration, parse and check both scripts of
 * migration id (down may be NULL), and report every problem of both at
 * once (SPEC §5): one error whose detail lists them, so that a migration
 * with three forbidden statements is fixed in one go.
 */
void
migrate_script_check(const char *id, const char *up, const char *down,
					 bool transactional)
{
	List	   *problems = NIL;
	ScriptProblem *first;
	StringInfoData detail;
	ListCell   *lc;

	(void) parse_script(id, MIGRATE_SCRIPT_UP, up, transactional, &problems);
	if (down != NULL)
		(void) parse_script(id, MIGRATE_SCRIPT_DOWN, down, transactional,
							&problems);
	if (problems == NIL)
		return;

	first = (ScriptProblem *) linitial(problems);
	if (list_length(problems) == 1)
		ereport(ERROR,
				(errcode(first->sqlstate),
				 errmsg_internal("%s", first->message),
				 first->detail ? errdetail_internal("%s", first->detail) : 0,
				 first->hint ? errhint("%s", first->hint) : 0,
				 errcontext("migration \"%s\", %s script%s%s", id,
							migrate_script_name(first->kind),
							first->where[0] != '\0' ? ", " : "", first->where)));

	initStringInfo(&detail);
	foreach(lc, problems)
	{
		ScriptProblem *p = (ScriptProblem *) lfirst(lc);

		appendStringInfo(&detail, "%s%s script%s%s: %s.", detail.len > 0 ? "\n" : "",
						 p->kind == MIGRATE_SCRIPT_UP ? "Up" : "Down",
						 p->where[0] != '\0' ? ", " : "", p->where, p->message);
	}
	ereport(ERROR,
			(errcode(first->sqlstate),
			 errmsg("migration \"%s\" has %d problems and was not registered",
					id, list_length(problems)),
			 errdetail_internal("%s", detail.data),
			 errhint("Fix each of them in the scripts and register the migration again.")));
}

/*
 * migrate_sha256_final: the SHA-256 digest (PG_SHA256_DIGEST_LENGTH bytes)
 * of what ctx was given; what names it in the error.
 */
void
migrate_sha256_final(pg_cryptohash_ctx *ctx, uint8 *digest, const char *what)
{
#if PG_VERSION_NUM >= 150000
	if (pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
#else
	if (pg_cryptohash_final(ctx, digest) < 0)
#endif
		elog(ERROR, "could not compute SHA-256 %s", what);
}

/* migrate_hex: len bytes as 2 * len lowercase hex digits and a NUL */
void
migrate_hex(const uint8 *bytes, size_t len, char *dest)
{
	dest[hex_encode((const char *) bytes, len, dest)] = '\0';
}

/* migrate_checksum: lowercase hex SHA-256 of len bytes into dest (65 bytes) */
void
migrate_checksum(const char *data, size_t len, char *dest)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	pg_cryptohash_ctx *ctx;

	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0)
		elog(ERROR, "could not compute SHA-256 checksum");
	migrate_sha256_final(ctx, digest, "checksum");
	pg_cryptohash_free(ctx);
	migrate_hex(digest, PG_SHA256_DIGEST_LENGTH, dest);
}
