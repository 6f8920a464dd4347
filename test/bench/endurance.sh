#!/usr/bin/env bash
# test/bench/endurance.sh [CYCLES]: memory endurance of migrate (not a test;
# CI does not run it).  Run as root.
#
# In ONE session, CYCLES times (default 10,000): migrate_apply('head') of
# three migrations (a table with a key and an index, a column added, a
# view), then migrate_rollback('base'), each call its own transaction.  The
# backend's memory (sum of pg_backend_memory_contexts) is read after a
# warm-up cycle and every CYCLES/10 cycles after it; a leak of even a few
# bytes per migration shows as steady growth.
#
# Baseline: the same DDL as plain SQL (BEGIN; up; COMMIT; BEGIN; down;
# COMMIT;) in one session of a fresh database.  PostgreSQL's own catalog
# cache (CacheMemoryContext) grows in both, in steps as its hash tables
# resize; migrate's own memory is the rest, shown apart.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/endurance.sh" "$@"

CYCLES=${1:-10000}
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [CYCLES]  (a positive integer)"
STEP=$(( CYCLES >= 10 ? CYCLES / 10 : 1 ))

bench_setup endurance 1048576 \
    "migrate endurance: $CYCLES apply + rollback cycles of 3 migrations in one session"
# shellcheck disable=SC2119 # default max_locks_per_transaction
cluster_start

# MEM|cycles|all contexts|CacheMemoryContext
MEM_QUERY="SELECT 'MEM|@N@|' || sum(total_bytes) || '|' || sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext') FROM pg_backend_memory_contexts;"
UP='CREATE TABLE e1 (id bigint PRIMARY KEY, v text); CREATE INDEX e1_v_idx ON e1 (v);'
UP2='ALTER TABLE e1 ADD COLUMN w int DEFAULT 0;'
UP3='CREATE VIEW e1_v AS SELECT id, w FROM e1;'

# emit_cycles CYCLE: CYCLE once (warm-up), the memory at cycle 0, then
# CYCLES more times with the memory read every STEP cycles
emit_cycles() {
    local i
    echo "$1"
    echo "${MEM_QUERY//@N@/0}"
    for ((i = 1; i <= CYCLES; i++)); do
        echo "$1"
        if (( i % STEP == 0 )); then
            echo "${MEM_QUERY//@N@/$i}"
        fi
    done
}

# the session: warm-up cycle, then CYCLES cycles with a memory reading every STEP
{
    echo '\set ON_ERROR_STOP on'
    echo 'SET client_min_messages = warning;'
    echo 'CREATE EXTENSION migrate;'
    echo "SELECT migrate_register('0001_table', '$UP', 'DROP TABLE e1;');"
    echo "SELECT migrate_register('0002_column', '$UP2', 'ALTER TABLE e1 DROP COLUMN w;');"
    echo "SELECT migrate_register('0003_view', '$UP3', 'DROP VIEW e1_v;');"
    emit_cycles "SELECT migrate_apply(); SELECT migrate_rollback('base');"
    echo "SELECT 'APPLIED|' || count(*) FROM migrate.history WHERE action = 'apply';"
    echo "SELECT 'TOP|' || name || '|' || total_bytes FROM pg_backend_memory_contexts ORDER BY total_bytes DESC LIMIT 5;"
} >"$WORK/session.sql"

# the baseline session: the same DDL as plain SQL
{
    echo '\set ON_ERROR_STOP on'
    emit_cycles "BEGIN; $UP $UP2 $UP3 COMMIT; BEGIN; DROP VIEW e1_v; ALTER TABLE e1 DROP COLUMN w; DROP TABLE e1; COMMIT;"
} >"$WORK/baseline.sql"

t0=$(date +%s)
psql -X -q -At -v ON_ERROR_STOP=1 -f "$WORK/session.sql" >"$WORK/session.out" 2>&1 || {
    tail -n 20 "$WORK/session.out"
    die "session failed"
}
t1=$(date +%s)
psql -X -q -c 'CREATE DATABASE endurance_base' >/dev/null
psql -X -q -At -v ON_ERROR_STOP=1 -d endurance_base -f "$WORK/baseline.sql" >"$WORK/baseline.out" 2>&1 || {
    tail -n 20 "$WORK/baseline.out"
    die "baseline session failed"
}
cluster_stop

echo
echo "cycles run: $CYCLES in $((t1 - t0)) s; apply rows in history: $(awk -F'|' '$1 == "APPLIED" { print $2 }' "$WORK/session.out") (expected $((3 * (CYCLES + 1))))"
echo
echo "backend memory after N cycles (sum of pg_backend_memory_contexts, bytes):"
printf '  %7s %14s %14s %14s | %14s %14s\n' "cycles" "migrate: all" "catalog cache" "the rest" "plain SQL: all" "catalog cache"
paste -d'|' <(grep '^MEM|' "$WORK/session.out") <(grep '^MEM|' "$WORK/baseline.out") |
    while IFS='|' read -r _ n all cache _ _ ball bcache; do
        printf '  %7d %14d %14d %14d | %14d %14d\n' "$n" "$all" "$cache" "$((all - cache))" "$ball" "$bcache"
    done
rest() { grep '^MEM|' "$WORK/session.out" | sed -n "$1" | awk -F'|' '{ print $3 - $4 }'; }
echo "  migrate's own memory (all but the catalog cache) grew by $(( $(rest \$p) - $(rest 1p) )) bytes over $CYCLES cycles ($((3 * CYCLES)) migrations applied and rolled back)"
echo

echo "largest contexts at the end:"
grep '^TOP|' "$WORK/session.out" | while IFS='|' read -r _ name bytes; do
    printf '  %-30s %12d bytes\n' "$name" "$bytes"
done
