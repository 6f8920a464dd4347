/* migrate--0.2.sql: schema migrations kept and run inside the database */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION migrate" to load this file. \quit

/*
 * The catalog lives in its own schema, created here so that it belongs to
 * the extension: CREATE EXTENSION fails rather than adopt a schema of that
 * name made earlier by someone else.  The functions live in pg_catalog (the
 * control file's schema), so no schema on a hostile search_path can shadow
 * them.
 */
CREATE SCHEMA migrate;
REVOKE ALL ON SCHEMA migrate FROM PUBLIC;
COMMENT ON SCHEMA migrate IS 'catalog of the migrate extension; written only through its functions';

/*
 * SHA-256 of a script's bytes as stored, in lowercase hex.  It computes the
 * generated checksum column below, so a checksum can never disagree with
 * the script it belongs to, however the row was written.
 */
CREATE FUNCTION migrate_checksum(script text)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_checksum_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate_checksum(text)
    IS 'lowercase hex SHA-256 of a script, as stored in migrate.migration.checksum';

CREATE TABLE migrate.migration (
    id text PRIMARY KEY
        CONSTRAINT migration_id_format
        CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$'),
    description text,
    up_sql text NOT NULL,
    down_sql text,
    checksum text NOT NULL
        GENERATED ALWAYS AS (pg_catalog.migrate_checksum(up_sql)) STORED,
    data_loss_ok boolean NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE migrate.migration IS 'one row per registered migration';

CREATE TABLE migrate.applied (
    id text PRIMARY KEY REFERENCES migrate.migration (id),
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL,
    applied_by name NOT NULL,
    duration interval NOT NULL
);
COMMENT ON TABLE migrate.applied IS 'one row per migration currently applied';

CREATE SEQUENCE migrate.history_seq AS bigint;

CREATE TABLE migrate.history (
    seq bigint PRIMARY KEY DEFAULT nextval('migrate.history_seq'),
    id text NOT NULL,
    action text NOT NULL
        CONSTRAINT history_action_known
        CHECK (action IN ('register', 'update', 'unregister',
                          'apply', 'rollback', 'baseline')),
    at timestamptz NOT NULL,
    by name NOT NULL,
    duration interval,
    checksum text,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    fingerprint text
);
ALTER SEQUENCE migrate.history_seq OWNED BY migrate.history.seq;
CREATE INDEX history_id_idx ON migrate.history (id, seq);
COMMENT ON TABLE migrate.history IS 'append-only log of every change of migration state';

-- pg_dump keeps the migration state; a restore gives the same migrate_status()
SELECT pg_catalog.pg_extension_config_dump('migrate.migration', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.applied', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.history', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.history_seq', '');

REVOKE ALL ON ALL TABLES IN SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA migrate FROM PUBLIC;

/*
 * Functions.  All are SECURITY INVOKER: migration SQL runs with the caller's
 * privileges.  The C code switches to the extension owner only around its
 * own catalog reads and writes.
 */
CREATE FUNCTION migrate_register(id text,
                                 up_sql text,
                                 down_sql text DEFAULT NULL,
                                 description text DEFAULT NULL,
                                 data_loss_ok boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_register'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_register(text, text, text, text, boolean)
    IS 'register a migration; answers registered, unchanged or updated';

CREATE FUNCTION migrate_unregister(id text)
RETURNS void
AS 'MODULE_PATHNAME', 'migrate_unregister'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_unregister(text)
    IS 'remove a pending migration';

CREATE FUNCTION migrate_apply(target text DEFAULT 'head',
                              dry_run boolean DEFAULT false,
                              allow_data_loss boolean DEFAULT false)
RETURNS integer
AS 'MODULE_PATHNAME', 'migrate_apply'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_apply(text, boolean, boolean)
    IS 'apply pending migrations up to target (head, an id, or +N)';

CREATE FUNCTION migrate_rollback(target text DEFAULT '-1',
                                 dry_run boolean DEFAULT false,
                                 allow_data_loss boolean DEFAULT false)
RETURNS integer
AS 'MODULE_PATHNAME', 'migrate_rollback'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_rollback(text, boolean, boolean)
    IS 'roll back applied migrations (-N, an id to keep, or base)';

CREATE FUNCTION migrate_status(OUT id text,
                               OUT description text,
                               OUT state text,
                               OUT applied_at timestamptz,
                               OUT applied_by name,
                               OUT duration interval,
                               OUT reversible boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_status'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_status()
    IS 'every registered or applied migration in version order, with its state';

CREATE FUNCTION migrate_current()
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_current'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_current()
    IS 'id of the latest applied migration in version order, or NULL';

REVOKE ALL ON FUNCTION migrate_register(text, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_unregister(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_apply(text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_rollback(text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_status() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_current() FROM PUBLIC;
REVOKE ALL ON FUNCTION migrate_checksum(text) FROM PUBLIC;

/* 0.2: safety analysis (SPEC §8); migrate_rollback() gained allow_data_loss;
   verification and drift (SPEC §9); history gained fingerprint */
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
           format('for %s %s to %s using %s with check %s',
                  CASE po.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update'
                                 WHEN 'd' THEN 'delete' ELSE 'all' END,
                  CASE WHEN po.polpermissive THEN 'permissive' ELSE 'restrictive' END,
                  (SELECT string_agg(CASE WHEN rl = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(rl)) END, ', ' ORDER BY 1)
                     FROM unnest(po.polroles) rl),
                  pg_get_expr(po.polqual, po.polrelid), pg_get_expr(po.polwithcheck, po.polrelid))
      FROM pg_policy po JOIN rels r ON r.oid = po.polrelid
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
