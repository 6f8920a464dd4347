/*-------------------------------------------------------------------------
 *
 * describe_json.c
 *	  migrate_describe_json() (SPEC §13): the schema described with its
 *	  structure, as one jsonb document that migrate_diff() compares with
 *	  another, taken in this database or in any other.
 *
 * The document:
 *
 *	  {"format": "migrate-description", "version": 1,
 *	   "described_by": "<the describing role, quoted>",
 *	   "objects": [{"kind": ..., "identity": ..., "definition": ...,
 *					"depends": ["kind identity", ...], <parts>...}, ...]}
 *
 * One object per row of migrate_schema(), in the same order, with the same
 * kind, identity and definition (so the fingerprint of a description can be
 * computed from it), and the parts that describe.c gives it: names, types,
 * expressions and the statements PostgreSQL deparses, owner, privileges
 * (what is granted, and what a new object of that owner grants) and
 * comment, and the keys of the described objects it depends on according
 * to pg_depend.  Identities are names, never OIDs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "describe.h"

PG_FUNCTION_INFO_V1(migrate_describe_json);

static void
push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = unconstify(char *, key);
	v.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &v);
}

static void
push_string(JsonbParseState **state, JsonbIteratorToken token,
			const char *s)
{
	JsonbValue	v;

	if (s == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = unconstify(char *, s);
		v.val.string.len = strlen(s);
	}
	(void) pushJsonbValue(state, token, &v);
}

static void
push_string_list(JsonbParseState **state, List *items)
{
	ListCell   *lc;

	(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, items)
		push_string(state, WJB_ELEM, (const char *) lfirst(lc));
	(void) pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

static void
push_field(JsonbParseState **state, SchemaField *f)
{
	JsonbValue	v;

	push_key(state, f->name);
	switch (f->type)
	{
		case SCHEMA_FIELD_NULL:
			push_string(state, WJB_VALUE, NULL);
			break;
		case SCHEMA_FIELD_STRING:
			push_string(state, WJB_VALUE, f->str);
			break;
		case SCHEMA_FIELD_BOOL:
			v.type = jbvBool;
			v.val.boolean = f->b;
			(void) pushJsonbValue(state, WJB_VALUE, &v);
			break;
		case SCHEMA_FIELD_INT:
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(f->i);
			(void) pushJsonbValue(state, WJB_VALUE, &v);
			break;
		case SCHEMA_FIELD_LIST:
			push_string_list(state, f->list);
			break;
	}
}

static void
push_object(JsonbParseState **state, SchemaObject *o)
{
	ListCell   *lc;

	(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	push_key(state, "kind");
	push_string(state, WJB_VALUE, o->kind);
	push_key(state, "identity");
	push_string(state, WJB_VALUE, o->identity);
	push_key(state, "definition");
	push_string(state, WJB_VALUE, o->definition);
	push_key(state, "depends");
	push_string_list(state, o->detail ? o->detail->depends : NIL);
	if (o->detail)
		foreach(lc, o->detail->fields)
			push_field(state, (SchemaField *) lfirst(lc));
	(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * migrate_describe_json()
 *		The schema described, with its structure and dependencies.
 */
Datum
migrate_describe_json(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "migrate_describe_json",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	Schema	   *s = migrate_describe_structured();
	JsonbParseState *state = NULL;
	JsonbValue *result;
	Jsonb	   *jb;
	JsonbValue	v;
	int			i;

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_key(&state, "format");
	push_string(&state, WJB_VALUE, MIGRATE_DESCRIPTION_FORMAT);
	push_key(&state, "version");
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(MIGRATE_DESCRIPTION_VERSION);
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	push_key(&state, "described_by");
	push_string(&state, WJB_VALUE,
				quote_identifier(GetUserNameFromId(GetUserId(), false)));
	push_key(&state, "objects");
	(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < s->n; i++)
		push_object(&state, &s->objects[i]);
	(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	MemoryContextSwitchTo(oldcxt);
	jb = JsonbValueToJsonb(result);
	MemoryContextDelete(cxt);
	PG_RETURN_JSONB_P(jb);
}
