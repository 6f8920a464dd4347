--
-- The data-loss guard's rules (SPEC §8), one case each, with data at stake
-- and without.  Every case runs in a transaction that is rolled back, so
-- each starts from the same tables.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE TABLE t (id int PRIMARY KEY, a int, b text DEFAULT 'x', c int);
INSERT INTO t VALUES (1, 10, 'x', NULL), (2, 20, 'x', NULL);
CREATE TABLE kids (id int PRIMARY KEY, t_id int REFERENCES t);
INSERT INTO kids VALUES (1, 1);
CREATE TABLE nothing_kept (id int);
SELECT migrate_accept_drift() > 0 AS accepted;

--
-- 1. What is data: rows and values that existed before the call
--
-- rows the call inserted, updated and dropped are its own
BEGIN;
SELECT migrate_register('0001', 'CREATE TABLE seed (id int, v int);
INSERT INTO seed VALUES (1, 0), (2, 0);
UPDATE seed SET v = 1;
UPDATE seed SET v = 2 WHERE id = 1;
DROP TABLE seed;');
SELECT migrate_apply();
ROLLBACK;
-- also across the migrations of one call: seed rows of one, removed by another
BEGIN;
SELECT migrate_register('0001', 'CREATE TABLE seed (id int, v int);
INSERT INTO seed VALUES (1, 0);');
SELECT migrate_register('0002', 'UPDATE seed SET v = 1;
DELETE FROM seed;
DROP TABLE seed;');
SELECT migrate_apply();
ROLLBACK;
-- but a row that was there before stays at stake once the call updated it
BEGIN;
SELECT migrate_register('0001', 'UPDATE t SET a = a + 1 WHERE id = 1;
DROP TABLE kids;
DROP TABLE t;');
SELECT migrate_apply();
ROLLBACK;
-- a backfill of a column the same migration added overwrites nothing
BEGIN;
SELECT migrate_register('0001', 'ALTER TABLE t ADD COLUMN d int;
UPDATE t SET d = a * 2;');
SELECT migrate_apply();
ROLLBACK;
-- a column whose every value is NULL or its constant default holds nothing
-- that adding it again would not give back
BEGIN;
SELECT migrate_register('0001', 'ALTER TABLE t DROP COLUMN b, DROP COLUMN c;');
SELECT migrate_apply();
ROLLBACK;
BEGIN;
UPDATE t SET b = 'y' WHERE id = 2;
SELECT migrate_register('0001', 'ALTER TABLE t DROP COLUMN b;');
SELECT migrate_apply();
ROLLBACK;
-- a composite value with a NULL field is a value (col IS NOT NULL is false
-- for it, which is how 0.2 missed it)
BEGIN;
CREATE TYPE pair AS (x int, y int);
ALTER TABLE t ADD COLUMN p pair;
UPDATE t SET p = ROW(1, NULL) WHERE id = 1;
SELECT (p IS NOT NULL) AS "p IS NOT NULL" FROM t WHERE id = 1;
SELECT migrate_register('0001', 'ALTER TABLE t DROP COLUMN p;');
SELECT migrate_apply();
ROLLBACK;
-- the state of a sequence that was used
BEGIN;
CREATE SEQUENCE used_seq;
CREATE SEQUENCE unused_seq;
SELECT nextval('used_seq');
SELECT migrate_register('0001', 'DROP SEQUENCE unused_seq;');
SELECT migrate_register('0002', 'DROP SEQUENCE used_seq;');
SELECT migrate_apply();
ROLLBACK;

--
-- 2. What destroys it: whatever the server removes
--
-- TRUNCATE ... CASCADE empties the tables that reference it too
BEGIN;
SELECT migrate_register('0001', 'TRUNCATE t CASCADE;');
SELECT migrate_apply();
ROLLBACK;
-- DROP TABLE ... CASCADE takes a materialized view over it
BEGIN;
CREATE MATERIALIZED VIEW t_mv AS SELECT id FROM nothing_kept UNION ALL SELECT id FROM t;
SELECT migrate_register('0001', 'DROP TABLE nothing_kept CASCADE;');
SELECT migrate_apply();
ROLLBACK;
-- DROP TYPE, DOMAIN, COLLATION ... CASCADE take the columns that use them
BEGIN;
CREATE TYPE mood AS ENUM ('ok', 'meh');
CREATE DOMAIN score AS int CHECK (VALUE >= 0);
CREATE COLLATION sv (provider = libc, locale = 'C');
ALTER TABLE t ADD COLUMN m mood, ADD COLUMN s score, ADD COLUMN n text COLLATE sv;
UPDATE t SET m = 'ok', s = 1, n = 'name' WHERE id = 1;
SELECT migrate_register('0001', 'DROP TYPE mood CASCADE;
DROP DOMAIN score CASCADE;
DROP COLLATION sv CASCADE;');
SELECT migrate_apply();
ROLLBACK;
-- and nothing when no value is at stake
BEGIN;
CREATE TYPE mood AS ENUM ('ok', 'meh');
ALTER TABLE t ADD COLUMN m mood;
SELECT migrate_register('0001', 'DROP TYPE mood CASCADE;');
SELECT migrate_apply();
ROLLBACK;
-- DROP FUNCTION ... CASCADE takes a generated column computed with it;
-- DROP COLUMN ... CASCADE the generated columns that read it
BEGIN;
CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
ALTER TABLE t ADD COLUMN a2 int GENERATED ALWAYS AS (twice(a)) STORED;
SELECT migrate_register('0001', 'DROP FUNCTION twice(int) CASCADE;');
SELECT migrate_apply();
ROLLBACK;
BEGIN;
ALTER TABLE t ADD COLUMN a3 int GENERATED ALWAYS AS (a * 3) STORED;
SELECT migrate_register('0001', 'ALTER TABLE t DROP COLUMN a CASCADE;');
SELECT migrate_apply();
ROLLBACK;
-- DROP SCHEMA ... CASCADE takes partitions in other schemas
BEGIN;
CREATE SCHEMA doomed;
CREATE SCHEMA elsewhere;
CREATE TABLE doomed.events (at date) PARTITION BY RANGE (at);
CREATE TABLE elsewhere.events_2026 PARTITION OF doomed.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO doomed.events VALUES ('2026-06-01');
SELECT migrate_register('0001', 'DROP SCHEMA doomed CASCADE;');
SELECT migrate_apply();
ROLLBACK;
-- DROP OWNED takes every table of the role
BEGIN;
CREATE ROLE regress_migrate_owner;
CREATE TABLE owned (id int);
INSERT INTO owned VALUES (1);
ALTER TABLE owned OWNER TO regress_migrate_owner;
SELECT migrate_register('0001', 'DROP OWNED BY regress_migrate_owner;');
SELECT migrate_apply();
ROLLBACK;
-- DELETE and UPDATE whose condition is the same for every row, also in a
-- WITH query, and MERGE whose join matches every row; an UPDATE overwrites
-- values, whatever they are (here the column's default)
BEGIN;
SELECT migrate_register('0001', 'DELETE FROM kids WHERE true;');
SELECT migrate_apply();
ROLLBACK;
BEGIN;
SELECT migrate_register('0001', 'WITH gone AS (DELETE FROM kids RETURNING id) SELECT count(*) FROM gone;');
SELECT migrate_apply();
ROLLBACK;
BEGIN;
SELECT migrate_register('0001', 'MERGE INTO kids k USING (SELECT 1 AS x) s ON true WHEN MATCHED THEN DELETE;');
SELECT migrate_apply();
ROLLBACK;
BEGIN;
SELECT migrate_register('0001', 'UPDATE t SET b = NULL WHERE 1 = 1;');
SELECT migrate_apply();
ROLLBACK;
-- a condition on the rows is not looked at: the guard cannot know
BEGIN;
SELECT migrate_register('0001', 'DELETE FROM kids WHERE id = 1;
UPDATE t SET a = 0 WHERE id = 2;');
SELECT migrate_apply();
ROLLBACK;
-- DROP MATERIALIZED VIEW: its rows; none if it was never populated
BEGIN;
CREATE MATERIALIZED VIEW full_mv AS SELECT id FROM t;
CREATE MATERIALIZED VIEW empty_mv AS SELECT id FROM t WITH NO DATA;
SELECT migrate_register('0001', 'DROP MATERIALIZED VIEW empty_mv;');
SELECT migrate_register('0002', 'DROP MATERIALIZED VIEW full_mv;');
SELECT migrate_apply();
ROLLBACK;
-- a type change whose USING does not read the column, or that narrows
BEGIN;
SELECT migrate_register('0001', 'ALTER TABLE t ALTER COLUMN a TYPE bigint;');
SELECT migrate_register('0002', 'ALTER TABLE t ALTER COLUMN a TYPE numeric USING NULL;');
SELECT migrate_register('0003', 'ALTER TABLE t ALTER COLUMN b TYPE varchar(1);');
SELECT migrate_apply();
ROLLBACK;
-- a target that does not exist (IF EXISTS) destroys nothing, and never
-- fails because of the guard (0.2 failed with 42703 on the first)
BEGIN;
SELECT migrate_register('0001', 'ALTER TABLE t DROP COLUMN IF EXISTS nosuch;
DROP TABLE IF EXISTS nosuch_table;
ALTER TABLE IF EXISTS nosuch_table DROP COLUMN a;
DROP SCHEMA IF EXISTS nosuch_schema CASCADE;');
SELECT migrate_apply();
ROLLBACK;

--
-- 3. How it looks: with the server's own scans, after the statement's lock,
-- running nobody's code; row-level security hides nothing from it
--
CREATE FUNCTION explode() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the guard ran a policy';
END $$;
CREATE ROLE regress_migrate_rls;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_apply(text, boolean, boolean) TO regress_migrate_rls;
CREATE TABLE guarded (id int, secret text);
INSERT INTO guarded VALUES (1, 's'), (2, 't');
ALTER TABLE guarded OWNER TO regress_migrate_rls;
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
ALTER TABLE guarded FORCE ROW LEVEL SECURITY;
CREATE POLICY hide ON guarded USING (explode());
-- the table's owner, under its own forced policy, applies a migration that
-- drops the table: 0.2 counted through the policy (which here raises)
SET ROLE regress_migrate_rls;
BEGIN;
SELECT migrate_register('0001', 'ALTER TABLE guarded DROP COLUMN secret;
DROP TABLE guarded;');
SELECT migrate_apply();
ROLLBACK;
RESET ROLE;
DROP TABLE guarded;
DROP FUNCTION explode();
REVOKE ALL ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_apply(text, boolean, boolean) FROM regress_migrate_rls;
DROP ROLE regress_migrate_rls;

--
-- 4. How it reports: one refusal lists every statement of every migration
-- of the call, as the database stands; the refusal keeps nothing
--
BEGIN;
SELECT migrate_register('0001', 'ALTER TABLE t DROP COLUMN a;
CREATE TABLE fine (id int);');
SELECT migrate_register('0002', 'DELETE FROM kids;');
SELECT migrate_register('0003', 'DROP TABLE t CASCADE;');
SELECT migrate_apply();
ROLLBACK;
SELECT count(*) AS t_rows, (SELECT count(*) FROM kids) AS kids_rows,
       to_regclass('fine') AS fine FROM t;
SELECT count(*) AS migrations FROM migrate.migration;

DROP TABLE kids, t, nothing_kept;
DROP EXTENSION migrate;
