# Front-end suite: the error-text suite (tests/errors), --check of the
# example queries with exactly the diagnostics the spec predicts, the
# --dump-rules goldens, and -D substitution.  Sourced by tests/run-all.sh.

# --- error texts, byte for byte, run in tests/errors for stable paths
for q in "$TOP"/tests/errors/*.fq; do
    n=$(basename "$q" .fq)
    args=""
    [ -f "$TOP/tests/errors/$n.args" ] && args=$(cat "$TOP/tests/errors/$n.args")
    # shellcheck disable=SC2086
    (cd "$TOP/tests/errors" && expect "errors/$n" "$(cat "$n.rc")" - "$TOP/tests/errors/$n.err" \
        "$FLOWQ" -n $args "$n.fq")
done

# --- the example queries: the shared ones when present, else our copies
qdir="$TOP/tests/data/queries"
[ -n "$SHARED" ] && [ -d "$SHARED/queries" ] && qdir="$SHARED/queries"
for q in "$qdir"/*.fq; do
    n=$(basename "$q" .fq)
    want=-
    [ "$n" = http-octets ] && want="$TOP/tests/golden/dump/http-octets.check"
    (cd "$qdir" && expect "check/$n" 0 - "$want" "$FLOWQ" --check "$n.fq")
    (cd "$qdir" && expect "dump/$n" 0 "$TOP/tests/golden/dump/$n.dump" '*' \
        "$FLOWQ" --dump-rules "$n.fq")
done
# the project's own queries: no diagnostic but the predicted W-TYP-1
for q in "$TOP"/queries/*.fq; do
    [ -f "$q" ] || continue
    n=$(basename "$q" .fq)
    want=-
    [ "$n" = http-octets ] && want="$TOP/tests/golden/dump/http-octets.check"
    (cd "$TOP/queries" && expect "check/queries/$n" 0 - "$want" "$FLOWQ" --check "$n.fq")
done
# --explain: the plan of every example query (and two with -g), in words
for q in "$TOP"/queries/*.fq; do
    n=$(basename "$q" .fq)
    (cd "$TOP/queries" && expect "explain/$n" 0 "$TOP/tests/golden/explain/$n.txt" '*' \
        "$FLOWQ" --explain "$n.fq")
done
for n in tcp-session heavy-hitters; do
    (cd "$TOP/queries" && expect "explain/$n -g" 0 "$TOP/tests/golden/explain/$n-g.txt" '*' \
        "$FLOWQ" --explain -g "$n.fq")
done
for n in stages nomerger ipv6; do
    (cd "$TOP/tests/golden/dump" && expect "dump/$n" 0 "$n.dump" - "$FLOWQ" --dump-rules "$n.fq")
done

# --- the query from standard input needs a named trace, except for -n,
# which reads no trace
run sh -c "\"$FLOWQ\" -n - < \"$qdir/dns-udp.fq\""
if [ "$rc" = 0 ] && [ ! -s "$TMP/err" ]; then pass; else fail "-n -: exit $rc"; fi
run sh -c "printf 'splitter S {}\\n' | \"$FLOWQ\" -n -"
if [ "$rc" = 3 ] && grep -q "^flowq: -:" "$TMP/err"; then pass; else fail "-n - with errors: exit $rc"; fi
run sh -c "\"$FLOWQ\" - < \"$qdir/dns-udp.fq\""
if [ "$rc" = 2 ] && grep -q "query may be '-'" "$TMP/err"; then pass; else
    fail "stdin query without trace: exit $rc"; fi
run sh -c "\"$FLOWQ\" --check - /dev/null < \"$qdir/dns-udp.fq\""
if [ "$rc" = 0 ] && [ ! -s "$TMP/err" ]; then pass; else fail "stdin query: exit $rc"; fi

# --- -D: substitution, comments left alone, undefined names
cat >"$TMP/d.fq" <<'Q'
# $NOT_A_VARIABLE in a comment
splitter S {}
filter F { dstport = $PORT proto = protocol("$P") }
ungrouper U {}
"input" -> S
S branch A -> F -> U
U -> "output"
Q
run "$FLOWQ" --dump-rules -D PORT=8080 -D P=udp -D UNUSED=1 "$TMP/d.fq"
if [ "$rc" = 0 ] && grep -qx '    clause 1: dstport = 8080' "$TMP/out" &&
    grep -qx '    clause 2: proto = 17' "$TMP/out"; then pass; else fail "-D substitution: exit $rc"; fi
run sh -c 'cd "$1" && "$2" -n -D P=udp d.fq' sh "$TMP" "$FLOWQ"
if [ "$rc" = 3 ] && [ "$(wc -l <"$TMP/err")" = 3 ] &&
    head -1 "$TMP/err" | grep -qx "flowq: d\.fq:3:22: error: undefined variable '\$PORT' (define it with -D PORT=VALUE)"; then
    pass; else fail "-D undefined: exit $rc: $(head -c 300 "$TMP/err")"; fi

# --- the command line: no abbreviated long options, no silently ignored
# combinations, usage errors (status 2) before any work
# usage NAME MESSAGE ARGS...: exit 2, nothing on stdout, exactly MESSAGE
# and the "Try" line on stderr
usage() {
    _n=$1 _m=$2
    shift 2
    printf 'flowq: %s\nTry '"'"'flowq --help'"'"' for more information.\n' "$_m" >"$TMP/usage.err"
    expect "$_n" 2 - "$TMP/usage.err" "$FLOWQ" "$@"
}
cat >"$TMP/pass.fq" <<'Q'
splitter S {}
ungrouper U {}
"input" -> S
S branch A -> U
U -> "output"
Q
T="$TMP/pass.fq"
(cd "$TMP" && usage "abbreviated --outp=x" "unknown option '--outp'" --outp=x pass.fq /dev/null)
[ -e "$TMP/x" ] && fail "abbreviated --outp=x wrote ./x"
usage "abbreviated --output x" "unknown option '--outp'" --outp "$TMP/x" "$T" /dev/null
usage "ambiguous --for" "unknown option '--for'" --for "$T"
usage "abbreviated --check" "unknown option '--che'" --che "$T"
usage "abbreviated --stats=F" "unknown option '--stat'" --stat="$TMP/s" "$T" /dev/null
usage "--help=foo" "option '--help' takes no value" --help=foo
usage "--print=1" "option '--print' takes no value" --print=1
usage "unknown short option" "unknown option '-x'" -x "$T"
usage "--stats= empty" "--stats=FILE needs a file name" --stats= "$T" /dev/null
usage "-w empty" "-w needs a file name" -w "" "$T" /dev/null
usage "--fields did you mean" "unknown field 'scrip' in --fields; did you mean 'srcip'?" --print --fields scrip /dev/null
usage "--fields far off" "unknown field 'zzzzzz' in --fields (see --help-fields)" --print --fields zzzzzz /dev/null
usage "--epoch --localtime" "--epoch and --localtime exclude each other" --epoch --localtime "$T" /dev/null
usage "--localtime --epoch" "--epoch and --localtime exclude each other" --print --localtime --epoch /dev/null
usage "--print --stats" "--stats counts the stages of a query; it does not apply to --print" --print --stats /dev/null
usage "--print --stats=FILE" "--stats counts the stages of a query; it does not apply to --print" --print --stats="$TMP/s" /dev/null
usage "-q with json" "-q applies to the text, csv and tsv formats; json and ndjson have no header" -q -o json "$T" /dev/null
usage "-q with ndjson" "-q applies to the text, csv and tsv formats; json and ndjson have no header" --print -o ndjson -q /dev/null
usage "--fields twice" "--fields given twice (list every field in one --fields)" --print --fields srcip --fields dstip /dev/null
usage "--files-from twice" "--files-from given twice" --files-from "$TMP/a" --files-from "$TMP/b" "$T"
usage "-D same name twice" "-D defines 'PORT' twice" -D PORT=1 -D PORT=2 "$T" /dev/null
usage "--help-fields with operands" "--help-fields takes no operands, not 'x'" --help-fields x
[ -e "$TMP/s" ] && fail "a usage error wrote --stats=FILE"
# the exact names still work, with = and with the next argument
expect "--output=FILE exact" 0 - - "$FLOWQ" --output="$TMP/x" "$T" "$TOP/traces/example.ft"
expect "--output FILE exact" 0 - - "$FLOWQ" --force --output "$TMP/x" "$T" "$TOP/traces/example.ft"
"$FLOWQ" --help-fields >"$TMP/hf.out"
expect "--help-fields alone" 0 "$TMP/hf.out" - "$FLOWQ" --help-fields
# the query on standard input leaves --files-from - no input
printf '/dev/null\n' >"$TMP/list"
run sh -c '"$0" --files-from - - < "$1"' "$FLOWQ" "$T"
if [ "$rc" = 2 ] && grep -q "the query and --files-from cannot both come from standard input" "$TMP/err"; then
    pass; else fail "--files-from - with the query on stdin: exit $rc"; fi

# --- nothing in the front end may crash on odd bytes: a few fixed nasties
for s in '' '"' '"\' '0x' '1.' '....' '255.255.255.255/' 'filter' 'filter F {' \
    'a->b->' '$' "$(printf '\001\377\000x')" '999999999999999999999999 days' \
    'merger M { module m { branches A  A < } }'; do
    printf '%s' "$s" >"$TMP/odd.fq"
    run "$FLOWQ" -n "$TMP/odd.fq"
    if [ "$rc" = 3 ]; then pass; else fail "odd input '$s': exit $rc"; fi
done

# --- a flood of errors: at most 100 shown, long lines cut around the caret
{ printf 'splitter S {}\nungrouper U {}\n"input" -> S\nS branch A -> f -> U\nU -> "output"\nfilter f { '
  awk 'BEGIN { for (i = 0; i < 5000; i++) printf "srcport = 70000 "; print "}" }'; } >"$TMP/flood.fq"
(cd "$TMP" && run "$FLOWQ" -n flood.fq)
if [ "$rc" = 3 ] && [ "$(wc -l <"$TMP/err")" -eq 301 ] &&
    [ "$(tail -n 1 "$TMP/err")" = "flowq: flood.fq: note: 4900 more errors and warnings not shown" ] &&
    [ "$(sed -n 2p "$TMP/err")" = "filter f { srcport = 70000 srcport = 70000 srcport = 70000 srcport = 70000 srcport = 70000 srcport = 70000 srcport = 70000 srcport = 70000 srcport = 70000 srcpo..." ]; then
    pass; else fail "error flood: exit $rc, $(wc -l <"$TMP/err") lines"; fi
