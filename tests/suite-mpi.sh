# SPDX-License-Identifier: MIT
# flowq-mpi: `mpirun -n N flowq-mpi ARGS` gives flowq's output, statistics,
# messages and exit status byte for byte, for N = 1, 2, 3, on a generated
# directory of four files of different sizes (so that every rank count
# deals them differently): every query in queries/, -g (with --sort and
# --limit), the output formats, -c, -e, -t, -w, --files-from, --print,
# global rec_ids, records sent in several messages; and the errors: a
# missing operand, corrupt files in different ranks' shares (the earliest
# in walk order is the one reported), a foreign file, --max-tuples, a
# query error, standard input.  Skipped (with a note) when mpirun or
# $BUILD/flowq-mpi is absent.  Sourced by tests/run-all.sh with
# tests/lib.sh; uses $FLOWQ $FLOWQ_GEN $TOP $BUILD $TMP.

MPI_BIN="$TOP/$BUILD/flowq-mpi"
if ! command -v mpirun >/dev/null 2>&1 || [ ! -x "$MPI_BIN" ]; then
    echo "note: suite-mpi: mpirun or $BUILD/flowq-mpi absent; MPI tests skipped"
else

# -q: no notices of mpirun's own about the exit status
MPIRUN="mpirun -q --oversubscribe"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"

# mpi_same NAME ARGS...: flowq ARGS, then flowq-mpi ARGS under 1, 2 and 3
# ranks, run in $TMP/mpi (relative names in messages); stdout, stderr
# (--stats' elapsed_ms aside) and the exit status must be the same.
mpi_same() {
    _n=$1
    shift
    (cd "$TMP/mpi" && "$FLOWQ" "$@" >"$TMP/f.out" 2>"$TMP/f.err")
    _frc=$?
    sed 's/"elapsed_ms": [0-9]*/"elapsed_ms": T/' "$TMP/f.err" >"$TMP/f.errs"
    for _r in 1 2 3; do
        (cd "$TMP/mpi" && $MPIRUN -n $_r "$MPI_BIN" "$@" >"$TMP/m.out" 2>"$TMP/m.err")
        _mrc=$?
        sed 's/"elapsed_ms": [0-9]*/"elapsed_ms": T/' "$TMP/m.err" >"$TMP/m.errs"
        _why=""
        [ "$_frc" = "$_mrc" ] || _why="exit $_mrc, flowq $_frc"
        cmp -s "$TMP/f.out" "$TMP/m.out" || _why="$_why; stdout differs"
        cmp -s "$TMP/f.errs" "$TMP/m.errs" ||
            _why="$_why; stderr differs: $(head -c 300 "$TMP/m.err")"
        if [ -z "$_why" ]; then pass; else fail "mpi: $_n, -n $_r: $_why"; fi
    done
}

# mpi_rc NAME RC ARGS...: also flowq's status must be RC (the test means it)
mpi_rc() {
    _n=$1 _want=$2
    shift 2
    mpi_same "$_n" "$@"
    [ "$_frc" = "$_want" ] && pass || fail "mpi: $_n: flowq exit $_frc, expected $_want"
}

D="$TMP/mpi"
mkdir -p "$D/d"
"$FLOWQ_GEN" -n 6000 -s 1 --start 2026-11-28T00:00:00Z -w "$D/d/a.ft"
"$FLOWQ_GEN" -n 12000 -s 2 --start 2026-11-28T00:30:00Z -w "$D/d/b.ft"
"$FLOWQ_GEN" -n 3000 -s 3 --start 2026-11-28T01:00:00Z -w "$D/d/c.ft"
"$FLOWQ_GEN" -n 9000 -s 4 --start 2026-11-28T01:10:00Z -w "$D/d/d.ft"

for q in "$TOP"/queries/*.fq; do
    mpi_rc "$(basename "$q")" 0 --stats "$q" d
done
Q="$TOP/queries/tcp-session.fq"
T="$TOP/queries/top-talkers.fq"
mpi_rc "-g" 0 -g --stats "$Q" d
mpi_rc "-g --sort --limit" 0 -g --sort bytes:desc --limit 4 "$T" d
mpi_rc "-g -o json" 0 -g -o json "$TOP/queries/ssh-bruteforce.fq" d
mpi_rc "-o json -c" 0 -o json -c 7 --stats "$Q" d
mpi_rc "-o ndjson" 0 -o ndjson "$TOP/queries/port-scan.fq" d
mpi_rc "-o csv, global rec_id" 0 -o csv --fields rec_id,srcip,dstip,stime "$T" d
mpi_rc "-o tsv -q --epoch" 0 -o tsv -q --epoch "$Q" d/c.ft d/a.ft
mpi_rc "-o ft" 0 -o ft -z 6 "$Q" d
mpi_rc "-t window" 0 -t 2026-11-28T00:40Z/2026-11-28T01:05Z --stats -o csv "$T" d
mpi_rc "-e, nothing" 1 -e -t 2026-12-01 "$Q" d
mpi_rc "files named twice" 0 -o csv "$Q" d/d.ft d d/a.ft
mkdir -p "$D/empty"
mpi_rc "a directory without traces" 0 --stats "$Q" empty
(cd "$D" && ls d/*.ft >list)
mpi_rc "--files-from" 0 --files-from list -o csv "$Q"
mpi_rc "--max-tuples" 5 --max-tuples 1 "$Q" d
mpi_rc "--print" 0 --print -c 100 -o csv d

# more kept records than one message carries (32768): sent in several
mkdir -p "$D/big"
"$FLOWQ_GEN" -n 40000 -s 11 --start 2026-11-28T00:00:00Z -w "$D/big/f1.ft"
"$FLOWQ_GEN" -n 40000 -s 12 --start 2026-11-28T01:00:00Z -w "$D/big/f2.ft"
mpi_rc "records in several messages" 0 --stats -o csv --fields rec_id,stime,srcip,bytes "$T" big

# -w: rank 0 alone writes the file
rm -f "$D/w.ft" "$D/wm.ft"
(cd "$D" && "$FLOWQ" -o ft -w w.ft "$Q" d)
(cd "$D" && $MPIRUN -n 3 "$MPI_BIN" -o ft -w wm.ft "$Q" d)
if cmp -s "$D/w.ft" "$D/wm.ft" && [ -z "$(ls "$D" | grep -F .tmp-)" ]; then pass; else
    fail "mpi: -w: the file differs from flowq's, or a temporary file is left"
fi
mpi_rc "-w file exists" 5 -o ft -w w.ft "$Q" d

# ---- errors: one message, flowq's status
mpi_rc "missing operand" 4 "$Q" d nosuch.ft
mkdir -p "$D/e1" "$D/e2" "$D/e3"
cp "$D"/d/*.ft "$D/e1/"
cp "$D"/d/*.ft "$D/e2/"
cp "$D"/d/*.ft "$D/e3/"
head -c 300000 "$D/d/d.ft" >"$D/e1/d.ft"     # the last rank's share
head -c 100000 "$D/d/c.ft" >"$D/e2/c.ft"     # c and d: c is reported
head -c 200000 "$D/d/d.ft" >"$D/e2/d.ft"
head -c 50000 "$D/d/b.ft" >"$D/e3/b.ft"      # b and d: b is reported
head -c 70000 "$D/d/d.ft" >"$D/e3/d.ft"
mpi_rc "truncated last file" 4 "$Q" e1
mpi_rc "two corrupt files" 4 --stats "$Q" e2
mpi_rc "two corrupt files, -g" 4 -g "$Q" e3
echo "not flows" >"$D/e3/README"
mkdir -p "$D/e4"
cp "$D/d/a.ft" "$D/d/c.ft" "$D/e4/"
echo "not flows" >"$D/e4/b.txt"
mpi_rc "foreign file in a directory" 0 --stats "$Q" e4
mpi_rc "foreign file named" 4 "$Q" e4/b.txt d
printf 'branch A { filter { nosuchfield = 1 } }\n' >"$D/bad.fq"
mpi_rc "query error" 3 bad.fq d
mpi_rc "usage error" 2 -c 0 "$Q" d

# A rank that dies (killed while the job waits for a FIFO nobody writes):
# mpirun ends the job with the killed rank's status, 128 +
# the signal, names the rank on standard error, and no -w file is left.
mkdir -p "$D/k"
cp "$D/d/a.ft" "$D/k/a.ft"
mkfifo "$D/k/z.ft"
(cd "$D" && exec timeout 60 mpirun --oversubscribe $([ "$(id -u)" = 0 ] && echo --allow-run-as-root) \
    -n 2 "$MPI_BIN" -w k.out "$Q" k/a.ft k/z.ft >"$TMP/k.out" 2>"$TMP/k.err") &
_job=$!
_pid=""
for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ "$(pgrep -f "$MPI_BIN -w k.out" | wc -l)" -ge 2 ] && break
    sleep 0.5
done
sleep 1
_pid=$(pgrep -n -f "$MPI_BIN -w k.out")
[ -n "$_pid" ] && kill -9 "$_pid"
wait $_job
rc=$?
if [ -n "$_pid" ] && [ "$rc" = 137 ] && [ ! -e "$D/k.out" ] &&
    ! ls "$D"/k.out.* >/dev/null 2>&1 && grep -q "exited on signal 9" "$TMP/k.err"; then
    pass
else
    fail "mpi: a rank killed: pid '$_pid', exit $rc: $(head -c 300 "$TMP/k.err")"
fi

# standard input is rank 0's alone: refused, one message
run $MPIRUN -n 2 "$MPI_BIN" "$Q" - <"$D/d/a.ft"
if [ "$rc" = 2 ] && [ ! -s "$TMP/out" ] &&
    [ "$(sed 1q "$TMP/err")" = "flowq: flowq-mpi reads the query, --files-from and traces from files: standard input is not shared with the other ranks" ] &&
    [ "$(sed 1d "$TMP/err")" = "Try 'flowq --help' for more information." ]; then
    pass
else
    fail "mpi: trace from standard input: exit $rc: $(head -c 300 "$TMP/err")"
fi

fi
