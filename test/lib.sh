# shellcheck shell=bash
# test/lib.sh: helpers shared by run-tests.sh, demo.sh and bench/bench.sh.
# Source it from a bash script running with `set -euo pipefail`.
#
# Every function returns non-zero on failure by itself (explicit `|| return`),
# so it also behaves when called as `if ! f; then ...` (where set -e is off).

# MIGRATE_PG_BIN: another copy of the server to build against and run (a
# relocated copy of Debian's, say); Debian's PostgreSQL 15 by default.
PG_BIN=${MIGRATE_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=$PG_BIN/pg_config
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PG_CONFIG

# Packages a fresh Debian 12 needs to build and test the extension.
MIGRATE_PACKAGES=(postgresql-15 postgresql-server-dev-15 libipc-run-perl perl make gcc)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Cleanup: one EXIT trap runs registered commands, newest first.  INT/TERM
# turn into an exit, so the EXIT trap also runs after Ctrl-C.
# ---------------------------------------------------------------------------
_CLEANUP=()
_run_cleanup() {
    local i
    for ((i = ${#_CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${_CLEANUP[i]}" || true
    done
    _CLEANUP=()
}
on_exit() { _CLEANUP+=("$1"); }
trap _run_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------------------
# Privileges
# ---------------------------------------------------------------------------

# as_root CMD...: run CMD as root (directly, or through sudo).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -- "$@"
    else
        printf 'error: needs root, and sudo is not available: %s\n' "$*" >&2
        return 1
    fi
}

# become_root SCRIPT ARGS...: unless root already, re-run SCRIPT through sudo
# (the test, demo and bench scripts build, install and run clusters as root).
become_root() {
    [[ $(id -u) -ne 0 ]] || return 0
    command -v sudo >/dev/null 2>&1 || die "run this as root (sudo is not available): $1"
    log "not root: re-running with sudo"
    exec sudo -- bash "$@"
}

# as_postgres CMD...: run CMD as the postgres OS user, from / (a cwd such as
# /root is unreadable for postgres).  The environment is kept.
as_postgres() {
    if [[ $(id -un) == postgres ]]; then
        (cd / && "$@")
    elif [[ $(id -u) -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    elif command -v sudo >/dev/null 2>&1; then
        (cd / && sudo --preserve-env -u postgres -- "$@")
    else
        echo 'error: need root (or sudo) to run commands as postgres' >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Packages and build
# ---------------------------------------------------------------------------

_is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# ensure_packages [PKG...]: install whatever of the packages named (by
# default MIGRATE_PACKAGES) is missing.
ensure_packages() {
    local pkg apt_log missing=() wanted=("$@")
    [[ $# -gt 0 ]] || wanted=("${MIGRATE_PACKAGES[@]}")
    for pkg in "${wanted[@]}"; do
        _is_installed "$pkg" || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "packages present: ${wanted[*]}"
        return 0
    fi
    log "installing missing packages: ${missing[*]} (apt-get update, then install)"
    # apt's chatter goes to a log, shown only if something fails.
    apt_log=$(mktemp /tmp/migrate-apt.XXXXXX) || return 1
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        </dev/null >"$apt_log" 2>&1 ||
        ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}" </dev/null >>"$apt_log" 2>&1; then
        tail -n 40 "$apt_log" >&2
        rm -f -- "$apt_log"
        echo "error: apt-get failed installing: ${missing[*]}" >&2
        return 1
    fi
    rm -f -- "$apt_log"
    for pkg in "${missing[@]}"; do
        _is_installed "$pkg" || { echo "error: package $pkg did not install" >&2; return 1; }
    done
    [[ -x $PG_CONFIG ]] || { echo "error: $PG_CONFIG missing after install" >&2; return 1; }
    log "installed: ${missing[*]}"
}

# The peer migration tools that TAP tests run for real: 008_import_real_tools
# to make the databases that migrate_import() adopts, 013_client_real_tools
# and 015_client_adopt to check that pg_migrate reads their directories as
# they do.  Sqitch from Debian (with its PostgreSQL driver), dbmate (its
# native binary is an optional dependency) and graphile-migrate from the npm
# registry, installed outside the tree in PEER_TOOLS_DIR and reused while
# the versions match.
PEER_PACKAGES=(sqitch libdbd-pg-perl)
PEER_NPM_PACKAGES=(dbmate@2.36.0 graphile-migrate@1.4.1)
PEER_TOOLS_DIR=${MIGRATE_PEER_TOOLS_DIR:-/var/cache/migrate-peer-tools}

# ensure_peer_tools: install what is missing of the peer tools, and export
# their paths for the TAP test: MIGRATE_SQITCH, MIGRATE_DBMATE,
# MIGRATE_GRAPHILE_MIGRATE.
ensure_peer_tools() {
    local bin=$PEER_TOOLS_DIR/node_modules/.bin stamp=$PEER_TOOLS_DIR/.migrate-peer-tools npm_log
    ensure_packages "${PEER_PACKAGES[@]}" || return 1
    if ! command -v npm >/dev/null 2>&1; then
        ensure_packages nodejs npm || return 1
    fi
    if [[ -x $bin/dbmate && -x $bin/graphile-migrate && -f $stamp ]] &&
        [[ $(cat "$stamp") == "${PEER_NPM_PACKAGES[*]}" ]] &&
        "$bin/dbmate" --version >/dev/null 2>&1; then
        log "peer tools present in $PEER_TOOLS_DIR: ${PEER_NPM_PACKAGES[*]}"
    else
        log "installing ${PEER_NPM_PACKAGES[*]} into $PEER_TOOLS_DIR (npm)"
        npm_log=$(mktemp /tmp/migrate-npm.XXXXXX) || return 1
        if ! as_root mkdir -p "$PEER_TOOLS_DIR" ||
            ! as_root npm install --prefix "$PEER_TOOLS_DIR" --include=optional \
                --no-audit --no-fund --loglevel=error "${PEER_NPM_PACKAGES[@]}" \
                </dev/null >"$npm_log" 2>&1 ||
            ! "$bin/dbmate" --version >>"$npm_log" 2>&1; then
            tail -n 40 "$npm_log" >&2
            rm -f -- "$npm_log"
            echo "error: npm failed installing: ${PEER_NPM_PACKAGES[*]}" >&2
            return 1
        fi
        rm -f -- "$npm_log"
        printf '%s\n' "${PEER_NPM_PACKAGES[*]}" | as_root tee "$stamp" >/dev/null || return 1
        # the TAP tests run them as postgres
        as_root chmod -R a+rX "$PEER_TOOLS_DIR" || return 1
        log "installed: ${PEER_NPM_PACKAGES[*]}"
    fi
    MIGRATE_SQITCH=$(command -v sqitch) || { echo 'error: sqitch not found after install' >&2; return 1; }
    export MIGRATE_SQITCH MIGRATE_DBMATE=$bin/dbmate MIGRATE_GRAPHILE_MIGRATE=$bin/graphile-migrate
}

# build_and_install: clean build with warnings as errors, then install.
build_and_install() {
    log "building (PG_CFLAGS=-Werror) in $REPO_ROOT"
    make -C "$REPO_ROOT" -s PG_CONFIG="$PG_CONFIG" clean || return 1
    make -C "$REPO_ROOT" PG_CONFIG="$PG_CONFIG" PG_CFLAGS=-Werror || return 1
    log "installing"
    # scripts an older checkout installed (0.2 once had a full install
    # script) would be chosen over this tree's update path: remove them
    as_root sh -c 'rm -f "$1"/extension/migrate--*.sql' sh \
        "$("$PG_CONFIG" --sharedir)" || return 1
    as_root make -C "$REPO_ROOT" -s PG_CONFIG="$PG_CONFIG" install || return 1
}

# ---------------------------------------------------------------------------
# Throwaway cluster
# ---------------------------------------------------------------------------

CLUSTER_DIR=

# _free_port: a random port with no TCP listener and no socket file in /tmp.
_free_port() {
    local port tries=0
    while ((tries++ < 100)); do
        port=$((20000 + RANDOM % 30000))
        [[ -e /tmp/.s.PGSQL.$port ]] && continue
        if command -v ss >/dev/null 2>&1 &&
            [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]; then
            continue
        fi
        echo "$port"
        return 0
    done
    echo "error: no free port found" >&2
    return 1
}

# cluster_start [max_locks_per_transaction]: initdb and start a private
# cluster, socket only, and export PGHOST PGPORT PGUSER PGDATABASE.  The
# cluster lives under $CLUSTER_PARENT (default /tmp).  It runs with fsync,
# synchronous_commit and full_page_writes off, unless CLUSTER_FSYNC=on.
cluster_start() {
    local max_locks=${1:-} port out
    [[ -z $CLUSTER_DIR ]] || { echo 'error: a cluster is already running' >&2; return 1; }
    # /tmp keeps the socket path short (limit 107 bytes) and readable by postgres.
    CLUSTER_DIR=$(mktemp -d "${CLUSTER_PARENT:-/tmp}/migrate-pg.XXXXXX") || return 1
    on_exit cluster_stop
    chown postgres:postgres "$CLUSTER_DIR" 2>/dev/null || as_root chown postgres:postgres "$CLUSTER_DIR" || return 1
    chmod 700 "$CLUSTER_DIR" 2>/dev/null || as_root chmod 700 "$CLUSTER_DIR" || return 1
    port=$(_free_port) || return 1

    log "initdb in $CLUSTER_DIR (port $port${max_locks:+, max_locks_per_transaction = $max_locks})"
    out=$(as_postgres "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust \
        -E UTF8 --locale=C --no-sync 2>&1) || {
        printf '%s\n' "$out" >&2
        return 1
    }
    as_postgres tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null <<EOF || return 1

# added by test/lib.sh cluster_start
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR'
port = $port
fsync = ${CLUSTER_FSYNC:-off}
synchronous_commit = ${CLUSTER_FSYNC:-off}
full_page_writes = ${CLUSTER_FSYNC:-off}
${max_locks:+max_locks_per_transaction = $max_locks}
EOF
    as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
        -w -t 60 start >/dev/null || {
        echo 'error: server did not start; log follows' >&2
        as_root tail -n 50 "$CLUSTER_DIR/server.log" >&2 || true
        return 1
    }
    export PGHOST=$CLUSTER_DIR PGPORT=$port PGUSER=postgres PGDATABASE=postgres
    unset PGHOSTADDR PGSERVICE PGPASSWORD
}

# cluster_server_log [lines]: tail of the server log.
cluster_server_log() {
    [[ -n $CLUSTER_DIR ]] || return 0
    as_root tail -n "${1:-50}" "$CLUSTER_DIR/server.log" || true
}

# cluster_stop: stop the cluster and remove its directory (idempotent).
cluster_stop() {
    [[ -n $CLUSTER_DIR ]] || return 0
    if [[ -f $CLUSTER_DIR/data/postmaster.pid ]] ||
        as_root test -f "$CLUSTER_DIR/data/postmaster.pid" 2>/dev/null; then
        as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w -t 60 stop \
            >/dev/null 2>&1 ||
            as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop \
                >/dev/null 2>&1 || true
    fi
    as_root rm -rf -- "$CLUSTER_DIR" || true
    CLUSTER_DIR=
    unset PGHOST PGPORT
}

# bench_setup NAME TMPFS_KB TITLE...: what every benchmark starts with: a
# work directory $WORK (removed at exit), the cluster on tmpfs when
# /dev/shm has TMPFS_KB free (file creation on ext4 varies too much from run
# to run to measure the server), a header naming the machine and the date,
# the packages, and a build.
bench_setup() {
    local name=$1 tmpfs_kb=$2
    shift 2
    WORK=$(mktemp -d "/tmp/migrate-$name.XXXXXX")
    # shellcheck disable=SC2016 # expanded when the cleanup runs
    on_exit 'rm -rf -- "$WORK"'
    chmod 755 "$WORK"
    if [[ -d /dev/shm ]] && [[ $(df --output=avail -k /dev/shm | tail -n 1) -gt $tmpfs_kb ]]; then
        CLUSTER_PARENT=/dev/shm
    fi
    echo "$*"
    echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
        "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "server:  $("$PG_BIN/postgres" --version)"
    echo
    ensure_packages
    build_and_install >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; die "build failed"; }
}

# median: the median of the numbers on standard input, one a line
median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# wall_ms LOG CMD...: run CMD with its output appended to LOG, print its
# wall time in ms (one decimal); on failure show the end of LOG and fail
wall_ms() {
    local log=$1 t0 t1
    shift
    t0=$(date +%s%N)
    "$@" >>"$log" 2>&1 || {
        tail -n 20 "$log" >&2
        return 1
    }
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'
}

# server_ms DB SQL [SETUP]: server time of SQL in database DB, in ms (one
# decimal), measured with clock_timestamp() inside the session, so that
# connecting and printing are not counted.  SETUP (SQL) runs first, untimed.
server_ms() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<SQL
SET client_min_messages = warning;
${3:-}
SELECT clock_timestamp() AS t0 \gset
\o /dev/null
$2;
\o
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric * 1000, 1);
SQL
}
