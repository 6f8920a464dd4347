--
-- migrate_plan() (SPEC §8): one row per statement and relation, from the
-- server's parse tree, its lock levels and the live catalogs.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

-- existing tables with rows: 20,000 rows is "big" (over 10,000)
CREATE TABLE big (id int PRIMARY KEY, name varchar(20), price numeric(10,2),
                  qty bigint, note text, created timestamp);
INSERT INTO big SELECT g, 'n' || g, g, g, 'x', '2026-01-01' FROM generate_series(1, 20000) g;
CREATE TABLE small (id int PRIMARY KEY, big_id int);
INSERT INTO small VALUES (1, 1);
CREATE SCHEMA doomed;
CREATE TABLE doomed.t (a int);
INSERT INTO doomed.t VALUES (1);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM big;
CREATE UNIQUE INDEX mv_id ON mv (id);
CREATE INDEX big_name ON big (name);
ANALYZE big, small, doomed.t;

CREATE VIEW plan AS
  SELECT id, statement AS st, line, command, relation, lock_mode,
         rewrites AS rw, scans AS sc, destroys AS de, est_rows, risk
    FROM migrate_plan();

-- nothing pending: nothing to plan
SELECT * FROM plan;

SELECT migrate_register('0001_columns', $$
ALTER TABLE big ADD COLUMN c_const int DEFAULT 0;
ALTER TABLE big ADD COLUMN c_now timestamptz DEFAULT now();
ALTER TABLE big ADD COLUMN c_random float8 DEFAULT random();
ALTER TABLE big ADD COLUMN c_serial bigserial;
ALTER TABLE big ADD COLUMN c_ident int GENERATED ALWAYS AS IDENTITY;
ALTER TABLE big ADD COLUMN c_gen int GENERATED ALWAYS AS (id * 2) STORED;
ALTER TABLE big ADD COLUMN c_nn int NOT NULL;
ALTER TABLE big ADD COLUMN c_null int;
$$);
SELECT * FROM plan;

SELECT migrate_register('0002_types', $$
ALTER TABLE big ALTER COLUMN name TYPE varchar(30);
ALTER TABLE big ALTER COLUMN name TYPE text;
ALTER TABLE big ALTER COLUMN name TYPE varchar(10);
ALTER TABLE big ALTER COLUMN price TYPE numeric(12,2);
ALTER TABLE big ALTER COLUMN price TYPE numeric(10,0);
ALTER TABLE big ALTER COLUMN qty TYPE int;
ALTER TABLE big ALTER COLUMN id TYPE bigint;
ALTER TABLE big ALTER COLUMN created TYPE timestamptz;
$$);
SELECT * FROM plan WHERE id = '0002_types';

SELECT migrate_register('0003_constraints', $$
ALTER TABLE big ALTER COLUMN note SET NOT NULL;
ALTER TABLE big ADD CONSTRAINT price_positive CHECK (price > 0);
ALTER TABLE big ADD CONSTRAINT price_positive2 CHECK (price > 0) NOT VALID;
ALTER TABLE big VALIDATE CONSTRAINT price_positive2;
ALTER TABLE small ADD CONSTRAINT small_big FOREIGN KEY (big_id) REFERENCES big (id);
ALTER TABLE small ADD CONSTRAINT small_big2 FOREIGN KEY (big_id) REFERENCES big (id) NOT VALID;
ALTER TABLE small ADD UNIQUE (big_id);
CREATE UNIQUE INDEX small_big_idx ON small (big_id);
ALTER TABLE small ADD CONSTRAINT small_big_key UNIQUE USING INDEX small_big_idx;
$$);
SELECT * FROM plan WHERE id = '0003_constraints';

SELECT migrate_register('0004_indexes_and_tables', $$
CREATE INDEX big_price ON big (price);
DROP INDEX big_name;
REINDEX TABLE small;
ALTER TABLE big SET UNLOGGED;
ALTER TABLE big SET LOGGED;
ALTER TABLE big SET TABLESPACE pg_default;
CLUSTER big USING big_pkey;
REFRESH MATERIALIZED VIEW mv;
REFRESH MATERIALIZED VIEW CONCURRENTLY mv;
LOCK TABLE small IN SHARE MODE;
ALTER TABLE big RENAME TO huge;
ALTER TABLE small RENAME COLUMN big_id TO huge_id;
$$);
SELECT * FROM plan WHERE id = '0004_indexes_and_tables';

SELECT migrate_register('0005_destructive', $$
DELETE FROM small WHERE id = 1;
DELETE FROM small;
UPDATE big SET note = 'y' WHERE id = 1;
UPDATE big SET note = 'y';
TRUNCATE small;
TRUNCATE small CASCADE;
ALTER TABLE big DROP COLUMN note;
DROP TABLE small;
DROP TABLE IF EXISTS small CASCADE;
DROP SCHEMA doomed CASCADE;
$$);
SELECT * FROM plan WHERE id = '0005_destructive';

-- statements on relations created earlier carry no risk for existing traffic
SELECT migrate_register('0006_new', $$
CREATE TABLE fresh (a int);
ALTER TABLE fresh ADD COLUMN b float8 DEFAULT random();
CREATE INDEX ON fresh (a);
ALTER TABLE fresh ALTER COLUMN a SET NOT NULL;
DROP TABLE fresh;
CREATE TABLE later (a int);
$$);
SELECT migrate_register('0007_later', $$
ALTER TABLE later ADD COLUMN b int DEFAULT 1;
ANALYZE later;
SELECT 1;
GRANT SELECT ON big TO PUBLIC;
$$);
SELECT * FROM plan WHERE id IN ('0006_new', '0007_later');

-- the advice names the safer way
SELECT DISTINCT statement, advice FROM migrate_plan('0001_columns')
 WHERE id = '0001_columns' AND advice IS NOT NULL ORDER BY statement;
SELECT st, relation, advice FROM (SELECT statement AS st, * FROM migrate_plan()) p
 WHERE id IN ('0003_constraints', '0004_indexes_and_tables', '0005_destructive', '0006_new')
   AND advice IS NOT NULL ORDER BY id, st, relation;
SELECT statement, relation, advice FROM migrate_plan() WHERE id = '0007_later';

-- targets work as for migrate_apply(); bad ones fail the same way
SELECT count(*) FROM migrate_plan('+1');
SELECT DISTINCT id FROM migrate_plan('0002_types') ORDER BY id;
SELECT count(*) FROM migrate_plan('0099_nosuch');
SELECT count(*) FROM migrate_plan('+0');
SELECT count(*) FROM migrate_plan(NULL);
SELECT count(*) FROM migrate_plan('head', NULL);

-- the plan changes nothing, and takes no writer's lock
BEGIN;
SELECT count(*) > 0 AS planned FROM migrate_plan();
SELECT count(*) AS writer_locks FROM pg_locks WHERE relation = 'migrate.writer_lock'::regclass AND pid = pg_backend_pid();
SELECT pg_current_xact_id_if_assigned() IS NULL AS nothing_written;
COMMIT;

-- execute => true: the migrations run in a subtransaction that is rolled
-- back.  0001_columns adds a NOT NULL column without a default to a table
-- with rows, which the plan flagged above: running it shows the failure,
-- with the same context as an apply, and changes nothing
SELECT count(*) FROM migrate_plan(execute => true);
SELECT count(*) AS columns FROM information_schema.columns WHERE table_name = 'big';
SELECT id, state FROM migrate_status() WHERE state <> 'pending';
-- each row adds the locks really taken, the time, and where they disagree
-- with the prediction
SELECT migrate_unregister(id) FROM migrate_status();
SELECT migrate_register('0001_observed', $$
ALTER TABLE small ADD CONSTRAINT small_big FOREIGN KEY (big_id) REFERENCES big (id);
CREATE INDEX big_price ON big (price);
ALTER TABLE big ADD COLUMN c_const int DEFAULT 0;
COMMENT ON TABLE small IS 'predicted since 0.3';
UPDATE small SET big_id = 2;
CREATE TABLE fresh (a int);
$$);
SELECT id, statement AS st, relation, lock_mode, observed_locks, duration >= '0' AS timed, mismatch
  FROM migrate_plan(execute => true);
SELECT count(*) AS columns FROM information_schema.columns WHERE table_name = 'big';
SELECT to_regclass('fresh') AS fresh, to_regclass('big_price') AS big_price;
SELECT id, state FROM migrate_status();
SELECT count(*) AS history_rows FROM migrate.history WHERE action = 'apply';
-- executing needs what applying needs
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM migrate_plan(execute => true);
ROLLBACK;


-- locks 0.2 did not see: DROP TRIGGER, COMMENT, the tables a query or a
-- view reads; a self-referencing foreign key is one row; each row has the
-- statement's text
SELECT migrate_unregister(id) FROM migrate_status();
CREATE TRIGGER small_trg BEFORE UPDATE ON small FOR EACH ROW
  EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE TABLE tree (id int PRIMARY KEY, parent int);
SELECT migrate_register('0001_locks', $$DROP TRIGGER small_trg ON small;
COMMENT ON COLUMN big.price IS 'in cents';
CREATE VIEW priced AS SELECT b.id, s.big_id FROM big b JOIN small s ON s.big_id = b.id;
INSERT INTO small (id, big_id) SELECT id + 1000, id FROM big WHERE price > 10;
WITH recent AS (SELECT id FROM big) SELECT count(*) FROM recent;
ALTER TABLE tree ADD FOREIGN KEY (parent) REFERENCES tree;$$,
  'DROP VIEW priced; ALTER TABLE tree DROP CONSTRAINT tree_parent_fkey;');
SELECT statement AS st, command, relation, lock_mode, risk, sql FROM migrate_plan() ORDER BY st, relation;
SELECT statement AS st, relation, lock_mode, observed_locks, mismatch FROM migrate_plan(execute => true)
 ORDER BY st, relation;

-- what destroys data, whatever the statement's form: a constant condition,
-- DELETE in a WITH query, MERGE deleting every match, a type change whose
-- USING does not read the column, DROP ... CASCADE of a type
SELECT migrate_unregister(id) FROM migrate_status();
CREATE TYPE mood AS ENUM ('ok', 'meh');
SELECT migrate_register('0001_forms', $$DELETE FROM small WHERE true;
WITH gone AS (DELETE FROM big RETURNING id) SELECT count(*) FROM gone;
MERGE INTO small s USING big b ON true WHEN MATCHED THEN DELETE;
UPDATE big SET price = 0 WHERE 1 = 1;
ALTER TABLE big ALTER COLUMN price TYPE numeric USING NULL;
DROP TYPE mood CASCADE;
DELETE FROM small WHERE big_id = 1;$$);
SELECT statement AS st, command, relation, destroys, risk FROM migrate_plan() ORDER BY st, relation;

-- rollback => true: the down scripts a rollback would run, in its order
SELECT migrate_unregister(id) FROM migrate_status();
SELECT migrate_register('0001_tree_fk', 'ALTER TABLE tree ADD FOREIGN KEY (parent) REFERENCES tree;',
  'ALTER TABLE tree DROP CONSTRAINT tree_parent_fkey;');
SELECT migrate_register('0002_memo', 'ALTER TABLE big ADD COLUMN memo text;',
  'ALTER TABLE big DROP COLUMN memo;');
SELECT migrate_register('0003_gone', 'CREATE TABLE gone_soon (id int);', NULL);
SELECT migrate_apply('0002_memo');
SELECT id, statement AS st, command, relation, lock_mode, destroys, sql
  FROM migrate_plan('base', rollback => true);
SELECT id, statement AS st, relation, observed_locks
  FROM migrate_plan('-1', execute => true, rollback => true);
SELECT count(*) AS columns FROM information_schema.columns WHERE table_name = 'big' AND column_name = 'memo';
SELECT migrate_apply();
-- refused as the rollback would be
SELECT count(*) FROM migrate_plan('base', rollback => true);

DROP VIEW plan;
DROP MATERIALIZED VIEW mv;
DROP TABLE big, small, tree, gone_soon;
DROP TYPE mood;
DROP SCHEMA doomed CASCADE;
DROP EXTENSION migrate;
