/*-------------------------------------------------------------------------
 *
 * diff.h
 *	  Generating migrations (SPEC §13): migrate_diff() compares two schema
 *	  descriptions (migrate_describe_json()) and writes the statements that
 *	  turn the first into the second, ordered by the dependencies the
 *	  descriptions carry.
 *
 * The modules, each using only those above it:
 *	  diff_input.c	  a description read into objects
 *	  diff_sql.c	  pieces of statements: names, privileges, comments
 *	  diff_actions.c  actions and their statements, what each needs
 *	  diff_order.c	  ordering the actions (a topological sort)
 *	  diff_rename.c	  the renames given, applied to the first description
 *	  diff_types.c	  schemas, types, sequences, routines
 *	  diff_tables.c	  tables, columns, constraints, indexes, triggers,
 *					  policies
 *	  diff_views.c	  views and materialized views
 *	  diff.c		  what changed, and migrate_diff()
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_DIFF_H
#define MIGRATE_DIFF_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "describe.h"

typedef enum DiffSide
{
	DIFF_FROM,
	DIFF_TO
} DiffSide;

typedef enum DiffChange
{
	DIFF_SAME,
	DIFF_ADDED,					/* only in to */
	DIFF_REMOVED,				/* only in from */
	DIFF_CHANGED
} DiffChange;

struct DiffAction;

/* A part of an object overridden (the text of a renamed object's parts) */
typedef struct DiffOverride
{
	const char *name;
	const char *value;
	bool		is_list;
	List	   *list;
} DiffOverride;

/* One object of a description */
typedef struct DiffObject
{
	char	   *key;			/* "kind identity" */
	char	   *kind;
	char	   *identity;
	char	   *orig_identity;	/* before a rename given to migrate_diff() */
	char	   *definition;		/* as in migrate_schema() */
	JsonbContainer *json;		/* its parts; a default's are its column's */
	List	   *overrides;		/* of DiffOverride * */
	DiffSide	side;
	char	   *parent_key;
	struct DiffObject *parent;	/* its table, view, type or domain */
	List	   *children;		/* of DiffObject * */
	List	   *depends;		/* of char * keys */
	List	   *dependents;		/* of DiffObject *, same side */
	struct DiffObject *twin;	/* the same object in the other description */
	struct DiffObject *column_default;	/* a column's default, as an object */
	struct DiffObject *identity_sequence;	/* an identity column's */

	/* what becomes of it (decided in diff.c) */
	DiffChange	change;
	bool		replace;		/* dropped and created again */
	bool		retype;			/* a column whose type changes */
	bool		retype_via_text;	/* ... through text: its type is rewritten */
	bool		retype_loses;	/* ... and loses values */
	bool		rewrite;		/* a type rewritten: renamed away, created
								 * anew, its columns retyped, dropped */
	bool		loses_values;	/* an enum rewritten without some values */
	const char *why;			/* why it is made again */
	struct DiffAction *last_added;	/* a table's: the last ADD COLUMN */
	bool		implicit;		/* created and dropped with another object */
	bool		skip;			/* not diffed (said at the top) */
	bool		generated;		/* its actions are made */

	/* the actions about it (diff_order.c) */
	List	   *producers;		/* to side: actions that make or change it */
	struct DiffAction *dropper; /* from side: the action that drops it */
	struct DiffAction *rename_action;	/* from side: renames it or its whole */
	List	   *releasers;		/* from side: actions after which it no longer
								 * depends on what it did */
} DiffObject;

/* A description */
typedef struct DiffSchema
{
	DiffSide	side;
	List	   *objects;		/* of DiffObject *, in the document's order */
	HTAB	   *by_key;
	const char *described_by;	/* the role that described it, quoted */
} DiffSchema;

/* One statement of the output */
typedef struct DiffStatement
{
	char	   *sql;			/* with its ';', or a comment */
	bool		transactional;
	bool		destructive;
	char	   *note;
} DiffStatement;

/* What the output must be ordered by */
typedef struct DiffAction
{
	int			id;				/* the order it was made in: tie-break */
	int			rank;			/* 0 before 1 when either may come first */
	List	   *statements;		/* of DiffStatement * */
	List	   *requires;		/* to side: must exist as it will be */
	List	   *produces;		/* to side: made or changed by it */
	List	   *drops;			/* from side: dropped by it */
	List	   *releases;		/* from side: no longer depend on what they
								 * did after it */
	List	   *clears;			/* from side: their dependents that go must be
								 * gone before it */
	List	   *frees;			/* names (slots) it frees */
	List	   *takes;			/* names it takes */
	List	   *after;			/* actions it must follow anyway */
	/* the sort */
	List	   *successors;
	int			predecessors;
	bool		emitted;
} DiffAction;

/* Everything one call works with */
typedef struct DiffContext
{
	DiffSchema *from;
	DiffSchema *to;
	bool		allow_drop;
	bool		unsafe;
	List	   *actions;		/* of DiffAction *, as made */
	List	   *notes;			/* of char *: comments at the top */
	List	   *renames;		/* of DiffRename * */
	HTAB	   *slots;			/* slot name -> actions freeing it */
} DiffContext;

/* A rename given to migrate_diff() */
typedef struct DiffRename
{
	const char *kind;			/* "table", "column", "index", "constraint" */
	const char *spec;			/* as given */
	List	   *names;			/* its object's names as given, quoted */
	const char *old_name;		/* the last of them */
	const char *forward_new_name;	/* the name after "=" */
	bool		reversed;		/* the first description has the new name:
								 * renamed back */
	DiffObject *object;			/* from side */
	char	   *old_identity;
	char	   *new_identity;
	const char *new_name;		/* what it is renamed to, quoted */
} DiffRename;

/* ---------- diff_input.c ---------- */

extern DiffSchema *diff_read(Jsonb *doc, DiffSide side, const char *argname);
extern DiffObject *diff_lookup(DiffSchema *s, const char *key);
extern DiffObject *diff_lookup2(DiffSchema *s, const char *kind,
								const char *identity);
extern void diff_link(DiffSchema *s);
extern const char *diff_str(DiffObject *o, const char *name);
extern bool diff_bool(DiffObject *o, const char *name);
extern int64 diff_int(DiffObject *o, const char *name);
extern List *diff_list(DiffObject *o, const char *name);
extern void diff_override(DiffObject *o, const char *name, const char *value);
extern void diff_override_list(DiffObject *o, const char *name, List *list);
extern HTAB *diff_map_create(const char *name);
extern List *diff_map_get(HTAB *map, const char *key);
extern void diff_map_put(HTAB *map, const char *key, void *value);
extern bool diff_is(DiffObject *o, const char *kind);
extern bool diff_is_relation(DiffObject *o);
extern List *diff_columns(DiffObject *rel);
extern const char *diff_scan_quoted(const char *p, StringInfo out);
extern char *diff_unquote(const char *ident);
extern bool diff_str_equal(const char *a, const char *b);
extern bool diff_list_equal(List *a, List *b);
extern bool diff_list_has(List *list, const char *s);

/* ---------- diff_rename.c ---------- */

extern void diff_apply_renames(DiffContext *ctx, ArrayType *renames);
extern void diff_rename_actions(DiffContext *ctx);

/* ---------- diff_sql.c ---------- */

extern const char *diff_object_word(DiffObject *o);
extern const char *diff_comment_target(DiffObject *o);
extern char *diff_strip_semicolon(const char *sql);
extern char *diff_owner_sql(DiffObject *to);
extern List *diff_acl_sql(DiffObject *from, DiffObject *to,
						  const char *from_owner);
extern char *diff_comment_sql(DiffObject *o, const char *comment);
extern char *diff_relation_name(DiffObject *column);
extern char *diff_keyword_join(List *items, const char *sep);
extern char *diff_name_with_suffix(const char *quoted, const char *suffix);
extern const char *diff_collate_sql(DiffObject *o);
extern char *diff_attribute_sql(DiffObject *c);
extern const char *diff_with_options(DiffObject *o);

/* ---------- diff_actions.c ---------- */

extern DiffAction *diff_action(DiffContext *ctx, int rank);
extern DiffStatement *diff_add(DiffAction *a, const char *sql,
							   const char *note);
extern DiffStatement *diff_add_skipped(DiffAction *a, const char *sql,
									   const char *why);
extern DiffStatement *diff_add_destructive(DiffContext *ctx, DiffAction *a,
										   const char *sql, const char *note);
extern void diff_requires(DiffAction *a, DiffObject *to);
extern void diff_creates(DiffContext *ctx, DiffAction *a, DiffObject *to);
extern void diff_requires_depends(DiffContext *ctx, DiffAction *a,
								  DiffObject *to, List *keys);
extern void diff_produces(DiffAction *a, DiffObject *to);
extern void diff_drops(DiffContext *ctx, DiffAction *a, DiffObject *from);
extern void diff_releases(DiffAction *a, DiffObject *from);
extern void diff_clears(DiffAction *a, DiffObject *from);
extern void diff_frees(DiffContext *ctx, DiffAction *a, const char *slot);
extern void diff_takes(DiffAction *a, const char *slot);
extern void diff_after(DiffAction *a, DiffAction *before);
extern char *diff_slot(DiffObject *o, const char *identity);
extern void diff_note(DiffContext *ctx, const char *fmt,...) pg_attribute_printf(2, 3);
extern bool diff_created_here(DiffObject *to);
extern bool diff_goes(DiffObject *from);
extern const char *diff_why(DiffObject *from, const char *otherwise);
extern bool diff_parent_goes(DiffObject *from);
extern void diff_attributes(DiffContext *ctx, DiffObject *from, DiffObject *to);

/* ---------- diff_order.c ---------- */

extern List *diff_order(DiffContext *ctx);

/* ---------- diff_types.c ---------- */

extern void diff_schema_actions(DiffContext *ctx, DiffObject *from,
								DiffObject *to);
extern void diff_type_actions(DiffContext *ctx, DiffObject *from,
							  DiffObject *to);
extern void diff_sequence_actions(DiffContext *ctx, DiffObject *from,
								  DiffObject *to);
extern void diff_routine_actions(DiffContext *ctx, DiffObject *from,
								 DiffObject *to);
extern bool diff_enum_extends(List *from, List *to);

/* ---------- diff_tables.c ---------- */

extern void diff_table_actions(DiffContext *ctx, DiffObject *from,
							   DiffObject *to);
extern void diff_column_actions(DiffContext *ctx, DiffObject *from,
								DiffObject *to);
extern void diff_default_actions(DiffContext *ctx, DiffObject *from,
								 DiffObject *to);
extern void diff_constraint_actions(DiffContext *ctx, DiffObject *from,
									DiffObject *to);
extern void diff_index_actions(DiffContext *ctx, DiffObject *from,
							   DiffObject *to);
extern void diff_trigger_actions(DiffContext *ctx, DiffObject *from,
								 DiffObject *to);
extern void diff_policy_actions(DiffContext *ctx, DiffObject *from,
								DiffObject *to);
extern bool diff_type_widens(const char *from, const char *to);
extern char *diff_column_sql(DiffContext *ctx, DiffObject *column,
							 bool with_default);

/* ---------- diff_views.c ---------- */

extern void diff_view_actions(DiffContext *ctx, DiffObject *from,
							  DiffObject *to);
extern bool diff_view_columns_compatible(DiffObject *from, DiffObject *to);

#endif							/* MIGRATE_DIFF_H */
