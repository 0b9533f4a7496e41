/* SPDX-License-Identifier: MIT
 * The merger: hand-checked cases (pass-through, equality join, Allen join,
 * difference, --max-tuples) and a differential test against a plain
 * nested-loop merger written straight from LANGUAGE.md 7.6, on thousands
 * of random modules over random small group sets (fixed seed).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcond.h"
#include "merger.h"

enum { NF = 6, MAXG = 600 };    /* fields: stime, etime, records, x, y, z (real) */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? rng % n : 0;
}

/* A query and its groups, all in one heap block list freed together. */
struct fixture {
    struct fq_query q;
    struct fq_branch br[4];
    struct fq_mmodule mod[3];
    int mb[3][4];
    struct fq_clause cl[3][4];
    struct fq_term tm[3][4][2];
    struct bgroups bg[4];
    uint32_t id[4][MAXG];
    union fq_val val[4][MAXG * NF];
};

/* Shape of the random cases: groups per branch, time span, key values. */
struct shape {
    uint64_t groups, span, len, keys;
    uint64_t improper;          /* percent of groups with stime > etime */
    bool joins;                 /* mostly plain join rules: equalities, Allen */
};

static const struct fq_set empty_set = {0};

static struct fq_expr gf(int b, int f)
{
    enum fq_vtype t = f == 5 ? VT_REAL : f <= 1 ? VT_TIME : VT_UINT;
    return (struct fq_expr){.kind = X_GFIELD, .type = t, .width = 64, .branch = b, .gfield = f};
}

static struct fq_expr cst(uint64_t u)
{
    return (struct fq_expr){.kind = X_CONST, .type = VT_UINT, .width = 64, .u = u};
}

static void set_group(struct fixture *f, int b, size_t i, uint64_t s, uint64_t e, uint64_t x,
                      uint64_t y)
{
    union fq_val *v = &f->val[b][i * NF];
    v[0].u = s, v[1].u = e, v[2].set = &empty_set, v[3].u = x, v[4].u = y;
    v[5].d = (double)x + 0.5 * (double)(y % 3);
}

static void init(struct fixture *f, size_t nbranches)
{
    memset(f, 0, sizeof *f);
    f->q.branches = f->br;
    f->q.nbranches = nbranches;
    f->q.modules = f->mod;
    for (size_t b = 0; b < nbranches; b++) {
        f->br[b].ngfields = NF;
        f->bg[b] = (struct bgroups){.nfields = NF, .id = f->id[b], .val = f->val[b]};
        for (uint32_t i = 0; i < MAXG; i++)
            f->id[b][i] = 2 * i;
    }
}

static struct fq_mmodule *module(struct fixture *f, size_t mi, size_t nb, const int *branches)
{
    struct fq_mmodule *m = &f->mod[mi];
    memcpy(f->mb[mi], branches, nb * sizeof *branches);
    m->branches = f->mb[mi];
    m->nbranches = nb;
    m->rules.clauses = f->cl[mi];
    if (mi + 1 > f->q.nmodules)
        f->q.nmodules = mi + 1;
    return m;
}

static void add_clause(struct fixture *f, size_t mi, size_t nterms, const struct fq_term *t)
{
    struct fq_mmodule *m = &f->mod[mi];
    size_t c = m->rules.n++;
    memcpy(f->tm[mi][c], t, nterms * sizeof *t);
    f->cl[mi][c] = (struct fq_clause){f->tm[mi][c], nterms};
}

/* ---- the plain reference: nested loops, as 7.6 says ---- */

static bool extend(const struct fixture *f, const struct fq_mmodule *m, const bool *fixed,
                   size_t pos, const union fq_val **rows)
{
    if (pos == m->nbranches)
        return gcond_cnf(&m->rules, rows);
    int b = m->branches[pos];
    if (fixed[b])
        return extend(f, m, fixed, pos + 1, rows);
    for (size_t g = 0; g < f->bg[b].n; g++) {
        rows[b] = &f->val[b][g * NF];
        if (extend(f, m, fixed, pos + 1, rows))
            return true;
    }
    return false;
}

static void brute(const struct fixture *f, struct tuples *out)
{
    const struct fq_mmodule *em = &f->mod[f->q.export_module];
    size_t w = em->nbranches, cur[4] = {0}, cap = 0, total = 1;
    const union fq_val *rows[4] = {0};
    bool fixed[4] = {0};

    memset(out, 0, sizeof *out);
    out->width = w;
    for (size_t i = 0; i < w; i++) {
        total *= f->bg[em->branches[i]].n;
        fixed[em->branches[i]] = true;
    }
    for (size_t k = 0; k < total; k++) {
        size_t rest = k;
        for (size_t i = w; i-- > 0;) {
            size_t n = f->bg[em->branches[i]].n;
            cur[i] = rest % n, rest /= n;
            rows[em->branches[i]] = &f->val[em->branches[i]][cur[i] * NF];
        }
        if (!gcond_cnf(&em->rules, rows))
            continue;
        bool ex = false;
        for (size_t mi = 0; mi < f->q.nmodules && !ex; mi++)
            if (mi != f->q.export_module)
                ex = extend(f, &f->mod[mi], fixed, 0, rows);
        if (ex)
            continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            out->g = realloc(out->g, cap * w * sizeof *out->g);
        }
        for (size_t i = 0; i < w; i++)
            out->g[out->n * w + i] = (uint32_t)cur[i];
        out->n++;
    }
}

static void assert_same(const struct tuples *a, const struct tuples *b, unsigned iter)
{
    ck_assert_msg(a->n == b->n, "iteration %u: %zu tuples, reference %zu", iter, a->n, b->n);
    ck_assert_uint_eq(a->width, b->width);
    if (a->n)
        ck_assert_msg(memcmp(a->g, b->g, a->n * a->width * sizeof *a->g) == 0,
                      "iteration %u: tuples differ", iter);
}

struct sink {
    struct tuples t;
    size_t cap, stop_after;     /* stop_after: return FQ_E_PIPE then (0 = never) */
};

static int sink(void *ctx, const uint32_t *g)
{
    struct sink *k = ctx;
    struct tuples *t = &k->t;

    if (t->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        t->g = realloc(t->g, k->cap * t->width * sizeof *t->g);
    }
    memcpy(t->g + t->n * t->width, g, t->width * sizeof *g);
    t->n++;
    return k->stop_after && t->n == k->stop_after ? FQ_E_PIPE : FQ_OK;
}

static int tuple_order(const void *a, const void *b, void *width)
{
    const uint32_t *x = a, *y = b;

    for (size_t i = 0; i < *(const size_t *)width; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static void sort_tuples(struct tuples *t)
{
    qsort_r(t->g, t->n, t->width * sizeof *t->g, tuple_order, &t->width);
}

/* The merger with join indexes built at once, after the default number
 * of scans, and never; and streamed, sorted and unsorted: all equal to
 * the reference (the unsorted stream once sorted). */
static void check_all_ways(const struct fixture *f, const struct tuples *want, unsigned iter)
{
    static const unsigned lazy[] = {0, 4, UINT_MAX};

    for (size_t i = 0; i < 3; i++) {
        struct tuples got;
        struct fq_error err = {0};
        int rc = i == 1 ? merger_run(&f->q, f->bg, 0, &got, &err)
                        : merger_run_tuned(&f->q, f->bg, 0, lazy[i], &got, &err);
        ck_assert_int_eq(rc, FQ_OK);
        assert_same(&got, want, iter);
        tuples_free(&got);
    }
    for (int sorted = 0; sorted < 2; sorted++) {
        struct sink k = {.t = {.width = want->width}};
        struct fq_error err = {0};
        uint64_t n = 0;
        ck_assert_int_eq(merger_stream(&f->q, f->bg, 0, sorted, sink, &k, &n, &err), FQ_OK);
        ck_assert_uint_eq(n, k.t.n);
        if (!sorted && k.t.n > 1)
            sort_tuples(&k.t);
        assert_same(&k.t, want, iter);
        free(k.t.g);
    }
}

/* ---- hand-checked cases ---- */

START_TEST(pass_through)
{
    struct fixture f;
    struct tuples t;
    struct fq_error err = {0};

    init(&f, 1);
    f.bg[0].n = 5;
    module(&f, 0, 1, (int[]){0});
    ck_assert_int_eq(merger_run(&f.q, f.bg, 0, &t, &err), FQ_OK);
    ck_assert_uint_eq(t.n, 5);
    ck_assert_uint_eq(t.width, 1);
    for (uint32_t i = 0; i < 5; i++)
        ck_assert_uint_eq(t.g[i], i);
    tuples_free(&t);
    f.bg[0].n = 0;
    ck_assert_int_eq(merger_run(&f.q, f.bg, 0, &t, &err), FQ_OK);
    ck_assert_uint_eq(t.n, 0);
    tuples_free(&t);
}
END_TEST

START_TEST(equality_join)
{
    struct fixture f;
    struct tuples t;
    struct fq_error err = {0};

    init(&f, 2);
    /* A.x: 1 2 2 3; B.y: 2 9 1 2 */
    f.bg[0].n = f.bg[1].n = 4;
    uint64_t ax[] = {1, 2, 2, 3}, by[] = {2, 9, 1, 2};
    for (int i = 0; i < 4; i++) {
        set_group(&f, 0, (size_t)i, 0, 1, ax[i], 0);
        set_group(&f, 1, (size_t)i, 0, 1, 0, by[i]);
    }
    module(&f, 0, 2, (int[]){0, 1});
    struct fq_term eq = {.kind = T_CMP, .op = OP_EQ, .l = gf(0, 3), .r = gf(1, 4)};
    add_clause(&f, 0, 1, &eq);
    ck_assert_int_eq(merger_run(&f.q, f.bg, 0, &t, &err), FQ_OK);
    uint32_t want[] = {0, 2, 1, 0, 1, 3, 2, 0, 2, 3};
    ck_assert_uint_eq(t.n, 5);
    ck_assert(memcmp(t.g, want, sizeof want) == 0);
    tuples_free(&t);

    /* the same rule written the other way round */
    f.tm[0][0][0] = (struct fq_term){.kind = T_CMP, .op = OP_EQ, .l = gf(1, 4), .r = gf(0, 3)};
    ck_assert_int_eq(merger_run(&f.q, f.bg, 0, &t, &err), FQ_OK);
    ck_assert_uint_eq(t.n, 5);
    ck_assert(memcmp(t.g, want, sizeof want) == 0);
    tuples_free(&t);

    /* max_tuples: 5 fit, 4 do not */
    ck_assert_int_eq(merger_run(&f.q, f.bg, 5, &t, &err), FQ_OK);
    tuples_free(&t);
    ck_assert_int_eq(merger_run(&f.q, f.bg, 4, &t, &err), FQ_E_OUTPUT);
    ck_assert_int_eq(err.code, FQ_E_OUTPUT);
    ck_assert_str_eq(err.msg,
                     "merger produced more than 4 tuples; narrow the query or raise --max-tuples");
    ck_assert_uint_eq(t.n, 0);
    ck_assert_ptr_null(t.g);
}
END_TEST

START_TEST(allen_and_difference)
{
    struct fixture f;
    struct tuples t;
    struct fq_error err = {0};

    init(&f, 3);
    /* A: [0,10] [20,30]; B: [10,15] [12,18] [31,40]; C: [16,17] */
    f.bg[0].n = 2, f.bg[1].n = 3, f.bg[2].n = 1;
    set_group(&f, 0, 0, 0, 10, 0, 0);
    set_group(&f, 0, 1, 20, 30, 0, 0);
    set_group(&f, 1, 0, 10, 15, 0, 0);
    set_group(&f, 1, 1, 12, 18, 0, 0);
    set_group(&f, 1, 2, 31, 40, 0, 0);
    set_group(&f, 2, 0, 16, 17, 0, 0);
    f.q.export_module = 0;
    /* export: A < B delta 5 */
    module(&f, 0, 2, (int[]){0, 1});
    struct fq_term before = {.kind = T_ALLEN, .rel = AL_BEFORE, .bx = 0, .by = 1,
                             .has_delta = true, .delta = 5};
    add_clause(&f, 0, 1, &before);
    ck_assert_int_eq(merger_run(&f.q, f.bg, 0, &t, &err), FQ_OK);
    uint32_t want1[] = {0, 1, 1, 2};    /* [0,10]<[12,18], [20,30]<[31,40] */
    ck_assert_uint_eq(t.n, 2);
    ck_assert(memcmp(t.g, want1, sizeof want1) == 0);
    tuples_free(&t);

    /* minus module {B, C}: C d B -- removes B [12,18], which contains C */
    module(&f, 1, 2, (int[]){1, 2});
    struct fq_term during = {.kind = T_ALLEN, .rel = AL_DURING, .bx = 2, .by = 1};
    add_clause(&f, 1, 1, &during);
    ck_assert_int_eq(merger_run(&f.q, f.bg, 0, &t, &err), FQ_OK);
    ck_assert_uint_eq(t.n, 1);
    ck_assert_uint_eq(t.g[0], 1);
    ck_assert_uint_eq(t.g[1], 2);
    tuples_free(&t);

    /* a one-branch rule in the other module restricts only there */
    struct fq_term big = {.kind = T_CMP, .op = OP_GT, .l = gf(2, 0), .r = cst(100)};
    add_clause(&f, 1, 1, &big);
    ck_assert_int_eq(merger_run(&f.q, f.bg, 0, &t, &err), FQ_OK);
    ck_assert_uint_eq(t.n, 2);
    ck_assert(memcmp(t.g, want1, sizeof want1) == 0);
    tuples_free(&t);
}
END_TEST

/* Equal keys and an Allen relation that improper intervals (stime >
 * etime) can satisfy: those take the index's side path, keys included. */
START_TEST(improper_intervals)
{
    struct fixture f;

    init(&f, 2);
    /* A: [0,20] x=1; B: [15,10] x=1, [15,10] x=2, [5,8] x=1 */
    f.bg[0].n = 1, f.bg[1].n = 3;
    set_group(&f, 0, 0, 0, 20, 1, 0);
    set_group(&f, 1, 0, 15, 10, 1, 0);
    set_group(&f, 1, 1, 15, 10, 2, 0);
    set_group(&f, 1, 2, 5, 8, 1, 0);
    module(&f, 0, 2, (int[]){0, 1});
    struct fq_term eq = {.kind = T_CMP, .op = OP_EQ, .l = gf(0, 3), .r = gf(1, 3)};
    struct fq_term di = {.kind = T_ALLEN, .rel = AL_CONTAINS, .bx = 0, .by = 1};
    add_clause(&f, 0, 1, &eq);
    add_clause(&f, 0, 1, &di);
    struct tuples want = {.n = 2, .width = 2, .g = (uint32_t[]){0, 0, 0, 2}};
    check_all_ways(&f, &want, 0);
}
END_TEST

/* The consumer stops the merger: its status comes back, nothing more is
 * produced. */
START_TEST(stream_stop)
{
    struct fixture f;
    struct fq_error err = {0};
    uint64_t n = 0;

    init(&f, 2);
    f.bg[0].n = 3, f.bg[1].n = 3;       /* no rules: 9 tuples */
    module(&f, 0, 2, (int[]){0, 1});
    struct sink k = {.t = {.width = 2}, .stop_after = 4};
    ck_assert_int_eq(merger_stream(&f.q, f.bg, 0, true, sink, &k, &n, &err), FQ_E_PIPE);
    ck_assert_uint_eq(k.t.n, 4);
    uint32_t want[] = {0, 0, 0, 1, 0, 2, 1, 0};
    ck_assert(memcmp(k.t.g, want, sizeof want) == 0);
    ck_assert_int_eq(err.code, FQ_OK);
    free(k.t.g);

    struct sink all = {.t = {.width = 2}};
    ck_assert_int_eq(merger_stream(&f.q, f.bg, 9, false, sink, &all, &n, &err), FQ_OK);
    ck_assert_uint_eq(n, 9);
    free(all.t.g);
    struct sink lim = {.t = {.width = 2}};
    ck_assert_int_eq(merger_stream(&f.q, f.bg, 8, false, sink, &lim, &n, &err), FQ_E_OUTPUT);
    ck_assert_uint_eq(lim.t.n, 8);     /* the ninth is never handed on */
    free(lim.t.g);
}
END_TEST

/* ---- random differential test ---- */

static struct fq_term random_term(const int *mb, size_t k, bool joins)
{
    struct fq_term t = {.kind = T_CMP};
    static const int fields[] = {0, 1, 3, 4, 3, 4};
    uint64_t r = rnd(100);

    t.negate = !joins && rnd(100) < 15;
    if (joins && r >= 50 && k >= 2) {
        int b1 = mb[rnd(k)], b2;
        do
            b2 = mb[rnd(k)];
        while (b2 == b1);
        t.op = rnd(100) < 70 ? OP_EQ : (enum fq_op)rnd(6);
        t.l = gf(b1, 3 + (int)rnd(2));
        t.r = gf(b2, 3 + (int)rnd(2));
        if (t.op != OP_EQ && rnd(2))
            t.has_delta = true, t.delta = rnd(3);
        return t;
    }
    if ((r < 35 || joins) && k >= 2) {
        t.kind = T_ALLEN;
        t.rel = (enum fq_allen)rnd(13);
        t.bx = mb[rnd(k)];
        do
            t.by = mb[rnd(k)];
        while (t.by == t.bx);
        if (t.rel != AL_OVERLAPS && t.rel != AL_OVERLAPPEDBY && t.rel != AL_DURING &&
            t.rel != AL_CONTAINS && rnd(100) < 35)
            t.has_delta = true, t.delta = rnd(4);
        return t;
    }
    t.op = rnd(100) < 40 ? OP_EQ : (enum fq_op)rnd(6);
    if (r < 75) {
        t.l = gf(mb[rnd(k)], fields[rnd(6)]);
        t.r = gf(mb[rnd(k)], fields[rnd(6)]);
    } else if (r < 90) {
        t.l = gf(mb[rnd(k)], fields[rnd(6)]);
        t.r = cst(rnd(6));
        if (rnd(2)) {
            struct fq_expr x = t.l;
            t.l = t.r, t.r = x;
        }
    } else {
        t.l = gf(mb[rnd(k)], 5);
        t.r = gf(mb[rnd(k)], rnd(2) ? 5 : 3);
    }
    if (rnd(100) < 30)
        t.has_delta = true, t.delta = rnd(4);
    return t;
}

static void random_fixture(struct fixture *f, const struct shape *sh, size_t maxb)
{
    size_t nb = 1 + rnd(maxb);
    uint64_t base = rnd(10) == 0 ? UINT64_MAX - 40 : 0;

    init(f, nb);
    for (size_t b = 0; b < nb; b++) {
        f->bg[b].n = rnd(sh->groups);
        for (size_t i = 0; i < f->bg[b].n; i++) {
            uint64_t s = base + rnd(sh->span), e = s + rnd(sh->len);
            if (rnd(100) < sh->improper)
                e = s - rnd(3);
            set_group(f, (int)b, i, s, e, rnd(sh->keys), rnd(sh->keys));
        }
    }
    /* exported module: 1..3 distinct branches */
    int perm[4] = {0, 1, 2, 3};
    for (size_t i = nb; i-- > 1;) {
        size_t j = rnd(i + 1);
        int x = perm[i];
        perm[i] = perm[j], perm[j] = x;
    }
    size_t nmod = 1 + rnd(3);
    for (size_t mi = 0; mi < nmod; mi++) {
        size_t k = 1 + rnd(nb < 3 ? nb : 3);
        int mb[3];
        if (mi == 0) {
            memcpy(mb, perm, k * sizeof *mb);
        } else {
            /* share at least one branch with the exported module */
            mb[0] = f->mb[0][rnd(f->mod[0].nbranches)];
            size_t n = 1;
            for (size_t tries = 0; n < k && tries < 10; tries++) {
                int b = (int)rnd(nb);
                bool dup = false;
                for (size_t i = 0; i < n; i++)
                    dup |= mb[i] == b;
                if (!dup)
                    mb[n++] = b;
            }
            k = n;
        }
        module(f, mi, k, mb);
        size_t nc = rnd(sh->joins ? 5 : 4);
        for (size_t c = 0; c < nc; c++) {
            struct fq_term t[2];
            size_t nt = rnd(100) < (sh->joins ? 85 : 70) ? 1 : 2;
            for (size_t i = 0; i < nt; i++)
                t[i] = random_term(mb, k, sh->joins);
            add_clause(f, mi, nt, t);
        }
    }
    f->q.export_module = 0;
}

START_TEST(random_vs_nested_loops)
{
    static struct fixture f;
    static const struct shape small = {7, 16, 5, 5, 10, false};
    unsigned nonempty = 0;

    for (unsigned iter = 0; iter < 30000; iter++) {
        struct tuples want;
        random_fixture(&f, &small, 4);
        brute(&f, &want);
        check_all_ways(&f, &want, iter);
        nonempty += want.n > 0;
        free(want.g);
    }
    /* the generator must exercise real joins, not only empty results */
    ck_assert_uint_gt(nonempty, 8000);
}
END_TEST

/* Join rules only (equal keys, windows, Allen relations, ORs of them) on
 * many improper intervals: every index path. */
START_TEST(random_joins)
{
    static struct fixture f;
    static const struct shape joins = {8, 20, 6, 3, 30, true};
    unsigned nonempty = 0;

    for (unsigned iter = 0; iter < 20000; iter++) {
        struct tuples want;
        random_fixture(&f, &joins, 4);
        brute(&f, &want);
        check_all_ways(&f, &want, iter);
        nonempty += want.n > 0;
        free(want.g);
    }
    ck_assert_uint_gt(nonempty, 4000);
}
END_TEST

/* Hundreds of groups per branch: the radix-sorted indexes, long runs of
 * equal keys, wide windows. */
START_TEST(random_large)
{
    static struct fixture f;
    static const struct shape large = {MAXG, 4000, 60, 40, 10, false};
    unsigned nonempty = 0;

    for (unsigned iter = 0; iter < 60; iter++) {
        struct tuples want;
        random_fixture(&f, &large, 2);
        brute(&f, &want);
        check_all_ways(&f, &want, iter);
        nonempty += want.n > 0;
        free(want.g);
    }
    ck_assert_uint_gt(nonempty, 20);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("merger");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pass_through);
    tcase_add_test(tc, equality_join);
    tcase_add_test(tc, allen_and_difference);
    tcase_add_test(tc, improper_intervals);
    tcase_add_test(tc, stream_stop);
    tcase_add_test(tc, random_vs_nested_loops);
    tcase_add_test(tc, random_joins);
    tcase_add_test(tc, random_large);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
