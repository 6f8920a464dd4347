/* migrate--0.1--0.2.sql: add migrate_plan(); allow_data_loss for migrate_rollback() */

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
