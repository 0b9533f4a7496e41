/* SPDX-License-Identifier: MIT
 * Unit tests of the reference evaluator (tests/tools/refeval.c) on hand-built
 * compiled queries: the reference must itself be right before it judges
 * the engine.  Expected values are worked out by hand from LANGUAGE.md.
 */
#define REFEVAL_LIBRARY
#include "../tools/refeval.c"

#include <check.h>

static struct fq_rec mkrec(uint64_t id, uint64_t st, uint64_t et, uint32_t src, uint16_t dport,
                           uint32_t bytes) {
    struct fq_rec r;
    memset(&r, 0, sizeof r);
    r.rec_id = id;
    r.stime = st;
    r.etime = et;
    r.srcip = src;
    r.dstport = dport;
    r.bytes = bytes;
    r.duration = (uint32_t)(et - st);
    return r;
}

static struct fq_gfield gf(const char *name, enum fq_aggfn fn, enum fq_field f, int module,
                           enum fq_vtype type, enum fq_vtype elem) {
    struct fq_gfield g = {name, fn, f, module, type, elem, 64};
    return g;
}

static void defaults(struct fq_gfield *g) {
    g[0] = gf("stime", AGG_MIN, F_STIME, -1, VT_TIME, VT_TIME);
    g[1] = gf("etime", AGG_MAX, F_ETIME, -1, VT_TIME, VT_TIME);
    g[2] = gf("records", AGG_UNION, F_REC_ID, -1, VT_SET, VT_UINT);
}

/* Runs the branch stages of branch 0 of q over recs. */
static void run_branch(struct ref_ctx *c, const struct fq_query *q, const struct fq_rec *recs,
                       size_t n) {
    memset(c, 0, sizeof *c);
    c->q = q;
    c->recs = recs;
    c->n = n;
    c->br = xcalloc(q->nbranches, sizeof *c->br);
    for (size_t b = 0; b < q->nbranches; b++)
        ref_branch(c, b);
}

static void free_ctx(struct ref_ctx *c) {
    for (size_t b = 0; b < c->q->nbranches; b++) {
        for (size_t g = 0; g < c->br[b].ng; g++) {
            free(c->br[b].g[g].mem);
            free(c->br[b].g[g].match);
        }
        free(c->br[b].g);
        free(c->br[b].val);
        free(c->br[b].kept);
    }
    free(c->br);
    for (size_t i = 0; i < c->npool; i++)
        free(c->pool[i]);
    free(c->pool);
}

START_TEST(aggregates_over_one_group) {
    /* no module: one group of all records */
    struct fq_rec r[4] = {
        mkrec(0, 3000, 3500, 1, 80, 10),
        mkrec(1, 1000, 4000, 2, 443, 0xffffffffu),
        mkrec(2, 2000, 2000, 3, 80, 0xffffffffu),
        mkrec(3, 1000, 1200, 4, 53, 30),
    };
    struct fq_grouper gr = {"G", NULL, 0};
    struct fq_gfield g[14];
    defaults(g);
    g[3] = gf("n", AGG_COUNT, F_REC_ID, -1, VT_UINT, VT_UINT);
    g[4] = gf("sum", AGG_SUM, F_BYTES, -1, VT_UINT, VT_UINT);
    g[5] = gf("med", AGG_MEDIAN, F_DSTPORT, -1, VT_UINT, VT_UINT);
    g[6] = gf("avg", AGG_AVG, F_DURATION, -1, VT_REAL, VT_REAL);
    g[7] = gf("sd", AGG_STDDEV, F_DURATION, -1, VT_REAL, VT_REAL);
    g[8] = gf("prod", AGG_PROD, F_BYTES, -1, VT_UINT, VT_UINT);
    g[9] = gf("u", AGG_UNION, F_DSTPORT, -1, VT_SET, VT_UINT);
    g[10] = gf("first", AGG_PLAIN, F_SRCIP, -1, VT_ADDR, VT_ADDR);
    g[11] = gf("mx", AGG_MAX, F_SRCIP, -1, VT_ADDR, VT_ADDR);
    g[12] = gf("x", AGG_BITXOR, F_DSTPORT, -1, VT_UINT, VT_UINT);
    g[13] = gf("mn", AGG_MIN, F_DURATION, -1, VT_UINT, VT_UINT);
    struct fq_branch b = {"A", NULL, &gr, g, 14, NULL};
    struct fq_query q = {&b, 1, NULL, 0, 0, NULL};
    struct ref_ctx c;
    run_branch(&c, &q, r, 4);
    ck_assert_uint_eq(c.br[0].ng, 1);
    const union fq_val *v = c.br[0].val;
    ck_assert_uint_eq(v[0].u, 1000);
    ck_assert_uint_eq(v[1].u, 4000);
    ck_assert_uint_eq(v[2].set->n, 4);
    ck_assert_uint_eq(v[3].u, 4);
    ck_assert_uint_eq(v[4].u, 40 + 2 * (uint64_t)0xffffffffu);
    /* ports sorted 53 80 80 443: w[floor(4/2)] = w[2] = 80 */
    ck_assert_uint_eq(v[5].u, 80);
    /* durations 500 3000 0 200: mean 925, population variance
     * (425^2 + 2075^2 + 925^2 + 725^2) / 4 = 1466875 */
    ck_assert(v[6].d == 925.0);
    ck_assert(fabs(v[7].d - sqrt(1466875.0)) < 1e-9);
    ck_assert_uint_eq(v[8].u, UINT64_MAX); /* saturated */
    ck_assert_uint_eq(v[9].set->n, 3);
    ck_assert_uint_eq(v[9].set->v[0], 53);
    ck_assert_uint_eq(v[9].set->v[1], 80);
    ck_assert_uint_eq(v[9].set->v[2], 443);
    /* first member by (stime, rec_id): rec 1 (stime 1000, id 1 < 3) */
    ck_assert_uint_eq(v[10].u, 2);
    ck_assert_uint_eq(v[11].u, 4);
    ck_assert_uint_eq(v[12].u, 80u ^ 443u ^ 80u ^ 53u);
    ck_assert_uint_eq(v[13].u, 0);
    free_ctx(&c);
}
END_TEST

START_TEST(grouper_oldest_group_and_rdelta_chain) {
    /* module k: srcip = srcip; module t: etime < stime rdelta 1000.
     * In (stime, rec_id) order: r0 [0,100] src 1 founds g0; r1 [500,600]
     * src 2: not k, t: 100 < 500, gap 400 -> g0 (matched t only); r2
     * [2000,2100] src 1: k with g0's first (src 1) -> g0; r3 [5000,5000]
     * src 3: k no, t: last is r2, 2100 < 5000 but gap 2900 > 1000 -> g1. */
    struct fq_rec r[4] = {
        mkrec(0, 0, 100, 1, 0, 1),
        mkrec(1, 500, 600, 2, 0, 2),
        mkrec(2, 2000, 2100, 1, 0, 4),
        mkrec(3, 5000, 5000, 3, 0, 8),
    };
    struct fq_grule rk[1] = {{F_SRCIP, F_SRCIP, OP_EQ, D_NONE, 0}};
    struct fq_grule rt[1] = {{F_ETIME, F_STIME, OP_LT, D_REL, 1000}};
    struct fq_gmodule mods[2] = {{"k", rk, 1}, {"t", rt, 1}};
    struct fq_grouper gr = {"G", mods, 2};
    struct fq_gfield g[6];
    defaults(g);
    g[3] = gf("kb", AGG_SUM, F_BYTES, 0, VT_UINT, VT_UINT);
    g[4] = gf("tb", AGG_SUM, F_BYTES, 1, VT_UINT, VT_UINT);
    g[5] = gf("b", AGG_SUM, F_BYTES, -1, VT_UINT, VT_UINT);
    struct fq_branch b = {"A", NULL, &gr, g, 6, NULL};
    struct fq_query q = {&b, 1, NULL, 0, 0, NULL};
    struct ref_ctx c;
    run_branch(&c, &q, r, 4);
    ck_assert_uint_eq(c.br[0].ng, 2);
    ck_assert_uint_eq(c.br[0].g[0].n, 3);
    ck_assert_uint_eq(c.br[0].g[1].n, 1);
    const union fq_val *v = c.br[0].val;
    /* founder counts in every module: kb = 1 + 4, tb = 1 + 2 */
    ck_assert_uint_eq(v[3].u, 5);
    ck_assert_uint_eq(v[4].u, 3);
    ck_assert_uint_eq(v[5].u, 7);
    ck_assert_uint_eq(v[6 + 5].u, 8);
    free_ctx(&c);
}
END_TEST

START_TEST(filter_prefix_delta_and_refs) {
    struct fq_rec r = mkrec(0, 1000, 1300, 0x0a000105u, 80, 100);
    struct ref_env e = {NULL, &r, NULL, NULL};
    struct fq_term t;
    memset(&t, 0, sizeof t);
    t.kind = T_CMP;
    t.op = OP_IN;
    t.l.kind = X_FIELD;
    t.l.field = F_SRCIP;
    t.r.kind = X_PREFIX;
    t.r.type = VT_PREFIX;
    t.r.u = 0x0a000100u;
    t.r.plen = 24;
    ck_assert(ref_term(&e, &t));
    t.r.plen = 30;
    t.r.u = 0x0a000104u;
    ck_assert(ref_term(&e, &t));
    t.r.u = 0x0a000108u;
    ck_assert(!ref_term(&e, &t));
    t.r.plen = 0;
    t.r.u = 0;
    ck_assert(ref_term(&e, &t)); /* /0 holds everything */
    t.op = OP_NOTIN;
    ck_assert(!ref_term(&e, &t));
    /* duration 300 < 400 delta 99: ordered but 100 apart */
    t.op = OP_LT;
    t.l.field = F_DURATION;
    t.r.kind = X_CONST;
    t.r.u = 400;
    t.has_delta = true;
    t.delta = 99;
    ck_assert(!ref_term(&e, &t));
    t.delta = 100;
    ck_assert(ref_term(&e, &t));
    /* = with delta is a tolerance either way, no wrap-around */
    t.op = OP_EQ;
    t.r.u = 200;
    ck_assert(ref_term(&e, &t));
    t.r.u = 199;
    ck_assert(!ref_term(&e, &t));
    t.op = OP_NE;
    ck_assert(ref_term(&e, &t));
    t.negate = true;
    ck_assert(!ref_term(&e, &t));
    /* a filter reference: NOT (dstport = 80) fails */
    struct fq_term in;
    memset(&in, 0, sizeof in);
    in.kind = T_CMP;
    in.op = OP_EQ;
    in.l.kind = X_FIELD;
    in.l.field = F_DSTPORT;
    in.r.kind = X_CONST;
    in.r.u = 80;
    struct fq_clause cl = {&in, 1};
    struct fq_cnf ref = {"H", &cl, 1};
    struct fq_term rt;
    memset(&rt, 0, sizeof rt);
    rt.kind = T_REF;
    rt.ref = &ref;
    ck_assert(ref_term(&e, &rt));
    rt.negate = true;
    ck_assert(!ref_term(&e, &rt));
}
END_TEST

START_TEST(allen_boundaries) {
    /* zero-length x = [10,10] against [10,20]: meets and starts both hold */
    ck_assert(ref_allen(AL_MEETS, 10, 10, 10, 20, false, 0));
    ck_assert(ref_allen(AL_STARTS, 10, 10, 10, 20, false, 0));
    ck_assert(!ref_allen(AL_BEFORE, 10, 10, 10, 20, false, 0));
    ck_assert(!ref_allen(AL_OVERLAPS, 10, 10, 10, 20, false, 0));
    /* before with a maximum gap */
    ck_assert(ref_allen(AL_BEFORE, 0, 10, 15, 20, false, 0));
    ck_assert(ref_allen(AL_BEFORE, 0, 10, 15, 20, true, 5));
    ck_assert(!ref_allen(AL_BEFORE, 0, 10, 15, 20, true, 4));
    ck_assert(ref_allen(AL_AFTER, 15, 20, 0, 10, true, 5));
    /* tolerance on meets, in both directions */
    ck_assert(ref_allen(AL_MEETS, 0, 12, 10, 20, true, 2));
    ck_assert(ref_allen(AL_MEETS, 0, 8, 10, 20, true, 2));
    ck_assert(!ref_allen(AL_MEETS, 0, 7, 10, 20, true, 2));
    ck_assert(ref_allen(AL_OVERLAPS, 0, 15, 10, 20, false, 0));
    ck_assert(ref_allen(AL_OVERLAPPEDBY, 10, 20, 0, 15, false, 0));
    ck_assert(ref_allen(AL_DURING, 11, 19, 10, 20, false, 0));
    ck_assert(!ref_allen(AL_DURING, 10, 19, 10, 20, false, 0));
    ck_assert(ref_allen(AL_CONTAINS, 10, 20, 11, 19, false, 0));
    ck_assert(ref_allen(AL_FINISHES, 12, 20, 10, 20, false, 0));
    ck_assert(ref_allen(AL_FINISHEDBY, 10, 20, 12, 20, false, 0));
    ck_assert(ref_allen(AL_STARTEDBY, 10, 20, 10, 15, false, 0));
    ck_assert(ref_allen(AL_EQUALS, 10, 20, 11, 19, true, 1));
    ck_assert(!ref_allen(AL_EQUALS, 10, 20, 11, 19, false, 0));
    /* proper intervals, d = 0: exactly one of the 13 */
    for (uint64_t ys = 0; ys < 6; ys++)
        for (uint64_t ye = ys + 1; ye < 7; ye++) {
            int k = 0;
            for (int rel = AL_BEFORE; rel <= AL_EQUALS; rel++)
                k += ref_allen((enum fq_allen)rel, 2, 4, ys, ye, false, 0);
            ck_assert_int_eq(k, 1);
        }
}
END_TEST

START_TEST(merger_difference_and_output) {
    /* A: singletons of r0 (src 1), r1 (src 2); B: r2 (src 2).  Export m0
     * [A]; m1 [A, B] with A.srcip = B.srcip removes A's group of src 2. */
    struct fq_rec r[3] = {
        mkrec(0, 100, 200, 1, 0, 0),
        mkrec(1, 50, 60, 2, 0, 0),
        mkrec(2, 0, 10, 2, 0, 0),
    };
    struct fq_gfield ga[4], gb[4];
    defaults(ga);
    defaults(gb);
    ga[3] = gf("srcip", AGG_PLAIN, F_SRCIP, -1, VT_ADDR, VT_ADDR);
    gb[3] = ga[3];
    struct fq_cnf fa = {"FA", NULL, 0};
    struct fq_term keep; /* B's filter: srcip = 2 */
    memset(&keep, 0, sizeof keep);
    keep.kind = T_CMP;
    keep.op = OP_EQ;
    keep.l.kind = X_FIELD;
    keep.l.field = F_SRCIP;
    keep.r.kind = X_CONST;
    keep.r.u = 2;
    struct fq_clause kc = {&keep, 1};
    struct fq_cnf fb = {"FB", &kc, 1};
    struct fq_branch br[2] = {{"A", &fa, NULL, ga, 4, NULL}, {"B", &fb, NULL, gb, 4, NULL}};
    struct fq_term eq;
    memset(&eq, 0, sizeof eq);
    eq.kind = T_CMP;
    eq.op = OP_EQ;
    eq.l.kind = X_GFIELD;
    eq.l.branch = 0;
    eq.l.gfield = 3;
    eq.r.kind = X_GFIELD;
    eq.r.branch = 1;
    eq.r.gfield = 3;
    struct fq_clause ec = {&eq, 1};
    int m0b[1] = {0}, m1b[2] = {0, 1};
    struct fq_mmodule mods[2] = {{"m0", m0b, 1, {"m0", NULL, 0}}, {"m1", m1b, 2, {"m1", &ec, 1}}};
    struct fq_query q = {br, 2, mods, 2, 0, NULL};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    static const enum fq_field cols[] = {F_REC_ID, F_SRCIP};
    struct out_opts oo = {.fmt = FMT_CSV, .tfmt = TFMT_EPOCH, .fields = cols, .nfields = 2};
    struct fq_error err = {0};
    struct out *o = out_open(fp, &oo, &err);
    struct engine_stats st = {0};
    ck_assert_int_eq(ref_run(&q, r, 3, false, o, &st, &err), FQ_OK);
    ck_assert_int_eq(out_close(o, &err), FQ_OK);
    fclose(fp);
    ck_assert_str_eq(buf, "rec_id,srcip\n0,0.0.0.1\n");
    ck_assert_uint_eq(st.tuples, 1);
    ck_assert_uint_eq(st.branch[0].groups, 3);
    ck_assert_uint_eq(st.branch[1].filtered, 2);
    free(st.branch);
    free(buf);
    /* -g: the kept tuple is A's group 2 (creation order by stime: r2, r1, r0) */
    buf = NULL;
    fp = open_memstream(&buf, &len);
    struct out_opts og = {.fmt = FMT_CSV, .tfmt = TFMT_EPOCH};
    o = out_open(fp, &og, &err);
    ck_assert_int_eq(ref_run(&q, r, 3, true, o, &st, &err), FQ_OK);
    ck_assert_int_eq(out_close(o, &err), FQ_OK);
    fclose(fp);
    ck_assert_str_eq(buf, "tuple,branch,group,stime,etime,records,srcip\n"
                          "0,A,2,100,200,0,0.0.0.1\n");
    free(st.branch);
    free(buf);
}
END_TEST

int main(void) {
    Suite *s = suite_create("refeval");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, aggregates_over_one_group);
    tcase_add_test(tc, grouper_oldest_group_and_rdelta_chain);
    tcase_add_test(tc, filter_prefix_delta_and_refs);
    tcase_add_test(tc, allen_boundaries);
    tcase_add_test(tc, merger_difference_and_output);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
