--
-- migrate_status() states and the validation of apply (SPEC §6.2, §7)
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

SELECT * FROM migrate_status();
SELECT migrate_current();

SELECT migrate_register('0001_a', 'CREATE TABLE ta (a int);', 'DROP TABLE ta;', 'first');
SELECT migrate_register('0003_c', 'CREATE TABLE tc (c int);');
SELECT migrate_apply();
SELECT id, description, state, applied_by, duration IS NOT NULL AS timed, reversible
  FROM migrate_status();

-- a pending migration that sorts before the latest applied is out of order
SELECT migrate_register('0002_b', 'CREATE TABLE tb (b int);', 'DROP TABLE tb;');
SELECT migrate_register('0004_d', 'CREATE TABLE td (d int);', 'DROP TABLE td;');
SELECT id, state FROM migrate_status();
SELECT migrate_apply();
SELECT migrate_apply('0004_d');
SELECT count(*) AS applied FROM migrate.applied;
-- a rollback is not stopped by it
SELECT migrate_register('0003_c', 'CREATE TABLE tc (c int);', 'DROP TABLE tc;');
BEGIN;
SELECT migrate_rollback('0001_a', dry_run => true);
ROLLBACK;
-- migrate.allow_out_of_order lets it apply, in version order
SET migrate.allow_out_of_order = on;
SELECT migrate_apply();
RESET migrate.allow_out_of_order;
SELECT id, state FROM migrate_status();
SELECT id FROM migrate.history WHERE action = 'apply' ORDER BY seq;

-- an applied migration whose stored up script changed is modified
UPDATE migrate.migration SET up_sql = 'CREATE TABLE tb (b bigint);' WHERE id = '0002_b';
SELECT id, state FROM migrate_status();
SELECT migrate_apply();
SELECT migrate_rollback();
-- the same when only a checksum was changed
UPDATE migrate.migration SET up_sql = 'CREATE TABLE tb (b int);' WHERE id = '0002_b';
SELECT id, state FROM migrate_status() WHERE id = '0002_b';
UPDATE migrate.applied SET checksum = repeat('0', 64) WHERE id = '0003_c';
UPDATE migrate.applied SET checksum = repeat('0', 64) WHERE id = '0004_d';
SELECT id, state FROM migrate_status();
SELECT migrate_register('0005_e', 'SELECT 1');
SELECT migrate_apply();
UPDATE migrate.applied a SET checksum = m.checksum FROM migrate.migration m WHERE a.id = m.id;

-- an applied migration whose registration is gone is missing
SET session_replication_role = replica;
DELETE FROM migrate.migration WHERE id = '0003_c';
RESET session_replication_role;
SELECT id, state, reversible FROM migrate_status();
SELECT migrate_current();
SELECT migrate_apply();
SELECT migrate_rollback('-1');

DROP TABLE ta, tb, tc, td;
DROP EXTENSION migrate;
