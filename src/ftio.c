/* SPDX-License-Identifier: MIT
 * The reader: the sources walk.c lists, each read through one large
 * buffer (not mmapped: a file truncated by another process would kill us
 * with SIGBUS); a source holds one or more streams, each of the format its
 * first bytes name (formats[]: flow-tools, nfdump, IPFIX, each in its own
 * file behind input.h).  The reader numbers the records across all of
 * them.  Every input byte is accounted for: a stream ends only at the end
 * of its source or where another stream's header starts; anything else is
 * an error naming the source and the byte offset.  Several regular files
 * are read in parallel, one per worker thread, and returned exactly as
 * reading them in turn would.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
#include "jobs.h"
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

enum state { S_IDLE, S_HEADER, S_RECORDS };   /* of a cursor's source */

/* Tried in order on every stream's first bytes (input.h).  The first is
 * also the format of last resort: its open says what is wrong with bytes
 * no format claims (flow-tools' "bad magic", "empty input"). */
static const struct in_format *const formats[] = {&in_flowtools, &in_nfdump, &in_ipfix};

struct cursor;

struct in_src {
    struct cursor *c;
};

/* One source being read, stream by stream.  The reader has one; with
 * parallel reading every worker has its own, numbering its file's records
 * from 0 (the reader adds where the file starts). */
struct cursor {
    struct ft_reader *r;       /* the options; r->bytes is shared */
    const char *name;          /* for messages */
    struct src s;
    bool open;
    enum state st;
    bool first_stream;         /* no stream of this source read yet */
    const struct in_format *fmt; /* the current stream's (S_RECORDS) */
    void *fst;                 /* its decoder state */
    struct in_src in;          /* the source as the decoders see it */
    uint64_t id;               /* rec_id of the next record */
    const char *skipped;       /* set when the source was skipped: why */
    bool on_worker;            /* read by the parallel reader's worker */
};

struct par;

struct ft_reader {
    char **paths;              /* expanded inputs; "-" is standard input */
    size_t npaths, next;       /* next: files begun */
    char **named;              /* the files named as operands (not found in a directory) */
    size_t nnamed;
    void (*warn)(const char *path, const char *msg);
    bool skip_foreign;         /* ft_reader_opts.skip_foreign */
    bool verbose;
    unsigned threads;          /* ft_reader_opts.threads */
    size_t (*keep)(void *ctx, struct fq_rec *recs, size_t n); /* ft_reader_opts.keep */
    void *keep_ctx;
    struct cursor cur;         /* reading one source after another */
    struct par *par;           /* or reading files in parallel */
    bool started;              /* the first ft_reader_next chose between them */
    uint64_t id;               /* rec_id of the next record returned */
    bool inflated;             /* a compressed stream was opened (atomic: the
                                  parallel reader's workers open them) */
    const uint64_t *want;      /* ft_reader_want: bits by rec_id, or NULL for all */
    uint64_t nwant;
    struct fq_twin win;        /* -t; records outside it get no rec_id */
    struct progress *prog;
    uint64_t bytes;            /* read from all sources (atomic: decoders'
                                  and readers' threads add to it) */
    bool failed;
};

static void cursor_init(struct cursor *c, struct ft_reader *r)
{
    *c = (struct cursor){.r = r, .s.fd = -1, .s.stopfd = -1};
    c->in.c = c;
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
                              .threads = o->threads, .keep = o->keep, .keep_ctx = o->keep_ctx};
    cursor_init(&r->cur, r);
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

static void src_close(struct cursor *c)
{
    struct src *s = &c->s;
    if (s->fd > 0)
        close(s->fd);
    free(s->buf);
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->stopfd = -1;
    c->open = false;
    c->st = S_IDLE;
}

static int src_open(struct cursor *c, const char *path, struct fq_error *err)
{
    struct src *s = &c->s;
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->stopfd = -1;
    int fd;
    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
        c->name = stdin_name;
    } else {
        c->name = path;
        fd = open(path, O_RDONLY);
        if (fd < 0)
            return fq_fail(err, FQ_E_INPUT, path, -1, "cannot open: %s", strerror(errno));
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    s->fd = fd;
    s->cap = RBUF_BYTES;
    s->buf = xmalloc(s->cap);
    s->p = s->buf;
    c->open = true;
    c->st = S_HEADER;
    c->first_stream = true;
    c->skipped = NULL;
    return FQ_OK;
}

static uint64_t src_off(const struct src *s)
{
    return s->base + s->pos;
}

static int read_error(const struct cursor *c, struct fq_error *err)
{
    uint64_t at = c->s.base + c->s.len;
    return fq_fail(err, FQ_E_INPUT, c->name, (int64_t)at, "read error at byte %llu: %s",
                   (unsigned long long)at, strerror(errno));
}

/* At the end of a read: a regular file now shorter than what was read
 * of it was truncated under us.  Its end may fall on a record boundary,
 * which the decoders could not tell from a whole file. */
static int shrank(const struct cursor *c, struct fq_error *err)
{
    struct stat st;
    off_t at = lseek(c->s.fd, 0, SEEK_CUR);
    if (at < 0 || fstat(c->s.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size >= at)
        return FQ_OK;
    uint64_t end = c->s.base + c->s.len;
    return fq_fail(err, FQ_E_INPUT, c->name, (int64_t)end,
                   "the file shrank to %llu bytes while being read, at byte %llu",
                   (unsigned long long)st.st_size, (unsigned long long)end);
}

/* Make at least need unread bytes available unless the source ends first;
 * returns the unread byte count, or -1 on a read error. */
static ssize_t src_fill(struct cursor *c, size_t need, struct fq_error *err)
{
    struct src *s = &c->s;
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
            if (poll(pf, 2, -1) < 0 && errno != EINTR)
                return read_error(c, err), -1;
            if (pf[1].revents) {
                fq_fail(err, FQ_E_INPUT, c->name, -1, "reading stopped");
                return -1;
            }
            if (!pf[0].revents)
                continue;
        }
        ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return read_error(c, err), -1;
        if (got == 0) {
            if (shrank(c, err) != FQ_OK)
                return -1;
            s->eof = true;
            break;
        }
        s->len += (size_t)got;
        __atomic_fetch_add(&c->r->bytes, (uint64_t)got, __ATOMIC_RELAXED);
    }
    return (ssize_t)(s->len - s->pos);
}

/* The source as input.h's decoders see it. */
ssize_t in_fill(struct in_src *in, size_t need, const unsigned char **p, struct fq_error *err)
{
    ssize_t got = src_fill(in->c, need, err);
    *p = in->c->s.p + in->c->s.pos;
    return got;
}

void in_skip(struct in_src *in, size_t n)
{
    in->c->s.pos += n;
}

uint64_t in_off(const struct in_src *in)
{
    return src_off(&in->c->s);
}

const char *in_name(const struct in_src *in)
{
    return in->c->name;
}

void in_compressed(struct in_src *in)
{
    __atomic_store_n(&in->c->r->inflated, true, __ATOMIC_RELAXED);
}

void in_set_stop(struct in_src *in, int fd)
{
    in->c->s.stopfd = fd;
}

/* ---- streams ----------------------------------------------------------- */

static const struct in_format *claim(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (n >= formats[i]->magic_len && formats[i]->probe(p, n))
            return formats[i];
    return NULL;
}

static struct in_ctx ctx_of(struct cursor *c)
{
    const struct ft_reader *r = c->r;
    return (struct in_ctx){.src = &c->in, .id = c->id, .want = r->want, .nwant = r->nwant,
                           .win = r->win.on ? &r->win : NULL,
                           .one_thread = r->threads == 1 || c->on_worker};
}

/* At a stream's first byte: open the decoder of the format that claims
 * it.  Returns 1 if a stream was opened, 0 at the clean end of the source
 * (after its first stream), -1 on error. */
static int stream_open(struct cursor *c, struct fq_error *err)
{
    ssize_t avail = src_fill(c, MAGIC_MAX, err);
    if (avail < 0)
        return -1;
    if (avail == 0 && !c->first_stream)
        return 0;
    const struct in_format *f = claim(c->s.p + c->s.pos, (size_t)avail);
    if (!f)
        f = formats[0];
    struct in_ctx x = ctx_of(c);
    c->fst = f->open(&x, err);
    if (!c->fst)
        return -1;
    c->fmt = f;
    c->first_stream = false;
    c->st = S_RECORDS;
    return 1;
}

static void stream_close(struct cursor *c)
{
    if (c->fmt)
        c->fmt->close(c->fst);
    c->fmt = NULL;
    c->fst = NULL;
}

/* A file a directory walk found whose first bytes no reader claims: not
 * a trace (a README beside the flows), so it is skipped with a warning.
 * A file named as an operand stays an error. */
static int foreign(struct cursor *c, struct fq_error *err)
{
    const struct ft_reader *r = c->r;
    if (!c->first_stream || c->name == stdin_name)
        return 0;
    for (size_t i = 0; i < r->nnamed && !r->skip_foreign; i++)
        if (strcmp(r->named[i], c->name) == 0)
            return 0;
    ssize_t avail = src_fill(c, MAGIC_MAX, err);
    if (avail < 0)
        return -1;
    if (claim(c->s.p + c->s.pos, (size_t)avail))
        return 0;
    c->skipped = avail ? "skipped: not a flow-tools, nfdump or IPFIX file"
                       : "skipped: an empty file";
    return 1;
}

/* Records of the open source, stream after stream.  Returns the count,
 * 0 when the source has ended (closed; c->skipped says if it was left
 * out), -1 on error. */
static ssize_t cursor_next(struct cursor *c, struct fq_rec *buf, size_t cap,
                           struct fq_error *err)
{
    for (;;) {
        if (c->st == S_HEADER) {
            int h = foreign(c, err);
            if (h == 0)
                h = stream_open(c, err);
            else if (h > 0)
                h = 0;
            if (h < 0)
                return -1;
            if (h == 0) {
                src_close(c);
                return 0;
            }
            continue;
        }
        struct in_ctx x = ctx_of(c);
        ssize_t got = c->fmt->next(c->fst, &x, buf, cap, err);
        c->id = x.id;
        if (got != 0)
            return got;
        /* at a stream's end another stream of any format may follow */
        stream_close(c);
        c->st = S_HEADER;
    }
}

static void cursor_close(struct cursor *c)
{
    stream_close(c);
    if (c->open)
        src_close(c);
}

/* A source begins (in input order, whichever thread reads it). */
static void say_reading(const struct ft_reader *r, const char *path)
{
    if (r->verbose)
        fprintf(stderr, "flowq: reading %s\n", strcmp(path, "-") ? path : stdin_name);
}

/* A source ended: say so if it was left out. */
static void say_skipped(const struct ft_reader *r, const char *path, const char *why)
{
    if (why && r->warn)
        r->warn(path, why);
}

/* One source after another, on the caller's thread. */
static ssize_t next_in_turn(struct ft_reader *r, struct fq_rec *buf, size_t cap,
                            struct fq_error *err)
{
    struct cursor *c = &r->cur;
    for (;;) {
        if (!c->open) {
            if (r->next == r->npaths)
                return 0;
            const char *path = r->paths[r->next++];
            say_reading(r, path);
            if (src_open(c, path, err))
                return -1;
        }
        ssize_t got = cursor_next(c, buf, cap, err);
        r->id = c->id;          /* records passed over (ft_reader_want) count too */
        if (got != 0)
            return got;
        say_skipped(r, c->name, c->skipped);
    }
}

/* ---- reading files in parallel ----------------------------------------- */

/* Each file is decoded on a worker thread (jobs.h) into a queue of
 * chunks; the caller takes them file by file, in order, shifting each
 * file's rec_ids by the records before it.  Workers take files in order,
 * so the file the caller waits for is always being read, and a worker
 * ahead of the caller waits once its queue holds p->ahead chunks: the
 * queues together hold at most PAR_MEMORY bytes (at least PAR_AHEAD_MIN
 * chunks a thread), whatever the input.  With the reader's keep (a
 * query's filters) a chunk holds kept records only, so a worker can run
 * a whole file ahead, which is what lets the files decode in parallel. */
enum { PAR_CHUNK = 8192, PAR_AHEAD_MIN = 4, PAR_MEMORY = 64 << 20 };

struct chunk {
    struct chunk *next;
    size_t n;                  /* records kept (ft_reader_opts.keep) */
    uint64_t upto;             /* records of the file numbered up to its end */
    struct fq_rec rec[];
};

struct slot {                  /* one file */
    struct chunk *head, *tail;
    size_t queued;
    bool done;
    struct fq_error err;       /* done: FQ_OK or why the file failed */
    const char *skipped;       /* done: the file was left out, why */
};

struct par {
    struct ft_reader *r;
    struct slot *slot;         /* one per path */
    pthread_mutex_t lock;
    pthread_cond_t more;       /* a chunk queued or a file done */
    pthread_cond_t room;       /* a chunk taken, or stop */
    bool stop;                 /* the reader is closing */
    size_t ahead;              /* chunks a file's queue may hold */
    pthread_t pool;            /* runs jobs_run: the workers */
    size_t at;                 /* the file the caller takes from */
    struct chunk *taking;      /* its chunk being taken, from rec[taken] */
    size_t taken;
    uint64_t base;             /* rec_id of file at's first record */
    struct chunk *spare;       /* chunks the caller emptied, to fill again */
};

/* Queue a decoded chunk; false when the reader is closing. */
static bool par_put(struct par *p, struct slot *sl, struct chunk *ch)
{
    pthread_mutex_lock(&p->lock);
    while (sl->queued >= p->ahead && !p->stop)
        pthread_cond_wait(&p->room, &p->lock);
    bool ok = !p->stop;
    if (ok) {
        ch->next = NULL;
        if (sl->tail)
            sl->tail->next = ch;
        else
            sl->head = ch;
        sl->tail = ch;
        sl->queued++;
        pthread_cond_broadcast(&p->more);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

/* An empty chunk: one the caller gave back, else a new one.  Chunks
 * only ever hold whole records: decoded into them, which the decoders
 * write in full but for the IPv6 part of IPv4 records (zero from the
 * start, or from a decoder that clears the record), or copied from a
 * worker's zeroed scratch (fill_kept), when they need no clearing.
 * Reusing them spares faulting in a megabyte per chunk. */
static struct chunk *chunk_get(struct par *p)
{
    pthread_mutex_lock(&p->lock);
    struct chunk *ch = p->spare;
    if (ch)
        p->spare = ch->next;
    pthread_mutex_unlock(&p->lock);
    size_t size = sizeof *ch + PAR_CHUNK * sizeof ch->rec[0];
    if (!ch)
        ch = p->r->keep ? xmalloc(size) : xcalloc(1, size);
    ch->n = 0;
    return ch;
}

/* Every record of the file, decoded straight into the chunks, until the
 * end or the reader closes. */
static void fill_all(struct par *p, struct slot *sl, struct cursor *c, struct fq_error *err)
{
    for (bool more = true; more;) {
        struct chunk *ch = chunk_get(p);
        ssize_t got = cursor_next(c, ch->rec, PAR_CHUNK, err);
        ch->n = got > 0 ? (size_t)got : 0;
        /* the last chunk goes even when empty: it counts the records
         * read since the one before */
        ch->upto = c->id;
        more = got > 0;
        if (!par_put(p, sl, ch)) {
            free(ch);
            return;
        }
    }
}

/* The records the reader's keep takes, decoded into a scratch small
 * enough for the cache and copied into chunks that fill up: memory holds
 * kept records only. */
static void fill_kept(struct par *p, struct slot *sl, struct cursor *c, struct fq_error *err)
{
    enum { SCRATCH = 1024 };
    struct fq_rec *scratch = xcalloc(SCRATCH, sizeof *scratch);
    struct chunk *ch = chunk_get(p);
    bool open = true;
    for (ssize_t got = 1; open && got > 0;) {
        got = cursor_next(c, scratch, SCRATCH, err);
        size_t k = got > 0 ? p->r->keep(p->r->keep_ctx, scratch, (size_t)got) : 0;
        for (size_t i = 0; open && (i < k || got <= 0);) {
            size_t m = PAR_CHUNK - ch->n < k - i ? PAR_CHUNK - ch->n : k - i;
            memcpy(ch->rec + ch->n, scratch + i, m * sizeof *scratch);
            ch->n += m;
            i += m;
            if (ch->n < PAR_CHUNK && got > 0)
                continue;
            /* a chunk counts the records numbered before the next one kept;
             * the last goes even when empty */
            ch->upto = i < k ? scratch[i].rec_id : c->id;
            open = par_put(p, sl, ch);
            if (!open)
                free(ch);
            else if (got > 0)
                ch = chunk_get(p);
            if (got <= 0)
                break;
        }
    }
    free(scratch);
}

static void chunk_put(struct par *p, struct chunk *ch)
{
    pthread_mutex_lock(&p->lock);
    ch->next = p->spare;
    p->spare = ch;
    pthread_mutex_unlock(&p->lock);
}

static void par_file(void *ctx, size_t j)
{
    struct par *p = ctx;
    struct slot *sl = &p->slot[j];
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct cursor c;
    cursor_init(&c, p->r);
    c.on_worker = true;
    pthread_mutex_lock(&p->lock);
    bool stop = p->stop;
    pthread_mutex_unlock(&p->lock);
    if (!stop && src_open(&c, p->r->paths[j], &err) == FQ_OK) {
        if (p->r->keep)
            fill_kept(p, sl, &c, &err);
        else
            fill_all(p, sl, &c, &err);
    }
    cursor_close(&c);
    pthread_mutex_lock(&p->lock);
    sl->done = true;
    sl->err = err;
    sl->skipped = c.skipped;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
}

static void *par_pool(void *arg)
{
    struct par *p = arg;
    jobs_run(p->r->threads, p->r->npaths, par_file, p);
    return NULL;
}

/* Read in parallel when it cannot change a thing: several regular files,
 * every record wanted (the second reading picks records by global rec_id,
 * and reads one file after another). */
static void par_start(struct ft_reader *r)
{
    r->started = true;
    if (r->want || r->npaths < 2)
        return;
    if (r->threads == 0)
        r->threads = jobs_cpus();
    if (r->threads < 2)
        return;
    for (size_t i = 0; i < r->npaths; i++)
        if (strcmp(r->paths[i], "-") == 0)
            return;
    struct par *p = xcalloc(1, sizeof *p);
    p->r = r;
    p->slot = xcalloc(r->npaths, sizeof *p->slot);
    p->ahead = PAR_MEMORY / (r->threads * (sizeof(struct chunk) + PAR_CHUNK * sizeof(struct fq_rec)));
    if (p->ahead < PAR_AHEAD_MIN)
        p->ahead = PAR_AHEAD_MIN;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    pthread_cond_init(&p->room, NULL);
    if (pthread_create(&p->pool, NULL, par_pool, p) != 0) {
        pthread_cond_destroy(&p->room);
        pthread_cond_destroy(&p->more);
        pthread_mutex_destroy(&p->lock);
        free(p->slot);
        free(p);
        return;
    }
    r->par = p;
    r->next = 1;               /* files begun, as the progress line counts them */
    say_reading(r, r->paths[0]);
}

/* The next chunk of file p->at, or NULL when the file is done. */
static struct chunk *par_take(struct par *p)
{
    struct slot *sl = &p->slot[p->at];
    pthread_mutex_lock(&p->lock);
    while (!sl->head && !sl->done)
        pthread_cond_wait(&p->more, &p->lock);
    struct chunk *ch = sl->head;
    if (ch) {
        sl->head = ch->next;
        if (!sl->head)
            sl->tail = NULL;
        sl->queued--;
        pthread_cond_broadcast(&p->room);
    }
    pthread_mutex_unlock(&p->lock);
    return ch;
}

/* Records of the chunk being taken, moving on to the next chunk and the
 * next file as they end: 0 when a chunk kept none (see next_parallel) or
 * all files are done. */
static ssize_t take_parallel(struct ft_reader *r, struct fq_rec *buf, size_t cap,
                             struct fq_error *err)
{
    struct par *p = r->par;
    while (!p->taking) {
        if (p->at == r->npaths)
            return 0;
        p->taken = 0;
        if ((p->taking = par_take(p)) != NULL)
            continue;
        struct slot *sl = &p->slot[p->at];
        if (sl->err.code != FQ_OK) {
            *err = sl->err;
            return -1;
        }
        say_skipped(r, r->paths[p->at], sl->skipped);
        p->base = r->id;
        if (++p->at < r->npaths) {
            r->next = p->at + 1;
            say_reading(r, r->paths[p->at]);
        }
    }
    struct chunk *ch = p->taking;
    size_t k = ch->n - p->taken < cap ? ch->n - p->taken : cap;
    memcpy(buf, ch->rec + p->taken, k * sizeof *buf);
    for (size_t i = 0; i < k; i++)
        buf[i].rec_id += p->base;
    p->taken += k;
    if (p->taken == ch->n) {
        r->id = p->base + ch->upto;
        chunk_put(p, ch);
        p->taking = NULL;
    } else {                    /* the count covers every record returned */
        r->id = buf[k - 1].rec_id + 1;
    }
    return (ssize_t)k;
}

static ssize_t next_parallel(struct ft_reader *r, struct fq_rec *buf, size_t cap,
                             struct fq_error *err)
{
    for (;;) {
        ssize_t got = take_parallel(r, buf, cap, err);
        if (got != 0 || r->par->at == r->npaths)
            return got;
    }
}

static void par_stop(struct par *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->room);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->pool, NULL);
    free(p->taking);
    for (size_t i = 0; i <= p->r->npaths; i++)
        for (struct chunk *ch = i < p->r->npaths ? p->slot[i].head : p->spare, *nx; ch; ch = nx) {
            nx = ch->next;
            free(ch);
        }
    pthread_cond_destroy(&p->room);
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->lock);
    free(p->slot);
    free(p);
}

ssize_t ft_reader_next(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    if (r->failed)
        return -1;
    if (!cap)
        return 0;
    if (!r->started)
        par_start(r);
    ssize_t got;
    for (;;) {
        got = r->par ? next_parallel(r, buf, cap, err) : next_in_turn(r, buf, cap, err);
        if (got <= 0 || r->par || !r->keep)
            break;
        got = (ssize_t)r->keep(r->keep_ctx, buf, (size_t)got);
        if (got > 0)
            break;
    }
    if (got < 0)
        r->failed = true;
    else if (got > 0)
        progress_update(r->prog, r->next, __atomic_load_n(&r->bytes, __ATOMIC_RELAXED), r->id);
    return got;
}

void ft_reader_close(struct ft_reader *r)
{
    if (!r)
        return;
    if (r->par)
        par_stop(r->par);
    cursor_close(&r->cur);
    struct walk_list l = {r->paths, r->npaths, r->named, r->nnamed};
    walk_list_free(&l);
    free(r);
}

uint64_t ft_reader_count(const struct ft_reader *r)
{
    return r->id;
}

bool ft_reader_inflated(const struct ft_reader *r)
{
    return __atomic_load_n(&r->inflated, __ATOMIC_RELAXED);
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
