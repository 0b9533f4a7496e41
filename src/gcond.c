/* SPDX-License-Identifier: MIT
 * Conditions over group records (LANGUAGE.md 6.2, 6.3, 6.5, 7.5, 7.6):
 * CNF evaluation of comparisons and Allen relations on group values.
 * Pure and allocation-free, so every branch thread and the merger call it
 * concurrently.  Delta arithmetic never wraps around.
 */
#include "gcond.h"

#include <math.h>

#include "allen.h"
#include "cmp.h"
#include "ip6.h"

/* One evaluated operand. */
struct gval {
    enum fq_vtype type;
    uint64_t u;                 /* uint, time, addr; prefix network */
    double d;                   /* real */
    const struct fq_set *set;
    unsigned plen;              /* prefix */
    bool v6;                    /* IPv6 prefix: the keys lo <= k < hi */
    uint64_t lo, hi;
};

static uint64_t eval_uint(const struct fq_expr *e, const union fq_val *const *rows)
{
    uint64_t v;

    switch (e->kind) {
    case X_GFIELD: return rows[e->branch][e->gfield].u;
    case X_BITAND:
        v = UINT64_MAX;
        for (size_t i = 0; i < e->nargs; i++)
            v &= eval_uint(&e->args[i], rows);
        return v;
    case X_BITOR:
        v = 0;
        for (size_t i = 0; i < e->nargs; i++)
            v |= eval_uint(&e->args[i], rows);
        return v;
    default: return e->u;       /* X_CONST, X_PREFIX; X_FIELD never here */
    }
}

static struct gval eval(const struct fq_expr *e, const union fq_val *const *rows,
                        const struct ip6_tab *t6)
{
    struct gval v = {.type = e->type};

    if (e->ip6 && e->kind == X_PREFIX) {
        v.v6 = true;
        ip6_tab_range(t6, e->ip6, e->plen, &v.lo, &v.hi);
    } else if (e->ip6)
        v.u = ip6_tab_key(t6, e->ip6);
    else if (e->kind == X_GFIELD && e->type == VT_REAL)
        v.d = rows[e->branch][e->gfield].d;
    else if (e->type == VT_SET)  /* only a group field (a union) has a set value */
        v.set = rows[e->branch][e->gfield].set;
    else if (e->kind == X_PREFIX)
        v.type = VT_PREFIX, v.u = e->u, v.plen = e->plen;
    else
        v.u = eval_uint(e, rows);
    return v;
}

static bool set_has(const struct fq_set *s, uint64_t x)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->v[lo] == x;
}

static bool member(const struct gval *x, const struct gval *r)
{
    if (r->type == VT_PREFIX && r->v6)
        return x->u >= r->lo && x->u < r->hi;
    if (r->type == VT_PREFIX) {
        uint32_t mask = r->plen == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - r->plen));
        return x->u < IP6_KEY && (x->u & mask) == r->u;
    }
    if (x->type == VT_REAL) {
        /* A real is a member only if it is exactly one of the integers. */
        if (!(x->d >= 0 && x->d < 18446744073709551616.0) || x->d != floor(x->d))
            return false;
        return set_has(r->set, (uint64_t)x->d);
    }
    return set_has(r->set, x->u);
}

static bool set_equal(const struct fq_set *a, const struct fq_set *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i] != b->v[i])
            return false;
    return true;
}

static bool cmp_uint(enum fq_op op, uint64_t x, uint64_t y, bool has_delta, uint64_t d)
{
    return has_delta ? fq_cmp_delta(op, x, y, d) : fq_cmp(op, x, y);
}

/* The same table in double; NaN compares false except for a plain '!='. */
static bool cmp_real(enum fq_op op, double x, double y, bool has_delta, uint64_t delta)
{
    double d = (double)delta;

    if (!has_delta) {
        switch (op) {
        case OP_EQ: return x == y;
        case OP_NE: return x != y;
        case OP_LT: return x < y;
        case OP_LE: return x <= y;
        case OP_GT: return x > y;
        case OP_GE: return x >= y;
        default: return false;
        }
    }
    switch (op) {
    case OP_EQ: return fabs(x - y) <= d;
    case OP_NE: return fabs(x - y) > d;
    case OP_LT: return x < y && y - x <= d;
    case OP_LE: return x <= y && y - x <= d;
    case OP_GT: return x > y && x - y <= d;
    case OP_GE: return x >= y && x - y <= d;
    default: return false;
    }
}

static double as_real(const struct gval *v)
{
    return v->type == VT_REAL ? v->d : (double)v->u;
}

static bool cmp_term(const struct fq_term *t, const union fq_val *const *rows,
                     const struct ip6_tab *t6)
{
    struct gval l = eval(&t->l, rows, t6), r = eval(&t->r, rows, t6);
    enum fq_op op = t->op;

    if (r.type == VT_PREFIX || op == OP_IN || op == OP_NOTIN) {
        bool in = member(&l, &r);
        return op == OP_IN || op == OP_EQ ? in : !in;
    }
    if (l.type == VT_SET && r.type == VT_SET) {
        bool eq = set_equal(l.set, r.set);
        return op == OP_EQ ? eq : op == OP_NE ? !eq : false;
    }
    if (l.type == VT_REAL || r.type == VT_REAL)
        return cmp_real(op, as_real(&l), as_real(&r), t->has_delta, t->delta);
    return cmp_uint(op, l.u, r.u, t->has_delta, t->delta);
}

bool gcond_term6(const struct fq_term *t, const union fq_val *const *rows,
                 const struct ip6_tab *t6)
{
    bool v;

    switch (t->kind) {
    case T_CMP:
        v = cmp_term(t, rows, t6);
        break;
    case T_ALLEN: {
        const union fq_val *x = rows[t->bx], *y = rows[t->by];
        v = allen_holds(t->rel, x[GF_STIME].u, x[GF_ETIME].u, y[GF_STIME].u, y[GF_ETIME].u,
                        t->has_delta, t->delta);
        break;
    }
    default:                    /* T_REF: only in record filters */
        v = false;
        break;
    }
    return v != t->negate;
}

bool gcond_clause6(const struct fq_clause *c, const union fq_val *const *rows,
                   const struct ip6_tab *t6)
{
    for (size_t i = 0; i < c->n; i++)
        if (gcond_term6(&c->terms[i], rows, t6))
            return true;
    return false;
}

bool gcond_cnf6(const struct fq_cnf *c, const union fq_val *const *rows,
                const struct ip6_tab *t6)
{
    if (c == NULL)              /* no group filter */
        return true;
    for (size_t i = 0; i < c->n; i++)
        if (!gcond_clause6(&c->clauses[i], rows, t6))
            return false;
    return true;
}

bool gcond_term(const struct fq_term *t, const union fq_val *const *rows)
{
    return gcond_term6(t, rows, NULL);
}

bool gcond_clause(const struct fq_clause *c, const union fq_val *const *rows)
{
    return gcond_clause6(c, rows, NULL);
}

bool gcond_cnf(const struct fq_cnf *c, const union fq_val *const *rows)
{
    return gcond_cnf6(c, rows, NULL);
}
