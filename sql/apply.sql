--
-- migrate_apply() (SPEC §6)
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO users VALUES (1, ''ann@example.com'');',
  'DROP TABLE users;', 'users');
SELECT migrate_register('0002_orders',
  'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);',
  'DROP TABLE orders;', 'orders');
SELECT migrate_register('0003_orders_idx',
  'CREATE INDEX orders_user_idx ON orders (user_id);',
  'DROP INDEX orders_user_idx;');
SELECT migrate_register('0004_users_name',
  'ALTER TABLE users ADD COLUMN name text;',
  'ALTER TABLE users DROP COLUMN name;');

-- target forms that are not valid
SELECT migrate_apply(NULL);
SELECT migrate_apply('head', NULL);
SELECT migrate_apply('head', false, NULL);
SELECT migrate_apply('');
SELECT migrate_apply('+0');
SELECT migrate_apply('+');
SELECT migrate_apply('+x');
SELECT migrate_apply('+1x');
SELECT migrate_apply('-1');
SELECT migrate_apply('+99999999999999999999');
SELECT migrate_apply('+2147483648');
SELECT migrate_apply('base');
SELECT migrate_apply('HEAD ');
SELECT migrate_apply('0001_users; DROP TABLE x');
-- well-formed targets that match nothing
SELECT migrate_apply('0009_nosuch');
SELECT migrate_apply('+5');

-- a dry run answers for real and keeps nothing, history included
SELECT migrate_apply('head', dry_run => true);
SELECT to_regclass('users') AS users, to_regclass('orders') AS orders;
SELECT count(*) AS applied FROM migrate.applied;
SELECT count(*) AS history_rows FROM migrate.history WHERE action = 'apply';

-- +N applies the next N pending migrations
SELECT migrate_apply('+1');
SELECT id, state FROM migrate_status();
-- an id applies every pending migration up to and including it
SELECT migrate_apply('0003_orders_idx');
SELECT id, state FROM migrate_status();
SELECT migrate_apply('0003_orders_idx');
SELECT migrate_apply('0001_users');
-- head applies the rest; with nothing pending it answers 0
SELECT migrate_apply();
SELECT migrate_apply('head');
SELECT migrate_current();

-- what was recorded
SELECT a.id, a.checksum = m.checksum AS checksum_ok, a.applied_by,
       a.duration > '0'::interval AS timed, a.applied_at <= now() + '1 min' AS at_ok
  FROM migrate.applied a JOIN migrate.migration m USING (id) ORDER BY a.id;
SELECT id, action, by, duration IS NOT NULL AS timed
  FROM migrate.history WHERE action = 'apply' ORDER BY seq;
-- three calls, each in its own transaction
SELECT count(DISTINCT txid) AS transactions FROM migrate.history WHERE action = 'apply';
-- the schema is there, and the data the migration inserted
\d orders
SELECT * FROM users;

-- a failing statement aborts the whole call: nothing of it stays applied
SELECT migrate_register('0005_a', 'CREATE TABLE t5 (a int);', 'DROP TABLE t5;');
SELECT migrate_register('0006_b', 'CREATE TABLE t6 (a int);
INSERT INTO t6 VALUES (1);

INSERT INTO t6
  VALUES (1 / 0);', 'DROP TABLE t6;');
SELECT migrate_apply();
SELECT to_regclass('t5') AS t5, to_regclass('t6') AS t6;
SELECT id, state FROM migrate_status() WHERE state <> 'applied';
SELECT count(*) AS history_rows FROM migrate.history WHERE id IN ('0005_a', '0006_b') AND action = 'apply';

-- the original SQLSTATE is kept; a caller that catches the error can go on
DO $$
BEGIN
  PERFORM migrate_apply();
EXCEPTION WHEN division_by_zero THEN
  RAISE WARNING 'caught %', SQLSTATE;
END $$;
SELECT migrate_apply('+1');
SELECT to_regclass('t5') AS t5;
-- the same in a dry run
DO $$
BEGIN
  PERFORM migrate_apply(dry_run => true);
EXCEPTION WHEN division_by_zero THEN
  RAISE WARNING 'caught %', SQLSTATE;
END $$;
SELECT id, state FROM migrate_status() WHERE state <> 'applied';
SELECT migrate_register('0006_b', 'CREATE TABLE t6 (a int);', 'DROP TABLE t6;');

-- errors in statements placed at the line of the statement
SELECT migrate_register('0007_c', '
-- a comment first

CREATE TABLE t7 (a int);
/* then a block comment */ INSERT INTO t7 VALUES (nosuchcolumn);
', 'DROP TABLE t7;');
SELECT migrate_apply();
SELECT migrate_register('0007_c', 'CREATE TABLE t7 (a int);', 'DROP TABLE t7;');

-- statements see the work of the ones before; query results are discarded
SELECT migrate_register('0008_d',
  'CREATE TABLE t8 AS SELECT g FROM generate_series(1, 1000) g;
SELECT * FROM t8;
UPDATE t8 SET g = -g WHERE g <= (SELECT count(*) FROM t8) / 2;',
  'DROP TABLE t8;');

-- GUC changes a script makes end with the migration
CREATE SCHEMA elsewhere;
CREATE ROLE regress_migrate_other;
GRANT CREATE, USAGE ON SCHEMA elsewhere TO regress_migrate_other;
SELECT migrate_accept_drift() AS made_by_hand;
SELECT migrate_register('0009_gucs',
  'SET search_path = elsewhere;
SET work_mem = ''1234kB'';
SET LOCAL statement_timeout = ''42s'';
SELECT set_config(''application_name'', ''changed'', false);
CREATE TABLE in_elsewhere (a int);
SET ROLE regress_migrate_other;
CREATE TABLE t9 AS SELECT current_user AS who, current_setting(''work_mem'') AS wm;',
  'DROP TABLE elsewhere.in_elsewhere, elsewhere.t9;');
SET application_name = 'apply_test';
SELECT migrate_apply();
SELECT current_user, current_setting('search_path') AS search_path,
       current_setting('work_mem') AS work_mem,
       current_setting('statement_timeout') AS statement_timeout,
       current_setting('application_name') AS application_name;
SELECT * FROM elsewhere.t9;
SELECT count(*) AS t8_negative FROM t8 WHERE g < 0;

-- pg_stat_activity shows the migration running
SELECT migrate_register('0010_activity',
  'CREATE TABLE seen AS SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid();',
  'DROP TABLE seen;');
SELECT migrate_apply();
SELECT query FROM seen;
SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid();

-- calls of this extension hidden from the parse tree are refused when they run
SELECT migrate_register('0011_nested',
  'DO $$ BEGIN PERFORM migrate_current(); END $$;');
SELECT migrate_apply();
SELECT migrate_unregister('0011_nested');
SELECT migrate_current();

-- an apply in a transaction that rolls back leaves nothing
SELECT migrate_register('0012_e', 'CREATE TABLE t12 (a int);', 'DROP TABLE t12;');
BEGIN;
SELECT migrate_apply();
SELECT to_regclass('t12') AS t12;
ROLLBACK;
SELECT to_regclass('t12') AS t12, migrate_current();

-- writers need READ COMMITTED and a read-write transaction
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT migrate_apply();
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT migrate_register('0013_f', 'SELECT 1');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT migrate_rollback();
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT migrate_unregister('0012_e');
ROLLBACK;
BEGIN READ ONLY;
SELECT migrate_apply();
ROLLBACK;
-- readers work under any isolation level, and read-only
BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY;
SELECT count(*) FROM migrate_status();
SELECT migrate_current();
COMMIT;

-- the writers' lock is held to the end of the transaction, and visible
BEGIN;
SELECT migrate_apply();
SELECT locktype, relation::regclass, mode, granted
  FROM pg_locks WHERE relation = 'migrate.writer_lock'::regclass AND pid = pg_backend_pid();
COMMIT;
SELECT count(*) AS writer_locks FROM pg_locks WHERE relation = 'migrate.writer_lock'::regclass;
-- and no advisory lock, the writers' lock of 0.2 that any role can take
SELECT count(*) AS advisory_locks FROM pg_locks WHERE locktype = 'advisory';

DROP TABLE t12, seen, t8, t7, t6, t5, orders, users;
DROP SCHEMA elsewhere CASCADE;
DROP ROLE regress_migrate_other;
DROP EXTENSION migrate;
