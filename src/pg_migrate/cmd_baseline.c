/*-------------------------------------------------------------------------
 *
 * cmd_baseline.c
 *	  baseline TARGET: register the files and mark the migrations up to
 *	  TARGET as applied without running them (migrate_baseline(), SPEC
 *	  §12), on a database whose schema they built before migrate came.
 *
 * With --check it is proven first: the same migrations are applied up to
 * TARGET on a scratch database, and migrate_schema() of both is compared
 * by the server; any difference refuses the baseline (exit status 3) and is
 * listed.  The scratch database is made for the check from template0, with
 * the database's encoding and locale, and dropped afterwards (this needs
 * CREATEDB, and a superuser to install the extension in it), or is the
 * empty database --scratch-db names (nothing in it but the schema public),
 * which is left as the check leaves it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/logging.h"

#include "pg_migrate.h"

/*
 * Apply the migrations up to target on the scratch database, and return
 * its schema as migrate_schema() describes it; NULL (reported) on failure.
 */
static PGresult *
scratch_schema(const Options *opts, const char *name, bool made,
			   MigrationSet *set)
{
	Server		scratch;
	RegisterResult reg;
	PGresult   *res = NULL;
	char	   *t;
	char	   *sql;

	memset(&scratch, 0, sizeof(scratch));
	scratch.conn = connect_database(opts, name);
	if (scratch.conn == NULL)
		return NULL;
	if (!prepare_scratch(&scratch, name, made))
		goto done;

	if (!run_ok(scratch.conn, "BEGIN") ||
		!register_migrations(scratch.conn, &scratch, set, true, &reg) ||
		!run_ok(scratch.conn, "COMMIT"))
		goto done;
	t = sql_literal(scratch.conn, opts->target);
	sql = scratch.has_deploy ?
		psprintf("CALL pg_catalog.migrate_deploy(%s, true)", t) :
		psprintf("SELECT pg_catalog.migrate_apply(%s, false, true)", t);
	pg_free(t);
	if (!run_ok(scratch.conn, sql))
	{
		pg_log_error("the migrations up to %s could not be applied on the scratch database \"%s\"",
					 opts->target, name);
		pg_free(sql);
		goto done;
	}
	pg_free(sql);
	res = schema_rows(scratch.conn);
done:
	close_server(&scratch);
	return res;
}

/* --check: false if it could not be done or found differences (*found) */
static bool
check_baseline(const Options *opts, Server *server, MigrationSet *set,
			   bool *found, PQExpBuffer json)
{
	char	   *name;
	bool		made = opts->scratch_db == NULL;
	PGresult   *scratch;
	PGresult   *diff = NULL;
	bool		ok = false;

	*found = false;
	name = made ? scratch_name("check") : pg_strdup(opts->scratch_db);
	if (made && !create_scratch(server->conn, name, "baseline --check"))
		return false;
	if (!opts->quiet)
		pg_log_info("checking: applying the migrations up to %s on the scratch database \"%s\"",
					opts->target, name);
	scratch = scratch_schema(opts, name, made, set);
	if (scratch != NULL)
	{
		diff = compare_schemas(server->conn, scratch,
							   "database", "only in the database",
							   "migrations", "only from the migrations");
		PQclear(scratch);
	}
	if (made)
		drop_scratch(server->conn, name);
	if (diff != NULL)
	{
		ok = true;
		appendPQExpBufferStr(json, ",\n\"differences\": ");
		print_json_rows(diff, json);
		if (PQntuples(diff) > 0)
		{
			*found = true;
			if (!opts->json)
				print_table(diff, NULL);
			pg_log_error("the database's schema differs from what the migrations up to %s make (%d difference%s); nothing was baselined",
						 opts->target, PQntuples(diff),
						 PQntuples(diff) == 1 ? "" : "s");
			pg_log_error_hint("Baseline up to a migration the database matches, or bring the database in line first.");
		}
		else if (!opts->quiet)
			pg_log_info("checked: the database's schema is what the migrations up to %s make",
						opts->target);
		PQclear(diff);
	}
	pg_free(name);
	return ok;
}

int
cmd_baseline(const Options *opts)
{
	MigrationSet set;
	Server		server;
	RegisterResult reg;
	PQExpBuffer json = createPQExpBuffer();
	const char *params[1];
	PGresult   *res;
	bool		in_transaction = false;
	bool		found = false;
	int			count = -1;
	int			status = EXIT_FAILED;

	memset(&reg, 0, sizeof(reg));
	appendPQExpBufferStr(json, "\"command\": \"baseline\"");
	set_notice_output(opts->quiet, opts->json);
	if (!load_files(opts, &set))
		goto done;
	if (!open_server(opts, &server))
		goto done;
	if (!server_has(&server, server.has_baseline, "migrate_baseline"))
		goto close;
	if (opts->check && !check_baseline(opts, &server, &set, &found, json))
		goto close;
	if (found)
	{
		status = EXIT_FOUND;
		goto close;
	}

	if (!run_ok(server.conn, "BEGIN"))
		goto close;
	in_transaction = true;
	if (!register_migrations(server.conn, &server, &set, opts->quiet, &reg))
		goto close;
	json_registration(json, &reg);
	params[0] = opts->target;
	res = run_params(server.conn, "SELECT pg_catalog.migrate_baseline($1)", 1,
					 params);
	if (res == NULL)
		goto close;
	count = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!run_ok(server.conn, "COMMIT"))
		goto close;
	in_transaction = false;
	appendPQExpBuffer(json, ",\n\"baselined\": %d", count);
	status = EXIT_OK;
	if (!opts->json && !opts->quiet)
		printf("%d migration%s marked as applied without running them (baseline up to %s)\n",
			   count, count == 1 ? "" : "s", opts->target);

close:
	if (in_transaction)
		PQclear(PQexec(server.conn, "ROLLBACK"));
	close_server(&server);
done:
	if (opts->json)
	{
		json_finish(json, status);
	}
	destroyPQExpBuffer(json);
	return status;
}
