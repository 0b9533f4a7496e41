/* SPDX-License-Identifier: MIT
 * The IPFIX decoder (ipfix.h) behind the reader's per-format interface
 * (input.h): bytes through in_fill/in_skip, records numbered and filtered
 * by the reader's rec_id, want set and window.
 */
#include <stdlib.h>

#include "input.h"
#include "ipfix.h"
#include "util.h"

struct ix_state {
    struct ipfix_reader *r;
    struct in_src *src;
};

static ssize_t ix_fill(void *ctx, size_t need, const unsigned char **p, struct fq_error *err)
{
    return in_fill(((struct ix_state *)ctx)->src, need, p, err);
}

static void ix_skip(void *ctx, size_t n)
{
    in_skip(((struct ix_state *)ctx)->src, n);
}

static uint64_t ix_off(void *ctx)
{
    return in_off(((struct ix_state *)ctx)->src);
}

static void *ix_open(struct in_ctx *c, struct fq_error *err)
{
    struct ix_state *st = xmalloc(sizeof *st);
    st->src = c->src;
    struct ipfix_io io = {.ctx = st, .fill = ix_fill, .skip = ix_skip, .off = ix_off};
    st->r = ipfix_open_io(&io, in_name(c->src), err);
    if (!st->r) {
        free(st);
        return NULL;
    }
    return st;
}

/* 0 only at the stream's end: a batch of unwanted records reads on. */
static ssize_t ix_next(void *vst, struct in_ctx *c, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    struct ix_state *st = vst;
    for (;;) {
        ssize_t got = ipfix_next(st->r, buf, cap, err);
        if (got <= 0)
            return got;
        size_t k = 0;
        for (size_t i = 0; i < (size_t)got; i++)
            if (in_take(c, &buf[i]))
                buf[k++] = buf[i];
        if (k)
            return (ssize_t)k;
    }
}

static void ix_close(void *vst)
{
    struct ix_state *st = vst;
    if (!st)
        return;
    ipfix_close(st->r);
    free(st);
}

const struct in_format in_ipfix = {
    .name = "IPFIX",
    .magic_len = 2,
    .probe = ipfix_probe,
    .open = ix_open,
    .next = ix_next,
    .close = ix_close,
};
