# Input: a 200 000-record v5 trace (12.8 MB, generated); command:
#   faultkit shrink T.ft 3000000 flowq --print -o csv T.ft
# (truncates T.ft to 3 MB as soon as flowq has written its first output).
# Expected: exit 4, one stderr line naming T.ft and a byte offset, CSV rows whole.
"$FK" gen 200000 >"$TMP/T.ft" || exit 2
"$FK" shrink "$TMP/T.ft" 3000000 "$FLOWQ" --print -o csv "$TMP/T.ft" >"$TMP/out" 2>"$TMP/err"
rc=$?
echo "exit $rc; stderr: $(head -c 300 "$TMP/err")"
[ "$rc" = 4 ] || exit 1
[ "$(wc -l <"$TMP/err")" = 1 ] && grep -Eq 'T\.ft: .*byte [0-9]+' "$TMP/err" || exit 1
[ "$(tail -c 1 "$TMP/out" | od -An -c | tr -d ' ')" = '\n' ] || exit 1
awk -F, 'NF != 22 { exit 1 }' "$TMP/out"
