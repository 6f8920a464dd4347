#!/usr/bin/env bash
# test/bench/diff_bench.sh [TABLES]: what generating a migration costs
# between two schemas of TABLES tables (default 1000).  Not a test; CI does
# not run it.  Run as root.
#
# Database diff_a gets TABLES tables (bigint key, text, timestamptz default,
# an index on the timestamp; every 10th a foreign key to the one before,
# every 5th a view over it).  Database diff_b starts the same and then
# changes: every 10th table gets a column, every 7th another index, every
# 20th view another query, every 3rd text column a NOT NULL, the last 50
# tables are dropped (with their views) and 50 new ones made.  Each is
# described with migrate_describe_json() and the diff from diff_a to diff_b
# computed ROUNDS times (default 5) with migrate_diff(), in a third; the
# median server time of each is reported, with the number of statements.
# Then the statements are run in diff_a, one by one, as a deploy of a
# non-transactional migration would, and diff_a must have the fingerprint
# of diff_b: the benchmark checks what it measures.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/diff_bench.sh" "$@"

TABLES=${1:-1000}
[[ $TABLES =~ ^[1-9][0-9]*$ && $TABLES -ge 100 ]] || die "usage: $0 [TABLES]  (an integer, at least 100)"
ROUNDS=${ROUNDS:-5}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"

bench_setup diffbench 2097152 \
    "migrate diff benchmark: the migration between two schemas of $TABLES tables"
cluster_start 1024
echo "cluster: fsync = off, data in ${CLUSTER_PARENT:-/tmp}; $ROUNDS rounds, medians reported"
echo

# schema N: the tables of both databases
schema() {
    awk -v n="$1" 'BEGIN {
        for (i = 1; i <= n; i++) {
            printf "CREATE TABLE t%d (id bigint PRIMARY KEY, v text, created timestamptz DEFAULT now(), prev_id bigint);\n", i
            printf "CREATE INDEX t%d_created ON t%d (created);\n", i, i
            if (i % 10 == 0)
                printf "ALTER TABLE t%d ADD CONSTRAINT t%d_prev FOREIGN KEY (prev_id) REFERENCES t%d (id);\n", i, i, i - 1
            if (i % 5 == 0)
                printf "CREATE VIEW v%d AS SELECT id, v FROM t%d WHERE id > 0;\n", i, i
        }
    }'
}

# changes N: what makes diff_b of diff_a
changes() {
    awk -v n="$1" 'BEGIN {
        for (i = 1; i <= n - 50; i++) {
            if (i % 10 == 0)
                printf "ALTER TABLE t%d ADD COLUMN extra int DEFAULT 0;\n", i
            if (i % 7 == 0)
                printf "CREATE INDEX t%d_v ON t%d (v);\n", i, i
            if (i % 20 == 0)
                printf "CREATE OR REPLACE VIEW v%d AS SELECT id, v FROM t%d WHERE id > 1;\n", i, i
            if (i % 3 == 0)
                printf "ALTER TABLE t%d ALTER COLUMN v SET NOT NULL;\n", i
        }
        for (i = n - 49; i <= n; i++)
            printf "DROP TABLE t%d CASCADE;\n", i
        for (i = 1; i <= 50; i++)
            printf "CREATE TABLE n%d (id bigint PRIMARY KEY, t_id bigint REFERENCES t%d (id), note text);\n", i, i
    }'
}

echo "creating the databases ..."
for db in diff_a diff_b; do
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
    { echo "SET client_min_messages = warning;"; echo "CREATE EXTENSION migrate;"; schema "$TABLES"; } |
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null
done
{ echo "SET client_min_messages = warning;"; changes "$TABLES"; } | psql -X -q -v ON_ERROR_STOP=1 -d diff_b >/dev/null
psql -X -q -At -d diff_a -c "SELECT count(*) FROM migrate_schema()" >"$WORK/objects_a"
psql -X -q -At -d diff_b -c "SELECT count(*) FROM migrate_schema()" >"$WORK/objects_b"
psql -X -q -At -d diff_b -c "SELECT migrate_fingerprint()" >"$WORK/fingerprint_b"

RESULTS=$WORK/results
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
    echo "describe_a $(server_ms diff_a 'SELECT migrate_describe_json()')" >>"$RESULTS"
    echo "describe_b $(server_ms diff_b 'SELECT migrate_describe_json()')" >>"$RESULTS"
done
# migrate_diff() reads nothing of the database: the descriptions are
# compared in a third one
for db in diff_a diff_b; do
    psql -X -q -At -d "$db" -c "SELECT migrate_describe_json()" >"$WORK/$db.json"
done
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE diff_work" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d diff_work >/dev/null <<SQL
CREATE EXTENSION migrate;
CREATE TABLE bench_desc (name text PRIMARY KEY, d jsonb);
\set a \`cat $WORK/diff_a.json\`
\set b \`cat $WORK/diff_b.json\`
INSERT INTO bench_desc VALUES ('a', :'a'), ('b', :'b');
SQL
DIFF="migrate_diff((SELECT d FROM bench_desc WHERE name = 'a'), (SELECT d FROM bench_desc WHERE name = 'b'), allow_drop => true)"
for ((r = 1; r <= ROUNDS; r++)); do
    echo "diff $(server_ms diff_work "SELECT count(*) FROM $DIFF")" >>"$RESULTS"
done
psql -X -q -At -F ' ' -d diff_work >"$WORK/statements" <<SQL
SELECT count(*), count(*) FILTER (WHERE NOT transactional), count(*) FILTER (WHERE destructive) FROM $DIFF;
SQL

echo "applying the generated statements to diff_a ..."
psql -X -q -At -d diff_work -c "SELECT statement FROM $DIFF ORDER BY step" >"$WORK/up.sql"
psql -X -q -d diff_a -f "$WORK/up.sql" >"$WORK/apply.log" 2>&1 || true
errors=$(grep -c 'ERROR' "$WORK/apply.log" || true)
same=$(psql -X -q -At -d diff_a -c "SELECT migrate_fingerprint() = '$(cat "$WORK/fingerprint_b")'")
cluster_stop

read -r nstmt nontx ndestr <"$WORK/statements"
echo
echo "objects described: $(cat "$WORK/objects_a") (a), $(cat "$WORK/objects_b") (b)"
echo "statements generated: $nstmt ($nontx to run on their own, $ndestr destructive)"
printf '%-34s %10s\n' step "median ms"
printf '%-34s %10s\n' ---- ---------
printf '%-34s %10s\n' "migrate_describe_json() of a" "$(awk '$1 == "describe_a" { print $2 }' "$RESULTS" | median)"
printf '%-34s %10s\n' "migrate_describe_json() of b" "$(awk '$1 == "describe_b" { print $2 }' "$RESULTS" | median)"
printf '%-34s %10s\n' "migrate_diff(a, b)" "$(awk '$1 == "diff" { print $2 }' "$RESULTS" | median)"
echo
echo "applied to a, one statement at a time: $errors errors; fingerprint then equal to b's: $same"
[[ $errors -eq 0 && $same == t ]] || { head -n 20 "$WORK/apply.log"; die "the generated statements did not turn a into b"; }
