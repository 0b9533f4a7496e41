# Shared helpers for the end-to-end suites (sourced by tests/run-all.sh).
# A suite calls pass/fail; the runner counts.  Every comparison is of
# full outputs, byte for byte.
#
# Variables: FLOWQ, FLOWQ_GEN (binaries), TOP (source tree), SHARED
# (../shared when present, else empty), TMP (scratch dir for this suite).

pass() { echo "pass" >>"$RESULTS"; }
fail() {
    echo "fail" >>"$RESULTS"
    echo "FAIL: $*" >&2
}

# run CMD...: run, leaving stdout in $TMP/out, stderr in $TMP/err, status in $rc
run() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}

# expect NAME RC OUTFILE ERRFILE CMD...: status, stdout and stderr exactly
# as given; use - for an output that must be empty, '*' to not check it.
expect() {
    _name=$1 _rc=$2 _out=$3 _err=$4
    shift 4
    run "$@"
    _why=""
    [ "$rc" = "$_rc" ] || _why="exit $rc, expected $_rc"
    if [ "$_out" = - ]; then
        [ -s "$TMP/out" ] && _why="$_why; unexpected stdout"
    elif [ "$_out" != '*' ]; then
        cmp -s "$_out" "$TMP/out" || _why="$_why; stdout differs from $_out"
    fi
    if [ "$_err" = - ]; then
        [ -s "$TMP/err" ] && _why="$_why; unexpected stderr: $(head -c 300 "$TMP/err")"
    elif [ "$_err" != '*' ]; then
        cmp -s "$_err" "$TMP/err" || _why="$_why; stderr differs from $_err: $(head -c 300 "$TMP/err")"
    fi
    if [ -z "$_why" ]; then pass; else fail "$_name: $_why"; fi
}

# expect_err NAME RC PATTERN CMD...: status, empty stdout is not required;
# stderr is one line matching the grep -E pattern.
expect_err() {
    _name=$1 _rc=$2 _pat=$3
    shift 3
    run "$@"
    _why=""
    [ "$rc" = "$_rc" ] || _why="exit $rc, expected $_rc"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || _why="$_why; stderr is not one line"
    grep -Eq -- "$_pat" "$TMP/err" || _why="$_why; stderr does not match /$_pat/"
    if [ -z "$_why" ]; then pass; else fail "$_name: $_why: $(head -c 300 "$TMP/err")"; fi
}
