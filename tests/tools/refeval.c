/* SPDX-License-Identifier: MIT
 * Reference evaluator: LANGUAGE.md sections 6-7 written as plainly as
 * possible (nested loops, no indexes) over the compiled IR, as a second
 * opinion on src/.  It shares no evaluation code with the engine: only the
 * IR, the decoded records and the output printer.  Built alone it is the
 * tool `refeval`; difftest.c includes it with REFEVAL_LIBRARY defined.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "engine.h"
#include "flowq.h"
#include "ftio.h"
#include "ip6.h"
#include "out.h"
#include "query.h"
#include "record.h"
#include "util.h"

/* A value in a condition, tagged by what it is rather than by the IR's
 * idea of it, so that a wrong type in the IR shows up as a mismatch. */
enum ref_vkind { RV_U, RV_D, RV_SET, RV_PREFIX, RV_A };

/* RV_A is an address: IPv4 in u, or (a6) IPv6 in b; RV_PREFIX an IPv4
 * network in u or (a6) an IPv6 one in b. */
struct ref_v {
    enum ref_vkind k;
    uint64_t u;
    double d;
    unsigned plen;
    const struct fq_set *set;
    bool a6;
    uint8_t b[16];
    const struct ip6_tab *t6; /* RV_SET of addresses: what its IPv6 elements are */
};

/* A group value of address type (see ref_ctx) as an address. */
static struct ref_v ref_key(const struct ip6_tab *t6, uint64_t k) {
    struct ref_v v = {.k = RV_A, .u = k};
    if (k >= IP6_KEY) {
        v.a6 = true;
        memcpy(v.b, t6->a[(k - IP6_KEY - 1) / 2], 16);
        v.u = 0;
    }
    return v;
}

struct ref_group {
    size_t *mem;          /* record indices, in the order they joined */
    unsigned char *match; /* per member, per grouper module: matched when joining */
    size_t n, cap;
};

struct ref_branch {
    size_t nfiltered;
    struct ref_group *g; /* creation order */
    size_t ng;
    union fq_val *val; /* ng * ngfields */
    size_t *kept;      /* creation indices passing the group filter */
    size_t nkept;
};

struct ref_ctx {
    const struct fq_query *q;
    const struct fq_rec *recs;
    size_t n;
    struct ref_branch *br;
    void **pool; /* sets, freed at the end */
    size_t npool, cappool;
    /* The distinct IPv6 addresses of recs, ascending.  A group value of
     * address type is IPv4 itself, or IP6_KEY + 2 * index + 1 (the
     * printer's convention, ip6.h), which sorts as the addresses do. */
    struct ip6_tab t6;
};

static int ref_cmp16(const void *a, const void *b) {
    return memcmp(a, b, 16);
}

static void ref_addrs(struct ref_ctx *c) {
    memset(&c->t6, 0, sizeof c->t6);
    uint8_t(*a)[16] = xmalloc((4 * c->n + 1) * sizeof *a);
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        for (int f = F_SRCIP; f <= F_EXADDR; f++)
            if (c->recs[i].v6 & 1u << f)
                memcpy(a[n++], c->recs[i].ip6[f], 16);
    qsort(a, n, 16, ref_cmp16);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || memcmp(a[k - 1], a[i], 16) != 0)
            memcpy(a[k++], a[i], 16);
    c->t6.a = a;
    c->t6.n = c->t6.cap = k;
    c->t6.ranked = true;
}

/* Field f of r as a group value: addresses as described at ref_ctx. */
static uint64_t ref_get(const struct ref_ctx *c, const struct fq_rec *r, enum fq_field f) {
    if (f > F_EXADDR || !(r->v6 & 1u << f))
        return rec_get(r, f);
    for (size_t i = 0; i < c->t6.n; i++)
        if (memcmp(c->t6.a[i], r->ip6[f], 16) == 0)
            return IP6_KEY + 2 * i + 1;
    abort(); /* every address of recs is in the table */
}

static void *ref_keep(struct ref_ctx *c, void *p) {
    if (c->npool == c->cappool) {
        c->cappool = c->cappool ? 2 * c->cappool : 64;
        c->pool = xrealloc(c->pool, c->cappool * sizeof *c->pool);
    }
    c->pool[c->npool++] = p;
    return p;
}

/* ---- §6.2, §6.3: comparisons ---- */

static uint64_t ref_absdiff(uint64_t x, uint64_t y) {
    return x >= y ? x - y : y - x;
}

static bool ref_cmp_u(enum fq_op op, uint64_t x, uint64_t y, bool hd, uint64_t d) {
    switch (op) {
    case OP_EQ:
        return hd ? ref_absdiff(x, y) <= d : x == y;
    case OP_NE:
        return hd ? ref_absdiff(x, y) > d : x != y;
    case OP_LT:
        return x < y && (!hd || y - x <= d);
    case OP_LE:
        return x <= y && (!hd || y - x <= d);
    case OP_GT:
        return x > y && (!hd || x - y <= d);
    case OP_GE:
        return x >= y && (!hd || x - y <= d);
    default:
        return false;
    }
}

static bool ref_cmp_d(enum fq_op op, double x, double y, bool hd, double d) {
    switch (op) {
    case OP_EQ:
        return hd ? fabs(x - y) <= d : x == y;
    case OP_NE:
        return hd ? fabs(x - y) > d : x != y;
    case OP_LT:
        return x < y && (!hd || y - x <= d);
    case OP_LE:
        return x <= y && (!hd || y - x <= d);
    case OP_GT:
        return x > y && (!hd || x - y <= d);
    case OP_GE:
        return x >= y && (!hd || x - y <= d);
    default:
        return false;
    }
}

static bool ref_positive(enum fq_op op) {
    return op == OP_EQ || op == OP_IN;
}

/* Addresses: every IPv4 one before every IPv6 one, each family by value. */
static int ref_acmp(const struct ref_v *x, const struct ref_v *y) {
    if (x->a6 != y->a6)
        return x->a6 ? 1 : -1;
    if (x->a6) {
        int c = memcmp(x->b, y->b, 16);
        return (c > 0) - (c < 0);
    }
    return x->u < y->u ? -1 : x->u > y->u;
}

/* The first plen bits of a and net agree, bit by bit. */
static bool ref_in6(const uint8_t *a, const uint8_t *net, unsigned plen) {
    for (unsigned i = 0; i < plen; i++)
        if ((a[i / 8] >> (7 - i % 8) & 1) != (net[i / 8] >> (7 - i % 8) & 1))
            return false;
    return true;
}

static bool ref_compare(enum fq_op op, struct ref_v l, struct ref_v r, bool hd, uint64_t d) {
    if (r.k == RV_PREFIX) {
        uint32_t mask = r.plen == 0 || r.a6 ? 0 : (uint32_t)(0xffffffffu << (32 - r.plen));
        bool in = r.a6 ? l.a6 && ref_in6(l.b, r.b, r.plen)
                       : !l.a6 && ((uint32_t)l.u & mask) == (uint32_t)r.u;
        return ref_positive(op) ? in : !in;
    }
    if (l.k == RV_A || r.k == RV_A) {
        if (r.k == RV_SET) {
            bool in = false;
            for (size_t i = 0; i < r.set->n; i++) {
                struct ref_v m = ref_key(r.t6, r.set->v[i]);
                in = in || ref_acmp(&l, &m) == 0;
            }
            return ref_positive(op) ? in : !in;
        }
        return ref_cmp_u(op, (uint64_t)(ref_acmp(&l, &r) + 1), 1, false, 0);
    }
    if (r.k == RV_SET && l.k == RV_SET) {
        bool eq = l.set->n == r.set->n;
        for (size_t i = 0; eq && i < l.set->n; i++)
            eq = l.set->v[i] == r.set->v[i];
        return ref_positive(op) ? eq : !eq;
    }
    if (r.k == RV_SET) {
        bool in = false;
        for (size_t i = 0; i < r.set->n; i++)
            if (r.set->v[i] == l.u)
                in = true;
        return ref_positive(op) ? in : !in;
    }
    if (l.k == RV_D || r.k == RV_D) {
        double x = l.k == RV_D ? l.d : (double)l.u;
        double y = r.k == RV_D ? r.d : (double)r.u;
        return ref_cmp_d(op, x, y, hd, (double)d);
    }
    return ref_cmp_u(op, l.u, r.u, hd, d);
}

/* ---- §7.6: Allen relations on [xs, xe] and [ys, ye] ---- */

static bool ref_near(uint64_t a, uint64_t b, uint64_t d) {
    return ref_absdiff(a, b) <= d;
}

static bool ref_allen(enum fq_allen rel, uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye,
                      bool hd, uint64_t delta) {
    uint64_t d = hd ? delta : 0;
    switch (rel) {
    case AL_BEFORE:
        return xe < ys && (!hd || ys - xe <= delta);
    case AL_AFTER:
        return ye < xs && (!hd || xs - ye <= delta);
    case AL_MEETS:
        return ref_near(xe, ys, d);
    case AL_METBY:
        return ref_near(ye, xs, d);
    case AL_OVERLAPS:
        return xs < ys && ys < xe && xe < ye;
    case AL_OVERLAPPEDBY:
        return ys < xs && xs < ye && ye < xe;
    case AL_STARTS:
        return ref_near(xs, ys, d) && xe < ye;
    case AL_STARTEDBY:
        return ref_near(xs, ys, d) && xe > ye;
    case AL_DURING:
        return ys < xs && xe < ye;
    case AL_CONTAINS:
        return xs < ys && ye < xe;
    case AL_FINISHES:
        return ref_near(xe, ye, d) && xs > ys;
    case AL_FINISHEDBY:
        return ref_near(xe, ye, d) && xs < ys;
    case AL_EQUALS:
        return ref_near(xs, ys, d) && ref_near(xe, ye, d);
    }
    return false;
}

/* ---- conditions: a record (filters) or group rows (group filter, merger) ---- */

struct ref_env {
    const struct fq_query *q;
    const struct fq_rec *rec;        /* filter */
    const union fq_val *const *rows; /* group conditions, by branch */
    const struct ip6_tab *t6;        /* group conditions: ref_ctx.t6 */
};

static struct ref_v ref_expr(const struct ref_env *e, const struct fq_expr *x) {
    struct ref_v v = {.k = RV_U};
    switch (x->kind) {
    case X_CONST:
        v.u = x->u;
        if (x->type == VT_ADDR) {
            v.k = RV_A;
            if ((v.a6 = x->ip6 != NULL))
                memcpy(v.b, x->ip6, 16);
        }
        break;
    case X_PREFIX:
        v.k = RV_PREFIX;
        v.u = x->u;
        v.plen = x->plen;
        if ((v.a6 = x->ip6 != NULL))
            memcpy(v.b, x->ip6, 16);
        break;
    case X_FIELD:
        v.u = rec_get(e->rec, x->field);
        if (fq_fields[x->field].type == VT_ADDR) {
            v.k = RV_A;
            if ((v.a6 = (e->rec->v6 >> x->field & 1) != 0))
                memcpy(v.b, e->rec->ip6[x->field], 16);
        }
        break;
    case X_GFIELD: {
        const struct fq_gfield *gf = &e->q->branches[x->branch].gfields[x->gfield];
        union fq_val gv = e->rows[x->branch][x->gfield];
        if (gf->type == VT_REAL) {
            v.k = RV_D;
            v.d = gv.d;
        } else if (gf->type == VT_SET) {
            v.k = RV_SET;
            v.set = gv.set;
            v.t6 = e->t6;
        } else if (gf->type == VT_ADDR) {
            v = ref_key(e->t6, gv.u);
        } else {
            v.u = gv.u;
        }
        break;
    }
    case X_BITAND:
    case X_BITOR:
        v.u = x->kind == X_BITAND ? ~(uint64_t)0 : 0;
        for (size_t i = 0; i < x->nargs; i++) {
            uint64_t a = ref_expr(e, &x->args[i]).u;
            v.u = x->kind == X_BITAND ? v.u & a : v.u | a;
        }
        break;
    }
    return v;
}

static bool ref_cnf(const struct ref_env *e, const struct fq_cnf *c);

static bool ref_term(const struct ref_env *e, const struct fq_term *t) {
    bool r = false;
    switch (t->kind) {
    case T_CMP:
        r = ref_compare(t->op, ref_expr(e, &t->l), ref_expr(e, &t->r), t->has_delta, t->delta);
        break;
    case T_REF:
        r = ref_cnf(e, t->ref);
        break;
    case T_ALLEN: {
        const union fq_val *x = e->rows[t->bx], *y = e->rows[t->by];
        r = ref_allen(t->rel, x[GF_STIME].u, x[GF_ETIME].u, y[GF_STIME].u, y[GF_ETIME].u,
                      t->has_delta, t->delta);
        break;
    }
    }
    return t->negate ? !r : r;
}

static bool ref_cnf(const struct ref_env *e, const struct fq_cnf *c) {
    if (!c)
        return true;
    for (size_t i = 0; i < c->n; i++) {
        bool any = false;
        for (size_t j = 0; j < c->clauses[i].n && !any; j++)
            any = ref_term(e, &c->clauses[i].terms[j]);
        if (!any)
            return false;
    }
    return true;
}

/* ---- §7.3: grouper, the normative algorithm literally ---- */

static int ref_bytime(const void *a, const void *b, void *recs) {
    const struct fq_rec *r = recs;
    const struct fq_rec *x = &r[*(const size_t *)a], *y = &r[*(const size_t *)b];
    if (x->stime != y->stime)
        return x->stime < y->stime ? -1 : 1;
    return x->rec_id < y->rec_id ? -1 : x->rec_id > y->rec_id;
}

static bool ref_rule(const struct ref_ctx *c, const struct fq_grule *ru,
                     const struct fq_rec *first, const struct fq_rec *last,
                     const struct fq_rec *cand) {
    const struct fq_rec *refm = ru->dk == D_REL ? last : first;
    return ref_cmp_u(ru->op, ref_get(c, refm, ru->l), ref_get(c, cand, ru->r), ru->dk != D_NONE,
                     ru->delta);
}

static void ref_join(struct ref_group *g, size_t rec, const unsigned char *match, size_t nmod) {
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4;
        g->mem = xrealloc(g->mem, g->cap * sizeof *g->mem);
        g->match = xrealloc(g->match, g->cap * (nmod ? nmod : 1));
    }
    g->mem[g->n] = rec;
    memcpy(g->match + g->n * (nmod ? nmod : 1), match, nmod ? nmod : 1);
    g->n++;
}

static void ref_group(struct ref_ctx *c, struct ref_branch *b, const struct fq_branch *qb,
                      size_t *kept, size_t nk) {
    const struct fq_grouper *gr = qb->grouper;
    size_t nmod = gr ? gr->nmodules : 0;
    unsigned char *m = xcalloc(nmod ? nmod : 1, 1);
    qsort_r(kept, nk, sizeof *kept, ref_bytime, (void *)c->recs);
    b->g = xcalloc(nk ? nk : 1, sizeof *b->g);
    for (size_t i = 0; i < nk; i++) {
        const struct fq_rec *r = &c->recs[kept[i]];
        bool joined = false;
        for (size_t gi = 0; gr && gi < b->ng && !joined; gi++) {
            struct ref_group *g = &b->g[gi];
            const struct fq_rec *first = &c->recs[g->mem[0]], *last = &c->recs[g->mem[g->n - 1]];
            bool any = nmod == 0; /* no module: one empty module */
            for (size_t mi = 0; mi < nmod; mi++) {
                const struct fq_gmodule *mo = &gr->modules[mi];
                bool all = true;
                for (size_t k = 0; k < mo->n && all; k++)
                    all = ref_rule(c, &mo->rules[k], first, last, r);
                m[mi] = all;
                any = any || all;
            }
            if (any) {
                ref_join(g, kept[i], m, nmod);
                joined = true;
            }
        }
        if (!joined) {
            memset(m, 0, nmod ? nmod : 1);
            ref_join(&b->g[b->ng++], kept[i], m, nmod);
        }
    }
    free(m);
}

/* ---- §7.4: aggregates ---- */

static int ref_ucmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static union fq_val ref_aggregate(struct ref_ctx *c, const struct ref_group *g, size_t nmod,
                                  const struct fq_gfield *gf) {
    union fq_val out = {0};
    uint64_t *v = xmalloc(g->n * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        /* the founding member counts for every module (Flowy's rule, §7.4) */
        if (gf->module >= 0 && i > 0 && !g->match[i * (nmod ? nmod : 1) + (size_t)gf->module])
            continue;
        v[n++] = gf->fn == AGG_COUNT ? 0 : ref_get(c, &c->recs[g->mem[i]], gf->field);
    }
    uint64_t acc = 0;
    unsigned __int128 exact = 0;
    switch (gf->fn) {
    case AGG_PLAIN:
        out.u = v[0];
        break;
    case AGG_COUNT:
        out.u = n;
        break;
    case AGG_SUM:
        for (size_t i = 0; i < n; i++)
            acc = acc > UINT64_MAX - v[i] ? UINT64_MAX : acc + v[i];
        out.u = acc;
        break;
    case AGG_PROD:
        acc = 1;
        for (size_t i = 0; i < n; i++) {
            unsigned __int128 p = (unsigned __int128)acc * v[i];
            acc = p > UINT64_MAX ? UINT64_MAX : (uint64_t)p;
        }
        out.u = acc;
        break;
    case AGG_MIN:
    case AGG_MAX:
        acc = v[0];
        for (size_t i = 1; i < n; i++)
            if (gf->fn == AGG_MIN ? v[i] < acc : v[i] > acc)
                acc = v[i];
        out.u = acc;
        break;
    case AGG_AVG:
    case AGG_STDDEV: {
        for (size_t i = 0; i < n; i++)
            exact += v[i];
        double mean = (double)exact / (double)n;
        if (gf->fn == AGG_AVG) {
            out.d = mean;
            break;
        }
        double sq = 0;
        for (size_t i = 0; i < n; i++)
            sq += ((double)v[i] - mean) * ((double)v[i] - mean);
        out.d = sqrt(sq / (double)n);
        break;
    }
    case AGG_MEDIAN:
        qsort(v, n, sizeof *v, ref_ucmp);
        out.u = v[n / 2];
        break;
    case AGG_BITAND:
    case AGG_BITOR:
    case AGG_BITXOR:
        acc = v[0];
        for (size_t i = 1; i < n; i++)
            acc = gf->fn == AGG_BITAND ? acc & v[i] : gf->fn == AGG_BITOR ? acc | v[i] : acc ^ v[i];
        out.u = acc;
        break;
    case AGG_UNION: {
        qsort(v, n, sizeof *v, ref_ucmp);
        struct fq_set *s = ref_keep(c, xmalloc(sizeof *s + n * sizeof s->v[0]));
        s->n = 0;
        for (size_t i = 0; i < n; i++)
            if (s->n == 0 || s->v[s->n - 1] != v[i])
                s->v[s->n++] = v[i];
        out.set = s;
        break;
    }
    }
    free(v);
    return out;
}

/* ---- the branch stages ---- */

static void ref_branch(struct ref_ctx *c, size_t bi) {
    const struct fq_branch *qb = &c->q->branches[bi];
    struct ref_branch *b = &c->br[bi];
    size_t *kept = xmalloc((c->n ? c->n : 1) * sizeof *kept);
    size_t nk = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct ref_env e = {c->q, &c->recs[i], NULL, NULL};
        if (ref_cnf(&e, qb->filter))
            kept[nk++] = i;
    }
    b->nfiltered = nk;
    if (qb->grouper) {
        ref_group(c, b, qb, kept, nk);
    } else {
        /* singleton groups, created in (stime, rec_id) order */
        qsort_r(kept, nk, sizeof *kept, ref_bytime, (void *)c->recs);
        b->g = xcalloc(nk ? nk : 1, sizeof *b->g);
        unsigned char none = 0;
        for (size_t i = 0; i < nk; i++)
            ref_join(&b->g[b->ng++], kept[i], &none, 0);
    }
    free(kept);
    size_t nmod = qb->grouper ? qb->grouper->nmodules : 0;
    b->val = xcalloc((b->ng ? b->ng : 1) * (qb->ngfields ? qb->ngfields : 1), sizeof *b->val);
    b->kept = xmalloc((b->ng ? b->ng : 1) * sizeof *b->kept);
    const union fq_val **rows = xcalloc(c->q->nbranches, sizeof *rows);
    for (size_t gi = 0; gi < b->ng; gi++) {
        union fq_val *row = b->val + gi * qb->ngfields;
        for (size_t f = 0; f < qb->ngfields; f++)
            row[f] = ref_aggregate(c, &b->g[gi], nmod, &qb->gfields[f]);
        rows[bi] = row;
        struct ref_env e = {c->q, NULL, rows, &c->t6};
        if (ref_cnf(&e, qb->gfilter))
            b->kept[b->nkept++] = gi;
    }
    free(rows);
}

/* ---- §7.6: merger as nested loops ---- */

static bool ref_in(const int *list, size_t n, int b) {
    for (size_t i = 0; i < n; i++)
        if (list[i] == b)
            return true;
    return false;
}

/* Is there a choice of kept groups for m's branches outside the exported
 * list (free[0..nfree)) that satisfies all of m's clauses? */
static bool ref_exists(struct ref_ctx *c, const struct fq_mmodule *m, const int *freeb,
                       size_t nfree, size_t depth, const union fq_val **rows) {
    if (depth == nfree) {
        struct ref_env e = {c->q, NULL, rows, &c->t6};
        return ref_cnf(&e, &m->rules);
    }
    int b = freeb[depth];
    const struct ref_branch *rb = &c->br[b];
    for (size_t k = 0; k < rb->nkept; k++) {
        rows[b] = rb->val + rb->kept[k] * c->q->branches[b].ngfields;
        if (ref_exists(c, m, freeb, nfree, depth + 1, rows))
            return true;
    }
    return false;
}

struct ref_tuples {
    size_t *g; /* n * width creation indices */
    size_t n, cap, width;
};

static void ref_tuples(struct ref_ctx *c, const struct fq_mmodule *ex, size_t depth, size_t *pick,
                       const union fq_val **rows, struct ref_tuples *out) {
    const struct fq_query *q = c->q;
    if (depth < ex->nbranches) {
        int b = ex->branches[depth];
        const struct ref_branch *rb = &c->br[b];
        for (size_t k = 0; k < rb->nkept; k++) {
            pick[depth] = rb->kept[k];
            rows[b] = rb->val + rb->kept[k] * q->branches[b].ngfields;
            ref_tuples(c, ex, depth + 1, pick, rows, out);
        }
        return;
    }
    struct ref_env e = {q, NULL, rows, &c->t6};
    if (!ref_cnf(&e, &ex->rules))
        return;
    for (size_t mi = 0; mi < q->nmodules; mi++) {
        const struct fq_mmodule *m = &q->modules[mi];
        if (m == ex)
            continue;
        int *freeb = xmalloc((m->nbranches ? m->nbranches : 1) * sizeof *freeb);
        size_t nfree = 0;
        for (size_t i = 0; i < m->nbranches; i++)
            if (!ref_in(ex->branches, ex->nbranches, m->branches[i]))
                freeb[nfree++] = m->branches[i];
        bool hit = ref_exists(c, m, freeb, nfree, 0, rows);
        free(freeb);
        if (hit)
            return;
    }
    if (out->n == out->cap) {
        out->cap = out->cap ? 2 * out->cap : 16;
        out->g = xrealloc(out->g, out->cap * (out->width ? out->width : 1) * sizeof *out->g);
    }
    memcpy(out->g + out->n * out->width, pick, out->width * sizeof *pick);
    out->n++;
}

/* ---- §7.7: ungrouper ---- */

static int ref_ungroup(struct ref_ctx *c, const struct fq_mmodule *ex, const struct ref_tuples *t,
                       struct out *o, uint64_t *nout, struct fq_error *err) {
    unsigned char *seen = xcalloc(c->n ? c->n : 1, 1);
    size_t *ids = xmalloc((c->n ? c->n : 1) * sizeof *ids);
    size_t nids = 0;
    for (size_t ti = 0; ti < t->n; ti++)
        for (size_t k = 0; k < ex->nbranches; k++) {
            const struct ref_group *g = &c->br[ex->branches[k]].g[t->g[ti * t->width + k]];
            for (size_t i = 0; i < g->n; i++)
                if (!seen[g->mem[i]]) {
                    seen[g->mem[i]] = 1;
                    ids[nids++] = g->mem[i];
                }
        }
    qsort_r(ids, nids, sizeof *ids, ref_bytime, (void *)c->recs);
    int rc = FQ_OK;
    for (size_t i = 0; i < nids && rc == FQ_OK; i++) {
        rc = out_record(o, &c->recs[ids[i]], err);
        if (rc == FQ_OK)
            ++*nout;
    }
    free(seen);
    free(ids);
    return rc;
}

/* Two branches print under one header when their group fields look the
 * same (e.g. they share a grouper). */
static bool ref_same_layout(const struct fq_branch *a, const struct fq_branch *b) {
    if (a->ngfields != b->ngfields)
        return false;
    for (size_t f = 0; f < a->ngfields; f++)
        if (strcmp(a->gfields[f].name, b->gfields[f].name) ||
            a->gfields[f].type != b->gfields[f].type || a->gfields[f].elem != b->gfields[f].elem)
            return false;
    return true;
}

static int ref_columns(struct out *o, const struct fq_branch *qb, struct fq_error *err) {
    struct out_col *cols = xmalloc((qb->ngfields + 3) * sizeof *cols);
    cols[0] = (struct out_col){"tuple", VT_UINT, VT_UINT};
    cols[1] = (struct out_col){"branch", VT_STR, VT_STR};
    cols[2] = (struct out_col){"group", VT_UINT, VT_UINT};
    for (size_t f = 0; f < qb->ngfields; f++)
        cols[f + 3] =
            (struct out_col){qb->gfields[f].name, qb->gfields[f].type, qb->gfields[f].elem};
    int rc = out_begin_rows(o, cols, qb->ngfields + 3, err);
    free(cols);
    return rc;
}

/* -g (§7.7): per tuple, one row per exported branch: tuple, branch, group
 * (creation index), then the group fields.  The columns are declared
 * before the first row (so an empty result still has its header) and
 * again whenever a branch's group fields differ from the previous row's. */
static int ref_group_rows(struct ref_ctx *c, const struct fq_mmodule *ex,
                          const struct ref_tuples *t, struct out *o, uint64_t *nout,
                          struct fq_error *err) {
    const struct fq_query *q = c->q;
    if (ex->nbranches == 0)
        return FQ_OK;
    const struct fq_branch *cur = &q->branches[ex->branches[0]];
    int rc = ref_columns(o, cur, err);
    for (size_t ti = 0; ti < t->n && rc == FQ_OK; ti++)
        for (size_t k = 0; k < ex->nbranches && rc == FQ_OK; k++) {
            const struct fq_branch *qb = &q->branches[ex->branches[k]];
            if (!ref_same_layout(cur, qb)) {
                cur = qb;
                if ((rc = ref_columns(o, cur, err)) != FQ_OK)
                    break;
            }
            size_t gi = t->g[ti * t->width + k];
            union fq_val *vals = xmalloc((qb->ngfields + 3) * sizeof *vals);
            vals[0].u = ti;
            vals[1].s = qb->name;
            vals[2].u = gi;
            memcpy(vals + 3, c->br[ex->branches[k]].val + gi * qb->ngfields,
                   qb->ngfields * sizeof *vals);
            rc = out_row(o, vals, err);
            free(vals);
            if (rc == FQ_OK)
                ++*nout;
        }
    return rc;
}

/* Same contract as engine_run(): the whole query over recs[0..n). */
static int ref_run(const struct fq_query *q, const struct fq_rec *recs, size_t n, bool groups,
                   struct out *o, struct engine_stats *st, struct fq_error *err) {
    struct ref_ctx c = {q, recs, n, NULL, NULL, 0, 0, {0}};
    ref_addrs(&c);
    out_set_ip6(o, &c.t6);
    c.br = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *c.br);
    st->nbranches = q->nbranches;
    st->branch = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *st->branch);
    for (size_t b = 0; b < q->nbranches; b++) {
        ref_branch(&c, b);
        st->branch[b] =
            (struct engine_branch_stats){n, c.br[b].nfiltered, c.br[b].ng, c.br[b].nkept};
    }
    const struct fq_mmodule *ex = &q->modules[q->export_module];
    struct ref_tuples t = {NULL, 0, 0, ex->nbranches};
    size_t *pick = xcalloc(ex->nbranches ? ex->nbranches : 1, sizeof *pick);
    const union fq_val **rows = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *rows);
    ref_tuples(&c, ex, 0, pick, rows, &t);
    st->tuples = t.n;
    st->records_out = 0;
    int rc = groups ? ref_group_rows(&c, ex, &t, o, &st->records_out, err)
                    : ref_ungroup(&c, ex, &t, o, &st->records_out, err);
    free(rows);
    free(pick);
    free(t.g);
    for (size_t b = 0; b < q->nbranches; b++) {
        for (size_t gi = 0; gi < c.br[b].ng; gi++) {
            free(c.br[b].g[gi].mem);
            free(c.br[b].g[gi].match);
        }
        free(c.br[b].g);
        free(c.br[b].val);
        free(c.br[b].kept);
    }
    free(c.br);
    for (size_t i = 0; i < c.npool; i++)
        free(c.pool[i]);
    free(c.pool);
    free(c.t6.a);
    return rc;
}

#ifndef REFEVAL_LIBRARY

/* refeval [-g] [-q] [-o FMT] [--epoch] [--fields LIST] [--stats] QUERY TRACE... */

static char *ref_slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = xmalloc(cap);
    size_t k;
    while ((k = fread(s + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap)
            s = xrealloc(s, cap *= 2);
    }
    fclose(fp);
    *len = n;
    return s;
}

static enum fq_field *ref_fields(const char *list, size_t *nf) {
    char *dup = xstrdup(list), *save = NULL;
    enum fq_field *f = xmalloc(F_COUNT * 4 * sizeof *f);
    *nf = 0;
    for (char *tok = strtok_r(dup, ",", &save); tok && *nf < F_COUNT * 4;
         tok = strtok_r(NULL, ",", &save)) {
        enum fq_field x = field_lookup(tok);
        if (x == F_COUNT) {
            fprintf(stderr, "refeval: unknown field '%s'\n", tok);
            exit(2);
        }
        f[(*nf)++] = x;
    }
    free(dup);
    return f;
}

int main(int argc, char **argv) {
    struct out_opts oo = {.fmt = FMT_TEXT, .tfmt = TFMT_ISO};
    bool groups = false, stats = false;
    enum fq_field *fl = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-g")) {
            groups = true;
        } else if (!strcmp(a, "-q")) {
            oo.no_header = true;
        } else if (!strcmp(a, "--epoch")) {
            oo.tfmt = TFMT_EPOCH;
        } else if (!strcmp(a, "--stats")) {
            stats = true;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            static const char *const names[] = {"text", "csv", "tsv", "json", "ndjson", "ft"};
            const char *v = argv[++i];
            size_t k = 0;
            while (k < 6 && strcmp(names[k], v))
                k++;
            if (k == 6) {
                fprintf(stderr, "refeval: unknown format '%s'\n", v);
                return 2;
            }
            oo.fmt = (enum fq_fmt)k;
        } else if (!strcmp(a, "--fields") && i + 1 < argc) {
            fl = ref_fields(argv[++i], &oo.nfields);
            oo.fields = fl;
        } else {
            fprintf(stderr, "usage: refeval [-g] [-q] [-o FMT] [--epoch] [--fields LIST] "
                            "[--stats] QUERY TRACE...\n");
            return 2;
        }
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: refeval [options] QUERY TRACE...\n");
        return 2;
    }
    struct fq_error err = {0};
    size_t len;
    char *src = ref_slurp(argv[i], &len);
    if (!src) {
        fprintf(stderr, "refeval: cannot read %s\n", argv[i]);
        return 2;
    }
    struct fq_query *q = query_compile(src, len, argv[i], stderr, &err);
    free(src);
    if (!q) {
        fprintf(stderr, "refeval: %s\n", err.msg);
        return 3;
    }
    struct fq_rec *recs = NULL;
    size_t n = 0;
    struct ft_reader_opts ro = {0};
    if (ft_read_all(argv + i + 1, (size_t)(argc - i - 1), &ro, &recs, &n, &err) != FQ_OK) {
        fprintf(stderr, "refeval: %s: %s\n", err.path, err.msg);
        query_free(q);
        return 4;
    }
    struct engine_stats st = {0};
    struct out *o = out_open(stdout, &oo, &err);
    int rc = o ? ref_run(q, recs, n, groups, o, &st, &err) : (int)err.code;
    if (o)
        out_close(o, &err);
    if (err.code) {
        fprintf(stderr, "refeval: %s\n", err.msg);
        rc = err.code;
    } else if (stats) {
        fprintf(stderr, "{\"branches\": {");
        for (size_t b = 0; b < st.nbranches; b++)
            fprintf(stderr,
                    "%s\"%s\": {\"records_in\": %llu, \"filtered\": %llu, \"groups\": %llu, "
                    "\"groups_kept\": %llu}",
                    b ? ", " : "", q->branches[b].name, (unsigned long long)st.branch[b].records_in,
                    (unsigned long long)st.branch[b].filtered,
                    (unsigned long long)st.branch[b].groups,
                    (unsigned long long)st.branch[b].groups_kept);
        fprintf(stderr, "}, \"merger\": {\"tuples\": %llu}, \"ungrouper\": {\"records\": %llu}}\n",
                (unsigned long long)st.tuples, (unsigned long long)st.records_out);
    }
    free(st.branch);
    free(recs);
    free(fl);
    query_free(q);
    return rc;
}

#endif
