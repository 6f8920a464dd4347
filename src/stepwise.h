/*-------------------------------------------------------------------------
 *
 * stepwise.h
 *	  A non-transactional migration, run by a deploy statement by
 *	  statement (SPEC §10).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_STEPWISE_H
#define MIGRATE_STEPWISE_H

#include "migrate.h"

extern void migrate_run_stepwise(const MigrateEntry *e, MigrateScriptKind kind,
								 bool allow_data_loss, int step, int total,
								 const char *caller, MemoryContext cxt);

#endif							/* MIGRATE_STEPWISE_H */
