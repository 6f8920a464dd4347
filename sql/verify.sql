--
-- migrate_schema(), migrate_fingerprint() and migrate_verify() (SPEC §9)
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE ROLE regress_migrate_reader;

-- the schema described: one row per object, by name, definitions qualified
CREATE SCHEMA shop;
CREATE TABLE shop.items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                         name text NOT NULL COLLATE "C", price numeric(10,2) DEFAULT 0 CHECK (price >= 0),
                         doubled numeric GENERATED ALWAYS AS (price * 2) STORED);
CREATE UNIQUE INDEX items_name ON shop.items (name);
COMMENT ON COLUMN shop.items.name IS 'what it is called';
CREATE VIEW shop.cheap AS SELECT id, name FROM shop.items WHERE price < 10;
CREATE TYPE shop.size AS ENUM ('s', 'm', 'l');
CREATE DOMAIN shop.positive AS int NOT NULL CHECK (VALUE > 0);
CREATE FUNCTION shop.twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
CREATE TRIGGER items_noop BEFORE UPDATE ON shop.items FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
ALTER TABLE shop.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY cheap_only ON shop.items FOR SELECT TO regress_migrate_reader USING (price < 10);
COMMENT ON POLICY cheap_only ON shop.items IS 'readers see the cheap ones';
GRANT SELECT ON shop.items TO regress_migrate_reader;
SELECT kind, identity, definition FROM migrate_schema() WHERE identity LIKE 'shop%';
-- the extension's own objects are not part of it
SELECT count(*) AS own_objects FROM migrate_schema() WHERE identity LIKE 'migrate%' OR definition LIKE '%migrate.%';
-- the fingerprint changes with the schema and only with it
SELECT migrate_fingerprint() AS f1 \gset
SELECT migrate_fingerprint() = :'f1' AS same;
CREATE TABLE shop.extra (a int);
SELECT migrate_fingerprint() = :'f1' AS same;
DROP TABLE shop.extra;
SELECT migrate_fingerprint() = :'f1' AS same_again;
SELECT length(migrate_fingerprint()) AS hex_digits;

-- verify: up, down, compare, up again, all rolled back
SELECT migrate_register('0001_ok', 'CREATE TABLE a (id int PRIMARY KEY, n int DEFAULT 0 NOT NULL);', 'DROP TABLE a;');
SELECT migrate_register('0002_forgets_index', 'CREATE INDEX a_n ON a (n);', 'SELECT 1;');
SELECT migrate_register('0003_forgets_default', 'ALTER TABLE a ALTER COLUMN n SET DEFAULT 5;', 'SELECT 1;');
SELECT migrate_register('0004_forgets_grant', 'GRANT SELECT ON a TO regress_migrate_reader;', 'SELECT 1;');
SELECT migrate_register('0005_forgets_not_null', 'ALTER TABLE a ALTER COLUMN n DROP NOT NULL;', 'SELECT 1;');
SELECT migrate_register('0006_forgets_comment', 'COMMENT ON TABLE a IS ''the a table'';', 'SELECT 1;');
SELECT migrate_register('0007_irreversible', 'ALTER TABLE a ADD COLUMN x int;');
SELECT migrate_register('0008_bad_down', 'CREATE TABLE b (id int);', 'DROP TABLE no_such_table;');
SELECT migrate_register('0009_good', 'CREATE TABLE c (id int); CREATE INDEX ON c (id);', 'DROP TABLE c;');
SELECT migrate_register('0010_up_fails', 'ALTER TABLE no_such_table ADD COLUMN a int;', 'SELECT 1;');
SELECT migrate_register('0011_after', 'CREATE TABLE d (id int);', 'DROP TABLE d;');

SELECT fingerprint_before FROM (SELECT migrate_fingerprint() AS fingerprint_before) f \gset
SELECT * FROM migrate_verify();
-- nothing persists
SELECT migrate_fingerprint() = :'fingerprint_before' AS schema_unchanged;
SELECT count(*) AS applied FROM migrate.applied;
SELECT count(*) AS history_applies FROM migrate.history WHERE action IN ('apply', 'rollback');
-- targets as for apply
SELECT id, result FROM migrate_verify('+1');
SELECT id, result FROM migrate_verify('0003_forgets_default') WHERE object IS NULL OR result <> 'differs';
SELECT * FROM migrate_verify('0099_nosuch');
-- a writer's conditions: READ COMMITTED, the author's privileges
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM migrate_verify();
ROLLBACK;

-- precision (SPEC §9): a column added back at the end moves, and so do
-- the columns after it; a routine's body differs only in white space; a
-- down uses an enum value its up added, which fails in one transaction and
-- works in two.  None of these is a failure, each has its own result.
SELECT count(*) AS unregistered FROM (SELECT migrate_unregister(id) FROM migrate_status()) u;
CREATE TABLE wide (a int, b int, c int);
CREATE FUNCTION spaced() RETURNS int LANGUAGE sql AS $$SELECT 1 + 1$$;
CREATE TYPE color AS ENUM ('red');
SELECT migrate_register('0001_moves_b', 'ALTER TABLE wide DROP COLUMN b;', 'ALTER TABLE wide ADD COLUMN b int;');
SELECT migrate_register('0002_respaced',
  'CREATE OR REPLACE FUNCTION spaced() RETURNS int LANGUAGE sql AS $f$SELECT 2$f$;',
  E'CREATE OR REPLACE FUNCTION spaced() RETURNS int LANGUAGE sql AS $f$SELECT\t1 +  1$f$;');
SELECT migrate_register('0003_blue', 'ALTER TYPE color ADD VALUE ''blue''; CREATE TABLE paint (c color);',
  'DELETE FROM paint WHERE c = ''blue''; DROP TABLE paint;');
SELECT migrate_register('0004_real', 'ALTER TABLE wide ADD COLUMN d int;', 'ALTER TABLE wide ADD COLUMN e int;');
SELECT id, result, object, error IS NOT NULL AS has_error FROM migrate_verify() ORDER BY id, object;
SELECT error FROM migrate_verify() WHERE result = 'not verifiable in one transaction';
DROP TABLE wide;
DROP FUNCTION spaced();
DROP TYPE color;

-- migrate_difference(): the same judgement of one difference, for the
-- client's comparisons of two databases
SELECT migrate_difference('column', 'position 2; integer', 'position 3; integer') AS moved,
       migrate_difference('column', 'position 2; integer', 'position 2; bigint') AS retyped,
       migrate_difference('column', 'position 2; integer', NULL) AS gone,
       migrate_difference('function', E'SELECT\t1 +  1', 'SELECT 1 + 1') AS respaced,
       migrate_difference('function', 'SELECT 1+1', 'SELECT 1 + 1') AS spaced_apart,
       migrate_difference('view', 'SELECT  1', 'SELECT 1') AS view_respaced;
SELECT migrate_difference(NULL, 'a', 'b');

DROP SCHEMA shop CASCADE;
DROP EXTENSION migrate;
DROP ROLE regress_migrate_reader;
