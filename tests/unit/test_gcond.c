/* SPDX-License-Identifier: MIT
 * Group conditions: every operator over uint, real, mixed, address,
 * prefix and set operands, the delta table of 6.3 at its edges (and near
 * 2^64, where a wrapping difference would lie), bitAND/bitOR, Allen terms
 * between two bound branches, and the CNF structure (NOT, OR, AND, empty).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "gcond.h"

static struct fq_expr gf(int branch, int gfield, enum fq_vtype t)
{
    return (struct fq_expr){.kind = X_GFIELD, .type = t, .width = 64, .branch = branch,
                            .gfield = gfield};
}

static struct fq_expr cst(uint64_t u)
{
    return (struct fq_expr){.kind = X_CONST, .type = VT_UINT, .width = 64, .u = u};
}

static struct fq_expr pfx(uint32_t net, unsigned plen)
{
    return (struct fq_expr){.kind = X_PREFIX, .type = VT_PREFIX, .u = net, .plen = plen};
}

static struct fq_term cmp(struct fq_expr l, enum fq_op op, struct fq_expr r)
{
    return (struct fq_term){.kind = T_CMP, .op = op, .l = l, .r = r};
}

static struct fq_term cmpd(struct fq_expr l, enum fq_op op, struct fq_expr r, uint64_t d)
{
    struct fq_term t = cmp(l, op, r);
    t.has_delta = true, t.delta = d;
    return t;
}

/* x op y [delta d] on two uint constants */
static bool u(uint64_t x, enum fq_op op, uint64_t y)
{
    struct fq_term t = cmp(cst(x), op, cst(y));
    return gcond_term(&t, NULL);
}

static bool ud(uint64_t x, enum fq_op op, uint64_t y, uint64_t d)
{
    struct fq_term t = cmpd(cst(x), op, cst(y), d);
    return gcond_term(&t, NULL);
}

START_TEST(uint_plain)
{
    ck_assert(u(3, OP_EQ, 3) && !u(3, OP_EQ, 4));
    ck_assert(u(3, OP_NE, 4) && !u(3, OP_NE, 3));
    ck_assert(u(3, OP_LT, 4) && !u(3, OP_LT, 3) && !u(4, OP_LT, 3));
    ck_assert(u(3, OP_LE, 3) && u(3, OP_LE, 4) && !u(4, OP_LE, 3));
    ck_assert(u(4, OP_GT, 3) && !u(3, OP_GT, 3));
    ck_assert(u(3, OP_GE, 3) && !u(3, OP_GE, 4));
    ck_assert(u(UINT64_MAX, OP_GT, 0) && u(0, OP_LT, UINT64_MAX));
}
END_TEST

START_TEST(uint_delta)
{
    ck_assert(ud(10, OP_EQ, 12, 2) && ud(12, OP_EQ, 10, 2) && !ud(10, OP_EQ, 13, 2));
    ck_assert(!ud(13, OP_EQ, 10, 2) && ud(5, OP_EQ, 5, 0));
    ck_assert(ud(10, OP_NE, 13, 2) && !ud(10, OP_NE, 12, 2) && !ud(12, OP_NE, 10, 2));
    ck_assert(ud(10, OP_LT, 12, 2) && !ud(10, OP_LT, 13, 2) && !ud(10, OP_LT, 10, 2));
    ck_assert(!ud(12, OP_LT, 10, 5));
    ck_assert(ud(10, OP_LE, 10, 0) && ud(10, OP_LE, 12, 2) && !ud(10, OP_LE, 13, 2));
    ck_assert(!ud(11, OP_LE, 10, 5));
    ck_assert(ud(12, OP_GT, 10, 2) && !ud(13, OP_GT, 10, 2) && !ud(10, OP_GT, 10, 2));
    ck_assert(!ud(10, OP_GT, 12, 5));
    ck_assert(ud(10, OP_GE, 10, 0) && ud(12, OP_GE, 10, 2) && !ud(13, OP_GE, 10, 2));
    ck_assert(!ud(10, OP_GE, 11, 5));
    /* a wrapping y - x would be small here */
    ck_assert(!ud(UINT64_MAX, OP_EQ, 0, 1) && !ud(0, OP_EQ, UINT64_MAX, 1));
    ck_assert(!ud(UINT64_MAX, OP_LT, 0, 1) && !ud(0, OP_GT, UINT64_MAX, 1));
    ck_assert(ud(UINT64_MAX, OP_NE, 0, 1));
    ck_assert(ud(0, OP_EQ, UINT64_MAX, UINT64_MAX) && ud(0, OP_LT, UINT64_MAX, UINT64_MAX));
    ck_assert(!ud(0, OP_LT, UINT64_MAX, UINT64_MAX - 1));
}
END_TEST

/* Branch 0: [uint 7, real 2.5, real 7.0, real NaN, set {1,5,9}, set {1,5,9}, set {}] */
static struct fq_set *mkset(size_t n, const uint64_t *v)
{
    struct fq_set *s = malloc(sizeof *s + n * sizeof s->v[0]);
    s->n = n;
    for (size_t i = 0; i < n; i++)
        s->v[i] = v[i];
    return s;
}

START_TEST(reals)
{
    union fq_val row[4] = {{.u = 7}, {.d = 2.5}, {.d = 7.0}, {.d = NAN}};
    const union fq_val *rows[1] = {row};
    struct fq_term t;

    t = cmp(gf(0, 1, VT_REAL), OP_LT, cst(3));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_REAL), OP_GT, cst(2));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 2, VT_REAL), OP_EQ, gf(0, 0, VT_UINT));   /* 7.0 = 7 */
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_UINT), OP_GE, gf(0, 2, VT_REAL));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_REAL), OP_EQ, cst(2));
    ck_assert(!gcond_term(&t, rows));
    t = cmpd(gf(0, 1, VT_REAL), OP_EQ, cst(2), 0);          /* |2.5 - 2| > 0 */
    ck_assert(!gcond_term(&t, rows));
    t = cmpd(gf(0, 1, VT_REAL), OP_EQ, cst(2), 1);
    ck_assert(gcond_term(&t, rows));
    t = cmpd(gf(0, 1, VT_REAL), OP_NE, cst(2), 1);
    ck_assert(!gcond_term(&t, rows));
    t = cmpd(gf(0, 1, VT_REAL), OP_LT, cst(3), 1);          /* 0.5 apart */
    ck_assert(gcond_term(&t, rows));
    t = cmpd(gf(0, 1, VT_REAL), OP_LT, cst(4), 1);          /* 1.5 apart */
    ck_assert(!gcond_term(&t, rows));
    t = cmpd(gf(0, 1, VT_REAL), OP_GT, cst(1), 1);          /* 1.5 apart */
    ck_assert(!gcond_term(&t, rows));
    t = cmpd(gf(0, 1, VT_REAL), OP_GE, cst(2), 1);
    ck_assert(gcond_term(&t, rows));
    /* NaN: only a plain != holds */
    t = cmp(gf(0, 3, VT_REAL), OP_EQ, gf(0, 3, VT_REAL));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 3, VT_REAL), OP_NE, cst(1));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 3, VT_REAL), OP_LT, cst(1));
    ck_assert(!gcond_term(&t, rows));
    t = cmpd(gf(0, 3, VT_REAL), OP_NE, cst(1), 1);
    ck_assert(!gcond_term(&t, rows));
}
END_TEST

START_TEST(sets)
{
    uint64_t a[] = {1, 5, 9};
    struct fq_set *s1 = mkset(3, a), *s2 = mkset(3, a), *s3 = mkset(2, a), *e = mkset(0, a);
    union fq_val row[7] = {{.u = 5}, {.u = 6}, {.set = s1}, {.set = s2}, {.set = s3},
                           {.set = e}, {.d = 9.0}};
    const union fq_val *rows[1] = {row};
    struct fq_term t;

    t = cmp(gf(0, 0, VT_UINT), OP_IN, gf(0, 2, VT_SET));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_UINT), OP_IN, gf(0, 2, VT_SET));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_UINT), OP_NOTIN, gf(0, 2, VT_SET));
    ck_assert(gcond_term(&t, rows));
    t = cmp(cst(9), OP_IN, gf(0, 2, VT_SET));
    ck_assert(gcond_term(&t, rows));
    t = cmp(cst(9), OP_IN, gf(0, 4, VT_SET));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(cst(1), OP_IN, gf(0, 5, VT_SET));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(cst(0), OP_NOTIN, gf(0, 5, VT_SET));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 6, VT_REAL), OP_IN, gf(0, 2, VT_SET));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 2, VT_SET), OP_EQ, gf(0, 3, VT_SET));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 2, VT_SET), OP_NE, gf(0, 3, VT_SET));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 2, VT_SET), OP_EQ, gf(0, 4, VT_SET));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 2, VT_SET), OP_NE, gf(0, 4, VT_SET));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 5, VT_SET), OP_EQ, gf(0, 5, VT_SET));
    ck_assert(gcond_term(&t, rows));
    free(s1), free(s2), free(s3), free(e);
}
END_TEST

START_TEST(prefixes)
{
    union fq_val row[2] = {{.u = 0x0a010203}, {.u = 0xc0a80001}};   /* 10.1.2.3, 192.168.0.1 */
    const union fq_val *rows[1] = {row};
    struct fq_term t;

    t = cmp(gf(0, 0, VT_ADDR), OP_IN, pfx(0x0a000000, 8));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_ADDR), OP_IN, pfx(0x0a000000, 8));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_ADDR), OP_NOTIN, pfx(0x0a000000, 8));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_IN, pfx(0x0a010200, 24));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_IN, pfx(0x0a010300, 24));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_IN, pfx(0x0a010203, 32));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_IN, pfx(0x0a010202, 32));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_ADDR), OP_IN, pfx(0, 0));              /* /0 matches all */
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_ADDR), OP_NOTIN, pfx(0, 0));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 1, VT_ADDR), OP_IN, pfx(0x80000000, 1));
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_IN, pfx(0x80000000, 1));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_EQ, pfx(0x0a000000, 8));     /* '=' is 'in' */
    ck_assert(gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_NE, pfx(0x0a000000, 8));
    ck_assert(!gcond_term(&t, rows));
    t = cmp(gf(0, 0, VT_ADDR), OP_LT, gf(0, 1, VT_ADDR));      /* ordered as numbers */
    ck_assert(gcond_term(&t, rows));
}
END_TEST

START_TEST(bitops)
{
    union fq_val row[2] = {{.u = 0x13}, {.u = 0x02}};
    const union fq_val *rows[1] = {row};
    struct fq_expr and2[2] = {gf(0, 0, VT_UINT), cst(0x12)};
    struct fq_expr and3[3] = {gf(0, 0, VT_UINT), cst(0x12), cst(0x02)};
    struct fq_expr or2[2] = {gf(0, 1, VT_UINT), cst(0x40)};
    struct fq_expr e = {.kind = X_BITAND, .type = VT_UINT, .width = 8, .args = and2, .nargs = 2};
    struct fq_term t = cmp(e, OP_EQ, cst(0x12));

    ck_assert(gcond_term(&t, rows));
    t.r = cst(0x13);
    ck_assert(!gcond_term(&t, rows));
    t.l.args = and3, t.l.nargs = 3, t.r = cst(0x02);
    ck_assert(gcond_term(&t, rows));
    t.l = (struct fq_expr){.kind = X_BITOR, .type = VT_UINT, .width = 8, .args = or2, .nargs = 2};
    t.r = cst(0x42);
    ck_assert(gcond_term(&t, rows));
    t.op = OP_GT, t.r = cst(0x41);
    ck_assert(gcond_term(&t, rows));
}
END_TEST

static struct fq_term allen(int bx, enum fq_allen rel, int by)
{
    return (struct fq_term){.kind = T_ALLEN, .rel = rel, .bx = bx, .by = by};
}

START_TEST(allen_terms)
{
    /* branch 0: [100, 200]; branch 2: [200, 300]; branch 1 unbound */
    union fq_val a[3] = {{.u = 100}, {.u = 200}, {.u = 1}};
    union fq_val c[3] = {{.u = 200}, {.u = 300}, {.u = 1}};
    const union fq_val *rows[3] = {a, NULL, c};
    struct fq_term t = allen(0, AL_MEETS, 2);

    ck_assert(gcond_term(&t, rows));
    t = allen(2, AL_METBY, 0);
    ck_assert(gcond_term(&t, rows));
    t = allen(0, AL_BEFORE, 2);
    ck_assert(!gcond_term(&t, rows));
    t.negate = true;
    ck_assert(gcond_term(&t, rows));
    c[0].u = 250;
    t = allen(0, AL_BEFORE, 2);
    ck_assert(gcond_term(&t, rows));
    t.has_delta = true, t.delta = 49;
    ck_assert(!gcond_term(&t, rows));
    t.delta = 50;
    ck_assert(gcond_term(&t, rows));
    t = allen(2, AL_AFTER, 0);
    t.has_delta = true, t.delta = 50;
    ck_assert(gcond_term(&t, rows));
    c[0].u = 150;
    t = allen(0, AL_OVERLAPS, 2);
    ck_assert(gcond_term(&t, rows));
    t = allen(2, AL_OVERLAPPEDBY, 0);
    ck_assert(gcond_term(&t, rows));
    t = allen(0, AL_DURING, 2);
    ck_assert(!gcond_term(&t, rows));
}
END_TEST

START_TEST(cnf_structure)
{
    union fq_val row[1] = {{.u = 5}};
    const union fq_val *rows[1] = {row};
    struct fq_term eq5 = cmp(gf(0, 0, VT_UINT), OP_EQ, cst(5));
    struct fq_term eq6 = cmp(gf(0, 0, VT_UINT), OP_EQ, cst(6));
    struct fq_term not5 = eq5, not6 = eq6;
    not5.negate = not6.negate = true;

    struct fq_term c1[2] = {eq6, eq5}, c2[1] = {not6}, c3[2] = {eq6, not5};
    struct fq_clause cl[3] = {{c1, 2}, {c2, 1}, {c3, 2}};
    struct fq_cnf cnf = {.name = "t", .clauses = cl, .n = 2};

    ck_assert(gcond_clause(&cl[0], rows));      /* 6 OR 5 */
    ck_assert(gcond_clause(&cl[1], rows));      /* NOT 6 */
    ck_assert(!gcond_clause(&cl[2], rows));     /* 6 OR NOT 5 */
    ck_assert(gcond_cnf(&cnf, rows));
    cnf.n = 3;
    ck_assert(!gcond_cnf(&cnf, rows));
    row[0].u = 6;                                /* clause 2 fails now */
    ck_assert(!gcond_cnf(&cnf, rows));
    cnf.n = 0;
    ck_assert(gcond_cnf(&cnf, rows));           /* empty CNF accepts */
    ck_assert(gcond_cnf(NULL, rows));
    struct fq_clause empty = {NULL, 0};
    ck_assert(!gcond_clause(&empty, rows));     /* empty OR is false */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gcond");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, uint_plain);
    tcase_add_test(tc, uint_delta);
    tcase_add_test(tc, reals);
    tcase_add_test(tc, sets);
    tcase_add_test(tc, prefixes);
    tcase_add_test(tc, bitops);
    tcase_add_test(tc, allen_terms);
    tcase_add_test(tc, cnf_structure);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
