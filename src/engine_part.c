/* SPDX-License-Identifier: MIT
 * The partitioned run in memory (engine_in.h: engine_run_partitions): the
 * kept rows split by the plan's key into partitions that the worker
 * threads run apart, each to marks by rec_id; the marks and counts summed
 * make the run's result.
 */
#include "engine_in.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "merger.h"
#include "plan.h"
#include "rows.h"
#include "ungrouper.h"
#include "util.h"

struct part_runs {
    const struct fq_query *q;
    const struct fq_plan *plan;
    struct engine_in **in;      /* one input per partition */
    size_t np;
    struct engine_opts eo;
    uint64_t *bits;             /* by rec_id: the records to write */
    size_t nwords;
    pthread_mutex_t lock;       /* bits, sum and the first error */
    struct engine_stats sum;
    int rc;
    size_t failed;              /* the lowest partition that failed */
    struct fq_error err;
};

/* The partitions' inputs: each row once in every partition one of its
 * branches sends it to, in input order, with those branches' bits. */
static void split_rows(struct part_runs *ps, const struct engine_in *in)
{
    size_t nb = ps->q->nbranches, mw = (nb + 7) / 8;
    ps->in = xcalloc(ps->np, sizeof *ps->in);
    for (size_t p = 0; p < ps->np; p++)
        ps->in[p] = engine_in_part_new(in, ps->plan, nb);
    size_t *dest = xmalloc((nb ? nb : 1) * sizeof *dest);
    uint8_t *m = xmalloc((nb ? nb : 1) * mw);
    for (size_t i = 0; i < in->rows.n; i++) {
        size_t k = engine_in_row_dests(in, ps->plan, ps->np, 0, i, dest, m);
        for (size_t j = 0; j < k; j++)
            engine_in_add_rows(ps->in[dest[j]], row_at(&in->rows, i), &m[j * mw]);
    }
    free(dest);
    free(m);
}

int engine_run_part(const struct fq_query *q, struct engine_in *pi, const struct engine_opts *eo,
                    pthread_mutex_t *lock, uint64_t *bits, size_t nwords,
                    struct engine_stats *sum, struct fq_error *err)
{
    struct engine_stats st = {0};
    uint64_t *mine = NULL;
    int rc = engine_run_in(q, pi, eo, NULL, &mine, &st, err);
    engine_in_free(pi);
    if (lock)
        pthread_mutex_lock(lock);
    for (size_t w = 0; mine && w < nwords; w++)
        bits[w] |= mine[w];
    for (size_t b = 0; b < st.nbranches; b++) {
        sum->branch[b].filtered += st.branch[b].filtered;
        sum->branch[b].groups += st.branch[b].groups;
        sum->branch[b].groups_kept += st.branch[b].groups_kept;
    }
    sum->tuples += st.tuples;
    if (lock)
        pthread_mutex_unlock(lock);
    free(mine);
    engine_stats_free(&st);
    return rc;
}

int engine_parts_done(const struct fq_query *q, const struct engine_opts *eo, uint64_t nread,
                      const uint64_t *bits, size_t nwords, struct engine_stats *st,
                      struct fq_error *err)
{
    for (size_t b = 0; b < q->nbranches; b++)
        st->branch[b].records_in = eo->records_read ? eo->records_read : nread;
    if (eo->max_tuples && st->tuples > eo->max_tuples)
        return merger_too_many(eo->max_tuples, err);
    for (size_t w = 0; bits && w < nwords; w++)
        st->records_out += (uint64_t)__builtin_popcountll(bits[w]);
    return FQ_OK;
}

/* One partition of engine_run_partitions, on a worker thread. */
static void part_job(void *ctx, size_t p)
{
    struct part_runs *ps = ctx;
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    int rc = engine_run_part(ps->q, ps->in[p], &ps->eo, &ps->lock, ps->bits, ps->nwords,
                             &ps->sum, &err);
    ps->in[p] = NULL;
    pthread_mutex_lock(&ps->lock);
    if (rc != FQ_OK && (ps->rc == FQ_OK || p < ps->failed)) {
        ps->rc = rc;
        ps->failed = p;
        ps->err = err;
    }
    pthread_mutex_unlock(&ps->lock);
}

/* Full rows: the marked ones written in (stime, rec_id) order. */
static int write_marked_rows(const struct engine_in *in, const uint64_t *bits,
                             struct out *out, uint64_t *written, struct fq_error *err)
{
    const struct fq_rows *R = &in->rows;
    uint64_t *rb = xcalloc(R->n / 64 + 1, sizeof *rb);
    for (size_t i = 0; i < R->n; i++) {
        uint64_t id = row_id(row_at(R, i));
        if (bits[id / 64] >> (id % 64) & 1)
            rb[i / 64] |= (uint64_t)1 << (i % 64);
    }
    uint32_t *ord = rows_time_order(R);
    int rc = ungroup_write(R, ord, rb, out, written, err);
    free(ord);
    free(rb);
    return rc;
}

int engine_run_partitions(const struct fq_query *q, struct engine_in *in,
                          const struct fq_plan *plan, const struct engine_opts *eo,
                          struct out *out, uint64_t **out_bits, struct engine_stats *st,
                          struct fq_error *err)
{
    struct part_runs ps = {.q = q, .plan = plan, .np = eo->partitions, .eo = *eo,
                       .nwords = in->nread / 64 + 1, .rc = FQ_OK};
    ps.eo.threads = 1;
    ps.bits = xcalloc(ps.nwords, sizeof *ps.bits);
    ps.sum.nbranches = q->nbranches;
    ps.sum.branch = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *ps.sum.branch);
    pthread_mutex_init(&ps.lock, NULL);
    split_rows(&ps, in);
    unsigned threads = eo->threads ? eo->threads : jobs_cpus();
    jobs_run(threads, ps.np, part_job, &ps);
    pthread_mutex_destroy(&ps.lock);
    free(ps.in);
    engine_stats_free(st);
    *st = ps.sum;
    bool full = in->rows.full;
    int rc = ps.rc;
    if (rc != FQ_OK)
        *err = ps.err;
    else
        rc = engine_parts_done(q, eo, in->nread, full ? NULL : ps.bits, ps.nwords, st, err);
    if (rc == FQ_OK && full)
        rc = write_marked_rows(in, ps.bits, out, &st->records_out, err);
    if (rc == FQ_OK && !full) {
        if (out_bits) {
            *out_bits = ps.bits;
            ps.bits = NULL;
        }
        rows_free(&in->rows);
    }
    free(ps.bits);
    return rc;
}
