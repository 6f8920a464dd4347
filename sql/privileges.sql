--
-- Privileges (SPEC §2): nothing is usable by PUBLIC; a deploy role granted
-- EXECUTE works without any privilege on the catalog tables, and migration
-- SQL runs with the caller's privileges.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

CREATE ROLE regress_migrate_nobody;
CREATE ROLE regress_migrate_deploy;

-- PUBLIC has no EXECUTE on any function and no privilege on any table
SELECT p.oid::regprocedure AS function,
       has_function_privilege('regress_migrate_nobody', p.oid, 'EXECUTE') AS nobody_can_execute,
       p.prosecdef AS security_definer, n.nspname AS schema
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
  JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'migrate'
  JOIN pg_namespace n ON n.oid = p.pronamespace
 ORDER BY p.proname, pg_get_function_identity_arguments(p.oid);
SELECT c.oid::regclass AS relation, c.relacl
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'migrate' ORDER BY c.relname;
SELECT nspacl FROM pg_namespace WHERE nspname = 'migrate';

SET ROLE regress_migrate_nobody;
SELECT * FROM migrate_status();
SELECT migrate_current();
SELECT migrate_register('0001_x', 'SELECT 1');
SELECT migrate_apply();
SELECT migrate_rollback();
SELECT migrate_unregister('0001_x');
SELECT * FROM migrate.migration;
RESET ROLE;

-- a deploy role with EXECUTE (and the rights its migrations need)
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_unregister(text), migrate_apply(text, boolean, boolean),
  migrate_rollback(text, boolean, boolean), migrate_status(), migrate_current()
  TO regress_migrate_deploy;
CREATE SCHEMA app AUTHORIZATION regress_migrate_deploy;
SELECT migrate_accept_drift() AS made_by_hand;

SET ROLE regress_migrate_deploy;
SELECT migrate_register('0001_app', 'CREATE TABLE app.things (id int);', 'DROP TABLE app.things;');
SELECT migrate_register('0002_app', 'ALTER TABLE app.things ADD COLUMN name text;',
  'ALTER TABLE app.things DROP COLUMN name;');
SELECT migrate_apply();
SELECT id, state, applied_by FROM migrate_status();
SELECT migrate_rollback();
SELECT migrate_current();
-- the catalog itself stays closed to it
SELECT * FROM migrate.migration;
UPDATE migrate.applied SET checksum = 'x';
-- its migrations run with its own privileges, not the extension owner's
SELECT migrate_register('0003_priv', 'CREATE TABLE pg_catalog.sneaky (a int);');
SELECT migrate_apply();
SELECT migrate_unregister('0003_priv');
SELECT migrate_register('0003_priv', 'SELECT * FROM migrate.history;');
SELECT migrate_apply();
SELECT migrate_unregister('0003_priv');
RESET ROLE;
SELECT id, action, by FROM migrate.history ORDER BY seq;
SELECT owner.rolname = current_user AS tables_owned_by_installer
  FROM pg_class c JOIN pg_roles owner ON owner.oid = c.relowner
 WHERE c.oid = 'migrate.migration'::regclass;

-- a migration registered by a role without the privileges of the role
-- applying it is refused: a low-privileged role never gets its SQL run by a
-- superuser (the deploy role applies what it left pending first)
SET ROLE regress_migrate_deploy;
SELECT migrate_apply();
RESET ROLE;
CREATE ROLE regress_migrate_author;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_status() TO regress_migrate_author;
SET ROLE regress_migrate_author;
SELECT migrate_register('0004_escalate', 'ALTER ROLE regress_migrate_author SUPERUSER;');
RESET ROLE;
SELECT migrate_apply();
SELECT migrate_apply(dry_run => true);
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_migrate_author';
SELECT id, state FROM migrate_status() WHERE id = '0004_escalate';
SELECT migrate_unregister('0004_escalate');
-- after review, registering it again as the applying role makes it its own
SET ROLE regress_migrate_author;
SELECT migrate_register('0004_by_author', 'CREATE TABLE app.by_author (a int);', 'DROP TABLE app.by_author;');
RESET ROLE;
SELECT migrate_apply();
SELECT migrate_register('0004_by_author', 'CREATE TABLE app.by_author (a int);', 'DROP TABLE app.by_author;');
SELECT registered_by FROM migrate.migration WHERE id = '0004_by_author';
SELECT migrate_apply();
-- the same for a down script changed by such a role
SET ROLE regress_migrate_author;
SELECT migrate_register('0004_by_author', 'CREATE TABLE app.by_author (a int);',
  'DROP TABLE app.by_author; ALTER ROLE regress_migrate_author SUPERUSER;');
RESET ROLE;
SELECT migrate_rollback();
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_migrate_author';
-- a role that registered and was then dropped has no privileges either
REVOKE ALL ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_status() FROM regress_migrate_author;
DROP ROLE regress_migrate_author;
SELECT migrate_rollback();
SELECT migrate_register('0004_by_author', 'CREATE TABLE app.by_author (a int);', 'DROP TABLE app.by_author;');
SELECT migrate_rollback();
-- the other way round is fine: what a superuser registered, the deploy role applies
SELECT migrate_register('0005_by_superuser', 'CREATE TABLE app.by_superuser (a int);', 'DROP TABLE app.by_superuser;');
SET ROLE regress_migrate_deploy;
SELECT migrate_apply();
SELECT id, state, applied_by FROM migrate_status() WHERE id = '0005_by_superuser';
RESET ROLE;

-- a hostile search_path changes nothing in the extension's own work
CREATE SCHEMA hostile;
CREATE TABLE hostile.migration (id text);
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;
CREATE FUNCTION hostile.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$ SELECT 'epoch'::timestamptz $$;
CREATE FUNCTION hostile.texteq_evil(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR hostile.= (FUNCTION = hostile.texteq_evil, LEFTARG = text, RIGHTARG = text);
CREATE OPERATOR hostile.<> (FUNCTION = hostile.texteq_evil, LEFTARG = text, RIGHTARG = text);
CREATE TABLE hostile.pg_extension (extname name, extowner oid);
CREATE TABLE hostile.pg_class (relname name);
CREATE TEMP TABLE applied (id text);
CREATE TEMP TABLE history (id text);
SELECT migrate_accept_drift() AS made_by_hand;
SET search_path = pg_temp, hostile, pg_catalog, public;
SELECT migrate_register('0006_more', 'CREATE TABLE app.more (id int);', 'DROP TABLE app.more;');
SELECT migrate_apply();
SELECT id, state FROM migrate_status();
SELECT (SELECT count(*) FROM hostile.migration) + (SELECT count(*) FROM pg_temp.applied)
       + (SELECT count(*) FROM pg_temp.history) AS rows_in_hostile_tables;
RESET search_path;
SELECT registered_at > 'epoch' AS real_time FROM migrate.migration WHERE id = '0006_more';

DROP SCHEMA hostile CASCADE;
DROP SCHEMA app CASCADE;
DROP EXTENSION migrate;
DROP ROLE regress_migrate_nobody;
DROP ROLE regress_migrate_deploy;
