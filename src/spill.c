/* SPDX-License-Identifier: MIT
 * The out-of-core run (spill.h).  A partition is a list of chunks of one
 * temporary file; a chunk is one partition's write buffer, whole records
 * of a row (the engine's narrow layout) and its branch mask.  Rows hold
 * IPv6 ids until they are loaded to run: the table is ranked once, after
 * the last put, and each loaded partition's rows are then given keys.
 */
#include "spill.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_in.h"
#include "util.h"

enum {
    FIRST_PARTS = 16,       /* partitions of the first split */
    MAX_PARTS = 128,        /* of a split again */
    BUF_BYTES = 16 << 10,   /* a partition's write buffer */
};

struct chunk {
    uint64_t off;           /* bytes into the file */
    size_t len;
};

struct part {
    struct chunk *c;
    size_t n, cap;
    unsigned char *buf;     /* BUF_BYTES, made at the first row */
    size_t used;
    uint64_t bytes;         /* in the file and the buffer */
};

struct spill {
    const struct fq_query *q;
    const struct fq_plan *plan;
    size_t budget;
    const char *dir;
    int fd;                 /* -1 until the first chunk */
    uint64_t fend;
    unsigned level;
    size_t np;
    struct part *p;
    size_t stride, mw, rec; /* a row, its mask, both: bytes in the file */
};

static struct spill *spill_make(const struct fq_query *q, const struct fq_plan *plan,
                                size_t budget, unsigned level, size_t np)
{
    struct spill *s = xcalloc(1, sizeof *s);
    s->q = q;
    s->plan = plan;
    s->budget = budget;
    s->dir = tmp_dir();
    s->fd = -1;
    s->level = level;
    s->np = np;
    s->p = xcalloc(np, sizeof *s->p);
    s->mw = (q->nbranches + 7) / 8;
    return s;
}

struct spill *spill_new(const struct fq_query *q, const struct fq_plan *plan, size_t budget)
{
    return spill_make(q, plan, budget, 0, FIRST_PARTS);
}

void spill_free(struct spill *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->np; i++) {
        free(s->p[i].c);
        free(s->p[i].buf);
    }
    free(s->p);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

/* Partition i's buffer to the end of the file, as one chunk. */
static int flush_part(struct spill *s, size_t i, struct fq_error *err)
{
    struct part *p = &s->p[i];
    if (p->used == 0)
        return FQ_OK;
    if (s->fd < 0 && (s->fd = tmp_open(s->dir, err)) < 0)
        return err->code;
    if (tmp_write(s->fd, s->dir, p->buf, p->used, err) != FQ_OK)
        return err->code;
    if (p->n == p->cap)
        p->c = xrealloc(p->c, (p->cap = p->cap ? 2 * p->cap : 16) * sizeof *p->c);
    p->c[p->n++] = (struct chunk){s->fend, p->used};
    s->fend += p->used;
    p->used = 0;
    return FQ_OK;
}

static int put_row(struct spill *s, size_t i, const unsigned char *row, const uint8_t *mask,
                   struct fq_error *err)
{
    struct part *p = &s->p[i];
    if (!p->buf)
        p->buf = xmalloc(BUF_BYTES);
    if (p->used + s->rec > BUF_BYTES && flush_part(s, i, err) != FQ_OK)
        return err->code;
    memcpy(p->buf + p->used, row, s->stride);
    memcpy(p->buf + p->used + s->stride, mask, s->mw);
    p->used += s->rec;
    p->bytes += s->rec;
    return FQ_OK;
}

int spill_put(struct spill *s, struct engine_in *in, struct fq_error *err)
{
    rows_fix_layout(&in->rows);
    if (!s->rec) {
        s->stride = in->rows.stride;
        s->rec = s->stride + s->mw;
    }
    size_t nb = s->q->nbranches;
    size_t *dest = xmalloc((nb ? nb : 1) * sizeof *dest);
    uint8_t *m = xmalloc((nb ? nb : 1) * (s->mw ? s->mw : 1));
    int rc = FQ_OK;
    for (size_t i = 0; i < in->rows.n && rc == FQ_OK; i++) {
        size_t k = engine_in_row_dests(in, s->plan, s->np, s->level, i, dest, m);
        for (size_t j = 0; j < k && rc == FQ_OK; j++)
            rc = put_row(s, dest[j], row_at(&in->rows, i), &m[j * s->mw], err);
    }
    free(dest);
    free(m);
    in->rows.n = 0;
    return rc;
}

/* Partition i's records, chunk by chunk, to fn (a chunk's bytes: whole
 * records).  The buffer's rest stays in memory and comes last. */
static int each_chunk(struct spill *s, size_t i,
                      int (*fn)(void *ctx, const unsigned char *recs, size_t len,
                                struct fq_error *err),
                      void *ctx, struct fq_error *err)
{
    struct part *p = &s->p[i];
    unsigned char *buf = xmalloc(BUF_BYTES);
    int rc = FQ_OK;
    for (size_t c = 0; c < p->n && rc == FQ_OK; c++) {
        rc = tmp_pread(s->fd, s->dir, buf, p->c[c].len, p->c[c].off, err);
        if (rc == FQ_OK)
            rc = fn(ctx, buf, p->c[c].len, err);
    }
    free(buf);
    if (rc == FQ_OK && p->used)
        rc = fn(ctx, p->buf, p->used, err);
    return rc;
}

/* Records into a partition input. */
struct load {
    const struct spill *s;
    struct engine_in *pi;
};

static int load_chunk(void *ctx, const unsigned char *recs, size_t len, struct fq_error *err)
{
    (void)err;
    struct load *l = ctx;
    for (size_t at = 0; at + l->s->rec <= len; at += l->s->rec)
        engine_in_add_rows(l->pi, recs + at, recs + at + l->s->stride);
    return FQ_OK;
}

/* Records into the partitions of a split again: through a partition
 * input of at most one chunk. */
struct resplit {
    struct spill *child;
    struct engine_in *tmp;
};

static int resplit_chunk(void *ctx, const unsigned char *recs, size_t len, struct fq_error *err)
{
    struct resplit *r = ctx;
    struct load l = {r->child, r->tmp};
    load_chunk(&l, recs, len, err);
    return spill_put(r->child, r->tmp, err);
}

/* What running the partitions one after another shares. */
struct spill_sum {
    struct engine_in *in;       /* the rows' layout and IPv6 table */
    const struct engine_opts *eo;
    const uint32_t *rank;       /* IPv6 id to rank */
    uint64_t *bits;
    size_t nwords;
    struct engine_stats sum;
};

static int run_spill(struct spill *s, struct spill_sum *ss, struct fq_error *err);

/* Partition i split again into a child spill, and that run. */
static int run_split(struct spill *s, size_t i, struct spill_sum *ss, struct fq_error *err)
{
    size_t np = s->p[i].bytes / (s->budget / 4 + 1) + 2;
    struct spill *child = spill_make(s->q, s->plan, s->budget, s->level + 1,
                                     np < MAX_PARTS ? np : MAX_PARTS);
    child->stride = s->stride;
    child->rec = s->rec;
    struct resplit r = {child, engine_in_part_new(ss->in, s->plan, s->q->nbranches)};
    int rc = each_chunk(s, i, resplit_chunk, &r, err);
    engine_in_free(r.tmp);
    if (rc == FQ_OK)
        rc = run_spill(child, ss, err);
    spill_free(child);
    return rc;
}

static int run_spill(struct spill *s, struct spill_sum *ss, struct fq_error *err)
{
    int rc = FQ_OK;
    for (size_t i = 0; i < s->np && rc == FQ_OK; i++) {
        struct part *p = &s->p[i];
        if (p->bytes == 0)
            continue;
        if (p->bytes > s->budget / 2 && s->level + 1 < SPILL_LEVELS &&
            p->bytes > s->rec) {
            rc = run_split(s, i, ss, err);
            continue;
        }
        struct load l = {s, engine_in_part_new(ss->in, s->plan, s->q->nbranches)};
        rc = each_chunk(s, i, load_chunk, &l, err);
        if (rc != FQ_OK) {
            engine_in_free(l.pi);
            break;
        }
        rows_apply_rank(&l.pi->rows, ss->rank);
        rc = engine_run_part(s->q, l.pi, ss->eo, NULL, ss->bits, ss->nwords, &ss->sum, err);
    }
    return rc;
}

int spill_run(struct spill *s, struct engine_in *in, const struct engine_opts *eo,
              uint64_t **bits, struct engine_stats *st, struct fq_error *err)
{
    struct spill_sum ss = {.in = in, .eo = eo, .nwords = in->nread / 64 + 1};
    ss.bits = xcalloc(ss.nwords, sizeof *ss.bits);
    ss.sum.nbranches = s->q->nbranches;
    ss.sum.branch = xcalloc(s->q->nbranches ? s->q->nbranches : 1, sizeof *ss.sum.branch);
    /* the rows are all in the partitions: their memory goes, their layout stays */
    free(in->rows.p);
    in->rows.p = NULL;
    in->rows.n = in->rows.cap = 0;
    free(in->mask);
    in->mask = NULL;
    in->mcap = 0;
    uint32_t *rank = in->t6.ranked ? NULL : ip6_tab_rank(&in->t6);
    ss.rank = rank;
    int rc = run_spill(s, &ss, err);
    free(rank);
    *st = ss.sum;
    if (rc == FQ_OK)
        rc = engine_parts_done(s->q, eo, in->nread, ss.bits, ss.nwords, st, err);
    if (rc == FQ_OK)
        *bits = ss.bits;
    else
        free(ss.bits);
    return rc;
}
