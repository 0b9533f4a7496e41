/* SPDX-License-Identifier: MIT
 * The reader: the sources walk.c lists, each read through one large
 * buffer (not mmapped: a file truncated by another process would kill us
 * with SIGBUS); a source holds
 * one or more streams, each of the format its first bytes name: nfdump
 * and IPFIX through their decoders (input.h, nfdump.c, ipfix.c), and
 * flow-tools (FORMAT-flowtools.md) here (header, then raw records or one
 * zlib stream, inflated on a thread of its own, see "inflating").
 * Every input byte is accounted for: a stream ends only at the end of its
 * source or where another stream's header starts; anything else is an
 * error naming the source and the byte offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef FQ_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

#include "ftio.h"
#include "input.h"
#include "ipfix.h"
#include "nfdump.h"
#include "util.h"
#include "walk.h"

enum {
    HDR_MAX = 1 << 20,         /* real headers are < 1 KiB; a bigger length lies */
    LEGACY_HDR = 360,
    RBUF_BYTES = 1 << 21,      /* read buffer */
    ZSLOTS = 4,                /* inflated blocks in flight between the two threads */
    ZBLOCK = 1 << 18,          /* bytes of one */
    ZCARRY = 128,              /* more than a record: the piece cut off by a block's end */
    MAGIC_MAX = 16,            /* bytes the other formats' probes look at */
    TLV_EX_VER = 2,
    TLV_HEADER_FLAGS = 8,
    FLAG_COMPRESS = 0x02,
};

static const char stdin_name[] = "standard input";

/* How the records of the current stream are laid out. */
enum layout { L_V1, L_V5, L_V1005, L_LEGACY1, L_LEGACY5 };

struct fmt {
    enum layout lay;
    size_t rsize;
    bool swap;                 /* file byte order differs from the host's */
    bool z;
};

/* Bytes of the current source: p[pos..len) are unread; p[0] is at file
 * offset base. */
struct src {
    const unsigned char *p;
    size_t pos, len;
    uint64_t base;
    int fd;
    bool eof;
    unsigned char *buf;
    size_t cap;
    int stopfd;                /* >= 0: readable when the reader is being closed */
};

enum state { S_IDLE, S_HEADER, S_RECORDS };   /* of the current source */

/* The formats other than flow-tools, tried in order on every stream's
 * first bytes (input.h). */
static const struct in_format *const formats[] = {&in_nfdump, &in_ipfix};

struct in_src {
    struct ft_reader *r;
};

struct ft_reader {
    char **paths;              /* expanded inputs; "-" is standard input */
    size_t npaths, next;
    char **named;              /* the files named as operands (not found in a directory) */
    size_t nnamed;
    void (*warn)(const char *path, const char *msg);
    bool skip_foreign;         /* ft_reader_opts.skip_foreign */
    bool verbose;
    const char *name;          /* current source, for messages */
    struct src s;
    bool open;
    enum state st;
    bool first_stream;         /* no stream of this source read yet */
    struct fmt f;
    struct zpipe *zp;          /* the inflate thread; made at the first zlib stream */
    const struct in_format *fmt; /* the current stream's, or NULL: flow-tools */
    void *fst;                 /* its decoder state */
    struct in_src in;          /* the source as the decoders see it */
    uint64_t id;               /* rec_id of the next record */
    const uint64_t *want;      /* ft_reader_want: bits by rec_id, or NULL for all */
    struct fq_twin win;        /* -t; records outside it get no rec_id */
    struct progress *prog;
    uint64_t bytes;            /* read from all sources (atomic: the inflate
                                  thread reads too) */
    uint64_t nwant;
    bool failed;
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

/* The records of p[0..n) that the reader wants (all, without a want set)
 * into out; returns how many.  Skipped records are not even decoded. */
static size_t decode_wanted(struct ft_reader *r, const unsigned char *p, size_t n,
                            struct fq_rec *out)
{
    if (r->win.on) {
        /* Records outside the window are not input at all: rec_id
         * numbers only those inside, the same on every reading. */
        ft_decode_range(p, n, &r->f, out, 0);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (!twin_rec(&r->win, out[i].stime, out[i].etime))
                continue;
            uint64_t id = r->id++;
            if (r->want && !(id < r->nwant && r->want[id / 64] >> (id % 64) & 1))
                continue;
            out[k] = out[i];
            out[k++].rec_id = id;
        }
        return k;
    }
    size_t got = n;
    if (!r->want) {
        ft_decode_range(p, n, &r->f, out, r->id);
    } else {
        got = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t id = r->id + i;
            if (id < r->nwant && r->want[id / 64] >> (id % 64) & 1)
                ft_decode_range(p + i * r->f.rsize, 1, &r->f, out + got++, id);
        }
    }
    r->id += n;
    return got;
}

struct ft_reader *ft_reader_open(char *const *paths, size_t n, const struct ft_reader_opts *o,
                                 struct fq_error *err)
{
    static const struct ft_reader_opts none = {0};
    if (!o)
        o = &none;
    struct walk_list l;
    if (walk_inputs(paths, n, o, &l, err))
        return NULL;
    /* All fields set here, so it is plain that an empty list (empty
     * directories: paths NULL, npaths 0) ends the first ft_reader_next. */
    struct ft_reader *r = xmalloc(sizeof *r);
    *r = (struct ft_reader){.paths = l.paths, .npaths = l.n, .verbose = o->verbose,
                              .s.fd = -1, .s.stopfd = -1};
    r->in.r = r;
    r->named = l.named;
    r->nnamed = l.nnamed;
    r->warn = o->warn;
    r->skip_foreign = o->skip_foreign;
    if (o->win)
        r->win = *o->win;
    if (o->prog) {
        r->prog = o->prog;
        progress_inputs(r->prog, r->paths, r->npaths);
    }
    return r;
}

static void src_close(struct ft_reader *r)
{
    struct src *s = &r->s;
    if (s->fd > 0)
        close(s->fd);
    free(s->buf);
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->stopfd = -1;
    r->open = false;
    r->st = S_IDLE;
}

static int src_open(struct ft_reader *r, const char *path, struct fq_error *err)
{
    struct src *s = &r->s;
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->stopfd = -1;
    int fd;
    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
        r->name = stdin_name;
    } else {
        r->name = path;
        fd = open(path, O_RDONLY);
        if (fd < 0)
            return fq_fail(err, FQ_E_INPUT, path, -1, "cannot open: %s", strerror(errno));
    }
    if (r->verbose)
        fprintf(stderr, "flowq: reading %s\n", r->name);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    s->fd = fd;
    s->cap = RBUF_BYTES;
    s->buf = xmalloc(s->cap);
    s->p = s->buf;
    r->open = true;
    r->st = S_HEADER;
    r->first_stream = true;
    return FQ_OK;
}

static uint64_t src_off(const struct src *s)
{
    return s->base + s->pos;
}

/* Make at least need unread bytes available unless the source ends first;
 * returns the unread byte count, or -1 on a read error. */
static ssize_t src_fill(struct ft_reader *r, size_t need, struct fq_error *err)
{
    struct src *s = &r->s;
    if (s->len - s->pos >= need || s->eof)
        return (ssize_t)(s->len - s->pos);
    if (s->pos) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->base += s->pos;
        s->len -= s->pos;
        s->pos = 0;
    }
    if (need > s->cap) {
        s->cap = need;
        s->buf = xrealloc(s->buf, s->cap);
        s->p = s->buf;
    }
    while (s->len < need) {
        /* The inflate thread must not sit in read() on a pipe that never
         * ends once the reader is closed: wait for either. */
        if (s->stopfd >= 0) {
            struct pollfd pf[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->stopfd, .events = POLLIN}};
            if (poll(pf, 2, -1) < 0 && errno != EINTR) {
                fq_fail(err, FQ_E_INPUT, r->name, (int64_t)(s->base + s->len), "read error at byte %llu: %s",
                        (unsigned long long)(s->base + s->len), strerror(errno));
                return -1;
            }
            if (pf[1].revents) {
                fq_fail(err, FQ_E_INPUT, r->name, -1, "reading stopped");
                return -1;
            }
            if (!pf[0].revents)
                continue;
        }
        ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fq_fail(err, FQ_E_INPUT, r->name, (int64_t)(s->base + s->len), "read error at byte %llu: %s",
                    (unsigned long long)(s->base + s->len), strerror(errno));
            return -1;
        }
        if (got == 0) {
            s->eof = true;
            break;
        }
        s->len += (size_t)got;
        __atomic_fetch_add(&r->bytes, (uint64_t)got, __ATOMIC_RELAXED);
    }
    return (ssize_t)(s->len - s->pos);
}

/* The source as input.h's decoders see it. */
ssize_t in_fill(struct in_src *in, size_t need, const unsigned char **p, struct fq_error *err)
{
    ssize_t got = src_fill(in->r, need, err);
    *p = in->r->s.p + in->r->s.pos;
    return got;
}

void in_skip(struct in_src *in, size_t n)
{
    in->r->s.pos += n;
}

uint64_t in_off(const struct in_src *in)
{
    return src_off(&in->r->s);
}

const char *in_name(const struct in_src *in)
{
    return in->r->name;
}

/* ---- inflating --------------------------------------------------------- */

/* Two backends behind one call: ISA-L (FQ_HAVE_ISAL), which inflates
 * about 1.7 times as fast, and zlib.  Errors come out in flowq's own
 * words, so what a user reads does not depend on the build. */
struct zin {
#ifdef FQ_HAVE_ISAL
    struct inflate_state st;
    uint64_t used;             /* input bytes of this stream taken */
#else
    z_stream zs;
    bool init;
#endif
};

enum zres { ZR_OK, ZR_END, ZR_ERR, ZR_NOMEM };

static int zin_start(struct zin *z)
{
#ifdef FQ_HAVE_ISAL
    isal_inflate_init(&z->st);
    z->used = 0;
    z->st.crc_flag = ISAL_ZLIB;  /* check the zlib header and the adler32 trailer */
    return 0;
#else
    int ret = z->init ? inflateReset(&z->zs) : inflateInit(&z->zs);
    z->init = z->init || ret == Z_OK;
    return ret == Z_OK ? 0 : -1;
#endif
}

static void zin_end(struct zin *z)
{
#ifndef FQ_HAVE_ISAL
    if (z->init)
        inflateEnd(&z->zs);
    z->init = false;
#else
    (void)z;
#endif
}

#ifndef FQ_HAVE_ISAL
/* zlib's message in the words the ISA-L backend can say as well.  Faults
 * inside the deflate data are found by different checks in the two (zlib
 * validates code tables that ISA-L takes as they come), so they share one
 * text. */
static const char *zlib_why(const char *m)
{
    static const struct {
        const char *zlib, *ours;
    } map[] = {
        {"incorrect data check", "incorrect data check"},
        {"incorrect header check", "invalid zlib header"},
        {"unknown compression method", "invalid zlib header"},
        {"invalid window size", "invalid zlib header"},
    };
    for (size_t i = 0; m && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(m, map[i].zlib) == 0)
            return map[i].ours;
    return "invalid compressed data";
}
#endif

/* Inflate in[0..*in_len) into out[0..*out_len); *in_len and *out_len are
 * then the bytes used and made.  At ZR_END the bytes used end exactly
 * after the stream's adler32 trailer, and at ZR_ERR where the fault was
 * found; *why then names it. */
static enum zres zin_run(struct zin *z, const unsigned char *in, size_t *in_len, unsigned char *out,
                         size_t *out_len, const char **why)
{
    size_t nin = *in_len < UINT32_MAX ? *in_len : UINT32_MAX;
    size_t nout = *out_len < UINT32_MAX ? *out_len : UINT32_MAX;
#ifdef FQ_HAVE_ISAL
    struct inflate_state *st = &z->st;
    st->next_in = (uint8_t *)(uintptr_t)in;
    st->avail_in = (uint32_t)nin;
    st->next_out = out;
    st->avail_out = (uint32_t)nout;
    int ret = isal_inflate(st);
    size_t used = nin - st->avail_in;
    *out_len = nout - st->avail_out;
    /* ISA-L takes input 8 bytes at a time into a bit buffer: at the end
     * of the stream (or a fault) the whole bytes still there are not its,
     * but the next stream's header (or after the fault). */
    if ((ret < 0 || ret == ISAL_NEED_DICT || st->block_state == ISAL_BLOCK_FINISH) &&
        st->read_in_length > 0) {
        size_t held = (size_t)st->read_in_length / 8;
        used = used > held ? used - held : 0;
    }
    enum zres zr = ZR_OK;
    switch (ret) {
    case ISAL_DECOMP_OK:
    case ISAL_END_INPUT:
    case ISAL_OUT_OVERFLOW:
        if (st->block_state == ISAL_BLOCK_FINISH)
            zr = ZR_END;
        break;
    case ISAL_NEED_DICT:
        *why = "preset dictionary required";
        zr = ZR_ERR;
        break;
    case ISAL_INCORRECT_CHECKSUM:
        /* ISA-L says so for the header's check bits too. */
        *why = z->used + used <= 2 ? "invalid zlib header" : "incorrect data check";
        zr = ZR_ERR;
        break;
    case ISAL_INVALID_WRAPPER:
    case ISAL_UNSUPPORTED_METHOD:
        *why = "invalid zlib header";
        zr = ZR_ERR;
        break;
    default:
        *why = "invalid compressed data";
        zr = ZR_ERR;
        break;
    }
    *in_len = used;
    z->used += used;
    return zr;
#else
    z->zs.next_in = (unsigned char *)(uintptr_t)in;
    z->zs.avail_in = (uInt)nin;
    z->zs.next_out = out;
    z->zs.avail_out = (uInt)nout;
    int ret = inflate(&z->zs, Z_NO_FLUSH);
    *in_len = nin - z->zs.avail_in;
    *out_len = nout - z->zs.avail_out;
    switch (ret) {
    case Z_OK:
    case Z_BUF_ERROR:
        return ZR_OK;
    case Z_STREAM_END:
        return ZR_END;
    case Z_NEED_DICT:
        *why = "preset dictionary required";
        return ZR_ERR;
    case Z_MEM_ERROR:
        return ZR_NOMEM;
    default:
        *why = zlib_why(z->zs.msg);
        return ZR_ERR;
    }
#endif
}

/* The inflate thread of a compressed stream: it reads the source and
 * inflates into a ring of blocks while the caller decodes the blocks
 * before them.  While it runs it alone touches r->s and z; the caller
 * touches only the slots the ring hands it, and r->s again after the join.
 * It ends with the stream: a last slot says ZK_END (the source is left
 * just after the stream, for the next header) or ZK_ERR (err, raised after
 * the records before it). */
enum zkind { ZK_DATA, ZK_END, ZK_ERR };

struct zslot {
    unsigned char *data;       /* ZBLOCK bytes; the first len are whole records */
    size_t len;
    enum zkind kind;
};

struct zpipe {
    pthread_t th;
    bool running;              /* started and not yet joined */
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    struct zslot slot[ZSLOTS];
    size_t head, count;        /* the filled slots, oldest first */
    bool stop;                 /* the reader is being closed */
    int wake[2];               /* a pipe: written to stop a thread waiting to read */
    struct zin z;
    struct fq_error err;
    size_t pos;                /* the caller's place in slot[head] */
};

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

static struct zslot *zp_take(struct zpipe *zp)
{
    pthread_mutex_lock(&zp->mu);
    while (zp->count == 0)
        pthread_cond_wait(&zp->filled, &zp->mu);
    struct zslot *b = &zp->slot[zp->head];
    pthread_mutex_unlock(&zp->mu);
    return b;
}

static void zp_release(struct zpipe *zp)
{
    pthread_mutex_lock(&zp->mu);
    zp->head = (zp->head + 1) % ZSLOTS;
    zp->count--;
    pthread_cond_signal(&zp->freed);
    pthread_mutex_unlock(&zp->mu);
}

static void *zp_main(void *arg)
{
    struct ft_reader *r = arg;
    struct zpipe *zp = r->zp;
    struct src *s = &r->s;
    size_t rs = r->f.rsize;
    unsigned char carry[ZCARRY] = {0};
    size_t ncarry = 0;
    uint64_t zoff = 0;         /* stream offset of the slot being filled */
    for (;;) {
        struct zslot *b = zp_room(zp);
        if (!b)
            return NULL;
        memcpy(b->data, carry, ncarry);
        size_t len = ncarry;
        enum zkind kind = ZK_DATA;
        while (len < ZBLOCK && kind == ZK_DATA) {
            if (s->len == s->pos) {
                /* A live pipe (flow-capture | flowq): records ready are
                 * handed over before waiting for more input. */
                if (len >= rs)
                    break;
                ssize_t got = src_fill(r, 1, &zp->err);
                if (got < 0) {
                    kind = ZK_ERR;
                    break;
                }
                if (got == 0) {
                    uint64_t at = src_off(s);
                    fq_fail(&zp->err, FQ_E_INPUT, r->name, (int64_t)at,
                            "truncated compressed data at byte %llu (input ends inside the zlib "
                            "stream)",
                            (unsigned long long)at);
                    kind = ZK_ERR;
                    break;
                }
            }
            size_t in = s->len - s->pos, out = ZBLOCK - len;
            const char *why = "invalid compressed data";
            enum zres zr = zin_run(&zp->z, s->p + s->pos, &in, b->data + len, &out, &why);
            /* Input and room were both there: no progress is no stream. */
            if (zr == ZR_OK && in == 0 && out == 0)
                zr = ZR_ERR;
            s->pos += in;
            len += out;
            if (zr == ZR_END) {
                kind = ZK_END;
            } else if (zr == ZR_ERR) {
                uint64_t at = src_off(s);
                fq_fail(&zp->err, FQ_E_INPUT, r->name, (int64_t)at,
                        "corrupt compressed data at byte %llu: %s", (unsigned long long)at, why);
                kind = ZK_ERR;
            } else if (zr == ZR_NOMEM) {
                fq_fail(&zp->err, FQ_E_OUTPUT, r->name, -1, "out of memory inflating");
                kind = ZK_ERR;
            }
        }
        /* rs is 60..72, from read_header; the analyzer cannot see that far. */
        // NOLINTNEXTLINE(clang-analyzer-core.DivideZero)
        size_t whole = len - len % rs;
        if (kind == ZK_END && whole != len) {
            uint64_t at = src_off(s);
            fq_fail(&zp->err, FQ_E_INPUT, r->name, (int64_t)at,
                    "truncated record at byte %llu (the zlib stream ends inside a record: "
                    "expected %zu bytes, found %zu at byte %llu of the records)",
                    (unsigned long long)at, rs, len - whole, (unsigned long long)(zoff + whole));
            kind = ZK_ERR;
        }
        ncarry = len - whole;
        memcpy(carry, b->data + whole, ncarry);
        b->len = whole;
        b->kind = kind;
        zoff += whole;
        zp_put(zp);
        if (kind != ZK_DATA)
            return NULL;
    }
}

static int zp_new(struct ft_reader *r, struct fq_error *err)
{
    struct zpipe *zp = xmalloc(sizeof *zp);
    memset(zp, 0, sizeof *zp);
    if (pipe2(zp->wake, O_CLOEXEC) != 0) {
        int e = errno;
        free(zp);
        return fq_fail(err, FQ_E_OUTPUT, r->name, -1, "cannot make a pipe for the inflate thread: %s",
                       strerror(e));
    }
    pthread_mutex_init(&zp->mu, NULL);
    pthread_cond_init(&zp->filled, NULL);
    pthread_cond_init(&zp->freed, NULL);
    for (size_t i = 0; i < ZSLOTS; i++)
        zp->slot[i].data = xmalloc(ZBLOCK);
    r->zp = zp;
    return FQ_OK;
}

/* At a compressed stream's header: start its inflate thread. */
static int zp_start(struct ft_reader *r, struct fq_error *err)
{
    if (!r->zp && zp_new(r, err))
        return -1;
    struct zpipe *zp = r->zp;
    uint64_t at = src_off(&r->s);
    if (zin_start(&zp->z))
        return fq_fail(err, FQ_E_OUTPUT, r->name, (int64_t)at,
                       "inflate initialisation failed at byte %llu", (unsigned long long)at), -1;
    zp->head = zp->count = zp->pos = 0;
    zp->stop = false;
    r->s.stopfd = zp->wake[0];
    int e = pthread_create(&zp->th, NULL, zp_main, r);
    if (e) {
        r->s.stopfd = -1;
        return fq_fail(err, FQ_E_OUTPUT, r->name, -1, "cannot start the inflate thread: %s",
                       strerror(e)), -1;
    }
    zp->running = true;
    return 0;
}

static void zp_join(struct ft_reader *r)
{
    pthread_join(r->zp->th, NULL);
    r->zp->running = false;
    r->s.stopfd = -1;
}

/* Closing mid-stream: wake the thread wherever it waits, and join it. */
static void zp_stop(struct ft_reader *r)
{
    struct zpipe *zp = r->zp;
    if (!zp || !zp->running)
        return;
    pthread_mutex_lock(&zp->mu);
    zp->stop = true;
    pthread_cond_signal(&zp->freed);
    pthread_mutex_unlock(&zp->mu);
    char c = 0;
    while (write(zp->wake[1], &c, 1) < 0 && errno == EINTR)
        continue;
    zp_join(r);
}

static void zp_free(struct ft_reader *r)
{
    struct zpipe *zp = r->zp;
    if (!zp)
        return;
    zin_end(&zp->z);
    for (size_t i = 0; i < ZSLOTS; i++)
        free(zp->slot[i].data);
    close(zp->wake[0]);
    close(zp->wake[1]);
    pthread_mutex_destroy(&zp->mu);
    pthread_cond_destroy(&zp->filled);
    pthread_cond_destroy(&zp->freed);
    free(zp);
    r->zp = NULL;
}

/* ---- headers ----------------------------------------------------------- */

static bool is_preamble(const unsigned char *p)
{
    return p[0] == 0xCF && p[1] == 0x10 && (p[2] == 1 || p[2] == 2) && (p[3] == 1 || p[3] == 3);
}

static int hdr_error(struct ft_reader *r, bool probe, uint64_t off, struct fq_error *err,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* In probe mode a header that does not parse only means "these are record
 * bytes after all"; otherwise it is the error. */
static int hdr_error(struct ft_reader *r, bool probe, uint64_t off, struct fq_error *err,
                     const char *fmt, ...)
{
    if (probe)
        return 0;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fq_fail(err, FQ_E_INPUT, r->name, (int64_t)off, "%s", msg);
    return -1;
}

static bool supported_version(unsigned v)
{
    return v == 1 || v == 5 || v == 6 || v == 7 || v == 1005;
}

/* Parse the stream header at the read position.  Returns 1 when it parsed
 * (the header is consumed and r->f set), 0 at a clean end of the source
 * (or, when probe, if the bytes are not a header), -1 on error. */
static int read_header(struct ft_reader *r, bool probe, struct fq_error *err)
{
    struct src *s = &r->s;
    ssize_t avail = src_fill(r, 8, err);
    if (avail < 0)
        return -1;
    uint64_t at = src_off(s);
    if (avail == 0) {
        if (probe || !r->first_stream)
            return 0;
        return hdr_error(r, probe, at, err, "empty input: no flow-tools header at byte 0");
    }
    const unsigned char *p = s->p + s->pos;
    if (avail < 4)
        return hdr_error(r, probe, at + (uint64_t)avail, err,
                         "truncated header at byte %llu (input ends %zd bytes into the header)",
                         (unsigned long long)(at + (uint64_t)avail), avail);
    if (p[0] != 0xCF || p[1] != 0x10)
        return hdr_error(r, probe, at, err, "not a flow-tools file (bad magic 0x%02x%02x%s) at byte %llu",
                         p[0], p[1], p[0] == 0x1f && p[1] == 0x8b ? ", gzip data" : "",
                         (unsigned long long)at);
    if (p[2] != 1 && p[2] != 2)
        return hdr_error(r, probe, at + 2, err, "unknown byte order %u at byte %llu (expected 1 or 2)",
                         p[2], (unsigned long long)(at + 2));
    bool swap = (p[2] == 1) != host_little();
    unsigned sver = p[3];
    unsigned dver = 0;
    uint32_t flags = 0, hlen;
    if (sver == 3) {
        if (avail < 8)
            return hdr_error(r, probe, at + (uint64_t)avail, err,
                             "truncated header at byte %llu (input ends %zd bytes into the header)",
                             (unsigned long long)(at + (uint64_t)avail), avail);
        hlen = ld32(p + 4, swap);
        if (hlen < 8)
            return hdr_error(r, probe, at + 4, err, "bad header length %u at byte %llu (less than 8)",
                             hlen, (unsigned long long)(at + 4));
        if (hlen > HDR_MAX)
            return hdr_error(r, probe, at + 4, err,
                             "bad header length %u at byte %llu (more than the %u-byte limit)", hlen,
                             (unsigned long long)(at + 4), (unsigned)HDR_MAX);
    } else if (sver == 1) {
        hlen = LEGACY_HDR;
    } else {
        return hdr_error(r, probe, at + 3, err,
                         "unsupported stream version %u at byte %llu (flowq reads versions 1 and 3)",
                         sver, (unsigned long long)(at + 3));
    }
    avail = src_fill(r, hlen, err);
    if (avail < 0)
        return -1;
    p = s->p + s->pos;
    if ((size_t)avail < hlen)
        return hdr_error(r, probe, at + (uint64_t)avail, err,
                         "truncated header at byte %llu (header length %u, input ends after %zd bytes of it)",
                         (unsigned long long)(at + (uint64_t)avail), hlen, avail);
    uint64_t ver_at = at;
    if (sver == 3) {
        bool have_ver = false;
        /* Like flow-tools: stop at a TLV that runs past the header end; the
         * last 0-3 bytes are padding. */
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
            return hdr_error(r, probe, at, err, "header without a record version (EX_VER) at byte %llu",
                             (unsigned long long)at);
        if (!supported_version(dver))
            return hdr_error(r, probe, ver_at, err,
                             "unsupported record version %u at byte %llu (flowq reads 1, 5, 6, 7 and 1005)",
                             dver, (unsigned long long)ver_at);
        r->f.lay = dver == 1 ? L_V1 : dver == 1005 ? L_V1005 : L_V5;
        r->f.rsize = dver == 1 ? 60 : dver == 5 ? 64 : dver == 7 ? 68 : 72;
    } else {
        dver = ld16(p + 4, swap);
        if (dver == 65535)
            dver = 1;
        flags = ld32(p + 16, swap);
        ver_at = at + 4;
        if (dver != 1 && dver != 5)
            return hdr_error(r, probe, ver_at, err,
                             "unsupported record version %u in a version 1 header at byte %llu "
                             "(flowq reads 1 and 5 there)",
                             dver, (unsigned long long)ver_at);
        r->f.lay = dver == 1 ? L_LEGACY1 : L_LEGACY5;
        r->f.rsize = 60;
    }
    r->f.swap = swap;
    r->f.z = flags & FLAG_COMPRESS;
    s->pos += hlen;
    r->first_stream = false;
    if (r->f.z && zp_start(r, err))
        return -1;
    r->st = S_RECORDS;
    return 1;
}

/* ---- records ----------------------------------------------------------- */

/* Records of an uncompressed stream.  Streams concatenated on one pipe
 * (cat a.ft b.ft) carry no marker; a new one is recognised at a record
 * boundary by its preamble (0xCF 0x10, byte order 1|2, version 1|3)
 * followed by a header that parses completely.  Record bytes that look
 * like that but do not parse are taken as a record. */
static ssize_t next_raw(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    struct src *s = &r->s;
    size_t rs = r->f.rsize;
    ssize_t avail = src_fill(r, rs > 8 ? rs : 8, err);
    if (avail < 0)
        return -1;
    if (avail == 0) {
        src_close(r);
        return 0;
    }
    const unsigned char *p = s->p + s->pos;
    if (avail >= 4 && is_preamble(p)) {
        int h = read_header(r, true, err);
        if (h < 0)
            return -1;
        if (h > 0)
            return 0;
        avail = (ssize_t)(s->len - s->pos);
        if ((size_t)avail < rs)
            return read_header(r, false, err) < 0 ? -1 : 0;
        p = s->p + s->pos;
    }
    if ((size_t)avail < rs) {
        uint64_t at = src_off(s);
        fq_fail(err, FQ_E_INPUT, r->name, (int64_t)at,
                "truncated record at byte %llu (expected %zu bytes, found %zd)", (unsigned long long)at,
                rs, avail);
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
    size_t got = decode_wanted(r, p, k, buf);
    s->pos += k * rs;
    return (ssize_t)got;
}

/* Records of a compressed stream, from the inflate thread's blocks. */
static ssize_t next_z(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    struct zpipe *zp = r->zp;
    size_t rs = r->f.rsize;
    for (;;) {
        struct zslot *b = zp_take(zp);
        if (zp->pos < b->len) {
            size_t k = (b->len - zp->pos) / rs;
            if (k > cap)
                k = cap;
            size_t got = decode_wanted(r, b->data + zp->pos, k, buf);
            zp->pos += k * rs;
            return (ssize_t)got;
        }
        enum zkind kind = b->kind;
        zp->pos = 0;
        zp_release(zp);
        if (kind == ZK_DATA)
            continue;
        zp_join(r);
        if (kind == ZK_ERR) {
            *err = zp->err;
            return -1;
        }
        /* Another stream may follow (flow-cat -z output concatenated). */
        r->st = S_HEADER;
        return 0;
    }
}

/* ---- other formats ------------------------------------------------------ */

/* At a stream's first byte: if one of formats[] claims it, open its
 * decoder.  Returns 1 if one did, 0 if the stream is not theirs (then it
 * is flow-tools or nothing), -1 on error. */
static int format_open(struct ft_reader *r, struct fq_error *err)
{
    ssize_t avail = src_fill(r, MAGIC_MAX, err);
    if (avail < 0)
        return -1;
    const unsigned char *p = r->s.p + r->s.pos;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        const struct in_format *f = formats[i];
        if ((size_t)avail < f->magic_len || !f->probe(p, (size_t)avail))
            continue;
        struct in_ctx c = {.src = &r->in, .id = r->id, .want = r->want, .nwant = r->nwant};
        r->fst = f->open(&c, err);
        if (!r->fst)
            return -1;
        r->fmt = f;
        r->first_stream = false;
        r->st = S_RECORDS;
        return 1;
    }
    return 0;
}

static void format_close(struct ft_reader *r)
{
    if (r->fmt)
        r->fmt->close(r->fst);
    r->fmt = NULL;
    r->fst = NULL;
}

/* Records of a stream in one of formats[]; at its end another stream of
 * any format may follow. */
static ssize_t next_format(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    struct in_ctx c = {.src = &r->in, .id = r->id, .want = r->want, .nwant = r->nwant};
    ssize_t got = r->fmt->next(r->fst, &c, buf, cap, err);
    r->id = c.id;
    if (got == 0) {
        format_close(r);
        r->st = S_HEADER;
    }
    return got;
}

/* A file a directory walk found whose first bytes no reader claims: not
 * a trace (a README beside the flows), so it is skipped with a warning.
 * A file named as an operand stays an error. */
static int foreign(struct ft_reader *r, struct fq_error *err)
{
    if (!r->first_stream || strcmp(r->name, "-") == 0)
        return 0;
    for (size_t i = 0; i < r->nnamed && !r->skip_foreign; i++)
        if (strcmp(r->named[i], r->name) == 0)
            return 0;
    ssize_t avail = src_fill(r, MAGIC_MAX, err);
    if (avail < 0)
        return -1;
    const unsigned char *p = r->s.p + r->s.pos;
    if (avail >= 2 && p[0] == 0xCF && p[1] == 0x10)
        return 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if ((size_t)avail >= formats[i]->magic_len && formats[i]->probe(p, (size_t)avail))
            return 0;
    if (r->warn)
        r->warn(r->name, avail ? "skipped: not a flow-tools, nfdump or IPFIX file"
                               : "skipped: an empty file");
    return 1;
}

ssize_t ft_reader_next(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    if (r->failed)
        return -1;
    while (cap) {
        ssize_t got = 0;
        if (!r->open) {
            if (r->next == r->npaths)
                return 0;
            if (src_open(r, r->paths[r->next++], err))
                goto fail;
        }
        if (r->st == S_HEADER) {
            int h = foreign(r, err);
            if (h > 0) {
                src_close(r);
                continue;
            }
            if (h == 0)
                h = format_open(r, err);
            if (h == 0)
                h = read_header(r, false, err);
            else if (h > 0)
                continue;
            if (h < 0)
                goto fail;
            if (h == 0)
                src_close(r);
            continue;
        }
        got = r->fmt ? next_format(r, buf, cap, err)
              : r->f.z ? next_z(r, buf, cap, err) : next_raw(r, buf, cap, err);
        if (got < 0)
            goto fail;
        if (got > 0) {
            progress_update(r->prog, r->next, __atomic_load_n(&r->bytes, __ATOMIC_RELAXED), r->id);
            return got;
        }
    }
    return 0;
fail:
    r->failed = true;
    return -1;
}

void ft_reader_close(struct ft_reader *r)
{
    if (!r)
        return;
    zp_stop(r);
    format_close(r);
    if (r->open)
        src_close(r);
    zp_free(r);
    struct walk_list l = {r->paths, r->npaths, r->named, r->nnamed};
    walk_list_free(&l);
    free(r);
}

uint64_t ft_reader_count(const struct ft_reader *r)
{
    return r->id;
}

void ft_reader_want(struct ft_reader *r, const uint64_t *bits, uint64_t n)
{
    r->want = bits;
    r->nwant = n;
}

char *const *ft_reader_paths(const struct ft_reader *r, size_t *n)
{
    *n = r->npaths;
    return r->paths;
}

int ft_read_all(char *const *paths, size_t n, const struct ft_reader_opts *o,
                struct fq_rec **recs, size_t *nrecs, struct fq_error *err)
{
    enum { CHUNK = 1 << 15 };  /* records decoded at a time */
    *recs = NULL;
    *nrecs = 0;
    struct ft_reader *r = ft_reader_open(paths, n, o, err);
    if (!r)
        return err->code;
    size_t cap = CHUNK, k = 0;
    struct fq_rec *v = xmalloc(cap * sizeof *v);
    for (;;) {
        if (cap - k < CHUNK)
            v = xrealloc(v, (cap *= 2) * sizeof *v);
        ssize_t got = ft_reader_next(r, v + k, CHUNK, err);
        if (got < 0) {
            ft_reader_close(r);
            free(v);
            return err->code;
        }
        if (got == 0)
            break;
        k += (size_t)got;
    }
    ft_reader_close(r);
    /* The doubling slack can be most of the array: give it back. */
    *recs = k ? xrealloc(v, k * sizeof *v) : v;
    *nrecs = k;
    return FQ_OK;
}
