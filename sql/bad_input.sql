--
-- Bad input (issue 3): each case shows the exact error and that nothing
-- changed.  NULL arguments, malformed ids and targets, psql meta-commands,
-- COPY FROM STDIN and the common transaction-control forms are in the
-- register, apply and rollback tests.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
-- the catalog's state, shown before and after each failure (a psql
-- variable, not a view: a view would depend on the extension)
\set state 'SELECT (SELECT count(*) FROM migrate.migration) AS migrations, (SELECT count(*) FROM migrate.applied) AS applied, (SELECT count(*) FROM migrate.history) AS history, (SELECT string_agg(id, \',\' ORDER BY id) FROM migrate.applied) AS applied_ids'


-- a 10 MB script (one statement)
CREATE TABLE blobs (b text);
SELECT migrate_accept_drift() AS made_by_hand;
SELECT migrate_register('0001_big', 'INSERT INTO blobs VALUES (''' || repeat('x', 10 * 1024 * 1024) || ''');',
  'DELETE FROM blobs;');
SELECT octet_length(up_sql) AS bytes,
       checksum = encode(sha256(convert_to(up_sql, 'UTF8')), 'hex') AS checksum_ok
  FROM migrate.migration WHERE id = '0001_big';
SELECT migrate_register('0001_big', 'INSERT INTO blobs VALUES (''' || repeat('x', 10 * 1024 * 1024) || ''');',
  'DELETE FROM blobs;');
SELECT migrate_apply();
SELECT octet_length(b) FROM blobs;

-- a script of 50,000 statements
CREATE TABLE many (i int);
SELECT migrate_accept_drift() AS made_by_hand;
SELECT migrate_register('0002_many',
  (SELECT string_agg(format('INSERT INTO many VALUES (%s);', i), E'\n') FROM generate_series(1, 50000) i),
  'DELETE FROM many;');
SELECT migrate_apply();
SELECT count(*), min(i), max(i) FROM many;
-- an error in the last of them is placed at its statement and line
SELECT migrate_register('0003_many_fail',
  (SELECT string_agg(format('INSERT INTO many VALUES (%s);', i), E'\n') FROM generate_series(1, 50000) i)
  || E'\nINSERT INTO many VALUES (1 / 0);');
:state;
SELECT migrate_apply();
:state;
SELECT count(*) FROM many;
SELECT migrate_unregister('0003_many_fail');

-- more forms of transaction control, refused at registration
:state;
SELECT migrate_register('0004_x', 'ABORT');
SELECT migrate_register('0004_x', 'COMMIT AND CHAIN');
SELECT migrate_register('0004_x', 'ROLLBACK AND CHAIN');
SELECT migrate_register('0004_x', 'BEGIN ISOLATION LEVEL SERIALIZABLE');
SELECT migrate_register('0004_x', 'START TRANSACTION READ ONLY');
SELECT migrate_register('0004_x', 'ROLLBACK PREPARED ''x''');
SELECT migrate_register('0004_x', 'SET TRANSACTION SNAPSHOT ''00000003-0000001B-1''');
-- and where only running shows it: COMMIT in a DO block or a procedure
CREATE PROCEDURE commits() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;
SELECT migrate_accept_drift() AS made_by_hand;
SELECT migrate_register('0004_x', 'CREATE TABLE tx_t4 (a int);
DO $$ BEGIN COMMIT; END $$;');
:state;
SELECT migrate_apply();
:state;
SELECT migrate_register('0004_x', 'CREATE TABLE tx_t4 (a int);
CALL commits();');
SELECT migrate_apply();
SELECT migrate_unregister('0004_x');
SELECT to_regclass('tx_t4') AS tx_t4;
:state;

-- a migration that drops the extension or its schema
SELECT migrate_register('0005_x', 'DROP EXTENSION migrate');
SELECT migrate_register('0005_x', 'DROP EXTENSION IF EXISTS plpgsql, migrate CASCADE');
SELECT migrate_register('0005_x', 'DROP SCHEMA migrate CASCADE');
SELECT migrate_register('0005_x', 'ALTER EXTENSION migrate UPDATE');
:state;
-- hidden where registration cannot see it, it fails when it runs
SELECT migrate_register('0005_x', 'CREATE TABLE drop_t5 (a int);
DO $$ BEGIN EXECUTE ''DROP EXTENSION migrate''; END $$;');
:state;
SELECT migrate_apply();
:state;
SELECT extname FROM pg_extension WHERE extname = 'migrate';
SELECT migrate_register('0005_x', 'DO $$ BEGIN EXECUTE ''DROP SCHEMA migrate CASCADE''; END $$;');
SELECT migrate_apply();
SELECT migrate_unregister('0005_x');
SELECT to_regclass('drop_t5') AS drop_t5;
:state;

-- a migration that revokes the caller's own rights
CREATE ROLE regress_migrate_deployer;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_unregister(text), migrate_apply(text, boolean, boolean),
  migrate_status() TO regress_migrate_deployer;
CREATE SCHEMA app AUTHORIZATION regress_migrate_deployer;
SELECT migrate_accept_drift() AS made_by_hand;
SET ROLE regress_migrate_deployer;
-- it needs them afterwards: the statement that needs them fails, nothing is kept
SELECT migrate_register('0006_revoke', 'REVOKE CREATE ON SCHEMA app FROM regress_migrate_deployer;
CREATE TABLE app.t6 (a int);');
SELECT id, state FROM migrate_status() WHERE id = '0006_revoke';
SELECT migrate_apply();
SELECT id, state FROM migrate_status() WHERE id = '0006_revoke';
SELECT migrate_unregister('0006_revoke');
-- it does not: the migration is still recorded, the catalog needs none of them
SELECT migrate_register('0006_revoke', 'CREATE TABLE app.t6 (a int);
REVOKE USAGE, CREATE ON SCHEMA app FROM regress_migrate_deployer;');
SELECT migrate_apply();
SELECT id, state, applied_by FROM migrate_status() WHERE id = '0006_revoke';
RESET ROLE;
SELECT has_schema_privilege('regress_migrate_deployer', 'app', 'CREATE') AS can_create;

-- statements that disagree with the database encoding (UTF8)
:state;
SELECT migrate_register('0007_enc', 'CREATE TABLE enc_t7 (a text);
INSERT INTO enc_t7 VALUES (E''caf\xe9'');');
SELECT migrate_register('0007_enc', 'SELECT U&''\D800''');
SELECT migrate_register('0007_enc', 'CREATE TABLE enc_t7 (a text);
INSERT INTO enc_t7 VALUES (convert_from(''\xe9''::bytea, ''UTF8''));');
:state;
SELECT migrate_apply();
:state;
SELECT migrate_unregister('0007_enc');
SELECT to_regclass('enc_t7') AS enc_t7;
:state;

DROP SCHEMA app CASCADE;
DROP TABLE blobs, many;
DROP PROCEDURE commits();
DROP EXTENSION migrate;
DROP ROLE regress_migrate_deployer;
