/*-------------------------------------------------------------------------
 *
 * connect.c
 *	  Connecting as psql does, what the server offers, its notices and its
 *	  errors, and the text[] literals sent to it.
 *
 * Server NOTICEs are progress ("applied 0003_x (3 of 7) in 1.2 ms") and are
 * written to standard error as they arrive, without psql's "NOTICE:"
 * prefix; WARNINGs keep theirs.  An error is written as the server sent it:
 * message, detail, hint and context unchanged (with -v, also its SQLSTATE
 * and the server's source location).  The session's client encoding is
 * UTF8, the encoding of the files.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/logging.h"
#include "common/string.h"
#include "fe_utils/cancel.h"

#include "pg_migrate.h"

ErrorRecord *errors = NULL;
int			nerrors = 0;
static int	errors_size = 0;

static bool notices_quiet = false;
static bool notices_collect = false;
static char **notices = NULL;
static int	nnotices = 0;
static int	notices_size = 0;
static bool verbose_errors = false;

void
set_notice_output(bool quiet, bool collect)
{
	notices_quiet = quiet;
	notices_collect = collect;
}

int
notice_count(void)
{
	return nnotices;
}

const char *
notice_at(int i)
{
	return notices[i];
}

static const char *
field(const PGresult *res, int code)
{
	return PQresultErrorField(res, code);
}

static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *severity = field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *message = field(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = field(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = field(res, PG_DIAG_MESSAGE_HINT);
	bool		progress;

	(void) arg;
	if (severity == NULL)
		severity = field(res, PG_DIAG_SEVERITY);
	if (message == NULL)
		message = "";
	progress = severity == NULL || strcmp(severity, "NOTICE") == 0 ||
		strcmp(severity, "INFO") == 0 || strcmp(severity, "LOG") == 0 ||
		strncmp(severity, "DEBUG", 5) == 0;

	if (notices_collect)
	{
		if (nnotices == notices_size)
		{
			notices_size = notices_size ? notices_size * 2 : 32;
			notices = pg_realloc(notices, sizeof(char *) * notices_size);
		}
		notices[nnotices++] = progress ? pg_strdup(message) :
			psprintf("%s: %s", severity, message);
	}
	if (progress)
	{
		if (notices_quiet)
			return;
		fprintf(stderr, "%s\n", message);
		if (detail != NULL)
			fprintf(stderr, "DETAIL:  %s\n", detail);
		if (hint != NULL)
			fprintf(stderr, "HINT:  %s\n", hint);
	}
	else
		fprintf(stderr, "%s", PQresultErrorMessage(res));
}

static ErrorRecord *
new_error(void)
{
	if (nerrors == errors_size)
	{
		errors_size = errors_size ? errors_size * 2 : 8;
		errors = pg_realloc(errors, sizeof(ErrorRecord) * errors_size);
	}
	memset(&errors[nerrors], 0, sizeof(ErrorRecord));
	return &errors[nerrors++];
}

/* record_error: an error of pg_migrate's own (a file's problem...) */
void
record_error(const char *file, const char *message)
{
	ErrorRecord *e = new_error();

	e->file = file ? pg_strdup(file) : NULL;
	e->severity = pg_strdup("ERROR");
	e->message = pg_strdup(message);
}

static char *
copy_field(const PGresult *res, int code)
{
	const char *v = field(res, code);

	return v ? pg_strdup(v) : NULL;
}

/* report_result_error: write the error of res as the server sent it */
void
report_result_error(const PGresult *res)
{
	const char *msg = PQresultErrorMessage(res);

	ErrorRecord *e = new_error();

	e->severity = copy_field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	e->sqlstate = copy_field(res, PG_DIAG_SQLSTATE);
	e->message = copy_field(res, PG_DIAG_MESSAGE_PRIMARY);
	e->detail = copy_field(res, PG_DIAG_MESSAGE_DETAIL);
	e->hint = copy_field(res, PG_DIAG_MESSAGE_HINT);
	e->context = copy_field(res, PG_DIAG_CONTEXT);
	if (e->message == NULL)
		e->message = pg_strdup(msg);
	fprintf(stderr, "%s", msg);
}

static bool
result_ok(PGconn *conn, PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return true;
	if (res == NULL)
	{
		record_error(NULL, PQerrorMessage(conn));
		fprintf(stderr, "%s", PQerrorMessage(conn));
	}
	else
		report_result_error(res);
	return false;
}

/* run: sql's result, or NULL after reporting its error */
PGresult *
run(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (!result_ok(conn, res))
	{
		PQclear(res);
		return NULL;
	}
	return res;
}

/* run_params: the same, with parameters $1... as text */
PGresult *
run_params(PGconn *conn, const char *sql, int nparams,
		   const char *const *values)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, values, NULL,
								   NULL, 0);

	if (!result_ok(conn, res))
	{
		PQclear(res);
		return NULL;
	}
	return res;
}

bool
run_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = run(conn, sql);

	PQclear(res);
	return res != NULL;
}

/*
 * sql_literal: s as an SQL string literal, for conn, in memory of
 * pg_malloc (pg_free it); exits if it cannot be made (out of memory)
 */
char *
sql_literal(PGconn *conn, const char *s)
{
	char	   *q = PQescapeLiteral(conn, s, strlen(s));
	char	   *copy;

	if (q == NULL)
	{
		pg_log_error("%s", PQerrorMessage(conn));
		exit(EXIT_FAILED);
	}
	copy = pg_strdup(q);
	PQfreemem(q);
	return copy;
}

/*
 * append_text_array: the array literal of the strings, for a text[]
 * parameter (NULL elements for NULL)
 */
void
append_text_array(PQExpBuffer buf, const char *const *items, int n)
{
	int			i;

	appendPQExpBufferChar(buf, '{');
	for (i = 0; i < n; i++)
	{
		const char *p;

		if (i > 0)
			appendPQExpBufferChar(buf, ',');
		if (items[i] == NULL)
		{
			appendPQExpBufferStr(buf, "NULL");
			continue;
		}
		appendPQExpBufferChar(buf, '"');
		for (p = items[i]; *p;)
		{
			/* the run up to the next character to escape, at once */
			size_t		run = strcspn(p, "\"\\");

			appendBinaryPQExpBuffer(buf, p, run);
			p += run;
			if (*p)
			{
				appendPQExpBufferChar(buf, '\\');
				appendPQExpBufferChar(buf, *p++);
			}
		}
		appendPQExpBufferChar(buf, '"');
	}
	appendPQExpBufferChar(buf, '}');
}

static void
param(const char **keywords, const char **values, int *n,
	  const char *keyword, const char *value)
{
	keywords[*n] = keyword;
	values[*n] = value;
	(*n)++;
}

/*
 * connect_database: a connection as psql makes it from -d (or the last
 * argument: a name, conninfo or URI), -h, -p, -U and the PG* variables;
 * dbname, if not NULL, names another database on the same server.  NULL
 * (reported) if it fails.
 */
PGconn *
connect_database(const Options *opts, const char *dbname)
{
	const char *keywords[10];
	const char *values[10];
	char	   *password = NULL;
	PGconn	   *conn;
	int			n;

	verbose_errors = opts->verbose;
	if (opts->prompt_password == 1)
		password = simple_prompt("Password: ", false);

	for (;;)
	{
		n = 0;
		param(keywords, values, &n, "host", opts->host);
		param(keywords, values, &n, "port", opts->port);
		param(keywords, values, &n, "user", opts->username);
		param(keywords, values, &n, "password", password);
		/* a conninfo or URI here is expanded; a later dbname overrides */
		param(keywords, values, &n, "dbname", opts->dbname);
		if (dbname != NULL)
			param(keywords, values, &n, "dbname", dbname);
		param(keywords, values, &n, "fallback_application_name", "pg_migrate");
		/* the files are UTF-8, whatever the conninfo says */
		param(keywords, values, &n, "client_encoding", "UTF8");
		param(keywords, values, &n, NULL, NULL);

		conn = PQconnectdbParams(keywords, values, true);
		if (conn == NULL)
		{
			pg_log_error("out of memory");
			return NULL;
		}
		if (PQstatus(conn) == CONNECTION_BAD && PQconnectionNeedsPassword(conn) &&
			password == NULL && opts->prompt_password != -1)
		{
			PQfinish(conn);
			password = simple_prompt("Password: ", false);
			continue;
		}
		break;
	}
	if (PQstatus(conn) == CONNECTION_BAD)
	{
		char	   *msg = pg_strdup(PQerrorMessage(conn));
		size_t		len = strlen(msg);

		while (len > 0 && msg[len - 1] == '\n')
			msg[--len] = '\0';
		pg_log_error("%s", msg);
		record_error(NULL, msg);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
	/* Ctrl-C cancels what the server is running, as in psql */
	SetCancelConn(conn);
	if (verbose_errors)
		PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	return conn;
}

/*
 * probe_server: the extension's version and which of the functions that
 * came after 0.3 the server has (the client works with the ones it finds);
 * false, reported, if the extension is not installed.
 */
bool
probe_server(Server *server, const char *dbname)
{
	PGresult   *res;

	res = run(server->conn,
			  "SELECT e.extversion,"
			  " pg_catalog.to_regprocedure('pg_catalog.migrate_changed(text[],text[])') IS NOT NULL,"
			  " pg_catalog.to_regprocedure('pg_catalog.migrate_deploy(text,boolean)') IS NOT NULL,"
			  " pg_catalog.to_regprocedure('pg_catalog.migrate_undeploy(text,boolean)') IS NOT NULL,"
			  " EXISTS (SELECT FROM pg_catalog.pg_proc WHERE proname = 'migrate_baseline' AND pronamespace = 'pg_catalog'::pg_catalog.regnamespace),"
			  " EXISTS (SELECT FROM pg_catalog.pg_proc WHERE proname = 'migrate_import' AND pronamespace = 'pg_catalog'::pg_catalog.regnamespace),"
			  " pg_catalog.to_regprocedure('pg_catalog.migrate_diff(jsonb,jsonb,boolean,boolean,text[])') IS NOT NULL"
			  " FROM pg_catalog.pg_extension e WHERE e.extname = 'migrate'");
	if (res == NULL)
		return false;
	if (PQntuples(res) != 1)
	{
		pg_log_error("the extension \"migrate\" is not installed in database \"%s\"",
					 dbname ? dbname : PQdb(server->conn));
		pg_log_error_hint("A superuser installs it there with CREATE EXTENSION migrate.");
		record_error(NULL, psprintf("the extension \"migrate\" is not installed in database \"%s\"",
									dbname ? dbname : PQdb(server->conn)));
		PQclear(res);
		return false;
	}
	server->extversion = pg_strdup(PQgetvalue(res, 0, 0));
	server->has_changed = PQgetvalue(res, 0, 1)[0] == 't';
	server->has_deploy = PQgetvalue(res, 0, 2)[0] == 't';
	server->has_undeploy = PQgetvalue(res, 0, 3)[0] == 't';
	server->has_baseline = PQgetvalue(res, 0, 4)[0] == 't';
	server->has_import = PQgetvalue(res, 0, 5)[0] == 't';
	server->has_diff = PQgetvalue(res, 0, 6)[0] == 't';
	PQclear(res);
	return true;
}
