/* SPDX-License-Identifier: MIT
 * Comparison operators on unsigned values, LANGUAGE.md 6.2 and 6.3: one
 * definition shared by the filter, group conditions, the merger's joins and
 * the front end's constant folding, so the delta arithmetic cannot drift.
 */
#ifndef FQ_CMP_H
#define FQ_CMP_H

#include <stdbool.h>
#include <stdint.h>

#include "query.h"

/* x op y [delta d] with the arithmetic of LANGUAGE.md 6.3: differences are
 * taken only in the direction that cannot wrap.  OP_IN/OP_NOTIN are not
 * handled here. */
static inline bool fq_cmp_delta(enum fq_op op, uint64_t x, uint64_t y, uint64_t d)
{
    uint64_t diff = x >= y ? x - y : y - x;
    switch (op) {
    case OP_EQ: return diff <= d;
    case OP_NE: return diff > d;
    case OP_LT: return x < y && diff <= d;
    case OP_LE: return x <= y && diff <= d;
    case OP_GT: return x > y && diff <= d;
    case OP_GE: return x >= y && diff <= d;
    default: return false;
    }
}

static inline bool fq_cmp(enum fq_op op, uint64_t x, uint64_t y)
{
    switch (op) {
    case OP_EQ: return x == y;
    case OP_NE: return x != y;
    case OP_LT: return x < y;
    case OP_LE: return x <= y;
    case OP_GT: return x > y;
    case OP_GE: return x >= y;
    default: return false;
    }
}

/* The operator that holds for (y, x) when op holds for (x, y). */
static inline enum fq_op fq_op_mirror(enum fq_op op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_LE: return OP_GE;
    case OP_GT: return OP_LT;
    case OP_GE: return OP_LE;
    default: return op;
    }
}

#endif
