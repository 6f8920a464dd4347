--
-- migrate_changed(ids, checksums) and migrate_registration_checksum(): what
-- the client pg_migrate asks before it registers (SPEC §11), so that a
-- deploy sends the scripts of new and changed migrations only.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

-- the registration checksum, as src/changed.c defines it: the up script's
-- checksum, the down script and the description as <length>:<text> (or -),
-- the flags data_loss_ok and transactional, on lines of their own
SELECT migrate_registration_checksum('CREATE TABLE a (id int);', 'DROP TABLE a;', 'table ä', false, true)
     = encode(sha256(convert_to(
         encode(sha256(convert_to('CREATE TABLE a (id int);', 'UTF8')), 'hex') || E'\n' ||
         '13:DROP TABLE a;' || E'\n' ||
         '8:table ä' || E'\n' || 'ft', 'UTF8')), 'hex') AS as_defined;
-- NULL down script or description: "-"
SELECT migrate_registration_checksum('SELECT 1;', NULL, NULL, true, false)
     = encode(sha256(convert_to(
         encode(sha256(convert_to('SELECT 1;', 'UTF8')), 'hex') || E'\n-\n-\ntf', 'UTF8')), 'hex') AS as_defined;
-- an empty down script is not a NULL one
SELECT migrate_registration_checksum('SELECT 1;', '') <> migrate_registration_checksum('SELECT 1;') AS empty_is_not_null;

SELECT migrate_register('0001_a', 'CREATE TABLE a (id int);', 'DROP TABLE a;', 'table a');
SELECT migrate_register('0002_b', 'CREATE TABLE b (id int);', NULL);
SELECT migrate_register('0003_c', 'CREATE INDEX CONCURRENTLY c ON a (id);', '', transactional => false);
SELECT migrate_apply('0001_a');

CREATE TEMP TABLE files (n int, id text, up text, down text, description text,
                         data_loss_ok boolean, transactional boolean);
INSERT INTO files VALUES
  (1, '0001_a', 'CREATE TABLE a (id int);', 'DROP TABLE a;', 'table a', false, true),
  (2, '0002_b', 'CREATE TABLE b (id int);', NULL, NULL, false, true),
  (3, '0003_c', 'CREATE INDEX CONCURRENTLY c ON a (id);', '', NULL, false, false);

-- as registered: nothing to send
SELECT * FROM migrate_changed(
  (SELECT array_agg(id ORDER BY n) FROM files),
  (SELECT array_agg(migrate_registration_checksum(up, down, description, data_loss_ok, transactional) ORDER BY n) FROM files));

-- a new file, a changed down script (of an applied migration: allowed), a
-- changed description, a changed flag; answered in the order given
INSERT INTO files VALUES (4, '0004_d', 'CREATE TABLE d (id int);', 'DROP TABLE d;', NULL, false, true);
UPDATE files SET down = 'DROP TABLE IF EXISTS a;' WHERE id = '0001_a';
UPDATE files SET description = 'table b' WHERE id = '0002_b';
UPDATE files SET data_loss_ok = true WHERE id = '0003_c';
SELECT * FROM migrate_changed(
  (SELECT array_agg(id ORDER BY n DESC) FROM files),
  (SELECT array_agg(migrate_registration_checksum(up, down, description, data_loss_ok, transactional) ORDER BY n DESC) FROM files));

-- what migrate_register() then answers for them
SELECT f.id, migrate_register(f.id, f.up, f.down, f.description, f.data_loss_ok, f.transactional)
  FROM files f JOIN migrate_changed(
    (SELECT array_agg(id ORDER BY n) FROM files),
    (SELECT array_agg(migrate_registration_checksum(up, down, description, data_loss_ok, transactional) ORDER BY n) FROM files)) c
    ON c.id = f.id
 ORDER BY f.n;
SELECT * FROM migrate_changed(
  (SELECT array_agg(id ORDER BY n) FROM files),
  (SELECT array_agg(migrate_registration_checksum(up, down, description, data_loss_ok, transactional) ORDER BY n) FROM files));

-- registered by another role: registering again makes the caller the author
CREATE ROLE regress_migrate_other;
GRANT EXECUTE ON FUNCTION migrate_changed(text[], text[]),
  migrate_registration_checksum(text, text, text, boolean, boolean),
  migrate_register(text, text, text, text, boolean, boolean) TO regress_migrate_other;
SET ROLE regress_migrate_other;
SELECT * FROM migrate_changed(ARRAY['0001_a', '0002_b'],
  ARRAY[migrate_registration_checksum('CREATE TABLE a (id int);', 'DROP TABLE IF EXISTS a;', 'table a'),
        migrate_registration_checksum('CREATE TABLE b (id int);', NULL, 'table b')]);
RESET ROLE;

-- an id given twice is answered once; a wrong checksum is a change; an id
-- that is not one is new (migrate_register() says why it is not)
SELECT left(id, 20) AS id, length(id), change
  FROM migrate_changed(ARRAY['0009_new', '0009_new', '0002_b', 'not an id!', repeat('x', 201)],
                       ARRAY['0', '1', 'x', 'y', 'z']);
SELECT * FROM migrate_changed('{}', '{}');

-- bad calls
SELECT * FROM migrate_changed(ARRAY['a'], ARRAY['x', 'y']);
SELECT * FROM migrate_changed(ARRAY['a', NULL], ARRAY['x', 'y']);
SELECT * FROM migrate_changed(NULL, ARRAY['x']);
SELECT * FROM migrate_changed(ARRAY[['a'], ['b']], ARRAY[['x'], ['y']]);
SELECT migrate_registration_checksum(NULL);

-- PUBLIC may not call them
CREATE ROLE regress_migrate_nobody_c;
SET ROLE regress_migrate_nobody_c;
SELECT * FROM migrate_changed('{}', '{}');
SELECT migrate_registration_checksum('SELECT 1');
RESET ROLE;

-- from inside a migration script: refused where the parse tree shows it,
-- and when it runs otherwise
SELECT migrate_register('0010_calls', 'SELECT * FROM migrate_changed(''{}'', ''{}'');');
SELECT migrate_register('0010_calls', 'DO $$ BEGIN PERFORM * FROM migrate_changed(''{}'', ''{}''); END $$;');
SELECT migrate_unregister('0003_c');
SELECT migrate_apply('0010_calls');

DROP EXTENSION migrate;
DROP TABLE a;
DROP ROLE regress_migrate_other;
DROP ROLE regress_migrate_nobody_c;
