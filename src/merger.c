/* SPDX-License-Identifier: MIT
 * The merger (LANGUAGE.md 7.6) as a join, never a blind cartesian
 * product: per module, branches are bound one at a time, each through the
 * rules that link it to the branches bound before (hash on the AND-ed
 * equalities, plus a sorted window for one ordering or Allen relation);
 * every other clause is verified with gcond on the bound groups, so a
 * window only has to return a superset.  The difference is an existence
 * search with the same machinery.  Tuples are uint32 group indices handed
 * to a callback: unsorted, or sorted by the first branch's group and
 * then within each such block, so the result never depends on the
 * evaluation order and memory never holds more than one block.
 */
#include "merger.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "allen.h"
#include "cmp.h"
#include "gcond.h"
#include "util.h"

/* One equality rule "bound.other_gf = new.key_gf" driving a level. */
struct eqk {
    int other, other_gf, key_gf;
    size_t clause;
};

enum rkind {
    R_NONE,
    R_CMP,                      /* one comparison: exact window of values */
    R_ALLEN,                    /* one Allen relation: window of one end-point */
    R_ALLEN_OR,                 /* OR of Allen relations: a window per term */
};

/* A run of rows with equal equality components.  k is the key itself
 * when there is one component (a probe then touches one slot only), else
 * its hash; end == 0 marks a free slot (runs are never empty). */
struct hslot {
    uint64_t k;
    uint32_t start, end;
};

/* One branch's candidate groups sorted by a composite key: the equality
 * components, then at most one range component. */
struct idx {
    size_t n, stride;
    uint64_t *key;              /* n rows of stride values, ascending */
    uint32_t *g;                /* group of each row, ties by group */
    struct hslot *slot;         /* equality hash over the runs of equal keys */
    size_t mask;
    uint32_t *improper;         /* split Allen index: groups with stime > etime */
    size_t nimproper;
    uint64_t maxlen;            /* largest etime - stime of the proper ones */
};

struct level {
    int branch;                 /* query branch bound at this level */
    size_t pos;                 /* its position in the module's branch list */
    struct eqk *eq;             /* equality rules to the bound branches */
    size_t neq;
    enum rkind rk;              /* plus one window rule: */
    int other, other_gf, key_gf;
    enum fq_op op;              /* R_CMP: "bound op new" */
    enum fq_allen rel;          /* R_ALLEN: "bound rel new" */
    bool has_delta;
    uint64_t delta;
    bool exact;                 /* R_ALLEN: the window holds for every interval */
    const struct fq_clause *orc; /* R_ALLEN_OR: the clause */
    size_t rclause;             /* the window rule's clause */
    bool indexed;
    struct idx ix;
    struct idx ix2;             /* R_ALLEN_OR: the same keyed by etime */
    size_t *chk;                /* clauses whose last branch is bound here, */
    size_t nchk;                /* less those the join keys answer exactly */
    unsigned scans;             /* probes answered by scanning so far */
};

/* An index is built only for a level probed more often than this: a few
 * scans of the candidates cost less than sorting them (a single event
 * group against millions, say). */
enum { LAZY_SCANS = 4 };

/* How one merger module's branches are bound, level by level. */
struct join_plan {
    const struct fq_mmodule *m;
    struct level *lv;
    size_t nlv;
    size_t *chk0;               /* clauses over pre-bound branches or none */
    size_t nchk0;
    uint32_t **cand;            /* per module position, after its one-branch clauses; */
                                /* NULL: all the branch's groups */
    size_t *ncand;
    bool dead;                  /* a free branch has no candidate */
    int memo_branch;            /* difference module sharing one branch: */
    signed char *memo;          /* its result per group of it, -1 = unknown */
};

/* One merger run: the search for the tuples of the exported module. */
struct join {
    const struct fq_query *q;
    const struct bgroups *bg;
    const union fq_val **rows;  /* per query branch: the bound group's values */
    uint32_t *cur;              /* per query branch: the bound group */
    struct join_plan *plans;    /* per module */
    size_t width;               /* branches of the exported module */
    bool sorted;                /* deliver in lexicographic order */
    merger_tuple_fn *deliver;
    void *ctx;
    int status;                 /* a non-zero deliver() result */
    uint64_t count;             /* output tuples so far */
    uint32_t *blk;              /* sorted: the tuples of the current block */
    size_t nblk, capblk;
    uint64_t max;
    unsigned lazy;              /* probes answered by scanning before indexing */
    struct fq_error *err;
    bool failed;
};

static const union fq_val *group_row(const struct bgroups *b, uint32_t g)
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


/* The term of a single-term clause comparing scalar group fields of two
 * branches (=, <, <=, >, >=; no NOT); NULL otherwise. */
static const struct fq_term *scalar_cmp(const struct fq_clause *c)
{
    if (c->n != 1 || c->terms[0].negate || c->terms[0].kind != T_CMP)
        return NULL;
    const struct fq_term *t = &c->terms[0];
    const struct fq_expr *l = &t->l, *r = &t->r;
    if (l->kind != X_GFIELD || r->kind != X_GFIELD || !scalar_type(l->type) ||
        !scalar_type(r->type) || l->branch == r->branch || t->op > OP_GE || t->op == OP_NE)
        return NULL;
    return t;
}

bool merger_eq_rule(const struct fq_clause *c, int *bx, int *fx, int *by, int *fy)
{
    const struct fq_term *t = scalar_cmp(c);
    if (!t || t->op != OP_EQ || t->has_delta)
        return false;
    *bx = t->l.branch, *fx = t->l.gfield, *by = t->r.branch, *fy = t->r.gfield;
    return true;
}

/* A single-term clause "new.f op bound.g" (either way round) between
 * scalar group fields, normalised to "bound op new"; NULL otherwise. */
static const struct fq_term *join_cmp(const struct fq_clause *c, int b, const bool *bound,
                                      struct eqk *k, enum fq_op *op)
{
    const struct fq_term *t = scalar_cmp(c);
    if (!t)
        return NULL;
    const struct fq_expr *l = &t->l, *r = &t->r;
    if (r->branch == b && bound[l->branch])
        *op = t->op, *k = (struct eqk){l->branch, l->gfield, r->gfield, 0};
    else if (l->branch == b && bound[r->branch])
        *op = fq_op_mirror(t->op), *k = (struct eqk){r->branch, r->gfield, l->gfield, 0};
    else
        return NULL;
    return t;
}

/* How well clause c can give branch b a window from the bound ones:
 * 0 = not at all; fills the window fields of *lv when > 0. */
static int window_rule(const struct fq_clause *c, int b, const bool *bound, struct level *lv)
{
    struct eqk k;
    enum fq_op op;
    const struct fq_term *t = join_cmp(c, b, bound, &k, &op);

    if (t) {
        lv->rk = R_CMP, lv->op = op;
        lv->other = k.other, lv->other_gf = k.other_gf, lv->key_gf = k.key_gf;
        lv->has_delta = t->has_delta, lv->delta = t->delta;
        return t->has_delta ? 4 : op == OP_EQ ? 5 : 1;
    }
    if (c->n > 1) {
        for (size_t i = 0; i < c->n; i++) {
            t = &c->terms[i];
            if (t->kind != T_ALLEN || t->negate || t->bx == t->by ||
                !((t->bx == b && bound[t->by]) || (t->by == b && bound[t->bx])))
                return 0;
        }
        lv->rk = R_ALLEN_OR, lv->orc = c, lv->key_gf = GF_STIME, lv->exact = false;
        return 2;
    }
    if (c->n != 1 || c->terms[0].negate || c->terms[0].kind != T_ALLEN)
        return 0;
    t = &c->terms[0];
    if (t->bx == t->by)
        return 0;
    if (t->by == b && bound[t->bx])
        lv->rel = t->rel, lv->other = t->bx;
    else if (t->bx == b && bound[t->by])
        lv->rel = allen_inverse(t->rel), lv->other = t->by;
    else
        return 0;
    int end;
    uint64_t lo, hi;
    lv->rk = R_ALLEN;
    lv->has_delta = t->has_delta, lv->delta = t->delta;
    lv->exact = allen_window(lv->rel, 0, 0, t->has_delta, t->delta, 0, &end, &lo, &hi);
    lv->key_gf = end;
    if ((lv->rel == AL_BEFORE || lv->rel == AL_AFTER) && !t->has_delta)
        return 1;
    return lv->exact ? 4 : 2;
}

/* The join rules for binding branch b after the bound ones: every plain
 * equality, plus the best window rule.  Returns a score (0 = none). */
static int level_rules(const struct fq_mmodule *m, int b, const bool *bound, struct level *lv)
{
    int best = 0;

    lv->neq = 0, lv->rk = R_NONE;
    for (size_t c = 0; c < m->rules.n; c++) {
        const struct fq_clause *cl = &m->rules.clauses[c];
        struct eqk k;
        enum fq_op op;
        const struct fq_term *t = join_cmp(cl, b, bound, &k, &op);
        if (t && op == OP_EQ && !t->has_delta) {
            k.clause = c;
            lv->eq[lv->neq++] = k;
            continue;
        }
        struct level w = *lv;
        int s = window_rule(cl, b, bound, &w);
        if (s > best) {
            best = s;
            lv->rk = w.rk, lv->op = w.op, lv->rel = w.rel;
            lv->other = w.other, lv->other_gf = w.other_gf, lv->key_gf = w.key_gf;
            lv->has_delta = w.has_delta, lv->delta = w.delta, lv->exact = w.exact;
            lv->orc = w.orc;
            lv->rclause = c;
        }
    }
    return lv->neq ? 10 * (int)lv->neq + best : best;
}

static int row_cmp(const void *a, const void *b, void *arg)
{
    const uint64_t *x = a, *y = b;
    size_t n = *(const size_t *)arg;

    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static inline void copy_row(uint64_t *d, const uint64_t *s, size_t rw)
{
    switch (rw) {   /* the common widths as fixed-size moves */
    case 2:
        memcpy(d, s, 2 * sizeof *s);
        break;
    case 3:
        memcpy(d, s, 3 * sizeof *s);
        break;
    default:
        memcpy(d, s, rw * sizeof *s);
    }
}

/* Sort n rows of rw values by their first w values.  LSD radix on 11-bit
 * digits (few enough buckets for the caches), over the bits in which the
 * rows differ only; stable, so rows built in group order keep ties by
 * group. */
static void rows_sort(uint64_t *a, size_t n, size_t rw, size_t w)
{
    enum { DIGIT = 11, RADIX = 1 << DIGIT };
    if (n < 256) {
        qsort_r(a, n, rw * sizeof *a, row_cmp, &rw);
        return;
    }
    uint64_t *src = a, *dst = xmalloc(n * rw * sizeof *dst);
    size_t *cnt = xmalloc(RADIX * sizeof *cnt);
    for (size_t c = w; c-- > 0;) {
        uint64_t vary = 0;
        for (size_t i = 1; i < n; i++)
            vary |= src[i * rw + c] ^ src[c];
        for (unsigned shift = vary ? (unsigned)__builtin_ctzll(vary) : 64;
             shift < 64 && vary >> shift; shift += DIGIT) {
            if (!(vary >> shift & (RADIX - 1)))
                continue;
            memset(cnt, 0, RADIX * sizeof *cnt);
            for (size_t i = 0; i < n; i++)
                cnt[src[i * rw + c] >> shift & (RADIX - 1)]++;
            for (size_t d = 0, sum = 0; d < RADIX; d++) {
                size_t k = cnt[d];
                cnt[d] = sum, sum += k;
            }
            for (size_t i = 0; i < n; i++)
                copy_row(dst + cnt[src[i * rw + c] >> shift & (RADIX - 1)]++ * rw, src + i * rw, rw);
            uint64_t *x = src;
            src = dst, dst = x;
        }
    }
    if (src != a) {
        memcpy(a, src, n * rw * sizeof *a);
        dst = src;
    }
    free(dst);
    free(cnt);
}

/* Index cand (n groups of b; NULL = all) on lv's equality keys and then
 * group field range_gf. */
static void idx_build(struct idx *ix, const struct level *lv, int range_gf,
                      const struct bgroups *b, const uint32_t *cand, size_t n)
{
    size_t w = lv->neq + (lv->rk != R_NONE), rw = w + 1;
    bool split = (lv->rk == R_ALLEN && !lv->exact) || lv->rk == R_ALLEN_OR;
    uint64_t *a = xmalloc((n ? n : 1) * rw * sizeof *a);
    size_t m = 0;

    memset(ix, 0, sizeof *ix);
    ix->stride = w;
    if (split)
        ix->improper = xmalloc((n ? n : 1) * sizeof *ix->improper);
    for (size_t i = 0; i < n; i++) {
        uint32_t g = cand ? cand[i] : (uint32_t)i;
        const union fq_val *v = group_row(b, g);
        if (split && v[GF_STIME].u > v[GF_ETIME].u) {
            ix->improper[ix->nimproper++] = g;
            continue;
        }
        if (split && v[GF_ETIME].u - v[GF_STIME].u > ix->maxlen)
            ix->maxlen = v[GF_ETIME].u - v[GF_STIME].u;
        uint64_t *row = a + m * rw;
        for (size_t k = 0; k < lv->neq; k++)
            row[k] = v[lv->eq[k].key_gf].u;
        if (lv->rk != R_NONE)
            row[lv->neq] = v[range_gf].u;
        row[w] = g;
        m++;
    }
    rows_sort(a, m, rw, w);
    ix->n = m;
    ix->g = xmalloc((m ? m : 1) * sizeof *ix->g);
    for (size_t i = 0; i < m; i++) {
        ix->g[i] = (uint32_t)a[i * rw + w];
        memmove(a + i * w, a + i * rw, w * sizeof *a);  /* keys in place */
    }
    ix->key = xrealloc(a, (m ? m : 1) * w * sizeof *a);
    if (lv->neq == 0)
        return;

    size_t nruns = 0, cap = 16, neq = lv->neq;
    for (size_t i = 0; i < m; i++)
        nruns += i == 0 || row_cmp(ix->key + (i - 1) * w, ix->key + i * w, &neq) != 0;
    while (cap < 2 * nruns)
        cap *= 2;
    ix->slot = xcalloc(cap, sizeof *ix->slot);
    ix->mask = cap - 1;
    for (size_t i = 0, e; i < m; i = e) {
        for (e = i + 1; e < m && row_cmp(ix->key + i * w, ix->key + e * w, &neq) == 0; e++)
            ;
        uint64_t h = fq_hash_u64s(ix->key + i * w, lv->neq);
        size_t j = h & ix->mask;
        while (ix->slot[j].end)
            j = (j + 1) & ix->mask;
        ix->slot[j] = (struct hslot){lv->neq == 1 ? ix->key[i * w] : h, (uint32_t)i, (uint32_t)e};
    }
}

static void idx_free(struct idx *ix)
{
    free(ix->key);
    free(ix->g);
    free(ix->slot);
    free(ix->improper);
}

/* The rows [*s, *e) whose equality components are k; false if none. */
static bool idx_run(const struct idx *ix, const uint64_t *k, size_t neq, size_t *s, size_t *e)
{
    uint64_t h = fq_hash_u64s(k, neq), want = neq == 1 ? k[0] : h;

    for (size_t j = h & ix->mask; ix->slot[j].end; j = (j + 1) & ix->mask) {
        const struct hslot *sl = &ix->slot[j];
        if (sl->k == want &&
            (neq == 1 || row_cmp(ix->key + (size_t)sl->start * ix->stride, k, &neq) == 0)) {
            *s = sl->start, *e = sl->end;
            return true;
        }
    }
    return false;
}

/* First row in [s, e) whose component c is >= v. */
static size_t idx_lower(const struct idx *ix, size_t c, size_t s, size_t e, uint64_t v)
{
    while (s < e) {
        size_t mid = s + (e - s) / 2;
        if (ix->key[mid * ix->stride + c] < v)
            s = mid + 1;
        else
            e = mid;
    }
    return s;
}

/* Values v with "a op v [delta d]"; false when there are none. */
static bool cmp_window(enum fq_op op, uint64_t a, bool hd, uint64_t d, uint64_t *lo, uint64_t *hi)
{
    switch (op) {
    case OP_EQ:
        *lo = u64_sub_sat(a, hd ? d : 0), *hi = u64_add_sat(a, hd ? d : 0);
        return true;
    case OP_LT:
        if (a == UINT64_MAX)
            return false;
        *lo = a + 1, *hi = hd ? u64_add_sat(a, d) : UINT64_MAX;
        return *lo <= *hi;
    case OP_LE:
        *lo = a, *hi = hd ? u64_add_sat(a, d) : UINT64_MAX;
        return true;
    case OP_GT:
        if (a == 0)
            return false;
        *lo = hd ? u64_sub_sat(a, d) : 0, *hi = a - 1;
        return *lo <= *hi;
    case OP_GE:
        *lo = hd ? u64_sub_sat(a, d) : 0, *hi = a;
        return true;
    default:
        return false;
    }
}

static void plan_free(struct join_plan *p)
{
    for (size_t i = 0; i < p->nlv; i++) {
        idx_free(&p->lv[i].ix);
        idx_free(&p->lv[i].ix2);
        free(p->lv[i].chk);
        free(p->lv[i].eq);
    }
    free(p->lv);
    free(p->chk0);
    if (p->cand)
        for (size_t i = 0; i < p->m->nbranches; i++)
            free(p->cand[i]);
    free(p->cand);
    free(p->ncand);
    free(p->memo);
}

/* Does the level's index return exactly the groups satisfying clause c?
 * Key equality and the comparison windows are exact; Allen windows bound
 * one end-point only. */
static bool index_exact(const struct level *lv, size_t c)
{
    for (size_t i = 0; i < lv->neq; i++)
        if (lv->eq[i].clause == c)
            return true;
    return lv->rk == R_CMP && lv->rclause == c;
}

/* Plan module m with the branches marked in prebound[] already bound (the
 * exported module's, for a difference module); first_pos0: bind the
 * module's first branch first (sorted output). */
static void plan_build(struct join *r, struct join_plan *p, const struct fq_mmodule *m,
                       const bool *prebound, bool first_pos0)
{
    const struct fq_query *q = r->q;
    size_t nb = q->nbranches, nc = m->rules.n, k = m->nbranches ? m->nbranches : 1;
    int *br = xmalloc((nb ? nb : 1) * sizeof *br);
    bool *bound = xcalloc(nb ? nb : 1, sizeof *bound);
    int *lvl_of = xmalloc((nb ? nb : 1) * sizeof *lvl_of);
    const union fq_val **rows = xcalloc(nb ? nb : 1, sizeof *rows);
    size_t nshared = 0, *own = xmalloc((nc ? nc : 1) * sizeof *own);

    memset(p, 0, sizeof *p);
    p->m = m;
    p->memo_branch = -1;
    p->cand = xcalloc(k, sizeof *p->cand);
    p->ncand = xcalloc(k, sizeof *p->ncand);
    p->lv = xcalloc(k, sizeof *p->lv);
    p->chk0 = xmalloc((nc ? nc : 1) * sizeof *p->chk0);
    for (size_t i = 0; i < nb; i++)
        bound[i] = prebound[i], lvl_of[i] = -1;

    /* Candidates: each free branch's groups after its one-branch clauses. */
    for (size_t pos = 0; pos < m->nbranches; pos++) {
        int b = m->branches[pos];
        if (bound[b]) {
            nshared++;
            p->memo_branch = b;
            continue;
        }
        const struct bgroups *g = &r->bg[b];
        size_t nown = 0;
        for (size_t c = 0; c < nc; c++)
            if (clause_branches(&m->rules.clauses[c], br, nb) == 1 && br[0] == b)
                own[nown++] = c;
        if (nown == 0) {            /* every group: no list */
            p->ncand[pos] = g->n;
            p->dead |= g->n == 0;
            continue;
        }
        p->cand[pos] = xmalloc((g->n ? g->n : 1) * sizeof **p->cand);
        for (size_t i = 0; i < g->n; i++) {
            bool ok = true;
            rows[b] = group_row(g, (uint32_t)i);
            for (size_t c = 0; c < nown && ok; c++)
                ok = gcond_clause6(&m->rules.clauses[own[c]], rows, r->bg[0].t6);
            if (ok)
                p->cand[pos][p->ncand[pos]++] = (uint32_t)i;
        }
        if (p->ncand[pos] == 0)
            p->dead = true;
    }
    /* A difference module that shares one branch answers per group of it. */
    if (nshared == 1) {
        size_t n = r->bg[p->memo_branch].n;
        p->memo = xmalloc(n ? n : 1);
        memset(p->memo, -1, n ? n : 1);
    } else {
        p->memo_branch = -1;
    }

    /* Order: greedily the free branch with the best join rules to the bound
     * ones, then the fewest candidates. */
    bool *placed = xcalloc(k, sizeof *placed);
    struct eqk *eqbuf = xmalloc((nc ? nc : 1) * sizeof *eqbuf);
    for (;;) {
        int best = -1, bscore = -1;
        for (size_t pos = 0; pos < m->nbranches; pos++) {
            int b = m->branches[pos];
            if (bound[b] || placed[pos] || (first_pos0 && p->nlv == 0 && pos > 0))
                continue;
            struct level lv = {.branch = b, .pos = pos, .eq = eqbuf};
            int score = level_rules(m, b, bound, &lv);
            if (score > bscore || (score == bscore && p->ncand[pos] < p->ncand[best]))
                best = (int)pos, bscore = score;
        }
        if (best < 0)
            break;
        struct level *lv = &p->lv[p->nlv];
        lv->branch = m->branches[best], lv->pos = (size_t)best;
        lv->eq = xmalloc((nc ? nc : 1) * sizeof *lv->eq);
        level_rules(m, lv->branch, bound, lv);
        lv->indexed = false;
        placed[best] = true;
        bound[lv->branch] = true;
        lvl_of[lv->branch] = (int)p->nlv++;
    }
    free(eqbuf);
    free(placed);

    /* Each clause is verified at the level binding its last branch. */
    for (size_t l = 0; l < p->nlv; l++)
        p->lv[l].chk = xmalloc((nc ? nc : 1) * sizeof *p->lv[l].chk);
    for (size_t c = 0; c < nc; c++) {
        size_t n = clause_branches(&m->rules.clauses[c], br, nb);
        int last = -1;
        for (size_t i = 0; i < n; i++)
            if (lvl_of[br[i]] > last)
                last = lvl_of[br[i]];
        if (last < 0) {
            p->chk0[p->nchk0++] = c;
        } else if (n > 1 && !index_exact(&p->lv[last], c)) {
            p->lv[last].chk[p->lv[last].nchk++] = c;
        }
    }
    free(own);
    free(rows);
    free(lvl_of);
    free(bound);
    free(br);
}

static bool search(struct join *r, struct join_plan *p, size_t l, bool exists);

static bool clauses_hold(const struct join *r, const struct join_plan *p, const size_t *chk,
                         size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!gcond_clause6(&p->m->rules.clauses[chk[i]], r->rows, r->bg[0].t6))
            return false;
    return true;
}

/* Bind group g at level l and go deeper; true = stop (found, or failed).
 * g satisfies the level's exact join keys already. */
static bool bind(struct join *r, struct join_plan *p, size_t l, uint32_t g, bool exists)
{
    const struct level *lv = &p->lv[l];

    r->rows[lv->branch] = group_row(&r->bg[lv->branch], g);
    r->cur[lv->branch] = g;
    if (!clauses_hold(r, p, lv->chk, lv->nchk))
        return false;
    return search(r, p, l + 1, exists);
}

/* Does module p match the current tuple? */
static bool module_matches(struct join *r, struct join_plan *p)
{
    return clauses_hold(r, p, p->chk0, p->nchk0) && search(r, p, 0, true);
}

/* Is the current export tuple matched by another module?  Then it is not
 * output (7.6, point 2). */
static bool excluded(struct join *r)
{
    const struct fq_query *q = r->q;

    for (size_t mi = 0; mi < q->nmodules; mi++) {
        struct join_plan *p = &r->plans[mi];
        if (mi == q->export_module || p->dead)
            continue;
        if (p->memo_branch < 0) {  /* no memo: search every time */
            if (module_matches(r, p))
                return true;
            continue;
        }
        signed char *memo = &p->memo[r->cur[p->memo_branch]];
        if (*memo < 0)
            *memo = module_matches(r, p);
        if (*memo)
            return true;
    }
    return false;
}

/* An exported tuple is complete: count it, then hand it on (unsorted) or
 * keep it in the current block (sorted).  True = stop. */
static bool tuple_found(struct join *r, const struct join_plan *p)
{
    size_t w = r->width;

    if (excluded(r))
        return false;
    if (r->max && r->count >= r->max) {
        merger_too_many(r->max, r->err);
        r->failed = true;
        return true;
    }
    r->count++;
    if (r->nblk == r->capblk) {
        r->capblk = r->capblk ? 2 * r->capblk : 256;
        r->blk = xrealloc(r->blk, r->capblk * w * sizeof *r->blk);
    }
    uint32_t *t = r->blk + r->nblk * w;
    for (size_t i = 0; i < w; i++)
        t[i] = r->cur[p->m->branches[i]];
    if (r->sorted) {
        r->nblk++;
        return false;
    }
    r->status = r->deliver(r->ctx, t);
    r->failed = r->status != 0;
    return r->failed;
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

/* Sorted output: hand on the current block in order.  True = stop. */
static bool flush_block(struct join *r)
{
    size_t w = r->width;

    if (r->nblk > 1)
        qsort_r(r->blk, r->nblk, w * sizeof *r->blk, tuple_cmp, &r->width);
    for (size_t i = 0; i < r->nblk; i++)
        if ((r->status = r->deliver(r->ctx, r->blk + i * w)) != 0) {
            r->failed = true;
            return true;
        }
    r->nblk = 0;
    return false;
}

/* Does the group with values v have the join keys k? */
static bool keys_match(const struct level *lv, const union fq_val *v, const uint64_t *k)
{
    for (size_t j = 0; j < lv->neq; j++)
        /* k has lv->neq entries (search sizes it so).  The analyzer loses that
         * after a bind(): it cannot see that search leaves neq as it is. */
        // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
        if (v[lv->eq[j].key_gf].u != k[j])
            return false;
    return true;
}

/* Without an index, the candidates whose join keys and window fit. */
static bool scan_level(struct join *r, struct join_plan *p, size_t l, const uint64_t *k, bool win,
                       uint64_t lo, uint64_t hi, bool exists)
{
    const struct level *lv = &p->lv[l];
    const struct bgroups *b = &r->bg[lv->branch];
    const uint32_t *cand = p->cand[lv->pos];

    for (size_t i = 0; i < p->ncand[lv->pos]; i++) {
        uint32_t g = cand ? cand[i] : (uint32_t)i;
        const union fq_val *v = group_row(b, g);
        if (!keys_match(lv, v, k) || (win && (v[lv->key_gf].u < lo || v[lv->key_gf].u > hi)))
            continue;
        if (bind(r, p, l, g, exists))
            return true;
    }
    return false;
}

/* Improper intervals are outside the windows' reach: keys only. */
static bool search_improper(struct join *r, struct join_plan *p, size_t l, const uint64_t *k,
                            bool exists)
{
    const struct level *lv = &p->lv[l];

    for (size_t i = 0; i < lv->ix.nimproper; i++)
        if (keys_match(lv, group_row(&r->bg[lv->branch], lv->ix.improper[i]), k) &&
            bind(r, p, l, lv->ix.improper[i], exists))
            return true;
    return false;
}

/* R_ALLEN_OR: each term's window, in the index of its end-point; a group
 * met in an earlier term's window is not bound again. */
static bool search_or(struct join *r, struct join_plan *p, size_t l, const uint64_t *k, bool exists)
{
    const struct level *lv = &p->lv[l];
    const struct bgroups *b = &r->bg[lv->branch];
    size_t nt = lv->orc->n;
    int end[nt];
    uint64_t lo[nt], hi[nt];

    for (size_t j = 0; j < nt; j++) {
        const struct fq_term *t = &lv->orc->terms[j];
        bool fwd = t->by == lv->branch;
        const union fq_val *o = r->rows[fwd ? t->bx : t->by];
        allen_window(fwd ? t->rel : allen_inverse(t->rel), o[GF_STIME].u, o[GF_ETIME].u,
                     t->has_delta, t->delta, lv->ix.maxlen, &end[j], &lo[j], &hi[j]);
    }
    for (size_t j = 0; j < nt; j++) {
        const struct idx *ix = end[j] == GF_ETIME ? &lv->ix2 : &lv->ix;
        size_t s = 0, e = ix->n;
        if (lo[j] > hi[j] || (lv->neq && !idx_run(ix, k, lv->neq, &s, &e)))
            continue;
        for (s = idx_lower(ix, lv->neq, s, e, lo[j]);
             s < e && ix->key[s * ix->stride + lv->neq] <= hi[j]; s++) {
            const union fq_val *v = group_row(b, ix->g[s]);
            size_t i = 0;
            while (i < j && !(lo[i] <= v[end[i]].u && v[end[i]].u <= hi[i]))
                i++;
            if (i == j && bind(r, p, l, ix->g[s], exists))
                return true;
        }
    }
    return search_improper(r, p, l, k, exists);
}

static bool search(struct join *r, struct join_plan *p, size_t l, bool exists)
{
    if (l == p->nlv)
        return exists ? true : tuple_found(r, p);

    struct level *lv = &p->lv[l];
    const struct idx *ix = &lv->ix;

    if (lv->neq == 0 && lv->rk == R_NONE) {
        /* Sorted output: the first level is the first column and its
         * groups come in ascending order, so sorting each block of tuples
         * that share a first group sorts everything. */
        bool blocks = !exists && l == 0 && r->sorted;
        for (size_t i = 0; i < p->ncand[lv->pos]; i++) {
            if (bind(r, p, l, p->cand[lv->pos] ? p->cand[lv->pos][i] : (uint32_t)i, exists))
                return true;
            if (blocks && flush_block(r))
                return true;
        }
        return false;
    }
    if (!lv->indexed && lv->scans++ >= r->lazy) {
        const struct bgroups *b = &r->bg[lv->branch];
        idx_build(&lv->ix, lv, lv->key_gf, b, p->cand[lv->pos], p->ncand[lv->pos]);
        if (lv->rk == R_ALLEN_OR) {
            /* the improper groups are on ix's side list already */
            idx_build(&lv->ix2, lv, GF_ETIME, b, p->cand[lv->pos], p->ncand[lv->pos]);
            lv->ix2.nimproper = 0;
        }
        lv->indexed = true;
    }

    /* The probe: equality keys and the window of the new branch's key. */
    uint64_t k[lv->neq ? lv->neq : 1], lo = 0, hi = UINT64_MAX;
    for (size_t i = 0; i < lv->neq; i++)
        k[i] = r->rows[lv->eq[i].other][lv->eq[i].other_gf].u;
    if (lv->rk != R_NONE) {
        const union fq_val *o = r->rows[lv->other];
        int end;
        lo = 1, hi = 0;
        if (lv->rk == R_CMP)
            cmp_window(lv->op, o[lv->other_gf].u, lv->has_delta, lv->delta, &lo, &hi);
        else if (lv->rk == R_ALLEN)
            allen_window(lv->rel, o[GF_STIME].u, o[GF_ETIME].u, lv->has_delta, lv->delta,
                         ix->maxlen, &end, &lo, &hi);
    }
    if (!lv->indexed) {
        /* An inexact Allen window needs the index's maxlen and split. */
        bool win = lv->rk == R_CMP || (lv->rk == R_ALLEN && lv->exact);
        if (win && lo > hi)
            return false;
        return scan_level(r, p, l, k, win, lo, hi, exists);
    }
    if (lv->rk == R_ALLEN_OR)
        return search_or(r, p, l, k, exists);

    size_t s = 0, e = ix->n;
    if (lv->neq && !idx_run(ix, k, lv->neq, &s, &e))
        s = e = 0;
    if (lv->rk != R_NONE) {
        s = lo > hi ? e : idx_lower(ix, lv->neq, s, e, lo);
        for (; s < e && ix->key[s * ix->stride + lv->neq] <= hi; s++)
            if (bind(r, p, l, ix->g[s], exists))
                return true;
    } else {
        for (; s < e; s++)
            if (bind(r, p, l, ix->g[s], exists))
                return true;
    }
    return search_improper(r, p, l, k, exists);
}


struct collect {
    struct tuples *t;
    size_t cap;
};

static int collect(void *ctx, const uint32_t *g)
{
    struct collect *c = ctx;
    struct tuples *t = c->t;

    if (t->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        t->g = xrealloc(t->g, c->cap * t->width * sizeof *t->g);
    }
    memcpy(t->g + t->n * t->width, g, t->width * sizeof *g);
    t->n++;
    return 0;
}

static int merger_go(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
                     unsigned lazy, bool sorted, merger_tuple_fn *fn, void *ctx,
                     uint64_t *ntuples, struct fq_error *err)
{
    const struct fq_mmodule *em = &q->modules[q->export_module];
    size_t nb = q->nbranches;
    struct join r = {.q = q, .bg = bg, .width = em->nbranches, .sorted = sorted, .deliver = fn,
                     .ctx = ctx, .max = max_tuples, .lazy = lazy, .err = err};
    bool *pre = xcalloc(nb ? nb : 1, sizeof *pre);

    r.rows = xcalloc(nb ? nb : 1, sizeof *r.rows);
    r.cur = xcalloc(nb ? nb : 1, sizeof *r.cur);
    r.plans = xcalloc(q->nmodules, sizeof *r.plans);
    plan_build(&r, &r.plans[q->export_module], em, pre, sorted);
    for (size_t i = 0; i < em->nbranches; i++)
        pre[em->branches[i]] = true;
    for (size_t mi = 0; mi < q->nmodules; mi++)
        if (mi != q->export_module)
            plan_build(&r, &r.plans[mi], &q->modules[mi], pre, false);

    struct join_plan *ep = &r.plans[q->export_module];
    if (!ep->dead && em->nbranches > 0 && clauses_hold(&r, ep, ep->chk0, ep->nchk0))
        search(&r, ep, 0, false);

    for (size_t mi = 0; mi < q->nmodules; mi++)
        plan_free(&r.plans[mi]);
    free(r.plans);
    free(r.cur);
    free(r.rows);
    free(r.blk);
    free(pre);
    if (ntuples)
        *ntuples = r.count;
    if (r.status)
        return r.status;
    return r.failed ? err->code : FQ_OK;
}

int merger_stream(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
                  bool sorted, merger_tuple_fn *fn, void *ctx, uint64_t *ntuples,
                  struct fq_error *err)
{
    return merger_go(q, bg, max_tuples, LAZY_SCANS, sorted, fn, ctx, ntuples, err);
}

int merger_run(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
               struct tuples *out, struct fq_error *err)
{
    return merger_run_tuned(q, bg, max_tuples, LAZY_SCANS, out, err);
}

int merger_run_tuned(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
                     unsigned lazy_scans, struct tuples *out, struct fq_error *err)
{
    struct collect c = {.t = out};

    memset(out, 0, sizeof *out);
    out->width = q->modules[q->export_module].nbranches;
    int rc = merger_go(q, bg, max_tuples, lazy_scans, true, collect, &c, NULL, err);
    if (rc != FQ_OK)
        tuples_free(out);
    return rc;
}

void tuples_free(struct tuples *t)
{
    free(t->g);
    t->g = NULL;
    t->n = 0;
}

int merger_too_many(uint64_t max_tuples, struct fq_error *err)
{
    return fq_fail(err, FQ_E_OUTPUT, NULL, -1,
                   "merger produced more than %llu tuples; narrow the query or raise "
                   "--max-tuples",
                   (unsigned long long)max_tuples);
}
