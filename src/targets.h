/*-------------------------------------------------------------------------
 *
 * targets.h
 *	  The objects a utility command names (targets.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_TARGETS_H
#define MIGRATE_TARGETS_H

#include "nodes/pg_list.h"

/* An object a utility command changes, as it names it */
typedef struct MigrateUtilityObject
{
	Oid			classid;
	Oid			objid;
	int			subid;
	bool		contents;		/* a schema: the objects in it (ALL ... IN
								 * SCHEMA) */
	const char *action;			/* what the command does to it, for messages */
} MigrateUtilityObject;

extern List *migrate_utility_objects(Node *stmt);

#endif							/* MIGRATE_TARGETS_H */
