/* SPDX-License-Identifier: MIT
 * The engine's input (engine.h, engine_in.h): the records some branch's
 * filter takes, as rows with one bit per distinct filter, built as the
 * records are read; the fields the engine reads once the filters have
 * run; engine_keep, the same filters at read time; and the inputs of
 * the partitions a partitioned run splits them into.
 */
#include "engine_in.h"

#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "plan.h"
#include "prefault.h"
#include "rows.h"
#include "util.h"

/* ---- the fields read after the filters */

static void need_expr(const struct fq_expr *e, int branch, bool *need)
{
    if (e->kind == X_GFIELD && e->branch == branch)
        need[e->gfield] = true;
    for (size_t i = 0; i < e->nargs; i++)
        need_expr(&e->args[i], branch, need);
}

static void need_cnf(const struct fq_cnf *c, int branch, bool *need)
{
    for (size_t i = 0; c && i < c->n; i++)
        for (size_t j = 0; j < c->clauses[i].n; j++) {
            const struct fq_term *t = &c->clauses[i].terms[j];
            if (t->kind == T_ALLEN && (t->bx == branch || t->by == branch))
                need[GF_STIME] = need[GF_ETIME] = true;
            need_expr(&t->l, branch, need);
            need_expr(&t->r, branch, need);
        }
}

/* The group fields that anything but -g reads: the group filter, the
 * merger rules, and (with rows) the member set for the ungrouper. */
bool *engine_needed_gfields(const struct fq_query *q, size_t b, bool rows)
{
    const struct fq_branch *br = &q->branches[b];
    bool *need = xcalloc(br->ngfields + 1, sizeof *need);
    need_cnf(br->gfilter, (int)b, need);
    if (rows) {
        need[GF_RECORDS] = true;
        for (size_t m = 0; m < q->nmodules; m++)
            need_cnf(&q->modules[m].rules, (int)b, need);
    }
    return need;
}

/* ---- the input: kept records as rows, with their filter bits */

static void need_rule_fields(const struct fq_grouper *g, bool *need)
{
    for (size_t m = 0; g && m < g->nmodules; m++)
        for (size_t j = 0; j < g->modules[m].n; j++) {
            need[g->modules[m].rules[j].l] = true;
            need[g->modules[m].rules[j].r] = true;
        }
}

/* Every record field the engine may read once the filters have run: the
 * grouper rules and the arguments of the group fields anything reads
 * (all of them with -g).  A superset of phase_branch's need. */
static void engine_need(const struct fq_query *q, bool groups, bool *need)
{
    memset(need, 0, F_COUNT * sizeof *need);
    for (size_t b = 0; b < q->nbranches; b++) {
        const struct fq_branch *br = &q->branches[b];
        need_rule_fields(br->grouper, need);
        bool *gn = groups ? NULL : engine_needed_gfields(q, b, true);
        for (size_t k = 0; k < br->ngfields; k++)
            if (!gn || gn[k])
                need[br->gfields[k].field] = true;
        free(gn);
    }
}

struct engine_in *engine_in_new(const struct fq_query *q, bool groups)
{
    struct engine_in *in = xcalloc(1, sizeof *in);
    size_t nb = q->nbranches ? q->nbranches : 1;
    in->f = xcalloc(nb, sizeof *in->f);
    in->filter = xcalloc(nb, sizeof *in->filter);
    for (size_t i = 0; i < q->nbranches; i++) {
        const struct fq_cnf *c = q->branches[i].filter;
        in->filter[i] = -1;
        if (!c || c->n == 0) {
            in->all = true;
            continue;
        }
        for (size_t j = 0; j < i && in->filter[i] < 0; j++)
            if (q->branches[j].filter == c)
                in->filter[i] = in->filter[j];
        if (in->filter[i] < 0) {
            in->filter[i] = (int)in->nf;
            in->f[in->nf++] = filt_compile(c);
        }
    }
    in->mw = (in->nf + 7) / 8;
    in->kept_all_pass = in->nf == 1 && !in->all;
    in->scratch = xmalloc(256 * (in->mw ? in->mw : 1));
    engine_need(q, groups, in->need);
    rows_init(&in->rows, NULL);
    in->rows.t6 = &in->t6;
    return in;
}

void engine_in_prefault(struct engine_in *in)
{
    if (!in->pf)
        in->pf = prefault_new();
}

void engine_in_add(struct engine_in *in, const struct fq_rec *recs, size_t n)
{
    enum { BLOCK = 256 };
    in->nread += n;
    for (size_t lo = 0; lo < n; lo += BLOCK) {
        size_t hi = lo + BLOCK < n ? lo + BLOCK : n;
        uint8_t *m = in->scratch;
        struct fq_rec keep[BLOCK];
        size_t k = 0;
        for (size_t i = lo; i < hi; i++) {
            uint8_t *mk = &m[k * in->mw];
            memset(mk, 0, in->mw);
            bool any = in->all;
            for (size_t f = 0; f < in->nf; f++)
                if (filt_match(in->f[f], &recs[i])) {
                    mk[f / 8] |= (uint8_t)(1u << (f % 8));
                    any = true;
                }
            if (any)
                keep[k++] = recs[i];
        }
        if (k == 0)
            continue;
        size_t at = in->rows.n;
        rows_append(&in->rows, keep, k);
        /* pages ahead of the rows, as far again as they have come */
        size_t n2 = 2 * in->rows.n < in->rows.cap ? 2 * in->rows.n : in->rows.cap;
        prefault_to(in->pf, in->rows.p, n2 * in->rows.stride);
        if (in->mw) {
            if (in->mcap < at + k) {
                in->mcap = in->rows.cap;
                in->mask = xrealloc(in->mask, in->mcap * in->mw);
            }
            memcpy(&in->mask[at * in->mw], m, k * in->mw);
        }
    }
}

size_t engine_in_bytes(const struct engine_in *in)
{
    return in->rows.n * (in->rows.stride + in->mw) + in->t6.cap * 16 + in->t6.hcap * 4;
}

static size_t narrow_stride(const struct engine_in *in)
{
    struct fq_rows t;
    rows_init(&t, in->need);
    return t.stride;
}

bool engine_in_narrow(struct engine_in *in)
{
    if (!in->rows.full || narrow_stride(in) >= in->rows.stride)
        return false;
    rows_narrow(&in->rows, in->need);
    return true;
}

const struct fq_rows *engine_in_rows(const struct engine_in *in)
{
    return &in->rows;
}

uint64_t engine_in_read(const struct engine_in *in)
{
    return in->nread;
}


void engine_in_set_read(struct engine_in *in, uint64_t n)
{
    in->nread = n;
}

void engine_in_reserve(struct engine_in *in, size_t n)
{
    if (n <= in->rows.n)
        return;
    rows_reserve(&in->rows, n - in->rows.n);
    if (in->mw && in->mcap < in->rows.cap) {
        in->mcap = in->rows.cap;
        in->mask = xrealloc(in->mask, in->mcap * in->mw);
    }
}

void engine_in_trim(struct engine_in *in)
{
    prefault_free(in->pf);
    in->pf = NULL;
    rows_rank(&in->rows);
    rows_trim(&in->rows);
    if (in->mw && in->rows.n) {
        in->mask = xrealloc(in->mask, in->rows.n * in->mw);
        in->mcap = in->rows.n;
    }
}

void engine_in_free(struct engine_in *in)
{
    if (!in)
        return;
    prefault_free(in->pf);
    for (size_t j = 0; j < in->nf; j++)
        filt_free(in->f[j]);
    free(in->f);
    free(in->filter);
    free(in->mask);
    free(in->scratch);
    rows_free(&in->rows);
    ip6_tab_free(&in->t6);
    free(in);
}

/* ---- input compaction: only records that pass some branch's filter */

struct engine_keep {
    struct filt **f;            /* the distinct branch filters */
    size_t nf;
};

struct engine_keep *engine_keep_new(const struct fq_query *q)
{
    struct engine_keep *k = xcalloc(1, sizeof *k);
    k->f = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *k->f);
    for (size_t i = 0; i < q->nbranches; i++) {
        const struct fq_cnf *c = q->branches[i].filter;
        if (!c || c->n == 0) {  /* this branch sees every record */
            engine_keep_free(k);
            return NULL;
        }
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = q->branches[j].filter == c;
        if (!dup)
            k->f[k->nf++] = filt_compile(c);
    }
    return k;
}

size_t engine_keep_run(void *ctx, struct fq_rec *recs, size_t n)
{
    const struct engine_keep *k = ctx;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k->nf; j++)
            if (filt_match(k->f[j], &recs[i])) {
                if (out != i)
                    recs[out] = recs[i];
                out++;
                break;
            }
    }
    return out;
}

void engine_keep_free(struct engine_keep *k)
{
    if (!k)
        return;
    for (size_t j = 0; j < k->nf; j++)
        filt_free(k->f[j]);
    free(k->f);
    free(k);
}

/* ---- partition inputs: the kept rows split by the plan's key */

/* Which partition each branch sends row i to (SIZE_MAX: not kept). */
static void row_parts(const struct engine_in *in, const struct fq_plan *plan, size_t np,
                      unsigned level, size_t i, size_t *to)
{
    const unsigned char *row = row_at(&in->rows, i);
    for (size_t b = 0; b < plan->nbranches; b++) {
        int f = in->filter[b];
        to[b] = SIZE_MAX;
        if (f >= 0 && !(in->mask[i * in->mw + (size_t)f / 8] >> (f % 8) & 1))
            continue;
        const struct plan_branch *pb = &plan->branch[b];
        uint64_t v[F_COUNT];
        for (size_t k = 0; k < pb->nkey; k++)
            v[k] = row_get(&in->rows, row, pb->key[k]);
        uint64_t h = plan_hash(v, pb->nkey);
        if (level)              /* other bits for each level of splitting */
            h = fq_mix64(h + level);
        to[b] = (size_t)((h >> 32) * np >> 32);
    }
}

size_t engine_in_row_dests(const struct engine_in *in, const struct fq_plan *plan, size_t np,
                           unsigned level, size_t i, size_t *dest, uint8_t *masks)
{
    size_t nb = plan->nbranches, mw = (nb + 7) / 8, k = 0;
    size_t *to = dest;          /* k <= b below: dest[k] overwrites only used entries */
    row_parts(in, plan, np, level, i, to);
    for (size_t b = 0; b < nb; b++) {
        if (to[b] == SIZE_MAX)
            continue;
        size_t p = to[b];
        uint8_t *m = &masks[k * mw];
        memset(m, 0, mw);
        for (size_t c = b; c < nb; c++)
            if (to[c] == p) {
                m[c / 8] |= (uint8_t)(1u << (c % 8));
                to[c] = SIZE_MAX;
            }
        dest[k++] = p;
    }
    return k;
}

struct engine_in *engine_in_part_new(const struct engine_in *like, const struct fq_plan *plan,
                                     size_t nbranches)
{
    struct engine_in *pi = xcalloc(1, sizeof *pi);
    rows_init_like(&pi->rows, &like->rows);
    pi->rows.full = false;
    pi->mw = (nbranches + 7) / 8;
    pi->f = xcalloc(1, sizeof *pi->f);
    pi->filter = xcalloc(nbranches ? nbranches : 1, sizeof *pi->filter);
    for (size_t b = 0; b < nbranches; b++)
        pi->filter[b] = (int)b;
    memcpy(pi->need, like->need, sizeof pi->need);
    pi->nread = like->nread;
    pi->plan = plan;
    return pi;
}

void engine_in_add_rows(struct engine_in *in, const unsigned char *row, const uint8_t *mask)
{
    size_t at = in->rows.n;
    rows_append_rows(&in->rows, row, 1);
    if (in->mcap < in->rows.n) {
        in->mcap = in->rows.cap;
        in->mask = xrealloc(in->mask, in->mcap * in->mw);
    }
    memcpy(&in->mask[at * in->mw], mask, in->mw);
}
