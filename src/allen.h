/* SPDX-License-Identifier: MIT
 * The thirteen Allen relations of LANGUAGE.md 7.6 on closed intervals
 * [xs, xe] and [ys, ye] of ms timestamps, as pure predicates, plus the
 * window of Y end-points that can satisfy a relation (for the merger's
 * interval indexes).  No interval is assumed proper: xs > xe is allowed.
 */
#ifndef FQ_ALLEN_H
#define FQ_ALLEN_H

#include <stdbool.h>
#include <stdint.h>

#include "query.h"

/* A "no delta" gap for before/after: any gap is accepted. */
#define ALLEN_NOGAP UINT64_MAX

/* |a - b| <= d without wrap-around. */
static inline bool allen_near(uint64_t a, uint64_t b, uint64_t d)
{
    return a >= b ? a - b <= d : b - a <= d;
}

/* gap: the largest ys - xe (xs - ye for after) allowed; d: tolerance of
 * the "≈" end-point equalities (0 = exact). */
bool allen_before(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t gap);
bool allen_after(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t gap);
bool allen_meets(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d);
bool allen_metby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d);
bool allen_overlaps(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye);
bool allen_overlappedby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye);
bool allen_starts(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d);
bool allen_startedby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d);
bool allen_during(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye);
bool allen_contains(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye);
bool allen_finishes(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d);
bool allen_finishedby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d);
bool allen_equals(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d);

/* X rel Y as written in a query: without delta, before/after have no gap
 * bound and the others d = 0; delta is ignored where 7.6 forbids it. */
bool allen_holds(enum fq_allen rel, uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye,
                 bool has_delta, uint64_t delta);

/* The relation R' with X rel Y <=> Y R' X (same delta). */
enum fq_allen allen_inverse(enum fq_allen rel);

/* Index window: for a fixed X, every Y with X rel Y has its end-point
 * *end (0 = ys, 1 = ye) in [*lo, *hi] (empty when *lo > *hi).  When the
 * function returns true the window is exact for every Y; when it returns
 * false it holds only for proper Y (ys <= ye) with ye - ys <= maxlen, and
 * improper Y must be checked separately. */
bool allen_window(enum fq_allen rel, uint64_t xs, uint64_t xe, bool has_delta, uint64_t delta,
                  uint64_t maxlen, int *end, uint64_t *lo, uint64_t *hi);

#endif
