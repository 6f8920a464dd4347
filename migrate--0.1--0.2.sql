/* migrate--0.1--0.2.sql: add migrate_plan(), allow_data_loss for
   migrate_rollback(), migrate_schema(), migrate_verify(), drift */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION migrate UPDATE TO '0.2'" to load this file. \quit

CREATE FUNCTION migrate_plan(target text DEFAULT 'head',
                             execute boolean DEFAULT false,
                             OUT id text,
                             OUT statement integer,
                             OUT line integer,
                             OUT command text,
                             OUT relation text,
                             OUT lock_mode text,
                             OUT rewrites boolean,
                             OUT scans boolean,
                             OUT destroys boolean,
                             OUT est_rows bigint,
                             OUT est_bytes bigint,
                             OUT risk text,
                             OUT advice text,
                             OUT observed_locks text,
                             OUT duration interval,
                             OUT mismatch text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_plan'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_plan(text, boolean)
    IS 'what the pending migrations up to target would do: locks, rewrites, scans, data destroyed, risk and advice; with execute, observed too';
REVOKE ALL ON FUNCTION migrate_plan(text, boolean) FROM PUBLIC;

/*
 * migrate_rollback() gains allow_data_loss (the data-loss guard refuses down
 * scripts that destroy data too).  An overload would make calls with one or
 * two arguments ambiguous, so the function is replaced, and the EXECUTE
 * grants given on the old one are given again on the new one.
 */
DO $$
DECLARE
    grantees text[];
    grantee text;
BEGIN
    SELECT coalesce(array_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                   ELSE quote_ident(r.rolname) END), '{}')
      INTO grantees
      FROM pg_catalog.pg_proc p,
           LATERAL pg_catalog.aclexplode(p.proacl) a
           LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
     WHERE p.oid = 'pg_catalog.migrate_rollback(text, boolean)'::pg_catalog.regprocedure
       AND a.privilege_type = 'EXECUTE'
       AND a.grantee <> p.proowner;

    DROP FUNCTION pg_catalog.migrate_rollback(text, boolean);
    CREATE FUNCTION pg_catalog.migrate_rollback(target text DEFAULT '-1',
                                                dry_run boolean DEFAULT false,
                                                allow_data_loss boolean DEFAULT false)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'migrate_rollback'
    LANGUAGE C VOLATILE;
    COMMENT ON FUNCTION pg_catalog.migrate_rollback(text, boolean, boolean)
        IS 'roll back applied migrations (-N, an id to keep, or base)';
    REVOKE ALL ON FUNCTION pg_catalog.migrate_rollback(text, boolean, boolean) FROM PUBLIC;
    FOREACH grantee IN ARRAY grantees LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.migrate_rollback(text, boolean, boolean) TO %s',
                       grantee);
    END LOOP;
END
$$;

/*
 * 0.2: the schema described (SPEC §9).  One row per user object outside the
 * system schemas, migrate and extensions: identified by name, never by OID,
 * so the description survives dump and restore; search_path is pinned, so
 * every name in a definition is qualified.  The order is byte order, never
 * the database's collation.
 */
CREATE FUNCTION migrate_schema(OUT kind text, OUT identity text, OUT definition text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $migrate_schema$
#variable_conflict use_column
BEGIN
    RETURN QUERY

WITH user_ns AS (
    SELECT n.oid, n.nspname, n.nspowner, n.nspacl
      FROM pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'migrate')
       AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
       AND NOT EXISTS (SELECT FROM pg_depend d
                        WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
                          AND d.deptype = 'e')
),
ext_member AS (
    SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e'
),
rels AS NOT MATERIALIZED (
    SELECT c.*, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname
      FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
     WHERE NOT EXISTS (SELECT FROM ext_member e
                        WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
),
objects AS (
    SELECT 'schema' AS kind, quote_ident(n.nspname) AS identity,
           format('owner %s; acl %s; comment %s', pg_get_userbyid(n.nspowner),
                  n.nspacl, ds.description) AS definition
      FROM user_ns n
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_namespace'::regclass AND ds.objoid = n.oid AND ds.objsubid = 0
    UNION ALL
    SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
                          WHEN 'f' THEN 'foreign table' END,
           c.qname,
           format('%s%s; owner %s; acl %s; row security %s, forced %s; options %s; partition %s %s; comment %s',
                  CASE c.relpersistence WHEN 'u' THEN 'unlogged ' ELSE '' END,
                  CASE c.relkind WHEN 'p' THEN 'partitioned table' ELSE 'table' END,
                  pg_get_userbyid(c.relowner), c.relacl, c.relrowsecurity,
                  c.relforcerowsecurity, c.reloptions,
                  pg_get_partkeydef(c.oid), pg_get_expr(c.relpartbound, c.oid),
                  ds.description)
      FROM rels c
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_class'::regclass AND ds.objoid = c.oid AND ds.objsubid = 0
     WHERE c.relkind IN ('r', 'p', 'f')
    UNION ALL
    SELECT 'column', c.qname || '.' || quote_ident(a.attname),
           format('position %s; %s%s%s%s%s%s; acl %s; comment %s',
                  row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod),
                  CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                  CASE WHEN a.atthasdef AND a.attgenerated = '' THEN ' default ' || pg_get_expr(ad.adbin, ad.adrelid) ELSE '' END,
                  CASE a.attidentity WHEN 'a' THEN ' generated always as identity'
                                     WHEN 'd' THEN ' generated by default as identity' ELSE '' END,
                  CASE WHEN a.attgenerated = 's' THEN ' generated always as (' || pg_get_expr(ad.adbin, ad.adrelid) || ') stored' ELSE '' END,
                  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                       THEN ' collate ' || quote_ident(co.collname) ELSE '' END,
                  a.attacl, ds.description)
      FROM rels c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      LEFT JOIN pg_collation co ON co.oid = a.attcollation
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_class'::regclass AND ds.objoid = c.oid AND ds.objsubid = a.attnum
     WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c')
       AND (c.relkind <> 'c' OR NOT EXISTS (SELECT FROM pg_type ct WHERE ct.typrelid = c.oid AND ct.typtype <> 'c'))
    UNION ALL
    SELECT 'constraint',
           coalesce(r.qname, quote_ident(tn.nspname) || '.' || quote_ident(ty.typname)) || '.' || quote_ident(k.conname),
           format('%s%s; comment %s', pg_get_constraintdef(k.oid),
                  CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END,
                  ds.description)
      FROM pg_constraint k
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_constraint'::regclass AND ds.objoid = k.oid AND ds.objsubid = 0
      LEFT JOIN rels r ON r.oid = k.conrelid
      LEFT JOIN pg_type ty ON ty.oid = k.contypid
      LEFT JOIN user_ns tn ON tn.oid = ty.typnamespace
     WHERE (r.oid IS NOT NULL OR tn.oid IS NOT NULL)
    UNION ALL
    SELECT 'index', c.qname,
           format('%s; comment %s', pg_get_indexdef(c.oid), ds.description)
      FROM rels c
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_class'::regclass AND ds.objoid = c.oid AND ds.objsubid = 0
     WHERE c.relkind IN ('i', 'I')
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, c.qname,
           format('%s; owner %s; acl %s; comment %s', pg_get_viewdef(c.oid),
                  pg_get_userbyid(c.relowner), c.relacl, ds.description)
      FROM rels c
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_class'::regclass AND ds.objoid = c.oid AND ds.objsubid = 0
     WHERE c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'sequence', c.qname,
           format('%s start %s increment %s min %s max %s cache %s%s; owner %s; acl %s; comment %s',
                  format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
                  s.seqmax, s.seqcache, CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END,
                  pg_get_userbyid(c.relowner), c.relacl, ds.description)
      FROM rels c JOIN pg_sequence s ON s.seqrelid = c.oid
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_class'::regclass AND ds.objoid = c.oid AND ds.objsubid = 0
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
           quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           format('%s; owner %s; acl %s; comment %s',
                  CASE WHEN p.prokind = 'a' THEN 'aggregate returning ' || pg_get_function_result(p.oid)
                       ELSE pg_get_functiondef(p.oid) END,
                  pg_get_userbyid(p.proowner), p.proacl, ds.description)
      FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_proc'::regclass AND ds.objoid = p.oid AND ds.objsubid = 0
     WHERE NOT EXISTS (SELECT FROM ext_member e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
    UNION ALL
    SELECT 'trigger', r.qname || '.' || quote_ident(g.tgname),
           format('%s; enabled %s; comment %s', pg_get_triggerdef(g.oid), g.tgenabled,
                  ds.description)
      FROM pg_trigger g JOIN rels r ON r.oid = g.tgrelid
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_trigger'::regclass AND ds.objoid = g.oid AND ds.objsubid = 0
     WHERE NOT g.tgisinternal
    UNION ALL
    SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
                          WHEN 'r' THEN 'range' ELSE 'type' END,
           quote_ident(n.nspname) || '.' || quote_ident(t.typname),
           format('%s; owner %s; acl %s; comment %s',
                  CASE t.typtype
                       WHEN 'e' THEN (SELECT 'enum (' || string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) || ')'
                                        FROM pg_enum e WHERE e.enumtypid = t.oid)
                       WHEN 'd' THEN 'domain over ' || format_type(t.typbasetype, t.typtypmod)
                                     || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END
                                     || coalesce(' default ' || t.typdefault, '')
                       WHEN 'r' THEN 'range of ' || (SELECT format_type(rg.rngsubtype, NULL) FROM pg_range rg WHERE rg.rngtypid = t.oid)
                       ELSE 'composite type' END,
                  pg_get_userbyid(t.typowner), t.typacl, ds.description)
      FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_type'::regclass AND ds.objoid = t.oid AND ds.objsubid = 0
     WHERE t.typtype IN ('e', 'd', 'r', 'c')
       AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
       AND NOT EXISTS (SELECT FROM ext_member e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
    UNION ALL
    SELECT 'policy', r.qname || '.' || quote_ident(po.polname),
           format('for %s %s to %s using %s with check %s; comment %s',
                  CASE po.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update'
                                 WHEN 'd' THEN 'delete' ELSE 'all' END,
                  CASE WHEN po.polpermissive THEN 'permissive' ELSE 'restrictive' END,
                  (SELECT string_agg(CASE WHEN rl = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(rl)) END, ', ' ORDER BY 1)
                     FROM unnest(po.polroles) rl),
                  pg_get_expr(po.polqual, po.polrelid), pg_get_expr(po.polwithcheck, po.polrelid),
                  ds.description)
      FROM pg_policy po JOIN rels r ON r.oid = po.polrelid
      LEFT JOIN pg_description ds ON ds.classoid = 'pg_policy'::regclass AND ds.objoid = po.oid AND ds.objsubid = 0
)
SELECT kind, identity, definition FROM objects
 ORDER BY kind COLLATE "C", identity COLLATE "C";
END
$migrate_schema$;
COMMENT ON FUNCTION migrate_schema()
    IS 'the user schema, one row per object with its identity and definition, stable across OIDs and dump/restore';
REVOKE ALL ON FUNCTION migrate_schema() FROM PUBLIC;

CREATE FUNCTION migrate_fingerprint()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT encode(sha256(convert_to(coalesce(string_agg(kind || ' ' || identity || ' ' || definition, E'\n'
                                                 ORDER BY kind COLLATE "C", identity COLLATE "C"), ''),
                                'UTF8')), 'hex')
  FROM pg_catalog.migrate_schema()
$$;
COMMENT ON FUNCTION migrate_fingerprint()
    IS 'SHA-256 of migrate_schema(): equal fingerprints, equal schemas';
REVOKE ALL ON FUNCTION migrate_fingerprint() FROM PUBLIC;

CREATE FUNCTION migrate_verify(target text DEFAULT 'head',
                               OUT id text,
                               OUT result text,
                               OUT object text,
                               OUT before text,
                               OUT after text,
                               OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_verify'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_verify(text)
    IS 'for each pending migration, whether down restores the schema up changed; nothing persists';
REVOKE ALL ON FUNCTION migrate_verify(text) FROM PUBLIC;

-- the fingerprint of the schema after each apply or rollback call
ALTER TABLE migrate.history ADD COLUMN fingerprint text;

/*
 * Drift (SPEC §9).  Before the first DDL command run outside migrations
 * since the last apply or rollback, the event trigger migrate_ddl_start
 * records the schema as it still is; migrate_drift() compares it with the
 * schema now.  An apply or rollback makes its result the new reference.
 */
CREATE TABLE migrate.schema_snapshot (
    kind text NOT NULL,
    identity text NOT NULL,
    definition text,
    PRIMARY KEY (kind, identity)
);
COMMENT ON TABLE migrate.schema_snapshot IS 'the schema as the last apply or rollback left it, recorded when it first changed outside migrations';

CREATE TABLE migrate.drift_state (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    dirty boolean NOT NULL DEFAULT false,
    since timestamptz
);
INSERT INTO migrate.drift_state DEFAULT VALUES;
COMMENT ON TABLE migrate.drift_state IS 'whether the schema was changed outside migrations since the last apply or rollback, and since when';

/* With migrate.capture_ddl on: every DDL command run outside migrations */
CREATE SEQUENCE migrate.ddl_log_seq AS bigint;
CREATE TABLE migrate.ddl_log (
    seq bigint PRIMARY KEY DEFAULT nextval('migrate.ddl_log_seq'),
    at timestamptz NOT NULL,
    by name NOT NULL,
    command_tag text NOT NULL,
    object_type text,
    object_identity text,
    query text
);
ALTER SEQUENCE migrate.ddl_log_seq OWNED BY migrate.ddl_log.seq;
COMMENT ON TABLE migrate.ddl_log IS 'DDL run outside migrations (migrate.capture_ddl): who, when, what';
SELECT pg_catalog.pg_extension_config_dump('migrate.ddl_log', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.ddl_log_seq', '');
REVOKE ALL ON migrate.schema_snapshot, migrate.drift_state, migrate.ddl_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE migrate.ddl_log_seq FROM PUBLIC;

CREATE FUNCTION migrate_drift(OUT change text,
                              OUT kind text,
                              OUT identity text,
                              OUT recorded text,
                              OUT current text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_drift'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_drift()
    IS 'objects added, removed or changed outside migrations since the last apply or rollback';
REVOKE ALL ON FUNCTION migrate_drift() FROM PUBLIC;

CREATE FUNCTION migrate_accept_drift()
RETURNS integer
AS 'MODULE_PATHNAME', 'migrate_accept_drift'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_accept_drift()
    IS 'make the schema as it is the reference of migrate_drift(); returns how many objects had drifted';
REVOKE ALL ON FUNCTION migrate_accept_drift() FROM PUBLIC;

CREATE FUNCTION migrate_ddl_start()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'migrate_ddl_start'
LANGUAGE C;
CREATE FUNCTION migrate_ddl_end()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'migrate_ddl_end'
LANGUAGE C;
REVOKE ALL ON FUNCTION migrate_ddl_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_ddl_end() FROM PUBLIC;

-- last, so that they do not fire for the statements above
CREATE EVENT TRIGGER migrate_ddl_start ON ddl_command_start
    EXECUTE FUNCTION migrate_ddl_start();
CREATE EVENT TRIGGER migrate_ddl_end ON ddl_command_end
    EXECUTE FUNCTION migrate_ddl_end();
CREATE EVENT TRIGGER migrate_ddl_drop ON sql_drop
    EXECUTE FUNCTION migrate_ddl_end();
