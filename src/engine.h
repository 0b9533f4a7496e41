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

/* Run q over recs[0..n) (sorted or not; rec_id == index) and write the
 * result to out.  Returns FQ_OK or an error status with *err filled. */
int engine_run(const struct fq_query *q, const struct fq_rec *recs, size_t n,
               const struct engine_opts *eo, struct out *out, struct engine_stats *st,
               struct fq_error *err);

void engine_stats_free(struct engine_stats *st);

#endif
