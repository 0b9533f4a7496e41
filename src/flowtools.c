/* SPDX-License-Identifier: MIT
 * flow-tools streams (FORMAT-flowtools.md) behind the reader's format
 * interface (input.h): a header (stream version 3, or the older version
 * 1), then raw records or one zlib stream, inflated on a thread of its own
 * (see "inflating").  Record versions 1, 5, 6, 7 and 1005, either byte
 * order.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtools.h"
#include "util.h"
#include "zin.h"

enum {
    HDR_MAX = 1 << 20,         /* real headers are < 1 KiB; a bigger length lies */
    LEGACY_HDR = 360,
    ZSLOTS = 4,                /* inflated blocks in flight between the two threads */
    ZBLOCK = 1 << 18,          /* bytes of one */
    ZCARRY = 128,              /* more than a record: the piece cut off by a block's end */
    TLV_EX_VER = 2,
    TLV_HEADER_FLAGS = 8,
    FLAG_COMPRESS = 0x02,
};

/* How the records of a stream are laid out. */
enum layout { L_V1, L_V5, L_V1005, L_LEGACY1, L_LEGACY5 };

struct fmt {
    enum layout lay;
    size_t rsize;
    bool swap;                 /* file byte order differs from the host's */
    bool z;
};

struct zpipe;

/* One open stream: the decoder state in_flowtools hands the reader. */
struct ft_stream {
    struct in_src *src;
    struct fmt f;
    struct zpipe *zp;          /* the inflate thread's ring; compressed streams only */
};

static bool host_little(void)
{
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

static inline uint32_t ld32(const unsigned char *p, bool swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static inline uint16_t ld16(const unsigned char *p, bool swap)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
}

/* ---- decoding ---------------------------------------------------------- */

/* The common prefix of the version 3 layouts, plus the v5 tail when tail.
 * exsw: whether exaddr is swapped too (see L_V1005). */
static inline __attribute__((always_inline)) void
dec_v3(const unsigned char *p, struct fq_rec *r, bool tail, bool sw, bool exsw, uint64_t id)
{
    r->unix_secs = ld32(p + 0, sw);
    r->unix_nsecs = ld32(p + 4, sw);
    r->sysuptime = ld32(p + 8, sw);
    r->exaddr = ld32(p + 12, exsw);
    r->srcip = ld32(p + 16, sw);
    r->dstip = ld32(p + 20, sw);
    r->nexthop = ld32(p + 24, sw);
    r->input = ld16(p + 28, sw);
    r->output = ld16(p + 30, sw);
    r->packets = ld32(p + 32, sw);
    r->bytes = ld32(p + 36, sw);
    r->first = ld32(p + 40, sw);
    r->last = ld32(p + 44, sw);
    r->srcport = ld16(p + 48, sw);
    r->dstport = ld16(p + 50, sw);
    r->proto = p[52];
    r->tos = p[53];
    r->tcp_flags = p[54];
    if (tail) {
        r->engine_type = p[56];
        r->engine_id = p[57];
        r->src_mask = p[58];
        r->dst_mask = p[59];
        r->src_as = ld16(p + 60, sw);
        r->dst_as = ld16(p + 62, sw);
    } else {
        r->engine_type = r->engine_id = r->src_mask = r->dst_mask = 0;
        r->src_as = r->dst_as = 0;
    }
    r->v6 = 0;
    r->rec_id = id;
    rec_derive(r);
}

/* The 60-byte records after a stream version 1 header, converted the way
 * flow-tools converts them to v1 or v5 (sysUpTime 0, msecs -> nsecs). */
static void dec_legacy(const unsigned char *p, struct fq_rec *r, bool v5, bool sw, uint64_t id)
{
    memset(r, 0, sizeof *r);
    r->unix_secs = ld32(p + 0, sw);
    r->unix_nsecs = (uint32_t)(ld32(p + 4, sw) * 1000000u);
    r->srcip = ld32(p + 8, sw);
    r->dstip = ld32(p + 12, sw);
    r->nexthop = ld32(p + 16, sw);
    r->input = ld16(p + 20, sw);
    r->output = ld16(p + 22, sw);
    r->packets = ld32(p + 24, sw);
    r->bytes = ld32(p + 28, sw);
    r->first = ld32(p + 32, sw);
    r->last = ld32(p + 36, sw);
    r->srcport = ld16(p + 40, sw);
    r->dstport = ld16(p + 42, sw);
    r->proto = p[46];
    r->tos = p[47];
    r->tcp_flags = p[48];
    if (v5) {
        r->src_as = ld16(p + 52, sw);
        r->dst_as = ld16(p + 54, sw);
        r->src_mask = p[56];
        r->dst_mask = p[57];
    }
    r->rec_id = id;
    rec_derive(r);
}

/* v5 gets loops of its own so that the compiler sees constant offsets and
 * byte order: it is the format that must decode fastest. */
static void dec_v5_host(const unsigned char *p, size_t n, struct fq_rec *out, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        dec_v3(p + i * 64, out + i, true, false, false, id + i);
}

static void dec_v5_swap(const unsigned char *p, size_t n, struct fq_rec *out, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        dec_v3(p + i * 64, out + i, true, true, true, id + i);
}

/* Decode n whole records starting at p into out, numbered from id.  Pure:
 * touches nothing but its arguments, so ranges may be decoded in parallel. */
static void ft_decode_range(const unsigned char *p, size_t n, const struct fmt *f,
                            struct fq_rec *out, uint64_t id)
{
    size_t rs = f->rsize;
    switch (f->lay) {
    case L_V5:
        if (rs == 64) {
            if (f->swap)
                dec_v5_swap(p, n, out, id);
            else
                dec_v5_host(p, n, out, id);
        } else if (f->swap) {
            for (size_t i = 0; i < n; i++)
                dec_v3(p + i * rs, out + i, true, true, true, id + i);
        } else {
            for (size_t i = 0; i < n; i++)
                dec_v3(p + i * rs, out + i, true, false, false, id + i);
        }
        break;
    case L_V1005:
        /* flow-tools' fts3rec_swap_v1005 leaves exaddr alone: cross-endian
         * files hold it in the writer's host order, and flow-tools reads
         * them so.  Decode it the same way. */
        for (size_t i = 0; i < n; i++)
            dec_v3(p + i * rs, out + i, true, f->swap, false, id + i);
        break;
    case L_V1:
        for (size_t i = 0; i < n; i++)
            dec_v3(p + i * rs, out + i, false, f->swap, f->swap, id + i);
        break;
    case L_LEGACY1:
    case L_LEGACY5:
        for (size_t i = 0; i < n; i++)
            dec_legacy(p + i * rs, out + i, f->lay == L_LEGACY5, f->swap, id + i);
        break;
    }
}

/* The records of p[0..n) the reader wants into out, numbered as input.h
 * says; returns how many.  Records not wanted are not even decoded. */
static size_t decode_wanted(struct in_ctx *c, const struct fmt *f, const unsigned char *p, size_t n,
                            struct fq_rec *out)
{
    if (!c->win && !c->want) {
        ft_decode_range(p, n, f, out, c->id);
        c->id += n;
        return n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_need(c)) {
            in_pass(c);
            continue;
        }
        ft_decode_range(p + i * f->rsize, 1, f, out + k, 0);
        k += in_take(c, out + k);
    }
    return k;
}

/* ---- inflating --------------------------------------------------------- */

/* The inflate thread of a compressed stream: it reads the source and
 * inflates into a ring of blocks while the caller decodes the blocks
 * before them.  While it runs it alone touches the source and z; the
 * caller touches only the slots the ring hands it, and the source again
 * after the join.
 * It ends with the stream: a last slot says ZK_END (the source is left
 * just after the stream, for the next header) or ZK_ERR (err, raised after
 * the records before it).
 * Asked for one thread (in_ctx.one_thread), the caller fills the ring's
 * one slot itself when it needs the next block: the same blocks, no
 * thread. */
enum zkind { ZK_DATA, ZK_END, ZK_ERR };

struct zslot {
    unsigned char *data;       /* ZBLOCK bytes; the first len are whole records */
    size_t len;
    enum zkind kind;
};

struct zpipe {
    pthread_t th;
    bool running;              /* started and not yet joined */
    bool here;                 /* no thread: blocks filled on the caller's */
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    struct zslot slot[ZSLOTS];
    size_t head, count;        /* the filled slots, oldest first */
    bool stop;                 /* the reader is being closed */
    int wake[2];               /* a pipe: written to stop a thread waiting to read */
    struct zin z;
    struct fq_error err;
    size_t pos;                /* the caller's place in slot[head] */
    unsigned char carry[ZCARRY]; /* the filler's: a record cut by a block's end */
    size_t ncarry;
    uint64_t zoff;             /* stream offset of the slot being filled */
};

/* Fill block b: whole records inflated from the source, the end of the
 * stream, or an error. */
static enum zkind zp_fill(struct ft_stream *st, struct zslot *b)
{
    struct zpipe *zp = st->zp;
    struct in_src *src = st->src;
    size_t rs = st->f.rsize;
    memcpy(b->data, zp->carry, zp->ncarry);
    size_t len = zp->ncarry;
    enum zkind kind = ZK_DATA;
    while (len < ZBLOCK && kind == ZK_DATA) {
        const unsigned char *p;
        ssize_t got = in_fill(src, 0, &p, &zp->err);
        if (got == 0) {
            /* A live pipe (flow-capture | flowq): records ready are
             * handed over before waiting for more input. */
            if (len >= rs)
                break;
            got = in_fill(src, 1, &p, &zp->err);
            if (got < 0) {
                kind = ZK_ERR;
                break;
            }
            if (got == 0) {
                uint64_t at = in_off(src);
                fq_fail(&zp->err, FQ_E_INPUT, in_name(src), (int64_t)at,
                        "truncated compressed data at byte %llu (input ends inside the zlib "
                        "stream)",
                        (unsigned long long)at);
                kind = ZK_ERR;
                break;
            }
        }
        size_t in = (size_t)got, out = ZBLOCK - len;
        const char *why = "invalid compressed data";
        enum zres zr = zin_run(&zp->z, p, &in, b->data + len, &out, &why);
        /* Input and room were both there: no progress is no stream. */
        if (zr == ZR_OK && in == 0 && out == 0)
            zr = ZR_ERR;
        in_skip(src, in);
        len += out;
        if (zr == ZR_END) {
            kind = ZK_END;
        } else if (zr == ZR_ERR) {
            uint64_t at = in_off(src);
            fq_fail(&zp->err, FQ_E_INPUT, in_name(src), (int64_t)at,
                    "corrupt compressed data at byte %llu: %s", (unsigned long long)at, why);
            kind = ZK_ERR;
        } else if (zr == ZR_NOMEM) {
            fq_fail(&zp->err, FQ_E_OUTPUT, in_name(src), -1, "out of memory inflating");
            kind = ZK_ERR;
        }
    }
    /* rs is 60..72, from parse_header; the analyzer cannot see that far. */
    // NOLINTNEXTLINE(clang-analyzer-core.DivideZero)
    size_t whole = len - len % rs;
    if (kind == ZK_END && whole != len) {
        uint64_t at = in_off(src);
        fq_fail(&zp->err, FQ_E_INPUT, in_name(src), (int64_t)at,
                "truncated record at byte %llu (the zlib stream ends inside a record: "
                "expected %zu bytes, found %zu at byte %llu of the records)",
                (unsigned long long)at, rs, len - whole, (unsigned long long)(zp->zoff + whole));
        kind = ZK_ERR;
    }
    zp->ncarry = len - whole;
    memcpy(zp->carry, b->data + whole, zp->ncarry);
    b->len = whole;
    b->kind = kind;
    zp->zoff += whole;
    return kind;
}

static struct zslot *zp_room(struct zpipe *zp)
{
    pthread_mutex_lock(&zp->mu);
    while (zp->count == ZSLOTS && !zp->stop)
        pthread_cond_wait(&zp->freed, &zp->mu);
    struct zslot *b = zp->stop ? NULL : &zp->slot[(zp->head + zp->count) % ZSLOTS];
    pthread_mutex_unlock(&zp->mu);
    return b;
}

static void zp_put(struct zpipe *zp)
{
    pthread_mutex_lock(&zp->mu);
    zp->count++;
    pthread_cond_signal(&zp->filled);
    pthread_mutex_unlock(&zp->mu);
}

static struct zslot *zp_take(struct ft_stream *st)
{
    struct zpipe *zp = st->zp;
    if (zp->here) {
        if (zp->count == 0) {
            zp_fill(st, &zp->slot[zp->head]);
            zp->count = 1;
        }
        return &zp->slot[zp->head];
    }
    pthread_mutex_lock(&zp->mu);
    while (zp->count == 0)
        pthread_cond_wait(&zp->filled, &zp->mu);
    struct zslot *b = &zp->slot[zp->head];
    pthread_mutex_unlock(&zp->mu);
    return b;
}

static void zp_release(struct zpipe *zp)
{
    if (zp->here) {
        zp->count = 0;
        return;
    }
    pthread_mutex_lock(&zp->mu);
    zp->head = (zp->head + 1) % ZSLOTS;
    zp->count--;
    pthread_cond_signal(&zp->freed);
    pthread_mutex_unlock(&zp->mu);
}

static void *zp_main(void *arg)
{
    struct ft_stream *st = arg;
    struct zpipe *zp = st->zp;
    for (;;) {
        struct zslot *b = zp_room(zp);
        if (!b)
            return NULL;
        enum zkind kind = zp_fill(st, b);
        zp_put(zp);
        if (kind != ZK_DATA)
            return NULL;
    }
}

/* At a compressed stream's first record byte: start its inflate thread,
 * unless here. */
static int zp_start(struct ft_stream *st, bool here, struct fq_error *err)
{
    struct zpipe *zp = xcalloc(1, sizeof *zp);
    const char *name = in_name(st->src);
    zp->here = here;
    zp->wake[0] = zp->wake[1] = -1;
    if (!here && pipe2(zp->wake, O_CLOEXEC) != 0) {
        int e = errno;
        free(zp);
        return fq_fail(err, FQ_E_OUTPUT, name, -1, "cannot make a pipe for the inflate thread: %s",
                       strerror(e));
    }
    pthread_mutex_init(&zp->mu, NULL);
    pthread_cond_init(&zp->filled, NULL);
    pthread_cond_init(&zp->freed, NULL);
    for (size_t i = 0; i < (here ? 1 : ZSLOTS); i++)  /* here: slot 0 only */
        zp->slot[i].data = xmalloc(ZBLOCK);
    st->zp = zp;
    uint64_t at = in_off(st->src);
    if (zin_start(&zp->z))
        return fq_fail(err, FQ_E_OUTPUT, name, (int64_t)at,
                       "inflate initialisation failed at byte %llu", (unsigned long long)at);
    if (here)
        return FQ_OK;
    in_set_stop(st->src, zp->wake[0]);
    int e = pthread_create(&zp->th, NULL, zp_main, st);
    if (e) {
        in_set_stop(st->src, -1);
        return fq_fail(err, FQ_E_OUTPUT, name, -1, "cannot start the inflate thread: %s",
                       strerror(e));
    }
    zp->running = true;
    return FQ_OK;
}

static void zp_join(struct ft_stream *st)
{
    if (st->zp->here)
        return;
    pthread_join(st->zp->th, NULL);
    st->zp->running = false;
    in_set_stop(st->src, -1);
}

/* Closing mid-stream: wake the thread wherever it waits, and join it. */
static void zp_stop(struct ft_stream *st)
{
    struct zpipe *zp = st->zp;
    if (!zp || !zp->running)
        return;
    pthread_mutex_lock(&zp->mu);
    zp->stop = true;
    pthread_cond_signal(&zp->freed);
    pthread_mutex_unlock(&zp->mu);
    char c = 0;
    while (write(zp->wake[1], &c, 1) < 0 && errno == EINTR)
        continue;
    zp_join(st);
}

static void zp_free(struct zpipe *zp)
{
    if (!zp)
        return;
    zin_end(&zp->z);
    for (size_t i = 0; i < ZSLOTS; i++)
        free(zp->slot[i].data);
    for (size_t i = 0; i < 2; i++)
        if (zp->wake[i] >= 0)
            close(zp->wake[i]);
    pthread_mutex_destroy(&zp->mu);
    pthread_cond_destroy(&zp->filled);
    pthread_cond_destroy(&zp->freed);
    free(zp);
}

/* ---- headers ----------------------------------------------------------- */

static bool is_preamble(const unsigned char *p)
{
    return p[0] == 0xCF && p[1] == 0x10 && (p[2] == 1 || p[2] == 2) && (p[3] == 1 || p[3] == 3);
}

static int hdr_error(struct in_src *s, bool probe, uint64_t off, struct fq_error *err,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* In probe mode a header that does not parse only means "these are record
 * bytes after all"; otherwise it is the error. */
static int hdr_error(struct in_src *s, bool probe, uint64_t off, struct fq_error *err,
                     const char *fmt, ...)
{
    if (probe)
        return 0;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fq_fail(err, FQ_E_INPUT, in_name(s), (int64_t)off, "%s", msg);
    return -1;
}

static bool supported_version(unsigned v)
{
    return v == 1 || v == 5 || v == 6 || v == 7 || v == 1005;
}

/* The TLVs of a version 3 header p[0..hlen): the record version and
 * flags.  Like flow-tools, stop at a TLV that runs past the header end;
 * the last 0-3 bytes are padding. */
static int parse_tlvs(struct in_src *s, bool probe, const unsigned char *p, uint32_t hlen, bool swap,
                      uint64_t at, struct fmt *f, struct fq_error *err)
{
    bool have_ver = false;
    unsigned dver = 0;
    uint32_t flags = 0;
    uint64_t ver_at = at;
    for (uint32_t off = 8; off + 4 <= hlen;) {
        unsigned t = ld16(p + off, swap), l = ld16(p + off + 2, swap);
        if (off + 4 + l > hlen)
            break;
        if (t == TLV_EX_VER && l >= 2) {
            dver = ld16(p + off + 4, swap);
            have_ver = true;
            ver_at = at + off + 4;
        } else if (t == TLV_HEADER_FLAGS && l >= 4) {
            flags = ld32(p + off + 4, swap);
        }
        off += 4 + l;
    }
    if (!have_ver)
        return hdr_error(s, probe, at, err, "header without a record version (EX_VER) at byte %llu",
                         (unsigned long long)at);
    if (!supported_version(dver))
        return hdr_error(s, probe, ver_at, err,
                         "unsupported record version %u at byte %llu (flowq reads 1, 5, 6, 7 and 1005)",
                         dver, (unsigned long long)ver_at);
    f->lay = dver == 1 ? L_V1 : dver == 1005 ? L_V1005 : L_V5;
    f->rsize = dver == 1 ? 60 : dver == 5 ? 64 : dver == 7 ? 68 : 72;
    f->z = flags & FLAG_COMPRESS;
    return 1;
}

/* The version 1 header p[0..LEGACY_HDR). */
static int parse_legacy(struct in_src *s, bool probe, const unsigned char *p, bool swap, uint64_t at,
                        struct fmt *f, struct fq_error *err)
{
    unsigned dver = ld16(p + 4, swap);
    if (dver == 65535)
        dver = 1;
    if (dver != 1 && dver != 5)
        return hdr_error(s, probe, at + 4, err,
                         "unsupported record version %u in a version 1 header at byte %llu "
                         "(flowq reads 1 and 5 there)",
                         dver, (unsigned long long)(at + 4));
    f->lay = dver == 1 ? L_LEGACY1 : L_LEGACY5;
    f->rsize = 60;
    f->z = ld32(p + 16, swap) & FLAG_COMPRESS;
    return 1;
}

/* Parse the stream header at the read position, without consuming it.
 * Returns 1 when it parsed (*f and *hlen set), 0 when probe and the bytes
 * are not a header, -1 on error. */
static int parse_header(struct in_src *s, bool probe, struct fmt *f, uint32_t *hlen,
                        struct fq_error *err)
{
    *f = (struct fmt){0};
    *hlen = 0;
    const unsigned char *p;
    ssize_t avail = in_fill(s, 8, &p, err);
    if (avail < 0)
        return -1;
    uint64_t at = in_off(s);
    if (avail == 0)
        return hdr_error(s, probe, at, err, "empty input: no flow-tools header at byte 0");
    if (avail < 4)
        return hdr_error(s, probe, at + (uint64_t)avail, err,
                         "truncated header at byte %llu (input ends %zd bytes into the header)",
                         (unsigned long long)(at + (uint64_t)avail), avail);
    if (p[0] != 0xCF || p[1] != 0x10)
        return hdr_error(s, probe, at, err, "not a flow-tools file (bad magic 0x%02x%02x%s) at byte %llu",
                         p[0], p[1], p[0] == 0x1f && p[1] == 0x8b ? ", gzip data" : "",
                         (unsigned long long)at);
    if (p[2] != 1 && p[2] != 2)
        return hdr_error(s, probe, at + 2, err, "unknown byte order %u at byte %llu (expected 1 or 2)",
                         p[2], (unsigned long long)(at + 2));
    bool swap = (p[2] == 1) != host_little();
    unsigned sver = p[3];
    uint32_t len;
    if (sver == 3) {
        if (avail < 8)
            return hdr_error(s, probe, at + (uint64_t)avail, err,
                             "truncated header at byte %llu (input ends %zd bytes into the header)",
                             (unsigned long long)(at + (uint64_t)avail), avail);
        len = ld32(p + 4, swap);
        if (len < 8)
            return hdr_error(s, probe, at + 4, err, "bad header length %u at byte %llu (less than 8)",
                             len, (unsigned long long)(at + 4));
        if (len > HDR_MAX)
            return hdr_error(s, probe, at + 4, err,
                             "bad header length %u at byte %llu (more than the %u-byte limit)", len,
                             (unsigned long long)(at + 4), (unsigned)HDR_MAX);
    } else if (sver == 1) {
        len = LEGACY_HDR;
    } else {
        return hdr_error(s, probe, at + 3, err,
                         "unsupported stream version %u at byte %llu (flowq reads versions 1 and 3)",
                         sver, (unsigned long long)(at + 3));
    }
    avail = in_fill(s, len, &p, err);
    if (avail < 0)
        return -1;
    if ((size_t)avail < len)
        return hdr_error(s, probe, at + (uint64_t)avail, err,
                         "truncated header at byte %llu (header length %u, input ends after %zd bytes of it)",
                         (unsigned long long)(at + (uint64_t)avail), len, avail);
    int h = sver == 3 ? parse_tlvs(s, probe, p, len, swap, at, f, err)
                      : parse_legacy(s, probe, p, swap, at, f, err);
    f->swap = swap;
    *hlen = len;
    return h;
}

/* ---- records ----------------------------------------------------------- */

/* Records of an uncompressed stream.  Streams concatenated on one pipe
 * (cat a.ft b.ft) carry no marker; a new one is recognised at a record
 * boundary by its preamble (0xCF 0x10, byte order 1|2, version 1|3)
 * followed by a header that parses completely: this stream ends there.
 * Record bytes that look like that but do not parse are taken as a
 * record. */
static ssize_t next_raw(struct ft_stream *st, struct in_ctx *c, struct fq_rec *buf, size_t cap,
                        struct fq_error *err)
{
    size_t rs = st->f.rsize;
    for (;;) {
        const unsigned char *p;
        ssize_t avail = in_fill(st->src, rs > 8 ? rs : 8, &p, err);
        if (avail <= 0)
            return avail;
        if (avail >= 4 && is_preamble(p)) {
            struct fmt f;
            uint32_t hlen;
            int h = parse_header(st->src, true, &f, &hlen, err);
            if (h != 0)
                return h < 0 ? -1 : 0;
            avail = in_fill(st->src, 0, &p, err);
            if ((size_t)avail < rs)
                return parse_header(st->src, false, &f, &hlen, err) > 0 ? 0 : -1;
        }
        if ((size_t)avail < rs) {
            uint64_t at = in_off(st->src);
            fq_fail(err, FQ_E_INPUT, in_name(st->src), (int64_t)at,
                    "truncated record at byte %llu (expected %zu bytes, found %zd)",
                    (unsigned long long)at, rs, avail);
            return -1;
        }
        size_t k = (size_t)avail / rs;
        if (k > cap)
            k = cap;
        for (size_t i = 1; i < k; i++)
            if (p[i * rs] == 0xCF && is_preamble(p + i * rs)) {
                k = i;
                break;
            }
        size_t got = decode_wanted(c, &st->f, p, k, buf);
        in_skip(st->src, k * rs);
        if (got)
            return (ssize_t)got;
    }
}

/* Records of a compressed stream, from the inflate thread's blocks. */
static ssize_t next_z(struct ft_stream *st, struct in_ctx *c, struct fq_rec *buf, size_t cap,
                      struct fq_error *err)
{
    struct zpipe *zp = st->zp;
    size_t rs = st->f.rsize;
    for (;;) {
        struct zslot *b = zp_take(st);
        if (zp->pos < b->len) {
            size_t k = (b->len - zp->pos) / rs;
            if (k > cap)
                k = cap;
            size_t got = decode_wanted(c, &st->f, b->data + zp->pos, k, buf);
            zp->pos += k * rs;
            if (got)
                return (ssize_t)got;
            continue;
        }
        enum zkind kind = b->kind;
        zp->pos = 0;
        zp_release(zp);
        if (kind == ZK_DATA)
            continue;
        zp_join(st);
        if (kind == ZK_ERR) {
            *err = zp->err;
            return -1;
        }
        /* Another stream may follow (flow-cat -z output concatenated). */
        return 0;
    }
}

/* ---- the format -------------------------------------------------------- */

/* The magic alone: a damaged preamble after it is still flow-tools', and
 * its open says what is wrong. */
static bool ft_probe(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0xCF && p[1] == 0x10;
}

static void ft_close(void *vst)
{
    struct ft_stream *st = vst;
    if (!st)
        return;
    zp_stop(st);
    zp_free(st->zp);
    free(st);
}

static void *ft_open(struct in_ctx *c, struct fq_error *err)
{
    struct fmt f;
    uint32_t hlen;
    if (parse_header(c->src, false, &f, &hlen, err) <= 0)
        return NULL;
    in_skip(c->src, hlen);
    struct ft_stream *st = xcalloc(1, sizeof *st);
    st->src = c->src;
    st->f = f;
    if (f.z)
        in_compressed(c->src);
    if (f.z && zp_start(st, c->one_thread, err)) {
        ft_close(st);
        return NULL;
    }
    return st;
}

static ssize_t ft_next(void *vst, struct in_ctx *c, struct fq_rec *buf, size_t cap,
                       struct fq_error *err)
{
    struct ft_stream *st = vst;
    return st->zp ? next_z(st, c, buf, cap, err) : next_raw(st, c, buf, cap, err);
}

const struct in_format in_flowtools = {
    .name = "flow-tools",
    .magic_len = 2,
    .probe = ft_probe,
    .open = ft_open,
    .next = ft_next,
    .close = ft_close,
};
