/* SPDX-License-Identifier: MIT
 * The record filter (LANGUAGE.md 6.5, 7.2) compiled once per query into
 * per-term predicates specialised by operand shape, field size and
 * operator.  A compiled filter is immutable: threads share it read-only.
 */
#ifndef FQ_FILTER_H
#define FQ_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query.h"
#include "record.h"

struct filt;

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

/* c == NULL compiles to "accept everything". */
struct filt *filt_compile(const struct fq_cnf *c);
void filt_free(struct filt *f);

bool filt_match(const struct filt *f, const struct fq_rec *r);

/* pass[i - lo] = 1 if recs[i] passes, else 0, for i in [lo, hi).
 * Returns the number of passing records. */
size_t filt_run(const struct filt *f, const struct fq_rec *recs, size_t lo, size_t hi,
                uint8_t *pass);

#endif
