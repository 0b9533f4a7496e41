/* SPDX-License-Identifier: MIT
 * Filter-only queries through a spool.  Without a grouper every record is
 * its own group, and without rules or another branch every group the
 * group filter keeps is its own tuple: each stage's count is the number
 * of records that pass the filter, or the group filter too, as engine_run
 * counts them.  The group filter sees the group fields of a one-record
 * group, computed by the engine's own aggr_group.
 */
#include "stream.h"

#include <stdlib.h>

#include "aggr.h"
#include "gcond.h"
#include "merger.h"
#include "plan.h"
#include "rows.h"
#include "spool.h"
#include "util.h"

struct stream {
    struct ft_reader_opts rd;
    struct engine_keep *keep;   /* NULL: the branch takes every record */
    const struct fq_branch *br;
    struct spool *spool;
    uint64_t nread, npass;      /* records read; passing the filter */
    /* the group filter's row, and the pool of its records set */
    union fq_val *row;
    struct pool pool;
    struct aggr_scratch scratch;
};

struct stream *stream_new(const struct fq_query *q, bool groups, const struct ft_reader_opts *rd)
{
    if (plan_path(q, groups) != PATH_STREAM)
        return NULL;
    const struct fq_branch *br = &q->branches[0];
    struct stream *s = xcalloc(1, sizeof *s);
    s->rd = *rd;
    s->keep = engine_keep_new(q);
    s->br = br;
    if (br->gfilter)
        s->row = xcalloc(br->ngfields ? br->ngfields : 1, sizeof *s->row);
    size_t budget = STREAM_BUDGET;
    if (rd->max_bytes && rd->max_bytes < budget)
        budget = rd->max_bytes < STREAM_MIN_BUDGET ? STREAM_MIN_BUDGET : (size_t)rd->max_bytes;
    s->spool = spool_new(budget);
    return s;
}

/* Keep the records of recs[0..n) whose one-record group passes the group
 * filter, in order; returns how many. */
static size_t group_filter(struct stream *s, struct fq_rec *recs, size_t n)
{
    const union fq_val *rows[1] = {s->row};
    struct fq_rows R;
    /* IPv6 addresses need a table of their own (rows.h), so such a block
     * is copied; else a view ahead of the compaction stays valid. */
    struct ip6_tab t6 = {0};
    bool own = rows_any6(recs, n);
    if (own) {
        rows_init(&R, NULL);
        R.t6 = &t6;
        rows_append(&R, recs, n);
        rows_rank(&R);
    } else {
        rows_wrap(&R, recs, n);
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t at = (uint32_t)i;
        struct aggr_members m = {&at, NULL, 0, 1};
        struct pool_mark mark = pool_mark(&s->pool);
        aggr_group(s->br->gfields, s->br->ngfields, NULL, &R, &m, &s->pool, &s->scratch, s->row);
        bool keep = gcond_cnf6(s->br->gfilter, rows, own ? &t6 : NULL);
        pool_release(&s->pool, mark);
        if (keep) {
            if (out != i)
                recs[out] = recs[i];
            out++;
        }
    }
    if (own) {
        rows_free(&R);
        ip6_tab_free(&t6);
    }
    return out;
}

/* recs[0..n): records the branch's filter passed. */
static int add_passed(struct stream *s, struct fq_rec *recs, size_t n, struct fq_error *err)
{
    s->npass += n;
    if (s->br->gfilter)
        n = group_filter(s, recs, n);
    return spool_add(s->spool, recs, n, err);
}

int stream_add(struct stream *s, struct fq_rec *recs, size_t n, struct fq_error *err)
{
    s->nread += n;
    return add_passed(s, recs, s->keep ? engine_keep_run(s->keep, recs, n) : n, err);
}

int stream_read(struct stream *s, char *const *paths, size_t n, struct fq_error *err)
{
    /* the reader drops what the filter would (on the parallel reader's
     * threads): the records it returns passed */
    struct ft_reader_opts ro = s->rd;
    ro.keep = s->keep ? engine_keep_run : NULL;
    ro.keep_ctx = s->keep;
    struct ft_reader *r = ft_reader_open(paths, n, &ro, err);
    if (!r)
        return err->code;
    enum { CHUNK = 4096 };
    /* zeroed: readers leave the IPv6 part of IPv4 records unset, and the
     * spool writes whole records to its temporary file */
    struct fq_rec *buf = xcalloc(CHUNK, sizeof *buf);
    ssize_t got;
    int rc = FQ_OK;
    while (rc == FQ_OK && (got = ft_reader_next(r, buf, CHUNK, err)) != 0) {
        if (got < 0) {
            rc = err->code;
            break;
        }
        rc = add_passed(s, buf, (size_t)got, err);
    }
    s->nread = ft_reader_count(r);  /* the dropped records too */
    free(buf);
    ft_reader_close(r);
    return rc;
}

int stream_run(struct stream *s, const struct engine_opts *eo, struct out *out,
               struct engine_stats *st, struct fq_error *err)
{
    uint64_t kept = spool_count(s->spool);
    *st = (struct engine_stats){xcalloc(1, sizeof *st->branch), 1, kept, 0};
    st->branch[0] = (struct engine_branch_stats){s->nread, s->npass, s->npass, kept};
    if (eo->max_tuples && kept > eo->max_tuples)
        return merger_too_many(eo->max_tuples, err);
    enum { CHUNK = 4096 };
    struct fq_rec *buf = xcalloc(CHUNK, sizeof *buf);
    ssize_t got;
    int rc = FQ_OK;
    /* The first spool_next does all the writing of temporary files, so
     * their errors come before the first record is output. */
    while (rc == FQ_OK && (got = spool_next(s->spool, buf, CHUNK, err)) != 0) {
        if (got < 0) {
            rc = err->code;
            break;
        }
        for (ssize_t i = 0; i < got && rc == FQ_OK; i++)
            if ((rc = out_record(out, &buf[i], err)) == FQ_OK)
                st->records_out++;
    }
    free(buf);
    return rc;
}

void stream_free(struct stream *s)
{
    if (!s)
        return;
    engine_keep_free(s->keep);
    spool_free(s->spool);
    aggr_scratch_free(&s->scratch);
    pool_free(&s->pool);
    free(s->row);
    free(s);
}
