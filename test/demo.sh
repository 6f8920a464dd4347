#!/usr/bin/env bash
# test/demo.sh: THE demo.  Run as root (or via sudo) from any cwd.
# Builds and installs the extension, starts a throwaway cluster, registers the
# migrations in test/demo/migrations the way a deploy job would (plain psql,
# test/demo/deploy.sh), applies and rolls them back, and shows the state after
# each step.  The cluster is always stopped at the end.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/demo.sh" "$@"

MIGRATIONS=$REPO_ROOT/test/demo/migrations

header() { printf '\n\n########## %s ##########\n\n' "$*"; }

# sql: run the SQL on stdin in one psql session, echoing each statement.
# Notices go to stdout too, so they appear next to the statement that raised
# them.
sql() {
    psql -X -v ON_ERROR_STOP=1 --echo-all 2>&1
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

header "2. register the migrations in test/demo/migrations (a deploy job)"
echo "Files:"
(cd "$MIGRATIONS" && ls -1)
echo
echo "test/demo/deploy.sh generates this psql script (shown for one migration):"
echo
test/demo/deploy.sh "$MIGRATIONS" --print | sed -n '1,9p' | sed 's/^/    /'
echo "    ..."
echo
echo "Running it:"
test/demo/deploy.sh "$MIGRATIONS"

header "3. status before applying"
sql <<'SQL'
SELECT * FROM migrate_status();
SELECT migrate_current();
SQL

header "4. apply up to 0002, then add some data (one order has no status)"
sql <<'SQL'
SELECT migrate_apply('0002_create_orders');
INSERT INTO users (email) VALUES ('ada@example.com'), ('alan@example.com');
INSERT INTO orders (user_id, amount, status)
VALUES (1, 19.99, 'paid'), (2, 5.00, NULL);
SELECT * FROM orders ORDER BY id;
SQL

header "4b. prove the down scripts undo their up scripts (migrate_verify)"
echo "A migration whose down script forgets its index:"
sql <<'SQL'
SELECT migrate_register('0006_index_orders_created',
  'CREATE INDEX orders_created_at_idx ON orders (created_at);',
  'SELECT 1;  -- forgot: DROP INDEX orders_created_at_idx',
  'index orders by creation time');
SELECT id, result, object, before, after FROM migrate_verify();
SQL
echo "Fixed, it verifies:"
sql <<'SQL'
SELECT migrate_register('0006_index_orders_created',
  'CREATE INDEX orders_created_at_idx ON orders (created_at);',
  'DROP INDEX orders_created_at_idx;',
  'index orders by creation time');
SELECT id, result FROM migrate_verify();
SQL

header "5. what would apply do? the plan, a dry run, then apply head"
sql <<'SQL'
SELECT id, statement, command, relation, lock_mode, rewrites, scans, destroys, est_rows, risk
  FROM migrate_plan();
SELECT DISTINCT id, statement, advice FROM migrate_plan() WHERE advice IS NOT NULL ORDER BY id, statement;
SELECT id, statement, relation, lock_mode, observed_locks, mismatch
  FROM migrate_plan(execute => true);
SELECT migrate_apply('head', dry_run => true);
SELECT migrate_apply('head');
SELECT id, user_id, amount, status FROM orders ORDER BY id;
SQL

header "6. status after applying"
sql <<'SQL'
SELECT * FROM migrate_status();
SELECT migrate_current();
\d users
SQL

header "6b. a change by hand, outside migrations: drift"
sql <<'SQL'
ALTER TABLE users ADD COLUMN phone text;
CREATE INDEX users_created_at_idx ON users (created_at);
SELECT change, kind, identity, recorded, current FROM migrate_drift();
SQL

header "7. deploying the same files again changes nothing"
test/demo/deploy.sh "$MIGRATIONS" --apply

header "8. roll back the latest migration (default target '-1')"
sql <<'SQL'
SELECT migrate_rollback();
SELECT * FROM migrate_status();
SELECT migrate_current();
SQL

header "9. rolling back to base is refused: 0004 is irreversible"
sql_expect_error <<'SQL'
SELECT migrate_rollback('base');
SQL

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
