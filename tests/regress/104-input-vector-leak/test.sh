# Input: a 100-record generated trace, and the same cut inside a record.
# Commands: flowq --print T.ft; flowq --print T.ft CUT.ft
# Expected: exit 0 with nothing on stderr; exit 4 with exactly one line.
# Only an ASan build can see the leak; with the plain build this passes.
"$FK" gen 100 >"$TMP/T.ft" || exit 2
head -c 1000 "$TMP/T.ft" >"$TMP/CUT.ft"
"$FLOWQ" --print "$TMP/T.ft" >/dev/null 2>"$TMP/err"
rc=$?
echo "one input: exit $rc; stderr: $(head -c 300 "$TMP/err")"
[ "$rc" = 0 ] && [ ! -s "$TMP/err" ] || exit 1
"$FLOWQ" --print "$TMP/T.ft" "$TMP/CUT.ft" >/dev/null 2>"$TMP/err"
rc=$?
echo "two inputs: exit $rc; stderr: $(head -c 300 "$TMP/err")"
[ "$rc" = 4 ] && [ "$(wc -l <"$TMP/err")" = 1 ]
