# SPDX-License-Identifier: MIT
# The documentation tells the truth: the options of 'flowq --help' and of
# flowq(1) are the same (and likewise for flowq-gen), every record field is
# in flowq(5), the man pages lint clean, and the examples marked runnable
# in flowq(1) and README.md run and exit as documented.
# Sourced by tests/run-all.sh with tests/lib.sh; uses $FLOWQ $FLOWQ_GEN
# $TOP $BUILD $TMP.

# Option items of a --help text: one line per option, its names joined by
# blanks ("-n --check", "--dump-rules").
docs_help_opts() {
    sed -n 's/^  *\(-[A-Za-z0-9]\), \(--[a-z][a-z0-9-]*\).*/\1 \2/p
            s/^  *\(--[a-z][a-z0-9-]*\).*/\1/p' | sort
}

# Option items of the OPTIONS section of a man page, in the same form:
# every '.It Fl ...' line, its Fl arguments turned back into options.
docs_man_opts() {
    awk '/^\.Sh /{ in_opts = ($2 == "OPTIONS") }
         in_opts && /^\.It Fl / {
             out = ""
             for (i = 2; i < NF; i++)
                 if ($i == "Fl") {
                     o = $(i + 1); sub(/^\\/, "", o)
                     out = out (out == "" ? "" : " ") "-" o
                 }
             print out
         }' "$1" | sort
}

# docs_same_opts NAME HELPFILE MANPAGE: both lists equal, each difference
# reported.
docs_same_opts() {
    docs_help_opts <"$2" >"$TMP/help.opts"
    docs_man_opts "$3" >"$TMP/man.opts"
    if [ ! -s "$TMP/help.opts" ]; then
        fail "$1: no options found in --help"
    elif cmp -s "$TMP/help.opts" "$TMP/man.opts"; then
        pass
    else
        fail "$1: options differ between --help (<) and $(basename "$3") OPTIONS (>):
$(diff "$TMP/help.opts" "$TMP/man.opts" | grep '^[<>]')"
    fi
}

# roff escapes that runnable examples may contain
docs_unroff() {
    sed -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' -e 's/\\(dq/"/g' -e 's/\\e/\\/g' -e 's/\\&//g'
}

# A scratch directory that looks like the source tree for the examples:
# queries/, traces/ and build/ point at the real ones; files written by an
# example stay here.
docs_sandbox() {
    rm -rf "$TMP/run"
    mkdir -p "$TMP/run"
    ln -s "$TOP/queries" "$TMP/run/queries"
    ln -s "$TOP/traces" "$TMP/run/traces"
    ln -s "$TOP/tests" "$TMP/run/tests"
    ln -s "$(dirname "$FLOWQ")" "$TMP/run/build"
}

# docs_same_output EXPECTED ACTUAL: equal but for the run time of --stats.
docs_same_output() {
    sed 's/"elapsed_ms": [0-9]*/"elapsed_ms": N/' "$1" >"$TMP/cmp.exp"
    sed 's/"elapsed_ms": [0-9]*/"elapsed_ms": N/' "$2" >"$TMP/cmp.out"
    cmp -s "$TMP/cmp.exp" "$TMP/cmp.out"
}

# A pipeline's status is that of its last command; with bash, any failing
# command of an example's pipeline fails it.
docs_sh=sh
command -v bash >/dev/null 2>&1 && docs_sh="bash -o pipefail"

# docs_run NAME RC SCRIPT [EXPECTED]: run SCRIPT with sh -e in the sandbox,
# build/ first in PATH; check the status and, if given, stdout exactly.
docs_run() {
    docs_sandbox
    { echo "set -e"; cat "$3"; } >"$TMP/ex.sh"
    (cd "$TMP/run" && PATH="$(dirname "$FLOWQ"):$PATH" $docs_sh "$TMP/ex.sh" </dev/null \
        >"$TMP/ex.out" 2>"$TMP/ex.err")
    _rc=$?
    if [ "$_rc" != "$2" ]; then
        fail "$1: exit $_rc, expected $2: $(tr '\n' ' ' <"$3" | head -c 200): $(head -c 300 "$TMP/ex.err")"
    elif [ -n "$4" ] && ! docs_same_output "$4" "$TMP/ex.out"; then
        fail "$1: output differs from the documented one:
$(diff "$4" "$TMP/ex.out" | head -20)"
    else
        pass
    fi
}

# ---- (a) options: --help and OPTIONS agree --------------------------------
"$FLOWQ" --help >"$TMP/flowq.help" 2>&1
docs_same_opts "flowq" "$TMP/flowq.help" "$TOP/man/flowq.1"

if "$FLOWQ_GEN" --help >"$TMP/gen.help" 2>&1; then
    docs_same_opts "flowq-gen" "$TMP/gen.help" "$TOP/man/flowq-gen.1"
else
    fail "flowq-gen --help does not exit 0"
fi

# The exit statuses that --help names are those of EXIT STATUS.
docs_same_status() {
    _h=$(sed -n '/^Exit status:/,$p' "$2" | grep -o '[0-9] [a-z]' | cut -c1 | sort -u | tr '\n' ' ')
    _m=$(sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$3" | sed -n 's/^\.It \([0-9]\)$/\1/p' | sort -u | tr '\n' ' ')
    if [ -n "$_h" ] && [ "$_h" = "$_m" ]; then pass; else
        fail "$1: exit statuses in --help ($_h) and EXIT STATUS ($_m) differ"
    fi
}
docs_same_status flowq "$TMP/flowq.help" "$TOP/man/flowq.1"
docs_same_status flowq-gen "$TMP/gen.help" "$TOP/man/flowq-gen.1"

# Every record field and alias of --help-fields is in flowq(5).
"$FLOWQ" --help-fields | awk 'NF == 0 { exit } NR > 1 { print $1; if ($4 != "-") for (i = 4; i <= NF; i++) { if ($i ~ /,$/) { sub(/,$/, "", $i); print $i } else { print $i; break } } }' \
    >"$TMP/fields"
# the "Record fields" subsection of flowq(5)
sed -n '/^\.Ss Record fields/,/^\.S[sh] /p' "$TOP/man/flowq.5" >"$TMP/fieldsec"
_missing=""
while read -r _f; do
    grep -qw -- "$_f" "$TMP/fieldsec" || _missing="$_missing $_f"
done <"$TMP/fields"
if [ ! -s "$TMP/fields" ]; then
    fail "flowq --help-fields lists no fields"
elif [ -n "$_missing" ]; then
    fail "fields missing from man/flowq.5:$_missing"
else
    pass
fi

# flowq(1) has the sections users look for, in this order.
_want="NAME SYNOPSIS DESCRIPTION OPTIONS INPUT OUTPUT_FORMATS TIME_FORMATS ENVIRONMENT EXIT_STATUS EXAMPLES DIAGNOSTICS SEE_ALSO BUGS"
_have=$(sed -n 's/^\.Sh //p' "$TOP/man/flowq.1" | tr ' ' _ | tr '\n' ' ' | sed 's/ $//')
if [ "$_have" = "$_want" ]; then pass; else fail "flowq.1 sections: $_have"; fi

# Every example query is introduced in the README.
_missing=""
for _q in "$TOP"/queries/*.fq; do
    [ -f "$_q" ] || continue
    grep -q "$(basename "$_q")" "$TOP/README.md" || _missing="$_missing $(basename "$_q")"
done
if [ -z "$_missing" ]; then pass; else fail "queries not in README.md:$_missing"; fi

# ---- man pages render without warnings -------------------------------------
if command -v mandoc >/dev/null 2>&1; then
    for _p in "$TOP"/man/*.[15]; do
        if mandoc -T lint -W warning "$_p" >"$TMP/lint" 2>&1 && [ ! -s "$TMP/lint" ]; then
            pass
        else
            fail "mandoc -T lint $(basename "$_p"): $(head -c 400 "$TMP/lint")"
        fi
    done
fi

# ---- (b) the EXAMPLES of flowq(1) and flowq-gen(1) ------------------------
# A '.\" run' or '.\" run: exit N' comment marks the next .Dl line (or
# .Bd -literal block) as runnable; '.\" not run: WHY' exempts the .Dl lines
# that follow.  Every .Dl there must be one or the other.
docs_examples() {
    _page=$1 _min=$2 _tag=$(basename "$1")
    rm -f "$TMP"/ex*.sh "$TMP"/ex*.rc "$TMP/ex.unmarked"
    awk -v dir="$TMP" '
        /^\.Sh /      { ex = ($2 == "EXAMPLES"); next }
        !ex           { next }
        /^\.\\" run/  { rc = 0; if (match($0, /exit [0-9]+/)) rc = substr($0, RSTART + 5, RLENGTH - 5)
                        pend = 1; skip = 0; next }
        /^\.\\" not run/ { skip = 1; pend = 0; next }
        /^\.Bd -literal/ && pend { blk = 1; n++; f = dir "/ex" n ".sh"; printf "" > f
                        print rc > (dir "/ex" n ".rc"); next }
        /^\.Ed/ && blk { blk = 0; pend = 0; close(f); next }
        blk           { print > f; next }
        /^\.Dl /      { if (pend) { n++; f = dir "/ex" n ".sh"; sub(/^\.Dl /, ""); print > f; close(f)
                                    print rc > (dir "/ex" n ".rc"); pend = 0 }
                        else if (!skip) print "unmarked example: " $0 > (dir "/ex.unmarked")
                        next }
                      { skip = 0 }
        END           { print n + 0 > (dir "/ex.count") }
    ' "$_page"
    if [ -s "$TMP/ex.unmarked" ]; then
        fail "$_tag EXAMPLES: $(cat "$TMP/ex.unmarked")"
    else
        pass
    fi
    _n=$(cat "$TMP/ex.count")
    [ "$_n" -ge "$_min" ] || fail "$_tag EXAMPLES: only $_n runnable examples found"
    _i=1
    while [ "$_i" -le "$_n" ]; do
        docs_unroff <"$TMP/ex$_i.sh" >"$TMP/ex$_i.run"
        docs_run "$_tag example $_i" "$(cat "$TMP/ex$_i.rc")" "$TMP/ex$_i.run"
        _i=$((_i + 1))
    done
}
docs_examples "$TOP/man/flowq.1" 5
docs_examples "$TOP/man/flowq-gen.1" 2

# ---- the example queries of flowq(5) compile without a diagnostic --------
# A '.\" check' comment marks the next .Bd -literal block.
awk -v dir="$TMP" '
    /^\.\\" check/ { pend = 1; next }
    /^\.Bd -literal/ && pend { blk = 1; pend = 0; n++; f = dir "/q" n ".fq"; printf "" > f; next }
    /^\.Ed/ && blk { blk = 0; close(f); next }
    blk           { print > f }
    END           { print n + 0 > (dir "/q.count") }
' "$TOP/man/flowq.5"
_n=$(cat "$TMP/q.count")
[ "$_n" -ge 2 ] || fail "flowq.5: only $_n checked example queries found"
_i=1
while [ "$_i" -le "$_n" ]; do
    docs_unroff <"$TMP/q$_i.fq" >"$TMP/q$_i.check.fq"
    expect "flowq.5 example query $_i" 0 - - "$FLOWQ" -n "$TMP/q$_i.check.fq"
    # and, where it is a whole query, finds something in the example trace
    if grep -q '^"input" -> ' "$TMP/q$_i.check.fq"; then
        expect "flowq.5 example query $_i on traces/example.ft" 0 '*' - \
            "$FLOWQ" -e -q "$TMP/q$_i.check.fq" "$TOP/traces/example.ft"
    fi
    _i=$((_i + 1))
done

# ---- (c) the runnable command blocks of README.md ---------------------------
# '<!-- run -->' or '<!-- run: exit N -->' before a fenced block: its
# '$ ' lines are run in order and must end with that status.  '<!-- run:
# output -->': the other lines of the block are their exact stdout.
[ -f "$TOP/README.md" ] || fail "README.md is missing"
echo 0 >"$TMP/rd.count"
[ -f "$TOP/README.md" ] && awk -v dir="$TMP" '
    /^<!-- run/   { rc = 0; out = 0
                    if (match($0, /exit [0-9]+/)) rc = substr($0, RSTART + 5, RLENGTH - 5)
                    if ($0 ~ /output/) out = 1
                    pend = 1; next }
    /^```/ && inb { inb = 0; close(f); close(g); next }
    /^```/ && pend { inb = 1; pend = 0; n++; f = dir "/rd" n ".sh"; g = dir "/rd" n ".exp"
                    printf "" > f; printf "" > g
                    print rc > (dir "/rd" n ".rc"); print out > (dir "/rd" n ".mode"); next }
    inb && /^\$ / { sub(/^\$ /, ""); print > f; next }
    inb           { print > g; next }
    /^[^ \t]/ && pend && !/^<!--/ { pend = 0 }
    END           { print n + 0 > (dir "/rd.count") }
' "$TOP/README.md"
_n=$(cat "$TMP/rd.count")
if [ "$_n" -lt 3 ]; then
    fail "README.md: only $_n runnable command blocks found"
fi
_i=1
while [ "$_i" -le "$_n" ]; do
    _exp=""
    [ "$(cat "$TMP/rd$_i.mode")" = 1 ] && _exp="$TMP/rd$_i.exp"
    docs_run "README.md block $_i" "$(cat "$TMP/rd$_i.rc")" "$TMP/rd$_i.sh" $_exp
    _i=$((_i + 1))
done
