#!/usr/bin/env bash
# test/pgindent.sh [--check]: lay out the C sources (src/ and the client's
# src/pg_migrate/) the way PostgreSQL's pgindent does: pg_bsd_indent (Debian package pg-bsd-indent)
# with pgindent's options, and pgindent's pre- and post-processing.  The
# typedef list is made from the typedef statements of the server's headers
# and of src/, since pgindent's own list is not packaged.  With --check,
# change nothing: show the differences and exit 1 if there are any.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=test/lib.sh
source test/lib.sh

CHECK=0
case ${1:-} in
    --check) CHECK=1 ;;
    '') ;;
    *) die "usage: $0 [--check]" ;;
esac

MIGRATE_PACKAGES=(pg-bsd-indent postgresql-server-dev-15 perl)
ensure_packages || die "could not install pg-bsd-indent"

# pgindent's options (src/tools/pgindent/pgindent)
OPTS=(-bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79
      -lp -lpl -nip -npro -sac -tpg -ts4)

WORK=$(mktemp -d /tmp/migrate-indent.XXXXXX)
# shellcheck disable=SC2016
on_exit 'rm -rf -- "$WORK"'

SOURCES=(src/*.c src/*.h src/pg_migrate/*.c src/pg_migrate/*.h)

# the names declared by typedef statements (comments and preprocessor lines
# removed; for function pointer types, the name in (*name)), in the server's
# headers and, for the client, libpq's
INCLUDEDIR=$("$PG_CONFIG" --includedir)
{
    find "$("$PG_CONFIG" --includedir-server)" -name '*.h' -print0
    printf '%s\0' "$INCLUDEDIR/libpq-fe.h" "$INCLUDEDIR/postgres_ext.h" \
        "$INCLUDEDIR/internal/pqexpbuffer.h"
} |
    xargs -0 perl -e '
        local $/;
        for my $f (@ARGV) {
            open(my $fh, "<", $f) or next;
            my $s = <$fh>;
            close($fh);
            $s =~ s{/\*.*?\*/}{ }gs;
            $s =~ s{//[^\n]*}{}g;
            $s =~ s{^\s*#[^\n]*(?:\\\n[^\n]*)*}{}gm;
            while ($s =~ /\btypedef\b/g) {
                my ($start, $depth, $i) = (pos($s), 0, pos($s));
                for (; $i < length($s); $i++) {
                    my $c = substr($s, $i, 1);
                    if ($c =~ /[{(\[]/) { $depth++ }
                    elsif ($c =~ /[})\]]/) { $depth-- }
                    elsif ($c eq ";" && $depth == 0) { last }
                }
                my $stmt = substr($s, $start, $i - $start);
                if ($stmt =~ /\(\s*\*\s*(\w+)\s*\)\s*\(/) { print "$1\n"; next }
                $stmt =~ s/\{.*\}/ /s;
                for my $part (split(/,/, $stmt)) {
                    print "$1\n" if $part =~ /(\w+)\s*(?:\[[^\]]*\])?\s*$/;
                }
            }
        }' -- "${SOURCES[@]}" >"$WORK/typedefs.raw"
# pgindent's additions and exclusions, and the C library's types we use
printf '%s\n' bool FILE size_t ssize_t va_list sigjmp_buf >>"$WORK/typedefs.raw"
sort -u "$WORK/typedefs.raw" |
    grep -v -x -E 'ANY|FD_SET|U|abs|allocfunc|boolean|date|digit|ilist|interval|iterator|other|pointer|printfunc|reference|string|timestamp|type|wrap' \
        >"$WORK/typedefs.list"

changed=0
for f in "${SOURCES[@]}"; do
    base=$WORK/$(echo "$f" | tr / _)
    # pgindent's pre-processing: // comments, dash-protected comments
    perl -0777 -pe 's!^([ \t]*)//(.*)$!$1/* $2 */!gm; s!/\* +---!/*---X_X!g;' \
        "$f" >"$base.pre"
    if ! out=$(pg_bsd_indent "${OPTS[@]}" "-U$WORK/typedefs.list" \
            "$base.pre" "$base.out" 2>&1) || [[ -n $out ]]; then
        die "pg_bsd_indent failed on $f: $out"
    fi
    # and its post-processing
    perl -0777 -pe 's!/\*---X_X!/* ---!g; s!\*/(/\*.*\*/)$!*/\t$1!gm;
                    s!^([A-Za-z_]\S*)[ \t]+\*$!$1 *!gm;' \
        "$base.out" >"$base.new"
    if ! cmp -s "$f" "$base.new"; then
        changed=$((changed + 1))
        if [[ $CHECK -eq 1 ]]; then
            diff -u "$f" "$base.new" | sed "1,2s|$base.new|$f (indented)|" || true
        else
            cp "$base.new" "$f"
            log "indented $f"
        fi
    fi
done

if [[ $CHECK -eq 1 && $changed -gt 0 ]]; then
    echo "error: $changed file(s) not laid out as pgindent would; run test/pgindent.sh" >&2
    exit 1
fi
log "${#SOURCES[@]} files laid out as pgindent would"
