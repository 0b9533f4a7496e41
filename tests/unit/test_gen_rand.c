/* SPDX-License-Identifier: MIT
 * flowq-gen's random source: splitmix64 and xoshiro256** give the values of
 * an independent implementation (the generator's bytes depend on them on
 * every machine), rng_below stays in range and is unbiased, and the
 * libm-free ln/exp agree with libm (to 1e-14 relative, 2e-13 for exp at
 * the far ends of its range, where k ln 2 is large).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "gen/gen_rand.c"

START_TEST(splitmix_values)
{
    /* the published first output of splitmix64 from state 0 */
    ck_assert_uint_eq(rng_mix(0), 0xe220a8397b1dcdafu);
    ck_assert_uint_eq(rng_mix(1), 0x910a2dec89025cc1u);
}
END_TEST

START_TEST(xoshiro_values)
{
    static const struct { uint64_t seed, stream, out[3]; } v[] = {
        {1, 0, {0x422ea740d0977210u, 0xe062b061b42e2928u, 0x5a071fc5930841b6u}},
        {1, 1, {0x831edd1f26995474u, 0x994179212cf9f7c5u, 0x40e12edc81289860u}},
        {42, 7, {0x067e3caf596014abu, 0x7cced84bc9402577u, 0xd570a64fc7e23e66u}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct rng r;
        rng_seed(&r, v[i].seed, v[i].stream);
        for (int k = 0; k < 3; k++)
            ck_assert_uint_eq(rng_next(&r), v[i].out[k]);
    }
}
END_TEST

START_TEST(below_values_and_range)
{
    struct rng r;
    rng_seed(&r, 1, 0);
    static const uint64_t want[] = {2, 2, 2, 3, 7, 7, 2, 6};
    for (size_t k = 0; k < 8; k++)
        ck_assert_uint_eq(rng_below(&r, 10), want[k]);
    unsigned count[7] = {0};
    for (int k = 0; k < 70000; k++) {
        uint64_t x = rng_range(&r, 3, 9);
        ck_assert(x >= 3 && x <= 9);
        count[x - 3]++;
    }
    for (int k = 0; k < 7; k++) /* 10000 expected; 5 sigma is 475 */
        ck_assert(count[k] > 9500 && count[k] < 10500);
    ck_assert_uint_eq(rng_below(&r, 1), 0);
    ck_assert(rng_below(&r, UINT64_MAX) < UINT64_MAX);
}
END_TEST

START_TEST(unit_interval)
{
    struct rng r;
    rng_seed(&r, 9, 9);
    double lo = 1, hi = 0;
    for (int k = 0; k < 100000; k++) {
        double u = rng_unit(&r);
        ck_assert(u >= 0 && u < 1);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    ck_assert(lo < 0.001 && hi > 0.999);
}
END_TEST

START_TEST(log_exp_accuracy)
{
    for (double x = -700; x <= 700; x += 0.37) {
        double want = exp(x), got = gmath_exp(x), tol = fabs(x) < 40 ? 1e-14 : 2e-13;
        ck_assert_msg(fabs(got - want) <= tol * want, "exp(%g): %.17g vs %.17g", x, got, want);
    }
    for (double x = 1e-300; x < 1e300; x *= 1.7) {
        double want = log(x), got = gmath_log(x);
        ck_assert_msg(fabs(got - want) <= 1e-14 * (fabs(want) > 1 ? fabs(want) : 1),
                      "log(%g): %.17g vs %.17g", x, got, want);
    }
    ck_assert(gmath_exp(0) == 1.0);
    ck_assert(gmath_log(1) == 0.0);
    ck_assert(gmath_exp(-800) == 0.0);
    ck_assert(gmath_log(0) == -745.0); /* below every log of a double */
}
END_TEST

START_TEST(distributions)
{
    struct rng r;
    rng_seed(&r, 5, 2);
    double sum = 0, sum2 = 0;
    int n = 200000, above = 0;
    for (int k = 0; k < n; k++) {
        double z = rng_normal(&r);
        sum += z;
        sum2 += z * z;
        double p = rng_pareto(&r, 3, 1.5);
        ck_assert(p >= 3);
        above += p > 30; /* P(X > 10 xm) = 10^-1.5 = 0.0316 */
    }
    ck_assert(fabs(sum / n) < 0.01);
    ck_assert(fabs(sum2 / n - 1) < 0.02);
    ck_assert(above > 0.0316 * n * 0.9 && above < 0.0316 * n * 1.1);
    int below_median = 0;
    for (int k = 0; k < n; k++)
        below_median += rng_lognormal(&r, 40, 0.8) < 40;
    ck_assert(abs(below_median - n / 2) < n / 100);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gen_rand");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, splitmix_values);
    tcase_add_test(tc, xoshiro_values);
    tcase_add_test(tc, below_values_and_range);
    tcase_add_test(tc, unit_interval);
    tcase_add_test(tc, log_exp_accuracy);
    tcase_add_test(tc, distributions);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
