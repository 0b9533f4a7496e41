/* SPDX-License-Identifier: MIT
 * Inside the engine (engine.c: the run; engine_in.c: its input;
 * engine_part.c: the partitioned run in memory) and the partitioned runs
 * built apart from it, out of core (spill.c) and across MPI ranks
 * (mpi/dist.c) only: the engine's input and the pieces of the
 * partitioned run they share.
 * Everyone else goes through engine.h.
 */
#ifndef FQ_ENGINE_IN_H
#define FQ_ENGINE_IN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "filter.h"
#include "plan.h"
#include "rows.h"

struct engine_in {
    struct fq_rows rows;
    uint8_t *mask;              /* mw bytes per row: bit f set if filter f passes */
    size_t mw, mcap;            /* mcap: rows the mask has room for */
    uint8_t *scratch;           /* the masks of one block */
    struct filt **f;            /* the distinct branch filters */
    size_t nf;
    int *filter;                /* per branch: its bit, or -1 if it takes every record */
    bool all;                   /* some branch takes every record */
    bool kept_all_pass;         /* one filter and no such branch: each row passed it */
    bool need[F_COUNT];         /* the fields read after the filters */
    uint64_t nread;
    /* A partition's input (engine_in_part_new): one mask bit per branch,
     * and twins only where their keys split the rows alike. */
    const struct fq_plan *plan;
    struct ip6_tab t6;          /* the IPv6 addresses of the rows (rows.h) */
    struct prefault *pf;        /* faults the rows in ahead while reading, or NULL */
};

/* The group fields of branch b that anything but -g reads: its group
 * filter, and with rows (the records are to be written) the merger
 * rules and stime, etime and the member set.  A malloc'd array of
 * ngfields + 1 flags, by group field. */
bool *engine_needed_gfields(const struct fq_query *q, size_t b, bool rows);

/* The in-memory partitioned run: in's rows split by plan's key into
 * eo->partitions partitions run on the worker threads, with
 * engine_run_in's contract (full rows written to out in time order,
 * narrow rows' marks to *out_bits).  plan must be partitionable. */
int engine_run_partitions(const struct fq_query *q, struct engine_in *in,
                          const struct fq_plan *plan, const struct engine_opts *eo,
                          struct out *out, uint64_t **out_bits, struct engine_stats *st,
                          struct fq_error *err);

/* An empty partition input with like's row layout, need and nread: each
 * branch its own mask bit (filter[b] == b).  Its rows share like's IPv6
 * table (like must outlive it).  plan (not owned) must too. */
struct engine_in *engine_in_part_new(const struct engine_in *like, const struct fq_plan *plan,
                                     size_t nbranches);

/* Appends one row of in's layout with its mask (in->mw bytes). */
void engine_in_add_rows(struct engine_in *in, const unsigned char *row, const uint8_t *mask);

/* Where row i of in goes among np partitions by plan's keys: returns the
 * number k of distinct partitions, dest[0..k) those partitions and
 * masks[j * mw ..] (mw = (nbranches + 7) / 8) the bits of the branches
 * that send the row to dest[j].  dest and masks have room for nbranches
 * entries.  level 0 is engine_run_partitions' split; each further level (a
 * partition split again) uses other bits of the same key hash, so rows
 * of one key stay together at every level. */
size_t engine_in_row_dests(const struct engine_in *in, const struct fq_plan *plan, size_t np,
                           unsigned level, size_t i, size_t *dest, uint8_t *masks);

/* Runs the partition input pi (freed here) to marks by rec_id: ORs them
 * into bits[0..nwords) and adds its counts (filtered, groups, groups
 * kept, tuples) to sum, holding lock (when not NULL) meanwhile.  Returns
 * its status, *err filled on failure. */
int engine_run_part(const struct fq_query *q, struct engine_in *pi, const struct engine_opts *eo,
                    pthread_mutex_t *lock, uint64_t *bits, size_t nwords,
                    struct engine_stats *sum, struct fq_error *err);

/* The partitions' summed counts in *st made the run's: records_in of
 * every branch (eo->records_read, else nread), the tuple limit checked
 * (FQ_E_OUTPUT, the merger's message), and, when bits is not NULL,
 * records_out their count.  Returns FQ_OK or the error. */
int engine_parts_done(const struct fq_query *q, const struct engine_opts *eo, uint64_t nread,
                      const uint64_t *bits, size_t nwords, struct engine_stats *st,
                      struct fq_error *err);

#endif
