/*-------------------------------------------------------------------------
 *
 * scratch.c
 *	  A scratch database, for what is proven before it is done to the
 *	  database (baseline --check, generate): made from template0 with the
 *	  database's encoding and locale and dropped at the end (this needs
 *	  CREATEDB, and a superuser to install the extension in it), or the
 *	  empty database --scratch-db names (nothing in it but the schema
 *	  public); and two schemas compared by the server.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <time.h>
#include <unistd.h>

#include "common/logging.h"
#include "fe_utils/string_utils.h"

#include "pg_migrate.h"

/* scratch_name: a name no other run takes, pg_migrate_<what>_<pid>_<time> */
char *
scratch_name(const char *what)
{
	return psprintf("pg_migrate_%s_%d_%ld", what, (int) getpid(),
					(long) time(NULL));
}

/* CREATE DATABASE name like the database conn is connected to */
bool
create_scratch(PGconn *conn, const char *name, const char *command)
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
		pg_log_error_hint("%s makes a scratch database, which needs the CREATEDB privilege; or name an empty database with --scratch-db.",
						  command);
	destroyPQExpBuffer(sql);
	return ok;
}

/* the array literal of one column of res (NULL elements for NULL) */
static char *
column_array(const PGresult *res, int col)
{
	const char **values = pg_malloc(sizeof(char *) * (PQntuples(res) + 1));
	PQExpBuffer buf = createPQExpBuffer();
	char	   *result;
	int			r;

	for (r = 0; r < PQntuples(res); r++)
		values[r] = PQgetisnull(res, r, col) ? NULL : PQgetvalue(res, r, col);
	append_text_array(buf, values, PQntuples(res));
	result = pg_strdup(buf->data);
	destroyPQExpBuffer(buf);
	pg_free(values);
	return result;
}

/* drop_scratch: drop a scratch database made by create_scratch() */
void
drop_scratch(PGconn *conn, const char *name)
{
	char	   *sql = psprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)",
							   fmtId(name));

	if (!run_ok(conn, sql))
		pg_log_warning("the scratch database \"%s\" could not be dropped", name);
	pg_free(sql);
}

/*
 * prepare_scratch: on the connection scratch->conn to scratch database
 * name, the extension installed (made: the database was made for this) or
 * installable and nothing else there (named with --scratch-db), and the
 * server probed; false, reported, otherwise.
 */
bool
prepare_scratch(Server *scratch, const char *name, bool made)
{
	if (made && !run_ok(scratch->conn, "CREATE EXTENSION migrate"))
		return false;
	if (!made)
	{
		PGresult   *e = run(scratch->conn,
							"SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension WHERE extname = 'migrate'");

		if (e == NULL)
			return false;
		if (PQgetvalue(e, 0, 0)[0] == '0' &&
			!run_ok(scratch->conn, "CREATE EXTENSION migrate"))
		{
			PQclear(e);
			return false;
		}
		PQclear(e);
	}
	if (!probe_server(scratch, name))
		return false;
	if (!made)
	{
		PGresult   *e = run(scratch->conn,
							"SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.migrate_schema()"
							" WHERE NOT (kind OPERATOR(pg_catalog.=) 'schema' AND identity OPERATOR(pg_catalog.=) 'public')),"
							" (SELECT pg_catalog.count(*) FROM pg_catalog.migrate_status())");

		if (e == NULL)
			return false;
		if (strcmp(PQgetvalue(e, 0, 0), "0") != 0 ||
			strcmp(PQgetvalue(e, 0, 1), "0") != 0)
		{
			pg_log_error("the scratch database \"%s\" is not empty: it holds %s objects and %s migrations",
						 name, PQgetvalue(e, 0, 0), PQgetvalue(e, 0, 1));
			PQclear(e);
			return false;
		}
		PQclear(e);
	}
	return true;
}

/*
 * schema_rows: the schema of the database conn is connected to, as
 * migrate_schema() describes it; NULL (reported) on failure
 */
PGresult *
schema_rows(PGconn *conn)
{
	return run(conn, "SELECT kind, identity, definition FROM pg_catalog.migrate_schema()");
}

/*
 * compare_schemas: the differences between the schema of the database conn
 * is connected to and the rows (kind, identity, definition) of another,
 * as the server compares them: each side's definition in a column named
 * here (this database's) and there (the other's), an object only on one
 * side said to be here_only or there_only, and the kind of any other
 * difference as migrate_difference() judges it.  NULL (reported) on
 * failure.
 */
PGresult *
compare_schemas(PGconn *conn, const PGresult *other, const char *here,
				const char *here_only, const char *there,
				const char *there_only)
{
	char	   *a[3];
	const char *params[5];
	PGresult   *res;
	char	   *sql;
	int			i;

	for (i = 0; i < 3; i++)
		params[i] = a[i] = column_array(other, i);
	params[3] = here_only;
	params[4] = there_only;
	sql = psprintf("SELECT COALESCE(d.kind, s.kind) AS kind,"
				   " COALESCE(d.identity, s.identity) AS identity,"
				   " CASE WHEN s.kind IS NULL THEN $4"
				   " WHEN d.kind IS NULL THEN $5"
				   " ELSE pg_catalog.migrate_difference(d.kind, d.definition, s.definition)"
				   " END AS difference,"
				   " d.definition AS \"%s\", s.definition AS \"%s\""
				   " FROM pg_catalog.migrate_schema() d"
				   " FULL JOIN ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]),"
				   " pg_catalog.unnest($3::pg_catalog.text[]))"
				   " AS s(kind, identity, definition)"
				   " ON d.kind OPERATOR(pg_catalog.=) s.kind AND d.identity OPERATOR(pg_catalog.=) s.identity"
				   " WHERE d.kind IS NULL OR s.kind IS NULL OR d.definition IS DISTINCT FROM s.definition"
				   " ORDER BY COALESCE(d.kind, s.kind) COLLATE \"C\", COALESCE(d.identity, s.identity) COLLATE \"C\"",
				   here, there);
	res = run_params(conn, sql, 5, params);
	pg_free(sql);
	for (i = 0; i < 3; i++)
		pg_free(a[i]);
	return res;
}
