# Differential test: the engine against the brute-force reference
# (tests/tools/refeval.c) on random queries and traces with a fixed seed
# (whole, kept, in partitions, spilled and streamed runs),
# the saved regression cases of tests/regress/, and the reference's
# per-stage counts on the shared nfql trace.
# Sourced by tests/run-all.sh (pass/fail from tests/lib.sh).

DIFFTEST="$TOP/$BUILD/tests/difftest"
REFEVAL="$TOP/$BUILD/tests/refeval"
# ASan builds are ~5x slower: fewer cases there (make asan sets BUILD).
case "$BUILD" in
*asan*) DIFF_SUITE_ITER=${DIFF_SUITE_ITER:-1000} ;;
*) DIFF_SUITE_ITER=${DIFF_SUITE_ITER:-5000} ;;
esac

"$DIFFTEST" --seed 20261128 --iter "$DIFF_SUITE_ITER" >"$TMP/diff.out" 2>&1
rc=$?
summary=$(tail -n 1 "$TMP/diff.out")
if [ $rc -ne 0 ]; then
    fail "difftest: $summary; first: $(grep -m 1 -E '^(MISMATCH|FAILED ALIKE)' "$TMP/diff.out")"
else
    pass
fi
# Cases that compare the grouping itself (one branch, a grouper, nothing else).
if "$DIFFTEST" --seed 20261128 --iter $((DIFF_SUITE_ITER / 2)) --grouper >"$TMP/grp.out" 2>&1; then
    pass
else
    fail "difftest --grouper: $(tail -n 1 "$TMP/grp.out"); first: $(grep -m 1 -E '^(MISMATCH|FAILED ALIKE)' "$TMP/grp.out")"
fi

# A few cases big enough for the engine's parallel filter (not under ASan).
case "$BUILD" in
*asan*) ;;
*)
    if "$DIFFTEST" --seed 20261128 --iter 2 --big 70000 >"$TMP/big.out" 2>&1; then pass; else
        fail "difftest --big: $(tail -n 1 "$TMP/big.out"); first: $(grep -m 1 -E '^(MISMATCH|FAILED ALIKE)' "$TMP/big.out")"
    fi
    ;;
esac

# The project's example queries on the bundled trace, through the CLI:
# flowq's output is the reference's, records and -g rows (not under ASan:
# the reference's nested loops take seconds there).
case "$BUILD" in
*asan*) ;;
*)
    if [ -f "$TOP/traces/example.ft" ]; then
        for q in "$TOP"/queries/*.fq; do
            for mode in "" -g; do
                if "$REFEVAL" $mode -o csv "$q" "$TOP/traces/example.ft" >"$TMP/ref.csv" 2>"$TMP/ref.err"; then
                    expect "flowq = reference: $(basename "$q") $mode" 0 "$TMP/ref.csv" '*' \
                        "$FLOWQ" $mode -o csv "$q" "$TOP/traces/example.ft"
                else
                    fail "reference failed on $(basename "$q") $mode: $(head -c 300 "$TMP/ref.err")"
                fi
            done
        done
    fi
    ;;
esac

# The generator must produce queries the compiler accepts and that select
# something; otherwise the comparison above proves little.
set -- $(echo "$summary" | sed -n 's/^difftest: \([0-9]*\) cases, \([0-9]*\) rejected.* \([0-9]*\) with output.*/\1 \2 \3/p')
if [ $# -eq 3 ] && [ "$2" -le $(($1 / 20)) ] && [ "$3" -ge $(($1 / 5)) ]; then
    pass
else
    fail "difftest: too many rejected queries or too few outputs: $summary"
fi

# ... and many of them must run split into partitions
split=$(echo "$summary" | sed -n 's/.*, \([0-9]*\) split into partitions.*/\1/p')
if [ -n "$split" ] && [ $# -eq 3 ] && [ "$split" -ge $(($1 / 50)) ]; then pass; else
    fail "difftest: too few cases split into partitions: $summary"
fi
# ... and spilled to a temporary file by partition
spilled=$(echo "$summary" | sed -n 's/.*, \([0-9]*\) spilled).*/\1/p')
if [ -n "$spilled" ] && [ $# -eq 3 ] && [ "$spilled" -ge $(($1 / 50)) ]; then pass; else
    fail "difftest: too few cases spilled: $summary"
fi

for d in "$TOP"/tests/regress/*/; do
    [ -f "$d/query.fq" ] || continue
    if "$DIFFTEST" --replay "$d" >"$TMP/replay.out" 2>&1; then
        pass
    else
        fail "regression $(basename "$d"): $(head -c 600 "$TMP/replay.out")"
    fi
done

# Reference counts on trace-2009 (../shared/traces/README.md): these are
# nfql's figures, except the ungrouper's records, which flowq prints once
# each (nfql printed one stream per tuple: 24 + 62 + 56 for
# http-tcp-session, 192 for dns-udp; the streams share no record).
if [ -n "$SHARED" ]; then
    while read -r q expect; do
        "$REFEVAL" -o csv --stats "$SHARED/queries/$q.fq" "$SHARED/traces/trace-2009.ftz" \
            >/dev/null 2>"$TMP/stats" </dev/null
        got=$(tail -n 1 "$TMP/stats")
        if [ "$got" = "$expect" ]; then pass; else fail "refeval $q: got $got, expected $expect"; fi
    done <<'TABLE'
tcp-session {"branches": {"A": {"records_in": 556, "filtered": 346, "groups": 68, "groups_kept": 0}, "B": {"records_in": 556, "filtered": 346, "groups": 68, "groups_kept": 0}}, "merger": {"tuples": 0}, "ungrouper": {"records": 0}}
http-tcp-session {"branches": {"A": {"records_in": 556, "filtered": 166, "groups": 32, "groups_kept": 3}, "B": {"records_in": 556, "filtered": 166, "groups": 32, "groups_kept": 5}}, "merger": {"tuples": 3}, "ungrouper": {"records": 142}}
https-tcp-session {"branches": {"A": {"records_in": 556, "filtered": 0, "groups": 0, "groups_kept": 0}, "B": {"records_in": 556, "filtered": 0, "groups": 0, "groups_kept": 0}}, "merger": {"tuples": 0}, "ungrouper": {"records": 0}}
http-octets {"branches": {"A": {"records_in": 556, "filtered": 332, "groups": 1, "groups_kept": 0}}, "merger": {"tuples": 0}, "ungrouper": {"records": 0}}
dns-udp {"branches": {"A": {"records_in": 556, "filtered": 95, "groups": 1, "groups_kept": 1}, "B": {"records_in": 556, "filtered": 97, "groups": 1, "groups_kept": 1}}, "merger": {"tuples": 1}, "ungrouper": {"records": 192}}
mdns-udp {"branches": {"A": {"records_in": 556, "filtered": 0, "groups": 0, "groups_kept": 0}}, "merger": {"tuples": 0}, "ungrouper": {"records": 0}}
TABLE
fi
