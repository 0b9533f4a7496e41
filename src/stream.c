/* SPDX-License-Identifier: MIT
 * Filter-only queries through a spool.  Without a grouper every record is
 * its own group, and without a group filter, rules or another branch every
 * group is kept and is its own tuple: each stage's count is the number of
 * records that pass the filter, as engine_run counts them.
 */
#include "stream.h"

#include <stdlib.h>

#include "spool.h"
#include "util.h"

struct stream {
    struct ft_reader_opts rd;
    struct engine_keep *keep;   /* NULL: the branch takes every record */
    struct spool *spool;
    uint64_t nread;
};

struct stream *stream_new(const struct fq_query *q, bool groups, const struct ft_reader_opts *rd)
{
    if (groups || q->nbranches != 1 || q->nmodules != 1)
        return NULL;
    const struct fq_mmodule *ex = &q->modules[q->export_module];
    const struct fq_branch *br = &q->branches[0];
    if (ex->nbranches != 1 || ex->branches[0] != 0 || ex->rules.n != 0 || br->grouper ||
        (br->gfilter && br->gfilter->n != 0))
        return NULL;
    struct stream *s = xcalloc(1, sizeof *s);
    s->rd = *rd;
    s->keep = engine_keep_new(q);
    size_t budget = STREAM_BUDGET;
    if (rd->max_bytes && rd->max_bytes < budget)
        budget = rd->max_bytes < STREAM_MIN_BUDGET ? STREAM_MIN_BUDGET : (size_t)rd->max_bytes;
    s->spool = spool_new(budget);
    return s;
}

int stream_add(struct stream *s, struct fq_rec *recs, size_t n, struct fq_error *err)
{
    s->nread += n;
    size_t k = s->keep ? engine_keep_run(s->keep, recs, n) : n;
    return spool_add(s->spool, recs, k, err);
}

int stream_read(struct stream *s, char *const *paths, size_t n, struct fq_error *err)
{
    struct ft_reader *r = ft_reader_open(paths, n, &s->rd, err);
    if (!r)
        return err->code;
    enum { CHUNK = 4096 };
    struct fq_rec *buf = xmalloc(CHUNK * sizeof *buf);
    ssize_t got;
    int rc = FQ_OK;
    while (rc == FQ_OK && (got = ft_reader_next(r, buf, CHUNK, err)) != 0) {
        if (got < 0) {
            rc = err->code;
            break;
        }
        rc = stream_add(s, buf, (size_t)got, err);
    }
    free(buf);
    ft_reader_close(r);
    return rc;
}

int stream_run(struct stream *s, const struct engine_opts *eo, struct out *out,
               struct engine_stats *st, struct fq_error *err)
{
    uint64_t kept = spool_count(s->spool);
    *st = (struct engine_stats){xcalloc(1, sizeof *st->branch), 1, kept, 0};
    st->branch[0] = (struct engine_branch_stats){s->nread, kept, kept, kept};
    if (eo->max_tuples && kept > eo->max_tuples)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1,
                       "merger produced more than %llu tuples; narrow the query or raise "
                       "--max-tuples",
                       (unsigned long long)eo->max_tuples);
    enum { CHUNK = 4096 };
    struct fq_rec *buf = xmalloc(CHUNK * sizeof *buf);
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
    free(s);
}
