/* SPDX-License-Identifier: MIT
 * The merger (LANGUAGE.md 7.6): joins the kept groups of the branches into
 * tuples for the exported module, minus the tuples any other module
 * matches.  Internal interface between the branch stages (engine.c) and
 * the join (merger.c).
 */
#ifndef FQ_MERGER_H
#define FQ_MERGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowq.h"
#include "query.h"

/* What one branch hands to the merger: the groups that passed its group
 * filter, in creation order. */
struct bgroups {
    size_t n;                   /* kept groups */
    size_t nfields;             /* row stride: the branch's ngfields, or fewer when no
                                   condition and no output reads the last columns
                                   (always > every gfield index a rule names) */
    const uint32_t *id;         /* creation index of each kept group (before the group filter) */
    const union fq_val *val;    /* n * nfields values, row-major */
    const struct ip6_tab *t6;   /* the keys of IPv6 address values (ip6.h); NULL: none */
};

/* Merger output: one kept-group index (into that branch's bgroups) per
 * branch of the exported module, in the module's `branches` order; rows
 * sorted lexicographically (= by the groups' creation indices). */
struct tuples {
    size_t n;                   /* tuples */
    size_t width;               /* branches of the exported module */
    uint32_t *g;                /* n * width, row-major */
};

/* bg has q->nbranches entries (indexed like q->branches).  Fails with
 * FQ_E_OUTPUT once more than max_tuples (0 = no limit) tuples would be
 * produced. */
int merger_run(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
               struct tuples *out, struct fq_error *err);

/* The same output, streamed: fn(ctx, g) is called for each tuple (g: one
 * kept-group index per branch of the exported module, valid during the
 * call only); a non-zero return stops the merger, which returns it.  With
 * sorted, tuples come in merger_run's order and memory holds at most the
 * tuples sharing one first group; without, in any order and none are
 * kept (enough for the ungrouper, which needs only which groups occur).
 * *ntuples (may be NULL) gets the number of tuples produced. */
typedef int merger_tuple_fn(void *ctx, const uint32_t *g);

int merger_stream(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
                  bool sorted, merger_tuple_fn *fn, void *ctx, uint64_t *ntuples,
                  struct fq_error *err);

/* merger_run, with the number of probes of a join level answered by
 * scanning its candidates before an index is built for it (merger_run
 * uses a small default; 0 = index at once, UINT_MAX = never).  The result
 * is the same for every value: for tests and benchmarks. */
int merger_run_tuned(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
                     unsigned lazy_scans, struct tuples *out, struct fq_error *err);

void tuples_free(struct tuples *t);

/* Whether clause c is a single plain equality "X.f = Y.g" (no NOT, no
 * delta) between scalar group fields of two different branches, the kind
 * of rule the join hashes on; fills in both sides when it is. */
bool merger_eq_rule(const struct fq_clause *c, int *bx, int *fx, int *by, int *fy);

/* The --max-tuples error, for every path that counts tuples: fills *err,
 * returns FQ_E_OUTPUT. */
int merger_too_many(uint64_t max_tuples, struct fq_error *err);

#endif
