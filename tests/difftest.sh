#!/bin/sh
# make difftest: the differential test at length.  DIFF_ITER cases (default
# 20000) from DIFF_SEED (default: the current time, printed so that a run
# can be repeated); mismatching cases are saved under $DIFF_SAVE (default
# build/difftest-cases) for copying into tests/regress/.
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TZ=UTC LC_ALL=C
seed=${DIFF_SEED:-$(date +%s)}
save=${DIFF_SAVE:-$TOP/$BUILD/difftest-cases}
mkdir -p "$save" || exit 2
exec "$TOP/$BUILD/tests/difftest" --seed "$seed" --iter "${DIFF_ITER:-20000}" --save "$save"
