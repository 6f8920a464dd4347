#!/usr/bin/env bash
# test/bench/verify_bench.sh: speed of the schema description and of
# migrate_verify() (not a test; CI does not run it).  Run as root.
#
# 1. migrate_schema() and migrate_fingerprint() of 10,000 tables, each with
#    a primary key, a NOT NULL and a defaulted column, a CHECK constraint
#    and an index (server ms, median of 3).  Goal: under 2 s.
# 2. migrate_verify() of 100 typical pending migrations (create a table
#    with a key and a foreign key, add an index, add a column with a
#    default, add a CHECK, rename a column...; each with its down script)
#    on a database of 200 tables (server ms, median of 3).  Goal: under 5 s.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/verify_bench.sh" "$@"

bench_setup verifybench 2097152 "migrate verification benchmark"
cluster_start 2048

# --- 1. describing 10,000 tables ---------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE describe_bench' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d describe_bench >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION migrate;
SELECT format('CREATE TABLE t%s (id bigint PRIMARY KEY, name text NOT NULL, n int DEFAULT 0 CHECK (n >= 0), created timestamptz DEFAULT now()); CREATE INDEX ON t%s (name);', i, i)
  FROM generate_series(1, 10000) i \gexec
SQL
objects=$(psql -X -q -At -d describe_bench -c 'SELECT count(*) FROM migrate_schema()')
describe=()
fingerprint=()
for _ in 1 2 3; do
    describe+=("$(server_ms describe_bench 'SELECT count(*) FROM migrate_schema()')")
    fingerprint+=("$(server_ms describe_bench 'SELECT migrate_fingerprint()')")
done
psql -X -q -c 'DROP DATABASE describe_bench' >/dev/null

# --- 2. verifying 100 migrations -------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE verify_bench' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d verify_bench >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION migrate;
SELECT format('CREATE TABLE base%s (id bigint PRIMARY KEY, name text NOT NULL, n int DEFAULT 0); CREATE INDEX ON base%s (name);', i, i)
  FROM generate_series(1, 200) i \gexec
SELECT migrate_accept_drift();
SELECT count(migrate_register(lpad(i::text, 4, '0') || '_m',
         CASE i % 5
           WHEN 0 THEN format('CREATE TABLE m%s (id bigint PRIMARY KEY, base_id bigint REFERENCES base%s, note text);', i, 1 + i % 200)
           WHEN 1 THEN format('CREATE INDEX m_idx_%s ON base%s (n);', i, 1 + i % 200)
           WHEN 2 THEN format('ALTER TABLE base%s ADD COLUMN c%s int DEFAULT 1;', 1 + i % 200, i)
           WHEN 3 THEN format('ALTER TABLE base%s ADD CONSTRAINT k%s CHECK (n >= 0);', 1 + i % 200, i)
           ELSE format('ALTER TABLE base%s RENAME COLUMN name TO name%s;', 1 + i % 200, i) END,
         CASE i % 5
           WHEN 0 THEN format('DROP TABLE m%s;', i)
           WHEN 1 THEN format('DROP INDEX m_idx_%s;', i)
           WHEN 2 THEN format('ALTER TABLE base%s DROP COLUMN c%s;', 1 + i % 200, i)
           WHEN 3 THEN format('ALTER TABLE base%s DROP CONSTRAINT k%s;', 1 + i % 200, i)
           ELSE format('ALTER TABLE base%s RENAME COLUMN name%s TO name;', 1 + i % 200, i) END))
  FROM generate_series(1, 100) i;
SQL
results=$(psql -X -q -At -d verify_bench -c "SELECT result || ' ' || count(*) FROM migrate_verify() GROUP BY result ORDER BY 1")
verify=()
for _ in 1 2 3; do
    verify+=("$(server_ms verify_bench 'SELECT count(*) FROM migrate_verify()')")
done
psql -X -q -c 'DROP DATABASE verify_bench' >/dev/null
cluster_stop

echo
echo "1. 10,000 tables ($objects objects described), server ms, median of 3:"
printf '   migrate_schema():      %8s   (runs: %s)\n' "$(printf '%s\n' "${describe[@]}" | median)" "${describe[*]}"
printf '   migrate_fingerprint(): %8s   (runs: %s)\n' "$(printf '%s\n' "${fingerprint[@]}" | median)" "${fingerprint[*]}"
echo
echo "2. migrate_verify() of 100 pending migrations on 200 tables, server ms, median of 3:"
printf '   %8s   (runs: %s)\n' "$(printf '%s\n' "${verify[@]}" | median)" "${verify[*]}"
echo "   results: $(echo "$results" | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
