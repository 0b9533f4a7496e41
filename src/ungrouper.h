/* SPDX-License-Identifier: MIT
 * The ungrouper (LANGUAGE.md 7.7): the records of the exported tuples'
 * groups, each once, in (stime, rec_id) order; or with -g one group row
 * per branch of the exported module for each tuple.
 */
#ifndef FQ_UNGROUPER_H
#define FQ_UNGROUPER_H

#include <stddef.h>
#include <stdint.h>

#include "flowq.h"
#include "merger.h"
#include "out.h"
#include "query.h"
#include "record.h"

/* A bitmap over n records (n / 64 + 1 words) with the members of the
 * exported tuples' groups set. */
uint64_t *ungroup_mark(const struct fq_query *q, size_t n, const struct bgroups *bg,
                       const struct tuples *t);

/* Write the records whose bit is set, in the order ord[0..n). */
int ungroup_write(const struct fq_rec *recs, size_t n, const uint32_t *ord, const uint64_t *bits,
                  struct out *o, uint64_t *written, struct fq_error *err);

/* ord[0..n) is every record index in (stime, rec_id) order.  *written
 * counts what was output.  Stops at the first output error. */
int ungroup_records(const struct fq_query *q, const struct fq_rec *recs, size_t n,
                    const uint32_t *ord, const struct bgroups *bg, const struct tuples *t,
                    struct out *o, uint64_t *written, struct fq_error *err);

int ungroup_groups(const struct fq_query *q, const struct bgroups *bg, const struct tuples *t,
                   struct out *o, uint64_t *written, struct fq_error *err);

/* -g output of a merger module without rules and without other modules:
 * the tuples are every combination of the branches' kept groups, written
 * in lexicographic order as they are enumerated (none is stored). */
int ungroup_product_groups(const struct fq_query *q, const struct bgroups *bg, struct out *o,
                           uint64_t *written, struct fq_error *err);

#endif
