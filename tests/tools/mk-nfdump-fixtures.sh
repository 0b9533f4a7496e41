#!/bin/sh
# SPDX-License-Identifier: MIT
# mk-nfdump-fixtures.sh: nfdump files made by the real collector.  flowq-gen
# exports a trace as NetFlow v9 or IPFIX over UDP to an nfcapd (Debian's
# nfdump package) on a free loopback port; nfcapd writes the file, and
# nfdump rewrites it with each block compression it supports.
#
# Usage: tests/tools/mk-nfdump-fixtures.sh [-n N] [-s SEED] [-6 FRACTION]
#            [-f v9|ipfix] [-r RATE] OUTDIR
#   -n N         records (default 5000)
#   -s SEED      flowq-gen --seed (default 1)
#   -6 FRACTION  flowq-gen --ipv6, share of IPv6 flows (default 0.3)
#   -f FORMAT    export format, v9 or ipfix (default ipfix)
#   -r RATE      flows per second sent (default 20000; nfcapd must keep up)
# Environment: FLOWQ_GEN (default build/flowq-gen of this tree).
#
# OUTDIR receives:
#   nfcapd.none   as nfcapd wrote it (uncompressed blocks)
#   nfcapd.lzo    nfdump -z (LZO)
#   nfcapd.lz4    nfdump -y (LZ4)
#   nfcapd.bz2    nfdump -j (BZ2)
#   nfcapd.zstd   nfdump -z=zstd, only when this nfdump has ZSTD (Debian's
#                 1.7.1 has not: the script says so and goes on)
#   sent.csv      flowq-gen --list: every record sent, in the columns of
#                 flowq --print -o csv
#   twin.ft       with -6 0 only: the same records as a flow-tools file
#                 (flowq-gen -w), for comparing the two formats
#   MANIFEST      the commands, versions and record counts
# Every file holds exactly the N records of sent.csv (checked with
# nfdump's record count) in the block compression its name says (checked
# with nfdump -v); otherwise the script fails (exit 1) and says why.
# The flows are those of sent.csv to the millisecond (tests/suite-gen.sh
# compares them); the exporter columns differ: nfcapd keeps the sender
# 127.0.0.1 as exaddr (sent.csv: the router 10.0.0.1), and engine
# type/id are 0/1 from the v9 source id, 0/0 for IPFIX.
# ZSTD needs an nfdump built with it (Debian 12's 1.7.1 is not).
# Example: tests/tools/mk-nfdump-fixtures.sh -n 2000 -s 5 -6 0.5 /tmp/fx
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
G=${FLOWQ_GEN:-$TOP/build/flowq-gen}
n=5000 seed=1 v6=0.3 fmt=ipfix rate=20000
die() { echo "mk-nfdump-fixtures: $*" >&2; exit 1; }
while getopts n:s:6:f:r: c; do
    case $c in
    n) n=$OPTARG ;; s) seed=$OPTARG ;; 6) v6=$OPTARG ;; f) fmt=$OPTARG ;; r) rate=$OPTARG ;;
    *) die "usage: $0 [-n N] [-s SEED] [-6 FRACTION] [-f v9|ipfix] [-r RATE] OUTDIR" ;;
    esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || die "usage: $0 [-n N] [-s SEED] [-6 FRACTION] [-f v9|ipfix] [-r RATE] OUTDIR"
out=$1
command -v nfcapd >/dev/null 2>&1 && command -v nfdump >/dev/null 2>&1 ||
    die "needs nfcapd and nfdump (Debian package nfdump)"
[ -x "$G" ] || die "no flowq-gen at $G (make, or set FLOWQ_GEN)"
mkdir -p "$out" || die "cannot make $out"
cap=$(mktemp -d) || die "mktemp failed"
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$cap"' EXIT

# nfcapd on a free port: a port in use makes it exit at once
try=0
while :; do
    [ $try -lt 20 ] || die "nfcapd did not start: $(tail -1 "$cap/log")"
    port=$((20000 + ($$ * 7 + try * 7919) % 40000))
    nfcapd -b 127.0.0.1 -p $port -w "$cap" -t 86400 -B 4000000 >"$cap/log" 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null && ! grep -q '^Startup' "$cap/log"; do
        sleep 0.05; i=$((i + 1))
    done
    grep -q '^Startup' "$cap/log" && kill -0 $pid 2>/dev/null && break
    kill $pid 2>/dev/null; wait $pid 2>/dev/null; pid=
    try=$((try + 1))
done

twin=
awk -v f="$v6" 'BEGIN { exit !(f + 0 == 0) }' && twin=$out/twin.ft
"$G" -n "$n" -s "$seed" --ipv6 "$v6" --export "127.0.0.1:$port" --export-format "$fmt" \
    --rate "$rate" --list "$out/sent.csv" ${twin:+-w "$twin"} || die "flowq-gen failed"
sleep 0.5
kill $pid
i=0
while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
pid=
set -- "$cap"/nfcapd.2*
[ -f "$1" ] || die "nfcapd wrote no file: $(tail -2 "$cap/log")"
[ $# = 1 ] || die "nfcapd started a new file during the export (midnight UTC): run again"
cp "$1" "$out/nfcapd.none" || die "cannot write $out/nfcapd.none"

# count FILE: the records nfdump reads from FILE
count() {
    nfdump -r "$1" -q -o 'fmt:%pr' | wc -l | tr -d ' '
}
{
    echo "# made by tests/tools/mk-nfdump-fixtures.sh -n $n -s $seed -6 $v6 -f $fmt"
    echo "# $("$G" --version), $(nfdump -V 2>&1 | head -1)"
    echo "flowq-gen -n $n -s $seed --ipv6 $v6 --export 127.0.0.1:PORT --export-format $fmt --rate $rate --list sent.csv${twin:+ -w twin.ft}"
    echo "nfcapd -b 127.0.0.1 -p PORT -w DIR -t 86400 -B 4000000  -> nfcapd.none"
} >"$out/MANIFEST"
ok=1
for z in none lzo:-z lz4:-y bz2:-j zstd:-z=zstd; do
    name=${z%%:*} flag=${z#*:}
    if [ "$name" != none ]; then
        if [ "$name" = zstd ] && ! nfdump -h 2>&1 | grep -qi zstd; then
            echo "mk-nfdump-fixtures: this nfdump has no ZSTD; nfcapd.zstd not made" >&2
            continue
        fi
        rm -f "$out/nfcapd.$name"
        nfdump -r "$out/nfcapd.none" $flag -w "$out/nfcapd.$name" >/dev/null 2>&1 ||
            die "nfdump $flag failed"
        echo "nfdump -r nfcapd.none $flag -w nfcapd.$name" >>"$out/MANIFEST"
    fi
    got=$(count "$out/nfcapd.$name")
    layout=$(nfdump -v "$out/nfcapd.$name" 2>&1 | sed -n 's/^Version *: //p')
    echo "nfcapd.$name: $got records, layout $layout" >>"$out/MANIFEST"
    [ "$got" = "$n" ] || { echo "mk-nfdump-fixtures: nfcapd.$name holds $got of $n records" >&2; ok=0; }
    want="$name compressed"
    [ $name = none ] && want="not compressed"
    case $layout in
    *"$want") ;;
    *) echo "mk-nfdump-fixtures: nfcapd.$name is '$layout', not $want" >&2; ok=0 ;;
    esac
done
[ $ok = 1 ] || exit 1
echo "mk-nfdump-fixtures: $n records in $out/nfcapd.{none,lzo,lz4,bz2}" >&2
