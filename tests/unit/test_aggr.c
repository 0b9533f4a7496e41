/* SPDX-License-Identifier: MIT
 * Aggregates (LANGUAGE.md 7.4): every function with exact values,
 * saturation of sum and prod, the exact 128-bit sum behind avg, median of
 * even and odd counts, population stddev, union sets, min/max that really
 * compare, and module-qualified fields over a group's members.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggr.h"

static union fq_val agg(enum fq_aggfn fn, const uint64_t *in, size_t n, struct pool *p)
{
    uint64_t v[64];
    memcpy(v, in, n * sizeof *v);
    return aggr_values(fn, v, n, p);
}

START_TEST(scalars)
{
    struct pool p = {0};
    const uint64_t v[] = {7, 3, 9, 3, 12};
    ck_assert_uint_eq(agg(AGG_PLAIN, v, 5, &p).u, 7);
    ck_assert_uint_eq(agg(AGG_COUNT, v, 5, &p).u, 5);
    ck_assert_uint_eq(agg(AGG_SUM, v, 5, &p).u, 34);
    ck_assert_uint_eq(agg(AGG_MIN, v, 5, &p).u, 3);   /* not the first value */
    ck_assert_uint_eq(agg(AGG_MAX, v, 5, &p).u, 12);
    ck_assert_uint_eq(agg(AGG_PROD, v, 5, &p).u, 7 * 3 * 9 * 3 * 12);
    ck_assert_uint_eq(agg(AGG_BITAND, v, 5, &p).u, 7 & 3 & 9 & 3 & 12);
    ck_assert_uint_eq(agg(AGG_BITOR, v, 5, &p).u, 7 | 3 | 9 | 3 | 12);
    ck_assert_uint_eq(agg(AGG_BITXOR, v, 5, &p).u, 7 ^ 3 ^ 9 ^ 3 ^ 12);
    ck_assert(agg(AGG_AVG, v, 5, &p).d == 34.0 / 5);
    /* population stddev of 7 3 9 3 12: mean 6.8, squares sum 60.8 */
    ck_assert(fabs(agg(AGG_STDDEV, v, 5, &p).d - sqrt(60.8 / 5)) < 1e-12);
    const uint64_t one[] = {42};
    ck_assert(agg(AGG_STDDEV, one, 1, &p).d == 0.0);
    ck_assert_uint_eq(agg(AGG_MEDIAN, one, 1, &p).u, 42);
    pool_free(&p);
}
END_TEST

START_TEST(median)
{
    struct pool p = {0};
    const uint64_t odd[] = {5, 1, 4, 2, 3};     /* sorted 1 2 3 4 5: w[2] */
    ck_assert_uint_eq(agg(AGG_MEDIAN, odd, 5, &p).u, 3);
    const uint64_t even[] = {40, 10, 30, 20};   /* sorted 10 20 30 40: w[2] */
    ck_assert_uint_eq(agg(AGG_MEDIAN, even, 4, &p).u, 30);
    const uint64_t two[] = {9, 1};
    ck_assert_uint_eq(agg(AGG_MEDIAN, two, 2, &p).u, 9);
    pool_free(&p);
}
END_TEST

START_TEST(saturation_and_exact_sums)
{
    struct pool p = {0};
    const uint64_t big[] = {UINT64_MAX - 1, 1, 1, 5};
    ck_assert_uint_eq(agg(AGG_SUM, big, 2, &p).u, UINT64_MAX);
    ck_assert_uint_eq(agg(AGG_SUM, big, 4, &p).u, UINT64_MAX);
    /* avg uses the exact sum: (2^64 - 2 + 1 + 1 + 5) / 4 */
    double exact = (18446744073709551614.0 + 7.0) / 4;
    ck_assert(agg(AGG_AVG, big, 4, &p).d == exact);
    const uint64_t pr[] = {1ULL << 32, 1ULL << 32, 3};
    ck_assert_uint_eq(agg(AGG_PROD, pr, 3, &p).u, UINT64_MAX);
    const uint64_t pz[] = {1ULL << 32, 1ULL << 32, 0};
    ck_assert_uint_eq(agg(AGG_PROD, pz, 3, &p).u, 0);
    const uint64_t px[] = {1ULL << 31, 1ULL << 32};
    ck_assert_uint_eq(agg(AGG_PROD, px, 2, &p).u, 1ULL << 63);
    pool_free(&p);
}
END_TEST

START_TEST(unions)
{
    struct pool p = {0};
    const uint64_t v[] = {80, 443, 80, 22, 443, 8080};
    const struct fq_set *s = agg(AGG_UNION, v, 6, &p).set;
    ck_assert_uint_eq(s->n, 4);
    ck_assert_uint_eq(s->v[0], 22);
    ck_assert_uint_eq(s->v[1], 80);
    ck_assert_uint_eq(s->v[2], 443);
    ck_assert_uint_eq(s->v[3], 8080);
    /* release gives the space back: the next set lands at the same place */
    struct pool_mark m = pool_mark(&p);
    const struct fq_set *s2 = agg(AGG_UNION, v, 1, &p).set;
    pool_release(&p, m);
    const struct fq_set *s3 = agg(AGG_UNION, v + 3, 1, &p).set;
    ck_assert_ptr_eq(s2, s3);
    ck_assert_uint_eq(s3->n, 1);
    ck_assert_uint_eq(s3->v[0], 22);
    ck_assert_uint_eq(s->v[3], 8080);
    pool_free(&p);
}
END_TEST

/* Mark, allocate, release on an empty pool, group after group: the chunk
 * comes back as the spare and is used again, not allocated anew; what
 * was allocated before a mark survives its release; adopting a pool
 * takes its chunks and frees its spare (ASan checks the frees). */
START_TEST(pool_reuses_released_chunk)
{
    struct pool a = {0}, b = {0};
    struct pool_mark m = pool_mark(&a);
    void *p = pool_alloc(&a, 64);
    pool_release(&a, m);
    ck_assert_ptr_null(a.head);
    ck_assert_ptr_nonnull(a.spare);
    void *q = pool_alloc(&a, 64);
    ck_assert_ptr_eq(p, q);
    ck_assert_ptr_null(a.spare);
    uint64_t *kept = pool_alloc(&a, sizeof *kept);
    *kept = 42;
    m = pool_mark(&a);
    pool_alloc(&a, 2 << 20);    /* a chunk of its own, larger than the spare */
    pool_release(&a, m);
    ck_assert_uint_eq(*kept, 42);
    ck_assert_ptr_eq(pool_alloc(&a, 8), kept + 1);
    m = pool_mark(&b);
    pool_alloc(&b, 8);
    pool_release(&b, m);
    pool_alloc(&b, 8);
    pool_release(&b, m);
    ck_assert_ptr_nonnull(b.spare);
    pool_adopt(&a, &b);
    ck_assert_ptr_null(b.head);
    ck_assert_ptr_null(b.spare);
    pool_free(&a);
    ck_assert_ptr_null(a.head);
    ck_assert_ptr_null(a.spare);
}
END_TEST

START_TEST(group_fields)
{
    struct fq_rec recs[4];
    memset(recs, 0, sizeof recs);
    for (int i = 0; i < 4; i++) {
        recs[i].rec_id = (uint64_t)i;
        recs[i].stime = 100 - (uint64_t)i * 10;
        recs[i].etime = 200 + (uint64_t)i;
        recs[i].bytes = (uint32_t)(1000 * (i + 1));
        recs[i].dstport = (uint16_t)(80 + i);
    }
    /* members in join order 3, 1, 2 (record 0 is not in the group);
     * member 1 (rec 1) matched module 1 only, member 2 (rec 2) module 0 */
    const uint32_t mrec[] = {3, 1, 2};
    const uint64_t mask[] = {~0ULL, 2, 1};
    struct aggr_members m = {mrec, mask, 1, 3};
    struct fq_gfield gf[] = {
        {"stime", AGG_MIN, F_STIME, -1, VT_TIME, VT_UINT, 64},
        {"etime", AGG_MAX, F_ETIME, -1, VT_TIME, VT_UINT, 64},
        {"records", AGG_UNION, F_REC_ID, -1, VT_SET, VT_UINT, 64},
        {"dstport", AGG_PLAIN, F_DSTPORT, -1, VT_UINT, VT_UINT, 16},
        {"b", AGG_SUM, F_BYTES, -1, VT_UINT, VT_UINT, 64},
        {"b0", AGG_SUM, F_BYTES, 0, VT_UINT, VT_UINT, 64},
        {"b1", AGG_SUM, F_BYTES, 1, VT_UINT, VT_UINT, 64},
        {"n1", AGG_COUNT, F_BYTES, 1, VT_UINT, VT_UINT, 64},
        {"p1", AGG_PLAIN, F_DSTPORT, 1, VT_UINT, VT_UINT, 16},
    };
    union fq_val row[9];
    struct pool p = {0};
    struct aggr_scratch sc = {0};
    struct fq_rows R;
    rows_wrap(&R, recs, 4);
    aggr_group(gf, 9, NULL, &R, &m, &p, &sc, row);
    ck_assert_uint_eq(row[0].u, 70);
    ck_assert_uint_eq(row[1].u, 203);
    ck_assert_uint_eq(row[2].set->n, 3);
    ck_assert_uint_eq(row[2].set->v[0], 1);
    ck_assert_uint_eq(row[2].set->v[1], 2);
    ck_assert_uint_eq(row[2].set->v[2], 3);
    ck_assert_uint_eq(row[3].u, 83);        /* the founding member's */
    ck_assert_uint_eq(row[4].u, 4000 + 2000 + 3000);
    ck_assert_uint_eq(row[5].u, 4000 + 3000);
    ck_assert_uint_eq(row[6].u, 4000 + 2000);
    ck_assert_uint_eq(row[7].u, 2);
    ck_assert_uint_eq(row[8].u, 83);
    /* only the needed fields are written */
    bool need[9] = {false, false, false, false, true};
    union fq_val row2[9];
    memset(row2, 0xab, sizeof row2);
    aggr_group(gf, 9, need, &R, &m, &p, &sc, row2);
    /* rows of only etime, dstport and bytes give the same values; without
     * etime, dstport and bytes take its place */
    bool fields[F_COUNT] = {0};
    fields[F_DSTPORT] = fields[F_BYTES] = true;
    struct fq_rows N;
    rows_init(&N, fields);
    ck_assert_uint_eq(N.stride, 24);
    ck_assert_uint_eq(N.off[F_BYTES], 8);
    ck_assert_uint_eq(N.off[F_DSTPORT], 12);
    ck_assert_uint_eq(N.off[F_ETIME], ROW_ABSENT);
    fields[F_ETIME] = true;
    rows_init(&N, fields);
    rows_append(&N, recs, 4);
    ck_assert_uint_eq(N.stride, 32);
    union fq_val row3[9];
    aggr_group(gf, 9, NULL, &N, &m, &p, &sc, row3);
    for (int k = 0; k < 9; k++)
        if (k != 2)
            ck_assert_uint_eq(row3[k].u, row[k].u);
    ck_assert_uint_eq(row3[2].set->n, 3);
    rows_free(&N);
    ck_assert_uint_eq(row2[4].u, 9000);
    ck_assert_uint_eq(row2[5].u, 0xababababababababULL);
    ck_assert_uint_eq(row2[0].u, 0xababababababababULL);
    aggr_scratch_free(&sc);
    pool_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("aggr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, scalars);
    tcase_add_test(tc, median);
    tcase_add_test(tc, saturation_and_exact_sums);
    tcase_add_test(tc, unions);
    tcase_add_test(tc, group_fields);
    tcase_add_test(tc, pool_reuses_released_chunk);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
