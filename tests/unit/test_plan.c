/* SPDX-License-Identifier: MIT
 * The execution plan (plan.h): the path of each query shape, the
 * partition key of each branch, and the reason a query gets one
 * partition; the partition hash ignores the order of the key values.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_body.h"
#include "plan.h"

/* A two-branch query: grouper rules for A and B, and the merger body. */
static struct fq_plan *two(struct fq_query **qp, const char *ga, const char *gb,
                           const char *rules, int groups)
{
    char src[2048];
    snprintf(src, sizeof src,
             "filter f { proto = 6 }\n"
             "grouper ga { module g1 { %s } aggregate srcip, dstip, srcport, sum(bytes) as b }\n"
             "grouper gb { module g1 { %s } aggregate srcip, dstip, srcport, sum(bytes) as b }\n"
             "merger M { module m1 { branches A, B\n%s\n} export m1 }\n"
             "\"input\" -> S\n"
             "S branch A -> f -> ga -> M\n"
             "S branch B -> f -> gb -> M\n"
             "M -> U -> \"output\"\n",
             ga, gb, rules);
    *qp = compile(src);
    return plan_make(*qp, groups);
}

static void key_is(const struct fq_plan *p, size_t b, const enum fq_field *want, size_t n)
{
    ck_assert_uint_eq(p->branch[b].nkey, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(p->branch[b].key[i], want[i]);
}

START_TEST(crosswise_pair)
{
    struct fq_query *q;
    struct fq_plan *p = two(&q, "srcip = srcip dstip = dstip", "srcip = srcip dstip = dstip",
                            "A.srcip = B.dstip\nA.dstip = B.srcip", 0);
    ck_assert_int_eq(p->path, PATH_JOIN);
    ck_assert(p->partitionable);
    key_is(p, 0, (enum fq_field[]){F_SRCIP, F_DSTIP}, 2);
    key_is(p, 1, (enum fq_field[]){F_DSTIP, F_SRCIP}, 2);
    plan_free(p);
    p = plan_make(q, 1);
    ck_assert_int_eq(p->path, PATH_GROUPS);
    plan_free(p);
    query_free(q);
}
END_TEST

START_TEST(only_linked_equal_fields)
{
    /* srcport is equal within A's groups but not B's: it cannot be a key;
     * a rule with delta or inside OR links nothing */
    struct fq_query *q;
    struct fq_plan *p = two(&q, "srcip = srcip srcport = srcport", "srcip = srcip",
                            "A.srcip = B.srcip\nA.srcport = B.srcport\n"
                            "A.dstip = B.dstip OR A.b > 5", 0);
    ck_assert(p->partitionable);
    key_is(p, 0, (enum fq_field[]){F_SRCIP}, 1);
    key_is(p, 1, (enum fq_field[]){F_SRCIP}, 1);
    plan_free(p);
    query_free(q);
}
END_TEST

START_TEST(allen_only)
{
    struct fq_query *q;
    struct fq_plan *p = two(&q, "srcip = srcip", "srcip = srcip", "A < B delta 1000", 0);
    ck_assert(!p->partitionable);
    ck_assert_uint_eq(p->branch[0].nkey, 0);
    ck_assert_str_eq(p->why, "merger module m1 has no equality rule between branches A and B "
                             "(its rules start at line 7)");
    plan_free(p);
    query_free(q);
}
END_TEST

START_TEST(unequal_group_field)
{
    /* B groups by dstip only: its srcip group field is the first member's */
    struct fq_query *q;
    struct fq_plan *p = two(&q, "srcip = srcip", "dstip = dstip", "A.srcip = B.srcip", 0);
    ck_assert(!p->partitionable);
    ck_assert_str_eq(p->why,
                     "merger module m1 links branches A and B by no field equal within their "
                     "groups: B.srcip (line 7) may differ within a group of B (grouper gb has "
                     "no rule 'srcip = srcip' in every module)");
    plan_free(p);
    query_free(q);
}
END_TEST

START_TEST(rule_less_module_and_grouper)
{
    struct fq_query *q;
    struct fq_plan *p = two(&q, "srcip = srcip", "srcip = srcip", "", 0);
    ck_assert_int_eq(p->path, PATH_PRODUCT);
    ck_assert(!p->partitionable);
    ck_assert_str_eq(p->why, "merger module m1 has no rules: every combination of groups is a "
                             "tuple");
    plan_free(p);
    query_free(q);
    p = two(&q, "srcip = srcip", "srcip < srcip", "A.srcip = B.srcip", 0);
    ck_assert(!p->partitionable);
    ck_assert_str_eq(p->why, "grouper gb of branch B has no rule 'FIELD = FIELD' (without "
                             "delta) in every module, so no field is equal within its groups");
    plan_free(p);
    query_free(q);
}
END_TEST

START_TEST(one_branch_paths)
{
    struct fq_query *q = compile("filter f { proto = 6 }\nmerger M { module m { branches A } }\n"
                                 "\"input\" -> S\nS branch A -> f -> M\nM -> U -> \"output\"\n");
    struct fq_plan *p = plan_make(q, 0);
    ck_assert_int_eq(p->path, PATH_STREAM);
    key_is(p, 0, (enum fq_field[]){F_REC_ID}, 1);
    plan_free(p);
    p = plan_make(q, 1);
    ck_assert_int_eq(p->path, PATH_PRODUCT);
    plan_free(p);
    query_free(q);
    q = compile("grouper g { module a { srcip = srcip dstport = dstport }\n"
                "            module b { dstport = dstport srcip = srcip stime < stime delta 5 } }\n"
                "merger M { module m { branches A } }\n"
                "\"input\" -> S\nS branch A -> g -> M\nM -> U -> \"output\"\n");
    p = plan_make(q, 0);
    ck_assert_int_eq(p->path, PATH_DIRECT);
    key_is(p, 0, (enum fq_field[]){F_SRCIP, F_DSTPORT}, 2);
    plan_free(p);
    query_free(q);
}
END_TEST

START_TEST(difference_module_chain)
{
    /* C is reached only through the difference module m2, by dstip */
    struct fq_query *q = compile(
        "grouper g { module g1 { srcip = srcip dstip = dstip } aggregate srcip, dstip }\n"
        "merger M { module m1 { branches A, B  A.srcip = B.srcip }\n"
        "           module m2 { branches B, C  B.srcip = C.dstip }\n"
        "           export m1 }\n"
        "\"input\" -> S\nS branch A -> g -> M\nS branch B -> g -> M\n"
        "S branch C -> g -> M\nM -> U -> \"output\"\n");
    struct fq_plan *p = plan_make(q, 0);
    ck_assert(p->partitionable);
    key_is(p, 0, (enum fq_field[]){F_SRCIP}, 1);
    key_is(p, 1, (enum fq_field[]){F_SRCIP}, 1);
    key_is(p, 2, (enum fq_field[]){F_DSTIP}, 1);
    plan_free(p);
    query_free(q);
}
END_TEST

START_TEST(hash_ignores_order)
{
    uint64_t a[] = {0x0a000001, 0xc0a80001, 443}, b[] = {443, 0x0a000001, 0xc0a80001};
    ck_assert_uint_eq(plan_hash(a, 3), plan_hash(b, 3));
    uint64_t c[] = {0x0a000001, 0xc0a80001, 444};
    ck_assert_uint_ne(plan_hash(a, 3), plan_hash(c, 3));
    uint64_t d[] = {1, 1}, e[] = {2, 0};
    ck_assert_uint_ne(plan_hash(d, 2), plan_hash(e, 2));
}
END_TEST

int main(void)
{
    Suite *su = suite_create("plan");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, crosswise_pair);
    tcase_add_test(tc, only_linked_equal_fields);
    tcase_add_test(tc, allen_only);
    tcase_add_test(tc, unequal_group_field);
    tcase_add_test(tc, rule_less_module_and_grouper);
    tcase_add_test(tc, one_branch_paths);
    tcase_add_test(tc, difference_module_chain);
    tcase_add_test(tc, hash_ignores_order);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
