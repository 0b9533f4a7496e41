# Input: a 1000-record generated trace.  Commands:
#   flowq --print T.ft >/dev/full
#   flowq --print -o csv -w MNT/out.csv T.ft     (MNT: a 64 KiB tmpfs; root only)
# Expected: exit 5 and one line naming the destination.
"$FK" gen 1000 >"$TMP/T.ft" || exit 2
"$FLOWQ" --print "$TMP/T.ft" >/dev/full 2>"$TMP/err"
rc=$?
echo "stdout: exit $rc; stderr: $(cat "$TMP/err")"
[ "$rc" = 5 ] && [ "$(cat "$TMP/err")" = "flowq: standard output: write error: No space left on device" ] || exit 1
[ "$(id -u)" = 0 ] || exit 0
mkdir -p "$TMP/mnt"
mount -t tmpfs -o size=64k tmpfs "$TMP/mnt" 2>/dev/null || exit 0
"$FK" gen 20000 >"$TMP/T.ft"
"$FLOWQ" --print -o csv -w "$TMP/mnt/out.csv" "$TMP/T.ft" 2>"$TMP/err"
rc=$?
umount "$TMP/mnt"
echo "-w: exit $rc; stderr: $(cat "$TMP/err")"
[ "$rc" = 5 ] && [ "$(cat "$TMP/err")" = "flowq: $TMP/mnt/out.csv: write error: No space left on device" ]
