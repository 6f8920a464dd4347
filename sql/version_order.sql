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

-- Thousands of ids are sorted by sort keys built in C (version.c); check
-- the order against a comparison written here from the rules, for 3,000
-- random ids of digits, letters, '_', '-' and '.', with numbers of up to
-- 60 digits and leading zeros, and runs that are prefixes of others.
CREATE FUNCTION version_cmp(a text, b text) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  ra text[] := ARRAY(SELECT m[1] FROM regexp_matches(a, '[0-9]+|[^0-9]+', 'g') m);
  rb text[] := ARRAY(SELECT m[1] FROM regexp_matches(b, '[0-9]+|[^0-9]+', 'g') m);
  x text; y text; i int;
BEGIN
  FOR i IN 1 .. least(cardinality(ra), cardinality(rb)) LOOP
    x := ra[i]; y := rb[i];
    IF x ~ '^[0-9]' AND y ~ '^[0-9]' THEN
      x := coalesce(nullif(ltrim(x, '0'), ''), '0');
      y := coalesce(nullif(ltrim(y, '0'), ''), '0');
      IF length(x) <> length(y) THEN RETURN sign(length(x) - length(y)); END IF;
    END IF;
    IF x COLLATE "C" < y COLLATE "C" THEN RETURN -1; END IF;
    IF x COLLATE "C" > y COLLATE "C" THEN RETURN 1; END IF;
  END LOOP;
  IF cardinality(ra) <> cardinality(rb) THEN RETURN sign(cardinality(ra) - cardinality(rb)); END IF;
  RETURN CASE WHEN a COLLATE "C" < b COLLATE "C" THEN -1 WHEN a COLLATE "C" > b COLLATE "C" THEN 1 ELSE 0 END;
END $$;
SELECT count(*) FROM (SELECT migrate_unregister(id) FROM migrate_status() WHERE state = 'pending') u;
SELECT setseed(0.4242);
CREATE FUNCTION random_id() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  id text := substr('19aZz', 1 + floor(random() * 5)::int, 1);
BEGIN
  FOR i IN 1 .. floor(random() * 12)::int LOOP
    IF random() < 0.1 THEN      -- a long number, maybe with leading zeros
      id := id || repeat('0', floor(random() * 3)::int);
      FOR j IN 1 .. 1 + floor(random() * 60)::int LOOP
        id := id || floor(random() * 10)::int;
      END LOOP;
    ELSE
      id := id || substr('0019aZz_-.', 1 + floor(random() * 10)::int, 1);
    END IF;
  END LOOP;
  RETURN id;
END $$;
CREATE TEMP TABLE random_ids AS SELECT DISTINCT random_id() AS id FROM generate_series(1, 3000);
DELETE FROM random_ids WHERE id IN ('head', 'base') OR id IN (SELECT id FROM migrate.migration);
SELECT count(*) > 2000 AS many FROM (SELECT migrate_register(id, 'SELECT 1;') FROM random_ids) r;
-- every pair of neighbours in migrate_status() is in order, and every id is there
SELECT count(*) AS out_of_order
  FROM (SELECT id, lead(id) OVER (ORDER BY n) AS next
          FROM (SELECT row_number() OVER () AS n, id FROM migrate_status()) s) p
 WHERE next IS NOT NULL AND version_cmp(id, next) >= 0;
SELECT (SELECT count(*) FROM migrate_status()) = (SELECT count(*) FROM migrate.migration) AS all_listed;
DROP FUNCTION version_cmp(text, text);
DROP FUNCTION random_id();

DROP EXTENSION migrate;
