/*-------------------------------------------------------------------------
 *
 * describe.h
 *	  The schema described (describe.c): one row (kind, identity,
 *	  definition) per user object, for migrate_schema(), migrate_verify()
 *	  and drift, and with its structure and dependencies for
 *	  migrate_describe_json() and migrate_diff() (describe_depend.c names
 *	  what an object depends on).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_DESCRIBE_H
#define MIGRATE_DESCRIBE_H

#include "nodes/pg_list.h"

/*
 * One part of an object's structured description (migrate_describe_json()):
 * what a statement that creates or changes the object is written from.
 */
typedef enum SchemaFieldType
{
	SCHEMA_FIELD_NULL,
	SCHEMA_FIELD_STRING,
	SCHEMA_FIELD_BOOL,
	SCHEMA_FIELD_INT,
	SCHEMA_FIELD_LIST			/* of strings */
} SchemaFieldType;

typedef struct SchemaField
{
	const char *name;
	SchemaFieldType type;
	const char *str;			/* SCHEMA_FIELD_STRING */
	bool		b;				/* SCHEMA_FIELD_BOOL */
	int64		i;				/* SCHEMA_FIELD_INT */
	List	   *list;			/* SCHEMA_FIELD_LIST: of char * */
} SchemaField;

/*
 * The structure of an object: its parts, and the keys ("kind identity") of
 * the described objects it depends on, from pg_depend.
 */
typedef struct SchemaDetail
{
	List	   *fields;			/* of SchemaField * */
	List	   *depends;		/* of char *, each once */
} SchemaDetail;

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
	/* its structure: migrate_describe_structured() only, else NULL */
	SchemaDetail *detail;
} SchemaObject;

typedef struct Schema
{
	int			n;
	SchemaObject *objects;		/* in byte order of key */
} Schema;

/* Every user object, sorted by key */
extern Schema *migrate_describe(void);

/* The same rows, each with its structure (detail) */
extern Schema *migrate_describe_structured(void);

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

/* The document migrate_describe_json() makes (describe_json.c) */
#define MIGRATE_DESCRIPTION_FORMAT	"migrate-description"
#define MIGRATE_DESCRIPTION_VERSION 1

/* Placeholder definition of an object another session was changing */
#define MIGRATE_NOT_DESCRIBED	"not described: another session was changing it"

/* ---------- describe_depend.c ---------- */

/* Are the objects of the schema of this name described? */
extern bool migrate_namespace_name_described(const char *name);

/* The kind of a relation's row ("table", "view"...), NULL if none */
extern const char *migrate_relation_kind_name(char relkind);

/* The kind of a routine: "function", "procedure" or "aggregate" */
extern const char *migrate_routine_kind_name(char prokind);

/*
 * The kind of a type described on its own ("enum", "domain", "range"), or
 * NULL: a composite type is its relation's, an array its element's, and a
 * multirange its range's.
 */
extern const char *migrate_type_kind_name(char typtype);

/*
 * The key ("kind identity") of an object as the description names it, or
 * NULL if the description has no such object (a system object, a
 * collation...).  A column is (relation, attnum); a type that is a table's
 * row type or an array stands for the table or the element's type; a view's
 * rule for its view.
 */
extern char *migrate_object_key(Oid classid, Oid objid, int32 subid);

/*
 * The relation a column default, constraint, trigger, rule or policy is
 * on, or InvalidOid (not one of those, gone, a domain's constraint).
 */
extern Oid	migrate_part_relation(Oid classid, Oid objid);

/* What an object depends on: one pg_depend row */
typedef struct DependRef
{
	char		deptype;
	Oid			refclassid;
	Oid			refobjid;
	int32		refobjsubid;
} DependRef;

/*
 * The pg_depend rows of (classid, objid): of that sub-object only if subid
 * >= 0, of the object and all its sub-objects if subid < 0.
 */
extern List *migrate_object_depends(Oid classid, Oid objid, int32 subid);

#endif							/* MIGRATE_DESCRIBE_H */
