/* SPDX-License-Identifier: MIT
 * The record spool: sorted runs of at most cap records, written whole to
 * one nameless temporary file, then a k-way heap merge with a read buffer
 * per run.  More than FANIN runs are first merged FANIN at a time into a
 * new file (and again, until FANIN or fewer are left), so the read buffers
 * stay within the budget whatever the number of runs.
 */
#include "spool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

enum {
    FANIN = 128,
    SORT_KEY = 24,      /* scratch bytes per record while a run is sorted */
    MIN_READ = 64,      /* records per read buffer, however small the budget */
    FIRST_ALLOC = 1024, /* records; the buffer doubles up to cap */
};

struct sorted_run {
    uint64_t off, n;    /* in records from the start of the file */
};

/* One run being merged: its unread part in the file and a buffer. */
struct src {
    uint64_t at, end;
    struct fq_rec *buf;
    size_t size, pos, len;
};

struct merge {
    int fd;
    struct src *s;
    size_t ns;
    size_t *heap;       /* source indices, least record first */
    size_t nh;
};

struct spool {
    size_t cap;         /* records per run */
    size_t bufrecs;     /* merge memory, in records */
    struct fq_rec *mem;
    size_t n, memcap;
    uint64_t count;
    char *dir;
    int fd;             /* -1 until the first run is written */
    uint64_t fend;      /* records in the file */
    struct sorted_run *runs;
    size_t nruns, runcap;
    bool reading, failed;
    size_t pos;         /* reading from memory: the next record */
    struct merge m;     /* reading from runs */
};

/* Records to and from the temporary file (util.h's tmp_* name s->dir in
 * their errors). */
static int write_all(const struct spool *s, int fd, const struct fq_rec *r, size_t n,
                     struct fq_error *err)
{
    return tmp_write(fd, s->dir, r, n * sizeof *r, err);
}

static int read_at(const struct spool *s, int fd, struct fq_rec *r, size_t n, uint64_t at,
                   struct fq_error *err)
{
    return tmp_pread(fd, s->dir, r, n * sizeof *r, at * sizeof *r, err);
}

/* ---- sorting one run in memory */

static int cmp_key(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Move v[ord[i * stride]] to v[i] for every i, following the cycles of
 * the permutation: no second copy of the records.  A done slot is marked
 * by pointing at itself. */
static void permute(struct fq_rec *v, size_t n, uint64_t *ord, size_t stride)
{
    for (size_t i = 0; i < n; i++) {
        if (ord[i * stride] == i)
            continue;
        struct fq_rec tmp = v[i];
        size_t j = i;
        for (;;) {
            size_t k = (size_t)ord[j * stride];
            ord[j * stride] = j;
            if (k == i) {
                v[j] = tmp;
                break;
            }
            v[j] = v[k];
            j = k;
        }
    }
}

/* Sort v[0..n) by (stime, rec_id).  Records usually arrive in rec_id
 * order: then a stable LSD radix sort on stime alone is exact (as the
 * rows_time_order does).  Otherwise, or when the times span more than
 * 2^32 ms, qsort on (stime, rec_id). */
static void sort_run(struct fq_rec *v, size_t n)
{
    if (n < 2)
        return;
    uint64_t lo = UINT64_MAX, hi = 0;
    bool ids_up = true;
    for (size_t i = 0; i < n; i++) {
        if (v[i].stime < lo)
            lo = v[i].stime;
        if (v[i].stime > hi)
            hi = v[i].stime;
        if (i && v[i].rec_id < v[i - 1].rec_id)
            ids_up = false;
    }
    if (!ids_up || hi - lo > UINT32_MAX) {
        uint64_t *k = xmalloc(n * 3 * sizeof *k);
        for (size_t i = 0; i < n; i++) {
            k[3 * i] = v[i].stime;
            k[3 * i + 1] = v[i].rec_id;
            k[3 * i + 2] = i;
        }
        qsort(k, n, 3 * sizeof *k, cmp_key);
        for (size_t i = 0; i < n; i++)
            k[3 * i] = k[3 * i + 2];
        permute(v, n, k, 3);
        free(k);
        return;
    }
    unsigned bits = 0;
    while (bits < 32 && (hi - lo) >> bits)
        bits++;
    uint64_t *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = (v[i].stime - lo) << 32 | i;
    a = radix_sort_keyed(a, n, bits);
    for (size_t i = 0; i < n; i++)
        a[i] &= UINT32_MAX;
    permute(v, n, a, 1);
    free(a);
}

/* ---- writing runs */

/* The struct's tail padding is never set by the decoder; zero it so that
 * the bytes written are all defined (valgrind checks write(2) buffers). */
static void clear_padding(struct fq_rec *v, size_t n)
{
    size_t used = offsetof(struct fq_rec, ip6) + sizeof v->ip6;
    if (used == sizeof *v)
        return;
    for (size_t i = 0; i < n; i++)
        memset((char *)&v[i] + used, 0, sizeof *v - used);
}

static int spill(struct spool *s, struct fq_error *err)
{
    if (s->fd < 0 && (s->fd = tmp_open(s->dir, err)) < 0)
        return err->code;
    sort_run(s->mem, s->n);
    clear_padding(s->mem, s->n);
    if (write_all(s, s->fd, s->mem, s->n, err))
        return err->code;
    if (s->nruns == s->runcap)
        s->runs = xrealloc(s->runs, (s->runcap = s->runcap ? 2 * s->runcap : 16) * sizeof *s->runs);
    s->runs[s->nruns++] = (struct sorted_run){s->fend, s->n};
    s->fend += s->n;
    s->n = 0;
    return FQ_OK;
}

struct spool *spool_new(size_t budget)
{
    struct spool *s = xcalloc(1, sizeof *s);
    size_t cap = budget / (sizeof(struct fq_rec) + SORT_KEY);
    s->cap = cap < 1 ? 1 : cap > UINT32_MAX ? UINT32_MAX : cap;
    s->bufrecs = cap > (size_t)(FANIN + 1) * MIN_READ ? cap : (size_t)(FANIN + 1) * MIN_READ;
    s->dir = xstrdup(tmp_dir());
    s->fd = -1;
    return s;
}

int spool_add(struct spool *s, const struct fq_rec *r, size_t n, struct fq_error *err)
{
    if (s->failed)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: spool_add after a failure");
    if (s->reading)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: spool_add after spool_next");
    while (n) {
        /* A full buffer is written only when more records come: what
         * fits exactly stays in memory. */
        if (s->n == s->cap && spill(s, err)) {
            s->failed = true;
            return err->code;
        }
        if (s->n == s->memcap) {
            /* Grow by doubling, so that a small result never costs the
             * whole budget; full runs reuse the buffer. */
            s->memcap = s->memcap ? 2 * s->memcap : FIRST_ALLOC;
            if (s->memcap > s->cap)
                s->memcap = s->cap;
            s->mem = xrealloc(s->mem, s->memcap * sizeof *s->mem);
        }
        size_t k = s->memcap - s->n < n ? s->memcap - s->n : n;
        memcpy(&s->mem[s->n], r, k * sizeof *r);
        s->n += k;
        s->count += k;
        r += k;
        n -= k;
    }
    return FQ_OK;
}

uint64_t spool_count(const struct spool *s)
{
    return s->count;
}

/* ---- merging runs */

static bool src_less(const struct merge *m, size_t a, size_t b)
{
    const struct fq_rec *x = &m->s[a].buf[m->s[a].pos], *y = &m->s[b].buf[m->s[b].pos];
    if (x->stime != y->stime)
        return x->stime < y->stime;
    if (x->rec_id != y->rec_id)
        return x->rec_id < y->rec_id;
    return a < b;   /* equal keys: the earlier run first, for determinism */
}

static void sift_down(struct merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, least = i;
        if (l < m->nh && src_less(m, m->heap[l], m->heap[least]))
            least = l;
        if (l + 1 < m->nh && src_less(m, m->heap[l + 1], m->heap[least]))
            least = l + 1;
        if (least == i)
            return;
        size_t t = m->heap[i];
        m->heap[i] = m->heap[least];
        m->heap[least] = t;
        i = least;
    }
}

/* Refill source i's buffer; *more is false when its run is used up. */
static int src_fill(const struct spool *s, struct merge *m, size_t i, bool *more,
                    struct fq_error *err)
{
    struct src *c = &m->s[i];
    uint64_t left = c->end - c->at;
    c->len = left < c->size ? (size_t)left : c->size;
    c->pos = 0;
    *more = c->len > 0;
    if (!*more)
        return FQ_OK;
    int rc = read_at(s, m->fd, c->buf, c->len, c->at, err);
    c->at += c->len;
    return rc;
}

static void merge_close(struct merge *m)
{
    for (size_t i = 0; i < m->ns; i++)
        free(m->s[i].buf);
    free(m->s);
    free(m->heap);
    memset(m, 0, sizeof *m);
}

/* Merge runs[0..k) of fd, with a buffer of per records for each, and
 * mem[0..nmem), a sorted run still in memory (the merge takes it over). */
static int merge_open(const struct spool *s, struct merge *m, int fd, const struct sorted_run *runs,
                      size_t k, size_t per, struct fq_rec *mem, size_t nmem, struct fq_error *err)
{
    m->fd = fd;
    m->ns = k + (nmem > 0);
    m->s = xcalloc(m->ns + 1, sizeof *m->s);
    m->heap = xmalloc((m->ns + 1) * sizeof *m->heap);
    m->nh = 0;
    if (nmem)   /* nothing of it in the file: at == end */
        m->s[k] = (struct src){0, 0, mem, nmem, 0, nmem};
    for (size_t i = 0; i < k; i++) {
        uint64_t n = runs[i].n;
        size_t sz = n < per ? (size_t)n : per;
        m->s[i] = (struct src){runs[i].off, runs[i].off + n,
                               xmalloc((sz ? sz : 1) * sizeof(struct fq_rec)), sz, 0, 0};
        bool more;
        if (src_fill(s, m, i, &more, err))
            return err->code;
        if (more)
            m->heap[m->nh++] = i;
    }
    if (nmem)
        m->heap[m->nh++] = k;
    for (size_t i = m->nh / 2; i-- > 0;)
        sift_down(m, i);
    return FQ_OK;
}

static ssize_t merge_next(const struct spool *s, struct merge *m, struct fq_rec *out, size_t cap,
                          struct fq_error *err)
{
    size_t k = 0;
    while (k < cap && m->nh) {
        size_t i = m->heap[0];
        struct src *c = &m->s[i];
        out[k++] = c->buf[c->pos++];
        if (c->pos == c->len) {
            bool more;
            if (src_fill(s, m, i, &more, err))
                return -1;
            if (!more)
                m->heap[0] = m->heap[--m->nh];
        }
        if (m->nh)
            sift_down(m, 0);
    }
    return (ssize_t)k;
}

/* One pass: every FANIN consecutive runs become one run of a new file. */
static int merge_pass(struct spool *s, struct fq_error *err)
{
    int fd = tmp_open(s->dir, err);
    if (fd < 0)
        return err->code;
    size_t nnew = (s->nruns + FANIN - 1) / FANIN;
    struct sorted_run *runs = xmalloc(nnew * sizeof *runs);
    size_t per = s->bufrecs / (FANIN + 1);
    struct fq_rec *obuf = xmalloc(per * sizeof *obuf);
    uint64_t at = 0;
    int rc = FQ_OK;
    for (size_t g = 0; g < nnew && rc == FQ_OK; g++) {
        size_t first = g * FANIN, k = s->nruns - first < FANIN ? s->nruns - first : FANIN;
        struct merge m;
        runs[g].off = at;
        rc = merge_open(s, &m, s->fd, &s->runs[first], k, per, NULL, 0, err);
        ssize_t got;
        while (rc == FQ_OK && (got = merge_next(s, &m, obuf, per, err)) != 0) {
            if (got < 0 || write_all(s, fd, obuf, (size_t)got, err))
                rc = err->code;
            else
                at += (uint64_t)got;
        }
        runs[g].n = at - runs[g].off;
        merge_close(&m);
    }
    free(obuf);
    if (rc) {
        close(fd);
        free(runs);
        return rc;
    }
    close(s->fd);
    s->fd = fd;
    s->fend = at;
    free(s->runs);
    s->runs = runs;
    s->nruns = s->runcap = nnew;
    return FQ_OK;
}

/* From adding to reading: sort what is in memory; if runs were written,
 * merge them down to FANIN and open the final merge.  The records still
 * in memory join that merge as they are, rather than being written and
 * read back, when there is no merge pass to share the memory with. */
static int finish(struct spool *s, struct fq_error *err)
{
    s->reading = true;
    if (s->nruns == 0) {     /* nothing was written */
        sort_run(s->mem, s->n);
        return FQ_OK;
    }
    if (s->n && s->nruns > FANIN && spill(s, err))
        return err->code;
    while (s->nruns > FANIN)
        if (merge_pass(s, err))
            return err->code;
    struct fq_rec *mem = NULL;
    size_t nmem = s->n;
    if (nmem) {
        /* give back the buffer's unused tail: the read buffers take it */
        mem = xrealloc(s->mem, nmem * sizeof *mem);
        sort_run(mem, nmem);
    } else {
        free(s->mem);
    }
    s->mem = NULL;
    s->n = s->memcap = 0;
    /* the read buffers share what the memory run leaves of the budget */
    size_t left = s->bufrecs > nmem ? s->bufrecs - nmem : 0;
    size_t per = s->nruns > 1 ? left / s->nruns : left;
    return merge_open(s, &s->m, s->fd, s->runs, s->nruns, per < MIN_READ ? MIN_READ : per, mem,
                      nmem, err);
}

ssize_t spool_next(struct spool *s, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    if (s->failed) {
        fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: spool_next after a failure");
        return -1;
    }
    if (!s->reading && finish(s, err)) {
        s->failed = true;
        return -1;
    }
    if (s->nruns == 0) {
        size_t k = s->n - s->pos < cap ? s->n - s->pos : cap;
        if (k)
            memcpy(buf, &s->mem[s->pos], k * sizeof *buf);
        s->pos += k;
        return (ssize_t)k;
    }
    ssize_t got = merge_next(s, &s->m, buf, cap, err);
    if (got < 0)
        s->failed = true;
    return got;
}

void spool_free(struct spool *s)
{
    if (!s)
        return;
    merge_close(&s->m);
    if (s->fd >= 0)
        close(s->fd);
    free(s->runs);
    free(s->mem);
    free(s->dir);
    free(s);
}
