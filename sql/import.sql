--
-- migrate_import() (SPEC §12): baseline what another tool's history lists
-- as applied.  The history tables are made here as each tool's own schema
-- script makes them (TAP 008 lets the real dbmate, Sqitch and
-- graphile-migrate make theirs).
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE ROLE regress_import_reader;
RESET client_min_messages;

-- bad input
SELECT migrate_import(NULL);
SELECT migrate_import(NULL, 'schema_migrations');
SELECT migrate_import('liquibase');
SELECT migrate_import('DBMATE');
SELECT migrate_import('');
-- each tool's table, where it is not
SELECT migrate_import('flyway');
SELECT migrate_import('dbmate');
SELECT migrate_import('golang-migrate');
SELECT migrate_import('diesel');
SELECT migrate_import('sqitch');
SELECT migrate_import('dbmate', 'elsewhere.schema_migrations');
SELECT migrate_import('dbmate', 'no such"name');

--
-- dbmate: schema_migrations (version varchar PRIMARY KEY), one row per
-- applied migration; the id's leading digits are its version
--
CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);
-- an empty history: nothing applied, nothing to do
SELECT migrate_import('dbmate');
INSERT INTO schema_migrations VALUES ('20240101120000'), ('20240102090000');
CREATE TABLE dm_users (id bigint PRIMARY KEY, email text NOT NULL, name text);
SET client_min_messages = warning;
SELECT migrate_register('20240101120000_create_users',
  'CREATE TABLE dm_users (id bigint PRIMARY KEY, email text NOT NULL);',
  'DROP TABLE dm_users;');
SELECT migrate_register('20240102090000_add_name',
  'ALTER TABLE dm_users ADD COLUMN name text;', '');
SELECT migrate_register('20240103000000_add_nick',
  'ALTER TABLE dm_users ADD COLUMN nick text;',
  'ALTER TABLE dm_users DROP COLUMN nick;');
RESET client_min_messages;
-- not golang-migrate's table
SELECT migrate_import('golang-migrate');

-- every problem in one error: a version nobody registered, and a gap (a
-- registered migration before the last listed one that dbmate never ran)
INSERT INTO schema_migrations VALUES ('20231231000000'), ('20231230000000');
SELECT migrate_register('20240101000000_early', 'SELECT 1;');
SELECT migrate_import('dbmate');
DELETE FROM schema_migrations WHERE version LIKE '2023%';
SELECT migrate_import('dbmate');
SELECT migrate_unregister('20240101000000_early');
-- more than ten are listed as ten and a count
INSERT INTO schema_migrations SELECT '1900' || i FROM generate_series(10, 21) i;
SELECT migrate_import('dbmate');
DELETE FROM schema_migrations WHERE version LIKE '1900%';

-- the table is read, never written: the same row versions after
CREATE TEMP TABLE dm_before AS
  SELECT ctid::text AS tid, xmin::text AS x, version FROM schema_migrations;
SELECT migrate_import('dbmate');
SELECT count(*) AS rows_changed FROM (
  (SELECT ctid::text, xmin::text, version FROM schema_migrations EXCEPT SELECT * FROM dm_before)
  UNION ALL
  (SELECT * FROM dm_before EXCEPT SELECT ctid::text, xmin::text, version FROM schema_migrations)) d;
SELECT id, state, duration FROM migrate_status();
SELECT id, action, duration FROM migrate.history WHERE action = 'baseline' ORDER BY seq;
SELECT * FROM migrate_drift();
-- adopted once
SELECT migrate_import('dbmate');
SELECT migrate_baseline();
-- the next migration applies as usual
SET client_min_messages = warning;
SELECT migrate_apply();
RESET client_min_messages;
SELECT id, state FROM migrate_status();
DROP EXTENSION migrate;
DROP TABLE dm_users;

--
-- golang-migrate: schema_migrations (version bigint PRIMARY KEY, dirty
-- boolean NOT NULL), one row, the current version; every migration up to
-- it is applied.  The id's leading digits are its version, as a number.
--
CREATE EXTENSION migrate;
CREATE SCHEMA gm;
CREATE TABLE gm.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
SET client_min_messages = warning;
SELECT migrate_register('000001_create_users', 'CREATE TABLE gm.users (id int);', 'DROP TABLE gm.users;');
SELECT migrate_register('000002_add_name', 'ALTER TABLE gm.users ADD COLUMN name text;', '');
SELECT migrate_register('000003_add_nick', 'ALTER TABLE gm.users ADD COLUMN nick text;', '');
SELECT migrate_register('000010_add_age', 'ALTER TABLE gm.users ADD COLUMN age int;', '');
RESET client_min_messages;
CREATE TABLE gm.users (id int, name text, nick text);
-- found where named, or on search_path; dbmate's is not this one
SELECT migrate_import('golang-migrate');
SET search_path = gm, public;
SELECT migrate_import('dbmate');
RESET search_path;
-- dirty: golang-migrate stopped in the middle of version 3
INSERT INTO gm.schema_migrations VALUES (3, true);
SELECT migrate_import('golang-migrate', 'gm.schema_migrations');
-- a version nobody registered
UPDATE gm.schema_migrations SET version = 4, dirty = false;
SELECT migrate_import('golang-migrate', 'gm.schema_migrations');
-- two registered migrations with version 3
SELECT migrate_register('3_other', 'SELECT 1;');
UPDATE gm.schema_migrations SET version = 3;
SELECT migrate_import('golang-migrate', 'gm.schema_migrations');
SELECT migrate_unregister('3_other');
-- golang-migrate keeps one row
INSERT INTO gm.schema_migrations VALUES (1, false);
SELECT migrate_import('golang-migrate', 'gm.schema_migrations');
DELETE FROM gm.schema_migrations WHERE version = 1;
-- version 3: 1, 2 and 3 are applied (version order and numbers agree)
SELECT migrate_import('golang-migrate', 'gm.schema_migrations');
SELECT id, state FROM migrate_status();
TABLE gm.schema_migrations;
DROP EXTENSION migrate;
DROP TABLE gm.schema_migrations, gm.users, schema_migrations;
DROP SCHEMA gm;

--
-- Flyway: flyway_schema_history, as Flyway's PostgreSQL script makes it.
-- The id is the version, its parts joined by ".": V1_1__add_name.sql is
-- 1.1, which sorts as Flyway orders versions (1 before 1.1)
--
CREATE EXTENSION migrate;
CREATE TABLE flyway_schema_history (
    installed_rank integer NOT NULL,
    version varchar(50),
    description varchar(200) NOT NULL,
    type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL,
    checksum integer,
    installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL,
    CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank)
);
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
  (0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', '"public"', NULL, 'flyway', 0, true),
  (1, '1', 'create users', 'SQL', 'V1__create_users.sql', 12345, 'flyway', 5, true),
  (2, '1.1', 'add name', 'SQL', 'V1_1__add_name.sql', 23456, 'flyway', 3, true),
  (3, NULL, 'views', 'SQL', 'R__views.sql', 34567, 'flyway', 2, true),
  (4, '2', 'add nick', 'SQL', 'V2__add_nick.sql', 45678, 'flyway', 2, true);
SET client_min_messages = warning;
SELECT migrate_register('1', 'CREATE TABLE fw_users (id int);', 'DROP TABLE fw_users;', 'create users');
SELECT migrate_register('1.1', 'ALTER TABLE fw_users ADD COLUMN name text;', '', 'add name');
SELECT migrate_register('2', 'ALTER TABLE fw_users ADD COLUMN nick text;', '', 'add nick');
SELECT migrate_register('2.1', 'ALTER TABLE fw_users ADD COLUMN age int;', '', 'add age');
SELECT migrate_register('10', 'ALTER TABLE fw_users ADD COLUMN ten int;', '', 'ten');
RESET client_min_messages;
CREATE TABLE fw_users (id int, name text, nick text);
-- failed migrations (a non-transactional one Flyway could not roll back)
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
  (5, '2.1', 'add age', 'SQL', 'V2_1__add_age.sql', 56789, 'flyway', 2, false),
  (6, NULL, 'functions', 'SQL', 'R__functions.sql', 67890, 'flyway', 2, false);
SELECT migrate_import('flyway');
DELETE FROM flyway_schema_history WHERE NOT success;
-- a baseline at 1.1, an undone 2.1, a 3 that repair marked deleted: 1 and
-- 1.1 by the baseline, 2 (written 2.0); not 2.1 nor 3
BEGIN;
DELETE FROM flyway_schema_history WHERE installed_rank IN (1, 2);
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
  (1, '1.1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'flyway', 0, true),
  (5, '2.1', 'add age', 'SQL', 'V2_1__add_age.sql', 56789, 'flyway', 2, true),
  (6, '2.1', 'add age', 'UNDO_SQL', 'U2_1__add_age.sql', 56789, 'flyway', 2, true),
  (7, '3', 'gone', 'SQL', 'V3__gone.sql', 1, 'flyway', 2, true),
  (8, '3', 'gone', 'DELETE', 'V3__gone.sql', 1, 'flyway', 0, true);
UPDATE flyway_schema_history SET version = '2.0' WHERE installed_rank = 4;
SELECT migrate_import('flyway');
SELECT id, state FROM migrate_status();
ROLLBACK;
-- versions compare as numbers: 01.1 is 1.1, 1.0 is 1, and 1.1 is not 1.10
BEGIN;
UPDATE flyway_schema_history SET version = '1.0' WHERE installed_rank = 1;
UPDATE flyway_schema_history SET version = '01.1' WHERE installed_rank = 2;
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
  (5, '1.10', 'ten', 'SQL', 'V1_10__ten.sql', 1, 'flyway', 1, true);
SELECT migrate_import('flyway');
ROLLBACK;
-- a version that is not one of digits
BEGIN;
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
  (5, '2.x', 'odd', 'SQL', 'V2.x__odd.sql', 1, 'flyway', 1, true);
SELECT migrate_import('flyway');
ROLLBACK;
-- ids with a V, or a description after "-", are matched by their version
-- and sort as the versions do
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT count(migrate_unregister(id)) FROM migrate.migration;
SELECT migrate_register('V1-create_users', 'CREATE TABLE fw_users (id int);');
SELECT migrate_register('V1.1-add_name', 'ALTER TABLE fw_users ADD COLUMN name text;');
SELECT migrate_register('V2-add_nick', 'ALTER TABLE fw_users ADD COLUMN nick text;');
RESET client_min_messages;
SELECT migrate_import('flyway');
ROLLBACK;
-- a description after "__" is matched too, but 1_1__add_name sorts
-- before 1__create_users: with 1.1 pending, that is a gap
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT count(migrate_unregister(id)) FROM migrate.migration;
SELECT migrate_register('1__create_users', 'CREATE TABLE fw_users (id int);');
SELECT migrate_register('1_1__add_name', 'ALTER TABLE fw_users ADD COLUMN name text;');
RESET client_min_messages;
SELECT id FROM migrate_status();
DELETE FROM flyway_schema_history WHERE installed_rank IN (2, 4);
SELECT migrate_import('flyway');
ROLLBACK;
-- 1, 1.1 and 2; the repeatable one is not a versioned migration
SELECT migrate_import('flyway');
SELECT id, description, state FROM migrate_status();
DROP EXTENSION migrate;
DROP TABLE fw_users;
-- a table of that name without Flyway's columns
ALTER TABLE flyway_schema_history DROP COLUMN success;
CREATE EXTENSION migrate;
SELECT migrate_import('flyway');
DROP TABLE flyway_schema_history;

--
-- diesel: __diesel_schema_migrations, as diesel's setup makes it; the
-- version is what comes before the first "_", without "-"
--
CREATE TABLE __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000'), ('20240102090000');
SET client_min_messages = warning;
SELECT migrate_register('00000000000000_diesel_initial_setup', 'SELECT 1;');
SELECT migrate_register('2024-01-01-120000_create_users', 'CREATE TABLE ds_users (id int);', 'DROP TABLE ds_users;');
SELECT migrate_register('2024-01-02-090000_add_name', 'ALTER TABLE ds_users ADD COLUMN name text;', '');
SELECT migrate_register('2024-01-03-000000_add_nick', 'ALTER TABLE ds_users ADD COLUMN nick text;', '');
RESET client_min_messages;
-- 2024-01-01-120000 was never run by diesel: a gap
SELECT migrate_import('diesel');
INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101120000');
SELECT migrate_import('diesel');
SELECT id, state FROM migrate_status();
DROP EXTENSION migrate;
DROP TABLE __diesel_schema_migrations;

--
-- Sqitch: the registry's table sqitch.changes, one row per deployed
-- change; an id is the change's place in sqitch.plan and its name, and a
-- reworked change is deployed again under the same name
--
CREATE EXTENSION migrate;
CREATE SCHEMA sqitch;
CREATE TABLE sqitch.changes (
    change_id text PRIMARY KEY,
    script_hash text,
    change text NOT NULL,
    project text NOT NULL,
    note text NOT NULL DEFAULT '',
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    committer_name text NOT NULL,
    committer_email text NOT NULL,
    planned_at timestamptz NOT NULL,
    planner_name text NOT NULL,
    planner_email text NOT NULL
);
INSERT INTO sqitch.changes (change_id, change, project, committed_at, committer_name, committer_email, planned_at, planner_name, planner_email) VALUES
  ('c3', 'users', 'flipr', '2024-01-03', 'x', 'x@example.com', '2024-01-01', 'x', 'x@example.com'),
  ('c1', 'users', 'flipr', '2024-01-01', 'x', 'x@example.com', '2024-01-01', 'x', 'x@example.com'),
  ('c2', 'orders', 'flipr', '2024-01-02', 'x', 'x@example.com', '2024-01-01', 'x', 'x@example.com');
SET client_min_messages = warning;
SELECT migrate_register('0001_users', 'CREATE TABLE sq_users (id int);', 'DROP TABLE sq_users;');
SELECT migrate_register('0002_orders', 'CREATE TABLE sq_orders (id int);', 'DROP TABLE sq_orders;');
SELECT migrate_register('0003_users', 'ALTER TABLE sq_users ADD COLUMN name text;', '');
SELECT migrate_register('0004_widgets', 'CREATE TABLE sq_widgets (id int);', 'DROP TABLE sq_widgets;');
RESET client_min_messages;
-- another project's changes in the same registry, and a change nobody
-- registered
BEGIN;
INSERT INTO sqitch.changes (change_id, change, project, committed_at, committer_name, committer_email, planned_at, planner_name, planner_email) VALUES
  ('o1', 'gadgets', 'other', '2024-01-04', 'x', 'x@example.com', '2024-01-01', 'x', 'x@example.com');
SELECT migrate_import('sqitch');
ROLLBACK;
-- users twice (reworked), orders: the first three
SELECT migrate_import('sqitch');
SELECT id, state FROM migrate_status();
DROP EXTENSION migrate;

--
-- graphile-migrate: graphile_migrate.migrations, one row per committed
-- migration applied, filename 000001.sql; the id is the committed file's
-- name, 000001-add-users.sql: 000001-add-users
--
CREATE EXTENSION migrate;
CREATE SCHEMA graphile_migrate;
CREATE TABLE graphile_migrate.migrations (
  hash text PRIMARY KEY,
  previous_hash text REFERENCES graphile_migrate.migrations,
  filename text NOT NULL,
  date timestamptz NOT NULL DEFAULT now()
);
INSERT INTO graphile_migrate.migrations (hash, previous_hash, filename) VALUES
  ('sha1:a', NULL, '000001.sql'), ('sha1:b', 'sha1:a', '000002.sql');
SET client_min_messages = warning;
SELECT migrate_register('000001', 'CREATE TABLE gr_users (id int);');
SELECT migrate_register('000002-add-name', 'ALTER TABLE gr_users ADD COLUMN name text;');
SELECT migrate_register('000003-add-nick', 'ALTER TABLE gr_users ADD COLUMN nick text;');
RESET client_min_messages;
BEGIN;
INSERT INTO graphile_migrate.migrations (hash, previous_hash, filename) VALUES
  ('sha1:d', 'sha1:b', '000004.sql'), ('sha1:e', 'sha1:d', 'current.sql');
SELECT migrate_import('graphile-migrate');
ROLLBACK;
SELECT migrate_import('graphile-migrate');
SELECT id, state FROM migrate_status();
DROP EXTENSION migrate;
DROP SCHEMA graphile_migrate CASCADE;

--
-- The history is another role's table: read with the server's own scans,
-- and only from a plain table the caller may read (SPEC §14)
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
SELECT migrate_register('20240101120000_create_users', 'CREATE TABLE sec_users (id int);', '');
RESET client_min_messages;
CREATE TABLE sec_users (id int);
-- a view in place of the table is not evaluated
CREATE VIEW schema_migrations AS SELECT '20240101120000'::varchar AS version;
SELECT migrate_import('dbmate');
DROP VIEW schema_migrations;
-- nor a materialized view, nor a partitioned table
CREATE MATERIALIZED VIEW schema_migrations AS SELECT '20240101120000'::varchar AS version;
SELECT migrate_import('dbmate');
DROP MATERIALIZED VIEW schema_migrations;
CREATE TABLE schema_migrations (version varchar PRIMARY KEY) PARTITION BY RANGE (version);
SELECT migrate_import('dbmate');
DROP TABLE schema_migrations;
-- a column of another type (a domain over varchar is not what dbmate writes)
CREATE DOMAIN sec_version AS varchar CHECK (VALUE <> '');
CREATE TABLE schema_migrations (version sec_version PRIMARY KEY);
SELECT migrate_import('dbmate');
DROP TABLE schema_migrations;
DROP DOMAIN sec_version;
-- an operator, a function of another role's schema first on search_path:
-- never called
CREATE SCHEMA sec_trap;
CREATE FUNCTION sec_trap.trap(varchar, varchar) RETURNS boolean LANGUAGE plpgsql
  AS $$BEGIN RAISE EXCEPTION 'trap evaluated'; END$$;
CREATE OPERATOR sec_trap.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = sec_trap.trap);
CREATE FUNCTION sec_trap.btrim(varchar) RETURNS varchar LANGUAGE plpgsql
  AS $$BEGIN RAISE EXCEPTION 'trap evaluated'; END$$;
CREATE TABLE schema_migrations (version char(20) PRIMARY KEY);
INSERT INTO schema_migrations VALUES ('20240101120000');
-- row-level security is a policy: one that applies to the caller refuses
ALTER TABLE schema_migrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY sec_hide ON schema_migrations USING (sec_trap.trap(version::varchar, ''));
GRANT SELECT ON schema_migrations TO regress_import_reader;
GRANT EXECUTE ON FUNCTION migrate_import(text, text) TO regress_import_reader;
SET ROLE regress_import_reader;
SELECT migrate_import('dbmate');
RESET ROLE;
-- without SELECT on it the caller cannot read it through migrate either
REVOKE SELECT ON schema_migrations FROM regress_import_reader;
SET ROLE regress_import_reader;
SELECT migrate_import('dbmate');
RESET ROLE;
-- the owner is not subject to the policy; char's padding is not the version
SET search_path = sec_trap, public;
SELECT migrate_import('dbmate');
RESET search_path;
SELECT id, state FROM migrate_status();

DROP TABLE schema_migrations, sec_users;
DROP SCHEMA sec_trap CASCADE;
REVOKE ALL ON FUNCTION migrate_import(text, text) FROM regress_import_reader;
DROP ROLE regress_import_reader;
DROP EXTENSION migrate;
