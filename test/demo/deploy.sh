#!/usr/bin/env bash
# test/demo/deploy.sh DIR [--apply] [--print]: what a deploy job does with
# plain psql.
#
# DIR holds <id>.up.sql and optional <id>.down.sql files (no down file: the
# migration is irreversible).  The first line of an up file may be
# "-- description: ...".  Every migration is registered in one transaction;
# with --apply, migrate_apply('head') runs in that same transaction, so the
# deploy either fully happens or not at all.  --print shows the generated
# psql script instead of running it.
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGDATABASE, ...).
# The generated psql script reads each file with \set VAR `cat FILE`, so the
# SQL text is never pasted into a shell or SQL string by hand.
set -euo pipefail

usage() { echo "usage: $0 DIR [--apply] [--print]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
dir=$1
shift
apply=false
print=false
for arg in "$@"; do
    case $arg in
        --apply) apply=true ;;
        --print) print=true ;;
        *) usage ;;
    esac
done
[[ -d $dir ]] || { echo "error: $dir is not a directory" >&2; exit 2; }
cd "$dir"

shopt -s nullglob
ups=(*.up.sql)
shopt -u nullglob
[[ ${#ups[@]} -gt 0 ]] || { echo "error: no *.up.sql files in $dir" >&2; exit 2; }

# Build the psql script.  File names are ids plus a suffix, and ids only use
# [A-Za-z0-9_.-], so they need no quoting in psql or in the shell.
script=$(mktemp)
trap 'rm -f -- "$script"' EXIT
{
    echo '\set ON_ERROR_STOP on'
    echo '\pset tuples_only on'
    echo '\pset format unaligned'
    echo 'BEGIN;'
    for up in "${ups[@]}"; do
        id=${up%.up.sql}
        if ! [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$ ]]; then
            echo "error: bad migration id: $id" >&2
            exit 2
        fi
        echo "\\set id $id"
        echo "\\set up \`cat $id.up.sql\`"
        echo "\\set descr \`sed -n '1s/^-- *description: *//p' $id.up.sql\`"
        if [[ -f $id.down.sql ]]; then
            echo "\\set down \`cat $id.down.sql\`"
            down=":'down'"
        else
            down="NULL"
        fi
        echo "SELECT format('%-40s %s', :'id', migrate_register(:'id', :'up', $down, NULLIF(:'descr', '')));"
    done
    if $apply; then
        echo "SELECT format('applied %s migration(s)', migrate_apply('head'));"
    fi
    echo 'COMMIT;'
} >"$script"

if $print; then
    cat "$script"
else
    psql -X -q -v ON_ERROR_STOP=1 -f "$script"
fi
