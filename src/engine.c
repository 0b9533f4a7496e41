/* SPDX-License-Identifier: MIT
 * engine_run: the stages of LANGUAGE.md 7 over the shared decoded records.
 * Filters run in parallel chunks (flags stored by rec_id, so timing cannot
 * change them) beside the one sort by (stime, rec_id); then one job per
 * distinct branch groups, aggregates and applies the group filter; the
 * merger and the ungrouper run on the calling thread.  Records are never
 * copied: side data are uint32 indices.  A pass-through merger (one
 * branch, no rules) is skipped: kept groups mark their members directly.
 */
#include "engine.h"
#include "engine_in.h"

#include <stdlib.h>
#include <string.h>

#include "aggr.h"
#include "filter.h"
#include "gcond.h"
#include "grouper.h"
#include "jobs.h"
#include "merger.h"
#include "plan.h"
#include "prune.h"
#include "rows.h"
#include "ungrouper.h"
#include "util.h"

/* ---- per-branch state */

struct branch {
    const struct fq_branch *br;
    size_t index;
    int filter;                 /* its bit in engine_in.mask; -1: takes every row */
    uint8_t *pass;              /* n flags, by row, until kept is made */
    uint32_t *kept;             /* the rows passing, in time order, until grouped */
    size_t npass;
    struct grouping gr;
    struct pool pool;           /* sets of the kept groups */
    union fq_val *val;
    uint32_t *id;
    size_t nkept;
    size_t stride;              /* stored columns per kept group (see bgroups.nfields) */
    struct engine_branch_stats st;
};

struct exec {
    const struct fq_query *q;
    const struct fq_rows *R;
    const uint8_t *mask;        /* engine_in.mask */
    const struct ip6_tab *t6;   /* the keys of IPv6 addresses */
    size_t mw;
    bool only_filter;           /* one filter, and every row passes it */
    /* Narrow rows: output bits are by rec_id, not by row, so that the rows
     * can go once the groups are made (before the merger's indexes). */
    bool by_id;
    size_t nbits;
    size_t n;
    uint32_t *ord;
    struct branch *b;
    size_t nchunks;             /* filter chunks per branch */
    size_t chunk;
    /* Direct mode: the merger would pass the groups of one branch through
     * unchanged (one exported branch, no rules, no other module, no -g), so
     * that branch marks its kept groups' members in bits and stores no rows. */
    bool direct;
    size_t direct_branch;
    unsigned branch_threads;    /* for one branch's grouper */
    bool groups;                /* -g: every group field is output */
    uint64_t *bits;
    /* Branches with the same definition are computed once: twin[b] is
     * the first branch identical to b; unit[] lists the computed ones. */
    size_t *twin, *unit, nunits;
    struct prune *prune;        /* NULL: every unit stores all its kept groups */
    size_t wave0;               /* the wave being computed starts at unit[wave0] */
};

static bool wants_masks(const struct fq_branch *br)
{
    for (size_t i = 0; i < br->ngfields; i++)
        if (br->gfields[i].module >= 0 && br->gfields[i].fn != AGG_PLAIN)
            return true;
    return false;
}

/* Job 0 sorts; the others unpack one chunk of one branch's filter bits,
 * which engine_in_add computed as the records were read. */
static void phase_filter(void *ctx, size_t job)
{
    struct exec *r = ctx;
    if (job == 0) {
        r->ord = rows_time_order(r->R);
        return;
    }
    job--;
    struct branch *b = &r->b[r->unit[job / r->nchunks]];
    size_t lo = job % r->nchunks * r->chunk, hi = lo + r->chunk;
    if (hi > r->n)
        hi = r->n;
    if (b->filter < 0 || r->only_filter) {
        if (lo < hi)
            memset(b->pass + lo, 1, hi - lo);
        return;
    }
    size_t byte = (size_t)b->filter / 8;
    unsigned bit = (unsigned)b->filter % 8;
    for (size_t i = lo; i < hi; i++)
        b->pass[i] = r->mask[i * r->mw + byte] >> bit & 1;
}


/* Kept groups of one range of groups, appended in group order. */
struct agg_out {
    union fq_val *val;
    uint32_t *id;
    size_t n, cap;
    size_t passed;              /* groups the group filter kept: n, and those pruned */
    struct pool pool;
};

static void keep_group(struct agg_out *o, size_t stride, uint32_t gid, const union fq_val *row)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 256;
        o->val = xrealloc(o->val, o->cap * stride * sizeof *o->val);
        o->id = xrealloc(o->id, o->cap * sizeof *o->id);
    }
    memcpy(&o->val[o->n * stride], row, stride * sizeof *row);
    o->id[o->n++] = gid;
}

/* What the aggregation of one branch's groups shares between its ranges. */
struct agg_ctx {
    const struct exec *r;
    struct branch *b;
    const bool *need;
    const struct prune *prune;  /* non-NULL: the unit is pruned */
    bool single, direct, all_kept, parallel;
    const uint32_t *end, *mrec;
    const uint64_t *mmask;
    size_t mw, ng, nranges;
    struct agg_out *out;        /* one per range */
};

static void aggregate_range(void *ctx, size_t job)
{
    struct agg_ctx *a = ctx;
    const struct exec *r = a->r;
    struct branch *b = a->b;
    const struct fq_branch *br = b->br;
    struct agg_out *o = &a->out[job];
    size_t g0 = a->ng * job / a->nranges, g1 = a->ng * (job + 1) / a->nranges;
    size_t nf = br->ngfields;
    union fq_val *row = xcalloc(nf ? nf : 1, sizeof *row);
    const union fq_val **rows = xcalloc(r->q->nbranches, sizeof *rows);
    rows[b->index] = row;
    struct aggr_scratch sc = {0};
    for (size_t g = g0; g < g1; g++) {
        size_t sz = a->single ? 1 : a->end[g] - (g ? a->end[g - 1] : 0);
        size_t at = a->single ? g : a->end[g] - sz;
        if (g + 8 < g1)
            __builtin_prefetch(row_at(r->R, a->mrec[a->single ? g + 8 : a->end[g + 7]]));
        struct aggr_members m = {a->mrec + at, a->mmask ? a->mmask + at * a->mw : NULL, a->mw,
                                 sz};
        struct pool_mark mark = pool_mark(&o->pool);
        if (br->gfilter || !a->direct)
            aggr_group(br->gfields, nf, a->need, r->R, &m, &o->pool, &sc, row);
        bool keep = !br->gfilter || gcond_cnf6(br->gfilter, rows, r->t6);
        o->passed += keep;
        if (keep && a->prune)
            keep = prune_keep(a->prune, b->index, row);
        if (keep && a->direct) {
            for (size_t j = at; j < at + sz; j++) {
                uint64_t i = r->by_id ? row_id(row_at(r->R, a->mrec[j])) : a->mrec[j];
                uint64_t bit = (uint64_t)1 << (i % 64);
                if (a->parallel)
                    __atomic_fetch_or(&r->bits[i / 64], bit, __ATOMIC_RELAXED);
                else
                    r->bits[i / 64] |= bit;
            }
            o->n++;
        } else if (keep && a->all_kept) {
            /* rows preallocated for every group: row g goes to slot g */
            memcpy(&b->val[g * b->stride], row, b->stride * sizeof *row);
            b->id[g] = (uint32_t)g;
            o->n++;
        } else if (keep) {
            keep_group(o, b->stride, (uint32_t)g, row);
        }
        if (!keep || a->direct)
            pool_release(&o->pool, mark);
    }
    aggr_scratch_free(&sc);
    free(rows);
    free(row);
}

/* One unit's rows that pass, in time order. */
static void phase_kept(void *ctx, size_t job)
{
    struct exec *r = ctx;
    struct branch *b = &r->b[r->unit[job]];
    size_t n = r->n, k = 0;
    b->kept = xmalloc((b->npass ? b->npass : 1) * sizeof *b->kept);
    for (size_t i = 0; i < n; i++) {
        if (i + 32 < n)
            __builtin_prefetch(&b->pass[r->ord[i + 32]]);
        if (b->pass[r->ord[i]])
            b->kept[k++] = r->ord[i];
    }
    free(b->pass);
    b->pass = NULL;
}

static void phase_branch(void *ctx, size_t job)
{
    struct exec *r = ctx;
    struct branch *b = &r->b[r->unit[r->wave0 + job]];
    const struct fq_branch *br = b->br;
    uint32_t *kept = b->kept;
    b->kept = NULL;

    /* without a grouper every record is its own group: no grouping arrays */
    bool single = br->grouper == NULL;
    if (single)
        b->gr.ngroups = b->npass;
    else
        grouper_run(br->grouper, r->R, kept, b->npass, wants_masks(br), r->branch_threads,
                    &b->gr);
    b->st.groups = b->gr.ngroups;

    size_t nf = br->ngfields;
    bool direct = r->direct && r->direct_branch == b->index;
    bool *need = NULL;
    if (!r->groups) {
        need = xcalloc(nf + 1, sizeof *need);
        for (size_t i = 0; i < r->q->nbranches; i++)
            if (r->twin[i] == b->index) {
                bool *ni = engine_needed_gfields(r->q, i, !direct);
                for (size_t f = 0; f < nf; f++)
                    need[f] |= ni[f];
                free(ni);
            }
    }
    b->stride = nf;
    if (need && !direct)
        while (b->stride > GF_NDEFAULT && !need[b->stride - 1])
            b->stride--;
    size_t ng = b->gr.ngroups, mw = b->gr.mwords, np = b->npass;
    const struct prune *prune = prune_pruned(r->prune, b->index) ? r->prune : NULL;
    bool all_kept = !direct && !br->gfilter && ng > 0 && !prune;
    if (all_kept) {
        /* every group is kept: size the rows once (no doubling peak) */
        b->val = xmalloc(ng * b->stride * sizeof *b->val);
        b->id = xmalloc(ng * sizeof *b->id);
    }
    /* Members of each group side by side, in join order: a counting sort
     * of the positions by group (no pointer chasing through member lists).
     * end[g] is where group g's members end. */
    uint32_t *end = NULL, *mrec = kept;
    uint64_t *mmask = NULL;
    if (!single) {
        end = xmalloc((ng ? ng : 1) * sizeof *end);
        size_t sum = 0;
        for (size_t g = 0; g < ng; g++)
            end[g] = (uint32_t)(sum += b->gr.size[g]) - b->gr.size[g];
        mrec = xmalloc((np ? np : 1) * sizeof *mrec);
        mmask = mw ? xmalloc(np * mw * sizeof *mmask) : NULL;
        for (size_t p = 0; p < np; p++) {
            uint32_t at = end[b->gr.gid[p]]++;
            mrec[at] = kept[p];
            if (mw)
                memcpy(&mmask[(size_t)at * mw], &b->gr.mask[p * mw], mw * sizeof *mmask);
        }
        free(kept);
        grouping_free(&b->gr);
    }

    /* Groups are independent: a big branch aggregates in ranges on the
     * threads it was given, then the ranges are joined in group order. */
    size_t nr = r->branch_threads > 1 && ng >= 65536 ? r->branch_threads : 1;
    struct agg_ctx a = {r,    b,   need,  prune, single, direct, all_kept, nr > 1, end,
                        mrec, mmask, mw, ng,    nr,     xcalloc(nr, sizeof(struct agg_out))};
    jobs_run((unsigned)nr, nr, aggregate_range, &a);
    size_t total = 0, passed = 0;
    for (size_t i = 0; i < nr; i++) {
        total += a.out[i].n;
        passed += a.out[i].passed;
    }
    if (!direct && !all_kept && nr == 1) {
        b->val = a.out[0].val;
        b->id = a.out[0].id;
    } else if (!direct && !all_kept) {
        b->val = xmalloc((total ? total : 1) * b->stride * sizeof *b->val);
        b->id = xmalloc((total ? total : 1) * sizeof *b->id);
        size_t at = 0;
        for (size_t i = 0; i < nr; i++) {
            memcpy(&b->val[at * b->stride], a.out[i].val,
                   a.out[i].n * b->stride * sizeof *b->val);
            memcpy(&b->id[at], a.out[i].id, a.out[i].n * sizeof *b->id);
            at += a.out[i].n;
            free(a.out[i].val);
            free(a.out[i].id);
        }
    }
    for (size_t i = 0; i < nr; i++)
        pool_adopt(&b->pool, &a.out[i].pool);
    b->nkept = total;
    b->st.groups_kept = passed;
    free(a.out);
    free(need);
    free(end);
    free(mrec);
    free(mmask);
}

/* ---- identical branches (tcp-session.fq has two) */

static bool same_expr(const struct fq_expr *a, int ba, const struct fq_expr *b, int bb)
{
    if (a->kind != b->kind || a->type != b->type || a->width != b->width || a->u != b->u ||
        a->plen != b->plen || a->nargs != b->nargs || !a->ip6 != !b->ip6 ||
        (a->ip6 && memcmp(a->ip6, b->ip6, 16) != 0))
        return false;
    if (a->kind == X_FIELD && a->field != b->field)
        return false;
    if (a->kind == X_GFIELD &&
        (a->gfield != b->gfield || (a->branch == ba) != (b->branch == bb) ||
         (a->branch != ba && a->branch != b->branch)))
        return false;
    for (size_t i = 0; i < a->nargs; i++)
        if (!same_expr(&a->args[i], ba, &b->args[i], bb))
            return false;
    return true;
}

/* a and b equal, with branch ba in a playing the part of bb in b. */
static bool same_cnf(const struct fq_cnf *a, int ba, const struct fq_cnf *b, int bb)
{
    if ((a == b && ba == bb) || (!a && !b))
        return true;
    if (!a || !b || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->clauses[i].n != b->clauses[i].n)
            return false;
        for (size_t j = 0; j < a->clauses[i].n; j++) {
            const struct fq_term *x = &a->clauses[i].terms[j], *y = &b->clauses[i].terms[j];
            if (x->kind != y->kind || x->negate != y->negate)
                return false;
            if (x->kind == T_REF) {
                if (x->ref != y->ref)   /* by identity: reference chains can be deep */
                    return false;
                continue;
            }
            if (x->kind == T_ALLEN)
                return false;   /* not in filters or group filters */
            if (x->op != y->op || x->has_delta != y->has_delta ||
                (x->has_delta && x->delta != y->delta) || !same_expr(&x->l, ba, &y->l, bb) ||
                !same_expr(&x->r, ba, &y->r, bb))
                return false;
        }
    }
    return true;
}

static bool same_grouper(const struct fq_grouper *a, const struct fq_grouper *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->nmodules != b->nmodules)
        return false;
    for (size_t m = 0; m < a->nmodules; m++) {
        if (a->modules[m].n != b->modules[m].n)
            return false;
        for (size_t k = 0; k < a->modules[m].n; k++) {
            const struct fq_grule *x = &a->modules[m].rules[k], *y = &b->modules[m].rules[k];
            if (x->l != y->l || x->r != y->r || x->op != y->op || x->dk != y->dk ||
                x->delta != y->delta)
                return false;
        }
    }
    return true;
}

bool engine_same_branch(const struct fq_query *q, size_t a, size_t b)
{
    const struct fq_branch *x = &q->branches[a], *y = &q->branches[b];
    if (!same_cnf(x->filter, -1, y->filter, -1) || !same_grouper(x->grouper, y->grouper) ||
        x->ngfields != y->ngfields || !same_cnf(x->gfilter, (int)a, y->gfilter, (int)b))
        return false;
    for (size_t i = 0; i < x->ngfields; i++) {
        const struct fq_gfield *f = &x->gfields[i], *g = &y->gfields[i];
        if (f->fn != g->fn || (f->fn != AGG_COUNT && f->field != g->field) ||
            f->module != g->module || f->type != g->type || f->elem != g->elem ||
            f->width != g->width)
            return false;
    }
    return true;
}


/* ---- the run */

/* Branches a and b split rows alike: keys of the same fields (plan_hash
 * ignores their order), or no partitioning at all. */
static bool same_key(const struct fq_plan *p, size_t a, size_t b)
{
    if (!p)
        return true;
    const struct plan_branch *x = &p->branch[a], *y = &p->branch[b];
    if (x->nkey != y->nkey)
        return false;
    unsigned cx[F_COUNT] = {0}, cy[F_COUNT] = {0};
    for (size_t k = 0; k < x->nkey; k++) {
        cx[x->key[k]]++;
        cy[y->key[k]]++;
    }
    return memcmp(cx, cy, sizeof cx) == 0;
}


/* The records of bits, written or (narrow rows) handed to the caller. */
static int deliver(const struct exec *r, uint64_t *bits, struct out *out, uint64_t **out_bits,
                   uint64_t *written, struct fq_error *err)
{
    if (!r->by_id) {
        int rc = ungroup_write(r->R, r->ord, bits, out, written, err);
        free(bits);
        return rc;
    }
    uint64_t c = 0;
    for (size_t w = 0; w < r->nbits / 64 + 1; w++)
        c += (uint64_t)__builtin_popcountll(bits[w]);
    *written = c;
    if (out_bits)               /* narrow rows come with out_bits (engine.h) */
        *out_bits = bits;
    else
        free(bits);
    return FQ_OK;
}

/* The run's state for in: each branch its filter bit, and branches the
 * same as an earlier one (twins) computed once, as that one. */
static void exec_init(struct exec *r, const struct fq_query *q, struct engine_in *in,
                      const struct engine_opts *eo, enum plan_path path, unsigned threads)
{
    size_t n = in->rows.n, nb = q->nbranches ? q->nbranches : 1;
    *r = (struct exec){.q = q, .R = &in->rows, .mask = in->mask, .mw = in->mw, .n = n,
                       .t6 = in->rows.t6, .groups = eo->groups,
                       .only_filter = in->kept_all_pass, .by_id = !in->rows.full};
    r->nbits = r->by_id ? in->nread : n;
    r->direct = path == PATH_STREAM || path == PATH_DIRECT;
    if (r->direct) {
        r->direct_branch = (size_t)q->modules[q->export_module].branches[0];
        r->bits = xcalloc(r->nbits / 64 + 1, sizeof *r->bits);
    }
    r->b = xcalloc(nb, sizeof *r->b);
    r->twin = xcalloc(nb, sizeof *r->twin);
    r->unit = xcalloc(nb, sizeof *r->unit);
    for (size_t i = 0; i < q->nbranches; i++) {
        r->twin[i] = i;
        /* the direct branch keeps no rows, so it stands in for no other */
        for (size_t j = 0; j < i && r->twin[i] == i; j++)
            if (r->twin[j] == j &&
                !(r->direct && (i == r->direct_branch || j == r->direct_branch)) &&
                engine_same_branch(q, j, i) && same_key(in->plan, j, i))
                r->twin[i] = j;
        r->b[i].br = &q->branches[i];
        r->b[i].index = i;
        r->b[i].filter = in->filter[i];
        if (r->twin[i] != i)
            continue;
        r->unit[r->nunits++] = i;
        r->b[i].pass = xmalloc(n ? n : 1);
    }
    /* Enough chunks that a lone branch still keeps every thread busy. */
    r->nchunks = n >= 65536 ? threads : 1;
    r->chunk = (n + r->nchunks - 1) / r->nchunks;
}

static void exec_free(struct exec *r)
{
    for (size_t i = 0; i < r->q->nbranches; i++) {
        pool_free(&r->b[i].pool);
        free(r->b[i].val);
        free(r->b[i].id);
        free(r->b[i].pass);
        free(r->b[i].kept);
    }
    free(r->b);
    free(r->twin);
    free(r->unit);
    free(r->ord);
    prune_free(r->prune);
}

/* Units unit[lo..hi) at once, the threads shared among them. */
static void run_wave(struct exec *r, size_t lo, size_t hi, unsigned threads)
{
    size_t n = hi - lo;
    r->wave0 = lo;
    r->branch_threads = n && threads > n ? threads / (unsigned)n : 1;
    jobs_run(threads, n, phase_branch, r);
}

/* Filters, then each computed branch's groups, aggregates and group
 * filter, on the worker threads.  With narrow rows the rows go then:
 * what follows marks by rec_id. */
static void exec_branches(struct exec *r, struct engine_in *in, unsigned threads)
{
    jobs_run(threads, 1 + r->nunits * r->nchunks, phase_filter, r);
    for (size_t u = 0; u < r->nunits; u++) {
        struct branch *b = &r->b[r->unit[u]];
        size_t k = 0;
        for (size_t j = 0; j < r->n; j++)
            k += b->pass[j];
        b->npass = k;
    }
    jobs_run(threads, r->nunits, phase_kept, r);
    if (r->by_id) {             /* only writing full rows needs the order */
        free(r->ord);
        r->ord = NULL;
    }
    size_t *npass = xcalloc(r->q->nbranches + 1, sizeof *npass);
    for (size_t u = 0; u < r->nunits; u++)
        npass[r->unit[u]] = r->b[r->unit[u]].npass;
    r->prune = r->direct ? NULL : prune_make(r->q, r->twin, npass);
    free(npass);
    /* the units not pruned first: their kept groups are the pruned ones' sources */
    size_t nfirst = 0;
    for (size_t u = 0; u < r->nunits; u++)
        if (!prune_pruned(r->prune, r->unit[u])) {
            size_t x = r->unit[u];
            memmove(&r->unit[nfirst + 1], &r->unit[nfirst], (u - nfirst) * sizeof *r->unit);
            r->unit[nfirst++] = x;
        }
    run_wave(r, 0, nfirst, threads);
    for (size_t u = 0; r->prune && u < nfirst; u++) {
        const struct branch *b = &r->b[r->unit[u]];
        prune_source(r->prune, b->index, b->val, b->nkept, b->stride);
    }
    run_wave(r, nfirst, r->nunits, threads);
    if (r->by_id) {             /* only writing full rows needs the rows */
        rows_free(&in->rows);
        free(in->mask);
        in->mask = NULL;
        r->R = NULL;
    }
}

/* Nothing to join on: the tuples are every combination of the exported
 * branches' kept groups.  Counted, never stored. */
static int run_product(const struct exec *r, const struct bgroups *bg,
                       const struct engine_opts *eo, struct out *out, uint64_t **out_bits,
                       struct engine_stats *st, struct fq_error *err)
{
    const struct fq_mmodule *ex = &r->q->modules[r->q->export_module];
    uint64_t count = ex->nbranches ? 1 : 0;
    for (size_t w = 0; w < ex->nbranches; w++) {
        uint64_t k = bg[ex->branches[w]].n;
        count = k == 0 ? 0 : count > UINT64_MAX / k ? UINT64_MAX : count * k;
    }
    st->tuples = count;
    if (eo->max_tuples && count > eo->max_tuples)
        return merger_too_many(eo->max_tuples, err);
    if (eo->groups)
        return ungroup_product_groups(r->q, bg, eo->sort, out, &st->records_out, err);
    uint64_t *bits = xcalloc(r->nbits / 64 + 1, sizeof *bits);
    for (size_t w = 0; count && w < ex->nbranches; w++) {
        const struct bgroups *g = &bg[ex->branches[w]];
        for (size_t k = 0; k < g->n; k++)
            ungroup_mark_set(r->R, g->val[k * g->nfields + GF_RECORDS].set, bits);
    }
    return deliver(r, bits, out, out_bits, &st->records_out, err);
}

/* The merger and the ungrouper over the branches' kept groups, by path. */
static int exec_result(struct exec *r, enum plan_path path, const struct bgroups *bg,
                       const struct engine_opts *eo, struct out *out, uint64_t **out_bits,
                       struct engine_stats *st, struct fq_error *err)
{
    if (r->direct) {
        st->tuples = bg[r->direct_branch].n;
        uint64_t *bits = r->bits;
        r->bits = NULL;
        if (eo->max_tuples && st->tuples > eo->max_tuples) {
            free(bits);
            return merger_too_many(eo->max_tuples, err);
        }
        return deliver(r, bits, out, out_bits, &st->records_out, err);
    }
    if (path == PATH_PRODUCT)
        return run_product(r, bg, eo, out, out_bits, st, err);
    if (path == PATH_GROUPS)
        return ungroup_stream_groups(r->q, bg, eo->max_tuples, eo->sort, out, &st->tuples,
                                     &st->records_out, err);
    uint64_t *bits = xcalloc(r->nbits / 64 + 1, sizeof *bits);
    int rc = ungroup_mark_tuples(r->q, r->R, bg, eo->max_tuples, bits, &st->tuples, err);
    if (rc != FQ_OK) {
        free(bits);
        return rc;
    }
    return deliver(r, bits, out, out_bits, &st->records_out, err);
}

int engine_run_in(const struct fq_query *q, struct engine_in *in,
                  const struct engine_opts *eo, struct out *out, uint64_t **out_bits,
                  struct engine_stats *st, struct fq_error *err)
{
    size_t n = in->rows.n;
    memset(st, 0, sizeof *st);
    if (out_bits)
        *out_bits = NULL;
    st->nbranches = q->nbranches;
    st->branch = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *st->branch);
    if (n > UINT32_MAX)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "too many records (%zu); the limit is %u", n,
                       (unsigned)UINT32_MAX);
    unsigned threads = eo->threads ? eo->threads : jobs_cpus();
    rows_rank(&in->rows);
    if (out)
        out_set_ip6(out, in->rows.t6);
    if (eo->partitions > 1 && !in->plan) {
        struct fq_plan *plan = plan_make(q, eo->groups);
        bool marks = plan->path == PATH_STREAM || plan->path == PATH_DIRECT ||
                     plan->path == PATH_JOIN;
        int rc = plan->partitionable && marks
                     ? engine_run_partitions(q, in, plan, eo, out, out_bits, st, err)
                     : -1;
        plan_free(plan);
        if (rc >= 0)
            return rc;
    }
    enum plan_path path = plan_path(q, eo->groups);
    struct exec r;
    exec_init(&r, q, in, eo, path, threads);
    exec_branches(&r, in, threads);
    struct bgroups *bg = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *bg);
    for (size_t i = 0; i < q->nbranches; i++) {
        struct branch *b = &r.b[r.twin[i]];
        b->st.records_in = eo->records_read ? eo->records_read : in->nread;
        b->st.filtered = b->npass;
        st->branch[i] = b->st;
        bg[i] = (struct bgroups){b->nkept, b->stride, b->id, b->val, r.t6};
    }
    int rc = exec_result(&r, path, bg, eo, out, out_bits, st, err);
    free(bg);
    exec_free(&r);
    return rc;
}

int engine_run(const struct fq_query *q, const struct fq_rec *recs, size_t n,
               const struct engine_opts *eo, struct out *out, struct engine_stats *st,
               struct fq_error *err)
{
    struct engine_in *in = engine_in_new(q, eo->groups);
    if (rows_any6(recs, n))
        rows_append(&in->rows, recs, n);    /* IPv6 addresses go to the table */
    else
        rows_wrap(&in->rows, recs, n);
    in->nread = n;
    in->kept_all_pass = false;  /* every record is here, not only the kept */
    if (in->mw) {
        in->mask = xcalloc(n ? n : 1, in->mw);
        for (size_t i = 0; i < n; i++)
            for (size_t f = 0; f < in->nf; f++)
                if (filt_match(in->f[f], &recs[i]))
                    in->mask[i * in->mw + f / 8] |= (uint8_t)(1u << (f % 8));
    }
    int rc = engine_run_in(q, in, eo, out, NULL, st, err);
    engine_in_free(in);
    return rc;
}

void engine_stats_free(struct engine_stats *st)
{
    free(st->branch);
    st->branch = NULL;
}


