/* SPDX-License-Identifier: MIT
 * The record spool: sorted runs of at most cap records, written whole to
 * one nameless temporary file, then a k-way heap merge with a read buffer
 * per run.  More than FANIN runs are first merged FANIN at a time into a
 * new file (and again, until FANIN or fewer are left), so the read buffers
 * stay within the budget whatever the number of runs.
 *
 * Records are stored as the IPv4 part of a struct fq_rec (REC_V4 bytes)
 * until the first record holding an IPv6 address comes; from then on
 * whole (REC_FULL).  Most inputs are IPv4 only, and every byte held,
 * written and read back costs: the IPv6 part is 40 % of a record.  Each
 * run keeps the size its records were written with.
 */
#include "spool.h"

#include <assert.h>
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

#define REC_FULL sizeof(struct fq_rec)
#define REC_V4 ((FQ_REC_V4_SIZE + 7) & ~(size_t)7)

struct sorted_run {
    uint64_t off, n;    /* bytes from the start of the file; records */
    size_t rsize;       /* bytes a record: REC_V4 or REC_FULL */
};

/* One run being merged: its unread part in the file and a buffer. */
struct src {
    uint64_t at, end;   /* bytes */
    unsigned char *buf;
    size_t rsize, size, pos, len;   /* size, pos, len: records */
};

struct merge {
    int fd;
    struct src *s;
    size_t ns;
    size_t *heap;       /* source indices, least record first */
    size_t nh;
};

struct spool {
    size_t budget;
    size_t rsize;       /* bytes a record in mem: REC_V4 until an IPv6 record came */
    size_t cap;         /* records per run */
    size_t bufrecs;     /* merge memory, in records */
    unsigned char *mem; /* n records of rsize bytes */
    size_t n, memcap;
    uint64_t count;
    char *dir;
    int fd;             /* -1 until the first run is written */
    uint64_t fend;      /* bytes in the file */
    struct sorted_run *runs;
    size_t nruns, runcap;
    bool reading, failed;
    size_t pos;         /* reading from memory: the next record */
    struct merge m;     /* reading from runs */
};

static uint64_t stored_u64(const unsigned char *p, size_t off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof v);
    return v;
}

static uint64_t stored_stime(const unsigned char *p)
{
    return stored_u64(p, offsetof(struct fq_rec, stime));
}

static uint64_t stored_id(const unsigned char *p)
{
    return stored_u64(p, offsetof(struct fq_rec, rec_id));
}

/* r[0..n) as records of rsize bytes at dst, every byte defined (valgrind
 * checks write(2) buffers): the struct's tail padding, or the bytes past
 * the IPv4 part, are zero. */
static void pack(unsigned char *dst, const struct fq_rec *r, size_t n, size_t rsize)
{
    size_t used = rsize == REC_FULL ? offsetof(struct fq_rec, ip6) + sizeof r->ip6 : FQ_REC_V4_SIZE;
    for (size_t i = 0; i < n; i++, dst += rsize) {
        memcpy(dst, &r[i], used);
        memset(dst + used, 0, rsize - used);
    }
}

/* The stored record at p as a whole struct fq_rec. */
static void unpack(struct fq_rec *r, const unsigned char *p, size_t rsize)
{
    memcpy(r, p, rsize);
    if (rsize < REC_FULL)
        memset((unsigned char *)r + rsize, 0, REC_FULL - rsize);
}

/* ---- sorting one run in memory */

static int cmp_key(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Move record ord[i * stride] of v (rsize bytes each) to place i for
 * every i, following the cycles of the permutation: no second copy of the
 * records.  A done slot is marked by pointing at itself. */
static void permute(unsigned char *v, size_t rsize, size_t n, uint64_t *ord, size_t stride)
{
    unsigned char tmp[REC_FULL];
    for (size_t i = 0; i < n; i++) {
        if (ord[i * stride] == i)
            continue;
        memcpy(tmp, v + i * rsize, rsize);
        size_t j = i;
        for (;;) {
            size_t k = (size_t)ord[j * stride];
            ord[j * stride] = j;
            if (k == i) {
                memcpy(v + j * rsize, tmp, rsize);
                break;
            }
            memcpy(v + j * rsize, v + k * rsize, rsize);
            j = k;
        }
    }
}

/* Sort v[0..n) by (stime, rec_id).  Records usually arrive in rec_id
 * order: then a stable LSD radix sort on stime alone is exact (as the
 * rows_time_order does).  Otherwise, or when the times span more than
 * 2^32 ms, qsort on (stime, rec_id). */
static void sort_run(unsigned char *v, size_t n, size_t rsize)
{
    if (n < 2)
        return;
    uint64_t lo = UINT64_MAX, hi = 0;
    bool ids_up = true;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = stored_stime(v + i * rsize);
        if (t < lo)
            lo = t;
        if (t > hi)
            hi = t;
        if (i && stored_id(v + i * rsize) < stored_id(v + (i - 1) * rsize))
            ids_up = false;
    }
    if (!ids_up || hi - lo > UINT32_MAX) {
        uint64_t *k = xmalloc(n * 3 * sizeof *k);
        for (size_t i = 0; i < n; i++) {
            k[3 * i] = stored_stime(v + i * rsize);
            k[3 * i + 1] = stored_id(v + i * rsize);
            k[3 * i + 2] = i;
        }
        qsort(k, n, 3 * sizeof *k, cmp_key);
        for (size_t i = 0; i < n; i++)
            k[3 * i] = k[3 * i + 2];
        permute(v, rsize, n, k, 3);
        free(k);
        return;
    }
    unsigned bits = 0;
    while (bits < 32 && (hi - lo) >> bits)
        bits++;
    uint64_t *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = (stored_stime(v + i * rsize) - lo) << 32 | i;
    a = radix_sort_keyed(a, n, bits);
    for (size_t i = 0; i < n; i++)
        a[i] &= UINT32_MAX;
    permute(v, rsize, n, a, 1);
    free(a);
}

/* ---- writing runs */

static size_t run_cap(size_t budget, size_t rsize)
{
    size_t cap = budget / (rsize + SORT_KEY);
    return cap < 1 ? 1 : cap > UINT32_MAX ? UINT32_MAX : cap;
}

static int spill(struct spool *s, struct fq_error *err)
{
    if (s->fd < 0 && (s->fd = tmp_open(s->dir, err)) < 0)
        return err->code;
    sort_run(s->mem, s->n, s->rsize);
    if (tmp_write(s->fd, s->dir, s->mem, s->n * s->rsize, err))
        return err->code;
    if (s->nruns == s->runcap)
        s->runs = xrealloc(s->runs, (s->runcap = s->runcap ? 2 * s->runcap : 16) * sizeof *s->runs);
    s->runs[s->nruns++] = (struct sorted_run){s->fend, s->n, s->rsize};
    s->fend += s->n * s->rsize;
    s->n = 0;
    return FQ_OK;
}

/* The first IPv6 record came: records are held whole from now on.  Those
 * held are widened in place, or written as a run of their own when they
 * are more than a run of whole records. */
static int widen(struct spool *s, struct fq_error *err)
{
    size_t cap = run_cap(s->budget, REC_FULL);
    if (s->n > cap && spill(s, err))
        return err->code;
    s->memcap = s->n;
    if (s->n) {
        s->mem = xrealloc(s->mem, s->n * REC_FULL);
        for (size_t i = s->n; i-- > 0;) {
            memmove(s->mem + i * REC_FULL, s->mem + i * REC_V4, REC_V4);
            memset(s->mem + i * REC_FULL + REC_V4, 0, REC_FULL - REC_V4);
        }
    }
    s->rsize = REC_FULL;
    s->cap = cap;
    return FQ_OK;
}

struct spool *spool_new(size_t budget)
{
    struct spool *s = xcalloc(1, sizeof *s);
    s->budget = budget;
    s->rsize = REC_V4;
    s->cap = run_cap(budget, REC_V4);
    /* read buffers sized as if for whole records */
    size_t cap = run_cap(budget, REC_FULL);
    s->bufrecs = cap > (size_t)(FANIN + 1) * MIN_READ ? cap : (size_t)(FANIN + 1) * MIN_READ;
    s->dir = xstrdup(tmp_dir());
    s->fd = -1;
    return s;
}

/* How many of r[0..n) can be stored as they come: those before the first
 * record holding an IPv6 address while records are held as IPv4. */
static size_t storable(const struct spool *s, const struct fq_rec *r, size_t n)
{
    if (s->rsize == REC_FULL)
        return n;
    size_t k = 0;
    while (k < n && !r[k].v6)
        k++;
    return k;
}

int spool_add(struct spool *s, const struct fq_rec *r, size_t n, struct fq_error *err)
{
    if (s->failed)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: spool_add after a failure");
    if (s->reading)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: spool_add after spool_next");
    while (n) {
        if (storable(s, r, 1) == 0 && widen(s, err)) {
            s->failed = true;
            return err->code;
        }
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
            s->mem = xrealloc(s->mem, s->memcap * s->rsize);
        }
        size_t k = storable(s, r, s->memcap - s->n < n ? s->memcap - s->n : n);
        pack(s->mem + s->n * s->rsize, r, k, s->rsize);
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

static const unsigned char *src_head(const struct src *c)
{
    return c->buf + c->pos * c->rsize;
}

static bool src_less(const struct merge *m, size_t a, size_t b)
{
    const unsigned char *x = src_head(&m->s[a]), *y = src_head(&m->s[b]);
    uint64_t tx = stored_stime(x), ty = stored_stime(y);
    if (tx != ty)
        return tx < ty;
    uint64_t ix = stored_id(x), iy = stored_id(y);
    if (ix != iy)
        return ix < iy;
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
    uint64_t left = (c->end - c->at) / c->rsize;
    c->len = left < c->size ? (size_t)left : c->size;
    c->pos = 0;
    *more = c->len > 0;
    if (!*more)
        return FQ_OK;
    int rc = tmp_pread(m->fd, s->dir, c->buf, c->len * c->rsize, c->at, err);
    c->at += c->len * c->rsize;
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
 * s->mem[0..nmem), a sorted run still in memory (the merge takes it over). */
static int merge_open(struct spool *s, struct merge *m, int fd, const struct sorted_run *runs,
                      size_t k, size_t per, size_t nmem, struct fq_error *err)
{
    m->fd = fd;
    m->ns = k + (nmem > 0);
    m->s = xcalloc(m->ns + 1, sizeof *m->s);
    m->heap = xmalloc((m->ns + 1) * sizeof *m->heap);
    m->nh = 0;
    if (nmem) { /* nothing of it in the file: at == end */
        m->s[k] = (struct src){0, 0, s->mem, s->rsize, nmem, 0, nmem};
        s->mem = NULL;
    }
    for (size_t i = 0; i < k; i++) {
        uint64_t n = runs[i].n;
        size_t sz = n < per ? (size_t)n : per;
        m->s[i] = (struct src){runs[i].off, runs[i].off + n * runs[i].rsize,
                               xmalloc((sz ? sz : 1) * runs[i].rsize), runs[i].rsize, sz, 0, 0};
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
        unpack(&out[k++], src_head(c), c->rsize);
        c->pos++;
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
    unsigned char *packed = xmalloc(per * REC_FULL);
    uint64_t at = 0;
    int rc = FQ_OK;
    for (size_t g = 0; g < nnew && rc == FQ_OK; g++) {
        size_t first = g * FANIN, k = s->nruns - first < FANIN ? s->nruns - first : FANIN;
        /* whole records if any of the runs merged holds them */
        size_t rsize = REC_V4;
        for (size_t i = first; i < first + k; i++)
            if (s->runs[i].rsize > rsize)
                rsize = s->runs[i].rsize;
        struct merge m;
        runs[g] = (struct sorted_run){at, 0, rsize};
        rc = merge_open(s, &m, s->fd, &s->runs[first], k, per, 0, err);
        ssize_t got;
        while (rc == FQ_OK && (got = merge_next(s, &m, obuf, per, err)) != 0) {
            if (got > 0)
                pack(packed, obuf, (size_t)got, rsize);
            if (got < 0 || tmp_write(fd, s->dir, packed, (size_t)got * rsize, err)) {
                rc = err->code;
            } else {
                at += (uint64_t)got * rsize;
                runs[g].n += (uint64_t)got;
            }
        }
        merge_close(&m);
    }
    free(packed);
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
        sort_run(s->mem, s->n, s->rsize);
        return FQ_OK;
    }
    if (s->n && s->nruns > FANIN && spill(s, err))
        return err->code;
    while (s->nruns > FANIN)
        if (merge_pass(s, err))
            return err->code;
    size_t nmem = s->n;
    if (nmem) {
        /* give back the buffer's unused tail: the read buffers take it */
        s->mem = xrealloc(s->mem, nmem * s->rsize);
        sort_run(s->mem, nmem, s->rsize);
    } else {
        free(s->mem);
        s->mem = NULL;
    }
    s->n = s->memcap = 0;
    /* the read buffers share what the memory run leaves of the budget */
    size_t left = s->bufrecs > nmem ? s->bufrecs - nmem : 0;
    size_t per = s->nruns > 1 ? left / s->nruns : left;
    return merge_open(s, &s->m, s->fd, s->runs, s->nruns, per < MIN_READ ? MIN_READ : per, nmem,
                      err);
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
        assert(k == 0 || s->mem);
        for (size_t i = 0; i < k; i++)
            unpack(&buf[i], s->mem + (s->pos + i) * s->rsize, s->rsize);
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
