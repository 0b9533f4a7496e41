# SPDX-License-Identifier: MIT
# nfdump files: flowq --print against nfdump's own reading of the same
# files (tests/data/nfdump, made by nfcapd, nfpcapd and nfdump: see its
# README), every compression, standard input, nfcapd's directory trees,
# nfdump and flow-tools streams mixed in one run, and the same records as
# flow-tools and as nfdump giving the same query results.
#
# The field mapping of the comparison (nfdump -o csv column -> flowq field):
#   ts, te     stime, etime cut to the second ("YYYY-MM-DD hh:mm:ss", TZ=UTC)
#   td         duration / 1000 with 3 decimals
#   sa, da     srcip, dstip;  sp, dp  srcport, dstport (ICMP: type*256+code)
#   pr         proto (nfdump's names TCP UDP ICMP ICMP6 -> 6 17 1 58)
#   flg        tcp_flags (nfdump's "CEUAPRSF" letters -> the bit value)
#   stos       tos;  ipkt, ibyt  packets, bytes (saturated at 2^32-1)
#   in, out    input, output;  sas, das  src_as, dst_as (saturated at 65535)
#   smk, dmk   src_mask, dst_mask
#   nh         nexthop;  ra  exaddr;  eng "T/I"  engine_type, engine_id
# Columns flowq has no field for (fwd, opkt, obyt, dtos, dir, nhb, vlans,
# MACs, MPLS, latencies, exid, tr) are not compared.  IPv6 addresses are
# compared as text (both print RFC 5952), and their decoded bytes exactly
# by tests/unit/test_nfdump.c.

D="$TOP/tests/data/nfdump"
FIELDS=stime,etime,duration,srcip,dstip,srcport,dstport,proto,tcp_flags,tos,packets,bytes
FIELDS=$FIELDS,input,output,src_as,dst_as,src_mask,dst_mask,nexthop,exaddr,engine_type,engine_id

# nfnorm: nfdump -o csv -> the compared columns.
nfnorm() {
    awk -F, 'BEGIN { p["TCP"] = 6; p["UDP"] = 17; p["ICMP"] = 1; p["ICMP6"] = 58
                     split("128 64 32 16 8 4 2 1", w, " ") }
        $1 == "ts" || NF < 46 { next }
        {
            pr = ($8 in p) ? p[$8] : $8
            f = 0
            for (i = 1; i <= 8; i++) if (substr($9, i, 1) != ".") f += w[i]
            split($46, e, "/")
            for (i = 12; i <= 13; i++) if ($i + 0 > 4294967295) $i = 4294967295
            for (i = 16; i <= 19; i++) if ($i + 0 > 65535) $i = 65535
            print $1, $2, $3, $4, $5, $6, $7, pr, f, $11, $12, $13, $16, $17, $18, $19, $20, $21, $24, $45, e[1], e[2]
        }' OFS=,
}

# fqnorm: flowq --print -o csv --fields $FIELDS -> the same columns.
fqnorm() {
    awk -F, 'NR == 1 { next }
        {
            t1 = substr($1, 1, 10) " " substr($1, 12, 8)
            t2 = substr($2, 1, 10) " " substr($2, 12, 8)
            $1 = t1; $2 = t2; $3 = sprintf("%.3f", $3 / 1000)
            print
        }' OFS=,
}

# same NAME NFDUMP-NORM FLOWQ-NORM: equal record for record.
same() {
    if awk -F, 'NR == FNR { a[FNR] = $0; n = FNR; next }
        {
            l = a[FNR]
            if (l != $0) { print "record " FNR ": nfdump " a[FNR] " flowq " $0; bad = 1; exit 1 }
            m = FNR
        }
        END { if (!bad && m != n) { print "nfdump has " n " records, flowq " m; exit 1 } }' \
        "$2" "$3" >"$TMP/same.why"; then
        pass
    else
        fail "$1: $(cat "$TMP/same.why")"
    fi
}

for f in "$D"/*.nfcapd; do
    n=$(basename "$f" .nfcapd)
    # The committed reading of nfdump itself; checked against the
    # installed nfdump when there is one.
    if command -v nfdump >/dev/null 2>&1; then
        nfdump -q -r "$f" -o csv | nfnorm >"$TMP/$n.nf"
        expect "nfdump's own reading of $n is the committed one" 0 "$D/$n.nfdump" - cat "$TMP/$n.nf"
    fi
    if "$FLOWQ" --print -o csv --fields "$FIELDS" "$f" >"$TMP/$n.out" 2>"$TMP/$n.err" &&
        [ ! -s "$TMP/$n.err" ]; then
        pass
    else
        fail "flowq --print $n: $(head -c 300 "$TMP/$n.err")"
    fi
    fqnorm <"$TMP/$n.out" >"$TMP/$n.fq"
    same "flowq --print $n = nfdump -r $n" "$D/$n.nfdump" "$TMP/$n.fq"
done

# nfdump 1.6 files (layout 1, type 10 records with extension maps), which
# nfdump 1.7 reads but no longer writes: made by tools/nf16fixture, and
# compared with nfdump's reading of them.
for z in none lzo bz2 lz4; do
    "$TOP/$BUILD/tests/nf16fixture" -n 60 -z $z >"$TMP/v16-$z.nf"
    if command -v nfdump >/dev/null 2>&1; then
        nfdump -q -r "$TMP/v16-$z.nf" -o csv | nfnorm >"$TMP/v16-$z.nfd"
        expect "nfdump's own reading of the 1.6 file ($z) is the committed one" 0 \
            "$D/layout1.nfdump" - cat "$TMP/v16-$z.nfd"
    fi
    "$FLOWQ" --print -o csv --fields "$FIELDS" "$TMP/v16-$z.nf" | fqnorm >"$TMP/v16-$z.fq"
    same "flowq --print = nfdump -r, 1.6 file ($z)" "$D/layout1.nfdump" "$TMP/v16-$z.fq"
done

# Every compression decodes to the same records.
"$FLOWQ" --print -o csv "$D/v5.nfcapd" >"$TMP/v5.csv"
for z in lzo bz2 lz4; do
    expect "v5 $z = uncompressed" 0 "$TMP/v5.csv" - "$FLOWQ" --print -o csv "$D/v5-$z.nfcapd"
done
"$FLOWQ" --print -o csv "$D/pcap-v4v6.nfcapd" >"$TMP/pcap.csv"
expect "pcap lz4 = uncompressed" 0 "$TMP/pcap.csv" - "$FLOWQ" --print -o csv "$D/pcap-v4v6-lz4.nfcapd"

# The raw time fields of nfdump.h's virtual exporter give stime and etime
# back exactly, so a flow-tools copy (-o ft) keeps them.
A=stime,etime,duration,unix_secs,unix_nsecs,sysUpTime,First,Last,srcip,bytes
"$FLOWQ" --print -o csv --fields $A "$D/v5-lz4.nfcapd" >"$TMP/rt.csv"
expect "-o ft keeps nfdump's times" 0 "$TMP/rt.csv" - sh -c \
    "\"$FLOWQ\" --print -o ft \"$D/v5-lz4.nfcapd\" | \"$FLOWQ\" --print -o csv --fields $A"

# Standard input, and streams of both formats on one pipe and as operands:
# rec_id runs on across them.
expect "stdin lz4" 0 "$TMP/v5.csv" - sh -c "\"$FLOWQ\" --print -o csv <\"$D/v5-lz4.nfcapd\""
R=rec_id,srcip,dstip,stime,bytes
"$FLOWQ" --print -o csv --fields $R "$D/v5.ft" >"$TMP/a"
"$FLOWQ" --print -o csv --fields $R "$D/v5-bz2.nfcapd" >"$TMP/b"
"$FLOWQ" --print -o csv --fields $R "$D/pcap-v4v6.nfcapd" >"$TMP/c"
na=$(($(wc -l <"$TMP/a") - 1)) nb=$(($(wc -l <"$TMP/b") - 1))
{
    cat "$TMP/b"
    tail -n +2 "$TMP/a" | awk -F, -v k="$nb" '{ $1 += k; print }' OFS=,
    tail -n +2 "$TMP/c" | awk -F, -v k=$((na + nb)) '{ $1 += k; print }' OFS=,
} >"$TMP/mixed.csv"
expect "operands nfdump, flow-tools, nfdump" 0 "$TMP/mixed.csv" - \
    "$FLOWQ" --print -o csv --fields $R "$D/v5-bz2.nfcapd" "$D/v5.ft" "$D/pcap-v4v6.nfcapd"
# On a pipe an nfdump file ends where its header says, so any stream may
# follow it; an uncompressed flow-tools stream has no end mark, so only
# another flow-tools stream is recognised after one.
{
    cat "$TMP/b"
    tail -n +2 "$TMP/c" | awk -F, -v k="$nb" '{ $1 += k; print }' OFS=,
    tail -n +2 "$TMP/a" | awk -F, -v k=$((nb + $(wc -l <"$TMP/c") - 1)) '{ $1 += k; print }' OFS=,
} >"$TMP/pipe.csv"
expect "one pipe: nfdump, nfdump, flow-tools" 0 "$TMP/pipe.csv" - sh -c \
    "cat \"$D/v5-bz2.nfcapd\" \"$D/pcap-v4v6.nfcapd\" \"$D/v5.ft\" | \"$FLOWQ\" --print -o csv --fields $R"

# nfcapd's tree: nfcapd.YYYYMMDDhhmm files in dated directories, its
# in-progress nfcapd.current.PID and its .nfstat skipped.
mkdir -p "$TMP/tree/2026/11/28"
cp "$D/v5-lz4.nfcapd" "$TMP/tree/2026/11/28/nfcapd.202611280000"
cp "$D/pcap-v4v6.nfcapd" "$TMP/tree/2026/11/28/nfcapd.202611281000"
head -c 40 "$D/v5.nfcapd" >"$TMP/tree/2026/11/28/nfcapd.current.4242"
tail -c +41 "$D/v5.nfcapd" | head -c 5000 >>"$TMP/tree/2026/11/28/nfcapd.current.4242"
printf 'junk that is not a flow file\n' >"$TMP/tree/.nfstat"
"$FLOWQ" --print -o csv "$D/v5.nfcapd" "$D/pcap-v4v6.nfcapd" >"$TMP/tree.csv"
expect "nfcapd tree" 0 "$TMP/tree.csv" - "$FLOWQ" --print -o csv "$TMP/tree"

# The same records as flow-tools (the generator's -w file) and as nfdump
# (nfcapd's file of its export): the same --print and, for every query,
# the same output and --stats.  What may differ: nfcapd drops v5's masks
# and records the exporter as the address the datagrams came from, and
# keeps no exporter uptime (unix_secs, sysUpTime, First, Last read as
# nfdump.h says); those fields are left out, and --stats' elapsed_ms.
# nfcapd stores a v5 export in arrival order, which is the file's order,
# so rec_id is the same.
Q=stime,etime,duration,srcip,dstip,srcport,dstport,proto,tcp_flags,tos,packets,bytes
Q=$Q,input,output,src_as,dst_as,nexthop,engine_type,engine_id,rec_id
twin() { # NAME FT NFDUMP
    "$FLOWQ" --print -o csv --fields $Q "$2" >"$TMP/t.ft.csv"
    expect "$1: --print" 0 "$TMP/t.ft.csv" - "$FLOWQ" --print -o csv --fields $Q "$3"
    for q in "$TOP"/queries/*.fq; do
        qn=$(basename "$q")
        "$FLOWQ" --fields $Q --stats="$TMP/s1" "$q" "$2" >"$TMP/q1" 2>/dev/null
        "$FLOWQ" --fields $Q --stats="$TMP/s2" "$q" "$3" >"$TMP/q2" 2>/dev/null
        sed 's/"elapsed_ms": [0-9]*//' "$TMP/s1" >"$TMP/s1n"
        sed 's/"elapsed_ms": [0-9]*//' "$TMP/s2" >"$TMP/s2n"
        if cmp -s "$TMP/q1" "$TMP/q2" && cmp -s "$TMP/s1n" "$TMP/s2n" && [ -s "$TMP/s1n" ]; then
            pass
        else
            fail "$1: $qn differs between flow-tools and nfdump"
        fi
    done
}
twin "v5 fixture" "$D/v5.ft" "$D/v5.nfcapd"
# A larger twin made now, when nfcapd is installed.
if command -v nfcapd >/dev/null 2>&1 && command -v nfdump >/dev/null 2>&1; then
    if FLOWQ_GEN="$FLOWQ_GEN" sh "$D/make.sh" "$TMP/big" 20000 v5 >"$TMP/big.log" 2>&1; then
        twin "20000 records" "$TMP/big/v5.ft" "$TMP/big/v5.nfcapd"
        nfdump -q -r "$TMP/big/v5-lz4.nfcapd" -o csv | nfnorm >"$TMP/big.nf"
        "$FLOWQ" --print -o csv --fields "$FIELDS" "$TMP/big/v5-lz4.nfcapd" | fqnorm >"$TMP/big.fq"
        same "20000 records, lz4: flowq --print = nfdump -r" "$TMP/big.nf" "$TMP/big.fq"
    else
        fail "making the 20000-record twin: $(tail -c 300 "$TMP/big.log")"
    fi
fi
