/* SPDX-License-Identifier: MIT
 * The generator's random source: xoshiro256** seeded through splitmix64, and
 * the distributions built on it.  Only IEEE + - * / and frexp/ldexp (exact)
 * are used, so the same seed yields the same numbers on every machine.
 */
#include <math.h>

#include "gen.h"

uint64_t rng_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Independent streams from one seed: each stream number gives a different
 * splitmix64 sequence to fill the state. */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = rng_mix(seed) ^ rng_mix(stream * 0x5851f42d4c957f2du + 1);
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15u;
        r->s[i] = rng_mix(x);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Unbiased: draws below 2^64 mod n are rejected, so every remainder is
 * equally likely (portable; no 128-bit integers needed). */
uint64_t rng_below(struct rng *r, uint64_t n)
{
    uint64_t reject = -n % n, x;
    do
        x = rng_next(r);
    while (x < reject);
    return x % n;
}

uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

bool rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

double rng_normal(struct rng *r)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += rng_unit(r);
    return s - 6.0;
}

double rng_pareto(struct rng *r, double xm, double alpha)
{
    double u = 1.0 - rng_unit(r); /* (0, 1] */
    return xm * gmath_exp(-gmath_log(u) / alpha);
}

double rng_lognormal(struct rng *r, double median, double sigma)
{
    return median * gmath_exp(sigma * rng_normal(r));
}

#define LN2 0.69314718055994530942

/* ln x = e ln 2 + 2 atanh((m-1)/(m+1)) with m in [0.707, 1.414]: |z| <= 0.172,
 * so eight odd terms reach double precision. */
double gmath_log(double x)
{
    if (!(x > 0))
        return -745.0;
    int e;
    double m = frexp(x, &e) * 2.0;
    e -= 1;
    if (m > 1.4142135623730951) {
        m *= 0.5;
        e += 1;
    }
    double z = (m - 1.0) / (m + 1.0), z2 = z * z, term = z, sum = 0;
    for (int k = 1; k <= 19; k += 2) {
        sum += term / k;
        term *= z2;
    }
    return 2.0 * sum + e * LN2;
}

/* exp x = 2^k e^r with |r| <= ln2/2; Taylor to the 14th power (the next
 * term is below 2^-60), evaluated by Horner's rule. */
double gmath_exp(double x)
{
    static const double inv_fact[15] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
        1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0,
        1.0 / 87178291200.0,
    };
    if (x > 700)
        x = 700;
    if (x < -700)
        return 0;
    double kd = floor(x / LN2 + 0.5);
    double r = x - kd * LN2, sum = inv_fact[14];
    for (int i = 13; i >= 0; i--)
        sum = sum * r + inv_fact[i];
    return ldexp(sum, (int)kd);
}
