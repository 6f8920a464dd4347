--
-- migrate_rollback() (SPEC §7)
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

-- with nothing applied, base does nothing and answers 0
SELECT migrate_rollback('base');

SELECT migrate_register('0001_a', 'CREATE TABLE ta (a int);', 'DROP TABLE ta;');
SELECT migrate_register('0002_b', 'CREATE TABLE tb (b int);', 'DROP TABLE tb;');
SELECT migrate_register('0003_c', 'CREATE TABLE tc (c int);', 'DROP TABLE tc;');
SELECT migrate_register('0004_d', 'CREATE TABLE td (d int);', 'DROP TABLE td;');
SELECT migrate_register('0005_e', 'CREATE TABLE te (e int);', 'DROP TABLE te;');

-- target forms that are not valid
SELECT migrate_rollback(NULL);
SELECT migrate_rollback('-1', NULL);
SELECT migrate_rollback('');
SELECT migrate_rollback('-0');
SELECT migrate_rollback('-');
SELECT migrate_rollback('-x');
SELECT migrate_rollback('+1');
SELECT migrate_rollback('head');
SELECT migrate_rollback('-99999999999999999999');
-- well-formed targets that match nothing
SELECT migrate_rollback('-1');
SELECT migrate_rollback('0001_a');

SELECT migrate_apply();

SELECT migrate_rollback('0009_nosuch');
SELECT migrate_rollback('0005_e');
SELECT migrate_rollback('-6');

-- a dry run answers for real and keeps nothing
SELECT migrate_rollback('base', dry_run => true);
SELECT count(*) AS applied FROM migrate.applied;
SELECT to_regclass('ta') AS ta, to_regclass('te') AS te;
SELECT count(*) AS history_rows FROM migrate.history WHERE action = 'rollback';

-- the default rolls back the latest one
SELECT migrate_rollback();
SELECT id, state FROM migrate_status();
SELECT to_regclass('te') AS te;
-- -N rolls back the last N
SELECT migrate_rollback('-2');
SELECT id, state FROM migrate_status();
-- an id keeps that migration and rolls back every one after it
SELECT migrate_apply();
SELECT migrate_rollback('0002_b');
SELECT id, state FROM migrate_status();
SELECT to_regclass('tb') AS tb, to_regclass('tc') AS tc;
SELECT id, action, by, duration IS NOT NULL AS timed,
       checksum = (SELECT checksum FROM migrate.migration m WHERE m.id = h.id) AS checksum_ok
  FROM migrate.history h WHERE action = 'rollback' ORDER BY seq;

-- a migration without a down script stops a rollback that reaches it,
-- before anything runs
SELECT migrate_register('0003_c', 'CREATE TABLE tc (c int);');
SELECT migrate_register('0004_d', 'CREATE TABLE td (d int);');
SELECT migrate_apply();
SELECT id, reversible FROM migrate_status();
SELECT migrate_rollback('base');
SELECT migrate_rollback('0001_a');
SELECT count(*) AS applied FROM migrate.applied;
SELECT migrate_rollback('-1');
-- a down script can be added to an applied migration
SELECT migrate_register('0004_d', 'CREATE TABLE td (d int);', 'DROP TABLE td;');
SELECT migrate_rollback('0003_c');
SELECT migrate_current();

-- a failing down script aborts the whole call, keeping the SQLSTATE
SELECT migrate_register('0004_d', 'CREATE TABLE td (d int);',
  'DROP TABLE td;
DROP TABLE no_such_table;');
SELECT migrate_apply();
SELECT migrate_rollback('0003_c');
SELECT to_regclass('td') AS td, migrate_current();
-- 0005_e is rolled back first, then 0004_d fails: neither stays rolled back
DO $$
BEGIN
  PERFORM migrate_rollback('0003_c');
EXCEPTION WHEN undefined_table THEN
  RAISE WARNING 'caught %', SQLSTATE;
END $$;
SELECT migrate_current();

-- the rest goes back to base, which leaves nothing of them
SELECT migrate_register('0004_d', 'CREATE TABLE td (d int);', 'DROP TABLE td;');
SELECT migrate_register('0003_c', 'CREATE TABLE tc (c int);', 'DROP TABLE tc;');
SELECT migrate_rollback('base');
SELECT count(*) AS applied FROM migrate.applied;
SELECT migrate_current();
SELECT relname FROM pg_class WHERE relname IN ('ta', 'tb', 'tc', 'td', 'te');
SELECT migrate_rollback('base');

-- a rollback that ends at base compares the schema with the one before the
-- first migration was applied, and warns of what the down scripts left
-- (here a typo that IF EXISTS hides)
SELECT count(*) AS unregistered FROM (SELECT migrate_unregister(id) FROM migrate_status()) u;
SELECT migrate_register('0001_f', 'CREATE TABLE tf (f int);', 'DROP TABLE tf;');
SELECT migrate_register('0002_g', 'CREATE TABLE tg (g int); CREATE INDEX tg_g ON tg (g);',
  'DROP TABLE IF EXISTS tgg;');
SELECT migrate_apply();
SELECT migrate_rollback('base');
-- a rollback that does not end at base does not compare
DROP TABLE tg;
SELECT migrate_apply();
SELECT migrate_rollback('-1');
SELECT migrate_rollback('base', allow_data_loss => true);
DROP TABLE tg;

DROP EXTENSION migrate;
