--
-- CALL migrate_deploy() and migrate_undeploy() (SPEC §10): a procedure at
-- top level that commits after each migration, runs non-transactional
-- migrations statement by statement, records its progress, and resumes an
-- interrupted migration where it stopped.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
-- tables of the application, older than every migration
CREATE TABLE big (id int PRIMARY KEY, v text, k int);
INSERT INTO big SELECT g, 'v' || g, g % 10 FROM generate_series(1, 2000) g;
CREATE TABLE events (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE FUNCTION status() RETURNS TABLE (id text, state text, transactional boolean,
                                        partial text, stopped_at int, error text)
LANGUAGE sql AS $$
  SELECT id, state, transactional, partial, stopped_at, error FROM migrate_status()
$$;

-- bad input: nothing runs, nothing changes
CALL migrate_deploy(NULL);
CALL migrate_deploy('head', NULL);
CALL migrate_undeploy(NULL);
CALL migrate_deploy('nosuch');
CALL migrate_deploy('+1');
CALL migrate_undeploy('-1');
CALL migrate_deploy('-1');
BEGIN;
CALL migrate_deploy();
ROLLBACK;
DO $$ BEGIN CALL migrate_deploy(); END $$;
CREATE PROCEDURE deploy_inside() LANGUAGE plpgsql AS $$ BEGIN CALL migrate_deploy(); END $$;
CALL deploy_inside();
CREATE FUNCTION deploy_from_function() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CALL migrate_deploy(); END $$;
SELECT deploy_from_function();
SET default_transaction_isolation = 'repeatable read';
CALL migrate_deploy();
RESET default_transaction_isolation;
SET default_transaction_read_only = on;
CALL migrate_deploy();
RESET default_transaction_read_only;
SELECT count(*) AS history_rows FROM migrate.history;

-- registration of non-transactional migrations: what they may hold
SELECT migrate_register('0001_bad', 'CREATE INDEX CONCURRENTLY ON pg_class (relname);', NULL, NULL, false, false);
SELECT migrate_register('0001_bad', 'CREATE DATABASE nope;', NULL, NULL, false, false);
SELECT migrate_register('0001_bad', 'BEGIN; SELECT 1; COMMIT;', NULL, NULL, false, false);
SELECT migrate_register('0001_bad', 'CALL migrate_deploy();', NULL, NULL, false, false);
SELECT migrate_register('0001_bad', 'DO $$ BEGIN CALL migrate_deploy(); END $$;', '', NULL, false, false);
CALL migrate_deploy();
SELECT * FROM status();
CALL migrate_undeploy();
SELECT migrate_unregister('0001_bad');
SELECT migrate_register('0001_bad', 'CREATE INDEX CONCURRENTLY i ON t (a);');
SELECT count(*) AS registered FROM migrate.migration;

-- each migration commits on its own: a failure rolls back that one only;
-- an enum value added by an earlier migration can be used
SELECT migrate_register(id, up, down) FROM (VALUES
  ('0001_type', 'CREATE TYPE mood AS ENUM (''ok''); ALTER TYPE mood ADD VALUE ''happy'';', 'DROP TYPE mood;'),
  ('0002_uses_value', 'CREATE TABLE feel (id int PRIMARY KEY, m mood DEFAULT ''happy'');
INSERT INTO feel (id) VALUES (1), (2);', 'DROP TABLE feel;'),
  ('0003_fails', 'CREATE TABLE half (a int); SELECT 1 / 0;', 'DROP TABLE half;'),
  ('0004_after', 'CREATE TABLE after_it (a int);', 'DROP TABLE after_it;')
) m (id, up, down);
SELECT migrate_apply();
CALL migrate_deploy();
SELECT * FROM status();
SELECT m, count(*) FROM feel GROUP BY m;
SELECT to_regclass('half') AS half;
SELECT id, action FROM migrate.history WHERE action IN ('apply', 'rollback', 'interrupted') ORDER BY seq;
-- the deploy recorded the drift reference for what it committed, once,
-- after the failure
SELECT deploy_pending IS NULL AS recorded, fingerprint = migrate_fingerprint() AS reference_is_schema
  FROM migrate.drift_state;
SELECT count(*) AS drifted FROM migrate_drift();
SELECT migrate_register('0003_fails', 'CREATE TABLE half (a int);', 'DROP TABLE half;');
CALL migrate_deploy('+1');
SELECT * FROM status();
CALL migrate_deploy();
SELECT * FROM status();
SELECT deploy_pending IS NULL AS recorded, fingerprint = migrate_fingerprint() AS reference_is_schema
  FROM migrate.drift_state;
-- a deploy of nothing, and of a migration that changes nothing described
CALL migrate_deploy();
SELECT migrate_register('0004_nothing', 'SELECT 1;', '');
CALL migrate_deploy();
SELECT deploy_pending IS NULL AS recorded, fingerprint = migrate_fingerprint() AS reference_is_schema
  FROM migrate.drift_state;

-- non-transactional migrations: apply and rollback refuse them; SET
-- carries over to the statements after it, SET LOCAL does not, and the
-- settings are put back at the end
SELECT migrate_register('0005_concurrently',
$$SET maintenance_work_mem = '77MB';
SET LOCAL work_mem = '7MB';
CREATE INDEX CONCURRENTLY big_v ON big (v);
CREATE TABLE seen AS SELECT current_setting('maintenance_work_mem') AS mwm, current_setting('work_mem') AS wm;
VACUUM (ANALYZE) big;
REINDEX INDEX CONCURRENTLY big_v;$$,
'DROP INDEX CONCURRENTLY IF EXISTS big_v; DROP TABLE seen;', NULL, false, false);
SELECT * FROM status() WHERE id = '0005_concurrently';
SELECT migrate_apply();
SELECT migrate_apply(dry_run => true);
SELECT id, statement, command, relation, lock_mode FROM migrate_plan();
SELECT id, statement, command, relation, lock_mode, observed_locks FROM migrate_plan(execute => true);
SET maintenance_work_mem = '33MB';
CALL migrate_deploy();
SHOW maintenance_work_mem;
SELECT * FROM seen;
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index WHERE indrelid = 'big'::regclass ORDER BY 1;
SELECT * FROM status() WHERE id = '0005_concurrently';
SELECT migrate_rollback();
SELECT count(*) AS drifted FROM migrate_drift();
SELECT (SELECT fingerprint FROM migrate.drift_state) = migrate_fingerprint() AS reference_is_schema;

-- an interrupted build: partial, stopped at its statement, with the error;
-- nothing else may run; the next deploy drops the invalid index and builds
-- it again
INSERT INTO big VALUES (2001, 'v1', 1);
SELECT migrate_register('0006_unique', $$CREATE UNIQUE INDEX CONCURRENTLY big_v_unique ON big (v);
CREATE INDEX CONCURRENTLY big_k ON big (k);$$,
'DROP INDEX CONCURRENTLY IF EXISTS big_k; DROP INDEX CONCURRENTLY IF EXISTS big_v_unique;', NULL, false, false);
CALL migrate_deploy();
SELECT * FROM status() WHERE id = '0006_unique';
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index WHERE indrelid = 'big'::regclass ORDER BY 1;
SELECT migrate_apply();
SELECT migrate_rollback();
SELECT migrate_register('0006_unique', 'SELECT 1;', NULL, NULL, false, false);
SELECT migrate_unregister('0006_unique');
DELETE FROM big WHERE id = 2001;
CALL migrate_deploy();
SELECT * FROM status() WHERE id = '0006_unique';
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index WHERE indrelid = 'big'::regclass ORDER BY 1;
SELECT id, action FROM migrate.history WHERE id = '0006_unique' ORDER BY seq;
SELECT migrate_register('0006_unique', $$CREATE UNIQUE INDEX CONCURRENTLY big_v_unique ON big (v);$$,
  NULL, NULL, false, true);

-- a migration applied in part, given up: undeploy runs its down script
SELECT migrate_register('0007_given_up', $$CREATE INDEX CONCURRENTLY big_vk ON big (v, k);
CREATE INDEX CONCURRENTLY big_bad ON big (nosuch);$$,
'DROP INDEX CONCURRENTLY IF EXISTS big_bad; DROP INDEX CONCURRENTLY IF EXISTS big_vk;', NULL, false, false);
CALL migrate_deploy();
SELECT * FROM status() WHERE id = '0007_given_up';
SELECT to_regclass('big_vk') AS built;
CALL migrate_undeploy('-1');
SELECT * FROM status() WHERE id = '0007_given_up';
SELECT to_regclass('big_vk') AS built;
SELECT migrate_unregister('0007_given_up');

-- a build that an interrupted deploy finished without recording it: the
-- next deploy finds the valid index newer than the start it recorded, and
-- takes the statement as done instead of building it again
SELECT migrate_register('0007_recorded_late', $$CREATE INDEX CONCURRENTLY big_late ON big (id, k);
CREATE INDEX CONCURRENTLY big_bad ON big (nosuch);$$,
'DROP INDEX CONCURRENTLY IF EXISTS big_bad; DROP INDEX CONCURRENTLY IF EXISTS big_late;', NULL, false, false);
CALL migrate_deploy();
-- as if the deploy had died after the build of statement 1, before it
-- recorded it: done back to 0, the start recorded before the index was made
UPDATE migrate.progress
   SET done = 0,
       statement_xid = ((pg_current_xact_id()::text::bigint >> 32 << 32)
                        + (SELECT xmin::text::bigint FROM pg_class WHERE relname = 'big_late') - 1)::text::xid8
 WHERE id = '0007_recorded_late';
SELECT * FROM status() WHERE id = '0007_recorded_late';
ALTER TABLE big ADD COLUMN nosuch int;
CALL migrate_deploy();
SELECT * FROM status() WHERE id = '0007_recorded_late';
SELECT indexrelid::regclass AS index, indisvalid FROM pg_index
 WHERE indexrelid IN ('big_late'::regclass, 'big_bad'::regclass) ORDER BY 1;
CALL migrate_undeploy('-1');
ALTER TABLE big DROP COLUMN nosuch;
SELECT migrate_unregister('0007_recorded_late');

-- the settings a failed migration made are put back too
SHOW maintenance_work_mem;
SELECT migrate_register('0007_fails', $$SET maintenance_work_mem = '99MB';
CREATE INDEX CONCURRENTLY big_bad ON big (nosuch);$$, '', NULL, false, false);
CALL migrate_deploy();
SHOW maintenance_work_mem;
SELECT * FROM status() WHERE id = '0007_fails';
CALL migrate_undeploy('-1');
SELECT migrate_unregister('0007_fails');

-- DETACH PARTITION CONCURRENTLY and DROP INDEX CONCURRENTLY, up and down
SELECT migrate_register('0008_detach', $$ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;
DROP INDEX CONCURRENTLY big_k;$$,
$$CREATE INDEX CONCURRENTLY big_k ON big (k);
ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');$$,
NULL, false, false);
CALL migrate_deploy();
SELECT inhrelid::regclass AS partition FROM pg_inherits WHERE inhparent = 'events'::regclass ORDER BY 1;
SELECT to_regclass('big_k') AS big_k;
CALL migrate_undeploy('-1');
SELECT inhrelid::regclass AS partition FROM pg_inherits WHERE inhparent = 'events'::regclass ORDER BY 1;
SELECT to_regclass('big_k') AS big_k;
CALL migrate_deploy();

-- migrate_verify() runs a pending non-transactional migration as its
-- transactional equivalent
SELECT migrate_register('0009_verified', $$CREATE INDEX CONCURRENTLY big_id_v ON big (id, v);
VACUUM big;$$, 'DROP INDEX CONCURRENTLY big_id_v;', NULL, false, false);
SELECT id, result FROM migrate_verify();
SELECT to_regclass('big_id_v') AS not_kept;
CALL migrate_deploy();

-- the data-loss guard spans the deploy: rows an earlier migration of the
-- deploy inserted are its own; rows of a table an earlier migration
-- rewrote are not; one refusal lists what every transactional migration
-- after the first loss would destroy, and rolls back from there
SELECT migrate_register(id, up, down) FROM (VALUES
  ('0010_seed', 'CREATE TABLE seeds (id int); INSERT INTO seeds VALUES (1), (2);', 'DROP TABLE seeds;'),
  ('0011_drop_seeds', 'DROP TABLE seeds;', 'CREATE TABLE seeds (id int);'),
  ('0012_rewrite', 'ALTER TABLE feel ALTER COLUMN id TYPE bigint;', 'ALTER TABLE feel ALTER COLUMN id TYPE int;'),
  ('0013_drop_feel', 'DROP TABLE feel;', 'CREATE TABLE feel (id int PRIMARY KEY, m mood);'),
  ('0014_drop_big_k', 'ALTER TABLE big DROP COLUMN k;', 'ALTER TABLE big ADD COLUMN k int;')
) m (id, up, down);
CALL migrate_deploy();
SELECT * FROM status() WHERE id >= '0010';
SELECT count(*) AS feel_rows FROM feel;
CALL migrate_deploy(allow_data_loss => true);
SELECT * FROM status() WHERE id >= '0010';

-- undeploy to base: each migration commits as it is rolled back
CALL migrate_undeploy('base', allow_data_loss => true);
SELECT * FROM status();
SELECT count(*) AS drifted FROM migrate_drift();
SHOW maintenance_work_mem;

DROP FUNCTION status();
DROP FUNCTION deploy_from_function();
DROP PROCEDURE deploy_inside();
DROP TABLE big, events, events_2025;
DROP EXTENSION migrate;
