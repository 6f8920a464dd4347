/* migrate--0.2--0.3.sql: version 0.3 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION migrate UPDATE TO '0.3'" to load this file. \quit

/*
 * The writers' lock (SPEC §14).  Every writer (register, unregister, apply,
 * rollback...) takes ExclusiveLock on this table, as the extension's C code,
 * before it reads the catalog.  Up to 0.2 it was an advisory lock, which any
 * role can take and hold; this table is reachable only by its owner, since
 * neither the schema nor the table grants anything, so no other role can
 * take or hold a lock on it.  It never holds a row; autovacuum has nothing
 * to do on it and is told so, so that its locks never delay a deploy.
 */
CREATE TABLE migrate.writer_lock () WITH (autovacuum_enabled = false);
COMMENT ON TABLE migrate.writer_lock IS 'locked by every writer of the migrate extension; holds no rows';
REVOKE ALL ON migrate.writer_lock FROM PUBLIC;

/*
 * migrate_schema() in C (SPEC §9, §14): the same rows as the PL/pgSQL
 * version of 0.2, but each object is described under a lock taken without
 * waiting and released at once, so that another session's DDL never makes
 * it fail and is never blocked by it.
 */
CREATE OR REPLACE FUNCTION migrate_schema(OUT kind text, OUT identity text, OUT definition text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_schema'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_schema()
    IS 'the user schema, one row per object with its identity and definition, stable across OIDs and dump/restore';
REVOKE ALL ON FUNCTION migrate_schema() FROM PUBLIC;

/*
 * Drift (SPEC §9).  Up to 0.2 the event trigger migrate_ddl_start recorded
 * the reference lazily, before the first DDL command run outside migrations
 * after an apply, and marked the one row of migrate.drift_state: every DDL
 * command of the database then waited for whichever session held that row.
 * From 0.3 on the reference is recorded by the writers themselves (apply,
 * rollback, migrate_accept_drift()), under the writers' lock, and no event
 * trigger writes anything that another session could wait for.
 */
DROP EVENT TRIGGER migrate_ddl_start;
DROP FUNCTION migrate_ddl_start();

-- a 0.2 database with no change outside migrations since its last apply:
-- the schema as it is now is that reference
DO $$
BEGIN
    IF NOT (SELECT dirty FROM migrate.drift_state) THEN
        DELETE FROM migrate.schema_snapshot;
        IF EXISTS (SELECT FROM migrate.history WHERE action IN ('apply', 'rollback')) THEN
            INSERT INTO migrate.schema_snapshot (kind, identity, definition)
                SELECT kind, identity, definition FROM pg_catalog.migrate_schema();
            UPDATE migrate.drift_state SET since = clock_timestamp();
        END IF;
    END IF;
END
$$;
ALTER TABLE migrate.drift_state DROP COLUMN dirty;
ALTER TABLE migrate.drift_state RENAME COLUMN since TO recorded_at;
COMMENT ON TABLE migrate.drift_state IS 'when the reference of migrate_drift() in migrate.schema_snapshot was recorded (NULL: never)';
COMMENT ON TABLE migrate.schema_snapshot IS 'the reference of migrate_drift(): the schema as the last apply, rollback or migrate_accept_drift() left it';

/*
 * Capture (SPEC §14).  Up to 0.2 migrate.capture_ddl was a superuser-only
 * setting (GUC), but a role connecting with -c migrate.capture_ddl=off
 * before the library was loaded turned it off for its session.  It is now
 * kept in this table, which only the extension's owner can write, and set
 * with migrate_capture_ddl(boolean), which only a superuser may call.  No
 * row: capture is off.  pg_dump keeps the setting.
 */
CREATE TABLE migrate.settings (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    capture_ddl boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE migrate.settings IS 'settings of the migrate extension (no row: the defaults)';
REVOKE ALL ON migrate.settings FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('migrate.settings', '');
CREATE INDEX ddl_log_at_idx ON migrate.ddl_log (at);

CREATE FUNCTION migrate_capture_ddl()
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_capture_ddl_get'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_capture_ddl()
    IS 'whether DDL run outside migrations is recorded in migrate.ddl_log';
REVOKE ALL ON FUNCTION migrate_capture_ddl() FROM PUBLIC;

CREATE FUNCTION migrate_capture_ddl(enable boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_capture_ddl_set'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION migrate_capture_ddl(boolean)
    IS 'turn the recording of DDL run outside migrations on or off (superuser only); returns the new setting';
REVOKE ALL ON FUNCTION migrate_capture_ddl(boolean) FROM PUBLIC;

/*
 * migrate_plan() gains rollback (the down scripts a rollback would run,
 * SPEC §8) and the statement's text as a column.  Its signature and result
 * change, so the function is made anew, and the EXECUTE grants given on the
 * old one are given again.
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
     WHERE p.oid = 'pg_catalog.migrate_plan(text, boolean)'::pg_catalog.regprocedure
       AND a.privilege_type = 'EXECUTE'
       AND a.grantee <> p.proowner;

    DROP FUNCTION pg_catalog.migrate_plan(text, boolean);
    CREATE FUNCTION pg_catalog.migrate_plan(target text DEFAULT 'head',
                                            execute boolean DEFAULT false,
                                            rollback boolean DEFAULT false,
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
                                            OUT mismatch text,
                                            OUT sql text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'migrate_plan'
    LANGUAGE C VOLATILE;
    COMMENT ON FUNCTION pg_catalog.migrate_plan(text, boolean, boolean)
        IS 'what the pending migrations up to target (or with rollback, the down scripts a rollback to target) would do: locks, rewrites, scans, data destroyed, risk and advice; with execute, observed too';
    REVOKE ALL ON FUNCTION pg_catalog.migrate_plan(text, boolean, boolean) FROM PUBLIC;
    FOREACH grantee IN ARRAY grantees LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION pg_catalog.migrate_plan(text, boolean, boolean) TO %s',
                       grantee);
    END LOOP;
END
$$;

/*
 * The schema before the first migration was applied (SPEC §9): a rollback
 * that ends at base compares the schema with it and warns of what the down
 * scripts left behind.  Recorded by the apply that starts from base; not
 * dumped (a restore starts without it).
 */
CREATE TABLE migrate.base_snapshot (
    kind text NOT NULL,
    identity text NOT NULL,
    definition text,
    PRIMARY KEY (kind, identity)
);
COMMENT ON TABLE migrate.base_snapshot IS 'the schema as it was before the first migration was applied, for migrate_rollback(''base'')';
REVOKE ALL ON migrate.base_snapshot FROM PUBLIC;
ALTER TABLE migrate.drift_state ADD COLUMN base_at timestamptz;

/*
 * The drift reference recorded object by object (SPEC §9): each row knows
 * the top-level object it was described with (a table for its columns,
 * constraints and indexes), so that an apply describes again only what its
 * migrations changed and replaces those rows.  The fingerprint is the sum
 * of the rows' digests, kept with the reference and updated row by row.
 * A reference kept by this update from 0.2 knows no owners: the next apply
 * or rollback records the whole schema once.
 */
ALTER TABLE migrate.schema_snapshot ADD COLUMN owner_class oid, ADD COLUMN owner_oid oid;
CREATE INDEX schema_snapshot_owner_idx ON migrate.schema_snapshot (owner_class, owner_oid);
ALTER TABLE migrate.drift_state ADD COLUMN fingerprint text,
    ADD COLUMN incremental boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION migrate_fingerprint()
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_fingerprint'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_fingerprint()
    IS 'fingerprint of migrate_schema(): equal fingerprints, equal schemas';
REVOKE ALL ON FUNCTION migrate_fingerprint() FROM PUBLIC;

/*
 * What a backend loaded of the migrations' state is kept, and used again
 * while nothing has changed (SPEC §7: migrate_status(), migrate_current()
 * and a no-op migrate_apply() read a few rows, however many migrations
 * there are).  Every statement that writes migrate.migration or
 * migrate.applied, through the functions or by hand, makes a new version of
 * the one row of migrate.state_serial, once per transaction; a backend uses
 * what it kept only while its snapshot sees the same version of that row.
 * ENABLE ALWAYS: the triggers fire under session_replication_role = replica
 * too (pg_restore --disable-triggers, logical replication).
 */
CREATE TABLE migrate.state_serial (serial bigint NOT NULL);
INSERT INTO migrate.state_serial VALUES (0);
COMMENT ON TABLE migrate.state_serial IS 'one row, a new version of it each time migrate.migration or migrate.applied change';
REVOKE ALL ON migrate.state_serial FROM PUBLIC;

CREATE FUNCTION migrate.state_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'migrate_state_changed'
LANGUAGE C;
REVOKE ALL ON FUNCTION migrate.state_changed() FROM PUBLIC;
CREATE TRIGGER state_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON migrate.migration FOR EACH STATEMENT EXECUTE FUNCTION migrate.state_changed();
CREATE TRIGGER state_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON migrate.applied FOR EACH STATEMENT EXECUTE FUNCTION migrate.state_changed();
ALTER TABLE migrate.migration ENABLE ALWAYS TRIGGER state_changed;
ALTER TABLE migrate.applied ENABLE ALWAYS TRIGGER state_changed;

/*
 * Migrations beyond one transaction (SPEC §10).  A migration registered
 * with transactional => false may hold statements that refuse a
 * transaction block (CREATE INDEX CONCURRENTLY...); CALL migrate_deploy()
 * runs each of its statements at top level, committed on its own, and
 * records in migrate.progress how far it got, so that an interrupted one
 * shows as partial and the next deploy resumes it.
 */
ALTER TABLE migrate.migration ADD COLUMN transactional boolean NOT NULL DEFAULT true;

-- a deploy records the drift reference once, when it ends or fails; while
-- this is set, the reference misses what the deploy committed
ALTER TABLE migrate.drift_state ADD COLUMN deploy_pending timestamptz;

CREATE TABLE migrate.progress (
    id text PRIMARY KEY REFERENCES migrate.migration (id),
    script text NOT NULL CONSTRAINT progress_script_known CHECK (script IN ('up', 'down')),
    checksum text NOT NULL,
    statements integer NOT NULL,
    done integer NOT NULL,
    statement_xid xid8,
    started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    by name NOT NULL,
    error text
);
COMMENT ON TABLE migrate.progress IS 'one row per non-transactional migration that a deploy started and did not finish';
COMMENT ON COLUMN migrate.progress.done IS 'statements of the script committed; a resume starts at the next';
COMMENT ON COLUMN migrate.progress.statement_xid IS 'the transaction that recorded the start of the next statement, older than what that statement creates';
REVOKE ALL ON migrate.progress FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('migrate.progress', '');
CREATE TRIGGER state_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON migrate.progress FOR EACH STATEMENT EXECUTE FUNCTION migrate.state_changed();
ALTER TABLE migrate.progress ENABLE ALWAYS TRIGGER state_changed;

ALTER TABLE migrate.history DROP CONSTRAINT history_action_known;
ALTER TABLE migrate.history ADD CONSTRAINT history_action_known
    CHECK (action IN ('register', 'update', 'unregister', 'apply', 'rollback',
                      'baseline', 'interrupted'));

/*
 * migrate_register() gains transactional, and migrate_status() the columns
 * transactional, partial, stopped_at and error: their signatures change,
 * so they are made anew, and the EXECUTE grants on the old ones are given
 * again.
 */
DO $$
DECLARE
    remade constant text[][] := ARRAY[
        ARRAY['pg_catalog.migrate_register(text, text, text, text, boolean)',
              'pg_catalog.migrate_register(text, text, text, text, boolean, boolean)',
              $f$CREATE FUNCTION pg_catalog.migrate_register(id text,
                                 up_sql text,
                                 down_sql text DEFAULT NULL,
                                 description text DEFAULT NULL,
                                 data_loss_ok boolean DEFAULT false,
                                 transactional boolean DEFAULT true)
               RETURNS text
               AS 'MODULE_PATHNAME', 'migrate_register'
               LANGUAGE C VOLATILE$f$,
              'register a migration; answers registered, unchanged or updated'],
        ARRAY['pg_catalog.migrate_status()',
              'pg_catalog.migrate_status()',
              $f$CREATE FUNCTION pg_catalog.migrate_status(OUT id text,
                               OUT description text,
                               OUT state text,
                               OUT applied_at timestamptz,
                               OUT applied_by name,
                               OUT duration interval,
                               OUT reversible boolean,
                               OUT transactional boolean,
                               OUT partial text,
                               OUT stopped_at integer,
                               OUT error text)
               RETURNS SETOF record
               AS 'MODULE_PATHNAME', 'migrate_status'
               LANGUAGE C STABLE$f$,
              'every registered or applied migration in version order, with its state']];
    grantees text[];
    grantee text;
    i int;
BEGIN
    FOR i IN 1 .. array_length(remade, 1) LOOP
        SELECT coalesce(array_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                       ELSE quote_ident(r.rolname) END), '{}')
          INTO grantees
          FROM pg_catalog.pg_proc p,
               LATERAL pg_catalog.aclexplode(p.proacl) a
               LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
         WHERE p.oid = remade[i][1]::pg_catalog.regprocedure
           AND a.privilege_type = 'EXECUTE'
           AND a.grantee <> p.proowner;
        EXECUTE format('DROP FUNCTION %s', remade[i][1]);
        EXECUTE remade[i][3];
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', remade[i][2], remade[i][4]);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', remade[i][2]);
        FOREACH grantee IN ARRAY grantees LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', remade[i][2], grantee);
        END LOOP;
    END LOOP;
END
$$;
/*
 * CALL migrate_deploy() and migrate_undeploy(): procedures, called at top
 * level, that commit after each migration and run non-transactional ones
 * statement by statement (SPEC §10).
 */
CREATE PROCEDURE migrate_deploy(target text DEFAULT 'head',
                                allow_data_loss boolean DEFAULT false)
AS 'MODULE_PATHNAME', 'migrate_deploy'
LANGUAGE C;
COMMENT ON PROCEDURE migrate_deploy(text, boolean)
    IS 'apply pending migrations up to target, each committed on its own; resumes an interrupted one';
REVOKE ALL ON PROCEDURE migrate_deploy(text, boolean) FROM PUBLIC;

CREATE PROCEDURE migrate_undeploy(target text DEFAULT '-1',
                                  allow_data_loss boolean DEFAULT false)
AS 'MODULE_PATHNAME', 'migrate_undeploy'
LANGUAGE C;
COMMENT ON PROCEDURE migrate_undeploy(text, boolean)
    IS 'roll back applied migrations down to target, each committed on its own; resumes an interrupted one';
REVOKE ALL ON PROCEDURE migrate_undeploy(text, boolean) FROM PUBLIC;

/*
 * Adopting an existing database (SPEC §12).
 *
 * migrate_baseline(target) marks the pending migrations up to target (head,
 * an id, +N, as for migrate_apply()) applied without running them, on a
 * database where none is applied yet: each gets its migrate.applied row
 * (the checksum of its up script, applied now by the caller, duration 0)
 * and a history row of action baseline, and the schema as it is becomes
 * the drift reference.  It is a writer: it takes the writers' lock, and a
 * role may baseline only migrations whose authors have its privileges, as
 * for an apply.
 *
 * migrate_import(tool, history_table) reads the history that another tool
 * left in this database and baselines the registered migrations it lists
 * as applied.  The tool's version of a registered migration is taken from
 * its id, which is its file name:
 *   flyway          V1_2__add.sql         id 1.2: version 1.2 (the leading parts of
 *                   digits, "_" and "." alike, compared as numbers; V1.2-add and
 *                   V1_2__add are matched too, but 1__a sorts after 1_1__b)
 *   dbmate          20240101120000_x.sql  id 20240101120000_x: version 20240101120000
 *   golang-migrate  000001_x.up.sql       id 000001_x: version 1 (a number)
 *   diesel          2024-01-01-120000_x/  id 2024-01-01-120000_x: version 20240101120000
 *   sqitch          change x, n-th in sqitch.plan: id 000n_x (n zero-padded to
 *                   4 digits): change x
 *   graphile-migrate committed/000001-x.sql: id 000001-x (or 000001): 1 (a number)
 * It is refused, with every problem in one error, when the history is
 * dirty or failed, lists a version no registered migration has, or leaves
 * a gap (a registered migration sorting before the last one imported that
 * the history does not list).  The history table (by default the tool's:
 * flyway_schema_history, schema_migrations, __diesel_schema_migrations on
 * search_path, sqitch.changes, graphile_migrate.migrations) must be a
 * plain table the caller may read; it is read with the server's own scans
 * and never written.
 */
CREATE FUNCTION migrate_baseline(target text DEFAULT 'head')
RETURNS integer
AS 'MODULE_PATHNAME', 'migrate_baseline'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_baseline(text)
    IS 'mark the pending migrations up to target applied without running them, on a database where none is applied yet; returns how many';
REVOKE ALL ON FUNCTION migrate_baseline(text) FROM PUBLIC;

CREATE FUNCTION migrate_import(tool text, history_table text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'migrate_import'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_import(text, text)
    IS 'baseline the registered migrations that the history of flyway, dbmate, golang-migrate, diesel, sqitch or graphile-migrate lists as applied; returns how many';
REVOKE ALL ON FUNCTION migrate_import(text, text) FROM PUBLIC;

/*
 * For the client program pg_migrate (SPEC §11).  A deploy job registers
 * every migration file on every run, and usually none has changed:
 * migrate_changed() takes the ids and registration checksums of them all
 * in one statement and answers which are new, changed, or registered by
 * another role, so that the client sends the scripts of those only.  The
 * registration checksum (src/changed.c) covers the up and down scripts,
 * the description, data_loss_ok and transactional;
 * migrate_registration_checksum() computes it.
 */
CREATE FUNCTION migrate_changed(ids text[], checksums text[],
                                OUT id text, OUT change text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_changed'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_changed(text[], text[])
    IS 'which of these migrations (ids and registration checksums) are new, changed or registered by another role: what a deploy must register';
REVOKE ALL ON FUNCTION migrate_changed(text[], text[]) FROM PUBLIC;

CREATE FUNCTION migrate_registration_checksum(up_sql text,
                                              down_sql text DEFAULT NULL,
                                              description text DEFAULT NULL,
                                              data_loss_ok boolean DEFAULT false,
                                              transactional boolean DEFAULT true)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_registration_checksum'
LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION migrate_registration_checksum(text, text, text, boolean, boolean)
    IS 'the registration checksum of a migration, as migrate_changed() compares it';
REVOKE ALL ON FUNCTION migrate_registration_checksum(text, text, text, boolean, boolean) FROM PUBLIC;

/*
 * Generating migrations (SPEC §13).  migrate_describe_json() describes the
 * schema as migrate_schema() does, each object with its structure (the
 * parts its statements are written from) and the objects it depends on
 * (pg_depend, by name), as one jsonb document; migrate_diff() compares two
 * such documents, taken in one database or in two, and returns the
 * statements that turn the first schema into the second, ordered by those
 * dependencies.  migrate_diff() reads nothing of the database.
 */
CREATE FUNCTION migrate_describe_json()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'migrate_describe_json'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_describe_json()
    IS 'the user schema described with its structure and dependencies, by name, for comparing two schemas';
REVOKE ALL ON FUNCTION migrate_describe_json() FROM PUBLIC;

CREATE FUNCTION migrate_diff(from_schema jsonb,
                             to_schema jsonb,
                             allow_drop boolean DEFAULT false,
                             unsafe boolean DEFAULT false,
                             renames text[] DEFAULT '{}',
                             OUT step integer,
                             OUT statement text,
                             OUT transactional boolean,
                             OUT destructive boolean,
                             OUT note text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_diff'
LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION migrate_diff(jsonb, jsonb, boolean, boolean, text[])
    IS 'the statements that turn the schema described by from_schema into the one described by to_schema, in dependency order';
REVOKE ALL ON FUNCTION migrate_diff(jsonb, jsonb, boolean, boolean, text[]) FROM PUBLIC;

/*
 * The kind of one difference between two definitions of an object of
 * migrate_schema(), judged as migrate_verify() judges it (SPEC §9), so that
 * pg_migrate, which compares the schemas of two databases (baseline
 * --check, generate), does not judge them on its own.
 */
CREATE FUNCTION migrate_difference(kind text, before text, after text)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_difference'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION migrate_difference(text, text, text)
    IS 'the kind of a difference between two definitions of an object, as migrate_verify() reports it: column order, whitespace only or differs';
REVOKE ALL ON FUNCTION migrate_difference(text, text, text) FROM PUBLIC;
