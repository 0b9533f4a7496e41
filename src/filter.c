/* SPDX-License-Identifier: MIT
 * Filter compilation: each term becomes a function pointer chosen once by
 * operand shape, field size and operator, so the per-record loop has no
 * type switches and allocates nothing.  Filter references point at the
 * referenced filter's own compiled form.
 */
#include "filter.h"

#include <stdlib.h>
#include <string.h>

#include "ip6.h"
#include "util.h"

struct cterm;
typedef bool (*term_fn)(const struct cterm *t, const struct fq_rec *r);

struct cterm {
    term_fn fn;
    bool neg;
    size_t off;                 /* left field: byte offset in struct fq_rec */
    uint64_t k;                 /* right constant, or prefix network */
    uint64_t mask;              /* prefix mask */
    uint64_t delta;
    enum fq_op op;
    const struct fq_expr *l, *r;  /* generic terms */
    struct filt *ref;           /* T_REF */
    /* address terms: the left field's v6 bit and index, an IPv6 constant */
    uint8_t bit;
    unsigned fi;
    const uint8_t *k6;
    unsigned plen;
};

struct cclause {
    struct cterm *t;
    size_t n;
};

struct filt {
    struct cclause *c;
    size_t n;
};

#define LOAD(T, r, off) (*(const T *)((const unsigned char *)(r) + (off)))

/* field op constant, one function per (size, operator). */
#define FC_FN(T, NAME, OP)                                                                    \
    static bool fc_##NAME(const struct cterm *t, const struct fq_rec *r)                      \
    {                                                                                         \
        return (uint64_t)LOAD(T, r, t->off) OP t->k;                                          \
    }
#define FC_SIZE(T, S)                                                                         \
    FC_FN(T, S##_eq, ==) FC_FN(T, S##_ne, !=) FC_FN(T, S##_lt, <) FC_FN(T, S##_le, <=)        \
    FC_FN(T, S##_gt, >) FC_FN(T, S##_ge, >=)
FC_SIZE(uint8_t, 1)
FC_SIZE(uint16_t, 2)
FC_SIZE(uint32_t, 4)
FC_SIZE(uint64_t, 8)

static const term_fn fc_table[4][6] = {
    {fc_1_eq, fc_1_ne, fc_1_lt, fc_1_le, fc_1_gt, fc_1_ge},
    {fc_2_eq, fc_2_ne, fc_2_lt, fc_2_le, fc_2_gt, fc_2_ge},
    {fc_4_eq, fc_4_ne, fc_4_lt, fc_4_le, fc_4_gt, fc_4_ge},
    {fc_8_eq, fc_8_ne, fc_8_lt, fc_8_le, fc_8_gt, fc_8_ge},
};

/* Address field op IPv4 constant: an IPv6 value sorts after every IPv4
 * one (flowq(5)), so the v6 bit alone decides then. */
#define FA_FN(NAME, OP, V6)                                                                   \
    static bool fa4_##NAME(const struct cterm *t, const struct fq_rec *r)                     \
    {                                                                                         \
        if (r->v6 & t->bit)                                                                   \
            return V6;                                                                        \
        return LOAD(uint32_t, r, t->off) OP t->k;                                             \
    }
FA_FN(eq, ==, false)
FA_FN(ne, !=, true)
FA_FN(lt, <, false)
FA_FN(le, <=, false)
FA_FN(gt, >, true)
FA_FN(ge, >=, true)

static const term_fn fa4_table[6] = {fa4_eq, fa4_ne, fa4_lt, fa4_le, fa4_gt, fa4_ge};

static bool fa_in4(const struct cterm *t, const struct fq_rec *r)
{
    return !(r->v6 & t->bit) && (LOAD(uint32_t, r, t->off) & t->mask) == t->k;
}

static bool fa_notin4(const struct cterm *t, const struct fq_rec *r)
{
    return !fa_in4(t, r);
}

static bool fa_in6(const struct cterm *t, const struct fq_rec *r)
{
    return (r->v6 & t->bit) && ip6_in(r->ip6[t->fi], t->k6, t->plen);
}

static bool fa_notin6(const struct cterm *t, const struct fq_rec *r)
{
    return !fa_in6(t, r);
}

/* An address operand: IPv4 in v4, or IPv6 in b. */
struct aval {
    bool v6;
    uint32_t v4;
    const uint8_t *b;
};

static struct aval aval_of(const struct fq_expr *e, const struct fq_rec *r)
{
    if (e->kind != X_FIELD)
        return (struct aval){e->ip6 != NULL, (uint32_t)e->u, e->ip6};
    if (r->v6 & 1u << e->field)
        return (struct aval){true, 0, r->ip6[e->field]};
    return (struct aval){false, (uint32_t)rec_get(r, e->field), NULL};
}

/* Any address term: both sides evaluated, compared by (family, value). */
static bool addr_generic(const struct cterm *t, const struct fq_rec *r)
{
    struct aval x = aval_of(t->l, r);
    if (t->op == OP_IN || t->op == OP_NOTIN) {
        bool in = t->k6 ? x.v6 && ip6_in(x.b, t->k6, t->plen)
                        : !x.v6 && (x.v4 & t->mask) == t->k;
        return in == (t->op == OP_IN);
    }
    struct aval y = aval_of(t->r, r);
    int c = x.v6 != y.v6 ? (x.v6 ? 1 : -1)
            : x.v6       ? memcmp(x.b, y.b, 16)
                         : (x.v4 > y.v4) - (x.v4 < y.v4);
    return fq_cmp(t->op, (uint64_t)((c > 0) - (c < 0) + 1), 1);
}

static uint64_t expr_val(const struct fq_expr *e, const struct fq_rec *r)
{
    switch (e->kind) {
    case X_FIELD: return rec_get(r, e->field);
    case X_BITAND: {
        uint64_t v = ~(uint64_t)0;
        for (size_t i = 0; i < e->nargs; i++)
            v &= expr_val(&e->args[i], r);
        return v;
    }
    case X_BITOR: {
        uint64_t v = 0;
        for (size_t i = 0; i < e->nargs; i++)
            v |= expr_val(&e->args[i], r);
        return v;
    }
    default: return e->u;
    }
}

static uint64_t prefix_mask(unsigned plen)
{
    return plen == 0 ? 0 : (uint64_t)(0xffffffffu << (32 - plen)) & 0xffffffffu;
}

/* Any shape: both sides evaluated as expressions. */
static bool generic(const struct cterm *t, const struct fq_rec *r)
{
    uint64_t x = expr_val(t->l, r);
    if (t->op == OP_IN || t->op == OP_NOTIN)
        return ((x & t->mask) == t->k) == (t->op == OP_IN);
    return fq_cmp_delta(t->op, x, expr_val(t->r, r), t->delta);
}

static bool generic_nodelta(const struct cterm *t, const struct fq_rec *r)
{
    return fq_cmp(t->op, expr_val(t->l, r), expr_val(t->r, r));
}

static bool ref_term(const struct cterm *t, const struct fq_rec *r)
{
    return filt_match(t->ref, r);
}


static int size_index(size_t size)
{
    return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

static bool always(const struct cterm *t, const struct fq_rec *r)
{
    (void)t;
    (void)r;
    return true;
}

/* l op r with an address left operand (delta never applies). */
static void compile_addr(struct cterm *ct, const struct fq_expr *l, const struct fq_expr *r,
                         enum fq_op op)
{
    bool field = l->kind == X_FIELD;
    if (field) {
        ct->off = fq_fields[l->field].offset;
        ct->bit = (uint8_t)(1u << l->field);
        ct->fi = (unsigned)l->field;
    }
    ct->k6 = r->ip6;
    ct->plen = r->plen;
    ct->fn = addr_generic;
    if (op == OP_IN || op == OP_NOTIN) {
        if (!r->ip6) {
            ct->mask = prefix_mask(r->plen);
            ct->k = r->u & ct->mask;
        }
        if (field && r->ip6)
            ct->fn = op == OP_IN ? fa_in6 : fa_notin6;
        else if (field)
            ct->fn = op == OP_IN ? fa_in4 : fa_notin4;
        return;
    }
    if (field && r->kind == X_CONST && !r->ip6) {
        ct->k = r->u;
        ct->fn = fa4_table[op];
    }
}

static void compile_term(struct cterm *ct, const struct fq_term *t)
{
    memset(ct, 0, sizeof *ct);
    ct->neg = t->negate;
    /* A reference to a one-term filter is that term: long chains of such
     * references (f0 { f1 } f1 { f2 } ...) compile without recursion. */
    while (t->kind == T_REF && t->ref->n == 1 && t->ref->clauses[0].n == 1) {
        t = &t->ref->clauses[0].terms[0];
        ct->neg ^= t->negate;
    }
    if (t->kind == T_REF && t->ref->n == 0) {
        ct->fn = always;
        return;
    }
    if (t->kind == T_REF) {
        ct->ref = filt_compile(t->ref);
        ct->fn = ref_term;
        return;
    }
    const struct fq_expr *l = &t->l, *r = &t->r;
    enum fq_op op = t->op;
    if (l->kind == X_CONST && r->kind != X_CONST && op != OP_IN && op != OP_NOTIN) {
        const struct fq_expr *tmp = l;
        l = r;
        r = tmp;
        op = fq_op_mirror(op);
    }
    ct->l = l;
    ct->r = r;
    ct->op = op;
    ct->delta = t->has_delta ? t->delta : 0;
    if (l->type == VT_ADDR) {
        compile_addr(ct, l, r, op);
        return;
    }
    if (op == OP_IN || op == OP_NOTIN) {
        ct->k = r->u & 0xffffffffu;
        ct->mask = prefix_mask(r->plen);
        ct->k &= ct->mask;
        ct->fn = generic;
        return;
    }
    if (!t->has_delta && l->kind == X_FIELD && r->kind == X_CONST) {
        ct->off = fq_fields[l->field].offset;
        ct->k = r->u;
        ct->fn = fc_table[size_index(fq_fields[l->field].size)][op];
        return;
    }
    ct->fn = t->has_delta ? generic : generic_nodelta;
}

struct filt *filt_compile(const struct fq_cnf *c)
{
    struct filt *f = xcalloc(1, sizeof *f);
    if (!c)
        return f;
    f->n = c->n;
    f->c = xcalloc(c->n, sizeof *f->c);
    for (size_t i = 0; i < c->n; i++) {
        f->c[i].n = c->clauses[i].n;
        f->c[i].t = xcalloc(c->clauses[i].n, sizeof *f->c[i].t);
        for (size_t j = 0; j < c->clauses[i].n; j++)
            compile_term(&f->c[i].t[j], &c->clauses[i].terms[j]);
    }
    return f;
}

void filt_free(struct filt *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        for (size_t j = 0; j < f->c[i].n; j++)
            filt_free(f->c[i].t[j].ref);
        free(f->c[i].t);
    }
    free(f->c);
    free(f);
}

bool filt_match(const struct filt *f, const struct fq_rec *r)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct cclause *c = &f->c[i];
        size_t j = 0;
        while (j < c->n && c->t[j].fn(&c->t[j], r) == c->t[j].neg)
            j++;
        if (j == c->n)
            return false;
    }
    return true;
}

size_t filt_run(const struct filt *f, const struct fq_rec *recs, size_t lo, size_t hi,
                uint8_t *pass)
{
    if (f->n == 0) {
        memset(pass, 1, hi - lo);
        return hi - lo;
    }
    size_t k = 0;
    for (size_t i = lo; i < hi; i++) {
        bool m = filt_match(f, &recs[i]);
        pass[i - lo] = m;
        k += m;
    }
    return k;
}
