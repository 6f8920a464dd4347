/*-------------------------------------------------------------------------
 *
 * describe.h
 *	  The schema described (describe.c): one row (kind, identity,
 *	  definition) per user object, for migrate_schema(), migrate_verify()
 *	  and drift.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_DESCRIBE_H
#define MIGRATE_DESCRIBE_H

#include "nodes/pg_list.h"

/* One object of a schema description (a row of migrate_schema()) */
typedef struct SchemaObject
{
	char	   *kind;
	char	   *identity;
	char	   *key;			/* kind and identity, for ordering */
	char	   *definition;
	/* the top-level object it was described with (InvalidOid: not known) */
	Oid			owner_class;
	Oid			owner_oid;
} SchemaObject;

typedef struct Schema
{
	int			n;
	SchemaObject *objects;		/* in byte order of key */
} Schema;

/* Every user object, sorted by key */
extern Schema *migrate_describe(void);

/*
 * The rows of the given objects (a List of ObjectAddress *): schemas,
 * relations, routines and types, each with what belongs to it (a table's
 * columns, constraints, indexes, triggers and policies; a domain's
 * constraints), sorted by key.  An index, a constraint, a trigger, a policy
 * or a column default stands for the table or domain it belongs to.  Objects
 * that no longer exist or that are not described (system schemas, migrate,
 * extension members, temporary objects) give no rows.
 */
extern Schema *migrate_describe_objects(List *addresses);

/*
 * The top-level object that an object is described with (a column, an
 * index, a constraint, a trigger, a policy, a rule or a column default: its
 * table or domain; a composite type: its relation), false if it has none or
 * is gone.
 */
extern bool migrate_describe_owner(Oid classid, Oid objid, Oid *owner_class,
								   Oid *owner_oid);

/* Placeholder definition of an object another session was changing */
#define MIGRATE_NOT_DESCRIBED	"not described: another session was changing it"

#endif							/* MIGRATE_DESCRIBE_H */
