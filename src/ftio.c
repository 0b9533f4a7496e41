/* SPDX-License-Identifier: MIT
 * The reader: the sources walk.c lists, each read through one large
 * buffer (not mmapped: a file truncated by another process would kill us
 * with SIGBUS); a source holds one or more streams, each of the format its
 * first bytes name (formats[]: flow-tools, nfdump, IPFIX, each in its own
 * file behind input.h).  The reader numbers the records across all of
 * them.  Every input byte is accounted for: a stream ends only at the end
 * of its source or where another stream's header starts; anything else is
 * an error naming the source and the byte offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtools.h"
#include "ftio.h"
#include "input.h"
#include "ipfix.h"
#include "nfdump.h"
#include "util.h"
#include "walk.h"

enum {
    RBUF_BYTES = 1 << 21,      /* read buffer */
    MAGIC_MAX = 16,            /* bytes the formats' probes look at */
};

static const char stdin_name[] = "standard input";

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

/* Tried in order on every stream's first bytes (input.h).  The first is
 * also the format of last resort: its open says what is wrong with bytes
 * no format claims (flow-tools' "bad magic", "empty input"). */
static const struct in_format *const formats[] = {&in_flowtools, &in_nfdump, &in_ipfix};

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
    const struct in_format *fmt; /* the current stream's (S_RECORDS) */
    void *fst;                 /* its decoder state */
    struct in_src in;          /* the source as the decoders see it */
    uint64_t id;               /* rec_id of the next record */
    const uint64_t *want;      /* ft_reader_want: bits by rec_id, or NULL for all */
    struct fq_twin win;        /* -t; records outside it get no rec_id */
    struct progress *prog;
    uint64_t bytes;            /* read from all sources (atomic: a decoder's
                                  thread may read too) */
    uint64_t nwant;
    bool failed;
};

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

void in_set_stop(struct in_src *in, int fd)
{
    in->r->s.stopfd = fd;
}

/* ---- streams ----------------------------------------------------------- */

static const struct in_format *claim(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (n >= formats[i]->magic_len && formats[i]->probe(p, n))
            return formats[i];
    return NULL;
}

static struct in_ctx ctx_of(struct ft_reader *r)
{
    return (struct in_ctx){.src = &r->in, .id = r->id, .want = r->want, .nwant = r->nwant,
                           .win = r->win.on ? &r->win : NULL};
}

/* At a stream's first byte: open the decoder of the format that claims
 * it.  Returns 1 if a stream was opened, 0 at the clean end of the source
 * (after its first stream), -1 on error. */
static int stream_open(struct ft_reader *r, struct fq_error *err)
{
    ssize_t avail = src_fill(r, MAGIC_MAX, err);
    if (avail < 0)
        return -1;
    if (avail == 0 && !r->first_stream)
        return 0;
    const struct in_format *f = claim(r->s.p + r->s.pos, (size_t)avail);
    if (!f)
        f = formats[0];
    struct in_ctx c = ctx_of(r);
    r->fst = f->open(&c, err);
    if (!r->fst)
        return -1;
    r->fmt = f;
    r->first_stream = false;
    r->st = S_RECORDS;
    return 1;
}

static void stream_close(struct ft_reader *r)
{
    if (r->fmt)
        r->fmt->close(r->fst);
    r->fmt = NULL;
    r->fst = NULL;
}

/* Records of the current stream; at its end another stream of any format
 * may follow. */
static ssize_t stream_next(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    struct in_ctx c = ctx_of(r);
    ssize_t got = r->fmt->next(r->fst, &c, buf, cap, err);
    r->id = c.id;
    if (got == 0) {
        stream_close(r);
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
    if (claim(r->s.p + r->s.pos, (size_t)avail))
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
        if (!r->open) {
            if (r->next == r->npaths)
                return 0;
            if (src_open(r, r->paths[r->next++], err))
                goto fail;
        }
        if (r->st == S_HEADER) {
            int h = foreign(r, err);
            if (h == 0)
                h = stream_open(r, err);
            else if (h > 0)
                h = 0;
            if (h < 0)
                goto fail;
            if (h == 0)
                src_close(r);
            continue;
        }
        ssize_t got = stream_next(r, buf, cap, err);
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
    stream_close(r);
    if (r->open)
        src_close(r);
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
