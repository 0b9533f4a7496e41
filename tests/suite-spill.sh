# Out-of-core runs (src/spill.h): past --max-memory the kept rows of a
# query that splits by a partition key go to a nameless temporary file
# in $TMPDIR and the partitions run one after another; output and
# --stats are the run in memory's, byte for byte.  A query that cannot
# split says why; a temporary directory that cannot be written is one
# line and status 5.
# Sourced by tests/run-all.sh (pass/fail/expect from tests/lib.sh).

FK="$TOP/$BUILD/tests/faultkit"
Q="$TOP/queries"
NF="$TOP/tests/data/nfdump"
mkdir -p "$TMP/tmp"
# 200000 records (about 8 MB of narrowed rows: 16 partitions of 500 KB,
# split again under 256K); a tenth of that under the sanitizers, whose
# runs of hundreds of partitions are twenty times slower, with budgets a
# quarter as large so that both levels are still taken.  SPILL_AT: the
# record where 256K is found exceeded (the first chunk read, or the end).
case $BUILD in
*asan* | *tsan*) SPILL_N=20000 SPILL_MM="64K 256K" SPILL_AT=20000 ;;
*) SPILL_N=200000 SPILL_MM="256K 1M" SPILL_AT=32767 ;;
esac
"$FLOWQ_GEN" -n $SPILL_N -s 7 -w "$TMP/g.ft" 2>/dev/null
unstamp() { sed 's/, "elapsed_ms": [0-9]*}$/}/' "$1"; }

# same NAME ARGS...: flowq ARGS with each --max-memory of $SPILL_MM
# (spilled, with one thread and two) = flowq ARGS, stdout and --stats
same() {
    _n=$1
    shift
    "$FLOWQ" --stats "$@" >"$TMP/mem.out" 2>"$TMP/mem.err"
    for _mm in $SPILL_MM; do
        for _th in 1 2; do
            run env TMPDIR="$TMP/tmp" "$FLOWQ" --threads $_th --max-memory $_mm --stats "$@"
            if [ "$rc" = 0 ] && [ -s "$TMP/out" ] && cmp -s "$TMP/out" "$TMP/mem.out" &&
                [ "$(unstamp "$TMP/err")" = "$(unstamp "$TMP/mem.err")" ] &&
                [ -z "$(ls -A "$TMP/tmp")" ]; then pass; else
                fail "spill: $_n --max-memory $_mm --threads $_th differs from the run in memory: exit $rc, $(head -c 300 "$TMP/err")"
            fi
        done
    done
}

for q in tcp-session http-tcp-session dns-udp heavy-hitters dns-amplification \
    event-before-after skype-signature top-talkers; do
    same "$q csv" -o csv "$Q/$q.fq" "$TMP/g.ft"
done
for q in tcp-session event-before-after; do
    same "$q json" -o json "$Q/$q.fq" "$TMP/g.ft"
    same "$q text" "$Q/$q.fq" "$TMP/g.ft"
done
same "tcp-session ft" -o ft "$Q/tcp-session.fq" "$TMP/g.ft"
# narrow rows from the start, and two files
FLOWQ_ROWS=narrow same "heavy-hitters, FLOWQ_ROWS=narrow" -o csv "$Q/heavy-hitters.fq" "$TMP/g.ft"
same "tcp-session, two files" -o csv "$Q/tcp-session.fq" "$TMP/g.ft" "$TMP/g.ft"

# IPv6 addresses: spilled rows hold the table's ids until their
# partition runs.  Groups by address pair over IPv4 and IPv6 flows
# (nfcapd files, each given 20 times).
cat >"$TMP/pair.fq" <<'EOF'
splitter S {}
grouper g {
    module m {
        srcip = srcip
        dstip = dstip
    }
    aggregate srcip, dstip, count(rec_id) as n, sum(bytes) as bytes
}
groupfilter gf { bytes > 1000 }
ungrouper U {}
"input" -> S
S branch A -> g -> gf -> U
U -> "output"
EOF
set --
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    set -- "$@" "$NF/pcap-v4v6.nfcapd" "$NF/v5.nfcapd"
done
"$FLOWQ" -o csv "$TMP/pair.fq" "$@" >"$TMP/v6.csv"
if grep -q ',2001:db8::1,' "$TMP/v6.csv"; then pass; else fail "spill: the IPv6 pairs found none"; fi
for mm in 1K 16K; do
    expect "spill: IPv6 pairs, --max-memory $mm" 0 "$TMP/v6.csv" - \
        env TMPDIR="$TMP/tmp" "$FLOWQ" --max-memory $mm -o csv "$TMP/pair.fq" "$@"
done
set --

# It did go to the temporary directory: one that is missing is an error
# before any output, and -w leaves no file.
echo "flowq: cannot write temporary file in $TMP/none: No such file or directory" >"$TMP/none.err"
expect "spill: TMPDIR missing" 5 - "$TMP/none.err" \
    env TMPDIR="$TMP/none" "$FLOWQ" --max-memory 256K -o csv "$Q/tcp-session.fq" "$TMP/g.ft"
expect "spill: TMPDIR missing, -w" 5 - "$TMP/none.err" \
    env TMPDIR="$TMP/none" "$FLOWQ" --max-memory 256K -o csv -w "$TMP/w.csv" \
    "$Q/tcp-session.fq" "$TMP/g.ft"
if [ ! -e "$TMP/w.csv" ]; then pass; else fail "spill: TMPDIR missing left the -w file"; fi
echo "flowq: cannot write temporary file in $TMP/g.ft: Not a directory" >"$TMP/notdir.err"
expect "spill: TMPDIR a file" 5 - "$TMP/notdir.err" \
    env TMPDIR="$TMP/g.ft" "$FLOWQ" --max-memory 256K -o json "$Q/heavy-hitters.fq" "$TMP/g.ft"
# a full disk while the partitions are written: one line, status 5, no
# -w file, nothing left behind
MNT="$TMP/full"
mkdir -p "$MNT"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$MNT" 2>/dev/null; then
    echo "flowq: cannot write temporary file in $MNT: No space left on device" >"$TMP/full.err"
    expect "spill: full disk" 5 - "$TMP/full.err" \
        env TMPDIR="$MNT" "$FLOWQ" --max-memory 256K -o csv "$Q/tcp-session.fq" "$TMP/g.ft"
    expect "spill: full disk, -w" 5 - "$TMP/full.err" \
        env TMPDIR="$MNT" "$FLOWQ" --max-memory 256K -o csv -w "$TMP/w.csv" \
        "$Q/tcp-session.fq" "$TMP/g.ft"
    if [ ! -e "$TMP/w.csv" ] && [ -z "$(ls -A "$MNT")" ]; then pass; else
        fail "spill: a full disk left $(ls -A "$MNT" "$TMP/w.csv" 2>&1 | tr '\n' ' ')"
    fi
    umount "$MNT"
else
    echo "note: suite-spill: cannot mount a small tmpfs (not root?); the full-disk test skipped"
fi
# what fits needs no temporary file
"$FLOWQ" -o csv "$Q/tcp-session.fq" "$TMP/g.ft" >"$TMP/ts.csv"
expect "spill: no spill, TMPDIR missing" 0 "$TMP/ts.csv" - \
    env TMPDIR="$TMP/none" "$FLOWQ" --max-memory 64M -o csv "$Q/tcp-session.fq" "$TMP/g.ft"

# A query that cannot split keeps its records in memory, and past
# --max-memory stops with the rule that prevents splitting.
cat >"$TMP/allen.fq" <<'EOF'
splitter S {}
filter tcp { proto = 6 }
filter udp { proto = 17 }
merger M {
    module m1 {
        branches A, B
        A < B delta 1 s
    }
    export m1
}
ungrouper U {}
"input" -> S
S branch A -> tcp -> M
S branch B -> udp -> M
M -> U -> "output"
EOF
echo "flowq: the records to keep exceed --max-memory (262144 bytes at record $SPILL_AT) and cannot go to temporary files: merger module m1 has no equality rule between branches A and B (its rules start at line 7); filter more or raise --max-memory" >"$TMP/allen.err"
expect "spill: Allen-only merger" 5 - "$TMP/allen.err" \
    env TMPDIR="$TMP/tmp" "$FLOWQ" --max-memory 256K -o csv "$TMP/allen.fq" "$TMP/g.ft"
echo "flowq: the records to keep exceed --max-memory (262144 bytes at record $SPILL_AT) and cannot go to temporary files: -g writes the groups as the merger makes them, in one run; filter more or raise --max-memory" >"$TMP/g.err"
expect "spill: -g" 5 - "$TMP/g.err" \
    env TMPDIR="$TMP/tmp" "$FLOWQ" -g --max-memory 256K -o csv "$Q/top-talkers.fq" "$TMP/g.ft"
echo "flowq: the records to keep exceed --max-memory (262144 bytes at record $SPILL_AT) and cannot go to temporary files: the input is not regular files, which could be read a second time; filter more or raise --max-memory" >"$TMP/stdin.err"
expect "spill: standard input" 5 - "$TMP/stdin.err" \
    sh -c 'env TMPDIR="$1" "$2" --max-memory 256K -o csv "$3" - <"$4"' sh "$TMP/tmp" "$FLOWQ" \
    "$Q/tcp-session.fq" "$TMP/g.ft"
# without --max-memory the budget only decides, and such a query runs
"$FLOWQ" -o csv "$TMP/allen.fq" "$TMP/g.ft" >"$TMP/allen.csv"
if [ -s "$TMP/allen.csv" ]; then pass; else fail "spill: the Allen query found nothing"; fi

# Memory follows the budget: a million records (64 MB, about 90 MiB of
# RSS in memory) group in a few MiB past --max-memory 4M.  Only without
# sanitizers, which add their own memory.
case $BUILD in
build)
    "$FLOWQ_GEN" -n 1000000 -s 3 -w "$TMP/g1m.ft" 2>/dev/null
    "$FLOWQ" -o csv "$Q/tcp-session.fq" "$TMP/g1m.ft" >"$TMP/m1.csv"
    run env TMPDIR="$TMP/tmp" "$FK" maxrss "$TMP/rss" "$FLOWQ" --max-memory 4M -o csv \
        "$Q/tcp-session.fq" "$TMP/g1m.ft"
    kb=$(cat "$TMP/rss" 2>/dev/null || echo 0)
    if [ "$rc" = 0 ] && cmp -s "$TMP/out" "$TMP/m1.csv" && [ "$kb" -lt 40960 ]; then pass; else
        fail "spill: 1M records, --max-memory 4M: exit $rc, peak RSS ${kb} KiB"
    fi
    rm -f "$TMP/g1m.ft"
    ;;
esac
