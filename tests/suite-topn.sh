# SPDX-License-Identifier: MIT
# -c N (records, group rows, "cut" in --stats, -w), -g --sort/--limit
# (orders, ties by group number, the heap of --limit = the head of the full
# sort), their usage errors, and queries/top-talkers.fq's top 10 against
# nfdump -A srcip -O bytes on the same records (when nfdump is installed).
# Sourced by tests/run-all.sh with tests/lib.sh; uses $FLOWQ $FLOWQ_GEN
# $TOP $TMP.

T=$TOP/traces/example.ft
TT=$TOP/queries/top-talkers.fq
ustats() { tail -n 1 "$1" | sed 's/.*"ungrouper": \({[^}]*}\).*/\1/'; }

# ---- -c: the first N of the same output
"$FLOWQ" --print -o csv "$T" | head -n 8 >"$TMP/c7"
expect "count: --print -c 7" 0 "$TMP/c7" - "$FLOWQ" --print -o csv -c 7 "$T"
"$FLOWQ" -o csv "$TOP/queries/heavy-hitters.fq" "$T" >"$TMP/hh"
head -n 3 "$TMP/hh" >"$TMP/hh2"
# whole rows, and narrow ones whose records are read again to be written
for rows in full narrow; do
    expect "count: query -c 2, rows $rows" 0 "$TMP/hh2" '*' \
        env FLOWQ_ROWS=$rows "$FLOWQ" -o csv -c 2 --stats "$TOP/queries/heavy-hitters.fq" "$T"
    [ "$(ustats "$TMP/err")" = '{"records": 2, "cut": true}' ] && pass ||
        fail "count: stats, rows $rows: $(cat "$TMP/err")"
done
n=$(($(wc -l <"$TMP/hh") - 1))
expect "count: -c = all" 0 "$TMP/hh" '*' "$FLOWQ" -o csv -c "$n" --stats "$TOP/queries/heavy-hitters.fq" "$T"
grep -q '"cut": false' "$TMP/err" && pass || fail "count: -c = all says cut: $(cat "$TMP/err")"
"$FLOWQ" -o csv "$TOP/queries/heavy-hitters.fq" "$T" >/dev/null --stats 2>"$TMP/nocut"
grep -q '"cut"' "$TMP/nocut" && fail "count: cut without -c" || pass
# -g: group rows
"$FLOWQ" -g -o csv "$TOP/queries/dns-udp.fq" "$T" >"$TMP/g"
head -n 4 "$TMP/g" >"$TMP/g3"
expect "count: -g -c 3" 0 "$TMP/g3" '*' "$FLOWQ" -g -o csv -c 3 --stats "$TOP/queries/dns-udp.fq" "$T"
[ "$(ustats "$TMP/err")" = '{"records": 3, "cut": true}' ] && pass || fail "count: -g stats: $(cat "$TMP/err")"
# json stays a whole document; -w renames into place
"$FLOWQ" --print -o json -c 2 "$T" >"$TMP/j"
[ "$(head -c 1 "$TMP/j")$(tail -n 1 "$TMP/j")" = "[]" ] && [ "$(wc -l <"$TMP/j")" = 4 ] && pass ||
    fail "count: json: $(cat "$TMP/j")"
rm -f "$TMP/w.csv"
"$FLOWQ" -o csv -c 7 -w "$TMP/w.csv" "$TOP/queries/heavy-hitters.fq" "$T"
head -n 8 "$TMP/hh" | cmp -s - "$TMP/w.csv" && pass || fail "count: -w FILE"
# the run ends early: --print over a pipe that never ends still stops
# (streams concatenated without end; cat dies of the closed pipe)
if while cat "$T"; do :; done 2>/dev/null | timeout 20 "$FLOWQ" --print -q -c 5 >"$TMP/early"; then
    [ "$(wc -l <"$TMP/early")" = 5 ] && pass || fail "count: early end wrote $(wc -l <"$TMP/early")"
else fail "count: -c 5 did not end the run early"; fi
for bad in 0 -1 x; do
    run "$FLOWQ" --print -c "$bad" "$T"
    [ "$rc" = 2 ] && head -1 "$TMP/err" | grep -q "^flowq: -c needs a count" && pass ||
        fail "count: -c $bad: $rc $(cat "$TMP/err")"
done

# ---- --sort: full output sorted by the named columns
# sorted_ref KEYSPEC: the unsorted csv rows sorted by sort(1) with KEYSPEC,
# group number (column 3) breaking ties.
"$FLOWQ" -g -o csv "$TT" "$T" >"$TMP/tt"
sorted_ref() { { head -n 1 "$TMP/tt"; sed 1d "$TMP/tt" | sort -t, "$@" -k3,3n; }; }
# columns: tuple,branch,group,stime,etime,records,srcip,bytes,packets,flows
sorted_ref -k8,8nr >"$TMP/s1"
expect "sort: bytes:desc" 0 "$TMP/s1" - "$FLOWQ" -g -o csv --sort bytes:desc "$TT" "$T"
sorted_ref -k10,10n >"$TMP/s2"
expect "sort: flows (ascending, ties by group)" 0 "$TMP/s2" - "$FLOWQ" -g -o csv --sort flows "$TT" "$T"
sorted_ref -k10,10nr -k9,9n >"$TMP/s3"
expect "sort: flows:desc,packets:asc" 0 "$TMP/s3" - \
    "$FLOWQ" -g -o csv --sort flows:desc,packets:asc "$TT" "$T"
sorted_ref -k10,10nr -k9,9nr >"$TMP/s4"
expect "sort: flows,packets:desc (the list's direction)" 0 "$TMP/s4" - \
    "$FLOWQ" -g -o csv --sort flows,packets:desc "$TT" "$T"
# ties: many sources have one flow; their order is the group number's
awk -F, 'NR > 1 && $10 == 1' "$TMP/s2" | cut -d, -f3 >"$TMP/ties"
[ "$(wc -l <"$TMP/ties")" -gt 100 ] && sort -n -c "$TMP/ties" && pass ||
    fail "sort: ties not in group-number order"
# --limit: a heap of N gives the head of the full sort, for every N
for n in 1 2 10 57 100000; do
    head -n $((n + 1)) "$TMP/s3" >"$TMP/l"
    expect "sort: --limit $n" 0 "$TMP/l" - \
        "$FLOWQ" -g -o csv --sort flows:desc,packets:asc --limit $n "$TT" "$T"
done
# with -c: the first rows of the sorted output
head -n 4 "$TMP/s1" >"$TMP/lc"
expect "sort: --limit 10 -c 3" 0 "$TMP/lc" - "$FLOWQ" -g -o csv --sort bytes:desc --limit 10 -c 3 "$TT" "$T"
# several branches and no rows
"$FLOWQ" -g -o csv "$TOP/queries/dns-udp.fq" "$T" >"$TMP/d"
{ head -n 1 "$TMP/d"; sed 1d "$TMP/d" | sort -t, -k9,9n -k3,3n; } >"$TMP/ds"
expect "sort: two branches by packets" 0 "$TMP/ds" - \
    "$FLOWQ" -g -o csv --sort packets "$TOP/queries/dns-udp.fq" "$T"
"$FLOWQ" -g -o csv -t 2030-01-01 "$TT" "$T" >"$TMP/e"
expect "sort: no rows, the header" 0 "$TMP/e" - "$FLOWQ" -g -o csv -t 2030-01-01 --sort bytes "$TT" "$T"
# usage
for args in "--sort bytes" "-g --limit 3" "-g --sort bytes:up" "-g --sort ," "-g --sort bytes --limit 0" \
    "-g --sort nosuch"; do
    # shellcheck disable=SC2086
    run "$FLOWQ" $args "$TT" "$T"
    [ "$rc" = 2 ] && [ ! -s "$TMP/out" ] && pass || fail "sort: $args: exit $rc: $(head -c 200 "$TMP/err")"
done

# ---- top talkers = nfdump -A srcip -O bytes, on nfcapd's copy of a trace
if command -v nfdump >/dev/null && command -v nfcapd >/dev/null; then
    "$FLOWQ_GEN" -n 20000 -s 17 -w "$TMP/tt.ft"
    mkdir -p "$TMP/nf"
    port=$((30000 + $$ % 20000))
    for try in 1 2 3 4 5; do
        rm -f "$TMP/nfcapd.pid"
        nfcapd -b 127.0.0.1 -p "$port" -w "$TMP/nf" -t 86400 -B 4000000 -P "$TMP/nfcapd.pid" -D \
            >/dev/null 2>&1 && break
        port=$((port + 7))
    done
    sleep 1
    "$FLOWQ_GEN" -n 20000 -s 17 --export "127.0.0.1:$port" --rate 200000
    sleep 2
    [ -s "$TMP/nfcapd.pid" ] && kill "$(cat "$TMP/nfcapd.pid")"
    sleep 2
    nfdump -R "$TMP/nf" -A srcip -O bytes -n 10 -N -q -o 'fmt:%sa %byt' 2>"$TMP/nferr" |
        awk '{ print $1, $2 }' >"$TMP/nf.top"
    "$FLOWQ" -g -q -o csv --sort bytes:desc --limit 10 "$TT" "$TMP/tt.ft" |
        awk -F, '{ print $7, $8 }' >"$TMP/fq.top"
    # Ties may be listed in either order: the byte counts must be the same
    # list, and the sources above the tenth count the same set.
    if [ "$(wc -l <"$TMP/nf.top")" = 10 ] &&
        [ "$(cut -d' ' -f2 "$TMP/nf.top")" = "$(cut -d' ' -f2 "$TMP/fq.top")" ]; then pass; else
        fail "top-talkers: bytes differ from nfdump's:
$(paste "$TMP/nf.top" "$TMP/fq.top") $(head -c 300 "$TMP/nferr")"
    fi
    tenth=$(tail -n 1 "$TMP/fq.top" | cut -d' ' -f2)
    above() { awk -v t="$tenth" '$2 > t { print $1 }' "$1" | sort; }
    [ "$(above "$TMP/nf.top")" = "$(above "$TMP/fq.top")" ] && [ -n "$(above "$TMP/fq.top")" ] && pass ||
        fail "top-talkers: sources differ from nfdump's"
fi
