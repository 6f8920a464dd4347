/*-------------------------------------------------------------------------
 *
 * diff_sql.c
 *	  Pieces of the statements migrate_diff() writes: how an object is
 *	  named in ALTER, COMMENT ON and GRANT, its owner, its privileges.
 *
 * Every name in a description is already quoted and qualified as
 * quote_identifier() prints it, so the identities are written as they
 * are.  The items of a privilege list (aclitem) are read as the server
 * prints them: grantee=privileges/grantor, a name with characters other
 * than letters, digits and underscores in double quotes, PUBLIC as an
 * empty grantee.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "diff.h"

/* The word ALTER and GRANT use for an object's kind */
const char *
diff_object_word(DiffObject *o)
{
	if (diff_is(o, "table"))
		return "TABLE";
	if (diff_is(o, "view"))
		return "VIEW";
	if (diff_is(o, "materialized view"))
		return "MATERIALIZED VIEW";
	if (diff_is(o, "sequence"))
		return "SEQUENCE";
	if (diff_is(o, "foreign table"))
		return "FOREIGN TABLE";
	if (diff_is(o, "schema"))
		return "SCHEMA";
	if (diff_is(o, "function"))
		return "FUNCTION";
	if (diff_is(o, "procedure"))
		return "PROCEDURE";
	if (diff_is(o, "aggregate"))
		return "AGGREGATE";
	if (diff_is(o, "domain"))
		return "DOMAIN";
	if (diff_is(o, "index"))
		return "INDEX";
	if (diff_is(o, "enum") || diff_is(o, "range") || diff_is(o, "type"))
		return "TYPE";
	if (diff_is(o, "column"))
		return "COLUMN";
	if (diff_is(o, "constraint"))
		return "CONSTRAINT";
	if (diff_is(o, "trigger"))
		return "TRIGGER";
	if (diff_is(o, "policy"))
		return "POLICY";
	return "";
}

/*
 * The identity of the relation or domain a part (a column, constraint,
 * trigger or policy) belongs to: its own identity less its name.
 */
char *
diff_relation_name(DiffObject *part)
{
	const char *name = diff_str(part, "name");
	size_t		ilen = strlen(part->identity);

	if (part->parent)
		return part->parent->identity;
	if (name == NULL || strlen(name) + 1 >= ilen)
		return part->identity;
	return pnstrdup(part->identity, ilen - strlen(name) - 1);
}

/* How COMMENT ON names an object */
const char *
diff_comment_target(DiffObject *o)
{
	const char *name = diff_str(o, "name");

	if (diff_is(o, "constraint"))
		return psprintf("CONSTRAINT %s ON %s%s", name,
						o->parent_key && strncmp(o->parent_key, "domain ", 7) == 0 ?
						"DOMAIN " : "", diff_relation_name(o));
	if (diff_is(o, "trigger") || diff_is(o, "policy"))
		return psprintf("%s %s ON %s", diff_object_word(o), name,
						diff_relation_name(o));
	return psprintf("%s %s", diff_object_word(o), o->identity);
}

/* sql without its trailing white space and semicolon */
char *
diff_strip_semicolon(const char *sql)
{
	int			len = strlen(sql);

	while (len > 0 && (isspace((unsigned char) sql[len - 1]) ||
					   sql[len - 1] == ';'))
		len--;
	return pnstrdup(sql, len);
}

char *
diff_keyword_join(List *items, const char *sep)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, items)
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, sep);
		appendStringInfoString(&buf, (char *) lfirst(lc));
	}
	return buf.data;
}

/*
 * A quoted name with suffix added to the name, quoted again, within
 * NAMEDATALEN - 1 bytes (the name is cut, the suffix kept).
 */
char *
diff_name_with_suffix(const char *quoted, const char *suffix)
{
	char	   *name = diff_unquote(quoted);
	int			room = NAMEDATALEN - 1 - strlen(suffix);

	if ((int) strlen(name) > room)
		name[pg_mbcliplen(name, strlen(name), Max(room, 1))] = '\0';
	return pstrdup(quote_identifier(psprintf("%s%s", name, suffix)));
}

/* ALTER ... OWNER TO, for an object with an owner */
char *
diff_owner_sql(DiffObject *to)
{
	return psprintf("ALTER %s %s OWNER TO %s;", diff_object_word(to),
					to->identity, diff_str(to, "owner"));
}

/* COMMENT ON ... IS */
char *
diff_comment_sql(DiffObject *o, const char *comment)
{
	return psprintf("COMMENT ON %s IS %s;", diff_comment_target(o),
					comment ? quote_literal_cstr(comment) : "NULL");
}


/* ---------- privileges ---------- */

/* One privilege granted: grantee (raw name, "" for PUBLIC), right, option */
typedef struct Grant
{
	char	   *grantee;
	char		right;
	bool		grantable;
} Grant;

/* The privileges in the order and with the names GRANT uses */
static const struct
{
	char		letter;
	const char *name;
}			rights[] =

{
	{'r', "SELECT"},
	{'a', "INSERT"},
	{'w', "UPDATE"},
	{'d', "DELETE"},
	{'D', "TRUNCATE"},
	{'x', "REFERENCES"},
	{'t', "TRIGGER"},
	{'m', "MAINTAIN"},
	{'X', "EXECUTE"},
	{'U', "USAGE"},
	{'C', "CREATE"},
	{'c', "CONNECT"},
	{'T', "TEMPORARY"},
};

/* A name as putid() prints it, at *p; returns the raw name */
static char *
read_role(const char **p, char stop)
{
	StringInfoData buf;
	const char *s = *p;

	initStringInfo(&buf);
	if (*s == '"')
		s = diff_scan_quoted(s, &buf);
	else
		while (*s && *s != stop)
			appendStringInfoChar(&buf, *s++);
	*p = s;
	return buf.data;
}

/* The grants of a list of aclitem texts, owner renamed if asked */
static List *
parse_acl(List *items, const char *old_owner, const char *new_owner)
{
	List	   *grants = NIL;
	ListCell   *lc;

	foreach(lc, items)
	{
		const char *p = (const char *) lfirst(lc);
		char	   *grantee = read_role(&p, '=');

		if (*p != '=')
			continue;
		p++;
		if (old_owner && strcmp(grantee, old_owner) == 0)
			grantee = pstrdup(new_owner);
		for (; *p && *p != '/'; p++)
		{
			Grant	   *g;

			if (*p == '*')
				continue;
			g = palloc(sizeof(Grant));
			g->grantee = grantee;
			g->right = *p;
			g->grantable = p[1] == '*';
			grants = lappend(grants, g);
		}
	}
	return grants;
}

static Grant *
find_grant(List *grants, const char *grantee, char right)
{
	ListCell   *lc;

	foreach(lc, grants)
	{
		Grant	   *g = (Grant *) lfirst(lc);

		if (g->right == right && strcmp(g->grantee, grantee) == 0)
			return g;
	}
	return NULL;
}

/* The grantees of both lists, each once, in order of appearance */
static List *
grantees(List *a, List *b)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, list_concat(list_copy(a), b))
	{
		Grant	   *g = (Grant *) lfirst(lc);
		ListCell   *lc2;
		bool		found = false;

		foreach(lc2, result)
			found |= strcmp((char *) lfirst(lc2), g->grantee) == 0;
		if (!found)
			result = lappend(result, g->grantee);
	}
	return result;
}

/* GRANT and REVOKE name an object so (a column's: see rights_text()) */
static char *
grant_target(DiffObject *o)
{
	if (diff_is(o, "view") || diff_is(o, "materialized view") ||
		diff_is(o, "foreign table"))
		return psprintf("ON TABLE %s", o->identity);
	if (diff_is(o, "enum") || diff_is(o, "range"))
		return psprintf("ON TYPE %s", o->identity);
	return psprintf("ON %s %s", diff_object_word(o), o->identity);
}

static char *
rights_text(List *letters, DiffObject *o)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < lengthof(rights); i++)
	{
		if (!list_member_int(letters, rights[i].letter))
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, rights[i].name);
		if (diff_is(o, "column"))
			appendStringInfo(&buf, " (%s)", diff_str(o, "name"));
	}
	return buf.data;
}

static const char *
role_sql(const char *grantee)
{
	return *grantee == '\0' ? "PUBLIC" : quote_identifier(grantee);
}

/*
 * diff_acl_sql: the REVOKE and GRANT statements that change what from
 * grants into what to grants.  With from NULL (to is created) what it
 * grants at first is the default of its owner's new objects.  from_owner,
 * if not NULL, is from's owner, whom an ALTER ... OWNER written before
 * these statements replaced with to's in the privileges (as the server
 * does).
 */
List *
diff_acl_sql(DiffObject *from, DiffObject *to, const char *from_owner)
{
	const char *new_owner = diff_str(to, "owner");
	List	   *before;
	List	   *after = parse_acl(diff_list(to, "acl"), NULL, NULL);
	List	   *result = NIL;
	char	   *target = diff_is(to, "column") ?
	psprintf("ON TABLE %s", diff_relation_name(to)) : grant_target(to);
	ListCell   *lc;

	if (from != NULL)
		before = parse_acl(diff_list(from, "acl"),
						   from_owner ? diff_unquote(from_owner) : NULL,
						   new_owner ? diff_unquote(new_owner) : NULL);
	else
		before = parse_acl(diff_list(to, "acl_default"), NULL, NULL);

	foreach(lc, grantees(before, after))
	{
		const char *grantee = (const char *) lfirst(lc);
		List	   *revoke = NIL;
		List	   *revoke_option = NIL;
		List	   *grant = NIL;
		List	   *grant_option = NIL;
		int			i;

		for (i = 0; i < lengthof(rights); i++)
		{
			Grant	   *b = find_grant(before, grantee, rights[i].letter);
			Grant	   *a = find_grant(after, grantee, rights[i].letter);

			if (b && !a)
				revoke = lappend_int(revoke, rights[i].letter);
			else if (b && a && b->grantable && !a->grantable)
				revoke_option = lappend_int(revoke_option, rights[i].letter);
			else if (a && (!b || (a->grantable && !b->grantable)))
			{
				if (a->grantable)
					grant_option = lappend_int(grant_option, rights[i].letter);
				else
					grant = lappend_int(grant, rights[i].letter);
			}
		}
		if (revoke)
			result = lappend(result,
							 psprintf("REVOKE %s %s FROM %s;",
									  rights_text(revoke, to),
									  target,
									  role_sql(grantee)));
		if (revoke_option)
			result = lappend(result,
							 psprintf("REVOKE GRANT OPTION FOR %s %s FROM %s;",
									  rights_text(revoke_option, to), target,
									  role_sql(grantee)));
		if (grant)
			result = lappend(result,
							 psprintf("GRANT %s %s TO %s;",
									  rights_text(grant, to), target,
									  role_sql(grantee)));
		if (grant_option)
			result = lappend(result,
							 psprintf("GRANT %s %s TO %s WITH GRANT OPTION;",
									  rights_text(grant_option, to), target,
									  role_sql(grantee)));
	}
	return result;
}

/* " COLLATE x" of a column, attribute or domain with a collation, else "" */
const char *
diff_collate_sql(DiffObject *o)
{
	const char *coll = diff_str(o, "collation");

	return coll ? psprintf(" COLLATE %s", coll) : "";
}

/* "name type[ COLLATE x]" of a column or an attribute */
char *
diff_attribute_sql(DiffObject *c)
{
	return psprintf("%s %s%s", diff_str(c, "name"), diff_str(c, "type"),
					diff_collate_sql(c));
}

/* " WITH (options)" of a table or view with storage options, else "" */
const char *
diff_with_options(DiffObject *o)
{
	List	   *options = diff_list(o, "options");

	if (options == NIL)
		return "";
	return psprintf(" WITH (%s)", diff_keyword_join(options, ", "));
}
