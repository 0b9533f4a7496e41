/* SPDX-License-Identifier: MIT
 * Record filter: every operator on fields of each size (1, 2, 4, 8 bytes)
 * against constants on either side, field-field terms, the delta table of
 * 6.3 (including near 2^64), prefixes, bitAND/bitOR, NOT, OR, references
 * and filt_run's flags.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static struct fq_expr fld(enum fq_field f)
{
    return (struct fq_expr){.kind = X_FIELD, .type = fq_fields[f].type,
                            .width = fq_fields[f].width, .field = f};
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
    t.has_delta = true;
    t.delta = d;
    return t;
}

/* One-term filter evaluated on r. */
static bool eval1(struct fq_term t, const struct fq_rec *r)
{
    struct fq_clause c = {&t, 1};
    struct fq_cnf cnf = {"f", &c, 1};
    struct filt *f = filt_compile(&cnf);
    bool m = filt_match(f, r);
    filt_free(f);
    return m;
}

static struct fq_rec rec0(void)
{
    struct fq_rec r;
    memset(&r, 0, sizeof r);
    r.proto = 6;
    r.dstport = 80;
    r.srcport = 1024;
    r.bytes = 1000;
    r.packets = 10;
    r.srcip = 0x0a000001;       /* 10.0.0.1 */
    r.dstip = 0xc0a80105;       /* 192.168.1.5 */
    r.stime = 1000000;
    r.etime = 1000500;
    r.tcp_flags = 0x12;
    return r;
}

START_TEST(sizes_and_ops)
{
    struct fq_rec r = rec0();
    static const enum fq_field fs[] = {F_PROTO, F_DSTPORT, F_BYTES, F_STIME};
    for (size_t i = 0; i < 4; i++) {
        uint64_t v = rec_get(&r, fs[i]);
        ck_assert(eval1(cmp(fld(fs[i]), OP_EQ, cst(v)), &r));
        ck_assert(!eval1(cmp(fld(fs[i]), OP_EQ, cst(v + 1)), &r));
        ck_assert(eval1(cmp(fld(fs[i]), OP_NE, cst(v + 1)), &r));
        ck_assert(!eval1(cmp(fld(fs[i]), OP_NE, cst(v)), &r));
        ck_assert(eval1(cmp(fld(fs[i]), OP_LT, cst(v + 1)), &r));
        ck_assert(!eval1(cmp(fld(fs[i]), OP_LT, cst(v)), &r));
        ck_assert(eval1(cmp(fld(fs[i]), OP_LE, cst(v)), &r));
        ck_assert(!eval1(cmp(fld(fs[i]), OP_LE, cst(v - 1)), &r));
        ck_assert(eval1(cmp(fld(fs[i]), OP_GT, cst(v - 1)), &r));
        ck_assert(!eval1(cmp(fld(fs[i]), OP_GT, cst(v)), &r));
        ck_assert(eval1(cmp(fld(fs[i]), OP_GE, cst(v)), &r));
        ck_assert(!eval1(cmp(fld(fs[i]), OP_GE, cst(v + 1)), &r));
        /* constant on the left: 80 < dstport is dstport > 80 */
        ck_assert(eval1(cmp(cst(v - 1), OP_LT, fld(fs[i])), &r));
        ck_assert(!eval1(cmp(cst(v), OP_LT, fld(fs[i])), &r));
        ck_assert(eval1(cmp(cst(v), OP_GE, fld(fs[i])), &r));
        ck_assert(!eval1(cmp(cst(v - 1), OP_GE, fld(fs[i])), &r));
    }
    /* no truncation: a constant wider than the field never equals it */
    ck_assert(!eval1(cmp(fld(F_PROTO), OP_EQ, cst(256 + 6)), &r));
    ck_assert(eval1(cmp(fld(F_PROTO), OP_LT, cst(256)), &r));
}
END_TEST

START_TEST(fields_both_sides)
{
    struct fq_rec r = rec0();
    ck_assert(eval1(cmp(fld(F_SRCPORT), OP_GT, fld(F_DSTPORT)), &r));
    ck_assert(!eval1(cmp(fld(F_SRCPORT), OP_LE, fld(F_DSTPORT)), &r));
    ck_assert(eval1(cmp(fld(F_STIME), OP_LT, fld(F_ETIME)), &r));
    ck_assert(eval1(cmp(fld(F_PACKETS), OP_LT, fld(F_BYTES)), &r));
    ck_assert(!eval1(cmp(fld(F_SRCIP), OP_EQ, fld(F_DSTIP)), &r));
}
END_TEST

START_TEST(delta_table)
{
    struct fq_rec r = rec0();   /* stime 1000000, etime 1000500 */
    struct fq_expr s = fld(F_STIME), e = fld(F_ETIME);
    ck_assert(eval1(cmpd(s, OP_EQ, e, 500), &r));
    ck_assert(!eval1(cmpd(s, OP_EQ, e, 499), &r));
    ck_assert(eval1(cmpd(e, OP_EQ, s, 500), &r));
    ck_assert(eval1(cmpd(s, OP_NE, e, 499), &r));
    ck_assert(!eval1(cmpd(s, OP_NE, e, 500), &r));
    ck_assert(eval1(cmpd(s, OP_LT, e, 500), &r));
    ck_assert(!eval1(cmpd(s, OP_LT, e, 499), &r));
    ck_assert(!eval1(cmpd(e, OP_LT, s, 10000), &r));
    ck_assert(eval1(cmpd(s, OP_LE, e, 500), &r));
    ck_assert(eval1(cmpd(e, OP_GT, s, 500), &r));
    ck_assert(!eval1(cmpd(e, OP_GT, s, 499), &r));
    ck_assert(!eval1(cmpd(s, OP_GT, e, 10000), &r));
    ck_assert(eval1(cmpd(e, OP_GE, s, 500), &r));
    ck_assert(eval1(cmpd(s, OP_LE, s, 0), &r));
    ck_assert(!eval1(cmpd(s, OP_LT, s, 0), &r));
    /* near 2^64 a wrapping difference would be small */
    r.stime = UINT64_MAX;
    r.etime = 1;
    ck_assert(!eval1(cmpd(s, OP_EQ, e, 5), &r));
    ck_assert(eval1(cmpd(s, OP_NE, e, 5), &r));
    ck_assert(!eval1(cmpd(e, OP_LT, s, 5), &r));
    ck_assert(eval1(cmpd(e, OP_LT, s, UINT64_MAX), &r));
    /* field and constant with a delta */
    r = rec0();
    ck_assert(eval1(cmpd(fld(F_DSTPORT), OP_EQ, cst(83), 3), &r));
    ck_assert(!eval1(cmpd(fld(F_DSTPORT), OP_EQ, cst(84), 3), &r));
    ck_assert(eval1(cmpd(cst(77), OP_LT, fld(F_DSTPORT), 3), &r));
    ck_assert(!eval1(cmpd(cst(76), OP_LT, fld(F_DSTPORT), 3), &r));
}
END_TEST

START_TEST(prefixes)
{
    struct fq_rec r = rec0();
    ck_assert(eval1(cmp(fld(F_SRCIP), OP_IN, pfx(0x0a000000, 8)), &r));
    ck_assert(!eval1(cmp(fld(F_SRCIP), OP_NOTIN, pfx(0x0a000000, 8)), &r));
    ck_assert(!eval1(cmp(fld(F_DSTIP), OP_IN, pfx(0x0a000000, 8)), &r));
    ck_assert(eval1(cmp(fld(F_DSTIP), OP_IN, pfx(0xc0a80104, 30)), &r));
    ck_assert(!eval1(cmp(fld(F_DSTIP), OP_IN, pfx(0xc0a80104, 32)), &r));
    ck_assert(eval1(cmp(fld(F_DSTIP), OP_IN, pfx(0xc0a80105, 32)), &r));
    ck_assert(eval1(cmp(fld(F_DSTIP), OP_IN, pfx(0, 0)), &r));
    ck_assert(!eval1(cmp(fld(F_DSTIP), OP_NOTIN, pfx(0, 0)), &r));
    ck_assert(eval1(cmp(cst(0x0a0a0a0a), OP_IN, pfx(0x0a000000, 8)), &r));
}
END_TEST

static const uint8_t db8_1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
                     db8_2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2},
                     db8_net[16] = {0x20, 0x01, 0x0d, 0xb8},
                     mapped[16] = {[10] = 0xff, 0xff, 10, 0, 0, 1};

static struct fq_expr a6(const uint8_t *a)
{
    return (struct fq_expr){.kind = X_CONST, .type = VT_ADDR, .width = 32, .ip6 = a};
}

static struct fq_expr a4(uint32_t a)
{
    return (struct fq_expr){.kind = X_CONST, .type = VT_ADDR, .width = 32, .u = a};
}

static struct fq_expr pfx6(const uint8_t *net, unsigned plen)
{
    return (struct fq_expr){.kind = X_PREFIX, .type = VT_PREFIX, .ip6 = net, .plen = plen};
}

/* IPv4 and IPv6 are distinct values; every IPv4 address sorts before
 * every IPv6 one; a prefix holds addresses of its own family only. */
START_TEST(ipv6_terms)
{
    struct fq_rec r4 = rec0(), r6 = rec0();
    r4.srcip = 0x0a000001u;                     /* 10.0.0.1 */
    r6.v6 = 1u << F_SRCIP | 1u << F_DSTIP;
    memcpy(r6.ip6[F_SRCIP], db8_1, 16);
    memcpy(r6.ip6[F_DSTIP], mapped, 16);       /* ::ffff:10.0.0.1 */
    struct fq_expr s = fld(F_SRCIP), d = fld(F_DSTIP);
    /* IPv6 constants */
    ck_assert(eval1(cmp(s, OP_EQ, a6(db8_1)), &r6));
    ck_assert(!eval1(cmp(s, OP_EQ, a6(db8_2)), &r6));
    ck_assert(!eval1(cmp(s, OP_EQ, a6(db8_1)), &r4));
    ck_assert(eval1(cmp(s, OP_NE, a6(db8_1)), &r4));
    ck_assert(eval1(cmp(s, OP_LT, a6(db8_2)), &r6));
    ck_assert(eval1(cmp(s, OP_LE, a6(db8_1)), &r6));
    ck_assert(!eval1(cmp(s, OP_GT, a6(db8_1)), &r6));
    ck_assert(eval1(cmp(s, OP_LT, a6(db8_1)), &r4)); /* IPv4 < IPv6 */
    ck_assert(!eval1(cmp(s, OP_GE, a6(db8_1)), &r4));
    ck_assert(eval1(cmp(a6(db8_2), OP_GT, s), &r6)); /* constant on the left */
    /* IPv4 constants against IPv6 values (the fast path's v6 test) */
    ck_assert(!eval1(cmp(d, OP_EQ, a4(0x0a000001u)), &r6)); /* ::ffff:10.0.0.1 != 10.0.0.1 */
    ck_assert(eval1(cmp(d, OP_NE, a4(0x0a000001u)), &r6));
    ck_assert(eval1(cmp(s, OP_EQ, a4(0x0a000001u)), &r4));
    ck_assert(eval1(cmp(s, OP_GT, a4(0xffffffffu)), &r6));
    ck_assert(eval1(cmp(s, OP_GE, a4(0xffffffffu)), &r6));
    ck_assert(!eval1(cmp(s, OP_LT, a4(0xffffffffu)), &r6));
    ck_assert(!eval1(cmp(s, OP_LE, a4(0xffffffffu)), &r6));
    ck_assert(!eval1(cmp(s, OP_EQ, a4(0)), &r6)); /* the 32-bit member is 0 */
    /* prefixes */
    ck_assert(eval1(cmp(s, OP_IN, pfx6(db8_net, 32)), &r6));
    ck_assert(!eval1(cmp(s, OP_NOTIN, pfx6(db8_net, 32)), &r6));
    ck_assert(eval1(cmp(s, OP_IN, pfx6(db8_1, 128)), &r6));
    ck_assert(!eval1(cmp(s, OP_IN, pfx6(db8_2, 127)), &r6)); /* ...:2/127 is ::2, ::3 */
    ck_assert(eval1(cmp(s, OP_IN, pfx6(db8_1, 127)), &r6)); /* ...:0/127 holds ::1 */
    ck_assert(!eval1(cmp(s, OP_IN, pfx6(db8_net, 0)), &r4)); /* ::/0 holds no IPv4 */
    ck_assert(eval1(cmp(s, OP_NOTIN, pfx6(db8_net, 0)), &r4));
    ck_assert(!eval1(cmp(s, OP_IN, pfx(0, 0)), &r6));        /* 0.0.0.0/0 holds no IPv6 */
    ck_assert(eval1(cmp(s, OP_NOTIN, pfx(0, 0)), &r6));
    ck_assert(eval1(cmp(s, OP_IN, pfx(0, 0)), &r4));
    ck_assert(!eval1(cmp(d, OP_IN, pfx(0x0a000000u, 8)), &r6)); /* mapped is IPv6 */
    /* field against field: family first, then value */
    ck_assert(!eval1(cmp(s, OP_EQ, d), &r6));
    ck_assert(eval1(cmp(s, OP_GT, d), &r6));       /* 2001:db8::1 > ::ffff:10.0.0.1 */
    struct fq_rec mix = r4;                        /* srcip 10.0.0.1, dstip IPv6 */
    mix.v6 = 1u << F_DSTIP;
    memcpy(mix.ip6[F_DSTIP], db8_1, 16);
    ck_assert(eval1(cmp(s, OP_LT, d), &mix));
    ck_assert(eval1(cmp(s, OP_NE, d), &mix));
    ck_assert(!eval1(cmp(s, OP_EQ, d), &mix));
    memcpy(mix.ip6[F_SRCIP], db8_1, 16);
    mix.v6 |= 1u << F_SRCIP;
    mix.srcip = 0;
    ck_assert(eval1(cmp(s, OP_EQ, d), &mix));
    ck_assert(eval1(cmp(s, OP_GE, d), &mix));
    /* bytes far apart: the order is by sign, not by the size of the difference */
    static const uint8_t lo[16] = {[15] = 1}, hi[16] = {0xfe, 0x80, [15] = 1};
    memcpy(mix.ip6[F_SRCIP], lo, 16);
    memcpy(mix.ip6[F_DSTIP], hi, 16);
    ck_assert(!eval1(cmp(s, OP_GT, d), &mix));
    ck_assert(!eval1(cmp(s, OP_GE, d), &mix));
    ck_assert(eval1(cmp(s, OP_LT, d), &mix));
    ck_assert(eval1(cmp(d, OP_GT, s), &mix));
    ck_assert(!eval1(cmp(s, OP_GE, a6(hi)), &mix));
    ck_assert(eval1(cmp(d, OP_GT, a6(lo)), &mix));
}

START_TEST(bit_functions)
{
    struct fq_rec r = rec0();   /* tcp_flags 0x12 */
    struct fq_expr args[2] = {fld(F_TCP_FLAGS), cst(0x02)};
    struct fq_expr band = {.kind = X_BITAND, .type = VT_UINT, .width = 8, .args = args, .nargs = 2};
    ck_assert(eval1(cmp(band, OP_EQ, cst(0x02)), &r));
    args[1] = cst(0x01);
    ck_assert(eval1(cmp(band, OP_EQ, cst(0)), &r));
    struct fq_expr bor = band;
    bor.kind = X_BITOR;
    ck_assert(eval1(cmp(bor, OP_EQ, cst(0x13)), &r));
    ck_assert(eval1(cmp(cst(0x13), OP_EQ, bor), &r));
}
END_TEST

START_TEST(structure)
{
    struct fq_rec r = rec0();
    /* (proto = 17 OR dstport = 80) AND NOT srcport = 1024 */
    struct fq_term c1[2] = {cmp(fld(F_PROTO), OP_EQ, cst(17)), cmp(fld(F_DSTPORT), OP_EQ, cst(80))};
    struct fq_term c2[1] = {cmp(fld(F_SRCPORT), OP_EQ, cst(1024))};
    c2[0].negate = true;
    struct fq_clause cl[2] = {{c1, 2}, {c2, 1}};
    struct fq_cnf cnf = {"f", cl, 2};
    struct filt *f = filt_compile(&cnf);
    ck_assert(!filt_match(f, &r));
    r.srcport = 1025;
    ck_assert(filt_match(f, &r));
    r.dstport = 81;
    ck_assert(!filt_match(f, &r));
    r.proto = 17;
    ck_assert(filt_match(f, &r));
    filt_free(f);

    /* a reference, negated and OR-ed: NOT web OR proto = 1 */
    struct fq_term wt[1] = {cmp(fld(F_DSTPORT), OP_EQ, cst(80))};
    struct fq_clause wc = {wt, 1};
    struct fq_cnf web = {"web", &wc, 1};
    struct fq_term rt[2] = {{.kind = T_REF, .negate = true, .ref = &web},
                            cmp(fld(F_PROTO), OP_EQ, cst(1))};
    struct fq_clause rc = {rt, 2};
    struct fq_cnf top = {"top", &rc, 1};
    f = filt_compile(&top);
    r = rec0();
    ck_assert(!filt_match(f, &r));
    r.proto = 1;
    ck_assert(filt_match(f, &r));
    r.proto = 6;
    r.dstport = 443;
    ck_assert(filt_match(f, &r));
    filt_free(f);

    /* a long chain of one-term references, negated on the way:
     * NOT c[0]; c[i] = { c[i+1] }; c[N-1] = { NOT dstport = 80 } */
    enum { N = 100000 };
    struct fq_cnf *chain = calloc(N, sizeof *chain);
    struct fq_clause *ccl = calloc(N, sizeof *ccl);
    struct fq_term *ctm = calloc(N, sizeof *ctm);
    for (int i = 0; i < N; i++) {
        ctm[i] = i + 1 < N ? (struct fq_term){.kind = T_REF, .ref = &chain[i + 1]}
                           : cmp(fld(F_DSTPORT), OP_EQ, cst(80));
        ctm[i].negate = i + 1 == N;
        ccl[i] = (struct fq_clause){&ctm[i], 1};
        chain[i] = (struct fq_cnf){"c", &ccl[i], 1};
    }
    struct fq_term top1 = {.kind = T_REF, .negate = true, .ref = &chain[0]};
    struct fq_clause topc = {&top1, 1};
    struct fq_cnf topf = {"t", &topc, 1};
    f = filt_compile(&topf);
    r = rec0();
    ck_assert(filt_match(f, &r));       /* NOT NOT dstport = 80 */
    r.dstport = 81;
    ck_assert(!filt_match(f, &r));
    filt_free(f);
    /* a reference to an empty filter holds */
    struct fq_cnf none = {"none", NULL, 0};
    struct fq_term rn = {.kind = T_REF, .ref = &none};
    struct fq_clause rnc = {&rn, 1};
    struct fq_cnf rnf = {"r", &rnc, 1};
    f = filt_compile(&rnf);
    ck_assert(filt_match(f, &r));
    filt_free(f);
    rn.negate = true;
    f = filt_compile(&rnf);
    ck_assert(!filt_match(f, &r));
    filt_free(f);
    free(chain);
    free(ccl);
    free(ctm);

    /* empty filter and NULL accept everything */
    struct fq_cnf empty = {"e", NULL, 0};
    f = filt_compile(&empty);
    ck_assert(filt_match(f, &r));
    filt_free(f);
    f = filt_compile(NULL);
    ck_assert(filt_match(f, &r));
    filt_free(f);
}
END_TEST

START_TEST(run_flags)
{
    struct fq_rec recs[10];
    for (int i = 0; i < 10; i++) {
        recs[i] = rec0();
        recs[i].dstport = (uint16_t)(i % 3 == 0 ? 80 : 443);
        recs[i].rec_id = (uint64_t)i;
    }
    struct fq_term t = cmp(fld(F_DSTPORT), OP_EQ, cst(80));
    struct fq_clause c = {&t, 1};
    struct fq_cnf cnf = {"f", &c, 1};
    struct filt *f = filt_compile(&cnf);
    uint8_t pass[10];
    ck_assert_uint_eq(filt_run(f, recs, 0, 10, pass), 4);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(pass[i], i % 3 == 0);
    ck_assert_uint_eq(filt_run(f, recs, 4, 10, pass), 2);
    ck_assert_uint_eq(pass[0], 0);
    ck_assert_uint_eq(pass[2], 1);
    filt_free(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sizes_and_ops);
    tcase_add_test(tc, fields_both_sides);
    tcase_add_test(tc, delta_table);
    tcase_add_test(tc, prefixes);
    tcase_add_test(tc, ipv6_terms);
    tcase_add_test(tc, bit_functions);
    tcase_add_test(tc, structure);
    tcase_add_test(tc, run_flags);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
