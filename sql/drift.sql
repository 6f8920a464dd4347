--
-- Drift (SPEC §9): changes made outside migrations since the reference, the
-- schema as the last apply, rollback or migrate_accept_drift() left it; the
-- fingerprint recorded with each call; the optional capture of DDL run
-- outside migrations.
--
CREATE EXTENSION migrate;
SET client_min_messages = notice;
CREATE ROLE regress_migrate_dba;
CREATE ROLE regress_migrate_deployer;
GRANT EXECUTE ON FUNCTION migrate_register(text, text, text, text, boolean, boolean),
  migrate_apply(text, boolean, boolean), migrate_drift() TO regress_migrate_deployer;
GRANT CREATE ON SCHEMA public TO regress_migrate_deployer;

-- no reference yet: nothing to compare with, and a NOTICE says so
SELECT * FROM migrate_drift();
SELECT recorded_at IS NULL AS no_reference FROM migrate.drift_state;
-- accepting makes the schema as it is the reference; those GRANTs were
-- changes too, but there was nothing to drift from
SELECT migrate_accept_drift() > 0 AS objects_accepted;
SELECT recorded_at IS NOT NULL AS has_reference FROM migrate.drift_state;
SELECT * FROM migrate_drift();

-- each apply or rollback records the reference and the schema's fingerprint
SET client_min_messages = warning;
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

-- changes by hand, whatever the command
CREATE INDEX accounts_balance ON accounts (balance);
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

-- an apply records what its migrations changed, and only that: what was
-- changed by hand before it is still drift afterwards (up to 0.2 the apply
-- made it the reference), and the new table is not
SELECT migrate_register('0003_ledger', 'CREATE TABLE ledger (id int);', 'DROP TABLE ledger;');
SELECT migrate_apply();
SELECT change, kind, identity FROM migrate_drift();
SELECT migrate_accept_drift();
-- a rollback likewise
CREATE TABLE by_hand (a int);
SELECT migrate_rollback();
SELECT change, kind, identity FROM migrate_drift();
-- each call's history row has the fingerprint of the reference it left,
-- which is the schema's own when nothing drifted
SELECT id, action, fingerprint = (SELECT fingerprint FROM migrate.drift_state) AS reference_fingerprint
  FROM migrate.history WHERE action IN ('apply', 'rollback') ORDER BY seq;
DROP TABLE by_hand;
SELECT (SELECT fingerprint FROM migrate.drift_state) = migrate_fingerprint() AS no_drift_same_fingerprint;

-- ownership changed by REASSIGN OWNED, which no event trigger sees (up to
-- 0.2 it was no drift at all)
CREATE ROLE regress_migrate_ra;
CREATE ROLE regress_migrate_rb;
CREATE TABLE owned_by_ra (a int);
ALTER TABLE owned_by_ra OWNER TO regress_migrate_ra;
SELECT migrate_accept_drift();
REASSIGN OWNED BY regress_migrate_ra TO regress_migrate_rb;
SELECT change, kind, identity, recorded, current FROM migrate_drift();
DROP TABLE owned_by_ra;
DROP ROLE regress_migrate_ra;
DROP ROLE regress_migrate_rb;
SELECT migrate_accept_drift();

-- migrations themselves are never drift, nor is verifying or planning them
SELECT migrate_register('0003_ledger', 'CREATE TABLE ledger (id int);', 'DROP TABLE ledger;');
SELECT count(*) FROM migrate_verify();
SELECT count(*) FROM migrate_plan(execute => true);
SELECT * FROM migrate_drift();

-- what was made by hand can be accepted as the reference
CREATE TABLE by_hand (a int);
SELECT migrate_accept_drift();
SELECT * FROM migrate_drift();
SELECT migrate_accept_drift();

-- capture: off by default; on, each DDL command outside migrations is logged
SELECT migrate_capture_ddl();
CREATE TABLE not_logged (a int);
SELECT count(*) AS logged FROM migrate.ddl_log;
SELECT migrate_capture_ddl(true);
SELECT migrate_capture_ddl();
CREATE TABLE logged (a int);
ALTER TABLE logged ADD COLUMN b text;
GRANT SELECT ON logged TO regress_migrate_dba;
DROP TABLE not_logged;
CREATE TEMP TABLE also_not_logged (a int);
SELECT seq, by, command_tag, object_type, object_identity, query FROM migrate.ddl_log ORDER BY seq;
-- with the capture on, a deploy with pending migrations warns of DDL run
-- outside migrations since the reference
SELECT migrate_apply();
SELECT change, kind, identity FROM migrate_drift();
SELECT migrate_accept_drift();
-- it is no setting: no role can turn it off for itself, and only a
-- superuser can turn it off at all, so no one can hide a change
SET ROLE regress_migrate_deployer;
SET migrate.capture_ddl = off;
SELECT migrate_capture_ddl(false);
CREATE TABLE deployers_table (a int);
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate_capture_ddl(boolean) TO regress_migrate_deployer;
SET ROLE regress_migrate_deployer;
SELECT migrate_capture_ddl(false);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION migrate_capture_ddl(boolean) FROM regress_migrate_deployer;
SELECT by, command_tag, object_identity FROM migrate.ddl_log WHERE object_identity LIKE '%deployers%';
SELECT migrate_capture_ddl(false);

DROP TABLE logged, deployers_table, accounts, ledger, by_hand;
DROP EXTENSION migrate;
REVOKE CREATE ON SCHEMA public FROM regress_migrate_deployer;
DROP ROLE regress_migrate_dba;
DROP ROLE regress_migrate_deployer;
