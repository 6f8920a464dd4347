--
-- The drift reference is recorded object by object (SPEC §9): after each
-- apply or rollback it is the previous reference plus what the call's
-- migrations changed, described again.  Here it is checked against a full
-- description after every step of a series of migrations that create,
-- alter, rename and drop objects of every kind described, through CASCADE
-- too, with views over columns that change, up and then down again: the
-- reference and its fingerprint must be those of the whole schema.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE ROLE regress_inc_owner;
CREATE ROLE regress_inc_reader;
CREATE SCHEMA inc;
CREATE TABLE inc.existing (id int PRIMARY KEY, note text);

-- what differs between the reference and the schema as it is
CREATE FUNCTION reference_differences(OUT side text, OUT kind text, OUT identity text)
RETURNS SETOF record LANGUAGE sql AS $$
  SELECT 'only in reference', kind, identity FROM
    (SELECT kind, identity, definition FROM migrate.schema_snapshot
     EXCEPT SELECT * FROM migrate_schema()) r
  UNION ALL
  SELECT 'only in schema', kind, identity FROM
    (SELECT * FROM migrate_schema()
     EXCEPT SELECT kind, identity, definition FROM migrate.schema_snapshot) s
$$;
CREATE TEMP TABLE mismatches (step text, side text, kind text, identity text);
CREATE FUNCTION check_reference(step text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO mismatches SELECT step, d.* FROM reference_differences() d;
  IF (SELECT fingerprint FROM migrate.drift_state) IS DISTINCT FROM migrate_fingerprint() THEN
    INSERT INTO mismatches VALUES (step, 'fingerprint', NULL, NULL);
  END IF;
  IF (SELECT fingerprint FROM migrate.history ORDER BY seq DESC LIMIT 1) IS DISTINCT FROM migrate_fingerprint() THEN
    INSERT INTO mismatches VALUES (step, 'history fingerprint', NULL, NULL);
  END IF;
END $$;
SELECT migrate_accept_drift() > 0 AS accepted;

SELECT migrate_register(id, up, down) FROM (VALUES
  ('0001_tables', 'CREATE TABLE inc.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, score int DEFAULT 0);
CREATE TABLE inc.orders (id serial PRIMARY KEY, customer_id bigint REFERENCES inc.customers, total numeric(10,2) CHECK (total >= 0));
CREATE INDEX orders_customer ON inc.orders (customer_id);',
   'DROP TABLE inc.orders; DROP TABLE inc.customers;'),
  ('0002_view', 'CREATE VIEW inc.big_orders AS SELECT o.id, o.total, c.name FROM inc.orders o JOIN inc.customers c ON c.id = o.customer_id WHERE o.total > 100;',
   'DROP VIEW IF EXISTS inc.big_orders;'),
  ('0003_rename_column', 'ALTER TABLE inc.customers RENAME COLUMN name TO full_name;',
   'ALTER TABLE inc.customers RENAME COLUMN full_name TO name;'),
  ('0004_rename_table', 'ALTER TABLE inc.customers RENAME TO clients;',
   'ALTER TABLE inc.clients RENAME TO customers;'),
  ('0005_type_and_default', 'ALTER TABLE inc.clients ALTER COLUMN score TYPE bigint, ALTER COLUMN score SET DEFAULT 10;
ALTER TABLE inc.existing ALTER COLUMN note SET DEFAULT ''none'';',
   'ALTER TABLE inc.existing ALTER COLUMN note DROP DEFAULT;
ALTER TABLE inc.clients ALTER COLUMN score SET DEFAULT 0, ALTER COLUMN score TYPE int;'),
  ('0006_constraints', 'ALTER TABLE inc.clients ADD CONSTRAINT clients_score CHECK (score >= 0) NOT VALID;
ALTER TABLE inc.clients VALIDATE CONSTRAINT clients_score;
ALTER TABLE inc.orders ALTER COLUMN total SET NOT NULL;',
   'ALTER TABLE inc.orders ALTER COLUMN total DROP NOT NULL;
ALTER TABLE inc.clients DROP CONSTRAINT IF EXISTS clients_score;'),
  ('0007_owner_grant_comment', 'ALTER TABLE inc.orders OWNER TO regress_inc_owner;
GRANT SELECT ON inc.clients TO regress_inc_reader;
GRANT SELECT (total) ON inc.orders TO regress_inc_reader;
COMMENT ON TABLE inc.clients IS ''who buys'';
COMMENT ON COLUMN inc.orders.total IS ''in euros'';
COMMENT ON SCHEMA inc IS ''the shop'';',
   'COMMENT ON SCHEMA inc IS NULL;
COMMENT ON COLUMN inc.orders.total IS NULL;
COMMENT ON TABLE inc.clients IS NULL;
REVOKE SELECT (total) ON inc.orders FROM regress_inc_reader;
REVOKE SELECT ON inc.clients FROM regress_inc_reader;
ALTER TABLE inc.orders OWNER TO CURRENT_USER;'),
  ('0008_types', 'CREATE TYPE inc.status AS ENUM (''new'', ''paid'');
CREATE DOMAIN inc.cents AS bigint CHECK (VALUE >= 0);
CREATE TYPE inc.pair AS (a int, b int);
ALTER TABLE inc.orders ADD COLUMN status inc.status DEFAULT ''new'', ADD COLUMN fee inc.cents;',
   'ALTER TABLE inc.orders DROP COLUMN fee, DROP COLUMN status;
DROP TYPE inc.pair; DROP DOMAIN inc.cents; DROP TYPE inc.status;'),
  ('0009_enum_and_domain', 'ALTER TYPE inc.status ADD VALUE ''refunded'';
ALTER DOMAIN inc.cents ADD CONSTRAINT cents_small CHECK (VALUE < 1000000);
ALTER TYPE inc.pair ADD ATTRIBUTE c int;',
   'ALTER TYPE inc.pair DROP ATTRIBUTE c;
ALTER DOMAIN inc.cents DROP CONSTRAINT cents_small;
DROP TYPE inc.status CASCADE;
CREATE TYPE inc.status AS ENUM (''new'', ''paid'');
ALTER TABLE inc.orders ADD COLUMN status inc.status DEFAULT ''new'';
ALTER TABLE inc.orders DROP COLUMN fee;
ALTER TABLE inc.orders ADD COLUMN fee inc.cents;'),
  ('0010_functions', 'CREATE FUNCTION inc.discount(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS ''SELECT $1 * 0.9'';
ALTER TABLE inc.orders ADD COLUMN net numeric GENERATED ALWAYS AS (inc.discount(total)) STORED;
CREATE FUNCTION inc.touch() RETURNS trigger LANGUAGE plpgsql AS ''BEGIN RETURN NEW; END'';
CREATE TRIGGER orders_touch BEFORE UPDATE ON inc.orders FOR EACH ROW EXECUTE FUNCTION inc.touch();',
   'DROP TRIGGER orders_touch ON inc.orders; DROP FUNCTION inc.touch();
ALTER TABLE inc.orders DROP COLUMN net; DROP FUNCTION inc.discount(numeric);'),
  ('0011_rename_function', 'ALTER FUNCTION inc.touch() RENAME TO touched;
CREATE OR REPLACE FUNCTION inc.discount(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS ''SELECT $1 * 0.8'';',
   'CREATE OR REPLACE FUNCTION inc.discount(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS ''SELECT $1 * 0.9'';
ALTER FUNCTION inc.touched() RENAME TO touch;'),
  ('0012_policies_and_options', 'ALTER TABLE inc.clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY clients_read ON inc.clients FOR SELECT TO regress_inc_reader USING (score > 0);
ALTER TABLE inc.orders SET (fillfactor = 80);
ALTER INDEX inc.orders_customer RENAME TO orders_by_customer;',
   'ALTER INDEX inc.orders_by_customer RENAME TO orders_customer;
ALTER TABLE inc.orders RESET (fillfactor);
DROP POLICY IF EXISTS clients_read ON inc.clients;
ALTER TABLE inc.clients DISABLE ROW LEVEL SECURITY;'),
  ('0013_sequences_and_matview', 'CREATE SEQUENCE inc.invoice_no START 1000;
ALTER SEQUENCE inc.invoice_no INCREMENT 10;
CREATE MATERIALIZED VIEW inc.totals AS SELECT customer_id, sum(total) AS total FROM inc.orders GROUP BY customer_id;
CREATE UNIQUE INDEX totals_customer ON inc.totals (customer_id);',
   'DROP MATERIALIZED VIEW inc.totals; DROP SEQUENCE inc.invoice_no;'),
  ('0014_partitions', 'CREATE TABLE inc.events (at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE inc.events_2026 PARTITION OF inc.events FOR VALUES FROM (''2026-01-01'') TO (''2027-01-01'');
CREATE TABLE inc.events_2027 (at date NOT NULL, what text);
ALTER TABLE inc.events ATTACH PARTITION inc.events_2027 FOR VALUES FROM (''2027-01-01'') TO (''2028-01-01'');',
   'ALTER TABLE inc.events DETACH PARTITION inc.events_2027;
DROP TABLE inc.events_2027; DROP TABLE inc.events;'),
  ('0015_grant_all_in_schema', 'GRANT SELECT ON ALL TABLES IN SCHEMA inc TO regress_inc_reader;
ALTER SCHEMA inc OWNER TO regress_inc_owner;',
   'ALTER SCHEMA inc OWNER TO CURRENT_USER;
REVOKE SELECT ON ALL TABLES IN SCHEMA inc FROM regress_inc_reader;'),
  ('0016_cascade', 'DROP TABLE inc.clients CASCADE;
DROP FUNCTION inc.discount(numeric) CASCADE;',
   'CREATE FUNCTION inc.discount(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS ''SELECT $1 * 0.8'';
ALTER TABLE inc.orders ADD COLUMN net numeric GENERATED ALWAYS AS (inc.discount(total)) STORED;
CREATE TABLE inc.clients (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, full_name text NOT NULL, score bigint DEFAULT 10);'),
  ('0017_do_block', 'DO $$ BEGIN EXECUTE ''CREATE TABLE inc.from_do (id int)''; EXECUTE ''COMMENT ON TABLE inc.existing IS ''''touched in a DO block''''''; END $$;',
   'COMMENT ON TABLE inc.existing IS NULL; DROP TABLE inc.from_do;'),
  ('0018_schema', 'CREATE SCHEMA inc2; CREATE TABLE inc2.t (id int); CREATE VIEW inc2.v AS SELECT id FROM inc2.t;
ALTER SCHEMA inc2 RENAME TO inc3;',
   'DROP SCHEMA inc3 CASCADE;'),
  ('0018a_named_elsewhere', 'CREATE SCHEMA incx; CREATE TYPE incx.kind AS ENUM (''a'');
CREATE COLLATION incx.coll (provider = libc, locale = ''C'');
CREATE FUNCTION incx.one() RETURNS int LANGUAGE sql IMMUTABLE AS ''SELECT 1'';
CREATE TABLE incx.base (id int);
CREATE TABLE inc.uses (k incx.kind, t text COLLATE incx.coll, n int DEFAULT incx.one());
CREATE VIEW inc.uses_base AS SELECT id FROM incx.base;',
   'DROP VIEW inc.uses_base; DROP TABLE inc.uses; DROP SCHEMA incx CASCADE;'),
  -- what objects of other schemas name: a collation (which is not
  -- described itself), and a schema's type, collation, function and table
  ('0018b_collation_renamed', 'ALTER COLLATION incx.coll RENAME TO coll2;',
   'ALTER COLLATION incx.coll2 RENAME TO coll;'),
  ('0018c_schema_renamed', 'ALTER SCHEMA incx RENAME TO incy;',
   'ALTER SCHEMA incy RENAME TO incx;')
) m (id, up, down);

-- up, one migration per call, then down again
DO $$
DECLARE
  n int := (SELECT count(*) FROM migrate_status());
  i int;
BEGIN
  FOR i IN 1 .. n LOOP
    PERFORM migrate_apply('+1', allow_data_loss => true);
    PERFORM check_reference('apply ' || i);
  END LOOP;
  FOR i IN 1 .. n LOOP
    PERFORM migrate_rollback('-1', allow_data_loss => true);
    PERFORM check_reference('rollback ' || i);
  END LOOP;
END $$;
SELECT * FROM mismatches ORDER BY step, side, kind, identity;

-- several migrations in one call, and the whole series in one call
SELECT migrate_apply('0009_enum_and_domain', allow_data_loss => true);
SELECT check_reference('apply to 0009');
SELECT migrate_apply(allow_data_loss => true);
SELECT check_reference('apply head');
SELECT migrate_rollback('0004_rename_table', allow_data_loss => true);
SELECT check_reference('rollback to 0004');
SELECT migrate_rollback('base', allow_data_loss => true);
SELECT check_reference('rollback to base');
SELECT * FROM mismatches ORDER BY step, side, kind, identity;

-- a migration that writes the system catalogs cannot be followed object by
-- object: the whole schema is described (a NOTICE says so: TAP 001)
SELECT migrate_register('0019_catalog', 'UPDATE pg_catalog.pg_class SET reloptions = ''{fillfactor=70}'' WHERE oid = ''inc.existing''::regclass;',
  'UPDATE pg_catalog.pg_class SET reloptions = NULL WHERE oid = ''inc.existing''::regclass;');
SELECT migrate_apply('0001_tables');
SELECT count(*) FROM (SELECT migrate_unregister(id) FROM migrate_status() WHERE id <> '0019_catalog' AND id <> '0001_tables') u;
SELECT migrate_apply();
SELECT check_reference('catalog written');
SELECT migrate_rollback('base');
SELECT check_reference('catalog written back');
SELECT * FROM mismatches ORDER BY step, side, kind, identity;

-- REASSIGN OWNED changes owners object by object, as the server reports;
-- DROP OWNED revokes privileges without reporting each object, so the
-- whole schema is described then
CREATE ROLE regress_inc_ra;
CREATE ROLE regress_inc_rb;
CREATE TABLE inc.owned (id int);
ALTER TABLE inc.owned OWNER TO regress_inc_ra;
CREATE VIEW inc.owned_view AS SELECT id FROM inc.owned;
ALTER VIEW inc.owned_view OWNER TO regress_inc_ra;
GRANT SELECT ON inc.existing TO regress_inc_rb;
SELECT count(*) FROM (SELECT migrate_unregister(id) FROM migrate_status()) u;
SELECT migrate_accept_drift();
SELECT migrate_register(id, up, down) FROM (VALUES
  ('0020_reassign', 'REASSIGN OWNED BY regress_inc_ra TO regress_inc_rb;',
   'REASSIGN OWNED BY regress_inc_rb TO regress_inc_ra;'),
  ('0021_drop_owned', 'DROP OWNED BY regress_inc_rb;', '')
) m (id, up, down);
SELECT migrate_apply('0020_reassign');
SELECT check_reference('reassign owned');
SELECT kind, identity FROM migrate_schema() WHERE definition LIKE '%regress_inc_rb%' ORDER BY 1, 2;
SELECT migrate_rollback('-1');
SELECT check_reference('reassign owned back');
SELECT migrate_apply('0020_reassign');
SELECT migrate_apply(allow_data_loss => true);
SELECT check_reference('drop owned');
SELECT kind, identity FROM migrate_schema() WHERE definition LIKE '%regress_inc_r%' ORDER BY 1, 2;
SELECT * FROM mismatches ORDER BY step, side, kind, identity;
SELECT migrate_rollback('base');
SELECT count(*) FROM (SELECT migrate_unregister(id) FROM migrate_status()) u;
DROP ROLE regress_inc_ra;
DROP ROLE regress_inc_rb;

DROP FUNCTION check_reference(text);
DROP FUNCTION reference_differences();
DROP SCHEMA inc CASCADE;
DROP EXTENSION migrate;
DROP ROLE regress_inc_owner;
DROP ROLE regress_inc_reader;
