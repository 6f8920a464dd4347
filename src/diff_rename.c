/*-------------------------------------------------------------------------
 *
 * diff_rename.c
 *	  The renames given to migrate_diff() (SPEC §13).  A rename cannot be
 *	  told from a drop and an add, so it is never guessed: only those given
 *	  are written as RENAME, in these forms:
 *
 *		table:[schema.]name=new			(a table, view, materialized view,
 *										 sequence or foreign table)
 *		column:[schema.]table.name=new
 *		index:[schema.]name=new
 *		constraint:[schema.]table.name=new
 *
 *	  each name as in SQL (quoted if need be), the table of a column or
 *	  constraint by its name in the first description.
 *
 * A rename is applied to the first description before it is compared: the
 * object and its parts take their new identities, the keys that name them
 * in every object's dependencies are renamed with them, and where the text
 * of a part or of a dependent names them (an index's definition, a foreign
 * key's REFERENCES, a view's query), the name is replaced in it, so that
 * an object the rename alone changes compares equal.  Where the text is
 * not so replaced (an alias that happens to have the name), the object
 * differs and is written again: never wrong, at most a statement too many.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "diff.h"

/* ---------- replacing a name in the text of a part ---------- */

static bool
ident_char(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '$' ||
		IS_HIGHBIT_SET(c);
}

/*
 * text with each occurrence of name (a quoted identifier or a dotted
 * sequence of them, as quote_identifier() prints) replaced by replacement,
 * where it stands as a whole token outside string constants; with
 * qualifier_only, only where a '.' follows it.
 */
static char *
replace_name(const char *text, const char *name, const char *replacement,
			 bool qualifier_only)
{
	StringInfoData buf;
	size_t		len = strlen(name);
	const char *p = text;
	bool		in_string = false;
	bool		in_ident = false;

	if (text == NULL)
		return NULL;
	initStringInfo(&buf);
	while (*p)
	{
		if (in_string)
		{
			appendStringInfoChar(&buf, *p);
			if (*p == '\'')
				in_string = false;
			p++;
			continue;
		}
		if (!in_ident && strncmp(p, name, len) == 0 &&
			(p == text ||(!ident_char(p[-1]) && p[-1] != '"' && p[-1] != '.')) &&
			!ident_char(p[len]) && p[len] != '"' &&
			(!qualifier_only || p[len] == '.'))
		{
			appendStringInfoString(&buf, replacement);
			p += len;
			continue;
		}
		if (*p == '\'')
			in_string = true;
		else if (*p == '"')
			in_ident = !in_ident;
		else if (ident_char(*p))
		{
			/* a whole word: no match inside it */
			while (ident_char(*p))
				appendStringInfoChar(&buf, *p++);
			continue;
		}
		appendStringInfoChar(&buf, *p);
		p++;
	}
	return buf.data;
}

/* The text parts of objects that may name others */
static const char *const text_parts[] = {
	"def", "query", "create", "using", "check", "default",
	"generated", "bound", "partition_by"
};

/* Replace name in every text of o */
static void
replace_in_object(DiffObject *o, const char *name, const char *replacement,
				  bool qualifier_only)
{
	int			i;

	o->definition = replace_name(o->definition, name, replacement,
								 qualifier_only);
	for (i = 0; i < lengthof(text_parts); i++)
	{
		const char *s = diff_str(o, text_parts[i]);

		if (s != NULL)
			diff_override(o, text_parts[i],
						  replace_name(s, name, replacement, qualifier_only));
	}
}

/*
 * An index's definition ("CREATE [UNIQUE] INDEX name ON ...") with the
 * index's own name replaced.
 */
static char *
index_def_renamed(const char *def, const char *new_name)
{
	const char *p = strstr(def, " INDEX ");
	const char *end;

	if (p == NULL)
		return pstrdup(def);
	p += strlen(" INDEX ");
	end = p;
	if (*end == '"')
		end = diff_scan_quoted(end, NULL);
	else
		while (ident_char(*end))
			end++;
	return psprintf("%.*s%s%s", (int) (p - def), def, new_name, end);
}

/* The parts that hold the key of another object */
static const char *const key_parts[] = {
	"index", "constraint", "references", "partition_of", "owned_by",
	"identity_of", "of_type"
};

/* ---------- renaming keys ---------- */

/* key with the identity prefix old (followed by '.', or whole) as new */
static char *
rename_identity(const char *identity, const char *old, const char *new,
				bool whole_only)
{
	size_t		len = strlen(old);

	if (strncmp(identity, old, len) != 0)
		return NULL;
	if (identity[len] == '\0')
		return pstrdup(new);
	if (!whole_only && identity[len] == '.')
		return psprintf("%s%s", new, identity + len);
	return NULL;
}

/* The key "kind identity" renamed, or NULL if it is not renamed */
static char *
rename_key(const char *key, const char *kind, const char *old,
		   const char *new, bool parts)
{
	size_t		klen = strlen(kind);
	char	   *identity;

	if (strncmp(key, kind, klen) != 0 || key[klen] != ' ')
		return NULL;
	identity = rename_identity(key + klen + 1, old, new, !parts);
	return identity ? psprintf("%s %s", kind, identity) : NULL;
}

typedef struct KeyRename
{
	const char *kind;			/* of the renamed identities */
	const char *old;
	const char *new;
	bool		parts;			/* also "old.<part>" */
} KeyRename;

static const char *
apply_key_renames(const char *key, List *renames)
{
	ListCell   *lc;

	foreach(lc, renames)
	{
		KeyRename  *r = (KeyRename *) lfirst(lc);
		char	   *renamed = rename_key(key, r->kind, r->old, r->new, r->parts);

		if (renamed)
			return renamed;
	}
	return key;
}

static void
add_key_rename(List **renames, const char *kind, const char *old,
			   const char *new, bool parts)
{
	KeyRename  *r = palloc(sizeof(KeyRename));

	r->kind = kind;
	r->old = old;
	r->new = new;
	r->parts = parts;
	*renames = lappend(*renames, r);
}

/* Give o and its parts their new keys and identities */
static void
rename_objects(DiffSchema *s, List *key_renames)
{
	ListCell   *lc;

	foreach(lc, s->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);
		const char *key = apply_key_renames(o->key, key_renames);
		ListCell   *lc2;

		if (key != o->key)
		{
			o->key = (char *) key;
			o->identity = o->key + strlen(o->kind) + 1;
		}
		if (o->parent_key)
			o->parent_key = (char *) apply_key_renames(o->parent_key,
													   key_renames);
		foreach(lc2, o->depends)
			lfirst(lc2) = (char *) apply_key_renames((char *) lfirst(lc2),
													 key_renames);
	}
}


/* ---------- the renames given ---------- */

static void
bad_rename(const char *spec, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid rename \"%s\"", spec),
			 errdetail("%s", detail),
			 errhint("Write renames as table:[schema.]name=new, column:[schema.]table.column=new, index:[schema.]name=new or constraint:[schema.]table.name=new.")));
}

/* The names of a dotted SQL name, each quoted as quote_identifier() does */
static List *
split_names(const char *spec, const char *text)
{
	List	   *raw;
	List	   *result = NIL;
	ListCell   *lc;

	if (!SplitIdentifierString(pstrdup(text), '.', &raw) || raw == NIL)
		bad_rename(spec, psprintf("\"%s\" is not a name.", text));
	foreach(lc, raw)
		result = lappend(result, pstrdup(quote_identifier((char *) lfirst(lc))));
	return result;
}

static char *
join_names(List *names)
{
	return diff_keyword_join(names, ".");
}

/* The objects of kinds in from whose identity ends with suffix */
static DiffObject *
find_object(DiffSchema *from, const char *spec, const char *const *kinds,
			int nkinds, List *names, int parts)
{
	ListCell   *lc;
	DiffObject *found = NULL;
	char	   *wanted = join_names(names);

	foreach(lc, from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);
		bool		kind_ok = false;
		int			i;

		for (i = 0; i < nkinds; i++)
			kind_ok |= diff_is(o, kinds[i]);
		if (!kind_ok)
			continue;
		if (list_length(names) == parts + 1)
		{
			/* the schema was given */
			if (strcmp(o->orig_identity, wanted) != 0)
				continue;
		}
		else
		{
			/* any schema: the identity ends with ".<wanted>" */
			size_t		ilen = strlen(o->orig_identity);
			size_t		wlen = strlen(wanted);
			List	   *onames;

			if (ilen <= wlen ||
				strcmp(o->orig_identity + ilen - wlen, wanted) != 0 ||
				o->orig_identity[ilen - wlen - 1] != '.')
				continue;
			/* and the rest is one name: the schema */
			onames = split_names(spec, o->orig_identity);
			if (list_length(onames) != parts + 1)
				continue;
		}
		if (found != NULL)
			bad_rename(spec, psprintf("More than one %s is named %s; give its schema.",
									  kinds[0], wanted));
		found = o;
	}
	return found;
}

/* names with its last name replaced */
static List *
with_last(List *names, const char *name)
{
	List	   *result = list_copy(names);

	llast(result) = (char *) name;
	return result;
}

/*
 * The object a rename names in the first description, and its new name.
 * A rename names objects as the schema before the change names them
 * (forward): then the object has the old name in the first description.
 * The same list serves the other way (reverse, for a down migration): the
 * object has the new name in the first description, its table too if the
 * table is renamed, and it is renamed back.
 */
static DiffObject *
resolve(DiffContext *ctx, const char *spec, const char *const *kinds,
		int nkinds, List *names, int parts, const char *new_name,
		List *table_renames, const char **rename_to)
{
	DiffObject *o = find_object(ctx->from, spec, kinds, nkinds, names, parts);
	List	   *reversed;
	ListCell   *lc;

	if (o != NULL)
	{
		*rename_to = new_name;
		return o;
	}
	reversed = with_last(names, new_name);
	/* the table of a column or constraint by its new name */
	if (parts == 2)
	{
		const char *table = list_nth(reversed, list_length(reversed) - 2);

		foreach(lc, table_renames)
		{
			DiffRename *t = (DiffRename *) lfirst(lc);

			if (strcmp(t->old_name, table) == 0 && t->reversed)
				list_nth_cell(reversed, list_length(reversed) - 2)->ptr_value =
					(void *) t->forward_new_name;
		}
	}
	o = find_object(ctx->from, spec, kinds, nkinds, reversed, parts);
	if (o == NULL)
		bad_rename(spec, psprintf("The first schema has no %s %s, nor %s.",
								  kinds[0], join_names(names),
								  join_names(reversed)));
	*rename_to = llast(names);
	return o;
}

/*
 * diff_apply_renames: apply the renames given to the first description,
 * and keep them for their statements (diff_rename_actions()).
 */
void
diff_apply_renames(DiffContext *ctx, ArrayType *renames)
{
	static const char *const relation_kinds[] = {
		"table", "view", "materialized view", "sequence", "foreign table"
	};
	static const char *const column_kinds[] = {"column"};
	static const char *const index_kinds[] = {"index"};
	static const char *const constraint_kinds[] = {"constraint"};
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *key_renames = NIL;
	List	   *all_renames;
	List	   *parsed = NIL;
	int			pass;
	ListCell   *lc;

	deconstruct_array(renames, TEXTOID, -1, false, TYPALIGN_INT, &elems,
					  &nulls, &n);

	/* resolve every rename against the first description as given */
	for (i = 0; i < n; i++)
	{
		char	   *spec;
		char	   *colon;
		char	   *eq;
		char	   *target;
		const char *kind;
		List	   *names;
		List	   *newname;
		DiffRename *r;
		bool		quoted = false;
		char	   *p;

		if (nulls[i])
			bad_rename("NULL", "A rename is NULL.");
		spec = TextDatumGetCString(elems[i]);
		colon = strchr(spec, ':');
		if (colon == NULL)
			bad_rename(spec, "It names no kind of object.");
		kind = pnstrdup(spec, colon - spec);
		eq = NULL;
		for (p = colon + 1; *p; p++)
		{
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '=' && !quoted)
			{
				eq = p;
				break;
			}
		}
		if (eq == NULL)
			bad_rename(spec, "It has no \"=\" before the new name.");
		target = pnstrdup(colon + 1, eq - colon - 1);
		names = split_names(spec, target);
		newname = split_names(spec, eq + 1);
		if (list_length(newname) != 1)
			bad_rename(spec, "The new name is a name alone, without its schema or table.");

		r = palloc0(sizeof(DiffRename));
		r->kind = kind;
		r->spec = spec;
		r->names = names;
		r->new_name = linitial(newname);
		if (strcmp(kind, "table") == 0)
		{
			if (list_length(names) > 2)
				bad_rename(spec, "A table is [schema.]name.");
		}
		else if (strcmp(kind, "column") == 0 || strcmp(kind, "constraint") == 0)
		{
			if (list_length(names) < 2 || list_length(names) > 3)
				bad_rename(spec, psprintf("A %s is [schema.]table.name.", kind));
		}
		else if (strcmp(kind, "index") == 0)
		{
			if (list_length(names) > 2)
				bad_rename(spec, "An index is [schema.]name.");
		}
		else
			bad_rename(spec, psprintf("\"%s\" is not a kind that is renamed.",
									  kind));
		parsed = lappend(parsed, r);
	}

	/* tables first: the others may name a renamed table */
	for (pass = 0; pass < 2; pass++)
	{
		foreach(lc, parsed)
		{
			DiffRename *r = (DiffRename *) lfirst(lc);
			const char *forward_new = r->new_name;
			bool		table = strcmp(r->kind, "table") == 0;

			if (table != (pass == 0))
				continue;
			if (table)
				r->object = resolve(ctx, r->spec, relation_kinds,
									lengthof(relation_kinds), r->names, 1,
									forward_new, NIL, &r->new_name);
			else if (strcmp(r->kind, "column") == 0)
				r->object = resolve(ctx, r->spec, column_kinds, 1, r->names, 2,
									forward_new, ctx->renames, &r->new_name);
			else if (strcmp(r->kind, "index") == 0)
				r->object = resolve(ctx, r->spec, index_kinds, 1, r->names, 1,
									forward_new, NIL, &r->new_name);
			else
			{
				r->object = resolve(ctx, r->spec, constraint_kinds, 1, r->names,
									2, forward_new, ctx->renames, &r->new_name);
				if (r->object->parent_key == NULL ||
					strncmp(r->object->parent_key, "domain ", 7) == 0)
					bad_rename(r->spec, "Only a table's constraints are renamed.");
			}
			r->reversed = r->new_name != forward_new;
			r->old_name = llast(r->names);
			r->forward_new_name = forward_new;
			r->old_identity = r->object->orig_identity;
			r->new_identity = join_names(with_last(split_names(r->spec,
															   r->old_identity),
												   r->new_name));
			ctx->renames = lappend(ctx->renames, r);
		}
	}

	/*
	 * Tables first, so that a column's or constraint's rename finds its
	 * table's new name: the identities of what is renamed, and of its parts.
	 */
	foreach(lc, ctx->renames)
	{
		DiffRename *r = (DiffRename *) lfirst(lc);

		if (strcmp(r->kind, "table") != 0)
			continue;
		add_key_rename(&key_renames, r->object->kind, r->old_identity,
					   r->new_identity, false);
		add_key_rename(&key_renames, "column", r->old_identity,
					   r->new_identity, true);
		add_key_rename(&key_renames, "default", r->old_identity,
					   r->new_identity, true);
		add_key_rename(&key_renames, "constraint", r->old_identity,
					   r->new_identity, true);
		add_key_rename(&key_renames, "trigger", r->old_identity,
					   r->new_identity, true);
		add_key_rename(&key_renames, "policy", r->old_identity,
					   r->new_identity, true);
	}
	rename_objects(ctx->from, key_renames);
	diff_link(ctx->from);
	all_renames = list_copy(key_renames);

	/* the text that names a renamed table: its parts' and dependents' */
	foreach(lc, ctx->renames)
	{
		DiffRename *r = (DiffRename *) lfirst(lc);
		DiffObject *t = r->object;
		char	   *old_name = llast(split_names(r->spec, r->old_identity));
		ListCell   *lc2;
		List	   *touched = NIL;

		if (strcmp(r->kind, "table") != 0)
			continue;
		diff_override(t, "name", r->new_name);
		touched = list_copy(t->dependents);
		foreach(lc2, t->children)
			touched = list_concat_unique_ptr(touched,
											 ((DiffObject *) lfirst(lc2))->dependents);
		foreach(lc2, t->children)
			touched = list_append_unique_ptr(touched, lfirst(lc2));
		foreach(lc2, touched)
		{
			DiffObject *o = (DiffObject *) lfirst(lc2);

			replace_in_object(o, r->old_identity, r->new_identity, false);
			/* a view's query qualifies columns with the table's name */
			if (diff_is(o, "view") || diff_is(o, "materialized view"))
				replace_in_object(o, old_name, r->new_name, true);
		}
		/* the table's indexes are parts of it without being children */
		foreach(lc2, ctx->from->objects)
		{
			DiffObject *o = (DiffObject *) lfirst(lc2);

			if (diff_is(o, "index") &&
				diff_str_equal(o->parent_key,
							   psprintf("%s %s", t->kind, t->identity)))
				replace_in_object(o, r->old_identity, r->new_identity, false);
		}
	}

	/* then columns, indexes and constraints */
	key_renames = NIL;
	foreach(lc, ctx->renames)
	{
		DiffRename *r = (DiffRename *) lfirst(lc);
		DiffObject *o = r->object;
		List	   *parts;

		if (strcmp(r->kind, "table") == 0)
			continue;
		/* its identity now, after its table's rename */
		r->old_identity = o->identity;
		parts = split_names(r->spec, o->identity);
		llast(parts) = unconstify(char *, r->new_name);
		r->new_identity = join_names(parts);
		add_key_rename(&key_renames, o->kind, r->old_identity, r->new_identity,
					   false);
		if (strcmp(r->kind, "column") == 0)
			add_key_rename(&key_renames, "default", r->old_identity,
						   r->new_identity, false);

		/*
		 * An index and the constraint it is the index of are renamed
		 * together: PostgreSQL renames both.
		 */
		if (strcmp(r->kind, "constraint") == 0 && diff_str(o, "index"))
		{
			DiffObject *idx = diff_lookup(ctx->from, diff_str(o, "index"));

			if (idx)
			{
				parts = split_names(r->spec, idx->identity);
				llast(parts) = unconstify(char *, r->new_name);
				add_key_rename(&key_renames, "index", idx->identity,
							   join_names(parts), false);
			}
		}
		if (strcmp(r->kind, "index") == 0 && diff_str(o, "constraint"))
		{
			const char *conkey = diff_str(o, "constraint");
			DiffObject *con = diff_lookup(ctx->from, conkey);

			if (con)
			{
				parts = split_names(r->spec, con->identity);
				llast(parts) = unconstify(char *, r->new_name);
				add_key_rename(&key_renames, "constraint", con->identity,
							   join_names(parts), false);
			}
		}
	}
	/* replace the names in the text first: the dependents are linked now */
	foreach(lc, ctx->renames)
	{
		DiffRename *r = (DiffRename *) lfirst(lc);
		DiffObject *o = r->object;
		char	   *old_name = llast(split_names(r->spec, r->old_identity));
		ListCell   *lc2;

		if (strcmp(r->kind, "table") == 0)
			continue;
		diff_override(o, "name", r->new_name);
		if (strcmp(r->kind, "column") == 0)
		{
			foreach(lc2, o->dependents)
			{
				DiffObject *d = (DiffObject *) lfirst(lc2);

				if (d != o->column_default)
					replace_in_object(d, old_name, r->new_name, false);
			}
		}
		else if (strcmp(r->kind, "index") == 0 ||
				 (strcmp(r->kind, "constraint") == 0 && diff_str(o, "index")))
		{
			DiffObject *idx = strcmp(r->kind, "index") == 0 ? o :
			diff_lookup(ctx->from, diff_str(o, "index"));

			if (idx)
			{
				idx->definition = index_def_renamed(idx->definition,
													r->new_name);
				diff_override(idx, "def",
							  index_def_renamed(diff_str(idx, "def"),
												r->new_name));
				diff_override(idx, "name", r->new_name);
			}
		}
	}
	rename_objects(ctx->from, key_renames);
	all_renames = list_concat(all_renames, key_renames);
	/* the parts that hold the key of a renamed object */
	foreach(lc, ctx->from->objects)
	{
		DiffObject *o = (DiffObject *) lfirst(lc);
		List	   *inherits = NIL;
		ListCell   *lc2;

		for (i = 0; i < lengthof(key_parts); i++)
		{
			const char *s = diff_str(o, key_parts[i]);

			if (s != NULL)
				diff_override(o, key_parts[i], apply_key_renames(s, all_renames));
		}
		foreach(lc2, diff_list(o, "inherits"))
			inherits = lappend(inherits,
							   (char *) apply_key_renames((char *) lfirst(lc2),
														  all_renames));
		if (inherits != NIL)
			diff_override_list(o, "inherits", inherits);
	}
	diff_link(ctx->from);

	/* what is renamed must be in the second description by its new name */
	foreach(lc, ctx->renames)
	{
		DiffRename *r = (DiffRename *) lfirst(lc);

		if (diff_lookup(ctx->to, r->object->key) == NULL)
			bad_rename(r->spec,
					   psprintf("The second schema has no %s %s.",
								r->object->kind, r->new_identity));
	}
}

/*
 * diff_rename_actions: the RENAME statements.  Each comes before what is
 * done to the renamed object (it makes the object as the second
 * description names it) and before what drops a part of it.
 */
void
diff_rename_actions(DiffContext *ctx)
{
	ListCell   *lc;

	foreach(lc, ctx->renames)
	{
		DiffRename *r = (DiffRename *) lfirst(lc);
		DiffObject *o = r->object;
		DiffObject *to = diff_lookup(ctx->to, o->key);
		DiffAction *a = diff_action(ctx, 0);
		char	   *old_name = llast(split_names(r->spec, r->old_identity));
		ListCell   *lc2;

		if (strcmp(r->kind, "table") == 0)
			diff_add(a, psprintf("ALTER %s %s RENAME TO %s;", diff_object_word(o),
								 r->old_identity, r->new_name),
					 "renamed as asked: queries that name it by its old name fail from now on");
		else if (strcmp(r->kind, "column") == 0)
			diff_add(a, psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s;",
								 diff_relation_name(o), old_name, r->new_name),
					 "renamed as asked: queries that name it by its old name fail from now on");
		else if (strcmp(r->kind, "index") == 0)
			diff_add(a, psprintf("ALTER INDEX %s RENAME TO %s;", r->old_identity,
								 r->new_name),
					 "renamed as asked");
		else
			diff_add(a, psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s;",
								 diff_relation_name(o), old_name, r->new_name),
					 "renamed as asked");
		diff_frees(ctx, a, diff_slot(o, r->old_identity));
		diff_takes(a, diff_slot(o, o->identity));
		diff_produces(a, to);
		if (to)
			foreach(lc2, to->children)
				diff_produces(a, (DiffObject *) lfirst(lc2));
		if (to && to->column_default)
			diff_produces(a, to->column_default);
		diff_requires(a, to ? to->parent : NULL);
		/* what is done by name to it or its parts comes after */
		o->rename_action = a;
		foreach(lc2, o->children)
			((DiffObject *) lfirst(lc2))->rename_action = a;
		if (o->column_default)
			o->column_default->rename_action = a;
	}
}
