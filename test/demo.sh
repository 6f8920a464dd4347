#!/usr/bin/env bash
# test/demo.sh: THE demo.  Run as root (or via sudo) from any cwd.
# Builds and installs the extension and its client pg_migrate, starts a
# throwaway cluster, deploys the migration files of test/demo/migrations the
# way a deploy job would (pg_migrate), verifies, plans, applies and rolls
# them back, and shows the state after each step.  The cluster is always
# stopped at the end.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/demo.sh" "$@"

PGM=$PG_BIN/pg_migrate

header() { printf '\n\n########## %s ##########\n\n' "$*"; }

# sql: run the SQL on stdin in one psql session, echoing each statement.
# Notices go to stdout too, so they appear next to the statement that raised
# them.
sql() {
    psql -X -v ON_ERROR_STOP=1 --echo-all 2>&1
}

# pgm ARGS...: run pg_migrate, showing the command; its progress (stderr)
# and results (stdout) in order.  An exit status other than 0 is shown.
pgm() {
    local rc=0
    echo "\$ pg_migrate $*"
    "$PGM" "$@" 2>&1 || rc=$?
    [[ $rc -eq 0 ]] || echo "(exit status $rc)"
    echo
}

# sql_expect_error: same, for a statement that is meant to fail.
sql_expect_error() {
    if psql -X -v ON_ERROR_STOP=1 --echo-all 2>&1; then
        echo "(unexpected: this should have failed)"
        return 1
    fi
    echo "(failed, as it should)"
}

header "setup: packages, build, install, cluster"
ensure_packages
BUILD_LOG=$(mktemp)
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit 'rm -f -- "$BUILD_LOG"'
if ! build_and_install >"$BUILD_LOG" 2>&1; then
    cat "$BUILD_LOG"
    die "build failed"
fi
echo "built and installed migrate into $("$PG_CONFIG" --pkglibdir)"
# shellcheck disable=SC2119 # default settings
cluster_start
echo "throwaway cluster: socket $PGHOST, port $PGPORT"

header "1. install the extension"
sql <<'SQL'
CREATE EXTENSION migrate;
\dx migrate
SQL

# the deploy job's directory: a copy of test/demo/migrations, which the
# demo adds a migration to
MIGRATIONS=$(mktemp -d /tmp/migrate-demo.XXXXXX)
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit 'rm -rf -- "$MIGRATIONS"'
cp "$REPO_ROOT"/test/demo/migrations/* "$MIGRATIONS"
chmod -R a+rX "$MIGRATIONS"
cd "$MIGRATIONS"

header "2. the migration files, registered (what a deploy job does first)"
ls -1
echo
echo "pg_migrate reads them (here <id>.up.sql and <id>.down.sql; dbmate's, Flyway's,"
echo "diesel's, Sqitch's and graphile-migrate's layouts too) and registers them all"
echo "in one transaction; only new and changed files are sent to the server."
echo
pgm -D . register

header "3. status: the files against the database"
pgm -D . status

header "4. apply up to 0002, then add some data (one order has no status)"
pgm -D . apply --target 0002_create_orders
sql <<'SQL'
INSERT INTO users (email) VALUES ('ada@example.com'), ('alan@example.com');
INSERT INTO orders (user_id, amount, status)
VALUES (1, 19.99, 'paid'), (2, 5.00, NULL);
SELECT * FROM orders ORDER BY id;
SQL

header "4b. prove the down scripts undo their up scripts (pg_migrate verify)"
echo "A new migration whose down script forgets its index:"
cat >0006_index_orders_created.up.sql <<'EOF'
-- description: index orders by creation time
CREATE INDEX orders_created_at_idx ON orders (created_at);
EOF
echo 'SELECT 1;  -- forgot: DROP INDEX orders_created_at_idx' >0006_index_orders_created.down.sql
echo
pgm -D . verify
echo "Fixed, it verifies:"
echo 'DROP INDEX orders_created_at_idx;' >0006_index_orders_created.down.sql
pgm -D . verify

header "5. what would apply do? the plan, a dry run, then deploy"
pgm -D . plan
pgm -D . plan --execute
pgm -D . apply --dry-run
pgm -D . deploy
sql <<'SQL'
SELECT id, user_id, amount, status FROM orders ORDER BY id;
SQL

header "6. status after deploying"
pgm -D . status
sql <<'SQL'
\d users
SQL

header "6b. a change by hand, outside migrations: drift"
sql <<'SQL'
ALTER TABLE users ADD COLUMN phone text;
CREATE INDEX users_created_at_idx ON users (created_at);
SQL
pgm drift

header "7. deploying the same files again changes nothing"
pgm -D . deploy

header "8. roll back the latest migration"
pgm -D . rollback -1
pgm -D . status

header "9. rolling back to base is refused: 0004 is irreversible"
pgm -D . rollback base

header "10. the tables now"
sql <<'SQL'
\d users
\d orders
\dt migrate.*
SELECT seq, id, action, by FROM migrate.history ORDER BY seq;
SQL

header "done"
cluster_stop
echo "cluster stopped"
