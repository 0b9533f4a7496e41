/* SPDX-License-Identifier: MIT
 * The processing stages of LANGUAGE.md section 7 over decoded records.
 */
#ifndef FQ_ENGINE_H
#define FQ_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowq.h"
#include "out.h"
#include "query.h"
#include "record.h"

struct engine_opts {
    unsigned threads;           /* worker threads; 0 = one per core */
    uint64_t max_tuples;        /* merger output limit; 0 = unlimited */
    bool groups;                /* -g: print group records, not flows */
    uint64_t records_read;      /* input records before engine_keep_run; 0: n */
    bool prefiltered;           /* every record passes every branch's filter
                                 * (engine_keep_exact): filters are not rerun */
};

struct engine_branch_stats {
    uint64_t records_in, filtered, groups, groups_kept;
};

struct engine_stats {
    struct engine_branch_stats *branch;   /* nbranches entries, malloc'd by engine_run */
    size_t nbranches;
    uint64_t tuples;
    uint64_t records_out;                 /* records (or group rows with -g) */
};

/* Run q over recs[0..n) (sorted or not; in input order, rec_id increasing:
 * rec_id == index, or a subset that engine_keep_run left) and write the
 * result to out.  Returns FQ_OK or an error status with *err filled. */
int engine_run(const struct fq_query *q, const struct fq_rec *recs, size_t n,
               const struct engine_opts *eo, struct out *out, struct engine_stats *st,
               struct fq_error *err);

void engine_stats_free(struct engine_stats *st);

/* The input compaction: a record that passes no branch's filter cannot
 * reach the output, so the input need hold only the others.  NULL when a
 * branch takes every record.  engine_keep_run has ft_keep_fn's shape: it
 * compacts recs[0..n) in place, in order, rec_id untouched, and returns the
 * count kept.  The ungrouper maps the groups' rec_ids back to positions.
 * The per-branch records_in statistic then counts kept records only. */
struct engine_keep;
struct engine_keep *engine_keep_new(const struct fq_query *q);
size_t engine_keep_run(void *keep, struct fq_rec *recs, size_t n);
/* True when every record engine_keep_run keeps passes every branch's
 * filter (all branches share one filter): then engine_opts.prefiltered. */
bool engine_keep_exact(const struct engine_keep *k);
void engine_keep_free(struct engine_keep *k);

#endif
