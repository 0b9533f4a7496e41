#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: flowq's benchmarks as one table.  Each command runs $RUNS
# times; the table gives the median wall time, records/s and the median
# peak RSS (GNU time), on 1M records and on N, with time(N)/time(1M).
# Baselines in the same run: cat, the zlib inflate floor (tests/zinflate)
# and, when installed, nfdump on its own copy of the same records, with
# the ratios flowq/baseline.  Everything generated is cached in
# $FLOWQ_BENCH_DIR (default /tmp/flowq-bench), so a rerun starts at once:
#   gen-N-zL.ft      build/flowq-gen -n N -z L (seed 1): L=0 plain, 6 zlib
#   nfdump-N/        the same records as NetFlow v5 datagrams from
#                    flowq-gen --export, written by nfcapd
#   BENCH_RECORDS=N  records of the big traces (default 10000000)
#   RUNS=N           runs per benchmark (default 5: on a VM one run in
#                    four or five can take a third longer)
#   NFDUMP=no        skip the nfdump baselines
#   BENCH_BIG=N      records of the out-of-core run (default 50000000,
#                    a 3.2 GB trace; 0 skips it)
#   gen-N-8files/    the N records as 8 zlib files (parallel reading)
#   gen-N-z0u.ft     flowq-gen --unique-pairs: the high-cardinality trace
# To add a benchmark: `bench LABEL RECORDS COMMAND...` or a query file in
# tests/bench/queries and a `pair` line below.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B="$TOP/$BUILD"
DIR=${FLOWQ_BENCH_DIR:-/tmp/flowq-bench}
N=${BENCH_RECORDS:-10000000}
SMALL=1000000
[ "$N" -lt "$SMALL" ] && SMALL=$N
RUNS=${RUNS:-5}
BIG=${BENCH_BIG:-50000000}
BQ="$TOP/tests/bench/queries"
Q="$TOP/queries"
export LC_ALL=C TZ=UTC
mkdir -p "$DIR" || exit 1
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (/usr/bin/time)" >&2; exit 1; }

# trace RECORDS ZLEVEL [u]: path of the cached trace, made if missing; u:
# the high-cardinality one (flowq-gen --unique-pairs).
trace() {
    f="$DIR/gen-$1-z$2${3:-}.ft"
    if [ ! -s "$f" ]; then
        echo "bench: generating $f ..." >&2
        "$B/flowq-gen" -n "$1" -z "$2" ${3:+--unique-pairs} -w "$f.tmp" && mv "$f.tmp" "$f" || exit 1
    fi
    echo "$f"
}

# nfcopy RECORDS: directory of nfdump's copy of trace RECORDS, made if
# missing by exporting the records to nfcapd on the loopback; empty when
# nfdump is not installed or the copy lost records.
nfcopy() {
    d="$DIR/nfdump-$1"
    if [ ! -d "$d" ]; then
        echo "bench: exporting $1 records to nfcapd for $d ..." >&2
        rm -rf "$d.tmp" && mkdir -p "$d.tmp" || return 0
        port=$((20000 + $$ % 20000))
        nfcapd -b 127.0.0.1 -p "$port" -w "$d.tmp" -t 86400 -B 16000000 \
            -P "$DIR/nfcapd.pid" -D >/dev/null 2>&1 || return 0
        sleep 1
        "$B/flowq-gen" -n "$1" --export "127.0.0.1:$port" --rate 500000
        sleep 3
        kill "$(cat "$DIR/nfcapd.pid")"
        sleep 3
        got=$(nfdump -R "$d.tmp" 'proto 255' 2>/dev/null |
            sed -n 's/^Total flows processed: \([0-9]*\).*/\1/p')
        if [ "$got" -ne "$1" ]; then
            echo "bench: nfcapd stored $got of $1 records; no nfdump baseline" >&2
            return 0
        fi
        mv "$d.tmp" "$d" || return 0
    fi
    echo "$d"
}

# measure CMD...: run CMD $RUNS times; prints "SECONDS PEAK_MIB" (medians).
measure() {
    : >"$DIR/runs"
    i=0
    while [ $i -lt "$RUNS" ]; do
        # GNU time's %e has 10 ms steps, too coarse for the 1M runs'
        # ratios: the wall time comes from date's nanoseconds instead.
        t0=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$DIR/one" "$@" >/dev/null 2>"$DIR/err" ||
            { echo "bench: failed: $*" >&2; cat "$DIR/err" >&2; exit 1; }
        t1=$(date +%s%N)
        echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $(tail -n 1 "$DIR/one")" \
            >>"$DIR/runs"
        i=$((i + 1))
    done
    m=$(((RUNS + 1) / 2))
    t=$(cut -d' ' -f1 "$DIR/runs" | sort -g | sed -n "${m}p")
    p=$(cut -d' ' -f2 "$DIR/runs" | sort -g | sed -n "${m}p")
    echo "$t $((p / 1024))"
}

# row LABEL RECORDS SECONDS PEAK [NOTE]: one table line.
row() {
    awk -v l="$1" -v n="$2" -v t="$3" -v p="$4" -v r="${5:-}" 'BEGIN {
        printf "%-44s %9d %8.3f %7.2f %8d  %s\n", l, n, t, (t > 0 ? n / t / 1e6 : 0), p, r }'
}

# bench LABEL RECORDS CMD...: measure CMD, one table line; sets $T and $P
# to the median seconds and peak MiB.
bench() {
    label=$1 recs=$2
    shift 2
    set -- $(measure "$@")
    [ $# -eq 2 ] || exit 1
    T=$1 P=$2
    row "$label" "$recs" "$T" "$P"
}

# pair LABEL QUERY [ZLEVEL [u]]: a query on SMALL and on N records, with
# time(N)/time(SMALL); sets T and P of the N run.
pair() {
    z=${3:-0} u=${4:-}
    bench "$1" "$SMALL" "$B/flowq" "$2" "$(trace "$SMALL" "$z" "$u")"
    ts=$T
    set -- "$1" "$2" $(measure "$B/flowq" "$2" "$(trace "$N" "$z" "$u")")
    [ $# -eq 4 ] || exit 1
    T=$3 P=$4
    row "$1" "$N" "$T" "$P" "time N/$SMALL: $(ratio "$T" "$ts")"
}

# parts8 RECORDS: directory of 8 zlib files of RECORDS/8 records each (seeds
# 1 to 8, an hour apart), as a flow-capture directory holds them.
parts8() {
    d="$DIR/gen-$1-8files"
    if [ ! -d "$d" ]; then
        echo "bench: generating $d ..." >&2
        rm -rf "$d.tmp" && mkdir -p "$d.tmp" || exit 1
        for k in 1 2 3 4 5 6 7 8; do
            "$B/flowq-gen" -n $(($1 / 8)) -s $k -z 6 --start $((1764288000 + k * 3600)) \
                -w "$d.tmp/ft-v05.$k" || exit 1
        done
        mv "$d.tmp" "$d" || exit 1
    fi
    echo "$d"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

raw=$(trace "$N" 0)
z=$(trace "$N" 6)
trace "$SMALL" 0 >/dev/null
trace "$SMALL" 6 >/dev/null
nf=""
if [ "${NFDUMP:-yes}" != no ] && command -v nfdump >/dev/null && command -v nfcapd >/dev/null; then
    nf=$(nfcopy "$N")
elif [ "${NFDUMP:-yes}" != no ]; then
    echo "bench: nfdump/nfcapd not installed (apt-get install nfdump): no nfdump baselines" >&2
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); traces: $raw ($(du -m "$raw" | cut -f1) MiB)," \
    "$z ($(du -m "$z" | cut -f1) MiB)"
echo
printf '%-44s %9s %8s %7s %8s  %s\n' "benchmark (median of $RUNS)" records seconds "Mrec/s" "peak MiB" \
    "ratio"

# -- 1. decode ------------------------------------------------------------
bench "floor: cat, uncompressed file" "$N" cat "$raw"
bench "floor: zlib inflate of the record area" "$N" "$B/tests/zinflate" "$z"
tz=$T
bench "decode only (ftcount), uncompressed" "$N" "$B/tests/ftcount" "$raw"
bench "decode only (ftcount), zlib" "$N" "$B/tests/ftcount" "$z"
bench "flowq --print -o ft, uncompressed" "$N" "$B/flowq" --print -o ft "$raw"
bench "flowq --print -o ft, zlib" "$N" "$B/flowq" --print -o ft "$z"
bench "flowq --print -o csv, zlib" "$N" "$B/flowq" --print -o csv "$z"

# -- 2. filter only ---------------------------------------------------------
echo
pair "2 filter-only (tcp, dstport 80)" "$BQ/filter-only.fq" 0
pair "2 filter-only, zlib" "$BQ/filter-only.fq" 6
tf=$T
if [ -n "$nf" ]; then
    bench "  nfdump 'proto tcp and dst port 80'" "$N" nfdump -R "$nf" 'proto tcp and dst port 80'
    echo "  flowq zlib / nfdump: time $(ratio "$tf" "$T")"
fi
echo "  flowq zlib / inflate floor: time $(ratio "$tf" "$tz")"

# -- 3. group + aggregate ---------------------------------------------------
echo
pair "3 group (srcip,dstip) + sums + gfilter" "$BQ/group-sum.fq" 0
tg=$T pg=$P
if [ -n "$nf" ]; then
    bench "  nfdump -A srcip,dstip 'proto tcp'" "$N" nfdump -R "$nf" -A srcip,dstip 'proto tcp'
    echo "  flowq / nfdump: time $(ratio "$tg" "$T"), peak memory $(ratio "$pg" "$P")"
fi

# -- 4-6. multi-branch queries, Allen relations, rdelta chains ---------------
echo
pair "4 tcp-session" "$Q/tcp-session.fq"
pair "4 http-tcp-session" "$Q/http-tcp-session.fq"
pair "5 skype-ipv6-failure (4 branches)" "$Q/skype-ipv6-failure.fq"
pair "5 http-before-https (Allen, 2 big)" "$BQ/http-before-https.fq"
pair "5 event-before-after (Allen, 3 branches)" "$Q/event-before-after.fq"
pair "6 rdelta chains (tcp, < 1 s apart)" "$BQ/rdelta-chain.fq"

# -- 7. nfdump files: flowq reading nfdump's own LZ4 copy of the records ----
if [ -n "$nf" ]; then
    lz="$DIR/nfdump-$N.lz4"
    [ -s "$lz" ] || nfdump -R "$nf" -y -w "$lz" >/dev/null 2>&1 || rm -f "$lz"
    if [ -s "$lz" ]; then
        echo
        bench "7 flowq --print -o csv, nfdump LZ4 file" "$N" "$B/flowq" --print -o csv "$lz"
        tp=$T
        bench "  nfdump -r FILE -q -o csv" "$N" nfdump -r "$lz" -q -o csv
        echo "  flowq / nfdump: time $(ratio "$tp" "$T")"
        bench "7 filter-only (tcp, dstport 80), nfdump LZ4" "$N" "$B/flowq" -o csv "$BQ/filter-only.fq" "$lz"
        tp=$T
        bench "  nfdump -r FILE -o csv 'proto tcp and dst port 80'" "$N" \
            nfdump -r "$lz" -q -o csv 'proto tcp and dst port 80'
        echo "  flowq / nfdump: time $(ratio "$tp" "$T")"
    fi
fi

# -- 8. high cardinality: almost every host pair once (--unique-pairs) ----
echo
pair "8 group-sum, unique host pairs" "$BQ/group-sum.fq" 0 u
pair "8 tcp-session, unique host pairs" "$Q/tcp-session.fq" 0 u
pair "8 http-before-https, unique host pairs" "$BQ/http-before-https.fq" 0 u
pair "8 rdelta chains, unique host pairs" "$BQ/rdelta-chain.fq" 0 u

# -- 9. several files read in parallel: the N records as 8 zlib files ------
echo
parts=$(parts8 "$N")
bench "9 filter-only, 8 zlib files, --threads 1" "$N" "$B/flowq" --threads 1 -o csv \
    "$BQ/filter-only.fq" "$parts"
t1=$T
bench "9 filter-only, 8 zlib files, --threads 2" "$N" "$B/flowq" --threads 2 -o csv \
    "$BQ/filter-only.fq" "$parts"
echo "  2 threads / 1 thread: time $(ratio "$T" "$t1")"

# -- 10. out of core: group-sum over BIG records under --max-memory 256M -----
if [ "$BIG" -gt 0 ]; then
    echo
    big=$(trace "$BIG" 0)
    "$B/flowq" "$BQ/group-sum.fq" "$big" >"$DIR/big-all.out" || exit 1
    bench "10 group-sum, --max-memory 256M (spills)" "$BIG" "$B/flowq" --max-memory 256M \
        -w "$DIR/big-256m.out" --force "$BQ/group-sum.fq" "$big"
    if cmp -s "$DIR/big-all.out" "$DIR/big-256m.out"; then
        echo "  output identical to the run without --max-memory ($(wc -l <"$DIR/big-all.out") lines)"
    else
        echo "  OUTPUT DIFFERS from the run without --max-memory" && exit 1
    fi
    rm -f "$DIR/big-all.out" "$DIR/big-256m.out"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- front end: --check of a generated 10 MB query with 10 000 filters
echo
FLOWQ="$B/flowq" sh "$TOP/tests/bench/frontend.sh" || exit 1
