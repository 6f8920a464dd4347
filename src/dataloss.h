/*-------------------------------------------------------------------------
 *
 * dataloss.h
 *	  The data-loss guard (SPEC §8): what destroys data, counted with the
 *	  server's own scans, reported once per call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_DATALOSS_H
#define MIGRATE_DATALOSS_H

#include "migrate.h"

#include "utils/relcache.h"

/* Rows are counted up to this many; more is reported as "at least" */
#define MIGRATE_COUNT_CAP	1000000

/* ---------- datacount.c: counting with the server's scans ---------- */

/* What the call wrote itself, which is not at stake */
typedef struct MigrateOwnRows
{
	CommandId	first_cid;		/* the call's first command in this xact */
	List	   *own_xids;		/* the call's transactions already ended */
	bool		trust_xmin;		/* false: rewritten by the call, whose new
								 * rows all look like its own */
} MigrateOwnRows;

/* A column whose values are counted */
typedef struct MigrateCountColumn
{
	AttrNumber	attnum;
	bool		default_known;	/* default below, rather than the relation's */
	Node	   *default_expr;	/* NULL: none */
} MigrateCountColumn;

extern int64 migrate_count_at_stake(Relation rel, MigrateCountColumn *cols,
									int ncols, const MigrateOwnRows *own,
									int64 cap);
extern bool migrate_sequence_used(Relation rel, int64 *last_value);

/* ---------- dataloss.c: the guard ---------- */

/* A call: every loss found is listed in one refusal at its end */
extern void migrate_dataloss_begin_call(void);
extern void migrate_dataloss_end_call(void);
extern void migrate_dataloss_fail_call(ErrorData *edata) pg_attribute_noreturn();
extern void migrate_dataloss_forget(void);

/* The migration and the statement running */
extern void migrate_dataloss_begin_migration(const char *id,
											 MigrateScriptKind kind,
											 bool guarded);
extern void migrate_dataloss_end_migration(void);
extern void migrate_dataloss_statement(MigrateStatement *stmt, int stmt_no);

/* What a try that is rolled back (a lock retry) found is forgotten */
typedef struct MigrateDataLossMark
{
	int			findings;
	int			created_rels;
	int			created_cols;
} MigrateDataLossMark;

extern void migrate_dataloss_mark(MigrateDataLossMark *mark);
extern void migrate_dataloss_reset(const MigrateDataLossMark *mark);

/* What the server creates, drops and truncates while a migration runs */
extern void migrate_dataloss_created(Oid classid, Oid objid, int subid);
extern void migrate_dataloss_dropped(Oid classid, Oid objid, int subid);
extern void migrate_dataloss_truncated(Oid relid);
extern void migrate_dataloss_altered(Oid relid);

/* A deploy commits as it goes (SPEC §10) */
extern void migrate_dataloss_committing(void);
extern bool migrate_dataloss_found(void);
extern void migrate_dataloss_refuse_found(void);

#endif							/* MIGRATE_DATALOSS_H */
