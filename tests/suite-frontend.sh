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
for n in stages nomerger ipv6; do
    (cd "$TOP/tests/golden/dump" && expect "dump/$n" 0 "$n.dump" - "$FLOWQ" --dump-rules "$n.fq")
done

# --- the query from standard input needs a named trace; -n alone is a usage error
run "$FLOWQ" -n -
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
(cd "$TMP" && expect_err "-D undefined" 3 \
    "^flowq: d\\.fq:3:22: error: undefined variable '\\\$PORT' \\(define it with -D PORT=VALUE\\)\$" \
    "$FLOWQ" -n -D P=udp d.fq)

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
