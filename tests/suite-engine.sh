# Engine end to end: the per-stage counts of ../shared/traces/README.md
# for the shared example queries (--stats), full-output goldens of
# tests/golden/engine/ (made by the reference evaluator, checked against
# nothing but the files), output independent of the thread count, -e,
# --max-tuples, and engine = reference on a generated trace.
# Sourced by tests/run-all.sh (pass/fail/expect from tests/lib.sh).

G="$TOP/tests/golden/engine"
REFEVAL="$TOP/$BUILD/tests/refeval"

# stats NAME EXPECTED CMD...: the --stats line without elapsed_ms
stats() {
    _n=$1 _x=$2
    shift 2
    run "$@"
    _got=$(tail -n 1 "$TMP/err" | sed 's/, "elapsed_ms": [0-9]*}$/}/')
    if [ "$rc" = 0 ] && [ "$_got" = "$_x" ]; then pass; else
        fail "$_n: exit $rc, stats $_got, expected $_x"
    fi
}

br2() { # A-counts B-counts: the branches part for two branches
    echo "{\"A\": $1, \"B\": $2}"
}
cnt() { # records_in filtered groups groups_kept
    echo "{\"records_in\": $1, \"filtered\": $2, \"groups\": $3, \"groups_kept\": $4}"
}
line() { # branches tuples records
    echo "{\"branches\": $1, \"merger\": {\"tuples\": $2}, \"ungrouper\": {\"records\": $3}}"
}

if [ -n "$SHARED" ]; then
    T="$SHARED/traces/trace-2009.ftz"
    Q="$SHARED/queries"
    # traces/README.md, nfql 0.7.1's figures.  http-tcp-session: nfql
    # printed 24 + 62 + 56 stream records; the streams share no record, so
    # flowq, which prints each record once, prints 142.
    stats "stats tcp-session" "$(line "$(br2 "$(cnt 556 346 68 0)" "$(cnt 556 346 68 0)")" 0 0)" \
        "$FLOWQ" --stats "$Q/tcp-session.fq" "$T"
    stats "stats http-tcp-session" \
        "$(line "$(br2 "$(cnt 556 166 32 3)" "$(cnt 556 166 32 5)")" 3 142)" \
        "$FLOWQ" --stats "$Q/http-tcp-session.fq" "$T"
    stats "stats https-tcp-session" "$(line "$(br2 "$(cnt 556 0 0 0)" "$(cnt 556 0 0 0)")" 0 0)" \
        "$FLOWQ" --stats "$Q/https-tcp-session.fq" "$T"
    stats "stats http-octets" "$(line "{\"A\": $(cnt 556 332 1 0)}" 0 0)" \
        "$FLOWQ" --stats "$Q/http-octets.fq" "$T"
    stats "stats dns-udp" "$(line "$(br2 "$(cnt 556 95 1 1)" "$(cnt 556 97 1 1)")" 1 192)" \
        "$FLOWQ" --stats "$Q/dns-udp.fq" "$T"
    stats "stats mdns-udp" "$(line "{\"A\": $(cnt 556 0 0 0)}" 0 0)" \
        "$FLOWQ" --stats "$Q/mdns-udp.fq" "$T"
    # -g with --stats counts group rows: one per branch of each tuple
    stats "stats -g http-tcp-session" \
        "$(line "$(br2 "$(cnt 556 166 32 3)" "$(cnt 556 166 32 5)")" 3 6)" \
        "$FLOWQ" -g --stats "$Q/http-tcp-session.fq" "$T"

    # full outputs, for 1 and 2 worker threads
    for th in 1 2; do
        expect "golden aggregates -g csv ($th)" 0 "$G/aggregates.g.csv" - \
            "$FLOWQ" --threads $th -g -o csv "$G/aggregates.fq" "$T"
        expect "golden aggregates records ($th)" 0 "$G/aggregates.csv" - \
            "$FLOWQ" --threads $th -o csv --fields stime,srcip,dstip,packets,bytes \
            "$G/aggregates.fq" "$T"
        expect "golden chains -g ndjson ($th)" 0 "$G/chains.g.ndjson" - \
            "$FLOWQ" --threads $th -g -o ndjson "$G/chains.fq" "$T"
        expect "golden chains records ($th)" 0 "$G/chains.csv" - \
            "$FLOWQ" --threads $th -o csv --fields stime,srcip,dstport,bytes "$G/chains.fq" "$T"
        expect "golden filters ($th)" 0 "$G/filters.txt" - \
            "$FLOWQ" --threads $th "$G/filters.fq" "$T"
        expect "golden difference -g json ($th)" 0 "$G/difference.g.json" - \
            "$FLOWQ" --threads $th -g -o json "$G/difference.fq" "$T"
        expect "golden difference tsv ($th)" 0 "$G/difference.tsv" - \
            "$FLOWQ" --threads $th -o tsv "$G/difference.fq" "$T"
        expect "golden http-tcp-session ($th)" 0 "$G/http-tcp-session.txt" - \
            "$FLOWQ" --threads $th "$Q/http-tcp-session.fq" "$T"
        expect "golden http-tcp-session -g csv ($th)" 0 "$G/http-tcp-session.g.csv" - \
            "$FLOWQ" --threads $th -g -o csv "$Q/http-tcp-session.fq" "$T"
        expect "golden dns-udp csv ($th)" 0 "$G/dns-udp.csv" - \
            "$FLOWQ" --threads $th -o csv "$Q/dns-udp.fq" "$T"
        expect "golden product -g csv ($th)" 0 "$G/product.g.csv" - \
            "$FLOWQ" --threads $th -g -o csv "$G/product.fq" "$T"
        expect "golden product records ($th)" 0 "$G/product.csv" - \
            "$FLOWQ" --threads $th -o csv --fields stime,srcip,dstip,dstport,proto "$G/product.fq" "$T"
    done
    stats "stats product" "$(line "$(br2 "$(cnt 556 95 1 1)" "$(cnt 556 9 4 4)")" 4 104)" \
        "$FLOWQ" --stats "$G/product.fq" "$T"
    expect_err "--max-tuples 3, product" 5 \
        '^flowq: merger produced more than 3 tuples; narrow the query or raise --max-tuples$' \
        "$FLOWQ" --max-tuples 3 "$G/product.fq" "$T"

    # -e: http-octets outputs nothing (its group filter is always false)
    expect "-e nothing output" 1 '*' '*' "$FLOWQ" -e -q "$Q/http-octets.fq" "$T"
    expect "-e something output" 0 '*' - "$FLOWQ" -e -q "$Q/dns-udp.fq" "$T"
    # --max-tuples: http-tcp-session makes 3 tuples
    expect_err "--max-tuples 2" 5 \
        '^flowq: merger produced more than 2 tuples; narrow the query or raise --max-tuples$' \
        "$FLOWQ" --max-tuples 2 "$Q/http-tcp-session.fq" "$T"
    expect "--max-tuples 3" 0 "$G/http-tcp-session.txt" - \
        "$FLOWQ" --max-tuples 3 "$Q/http-tcp-session.fq" "$T"
    # a one-branch pass-through merger (aggregates.fq keeps 36 groups)
    expect_err "--max-tuples 35, one branch" 5 \
        '^flowq: merger produced more than 35 tuples; narrow the query or raise --max-tuples$' \
        "$FLOWQ" --max-tuples 35 "$G/aggregates.fq" "$T"
    expect "--max-tuples 36, one branch" 0 "$G/aggregates.csv" - \
        "$FLOWQ" --max-tuples 36 -o csv --fields stime,srcip,dstip,packets,bytes "$G/aggregates.fq" "$T"
fi

# Engine = reference on a generated trace, records and group rows.
if [ -x "$FLOWQ_GEN" ] && [ -x "$REFEVAL" ] && "$FLOWQ_GEN" -n 4000 -s 11 -w "$TMP/gen.ft" 2>"$TMP/gen.err"; then
    for q in "$G"/*.fq; do
        n=$(basename "$q" .fq)
        for mode in "" -g; do
            if "$REFEVAL" $mode -o csv "$q" "$TMP/gen.ft" >"$TMP/ref.csv" 2>"$TMP/ref.err"; then
                expect "engine = reference: $n $mode" 0 "$TMP/ref.csv" '*' \
                    "$FLOWQ" $mode -o csv "$q" "$TMP/gen.ft"
            else
                fail "reference failed on $n $mode: $(head -c 300 "$TMP/ref.err")"
            fi
        done
    done
else
    fail "flowq-gen or refeval missing: cannot compare with the reference"
fi

# No records at all: every stage empty, a header only, exit 0.
if [ -x "$FLOWQ_GEN" ] && "$FLOWQ_GEN" -n 0 -w "$TMP/empty.ft" 2>"$TMP/gen.err"; then
    printf 'tuple,branch,group,stime,etime,records,srcip,dstip,n,bytes,pmin,pmax,bavg,pmed,bsd,pprod,fand,forr,fxor,ports,smin\n' >"$TMP/empty.csv"
    expect "no records, -g" 0 "$TMP/empty.csv" - "$FLOWQ" -g -o csv "$G/aggregates.fq" "$TMP/empty.ft"
    expect "no records, -e" 1 '*' - "$FLOWQ" -e -q "$G/difference.fq" "$TMP/empty.ft"
fi

# -g columns: a branch without grouper carries stime, etime and records
# once, then the record's other fields; a plain aggregate written with an
# alias is named by its canonical name (json keys likewise).
if [ -x "$FLOWQ_GEN" ] && [ -s "$TMP/empty.ft" ]; then
    cat >"$TMP/gcols.fq" <<'FQ'
splitter S {}
grouper G {
    module m { srcaddr = srcaddr }
    aggregate srcaddr, dOctets, td, sum(bytes) as total
}
merger M { branches A, B }
ungrouper U {}
"input" -> S
S branch A -> G -> M
S branch B -> M
M -> U -> "output"
FQ
    {
        printf 'tuple,branch,group,stime,etime,records,srcip,bytes,duration,total\n'
        printf 'tuple,branch,group,stime,etime,records,srcip,dstip,nexthop,exaddr,srcport,dstport,proto,tos,tcp_flags,packets,bytes,duration,input,output,src_as,dst_as,src_mask,dst_mask,engine_type,engine_id,unix_secs,unix_nsecs,sysUpTime,First,Last,rec_id\n'
    } >"$TMP/gcols.want"
    run "$FLOWQ" -g -o csv "$TMP/gcols.fq" "$TOP/tests/data/io/small.ft"
    if [ "$rc" = 0 ] && grep '^tuple' "$TMP/out" | sort -u | cmp -s - "$TMP/gcols.want"; then pass; else
        fail "-g column names: exit $rc: $(grep '^tuple' "$TMP/out" | sort -u | head -c 600)"; fi
    run "$FLOWQ" -g -o ndjson "$TMP/gcols.fq" "$TOP/tests/data/io/small.ft"
    if [ "$rc" = 0 ] && [ -s "$TMP/out" ] && ! grep -q '"stime".*"stime"\|"dOctets"\|"td"\|"srcaddr"' "$TMP/out"; then
        pass; else fail "-g ndjson keys: exit $rc: $(head -c 400 "$TMP/out")"; fi
fi

# Big enough for the parallel filter (>= 65536 records) and the partitioned
# grouper (>= 200000 kept records): 1, 2 and 3 threads give the same bytes.
if [ -x "$FLOWQ_GEN" ] && "$FLOWQ_GEN" -n 250000 -s 5 -w "$TMP/big.ft" 2>"$TMP/gen.err"; then
    cat >"$TMP/pairs.fq" <<'FQ'
splitter S {}
grouper g {
    module g1 {
        srcip = srcip
        dstip = dstip
    }
    module g2 {
        dstip = dstip
        srcip = srcip
        etime < stime rdelta 5s
    }
    aggregate srcip, dstip, count(rec_id) as n, sum(g2.bytes) as b2, median(packets) as pm
}
groupfilter gf { n > 2 }
ungrouper U {}
"input" -> S
S branch A -> g -> gf -> U
U -> "output"
FQ
    for q in "$TMP/pairs.fq" "$G/aggregates.fq" "$G/chains.fq"; do
        for mode in "" -g; do
            "$FLOWQ" --threads 1 $mode -o csv "$q" "$TMP/big.ft" >"$TMP/t1.csv" 2>"$TMP/t1.err"
            rc1=$?
            for th in 2 3; do
                expect "threads $th = 1: $(basename "$q") $mode" $rc1 "$TMP/t1.csv" '*' \
                    "$FLOWQ" --threads $th $mode -o csv "$q" "$TMP/big.ft"
            done
        done
    done
    # the comparison above must have had something to compare
    [ "$(wc -l <"$TMP/t1.csv")" -gt 100 ] && pass || fail "threads: too little output to compare"
else
    fail "flowq-gen could not make the 300000-record trace"
fi

# --- narrow rows (FLOWQ_ROWS, see src/run.c read_engine): the engine keeps
# only the fields it reads after the filters and reads the records to
# write again from the files.  Every query, records and -g, text and
# --stats, must come out exactly as from full rows.
for q in "$TOP"/queries/*.fq "$TOP"/tests/bench/queries/*.fq; do
    for mode in "" -g; do
        FLOWQ_ROWS=full "$FLOWQ" $mode -o csv --stats="$TMP/sf" "$q" "$TOP/traces/day.ft" \
            >"$TMP/full.csv" 2>"$TMP/full.err"
        rcf=$?
        sed 's/, "elapsed_ms": [0-9]*}$/}/' "$TMP/sf" >"$TMP/sf.x"
        FLOWQ_ROWS=narrow "$FLOWQ" $mode -o csv --stats="$TMP/sn" "$q" "$TOP/traces/day.ft" \
            >"$TMP/narrow.csv" 2>"$TMP/narrow.err"
        rcn=$?
        sed 's/, "elapsed_ms": [0-9]*}$/}/' "$TMP/sn" >"$TMP/sn.x"
        if [ $rcf = $rcn ] && cmp -s "$TMP/full.csv" "$TMP/narrow.csv" &&
            cmp -s "$TMP/full.err" "$TMP/narrow.err" && cmp -s "$TMP/sf.x" "$TMP/sn.x"; then
            pass
        else
            fail "narrow rows differ from full rows: $(basename "$q") $mode (exit $rcf/$rcn)"
        fi
    done
done
# --- partitions (FLOWQ_PARTITIONS, engine_opts.partitions): the kept rows
# split by the plan's key (flowq --explain) and run apart, on full and
# narrow rows, must give exactly the output and --stats of one partition.
for q in "$TOP"/queries/*.fq "$TOP"/tests/bench/queries/*.fq; do
    FLOWQ_ROWS=full "$FLOWQ" -o csv --stats="$TMP/sf" "$q" "$TOP/traces/day.ft" >"$TMP/one.csv" 2>/dev/null
    sed 's/, "elapsed_ms": [0-9]*}$/}/' "$TMP/sf" >"$TMP/sf.x"
    for rows in full narrow; do
        FLOWQ_ROWS=$rows FLOWQ_PARTITIONS=5 "$FLOWQ" -o csv --stats="$TMP/sp" "$q" \
            "$TOP/traces/day.ft" >"$TMP/parts.csv" 2>/dev/null
        sed 's/, "elapsed_ms": [0-9]*}$/}/' "$TMP/sp" >"$TMP/sp.x"
        if cmp -s "$TMP/one.csv" "$TMP/parts.csv" && cmp -s "$TMP/sf.x" "$TMP/sp.x"; then pass; else
            fail "5 partitions differ from one: $(basename "$q"), $rows rows"
        fi
    done
done
# standard input cannot be read twice: narrow is not taken, the same output
FLOWQ_ROWS=narrow "$FLOWQ" -o csv "$TOP/queries/tcp-session.fq" <"$TOP/traces/day.ft" >"$TMP/stdin.csv"
FLOWQ_ROWS=full "$FLOWQ" -o csv "$TOP/queries/tcp-session.fq" "$TOP/traces/day.ft" >"$TMP/file.csv"
if cmp -s "$TMP/stdin.csv" "$TMP/file.csv" && [ -s "$TMP/file.csv" ]; then pass; else
    fail "narrow rows: standard input"
fi
