--
-- migrate_register() and migrate_unregister() (SPEC §5)
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

-- a new migration is registered, with its checksum and a history row
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);',
  'DROP TABLE users;',
  'users table');
SELECT id, description, checksum = encode(sha256(convert_to(up_sql, 'UTF8')), 'hex') AS checksum_ok,
       data_loss_ok, registered_by
  FROM migrate.migration;
SELECT id, action, by, duration, checksum = (SELECT checksum FROM migrate.migration) AS checksum_ok
  FROM migrate.history ORDER BY seq;

-- registering it again unchanged writes nothing at all
BEGIN;
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);',
  'DROP TABLE users;',
  'users table');
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_xid_assigned;
COMMIT;
SELECT count(*) AS history_rows FROM migrate.history;

-- a pending migration can change anything: updated
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);',
  'DROP TABLE users;',
  'users table, email unique');
SELECT id, description, checksum = encode(sha256(convert_to(up_sql, 'UTF8')), 'hex') AS checksum_ok
  FROM migrate.migration;
SELECT id, action FROM migrate.history ORDER BY seq;
-- a NULL description or down script counts as a change too
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);');
SELECT down_sql IS NULL AS irreversible, description IS NULL AS no_description
  FROM migrate.migration;
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);',
  'DROP TABLE users;', 'users table', data_loss_ok => true);
SELECT data_loss_ok FROM migrate.migration;

-- NULL arguments
SELECT migrate_register(NULL, 'SELECT 1');
SELECT migrate_register('0002_x', NULL);
SELECT migrate_register('0002_x', 'SELECT 1', NULL, NULL, NULL);

-- bad ids
SELECT migrate_register('', 'SELECT 1');
SELECT migrate_register('has space', 'SELECT 1');
SELECT migrate_register(' 0002', 'SELECT 1');
SELECT migrate_register('it''s', 'SELECT 1');
SELECT migrate_register('0002_"quoted"', 'SELECT 1');
SELECT migrate_register('0002_ünïcode', 'SELECT 1');
SELECT migrate_register('0002;DROP TABLE users', 'SELECT 1');
SELECT migrate_register('_0002', 'SELECT 1');
SELECT migrate_register('-0002', 'SELECT 1');
SELECT migrate_register('.0002', 'SELECT 1');
SELECT migrate_register('head', 'SELECT 1');
SELECT migrate_register('base', 'SELECT 1');
SELECT migrate_register(repeat('a', 201), 'SELECT 1');
-- 200 characters is the longest id
SELECT migrate_register(repeat('a', 200), 'SELECT 1');
SELECT migrate_unregister(repeat('a', 200));

-- syntax errors name the migration, the script, the line and the column
SELECT migrate_register('0002_orders', 'CREATE TABLE orders (
  id bigint PRIMARY KEY,
  user_id bigint REFERENCES users
  amount numeric
);');
SELECT migrate_register('0002_orders', 'CREATE TABLE orders (id bigint);',
  'DROP TABLE orders;
DROP TABEL orders;');
-- psql meta-commands are not SQL
SELECT migrate_register('0002_orders', '\i orders.sql');
SELECT migrate_register('0002_orders', 'CREATE TABLE orders (id bigint);
\set x 1');

-- empty scripts are no-ops, not errors (SPEC §5): an empty up script is a
-- placeholder, an empty down script has nothing to undo; NULL, and only
-- NULL, makes a migration irreversible
BEGIN;
SELECT migrate_register('0002_empty', '');
SELECT migrate_register('0002_empty', '   ');
SELECT migrate_register('0002_empty', '-- nothing here
/* nor here */ ;;');
SELECT migrate_register('0002_empty', 'CREATE TABLE empty_down (id bigint);', '');
SELECT migrate_register('0002_none', 'SELECT 1;', NULL);
SELECT id, reversible FROM migrate_status() WHERE id IN ('0002_empty', '0002_none');
SELECT migrate_unregister('0002_none');
SELECT migrate_apply();
SELECT migrate_rollback('-1');
SELECT to_regclass('empty_down') AS still_there;
ROLLBACK;

-- every problem of a migration is reported at once, both scripts included
SELECT migrate_register('0002_x', 'CREATE INDEX CONCURRENTLY i ON t (a);
SELECT migrate_apply();
VACUUM t;', 'DROP TABEL t;');
SELECT migrate_register('0002_x', 'BEGIN;
CREATE TABLE t (a int);
COMMIT;');

-- statements that cannot run inside a migration's transaction
SELECT migrate_register('0002_x', 'BEGIN');
SELECT migrate_register('0002_x', 'START TRANSACTION');
SELECT migrate_register('0002_x', 'CREATE TABLE t (a int);
COMMIT;');
SELECT migrate_register('0002_x', 'SELECT 1', 'ROLLBACK');
SELECT migrate_register('0002_x', 'SAVEPOINT s');
SELECT migrate_register('0002_x', 'RELEASE SAVEPOINT s');
SELECT migrate_register('0002_x', 'ROLLBACK TO SAVEPOINT s');
SELECT migrate_register('0002_x', 'PREPARE TRANSACTION ''x''');
SELECT migrate_register('0002_x', 'COMMIT PREPARED ''x''');
SELECT migrate_register('0002_x', 'END');
SELECT migrate_register('0002_x', 'COPY users FROM STDIN');
SELECT migrate_register('0002_x', 'COPY users TO STDOUT');
SELECT migrate_register('0002_x', 'CREATE INDEX CONCURRENTLY ON users (email)');
SELECT migrate_register('0002_x', 'DROP INDEX CONCURRENTLY users_email_idx');
SELECT migrate_register('0002_x', 'REINDEX TABLE CONCURRENTLY users');
SELECT migrate_register('0002_x', 'REINDEX DATABASE regression');
SELECT migrate_register('0002_x', 'VACUUM users');
SELECT migrate_register('0002_x', 'CLUSTER');
SELECT migrate_register('0002_x', 'CREATE DATABASE x');
SELECT migrate_register('0002_x', 'DROP DATABASE x');
SELECT migrate_register('0002_x', 'ALTER DATABASE x SET TABLESPACE pg_default');
SELECT migrate_register('0002_x', 'CREATE TABLESPACE x LOCATION ''/tmp''');
SELECT migrate_register('0002_x', 'ALTER SYSTEM SET work_mem = ''1MB''');
SELECT migrate_register('0002_x', 'DISCARD ALL');
SELECT migrate_register('0002_x', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
SELECT migrate_register('0002_x', 'ALTER TABLE p DETACH PARTITION c CONCURRENTLY');
SELECT migrate_register('0002_x', 'CREATE SUBSCRIPTION s CONNECTION ''host=x'' PUBLICATION p');

-- calls of this extension's functions, where the parse tree shows them
SELECT migrate_register('0002_x', 'SELECT migrate_apply()');
SELECT migrate_register('0002_x', 'SELECT 1;
SELECT * FROM pg_catalog.migrate_status();');
SELECT migrate_register('0002_x', 'CREATE TABLE x AS SELECT migrate_current() AS c');
SELECT migrate_register('0002_x', 'INSERT INTO users VALUES (1, migrate_register(''a'', ''b''))');
SELECT migrate_register('0002_x', 'WITH r AS (SELECT migrate_rollback(''base'')) SELECT * FROM r');
SELECT migrate_register('0002_x', 'EXPLAIN ANALYZE SELECT migrate_unregister(''x'')');

-- none of those errors stored anything
SELECT count(*) AS migrations FROM migrate.migration;
SELECT count(*) AS history_rows FROM migrate.history;

-- statements that do run in a transaction are accepted
SELECT migrate_register('0002_ok',
  'ANALYZE users;
CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a;
CREATE UNIQUE INDEX ON mv (a);
REFRESH MATERIALIZED VIEW CONCURRENTLY mv;
SET LOCAL lock_timeout = ''1s'';
DO $$ BEGIN RAISE NOTICE ''hello''; END $$;
COPY users FROM ''/nonexistent/file'';',
  'DROP MATERIALIZED VIEW mv;');
SELECT migrate_unregister('0002_ok');

-- an applied migration is immutable, except its down script and description
SELECT migrate_apply();
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY);',
  'DROP TABLE users;', 'users table', data_loss_ok => true);
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);',
  'DROP TABLE users;', 'users table', data_loss_ok => false);
SELECT migrate_register('0001_users',
  'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);',
  'DROP TABLE IF EXISTS users;', 'the users', data_loss_ok => true);
SELECT description, down_sql FROM migrate.migration WHERE id = '0001_users';
SELECT left(id, 12) AS id, action FROM migrate.history ORDER BY seq;

-- unregister: pending only
SELECT migrate_register('0002_orders', 'CREATE TABLE orders (id bigint);');
SELECT migrate_unregister('0002_orders');
SELECT id FROM migrate.migration ORDER BY id;
SELECT id, action FROM migrate.history WHERE id = '0002_orders' ORDER BY seq;
SELECT migrate_unregister('0002_orders');
SELECT migrate_unregister('0001_users');
SELECT migrate_unregister(NULL);

DROP TABLE users;
DROP EXTENSION migrate;
