/*-------------------------------------------------------------------------
 *
 * cmd_print.c
 *	  print: write the psql script that does what deploy (or with --apply,
 *	  apply) does, for deploy jobs that can run psql alone.
 *
 * The script holds the scripts themselves, dollar-quoted with a tag that
 * does not occur in them, so it needs no file beside it and no setting of
 * the session can change how it reads: psql does not look inside
 * dollar-quoted text for variables or backslash commands, and the server
 * does not look for escapes.  It registers every migration in one
 * transaction (an unchanged one costs the server one catalog read), then
 * calls migrate_deploy() outside the transaction, as it must be, or with
 * --apply calls migrate_apply() inside it.  No connection is needed to
 * write it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "pg_migrate.h"

/* text as a dollar-quoted string whose tag (base, base1...) it lacks */
static void
append_dollar_quoted(PQExpBuffer out, const char *text, const char *base)
{
	char		tag[64];
	int			i = 0;

	snprintf(tag, sizeof(tag), "$%s$", base);
	while (strstr(text, tag) != NULL)
		snprintf(tag, sizeof(tag), "$%s%d$", base, ++i);
	appendPQExpBuffer(out, "%s%s%s", tag, text, tag);
}

/* a standard string literal (standard_conforming_strings is on in 9.1+) */
static void
append_literal(PQExpBuffer out, const char *text)
{
	const char *p;

	if (strchr(text, '\\') != NULL)
	{
		append_dollar_quoted(out, text, "d");
		return;
	}
	appendPQExpBufferChar(out, '\'');
	for (p = text; *p; p++)
	{
		if (*p == '\'')
			appendPQExpBufferChar(out, '\'');
		appendPQExpBufferChar(out, *p);
	}
	appendPQExpBufferChar(out, '\'');
}

int
cmd_print(const Options *opts)
{
	MigrationSet set;
	PQExpBuffer out;
	int			i;

	if (!read_migrations(opts->dir, opts->format, &set))
	{
		if (!opts->dir_given && !is_directory(opts->dir))
			fprintf(stderr, "pg_migrate: hint: Name the directory of the migration files with -D.\n");
		return EXIT_FAILED;
	}

	out = createPQExpBuffer();
	appendPQExpBuffer(out, "-- The psql script of \"pg_migrate %s\" for %s (%s layout), %d migration%s.\n",
					  opts->print_apply ? "apply" : "deploy", set.dir,
					  layout_name(set.layout), set.n, set.n == 1 ? "" : "s");
	appendPQExpBufferStr(out, "-- Written by pg_migrate print; run it with: psql -X -f FILE [CONNINFO]\n");
	appendPQExpBufferStr(out, "\\set ON_ERROR_STOP on\n");
	appendPQExpBufferStr(out, "\\encoding UTF8\n");
	appendPQExpBufferStr(out, "BEGIN;\n");
	for (i = 0; i < set.n; i++)
	{
		Migration  *m = &set.items[i];

		appendPQExpBufferStr(out, "SELECT migrate_register(");
		append_literal(out, m->id);
		appendPQExpBufferStr(out, ", ");
		append_dollar_quoted(out, m->up, "up");
		appendPQExpBufferStr(out, ", ");
		if (m->down == NULL)
			appendPQExpBufferStr(out, "NULL");
		else
			append_dollar_quoted(out, m->down, "down");
		if (m->description != NULL)
		{
			appendPQExpBufferStr(out, ", ");
			append_literal(out, m->description);
		}
		else if (m->data_loss_ok || !m->transactional)
			appendPQExpBufferStr(out, ", NULL");
		if (m->data_loss_ok)
			appendPQExpBufferStr(out, ", data_loss_ok => true");
		if (!m->transactional)
			appendPQExpBufferStr(out, ", transactional => false");
		appendPQExpBufferStr(out, m->down == NULL ? ");  -- irreversible\n" : ");\n");
	}
	if (opts->print_apply)
	{
		appendPQExpBufferStr(out, "SELECT migrate_apply(");
		append_literal(out, opts->target);
		appendPQExpBuffer(out, "%s);\n", opts->allow_data_loss ? ", allow_data_loss => true" : "");
		appendPQExpBufferStr(out, "COMMIT;\n");
	}
	else
	{
		appendPQExpBufferStr(out, "COMMIT;\n");
		appendPQExpBufferStr(out, "CALL migrate_deploy(");
		append_literal(out, opts->target);
		appendPQExpBuffer(out, "%s);\n", opts->allow_data_loss ? ", allow_data_loss => true" : "");
	}
	fwrite(out->data, 1, out->len, stdout);
	fflush(stdout);
	destroyPQExpBuffer(out);
	return EXIT_OK;
}
