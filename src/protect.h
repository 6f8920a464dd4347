/*-------------------------------------------------------------------------
 *
 * protect.h
 *	  A migration cannot change, drop or write the extension's own objects
 *	  (SPEC §14): the checks made while a migration script runs (protect.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_PROTECT_H
#define MIGRATE_PROTECT_H

#include "nodes/pg_list.h"

extern void migrate_protect_object(Oid classid, Oid objid, int subid,
								   const char *action);
extern void migrate_protect_created(Oid classid, Oid objid, int subid);
extern void migrate_protect_statement_start(void);
extern void migrate_protect_statement_done(void);
extern void migrate_protect_writes(List *rangeTable);
extern void migrate_protect_utility(Node *stmt);

#endif							/* MIGRATE_PROTECT_H */
