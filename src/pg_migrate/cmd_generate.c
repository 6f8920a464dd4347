/*-------------------------------------------------------------------------
 *
 * cmd_generate.c
 *	  generate ID --schema FILE...: write the migration ID that takes the
 *	  database from its schema to the one the files make (SPEC §13), and
 *	  prove it before anything is applied.
 *
 * 1. The desired schema is built from the files in a scratch database
 *	  (scratch.c), made for it and dropped at the end, or the empty one
 *	  --scratch-db names.
 * 2. Both schemas are described (migrate_describe_json()) and compared by
 *	  the server (migrate_diff()): the up script from the database's
 *	  schema to the desired one, with --allow-drop, --unsafe and --rename as
 *	  given; the down script the other way, with the same renames, and
 *	  drops allowed (it undoes what up adds; a rollback that would destroy
 *	  data still needs the guard's consent).
 * 3. ID.up.sql and ID.down.sql are written in the directory, in this
 *	  project's layout (updown): "-- morph:nontransactional" first if a
 *	  statement must run on its own, "-- data_loss_ok: true" if the up
 *	  script destroys data, each statement's note as a comment above it.
 * 4. The pair is proven on the scratch database, which holds the desired
 *	  schema: the down script run there must give the database's schema
 *	  (compared object by object); the migration, registered there from the
 *	  files just written, must pass migrate_verify() (its down undoes its
 *	  up); deployed there, it must give the desired schema exactly (equal
 *	  fingerprints).  Then migrate_plan() of the up script is shown, from
 *	  the database itself, with the migration registered in a transaction
 *	  that is rolled back.
 *
 * Anything short is reported (exit status 3), and the files stay written,
 * for review.  Nothing is changed in the database.  Migrations of the
 * directory that the database has not applied are warned of: the new one
 * is written from the database's schema as it is.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <sys/stat.h>

#include "common/logging.h"

#include "pg_migrate.h"

/* One script made by migrate_diff(): its rows */
typedef struct Script
{
	PGresult   *rows;			/* step, statement, transactional,
								 * destructive, note */
	int			statements;		/* not counting comments */
	bool		transactional;	/* every statement is */
	bool		destructive;	/* a statement is */
} Script;

/* What the proof found */
typedef struct Proof
{
	bool		done;			/* it could be run at all */
	bool		down_restores;
	bool		down_column_order;	/* ... but for the order of columns */
	bool		verified;
	bool		up_gives_desired;
	bool		up_column_order;
} Proof;

/*
 * The scratch database's notices (the progress of the deploy that proves
 * the migration) are not the database's: not shown.
 */
static void
ignore_notice(void *arg, const PGresult *res)
{
}

static bool
is_comment(const char *sql)
{
	return strncmp(sql, "--", 2) == 0;
}

/* The description and fingerprint of the database conn is connected to */
static bool
describe(PGconn *conn, char **description, char **fingerprint)
{
	PGresult   *res = run(conn,
						  "SELECT pg_catalog.migrate_describe_json()::pg_catalog.text,"
						  " pg_catalog.migrate_fingerprint()");

	if (res == NULL)
		return false;
	*description = pg_strdup(PQgetvalue(res, 0, 0));
	*fingerprint = pg_strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	return true;
}

/* migrate_diff(from, to, ...) into script; false (reported) on failure */
static bool
diff(PGconn *conn, const char *from, const char *to, bool allow_drop,
	 bool unsafe, const char *renames, Script *script)
{
	const char *params[5] = {from, to, allow_drop ? "true" : "false",
	unsafe ? "true" : "false", renames};
	int			r;

	memset(script, 0, sizeof(*script));
	script->rows = run_params(conn,
							  "SELECT step, statement, transactional, destructive, note"
							  " FROM pg_catalog.migrate_diff($1::pg_catalog.jsonb, $2::pg_catalog.jsonb,"
							  " $3::pg_catalog.bool, $4::pg_catalog.bool, $5::pg_catalog.text[])"
							  " ORDER BY step",
							  5, params);
	if (script->rows == NULL)
		return false;
	script->transactional = true;
	for (r = 0; r < PQntuples(script->rows); r++)
	{
		if (!is_comment(PQgetvalue(script->rows, r, 1)))
			script->statements++;
		if (PQgetvalue(script->rows, r, 2)[0] == 'f')
			script->transactional = false;
		if (PQgetvalue(script->rows, r, 3)[0] == 't')
			script->destructive = true;
	}
	return true;
}

/* a file's name without its directories */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * The text of a script file: the headers the layout reads, a comment
 * saying what it is, then each statement, its note above it.
 */
static char *
script_text(const Script *script, bool nontransactional,
			const char *description, bool data_loss_ok, const char *what)
{
	PQExpBuffer buf = createPQExpBuffer();
	char	   *result;
	int			r;

	if (nontransactional)
		appendPQExpBufferStr(buf, "-- morph:nontransactional\n");
	if (description)
		appendPQExpBuffer(buf, "-- description: %s\n", description);
	if (data_loss_ok)
		appendPQExpBufferStr(buf, "-- data_loss_ok: true\n");
	appendPQExpBuffer(buf, "-- %s\n", what);
	if (nontransactional)
		appendPQExpBufferStr(buf,
							 "-- Some statements must or should run on their own, each committed\n"
							 "-- by itself: deploy it with pg_migrate deploy (CALL migrate_deploy()).\n");
	for (r = 0; r < PQntuples(script->rows); r++)
	{
		const char *sql = PQgetvalue(script->rows, r, 1);

		appendPQExpBufferChar(buf, '\n');
		if (!PQgetisnull(script->rows, r, 4))
			appendPQExpBuffer(buf, "-- %s\n", PQgetvalue(script->rows, r, 4));
		appendPQExpBuffer(buf, "%s\n", sql);
	}
	result = pg_strdup(buf->data);
	destroyPQExpBuffer(buf);
	return result;
}

static bool
write_file(const char *path, const char *text)
{
	FILE	   *f = fopen(path, "wb");

	if (f == NULL)
	{
		pg_log_error("could not write \"%s\": %m", path);
		return false;
	}
	if (fwrite(text, 1, strlen(text), f) != strlen(text) || fclose(f) != 0)
	{
		pg_log_error("could not write \"%s\": %m", path);
		return false;
	}
	return true;
}

/*
 * The directory's migrations, if it holds any: they must be in this
 * project's layout, which generate writes, and none may have the new id.
 * A missing directory is made.
 */
static bool
check_directory(const Options *opts, const char *up_path,
				const char *down_path, MigrationSet *set)
{
	DirEntry   *entries;
	int			n;
	int			i;
	bool		any = false;

	if (!is_directory(opts->dir))
	{
		if (mkdir(opts->dir, 0777) != 0)
		{
			pg_log_error("could not make the migrations directory \"%s\": %m",
						 opts->dir);
			return false;
		}
		if (!opts->quiet)
			pg_log_info("made the migrations directory \"%s\"", opts->dir);
		return true;
	}
	if (is_regular_file(up_path) || is_regular_file(down_path))
	{
		pg_log_error("migration \"%s\" exists already in \"%s\"", opts->argument,
					 opts->dir);
		pg_log_error_hint("Give the new migration an id of its own.");
		return false;
	}
	entries = list_directory(opts->dir, &n);
	for (i = 0; entries != NULL && i < n; i++)
		any |= entries[i].dir || has_suffix(entries[i].name, ".sql") ||
			strcmp(entries[i].name, "sqitch.plan") == 0;
	if (!any)
		return true;
	if (!read_migrations(opts->dir, opts->format, set))
	{
		pg_log_error("the migrations of \"%s\" cannot be read; nothing was generated",
					 opts->dir);
		return false;
	}
	if (set->layout != LAYOUT_UPDOWN)
	{
		pg_log_error("\"%s\" is in the %s layout; generate writes the updown layout (<id>.up.sql, <id>.down.sql)",
					 opts->dir, layout_name(set->layout));
		pg_log_error_hint("Generate into a directory of that layout, or write the migration from its output by hand.");
		return false;
	}
	if (find_migration(set, opts->argument) != NULL)
	{
		pg_log_error("migration \"%s\" exists already in \"%s\"", opts->argument,
					 opts->dir);
		return false;
	}
	return true;
}

/*
 * Warn if migrations of the directory are not applied to the database: the
 * new migration is written from the database's schema as it is, which they
 * would change too.  The files are registered in a transaction rolled back
 * at the end, as status does, waiting at most 2 s for a deploy in progress.
 */
static void
warn_pending(Server *server, MigrationSet *set, const Options *opts)
{
	RegisterResult reg;
	PGresult   *res = NULL;

	if (set->n == 0 || !run_ok(server->conn, "BEGIN"))
		return;
	if (run_ok(server->conn, "SET LOCAL lock_timeout = '2s'") &&
		register_migrations(server->conn, server, set, true, &reg))
		res = run(server->conn,
				  "SELECT pg_catalog.count(*) FROM pg_catalog.migrate_status()"
				  " WHERE state OPERATOR(pg_catalog.<>) 'applied'");
	if (res != NULL && strcmp(PQgetvalue(res, 0, 0), "0") != 0)
	{
		pg_log_warning("%s migration%s of \"%s\" %s not applied to database \"%s\": the new one is written from its schema as it is",
					   PQgetvalue(res, 0, 0),
					   strcmp(PQgetvalue(res, 0, 0), "1") == 0 ? "" : "s",
					   opts->dir,
					   strcmp(PQgetvalue(res, 0, 0), "1") == 0 ? "is" : "are",
					   PQdb(server->conn));
		pg_log_warning_hint("Deploy them first, or the new migration will do again what they do.");
	}
	PQclear(res);
	PQclear(PQexec(server->conn, "ROLLBACK"));
}

/*
 * Build the desired schema: run each file on the scratch database, as one
 * simple query each (so that a file of many statements runs as psql -1
 * would run it, but without psql's backslash commands).
 */
static bool
build_desired(PGconn *scratch, const Options *opts)
{
	MigrationSet problems;
	int			i;

	memset(&problems, 0, sizeof(problems));
	for (i = 0; i < opts->nschema_files; i++)
	{
		FileText text;

		if (!read_text_file(&problems, opts->schema_files[i], &text))
			return false;
		if (!run_ok(scratch, text.data))
		{
			pg_log_error("the schema file \"%s\" failed on the scratch database",
						 opts->schema_files[i]);
			pg_log_error_hint("It must hold SQL that makes the desired schema in an empty database (no psql backslash commands).");
			pg_free(text.data);
			return false;
		}
		pg_free(text.data);
	}
	return true;
}

/* The migration just written, read back from the directory as a set of one */
static bool
read_back(const Options *opts, MigrationSet *one)
{
	MigrationSet set;
	Migration  *m;

	if (!read_migrations(opts->dir, "updown", &set))
		return false;
	m = find_migration(&set, opts->argument);
	if (m == NULL)
	{
		pg_log_error("migration \"%s\" is not found in \"%s\" after it was written",
					 opts->argument, opts->dir);
		return false;
	}
	memset(one, 0, sizeof(*one));
	one->dir = opts->dir;
	one->layout = LAYOUT_UPDOWN;
	one->n = one->size = 1;
	one->items = pg_malloc(sizeof(Migration));
	one->items[0] = *m;
	return true;
}

/* Run the statements of a script one by one, at top level; false on error */
static bool
run_script(PGconn *conn, const Script *script)
{
	int			r;

	for (r = 0; r < PQntuples(script->rows); r++)
	{
		const char *sql = PQgetvalue(script->rows, r, 1);

		if (!is_comment(sql) && !run_ok(conn, sql))
			return false;
	}
	return true;
}

/*
 * Do the differences compare_schemas() found (res) differ only in where
 * columns are?  A column added to an existing table goes at its end: a
 * down script that adds back a column the up script dropped moves it, and
 * the columns after it, which migrate_verify() reports apart and does not
 * count as a failure (SPEC §9).  The server says which differences those
 * are (migrate_difference()).
 */
static bool
column_order_only(const PGresult *res)
{
	int			r;

	for (r = 0; r < PQntuples(res); r++)
	{
		if (strcmp(PQgetvalue(res, r, 2), "column order") != 0)
			return false;
	}
	return true;
}

/* migrate_verify() results that are no failure (SPEC §9) */
static bool
verify_ok(const char *result)
{
	return strcmp(result, "ok") == 0 ||
		strcmp(result, "column order") == 0 ||
		strcmp(result, "whitespace only") == 0 ||
		strcmp(result, "not verifiable in one transaction") == 0;
}

/*
 * The proof, on the scratch database, which holds the desired schema:
 * down gives the database's schema, verify passes, up gives the desired
 * schema again.
 */
static void
prove(const Options *opts, Server *scratch, const PGresult *current_rows,
	  const char *desired_fingerprint, const Script *down, Proof *proof,
	  PQExpBuffer json)
{
	MigrationSet one;
	RegisterResult reg;
	PGresult   *res;
	char	   *t;
	char	   *sql;
	int			r;

	/* down, on the desired schema: the database's schema again? */
	if (!run_script(scratch->conn, down))
	{
		pg_log_error("the down script fails on the desired schema");
		return;
	}
	res = compare_schemas(scratch->conn, current_rows,
						  "after down", "only after the down script",
						  "database", "only in the database");
	if (res == NULL)
		return;
	proof->down_restores = column_order_only(res);
	proof->down_column_order = PQntuples(res) > 0 && proof->down_restores;
	appendPQExpBufferStr(json, ",\n\"down_differences\": ");
	print_json_rows(res, json);
	if (PQntuples(res) > 0 && !opts->json)
		print_table(res, NULL);
	if (!proof->down_restores)
		pg_log_error("the down script does not give the database's schema (%d difference%s)",
					 PQntuples(res), PQntuples(res) == 1 ? "" : "s");
	else if (proof->down_column_order)
		pg_log_warning("the down script gives the database's schema but for the order of columns: a column added back goes at the end");
	PQclear(res);

	/* the migration as the files define it, verified, then deployed */
	if (!read_back(opts, &one))
		return;
	if (!run_ok(scratch->conn, "BEGIN") ||
		!register_migrations(scratch->conn, scratch, &one, true, &reg) ||
		!run_ok(scratch->conn, "COMMIT"))
	{
		PQclear(PQexec(scratch->conn, "ROLLBACK"));
		pg_log_error("the migration could not be registered on the scratch database");
		return;
	}
	t = sql_literal(scratch->conn, opts->argument);
	sql = psprintf("SELECT * FROM pg_catalog.migrate_verify(%s)", t);
	res = run(scratch->conn, sql);
	pg_free(sql);
	if (res == NULL)
	{
		pg_free(t);
		return;
	}
	proof->verified = true;
	for (r = 0; r < PQntuples(res); r++)
		if (!verify_ok(PQgetvalue(res, r, PQfnumber(res, "result"))))
			proof->verified = false;
	appendPQExpBufferStr(json, ",\n\"verify\": ");
	print_json_rows(res, json);
	if (!opts->json && (!proof->verified || opts->verbose))
		print_table(res, NULL);
	if (!proof->verified)
		pg_log_error("migrate_verify(): the down script does not undo the up script");
	PQclear(res);

	sql = psprintf("CALL pg_catalog.migrate_deploy(%s, false)", t);
	pg_free(t);
	if (!run_ok(scratch->conn, sql))
	{
		pg_free(sql);
		pg_log_error("the migration could not be deployed on the scratch database");
		return;
	}
	pg_free(sql);
	proof->done = true;

	/* the desired schema, exactly? */
	res = run(scratch->conn, "SELECT pg_catalog.migrate_fingerprint()");
	if (res == NULL)
		return;
	proof->up_gives_desired = strcmp(PQgetvalue(res, 0, 0), desired_fingerprint) == 0;
	PQclear(res);
}

/* What is not equal between the desired schema and what up made of it */
static void
report_up_differences(const Options *opts, PGconn *scratch,
					  const PGresult *desired_rows, Proof *proof,
					  PQExpBuffer json)
{
	PGresult   *res = compare_schemas(scratch, desired_rows,
									  "after up", "only after the up script",
									  "desired", "only in the desired schema");

	if (res == NULL)
		return;
	appendPQExpBufferStr(json, ",\n\"up_differences\": ");
	print_json_rows(res, json);
	if (!opts->json)
		print_table(res, NULL);
	proof->up_column_order = PQntuples(res) > 0 && column_order_only(res);
	if (proof->up_column_order)
		pg_log_warning("the up script gives the desired schema but for the order of columns: PostgreSQL adds a column at the end of its table");
	else
		pg_log_error("the up script does not give the desired schema (%d difference%s)",
					 PQntuples(res), PQntuples(res) == 1 ? "" : "s");
	PQclear(res);
}

/*
 * migrate_plan() of the up script, from the database itself: the files
 * registered in a transaction rolled back at the end, as plan does.
 */
static bool
show_plan(const Options *opts, Server *server, PQExpBuffer json)
{
	MigrationSet one;
	RegisterResult reg;
	PGresult   *res;
	const char *params[1] = {opts->argument};
	bool		ok = false;

	if (!read_back(opts, &one) || !run_ok(server->conn, "BEGIN"))
		return false;
	if (register_migrations(server->conn, server, &one, true, &reg) &&
		(res = run_params(server->conn,
						  opts->json ?
						  "SELECT * FROM pg_catalog.migrate_plan($1) WHERE id OPERATOR(pg_catalog.=) $1" :
						  "SELECT id, statement, line, command, relation, lock_mode, rewrites, scans,"
						  " destroys, est_rows, risk, advice"
						  " FROM pg_catalog.migrate_plan($1) WHERE id OPERATOR(pg_catalog.=) $1",
						  1, params)) != NULL)
	{
		appendPQExpBufferStr(json, ",\n\"plan\": ");
		print_json_rows(res, json);
		if (!opts->json && !opts->quiet)
		{
			printf("migrate_plan() of %s on database \"%s\":\n", opts->argument,
				   PQdb(server->conn));
			print_table(res, "advice");
			print_advice(res);
		}
		PQclear(res);
		ok = true;
	}
	PQclear(PQexec(server->conn, "ROLLBACK"));
	return ok;
}

int
cmd_generate(const Options *opts)
{
	Server		server;
	Server		scratch;
	MigrationSet set;
	char	   *name = NULL;
	bool		made = opts->scratch_db == NULL;
	bool		scratch_exists = false;
	char	   *up_path = path_join(opts->dir, psprintf("%s.up.sql", opts->argument));
	char	   *down_path = path_join(opts->dir, psprintf("%s.down.sql", opts->argument));
	char	   *current = NULL;
	char	   *current_fingerprint = NULL;
	char	   *desired = NULL;
	char	   *desired_fingerprint = NULL;
	PGresult   *current_rows = NULL;
	PGresult   *desired_rows = NULL;
	Script		up;
	Script		down;
	Proof		proof;
	bool		nontransactional;
	PQExpBuffer json = createPQExpBuffer();
	PQExpBuffer files = createPQExpBuffer();
	PQExpBuffer renames = createPQExpBuffer();
	int			status = EXIT_FAILED;
	int			i;

	memset(&server, 0, sizeof(server));
	memset(&set, 0, sizeof(set));
	memset(&scratch, 0, sizeof(scratch));
	memset(&up, 0, sizeof(up));
	memset(&down, 0, sizeof(down));
	memset(&proof, 0, sizeof(proof));
	appendPQExpBufferStr(json, "\"command\": \"generate\",\n\"id\": ");
	json_string(json, opts->argument);
	set_notice_output(opts->quiet, opts->json);

	if (!id_valid(opts->argument))
	{
		pg_log_error("\"%s\" is not a valid migration id: 1 to 200 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit (and not head or base)",
					 opts->argument);
		goto done;
	}
	for (i = 0; i < opts->nschema_files; i++)
	{
		appendPQExpBuffer(files, "%s%s", i ? ", " : "",
						  base_name(opts->schema_files[i]));
		if (!is_regular_file(opts->schema_files[i]))
		{
			pg_log_error("the schema file \"%s\" is not a file", opts->schema_files[i]);
			goto done;
		}
	}
	if (!check_directory(opts, up_path, down_path, &set))
		goto done;
	if (!open_server(opts, &server))
		goto done;
	if (!server_has(&server, server.has_diff, "migrate_diff"))
		goto close;
	warn_pending(&server, &set, opts);

	/* the desired schema, on the scratch database */
	name = made ? scratch_name("generate") : pg_strdup(opts->scratch_db);
	if (made && !create_scratch(server.conn, name, "generate"))
		goto close;
	scratch_exists = true;
	if (!opts->quiet)
		pg_log_info("building the desired schema from %s on the scratch database \"%s\"",
					files->data, name);
	scratch.conn = connect_database(opts, name);
	if (scratch.conn != NULL)
		PQsetNoticeReceiver(scratch.conn, ignore_notice, NULL);
	if (scratch.conn == NULL || !prepare_scratch(&scratch, name, made) ||
		!build_desired(scratch.conn, opts))
		goto close;

	/* both described, and compared */
	if (!describe(server.conn, &current, &current_fingerprint) ||
		!describe(scratch.conn, &desired, &desired_fingerprint) ||
		(current_rows = schema_rows(server.conn)) == NULL ||
		(desired_rows = schema_rows(scratch.conn)) == NULL)
		goto close;
	append_text_array(renames, opts->renames, opts->nrenames);
	if (!diff(server.conn, current, desired, opts->allow_drop, opts->unsafe,
			  renames->data, &up) ||
		!diff(server.conn, desired, current, true, opts->unsafe,
			  renames->data, &down))
		goto close;

	appendPQExpBufferStr(json, ",\n\"up\": ");
	print_json_rows(up.rows, json);
	appendPQExpBufferStr(json, ",\n\"down\": ");
	print_json_rows(down.rows, json);
	if (up.statements == 0)
	{
		/* what it cannot diff, if anything, is said in comments */
		for (i = 0; i < PQntuples(up.rows); i++)
			pg_log_warning("%s", PQgetvalue(up.rows, i, 1) + 3);
		if (!opts->json && !opts->quiet)
			printf("nothing to generate: the schema of database \"%s\" is what %s make%s\n",
				   PQdb(server.conn), files->data,
				   opts->nschema_files == 1 ? "s" : "");
		status = PQntuples(up.rows) > 0 ? EXIT_FOUND : EXIT_OK;
		goto close;
	}

	/* the files */
	nontransactional = !up.transactional || !down.transactional;
	if (!write_file(up_path,
					script_text(&up, nontransactional,
								psprintf("generated from %s", files->data),
								up.destructive,
								psprintf("Generated by pg_migrate generate: from the schema of database \"%s\" to the one %s make%s.",
										 PQdb(server.conn), files->data,
										 opts->nschema_files == 1 ? "s" : ""))) ||
		!write_file(down_path,
					script_text(&down, nontransactional, NULL, false,
								psprintf("Generated by pg_migrate generate: back from the schema %s make%s to that of database \"%s\".",
										 files->data,
										 opts->nschema_files == 1 ? "s" : "",
										 PQdb(server.conn)))))
		goto close;
	appendPQExpBufferStr(json, ",\n\"written\": [");
	json_string(json, up_path);
	appendPQExpBufferStr(json, ", ");
	json_string(json, down_path);
	appendPQExpBuffer(json, "],\n\"transactional\": %s,\n\"data_loss_ok\": %s",
					  nontransactional ? "false" : "true",
					  up.destructive ? "true" : "false");
	if (!opts->json && !opts->quiet)
	{
		for (i = 0; i < PQntuples(up.rows); i++)
			if (is_comment(PQgetvalue(up.rows, i, 1)) &&
				strncmp(PQgetvalue(up.rows, i, 1), "-- not written", 14) != 0)
				pg_log_warning("%s", PQgetvalue(up.rows, i, 1) + 3);
		printf("wrote %s (%d statement%s%s%s) and %s (%d statement%s)\n",
			   up_path, up.statements, up.statements == 1 ? "" : "s",
			   nontransactional ? ", non-transactional" : "",
			   up.destructive ? ", destroys data" : "",
			   down_path, down.statements, down.statements == 1 ? "" : "s");
	}

	/* the proof, and the plan */
	prove(opts, &scratch, current_rows, desired_fingerprint, &down, &proof,
		  json);
	if (proof.done && !proof.up_gives_desired)
		report_up_differences(opts, scratch.conn, desired_rows, &proof, json);
	appendPQExpBuffer(json, ",\n\"proven\": {\"down_restores\": %s, \"down_column_order\": %s, \"verified\": %s, \"up_gives_desired\": %s, \"up_column_order\": %s}",
					  proof.down_restores ? "true" : "false",
					  proof.down_column_order ? "true" : "false",
					  proof.verified ? "true" : "false",
					  proof.up_gives_desired ? "true" : "false",
					  proof.up_column_order ? "true" : "false");
	if (!opts->json && !opts->quiet)
		printf("proven on the scratch database: the down script gives the database's schema: %s; migrate_verify(): %s; the up script gives the desired schema: %s\n",
			   !proof.down_restores ? "NO" :
			   proof.down_column_order ? "yes, but for the order of columns" : "yes",
			   proof.verified ? "ok" : "NOT ok",
			   proof.up_gives_desired ? "yes" :
			   proof.up_column_order ? "yes, but for the order of columns" : "NO");
	if (!show_plan(opts, &server, json))
		goto close;
	status = proof.down_restores && proof.verified &&
		(proof.up_gives_desired || proof.up_column_order) ?
		EXIT_OK : EXIT_FOUND;
	if (status == EXIT_FOUND)
		pg_log_error_hint("The files are written for review: fix them by hand, or the schema files, and generate again.");

close:
	PQclear(current_rows);
	PQclear(desired_rows);
	PQclear(up.rows);
	PQclear(down.rows);
	close_server(&scratch);
	if (made && scratch_exists)
		drop_scratch(server.conn, name);
	close_server(&server);
done:
	if (opts->json)
	{
		json_finish(json, status);
	}
	destroyPQExpBuffer(json);
	destroyPQExpBuffer(files);
	destroyPQExpBuffer(renames);
	return status;
}
