/* SPDX-License-Identifier: MIT
 * The run path (run.h): stream or engine, the memory budget that narrows
 * the engine's rows, and the second reading of the files for the records
 * narrow rows no longer hold.  The second reading trusts a file only if
 * it is still the one stat saw before the first.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "run.h"
#include "spill.h"
#include "spool.h"
#include "stream.h"
#include "util.h"

enum {
    READ_CHUNK = 1 << 15,       /* records decoded at a time */
    SPOOL_BUDGET = 32 << 20,    /* bytes of records the second reading sorts in memory */
};

struct fq_run {
    const struct fq_query *q;
    struct fq_run_opts o;
    struct stream *sm;          /* the query only filters; else e */
    struct engine_in *e;
    struct fq_plan *plan;       /* e's, made when the rows may spill */
    struct spill *spill;        /* e's rows past the budget, in partitions; NULL: in memory */
    char **paths;               /* regular files, to be read again; NULL: cannot be */
    struct stat *id;            /* each file as it was before the first reading */
    size_t npaths;
    /* fq_run_result: the result made elsewhere; e and sm are NULL */
    bool result;
    struct engine_stats st;
    struct fq_error err;
    struct fq_rec *recs;        /* the records to write */
    size_t nrecs, cap;
};

void fq_run_free(struct fq_run *r)
{
    if (!r)
        return;
    stream_free(r->sm);
    spill_free(r->spill);
    plan_free(r->plan);
    engine_in_free(r->e);
    for (size_t i = 0; i < r->npaths; i++)
        free(r->paths[i]);
    free(r->paths);
    free(r->id);
    engine_stats_free(&r->st);
    free(r->recs);
    free(r);
}

/* The same file, not rewritten since (what make and rsync trust). */
static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The memory the kept records may take before they are narrowed: a
 * quarter of physical memory, as sort(1) sizes its buffer from it, or
 * --max-memory. */
static uint64_t memory_budget(const struct fq_run_opts *o)
{
    if (o->budget)
        return o->budget;
    if (o->rd.max_bytes)
        return o->rd.max_bytes;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0)
        return (uint64_t)1 << 30;
    return (uint64_t)pages * (uint64_t)psize / 4;
}

/* Why the kept rows of r cannot go to temporary files (NULL: they can):
 * they are narrow, and the plan splits them into partitions each run to
 * marks by rec_id. */
static const char *why_no_spill(struct fq_run *r, bool files)
{
    if (!files)
        return "the input is not regular files, which could be read a second time";
    if (engine_in_rows(r->e)->full)
        return "the rows keep whole records (FLOWQ_ROWS=full, or the query reads every field)";
    if (r->o.groups)
        return "-g writes the groups as the merger makes them, in one run";
    if (!r->plan)
        r->plan = plan_make(r->q, false);
    if (!r->plan->partitionable)
        return r->plan->why;
    if (r->plan->path != PATH_DIRECT && r->plan->path != PATH_JOIN)
        return "its path marks no records to write";
    return NULL;
}

/* After records were added to the engine's narrow rows: past the limit
 * they go to the partitions of a spill (started at the first time), past
 * --max-memory without a spill it is an error. */
static int keep_bounded(struct fq_run *r, bool files, uint64_t limit, struct fq_error *err)
{
    uint64_t bytes = engine_in_bytes(r->e);
    if (r->spill)
        return bytes > limit / 2 ? spill_put(r->spill, r->e, err) : FQ_OK;
    if (bytes <= limit)
        return FQ_OK;
    const char *why = why_no_spill(r, files);
    if (!why) {
        r->spill = spill_new(r->q, r->plan, (size_t)limit);
        return spill_put(r->spill, r->e, err);
    }
    if (!r->o.rd.max_bytes || bytes <= r->o.rd.max_bytes)
        return FQ_OK;           /* without --max-memory, memory follows the input */
    return fq_fail(err, FQ_E_OUTPUT, NULL, -1,
                   "the records to keep exceed --max-memory (%llu bytes at record %llu) and "
                   "cannot go to temporary files: %s; filter more or raise --max-memory",
                   (unsigned long long)r->o.rd.max_bytes,
                   (unsigned long long)engine_in_read(r->e), why);
}

/* The rows that uncompressed files of these sizes can fill, within the
 * budget: a flow-tools record takes at least 60 bytes (too few for
 * smaller nfdump records only means the rows grow as before). */
static size_t max_rows(const struct stat *id, size_t n, uint64_t budget, size_t stride)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += (uint64_t)id[i].st_size;
    uint64_t rows = bytes / 60, most = budget / (stride + 1);
    return (size_t)(rows < most ? rows : most);
}

/* The records into the engine.  When the inputs are regular files that
 * need no inflating, or when the records to keep outgrow the memory
 * budget, only the fields the query reads after its filters are kept, and
 * the records to write are read again from the files (write_again): a
 * second reading of uncompressed files costs less than holding whole
 * records, whose memory is most of a big run's time (page faults).  The
 * rows mode may fix the choice.  When even narrow rows outgrow the budget,
 * they spill (spill.h) if the query splits into partitions. */
static int read_engine(struct fq_run *r, char *const *inputs, size_t ninputs,
                       struct fq_error *err)
{
    const struct fq_run_opts *o = &r->o;
    /* records no branch's filter takes are dropped as they are read (on
     * the parallel reader's threads) */
    struct ft_reader_opts ro = o->rd;
    struct engine_keep *keep = engine_keep_new(r->q);
    ro.keep = keep ? engine_keep_run : NULL;
    ro.keep_ctx = keep;
    struct ft_reader *rd = ft_reader_open(inputs, ninputs, &ro, err);
    if (!rd) {
        engine_keep_free(keep);
        return err->code;
    }
    size_t np;
    char *const *paths = ft_reader_paths(rd, &np);
    struct stat *id = xcalloc(np ? np : 1, sizeof *id);
    bool files = true;
    for (size_t i = 0; i < np && files; i++)
        files = strcmp(paths[i], "-") != 0 && stat(paths[i], &id[i]) == 0 && S_ISREG(id[i].st_mode);
    bool never = o->rows == FQ_ROWS_FULL, now = o->rows == FQ_ROWS_NARROW;
    /* -g writes group records only: the rows need never be written */
    bool narrowed = o->groups || (files && now && !never);
    if (narrowed)
        engine_in_narrow(r->e);
    if (!o->rd.max_bytes)
        engine_in_prefault(r->e);
    bool may = files && !never && !narrowed;
    uint64_t budget = memory_budget(o);
    uint64_t limit = o->rd.max_bytes && o->rd.max_bytes < budget ? o->rd.max_bytes : budget;
    struct fq_rec *buf = xcalloc(READ_CHUNK, sizeof *buf);
    ssize_t got;
    bool first = true;
    while ((got = ft_reader_next(rd, buf, READ_CHUNK, err)) > 0) {
        engine_in_add(r->e, buf, (size_t)got);
        engine_in_set_read(r->e, ft_reader_count(rd));
        bool cheap = first && !ft_reader_inflated(rd);
        first = false;
        if (may && (cheap || engine_in_bytes(r->e) > budget)) {
            engine_in_narrow(r->e);
            may = false;
            /* uncompressed: the files' size bounds the records to keep */
            if (cheap)
                engine_in_reserve(r->e, max_rows(id, np, budget, engine_in_rows(r->e)->stride));
        }
        if (!may && keep_bounded(r, files, limit, err) != FQ_OK) {
            got = -1;
            break;
        }
    }
    free(buf);
    engine_in_set_read(r->e, ft_reader_count(rd));
    if (got == 0 && r->spill && spill_put(r->spill, r->e, err) != FQ_OK)
        got = -1;
    if (got == 0 && files && !engine_in_rows(r->e)->full && !o->groups) {
        r->paths = xcalloc(np ? np : 1, sizeof *r->paths);
        for (size_t i = 0; i < np; i++)
            r->paths[i] = xstrdup(paths[i]);
        r->npaths = np;
        r->id = id;
        id = NULL;
    }
    free(id);
    ft_reader_close(rd);
    engine_keep_free(keep);
    if (got < 0)
        return err->code;
    if (!r->spill)              /* spilled rows keep IPv6 ids until spill_run */
        engine_in_trim(r->e);
    return FQ_OK;
}

struct fq_run *fq_run_read(const struct fq_query *q, char *const *paths, size_t n,
                           const struct fq_run_opts *o, struct fq_error *err)
{
    struct fq_run *r = xcalloc(1, sizeof *r);
    r->q = q;
    r->o = *o;
    r->o.eng.groups = o->groups;
    /* A query that only filters keeps nothing: it streams (stream.h). */
    r->sm = stream_new(q, o->groups, &o->rd);
    if (!r->sm)
        r->e = engine_in_new(q, o->groups);
    int rc = r->sm ? stream_read(r->sm, paths, n, err) : read_engine(r, paths, n, err);
    /* the progress line covers the first reading; its owner may end it now */
    r->o.rd.prog = NULL;
    if (rc != FQ_OK) {
        fq_run_free(r);
        return NULL;
    }
    return r;
}

struct fq_run *fq_run_new(const struct fq_query *q, const struct fq_run_opts *o)
{
    struct fq_run *r = xcalloc(1, sizeof *r);
    r->q = q;
    r->o = *o;
    r->o.eng.groups = o->groups;
    r->o.rd.prog = NULL;
    r->e = engine_in_new(q, o->groups);
    return r;
}

void fq_run_add(struct fq_run *r, const struct fq_rec *recs, size_t n)
{
    if (!r->result) {
        engine_in_add(r->e, recs, n);
        return;
    }
    if (r->cap - r->nrecs < n) {
        r->cap = (r->nrecs + n) * 2;
        r->recs = xrealloc(r->recs, r->cap * sizeof *r->recs);
    }
    memcpy(r->recs + r->nrecs, recs, n * sizeof *recs);
    r->nrecs += n;
}

struct fq_run *fq_run_result(const struct fq_query *q, const struct fq_run_opts *o,
                             const struct engine_stats *st, const struct fq_error *err)
{
    struct fq_run *r = xcalloc(1, sizeof *r);
    r->q = q;
    r->o = *o;
    r->result = true;
    r->st = *st;
    r->st.branch = xcalloc(st->nbranches ? st->nbranches : 1, sizeof *r->st.branch);
    if (st->nbranches)
        memcpy(r->st.branch, st->branch, st->nbranches * sizeof *st->branch);
    r->err = *err;
    return r;
}

void fq_run_added(struct fq_run *r, uint64_t nread)
{
    engine_in_trim(r->e);
    /* 0 would mean "all added": right too when nothing was read */
    r->o.eng.records_read = nread;
}

/* The records of sp, in (stime, rec_id) order, to o; *written counts
 * them.  Returns got, or -1 on an error (*err filled). */
static ssize_t write_spool(struct spool *sp, struct fq_rec *buf, ssize_t got, struct out *o,
                           uint64_t *written, struct fq_error *err)
{
    while (got >= 0 && (got = spool_next(sp, buf, READ_CHUNK, err)) > 0)
        for (size_t i = 0; i < (size_t)got; i++) {
            if (out_record(o, &buf[i], err) != FQ_OK)
                return -1;
            if (written)
                ++*written;
        }
    return got;
}

/* fq_run_result's run: its counts, and its records in time order. */
static int write_result(struct fq_run *r, struct out *out, struct engine_stats *st,
                        struct fq_error *err)
{
    *st = r->st;
    r->st.branch = NULL;
    st->records_out = 0;
    if (r->err.code != FQ_OK) {
        *err = r->err;
        return err->code;
    }
    struct spool *sp = spool_new(SPOOL_BUDGET);
    struct fq_rec *buf = xcalloc(READ_CHUNK, sizeof *buf);
    ssize_t got = spool_add(sp, r->recs, r->nrecs, err) == FQ_OK ? 0 : -1;
    write_spool(sp, buf, got, out, &st->records_out, err);
    free(buf);
    spool_free(sp);
    return err->code;
}

/* The second reading of narrow rows: read the files again, decoding only
 * the records marked in bits (by rec_id), put them into (stime, rec_id)
 * order through the spool and write them; *written counts them (fewer
 * than count when -c cuts the output).  A file that changed in between is
 * an input error, not a wrong answer: each file must still be the one
 * stat saw before the first reading, with as many records. */
static int write_again(const struct fq_run *r, const uint64_t *bits, uint64_t count,
                       struct out *o, uint64_t *written, struct fq_error *err)
{
    uint64_t first = engine_in_read(r->e);
    for (size_t i = 0; i < r->npaths; i++) {
        struct stat now;
        if (stat(r->paths[i], &now) != 0 || !same_file(&r->id[i], &now))
            return fq_fail(err, FQ_E_INPUT, r->paths[i], -1,
                           "the file changed while flowq was reading it");
    }
    struct ft_reader_opts ro = r->o.rd;
    ro.verbose = false;
    ro.warn = NULL; /* said the first time */
    ro.skip_foreign = true;
    struct ft_reader *rd = ft_reader_open(r->paths, r->npaths, &ro, err);
    if (!rd)
        return err->code;
    ft_reader_want(rd, bits, first);
    struct spool *sp = spool_new(SPOOL_BUDGET);
    struct fq_rec *buf = xcalloc(READ_CHUNK, sizeof *buf);
    ssize_t got;
    while ((got = ft_reader_next(rd, buf, READ_CHUNK, err)) > 0)
        if (spool_add(sp, buf, (size_t)got, err) != FQ_OK) {
            got = -1;
            break;
        }
    uint64_t nread = ft_reader_count(rd);
    ft_reader_close(rd);
    if (got >= 0 && (nread != first || spool_count(sp) != count)) {
        fq_fail(err, FQ_E_INPUT, NULL, -1,
                "the input changed while flowq was reading it (%llu records the first time, "
                "%llu the second)",
                (unsigned long long)first, (unsigned long long)nread);
        got = -1;
    }
    *written = 0;
    got = write_spool(sp, buf, got, o, written, err);
    free(buf);
    spool_free(sp);
    return got < 0 ? err->code : FQ_OK;
}

int fq_run_write(struct fq_run *r, struct out *out, struct engine_stats *st,
                 struct fq_error *err)
{
    if (r->sm) {
        stream_run(r->sm, &r->o.eng, out, st, err);
        return err->code;
    }
    if (r->result)
        return write_result(r, out, st, err);
    uint64_t *bits = NULL;
    int rc = r->spill ? spill_run(r->spill, r->e, &r->o.eng, &bits, st, err)
                      : engine_run_in(r->q, r->e, &r->o.eng, out, &bits, st, err);
    if (rc == FQ_OK && bits)
        write_again(r, bits, st->records_out, out, &st->records_out, err);
    free(bits);
    return err->code;
}

int fq_run_query(const struct fq_query *q, char *const *paths, size_t n,
                 const struct fq_run_opts *o, struct out *out, struct engine_stats *st,
                 struct fq_error *err)
{
    struct fq_run *r = fq_run_read(q, paths, n, o, err);
    if (!r)
        return err->code;
    int rc = fq_run_write(r, out, st, err);
    fq_run_free(r);
    return rc;
}

int fq_run_print(struct ft_reader *r, struct out *out, struct fq_error *err)
{
    enum { CHUNK = 4096 };
    struct fq_rec *buf = xcalloc(CHUNK, sizeof *buf);
    ssize_t got;
    int rc = FQ_OK;
    while (rc == FQ_OK && (got = ft_reader_next(r, buf, CHUNK, err)) > 0)
        for (ssize_t i = 0; i < got && rc == FQ_OK; i++)
            rc = out_record(out, &buf[i], err);
    free(buf);
    return err->code;
}
