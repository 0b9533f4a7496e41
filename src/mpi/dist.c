/* SPDX-License-Identifier: MIT
 * flowq-mpi's distributed reading (dist.h).  Messages: the file list and
 * the first error are broadcast as bytes; kept records go to rank 0 in
 * chunks of CHUNK records, so that no message is larger than a few MiB.
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
#include "ftio.h"
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
 * of records read by all ranks (on rank 0). */
static uint64_t number(const struct share *s, struct kept *k)
{
    uint64_t mine = 0, base = 0, total = 0;
    for (size_t f = 0; f < s->hi - s->lo; f++)
        mine += k->nread[f];
    MPI_Exscan(&mine, &base, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        base = 0;               /* MPI_Exscan leaves rank 0's undefined */
    MPI_Reduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    size_t at = 0;
    for (size_t f = 0; f < s->hi - s->lo; f++) {
        for (uint64_t j = 0; j < k->nkept[f]; j++)
            k->rec[at++].rec_id += base;
        base += k->nread[f];
    }
    return total;
}

/* The kept records to rank 0's run, rank by rank: walk order. */
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
        run = fq_run_new(q, o);
        gather_records(run, &k);
        fq_run_added(run, rank == 0 ? nread : 0);
    }
    free(k.rec);
    free(k.nkept);
    free(k.nread);
    share_free(&s);
    return run;
}
