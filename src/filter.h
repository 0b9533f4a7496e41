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

#include "cmp.h"
#include "query.h"
#include "record.h"

struct filt;

/* c == NULL compiles to "accept everything". */
struct filt *filt_compile(const struct fq_cnf *c);
void filt_free(struct filt *f);

bool filt_match(const struct filt *f, const struct fq_rec *r);

/* pass[i - lo] = 1 if recs[i] passes, else 0, for i in [lo, hi).
 * Returns the number of passing records. */
size_t filt_run(const struct filt *f, const struct fq_rec *recs, size_t lo, size_t hi,
                uint8_t *pass);

#endif
