#!/usr/bin/env bash
# test/bench/bench.sh [N]: benchmark of migrate with N generated migrations
# (default 1000).  Not a test; CI does not run it.  Run as root.
#
# Migration i: CREATE TABLE t_i (id bigint primary key, payload text,
# created_at timestamptz default now()); every third also indexes
# t_i(created_at); every fifth also adds column extra_i to t_{i-1}.  Each has a
# down script that undoes it (in reverse order).
#
# Timed, in one session of database bench_migrate: register all N (one psql
# script, one transaction), apply head, apply head again (nothing pending;
# the first call after a change loads the migrations' state), SELECT
# count(*) FROM migrate_status(), the same calls again with the state kept,
# re-register all N unchanged, rollback
# base, apply head again in calls of '+50' (each its own transaction).
# Baseline, in database bench_base: the same up SQL, concatenated, run with
# `psql -X -q -1 -f`, then the down SQL the same way.
#
# ROUNDS rounds (default 3; env ROUNDS) alternate the two, each in fresh
# databases, and every figure is the median of the rounds.  The cluster lives
# on tmpfs (/dev/shm) when it has room: creating thousands of relation files
# on ext4 after many deletions is slow in the kernel and varies from run to
# run by a factor of 3 or more, which would measure the file system rather
# than the server (seen on this machine: psql -1 of the same 1000 migrations
# took 0.96 s in one run and 3.8 s in the next).
#
# "server ms": clock_timestamp() read by the server just before and just
# after the statement (after its commit), so it includes the round trips of
# the statements (one for apply; N for register).  "wall ms": read by psql
# (`date` in a backquote) around the same statements.  The baseline is the
# wall time of the whole psql process, connection included (a few ms).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/bench.sh" "$@"

N=${1:-1000}
[[ $N =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [N]  (N a positive integer)"
ROUNDS=${ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
MAX_LOCKS=2048
bench_setup bench 4194304 "migrate benchmark, N = $N migrations"

# --- generate the migrations -----------------------------------------------
# register.sql: N migrate_register calls; base_up.sql / base_down.sql: the same
# SQL concatenated (down in reverse order) for the baseline.
awk -v n="$N" -v w="${#N}" -v reg="$WORK/register.sql" \
    -v up_all="$WORK/base_up.sql" -v down_all="$WORK/base_down.sql" '
BEGIN {
    for (i = 1; i <= n; i++) {
        up = sprintf("CREATE TABLE t_%d (id bigint PRIMARY KEY, payload text, created_at timestamptz DEFAULT now());\n", i)
        down = sprintf("DROP TABLE t_%d;\n", i)
        if (i % 3 == 0) {
            up = up sprintf("CREATE INDEX t_%d_created_at_idx ON t_%d (created_at);\n", i, i)
            down = sprintf("DROP INDEX t_%d_created_at_idx;\n", i) down
        }
        if (i % 5 == 0) {
            up = up sprintf("ALTER TABLE t_%d ADD COLUMN extra_%d integer;\n", i - 1, i)
            down = sprintf("ALTER TABLE t_%d DROP COLUMN extra_%d;\n", i - 1, i) down
        }
        id = sprintf("%0" w "d_create_t_%d", i, i)
        printf "SELECT migrate_register(%s, $up$%s$up$, $down$%s$down$, %s);\n", \
            "\047" id "\047", up, down, "\047bench table " i "\047" > reg
        printf "%s", up > up_all
        downs[i] = down
    }
    for (i = n; i >= 1; i--)
        printf "%s", downs[i] > down_all
}'
echo 'SELECT sum(total_bytes) FROM pg_backend_memory_contexts;' >"$WORK/mem.sql"

# --- cluster ---------------------------------------------------------------
cluster_start "$MAX_LOCKS"
echo "cluster: max_locks_per_transaction = $MAX_LOCKS (default 64 is too small for"
echo "         thousands of CREATE TABLEs in one transaction), fsync = off,"
echo "         data in ${CLUSTER_PARENT:-/tmp}; $ROUNDS rounds, medians reported"
echo

# --- migrate session ---------------------------------------------------------
# timed NAME SQL...: wrap SQL in server and client time stamps, print
# "TIME|NAME|server ms|wall ms".
# shellcheck disable=SC2016 # backquotes are psql's, not the shell's
timed() {
    local name=$1
    shift
    printf '%s\n' '\set w0 `date +%s%N`' 'SELECT clock_timestamp() AS s0 \gset' "$@" \
        'SELECT clock_timestamp() AS s1 \gset' '\set w1 `date +%s%N`'
    printf '%s\n' "SELECT 'TIME|$name|' || round(extract(epoch FROM :'s1'::timestamptz - :'s0'::timestamptz)::numeric * 1000, 1) || '|' || round((:w1 - :w0) / 1e6, 1);"
}
# mem LABEL: backend memory (contexts' total bytes, and peak RSS from /proc).
# shellcheck disable=SC2016
mem() {
    printf '%s\n' "SELECT 'MEM|$1|' || sum(total_bytes) FROM pg_backend_memory_contexts;" \
        '\set hwm `grep -h VmHWM /proc/:pid/status | tr -s " \t" " "`' \
        "\\echo 'RSS|$1|' :hwm"
}

{
    echo '\set ON_ERROR_STOP on'
    echo 'SET client_min_messages = warning;'
    echo 'SELECT pg_backend_pid() AS pid \gset'
    mem "session start"
    timed "register $N (one transaction)" '\o register1.out' 'BEGIN;' '\ir register.sql' 'COMMIT;' '\o'
    mem "before apply"
    timed "apply head" "SELECT migrate_apply('head') AS n_applied \\gset"
    echo "SELECT 'CHECK|applied|' || :n_applied;"
    mem "after apply head"
    timed "apply head again (nothing pending)" "SELECT migrate_apply('head') AS n_again \\gset"
    echo "SELECT 'CHECK|applied again|' || :n_again;"
    timed "count(*) FROM migrate_status()" "SELECT count(*) AS n_status FROM migrate_status() \\gset"
    echo "SELECT 'CHECK|status rows|' || :n_status;"
    # nothing changed since: the state the backend loaded is used again
    timed "apply head a third time (state kept)" "SELECT migrate_apply('head') AS n_third \\gset"
    timed "migrate_current() (state kept)" "SELECT migrate_current() AS current \\gset"
    timed "count(*) FROM migrate_status() again" "SELECT count(*) AS n_status2 FROM migrate_status() \\gset"
    timed "re-register $N unchanged" '\o register2.out' 'BEGIN;' '\ir register.sql' 'COMMIT;' '\o'
    timed "rollback base" "SELECT migrate_rollback('base') AS n_rolled \\gset"
    echo "SELECT 'CHECK|rolled back|' || :n_rolled;"
    mem "after rollback base"
    echo "SELECT 'TOP|' || name || '|' || coalesce(ident, '') || '|' || total_bytes FROM pg_backend_memory_contexts ORDER BY total_bytes DESC LIMIT 8;"
    # the same backlog applied as a careful deploy job would: 50 at a time,
    # each call its own transaction
    steps=()
    for ((i = 0; i < (N + 49) / 50; i++)); do steps+=("SELECT migrate_apply('+50');"); done
    timed "apply head in steps of 50" '\o /dev/null' "${steps[@]}" '\o'
    echo "SELECT 'CHECK|applied in steps|' || count(*) FROM migrate_status() WHERE state = 'applied';"
} >"$WORK/session.sql"

# run_migrate R: the migrate session in a fresh database, output session.R.out
run_migrate() {
    psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bench_migrate' >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d bench_migrate -c 'CREATE EXTENSION migrate' >/dev/null
    (cd "$WORK" && psql -X -q -At -v ON_ERROR_STOP=1 -d bench_migrate -f session.sql) >"$WORK/session.$1.out" 2>&1 || {
        tail -n 30 "$WORK/session.$1.out"
        die "migrate session failed"
    }
    psql -X -q -c 'DROP DATABASE bench_migrate'
}

# --- baseline: plain psql -1 -f ------------------------------------------------
# run_baseline R: psql -1 of the up and down SQL in a fresh database; appends
# "R up_ms down_ms" to baseline.times
run_baseline() {
    local up down
    psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bench_base' >/dev/null
    up=$(wall_ms "$WORK/baseline.out" psql -X -q -At -1 -v ON_ERROR_STOP=1 -d bench_base -f "$WORK/base_up.sql" -f "$WORK/mem.sql") ||
        die "baseline up failed"
    BASE_MEM=$(tail -n 1 "$WORK/baseline.out")
    down=$(wall_ms "$WORK/baseline.out" psql -X -q -At -1 -v ON_ERROR_STOP=1 -d bench_base -f "$WORK/base_down.sql") ||
        die "baseline down failed"
    psql -X -q -c 'DROP DATABASE bench_base'
    echo "$1 $up $down" >>"$WORK/baseline.times"
}

for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r of $ROUNDS: migrate session (database bench_migrate), then psql -X -q -1 -f (database bench_base) ..."
    run_migrate "$r"
    run_baseline "$r"
done

# Memory per migration, apart from the server's own caches: N migrations
# that create no relation (an INSERT each); the first, middle and last record
# the backend's memory while they run, inside one migrate_apply() call.
echo "memory probe: $N migrations that create nothing, in one call ..."
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bench_memory' >/dev/null
psql -X -q -At -v ON_ERROR_STOP=1 -d bench_memory >"$WORK/memory.out" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION migrate;
CREATE TABLE counter (n int);
CREATE TABLE mem (at text, bytes bigint);
SELECT count(migrate_register(lpad(i::text, 8, '0'),
         CASE WHEN i IN (1, $N / 2 + 1, $N)
              THEN format('INSERT INTO mem SELECT %L, sum(total_bytes) FROM pg_backend_memory_contexts;',
                          CASE i WHEN 1 THEN 'first' WHEN $N THEN 'last' ELSE 'middle' END)
              ELSE 'INSERT INTO counter VALUES (1);' END,
         'SELECT 1;'))
  FROM generate_series(1, $N) i;
SELECT migrate_apply();
SELECT 'PROBE|' || at || '|' || bytes FROM mem;
SQL
psql -X -q -c 'DROP DATABASE bench_memory'
cluster_stop

BASE_UP=$(awk '{ print $2 }' "$WORK/baseline.times" | median)
BASE_DOWN=$(awk '{ print $3 }' "$WORK/baseline.times" | median)

# --- report ----------------------------------------------------------------
# checks and memory: the last round; times: the median of all rounds
out=$WORK/session.$ROUNDS.out
field() { awk -F'|' -v k="$1" -v n="$2" -v c="$3" '$1 == k && $2 == n { print $c; exit }' "$out"; }
# median_time NAME COLUMN: the median over the rounds of a TIME row's column
median_time() { awk -F'|' -v n="$1" -v c="$2" '$1 == "TIME" && $2 == n { print $c }' "$WORK"/session.*.out | median; }

echo
printf '%-40s %12s %12s %12s %8s\n' "operation" "server ms" "wall ms" "baseline ms" "ratio"
printf '%-40s %12s %12s %12s %8s\n' "---------" "---------" "-------" "-----------" "-----"
while IFS='|' read -r _ name _ _; do
    server=$(median_time "$name" 3)
    wall=$(median_time "$name" 4)
    base=""
    ratio=""
    case $name in
        "apply head") base=$BASE_UP ;;
        "rollback base") base=$BASE_DOWN ;;
    esac
    if [[ -n $base ]]; then
        ratio=$(awk -v a="$wall" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
    fi
    printf '%-40s %12s %12s %12s %8s\n' "$name" "$server" "$wall" "$base" "$ratio"
done < <(grep '^TIME|' "$out")
echo
echo "apply head, each round (migrate wall ms / psql -1 wall ms):"
for ((r = 1; r <= ROUNDS; r++)); do
    printf '  round %d: %s / %s\n' "$r" "$(awk -F'|' '$1 == "TIME" && $2 == "apply head" { print $4 }' "$WORK/session.$r.out")" \
        "$(awk -v r="$r" '$1 == r { print $2 }' "$WORK/baseline.times")"
done
echo
echo "baseline: 'apply head' vs psql -X -q -1 -f of the $N up scripts concatenated;"
echo "          'rollback base' vs the $N down scripts concatenated in reverse."
echo "ratio: migrate wall ms / baseline wall ms (medians of $ROUNDS rounds)."

echo
echo "checks:"
fail=0
check() {
    local what=$1 want=$2 got=$3
    if [[ $got == "$want" ]]; then
        printf '  %-28s %s\n' "$what" "$got (ok)"
    else
        printf '  %-28s %s\n' "$what" "$got (expected $want)"
        fail=1
    fi
}
check "registered" "$N" "$(grep -cx registered "$WORK/register1.out" || true)"
check "applied" "$N" "$(field CHECK applied 3)"
check "applied again" 0 "$(field CHECK 'applied again' 3)"
check "status rows" "$N" "$(field CHECK 'status rows' 3)"
check "re-registered unchanged" "$N" "$(grep -cx unchanged "$WORK/register2.out" || true)"
check "rolled back" "$N" "$(field CHECK 'rolled back' 3)"
check "applied in steps" "$N" "$(field CHECK 'applied in steps' 3)"

echo
echo "backend memory of the migrate session (sum of pg_backend_memory_contexts; VmHWM = peak RSS, shared buffers included):"
for label in "session start" "before apply" "after apply head" "after rollback base"; do
    printf '  %-22s %12s bytes   %s\n' "$label" "$(field MEM "$label" 3)" "$(field RSS "$label" 3)"
done
printf '  %-22s %12s bytes   (psql -1 session, end of the up script, before commit)\n' "baseline" "$BASE_MEM"
echo
echo "backend memory inside one migrate_apply() of $N migrations that create nothing"
echo "(sum of pg_backend_memory_contexts, read by the migration itself):"
for at in first middle last; do
    printf '  migration %-8s %12s bytes\n' "$at" "$(awk -F'|' -v a="$at" '$1 == "PROBE" && $2 == a { print $3 }' "$WORK/memory.out")"
done
echo
echo "largest memory contexts after rollback base:"
grep '^TOP|' "$out" | while IFS='|' read -r _ name ident bytes; do
    printf '  %-28s %-20s %12s bytes\n' "$name" "${ident:0:20}" "$bytes"
done
exit "$fail"
