/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  Declarations shared by the modules of the migrate extension.
 *
 * The modules, one job each:
 *	  migrate.c  SQL-callable functions and GUCs
 *	  guard.c    entry checks, the writers' lock, running-script guard
 *	  version.c  migration ids: validity and version order
 *	  target.c   parsing targets and choosing the migrations they name
 *	  script.c   parsing scripts into statements, refusing what cannot run
 *	  catalog.c  reading and writing the migrate.* tables
 *	  execute.c  running migrations through SPI
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

/* Longest id accepted, in characters (all ASCII). */
#define MIGRATE_ID_MAXLEN		200

/* Hex SHA-256: 64 digits and the terminator. */
#define MIGRATE_CHECKSUM_LEN	64

/*
 * Key of the advisory lock that serializes writers, the same lock as
 * pg_advisory_xact_lock(1835624306, 1635018017) ("migr", "ate!").
 */
#define MIGRATE_LOCK_KEY1		1835624306
#define MIGRATE_LOCK_KEY2		1635018017

/* GUCs (migrate.c) */
extern bool migrate_allow_out_of_order;

/* ---------- guard.c ---------- */

extern void migrate_enter(const char *funcname, bool writer);
extern void migrate_leave(void);
extern void migrate_script_begin(void);
extern void migrate_script_end(void);
extern Oid	migrate_extension_owner(void);
extern void migrate_check_extension(const char *id);

/* ---------- version.c ---------- */

extern int	migrate_version_cmp(const char *a, const char *b);
extern bool migrate_id_valid(const char *id);
extern void migrate_check_id(const char *id);

/* ---------- script.c ---------- */

typedef enum MigrateScriptKind
{
	MIGRATE_SCRIPT_UP,
	MIGRATE_SCRIPT_DOWN
} MigrateScriptKind;

extern const char *migrate_script_name(MigrateScriptKind kind);

typedef struct MigrateStatement
{
	int			offset;			/* byte offset of its first token */
	int			len;			/* length in bytes */
	int			line;			/* 1-based line of its first token */
} MigrateStatement;

typedef struct MigrateScript
{
	const char *sql;			/* the whole script */
	int			nstmts;
	MigrateStatement *stmts;
} MigrateScript;

extern MigrateScript *migrate_script_parse(const char *id,
										   MigrateScriptKind kind,
										   const char *sql);
extern int	migrate_script_line_at(const char *text, int charpos, int *column);
extern void migrate_checksum(const char *data, size_t len, char *dest);

/* ---------- catalog.c ---------- */

typedef enum MigrateState
{
	MIGRATE_APPLIED,
	MIGRATE_PENDING,
	MIGRATE_MODIFIED,
	MIGRATE_OUT_OF_ORDER,
	MIGRATE_MISSING
} MigrateState;

extern const char *migrate_state_name(MigrateState state);

/* One migration, registered or applied or both, as loaded from the catalog */
typedef struct MigrateEntry
{
	char	   *id;
	char	   *description;	/* NULL if none */
	bool		registered;		/* has a migrate.migration row */
	bool		applied;		/* has a migrate.applied row */
	bool		reversible;		/* down_sql is not NULL */
	MigrateState state;
	TimestampTz applied_at;
	char	   *applied_by;
	char	   *registered_by;	/* NULL if not registered */
	Interval	duration;
	char		checksum[MIGRATE_CHECKSUM_LEN + 1];
} MigrateEntry;

/* Every migration, in version order */
typedef struct MigrateCatalog
{
	int			n;
	MigrateEntry *entries;
	int			latest_applied; /* index of the latest applied, or -1 */
} MigrateCatalog;

/* A migration's stored row */
typedef struct MigrateRow
{
	char	   *id;
	char	   *up_sql;
	char	   *down_sql;		/* NULL if irreversible */
	char	   *description;
	char	   *checksum;
	bool		data_loss_ok;
	bool		applied;
	char	   *registered_by;	/* its author: who registered or changed it */
} MigrateRow;

extern MigrateCatalog *migrate_catalog_load(bool fresh);
extern MigrateRow *migrate_catalog_fetch(const char *id);
extern void migrate_catalog_insert(const MigrateRow *row);
extern void migrate_catalog_update(const MigrateRow *row);
extern void migrate_catalog_delete(const char *id);
extern void migrate_catalog_mark_applied(const char *id, const char *checksum,
										 TimestampTz at, int64 usecs);
extern void migrate_catalog_mark_rolled_back(const char *id);
extern void migrate_catalog_log(const char *id, const char *action,
								TimestampTz at, int64 usecs, bool has_duration,
								const char *checksum);

/* ---------- target.c ---------- */

typedef enum MigrateTargetKind
{
	MIGRATE_TARGET_HEAD,		/* apply: every pending migration */
	MIGRATE_TARGET_BASE,		/* rollback: every applied migration */
	MIGRATE_TARGET_ID,			/* apply up to it; roll back what follows it */
	MIGRATE_TARGET_STEPS		/* apply +N, roll back -N */
} MigrateTargetKind;

typedef struct MigrateTarget
{
	const char *text;			/* as given, for messages */
	MigrateTargetKind kind;
	int			steps;			/* for MIGRATE_TARGET_STEPS */
	const char *id;				/* for MIGRATE_TARGET_ID */
} MigrateTarget;

extern void migrate_parse_target(const char *text, bool rollback,
								 MigrateTarget *target);
extern List *migrate_select_apply(MigrateCatalog *cat, MigrateTarget *target);
extern List *migrate_select_rollback(MigrateCatalog *cat, MigrateTarget *target);
extern void migrate_validate(MigrateCatalog *cat, bool rollback);
extern void migrate_check_authors(MigrateCatalog *cat, List *chosen,
								  bool rollback);

/* ---------- execute.c ---------- */

extern int	migrate_execute(MigrateCatalog *cat, List *chosen, bool rollback,
							bool dry_run);
extern void migrate_run_script(const char *id, MigrateScriptKind kind,
							   const char *sql);

#endif							/* MIGRATE_H */
