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
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
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

/* 0.2: safety analysis (SPEC §8); migrate_rollback() gained allow_data_loss */
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
