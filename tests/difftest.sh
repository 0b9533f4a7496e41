#!/bin/sh
# make difftest: the differential test at length.  DIFF_ITER small cases
# (default 20000) from DIFF_SEED (default: the current time, printed so
# that a run can be repeated), a quarter as many --grouper cases (one
# branch, a grouper, nothing else), then DIFF_BIG big cases (default 10 of
# 70000 records, 10 of 250000: the engine's parallel paths).  Mismatching
# cases are saved under $DIFF_SAVE (default build/difftest-cases) for
# copying into tests/regress/.
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TZ=UTC LC_ALL=C
seed=${DIFF_SEED:-$(date +%s)}
big=${DIFF_BIG:-10}
save=${DIFF_SAVE:-$TOP/$BUILD/difftest-cases}
mkdir -p "$save" || exit 2
dt="$TOP/$BUILD/tests/difftest"
rc=0
"$dt" --seed "$seed" --iter "${DIFF_ITER:-20000}" --save "$save" || rc=1
"$dt" --seed "$seed" --iter "$((${DIFF_ITER:-20000} / 4))" --grouper --save "$save" || rc=1
if [ "$big" -gt 0 ]; then
    "$dt" --seed "$seed" --iter "$big" --big 70000 --save "$save" || rc=1
    "$dt" --seed "$seed" --iter "$big" --big 250000 --save "$save" || rc=1
fi
exit $rc
