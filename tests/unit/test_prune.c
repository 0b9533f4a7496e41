/* SPDX-License-Identifier: MIT
 * The merger's semi-join reduction (prune.h): which units are pruned, by
 * which sources, and which groups they keep.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_body.h"
#include "prune.h"

enum { NF = 5 };                /* stime, etime, records, dstip, b */

/* Three branches A, B, C of one grouper by dstip, and the merger's modules. */
static struct fq_query *three(const char *modules)
{
    char src[2048];
    snprintf(src, sizeof src,
             "filter f { proto = 6 }\n"
             "grouper g { module g1 { dstip = dstip } aggregate dstip, sum(bytes) as b }\n"
             "merger M { %s }\n"
             "\"input\" -> S\n"
             "S branch A -> f -> g -> M\n"
             "S branch B -> f -> g -> M\n"
             "S branch C -> f -> g -> M\n"
             "M -> U -> \"output\"\n",
             modules);
    struct fq_query *q = compile(src);
    ck_assert_uint_eq(q->branches[0].ngfields, NF);
    ck_assert_str_eq(q->branches[0].gfields[3].name, "dstip");
    return q;
}

static const size_t units[] = {0, 1, 2};

/* A group row with dstip d. */
static const union fq_val *grp(union fq_val *row, uint64_t d)
{
    memset(row, 0, NF * sizeof *row);
    row[3].u = d;
    return row;
}

START_TEST(small_event_prunes_the_others)
{
    struct fq_query *q = three("module m1 { branches A, B, C\n"
                               "A.dstip = C.dstip\nC.dstip = B.dstip\nA < C\nB > C }\n"
                               "export m1");
    struct prune *p = prune_make(q, units, (size_t[]){400, 100, 25});
    ck_assert_ptr_nonnull(p);
    /* C (25) is the smallest: the source; 25 <= 100 / 4 */
    ck_assert(prune_pruned(p, 0));
    ck_assert(prune_pruned(p, 1));
    ck_assert(!prune_pruned(p, 2));
    union fq_val src[2 * NF], row[NF];
    memset(src, 0, sizeof src);
    src[3].u = 0x0a000001;
    src[NF + 3].u = 0;
    prune_source(p, 2, src, 2, NF);
    ck_assert(prune_keep(p, 1, grp(row, 0x0a000001)));
    ck_assert(prune_keep(p, 1, grp(row, 0)));
    ck_assert(!prune_keep(p, 1, grp(row, 0x0a000002)));
    ck_assert(prune_keep(p, 0, grp(row, 0x0a000001)));
    ck_assert(!prune_keep(p, 0, grp(row, 1)));
    prune_free(p);
    query_free(q);
}
END_TEST

START_TEST(a_source_is_never_pruned)
{
    /* A chain C - B - A: B is pruned by C, so A, linked only to B, is not */
    struct fq_query *q = three("module m1 { branches A, B, C\n"
                               "A.dstip = B.dstip\nB.dstip = C.dstip }\nexport m1");
    struct prune *p = prune_make(q, units, (size_t[]){1000, 100, 10});
    ck_assert(!prune_pruned(p, 0));
    ck_assert(prune_pruned(p, 1));
    ck_assert(!prune_pruned(p, 2));
    prune_free(p);
    query_free(q);
}
END_TEST

START_TEST(too_close_in_size)
{
    struct fq_query *q = three("module m1 { branches A, B, C\n"
                               "A.dstip = C.dstip\nB.dstip = C.dstip }\nexport m1");
    ck_assert_ptr_null(prune_make(q, units, (size_t[]){100, 100, 26}));
    /* no records kept: nothing to spare */
    ck_assert_ptr_null(prune_make(q, units, (size_t[]){0, 0, 0}));
    query_free(q);
}
END_TEST

START_TEST(every_module_must_link)
{
    /* B's difference module relates it to C by time only: a group of B
     * may exclude a tuple whatever its dstip, so B keeps every group */
    struct fq_query *q = three("module m1 { branches A, B\nA.dstip = B.dstip }\n"
                               "module m2 { branches B, C\nB < C }\nexport m1");
    struct prune *p = prune_make(q, units, (size_t[]){1, 100, 100});
    ck_assert_ptr_null(p);
    query_free(q);
}
END_TEST

START_TEST(twins_keep_what_either_needs)
{
    /* B and C computed once as unit 1; B is linked to A by dstip, C to
     * A by b: a group is kept if either link holds */
    struct fq_query *q = three("module m1 { branches A, B, C\n"
                               "A.dstip = B.dstip\nA.b = C.b }\nexport m1");
    struct prune *p = prune_make(q, (size_t[]){0, 1, 1}, (size_t[]){2, 100, 0});
    ck_assert(prune_pruned(p, 1));
    union fq_val src[NF], row[NF];
    grp(src, 7);
    src[4].u = 1500;
    prune_source(p, 0, src, 1, NF);
    ck_assert(prune_keep(p, 1, grp(row, 7)));
    grp(row, 8);
    ck_assert(!prune_keep(p, 1, row));
    row[4].u = 1500;
    ck_assert(prune_keep(p, 1, row));
    prune_free(p);
    query_free(q);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("prune");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, small_event_prunes_the_others);
    tcase_add_test(tc, a_source_is_never_pruned);
    tcase_add_test(tc, too_close_in_size);
    tcase_add_test(tc, every_module_must_link);
    tcase_add_test(tc, twins_keep_what_either_needs);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
