#!/bin/sh
# Runs every unit-test binary and every end-to-end suite; the last line is
# "N passed, N failed".  Exit status 0 only if nothing failed.
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
export TZ=UTC LC_ALL=C
export FLOWQ="$TOP/$BUILD/flowq" FLOWQ_GEN="$TOP/$BUILD/flowq-gen" TOP BUILD
if [ -z "${SHARED+x}" ]; then
    SHARED=""
    [ -d "$TOP/../shared/traces" ] && SHARED=$(cd "$TOP/../shared" && pwd)
fi
export SHARED
RESULTS=$(mktemp)
export RESULTS
scratch=$(mktemp -d)
trap 'rm -rf "$scratch" "$RESULTS"' EXIT

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    if CK_FORK=yes "$t"; then echo pass >>"$RESULTS"; else
        echo fail >>"$RESULTS"
        echo "FAIL: unit tests $t" >&2
    fi
done

for s in tests/suite-*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s" .sh)
    TMP="$scratch/$name"
    mkdir -p "$TMP"
    before=$(grep -c fail "$RESULTS")
    (TMP="$TMP"; export TMP; . "$TOP/tests/lib.sh"; . "$TOP/$s")
    after=$(grep -c fail "$RESULTS")
    echo "$name: $((after - before)) failed"
done

[ -z "$SHARED" ] && echo "note: ../shared not found; suites that need it were skipped"
p=$(grep -c pass "$RESULTS")
f=$(grep -c fail "$RESULTS")
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
