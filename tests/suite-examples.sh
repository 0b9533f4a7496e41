# SPDX-License-Identifier: MIT
# The example queries of queries/: each checks clean, and on the bundled
# traces and on a freshly generated one each outputs exactly the records
# that flowq-gen planted for it (its --truth file names, per record, the
# queries that must output it; top-talkers, a report, outputs every record);
# on traces/example.ft the full CSV output (top-talkers: its top 10 with -g)
# is pinned in tests/golden/examples/.  Sourced by tests/run-all.sh with
# tests/lib.sh; uses $FLOWQ $FLOWQ_GEN $TOP $TMP.

GOLD=$TOP/tests/golden/examples

# ---- every query checks without diagnostics (http-octets: its one warning) ----
for q in "$TOP"/queries/*.fq; do
    name=$(basename "$q" .fq)
    run "$FLOWQ" --check "$q"
    if [ "$name" = http-octets ]; then
        if [ $rc = 0 ] && grep -q 'warning: condition is always false' "$TMP/err" &&
            [ "$(grep -c 'warning:' "$TMP/err")" = 1 ]; then pass; else
            fail "examples: --check $name: exit $rc: $(head -c 200 "$TMP/err")"
        fi
    elif [ $rc = 0 ] && [ ! -s "$TMP/err" ] && [ ! -s "$TMP/out" ]; then pass; else
        fail "examples: --check $name: exit $rc: $(head -c 200 "$TMP/err")"
    fi
done

# examples_exact TRACE TRUTH LABEL: every query outputs exactly the rec_ids
# that TRUTH lists for it, and every query but http-octets outputs some.
examples_exact() {
    for q in "$TOP"/queries/*.fq; do
        name=$(basename "$q" .fq)
        if [ "$name" = top-talkers ]; then
            # a report, not a pattern: every record is some source's
            "$FLOWQ" --print -q -o csv --fields rec_id "$1" | sort >"$TMP/want"
        else
            awk -F'\t' -v q="$name" 'NR > 2 { n = split($4, a, ","); for (i = 1; i <= n; i++) if (a[i] == q) print $1 }' \
                "$2" | sort >"$TMP/want"
        fi
        "$FLOWQ" -q -o csv --fields rec_id "$q" "$1" 2>"$TMP/qerr" | sort >"$TMP/got"
        if [ "$name" != http-octets ] && [ ! -s "$TMP/want" ]; then
            fail "examples: $3: nothing planted for $name"
        elif cmp -s "$TMP/want" "$TMP/got"; then
            pass
        else
            fail "examples: $3: $name: $(wc -l <"$TMP/got") records, planted $(wc -l <"$TMP/want");" \
                "extra: $(comm -13 "$TMP/want" "$TMP/got" | head -5 | tr '\n' ' ')" \
                "missing: $(comm -23 "$TMP/want" "$TMP/got" | head -5 | tr '\n' ' ') $(head -c 200 "$TMP/qerr")"
        fi
    done
}

# ---- the bundled traces, with the truth of the README's commands ----
grep -E '^    flowq-gen .* -w traces/[a-z0-9-]+\.ft$' "$TOP/traces/README.md" >"$TMP/cmds"
while read -r _ args; do
    out=${args##* -w }
    "$FLOWQ_GEN" ${args% -w *} --truth "$TMP/truth" -w "$TMP/regen.ft"
    examples_exact "$TOP/$out" "$TMP/truth" "$out"
done <"$TMP/cmds"

# ---- a generated trace: another seed, two hours, big-endian ----
"$FLOWQ_GEN" -n 40000 -s 77 --span 7200 -b big --truth "$TMP/truth77" -w "$TMP/g77.ft"
examples_exact "$TMP/g77.ft" "$TMP/truth77" "generated -s 77"

# ---- full outputs on traces/example.ft ----
for q in "$TOP"/queries/*.fq; do
    name=$(basename "$q" .fq)
    err=-
    [ -f "$GOLD/$name.err" ] && err=$GOLD/$name.err
    opts=""
    # every record: its golden is the report it is meant for, the top 10
    [ "$name" = top-talkers ] && opts="-g --sort bytes:desc --limit 10"
    # shellcheck disable=SC2086
    expect "examples: golden $name" 0 "$GOLD/$name.out" "$err" \
        "$FLOWQ" $opts -o csv "queries/$name.fq" traces/example.ft
done
