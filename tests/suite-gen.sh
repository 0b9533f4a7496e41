# SPDX-License-Identifier: MIT
# flowq-gen: the same seed gives the same bytes, -n is exact, every record
# version and byte order holds the same records, the records are in export
# order with consistent times, the bundled traces are reproduced by the
# commands of traces/README.md, --export sends the file's records as
# NetFlow v5 datagrams, and as NetFlow v9 and IPFIX with IPv6 flows that
# nfcapd stores and nfdump prints as flowq-gen --list says (and that
# Wireshark decodes cleanly, when tshark can capture).  Sourced by tests/run-all.sh with tests/lib.sh;
# uses $FLOWQ $FLOWQ_GEN $TOP $BUILD $TMP.

G=$FLOWQ_GEN

# gen_csv FILE [FIELDS]: the decoded records, CSV without header.
gen_csv() {
    "$FLOWQ" --print -q -o csv ${2:+--fields "$2"} "$1"
}

# ---- determinism ----
"$G" -n 3000 -s 42 -w "$TMP/a.ft" && "$G" -n 3000 -s 42 >"$TMP/b.ft"
if cmp -s "$TMP/a.ft" "$TMP/b.ft"; then pass; else fail "gen: same seed, different bytes"; fi
"$G" -n 3000 -s 43 -w "$TMP/c.ft"
if cmp -s "$TMP/a.ft" "$TMP/c.ft"; then fail "gen: seeds 42 and 43 give the same bytes"; else pass; fi
# a known digest pins the byte stream across machines and compilers
sum=$("$G" -n 2000 -s 7 -b little | cksum)
[ "$sum" = "4277754286 128024" ] && pass || fail "gen: -n 2000 -s 7 -b little | cksum is '$sum'"

# ---- -n is exact, planted or not ----
for n in 0 1 29 30 31 4999 5000 12345; do
    "$G" -n $n -s 3 -w "$TMP/n.ft"
    got=$(gen_csv "$TMP/n.ft" rec_id | wc -l)
    [ "$got" -eq $n ] && pass || fail "gen: -n $n wrote $got records"
done

# ---- planting: on from 5000 records, off with --no-plant ----
"$G" -n 5000 -s 3 --truth "$TMP/t5000" -w "$TMP/p.ft"
"$G" -n 4999 -s 3 --truth "$TMP/t4999" -w "$TMP/q.ft"
"$G" -n 20000 -s 3 --no-plant --truth "$TMP/tnp" -w "$TMP/np.ft"
[ "$(sed 1,2d "$TMP/t5000" | wc -l)" -gt 700 ] && pass || fail "gen: -n 5000 planted nothing"
[ "$(sed 1,2d "$TMP/t4999" | wc -l)" -eq 0 ] && pass || fail "gen: -n 4999 planted records"
[ "$(sed 1,2d "$TMP/tnp" | wc -l)" -eq 0 ] && pass || fail "gen: --no-plant planted records"
if gen_csv "$TMP/np.ft" srcip,dstip,srcport,dstport |
    grep -Eq '(^|,)(10\.200\.|198\.1[89]\.|224\.0\.0\.251|239\.255\.255\.250)'; then
    fail "gen: background uses planted or multicast addresses"
else pass; fi
if gen_csv "$TMP/np.ft" srcport,dstport | grep -Eq '(^|,)(1900|4444|5351|5353)(,|$)'; then
    fail "gen: background uses a signature port"
else pass; fi

# ---- --unique-pairs: almost every TCP (srcip, dstip) pair once, where
# the default's blocks of sessions share pairs; the same planted records ----
pairs() {
    gen_csv "$1" proto,srcip,dstip | awk -F, '$1 == 6 { n++; p[$2 "," $3] } END {
        k = 0; for (x in p) k++; printf "%d %d\n", n, k }'
}
"$G" -n 50000 -s 3 --unique-pairs --truth "$TMP/tu" -w "$TMP/u.ft"
"$G" -n 50000 -s 3 --truth "$TMP/td" -w "$TMP/d.ft"
set -- $(pairs "$TMP/u.ft") $(pairs "$TMP/d.ft")
if [ $# -eq 4 ] && [ "$2" -ge $(($1 * 99 / 100)) ] && [ "$4" -le $(($3 * 60 / 100)) ]; then pass; else
    fail "gen: --unique-pairs: TCP flows and pairs $*"
fi
if [ "$(sed 1,2d "$TMP/tu" | cut -f2- | sort | cksum)" = "$(sed 1,2d "$TMP/td" | cut -f2- | sort | cksum)" ]; then
    pass
else
    fail "gen: --unique-pairs changed the planted records"
fi

# truth rec_ids point at the records they describe
sed 1,2d "$TMP/t5000" | awk -F'\t' '{ print $1 "," $7 "," $8 "," $9 "," $10 "," $12 "," $13 }' >"$TMP/truth.rows"
gen_csv "$TMP/p.ft" rec_id,srcip,srcport,dstip,dstport,packets,bytes |
    awk -F, 'NR == FNR { want[$1] = $0; next } ($1 in want) { print }' "$TMP/truth.rows" - >"$TMP/file.rows"
if cmp -s "$TMP/truth.rows" "$TMP/file.rows"; then pass; else fail "gen: --truth rows differ from the records"; fi

# ---- realism: export order, 30 flows per export packet, consistent times ----
gen_csv "$TMP/p.ft" unix_secs,unix_nsecs,sysUpTime,First,Last,proto,tcp_flags,srcip,dstport |
    awk -F, '
    { exp_ms = $1 * 1000 + int($2 / 1000000)
      if (exp_ms < last_exp) bad = bad " export-order@" NR
      last_exp = exp_ms
      if ($4 > $5 || $5 > $3) bad = bad " First<=Last<=sysUpTime@" NR
      if (exp_ms - $3 != boot && NR > 1) bad = bad " boot@" NR
      boot = exp_ms - $3
      pdu[$1 "." $2]++
      proto[$6]++
      if ($6 == 6 && int($7 / 16) % 2 == 0 && $8 !~ /^198\.18\.|^10\.200\./) bad = bad " no-ACK@" NR
      hosts[$8] = 1 }
    END { for (p in pdu) if (pdu[p] > 30) bad = bad " pdu>30"
          if (!proto[1] || !proto[6] || !proto[17]) bad = bad " protocol-mix"
          n = 0; for (h in hosts) n++
          if (n < 1000) bad = bad " only " n " sources"
          print bad == "" ? "ok" : substr(bad, 1, 300) }' >"$TMP/real"
[ "$(cat "$TMP/real")" = ok ] && pass || fail "gen: realism: $(cat "$TMP/real")"

# ---- record versions, byte orders, compression: the same records ----
"$G" -n 600 -s 5 -V 5 -b little -w "$TMP/ref.ft"
gen_csv "$TMP/ref.ft" >"$TMP/ref.csv"
v1f=srcip,dstip,nexthop,input,output,packets,bytes,First,Last,srcport,dstport,proto,tos,tcp_flags,unix_secs,unix_nsecs,sysUpTime,exaddr
gen_csv "$TMP/ref.ft" $v1f >"$TMP/ref-v1.csv"
for v in 1 5 6 7 1005; do
    for b in little big; do
        for z in 0 6; do
            "$G" -n 600 -s 5 -V $v -b $b -z $z -w "$TMP/v.ft"
            order=$(od -An -tu1 -j2 -N1 "$TMP/v.ft" | tr -d ' ')
            want=1; [ $b = big ] && want=2
            [ "$order" = $want ] || fail "gen: -b $b wrote byte-order byte $order"
            if [ $v = 1 ]; then
                gen_csv "$TMP/v.ft" $v1f >"$TMP/v.csv"; ref="$TMP/ref-v1.csv"
            else
                gen_csv "$TMP/v.ft" >"$TMP/v.csv"; ref="$TMP/ref.csv"
            fi
            if cmp -s "$ref" "$TMP/v.csv"; then pass; else fail "gen: -V $v -b $b -z $z records differ"; fi
        done
    done
done

# ---- the bundled traces are the README's commands' output ----
grep -E '^    flowq-gen .* -w traces/[a-z0-9-]+\.ft$' "$TOP/traces/README.md" >"$TMP/cmds"
[ "$(wc -l <"$TMP/cmds")" -ge 2 ] && pass || fail "gen: no generator commands in traces/README.md"
while read -r _ args; do
    out=${args##* -w }
    "$G" ${args% -w *} -w "$TMP/bundled.ft"
    if cmp -s "$TMP/bundled.ft" "$TOP/$out"; then pass; else fail "gen: '$args' does not reproduce $out"; fi
done <"$TMP/cmds"

# ---- usage and output errors ----
for bad in "-n x" "-n -1" "-s y" "-z 10" "-V 8" "-b middle" "--start yesterday" "--span 0" \
    "--start 2026-+1-01" "--start 2026-11-28T" "--start 2026-11-28T01:" \
    "--rate fast" "--bogus" "extra" "--export nocolon"; do
    run "$G" $bad -w "$TMP/u.ft"
    if [ $rc = 2 ] && head -1 "$TMP/err" | grep -q '^flowq-gen: ' && [ ! -s "$TMP/out" ]; then
        pass
    else fail "gen: '$bad' exit $rc: $(head -c 200 "$TMP/err")"; fi
done
expect_err "gen: unwritable output" 5 '^flowq-gen: .*/no/such/dir/x.ft' "$G" -n 10 -w "$TMP/no/such/dir/x.ft"
expect "gen: --help" 0 '*' - "$G" --help
grep -q '^usage: flowq-gen' "$TMP/out" && pass || fail "gen: --help has no usage line"
expect "gen: --version" 0 '*' - "$G" --version
grep -Eq '^flowq-gen [0-9]' "$TMP/out" && pass || fail "gen: --version output"
"$G" -n 5 --start 2026-11-28T00:00:00Z -w "$TMP/s1.ft"
"$G" -n 5 --start 1795824000 -w "$TMP/s2.ft"
cmp -s "$TMP/s1.ft" "$TMP/s2.ft" && pass || fail "gen: --start ISO and epoch differ"
first=$(gen_csv "$TMP/s1.ft" stime | sort | head -1)
case $first in 2026-11-28T00:0*) pass ;; *) fail "gen: --start: first flow at $first" ;; esac

# binary output to a terminal is refused (script(1) provides one)
if command -v script >/dev/null 2>&1; then
    script -qec "'$G' -n 10" /dev/null >"$TMP/tty.out" 2>&1
    trc=$?
    if [ $trc = 2 ] && grep -q 'refusing to write binary records to a terminal' "$TMP/tty.out"; then
        pass
    else fail "gen: terminal output: exit $trc: $(head -c 200 "$TMP/tty.out")"; fi
fi
"$G" -n 3000 -s 42 -w - >"$TMP/d.ft"
cmp -s "$TMP/a.ft" "$TMP/d.ft" && pass || fail "gen: -w - differs from -w FILE"

# ---- NetFlow v5 export to a UDP collector on 127.0.0.1 ----
"$G" -n 2500 -s 11 -w "$TMP/x.ft"
rm -f "$TMP/port"
"$BUILD/tests/udp_collect" "$TMP/port" "$TMP/x.ft" 10 >"$TMP/coll.out" 2>"$TMP/coll.err" &
cpid=$!
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$G" -n 2500 -s 11 --export "127.0.0.1:$(cat "$TMP/port")" --rate 100000 -w "$TMP/x2.ft"
xrc=$?
wait $cpid
crc=$?
[ $xrc = 0 ] && cmp -s "$TMP/x.ft" "$TMP/x2.ft" && pass || fail "gen: --export with -w: exit $xrc or file differs"
if [ $crc = 0 ] && [ "$(cat "$TMP/coll.out")" = "2500 records in 84 datagrams" ]; then pass; else
    fail "gen: collector: $(cat "$TMP/coll.out" "$TMP/coll.err" | head -c 300)"
fi

# ---- NetFlow v9 and IPFIX, IPv4 and IPv6, through a real collector ----
# nfcapd (Debian nfdump) stores what flowq-gen exports; nfdump must print
# exactly the records of flowq-gen's --list: same count, addresses, ports,
# protocol, counters, flags, interfaces, AS numbers, prefix lengths, next
# hop, and start and end to the millisecond.  nfcapd's statistics line
# must count no sequence errors and no bad packets.

# nf_start DIR: nfcapd on a free loopback port, storing into DIR; sets
# nf_pid and nf_port, or returns 1.
nf_start() {
    _try=0
    while [ $_try -lt 20 ]; do
        nf_port=$((20000 + ($$ * 7 + _try * 7919) % 40000))
        : >"$1.log"
        nfcapd -b 127.0.0.1 -p $nf_port -w "$1" -t 86400 -B 4000000 >"$1.log" 2>&1 &
        nf_pid=$!
        _i=0
        while [ $_i -lt 100 ] && kill -0 $nf_pid 2>/dev/null && ! grep -q '^Startup' "$1.log"; do
            sleep 0.05; _i=$((_i + 1))
        done
        grep -q '^Startup' "$1.log" && kill -0 $nf_pid 2>/dev/null && return 0
        kill $nf_pid 2>/dev/null; wait $nf_pid 2>/dev/null
        _try=$((_try + 1))
    done
    return 1
}

# nf_stop: SIGTERM, then at most 5 s for nfcapd to close its file.
nf_stop() {
    kill $nf_pid 2>/dev/null
    _i=0
    while [ $_i -lt 100 ] && kill -0 $nf_pid 2>/dev/null; do sleep 0.05; _i=$((_i + 1)); done
    kill -9 $nf_pid 2>/dev/null
    wait $nf_pid 2>/dev/null
}

# nf_rows FILE: nfdump's records in the --list columns stime .. nexthop
# (tcp flags from letters to a number, ICMP type.code back to type*256+code).
nf_rows() {
    TZ=UTC nfdump -r "$1" -q -6 -N \
        -o 'fmt:%ts|%te|%sa|%sp|%da|%dp|%pr|%pkt|%byt|%flg|%tos|%in|%out|%sas|%das|%smk|%dmk|%nh' |
        awk -F'|' '{
            for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i)
            sub(/ /, "T", $1); $1 = $1 "Z"; sub(/ /, "T", $2); $2 = $2 "Z"
            if ($6 ~ /\./) { split($6, tc, "."); $6 = tc[1] * 256 + tc[2] }
            f = 0
            for (i = 1; i <= 8; i++) if (substr($10, i, 1) != ".") f += 2 ^ (8 - i)
            $10 = f
            out = $1
            for (i = 2; i <= NF; i++) out = out "," $i
            print out }'
}

# gen_rows LIST: the same columns from flowq-gen --list.
gen_rows() {
    sed 1d "$1" | cut -d, -f1-18
}

# ts_start DIR: when tshark can capture on the loopback, capture the
# export to nf_port into DIR.pcap (at most 30 s); sets ts_pid or leaves
# it empty.  Capture starts a little after tshark says so: datagrams to
# the discard port (9, where no collector listens) probe until one is in
# the file.
ts_start() {
    ts_pid=
    command -v tshark >/dev/null 2>&1 || return 0
    timeout 30 tshark -i lo -f "udp port $nf_port or udp dst port 9" -w "$1.pcap" \
        >"$1.tslog" 2>&1 &
    ts_pid=$!
    _i=0
    while [ $_i -lt 200 ] && kill -0 $ts_pid 2>/dev/null && ! grep -q 'Capturing on' "$1.tslog"; do
        sleep 0.05; _i=$((_i + 1))
    done
    _i=0
    while [ $_i -lt 20 ] && kill -0 $ts_pid 2>/dev/null && grep -q 'Capturing on' "$1.tslog"; do
        "$G" -n 1 --export 127.0.0.1:9
        [ "$(tshark -r "$1.pcap" 2>/dev/null | wc -l)" -gt 0 ] && return 0
        sleep 0.1; _i=$((_i + 1))
    done
    echo "note: suite-gen: tshark cannot capture on lo; decoder check skipped"
    kill $ts_pid 2>/dev/null; wait $ts_pid 2>/dev/null; ts_pid=
}

# ts_check DIR FMT: Wireshark's NetFlow/IPFIX dissector decodes all 6000
# flows of the capture with no expert warning (a sequence number out of
# step, a missing template) and nothing malformed.
ts_check() {
    [ -n "$ts_pid" ] || return 0
    sleep 0.5
    kill $ts_pid 2>/dev/null
    wait $ts_pid 2>/dev/null
    tshark -r "$1.pcap" -d udp.port==$nf_port,cflow -Y "udp.dstport == $nf_port" \
        -T fields -e cflow.version \
        -e cflow.protocol -e _ws.expert.message -e _ws.malformed >"$1.ts" 2>/dev/null
    want=9; [ $2 = ipfix ] && want=10
    _got=$(awk -F'\t' -v v=$want '$1 != v || $3 != "" || $4 != "" { bad++ }
                           { n += split($2, a, ",") }
                           END { print n + 0, bad + 0 }' "$1.ts")
    [ "$_got" = "6000 0" ] && pass ||
        fail "gen: tshark on the $2 export: flows and bad packets '$_got': $(grep -m1 . "$1.ts")"
}

if command -v nfcapd >/dev/null 2>&1 && command -v nfdump >/dev/null 2>&1; then
    for fmt in v9 ipfix; do
        for v6 in 0 0.3; do
            d="$TMP/nf-$fmt-$v6"
            mkdir -p "$d"
            if ! nf_start "$d"; then fail "gen: cannot start nfcapd"; continue; fi
            [ $v6 = 0.3 ] && ts_start "$d"
            "$G" -n 6000 -s 21 --export "127.0.0.1:$nf_port" --export-format $fmt --ipv6 $v6 \
                --rate 20000 --list "$d/list.csv"
            grc=$?
            sleep 0.5
            nf_stop
            [ $v6 = 0.3 ] && ts_check "$d" $fmt
            [ $grc = 0 ] && pass || fail "gen: --export-format $fmt --ipv6 $v6: exit $grc"
            # one file, or two if the run crossed midnight UTC (-t 86400)
            set -- "$d"/nfcapd.2*
            if [ -f "$1" ]; then
                for f; do nf_rows "$f"; done | sort >"$d/nf.rows"
                gen_rows "$d/list.csv" | sort >"$d/gen.rows"
                if [ "$(wc -l <"$d/gen.rows")" -eq 6000 ] && cmp -s "$d/gen.rows" "$d/nf.rows"; then
                    pass
                else
                    fail "gen: $fmt --ipv6 $v6: nfdump's records differ from --list: $(diff "$d/gen.rows" "$d/nf.rows" | head -4)"
                fi
            else fail "gen: $fmt --ipv6 $v6: nfcapd wrote no file: $(tail -2 "$d.log")"; fi
            # nfcapd's statistics line of each file it closed
            stats=$(sed -n 's/^Ident: .* Flows: \([0-9]*\),.*Sequence Errors: \([0-9]*\), Bad Packets: \([0-9]*\).*/\1 \2 \3/p' "$d.log" |
                awk '{ f += $1; s += $2; b += $3 } END { print f + 0, s + 0, b + 0 }')
            [ "$stats" = "6000 0 0" ] && pass ||
                fail "gen: $fmt --ipv6 $v6: nfcapd counts flows, sequence errors, bad packets: $stats"
        done
    done
    # IPv6 is a share of the flows, v4 and v6 in both directions
    n6=$(grep -c '^[^,]*,[^,]*,[0-9a-f]*:' "$TMP/nf-v9-0.3/list.csv")
    [ "$n6" -gt 1200 ] && [ "$n6" -lt 2400 ] && pass || fail "gen: --ipv6 0.3 made $n6 of 6000 IPv6 flows"
    # the export format changes the datagrams, not the records
    cmp -s "$TMP/nf-v9-0.3/list.csv" "$TMP/nf-ipfix-0.3/list.csv" && pass ||
        fail "gen: v9 and IPFIX exports list different records"
else
    echo "note: suite-gen: nfcapd/nfdump not installed; v9/IPFIX collector tests skipped"
fi

# --list holds the records of the file, in flowq's CSV
"$G" -n 6000 -s 21 -w "$TMP/l.ft" --list "$TMP/l.csv"
"$FLOWQ" --print -o csv "$TMP/l.ft" >"$TMP/l2.csv"
cmp -s "$TMP/l.csv" "$TMP/l2.csv" && pass || fail "gen: --list differs from flowq --print -o csv"
cmp -s "$TMP/l.csv" "$TMP/nf-v9-0/list.csv" 2>/dev/null || [ ! -f "$TMP/nf-v9-0/list.csv" ] && pass ||
    fail "gen: --export-format v9 --ipv6 0 lists other records than the file"

# --list - writes to stdout, unless the trace goes there
"$G" -n 300 -s 2 --export 127.0.0.1:9 --list - >"$TMP/l3.csv"
"$G" -n 300 -s 2 --export 127.0.0.1:9 --list "$TMP/l4.csv"
cmp -s "$TMP/l3.csv" "$TMP/l4.csv" && [ "$(wc -l <"$TMP/l3.csv")" -eq 301 ] && pass ||
    fail "gen: --list - differs from --list FILE"
run "$G" -n 3 --list -
[ $rc = 2 ] && grep -q '^flowq-gen: --list - and the trace cannot both go to stdout' "$TMP/err" &&
    [ ! -s "$TMP/out" ] && pass || fail "gen: --list - with the trace on stdout: exit $rc"

# IPv6 needs a format that holds it
for args in "-w $TMP/u.ft --export 127.0.0.1:9 --export-format v9" "" "--export 127.0.0.1:9"; do
    run "$G" -n 10 --ipv6 0.5 $args
    case $args in *v9*|"") want='^flowq-gen: --ipv6: flow-tools files cannot hold IPv6 flows' ;;
    *) want='^flowq-gen: --ipv6: NetFlow v5 cannot hold IPv6 flows' ;; esac
    if [ $rc = 2 ] && head -1 "$TMP/err" | grep -q "$want" && [ ! -s "$TMP/out" ]; then pass
    else fail "gen: --ipv6 0.5 $args: exit $rc: $(head -c 200 "$TMP/err")"; fi
done
for bad in "--ipv6 1.5" "--ipv6 -0.1" "--ipv6 x" "--ipv6 ." "--export-format v8"; do
    run "$G" $bad --export 127.0.0.1:9
    if [ $rc = 2 ] && head -1 "$TMP/err" | grep -q '^flowq-gen: '; then pass
    else fail "gen: '$bad' exit $rc: $(head -c 200 "$TMP/err")"; fi
done

# tests/tools/mk-nfdump-fixtures.sh: every file it makes holds the records
# flowq-gen sent (it fails otherwise), compressed or not
if command -v nfcapd >/dev/null 2>&1 && command -v nfdump >/dev/null 2>&1; then
    FLOWQ_GEN="$G" sh "$TOP/tests/tools/mk-nfdump-fixtures.sh" -n 800 -s 4 -6 0.5 -f v9 "$TMP/fx" \
        >"$TMP/fx.out" 2>&1
    frc=$?
    [ $frc = 0 ] && pass || fail "gen: mk-nfdump-fixtures: exit $frc: $(tail -2 "$TMP/fx.out")"
    gen_rows "$TMP/fx/sent.csv" | sort >"$TMP/fx.gen"
    for z in none lzo lz4 bz2; do
        nf_rows "$TMP/fx/nfcapd.$z" 2>/dev/null | sort >"$TMP/fx.nf"
        if [ "$(wc -l <"$TMP/fx.gen")" -eq 800 ] && cmp -s "$TMP/fx.gen" "$TMP/fx.nf"; then pass
        else fail "gen: mk-nfdump-fixtures: nfcapd.$z differs from sent.csv"; fi
    done
    grep -q ',2001:db8:' "$TMP/fx/sent.csv" && pass || fail "gen: mk-nfdump-fixtures: no IPv6 flows"
fi
