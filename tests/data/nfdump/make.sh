#!/bin/sh
# Makes the nfdump fixtures of this directory with the tools people use:
# nfcapd (Debian nfdump 1.7.1) receiving flowq-gen's NetFlow v5 export,
# nfdump rewriting that file with each of its compressions, and softflowd
# exporting NetFlow v9 and IPFIX (IPv4 and IPv6 flows) from a pcap that
# text2pcap (Debian tshark/wireshark-common) builds from the hex dumps in
# flows.txt.  Usage: make.sh OUTDIR [RECORDS [v5]]   (FLOWQ_GEN names
# the generator, default build/flowq-gen; "v5": only the v5 files).  Deterministic except for the time
# nfcapd received the packets (msecReceived) and the file's creation time.
set -eu
OUT=$1
N=${2:-300}
GEN=${FLOWQ_GEN:-build/flowq-gen}
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap '[ -f "$W/pid" ] && kill "$(cat "$W/pid")" 2>/dev/null; rm -rf "$W"' EXIT
mkdir -p "$OUT"
port=$((21000 + $$ % 20000))

# collect DIR CMD...: run nfcapd on the loopback into DIR while CMD
# exports to it; leaves DIR's one closed file at $W/got.
collect() {
    d=$1
    shift
    mkdir -p "$d"
    nfcapd -b 127.0.0.1 -p "$port" -w "$d" -t 86400 -P "$W/pid" -D >/dev/null 2>&1
    sleep 1
    "$@"
    sleep 2
    kill "$(cat "$W/pid")"
    sleep 2
    set -- "$d"/nfcapd.2*
    [ $# = 1 ] && [ -f "$1" ] || { echo "make.sh: nfcapd wrote $# files in $d" >&2; exit 1; }
    cp "$1" "$W/got"
    port=$((port + 1))
}

# NetFlow v5 from the generator; its -w file is the flow-tools twin.
collect "$W/v5" "$GEN" -n "$N" --export "127.0.0.1:$port" -w "$OUT/v5.ft"
cp "$W/got" "$OUT/v5.nfcapd"
nfdump -r "$OUT/v5.nfcapd" -z -w "$OUT/v5-lzo.nfcapd"
nfdump -r "$OUT/v5.nfcapd" -j -w "$OUT/v5-bz2.nfcapd"
nfdump -r "$OUT/v5.nfcapd" -y -w "$OUT/v5-lz4.nfcapd"

[ "${3-}" = v5 ] && exit 0

# IPv4 and IPv6 flows from a pcap: text2pcap builds the packets from the
# hex dumps in flows.txt, nfpcapd (nfdump's own pcap collector) makes the
# nfdump file.  Each paragraph of flows.txt is one flow: "# " and
# text2pcap's options for its addresses and protocol, then the
# timestamped hex dumps of its packets' payloads.  (softflowd 1.1.0 -r
# processed no packet of these pcaps, so it is not used.)
awk -v dir="$W" '/^#/ { n++; f = dir "/flow" n; print substr($0, 3) > (f ".opt"); next }
                 NF { print > (f ".txt") }' "$HERE/flows.txt"
for o in "$W"/flow*.opt; do
    b=${o%.opt}
    # shellcheck disable=SC2046 # the options are words
    text2pcap -F pcap -q -t '%Y-%m-%d %H:%M:%S.%f' $(cat "$o") "$b.txt" "$b.pcap" >/dev/null 2>&1
done
mergecap -F pcap -w "$W/all.pcap" "$W"/flow*.pcap
mkdir "$W/pcap"
nfpcapd -r "$W/all.pcap" -w "$W/pcap" >/dev/null 2>&1
set -- "$W"/pcap/nfcapd.2*
[ $# = 1 ] && [ -f "$1" ] || { echo "make.sh: nfpcapd wrote $# files" >&2; exit 1; }
cp "$1" "$OUT/pcap-v4v6.nfcapd"
nfdump -r "$OUT/pcap-v4v6.nfcapd" -y -w "$OUT/pcap-v4v6-lz4.nfcapd"
