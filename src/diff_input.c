/*-------------------------------------------------------------------------
 *
 * diff_input.c
 *	  A description (migrate_describe_json()) read into objects for
 *	  migrate_diff(): each object found by its key ("kind identity"), linked
 *	  to its parent, its parts and what depends on it; a column's default
 *	  made an object of its own; and the renames given to migrate_diff()
 *	  applied to the first description, so that a renamed object is the
 *	  same object in both.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

#include "diff.h"

/* ---------- a map from strings ---------- */

typedef struct MapEntry
{
	uint32		hash;			/* hash key */
	List	   *items;			/* of MapItem * */
} MapEntry;

typedef struct MapItem
{
	const char *key;
	void	   *value;
} MapItem;

HTAB *
diff_map_create(const char *name)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(uint32);
	ctl.entrysize = sizeof(MapEntry);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static uint32
string_hash_value(const char *key)
{
	return hash_bytes((const unsigned char *) key, strlen(key));
}

/* diff_map_get: the values put under key, oldest first */
List *
diff_map_get(HTAB *map, const char *key)
{
	uint32		hash = string_hash_value(key);
	MapEntry   *entry = hash_search(map, &hash, HASH_FIND, NULL);
	List	   *result = NIL;
	ListCell   *lc;

	if (entry == NULL)
		return NIL;
	foreach(lc, entry->items)
	{
		MapItem    *item = (MapItem *) lfirst(lc);

		if (strcmp(item->key, key) == 0)
			result = lappend(result, item->value);
	}
	return result;
}

void
diff_map_put(HTAB *map, const char *key, void *value)
{
	uint32		hash = string_hash_value(key);
	bool		found;
	MapEntry   *entry = hash_search(map, &hash, HASH_ENTER, &found);
	MapItem    *item = palloc(sizeof(MapItem));

	if (!found)
		entry->items = NIL;
	item->key = key;
	item->value = value;
	entry->items = lappend(entry->items, item);
}


/* ---------- the parts of an object ---------- */

static JsonbValue *
get_value(JsonbContainer *container, const char *name, JsonbValue *v)
{
	if (container == NULL)
		return NULL;
	return getKeyJsonValueFromContainer(container, name, strlen(name), v);
}

/* A string part, NULL if null or absent */
const char *
diff_str(DiffObject *o, const char *name)
{
	JsonbValue	v;
	ListCell   *lc;

	foreach(lc, o->overrides)
	{
		DiffOverride *ov = (DiffOverride *) lfirst(lc);

		if (strcmp(ov->name, name) == 0 && !ov->is_list)
			return ov->value;
	}
	if (get_value(o->json, name, &v) == NULL || v.type != jbvString)
		return NULL;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

bool
diff_bool(DiffObject *o, const char *name)
{
	JsonbValue	v;

	if (get_value(o->json, name, &v) == NULL || v.type != jbvBool)
		return false;
	return v.val.boolean;
}

int64
diff_int(DiffObject *o, const char *name)
{
	JsonbValue	v;

	if (get_value(o->json, name, &v) == NULL || v.type != jbvNumeric)
		return 0;
	return DatumGetInt64(DirectFunctionCall1(numeric_int8,
											 NumericGetDatum(v.val.numeric)));
}

static List *
string_list(JsonbContainer *container)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *result = NIL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_ELEM && v.type == jbvString)
			result = lappend(result, pnstrdup(v.val.string.val,
											  v.val.string.len));
	}
	return result;
}

/* A list of strings, NIL if empty or absent */
List *
diff_list(DiffObject *o, const char *name)
{
	JsonbValue	v;
	ListCell   *lc;

	foreach(lc, o->overrides)
	{
		DiffOverride *ov = (DiffOverride *) lfirst(lc);

		if (strcmp(ov->name, name) == 0 && ov->is_list)
			return ov->list;
	}
	if (get_value(o->json, name, &v) == NULL || v.type != jbvBinary)
		return NIL;
	return string_list(v.val.binary.data);
}

/* Give part name of o another text (a rename's effect) */
void
diff_override(DiffObject *o, const char *name, const char *value)
{
	DiffOverride *ov;
	ListCell   *lc;

	foreach(lc, o->overrides)
	{
		ov = (DiffOverride *) lfirst(lc);
		if (strcmp(ov->name, name) == 0 && !ov->is_list)
		{
			ov->value = value;
			return;
		}
	}
	ov = palloc0(sizeof(DiffOverride));
	ov->name = name;
	ov->value = value;
	o->overrides = lappend(o->overrides, ov);
}

/* Give list part name of o other items */
void
diff_override_list(DiffObject *o, const char *name, List *list)
{
	DiffOverride *ov = palloc0(sizeof(DiffOverride));

	ov->name = name;
	ov->is_list = true;
	ov->list = list;
	o->overrides = lcons(ov, o->overrides);
}

bool
diff_is(DiffObject *o, const char *kind)
{
	return strcmp(o->kind, kind) == 0;
}

/* A table, view, materialized view, sequence, foreign table or type */
bool
diff_is_relation(DiffObject *o)
{
	return diff_is(o, "table") || diff_is(o, "view") ||
		diff_is(o, "materialized view") || diff_is(o, "sequence") ||
		diff_is(o, "foreign table");
}

/*
 * The columns of a relation (the attributes of a composite type) in order
 * of position
 */
List *
diff_columns(DiffObject *rel)
{
	List	   *columns = NIL;
	int			n = 0;
	int			pos;
	ListCell   *lc;

	foreach(lc, rel->children)
	{
		if (diff_is((DiffObject *) lfirst(lc), "column"))
			n++;
	}
	for (pos = 1; pos <= n; pos++)
	{
		foreach(lc, rel->children)
		{
			DiffObject *c = (DiffObject *) lfirst(lc);

			if (diff_is(c, "column") && diff_int(c, "position") == pos)
				columns = lappend(columns, c);
		}
	}
	return columns;
}

bool
diff_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
diff_list_equal(List *a, List *b)
{
	ListCell   *la;
	ListCell   *lb;

	if (list_length(a) != list_length(b))
		return false;
	forboth(la, a, lb, b)
	{
		if (strcmp((char *) lfirst(la), (char *) lfirst(lb)) != 0)
			return false;
	}
	return true;
}

/* Is s one of the strings of list? */
bool
diff_list_has(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	}
	return false;
}

/*
 * A quoted identifier at p (its opening '"'): returns the position after its
 * closing quote, or that of the string's end if it is not closed; appends
 * the name, each "" read as ", to out unless out is NULL.
 */
const char *
diff_scan_quoted(const char *p, StringInfo out)
{
	for (p++; *p; p++)
	{
		if (*p == '"')
		{
			if (p[1] != '"')
				return p + 1;
			p++;
		}
		if (out != NULL)
			appendStringInfoChar(out, *p);
	}
	return p;
}

/* An identifier as quote_identifier() printed it, unquoted */
char *
diff_unquote(const char *ident)
{
	StringInfoData buf;

	if (ident[0] != '"')
		return pstrdup(ident);
	initStringInfo(&buf);
	(void) diff_scan_quoted(ident, &buf);
	return buf.data;
}


/* ---------- reading a description ---------- */

DiffObject *
diff_lookup(DiffSchema *s, const char *key)
{
	List	   *found = diff_map_get(s->by_key, key);

	return found ? (DiffObject *) llast(found) : NULL;
}

DiffObject *
diff_lookup2(DiffSchema *s, const char *kind, const char *identity)
{
	return diff_lookup(s, psprintf("%s %s", kind, identity));
}

static void
bad_description(const char *argname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s is not a schema description", argname),
			 errdetail("%s", detail),
			 errhint("Pass what migrate_describe_json() returns.")));
}

static char *
required_string(JsonbContainer *obj, const char *name, const char *argname)
{
	JsonbValue	v;

	if (get_value(obj, name, &v) == NULL || v.type != jbvString)
		bad_description(argname,
						psprintf("An object has no \"%s\" string.", name));
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static DiffObject *
new_object(DiffSchema *s, const char *kind, const char *identity)
{
	DiffObject *o = palloc0(sizeof(DiffObject));

	o->kind = pstrdup(kind);
	o->identity = pstrdup(identity);
	o->orig_identity = o->identity;
	o->key = psprintf("%s %s", kind, identity);
	o->side = s->side;
	s->objects = lappend(s->objects, o);
	return o;
}

/*
 * diff_read: the objects of description doc.  A column's default becomes
 * an object of its own, kind "default", with the column's identity: it is
 * made, dropped and changed with its own statements, and it depends on
 * what its expression uses.  A generated column's expression is part of
 * its column.
 */
DiffSchema *
diff_read(Jsonb *doc, DiffSide side, const char *argname)
{
	DiffSchema *s = palloc0(sizeof(DiffSchema));
	JsonbValue	v;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	ListCell   *lc;

	s->side = side;
	s->by_key = diff_map_create("migrate diff objects");
	if (!JB_ROOT_IS_OBJECT(doc))
		bad_description(argname, "It is not a JSON object.");
	if (get_value(&doc->root, "format", &v) == NULL || v.type != jbvString ||
		strncmp(v.val.string.val, MIGRATE_DESCRIPTION_FORMAT,
				v.val.string.len) != 0 ||
		v.val.string.len != strlen(MIGRATE_DESCRIPTION_FORMAT))
		bad_description(argname,
						"Its \"format\" is not \"" MIGRATE_DESCRIPTION_FORMAT "\".");
	if (get_value(&doc->root, "version", &v) == NULL || v.type != jbvNumeric ||
		DatumGetInt64(DirectFunctionCall1(numeric_int8,
										  NumericGetDatum(v.val.numeric))) != MIGRATE_DESCRIPTION_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is a description of another version", argname),
				 errdetail("This version of migrate_diff() reads version %d.",
						   MIGRATE_DESCRIPTION_VERSION),
				 errhint("Describe both schemas with the same version of the extension.")));
	s->described_by = get_value(&doc->root, "described_by", &v) != NULL &&
		v.type == jbvString ? pnstrdup(v.val.string.val, v.val.string.len) : "";
	if (get_value(&doc->root, "objects", &v) == NULL || v.type != jbvBinary)
		bad_description(argname, "It has no \"objects\" array.");

	it = JsonbIteratorInit(v.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		JsonbContainer *obj;
		DiffObject *o;
		JsonbValue	dv;

		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvBinary)
			bad_description(argname, "An element of \"objects\" is not an object.");
		obj = v.val.binary.data;
		o = new_object(s, required_string(obj, "kind", argname),
					   required_string(obj, "identity", argname));
		o->definition = required_string(obj, "definition", argname);
		o->json = obj;
		o->parent_key = (char *) diff_str(o, "parent");
		if (get_value(obj, "depends", &dv) != NULL && dv.type == jbvBinary)
			o->depends = string_list(dv.val.binary.data);
	}

	/* defaults; generated columns depend on what they compute from */
	foreach(lc, s->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);

		/*
		 * A sequence owned by a column goes with it: in the first
		 * description, what drops the column comes after what changes its
		 * ownership (never before what makes the column: a default uses the
		 * sequence).
		 */
		if (side == DIFF_FROM && diff_is(o, "sequence") &&
			diff_str(o, "owned_by") != NULL)
			o->depends = lappend(o->depends, (char *) diff_str(o, "owned_by"));
		if (!diff_is(o, "column"))
			continue;
		if (diff_str(o, "generated") != NULL)
			o->depends = list_concat(o->depends, diff_list(o, "default_depends"));
		else if (diff_str(o, "default") != NULL)
		{
			DiffObject *d = new_object(s, "default", o->identity);

			d->definition = (char *) diff_str(o, "default");
			d->json = o->json;
			d->parent_key = o->key;
			d->depends = lappend(diff_list(o, "default_depends"), o->key);
			o->column_default = d;
		}
	}
	return s;
}

/*
 * diff_link: index the objects by key and link each to its parent, its
 * parts and its dependents.  Called again after renames changed keys.
 */
void
diff_link(DiffSchema *s)
{
	ListCell   *lc;

	hash_destroy(s->by_key);
	s->by_key = diff_map_create("migrate diff objects");
	foreach(lc, s->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);

		o->children = NIL;
		o->dependents = NIL;
		diff_map_put(s->by_key, o->key, o);
	}
	foreach(lc, s->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);
		ListCell   *lc2;

		o->parent = o->parent_key ? diff_lookup(s, o->parent_key) : NULL;
		if (o->parent)
			o->parent->children = lappend(o->parent->children, o);
		foreach(lc2, o->depends)
		{
			DiffObject *ref = diff_lookup(s, (char *) lfirst(lc2));

			if (ref != NULL && ref != o)
				ref->dependents = list_append_unique_ptr(ref->dependents, o);
		}
		/* a part depends on its whole */
		if (o->parent)
			o->parent->dependents = list_append_unique_ptr(o->parent->dependents, o);
	}
}
