# Input: a generated 1000-record trace; a query of 200 000 filters
#   filter f0 { f1 } ... filter f199998 { f199999 }  filter f199999 { proto = 17 }
# used by the one branch.  Command: flowq -o csv Q.fq T.ft
# Expected: exit 0 with the same output as the query with 'proto = 17'
# written directly, or exit 3 with an error; never a signal.
"$FK" gen 1000 >"$TMP/T.ft" || exit 2
head='splitter S {}
ungrouper U {}
"input" -> S
S branch A -> f0 -> U
U -> "output"'
{ echo "$head"; echo 'filter f0 { proto = 17 }'; } >"$TMP/udp.fq"
{ echo "$head"
  awk 'BEGIN { for (i = 0; i < 199999; i++) printf "filter f%d { f%d }\n", i, i + 1
               print "filter f199999 { proto = 17 }" }'; } >"$TMP/Q.fq"
"$FLOWQ" -o csv "$TMP/udp.fq" "$TMP/T.ft" >"$TMP/want" || exit 2
"$FLOWQ" -o csv "$TMP/Q.fq" "$TMP/T.ft" >"$TMP/out" 2>"$TMP/err"
rc=$?
echo "exit $rc; stderr: $(head -c 300 "$TMP/err")"
[ "$rc" = 0 ] && cmp -s "$TMP/want" "$TMP/out" && exit 0
[ "$rc" = 3 ] && grep -q error "$TMP/err"
