/* SPDX-License-Identifier: MIT
 * The processing stages of LANGUAGE.md section 7 over decoded records.
 */
#ifndef FQ_ENGINE_H
#define FQ_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowq.h"
#include "gsort.h"
#include "out.h"
#include "query.h"
#include "record.h"
#include "rows.h"

struct engine_opts {
    unsigned threads;           /* worker threads; 0 = one per core */
    uint64_t max_tuples;        /* merger output limit; 0 = unlimited */
    bool groups;                /* -g: print group records, not flows */
    const struct gsort_spec *sort;  /* -g --sort/--limit (gsort.h); NULL: merger order */
    uint64_t records_read;      /* input records before engine_keep_run; 0: all read */
    /* Partitions (plan.h) to split the kept rows into, each run apart on
     * the worker threads; 0 or 1: one.  Used when the plan allows it (a
     * partition key, and a path that marks records: not -g, not a
     * rule-less product); the result is the same for every count. */
    unsigned partitions;
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

/* The engine's input, built as the records are read: the records some
 * branch's filter takes, as rows (rows.h), each with one bit per distinct
 * filter saying which pass it.  Rows start full; engine_in_narrow keeps
 * only the fields the query reads after its filters, and then the run
 * cannot write the records themselves: it hands back which rows to write,
 * and the caller reads them again from the input (run.c's second reading). */
struct engine_in;
struct engine_in *engine_in_new(const struct fq_query *q, bool groups);
void engine_in_add(struct engine_in *in, const struct fq_rec *recs, size_t n);
size_t engine_in_bytes(const struct engine_in *in);
bool engine_in_narrow(struct engine_in *in);        /* false: nothing to gain */
void engine_in_trim(struct engine_in *in);          /* after the last add */
/* Room for n rows from the start, when their number is known ahead: the
 * rows never move as they grow (engine_in_trim gives back the rest). */
void engine_in_reserve(struct engine_in *in, size_t n);
/* From now until engine_in_trim, a thread faults the rows' pages in
 * ahead of engine_in_add, as far again as the rows have come: for a run
 * whose memory is not bounded (it may map more than the rows use). */
void engine_in_prefault(struct engine_in *in);
const struct fq_rows *engine_in_rows(const struct engine_in *in);
uint64_t engine_in_read(const struct engine_in *in);  /* records added, kept or not */
/* The records read when the reader dropped some before engine_in_add
 * (ft_reader_opts.keep): the rec_ids run below n. */
void engine_in_set_read(struct engine_in *in, uint64_t n);
void engine_in_free(struct engine_in *in);

/* Run q over the input and write the result to out.  With narrow rows,
 * records to write make *out_bits one bit per rec_id (malloc'd, the caller
 * frees it; engine_in_read bits) and st->records_out their count, and the
 * rows are freed as soon as the groups are made.  Returns FQ_OK or an
 * error status with *err filled. */
int engine_run_in(const struct fq_query *q, struct engine_in *in,
                  const struct engine_opts *eo, struct out *out, uint64_t **out_bits,
                  struct engine_stats *st, struct fq_error *err);

/* engine_run_in over recs[0..n) (in input order, rec_id increasing: rec_id
 * == index, or a subset that engine_keep_run left), as full rows. */
int engine_run(const struct fq_query *q, const struct fq_rec *recs, size_t n,
               const struct engine_opts *eo, struct out *out, struct engine_stats *st,
               struct fq_error *err);

void engine_stats_free(struct engine_stats *st);

/* Branches a and b of q have the same definition (filter, grouper,
 * group fields, group filter): the engine computes them once. */
bool engine_same_branch(const struct fq_query *q, size_t a, size_t b);

/* The input compaction of the streaming path (stream.c) and the tests: a
 * record that passes no branch's filter cannot reach the output.  NULL
 * when a branch takes every record.  engine_keep_run compacts recs[0..n)
 * in place, in order, rec_id untouched, and returns the count kept. */
struct engine_keep;
struct engine_keep *engine_keep_new(const struct fq_query *q);
size_t engine_keep_run(void *keep, struct fq_rec *recs, size_t n);
void engine_keep_free(struct engine_keep *k);

#endif
