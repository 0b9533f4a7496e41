/* SPDX-License-Identifier: MIT
 * Grouper: fixed cases (keys, keys across different fields, rdelta
 * chains, retirement, modules and their masks, no module, no grouper) and
 * a randomized comparison with LANGUAGE.md 7.3's nested loops written out
 * plainly here, over thousands of small random groupers and traces.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "grouper.h"
#include "rows.h"

/* grouper_run over recs as full rows (kept indices into recs[0..n)). */
static void run_recs(const struct fq_grouper *g, const struct fq_rec *recs, size_t n,
                     const uint32_t *kept, size_t nk, bool masks, unsigned threads,
                     struct grouping *gr)
{
    struct fq_rows R;
    rows_wrap(&R, recs, n);
    grouper_run(g, &R, kept, nk, masks, threads, gr);
}

/* ---- the normative algorithm, as plainly as possible */

struct bgroup {
    uint32_t mem[64];
    uint64_t mask[64];
    size_t n;
};

static bool brute_rule(const struct fq_grule *ru, const struct fq_rec *ref, const struct fq_rec *c)
{
    uint64_t x = rec_get(ref, ru->l), y = rec_get(c, ru->r);
    return ru->dk == D_NONE ? fq_cmp(ru->op, x, y) : fq_cmp_delta(ru->op, x, y, ru->delta);
}

static size_t brute(const struct fq_grouper *g, const struct fq_rec *recs, size_t n,
                    struct bgroup *gs)
{
    size_t ng = 0;
    size_t nm = g->nmodules;
    for (size_t p = 0; p < n; p++) {
        const struct fq_rec *c = &recs[p];
        bool joined = false;
        for (size_t k = 0; k < ng && !joined; k++) {
            uint64_t mask = 0;
            for (size_t m = 0; m < (nm ? nm : 1); m++) {
                bool ok = true;
                for (size_t j = 0; nm && j < g->modules[m].n && ok; j++) {
                    const struct fq_grule *ru = &g->modules[m].rules[j];
                    ok = brute_rule(ru, &recs[ru->dk == D_REL ? gs[k].mem[gs[k].n - 1]
                                                              : gs[k].mem[0]], c);
                }
                if (ok)
                    mask |= 1ULL << m;
            }
            if (mask) {
                gs[k].mem[gs[k].n] = (uint32_t)p;
                gs[k].mask[gs[k].n++] = mask;
                joined = true;
            }
        }
        if (!joined) {
            gs[ng].n = 1;
            gs[ng].mem[0] = (uint32_t)p;
            gs[ng++].mask[0] = ~0ULL;
        }
    }
    return ng;
}

/* Compare grouper_run (identity kept list) with the brute force. */
static void check_same(const struct fq_grouper *g, const struct fq_rec *recs, size_t n)
{
    static struct bgroup gs[64];
    uint32_t kept[64];
    for (size_t i = 0; i < n; i++)
        kept[i] = (uint32_t)i;
    size_t ng = brute(g, recs, n, gs);
    /* full rows, then rows of only the rule fields: the same groups */
    struct fq_rows narrow;
    bool need[F_COUNT] = {0};
    for (size_t m = 0; g && m < g->nmodules; m++)
        for (size_t j = 0; j < g->modules[m].n; j++)
            need[g->modules[m].rules[j].l] = need[g->modules[m].rules[j].r] = true;
    rows_init(&narrow, need);
    rows_append(&narrow, recs, n);
    for (int pass = 0; pass < 2; pass++) {
        struct grouping gr;
        if (pass == 0)
            run_recs(g, recs, n, kept, n, true, 1, &gr);
        else
            grouper_run(g, &narrow, kept, n, true, 1, &gr);
        ck_assert_uint_eq(gr.ngroups, ng);
        for (size_t k = 0; k < ng; k++) {
            ck_assert_uint_eq(gr.size[k], gs[k].n);
            for (size_t i = 0; i < gs[k].n; i++) {
                uint32_t p = gs[k].mem[i];
                ck_assert_uint_eq(gr.gid[p], k);
                if (i > 0 && gr.mask)
                    ck_assert_uint_eq(gr.mask[p * gr.mwords] & ((1ULL << g->nmodules) - 1),
                                      gs[k].mask[i]);
            }
        }
        grouping_free(&gr);
    }
    rows_free(&narrow);
}

static struct fq_rec mk(uint64_t stime, uint64_t etime, uint32_t sip, uint32_t dip,
                        uint16_t sport, uint16_t dport)
{
    struct fq_rec r;
    memset(&r, 0, sizeof r);
    r.stime = stime;
    r.etime = etime;
    r.srcip = sip;
    r.dstip = dip;
    r.srcport = sport;
    r.dstport = dport;
    return r;
}

START_TEST(key_groups)
{
    struct fq_rec recs[6] = {mk(1, 2, 1, 2, 0, 0), mk(2, 3, 2, 1, 0, 0), mk(3, 4, 1, 2, 0, 0),
                             mk(4, 5, 1, 3, 0, 0), mk(5, 6, 2, 1, 0, 0), mk(6, 7, 1, 2, 0, 0)};
    struct fq_grule rules[2] = {{F_SRCIP, F_SRCIP, OP_EQ, D_NONE, 0},
                                {F_DSTIP, F_DSTIP, OP_EQ, D_NONE, 0}};
    struct fq_gmodule mod = {"g1", rules, 2};
    struct fq_grouper g = {"g", &mod, 1};
    uint32_t kept[6] = {0, 1, 2, 3, 4, 5};
    struct grouping gr;
    run_recs(&g, recs, 6, kept, 6, false, 1, &gr);
    ck_assert_uint_eq(gr.ngroups, 3);
    ck_assert_uint_eq(gr.size[0], 3);
    ck_assert_uint_eq(gr.size[1], 2);
    ck_assert_uint_eq(gr.size[2], 1);
    /* members by position: 0 1 0 2 1 0 */
    static const uint32_t want[6] = {0, 1, 0, 2, 1, 0};
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(gr.gid[i], want[i]);
    grouping_free(&gr);
    check_same(&g, recs, 6);

    /* srcip of the first member = dstip of the candidate: the key of a
     * new group is its founder's srcip, not its dstip */
    struct fq_grule cross = {F_SRCIP, F_DSTIP, OP_EQ, D_NONE, 0};
    struct fq_gmodule cm = {"c", &cross, 1};
    struct fq_grouper cg = {"c", &cm, 1};
    run_recs(&cg, recs, 6, kept, 6, false, 1, &gr);
    /* rec0 (1->2) founds g0 (key 1); rec1 (2->1): dst 1 joins g0; rec2
     * (1->2): dst 2 founds g1 (key 1); rec3 (1->3) founds g2; rec4
     * (2->1) joins g0; rec5 (1->2) founds g3 */
    ck_assert_uint_eq(gr.ngroups, 4);
    ck_assert_uint_eq(gr.size[0], 3);
    static const uint32_t cwant[6] = {0, 0, 1, 2, 0, 3};
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(gr.gid[i], cwant[i]);
    grouping_free(&gr);
    check_same(&cg, recs, 6);
}
END_TEST

START_TEST(rdelta_chain_and_retirement)
{
    /* etime < stime rdelta 10: next flow starts after the previous ended,
     * at most 10 later */
    struct fq_rec recs[7] = {mk(0, 5, 0, 0, 0, 0),   mk(1, 3, 0, 0, 0, 0),  mk(8, 9, 0, 0, 0, 0),
                             mk(12, 30, 0, 0, 0, 0), mk(19, 20, 0, 0, 0, 0), mk(35, 36, 0, 0, 0, 0),
                             mk(60, 61, 0, 0, 0, 0)};
    struct fq_grule ru = {F_ETIME, F_STIME, OP_LT, D_REL, 10};
    struct fq_gmodule mod = {"m", &ru, 1};
    struct fq_grouper g = {"g", &mod, 1};
    uint32_t kept[7] = {0, 1, 2, 3, 4, 5, 6};
    struct grouping gr;
    run_recs(&g, recs, 7, kept, 7, false, 1, &gr);
    /* g0: 0(e5) 2(s8,e9) 3(s12,e30) 5(s35);  g1: 1(e3) 4(s19)? 19-3 > 10,
     * so 4 does not join g1 -- it joins g0? 30 < 19 fails; 4 founds g2 */
    ck_assert_uint_eq(gr.ngroups, 4);
    ck_assert_uint_eq(gr.size[0], 4);
    static const uint32_t want[7] = {0, 1, 0, 0, 2, 0, 3};
    for (int i = 0; i < 7; i++)
        ck_assert_uint_eq(gr.gid[i], want[i]);
    grouping_free(&gr);
    check_same(&g, recs, 7);
}
END_TEST

START_TEST(no_module_and_no_grouper)
{
    struct fq_rec recs[3] = {mk(1, 2, 1, 2, 0, 0), mk(2, 3, 5, 6, 0, 0), mk(3, 4, 7, 8, 0, 0)};
    uint32_t kept[3] = {0, 1, 2};
    struct fq_grouper g = {"g", NULL, 0};
    struct grouping gr;
    run_recs(&g, recs, 3, kept, 3, true, 1, &gr);
    ck_assert_uint_eq(gr.ngroups, 1);
    ck_assert_uint_eq(gr.size[0], 3);
    grouping_free(&gr);
    struct fq_gmodule empty[2] = {{"a", NULL, 0}, {"b", NULL, 0}};
    struct fq_grouper ge = {"g", empty, 2};
    run_recs(&ge, recs, 3, kept, 3, true, 1, &gr);
    ck_assert_uint_eq(gr.ngroups, 1);
    ck_assert_uint_eq(gr.mask[1] & 3, 3);
    grouping_free(&gr);
    run_recs(NULL, recs, 3, kept, 3, false, 1, &gr);
    ck_assert_uint_eq(gr.ngroups, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(gr.size[i], 1);
        ck_assert_uint_eq(gr.gid[i], i);
    }
    grouping_free(&gr);
    run_recs(&g, recs, 0, kept, 0, false, 1, &gr);
    ck_assert_uint_eq(gr.ngroups, 0);
    grouping_free(&gr);
}
END_TEST

/* ---- random groupers against the brute force */

static uint64_t rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % n;
}

START_TEST(random_against_brute_force)
{
    static const enum fq_field fs[] = {F_SRCIP, F_DSTIP, F_SRCPORT, F_DSTPORT, F_STIME, F_ETIME};
    struct fq_rec recs[40];
    struct fq_grule rules[4][5];
    struct fq_gmodule mods[4];
    for (int iter = 0; iter < 5000; iter++) {
        size_t n = 1 + rnd(40);
        uint64_t t = rnd(3);
        for (size_t i = 0; i < n; i++) {
            t += rnd(4);
            recs[i] = mk(t, t + rnd(6), rnd(3), rnd(3), (uint16_t)rnd(4), (uint16_t)rnd(4));
            if (rnd(10) == 0)
                recs[i].etime = t > 2 ? t - 2 : 0;
            recs[i].rec_id = i;
        }
        size_t nm = rnd(4);
        bool common_key = rnd(2);
        enum fq_field kl = fs[rnd(4)], kr = rnd(2) ? kl : fs[rnd(4)];
        for (size_t m = 0; m < nm; m++) {
            size_t nr = rnd(4);
            size_t j = 0;
            if (common_key)
                rules[m][j++] = (struct fq_grule){kl, kr, OP_EQ, D_NONE, 0};
            for (; j < nr + (common_key ? 1 : 0); j++) {
                struct fq_grule *ru = &rules[m][j];
                ru->l = fs[rnd(6)];
                ru->r = rnd(2) ? F_STIME : fs[rnd(6)];
                ru->op = (enum fq_op)rnd(6);
                ru->dk = (enum fq_dkind)rnd(3);
                ru->delta = rnd(8);
            }
            mods[m] = (struct fq_gmodule){"m", rules[m], j};
        }
        struct fq_grouper g = {"g", mods, nm};
        check_same(&g, recs, n);
    }
}
END_TEST

/* Partitioned grouping (large inputs, several threads) = one thread. */
static void same_groupings(const struct grouping *a, const struct grouping *b, size_t n)
{
    ck_assert_uint_eq(a->ngroups, b->ngroups);
    ck_assert_uint_eq(a->mwords, b->mwords);
    for (size_t k = 0; k < a->ngroups; k++) {
        ck_assert_uint_eq(a->size[k], b->size[k]);
    }
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(a->gid[i], b->gid[i]);
        for (size_t w = 0; w < a->mwords; w++)
            ck_assert_uint_eq(a->mask[i * a->mwords + w], b->mask[i * b->mwords + w]);
    }
}

START_TEST(threads_give_the_same_groups)
{
    enum { N = 300000 };
    struct fq_rec *recs = calloc(N, sizeof *recs);
    uint32_t *kept = calloc(N, sizeof *kept);
    uint64_t t = 0;
    for (size_t i = 0; i < N; i++) {
        t += rnd(3);
        recs[i] = mk(t, t + rnd(50), rnd(300), rnd(20), (uint16_t)rnd(4), (uint16_t)rnd(6));
        recs[i].rec_id = i;
        kept[i] = (uint32_t)i;
    }
    struct fq_grule r1[3] = {{F_SRCIP, F_SRCIP, OP_EQ, D_NONE, 0},
                             {F_DSTIP, F_DSTIP, OP_EQ, D_NONE, 0},
                             {F_ETIME, F_STIME, OP_LT, D_REL, 40}};
    struct fq_grule r2[2] = {{F_DSTIP, F_DSTIP, OP_EQ, D_NONE, 0},
                             {F_SRCIP, F_SRCIP, OP_EQ, D_NONE, 0}};
    struct fq_grule r3 = {F_DSTPORT, F_DSTPORT, OP_EQ, D_NONE, 0};
    struct fq_gmodule mods[2] = {{"a", r1, 3}, {"b", r2, 2}};
    struct fq_grouper gs[3] = {{"g", mods, 1}, {"g", mods, 2}, {"g", NULL, 0}};
    mods[1].rules = r2;
    for (int k = 0; k < 3; k++) {
        struct grouping one, many;
        run_recs(&gs[k], recs, N, kept, N, true, 1, &one);
        run_recs(&gs[k], recs, N, kept, N, true, 3, &many);
        same_groupings(&one, &many, N);
        grouping_free(&one);
        grouping_free(&many);
    }
    /* a module whose key is just dstport: few groups */
    struct fq_gmodule m3 = {"c", &r3, 1};
    struct fq_grouper g3 = {"g", &m3, 1};
    struct grouping one, many;
    run_recs(&g3, recs, N, kept, N, false, 1, &one);
    run_recs(&g3, recs, N, kept, N, false, 2, &many);
    ck_assert_uint_eq(one.ngroups, 6);
    same_groupings(&one, &many, N);
    grouping_free(&one);
    grouping_free(&many);
    free(recs);
    free(kept);
}
END_TEST

/* Groups by (srcip, dstip) alone are the distinct pairs in the order of
 * their first record: a partitioned grouping (past PART_MIN records, with
 * more parts than threads) must give exactly that. */
START_TEST(partitioned_equals_first_occurrence)
{
    enum { N = 400000, S = 2000, D = 50 };
    struct fq_rec *recs = calloc(N, sizeof *recs);
    uint32_t *kept = calloc(N, sizeof *kept);
    uint32_t *id = malloc(S * D * sizeof *id), *size = calloc(S * D, sizeof *size);
    memset(id, 0xff, S * D * sizeof *id);
    uint32_t *gid = calloc(N, sizeof *gid), ng = 0;
    for (size_t i = 0; i < N; i++) {
        uint32_t s = (uint32_t)rnd(S), d = (uint32_t)rnd(D);
        recs[i] = mk(i, i + 5, s, d, 80, 80);
        recs[i].rec_id = i;
        kept[i] = (uint32_t)i;
        if (id[s * D + d] == UINT32_MAX)
            id[s * D + d] = ng++;
        gid[i] = id[s * D + d];
        size[gid[i]]++;
    }
    struct fq_grule r[2] = {{F_SRCIP, F_SRCIP, OP_EQ, D_NONE, 0},
                            {F_DSTIP, F_DSTIP, OP_EQ, D_NONE, 0}};
    struct fq_gmodule m = {"a", r, 2};
    struct fq_grouper g = {"g", &m, 1};
    struct grouping gr;
    run_recs(&g, recs, N, kept, N, false, 2, &gr);
    ck_assert_uint_eq(gr.ngroups, ng);
    for (size_t i = 0; i < N; i++)
        ck_assert_uint_eq(gr.gid[i], gid[i]);
    for (uint32_t k = 0; k < ng; k++)
        ck_assert_uint_eq(gr.size[k], size[k]);
    grouping_free(&gr);
    free(recs);
    free(kept);
    free(id);
    free(size);
    free(gid);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grouper");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, key_groups);
    tcase_add_test(tc, rdelta_chain_and_retirement);
    tcase_add_test(tc, no_module_and_no_grouper);
    tcase_add_test(tc, random_against_brute_force);
    tcase_add_test(tc, threads_give_the_same_groups);
    tcase_add_test(tc, partitioned_equals_first_occurrence);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
