/*-------------------------------------------------------------------------
 *
 * register.c
 *	  Registering the migrations of the files, inside the caller's
 *	  transaction: all of them or none.
 *
 * A deploy job registers every file on every run, and usually nothing has
 * changed, so the scripts are not sent every time: one statement sends the
 * ids and registration checksums (checksum.c), and migrate_changed()
 * answers which of them are new or differ from what is registered (or were
 * registered by another role, which registering again makes their author).
 * Only those are registered, in one more statement that hands the server
 * their scripts as arrays.  Against a server without migrate_changed()
 * every migration is registered, which migrate_register() makes cheap for
 * unchanged ones.
 *
 * If that statement fails, each migration is registered again in a
 * savepoint of its own, so that the problems of every migration are
 * reported, not only the first; then the caller rolls everything back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/logging.h"

#include "pg_migrate.h"

/* which migrations the server says are new or changed: marks in need[] */
static bool
find_changed(PGconn *conn, MigrationSet *set, bool *need, int *nneed)
{
	const char **ids = pg_malloc(sizeof(char *) * (set->n + 1));
	const char **sums = pg_malloc(sizeof(char *) * (set->n + 1));
	PQExpBuffer a = createPQExpBuffer();
	PQExpBuffer b = createPQExpBuffer();
	const char *params[2];
	PGresult   *res;
	int			i;

	for (i = 0; i < set->n; i++)
	{
		ids[i] = set->items[i].id;
		sums[i] = set->items[i].checksum;
	}
	append_text_array(a, ids, set->n);
	append_text_array(b, sums, set->n);
	params[0] = a->data;
	params[1] = b->data;
	res = run_params(conn,
					 "SELECT c.id FROM pg_catalog.migrate_changed($1::pg_catalog.text[], $2::pg_catalog.text[]) c",
					 2, params);
	destroyPQExpBuffer(a);
	destroyPQExpBuffer(b);
	pg_free(ids);
	pg_free(sums);
	if (res == NULL)
		return false;
	*nneed = 0;
	for (i = 0; i < PQntuples(res); i++)
	{
		Migration  *m = find_migration(set, PQgetvalue(res, i, 0));

		if (m != NULL && !need[m - set->items])
		{
			need[m - set->items] = true;
			(*nneed)++;
		}
	}
	PQclear(res);
	return true;
}

static const char register_one[] =
"SELECT pg_catalog.migrate_register($1, $2, $3, $4, $5::pg_catalog.bool, $6::pg_catalog.bool)";

static const char register_all[] =
"SELECT r.id, pg_catalog.migrate_register(r.id, r.up, r.down, r.description, r.data_loss_ok, r.transactional)"
" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]),"
" pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.text[]),"
" pg_catalog.unnest($5::pg_catalog.bool[]), pg_catalog.unnest($6::pg_catalog.bool[]))"
" AS r(id, up, down, description, data_loss_ok, transactional)";

/*
 * Register each chosen migration in a savepoint of its own, reporting the
 * server's error for each that fails; the number that failed.
 */
static int
register_each(PGconn *conn, MigrationSet *set, const bool *need)
{
	int			failed = 0;
	int			i;

	for (i = 0; i < set->n; i++)
	{
		Migration  *m = &set->items[i];
		const char *params[6];
		PGresult   *res;

		if (!need[i])
			continue;
		params[0] = m->id;
		params[1] = m->up;
		params[2] = m->down;
		params[3] = m->description;
		params[4] = m->data_loss_ok ? "true" : "false";
		params[5] = m->transactional ? "true" : "false";
		if (!run_ok(conn, "SAVEPOINT pg_migrate_one"))
			return failed + 1;
		res = run_params(conn, register_one, 6, params);
		if (res == NULL)
		{
			failed++;
			if (!run_ok(conn, "ROLLBACK TO SAVEPOINT pg_migrate_one"))
				return failed;
		}
		PQclear(res);
	}
	return failed;
}

/*
 * register_migrations: register what needs it, in the caller's
 * transaction; false if anything failed (reported; the caller rolls back).
 */
bool
register_migrations(PGconn *conn, const Server *server, MigrationSet *set,
					bool quiet, RegisterResult *result)
{
	bool	   *need = pg_malloc0(sizeof(bool) * (set->n + 1));
	int			nneed = 0;
	const char **cols[6];
	PQExpBuffer arrays[6];
	const char *params[6];
	PGresult   *res;
	int			irreversible = 0;
	int			i;
	int			k;

	memset(result, 0, sizeof(*result));
	if (server->has_changed)
	{
		if (!find_changed(conn, set, need, &nneed))
		{
			pg_free(need);
			return false;
		}
	}
	else
	{
		for (i = 0; i < set->n; i++)
			need[i] = true;
		nneed = set->n;
	}
	result->unchanged = set->n - nneed;
	if (nneed == 0)
	{
		pg_free(need);
		return true;
	}

	for (k = 0; k < 6; k++)
	{
		cols[k] = pg_malloc(sizeof(char *) * nneed);
		arrays[k] = createPQExpBuffer();
	}
	for (i = 0, k = 0; i < set->n; i++)
	{
		Migration  *m = &set->items[i];

		if (!need[i])
			continue;
		cols[0][k] = m->id;
		cols[1][k] = m->up;
		cols[2][k] = m->down;
		cols[3][k] = m->description;
		cols[4][k] = m->data_loss_ok ? "t" : "f";
		cols[5][k] = m->transactional ? "t" : "f";
		k++;
	}
	for (k = 0; k < 6; k++)
	{
		append_text_array(arrays[k], cols[k], nneed);
		params[k] = arrays[k]->data;
	}

	res = NULL;
	if (run_ok(conn, "SAVEPOINT pg_migrate_all"))
	{
		res = PQexecParams(conn, register_all, 6, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			int			failed;

			/* again one by one, to report the problems of each */
			PQclear(res);
			res = NULL;
			if (run_ok(conn, "ROLLBACK TO SAVEPOINT pg_migrate_all"))
			{
				failed = register_each(conn, set, need);
				if (failed == 0)
				{
					/* failed together but not apart: what the server said */
					PQclear(run_params(conn, register_all, 6, params));
					failed = 1;
				}
				pg_log_error("%d of the %d migrations to register could not be registered; nothing was registered",
							 failed, nneed);
			}
		}
	}
	for (k = 0; k < 6; k++)
	{
		pg_free(cols[k]);
		destroyPQExpBuffer(arrays[k]);
	}
	if (res == NULL)
	{
		pg_free(need);
		return false;
	}

	result->ids = pg_malloc(sizeof(char *) * (PQntuples(res) + 1));
	result->answers = pg_malloc(sizeof(char *) * (PQntuples(res) + 1));
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *id = PQgetvalue(res, i, 0);
		const char *answer = PQgetvalue(res, i, 1);
		Migration  *m = find_migration(set, id);

		if (strcmp(answer, "unchanged") == 0)
		{
			result->unchanged++;
			continue;
		}
		if (strcmp(answer, "registered") == 0)
			result->registered++;
		else
			result->updated++;
		result->ids[result->n] = pg_strdup(id);
		result->answers[result->n] = pg_strdup(answer);
		result->n++;
		if (!quiet)
			fprintf(stderr, "%s %s\n", answer, id);
		if (m != NULL && m->down == NULL && !quiet)
		{
			if (set->no_down_scripts)
				irreversible++;
			else
				pg_log_info("migration %s has no down script (%s): it is registered as irreversible",
							id, m->file);
		}
	}
	PQclear(res);
	if (irreversible > 0 && !quiet)
		pg_log_info("%s has no down scripts: the %d migrations registered are irreversible",
					layout_name(set->layout), irreversible);
	if (!run_ok(conn, "RELEASE SAVEPOINT pg_migrate_all"))
		return false;
	pg_free(need);
	return true;
}
