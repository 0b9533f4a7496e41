#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: throughput on generated traces, median of $RUNS runs, one table.
# Traces are cached in $FLOWQ_BENCH_DIR (default /tmp/flowq-bench) and made
# by build/flowq-gen when it works, else by the ftfixture test tool.
#
# To add a benchmark: call `bench "LABEL" RECORDS COMMAND...` in a new
# section below; COMMAND's stdout is discarded, a failure aborts.
#   BENCH_RECORDS=N   records of the big traces (default 10000000)
#   RUNS=N            runs per benchmark (default 3)
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B="$TOP/$BUILD"
DIR=${FLOWQ_BENCH_DIR:-/tmp/flowq-bench}
N=${BENCH_RECORDS:-10000000}
RUNS=${RUNS:-3}
export LC_ALL=C TZ=UTC
mkdir -p "$DIR" || exit 1

now() { date +%s.%N; }

# trace NAME ZLEVEL: path of a cached N-record v5 trace, made if missing.
trace() {
    f="$DIR/v5-$N-z$2.ft"
    if [ ! -s "$f" ]; then
        echo "bench: generating $f ..." >&2
        if [ -x "$B/flowq-gen" ] && "$B/flowq-gen" -n 10 -z "$2" -w - 2>/dev/null |
            "$B/flowq" --print -o csv >/dev/null 2>&1; then
            "$B/flowq-gen" -n "$N" -z "$2" -w "$f.tmp" || exit 1
        else
            "$B/tests/ftfixture" -n "$N" -z "$2" >"$f.tmp" || exit 1
        fi
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

printf '%-46s %10s %9s %12s\n' "benchmark (median of $RUNS)" records seconds records/s
# bench LABEL RECORDS CMD...: run CMD $RUNS times, print the median.
bench() {
    label=$1 recs=$2
    shift 2
    times=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(now)
        "$@" >/dev/null || { echo "bench: $label failed: $*" >&2; exit 1; }
        t1=$(now)
        times="$times $(awk "BEGIN { print $t1 - $t0 }")"
        i=$((i + 1))
    done
    med=$(printf '%s\n' $times | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    awk -v l="$label" -v n="$recs" -v t="$med" 'BEGIN { printf "%-46s %10d %9.3f %12.0f\n", l, n, t, n / t }'
}

raw=$(trace v5 0)
z=$(trace v5 6)

# -- decode ------------------------------------------------------------------
bench "floor: cat (raw file read)" "$N" cat "$raw"
bench "floor: zlib inflate of the record area" "$N" "$B/tests/zinflate" "$z"
bench "decode only, uncompressed file" "$N" "$B/tests/ftcount" "$raw"
bench "decode only, uncompressed, stdin pipe" "$N" sh -c "cat '$raw' | '$B/tests/ftcount'"
bench "decode only, zlib" "$N" "$B/tests/ftcount" "$z"
bench "flowq --print -o csv, uncompressed" "$N" "$B/flowq" --print -o csv "$raw"
bench "flowq --print -o csv, zlib" "$N" "$B/flowq" --print -o csv "$z"
bench "flowq --print -o ft, uncompressed" "$N" "$B/flowq" --print -o ft "$raw"

# -- queries (the engine's benchmarks go here) -----------------------------------
# Every query of queries/ (and a filter-only and a group+sum query) on 1M and
# N records; peak memory from GNU time when it is there.  Per-stage counts:
# flowq --stats.
Q1=1000000
bigN=$N
N=$Q1
small=$(trace v5 0)
N=$bigN
qdir="$TOP/queries"
cat >"$DIR/filter-only.fq" <<'FQ'
splitter S {}
filter f { proto = protocol("TCP")
           dstport = 443 }
ungrouper U {}
"input" -> S
S branch A -> f -> U
U -> "output"
FQ
cat >"$DIR/group-sum.fq" <<'FQ'
splitter S {}
filter f-tcp { proto = protocol("TCP") }
grouper g { module g1 { srcip = srcip
                        dstip = dstip }
            aggregate srcip, dstip, sum(bytes) as bytes }
groupfilter gf { bytes > 100000 }
ungrouper U {}
"input" -> S
S branch A -> f-tcp -> g -> gf -> U
U -> "output"
FQ
peak() { # peak RSS in MiB of one run of CMD, or "-"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f %M -o "$DIR/peak" "$@" >/dev/null 2>&1 &&
            awk '{ printf "%d", $1 / 1024 }' "$DIR/peak"
    else
        printf -
    fi
}
printf '\n%-46s %10s %9s %12s %9s\n' "query (median of $RUNS)" records seconds records/s "peak MiB"
for q in "$DIR/filter-only.fq" "$DIR/group-sum.fq" "$qdir"/*.fq; do
    name=$(basename "$q" .fq)
    for t in "$small:$Q1" "$raw:$N"; do
        f=${t%:*} n=${t##*:}
        line=$(bench "query $name" "$n" "$B/flowq" "$q" "$f") || exit 1
        echo "$line $(printf '%9s' "$(peak "$B/flowq" "$q" "$f")")"
    done
done

# --- front end: --check of a generated 10 MB query with 10 000 filters
echo
FLOWQ="$B/flowq" sh "$TOP/tests/bench/frontend.sh" || exit 1
