#!/usr/bin/env bash
# test/bench/client_bench.sh [N...]: a deploy job with nothing to do, the
# case of every release: pg_migrate deploy against dbmate's migrate and
# against the psql script of pg_migrate print, over the same N migration
# files (default 1000 10000), side by side in one run.  Not a test; CI does
# not run it.  Run as root.
#
# For each N: N files in dbmate's layout (migration i creates table t_i with
# a key, a text and a timestamptz column; its down drops it), which both
# tools read.  Untimed: dbmate migrates one database, pg_migrate deploys
# into another, and the psql script of pg_migrate print is run once on a
# third.  Timed: ROUNDS rounds (default 7), each running, one after the
# other,
#   dbmate:     dbmate --no-dump-schema migrate (nothing pending);
#   pg_migrate: pg_migrate deploy (sends the ids and registration checksums,
#               nothing to register, then CALL migrate_deploy());
#   psql:       psql -X -f on the printed script (every script sent and
#               registered again, then CALL migrate_deploy()).
# Wall time of each process, connection and reading the files included;
# medians reported.  The cluster runs with fsync, synchronous_commit and
# full_page_writes on, on the disk under /tmp.  test/lib.sh
# ensure_peer_tools installs dbmate from npm, outside the tree.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/client_bench.sh" "$@"

SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(1000 10000)
for n in "${SIZES[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [N...]  (positive integers)"
done
ROUNDS=${ROUNDS:-7}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"

bench_setup clientbench 0 \
    "pg_migrate deploy against dbmate migrate, nothing to do, at ${SIZES[*]} migrations"
ensure_peer_tools >"$WORK/tools.log" 2>&1 || { cat "$WORK/tools.log"; die "could not install dbmate"; }
echo "dbmate:  $("$MIGRATE_DBMATE" --version)"
PGM=$PG_BIN/pg_migrate
# durable, on disk, as a production server
CLUSTER_PARENT=/tmp
export CLUSTER_FSYNC=on
cluster_start
echo "cluster: fsync, synchronous_commit and full_page_writes on, data on the disk under /tmp;"
echo "         $ROUNDS rounds, medians of wall times reported"
echo

# ms: milliseconds since the epoch, with a decimal
ms() { date +%s%N | awk '{ printf "%.1f\n", $1 / 1000000 }'; }

# timed NAME CMD...: run CMD, output discarded, and append its wall time in
# ms to $WORK/NAME.times; fail if it fails
timed() {
    local name=$1 t0 t1
    shift
    t0=$(ms)
    "$@" >/dev/null 2>"$WORK/last.err" || { cat "$WORK/last.err" >&2; die "$name failed"; }
    t1=$(ms)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >>"$WORK/$name.times"
}

printf '%-8s | %-22s | %-22s | %-25s | %s\n' N "dbmate migrate (ms)" "pg_migrate deploy (ms)" "psql, print's script (ms)" "pg_migrate / dbmate"
printf '%s\n' "---------+------------------------+------------------------+---------------------------+--------------------"
for n in "${SIZES[@]}"; do
    dir=$WORK/migrations_$n
    mkdir -p "$dir"
    awk -v n="$n" -v dir="$dir" 'BEGIN {
        for (i = 1; i <= n; i++) {
            f = sprintf("%s/2024%010d_create_t_%d.sql", dir, i, i)
            printf "-- migrate:up\nCREATE TABLE t_%d (id bigint PRIMARY KEY, name text, created_at timestamptz DEFAULT now());\n\n-- migrate:down\nDROP TABLE t_%d;\n", i, i > f
            close(f)
        }
    }'
    chmod -R a+rX "$WORK"
    for db in dbmate pgm psql; do
        psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE ${db}_$n"
        psql -X -q -v ON_ERROR_STOP=1 -d "${db}_$n" -c "CREATE EXTENSION migrate"
    done
    url="postgres://postgres@:$PGPORT/dbmate_$n?socket=$PGHOST&sslmode=disable"
    "$MIGRATE_DBMATE" --url "$url" --migrations-dir "$dir" --no-dump-schema migrate >"$WORK/setup.log" 2>&1 ||
        { tail "$WORK/setup.log"; die "dbmate migrate failed"; }
    "$PGM" -q -D "$dir" deploy "dbname=pgm_$n" >>"$WORK/setup.log" 2>&1 ||
        { tail "$WORK/setup.log"; die "pg_migrate deploy failed"; }
    "$PGM" -D "$dir" print >"$WORK/deploy_$n.psql"
    psql -X -q -f "$WORK/deploy_$n.psql" -d "psql_$n" >>"$WORK/setup.log" 2>&1 ||
        { tail "$WORK/setup.log"; die "psql failed"; }

    rm -f "$WORK"/*.times
    for ((r = 1; r <= ROUNDS; r++)); do
        timed dbmate "$MIGRATE_DBMATE" --url "$url" --migrations-dir "$dir" --no-dump-schema migrate
        timed pgm "$PGM" -q -D "$dir" deploy "dbname=pgm_$n"
        timed psql psql -X -q -f "$WORK/deploy_$n.psql" -d "psql_$n"
    done
    d=$(median <"$WORK/dbmate.times")
    p=$(median <"$WORK/pgm.times")
    s=$(median <"$WORK/psql.times")
    printf '%-8s | %-22s | %-22s | %-25s | %s\n' "$n" "$d" "$p" "$s" \
        "$(awk -v a="$p" -v b="$d" 'BEGIN { printf "%.2f", a / b }')"
    for name in dbmate pgm psql; do
        echo "    rounds, $name: $(paste -sd ' ' "$WORK/$name.times")"
    done >>"$WORK/rounds.txt"
    # the databases agree: every migration applied, once
    [[ $(psql -X -At -d "pgm_$n" -c "SELECT count(*) FROM migrate_status() WHERE state = 'applied'") == "$n" ]] ||
        die "pg_migrate: not all $n migrations applied"
    [[ $(psql -X -At -d "dbmate_$n" -c "SELECT count(*) FROM schema_migrations") == "$n" ]] ||
        die "dbmate: not all $n migrations applied"
done
echo
cat "$WORK/rounds.txt"
cluster_stop
