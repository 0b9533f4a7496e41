/* SPDX-License-Identifier: MIT
 * Row layouts.  Fields are packed widest first after the three hot ones
 * (or into etime's place when it is not stored), so every field sits at
 * its natural alignment and the stride stays a multiple of 8.
 */
#include "rows.h"

#include <assert.h>
#include <stdlib.h>

#include "util.h"

static_assert(F_SRCIP == 0 && F_DSTIP == 1 && F_NEXTHOP == 2 && F_EXADDR == 3 &&
                  offsetof(struct fq_rec, v6) < 256,
              "address fields are v6 bits 0..3; full rows are the IPv4 part of a record");
static_assert(offsetof(struct fq_rec, stime) == 0 && offsetof(struct fq_rec, etime) == 8 &&
                  offsetof(struct fq_rec, rec_id) == 16,
              "rows start with struct fq_rec's first three members");

enum { HOT = 24, HOT_ETIME_END = 16 };

static bool hot(enum fq_field f)
{
    return f == F_STIME || f == F_ETIME || f == F_REC_ID;
}

/* with6: store the v6 flags byte when an address is stored (rows.h). */
static void layout(struct fq_rows *R, const bool *need, bool with6)
{
    R->full = need == NULL;
    R->v6off = (uint16_t)offsetof(struct fq_rec, v6);
    R->flags = R->full;
    if (R->full) {
        R->stride = (FQ_REC_V4_SIZE + 7) & ~(size_t)7;
        for (size_t f = 0; f < F_COUNT; f++)
            R->off[f] = (uint16_t)fq_fields[f].offset;
        return;
    }
    size_t at = HOT;
    /* etime's 8 bytes, when nothing reads it, hold the first fields that
     * fit (stime and rec_id keep their places: row_stime, row_id) */
    size_t hole = need[F_ETIME] ? HOT_ETIME_END : offsetof(struct fq_rec, etime);
    for (size_t f = 0; f < F_COUNT; f++)
        R->off[f] = hot((enum fq_field)f) && (f != F_ETIME || need[f])
                        ? (uint16_t)fq_fields[f].offset
                        : ROW_ABSENT;
    for (size_t size = 8; size >= 1; size /= 2)
        for (size_t f = 0; f < F_COUNT; f++)
            if (need[f] && !hot((enum fq_field)f) && fq_fields[f].size == size) {
                size_t to = hole + size <= HOT_ETIME_END ? hole : at;
                if (to == hole)
                    hole += size;
                else
                    at += size;
                R->off[f] = (uint16_t)to;
                R->copy[R->ncopy].from = (uint8_t)fq_fields[f].offset;
                R->copy[R->ncopy].to = (uint8_t)to;
                R->copy[R->ncopy++].size = (uint8_t)size;
            }
    memcpy(R->need, need, sizeof R->need);
    if (with6 && (need[F_SRCIP] || need[F_DSTIP] || need[F_NEXTHOP] || need[F_EXADDR])) {
        R->flags = true;
        R->v6off = (uint16_t)at;
        R->copy[R->ncopy].from = (uint8_t)offsetof(struct fq_rec, v6);
        R->copy[R->ncopy].to = (uint8_t)at;
        R->copy[R->ncopy++].size = 1;
        at++;
    }
    R->stride = (at + 7) & ~(size_t)7;
}

void rows_init(struct fq_rows *R, const bool *need)
{
    memset(R, 0, sizeof *R);
    layout(R, need, false);
}

bool rows_any6(const struct fq_rec *recs, size_t n)
{
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= recs[i].v6;
    return any != 0;
}

void rows_wrap(struct fq_rows *R, const struct fq_rec *recs, size_t n)
{
    rows_init(R, NULL);
    R->stride = sizeof *recs;
    R->p = (unsigned char *)(uintptr_t)recs;
    R->n = R->cap = n;
    R->borrowed = true;
}

/* One record into the row at dst: the hot prefix, then each stored field. */
static void put(const struct fq_rows *R, unsigned char *dst, const struct fq_rec *r)
{
    const unsigned char *src = (const unsigned char *)r;
    memcpy(dst, src, HOT);
    for (size_t i = 0; i < R->ncopy; i++) {
        unsigned from = R->copy[i].from, to = R->copy[i].to;
        switch (R->copy[i].size) {   /* fixed sizes: plain moves, no memcpy calls */
        case 1: dst[to] = src[from]; break;
        case 2: memcpy(dst + to, src + from, 2); break;
        case 4: memcpy(dst + to, src + from, 4); break;
        default: memcpy(dst + to, src + from, 8); break;
        }
    }
}

/* The IPv6 addresses of r (just stored at dst) into the table: their
 * slots take the ids. */
static void put6(struct fq_rows *R, unsigned char *dst, const struct fq_rec *r)
{
    assert(R->t6 && !R->t6->ranked);
    R->has6 = true;
    for (unsigned f = F_SRCIP; f <= F_EXADDR; f++)
        if (R->off[f] != ROW_ABSENT && r->v6 >> f & 1) {
            uint32_t id = ip6_tab_add(R->t6, r->ip6[f]);
            memcpy(dst + R->off[f], &id, 4);
        }
}

/* The first IPv6 record of narrow rows without the flags byte: every
 * row moves to the layout with it (IPv4-only input never pays for it). */
static void widen(struct fq_rows *R)
{
    struct fq_rows N;
    memset(&N, 0, sizeof N);
    layout(&N, R->need, true);
    if (!N.flags)               /* no address stored: nothing to flag */
        return;
    /* In place, last row first: row i moves up from i * R->stride to
     * i * N.stride, past no row still to move, so the rows are never
     * held twice (spill_put widens rows of the whole memory budget). */
    N.p = xrealloc(R->p, (R->cap ? R->cap : 1) * N.stride);
    unsigned char row[sizeof(struct fq_rec)];
    assert(R->stride <= sizeof row);
    for (size_t i = R->n; i-- > 0;) {
        unsigned char *dst = N.p + i * N.stride;
        memcpy(row, N.p + i * R->stride, R->stride);
        memset(dst, 0, N.stride);
        memcpy(dst, row, HOT);
        for (size_t k = 0; k < R->ncopy; k++)
            memcpy(dst + N.copy[k].to, row + R->copy[k].to, R->copy[k].size);
    }
    N.n = R->n;
    N.cap = R->cap;
    N.t6 = R->t6;
    *R = N;
}

void rows_fix_layout(struct fq_rows *R)
{
    if (!R->full && !R->flags)
        widen(R);
}

void rows_reserve(struct fq_rows *R, size_t n)
{
    assert(!R->borrowed);
    if (R->cap - R->n < n) {
        size_t cap = R->cap ? R->cap : 4096;
        while (cap - R->n < n)
            cap *= 2;
        R->p = xrealloc(R->p, cap * R->stride);
        R->cap = cap;
    }
}

void rows_init_like(struct fq_rows *R, const struct fq_rows *like)
{
    *R = *like;
    R->p = NULL;
    R->n = R->cap = 0;
    R->borrowed = false;
}

void rows_append_rows(struct fq_rows *R, const unsigned char *rows, size_t n)
{
    rows_reserve(R, n);
    memcpy(R->p + R->n * R->stride, rows, n * R->stride);
    R->n += n;
}

void rows_append(struct fq_rows *R, const struct fq_rec *recs, size_t n)
{
    assert(!R->borrowed);
    if (!R->flags && rows_any6(recs, n))
        widen(R);
    rows_reserve(R, n);
    unsigned char *dst = R->p + R->n * R->stride;
    for (size_t i = 0; i < n; i++, dst += R->stride) {
        if (R->full)
            memcpy(dst, &recs[i], FQ_REC_V4_SIZE);
        else
            put(R, dst, &recs[i]);
        if (recs[i].v6)
            put6(R, dst, &recs[i]);
    }
    R->n += n;
}

void rows_rank(struct fq_rows *R)
{
    if (!R->t6 || R->t6->ranked)
        return;
    uint32_t *rank = ip6_tab_rank(R->t6);
    rows_apply_rank(R, rank);
    free(rank);
}

void rows_apply_rank(struct fq_rows *R, const uint32_t *rank)
{
    for (size_t i = 0; R->has6 && i < R->n; i++) {
        unsigned char *row = R->p + i * R->stride;
        for (unsigned f = F_SRCIP; f <= F_EXADDR; f++)
            if (R->off[f] != ROW_ABSENT && row[R->v6off] >> f & 1) {
                uint32_t id;
                memcpy(&id, row + R->off[f], 4);
                id = ip6_slot(rank[id]);
                memcpy(row + R->off[f], &id, 4);
            }
    }
}

void row_rec(const struct fq_rows *R, size_t i, struct fq_rec *r)
{
    const unsigned char *row = row_at(R, i);
    memcpy(r, row, FQ_REC_V4_SIZE);
    for (unsigned f = F_SRCIP; r->v6 && f <= F_EXADDR; f++)
        if (r->v6 >> f & 1) {
            uint32_t *slot = (uint32_t *)(void *)((unsigned char *)r + fq_fields[f].offset);
            memcpy(r->ip6[f], ip6_tab_addr(R->t6, IP6_KEY + *slot), 16);
            *slot = 0;
        }
}

void rows_narrow(struct fq_rows *R, const bool *need)
{
    assert(R->full && !R->borrowed);
    struct fq_rows N;
    memset(&N, 0, sizeof N);
    layout(&N, need, R->has6);
    /* Row i moves from i * R->stride to i * N.stride <= that: forwards is
     * safe, but a row may overlap its own old place, so it goes through r.
     * Address slots (ids or keys) move as they are. */
    for (size_t i = 0; i < R->n; i++) {
        struct fq_rec r;
        memcpy(&r, R->p + i * R->stride, FQ_REC_V4_SIZE);
        put(&N, R->p + i * N.stride, &r);
    }
    N.t6 = R->t6;
    N.has6 = R->has6;
    N.p = R->p;
    N.n = R->n;
    N.cap = R->cap * R->stride / N.stride;
    *R = N;
    rows_trim(R);
}

void rows_trim(struct fq_rows *R)
{
    if (R->borrowed || R->cap == R->n)
        return;
    R->p = xrealloc(R->p, (R->n ? R->n : 1) * R->stride);
    R->cap = R->n ? R->n : 1;
}

void rows_free(struct fq_rows *R)
{
    if (!R->borrowed)
        free(R->p);
    memset(R, 0, sizeof *R);
}

/* ---- the (stime, row) order */

static int cmp_time_id(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* LSD radix sort on stime - min packed above the index: stable, so ties
 * stay in row order.  Spans over 2^32 ms fall back to qsort. */
uint32_t *rows_time_order(const struct fq_rows *R)
{
    size_t n = R->n;
    uint32_t *ord = xmalloc((n ? n : 1) * sizeof *ord);
    if (n == 0)
        return ord;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = row_stime(row_at(R, i));
        if (t < lo)
            lo = t;
        if (t > hi)
            hi = t;
    }
    if (hi - lo > UINT32_MAX) {
        uint64_t *p = xmalloc(n * 2 * sizeof *p);
        for (size_t i = 0; i < n; i++) {
            p[2 * i] = row_stime(row_at(R, i));
            p[2 * i + 1] = i;
        }
        qsort(p, n, 2 * sizeof *p, cmp_time_id);
        for (size_t i = 0; i < n; i++)
            ord[i] = (uint32_t)p[2 * i + 1];
        free(p);
        return ord;
    }
    unsigned bits = 0;
    while (bits < 32 && (hi - lo) >> bits)
        bits++;
    uint64_t *a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++)
        a[i] = (row_stime(row_at(R, i)) - lo) << 32 | i;
    a = radix_sort_keyed(a, n, bits);
    for (size_t i = 0; i < n; i++)
        ord[i] = (uint32_t)a[i];
    free(a);
    return ord;
}
