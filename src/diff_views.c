/*-------------------------------------------------------------------------
 *
 * diff_views.c
 *	  The statements of views and materialized views (SPEC §13).
 *
 * A view whose query changes is replaced in place (CREATE OR REPLACE
 * VIEW) when its columns stay as they were, in the same order, with new
 * ones at the end only; otherwise it is dropped and made again, and with
 * it what depends on it.  A materialized view whose query changes is
 * always made again: its rows are computed again, and the data-loss guard
 * counts them, so its DROP is marked destructive.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "diff.h"

/*
 * Can CREATE OR REPLACE VIEW make to of from: the same columns (name, type,
 * collation) in the same order, new ones after them?
 */
bool
diff_view_columns_compatible(DiffObject *from, DiffObject *to)
{
	List	   *fc = diff_columns(from);
	List	   *tc = diff_columns(to);
	ListCell   *lf;
	ListCell   *lt;

	if (list_length(fc) > list_length(tc))
		return false;
	forboth(lf, fc, lt, tc)
	{
		DiffObject *f = (DiffObject *) lfirst(lf);
		DiffObject *t = (DiffObject *) lfirst(lt);

		if (!diff_str_equal(diff_str(f, "name"), diff_str(t, "name")) ||
			!diff_str_equal(diff_str(f, "type"), diff_str(t, "type")) ||
			!diff_str_equal(diff_str(f, "collation"), diff_str(t, "collation")))
			return false;
	}
	return true;
}

static bool
is_matview(DiffObject *o)
{
	return diff_is(o, "materialized view");
}

static char *
view_sql(DiffObject *to, bool replace)
{
	const char *with = diff_with_options(to);
	char	   *query = diff_strip_semicolon(diff_str(to, "query"));

	if (is_matview(to))
		return psprintf("CREATE MATERIALIZED VIEW %s%s AS\n%s\n  WITH %sDATA;",
						to->identity, with, query,
						diff_bool(to, "populated") ? "" : "NO ");
	return psprintf("CREATE %sVIEW %s%s AS\n%s;", replace ? "OR REPLACE " : "",
					to->identity, with, query);
}

/* What a view, made or replaced by a, makes: it and its columns */
static void
produce_view(DiffContext *ctx, DiffAction *a, DiffObject *to)
{
	ListCell   *lc;

	diff_requires_depends(ctx, a, to, to->depends);
	diff_produces(a, to);
	foreach(lc, to->children)
	{
		DiffObject *c = (DiffObject *) lfirst(lc);

		if (diff_is(c, "column"))
			diff_produces(a, c);
	}
}

void
diff_view_actions(DiffContext *ctx, DiffObject *from, DiffObject *to)
{
	DiffAction *a;
	DiffStatement *s;

	if (from == NULL)
	{
		a = diff_action(ctx, 1);
		diff_add(a, view_sql(to, false),
				 is_matview(to) && diff_bool(to, "populated") ?
				 "computes its rows now" : NULL);
		produce_view(ctx, a, to);
		diff_takes(a, diff_slot(to, to->identity));
		diff_attributes(ctx, NULL, to);
		return;
	}
	if (to == NULL)
	{
		char	   *sql = psprintf("DROP %s %s;", diff_object_word(from),
								   from->identity);
		const char *note = diff_why(from, NULL);

		a = diff_action(ctx, 0);
		if (is_matview(from))
		{
			if (from->replace)
			{
				s = diff_add(a, sql, "destroys its rows, which the CREATE below computes again");
				s->destructive = true;
			}
			else
				diff_add_destructive(ctx, a, sql, "destroys its rows");
		}
		else
			diff_add(a, sql, note);
		diff_drops(ctx, a, from);
		return;
	}
	if (!diff_str_equal(diff_str(from, "query"), diff_str(to, "query")) ||
		!diff_list_equal(diff_list(from, "options"), diff_list(to, "options")))
	{
		a = diff_action(ctx, 1);
		diff_add(a, view_sql(to, true), NULL);
		produce_view(ctx, a, to);
		diff_releases(a, from);
	}
	if (is_matview(to) && diff_bool(from, "populated") != diff_bool(to, "populated"))
	{
		a = diff_action(ctx, 1);
		diff_add(a, psprintf("REFRESH MATERIALIZED VIEW %s%s;", to->identity,
							 diff_bool(to, "populated") ? "" : " WITH NO DATA"),
				 diff_bool(to, "populated") ?
				 "computes its rows; blocks reads of it meanwhile" : NULL);
		diff_requires(a, to);
	}
	diff_attributes(ctx, from, to);
}
