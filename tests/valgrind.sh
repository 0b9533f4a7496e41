#!/bin/sh
# make valgrind: a subset of the end-to-end runs under valgrind memcheck
# (--print of every record version, the example queries in record and
# group mode, and the error paths: corrupt input, write error, query
# error).  A run fails if valgrind reports an error or a definite leak
# (exit 99) or flowq's own status is not the one expected.
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
export TZ=UTC LC_ALL=C
FLOWQ="$TOP/$BUILD/flowq"
FK="$TOP/$BUILD/tests/faultkit"
SHARED=${SHARED-}
[ -z "$SHARED" ] && [ -d ../shared/traces ] && SHARED=$(cd ../shared && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
npass=0 nfail=0

# vg WANT_RC ARGS...: run flowq under memcheck, stdout/stderr to $TMP.
vg() {
    want=$1
    shift
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --log-file="$TMP/vg.log" "$FLOWQ" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" = "$want" ] && [ ! -s "$TMP/vg.log" ]; then
        npass=$((npass + 1))
    else
        nfail=$((nfail + 1))
        echo "FAIL: valgrind flowq $*: exit $rc (expected $want)" >&2
        head -30 "$TMP/vg.log" "$TMP/err" >&2
    fi
}

[ -x "$FK" ] || { echo "valgrind.sh: $FK not built (make check builds it)" >&2; exit 2; }
"$FK" gen 2000 >"$TMP/t.ft"
head -c 1000 "$TMP/t.ft" >"$TMP/cut.ft"
traces="$TMP/t.ft"
if [ -n "$SHARED" ]; then
    traces="$traces $SHARED/traces/trace-2009.ftz"
    for v in v1-little-z0 v5-big-z6 v6-little-z6 v7-big-z0 v1005-big-z6; do
        traces="$traces $SHARED/traces/versions/gen-$v.ft"
    done
fi
for t in $traces; do
    vg 0 --print -o csv "$t"
done
vg 0 --print -o json "$TMP/t.ft"
vg 0 --print -o ft -z 6 "$TMP/t.ft"
vg 4 --print -o json "$TMP/t.ft" "$TMP/cut.ft"
vg 5 --print "$TMP/t.ft" -w /nonexistent/dir/out.txt

qtrace=$TMP/t.ft
[ -n "$SHARED" ] && qtrace=$SHARED/traces/trace-2009.ftz
n=0
for q in queries/*.fq; do
    [ -f "$q" ] || continue
    vg 0 --threads 2 -o csv "$q" "$qtrace"
    # group output for every third query
    [ $((n % 3)) = 0 ] && vg 0 --threads 2 -g -o json "$q" "$qtrace"
    n=$((n + 1))
done
printf 'splitter S {}\nfilter f { scrip = 1 }\n' >"$TMP/bad.fq"
vg 3 -n "$TMP/bad.fq"
printf 'splitter S {}\nmerger M { branches A, B }\nungrouper U {}\n"input" -> S\nS branch A -> M\nS branch B -> M\nM -> U -> "output"\n' \
    >"$TMP/cross.fq"
vg 5 --max-tuples 100 "$TMP/cross.fq" "$TMP/t.ft"
vg 4 "$TMP/cross.fq" "$TMP/cut.ft"
# A query that only filters, through temporary files (runs of 546
# records, written whole: every byte of them must be defined).
printf 'splitter S {}\nungrouper U {}\n"input" -> S\nS branch A -> U\nU -> "output"\n' >"$TMP/all.fq"
vg 0 --max-memory 64K -o csv "$TMP/all.fq" "$TMP/t.ft"
vg 0 --max-memory 64K --stats -o json "$TMP/all.fq" "$TMP/t.ft" "$TMP/t.ft"

echo "valgrind: $npass passed, $nfail failed"
[ "$nfail" = 0 ]
