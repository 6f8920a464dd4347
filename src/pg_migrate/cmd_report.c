/*-------------------------------------------------------------------------
 *
 * cmd_report.c
 *	  The commands that report: status, plan, verify and drift.
 *
 * status, plan and verify show the files against the database: the files
 * are registered in a transaction that is rolled back at the end, so that
 * their new migrations are there as pending, and nothing of it stays.
 * Without -D and without a directory "migrations", they show the
 * database's migrations alone.  drift does not read files.
 *
 * verify exits with 3 when a down script does not undo its up script, and
 * drift when anything changed outside migrations, so that CI can gate on
 * them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/logging.h"

#include "pg_migrate.h"

/* migrate_verify() results that are no failure (SPEC §9) */
static bool
verify_result_ok(const char *result)
{
	return strcmp(result, "ok") == 0 ||
		strcmp(result, "column order") == 0 ||
		strcmp(result, "whitespace only") == 0 ||
		strcmp(result, "irreversible") == 0 ||
		strcmp(result, "not verifiable in one transaction") == 0;
}

/* print_advice: the advice column of a plan, under its table, each once */
void
print_advice(const PGresult *res)
{
	int			id = PQfnumber(res, "id");
	int			stmt = PQfnumber(res, "statement");
	int			advice = PQfnumber(res, "advice");
	bool		header = false;
	const char *last = NULL;
	int			r;

	for (r = 0; r < PQntuples(res); r++)
	{
		char	   *line;

		if (PQgetisnull(res, r, advice))
			continue;
		line = psprintf("%s, statement %s: %s", PQgetvalue(res, r, id),
						PQgetvalue(res, r, stmt), PQgetvalue(res, r, advice));
		if (last == NULL || strcmp(last, line) != 0)
		{
			if (!header)
				printf("Advice:\n");
			header = true;
			printf("  %s\n", line);
		}
		last = line;
	}
	if (header)
		printf("\n");
}

int
cmd_report(const Options *opts)
{
	MigrationSet set;
	Server		server;
	RegisterResult reg;
	PQExpBuffer json = createPQExpBuffer();
	PQExpBuffer sql = createPQExpBuffer();
	bool		files = opts->command != CMD_DRIFT &&
	(opts->dir_given || is_directory(opts->dir));
	bool		registered = false;
	bool		in_transaction = false;
	PGresult   *res = NULL;
	int			status = EXIT_FAILED;
	int			found = 0;
	int			r;

	memset(&reg, 0, sizeof(reg));
	memset(&set, 0, sizeof(set));
	appendPQExpBufferStr(json, "\"command\": ");
	json_string(json, opts->command_name);
	set_notice_output(opts->quiet, opts->json);

	if (files)
	{
		if (!load_files(opts, &set))
			goto done;
		json_files(json, &set);
	}
	if (!open_server(opts, &server))
		goto done;
	if (!run_ok(server.conn, "BEGIN"))
		goto close;
	in_transaction = true;

	if (files)
	{
		/*
		 * Registering waits for a deploy in progress; status does not wait
		 * long for it, and shows the database's state instead.
		 */
		if (opts->command == CMD_STATUS &&
			!(run_ok(server.conn, "SET LOCAL lock_timeout = '2s'") &&
			  run_ok(server.conn, "SAVEPOINT pg_migrate_files")))
			goto close;
		registered = register_migrations(server.conn, &server, &set, true, &reg);
		if (!registered)
		{
			if (opts->command != CMD_STATUS ||
				!run_ok(server.conn, "ROLLBACK TO SAVEPOINT pg_migrate_files"))
				goto close;
			pg_log_warning("the files could not be registered: the migrations below are the database's alone");
		}
		if (opts->command == CMD_STATUS &&
			!run_ok(server.conn, "RESET lock_timeout"))
			goto close;
		json_registration(json, &reg);
	}

	switch (opts->command)
	{
		case CMD_STATUS:
			appendPQExpBufferStr(sql, opts->json ?
								 "SELECT * FROM pg_catalog.migrate_status()" :
								 "SELECT id, state, applied_at, applied_by, duration, reversible,"
								 " CASE WHEN partial IS NOT NULL THEN pg_catalog.format('%s script stopped after statement %s: %s', partial, stopped_at, error) END AS stopped,"
								 " description FROM pg_catalog.migrate_status()");
			break;
		case CMD_PLAN:
			{
				char	   *t = sql_literal(server.conn, opts->target);

				if (opts->json)
					appendPQExpBufferStr(sql, "SELECT *");
				else
				{
					appendPQExpBufferStr(sql, "SELECT id, statement, line, command, relation, lock_mode,"
										 " rewrites, scans, destroys, est_rows, risk");
					if (opts->execute)
						appendPQExpBufferStr(sql, ", observed_locks, duration, mismatch");
					appendPQExpBufferStr(sql, ", advice");
				}
				appendPQExpBuffer(sql, " FROM pg_catalog.migrate_plan(%s, %s, %s)", t,
								  opts->execute ? "true" : "false",
								  opts->rollback ? "true" : "false");
				pg_free(t);
			}
			break;
		case CMD_VERIFY:
			{
				char	   *t = sql_literal(server.conn, opts->target);

				appendPQExpBuffer(sql, "SELECT * FROM pg_catalog.migrate_verify(%s)", t);
				pg_free(t);
			}
			break;
		case CMD_DRIFT:
			appendPQExpBufferStr(sql, "SELECT * FROM pg_catalog.migrate_drift()");
			break;
		default:
			Assert(false);
	}
	res = run(server.conn, sql->data);
	if (res == NULL)
		goto close;

	if (opts->command == CMD_VERIFY)
	{
		int			col = PQfnumber(res, "result");

		for (r = 0; r < PQntuples(res); r++)
			if (!verify_result_ok(PQgetvalue(res, r, col)))
				found++;
	}
	else if (opts->command == CMD_DRIFT)
		found = PQntuples(res);

	if (opts->json)
	{
		appendPQExpBufferStr(json, ",\n\"rows\": ");
		print_json_rows(res, json);
		if (opts->command == CMD_VERIFY || opts->command == CMD_DRIFT)
			appendPQExpBuffer(json, ",\n\"found\": %d", found);
	}
	else if (opts->command == CMD_PLAN)
	{
		/* the advice under the table, where it has room */
		print_table(res, "advice");
		print_advice(res);
	}
	else
	{
		print_table(res, NULL);
		if (opts->command == CMD_VERIFY && !opts->quiet && found)
			printf("%d finding%s: a down script does not undo its up script, or a script failed\n",
				   found, found == 1 ? "" : "s");
		else if (opts->command == CMD_DRIFT && !opts->quiet && found)
			printf("%d change%s made outside migrations\n", found,
				   found == 1 ? "" : "s");
	}

	/* the files' registration is not kept */
	if (!run_ok(server.conn, "ROLLBACK"))
		goto close;
	in_transaction = false;
	status = found > 0 ? EXIT_FOUND :
		(files && !registered ? EXIT_FAILED : EXIT_OK);

close:
	PQclear(res);
	if (in_transaction)
		PQclear(PQexec(server.conn, "ROLLBACK"));
	close_server(&server);
done:
	if (opts->json)
	{
		json_finish(json, status);
	}
	destroyPQExpBuffer(json);
	destroyPQExpBuffer(sql);
	return status;
}
