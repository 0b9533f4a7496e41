/* SPDX-License-Identifier: MIT
 * The grouper of LANGUAGE.md 7.3.  Input: a branch's filtered records in
 * (stime, rec_id) order; output: groups in creation order with their
 * members in join order.  Equal to the normative algorithm (each record
 * joins the oldest group it matches), computed with a hash on the equality
 * rules common to all modules and lazy retirement of groups that can no
 * longer match because the candidates' stime only grows.
 */
#ifndef FQ_GROUPER_H
#define FQ_GROUPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query.h"
#include "record.h"
#include "rows.h"

/* Groups are numbered in the order of their founding members' positions:
 * group k's first member is the first position whose gid is k. */
struct grouping {
    size_t ngroups;
    uint32_t *gid;       /* per position: its group (members join in position order) */
    uint32_t *size;      /* per group: members */
    uint64_t *mask;      /* per position: mwords words of matched modules, or NULL */
    size_t mwords;
};

/* kept[0..n) are row indices into R in (stime, rec_id) order.  g == NULL
 * makes singleton groups.  Module masks are recorded when want_masks.
 * Up to threads threads split the work when the rules allow it; the
 * result does not depend on their number. */
void grouper_run(const struct fq_grouper *g, const struct fq_rows *R, const uint32_t *kept,
                 size_t n, bool want_masks, unsigned threads, struct grouping *out);
void grouping_free(struct grouping *gr);

#endif
