#!/usr/bin/env bash
# test/bench/schema_size_bench.sh [SIZES...]: what a call of migrate_apply()
# and migrate_rollback() costs beside its migration, on databases of SIZES
# tables (default 100 1000 10000).  Not a test; CI does not run it.  Run as
# root.
#
# Each size gets a fresh database of that many tables (bigint key, text,
# timestamptz default, an index on the timestamp) and the extension; one
# migration is applied and rolled back untimed first, so that the drift
# reference and the schema before the first migration are recorded (the
# first apply on a database describes the whole schema once).  Then ROUNDS
# rounds (default 7) each apply and roll back, one call each:
#   create: a migration that creates a small table with a key;
#   alter:  a migration that adds a column with a default to one of the
#           existing tables, which a view reads (so that the drift record
#           describes the table again, and the view over it).
# "call": server time of the call, clock_timestamp() read in the session
# just before and after it; "migration": the migration's own time, as
# migrate.applied.duration records it (its statements only); "added": call
# minus migration, which is what the extension costs.  Medians of the
# rounds.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/schema_size_bench.sh" "$@"

SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(100 1000 10000)
for s in "${SIZES[@]}"; do
    [[ $s =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [SIZES...]  (positive integers)"
done
ROUNDS=${ROUNDS:-7}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"

bench_setup sizebench 4194304 \
    "migrate schema size benchmark: one migration applied and rolled back on ${SIZES[*]} tables"
cluster_start 256
echo "cluster: fsync = off, data in ${CLUSTER_PARENT:-/tmp}; $ROUNDS rounds, medians reported"
echo

# one_call DB KIND R: apply and roll back migration R of KIND; prints
# "KIND call_ms migration_ms rollback_ms"
one_call() {
    local db=$1 kind=$2 r=$3 up down
    case $kind in
        create)
            up="CREATE TABLE small_$r (id int PRIMARY KEY, note text);"
            down="DROP TABLE small_$r;"
            ;;
        alter)
            up="ALTER TABLE t1 ADD COLUMN extra_$r integer DEFAULT 0;"
            down="ALTER TABLE t1 DROP COLUMN extra_$r;"
            ;;
    esac
    psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
\o /dev/null
SELECT migrate_register('${kind}_$r', \$up\$$up\$up\$, \$down\$$down\$down\$);
\o
SELECT clock_timestamp() AS a0 \gset
SELECT migrate_apply() AS applied \gset
SELECT clock_timestamp() AS a1 \gset
SELECT extract(epoch FROM duration) * 1000 AS own FROM migrate.applied WHERE id = '${kind}_$r' \gset
SELECT clock_timestamp() AS r0 \gset
SELECT migrate_rollback(allow_data_loss => true) AS rolled \gset
SELECT clock_timestamp() AS r1 \gset
\o /dev/null
SELECT migrate_unregister('${kind}_$r');
\o
SELECT '$kind',
       round(extract(epoch FROM :'a1'::timestamptz - :'a0'::timestamptz)::numeric * 1000, 2),
       round(:'own'::numeric, 2),
       round(extract(epoch FROM :'r1'::timestamptz - :'r0'::timestamptz)::numeric * 1000, 2)
 WHERE :applied = 1 AND :rolled = 1;
SQL
}

RESULTS=$WORK/results
: >"$RESULTS"
for size in "${SIZES[@]}"; do
    db=size_$size
    echo "$size tables: creating the database ..."
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
    awk -v n="$size" 'BEGIN {
        for (i = 1; i <= n; i++)
            printf "CREATE TABLE t%d (id bigint PRIMARY KEY, v text, created timestamptz DEFAULT now());\nCREATE INDEX t%d_created ON t%d (created);\n", i, i, i
        print "CREATE VIEW t1_view AS SELECT * FROM t1;"
    }' | psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION migrate;
VACUUM ANALYZE;
SELECT migrate_register('0000_first', 'CREATE TABLE first (id int);', 'DROP TABLE first;');
SELECT migrate_apply();
SQL
    # untimed warm-up of both kinds
    one_call "$db" create 0 >/dev/null
    one_call "$db" alter 0 >/dev/null
    for ((r = 1; r <= ROUNDS; r++)); do
        for kind in create alter; do
            out=$(one_call "$db" "$kind" "$r")
            [[ -n $out ]] || die "round $r of $kind on $size tables did not apply and roll back one migration"
            echo "$size $out" >>"$RESULTS"
        done
    done
    psql -X -q -c "DROP DATABASE $db"
done
cluster_stop

echo
printf '%-8s %-7s %12s %14s %10s %14s\n' tables kind "call ms" "migration ms" "added ms" "rollback ms"
printf '%-8s %-7s %12s %14s %10s %14s\n' ------ ---- ------- ------------ -------- -----------
for size in "${SIZES[@]}"; do
    for kind in create alter; do
        col() { awk -v s="$size" -v k="$kind" -v c="$1" '$1 == s && $2 == k { print $c }' "$RESULTS" | median; }
        added=$(awk -v s="$size" -v k="$kind" '$1 == s && $2 == k { print $3 - $4 }' "$RESULTS" | median)
        printf '%-8s %-7s %12s %14s %10s %14s\n' "$size" "$kind" "$(col 3)" "$(col 4)" "$added" "$(col 5)"
    done
done
