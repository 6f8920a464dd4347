/*-------------------------------------------------------------------------
 *
 * target.c
 *	  Targets of migrate_apply() and migrate_rollback() (SPEC §4): parsing
 *	  them, checking the catalog before anything runs, and choosing the
 *	  migrations a target names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"

#include "migrate.h"

/* Ids listed in one message before "and N more" */
#define MAX_LISTED	10

/*
 * funcname: the function whose target it is, for the message; a target of
 * the form of migrate_apply()'s unless rollback.
 */
static void
invalid_target(const char *spec, bool rollback, const char *funcname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid migration target \"%s\"", spec),
			 rollback ?
			 errdetail("A target of %s is -N (the last N applied migrations, N at least 1), the id of an applied migration (roll back every migration after it), or base (roll back everything).",
					   funcname) :
			 errdetail("A target of %s is head (every pending migration), the id of a pending migration (%s up to and including it), or +N (the next N pending migrations, N at least 1).",
					   funcname,
					   strcmp(funcname, "migrate_baseline()") == 0 ? "baseline" : "apply")));
}

/*
 * migrate_parse_target: parse spec as a target of migrate_rollback() (if
 * rollback) or migrate_apply().  Only the form is checked here; whether the
 * target names anything is checked once the lock is held.
 */
void
migrate_parse_target(const char *spec, bool rollback, MigrateTarget *target)
{
	migrate_parse_target_of(spec, rollback,
							rollback ? "migrate_rollback()" : "migrate_apply()",
							target);
}

/*
 * migrate_parse_target_of: the same for funcname, another function that
 * takes targets of the same form (migrate_baseline() those of
 * migrate_apply()).
 */
void
migrate_parse_target_of(const char *spec, bool rollback, const char *funcname,
						MigrateTarget *target)
{
	char		sign = rollback ? '-' : '+';

	target->text = spec;
	target->steps = 0;
	target->id = NULL;

	if (strcmp(spec, rollback ? "base" : "head") == 0)
	{
		target->kind = rollback ? MIGRATE_TARGET_BASE : MIGRATE_TARGET_HEAD;
		return;
	}
	if (spec[0] == sign)
	{
		const char *p = spec + 1;
		int64		n = 0;

		if (*p == '\0')
			invalid_target(spec, rollback, funcname);
		for (; *p != '\0'; p++)
		{
			if (*p < '0' || *p > '9')
				invalid_target(spec, rollback, funcname);
			n = n * 10 + (*p - '0');
			if (n > PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("migration target \"%s\" is out of range", spec),
						 errdetail("The number of migrations in a target must be between 1 and %d.",
								   PG_INT32_MAX)));
		}
		if (n < 1)
			invalid_target(spec, rollback, funcname);
		target->kind = MIGRATE_TARGET_STEPS;
		target->steps = (int) n;
		return;
	}
	if (!migrate_id_valid(spec) || strcmp(spec, "head") == 0 ||
		strcmp(spec, "base") == 0)
		invalid_target(spec, rollback, funcname);
	target->kind = MIGRATE_TARGET_ID;
	target->id = spec;
}

/* Index of migration id in cat, or -1 */
static int
find_entry(const MigrateCatalog *cat, const char *id)
{
	int			lo = 0;
	int			hi = cat->n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			cmp = migrate_version_cmp(cat->entries[mid].id, id);

		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Add id to a list for a message: "a", "b", "c" and 4 more */
static void
list_add(StringInfo buf, int *n, const char *id)
{
	if (*n < MAX_LISTED)
		appendStringInfo(buf, "%s\"%s\"", *n > 0 ? ", " : "", id);
	(*n)++;
}

static char *
list_done(StringInfo buf, int n)
{
	if (n > MAX_LISTED)
		appendStringInfo(buf, " and %d more", n - MAX_LISTED);
	return buf->data;
}

/* The ids of the migrations in a state, for a message */
static char *
list_ids(const MigrateCatalog *cat, MigrateState state, int *count)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	*count = 0;
	for (i = 0; i < cat->n; i++)
		if (cat->entries[i].state == state)
			list_add(&buf, count, cat->entries[i].id);
	return list_done(&buf, *count);
}

/*
 * migrate_validate: refuse to run anything when an applied migration was
 * modified or lost its registration, or (for apply, unless
 * migrate.allow_out_of_order is on) a pending migration sorts before the
 * latest applied one (SPEC §6.2).  A migration that a deploy started and
 * did not finish is resumed by a deploy (deploy) and stops any other call.
 */
void
migrate_validate(const MigrateCatalog *cat, bool rollback, bool deploy)
{
	const char *action = rollback ? "roll back" : "apply";
	char	   *ids;
	int			n;

	ids = list_ids(cat, MIGRATE_PARTIAL, &n);
	if (n > 0 && !deploy)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot %s migrations: %d migration was interrupted in the middle of a deploy",
							   "cannot %s migrations: %d migrations were interrupted in the middle of a deploy",
							   n, action, n),
				 errdetail("Partly applied or rolled back: %s. migrate_status() shows the statement each stopped at.", ids),
				 errhint("Resume with CALL migrate_deploy(), or CALL migrate_undeploy() for an interrupted rollback.")));

	ids = list_ids(cat, MIGRATE_MODIFIED, &n);
	if (n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot %s migrations: %d applied migration has been modified",
							   "cannot %s migrations: %d applied migrations have been modified",
							   n, action, n),
				 errdetail_plural("The up script of migration %s no longer matches the checksum it was applied with.",
								  "The up scripts of migrations %s no longer match the checksums they were applied with.",
								  n, ids),
				 errhint("Restore the original scripts; make a change to an applied migration as a new migration.")));

	ids = list_ids(cat, MIGRATE_MISSING, &n);
	if (n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot %s migrations: %d applied migration is not registered",
							   "cannot %s migrations: %d applied migrations are not registered",
							   n, action, n),
				 errdetail("Applied but missing from migrate.migration: %s.", ids),
				 errhint("Register the missing migrations again with their original scripts.")));

	if (rollback || migrate_allow_out_of_order)
		return;

	ids = list_ids(cat, MIGRATE_OUT_OF_ORDER, &n);
	if (n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot apply migrations: %d pending migration is out of order",
							   "cannot apply migrations: %d pending migrations are out of order",
							   n, n),
				 errdetail_plural("Migration %s sorts before \"%s\", which is already applied.",
								  "Migrations %s sort before \"%s\", which is already applied.",
								  n, ids, cat->entries[cat->latest_applied].id),
				 errhint("Give it an id that sorts after the latest applied migration, or set migrate.allow_out_of_order to on to apply it anyway.")));
}

/* migrate_applied_count: how many migrations of cat are applied */
int
migrate_applied_count(const MigrateCatalog *cat)
{
	int			n = 0;
	int			i;

	for (i = 0; i < cat->n; i++)
		if (cat->entries[i].applied)
			n++;
	return n;
}

/*
 * migrate_refuse_nontransactional: migrate_apply() and migrate_rollback()
 * run in the caller's transaction, so they cannot run a migration
 * registered with transactional => false (SPEC §10).
 */
void
migrate_refuse_nontransactional(const MigrateCatalog *cat, List *chosen,
								bool rollback)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	initStringInfo(&buf);
	foreach(lc, chosen)
	{
		const MigrateEntry *e = &cat->entries[lfirst_int(lc)];

		if (!e->transactional)
			list_add(&buf, &n, e->id);
	}
	if (n == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg_plural("cannot %s %d non-transactional migration in one transaction",
						   "cannot %s %d non-transactional migrations in one transaction",
						   n, rollback ? "roll back" : "apply", n),
			 errdetail_plural("Migration %s was registered with transactional => false.",
							  "Migrations %s were registered with transactional => false.",
							  n, list_done(&buf, n)),
			 errhint("Run CALL %s() at top level, outside a transaction block: it commits each migration and runs these statement by statement.",
					 rollback ? "migrate_undeploy" : "migrate_deploy")));
}

/*
 * migrate_select_apply: the indexes into cat, in version order, of the
 * pending migrations the target names.  A target that names nothing is an
 * error, except head (SPEC §4).
 */
List *
migrate_select_apply(const MigrateCatalog *cat, MigrateTarget *target)
{
	List	   *chosen = NIL;
	int			last = cat->n - 1;
	int			npending = 0;
	int			i;

	for (i = 0; i < cat->n; i++)
		if (!cat->entries[i].applied)
			npending++;

	if (target->kind == MIGRATE_TARGET_ID)
	{
		last = find_entry(cat, target->id);
		if (last < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("migration \"%s\" is not registered", target->id),
					 errhint("migrate_status() lists the registered migrations.")));
		if (cat->entries[last].applied)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration \"%s\" is already applied", target->id),
					 errhint("Nothing is pending up to it; migrate_apply('head') applies every pending migration.")));
	}
	else if (target->kind == MIGRATE_TARGET_STEPS && target->steps > npending)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration target \"%s\" asks for more migrations than are pending",
						target->text),
				 errdetail_plural("%d migration is pending.",
								  "%d migrations are pending.",
								  npending, npending),
				 errhint("migrate_status() lists the pending migrations.")));

	for (i = 0; i <= last; i++)
	{
		if (cat->entries[i].applied)
			continue;
		chosen = lappend_int(chosen, i);
		if (target->kind == MIGRATE_TARGET_STEPS &&
			list_length(chosen) == target->steps)
			break;
	}
	return chosen;
}

/*
 * migrate_select_rollback: the indexes into cat, in reverse version order,
 * of the applied migrations the target names.  Any of them that cannot be
 * undone makes it an error before anything runs (SPEC §7).
 */
List *
migrate_select_rollback(const MigrateCatalog *cat, MigrateTarget *target)
{
	List	   *chosen = NIL;
	StringInfoData irreversible;
	int			nirreversible = 0;
	int			napplied = 0;
	int			first = 0;
	int			i;
	ListCell   *lc;

	for (i = 0; i < cat->n; i++)
		if (cat->entries[i].applied)
			napplied++;

	if (target->kind == MIGRATE_TARGET_ID)
	{
		int			keep = find_entry(cat, target->id);

		if (keep < 0 || !cat->entries[keep].applied)
			ereport(ERROR,
					(errcode(keep < 0 ? ERRCODE_UNDEFINED_OBJECT :
							 ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration \"%s\" is not applied", target->id),
					 errhint("The target of migrate_rollback() is the applied migration to keep; migrate_status() lists them.")));
		if (keep == cat->latest_applied)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("no migration is applied after \"%s\"", target->id),
					 errhint("It is the latest applied migration, so there is nothing to roll back.")));
		first = keep + 1;
	}
	else if (target->kind == MIGRATE_TARGET_STEPS && target->steps > napplied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration target \"%s\" asks for more migrations than are applied",
						target->text),
				 errdetail_plural("%d migration is applied.",
								  "%d migrations are applied.",
								  napplied, napplied),
				 errhint("migrate_status() lists the applied migrations.")));

	for (i = cat->n - 1; i >= first; i--)
	{
		if (!cat->entries[i].applied)
			continue;
		chosen = lappend_int(chosen, i);
		if (target->kind == MIGRATE_TARGET_STEPS &&
			list_length(chosen) == target->steps)
			break;
	}

	initStringInfo(&irreversible);
	foreach(lc, chosen)
	{
		MigrateEntry *e = &cat->entries[lfirst_int(lc)];

		if (!e->reversible)
			list_add(&irreversible, &nirreversible, e->id);
	}
	(void) list_done(&irreversible, nirreversible);
	if (nirreversible > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot roll back to target \"%s\": %d migration in the range is irreversible",
							   "cannot roll back to target \"%s\": %d migrations in the range are irreversible",
							   nirreversible, target->text, nirreversible),
				 errdetail_plural("Migration %s has no down script.",
								  "Migrations %s have no down script.",
								  nirreversible, irreversible.data),
				 errhint("Register down scripts with migrate_register(), or choose a target that stops earlier.")));
	return chosen;
}

/*
 * migrate_check_authors: refuse to run a migration whose registering role
 * does not have the privileges of the role running it (SPEC §2).  Scripts
 * run with the caller's privileges, so without this a role that may only
 * register could have its SQL run by a superuser.  The role that registered
 * (or last changed) a migration is its author; a role that no longer exists
 * has no privileges.
 */
void
migrate_check_authors(const MigrateCatalog *cat, List *chosen, bool rollback)
{
	migrate_check_authors_for(cat, chosen, rollback ? "roll back" : "apply");
}

/*
 * migrate_check_authors_for: the same for a call that does action to the
 * chosen migrations ("baseline": migrate_baseline() and migrate_import()
 * mark them applied).
 */
void
migrate_check_authors_for(const MigrateCatalog *cat, List *chosen,
						  const char *action)
{
	Oid			runner = GetUserId();
	StringInfoData ids;
	MigrateEntry *refused = NULL;
	int			n = 0;
	ListCell   *lc;

	initStringInfo(&ids);
	foreach(lc, chosen)
	{
		MigrateEntry *e = &cat->entries[lfirst_int(lc)];
		Oid			role;

		/* migrate_validate refused migrations without a registration */
		Assert(e->registered_by != NULL);
		role = get_role_oid(e->registered_by, true);

		if (OidIsValid(role) && has_privs_of_role(role, runner))
			continue;
		if (refused == NULL)
			refused = e;
		list_add(&ids, &n, e->id);
	}
	(void) list_done(&ids, n);
	if (refused != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg_plural("cannot %s migration %s: it was registered by a role without the privileges of role \"%s\"",
							   "cannot %s migrations %s: they were registered by roles without the privileges of role \"%s\"",
							   n, action, ids.data,
							   GetUserNameFromId(runner, false)),
				 errdetail("Migration scripts run with the privileges of the caller, so a migration must be registered by a role that has them; \"%s\" was registered by \"%s\".",
						   refused->id, refused->registered_by),
				 errhint("Review the scripts, then register them again as \"%s\" (or a role with its privileges), or run this as the role that registered them.",
						 GetUserNameFromId(runner, false))));
}
