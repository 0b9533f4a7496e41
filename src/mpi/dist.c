/* SPDX-License-Identifier: MIT
 * flowq-mpi's distributed reading (dist.h).  Messages: the file list and
 * the first error are broadcast as bytes; kept rows go to the rank of
 * their partition in rounds of at most 8 MiB to each rank, and records to
 * write (or all kept records, when the ranks cannot partition) go to
 * rank 0 in chunks of CHUNK records, so that no message is larger than a
 * few MiB.
 * The ranks must share one architecture (records travel as bytes).
 */
#include <fcntl.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dist.h"
#include "engine.h"
#include "engine_in.h"
#include "ftio.h"
#include "merger.h"
#include "plan.h"
#include "util.h"
#include "walk.h"

enum { CHUNK = 1 << 15 };       /* records per read and per message */

static int rank, nranks;

static void finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}

int dist_start(int *argc, char ***argv)
{
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    atexit(finalize);
    if (rank) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    }
    return rank;
}

int dist_end(int rc)
{
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    finalize();
    return rc;
}

/* ---- the file list */

struct share {
    char **paths;               /* every file, in walk order */
    bool *named;                /* named as an operand: a foreign file is an error */
    size_t n;
    size_t lo, hi;              /* this rank's files */
};

static void share_free(struct share *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->paths[i]);
    free(s->paths);
    free(s->named);
}

static void bcast_bytes(void *p, uint64_t n, int root)
{
    for (uint64_t at = 0; at < n; at += INT32_MAX) {
        uint64_t k = n - at < INT32_MAX ? n - at : INT32_MAX;
        MPI_Bcast((char *)p + at, (int)k, MPI_BYTE, root, MPI_COMM_WORLD);
    }
}

/* Rank 0's walk as bytes: per file a named flag, its size (8 bytes) and
 * its NUL-terminated name. */
static char *pack_walk(const struct walk_list *l, uint64_t *len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += 9 + strlen(l->paths[i]) + 1;
    char *buf = xmalloc(n ? n : 1), *p = buf;
    for (size_t i = 0; i < l->n; i++) {
        struct stat st;
        uint64_t size = stat(l->paths[i], &st) == 0 ? (uint64_t)st.st_size : 0;
        bool named = false;
        for (size_t j = 0; j < l->nnamed && !named; j++)
            named = strcmp(l->named[j], l->paths[i]) == 0;
        *p++ = named;
        memcpy(p, &size, 8);
        p += 8;
        size_t k = strlen(l->paths[i]) + 1;
        memcpy(p, l->paths[i], k);
        p += k;
    }
    *len = n;
    return buf;
}

/* Files to ranks: contiguous runs, file i to the rank its midpoint falls
 * in when the total size is cut in nranks equal parts. */
static void unpack_deal(struct share *s, const char *buf, uint64_t len)
{
    size_t cap = 16;
    uint64_t *size = xmalloc(cap * sizeof *size), total = 0;
    s->paths = xmalloc(cap * sizeof *s->paths);
    s->named = xmalloc(cap * sizeof *s->named);
    for (const char *p = buf; p < buf + len; s->n++) {
        if (s->n == cap) {
            cap *= 2;
            size = xrealloc(size, cap * sizeof *size);
            s->paths = xrealloc(s->paths, cap * sizeof *s->paths);
            s->named = xrealloc(s->named, cap * sizeof *s->named);
        }
        s->named[s->n] = *p++;
        memcpy(&size[s->n], p, 8);
        total += size[s->n];
        s->paths[s->n] = xstrdup(p + 8);
        p += 8 + strlen(p + 8) + 1;
    }
    s->lo = s->hi = s->n;
    uint64_t before = 0;
    for (size_t i = 0; i < s->n; i++) {
        /* by count when the sizes say nothing */
        long double mid = total ? (before + size[i] / 2.0L) / total : (i + 0.5L) / s->n;
        int owner = (int)(mid * nranks);
        owner = owner >= nranks ? nranks - 1 : owner;
        if (owner == rank && s->lo == s->n)
            s->lo = i;
        if (owner <= rank)
            s->hi = i + 1;
        before += size[i];
    }
    if (s->lo == s->n)
        s->hi = s->n;
    free(size);
}

/* The walk on rank 0, its result on every rank. */
static int share_files(char *const *ops, size_t nops, const struct ft_reader_opts *rd,
                       struct share *s, struct fq_error *err)
{
    char *buf = NULL;
    uint64_t len = 0;
    if (rank == 0) {
        struct walk_list l;
        if (walk_inputs(ops, nops, rd, &l, err) == FQ_OK) {
            for (size_t i = 0; i < l.n && !err->code; i++)
                if (strcmp(l.paths[i], "-") == 0)
                    fq_fail(err, FQ_E_USAGE, NULL, -1,
                            "flowq-mpi reads traces from files: standard input is not "
                            "shared with the other ranks");
            buf = err->code ? NULL : pack_walk(&l, &len);
            walk_list_free(&l);
        }
    }
    MPI_Bcast(err, (int)sizeof *err, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (err->code != FQ_OK)
        return err->code;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (rank)
        buf = xmalloc(len ? len : 1);
    bcast_bytes(buf, len, 0);
    unpack_deal(s, buf, len);
    free(buf);
    return FQ_OK;
}

/* ---- reading this rank's files */

/* The reader's warnings on this rank, tagged with the file's index, for
 * rank 0 to print in order: the callback has no context, so it is here. */
static struct {
    char *buf;
    size_t n, cap;
    uint64_t file;
} warns;

static void keep_warning(const char *path, const char *msg)
{
    size_t lp = strlen(path) + 1, lm = strlen(msg) + 1;
    if (warns.n + 8 + lp + lm > warns.cap) {
        warns.cap = (warns.n + 8 + lp + lm) * 2;
        warns.buf = xrealloc(warns.buf, warns.cap);
    }
    memcpy(warns.buf + warns.n, &warns.file, 8);
    memcpy(warns.buf + warns.n + 8, path, lp);
    memcpy(warns.buf + warns.n + 8 + lp, msg, lm);
    warns.n += 8 + lp + lm;
}

struct kept {
    struct fq_rec *rec;         /* the kept records, rec_id within their file */
    size_t n, cap;
    uint64_t *nkept, *nread;    /* per file of the share */
    uint64_t failed;            /* index of the file that failed; UINT64_MAX: none */
};

/* One file: its records that some branch's filter takes, into k. */
static int read_one(const struct share *s, size_t i, const struct ft_reader_opts *o,
                    struct engine_keep *keep, struct kept *k, struct fq_error *err)
{
    struct ft_reader_opts ro = *o;
    ro.prog = NULL;
    ro.warn = keep_warning;
    ro.skip_foreign = !s->named[i];
    warns.file = i;
    struct ft_reader *rd = ft_reader_open(&s->paths[i], 1, &ro, err);
    if (!rd)
        return err->code;
    size_t first = k->n;
    ssize_t got;
    do {
        if (k->cap - k->n < CHUNK) {
            k->cap = (k->cap + CHUNK) * 2;
            k->rec = xrealloc(k->rec, k->cap * sizeof *k->rec);
        }
        got = ft_reader_next(rd, &k->rec[k->n], CHUNK, err);
        if (got > 0)
            k->n += keep ? engine_keep_run(keep, &k->rec[k->n], (size_t)got) : (size_t)got;
    } while (got > 0);
    k->nkept[i - s->lo] = k->n - first;
    k->nread[i - s->lo] = ft_reader_count(rd);
    ft_reader_close(rd);
    return got < 0 ? err->code : FQ_OK;
}

static void read_share(const struct fq_query *q, const struct share *s,
                       const struct ft_reader_opts *o, struct kept *k, struct fq_error *err)
{
    size_t nf = s->hi - s->lo;
    k->nkept = xcalloc(nf + 1, sizeof *k->nkept);
    k->nread = xcalloc(nf + 1, sizeof *k->nread);
    k->failed = UINT64_MAX;
    struct engine_keep *keep = engine_keep_new(q);
    for (size_t i = s->lo; i < s->hi; i++)
        if (read_one(s, i, o, keep, k, err) != FQ_OK) {
            k->failed = i;
            break;
        }
    engine_keep_free(keep);
}

/* The warnings of every rank to rank 0, printed there in file order up to
 * the file that failed first, included (flowq stops reading there). */
static void gather_warnings(uint64_t failed, void (*warn)(const char *, const char *))
{
    int n = (int)warns.n, *counts = NULL, *at = NULL;
    char *all = NULL;
    if (rank == 0)
        counts = xcalloc((size_t)nranks, sizeof *counts);
    MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    size_t total = 0;
    if (rank == 0) {
        at = xcalloc((size_t)nranks, sizeof *at);
        for (int r = 0; r < nranks; r++) {
            at[r] = (int)total;
            total += (size_t)counts[r];
        }
        all = xmalloc(total ? total : 1);
    }
    MPI_Gatherv(warns.buf, n, MPI_BYTE, all, counts, at, MPI_BYTE, 0, MPI_COMM_WORLD);
    for (const char *p = all; rank == 0 && p < all + total;) {
        uint64_t file;
        memcpy(&file, p, 8);
        const char *path = p + 8, *msg = path + strlen(path) + 1;
        if (warn && file <= failed)
            warn(path, msg);
        p = msg + strlen(msg) + 1;
    }
    free(all);
    free(at);
    free(counts);
    free(warns.buf);
    warns.buf = NULL;
    warns.n = warns.cap = 0;
}

/* The earliest failure in walk order, on every rank: its index (or
 * UINT64_MAX) and, broadcast from the rank that read that file, *err. */
static uint64_t agree_failure(const struct share *s, const struct kept *k,
                              struct fq_error *err)
{
    uint64_t first;
    MPI_Allreduce(&k->failed, &first, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    if (first == UINT64_MAX)
        return first;
    int owner = s->lo <= first && first < s->hi ? rank : 0;
    MPI_Allreduce(MPI_IN_PLACE, &owner, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Bcast(err, (int)sizeof *err, MPI_BYTE, owner, MPI_COMM_WORLD);
    return first;
}

/* rec_id: the position in the whole input, from the records read by the
 * earlier ranks and the earlier files of this rank.  Returns the count
 * of records read by all ranks. */
static uint64_t number(const struct share *s, struct kept *k)
{
    uint64_t mine = 0, base = 0, total = 0;
    for (size_t f = 0; f < s->hi - s->lo; f++)
        mine += k->nread[f];
    MPI_Exscan(&mine, &base, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        base = 0;               /* MPI_Exscan leaves rank 0's undefined */
    MPI_Allreduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    size_t at = 0;
    for (size_t f = 0; f < s->hi - s->lo; f++) {
        for (uint64_t j = 0; j < k->nkept[f]; j++)
            k->rec[at++].rec_id += base;
        base += k->nread[f];
    }
    return total;
}

/* The kept records to rank 0's run, rank by rank: in rec_id order. */
static void gather_records(struct fq_run *run, const struct kept *k)
{
    const int bytes = (int)(CHUNK * sizeof *k->rec);
    if (rank) {
        uint64_t n = k->n;
        MPI_Send(&n, 1, MPI_UINT64_T, 0, 0, MPI_COMM_WORLD);
        for (size_t at = 0; at < k->n; at += CHUNK) {
            size_t m = k->n - at < CHUNK ? k->n - at : CHUNK;
            MPI_Send(&k->rec[at], (int)(m * sizeof *k->rec), MPI_BYTE, 0, 1, MPI_COMM_WORLD);
        }
        return;
    }
    fq_run_add(run, k->rec, k->n);
    struct fq_rec *buf = xmalloc(CHUNK * sizeof *buf);
    for (int r = 1; r < nranks; r++) {
        uint64_t n;
        MPI_Recv(&n, 1, MPI_UINT64_T, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (uint64_t at = 0; at < n; at += CHUNK) {
            size_t m = n - at < CHUNK ? (size_t)(n - at) : CHUNK;
            MPI_Recv(buf, bytes, MPI_BYTE, r, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            fq_run_add(run, buf, m);
        }
    }
    free(buf);
}

/* ---- the partitioned run: rows to ranks by the plan's key */

/* The ranks run partitions when the plan has a key and a path that marks
 * records (as engine_opts.partitions), there are ranks to share them, and
 * no kept record holds an IPv6 address (their keys are ranks in each
 * input's own table; and they widen text columns, which rank 0 alone
 * could not tell).  Collective. */
static bool spreads(const struct fq_plan *p, bool groups, const struct kept *k)
{
    bool marks = p->path == PATH_STREAM || p->path == PATH_DIRECT || p->path == PATH_JOIN;
    int v6 = 0;
    for (size_t i = 0; i < k->n && !v6; i++)
        v6 = k->rec[i].v6 != 0;
    MPI_Allreduce(MPI_IN_PLACE, &v6, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    return nranks > 1 && !groups && p->partitionable && marks && !v6;
}

/* Items to send, per destination rank: a row and the mask of the
 * branches that send it there. */
struct box {
    unsigned char **buf;        /* per rank */
    size_t *n, *cap;            /* bytes */
    size_t item;
};

static void box_init(struct box *b, size_t item)
{
    b->buf = xcalloc((size_t)nranks, sizeof *b->buf);
    b->n = xcalloc((size_t)nranks, sizeof *b->n);
    b->cap = xcalloc((size_t)nranks, sizeof *b->cap);
    b->item = item;
}

static void box_put(struct box *b, size_t p, const void *x, size_t len)
{
    if (b->cap[p] - b->n[p] < len) {
        b->cap[p] = (b->n[p] + len) * 2;
        b->buf[p] = xrealloc(b->buf[p], b->cap[p]);
    }
    memcpy(b->buf[p] + b->n[p], x, len);
    b->n[p] += len;
}

static void box_free(struct box *b)
{
    for (int p = 0; p < nranks; p++)
        free(b->buf[p]);
    free(b->buf);
    free(b->n);
    free(b->cap);
}

/* out's items to their ranks, in rounds of at most ROUND bytes to each;
 * in gets them by source rank, each source's in its order. */
static void shuffle(const struct box *out, struct box *in)
{
    enum { ROUND = 8 << 20 };
    const size_t per = ROUND / out->item * out->item;
    size_t *sent = xcalloc((size_t)nranks, sizeof *sent);
    int *sc = xcalloc((size_t)nranks * 4, sizeof *sc), *sd = sc + nranks, *rc = sd + nranks,
        *rd = rc + nranks;
    for (;;) {
        int more = 0, st = 0, rt = 0;
        for (int p = 0; p < nranks; p++) {
            size_t left = out->n[p] - sent[p];
            sc[p] = (int)(left < per ? left : per);
            more |= left > 0;
        }
        MPI_Allreduce(MPI_IN_PLACE, &more, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
        if (!more)
            break;
        MPI_Alltoall(sc, 1, MPI_INT, rc, 1, MPI_INT, MPI_COMM_WORLD);
        for (int p = 0; p < nranks; p++) {
            sd[p] = st;
            st += sc[p];
            rd[p] = rt;
            rt += rc[p];
        }
        unsigned char *sbuf = xmalloc(st ? (size_t)st : 1), *rbuf = xmalloc(rt ? (size_t)rt : 1);
        for (int p = 0; p < nranks; p++) {
            memcpy(sbuf + sd[p], out->buf[p] + sent[p], (size_t)sc[p]);
            sent[p] += (size_t)sc[p];
        }
        MPI_Alltoallv(sbuf, sc, sd, MPI_BYTE, rbuf, rc, rd, MPI_BYTE, MPI_COMM_WORLD);
        for (int p = 0; p < nranks; p++)
            box_put(in, (size_t)p, rbuf + rd[p], (size_t)rc[p]);
        free(sbuf);
        free(rbuf);
    }
    free(sc);
    free(sent);
}

/* This rank's partition of the kept rows of every rank (the rows of
 * *mine, which the partition's rows share their layout with), in rec_id
 * order: source ranks hold ascending rec_ids, and come in rank order.
 * Rows of one layout on every rank: the query makes it, and no row
 * holds an IPv6 address (spreads). */
static struct engine_in *exchange(const struct fq_query *q, const struct fq_plan *plan,
                                  const struct kept *k, uint64_t nread,
                                  struct engine_in **mine)
{
    size_t nb = q->nbranches, mw = (nb + 7) / 8;
    struct engine_in *all = engine_in_new(q, false);
    engine_in_add(all, k->rec, k->n);
    engine_in_trim(all);
    const struct fq_rows *R = &all->rows;
    struct box out, in;
    box_init(&out, R->stride + mw);
    box_init(&in, out.item);
    size_t *dest = xmalloc((nb ? nb : 1) * sizeof *dest);
    uint8_t *m = xmalloc((nb ? nb : 1) * mw);
    for (size_t i = 0; i < R->n; i++) {
        size_t n = engine_in_row_dests(all, plan, (size_t)nranks, 0, i, dest, m);
        for (size_t j = 0; j < n; j++) {
            box_put(&out, dest[j], row_at(R, i), R->stride);
            box_put(&out, dest[j], &m[j * mw], mw);
        }
    }
    free(dest);
    free(m);
    shuffle(&out, &in);
    box_free(&out);
    struct engine_in *part = engine_in_part_new(all, plan, nb);
    part->nread = nread;
    for (int p = 0; p < nranks; p++)
        for (size_t at = 0; at < in.n[p]; at += in.item)
            engine_in_add_rows(part, in.buf[p] + at, in.buf[p] + at + R->stride);
    box_free(&in);
    *mine = all;
    return part;
}

/* The partitions' counts summed (on every rank), their marks or-ed. */
static void combine(const struct fq_query *q, struct engine_stats *st, uint64_t *bits,
                    uint64_t nwords)
{
    size_t nb = q->nbranches, nv = 3 * nb + 1;
    uint64_t *v = xcalloc(nv, sizeof *v);
    for (size_t b = 0; b < nb; b++) {
        v[3 * b] = st->branch[b].filtered;
        v[3 * b + 1] = st->branch[b].groups;
        v[3 * b + 2] = st->branch[b].groups_kept;
    }
    v[3 * nb] = st->tuples;
    MPI_Allreduce(MPI_IN_PLACE, v, (int)nv, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    for (size_t b = 0; b < nb; b++) {
        st->branch[b].filtered = v[3 * b];
        st->branch[b].groups = v[3 * b + 1];
        st->branch[b].groups_kept = v[3 * b + 2];
    }
    st->tuples = v[3 * nb];
    free(v);
    for (uint64_t at = 0; at < nwords; at += 1 << 24) {
        uint64_t n = nwords - at < (1 << 24) ? nwords - at : (1 << 24);
        MPI_Allreduce(MPI_IN_PLACE, bits + at, (int)n, MPI_UINT64_T, MPI_BOR, MPI_COMM_WORLD);
    }
}

/* Every rank runs its partition; the counts are summed, the first error
 * (by rank) or --max-tuples over the sum is every rank's, and the marked
 * records go to rank 0, whose run writes them. */
static struct fq_run *run_spread(const struct fq_query *q, const struct fq_run_opts *o,
                                 const struct fq_plan *plan, struct kept *k, uint64_t nread)
{
    struct engine_in *mine;
    struct engine_in *part = exchange(q, plan, k, nread, &mine);
    struct engine_opts eo = o->eng;
    eo.partitions = 0;
    eo.threads = 1;
    eo.records_read = nread;
    size_t nwords = nread / 64 + 1;
    uint64_t *bits = xcalloc(nwords, sizeof *bits);
    struct engine_stats st = {.nbranches = q->nbranches};
    st.branch = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *st.branch);
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    int rc = engine_run_part(q, part, &eo, NULL, bits, nwords, &st, &err);
    engine_in_free(mine);
    int who = rc != FQ_OK ? rank : nranks;
    MPI_Allreduce(MPI_IN_PLACE, &who, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (who < nranks) {
        MPI_Bcast(&err, (int)sizeof err, MPI_BYTE, who, MPI_COMM_WORLD);
        k->n = 0;
    } else {
        combine(q, &st, bits, nwords);
        if (engine_parts_done(q, &eo, nread, NULL, nwords, &st, &err) != FQ_OK)
            k->n = 0;
        size_t n = 0;
        for (size_t i = 0; i < k->n; i++)
            if (bits[k->rec[i].rec_id / 64] >> (k->rec[i].rec_id % 64) & 1)
                k->rec[n++] = k->rec[i];
        k->n = n;
    }
    free(bits);
    struct fq_run *run = fq_run_result(q, o, &st, &err);
    engine_stats_free(&st);
    gather_records(run, k);
    return run;
}

struct fq_run *dist_run_read(const struct fq_query *q, char *const *ops, size_t nops,
                             const struct fq_run_opts *o, struct fq_error *err)
{
    struct share s = {0};
    if (share_files(ops, nops, &o->rd, &s, err) != FQ_OK)
        return NULL;
    struct kept k = {0};
    read_share(q, &s, &o->rd, &k, err);
    uint64_t failed = agree_failure(&s, &k, err);
    gather_warnings(failed, o->rd.warn);
    struct fq_run *run = NULL;
    if (failed == UINT64_MAX) {
        uint64_t nread = number(&s, &k);
        struct fq_plan *plan = plan_make(q, o->groups);
        if (spreads(plan, o->groups, &k)) {
            run = run_spread(q, o, plan, &k, nread);
        } else {
            run = fq_run_new(q, o);
            gather_records(run, &k);
            fq_run_added(run, rank == 0 ? nread : 0);
        }
        plan_free(plan);
    }
    free(k.rec);
    free(k.nkept);
    free(k.nread);
    share_free(&s);
    return run;
}
