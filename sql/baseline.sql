--
-- migrate_baseline() (SPEC §12): adopting a database whose schema the
-- registered migrations already made, without running them
--
CREATE EXTENSION migrate;

-- nothing registered: head has nothing to do
SELECT migrate_baseline();
SELECT migrate_baseline('head');

-- the existing database, made by hand (or by another tool)
CREATE TABLE bl_users (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO bl_users VALUES (1, 'ann@example.com');
CREATE TYPE bl_mood AS ENUM ('happy', 'sad');
CREATE INDEX bl_users_email ON bl_users (email);

SET client_min_messages = warning;
SELECT migrate_register('0001_users',
  'CREATE TABLE bl_users (id bigint PRIMARY KEY, email text NOT NULL);
INSERT INTO bl_users VALUES (1, ''ann@example.com'');',
  'DROP TABLE bl_users;', 'users');
SELECT migrate_register('0002_mood', $$CREATE TYPE bl_mood AS ENUM ('happy', 'sad');$$,
  'DROP TYPE bl_mood;');
-- non-transactional: a deploy would run it at top level; a baseline marks it
SELECT migrate_register('0003_email_idx',
  'CREATE INDEX CONCURRENTLY bl_users_email ON bl_users (email);',
  'DROP INDEX CONCURRENTLY bl_users_email;', transactional => false);
SELECT migrate_register('0004_users_name', 'ALTER TABLE bl_users ADD COLUMN name text;',
  'ALTER TABLE bl_users DROP COLUMN name;');
SELECT migrate_register('0005_users_nick', 'ALTER TABLE bl_users ADD COLUMN nick text;',
  'ALTER TABLE bl_users DROP COLUMN nick;');
RESET client_min_messages;

-- bad input: NULL, and targets that are not of migrate_apply()'s form
SELECT migrate_baseline(NULL);
SELECT migrate_baseline('');
SELECT migrate_baseline('+0');
SELECT migrate_baseline('+x');
SELECT migrate_baseline('-1');
SELECT migrate_baseline('base');
SELECT migrate_baseline('HEAD');
SELECT migrate_baseline('0001_users; DROP TABLE bl_users');
SELECT migrate_baseline('+2147483648');
-- well-formed targets that name nothing
SELECT migrate_baseline('0009_nosuch');
SELECT migrate_baseline('+6');
-- nothing of those calls was kept
SELECT count(*) AS applied FROM migrate.applied;
SELECT count(*) AS baselined FROM migrate.history WHERE action = 'baseline';

-- writers only: not in a read-only transaction, not under REPEATABLE READ
BEGIN TRANSACTION READ ONLY;
SELECT migrate_baseline();
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT migrate_baseline();
ROLLBACK;

-- a migration script cannot baseline: refused at registration...
SELECT migrate_register('0000_sneaky', 'SELECT migrate_baseline();');
SELECT migrate_register('0000_sneaky', 'SELECT pg_catalog.migrate_import(''dbmate'');');
-- ...and where registration cannot see it, when it runs
SELECT migrate_register('0000_sneaky', 'DO $$BEGIN PERFORM migrate_baseline(); END$$;');
SELECT migrate_apply('0000_sneaky', dry_run => true);
SELECT migrate_unregister('0000_sneaky');

-- a migration that a deploy started and did not finish is not marked
INSERT INTO migrate.progress (id, script, checksum, statements, done,
                              started_at, updated_at, by)
  SELECT id, 'up', checksum, 1, 0, now(), now(), current_user
  FROM migrate.migration WHERE id = '0003_email_idx';
SELECT migrate_baseline();
DELETE FROM migrate.progress;

-- only migrations whose author has the caller's privileges, as for an
-- apply: a role that may only register cannot have its scripts recorded
-- as what made the schema by a superuser
CREATE ROLE regress_baseline_author;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_baseline(text) TO regress_baseline_author;
SET ROLE regress_baseline_author;
SELECT migrate_register('0004_users_name', 'ALTER TABLE bl_users ADD COLUMN name text;',
  'ALTER TABLE bl_users DROP COLUMN name;');
RESET ROLE;
SELECT migrate_baseline('0004_users_name');
SELECT count(*) AS applied FROM migrate.applied;
-- registered again by the DBA, after review: it may be baselined
SET client_min_messages = warning;
SELECT migrate_register('0004_users_name', 'ALTER TABLE bl_users ADD COLUMN name text;',
  'ALTER TABLE bl_users DROP COLUMN name;');
RESET client_min_messages;

-- +N marks the next N pending migrations, an id those up to it
BEGIN;
SELECT migrate_baseline('+2');
SELECT id, state FROM migrate_status();
ROLLBACK;
-- the non-transactional one too; nothing runs (no ann inserted twice, no
-- index built again)
SELECT migrate_baseline('0003_email_idx');
SELECT count(*) AS users FROM bl_users;
SELECT id, state, applied_by = current_user AS by_me, duration, transactional
  FROM migrate_status();

-- what was recorded: the checksum of each up script, no time spent, and a
-- history row of action baseline; the drift reference is the schema as it
-- is, its fingerprint on the last row
SELECT a.id, a.checksum = m.checksum AS checksum_ok,
       a.checksum = migrate_checksum(m.up_sql) AS of_up_script,
       a.applied_by = current_user AS by_me, a.duration
  FROM migrate.applied a JOIN migrate.migration m USING (id) ORDER BY a.id;
SELECT id, action, by = current_user AS by_me, duration,
       checksum = (SELECT checksum FROM migrate.migration m WHERE m.id = h.id) AS checksum_ok,
       fingerprint IS NOT NULL AS fingerprinted
  FROM migrate.history h WHERE action = 'baseline' ORDER BY seq;
SELECT (SELECT fingerprint FROM migrate.history WHERE action = 'baseline'
        ORDER BY seq DESC LIMIT 1) = migrate_fingerprint() AS fingerprint_is_schema;
SELECT * FROM migrate_drift();
-- the schema before the first migration was never seen here
SELECT base_at FROM migrate.drift_state;
SELECT count(*) AS base_rows FROM migrate.base_snapshot;

-- adopted once: a second baseline is refused, naming what is applied
SELECT migrate_baseline();
SELECT migrate_baseline('0005_users_nick');

-- the pending migrations after the baseline apply as usual
SET client_min_messages = warning;
SELECT migrate_apply('+1');
RESET client_min_messages;
SELECT id, state FROM migrate_status();
SELECT * FROM migrate_drift();
-- a change by hand after the baseline is drift
ALTER TABLE bl_users ADD COLUMN by_hand int;
SELECT change, kind, identity FROM migrate_drift();
ALTER TABLE bl_users DROP COLUMN by_hand;

-- a rollback of baselined migrations runs their down scripts as usual
SET client_min_messages = warning;
SELECT migrate_rollback('0003_email_idx');
RESET client_min_messages;
SELECT id, state FROM migrate_status();

DROP TABLE bl_users;
DROP TYPE bl_mood;
REVOKE ALL ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_baseline(text) FROM regress_baseline_author;
DROP ROLE regress_baseline_author;
DROP EXTENSION migrate;

-- rolled back to base, a baselined database has no schema of before the
-- first migration to compare with (the base an earlier apply recorded is
-- forgotten), so no warning of what the down scripts left: they never ran
-- up here
CREATE EXTENSION migrate;
CREATE TABLE bl_left_alone (id int);
SET client_min_messages = warning;
SELECT migrate_register('1_a', 'CREATE TABLE bl_a (id int);', 'DROP TABLE bl_a;');
SELECT migrate_register('2_b', 'CREATE TABLE bl_b (id int, note text);', 'DROP TABLE bl_b;');
SELECT migrate_apply();
SELECT migrate_rollback('base');
RESET client_min_messages;
SELECT base_at IS NOT NULL AS base_recorded FROM migrate.drift_state;
-- the schema made again by hand, with a table of its own
CREATE TABLE bl_a (id int);
CREATE TABLE bl_b (id int, note text);
CREATE TABLE bl_by_hand (id int);
SELECT migrate_baseline('head');
SELECT base_at IS NOT NULL AS base_recorded FROM migrate.drift_state;
SET client_min_messages = warning;
SELECT migrate_rollback('base');
RESET client_min_messages;
SELECT to_regclass('bl_a') AS a, to_regclass('bl_b') AS b,
       to_regclass('bl_by_hand') AS by_hand;
SELECT count(*) AS applied FROM migrate.applied;
SELECT id, action FROM migrate.history WHERE action <> 'register' ORDER BY seq;
-- with nothing applied again, a database may be adopted anew; or applied
-- from base, which records the schema before the first migration again
SET client_min_messages = warning;
SELECT migrate_apply('1_a');
RESET client_min_messages;
SELECT base_at IS NOT NULL AS base_recorded FROM migrate.drift_state;
SELECT migrate_baseline();

DROP TABLE bl_a, bl_by_hand, bl_left_alone;
DROP EXTENSION migrate;
