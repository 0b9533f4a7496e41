#!/bin/sh
# Remakes the IPFIX fixtures of this directory and their nfdump twins in
# ../nfdump-twin from the pcap that tests/tools/mkpcap.c writes: softflowd
# (Debian softflowd 1.1.0) reads the pcap and exports IPFIX over UDP to
# nfcapd (Debian nfdump), which stores it as an nfdump file and repeats
# every datagram to tests/tools/ipfix_collect, which stores it as an IPFIX
# file.  Run from the top of the tree after `make check` built the tools:
#     sh tests/data/ipfix/make.sh
# The exporter's clock follows the pcap (-a), so the flow times are the
# pcap's; export times, sequence numbers and softflowd's process id are
# the run's own.
set -eu
BUILD=${BUILD:-build}
HERE=tests/data/ipfix
TWIN=tests/data/nfdump-twin
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$BUILD/tests/mkpcap" "$W/flows.pcap"

# export NAME SOFTFLOWD-OPTIONS...
export_to() {
    name=$1
    shift
    d="$W/$name"
    mkdir -p "$d/nf"
    "$BUILD/tests/ipfix_collect" "$d/port" "$HERE/$name.ipfix" 2500 &
    cp=$!
    while [ ! -s "$d/port" ]; do sleep 0.1; done
    nfport=$((20000 + $$ % 20000))
    nfcapd -b 127.0.0.1 -p "$nfport" -w "$d/nf" -R "127.0.0.1/$(cat "$d/port")" >"$d/nflog" 2>&1 &
    np=$!
    sleep 1
    softflowd -d -r "$W/flows.pcap" -n "127.0.0.1:$nfport" -p "$d/pid" -c "$d/ctl" "$@" >"$d/sflog" 2>&1 &
    sp=$!
    # softflowd 1.1.0 -r waits for a control connection between its
    # steps: poke it until it has read the pcap and exported its flows.
    while [ ! -S "$d/ctl" ]; do sleep 0.1; done
    while kill -0 "$sp" 2>/dev/null; do
        softflowctl -c "$d/ctl" statistics >/dev/null 2>&1 || true
        sleep 0.2
    done
    wait "$cp"
    kill "$np"
    wait "$np" || true
    set -- "$d"/nf/nfcapd.2*
    [ $# = 1 ] && [ -f "$1" ] || { echo "make.sh: nfcapd wrote $# files" >&2; exit 1; }
    cp "$1" "$TWIN/$name.nfcapd"
}

export_to sysup -v 10 -a                 # flowStart/EndSysUpTime + systemInitTimeMilliseconds
export_to milli -v 10 -a -A milli        # flowStart/EndMilliseconds
export_to milli-bi -v 10 -a -A milli -b  # the same, as RFC 5103 biflows
export_to micro -v 10 -a -A micro        # flowStart/EndMicroseconds
export_to sec -v 10 -a -A sec            # flowStart/EndSeconds
