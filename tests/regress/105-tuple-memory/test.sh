# Input: a 250-record generated trace; the query: three branches, no
# filters, no rules (cross product, 250^3 tuples).  Command:
#   faultkit maxrss RSS flowq --max-tuples 0 -o csv Q.fq T.ft
# Expected: exit 0, the 250 records once each, peak RSS < 64 MiB.
case ${BUILD:-build} in build) ;; *) echo "skipped: sanitizer build"; exit 0 ;; esac
"$FK" gen 250 >"$TMP/T.ft" || exit 2
cat >"$TMP/Q.fq" <<'Q'
splitter S {}
merger M { branches A, B, C }
ungrouper U {}
"input" -> S
S branch A -> M
S branch B -> M
S branch C -> M
M -> U -> "output"
Q
"$FK" maxrss "$TMP/rss" "$FLOWQ" --max-tuples 0 -o csv "$TMP/Q.fq" "$TMP/T.ft" >"$TMP/out" 2>"$TMP/err"
rc=$?
kb=$(cat "$TMP/rss")
echo "exit $rc; peak RSS $kb KiB; $(wc -l <"$TMP/out") lines; stderr: $(head -c 200 "$TMP/err")"
[ "$rc" = 0 ] && [ "$(wc -l <"$TMP/out")" = 251 ] && [ "$kb" -lt 65536 ]
