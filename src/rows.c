/* SPDX-License-Identifier: MIT
 * Row layouts.  Fields are packed widest first after the three hot ones,
 * so every field sits at its natural alignment and the stride stays a
 * multiple of 8.
 */
#include "rows.h"

#include <assert.h>
#include <stdlib.h>

#include "util.h"

static_assert(offsetof(struct fq_rec, stime) == 0 && offsetof(struct fq_rec, etime) == 8 &&
                  offsetof(struct fq_rec, rec_id) == 16,
              "rows start with struct fq_rec's first three members");

enum { HOT = 24 };

static bool hot(enum fq_field f)
{
    return f == F_STIME || f == F_ETIME || f == F_REC_ID;
}

static void layout(struct fq_rows *R, const bool *need)
{
    R->full = need == NULL;
    if (R->full) {
        R->stride = sizeof(struct fq_rec);
        for (size_t f = 0; f < F_COUNT; f++)
            R->off[f] = (uint16_t)fq_fields[f].offset;
        return;
    }
    size_t at = HOT;
    for (size_t f = 0; f < F_COUNT; f++)
        R->off[f] = hot((enum fq_field)f) ? (uint16_t)fq_fields[f].offset : ROW_ABSENT;
    for (size_t size = 8; size >= 1; size /= 2)
        for (size_t f = 0; f < F_COUNT; f++)
            if (need[f] && !hot((enum fq_field)f) && fq_fields[f].size == size) {
                R->off[f] = (uint16_t)at;
                R->copy[R->ncopy].from = (uint8_t)fq_fields[f].offset;
                R->copy[R->ncopy].to = (uint8_t)at;
                R->copy[R->ncopy++].size = (uint8_t)size;
                at += size;
            }
    R->stride = (at + 7) & ~(size_t)7;
}

void rows_init(struct fq_rows *R, const bool *need)
{
    memset(R, 0, sizeof *R);
    layout(R, need);
}

void rows_wrap(struct fq_rows *R, const struct fq_rec *recs, size_t n)
{
    rows_init(R, NULL);
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

static void reserve(struct fq_rows *R, size_t n)
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
    reserve(R, n);
    memcpy(R->p + R->n * R->stride, rows, n * R->stride);
    R->n += n;
}

void rows_append(struct fq_rows *R, const struct fq_rec *recs, size_t n)
{
    reserve(R, n);
    unsigned char *dst = R->p + R->n * R->stride;
    if (R->full)
        memcpy(dst, recs, n * sizeof *recs);
    else
        for (size_t i = 0; i < n; i++, dst += R->stride)
            put(R, dst, &recs[i]);
    R->n += n;
}

void rows_narrow(struct fq_rows *R, const bool *need)
{
    assert(R->full && !R->borrowed);
    struct fq_rows N;
    rows_init(&N, need);
    /* Row i moves from i * 96 to i * N.stride <= i * 96: forwards is safe,
     * but a row may overlap its own old place, so it goes through r. */
    for (size_t i = 0; i < R->n; i++) {
        struct fq_rec r;
        memcpy(&r, R->p + i * R->stride, sizeof r);
        put(&N, R->p + i * N.stride, &r);
    }
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
