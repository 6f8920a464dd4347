#!/usr/bin/env bash
# test/bench/deploy_bench.sh [N...]: CALL migrate_deploy() against psql in
# autocommit, and a concurrent index build through a deploy against the
# same statement run by psql (SPEC §10).  Not a test; CI does not run it.
# Run as root.
#
# 1. For each N (default 1000 10000): the workload of bench.sh (migration i
#    creates table t_i with a key; every third also an index; every fifth
#    adds a column to the previous table), ROUNDS rounds (default 3), each
#    in fresh databases, alternating:
#      deploy:     register all N (untimed), then CALL migrate_deploy(),
#                  which commits after each migration;
#      autocommit: the same statements through psql -f, each its own
#                  transaction (the limit for a commit per migration).
#    Wall time of the psql process, connection included.  Every timed run
#    has a database of its own, and none is dropped until all have run: on
#    these machines' ext4, creating a file after many deletions scans the
#    freed inodes (the kernel's recently_deleted()), and after a DROP
#    DATABASE of 10,000 tables profiles showed that scan as most of the
#    time of whichever side ran next.  The cluster keeps
#    max_locks_per_transaction at its default (64): with a commit per
#    migration no backlog is too large for the lock table.
# 2. CREATE INDEX CONCURRENTLY on a table of CIC_ROWS rows (default
#    1,000,000), once through psql and once as a non-transactional
#    migration through a deploy, ROUNDS rounds each, while a writer session
#    updates one row of the table per transaction; reported: the build's
#    wall time and the longest any of the writer's updates took.
#
# The cluster runs with fsync, synchronous_commit and full_page_writes on
# (commits cost what they cost), on the disk under /tmp, not on tmpfs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/bench/deploy_bench.sh" "$@"

SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(1000 10000)
for n in "${SIZES[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [N...]  (positive integers)"
done
ROUNDS=${ROUNDS:-3}
CIC_ROWS=${CIC_ROWS:-1000000}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $CIC_ROWS =~ ^[1-9][0-9]*$ ]] || die "CIC_ROWS must be a positive integer"

bench_setup deploybench 0 \
    "migrate deploy benchmark: CALL migrate_deploy() of ${SIZES[*]} migrations, CIC on $CIC_ROWS rows"
# durable, on disk: what a commit per migration costs is the point
CLUSTER_PARENT=/tmp
export CLUSTER_FSYNC=on
# shellcheck disable=SC2119 # default max_locks_per_transaction
cluster_start
echo "cluster: fsync, synchronous_commit and full_page_writes on, data on the disk under /tmp,"
echo "         max_locks_per_transaction at its default; $ROUNDS rounds, medians reported"
echo

# --- 1. deploy against psql in autocommit -----------------------------------
: >"$WORK/times"
dbs=()
for n in "${SIZES[@]}"; do
    awk -v n="$n" -v w="${#n}" -v reg="$WORK/register.$n.sql" -v up="$WORK/up.$n.sql" '
    BEGIN {
        for (i = 1; i <= n; i++) {
            s = sprintf("CREATE TABLE t_%d (id bigint PRIMARY KEY, payload text, created_at timestamptz DEFAULT now());\n", i)
            if (i % 3 == 0)
                s = s sprintf("CREATE INDEX t_%d_created_at_idx ON t_%d (created_at);\n", i, i)
            if (i % 5 == 0)
                s = s sprintf("ALTER TABLE t_%d ADD COLUMN extra_%d integer;\n", i - 1, i)
            printf "SELECT migrate_register(%s, $up$%s$up$, $down$DROP TABLE t_%d;$down$);\n", \
                "\047" sprintf("%0" w "d_t_%d", i, i) "\047", s, i > reg
            printf "%s", s > up
        }
    }'
    for ((r = 1; r <= ROUNDS; r++)); do
        # odd rounds deploy first, even rounds psql first
        if ((r % 2)); then order="deploy autocommit"; else order="autocommit deploy"; fi
        echo "N = $n, round $r of $ROUNDS: ${order/ /, then } ..."
        d='' a=''
        for mode in $order; do
            db=bench_${mode}_${n}_$r
            psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
            dbs+=("$db")
            if [[ $mode == deploy ]]; then
                psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION migrate' >/dev/null
                psql -X -q -v ON_ERROR_STOP=1 -d "$db" -1 -o /dev/null -f "$WORK/register.$n.sql"
                d=$(wall_ms "$WORK/out.log" psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
                    -c 'SET client_min_messages = warning' -c 'CALL migrate_deploy()') ||
                    die "deploy of $n migrations failed"
                applied=$(psql -X -At -d "$db" -c "SELECT count(*) FROM migrate_status() WHERE state = 'applied'")
                [[ $applied == "$n" ]] || die "deploy applied $applied of $n migrations"
            else
                a=$(wall_ms "$WORK/out.log" psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$WORK/up.$n.sql") ||
                    die "psql of $n migrations failed"
            fi
        done
        echo "$n $d $a" >>"$WORK/times"
    done
done
# dropped only now: see the note at the top
for db in "${dbs[@]}"; do
    psql -X -q -c "DROP DATABASE $db"
done

# --- 2. CREATE INDEX CONCURRENTLY under a writer -----------------------------
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bench_cic' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d bench_cic >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION migrate;
CREATE TABLE cic (id int PRIMARY KEY, v text);
INSERT INTO cic SELECT g, md5(g::text) FROM generate_series(1, $CIC_ROWS) g;
VACUUM ANALYZE cic;
CREATE TABLE stop_flag ();
CREATE TABLE writer_result (worst_ms numeric, updates int);
CREATE PROCEDURE writer() LANGUAGE plpgsql AS \$\$
DECLARE
  t0 timestamptz;
  worst interval := '0';
  i int := 0;
BEGIN
  LOOP
    t0 := clock_timestamp();
    UPDATE cic SET v = v WHERE id = 1 + (i * 7919) % $CIC_ROWS;
    COMMIT;
    worst := greatest(worst, clock_timestamp() - t0);
    i := i + 1;
    EXIT WHEN EXISTS (SELECT FROM stop_flag);
  END LOOP;
  INSERT INTO writer_result VALUES (round(extract(epoch FROM worst) * 1000, 1), i);
END
\$\$;
SQL
: >"$WORK/cic"
# cic_round MODE: build the index one way while the writer runs
cic_round() {
    local mode=$1 ms worst
    psql -X -q -d bench_cic -c 'DELETE FROM stop_flag' -c 'DELETE FROM writer_result' \
        -c 'DROP INDEX IF EXISTS cic_v' >/dev/null
    if [[ $mode == deploy ]]; then
        psql -X -q -d bench_cic -o /dev/null >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT count(migrate_unregister(id)) FROM migrate_status() WHERE state = 'pending';
SELECT migrate_register('0001_cic_v', 'CREATE INDEX CONCURRENTLY cic_v ON cic (v);',
                        'DROP INDEX CONCURRENTLY cic_v;', NULL, false, false);
SQL
    fi
    psql -X -q -d bench_cic -c 'CALL writer()' >/dev/null &
    local writer=$!
    sleep 1
    if [[ $mode == deploy ]]; then
        ms=$(wall_ms "$WORK/out.log" psql -X -q -v ON_ERROR_STOP=1 -d bench_cic \
            -c 'SET client_min_messages = warning' -c 'CALL migrate_deploy()')
    else
        ms=$(wall_ms "$WORK/out.log" psql -X -q -v ON_ERROR_STOP=1 -d bench_cic \
            -c 'CREATE INDEX CONCURRENTLY cic_v ON cic (v)')
    fi
    sleep 1
    psql -X -q -d bench_cic -c 'INSERT INTO stop_flag DEFAULT VALUES' >/dev/null
    wait "$writer"
    worst=$(psql -X -At -d bench_cic -c 'SELECT worst_ms FROM writer_result')
    if [[ $mode == deploy ]]; then
        psql -X -q -d bench_cic -c 'SET client_min_messages = warning' \
            -c "CALL migrate_undeploy('-1')" >/dev/null
    fi
    echo "$mode $ms $worst" >>"$WORK/cic"
}
for ((r = 1; r <= ROUNDS; r++)); do
    echo "CIC on $CIC_ROWS rows, round $r of $ROUNDS: psql, then deploy ..."
    cic_round psql
    cic_round deploy
done
psql -X -q -c 'DROP DATABASE bench_cic'
cluster_stop

# --- report ------------------------------------------------------------------
echo
printf '%-8s %14s %16s %8s   %s\n' migrations "deploy ms" "autocommit ms" ratio "rounds (deploy/autocommit)"
for n in "${SIZES[@]}"; do
    d=$(awk -v n="$n" '$1 == n { print $2 }' "$WORK/times" | median)
    a=$(awk -v n="$n" '$1 == n { print $3 }' "$WORK/times" | median)
    rounds=$(awk -v n="$n" '$1 == n { printf "%s%.2f", sep, $2 / $3; sep = ", " }' "$WORK/times")
    printf '%-8s %14s %16s %8s   %s\n' "$n" "$d" "$a" "$(awk -v d="$d" -v a="$a" 'BEGIN { printf "%.2f", d / a }')" "$rounds"
done
echo
printf '%-28s %12s %22s\n' "CREATE INDEX CONCURRENTLY" "build ms" "writer's longest ms"
for mode in psql deploy; do
    printf '%-28s %12s %22s\n' "$mode" \
        "$(awk -v m="$mode" '$1 == m { print $2 }' "$WORK/cic" | median)" \
        "$(awk -v m="$mode" '$1 == m { print $3 }' "$WORK/cic" | median)"
done
echo
echo "rounds of the CIC (mode, build ms, writer's longest update ms):"
sed 's/^/  /' "$WORK/cic"
