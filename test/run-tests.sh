#!/usr/bin/env bash
# test/run-tests.sh: THE test command.  Run as root (or via sudo) from any cwd:
#   installs missing packages, builds with -Werror, installs, starts a
#   throwaway cluster and runs each suite on its own (pgindent layout,
#   regress, isolation, TAP) so that one failing suite does not hide the
#   others.
# Last line: "N passed, N failed"; exit status non-zero if anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=test/lib.sh
source test/lib.sh
become_root "$REPO_ROOT/test/run-tests.sh" "$@"

PASSED=0
FAILED=0
LOGDIR=$(mktemp -d /tmp/migrate-tests.XXXXXX)
# shellcheck disable=SC2016 # expanded when the cleanup runs
on_exit 'rm -rf -- "$LOGDIR"'

finish() {
    cluster_stop
    echo "$PASSED passed, $FAILED failed"
    if [[ $FAILED -ne 0 ]]; then
        exit 1
    fi
    exit 0
}

section() { printf '\n===== %s =====\n' "$*"; }

# count_pg_regress LOG RC: pg_regress and pg_isolation_regress (PG15) print one
# line per test, "test NAME ... ok   12 ms" or "... FAILED" (parallel groups
# print "     NAME ... ok").  Counts tests; a failed run without any test line
# (cannot connect, make error) counts as one failure.
count_pg_regress() {
    local log=$1 rc=$2 ok bad
    ok=$(grep -cE '^(test +| +)[^ ]+ +\.\.\. +ok( |$)' "$log" || true)
    bad=$(grep -cE '^(test +| +)[^ ]+ +\.\.\. +(FAILED|failed)' "$log" || true)
    if [[ $rc -ne 0 && $bad -eq 0 ]]; then
        bad=1
    fi
    PASSED=$((PASSED + ok))
    FAILED=$((FAILED + bad))
    echo "--- $ok passed, $bad failed"
}

# count_prove LOG RC: counts TAP assertions.  From prove's summary
# "Files=N, Tests=M": M assertions ran; each "Tests: T Failed: F" line of the
# Test Summary Report adds F failed assertions, or one failure for a file that
# failed without a failed assertion (died, bad plan, non-zero exit).
# passed = M - sum(F).  No summary line and rc != 0 counts as one failure.
count_prove() {
    local log=$1 rc=$2 total failed_asserts=0 bad=0 f
    total=$(sed -nE 's/^Files=[0-9]+, Tests=([0-9]+),.*/\1/p' "$log" | tail -n 1)
    while read -r f; do
        if [[ $f -gt 0 ]]; then
            failed_asserts=$((failed_asserts + f))
            bad=$((bad + f))
        else
            bad=$((bad + 1))
        fi
    done < <(sed -nE 's/.*\(Wstat: .*Tests: [0-9]+ Failed: ([0-9]+)\)$/\1/p' "$log")
    if [[ -z $total ]]; then
        total=0
        [[ $rc -eq 0 ]] || bad=$((bad > 0 ? bad : 1))
    elif [[ $rc -ne 0 && $bad -eq 0 ]]; then
        bad=1
    fi
    PASSED=$((PASSED + total - failed_asserts))
    FAILED=$((FAILED + bad))
    echo "--- $((total - failed_asserts)) passed, $bad failed (TAP assertions)"
}

# show_file FILE [LINES]: print the head of a failure artefact.
show_file() {
    local f=$1 n=${2:-300}
    [[ -s $f ]] || return 0
    printf -- '----- %s (first %s lines) -----\n' "$f" "$n"
    head -n "$n" "$f"
}

# --- packages and build ----------------------------------------------------
section "packages"
if ! ensure_packages; then
    echo "error: could not install the packages needed" >&2
    FAILED=1
    finish
fi

section "peer tools (for TAP 008, 013 and 015)"
# A failure here is counted, and the TAP test then fails for the tool it
# misses (MIGRATE_PEER_TOOLS_REQUIRED); the other suites still run.
export MIGRATE_PEER_TOOLS_REQUIRED=1
if ! ensure_peer_tools; then
    echo "error: could not install the peer migration tools" >&2
    FAILED=$((FAILED + 1))
fi

section "build and install"
if ! build_and_install; then
    echo "error: build or install failed" >&2
    FAILED=1
    finish
fi

# --- layout ------------------------------------------------------------------
section "layout (pgindent)"
if bash test/pgindent.sh --check 2>&1 | tee "$LOGDIR/pgindent.log"; then
    PASSED=$((PASSED + 1))
    echo "--- 1 passed, 0 failed (src/ laid out as pgindent would)"
else
    FAILED=$((FAILED + 1))
    echo "--- 0 passed, 1 failed (src/ not laid out as pgindent would)"
fi

# --- cluster for regress and isolation -------------------------------------
section "cluster"
# shellcheck disable=SC2119 # default max_locks_per_transaction
if ! cluster_start; then
    echo "error: could not start a test cluster" >&2
    FAILED=1
    finish
fi
echo "server on socket $PGHOST, port $PGPORT"

MAKE_ARGS=(PG_CONFIG="$PG_CONFIG")

# --- regress -----------------------------------------------------------------
section "regress (sql/)"
rm -rf results regression.diffs regression.out
if make -s installcheck "${MAKE_ARGS[@]}" ISOLATION= TAP_TESTS= 2>&1 | tee "$LOGDIR/regress.log"; then
    rc=0
else
    rc=$?
fi
count_pg_regress "$LOGDIR/regress.log" "$rc"
if [[ $rc -ne 0 ]]; then
    show_file regression.diffs
fi

# --- isolation -------------------------------------------------------------
section "isolation (test/isolation)"
rm -rf output_iso
if make -s installcheck "${MAKE_ARGS[@]}" REGRESS= TAP_TESTS= 2>&1 | tee "$LOGDIR/isolation.log"; then
    rc=0
else
    rc=$?
fi
count_pg_regress "$LOGDIR/isolation.log" "$rc"
if [[ $rc -ne 0 ]]; then
    show_file output_iso/regression.diffs
fi
if [[ $FAILED -gt 0 ]]; then
    section "server log (tail)"
    cluster_server_log 40
fi

cluster_stop

# --- TAP ---------------------------------------------------------------------
# TAP tests run initdb themselves, so they run as postgres in a copy of the
# working tree that postgres owns.
section "TAP (test/t)"
shopt -s nullglob
tap_files=(test/t/*.pl)
shopt -u nullglob
if [[ ${#tap_files[@]} -eq 0 ]]; then
    echo "no TAP tests in test/t, skipped"
else
    TAPDIR=$(mktemp -d /tmp/migrate-tap.XXXXXX)
    # shellcheck disable=SC2016
    on_exit 'rm -rf -- "$TAPDIR"'
    tar -C . --exclude=./.git --exclude=./tmp_check --exclude=./results \
        --exclude=./output_iso --exclude='./regression.*' -cf - . |
        tar -C "$TAPDIR" -xf -
    chown -R postgres:postgres "$TAPDIR"
    # LANG/LC_ALL: the test clusters take their locale from the environment.
    if as_postgres env LANG=C.UTF-8 LC_ALL=C.UTF-8 \
        MIGRATE_PEER_TOOLS_REQUIRED=1 MIGRATE_SQITCH="${MIGRATE_SQITCH:-}" \
        MIGRATE_DBMATE="${MIGRATE_DBMATE:-}" \
        MIGRATE_GRAPHILE_MIGRATE="${MIGRATE_GRAPHILE_MIGRATE:-}" \
        make -C "$TAPDIR" -s installcheck "${MAKE_ARGS[@]}" REGRESS= ISOLATION= \
        2>&1 | tee "$LOGDIR/tap.log"; then
        rc=0
    else
        rc=$?
    fi
    count_prove "$LOGDIR/tap.log" "$rc"
    if [[ $rc -ne 0 ]]; then
        for f in "$TAPDIR"/tmp_check/log/*; do
            [[ -f $f ]] || continue
            printf -- '----- %s (last 60 lines) -----\n' "${f#"$TAPDIR"/}"
            tail -n 60 "$f"
        done
    fi
    rm -rf -- "$TAPDIR"
fi

section "summary"
finish
