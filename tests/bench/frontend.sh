#!/bin/sh
# Front-end benchmark: generate a ~10 MB query of 10 000 filters (each a
# chain link to the next, so all are used, with ~15 OR-clauses of mixed
# operand kinds) and time `flowq --check` on it.  Parsing and checking
# are linear; the target is about a second.
# Usage: BUILD=build sh tests/bench/frontend.sh
BUILD=${BUILD:-build}
FLOWQ=${FLOWQ:-$BUILD/flowq}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk 'BEGIN {
    print "splitter S {}\nungrouper U {}\n\"input\" -> S\nS branch A -> f0 -> U\nU -> \"output\""
    for (i = 0; i < 10000; i++) {
        printf "filter f%d {\n", i
        for (c = 0; c < 15; c++)
            printf "    dstport = %d OR srcip in 10.%d.%d.0/24 OR duration > %d sec\n",
                   (i * 25 + c) % 65536, c, i % 256, c + 1
        if (i < 9999)
            printf "    f%d OR NOT proto = protocol(\"udp\")\n", i + 1
        print "}"
    }
}' >"$tmp/big.fq"
size=$(wc -c <"$tmp/big.fq")
t0=$(date +%s%N)
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%U %S %M" -o "$tmp/time" "$FLOWQ" --check "$tmp/big.fq"
else
    "$FLOWQ" --check "$tmp/big.fq"
fi
rc=$?
t1=$(date +%s%N)
cpu=""
[ -s "$tmp/time" ] && cpu=$(awk '{ printf ", %.2f s cpu (user+sys), %d MB peak", $1 + $2, $3 / 1024 }' "$tmp/time")
echo "frontend: --check of a $((size / 1000000)) MB query with 10000 filters: $(((t1 - t0) / 1000000)) ms wall$cpu (exit $rc)"
[ "$rc" = 0 ]
