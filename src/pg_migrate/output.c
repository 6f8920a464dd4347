/*-------------------------------------------------------------------------
 *
 * output.c
 *	  What pg_migrate writes on standard output: tables in psql's aligned
 *	  format (psql's own printing code, libpgfeutils), or with --json one
 *	  JSON object.
 *
 * In JSON, a row is an object of its columns; booleans and numbers are
 * JSON booleans and numbers, NULL is null, everything else (timestamps,
 * intervals) a string as the server writes it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "catalog/pg_type_d.h"
#include "fe_utils/print.h"
#include "mb/pg_wchar.h"

#include "pg_migrate.h"

/*
 * print_table: res as psql prints it by default (aligned, border 1), with
 * the column named skip (if not NULL) left out.
 */
void
print_table(const PGresult *res, const char *skip)
{
	printTableOpt topt;
	printTableContent cont;
	int			skipcol = skip ? PQfnumber(res, skip) : -1;
	int			ncols = PQnfields(res) - (skipcol >= 0 ? 1 : 0);
	int			r;
	int			c;

	memset(&topt, 0, sizeof(topt));
	topt.format = PRINT_ALIGNED;
	topt.border = 1;
	topt.pager = 0;
	topt.start_table = true;
	topt.stop_table = true;
	topt.default_footer = true;
	topt.encoding = PG_UTF8;

	printTableInit(&cont, &topt, NULL, ncols, PQntuples(res));
	for (c = 0; c < PQnfields(res); c++)
		if (c != skipcol)
			printTableAddHeader(&cont, PQfname(res, c), false,
								column_type_alignment(PQftype(res, c)));
	for (r = 0; r < PQntuples(res); r++)
		for (c = 0; c < PQnfields(res); c++)
			if (c != skipcol)
				printTableAddCell(&cont,
								  PQgetisnull(res, r, c) ? "" : PQgetvalue(res, r, c),
								  false, false);
	printTable(&cont, stdout, false, NULL);
	printTableCleanup(&cont);
	fflush(stdout);
}

void
json_string(PQExpBuffer out, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
	{
		appendPQExpBufferStr(out, "null");
		return;
	}
	appendPQExpBufferChar(out, '"');
	for (p = (const unsigned char *) s; *p; p++)
	{
		switch (*p)
		{
			case '"':
				appendPQExpBufferStr(out, "\\\"");
				break;
			case '\\':
				appendPQExpBufferStr(out, "\\\\");
				break;
			case '\n':
				appendPQExpBufferStr(out, "\\n");
				break;
			case '\r':
				appendPQExpBufferStr(out, "\\r");
				break;
			case '\t':
				appendPQExpBufferStr(out, "\\t");
				break;
			default:
				if (*p < 0x20)
					appendPQExpBuffer(out, "\\u%04x", *p);
				else
					appendPQExpBufferChar(out, (char) *p);
		}
	}
	appendPQExpBufferChar(out, '"');
}

static bool
numeric_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == OIDOID || type == FLOAT4OID || type == FLOAT8OID ||
		type == NUMERICOID;
}

/* print_json_rows: the rows of res, as a JSON array of objects */
void
print_json_rows(const PGresult *res, PQExpBuffer out)
{
	int			r;
	int			c;

	appendPQExpBufferChar(out, '[');
	for (r = 0; r < PQntuples(res); r++)
	{
		appendPQExpBufferStr(out, r ? ",\n  {" : "\n  {");
		for (c = 0; c < PQnfields(res); c++)
		{
			Oid			type = PQftype(res, c);
			const char *v = PQgetvalue(res, r, c);

			if (c > 0)
				appendPQExpBufferStr(out, ", ");
			json_string(out, PQfname(res, c));
			appendPQExpBufferStr(out, ": ");
			if (PQgetisnull(res, r, c))
				appendPQExpBufferStr(out, "null");
			else if (type == BOOLOID)
				appendPQExpBufferStr(out, v[0] == 't' ? "true" : "false");
			else if (numeric_type(type) && strcmp(v, "NaN") != 0 &&
					 strstr(v, "Infinity") == NULL)
				appendPQExpBufferStr(out, v);
			else
				json_string(out, v);
		}
		appendPQExpBufferChar(out, '}');
	}
	appendPQExpBufferStr(out, PQntuples(res) ? "\n]" : "]");
}

/* , "errors": [...], what the server and pg_migrate reported */
void
json_errors(PQExpBuffer out)
{
	int			i;

	appendPQExpBufferStr(out, ",\n\"errors\": [");
	for (i = 0; i < nerrors; i++)
	{
		ErrorRecord *e = &errors[i];

		appendPQExpBufferStr(out, i ? ",\n  " : "\n  ");
		appendPQExpBufferStr(out, "{\"severity\": ");
		json_string(out, e->severity);
		appendPQExpBufferStr(out, ", \"sqlstate\": ");
		json_string(out, e->sqlstate);
		appendPQExpBufferStr(out, ", \"message\": ");
		json_string(out, e->message);
		appendPQExpBufferStr(out, ", \"detail\": ");
		json_string(out, e->detail);
		appendPQExpBufferStr(out, ", \"hint\": ");
		json_string(out, e->hint);
		appendPQExpBufferStr(out, ", \"context\": ");
		json_string(out, e->context);
		appendPQExpBufferStr(out, ", \"file\": ");
		json_string(out, e->file);
		appendPQExpBufferChar(out, '}');
	}
	appendPQExpBufferStr(out, nerrors ? "\n]" : "]");
}

/* , "notices": [...], the server's notices of this run */
void
json_notices(PQExpBuffer out)
{
	int			i;

	appendPQExpBufferStr(out, ",\n\"notices\": [");
	for (i = 0; i < notice_count(); i++)
	{
		if (i > 0)
			appendPQExpBufferStr(out, ", ");
		json_string(out, notice_at(i));
	}
	appendPQExpBufferChar(out, ']');
}

/* , "registered": [...], "updated": [...], "unchanged": N */
void
json_registration(PQExpBuffer out, const RegisterResult *r)
{
	int			pass;
	int			i;

	for (pass = 0; pass < 2; pass++)
	{
		bool		first = true;

		appendPQExpBufferStr(out, pass == 0 ? ",\n\"registered\": [" :
							 ",\n\"updated\": [");
		for (i = 0; i < r->n; i++)
			if ((strcmp(r->answers[i], "registered") == 0) == (pass == 0))
			{
				if (!first)
					appendPQExpBufferStr(out, ", ");
				json_string(out, r->ids[i]);
				first = false;
			}
		appendPQExpBufferChar(out, ']');
	}
	appendPQExpBuffer(out, ",\n\"unchanged\": %d", r->unchanged);
}

/* , "layout": ..., "directory": ..., of the files read */
void
json_files(PQExpBuffer out, const MigrationSet *set)
{
	appendPQExpBufferStr(out, ",\n\"layout\": ");
	json_string(out, layout_name(set->layout));
	appendPQExpBufferStr(out, ",\n\"directory\": ");
	json_string(out, set->dir);
}

/*
 * json_finish: the end of a command's JSON document: the server's notices
 * and errors, the exit status, then the document written out.
 */
void
json_finish(PQExpBuffer out, int status)
{
	json_notices(out);
	json_errors(out);
	appendPQExpBuffer(out, ",\n\"exit_status\": %d", status);
	write_json(out);
}

/* write_json: the object out holds (without its braces) */
void
write_json(PQExpBuffer out)
{
	printf("{%s}\n", out->data);
	fflush(stdout);
}
