--
-- Trust boundaries (SPEC §14), tried as an attacker would.  Each section is
-- an attack that worked on version 0.2; the extension's own work must not
-- run another role's code, what runs must be what was checked, and no role
-- without the extension's grants may change what it does.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

--
-- 1. What runs is what was checked: no setting a script changes can split
-- or join its statements.  Up to 0.2 each statement's text was lexed again
-- when it ran, after the script's SET standard_conforming_strings = off, and
-- this SELECT then ran as a SELECT and a DROP TABLE.
--
CREATE TABLE victim AS SELECT g AS id FROM generate_series(1, 1000) g;
SELECT migrate_register('0001_smuggle', $$SET standard_conforming_strings = off;
SELECT 'a\' AS x, '; DROP TABLE victim; -- ' AS y;$$, 'SELECT 1;');
-- the plan sees two statements, a SET and a SELECT
SELECT id, statement, command FROM migrate_plan();
SELECT migrate_apply();
SELECT count(*) AS victim_rows FROM victim;
SHOW standard_conforming_strings;

-- the session applying it has the setting off: the same statements
SELECT migrate_register('0002_smuggle_again', $$SELECT 'b\' AS x, '; DROP TABLE victim; -- ' AS y;$$, 'SELECT 1;');
SET standard_conforming_strings = off;
SELECT migrate_apply();
RESET standard_conforming_strings;
SELECT count(*) AS victim_rows FROM victim;

-- and the session registering it: scripts are always parsed with
-- standard_conforming_strings on, so a script written for off is refused
-- wherever it is registered, instead of parsing one way here and another
-- way there
SET standard_conforming_strings = off;
SELECT migrate_register('0003_written_for_off', $$INSERT INTO victim VALUES (length('it\'s'));$$);
RESET standard_conforming_strings;
SELECT migrate_register('0003_written_for_off', $$INSERT INTO victim VALUES (length('it\'s'));$$);
-- escape strings say what they mean under every setting
CREATE TABLE lengths (n int);
SET backslash_quote = off;
SELECT migrate_register('0003_escape_string', $$INSERT INTO lengths VALUES (length(E'it\'s'));$$, 'DELETE FROM lengths WHERE n = 4;');
RESET backslash_quote;
SELECT migrate_apply();
SELECT n FROM lengths;
SELECT migrate_rollback('base');
DROP TABLE victim, lengths;
