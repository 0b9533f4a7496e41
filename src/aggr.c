/* SPDX-License-Identifier: MIT
 * Aggregate functions, computed exactly: sums in 128 bits for avg and
 * stddev, saturation at 2^64-1 for sum and prod, a real comparison for
 * min/max, the upper median w[n/2] of the sorted values.
 */
#include "aggr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct pool_chunk {
    struct pool_chunk *prev;
    size_t used, cap;
    max_align_t data[];
};

enum { CHUNK_MIN = 1 << 20 };

void *pool_alloc(struct pool *a, size_t n)
{
    /* The pool holds sets, arrays of 8-byte words: rounding to
     * sizeof(max_align_t) (32) would double a one-member set. */
    n = (n + _Alignof(struct fq_set) - 1) & ~(_Alignof(struct fq_set) - 1);
    struct pool_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        if (a->spare && cap == CHUNK_MIN) {
            c = a->spare;
            a->spare = NULL;
        } else {
            c = xmalloc(sizeof *c + cap);
        }
        c->prev = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += n;
    return p;
}

struct pool_mark pool_mark(const struct pool *a)
{
    return (struct pool_mark){a->head, a->head ? a->head->used : 0};
}

void pool_release(struct pool *a, struct pool_mark m)
{
    while (a->head != m.chunk) {
        struct pool_chunk *c = a->head;
        a->head = c->prev;
        if (c->cap == CHUNK_MIN && !a->spare)
            a->spare = c;
        else
            free(c);
    }
    if (a->head)
        a->head->used = m.used;
}

void pool_free(struct pool *a)
{
    pool_release(a, (struct pool_mark){NULL, 0});
    free(a->spare);
    a->spare = NULL;
}

void pool_adopt(struct pool *dst, struct pool *src)
{
    free(src->spare);
    src->spare = NULL;
    if (!src->head)
        return;
    struct pool_chunk *c = src->head;
    while (c->prev)
        c = c->prev;
    c->prev = dst->head;
    dst->head = src->head;
    src->head = NULL;
}

void aggr_scratch_free(struct aggr_scratch *s)
{
    free(s->v);
    s->v = NULL;
    s->cap = 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool sorted(const uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i - 1] > v[i])
            return false;
    return true;
}

union fq_val aggr_values(enum fq_aggfn fn, uint64_t *v, size_t n, struct pool *a)
{
    union fq_val r = {.u = 0};
    switch (fn) {
    case AGG_PLAIN: r.u = v[0]; break;
    case AGG_COUNT: r.u = n; break;
    case AGG_SUM: {
        uint64_t s = 0;
        for (size_t i = 0; i < n; i++)
            if (__builtin_add_overflow(s, v[i], &s)) {
                s = UINT64_MAX;
                break;
            }
        r.u = s;
        break;
    }
    case AGG_PROD: {
        uint64_t p = 1;
        for (size_t i = 0; i < n; i++)
            if (__builtin_mul_overflow(p, v[i], &p)) {
                /* A later zero would make the exact product 0. */
                p = UINT64_MAX;
                for (size_t j = i + 1; j < n; j++)
                    if (v[j] == 0)
                        p = 0;
                break;
            }
        r.u = p;
        break;
    }
    case AGG_MIN:
        r.u = v[0];
        for (size_t i = 1; i < n; i++)
            if (v[i] < r.u)
                r.u = v[i];
        break;
    case AGG_MAX:
        r.u = v[0];
        for (size_t i = 1; i < n; i++)
            if (v[i] > r.u)
                r.u = v[i];
        break;
    case AGG_AVG:
    case AGG_STDDEV: {
        unsigned __int128 s = 0;
        for (size_t i = 0; i < n; i++)
            s += v[i];
        double mean = (double)s / (double)n;
        if (fn == AGG_AVG) {
            r.d = mean;
            break;
        }
        double q = 0;
        for (size_t i = 0; i < n; i++) {
            double dv = (double)v[i] - mean;
            q += dv * dv;
        }
        r.d = sqrt(q / (double)n);
        break;
    }
    case AGG_MEDIAN:
        if (!sorted(v, n))
            qsort(v, n, sizeof *v, cmp_u64);
        r.u = v[n / 2];
        break;
    case AGG_BITAND:
        r.u = v[0];
        for (size_t i = 1; i < n; i++)
            r.u &= v[i];
        break;
    case AGG_BITOR:
        for (size_t i = 0; i < n; i++)
            r.u |= v[i];
        break;
    case AGG_BITXOR:
        for (size_t i = 0; i < n; i++)
            r.u ^= v[i];
        break;
    case AGG_UNION: {
        if (!sorted(v, n))
            qsort(v, n, sizeof *v, cmp_u64);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (k == 0 || v[i] != v[k - 1])
                v[k++] = v[i];
        struct fq_set *s = pool_alloc(a, sizeof *s + k * sizeof s->v[0]);
        s->n = k;
        memcpy(s->v, v, k * sizeof s->v[0]);
        r.set = s;
        break;
    }
    }
    return r;
}

static uint64_t *scratch(struct aggr_scratch *s, size_t n)
{
    if (s->cap < n) {
        s->cap = n > 2 * s->cap ? n : 2 * s->cap;
        free(s->v);
        s->v = xmalloc(s->cap * sizeof *s->v);
    }
    return s->v;
}

void aggr_group(const struct fq_gfield *gf, size_t ngf, const bool *need,
                const struct fq_rows *R, const struct aggr_members *m, struct pool *a,
                struct aggr_scratch *s, union fq_val *row)
{
    uint64_t *v = scratch(s, m->n);
    for (size_t k = 0; k < ngf; k++) {
        const struct fq_gfield *f = &gf[k];
        if (need && !need[k])
            continue;
        const unsigned char *first = row_at(R, m->rec[0]);
        size_t n = 0;
        if (f->fn == AGG_PLAIN) {
            row[k].u = row_get(R, first, f->field);
            continue;
        }
        if (f->module < 0 || !m->mask) {
            for (size_t i = 0; i < m->n; i++) {
                if (i + 8 < m->n)
                    __builtin_prefetch(row_at(R, m->rec[i + 8]));
                v[n++] = row_get(R, row_at(R, m->rec[i]), f->field);
            }
        } else {
            size_t w = (size_t)f->module / 64;
            uint64_t bit = (uint64_t)1 << (f->module % 64);
            v[n++] = row_get(R, first, f->field);
            for (size_t i = 1; i < m->n; i++)
                if (m->mask[i * m->mwords + w] & bit)
                    v[n++] = row_get(R, row_at(R, m->rec[i]), f->field);
        }
        row[k] = aggr_values(f->fn, v, n, a);
    }
}
