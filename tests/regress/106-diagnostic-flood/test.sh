# Input: a query whose filter is 2000 times 'srcport = 70000 ' on one line.
# Command: flowq -n Q.fq
# Expected: exit 3 within 10 s, less than 1 MiB on stderr.
{ printf 'splitter S {}\nungrouper U {}\n"input" -> S\nS branch A -> f -> U\nU -> "output"\nfilter f { '
  awk 'BEGIN { for (i = 0; i < 2000; i++) printf "srcport = 70000 "; print "}" }'; } >"$TMP/Q.fq"
{ timeout 10 "$FLOWQ" -n "$TMP/Q.fq" 2>&1 >/dev/null; echo $? >"$TMP/rc"; } | head -c 1048577 >"$TMP/err"
rc=$(cat "$TMP/rc")
n=$(wc -c <"$TMP/err")
echo "exit $rc (124: timed out); $n bytes of stderr (capped at 1048577)"
[ "$rc" = 3 ] && [ "$n" -lt 1048576 ]
