--
-- Trust boundaries (SPEC §14), tried as an attacker would.  Each section is
-- an attack that worked on version 0.2; the extension's own work must not
-- run another role's code, what runs must be what was checked, and no role
-- without the extension's grants may change what it does.
--
CREATE EXTENSION migrate;
-- errors are what this test is about
SET client_min_messages = error;

--
-- 1. What runs is what was checked: no setting a script changes can split
-- or join its statements.  Up to 0.2 each statement's text was lexed again
-- when it ran, after the script's SET standard_conforming_strings = off, and
-- this SELECT then ran as a SELECT and a DROP TABLE.
--
CREATE TABLE victim AS SELECT g AS id FROM generate_series(1, 1000) g;
SELECT migrate_register('0001_smuggle', $$SET standard_conforming_strings = off;
SELECT 'a\' AS x, '; DROP TABLE victim; -- ' AS y;$$, 'SELECT 1;');
-- the plan sees two statements, a SET and a SELECT
SELECT id, statement, command FROM migrate_plan();
SELECT migrate_apply();
SELECT count(*) AS victim_rows FROM victim;
SHOW standard_conforming_strings;

-- the session applying it has the setting off: the same statements
SELECT migrate_register('0002_smuggle_again', $$SELECT 'b\' AS x, '; DROP TABLE victim; -- ' AS y;$$, 'SELECT 1;');
SET standard_conforming_strings = off;
SELECT migrate_apply();
RESET standard_conforming_strings;
SELECT count(*) AS victim_rows FROM victim;

-- and the session registering it: scripts are always parsed with
-- standard_conforming_strings on, so a script written for off is refused
-- wherever it is registered, instead of parsing one way here and another
-- way there
SET standard_conforming_strings = off;
SELECT migrate_register('0003_written_for_off', $$INSERT INTO victim VALUES (length('it\'s'));$$);
RESET standard_conforming_strings;
SELECT migrate_register('0003_written_for_off', $$INSERT INTO victim VALUES (length('it\'s'));$$);
-- escape strings say what they mean under every setting
CREATE TABLE lengths (n int);
SET backslash_quote = off;
SELECT migrate_register('0003_escape_string', $$INSERT INTO lengths VALUES (length(E'it\'s'));$$, 'DELETE FROM lengths WHERE n = 4;');
RESET backslash_quote;
SELECT migrate_apply();
SELECT n FROM lengths;
SELECT migrate_rollback('base');
SELECT migrate_unregister(id) FROM migrate_status();
DROP TABLE victim, lengths;

--
-- 2. The data-loss guard runs no code of anyone.  A role that owns a table
-- a superuser's migration drops a column from replaces it with a view that
-- calls its own function: up to 0.2 the guard's row count selected from
-- the view as the superuser, and the function ran with superuser rights.
-- The guard now counts with the server's own scans of real tables; here
-- the migration fails as ALTER TABLE on a view fails, and the function
-- never runs (it would raise).
--
CREATE ROLE regress_mallory;
CREATE SCHEMA app AUTHORIZATION regress_mallory;
SET ROLE regress_mallory;
CREATE TABLE app.legacy (id int, flag text);
INSERT INTO app.legacy VALUES (1, 'x');
RESET ROLE;
SELECT migrate_register('0004_cleanup', 'ALTER TABLE app.legacy DROP COLUMN flag;', 'ALTER TABLE app.legacy ADD COLUMN flag text;');
SELECT migrate_register('0005_drop_legacy', 'DROP TABLE IF EXISTS app.legacy;');
SET ROLE regress_mallory;
DROP TABLE app.legacy;
CREATE FUNCTION app.payload() RETURNS int LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION 'payload ran as %, superuser %', current_user, current_setting('is_superuser');
END $f$;
CREATE VIEW app.legacy AS SELECT app.payload() AS id, 'x'::text AS flag;
RESET ROLE;
SELECT migrate_apply('0004_cleanup', dry_run => true);
SELECT migrate_apply('0004_cleanup');
SELECT migrate_unregister('0004_cleanup');
SELECT migrate_apply();
SELECT migrate_unregister('0005_drop_legacy');

-- a table whose rows a policy hides, and whose policy would run the
-- payload: the guard sees every row (row-level security hides nothing from
-- it) and evaluates no policy
SET ROLE regress_mallory;
DROP VIEW app.legacy;
CREATE TABLE app.hidden (id int, secret text);
INSERT INTO app.hidden VALUES (1, 'a'), (2, 'b');
ALTER TABLE app.hidden ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.hidden FORCE ROW LEVEL SECURITY;
CREATE POLICY nothing_visible ON app.hidden USING (app.payload() > 0);
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_unregister(text), migrate_apply(text, boolean, boolean) TO regress_mallory;
SET ROLE regress_mallory;
SELECT migrate_register('0006_hidden', 'ALTER TABLE app.hidden DROP COLUMN secret;
DROP TABLE app.hidden;');
SELECT migrate_apply();
SELECT migrate_unregister('0006_hidden');
RESET ROLE;

--
-- 3. The guard's own catalog reads resolve nothing through the search_path.
-- Up to 0.2 it listed a schema's tables with SQL whose "char" comparison
-- (relkind IN ('r', 'm')) found an = operator the schema's owner had put
-- in app, first on the path the migration set, and ran it as superuser.
--
CREATE SCHEMA old_stuff;
CREATE TABLE old_stuff.kept (id int);
INSERT INTO old_stuff.kept VALUES (1);
SET ROLE regress_mallory;
CREATE FUNCTION app.char_eq("char", "char") RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION 'operator ran as %', current_user;
END $f$;
CREATE OPERATOR app.= (LEFTARG = "char", RIGHTARG = "char", FUNCTION = app.char_eq);
RESET ROLE;
SELECT migrate_register('0007_drop_old', 'SET search_path = app, pg_catalog;
DROP SCHEMA old_stuff CASCADE;', 'SELECT 1;');
SELECT migrate_apply();
SELECT migrate_apply(allow_data_loss => true);
SELECT to_regnamespace('old_stuff') AS old_stuff;
SELECT migrate_rollback('base');
SELECT migrate_unregister(id) FROM migrate_status();

--
-- 4. A migration cannot change, drop or write the extension's objects.  Up
-- to 0.2 this registered and applied, and every function failed afterwards.
-- Named in the script, it is refused at registration; reached through a
-- search_path or a DO block, it fails when it runs, and nothing of the
-- call is kept.
--
SELECT migrate_register('0008_brick', 'ALTER TABLE migrate.migration DROP COLUMN description;');
SELECT migrate_register('0008_brick', 'INSERT INTO migrate.applied VALUES (''0099_fake'', ''x'', now(), ''postgres'', ''0'');');
SELECT migrate_register('0008_brick', 'WITH d AS (DELETE FROM migrate.history RETURNING 1) SELECT count(*) FROM d;');
SELECT migrate_register('0008_brick', 'TRUNCATE migrate.history;');
SELECT migrate_register('0008_brick', 'GRANT ALL ON migrate.applied TO regress_mallory;');
SELECT migrate_register('0008_brick', 'DROP FUNCTION migrate_current();');
SELECT migrate_register('0008_brick', 'CREATE OR REPLACE FUNCTION migrate_current() RETURNS text LANGUAGE sql AS $$SELECT NULL::text$$;');
SELECT migrate_register('0008_brick', 'ALTER FUNCTION migrate_apply(text, boolean, boolean) SECURITY DEFINER;');
SELECT migrate_register('0008_brick', 'ALTER EVENT TRIGGER migrate_ddl_end DISABLE;');
SELECT migrate_register('0008_brick', 'CREATE TABLE migrate.extra (id int);');
SELECT migrate_register('0008_brick', 'COMMENT ON TABLE migrate.history IS ''x'';');
-- the same through the search_path, or hidden in a DO block
CREATE TABLE brick_witness (id int);
SELECT migrate_register('0008_brick', 'INSERT INTO brick_witness VALUES (1);
SET search_path = migrate;
ALTER TABLE migration DROP COLUMN description;');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'INSERT INTO brick_witness VALUES (1);
DO $$ BEGIN EXECUTE ''INSERT INTO migrate.applied VALUES (''''0099_fake'''', ''''x'''', now(), ''''postgres'''', ''''0'''')''; END $$;');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'SET search_path = migrate; TRUNCATE history;');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'SET search_path = migrate; GRANT ALL ON applied TO regress_mallory;');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'SET search_path = migrate; COMMENT ON TABLE history IS ''x'';');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'SET search_path = migrate; CREATE TABLE extra (id int);');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'SET search_path = migrate; CREATE INDEX ON history (at);');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'DO $$ BEGIN EXECUTE ''CREATE OR REPLACE FUNCTION pg_catalog.migrate_current() RETURNS text LANGUAGE sql AS $f$SELECT NULL::text$f$''; END $$;');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'DO $$ BEGIN EXECUTE ''ALTER EVENT TRIGGER migrate_ddl_end DISABLE''; END $$;');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'DO $$ BEGIN EXECUTE ''DROP TABLE migrate.writer_lock''; END $$;');
SELECT migrate_apply();
SELECT migrate_register('0008_brick', 'DO $$ BEGIN EXECUTE ''ALTER TABLE migrate.history RENAME TO h''; END $$;');
SELECT migrate_apply();
SELECT migrate_unregister('0008_brick');
-- nothing of it was kept, and every function works
SELECT count(*) AS witness_rows FROM brick_witness;
SELECT count(*) AS catalog_columns FROM pg_attribute
 WHERE attrelid = 'migrate.migration'::regclass AND attnum > 0 AND NOT attisdropped;
SELECT id, state FROM migrate_status();
SELECT migrate_current();
SELECT obj_description('migrate.history'::regclass) AS history_comment;
SELECT has_table_privilege('regress_mallory', 'migrate.applied', 'INSERT') AS mallory_can_write;
SELECT evtenabled FROM pg_event_trigger WHERE evtname = 'migrate_ddl_end';
-- reading the catalog from a migration is fine
SELECT migrate_register('0009_reads', 'CREATE TABLE seen_migrations AS SELECT id FROM migrate.migration;', 'DROP TABLE seen_migrations;');
SELECT migrate_apply();
SELECT count(*) > 0 AS read_the_catalog FROM seen_migrations;

SELECT migrate_rollback('base', allow_data_loss => true);
DROP TABLE brick_witness;
DROP SCHEMA app CASCADE;
REVOKE ALL ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_unregister(text), migrate_apply(text, boolean, boolean) FROM regress_mallory;
DROP ROLE regress_mallory;
DROP EXTENSION migrate;
