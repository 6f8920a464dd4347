/*-------------------------------------------------------------------------
 *
 * cmd_write.c
 *	  The commands that change the database: deploy, apply, register,
 *	  rollback, undeploy and import; and what every command shares: reading
 *	  the files and connecting.
 *
 * Each registers the files first, in one transaction with what it then
 * calls where that can be (apply, rollback, import: all of it or nothing),
 * and before it where it cannot (deploy and undeploy are procedures that
 * commit as they go, and must be called outside a transaction block).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/logging.h"
#include "fe_utils/cancel.h"

#include "pg_migrate.h"

/* load_files: read the migrations of -D; false, reported, if that fails */
bool
load_files(const Options *opts, MigrationSet *set)
{
	if (read_migrations(opts->dir, opts->format, set))
		return true;
	if (set->problems == set->directory_problems)
	{
		if (!opts->dir_given && !is_directory(opts->dir))
			pg_log_error_hint("Name the directory of the migration files with -D.");
	}
	else
		pg_log_error("%d problem%s in the migration files of \"%s\"; nothing was registered",
					 set->problems, set->problems == 1 ? "" : "s", opts->dir);
	return false;
}

/* open_server: connect and probe; false, reported, if that fails */
bool
open_server(const Options *opts, Server *server)
{
	memset(server, 0, sizeof(*server));
	server->conn = connect_database(opts, NULL);
	if (server->conn == NULL)
		return false;
	if (!probe_server(server, NULL))
	{
		close_server(server);
		return false;
	}
	if (strcmp(server->extversion, "0.1") == 0 ||
		strcmp(server->extversion, "0.2") == 0)
	{
		pg_log_error("the extension \"migrate\" in database \"%s\" is at version %s; pg_migrate %s needs %s or later",
					 PQdb(server->conn), server->extversion, PG_MIGRATE_VERSION,
					 PG_MIGRATE_VERSION);
		pg_log_error_hint("Update it with ALTER EXTENSION migrate UPDATE.");
		close_server(server);
		return false;
	}
	return true;
}

void
close_server(Server *server)
{
	if (server->conn != NULL)
	{
		ResetCancelConn();
		PQfinish(server->conn);
	}
	server->conn = NULL;
}

/*
 * server_has: has, what probe_server() found of the server's function
 * (migrate_X, named without its parentheses); false, reported, if the
 * server lacks it
 */
bool
server_has(const Server *s, bool has, const char *function)
{
	if (!has)
		pg_log_error("the extension \"migrate\" %s in database \"%s\" has no %s()",
					 s->extversion, PQdb(s->conn), function);
	return has;
}

/*
 * CALL a procedure that commits as it goes (migrate_deploy,
 * migrate_undeploy), at top level, with the simple protocol.
 */
static bool
call_procedure(PGconn *conn, const char *name, const char *target,
			   bool allow_data_loss)
{
	char	   *t = sql_literal(conn, target);
	char	   *sql = psprintf("CALL pg_catalog.%s(%s, %s)", name, t,
							   allow_data_loss ? "true" : "false");
	bool		ok = run_ok(conn, sql);

	pg_free(sql);
	pg_free(t);
	return ok;
}

/* SELECT a function that returns a count; -1 (reported) on error */
static int
select_count(PGconn *conn, const char *sql, int nparams,
			 const char *const *params)
{
	PGresult   *res = run_params(conn, sql, nparams, params);
	int			n;

	if (res == NULL)
		return -1;
	n = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

/* the calls that apply and roll back: target, dry_run, allow_data_loss */
static const char apply_sql[] =
"SELECT pg_catalog.migrate_apply($1, $2::pg_catalog.bool, $3::pg_catalog.bool)";
static const char rollback_sql[] =
"SELECT pg_catalog.migrate_rollback($1, $2::pg_catalog.bool, $3::pg_catalog.bool)";

static const char *
plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int
cmd_write(const Options *opts)
{
	MigrationSet set;
	Server		server;
	RegisterResult reg;
	PQExpBuffer json = createPQExpBuffer();
	const char *params[3];
	const char *count_sql = NULL;	/* a function that answers a count */
	int			nparams = 3;
	int			count = -1;		/* what the call answered, -1 none */
	bool		ok = false;
	bool		in_transaction = false;
	bool		dry_run = opts->dry_run;
	int			status = EXIT_FAILED;

	memset(&reg, 0, sizeof(reg));
	appendPQExpBufferStr(json, "\"command\": ");
	json_string(json, opts->command_name);
	set_notice_output(opts->quiet, opts->json);

	if (!load_files(opts, &set))
		goto done;
	json_files(json, &set);
	if (!open_server(opts, &server))
		goto done;

	if (opts->command == CMD_UNDEPLOY &&
		!server_has(&server, server.has_undeploy, "migrate_undeploy"))
	{
		pg_log_error_hint("Roll back in one transaction with \"pg_migrate rollback TARGET\".");
		goto close;
	}
	if (opts->command == CMD_IMPORT &&
		!server_has(&server, server.has_import, "migrate_import"))
		goto close;

	if (!run_ok(server.conn, "BEGIN"))
		goto close;
	in_transaction = true;
	if (!register_migrations(server.conn, &server, &set, opts->quiet, &reg))
		goto close;
	json_registration(json, &reg);

	params[0] = opts->target;
	params[1] = opts->dry_run ? "true" : "false";
	params[2] = opts->allow_data_loss ? "true" : "false";
	switch (opts->command)
	{
		case CMD_DEPLOY:
			if (server.has_deploy)
			{
				if (!run_ok(server.conn, "COMMIT"))
					goto close;
				in_transaction = false;
				if (!call_procedure(server.conn, "migrate_deploy",
									opts->target, opts->allow_data_loss))
					goto close;
			}
			else
			{
				if (!opts->quiet)
					pg_log_info("the extension \"migrate\" %s has no migrate_deploy(): applying in one transaction, with migrate_apply()",
								server.extversion);
				params[1] = "false";
				count_sql = apply_sql;
			}
			break;
		case CMD_APPLY:
			count_sql = apply_sql;
			break;
		case CMD_ROLLBACK:
			count_sql = rollback_sql;
			break;
		case CMD_UNDEPLOY:
			if (!run_ok(server.conn, "COMMIT"))
				goto close;
			in_transaction = false;
			if (!call_procedure(server.conn, "migrate_undeploy",
								opts->target, opts->allow_data_loss))
				goto close;
			break;
		case CMD_IMPORT:
			params[0] = opts->argument;
			params[1] = opts->history_table;
			count_sql = opts->history_table ?
				"SELECT pg_catalog.migrate_import($1, $2)" :
				"SELECT pg_catalog.migrate_import($1)";
			nparams = opts->history_table ? 2 : 1;
			break;
		case CMD_REGISTER:
			break;
		default:
			Assert(false);
	}
	if (count_sql != NULL)
	{
		count = select_count(server.conn, count_sql, nparams, params);
		if (count < 0)
			goto close;
	}
	if (in_transaction)
	{
		/* a dry run keeps nothing, its registrations included */
		if (!run_ok(server.conn, dry_run ? "ROLLBACK" : "COMMIT"))
			goto close;
		in_transaction = false;
	}
	ok = true;

close:
	if (in_transaction)
		PQclear(PQexec(server.conn, "ROLLBACK"));
	close_server(&server);
done:
	if (ok)
	{
		status = EXIT_OK;
		if (count >= 0)
			appendPQExpBuffer(json, ",\n\"%s\": %d",
							  opts->command == CMD_ROLLBACK ? "rolled_back" :
							  opts->command == CMD_IMPORT ? "baselined" : "applied",
							  count);
		if (dry_run)
			appendPQExpBufferStr(json, ",\n\"dry_run\": true");
	}
	if (opts->json)
	{
		json_finish(json, status);
	}
	else if (ok && !opts->quiet)
	{
		printf("%d %s: %d registered, %d updated, %d unchanged",
			   set.n, plural(set.n, "migration", "migrations"),
			   reg.registered, reg.updated, reg.unchanged);
		if (dry_run)
			printf(" (dry run: nothing kept)");
		if (count >= 0)
		{
			const char *what = opts->command == CMD_ROLLBACK ? "rolled back" :
			opts->command == CMD_IMPORT ? "baselined from the history" :
			"applied";

			printf("; %d %s%s", count, dry_run ? "would be " : "", what);
		}
		printf("\n");
	}
	destroyPQExpBuffer(json);
	return status;
}
