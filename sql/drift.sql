--
-- Drift (SPEC §9): changes made outside migrations since the last apply or
-- rollback, the fingerprint recorded with each call, and the optional
-- capture of out-of-band DDL.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;
CREATE ROLE regress_migrate_dba;
CREATE ROLE regress_migrate_deployer;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean),
  migrate_apply(text, boolean, boolean), migrate_drift() TO regress_migrate_deployer;
GRANT CREATE ON SCHEMA public TO regress_migrate_deployer;
-- that GRANT was a change outside migrations too
SELECT change, kind, identity FROM migrate_drift();
SELECT migrate_accept_drift();

-- nothing happened outside migrations since: nothing to report, nothing recorded
SELECT * FROM migrate_drift();
SELECT dirty, since IS NULL AS no_since FROM migrate.drift_state;
SELECT count(*) AS snapshot_rows FROM migrate.schema_snapshot;

-- each apply or rollback records the schema's fingerprint
SET ROLE regress_migrate_deployer;
SELECT migrate_register('0001_accounts', 'CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric DEFAULT 0);',
  'DROP TABLE accounts;');
SELECT migrate_register('0002_accounts_idx', 'CREATE INDEX accounts_owner ON accounts (owner);',
  'DROP INDEX accounts_owner;');
SELECT migrate_apply();
RESET ROLE;
SELECT id, action, fingerprint = migrate_fingerprint() AS fingerprint_is_schema
  FROM migrate.history WHERE action IN ('apply', 'rollback') ORDER BY seq;
SELECT * FROM migrate_drift();

-- changes by hand: the first is recorded against the schema as it still was
CREATE INDEX accounts_balance ON accounts (balance);
SELECT dirty, since IS NOT NULL AS has_since FROM migrate.drift_state;
ALTER TABLE accounts ALTER COLUMN balance SET DEFAULT 100;
ALTER TABLE accounts ADD COLUMN note text;
GRANT SELECT ON accounts TO regress_migrate_dba;
DROP INDEX accounts_owner;
COMMENT ON TABLE accounts IS 'money';
-- temporary objects are no part of the schema
CREATE TEMP TABLE scratch (a int);
SELECT change, kind, identity, recorded, current FROM migrate_drift();
-- a deploy role may look at it too
SET ROLE regress_migrate_deployer;
SELECT count(*) AS drifted FROM migrate_drift();
RESET ROLE;

-- a deploy with pending migrations warns first; it then is the new reference
SET client_min_messages = warning;
SELECT migrate_register('0003_ledger', 'CREATE TABLE ledger (id int);', 'DROP TABLE ledger;');
SELECT migrate_apply();
SELECT * FROM migrate_drift();
SELECT dirty FROM migrate.drift_state;
-- a rollback likewise
CREATE TABLE by_hand (a int);
SELECT migrate_rollback();
SELECT * FROM migrate_drift();
SELECT id, action, fingerprint = migrate_fingerprint() AS fingerprint_is_schema
  FROM migrate.history WHERE action IN ('apply', 'rollback') ORDER BY seq;

-- migrations themselves are never drift, nor is verifying or planning them
SELECT migrate_register('0003_ledger', 'CREATE TABLE ledger (id int);', 'DROP TABLE ledger;');
SELECT count(*) FROM migrate_verify();
SELECT count(*) FROM migrate_plan(execute => true);
SELECT * FROM migrate_drift();
SELECT dirty FROM migrate.drift_state;

-- what was made by hand can be accepted as the reference
DROP TABLE by_hand;
SELECT migrate_accept_drift();
SELECT * FROM migrate_drift();
SELECT migrate_accept_drift();

-- capture: off by default; on, each DDL command outside migrations is logged
CREATE TABLE not_logged (a int);
SELECT count(*) AS logged FROM migrate.ddl_log;
SET migrate.capture_ddl = on;
CREATE TABLE logged (a int);
ALTER TABLE logged ADD COLUMN b text;
GRANT SELECT ON logged TO regress_migrate_dba;
DROP TABLE not_logged;
CREATE TEMP TABLE also_not_logged (a int);
SELECT migrate_apply();
SELECT seq, by, command_tag, object_type, object_identity, query FROM migrate.ddl_log ORDER BY seq;
-- only a superuser can turn it off, so no one can hide a change
SET ROLE regress_migrate_deployer;
SET migrate.capture_ddl = off;
CREATE TABLE deployers_table (a int);
RESET ROLE;
SELECT by, command_tag, object_identity FROM migrate.ddl_log WHERE object_identity LIKE '%deployers%';
RESET migrate.capture_ddl;

DROP TABLE logged, deployers_table, accounts, ledger;
DROP EXTENSION migrate;
REVOKE CREATE ON SCHEMA public FROM regress_migrate_deployer;
DROP ROLE regress_migrate_dba;
DROP ROLE regress_migrate_deployer;
