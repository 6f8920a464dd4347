#!/usr/bin/env bash
# test/bench/plan_bench.sh [STATEMENTS]: speed of migrate_plan() and the cost
# of the safety machinery in migrate_apply() (not a test; CI does not run
# it).  Run as root.
#
# 1. migrate_plan() of STATEMENTS (default 10,000) statements: 1,000 pending
#    migrations of STATEMENTS/1000 statements each, on 100 existing tables
#    of 1,000 rows (ALTER TABLE ADD COLUMN with and without defaults, ALTER
#    COLUMN TYPE, SET NOT NULL, CREATE INDEX, UPDATE with WHERE, ...).
#    Server time of SELECT count(*) FROM migrate_plan(), median of 5.
# 2. migrate_apply() of 1,000 migrations that destroy nothing, three ways,
#    each in a fresh database, median of ROUNDS (default 3): as shipped (the
#    data-loss guard looks at each statement's node; the locks each
#    migration needs are taken without waiting first), with allow_data_loss
#    => true (the guard is skipped), and with migrate.lock_timeout = 0 (no
#    lock handling at all).  Half of the migrations alter a table that
#    existed before the call.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/plan_bench.sh" "$@"

STATEMENTS=${1:-10000}
[[ $STATEMENTS =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [STATEMENTS]"
PER=$(( (STATEMENTS + 999) / 1000 ))
ROUNDS=${ROUNDS:-3}

bench_setup planbench 2097152 \
    "migrate plan benchmark: $((PER * 1000)) statements in 1000 migrations"
cluster_start 2048

# --- 1. planning ---------------------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE plan_bench' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d plan_bench >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION migrate;
SELECT format('CREATE TABLE t%s (id int PRIMARY KEY, name varchar(20), n int, note text); INSERT INTO t%s SELECT g, ''x'', g, NULL FROM generate_series(1, 1000) g;', i, i)
  FROM generate_series(1, 100) i \gexec
ANALYZE;
SELECT count(migrate_register(lpad(m::text, 5, '0') || '_m',
         (SELECT string_agg(CASE s % 8
             WHEN 0 THEN format('ALTER TABLE t%s ADD COLUMN c_%s_%s int;', t, m, s)
             WHEN 1 THEN format('ALTER TABLE t%s ADD COLUMN d_%s_%s int DEFAULT 0;', t, m, s)
             WHEN 2 THEN format('ALTER TABLE t%s ALTER COLUMN name TYPE varchar(40);', t)
             WHEN 3 THEN format('ALTER TABLE t%s ALTER COLUMN n SET NOT NULL;', t)
             WHEN 4 THEN format('CREATE INDEX ON t%s (n);', t)
             WHEN 5 THEN format('UPDATE t%s SET note = ''y'' WHERE id = %s;', t, s)
             WHEN 6 THEN format('ALTER TABLE t%s ADD CONSTRAINT k_%s_%s CHECK (n > 0) NOT VALID;', t, m, s)
             ELSE format('COMMENT ON TABLE t%s IS ''m%s'';', t, m) END, E'\n')
            FROM (SELECT s, 1 + (m * 7 + s) % 100 AS t FROM generate_series(1, $PER) s) x)))
  FROM generate_series(1, 1000) m;
SQL
echo
echo "1. SELECT count(*) FROM migrate_plan() over $((PER * 1000)) statements (server ms, 5 runs):"
times=()
for _ in 1 2 3 4 5; do
    times+=("$(server_ms plan_bench 'SELECT count(*) FROM migrate_plan()' '')")
done
printf '   runs: %s\n' "${times[*]}"
printf '   median: %s ms\n' "$(printf '%s\n' "${times[@]}" | median)"
rows=$(psql -X -q -At -d plan_bench -c 'SELECT count(*) FROM migrate_plan()')
echo "   rows: $rows"
psql -X -q -c 'DROP DATABASE plan_bench' >/dev/null

# --- 2. the cost in migrate_apply ----------------------------------------
# 1,000 migrations, none destructive: a table each, a column, an index
setup_apply_db() {
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION migrate;
CREATE TABLE existing (id int PRIMARY KEY);
SELECT migrate_accept_drift();
SELECT count(migrate_register(lpad(i::text, 5, '0') || '_t',
         format('CREATE TABLE a%s (id int PRIMARY KEY, v text); ALTER TABLE a%s ADD COLUMN w int; CREATE INDEX ON a%s (w); %s',
                i, i, i,
                CASE WHEN i % 2 = 0 THEN format('ALTER TABLE existing ADD COLUMN e%s int;', i)
                     ELSE format('INSERT INTO a%s VALUES (1, ''x'', 1);', i) END),
         format('DROP TABLE a%s;', i)))
  FROM generate_series(1, 1000) i;
SQL
}
declare -A results
for ((r = 1; r <= ROUNDS; r++)); do
    for variant in shipped no_guard no_subxact; do
        db="apply_${variant}"
        setup_apply_db "$db"
        case $variant in
            shipped) ms=$(server_ms "$db" "SELECT migrate_apply()" '') ;;
            no_guard) ms=$(server_ms "$db" "SELECT migrate_apply(allow_data_loss => true)" '') ;;
            no_subxact) ms=$(server_ms "$db" "SELECT migrate_apply()" 'SET migrate.lock_timeout = 0;') ;;
        esac
        results[$variant]+="$ms "
        psql -X -q -c "DROP DATABASE $db" >/dev/null
    done
done
cluster_stop

echo
echo "2. migrate_apply() of 1000 migrations that destroy nothing (4 statements each), server ms, median of $ROUNDS:"
for variant in shipped no_guard no_subxact; do
    # shellcheck disable=SC2086 # one number per word
    printf '   %-62s %8s   (runs: %s)\n' \
        "$(case $variant in
            shipped) echo 'as shipped (guard on)' ;;
            no_guard) echo 'allow_data_loss => true (guard skipped)' ;;
            no_subxact) echo 'migrate.lock_timeout = 0 (no subtransactions)' ;;
        esac)" "$(printf '%s\n' ${results[$variant]} | median)" "${results[$variant]% }"
done
