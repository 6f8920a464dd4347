/* migrate--0.1--0.2.sql: add migrate_plan() */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION migrate UPDATE TO '0.2'" to load this file. \quit

CREATE FUNCTION migrate_plan(target text DEFAULT 'head',
                             execute boolean DEFAULT false,
                             OUT id text,
                             OUT statement integer,
                             OUT line integer,
                             OUT command text,
                             OUT relation text,
                             OUT lock_mode text,
                             OUT rewrites boolean,
                             OUT scans boolean,
                             OUT destroys boolean,
                             OUT est_rows bigint,
                             OUT est_bytes bigint,
                             OUT risk text,
                             OUT advice text,
                             OUT observed_locks text,
                             OUT duration interval,
                             OUT mismatch text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_plan'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate_plan(text, boolean)
    IS 'what the pending migrations up to target would do: locks, rewrites, scans, data destroyed, risk and advice; with execute, observed too';
REVOKE ALL ON FUNCTION migrate_plan(text, boolean) FROM PUBLIC;
