# SPDX-License-Identifier: MIT
# The progress line: shown on a terminal stderr once a run is a second
# old (run under script(1) for a terminal), never with --no-progress, a
# non-terminal stderr, a quick run or in --stats; --progress forces it.
# Sourced by tests/run-all.sh with tests/lib.sh; uses $FLOWQ $TOP $TMP.

T=$TOP/traces/example.ft
# slow CMD: the trace twice on standard input, 1.5 s apart
slow="(cat '$T'; sleep 1.5; cat '$T')"
if command -v script >/dev/null; then
    # a terminal, a slow run: one line redrawn in place, erased at the end
    script -qc "sh -c \"$slow | '$FLOWQ' --print -q -o csv >'$TMP/o1'\"" /dev/null </dev/null >"$TMP/tty1"
    if grep -q 'flowq: 1/1 files, [0-9.]* [kM]B read, [0-9]* records/s, 0:0[0-9] elapsed' "$TMP/tty1" &&
        [ "$(tail -c 1 "$TMP/tty1" | od -An -c | tr -d ' ')" = '\r' ]; then pass; else
        fail "progress: no progress line on a terminal: $(od -c "$TMP/tty1" | head -5)"
    fi
    [ "$(wc -l <"$TMP/o1")" = 20000 ] && pass || fail "progress: output changed"
    # --no-progress: nothing
    script -qc "sh -c \"$slow | '$FLOWQ' --no-progress --print -q >/dev/null\"" /dev/null </dev/null >"$TMP/tty2"
    [ ! -s "$TMP/tty2" ] && pass || fail "progress: --no-progress on a terminal: $(od -c "$TMP/tty2" | head -3)"
    # a quick run: nothing
    script -qc "'$FLOWQ' -o csv '$TOP/queries/heavy-hitters.fq' '$T' >/dev/null" /dev/null </dev/null >"$TMP/tty3"
    [ ! -s "$TMP/tty3" ] && pass || fail "progress: a quick run showed: $(od -c "$TMP/tty3" | head -3)"
    # --stats on the terminal: the JSON line is whole, on a line of its own
    script -qc "sh -c \"$slow | '$FLOWQ' --stats '$TOP/queries/heavy-hitters.fq' >/dev/null\"" /dev/null \
        </dev/null >"$TMP/tty4"
    tr '\r' '\n' <"$TMP/tty4" | grep -qx '{"branches": .*"elapsed_ms": [0-9]*}' && pass ||
        fail "progress: --stats line broken: $(od -c "$TMP/tty4" | head -5)"
    # records printed to the terminal itself: no line in between
    script -qc "sh -c \"$slow | '$FLOWQ' --print -q -o csv\"" /dev/null </dev/null >"$TMP/tty5"
    grep -q 'records/s' "$TMP/tty5" && fail "progress: drawn over records on the terminal" || pass
fi
# not a terminal: nothing, slow or not
sh -c "$slow | '$FLOWQ' --print -q >/dev/null" 2>"$TMP/e1"
[ ! -s "$TMP/e1" ] && pass || fail "progress: shown on a pipe: $(head -c 200 "$TMP/e1")"
# --progress: forced, from the start; without a terminal a line per update
expect "progress: --progress keeps stdout clean" 0 '*' '*' \
    "$FLOWQ" --progress -o csv --stats="$TMP/st" "$TOP/queries/heavy-hitters.fq" "$T" "$T"
grep -qx 'flowq: [12]/2 files, [0-9.]* kB of 473 kB, [0-9]* records/s, 0:00 elapsed, 0:00 left' "$TMP/err" &&
    pass || fail "progress: --progress: $(cat "$TMP/err")"
grep -q 'records/s' "$TMP/out" "$TMP/st" && fail "progress: in stdout or --stats" || pass
