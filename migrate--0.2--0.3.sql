/* migrate--0.2--0.3.sql: version 0.3 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION migrate UPDATE TO '0.3'" to load this file. \quit

/*
 * The writers' lock (SPEC §14).  Every writer (register, unregister, apply,
 * rollback...) takes ExclusiveLock on this table, as the extension's C code,
 * before it reads the catalog.  Up to 0.2 it was an advisory lock, which any
 * role can take and hold; this table is reachable only by its owner, since
 * neither the schema nor the table grants anything, so no other role can
 * take or hold a lock on it.  It never holds a row; autovacuum has nothing
 * to do on it and is told so, so that its locks never delay a deploy.
 */
CREATE TABLE migrate.writer_lock () WITH (autovacuum_enabled = false);
COMMENT ON TABLE migrate.writer_lock IS 'locked by every writer of the migrate extension; holds no rows';
REVOKE ALL ON migrate.writer_lock FROM PUBLIC;

/*
 * migrate_schema() in C (SPEC §9, §14): the same rows as the PL/pgSQL
 * version of 0.2, but each object is described under a lock taken without
 * waiting and released at once, so that another session's DDL never makes
 * it fail and is never blocked by it.
 */
CREATE OR REPLACE FUNCTION migrate_schema(OUT kind text, OUT identity text, OUT definition text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_schema'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate_schema()
    IS 'the user schema, one row per object with its identity and definition, stable across OIDs and dump/restore';
REVOKE ALL ON FUNCTION migrate_schema() FROM PUBLIC;
