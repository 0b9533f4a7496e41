/* SPDX-License-Identifier: MIT
 * The merger (LANGUAGE.md 7.6) as a join, never a blind cartesian
 * product: per module, branches are bound one at a time, each through an
 * index on a rule that links it to the branches bound before (hash on
 * equality, sorted windows for orderings and Allen relations); every
 * clause is still verified with gcond on the bound groups, so an index
 * only has to return a superset.  Tuples are uint32 group indices, sorted
 * at the end, so the result never depends on the evaluation order.
 */
#include "merger.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "allen.h"
#include "gcond.h"
#include "util.h"

enum drv {
    DRV_ALL,                    /* every candidate: no rule to join on */
    DRV_EQ,                     /* hash lookup of the bound value */
    DRV_RANGE,                  /* window of values around the bound value */
    DRV_ALLEN,                  /* window of interval end-points */
};

/* One branch's candidate groups sorted by one group field. */
struct idx {
    size_t n;
    uint64_t *key;              /* ascending */
    uint32_t *g;                /* group of each key, ties by group */
    uint32_t *slot;             /* DRV_EQ: 1 + position of a key's first entry; 0 = free */
    size_t mask;
    uint32_t *improper;         /* split Allen index: groups with stime > etime */
    size_t nimproper;
    uint64_t maxlen;            /* largest etime - stime of the proper ones */
};

struct level {
    int branch;                 /* query branch bound at this level */
    size_t pos;                 /* its position in the module's branch list */
    enum drv drv;
    int other, other_gf;        /* the bound side of the driving rule */
    int key_gf;                 /* the indexed field of the new side */
    enum fq_op op;              /* "bound op new" */
    enum fq_allen rel;          /* "bound rel new" */
    bool has_delta;
    uint64_t delta;
    bool exact;                 /* DRV_ALLEN: the window holds for every interval */
    struct idx ix;
    size_t *chk;                /* clauses whose last branch is bound here */
    size_t nchk;
};

struct plan {
    const struct fq_mmodule *m;
    struct level *lv;
    size_t nlv;
    size_t *chk0;               /* clauses over pre-bound branches or none */
    size_t nchk0;
    uint32_t **cand;            /* per module position, after its one-branch clauses */
    size_t *ncand;
    bool dead;                  /* a free branch has no candidate */
};

struct run {
    const struct fq_query *q;
    const struct bgroups *bg;
    const union fq_val **rows;  /* per query branch: the bound group's values */
    uint32_t *cur;              /* per query branch: the bound group */
    struct plan *plans;         /* per module */
    struct tuples *out;
    size_t cap;
    uint64_t max;
    struct fq_error *err;
    bool failed;
};

static const union fq_val *grow(const struct bgroups *b, uint32_t g)
{
    return b->val + (size_t)g * b->nfields;
}

/* Distinct query branches a clause reads, into br (at most cap). */
static void expr_branches(const struct fq_expr *e, int *br, size_t *n, size_t cap)
{
    if (e->kind == X_GFIELD) {
        for (size_t i = 0; i < *n; i++)
            if (br[i] == e->branch)
                return;
        if (*n < cap)
            br[(*n)++] = e->branch;
    }
    for (size_t i = 0; i < e->nargs; i++)
        expr_branches(&e->args[i], br, n, cap);
}

static size_t clause_branches(const struct fq_clause *c, int *br, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n; i++) {
        const struct fq_term *t = &c->terms[i];
        if (t->kind == T_ALLEN) {
            struct fq_expr x = {.kind = X_GFIELD, .branch = t->bx};
            struct fq_expr y = {.kind = X_GFIELD, .branch = t->by};
            expr_branches(&x, br, &n, cap);
            expr_branches(&y, br, &n, cap);
        } else if (t->kind == T_CMP) {
            expr_branches(&t->l, br, &n, cap);
            expr_branches(&t->r, br, &n, cap);
        }
    }
    return n;
}

static bool scalar_type(enum fq_vtype t)
{
    return t == VT_UINT || t == VT_TIME || t == VT_ADDR;
}

static enum fq_op flip(enum fq_op op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_LE: return OP_GE;
    case OP_GT: return OP_LT;
    case OP_GE: return OP_LE;
    default: return op;
    }
}

/* How well clause c can bind branch b from the bound ones (bound[] by
 * query branch): 0 = not at all; fills *lv's driver fields when > 0. */
static int driver(const struct fq_clause *c, int b, const bool *bound, struct level *lv)
{
    if (c->n != 1 || c->terms[0].negate)
        return 0;
    const struct fq_term *t = &c->terms[0];
    if (t->kind == T_CMP) {
        const struct fq_expr *l = &t->l, *r = &t->r;
        if (l->kind != X_GFIELD || r->kind != X_GFIELD || !scalar_type(l->type) ||
            !scalar_type(r->type) || l->branch == r->branch || t->op > OP_GE || t->op == OP_NE)
            return 0;
        if (r->branch == b && bound[l->branch]) {
            lv->op = t->op, lv->other = l->branch, lv->other_gf = l->gfield;
            lv->key_gf = r->gfield;
        } else if (l->branch == b && bound[r->branch]) {
            lv->op = flip(t->op), lv->other = r->branch, lv->other_gf = r->gfield;
            lv->key_gf = l->gfield;
        } else {
            return 0;
        }
        lv->has_delta = t->has_delta, lv->delta = t->delta;
        if (t->op == OP_EQ && !t->has_delta) {
            lv->drv = DRV_EQ;
            return 5;
        }
        lv->drv = DRV_RANGE;
        return t->has_delta ? 4 : 1;
    }
    if (t->kind == T_ALLEN && t->bx != t->by) {
        if (t->by == b && bound[t->bx])
            lv->rel = t->rel, lv->other = t->bx;
        else if (t->bx == b && bound[t->by])
            lv->rel = allen_inverse(t->rel), lv->other = t->by;
        else
            return 0;
        int end;
        uint64_t lo, hi;
        lv->drv = DRV_ALLEN;
        lv->has_delta = t->has_delta, lv->delta = t->delta;
        lv->exact = allen_window(lv->rel, 0, 0, t->has_delta, t->delta, 0, &end, &lo, &hi);
        lv->key_gf = end;
        if ((lv->rel == AL_BEFORE || lv->rel == AL_AFTER) && !t->has_delta)
            return 1;
        return lv->exact ? 4 : 2;
    }
    return 0;
}

struct kg {
    uint64_t key;
    uint32_t g;
};

static int kg_cmp(const void *a, const void *b)
{
    const struct kg *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->g > y->g) - (x->g < y->g);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static void idx_build(struct idx *ix, const struct bgroups *b, int gf, const uint32_t *cand,
                      size_t n, bool split, bool hash)
{
    struct kg *a = xmalloc((n ? n : 1) * sizeof *a);
    size_t m = 0;

    memset(ix, 0, sizeof *ix);
    if (split)
        ix->improper = xmalloc((n ? n : 1) * sizeof *ix->improper);
    for (size_t i = 0; i < n; i++) {
        const union fq_val *v = grow(b, cand[i]);
        if (split && v[GF_STIME].u > v[GF_ETIME].u) {
            ix->improper[ix->nimproper++] = cand[i];
            continue;
        }
        if (split && v[GF_ETIME].u - v[GF_STIME].u > ix->maxlen)
            ix->maxlen = v[GF_ETIME].u - v[GF_STIME].u;
        a[m].key = v[gf].u, a[m].g = cand[i], m++;
    }
    qsort(a, m, sizeof *a, kg_cmp);
    ix->n = m;
    ix->key = xmalloc((m ? m : 1) * sizeof *ix->key);
    ix->g = xmalloc((m ? m : 1) * sizeof *ix->g);
    for (size_t i = 0; i < m; i++)
        ix->key[i] = a[i].key, ix->g[i] = a[i].g;
    free(a);
    if (!hash)
        return;
    size_t cap = 16;
    while (cap < 2 * m)
        cap *= 2;
    ix->slot = xcalloc(cap, sizeof *ix->slot);
    ix->mask = cap - 1;
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && ix->key[i] == ix->key[i - 1])
            continue;
        size_t h = mix(ix->key[i]) & ix->mask;
        while (ix->slot[h])
            h = (h + 1) & ix->mask;
        ix->slot[h] = (uint32_t)(i + 1);
    }
}

static void idx_free(struct idx *ix)
{
    free(ix->key);
    free(ix->g);
    free(ix->slot);
    free(ix->improper);
}

/* First position with key >= v. */
static size_t idx_lower(const struct idx *ix, uint64_t v)
{
    size_t lo = 0, hi = ix->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->key[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t idx_find(const struct idx *ix, uint64_t v)
{
    size_t h = mix(v) & ix->mask;

    for (; ix->slot[h]; h = (h + 1) & ix->mask)
        if (ix->key[ix->slot[h] - 1] == v)
            return ix->slot[h] - 1;
    return ix->n;
}

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
    return a >= b ? a - b : 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Values v with "a op v [delta d]"; false when there are none. */
static bool cmp_window(enum fq_op op, uint64_t a, bool hd, uint64_t d, uint64_t *lo, uint64_t *hi)
{
    switch (op) {
    case OP_EQ:
        *lo = sub_sat(a, hd ? d : 0), *hi = add_sat(a, hd ? d : 0);
        return true;
    case OP_LT:
        if (a == UINT64_MAX)
            return false;
        *lo = a + 1, *hi = hd ? add_sat(a, d) : UINT64_MAX;
        return *lo <= *hi;
    case OP_LE:
        *lo = a, *hi = hd ? add_sat(a, d) : UINT64_MAX;
        return true;
    case OP_GT:
        if (a == 0)
            return false;
        *lo = hd ? sub_sat(a, d) : 0, *hi = a - 1;
        return *lo <= *hi;
    case OP_GE:
        *lo = hd ? sub_sat(a, d) : 0, *hi = a;
        return true;
    default:
        return false;
    }
}

static void plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->nlv; i++) {
        idx_free(&p->lv[i].ix);
        free(p->lv[i].chk);
    }
    free(p->lv);
    free(p->chk0);
    if (p->cand)
        for (size_t i = 0; i < p->m->nbranches; i++)
            free(p->cand[i]);
    free(p->cand);
    free(p->ncand);
}

/* Plan module m with the branches marked in prebound[] already bound (the
 * exported module's, for a difference module). */
static void plan_build(struct run *r, struct plan *p, const struct fq_mmodule *m,
                       const bool *prebound)
{
    const struct fq_query *q = r->q;
    size_t nb = q->nbranches, nc = m->rules.n;
    int *br = xmalloc((nb ? nb : 1) * sizeof *br);
    bool *bound = xcalloc(nb ? nb : 1, sizeof *bound);
    int *lvl_of = xmalloc((nb ? nb : 1) * sizeof *lvl_of);
    const union fq_val **rows = xcalloc(nb ? nb : 1, sizeof *rows);

    memset(p, 0, sizeof *p);
    p->m = m;
    p->cand = xcalloc(m->nbranches ? m->nbranches : 1, sizeof *p->cand);
    p->ncand = xcalloc(m->nbranches ? m->nbranches : 1, sizeof *p->ncand);
    p->lv = xcalloc(m->nbranches ? m->nbranches : 1, sizeof *p->lv);
    p->chk0 = xmalloc((nc ? nc : 1) * sizeof *p->chk0);
    for (size_t i = 0; i < nb; i++)
        bound[i] = prebound[i], lvl_of[i] = -1;

    /* Candidates: each free branch's groups after its one-branch clauses. */
    for (size_t pos = 0; pos < m->nbranches; pos++) {
        int b = m->branches[pos];
        if (bound[b])
            continue;
        const struct bgroups *g = &r->bg[b];
        p->cand[pos] = xmalloc((g->n ? g->n : 1) * sizeof **p->cand);
        for (size_t i = 0; i < g->n; i++) {
            bool ok = true;
            rows[b] = grow(g, (uint32_t)i);
            for (size_t c = 0; c < nc && ok; c++)
                if (clause_branches(&m->rules.clauses[c], br, nb) == 1 && br[0] == b)
                    ok = gcond_clause(&m->rules.clauses[c], rows);
            if (ok)
                p->cand[pos][p->ncand[pos]++] = (uint32_t)i;
        }
        if (p->ncand[pos] == 0)
            p->dead = true;
    }

    /* Order: greedily the free branch with the best join rule to the bound
     * ones, then the fewest candidates. */
    bool *placed = xcalloc(m->nbranches ? m->nbranches : 1, sizeof *placed);
    for (;;) {
        int best = -1, bscore = -1;
        struct level bl = {0};
        for (size_t pos = 0; pos < m->nbranches; pos++) {
            int b = m->branches[pos];
            if (bound[b] || placed[pos])
                continue;
            struct level lv = {.branch = b, .pos = pos, .drv = DRV_ALL}, t;
            int score = 0;
            for (size_t c = 0; c < nc; c++) {
                memset(&t, 0, sizeof t);
                int s = driver(&m->rules.clauses[c], b, bound, &t);
                if (s > score) {
                    score = s;
                    t.branch = b, t.pos = pos;
                    lv = t;
                }
            }
            if (score > bscore ||
                (score == bscore && p->ncand[pos] < p->ncand[bl.pos])) {
                best = (int)pos, bscore = score, bl = lv;
            }
        }
        if (best < 0)
            break;
        placed[best] = true;
        bound[bl.branch] = true;
        lvl_of[bl.branch] = (int)p->nlv;
        p->lv[p->nlv++] = bl;
    }
    free(placed);

    /* Indexes for the driven levels. */
    for (size_t l = 0; l < p->nlv; l++) {
        struct level *lv = &p->lv[l];
        if (lv->drv == DRV_ALL)
            continue;
        idx_build(&lv->ix, &r->bg[lv->branch], lv->key_gf, p->cand[lv->pos], p->ncand[lv->pos],
                  lv->drv == DRV_ALLEN && !lv->exact, lv->drv == DRV_EQ);
    }

    /* Each clause is verified at the level binding its last branch. */
    for (size_t l = 0; l < p->nlv; l++)
        p->lv[l].chk = xmalloc((nc ? nc : 1) * sizeof *p->lv[l].chk);
    for (size_t c = 0; c < nc; c++) {
        size_t n = clause_branches(&m->rules.clauses[c], br, nb);
        int last = -1;
        for (size_t i = 0; i < n; i++)
            if (lvl_of[br[i]] > last)
                last = lvl_of[br[i]];
        if (last < 0)
            p->chk0[p->nchk0++] = c;
        else if (n > 1)
            p->lv[last].chk[p->lv[last].nchk++] = c;
    }
    free(rows);
    free(lvl_of);
    free(bound);
    free(br);
}

static bool search(struct run *r, const struct plan *p, size_t l, bool exists);

static bool clauses_hold(const struct run *r, const struct plan *p, const size_t *chk, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!gcond_clause(&p->m->rules.clauses[chk[i]], r->rows))
            return false;
    return true;
}

/* Bind group g at level l and go deeper; true = stop (found, or failed). */
static bool bind(struct run *r, const struct plan *p, size_t l, uint32_t g, bool exists)
{
    const struct level *lv = &p->lv[l];

    r->rows[lv->branch] = grow(&r->bg[lv->branch], g);
    r->cur[lv->branch] = g;
    if (!clauses_hold(r, p, lv->chk, lv->nchk))
        return false;
    return search(r, p, l + 1, exists);
}

static bool scan(struct run *r, const struct plan *p, size_t l, uint64_t lo, uint64_t hi,
                 bool exists)
{
    const struct idx *ix = &p->lv[l].ix;

    if (lo > hi)
        return false;
    for (size_t i = idx_lower(ix, lo); i < ix->n && ix->key[i] <= hi; i++)
        if (bind(r, p, l, ix->g[i], exists))
            return true;
    return false;
}

/* Is the current export tuple matched by another module?  Then it is not
 * output (7.6, point 2). */
static bool excluded(struct run *r)
{
    const struct fq_query *q = r->q;

    for (size_t mi = 0; mi < q->nmodules; mi++) {
        const struct plan *p = &r->plans[mi];
        if (mi == q->export_module || p->dead)
            continue;
        if (clauses_hold(r, p, p->chk0, p->nchk0) && search(r, p, 0, true))
            return true;
    }
    return false;
}

static bool emit(struct run *r, const struct plan *p)
{
    struct tuples *t = r->out;

    if (excluded(r))
        return false;
    if (r->max && t->n >= r->max) {
        fq_fail(r->err, FQ_E_OUTPUT, NULL, -1,
                "merger produced more than %llu tuples; narrow the query or raise --max-tuples",
                (unsigned long long)r->max);
        r->failed = true;
        return true;
    }
    if (t->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        t->g = xrealloc(t->g, r->cap * t->width * sizeof *t->g);
    }
    for (size_t i = 0; i < t->width; i++)
        t->g[t->n * t->width + i] = r->cur[p->m->branches[i]];
    t->n++;
    return false;
}

static bool search(struct run *r, const struct plan *p, size_t l, bool exists)
{
    if (l == p->nlv)
        return exists ? true : emit(r, p);

    const struct level *lv = &p->lv[l];
    const union fq_val *o = lv->drv == DRV_ALL ? NULL : r->rows[lv->other];
    uint64_t lo, hi;

    switch (lv->drv) {
    case DRV_ALL:
        for (size_t i = 0; i < p->ncand[lv->pos]; i++)
            if (bind(r, p, l, p->cand[lv->pos][i], exists))
                return true;
        return false;
    case DRV_EQ: {
        uint64_t a = o[lv->other_gf].u;
        for (size_t i = idx_find(&lv->ix, a); i < lv->ix.n && lv->ix.key[i] == a; i++)
            if (bind(r, p, l, lv->ix.g[i], exists))
                return true;
        return false;
    }
    case DRV_RANGE:
        if (!cmp_window(lv->op, o[lv->other_gf].u, lv->has_delta, lv->delta, &lo, &hi))
            return false;
        return scan(r, p, l, lo, hi, exists);
    case DRV_ALLEN: {
        int end;
        allen_window(lv->rel, o[GF_STIME].u, o[GF_ETIME].u, lv->has_delta, lv->delta,
                     lv->ix.maxlen, &end, &lo, &hi);
        if (scan(r, p, l, lo, hi, exists))
            return true;
        for (size_t i = 0; i < lv->ix.nimproper; i++)
            if (bind(r, p, l, lv->ix.improper[i], exists))
                return true;
        return false;
    }
    }
    return false;
}

static int tuple_cmp(const void *a, const void *b, void *w)
{
    const uint32_t *x = a, *y = b;
    size_t n = *(const size_t *)w;

    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static bool sorted(const struct tuples *t)
{
    size_t w = t->width;

    for (size_t i = 1; i < t->n; i++)
        if (tuple_cmp(t->g + (i - 1) * w, t->g + i * w, &w) > 0)
            return false;
    return true;
}

int merger_run(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
               struct tuples *out, struct fq_error *err)
{
    const struct fq_mmodule *em = &q->modules[q->export_module];
    size_t nb = q->nbranches;
    struct run r = {.q = q, .bg = bg, .out = out, .max = max_tuples, .err = err};
    bool *pre = xcalloc(nb ? nb : 1, sizeof *pre);

    memset(out, 0, sizeof *out);
    out->width = em->nbranches;
    r.rows = xcalloc(nb ? nb : 1, sizeof *r.rows);
    r.cur = xcalloc(nb ? nb : 1, sizeof *r.cur);
    r.plans = xcalloc(q->nmodules, sizeof *r.plans);
    plan_build(&r, &r.plans[q->export_module], em, pre);
    for (size_t i = 0; i < em->nbranches; i++)
        pre[em->branches[i]] = true;
    for (size_t mi = 0; mi < q->nmodules; mi++)
        if (mi != q->export_module)
            plan_build(&r, &r.plans[mi], &q->modules[mi], pre);

    const struct plan *ep = &r.plans[q->export_module];
    if (!ep->dead && em->nbranches > 0 && clauses_hold(&r, ep, ep->chk0, ep->nchk0))
        search(&r, ep, 0, false);

    for (size_t mi = 0; mi < q->nmodules; mi++)
        plan_free(&r.plans[mi]);
    free(r.plans);
    free(r.cur);
    free(r.rows);
    free(pre);
    if (r.failed) {
        tuples_free(out);
        return err->code;
    }
    if (!sorted(out))
        qsort_r(out->g, out->n, out->width * sizeof *out->g, tuple_cmp, &out->width);
    return FQ_OK;
}

void tuples_free(struct tuples *t)
{
    free(t->g);
    t->g = NULL;
    t->n = 0;
}
