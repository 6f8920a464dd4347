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

#include <time.h>
#include <unistd.h>

#include "common/logging.h"
#include "fe_utils/string_utils.h"

#include "pg_migrate.h"

/* CREATE DATABASE name like the database conn is connected to */
static bool
create_scratch(PGconn *conn, const char *name)
{
	PGresult   *res;
	PQExpBuffer sql = createPQExpBuffer();
	bool		ok;

	res = run(conn, PQserverVersion(conn) >= 150000 ?
			  "SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype,"
			  " datlocprovider = 'i', daticulocale"
			  " FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()" :
			  "SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype,"
			  " false, NULL FROM pg_catalog.pg_database"
			  " WHERE datname = pg_catalog.current_database()");
	if (res == NULL)
		return false;
	appendPQExpBuffer(sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING ",
					  fmtId(name));
	appendStringLiteralConn(sql, PQgetvalue(res, 0, 0), conn);
	appendPQExpBufferStr(sql, " LC_COLLATE ");
	appendStringLiteralConn(sql, PQgetvalue(res, 0, 1), conn);
	appendPQExpBufferStr(sql, " LC_CTYPE ");
	appendStringLiteralConn(sql, PQgetvalue(res, 0, 2), conn);
	if (PQgetvalue(res, 0, 3)[0] == 't')
	{
		appendPQExpBufferStr(sql, " LOCALE_PROVIDER icu ICU_LOCALE ");
		appendStringLiteralConn(sql, PQgetvalue(res, 0, 4), conn);
	}
	PQclear(res);
	ok = run_ok(conn, sql->data);
	if (!ok)
		pg_log_error_hint("baseline --check makes a scratch database, which needs the CREATEDB privilege; or name an empty database with --scratch-db.");
	destroyPQExpBuffer(sql);
	return ok;
}

/* the array literal of one column of res */
static char *
column_array(const PGresult *res, int col)
{
	PQExpBuffer buf = createPQExpBuffer();
	char	   *result;
	int			r;

	appendPQExpBufferChar(buf, '{');
	for (r = 0; r < PQntuples(res); r++)
	{
		const char *p;

		if (r > 0)
			appendPQExpBufferChar(buf, ',');
		if (PQgetisnull(res, r, col))
		{
			appendPQExpBufferStr(buf, "NULL");
			continue;
		}
		appendPQExpBufferChar(buf, '"');
		for (p = PQgetvalue(res, r, col); *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendPQExpBufferChar(buf, '\\');
			appendPQExpBufferChar(buf, *p);
		}
		appendPQExpBufferChar(buf, '"');
	}
	appendPQExpBufferChar(buf, '}');
	result = pg_strdup(buf->data);
	destroyPQExpBuffer(buf);
	return result;
}

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
	if (made && !run_ok(scratch.conn, "CREATE EXTENSION migrate"))
		goto done;
	if (!made)
	{
		PGresult   *e = run(scratch.conn,
							"SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension WHERE extname = 'migrate'");

		if (e == NULL)
			goto done;
		if (PQgetvalue(e, 0, 0)[0] == '0' &&
			!run_ok(scratch.conn, "CREATE EXTENSION migrate"))
		{
			PQclear(e);
			goto done;
		}
		PQclear(e);
	}
	if (!probe_server(&scratch, name))
		goto done;
	if (!made)
	{
		PGresult   *e = run(scratch.conn,
							"SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.migrate_schema()"
							" WHERE NOT (kind OPERATOR(pg_catalog.=) 'schema' AND identity OPERATOR(pg_catalog.=) 'public')),"
							" (SELECT pg_catalog.count(*) FROM pg_catalog.migrate_status())");

		if (e == NULL)
			goto done;
		if (strcmp(PQgetvalue(e, 0, 0), "0") != 0 ||
			strcmp(PQgetvalue(e, 0, 1), "0") != 0)
		{
			pg_log_error("the scratch database \"%s\" is not empty: it holds %s objects and %s migrations",
						 name, PQgetvalue(e, 0, 0), PQgetvalue(e, 0, 1));
			PQclear(e);
			goto done;
		}
		PQclear(e);
	}

	if (!run_ok(scratch.conn, "BEGIN") ||
		!register_migrations(scratch.conn, &scratch, set, true, &reg) ||
		!run_ok(scratch.conn, "COMMIT"))
		goto done;
	t = PQescapeLiteral(scratch.conn, opts->target, strlen(opts->target));
	sql = scratch.has_deploy ?
		psprintf("CALL pg_catalog.migrate_deploy(%s, true)", t) :
		psprintf("SELECT pg_catalog.migrate_apply(%s, false, true)", t);
	PQfreemem(t);
	if (!run_ok(scratch.conn, sql))
	{
		pg_log_error("the migrations up to %s could not be applied on the scratch database \"%s\"",
					 opts->target, name);
		pg_free(sql);
		goto done;
	}
	pg_free(sql);
	res = run(scratch.conn,
			  "SELECT kind, identity, definition FROM pg_catalog.migrate_schema()");
done:
	close_server(&scratch);
	return res;
}

/*
 * The differences between the database's schema and the scratch one, as
 * the server compares them; NULL (reported) on failure.
 */
static PGresult *
compare_schemas(PGconn *conn, const PGresult *scratch)
{
	char	   *a[3];
	const char *params[3];
	PGresult   *res;
	int			i;

	for (i = 0; i < 3; i++)
		params[i] = a[i] = column_array(scratch, i);
	res = run_params(conn,
					 "SELECT COALESCE(d.kind, s.kind) AS kind,"
					 " COALESCE(d.identity, s.identity) AS identity,"
					 " CASE WHEN s.kind IS NULL THEN 'only in the database'"
					 " WHEN d.kind IS NULL THEN 'only from the migrations'"
					 " ELSE 'differs' END AS difference,"
					 " d.definition AS database, s.definition AS migrations"
					 " FROM pg_catalog.migrate_schema() d"
					 " FULL JOIN ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]),"
					 " pg_catalog.unnest($3::pg_catalog.text[]))"
					 " AS s(kind, identity, definition)"
					 " ON d.kind OPERATOR(pg_catalog.=) s.kind AND d.identity OPERATOR(pg_catalog.=) s.identity"
					 " WHERE d.kind IS NULL OR s.kind IS NULL OR d.definition IS DISTINCT FROM s.definition"
					 " ORDER BY COALESCE(d.kind, s.kind) COLLATE \"C\", COALESCE(d.identity, s.identity) COLLATE \"C\"",
					 3, params);
	for (i = 0; i < 3; i++)
		pg_free(a[i]);
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
	name = made ? psprintf("pg_migrate_check_%d_%ld", (int) getpid(),
						   (long) time(NULL)) :
		pg_strdup(opts->scratch_db);
	if (made && !create_scratch(server->conn, name))
		return false;
	if (!opts->quiet)
		pg_log_info("checking: applying the migrations up to %s on the scratch database \"%s\"",
					opts->target, name);
	scratch = scratch_schema(opts, name, made, set);
	if (scratch != NULL)
	{
		diff = compare_schemas(server->conn, scratch);
		PQclear(scratch);
	}
	if (made)
	{
		char	   *sql = psprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)",
								   fmtId(name));

		if (!run_ok(server->conn, sql))
			pg_log_warning("the scratch database \"%s\" could not be dropped", name);
		pg_free(sql);
	}
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
	if (!server.has_baseline)
	{
		pg_log_error("the extension \"migrate\" %s in database \"%s\" has no migrate_baseline()",
					 server.extversion, PQdb(server.conn));
		goto close;
	}
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
		json_notices(json);
		json_errors(json);
		appendPQExpBuffer(json, ",\n\"exit_status\": %d", status);
		write_json(json);
	}
	destroyPQExpBuffer(json);
	return status;
}
