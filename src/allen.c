/* SPDX-License-Identifier: MIT
 * Allen relations (LANGUAGE.md 7.6): each predicate is the table row
 * verbatim, with every difference computed without wrap-around.
 */
#include "allen.h"

#include "util.h"

bool allen_before(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t gap)
{
    (void)xs, (void)ye;
    return xe < ys && ys - xe <= gap;
}

bool allen_after(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t gap)
{
    (void)xe, (void)ys;
    return ye < xs && xs - ye <= gap;
}

bool allen_meets(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d)
{
    (void)xs, (void)ye;
    return allen_near(xe, ys, d);
}

bool allen_metby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d)
{
    (void)xe, (void)ys;
    return allen_near(ye, xs, d);
}

bool allen_overlaps(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye)
{
    return xs < ys && ys < xe && xe < ye;
}

bool allen_overlappedby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye)
{
    return ys < xs && xs < ye && ye < xe;
}

bool allen_starts(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d)
{
    return allen_near(xs, ys, d) && xe < ye;
}

bool allen_startedby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d)
{
    return allen_near(xs, ys, d) && xe > ye;
}

bool allen_during(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye)
{
    return ys < xs && xe < ye;
}

bool allen_contains(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye)
{
    return xs < ys && ye < xe;
}

bool allen_finishes(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d)
{
    return allen_near(xe, ye, d) && xs > ys;
}

bool allen_finishedby(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d)
{
    return allen_near(xe, ye, d) && xs < ys;
}

bool allen_equals(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, uint64_t d)
{
    return allen_near(xs, ys, d) && allen_near(xe, ye, d);
}

bool allen_holds(enum fq_allen rel, uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye,
                 bool has_delta, uint64_t delta)
{
    uint64_t d = has_delta ? delta : 0, gap = has_delta ? delta : ALLEN_NOGAP;

    switch (rel) {
    case AL_BEFORE: return allen_before(xs, xe, ys, ye, gap);
    case AL_AFTER: return allen_after(xs, xe, ys, ye, gap);
    case AL_MEETS: return allen_meets(xs, xe, ys, ye, d);
    case AL_METBY: return allen_metby(xs, xe, ys, ye, d);
    case AL_OVERLAPS: return allen_overlaps(xs, xe, ys, ye);
    case AL_OVERLAPPEDBY: return allen_overlappedby(xs, xe, ys, ye);
    case AL_STARTS: return allen_starts(xs, xe, ys, ye, d);
    case AL_STARTEDBY: return allen_startedby(xs, xe, ys, ye, d);
    case AL_DURING: return allen_during(xs, xe, ys, ye);
    case AL_CONTAINS: return allen_contains(xs, xe, ys, ye);
    case AL_FINISHES: return allen_finishes(xs, xe, ys, ye, d);
    case AL_FINISHEDBY: return allen_finishedby(xs, xe, ys, ye, d);
    case AL_EQUALS: return allen_equals(xs, xe, ys, ye, d);
    }
    return false;
}

enum fq_allen allen_inverse(enum fq_allen rel)
{
    switch (rel) {
    case AL_BEFORE: return AL_AFTER;
    case AL_AFTER: return AL_BEFORE;
    case AL_MEETS: return AL_METBY;
    case AL_METBY: return AL_MEETS;
    case AL_OVERLAPS: return AL_OVERLAPPEDBY;
    case AL_OVERLAPPEDBY: return AL_OVERLAPS;
    case AL_STARTS: return AL_STARTEDBY;
    case AL_STARTEDBY: return AL_STARTS;
    case AL_DURING: return AL_CONTAINS;
    case AL_CONTAINS: return AL_DURING;
    case AL_FINISHES: return AL_FINISHEDBY;
    case AL_FINISHEDBY: return AL_FINISHES;
    case AL_EQUALS: return AL_EQUALS;
    }
    return rel;
}

/* Windows are inclusive; lo > hi is empty. */
static void empty(uint64_t *lo, uint64_t *hi)
{
    *lo = 1, *hi = 0;
}

bool allen_window(enum fq_allen rel, uint64_t xs, uint64_t xe, bool has_delta, uint64_t delta,
                  uint64_t maxlen, int *end, uint64_t *lo, uint64_t *hi)
{
    uint64_t d = has_delta ? delta : 0, gap = has_delta ? delta : ALLEN_NOGAP;

    *end = 0;
    switch (rel) {
    case AL_BEFORE:             /* xe < ys <= xe + gap */
        if (xe == UINT64_MAX)
            empty(lo, hi);
        else
            *lo = xe + 1, *hi = u64_add_sat(xe, gap);
        return true;
    case AL_AFTER:              /* xs - gap <= ye < xs */
        *end = 1;
        if (xs == 0)
            empty(lo, hi);
        else
            *lo = u64_sub_sat(xs, gap), *hi = xs - 1;
        return true;
    case AL_MEETS:
        *lo = u64_sub_sat(xe, d), *hi = u64_add_sat(xe, d);
        return true;
    case AL_METBY:
        *end = 1, *lo = u64_sub_sat(xs, d), *hi = u64_add_sat(xs, d);
        return true;
    case AL_OVERLAPS:           /* xs < ys < xe */
    case AL_CONTAINS:           /* xs < ys <= ye < xe, for a proper Y */
        if (xs == UINT64_MAX || xe == 0)
            empty(lo, hi);
        else
            *lo = xs + 1, *hi = xe - 1;
        return rel == AL_OVERLAPS;
    case AL_OVERLAPPEDBY:       /* xs < ye < xe */
        *end = 1;
        if (xs == UINT64_MAX || xe == 0)
            empty(lo, hi);
        else
            *lo = xs + 1, *hi = xe - 1;
        return true;
    case AL_STARTS:
    case AL_STARTEDBY:
    case AL_EQUALS:
        *lo = u64_sub_sat(xs, d), *hi = u64_add_sat(xs, d);
        return true;
    case AL_FINISHES:
    case AL_FINISHEDBY:
        *end = 1, *lo = u64_sub_sat(xe, d), *hi = u64_add_sat(xe, d);
        return true;
    case AL_DURING:
        /* ys < xs and ye > xe; a proper Y no longer than maxlen has
         * ys >= ye - maxlen >= xe + 1 - maxlen. */
        if (xs == 0 || (maxlen == 0 && xe == UINT64_MAX))
            empty(lo, hi);
        else
            *lo = xe >= maxlen ? xe - maxlen + 1 : 0, *hi = xs - 1;
        return false;
    }
    empty(lo, hi);
    return true;
}
