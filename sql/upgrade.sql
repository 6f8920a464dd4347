--
-- Upgrades, after the model of pg_stat_statements' oldextversions test:
-- install 0.1, use it, update to 0.2, use that, update to 0.3, and check
-- that the state is kept at each step and that the extension's objects end
-- exactly as those of a fresh install.  Like pg_stat_statements, migrate
-- ships no full script of a later version: CREATE EXTENSION runs
-- migrate--0.1.sql and then each update script, so every object is defined
-- in one place.  What this test adds is that an update of a used database
-- (history, grants) ends in the same objects as a fresh install.
--
SET client_min_messages = warning;

-- the shape of the extension: every member object, every function with its
-- signature, volatility and privileges, every catalog column, constraint and
-- index, and what pg_dump keeps
CREATE FUNCTION upgrade_extension_shape() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT 'member: ' || pg_describe_object(classid, objid, objsubid)
    FROM pg_depend
   WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
     AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'migrate')
  UNION ALL
  SELECT format('function: %s(%s) returns %s, volatility %s, strict %s, acl %s',
                p.proname, pg_get_function_arguments(p.oid),
                pg_get_function_result(p.oid), p.provolatile, p.proisstrict,
                p.proacl)
    FROM pg_proc p WHERE p.proname LIKE 'migrate\_%'
  UNION ALL
  SELECT format('column: %s.%s %s not null %s default %s generated %s',
                c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attgenerated)
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'migrate'
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'
  UNION ALL
  SELECT format('constraint: %s %s', conname, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'migrate')
  UNION ALL
  SELECT 'index: ' || pg_get_indexdef(indexrelid)
    FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'migrate'))
  UNION ALL
  SELECT 'dumped: ' || unnest(extconfig)::regclass::text
    FROM pg_extension WHERE extname = 'migrate'
  UNION ALL
  SELECT 'acl: ' || coalesce(relacl::text, 'none') || ' on ' || oid::regclass::text
    FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'migrate') AND relkind IN ('r', 'S')
$$;

-- a fresh install of the default version
CREATE EXTENSION migrate;
SELECT extversion FROM pg_extension WHERE extname = 'migrate';
CREATE TEMP TABLE fresh_shape AS SELECT upgrade_extension_shape() AS object;
SELECT count(*) AS objects_described FROM fresh_shape;
DROP EXTENSION migrate;

-- 0.1, used: migrations registered, applied, rolled back, a grant given
CREATE EXTENSION migrate VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'migrate';
SELECT count(*) AS has_plan FROM pg_proc WHERE proname = 'migrate_plan';
CREATE ROLE regress_migrate_upgrader;
CREATE ROLE regress_migrate_nobody_here;
GRANT EXECUTE ON FUNCTION migrate_apply(text, boolean, boolean) TO regress_migrate_upgrader;
GRANT EXECUTE ON FUNCTION migrate_rollback(text, boolean) TO regress_migrate_upgrader;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean),
  migrate_status() TO regress_migrate_upgrader;
SELECT migrate_register('0001_a', 'CREATE TABLE up_a (id int);', 'DROP TABLE up_a;', 'first');
SELECT migrate_register('0002_b', 'CREATE TABLE up_b (id int);', 'DROP TABLE up_b;');
SELECT migrate_register('0003_c', 'ALTER TABLE up_a ADD COLUMN c int DEFAULT random()::int;');
SELECT migrate_apply('+2');
SELECT migrate_rollback();
SELECT migrate_apply('0002_b');
CREATE TEMP TABLE before_status AS SELECT * FROM migrate_status();
CREATE TEMP TABLE before_history AS
  SELECT seq, id, action, at, by, duration, checksum, txid FROM migrate.history;

-- the update
ALTER EXTENSION migrate UPDATE TO '0.2';
SELECT extversion FROM pg_extension WHERE extname = 'migrate';

-- the state is kept
SELECT count(*) AS status_differences FROM (
  (SELECT * FROM migrate_status() EXCEPT SELECT * FROM before_status)
  UNION ALL
  (SELECT * FROM before_status EXCEPT SELECT * FROM migrate_status())) d;
SELECT count(*) AS history_differences FROM (
  (SELECT seq, id, action, at, by, duration, checksum, txid FROM migrate.history
   EXCEPT SELECT * FROM before_history)
  UNION ALL
  (SELECT * FROM before_history
   EXCEPT SELECT seq, id, action, at, by, duration, checksum, txid FROM migrate.history)) d;
-- so are the grants a DBA gave on the functions that already existed
SELECT has_function_privilege('regress_migrate_upgrader', 'migrate_apply(text, boolean, boolean)', 'EXECUTE') AS granted;
-- including migrate_rollback(), which the update replaced to add allow_data_loss
SELECT has_function_privilege('regress_migrate_upgrader', 'migrate_rollback(text, boolean, boolean)', 'EXECUTE') AS granted_rollback;
-- made anew by 0.3 with their grants
SELECT has_function_privilege('regress_migrate_upgrader', 'migrate_register(text, text, text, text, boolean, boolean)', 'EXECUTE') AS granted_register,
       has_function_privilege('regress_migrate_upgrader', 'migrate_status()', 'EXECUTE') AS granted_status;
SELECT has_function_privilege('regress_migrate_nobody_here', 'migrate_rollback(text, boolean, boolean)', 'EXECUTE') AS public_can_rollback;

-- and what 0.2 adds works on the updated state
SELECT id, statement, relation, lock_mode, rewrites, risk FROM migrate_plan();
SELECT migrate_apply();
SELECT id, state FROM migrate_status();
CREATE TEMP TABLE before_status_2 AS SELECT * FROM migrate_status();
CREATE TEMP TABLE before_history_2 AS
  SELECT seq, id, action, at, by, duration, checksum, txid, fingerprint FROM migrate.history;

-- the update to 0.3
ALTER EXTENSION migrate UPDATE TO '0.3';
SELECT extversion FROM pg_extension WHERE extname = 'migrate';
-- the columns of 0.2 are kept; 0.3 adds transactional (true for every
-- migration registered before) and the columns of a partial deploy
SELECT count(*) AS status_differences FROM (
  (SELECT id, description, state, applied_at, applied_by, duration, reversible
     FROM migrate_status() EXCEPT SELECT * FROM before_status_2)
  UNION ALL
  (SELECT * FROM before_status_2
   EXCEPT SELECT id, description, state, applied_at, applied_by, duration, reversible
     FROM migrate_status())) d;
SELECT transactional, partial, stopped_at, error, count(*) FROM migrate_status()
 GROUP BY 1, 2, 3, 4;
SELECT count(*) AS history_differences FROM (
  (SELECT seq, id, action, at, by, duration, checksum, txid, fingerprint FROM migrate.history
   EXCEPT SELECT * FROM before_history_2)
  UNION ALL
  (SELECT * FROM before_history_2
   EXCEPT SELECT seq, id, action, at, by, duration, checksum, txid, fingerprint FROM migrate.history)) d;
SELECT has_function_privilege('regress_migrate_upgrader', 'migrate_apply(text, boolean, boolean)', 'EXECUTE') AS granted;
SELECT has_function_privilege('regress_migrate_upgrader', 'migrate_rollback(text, boolean, boolean)', 'EXECUTE') AS granted_rollback;
-- made anew by 0.3 with their grants
SELECT has_function_privilege('regress_migrate_upgrader', 'migrate_register(text, text, text, text, boolean, boolean)', 'EXECUTE') AS granted_register,
       has_function_privilege('regress_migrate_upgrader', 'migrate_status()', 'EXECUTE') AS granted_status;

-- the objects are those of a fresh install, privileges included
REVOKE EXECUTE ON FUNCTION migrate_apply(text, boolean, boolean) FROM regress_migrate_upgrader;
REVOKE EXECUTE ON FUNCTION migrate_rollback(text, boolean, boolean) FROM regress_migrate_upgrader;
REVOKE EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_status() FROM regress_migrate_upgrader;
SELECT object AS only_after_update FROM
  (SELECT upgrade_extension_shape() AS object EXCEPT SELECT object FROM fresh_shape) d ORDER BY 1;
SELECT object AS only_in_fresh_install FROM
  (SELECT object FROM fresh_shape EXCEPT SELECT upgrade_extension_shape()) d ORDER BY 1;

-- and 0.3 works on the updated state: writers lock migrate.writer_lock
SELECT migrate_register('0004_d', 'CREATE TABLE up_d (id int);', 'DROP TABLE up_d;');
SELECT migrate_apply();
BEGIN;
SELECT migrate_rollback();
SELECT relation::regclass AS writers_lock, mode FROM pg_locks
 WHERE relation = 'migrate.writer_lock'::regclass AND pid = pg_backend_pid();
COMMIT;
SELECT id, state FROM migrate_status();

DROP TABLE up_a, up_b;
DROP EXTENSION migrate;
DROP ROLE regress_migrate_upgrader;
DROP ROLE regress_migrate_nobody_here;
DROP FUNCTION upgrade_extension_shape();
