--
-- Version order of migration ids (SPEC §4): digit runs compare as numbers of
-- any length, other runs byte-wise, ties broken byte-wise on the whole id.
-- The order comes from C code, never from the database's collation.
--
CREATE EXTENSION migrate;
SET client_min_messages = warning;

-- registered in scrambled order
SELECT count(*) FROM (
  SELECT migrate_register(id, 'SELECT 1', 'SELECT 1')
    FROM unnest(ARRAY[
      'v10', '10_y', 'a', '1_a', '1.2.10', '20261122000000_b', '001',
      '100000000000000000000000000_huger', 'v1.9', '1-a', '2_x', '1',
      'B', '1.a', '99999999999999999999999999_huge', '1a', 'v2',
      '20261121093000_add', '01', '1.2.9', 'v1.10']) AS id) s;

-- migrate_status() lists them in version order
SELECT row_number() OVER () AS n, id FROM migrate_status();

-- text order of the same ids (collation "C") is different
SELECT array_agg(id ORDER BY id COLLATE "C") AS text_order
  FROM migrate.migration WHERE id IN ('10_y', '2_x', '1.2.10', '1.2.9');

-- migrate_current() is the latest in version order, not in text order
SELECT migrate_apply('1.2.10');
SELECT migrate_current();
SELECT migrate_apply('10_y');
SELECT migrate_current();
SELECT migrate_apply('100000000000000000000000000_huger');
SELECT migrate_current();

DROP EXTENSION migrate;
