# SPDX-License-Identifier: MIT
# -t START[/END]: the window's boundaries (start inclusive on etime, end
# exclusive on stime), the same records as the equivalent filter on
# stime/etime, relative times, bad windows, and time-named files and
# directories outside the window left unopened (and named with -v).
# Sourced by tests/run-all.sh with tests/lib.sh; uses $FLOWQ $FLOWQ_GEN
# $TOP $TMP.

# A query that passes every record, and one with a filter on the times.
cat >"$TMP/all.fq" <<'Q'
splitter S {}
merger M {
    branches A
}
ungrouper U {}
"input" -> S
S branch A -> M
M -> U -> "output"
Q
# win_fq S_MS E_MS: the filter that -t S/E stands for.
win_fq() {
    cat <<Q
splitter S {}
filter f-win {
    etime >= $1
    stime < $2
}
merger M {
    branches A
}
ungrouper U {}
"input" -> S
S branch A -> f-win -> M
M -> U -> "output"
Q
}
ms() { echo "$(date -u -d "$1" +%s)000"; }

T=$TOP/traces/example.ft
# ---- the same output as the filter, read once (full rows) and twice (narrow)
# END names the last second inside: 00:45:10 ends the window at 00:45:11
win_fq "$(ms 2026-11-28T00:30:00)" "$(ms 2026-11-28T00:45:11)" >"$TMP/win.fq"
"$FLOWQ" -o csv "$TMP/win.fq" "$T" >"$TMP/want"
[ "$(wc -l <"$TMP/want")" -gt 1000 ] && pass || fail "window: the filter found too little"
for rows in full narrow; do
    FLOWQ_ROWS=$rows expect "window: -t = filter ($rows rows)" 0 "$TMP/want" - \
        "$FLOWQ" -o csv -t 2026-11-28T00:30/2026-11-28T00:45:10 "$TMP/all.fq" "$T"
done
# an offset names the same instant
expect "window: +01:00 offset" 0 "$TMP/want" - \
    "$FLOWQ" -o csv -t 2026-11-28T01:30:00+01:00/2026-11-28T00:45:10Z "$TMP/all.fq" "$T"
expect "window: epoch seconds" 0 "$TMP/want" - \
    "$FLOWQ" -o csv -t "$(date -u -d 2026-11-28T00:30:00 +%s)/$(date -u -d 2026-11-28T00:45:10 +%s)" \
    "$TMP/all.fq" "$T"
expect "window: --time, RFC 3339 with a space" 0 "$TMP/want" - \
    "$FLOWQ" -o csv --time "2026-11-28 00:30:00.000Z/2026-11-28T00:45:10-00:00" "$TMP/all.fq" "$T"
# --print takes the window too
"$FLOWQ" --print -o csv "$T" | awk -F, -v s=2026-11-28T00:30:00 -v e=2026-11-28T00:45:11 \
    'NR == 1 || ($2 >= s && $1 < e)' >"$TMP/pwant"
expect "window: --print" 0 "$TMP/pwant" - \
    "$FLOWQ" --print -o csv -t 2026-11-28T00:30/2026-11-28T00:45:10 "$T"

# ---- nfdump and IPFIX input: the window applies to every format alike
# win_print FILE START END_INSIDE END_EXCL: --print -t equals the records
# the window's rule keeps, neither none nor all of them.
win_print() {
    "$FLOWQ" --print -o csv "$1" >"$TMP/fall"
    awk -F, -v s="$2" -v e="$4" 'NR == 1 || ($2 >= s && $1 < e)' "$TMP/fall" >"$TMP/fwant"
    k=$(wc -l <"$TMP/fwant"); n=$(wc -l <"$TMP/fall")
    [ "$k" -gt 2 ] && [ "$k" -lt "$n" ] && pass || fail "window: $1: $k of $n rows kept"
    expect "window: --print $(basename "$1")" 0 "$TMP/fwant" - \
        "$FLOWQ" --print -o csv -t "$2/$3" "$1"
}
win_print "$TOP/tests/data/nfdump/v5-lz4.nfcapd" 2026-11-28T00:20:00 \
    2026-11-28T00:40:00 2026-11-28T00:40:01
win_print "$TOP/tests/data/nfdump/pcap-v4v6.nfcapd" 2026-11-28T10:00:05 \
    2026-11-28T10:00:09 2026-11-28T10:00:10
win_print "$TOP/tests/data/ipfix/milli-bi.ipfix" 2023-11-14T22:13:21 \
    2023-11-14T22:13:22 2023-11-14T22:13:23
# a query over mixed formats (one input holding both streams): the same as the filter
cat "$TOP/tests/data/nfdump/v5-lz4.nfcapd" "$TOP/tests/data/ipfix/milli.ipfix" >"$TMP/mixed"
win_fq "$(ms 2026-11-28T00:20:00)" "$(ms 2026-11-28T00:40:01)" >"$TMP/win2.fq"
"$FLOWQ" -o csv "$TMP/win2.fq" "$TMP/mixed" >"$TMP/mwant"
for rows in full narrow; do
    FLOWQ_ROWS=$rows expect "window: mixed nfdump+IPFIX ($rows rows)" 0 "$TMP/mwant" - \
        "$FLOWQ" -o csv -t 2026-11-28T00:20/2026-11-28T00:40:00 \
        "$TMP/all.fq" "$TMP/mixed"
done

# ---- boundaries, on a record of known times
"$FLOWQ" --print -q -o csv --fields stime,etime --epoch "$T" | awk -F, '$2 > $1 + 1 { print; exit }' >"$TMP/rec"
IFS=, read -r st et <"$TMP/rec"
[ "$et" -gt "$st" ] && pass || fail "window: record 500 has no duration ($st $et)"
iso() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }
# has_rec WINDOW: is record 500 (by its times) in the output?
has_rec() {
    "$FLOWQ" --print -q -o csv --fields stime,etime --epoch -t "$1" "$T" | grep -qx "$st,$et"
}
has_rec "$(iso "$et")/$(iso $((et + 1)))" && pass || fail "window: START = etime must include"
has_rec "$(iso $((et + 1)))" && fail "window: START = etime + 1 must exclude" || pass
# END to the millisecond: the window ends 1 ms after it
has_rec "$(iso $((st - 2)))/$(iso $((st - 1)))" && fail "window: END = stime - 1 ms must exclude" || pass
has_rec "$(iso $((st - 1)))/$(iso "$st")" && pass || fail "window: END = stime must include"

# ---- relative starts, with now fixed by FLOWQ_NOW
FLOWQ_NOW=2026-11-28T00:50:00Z expect "window: -20m = 00:30/" 0 "$TMP/rel.want" - \
    sh -c '"$FLOWQ" --print -o csv -t 2026-11-28T00:30 "$0" >"$1.want"; "$FLOWQ" --print -o csv -t -20m "$0"' \
    "$T" "$TMP/rel"
for w in -1h -2d -90s -1w; do
    FLOWQ_NOW=2026-11-28T00:50:00Z run "$FLOWQ" --print -q -o csv -t "$w" "$T"
    [ "$rc" = 0 ] && pass || fail "window: -t $w exits $rc"
done

# usage_err NAME PATTERN CMD...: exit 2, the first stderr line matches
usage_err() {
    _n=$1 _p=$2
    shift 2
    run "$@"
    if [ "$rc" = 2 ] && [ ! -s "$TMP/out" ] && head -1 "$TMP/err" | grep -Eq -- "$_p"; then pass
    else fail "$_n: exit $rc: $(head -c 300 "$TMP/err")"; fi
}
# ---- bad windows
usage_err "window: not a time" "^flowq: -t: '2026-13-01' is not a time" \
    "$FLOWQ" --print -t 2026-13-01 "$T"
usage_err "window: backwards" "ends before it starts" \
    "$FLOWQ" --print -t 2026-11-28T01:00/2026-11-28T00:00 "$T"
expect "window: START/START is its whole minute" 0 '*' - \
    "$FLOWQ" --print -t 2026-11-28T01:00/2026-11-28T01:00 "$T"
usage_err "window: bad unit" "^flowq: -t: '-2y' is not a time" "$FLOWQ" --print -t -2y "$T"
usage_err "window: bad offset" "is not a time" "$FLOWQ" --print -t 2026-11-28T00:00+25:00 "$T"
usage_err "window: 30 February" "is not a time" "$FLOWQ" --print -t 2026-02-30 "$T"
usage_err "window: no value" "needs a value" "$FLOWQ" --print -t

# ---- files and directories skipped by their names
# A flow-capture tree: one day of six-hour files, a day before, a later day.
D=$TMP/tree
mkfile() { # DIR NAME START
    mkdir -p "$D/$1"
    "$FLOWQ_GEN" -n 400 -s 5 --no-plant --start "$3" --span 18000 -w "$D/$1/$2"
}
mkfile 2026/2026-11/2026-11-25 ft-v05.2026-11-25.000000+0000 2026-11-25T00:00:00Z
for h in 00 06 12 18; do
    mkfile 2026/2026-11/2026-11-28 ft-v05.2026-11-28.${h}0000+0000 2026-11-28T$h:00:00Z
done
mkfile 2026/2026-11/2026-11-30 ft-v05.2026-11-30.000000+0000 2026-11-30T00:00:00Z
mkfile 2026/2026-12 ft-v05.2026-12-01.010000+0100 2026-12-01T00:00:00Z
win_fq "$(ms 2026-11-28T12:30:00)" "$(ms 2026-11-28T13:00:00)" >"$TMP/win2.fq"
"$FLOWQ" -o csv "$TMP/win2.fq" "$D" >"$TMP/want2"
[ "$(wc -l <"$TMP/want2")" -gt 5 ] && pass || fail "window: tree: the filter found too little"
expect "window: tree: -t = filter" 0 "$TMP/want2" '*' \
    "$FLOWQ" -v -o csv -t 2026-11-28T12:30Z/2026-11-28T12:59:59.999Z "$TMP/all.fq" "$D"
grep '^flowq: \(reading\|skipping\)' "$TMP/err" | sed "s|$D/||" >"$TMP/files"
cat >"$TMP/files.want" <<'W'
flowq: skipping 2026/2026-11/2026-11-25 (outside the -t window by its name)
flowq: skipping 2026/2026-11/2026-11-30 (outside the -t window by its name)
flowq: skipping 2026/2026-12 (outside the -t window by its name)
flowq: skipping 2026/2026-11/2026-11-28/ft-v05.2026-11-28.000000+0000 (outside the -t window by its name)
flowq: skipping 2026/2026-11/2026-11-28/ft-v05.2026-11-28.180000+0000 (outside the -t window by its name)
flowq: reading 2026/2026-11/2026-11-28/ft-v05.2026-11-28.060000+0000
flowq: reading 2026/2026-11/2026-11-28/ft-v05.2026-11-28.120000+0000
W
if cmp -s "$TMP/files" "$TMP/files.want"; then pass; else
    fail "window: tree: files read and skipped:
$(diff "$TMP/files.want" "$TMP/files")"
fi
# skipped means never opened: an unreadable skipped file is no error
chmod 000 "$D/2026/2026-11/2026-11-28/ft-v05.2026-11-28.180000+0000"
if [ "$(id -u)" != 0 ]; then
    expect "window: a skipped file is not opened" 0 "$TMP/want2" - \
        "$FLOWQ" -o csv -t 2026-11-28T12:30Z/2026-11-28T12:59:59.999Z "$TMP/all.fq" "$D"
fi
chmod 644 "$D/2026/2026-11/2026-11-28/ft-v05.2026-11-28.180000+0000"
# an open end reads every later file, an early window the earliest
"$FLOWQ" -o csv "$TMP/all.fq" "$D" >/dev/null
win_fq "$(ms 2026-11-29T00:00:00)" 99999999999999 >"$TMP/win3.fq"
"$FLOWQ" -o csv "$TMP/win3.fq" "$D" >"$TMP/want3"
expect "window: tree: open end" 0 "$TMP/want3" - \
    "$FLOWQ" -o csv -t 2026-11-29 "$TMP/all.fq" "$D"
# nfcapd names (local time) are read the same way
mkdir -p "$TMP/nf"
cp "$D/2026/2026-11/2026-11-28/ft-v05.2026-11-28.060000+0000" "$TMP/nf/nfcapd.202611280600"
cp "$D/2026/2026-11/2026-11-28/ft-v05.2026-11-28.120000+0000" "$TMP/nf/nfcapd.202611281200"
TZ=UTC expect "window: nfcapd names" 0 '*' '*' \
    "$FLOWQ" -v --print -q -t 2026-11-28T00:00/2026-11-28T04:00 "$TMP/nf"
grep -c '^flowq: skipping .*nfcapd.202611281200 ' "$TMP/err" | grep -qx 1 && pass ||
    fail "window: nfcapd.202611281200 not skipped: $(cat "$TMP/err")"
