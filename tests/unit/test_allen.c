/* SPDX-License-Identifier: MIT
 * Allen relations: every relation at its boundaries (equal end-points,
 * zero-length intervals, delta edges, values near 2^64), plus exhaustive
 * checks on small intervals of inverse pairs, exclusivity for proper
 * intervals and the soundness of the index windows.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "allen.h"

#define H(rel, xs, xe, ys, ye) allen_holds(rel, xs, xe, ys, ye, false, 0)
#define HD(rel, xs, xe, ys, ye, d) allen_holds(rel, xs, xe, ys, ye, true, d)

START_TEST(before_after)
{
    ck_assert(H(AL_BEFORE, 0, 5, 6, 9));
    ck_assert(!H(AL_BEFORE, 0, 5, 5, 9));          /* touching = meets */
    ck_assert(H(AL_BEFORE, 0, 5, 1000000, 2000000)); /* no delta: any gap */
    ck_assert(HD(AL_BEFORE, 0, 5, 6, 9, 1));
    ck_assert(!HD(AL_BEFORE, 0, 5, 7, 9, 1));
    ck_assert(HD(AL_BEFORE, 0, 5, 7, 9, 2));
    ck_assert(!HD(AL_BEFORE, 0, 5, 6, 9, 0));      /* delta 0: no gap can fit */
    ck_assert(H(AL_BEFORE, 5, 5, 6, 6));           /* zero-length intervals */
    ck_assert(!H(AL_BEFORE, 5, 5, 5, 5));
    ck_assert(H(AL_AFTER, 6, 9, 0, 5));
    ck_assert(!H(AL_AFTER, 5, 9, 0, 5));
    ck_assert(HD(AL_AFTER, 7, 9, 0, 5, 2));
    ck_assert(!HD(AL_AFTER, 8, 9, 0, 5, 2));
    ck_assert(H(AL_BEFORE, 0, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX));
    ck_assert(!H(AL_BEFORE, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX));
    ck_assert(HD(AL_BEFORE, 0, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX));
    ck_assert(!HD(AL_BEFORE, 0, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX - 1));
}
END_TEST

START_TEST(meets_metby)
{
    ck_assert(H(AL_MEETS, 0, 5, 5, 9));
    ck_assert(!H(AL_MEETS, 0, 5, 6, 9));
    ck_assert(!H(AL_MEETS, 0, 5, 4, 9));
    ck_assert(HD(AL_MEETS, 0, 5, 6, 9, 1));
    ck_assert(HD(AL_MEETS, 0, 5, 4, 9, 1));
    ck_assert(!HD(AL_MEETS, 0, 5, 7, 9, 1));
    ck_assert(!HD(AL_MEETS, 0, 5, 3, 9, 1));
    ck_assert(H(AL_MEETS, 5, 5, 5, 5));            /* zero length: meets itself */
    ck_assert(H(AL_METBY, 5, 9, 0, 5));
    ck_assert(!H(AL_METBY, 6, 9, 0, 5));
    ck_assert(HD(AL_METBY, 6, 9, 0, 5, 1));
    ck_assert(HD(AL_MEETS, 0, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX));
    ck_assert(!HD(AL_MEETS, 1, 1, UINT64_MAX, UINT64_MAX, UINT64_MAX - 2));
}
END_TEST

START_TEST(overlaps)
{
    ck_assert(H(AL_OVERLAPS, 0, 5, 3, 9));
    ck_assert(!H(AL_OVERLAPS, 0, 5, 0, 9));        /* same start: starts */
    ck_assert(!H(AL_OVERLAPS, 0, 5, 5, 9));        /* touching: meets */
    ck_assert(!H(AL_OVERLAPS, 0, 9, 3, 9));        /* same end: finished by */
    ck_assert(!H(AL_OVERLAPS, 0, 9, 3, 5));        /* contains */
    ck_assert(H(AL_OVERLAPS, 0, 2, 1, 3));
    ck_assert(!H(AL_OVERLAPS, 0, 1, 1, 2));
    ck_assert(!H(AL_OVERLAPS, 3, 3, 3, 3));
    /* delta is not allowed on o: a delta given anyway changes nothing */
    ck_assert(!HD(AL_OVERLAPS, 0, 5, 5, 9, 10));
    ck_assert(H(AL_OVERLAPPEDBY, 3, 9, 0, 5));
    ck_assert(!H(AL_OVERLAPPEDBY, 5, 9, 0, 5));
    ck_assert(!H(AL_OVERLAPPEDBY, 0, 9, 0, 5));
    ck_assert(!H(AL_OVERLAPPEDBY, 3, 5, 0, 5));
}
END_TEST

START_TEST(starts)
{
    ck_assert(H(AL_STARTS, 0, 5, 0, 9));
    ck_assert(!H(AL_STARTS, 0, 9, 0, 9));          /* equals */
    ck_assert(!H(AL_STARTS, 1, 5, 0, 9));
    ck_assert(HD(AL_STARTS, 1, 5, 0, 9, 1));
    ck_assert(HD(AL_STARTS, 0, 5, 1, 9, 1));
    ck_assert(!HD(AL_STARTS, 0, 5, 2, 9, 1));
    ck_assert(!HD(AL_STARTS, 0, 9, 1, 9, 1));      /* ends are never tolerant */
    ck_assert(H(AL_STARTS, 5, 5, 5, 9));           /* zero length: starts and meets */
    ck_assert(H(AL_MEETS, 5, 5, 5, 9));
    ck_assert(H(AL_STARTEDBY, 0, 9, 0, 5));
    ck_assert(!H(AL_STARTEDBY, 0, 5, 0, 9));
    ck_assert(!H(AL_STARTEDBY, 0, 5, 0, 5));
    ck_assert(HD(AL_STARTEDBY, 2, 9, 0, 5, 2));
    ck_assert(!HD(AL_STARTEDBY, 3, 9, 0, 5, 2));
}
END_TEST

START_TEST(during)
{
    ck_assert(H(AL_DURING, 3, 5, 0, 9));
    ck_assert(!H(AL_DURING, 0, 5, 0, 9));
    ck_assert(!H(AL_DURING, 3, 9, 0, 9));
    ck_assert(H(AL_DURING, 4, 4, 3, 5));           /* zero length inside */
    ck_assert(!H(AL_DURING, 3, 3, 3, 5));
    ck_assert(!HD(AL_DURING, 0, 5, 0, 9, 5));      /* no tolerance on d */
    ck_assert(H(AL_CONTAINS, 0, 9, 3, 5));
    ck_assert(!H(AL_CONTAINS, 0, 9, 0, 5));
    ck_assert(!H(AL_CONTAINS, 0, 9, 3, 9));
    ck_assert(H(AL_CONTAINS, 3, 5, 4, 4));
}
END_TEST

START_TEST(finishes)
{
    ck_assert(H(AL_FINISHES, 3, 9, 0, 9));
    ck_assert(!H(AL_FINISHES, 0, 9, 0, 9));
    ck_assert(!H(AL_FINISHES, 3, 8, 0, 9));
    ck_assert(HD(AL_FINISHES, 3, 8, 0, 9, 1));
    ck_assert(HD(AL_FINISHES, 3, 10, 0, 9, 1));
    ck_assert(!HD(AL_FINISHES, 3, 11, 0, 9, 1));
    ck_assert(!HD(AL_FINISHES, 0, 9, 1, 9, 5));    /* starts are never tolerant */
    ck_assert(H(AL_FINISHES, 9, 9, 0, 9));         /* zero length: finishes and met by */
    ck_assert(H(AL_METBY, 9, 9, 0, 9));
    ck_assert(H(AL_FINISHEDBY, 0, 9, 3, 9));
    ck_assert(!H(AL_FINISHEDBY, 3, 9, 0, 9));
    ck_assert(HD(AL_FINISHEDBY, 0, 7, 3, 9, 2));
    ck_assert(!HD(AL_FINISHEDBY, 0, 6, 3, 9, 2));
}
END_TEST

START_TEST(equals)
{
    ck_assert(H(AL_EQUALS, 0, 9, 0, 9));
    ck_assert(H(AL_EQUALS, 4, 4, 4, 4));
    ck_assert(!H(AL_EQUALS, 0, 9, 0, 8));
    ck_assert(!H(AL_EQUALS, 1, 9, 0, 9));
    ck_assert(HD(AL_EQUALS, 1, 8, 0, 9, 1));
    ck_assert(!HD(AL_EQUALS, 2, 8, 0, 9, 1));
    ck_assert(!HD(AL_EQUALS, 1, 7, 0, 9, 1));
    ck_assert(HD(AL_EQUALS, UINT64_MAX, UINT64_MAX, 0, 0, UINT64_MAX));
}
END_TEST

#define N 7                     /* end-points 0..N-1 */

/* X rel Y <=> Y inverse(rel) X, for every delta. */
START_TEST(inverse_exhaustive)
{
    for (int rel = AL_BEFORE; rel <= AL_EQUALS; rel++)
        for (int dd = -1; dd < 3; dd++)
            for (uint64_t xs = 0; xs < N; xs++)
                for (uint64_t xe = 0; xe < N; xe++)
                    for (uint64_t ys = 0; ys < N; ys++)
                        for (uint64_t ye = 0; ye < N; ye++) {
                            bool hd = dd >= 0;
                            uint64_t d = hd ? (uint64_t)dd : 0;
                            bool a = allen_holds(rel, xs, xe, ys, ye, hd, d);
                            bool b = allen_holds(allen_inverse(rel), ys, ye, xs, xe, hd, d);
                            ck_assert_msg(a == b, "rel %d", rel);
                        }
    for (int rel = AL_BEFORE; rel <= AL_EQUALS; rel++)
        ck_assert_int_eq(allen_inverse(allen_inverse(rel)), rel);
}
END_TEST

/* Proper intervals, no delta: exactly one relation holds (7.6). */
START_TEST(exclusive_proper)
{
    for (uint64_t xs = 0; xs < N; xs++)
        for (uint64_t xe = xs + 1; xe < N; xe++)
            for (uint64_t ys = 0; ys < N; ys++)
                for (uint64_t ye = ys + 1; ye < N; ye++) {
                    int n = 0;
                    for (int rel = AL_BEFORE; rel <= AL_EQUALS; rel++)
                        n += H(rel, xs, xe, ys, ye);
                    ck_assert_int_eq(n, 1);
                }
}
END_TEST

/* Every Y satisfying X rel Y lies in the index window (proper Y no longer
 * than maxlen when the window is not exact). */
static void window_check(uint64_t xs, uint64_t xe, uint64_t ys, uint64_t ye, int rel, bool hd,
                         uint64_t d, uint64_t maxlen)
{
    int end;
    uint64_t lo, hi;
    bool exact = allen_window(rel, xs, xe, hd, d, maxlen, &end, &lo, &hi);
    uint64_t v = end ? ye : ys;

    if (!exact && (ys > ye || ye - ys > maxlen))
        return;
    if (allen_holds(rel, xs, xe, ys, ye, hd, d))
        ck_assert_msg(lo <= v && v <= hi, "rel %d x [%llu,%llu] y [%llu,%llu] window [%llu,%llu]",
                      rel, (unsigned long long)xs, (unsigned long long)xe,
                      (unsigned long long)ys, (unsigned long long)ye, (unsigned long long)lo,
                      (unsigned long long)hi);
}

START_TEST(window_sound)
{
    for (int rel = AL_BEFORE; rel <= AL_EQUALS; rel++)
        for (int dd = -1; dd < 3; dd++)
            for (uint64_t maxlen = 0; maxlen < N; maxlen += 2)
                for (uint64_t xs = 0; xs < N; xs++)
                    for (uint64_t xe = 0; xe < N; xe++)
                        for (uint64_t ys = 0; ys < N; ys++)
                            for (uint64_t ye = 0; ye < N; ye++)
                                window_check(xs, xe, ys, ye, rel, dd >= 0,
                                             dd >= 0 ? (uint64_t)dd : 0, maxlen);
    /* near the top of the range: no wrap-around in the windows */
    uint64_t big[] = {0, 1, 2, UINT64_MAX - 2, UINT64_MAX - 1, UINT64_MAX};
    uint64_t ds[] = {0, 1, UINT64_MAX - 1, UINT64_MAX};
    for (int rel = AL_BEFORE; rel <= AL_EQUALS; rel++)
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
                for (int c = 0; c < 6; c++)
                    for (int e = 0; e < 6; e++)
                        for (int k = 0; k < 4; k++) {
                            window_check(big[a], big[b], big[c], big[e], rel, true, ds[k], ds[k]);
                            window_check(big[a], big[b], big[c], big[e], rel, false, 0, ds[k]);
                        }
}
END_TEST

START_TEST(window_values)
{
    int end;
    uint64_t lo, hi;

    ck_assert(allen_window(AL_BEFORE, 0, 10, true, 5, 0, &end, &lo, &hi));
    ck_assert_int_eq(end, 0);
    ck_assert_uint_eq(lo, 11);
    ck_assert_uint_eq(hi, 15);
    ck_assert(allen_window(AL_BEFORE, 0, 10, false, 0, 0, &end, &lo, &hi));
    ck_assert_uint_eq(hi, UINT64_MAX);
    ck_assert(allen_window(AL_AFTER, 10, 20, true, 3, 0, &end, &lo, &hi));
    ck_assert_int_eq(end, 1);
    ck_assert_uint_eq(lo, 7);
    ck_assert_uint_eq(hi, 9);
    ck_assert(allen_window(AL_AFTER, 0, 20, true, 3, 0, &end, &lo, &hi));
    ck_assert_uint_gt(lo, hi);
    ck_assert(allen_window(AL_OVERLAPS, 10, 20, false, 0, 0, &end, &lo, &hi));
    ck_assert_uint_eq(lo, 11);
    ck_assert_uint_eq(hi, 19);
    ck_assert(!allen_window(AL_DURING, 10, 20, false, 0, 100, &end, &lo, &hi));
    ck_assert_int_eq(end, 0);
    ck_assert_uint_eq(lo, 0);
    ck_assert_uint_eq(hi, 9);
    ck_assert(!allen_window(AL_DURING, 1000, 1020, false, 0, 100, &end, &lo, &hi));
    ck_assert_uint_eq(lo, 921);
    ck_assert_uint_eq(hi, 999);
    ck_assert(allen_window(AL_FINISHES, 10, 20, true, 30, 0, &end, &lo, &hi));
    ck_assert_int_eq(end, 1);
    ck_assert_uint_eq(lo, 0);
    ck_assert_uint_eq(hi, 50);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("allen");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, before_after);
    tcase_add_test(tc, meets_metby);
    tcase_add_test(tc, overlaps);
    tcase_add_test(tc, starts);
    tcase_add_test(tc, during);
    tcase_add_test(tc, finishes);
    tcase_add_test(tc, equals);
    tcase_add_test(tc, inverse_exhaustive);
    tcase_add_test(tc, exclusive_proper);
    tcase_add_test(tc, window_sound);
    tcase_add_test(tc, window_values);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
