#!/bin/sh
# Runs the libFuzzer targets built in $FUZZ_DIR (default build-fuzz) for
# SECONDS each (argument 1), on corpora that persist in $FUZZ_DIR/corpus so
# that every run continues from the last.  Seeds: tests/fuzz/seeds, the
# repository's and ../shared's queries and traces, the error-text suite.
# Prints one summary line per target; exit 1 if any target found a crash
# (the reproducer is left in $FUZZ_DIR/artifacts/).
set -u
SECS=${1:-60}
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 2
SHARED=${SHARED-}
[ -z "$SHARED" ] && [ -d ../shared/traces ] && SHARED=$(cd ../shared && pwd)
C="$FUZZ_DIR/corpus"
A="$FUZZ_DIR/artifacts"
mkdir -p "$C/query" "$C/trace" "$C/run" "$C/nfdump" "$C/ipfix" "$A" "$FUZZ_DIR/seed"

# Query seeds.
for f in tests/fuzz/seeds/query/*.fq queries/*.fq tests/errors/*.fq tests/errors/*/*.fq \
         tests/golden/*/*.fq ${SHARED:+"$SHARED"/queries/*.fq}; do
    [ -f "$f" ] && cp "$f" "$C/query/seed-$(cksum <"$f" | cut -d' ' -f1).fq"
done
# Trace seeds: uncompressed traces are cut to the header and a few records
# (the decoder's states repeat after that); compressed ones stay whole.
for f in tests/fuzz/seeds/trace/*.ft traces/*.ft* ${SHARED:+"$SHARED"/traces/*.ft* "$SHARED"/traces/versions/*.ft}; do
    [ -f "$f" ] || continue
    case $f in *-z0.ft) head -c 400 "$f" >"$FUZZ_DIR/seed/t" ;; *) cp "$f" "$FUZZ_DIR/seed/t" ;; esac
    cp "$FUZZ_DIR/seed/t" "$C/trace/seed-$(cksum <"$FUZZ_DIR/seed/t" | cut -d' ' -f1).ft"
done
# Whole-run seeds: every query seed with two small traces.
for q in "$C"/query/seed-*; do
    for t in tests/fuzz/seeds/trace/v5-le.ft tests/fuzz/seeds/trace/v5-be-z.ft \
             ${SHARED:+"$SHARED"/traces/trace-2009.ftz}; do
        [ -f "$t" ] || continue
        { cat "$q"; printf '\000'; cat "$t"; } >"$FUZZ_DIR/seed/r"
        cp "$FUZZ_DIR/seed/r" "$C/run/seed-$(cksum <"$FUZZ_DIR/seed/r" | cut -d' ' -f1)"
    done
done
cat tests/fuzz/query.dict tests/fuzz/trace.dict >"$FUZZ_DIR/run.dict"
# nfdump seeds: tests/data/nfdump without the two magic bytes (fuzz_nfdump
# puts them back), the larger ones cut to their first 16 KiB.
for f in tests/data/nfdump/*.nfcapd; do
    [ -f "$f" ] || continue
    tail -c +3 "$f" | head -c 16384 >"$FUZZ_DIR/seed/n"
    cp "$FUZZ_DIR/seed/n" "$C/nfdump/seed-$(cksum <"$FUZZ_DIR/seed/n" | cut -d' ' -f1)"
done

# IPFIX seeds: the softflowd fixtures (one message each, templates first).
for f in tests/data/ipfix/*.ipfix; do
    [ -f "$f" ] && cp "$f" "$C/ipfix/seed-$(cksum <"$f" | cut -d' ' -f1)"
done

status=0
for t in query trace run nfdump ipfix; do
    case $t in
        query) dict=tests/fuzz/query.dict; maxlen=8192 ;;
        trace) dict=tests/fuzz/trace.dict; maxlen=16384 ;;
        run) dict=$FUZZ_DIR/run.dict; maxlen=16384 ;;
        nfdump) dict=tests/fuzz/nfdump.dict; maxlen=16384 ;;
        ipfix) dict=tests/fuzz/ipfix.dict; maxlen=16384 ;;
    esac
    log="$FUZZ_DIR/fuzz_$t.log"
    # -rss_limit_mb: a decoder or engine that eats memory on small input is a bug too.
    "$FUZZ_DIR/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 \
        -max_len=$maxlen -dict="$dict" -artifact_prefix="$A/fuzz_$t-" -print_final_stats=1 \
        "$C/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    corp=$(ls "$C/$t" | wc -l)
    echo "fuzz_$t: ${SECS}s, ${execs:-?} executions, coverage ${cov:-?}, corpus $corp, exit $rc"
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "fuzz_$t: FAILED; reproducer and log:" >&2
        ls "$A"/fuzz_"$t"-* >&2 2>/dev/null
        grep -E 'ERROR|SUMMARY|#[0-9]+ in ' "$log" | head -20 >&2
    fi
done
exit $status
