--
-- The data-loss guard (SPEC §8): migrate_apply() and migrate_rollback()
-- refuse a statement that would destroy existing data, looked at on the live
-- table just before the statement runs, unless the migration was registered
-- with data_loss_ok => true or the call passes allow_data_loss => true.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
\set state 'SELECT (SELECT string_agg(id, \',\' ORDER BY id) FROM migrate.applied) AS applied, (SELECT count(*) FROM migrate.history WHERE action IN (\'apply\', \'rollback\')) AS runs'

CREATE TABLE customers (id int PRIMARY KEY, name varchar(20), notes text);
INSERT INTO customers VALUES (1, 'ann', 'vip'), (2, 'bob', NULL), (3, 'cy', NULL);
CREATE TABLE empty_t (a int);
CREATE SCHEMA old;
CREATE TABLE old.log (a int);
INSERT INTO old.log VALUES (1), (2);
CREATE SCHEMA unused;
CREATE TABLE unused.nothing (a int);
SELECT migrate_accept_drift() AS made_by_hand;

-- each destructive statement on a table with data is refused, nothing runs
SELECT migrate_register('0001_drop_table', 'CREATE TABLE side (a int); DROP TABLE customers;');
:state;
SELECT migrate_apply();
:state;
SELECT to_regclass('side') AS side, (SELECT count(*) FROM customers) AS customers;
SELECT migrate_apply(dry_run => true);
SELECT migrate_unregister('0001_drop_table');

SELECT migrate_register('0002_x', 'ALTER TABLE customers DROP COLUMN notes;');
SELECT migrate_apply();
SELECT migrate_register('0002_x', 'TRUNCATE customers;');
SELECT migrate_apply();
SELECT migrate_register('0002_x', 'DELETE FROM customers;');
SELECT migrate_apply();
SELECT migrate_register('0002_x', 'UPDATE customers SET notes = NULL;');
SELECT migrate_apply();
SELECT migrate_register('0002_x', 'ALTER TABLE customers ALTER COLUMN name TYPE varchar(2);');
SELECT migrate_apply();
SELECT migrate_register('0002_x', 'DROP SCHEMA old CASCADE;');
SELECT migrate_apply();
:state;

-- no data, no loss: empty tables, NULL-only columns, DELETE and UPDATE with WHERE
SELECT migrate_register('0002_x', 'DROP TABLE empty_t;
ALTER TABLE customers ADD COLUMN unused int;
ALTER TABLE customers DROP COLUMN unused;
DELETE FROM customers WHERE id = 3;
UPDATE customers SET notes = ''regular'' WHERE notes IS NULL;
DROP SCHEMA unused CASCADE;',
  'CREATE TABLE empty_t (a int); CREATE SCHEMA unused; CREATE TABLE unused.nothing (a int);');
SELECT migrate_apply();
SELECT id, name, notes FROM customers ORDER BY id;

-- the look is at the live table, as the server drops it: rows the call
-- itself inserted are its own, rows that were there before are at stake
SELECT migrate_register('0003_live', 'CREATE TABLE scratch (a int);
INSERT INTO scratch VALUES (1);
DROP TABLE scratch;');
SELECT migrate_apply();
CREATE TABLE prefilled (a int);
INSERT INTO prefilled VALUES (1);
SELECT migrate_register('0003_live_2', 'INSERT INTO prefilled VALUES (2);
DROP TABLE prefilled;');
SELECT migrate_apply();
SELECT migrate_register('0003_live_2', 'INSERT INTO prefilled VALUES (2);
DELETE FROM prefilled WHERE a = 1;
DROP TABLE prefilled;');
SELECT migrate_apply();

-- the later destructive statements of the migration are named too
SELECT migrate_register('0004_two', 'TRUNCATE old.log;
ALTER TABLE customers DROP COLUMN notes;
DROP TABLE customers;');
SELECT migrate_apply();

-- allowed by the call ...
BEGIN;
SELECT migrate_apply(allow_data_loss => true);
SELECT to_regclass('customers') AS customers, (SELECT count(*) FROM old.log) AS log_rows;
ROLLBACK;
-- ... or by the migration's author
SELECT migrate_register('0004_two', 'TRUNCATE old.log;
ALTER TABLE customers DROP COLUMN notes;
DROP TABLE customers;', NULL, 'cleanup', data_loss_ok => true);
SELECT migrate_apply();
SELECT to_regclass('customers') AS customers, (SELECT count(*) FROM old.log) AS log_rows;

-- down scripts are guarded the same way; dropping what is empty is no loss
SELECT migrate_register('0005_down', 'CREATE TABLE kept (a int);', 'DROP TABLE kept;');
SELECT migrate_apply();
SELECT migrate_rollback();
SELECT migrate_apply();
INSERT INTO kept VALUES (1);
:state;
SELECT migrate_rollback();
:state;
SELECT migrate_rollback(dry_run => true, allow_data_loss => true);
SELECT migrate_rollback(allow_data_loss => true);
SELECT to_regclass('kept') AS kept;
SELECT migrate_rollback('-1', false, NULL);

-- the plan shows the same statements as destroying data
SELECT migrate_register('0006_planned', 'DROP TABLE old.log;');
SELECT id, statement, relation, destroys, risk FROM migrate_plan();
SELECT migrate_unregister('0006_planned');

DROP SCHEMA old CASCADE;
DROP TABLE IF EXISTS side;
DROP EXTENSION migrate;
