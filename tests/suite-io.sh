# SPDX-License-Identifier: MIT
# flowq --print: decoding of every record version, byte order and
# compression (against ../shared's flow-print-checked goldens when present,
# and always against tools/ftfixture's independently formatted CSV), inputs
# (stdin, directories, several operands, concatenated streams), the output
# formats, -w and closed pipes.

FIX="$TOP/$BUILD/tests/ftfixture"
D="$TOP/tests/data/io"

# -- golden traces of ../shared, decoded by flow-tools' flow-print ---------
if [ -n "$SHARED" ]; then
    for f in "$SHARED/traces/trace-2009.ftz" "$SHARED"/traces/versions/*.ft; do
        g=${f%.*}.csv
        n=$(basename "$f")
        expect "golden $n" 0 "$g" - "$FLOWQ" --print -o csv "$f"
        # Round trip through the writer: decode, write v5, decode again.
        "$FLOWQ" --print -o ft "$f" >"$TMP/rt.ft" 2>"$TMP/rt.err"
        expect "round trip $n" 0 "$g" - "$FLOWQ" --print -o csv "$TMP/rt.ft"
        "$FLOWQ" --print -o ft -z 6 "$f" >"$TMP/rt.ft" 2>"$TMP/rt.err"
        expect "round trip -z6 $n" 0 "$g" - "$FLOWQ" --print -o csv - <"$TMP/rt.ft"
    done
    expect "golden stdin trace-2009" 0 "$SHARED/traces/trace-2009.csv" - \
        sh -c "\"$FLOWQ\" --print -o csv <\"$SHARED/traces/trace-2009.ftz\""
fi

# -- own fixtures: every version x byte order x compression ----------------
for v in 1 5 6 7 1005; do
    "$FIX" -V $v -n 120 --csv >"$TMP/v$v.csv"
    for b in little big; do
        for z in 0 6; do
            "$FIX" -V $v -b $b -z $z -n 120 >"$TMP/x.ft"
            expect "fixture v$v $b z$z" 0 "$TMP/v$v.csv" - "$FLOWQ" --print -o csv "$TMP/x.ft"
            expect "fixture v$v $b z$z stdin" 0 "$TMP/v$v.csv" - \
                sh -c "cat \"$TMP/x.ft\" | \"$FLOWQ\" --print -o csv"
        done
    done
done
for v in 1 5; do
    "$FIX" -L -V $v -n 120 --csv >"$TMP/l$v.csv"
    for b in little big; do
        "$FIX" -L -V $v -b $b -n 120 >"$TMP/x.ft"
        expect "legacy header v$v $b" 0 "$TMP/l$v.csv" - "$FLOWQ" --print -o csv "$TMP/x.ft"
    done
done

# A v5 fixture long enough to need several reader buffers and zlib chunks.
"$FIX" -n 70000 -z 1 >"$TMP/big.ft"
"$FIX" -n 70000 --csv >"$TMP/big.csv"
expect "70000 records, zlib, pipe" 0 "$TMP/big.csv" - \
    sh -c "cat \"$TMP/big.ft\" | \"$FLOWQ\" --print -o csv"
"$FIX" -n 70000 -b big >"$TMP/bigu.ft"
expect "70000 records, raw, big-endian, pipe" 0 "$TMP/big.csv" - \
    sh -c "cat \"$TMP/bigu.ft\" | \"$FLOWQ\" --print -o csv"

# -- several inputs ---------------------------------------------------------
"$FIX" -V 5 -n 40 >"$TMP/a.ft"
"$FIX" -V 7 -b big -z 6 -s 40 -n 30 >"$TMP/b.ft"
"$FIX" -V 1005 -s 70 -n 20 >"$TMP/c.ft"
"$FIX" -V 1 -n 0 >"$TMP/empty.ft"
"$FIX" -V 6 -z 3 -n 0 >"$TMP/emptyz.ft"
"$FIX" -n 90 --csv >"$TMP/abc.csv"
expect "several operands" 0 "$TMP/abc.csv" - "$FLOWQ" --print -o csv "$TMP/a.ft" "$TMP/b.ft" "$TMP/c.ft"
expect "concatenated streams on stdin" 0 "$TMP/abc.csv" - \
    sh -c "cat \"$TMP/a.ft\" \"$TMP/b.ft\" \"$TMP/c.ft\" | \"$FLOWQ\" --print -o csv"
expect "concatenated with empty streams" 0 "$TMP/abc.csv" - \
    sh -c "cat \"$TMP/empty.ft\" \"$TMP/a.ft\" \"$TMP/emptyz.ft\" \"$TMP/empty.ft\" \"$TMP/b.ft\" \"$TMP/empty.ft\" \"$TMP/c.ft\" \"$TMP/emptyz.ft\" | \"$FLOWQ\" --print -o csv"
cat "$TMP/b.ft" "$TMP/a.ft" "$TMP/c.ft" >"$TMP/bac.ft"
{ "$FIX" -s 40 -n 30 --csv; "$FIX" -n 40 --csv | tail -n +2; "$FIX" -s 70 -n 20 --csv | tail -n +2; } >"$TMP/bac.csv"
expect "concatenated file, compressed stream first" 0 "$TMP/bac.csv" - "$FLOWQ" --print -o csv "$TMP/bac.ft"
expect "file, stdin and file" 0 "$TMP/abc.csv" - \
    sh -c "\"$FLOWQ\" --print -o csv \"$TMP/a.ft\" - \"$TMP/c.ft\" <\"$TMP/b.ft\""
printf 'rec_id\n' >"$TMP/ids"
seq 0 89 >>"$TMP/ids"
expect "rec_id across inputs" 0 "$TMP/ids" - "$FLOWQ" --print -o csv --fields rec_id "$TMP/a.ft" "$TMP/b.ft" "$TMP/c.ft"

# -- directories --------------------------------------------------------------
mkdir -p "$TMP/dir/sub" "$TMP/dir/tmpdir" "$TMP/nodir"
cp "$TMP/c.ft" "$TMP/dir/sub/x.ft"
cp "$TMP/b.ft" "$TMP/dir/b.ft"
cp "$TMP/a.ft" "$TMP/dir/a.ft"
cp "$TMP/a.ft" "$TMP/dir/tmp-capture"
cp "$TMP/a.ft" "$TMP/dir/tmpdir/y.ft"
expect "directory: sorted, recursive, tmp* skipped" 0 "$TMP/abc.csv" - "$FLOWQ" --print -o csv "$TMP/dir"
{ cat "$TMP/abc.csv"; "$FIX" -n 40 --csv | tail -n +2; "$FIX" -n 40 --csv | tail -n +2; } >"$TMP/all.csv"
expect "directory --all-files" 0 "$TMP/all.csv" - "$FLOWQ" --print -o csv --all-files "$TMP/dir"
{
    printf 'flowq: reading %s\n' "$TMP/dir/a.ft" "$TMP/dir/b.ft" "$TMP/dir/sub/x.ft"
    printf 'flowq: %s: warning: skipped: a file the collector is still writing or keeps for itself (tmp*, nfcapd.current.*, .nfstat; --all-files reads it)\n' \
        "$TMP/dir/tmp-capture" "$TMP/dir/tmpdir"
} | sort >"$TMP/verbose"
run "$FLOWQ" --print -o csv -v "$TMP/dir"
if [ "$rc" = 0 ] && cmp -s "$TMP/out" "$TMP/abc.csv" && sort "$TMP/err" | cmp -s - "$TMP/verbose"; then
    pass; else fail "directory -v names the files read and skipped: exit $rc: $(head -c 400 "$TMP/err")"; fi
"$FIX" -n 0 --csv >"$TMP/none.csv"
printf 'flowq: %s: warning: no trace file in the directory\n' "$TMP/nodir" >"$TMP/nodir.err"
expect "empty directory: no records, a warning" 0 "$TMP/none.csv" "$TMP/nodir.err" "$FLOWQ" --print -o csv "$TMP/nodir"
mkdir -p "$TMP/tmponly"
cp "$TMP/a.ft" "$TMP/tmponly/tmp.1"
printf 'flowq: %s: warning: no trace file in the directory, only 1 collector file (--all-files reads them)\n' "$TMP/tmponly" >"$TMP/tmponly.err"
expect "directory of tmp* files only: a warning" 0 "$TMP/none.csv" "$TMP/tmponly.err" "$FLOWQ" --print -o csv "$TMP/tmponly"
# A file in a directory that no reader claims (a README beside the flows,
# an empty file) is skipped with a warning; named as an operand it is an
# error.  The narrow rows' second reading skips it alike (and quietly).
mkdir -p "$TMP/mixed"
cp "$TMP/a.ft" "$TMP/mixed/a.ft"
cp "$TMP/b.ft" "$TMP/mixed/c.ft"
echo "# the flows of router r1" >"$TMP/mixed/README.md"
: >"$TMP/mixed/b.empty"
{ "$FLOWQ" --print -o csv "$TMP/a.ft"; "$FLOWQ" --print -o csv -q "$TMP/b.ft"; } >"$TMP/mixed.csv"
printf 'flowq: %s: warning: skipped: %s\n' "$TMP/mixed/README.md" "not a flow-tools, nfdump or IPFIX file" \
    "$TMP/mixed/b.empty" "an empty file" | sort >"$TMP/mixed.err"
run "$FLOWQ" --print -o csv "$TMP/mixed"
if [ "$rc" = 0 ] && cmp -s "$TMP/out" "$TMP/mixed.csv" && sort "$TMP/err" | cmp -s - "$TMP/mixed.err"; then
    pass; else fail "directory with a README: exit $rc: $(head -c 300 "$TMP/err")"; fi
expect_err "a README named as an operand stays an error" 4 'README.md: not a flow-tools file' \
    "$FLOWQ" --print -o csv "$TMP/mixed/README.md"
printf 'filter f { proto = 6 }\ngrouper g { module m { srcip = srcip } aggregate srcip, sum(bytes) as b }\n"input" -> S\nS branch A -> f -> g -> M\nM -> U -> "output"\nsplitter S {}\nmerger M { module m1 { branches A } }\nungrouper U {}\n' >"$TMP/mixed.fq"
FLOWQ_ROWS=full "$FLOWQ" -o csv "$TMP/mixed.fq" "$TMP/mixed" >"$TMP/mf.csv" 2>/dev/null
run env FLOWQ_ROWS=narrow "$FLOWQ" -o csv "$TMP/mixed.fq" "$TMP/mixed"
if [ "$rc" = 0 ] && [ -s "$TMP/mf.csv" ] && cmp -s "$TMP/out" "$TMP/mf.csv" && sort "$TMP/err" | cmp -s - "$TMP/mixed.err"; then
    pass; else fail "directory with a README, narrow rows: exit $rc: $(head -c 300 "$TMP/err")"; fi

# -- output formats (goldens reviewed by hand) ---------------------------------
expect "text" 0 "$D/small.text" - "$FLOWQ" --print "$D/small.ft"
expect "json" 0 "$D/small.json" - "$FLOWQ" --print -o json "$D/small.ft"
expect "ndjson --epoch" 0 "$D/small-epoch.ndjson" - "$FLOWQ" --print -o ndjson --epoch "$D/small.ft"
expect "tsv -q --fields with aliases" 0 "$D/small-fields.tsv" - "$FLOWQ" --print -o tsv -q \
    --fields srcaddr,dstport,prot,td,rec_id,sysuptime,First,Last,unix_secs,unix_nsecs "$D/small.ft"
expect "--localtime" 0 "$D/small-local.csv" - env TZ=EST5EDT,M3.2.0,M11.1.0 \
    "$FLOWQ" --print --localtime -o csv --fields stime,etime "$D/small.ft"
printf '[]\n' >"$TMP/emptyjson"
expect "json of no records" 0 "$TMP/emptyjson" - "$FLOWQ" --print -o json "$TMP/empty.ft"
expect "ndjson of no records" 0 - - "$FLOWQ" --print -o ndjson "$TMP/empty.ft"
printf 'srcip\n' >"$TMP/hdr"
expect "csv of no records: the header" 0 "$TMP/hdr" - "$FLOWQ" --print -o csv --fields srcip "$TMP/empty.ft"
expect "csv -q of no records" 0 - - "$FLOWQ" --print -o csv -q "$TMP/empty.ft"
if command -v python3 >/dev/null 2>&1; then
    "$FLOWQ" --print -o json "$TMP/big.ft" >"$TMP/big.json"
    expect "json parses, 70000 objects" 0 '*' - python3 -c \
        'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d)==70000 and d[69998]["srcport"]==(69998*7+1024)%65536 else 1)' \
        "$TMP/big.json"
fi

# -- -o ft, -w ----------------------------------------------------------------
"$FLOWQ" --print -o ft "$TMP/a.ft" "$TMP/b.ft" "$TMP/c.ft" >"$TMP/out.ft"
expect "-o ft round trip of mixed versions" 0 "$TMP/abc.csv" - "$FLOWQ" --print -o csv "$TMP/out.ft"
head -c 24 "$TMP/out.ft" | od -An -tx1 | tr -d ' \n' >"$TMP/hdrhex"
printf 'cf100103180000000200020005000800040008000000' >"$TMP/hdrexp"
printf '0000' >>"$TMP/hdrexp"
if cmp -s "$TMP/hdrhex" "$TMP/hdrexp"; then pass; else fail "-o ft header bytes: $(cat "$TMP/hdrhex")"; fi
rm -f "$TMP/w.csv"
# control bytes in a file name are escaped: one error, one line
printf 'flowq: %s: cannot open: No such file or directory\n' 'no\x0aname\x1b[31m' >"$TMP/junk.err"
expect "control bytes in a name are escaped" 4 - "$TMP/junk.err" "$FLOWQ" --print "$(printf 'no\nname\033[31m')"
# a --files-from list written on Windows (CRLF) names the same files
printf '%s\r\n%s\r\n\r\n%s\r\n' "$TMP/a.ft" "$TMP/b.ft" "$TMP/c.ft" >"$TMP/crlf.list"
expect "--files-from with CRLF lines" 0 "$TMP/abc.csv" - "$FLOWQ" --print -o csv --files-from "$TMP/crlf.list"
expect "-w writes the file" 0 - - "$FLOWQ" --print -o csv -w "$TMP/w.csv" "$TMP/a.ft" "$TMP/b.ft" "$TMP/c.ft"
if cmp -s "$TMP/w.csv" "$TMP/abc.csv"; then pass; else fail "-w content"; fi
expect_err "-w refuses to overwrite" 5 "^flowq: .*w\\.csv: .*exists" "$FLOWQ" --print -o csv -w "$TMP/w.csv" "$TMP/a.ft"
expect "-w --force overwrites" 0 - - "$FLOWQ" --print -o csv --force -w "$TMP/w.csv" "$TMP/a.ft"
"$FIX" -n 40 --csv >"$TMP/a.csv"
if cmp -s "$TMP/w.csv" "$TMP/a.csv"; then pass; else fail "-w --force content"; fi
if ls "$TMP" | grep -q 'w.csv.tmp'; then fail "-w left a temporary file"; else pass; fi

# -- a closed pipe ends quietly -------------------------------------------------
"$FIX" -n 200000 >"$TMP/huge.ft"
( "$FLOWQ" --print -o json "$TMP/huge.ft"; echo "rc=$?" >"$TMP/pipe.rc" ) 2>"$TMP/pipe.err" | head -c 1000 >/dev/null
if grep -qx 'rc=0' "$TMP/pipe.rc" && [ ! -s "$TMP/pipe.err" ]; then pass; else
    fail "closed pipe: $(cat "$TMP/pipe.rc") $(head -c 200 "$TMP/pipe.err")"
fi

# -- files read in parallel: exactly what reading them in turn gives ---------
# Flow-tools (zlib and plain), nfdump and IPFIX files in one directory with
# a file no reader claims: records, rec_ids, -t numbering, queries,
# --stats, the order of -v's messages and a truncated file's error.
if [ -x "$FLOWQ_GEN" ]; then
    P="$TMP/par"
    mkdir -p "$P"
    for i in 1 2 3; do "$FLOWQ_GEN" -n 40000 -s "$i" -z $((i % 2 * 6)) -w "$P/f$i.ft"; done
    cp "$TOP/tests/data/nfdump/v5-lz4.nfcapd" "$P/g1"
    cp "$TOP/tests/data/ipfix/milli-bi.ipfix" "$P/g2"
    echo "not flows" >"$P/README"
    F=rec_id,stime,srcip,dstip,bytes
    # par NAME ARGS...: --threads 1 and --threads 3 alike, stdout and stderr
    par() {
        _n=$1
        shift
        "$FLOWQ" --threads 1 "$@" >"$TMP/par1.out" 2>"$TMP/par1.err"
        _r=$?
        expect "parallel read: $_n" "$_r" "$TMP/par1.out" "$TMP/par1.err" "$FLOWQ" --threads 3 "$@"
    }
    par "--print" --print -o csv --fields "$F" "$P"
    [ "$(wc -l <"$TMP/par1.out")" -gt 120000 ] && pass || fail "parallel read: too few records"
    par "-v -t" -v --print -o csv --fields "$F" -t 2026-11-28T00:10/2026-11-28T00:40 "$P"
    par "-c" --print -c 7 -o csv --fields "$F" "$P"
    # the workers drop what no filter takes (ft_reader_opts.keep): the
    # same records and counts, for the engine and for a filter alone
    for q in "$TOP/queries/tcp-session.fq" "$TOP/tests/bench/queries/filter-only.fq"; do
        for t in 1 3; do
            "$FLOWQ" --threads $t --stats="$TMP/pst$t" -o csv --fields "$F" "$q" "$P" >"$TMP/pq$t" 2>&1
            sed -i 's/"elapsed_ms": [0-9]*/"elapsed_ms": 0/' "$TMP/pst$t"
        done
        [ -s "$TMP/pq1" ] && cmp -s "$TMP/pq1" "$TMP/pq3" && cmp -s "$TMP/pst1" "$TMP/pst3" &&
            grep -q '"records_in": 120[0-9]*' "$TMP/pst3" && pass ||
            fail "parallel read: $(basename "$q"): output or --stats differ: $(cat "$TMP/pst3")"
    done
    head -c 300000 "$P/f2.ft" >"$P/f2b.ft"
    par "truncated file" --print -o csv --fields "$F" "$P"
    [ "$_r" = 4 ] && grep -q "f2b.ft: .*byte" "$TMP/par1.err" && pass ||
        fail "parallel read: truncated file: exit $_r: $(cat "$TMP/par1.err")"
fi
