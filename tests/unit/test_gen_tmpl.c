/* SPDX-License-Identifier: MIT
 * flowq-gen's NetFlow v9 and IPFIX messages, byte for byte: headers
 * (count, uptime at the whole second, sequence numbers as RFC 3954 and
 * RFC 7011 define them, source id), the template sets in the first and
 * every 20th message, data sets with v9's 32-bit padding and none in
 * IPFIX, the family switch between sets, and the 1400-byte split.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "gen/gen_tmpl.c"

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* An ICMP echo request at export time 1795824005.250 s, router booted at
 * 1795500000.000 s; v6 = true makes it an IPv6 flow 2001:db8::7 ->
 * 3fff:1:203::4 via 2001:db8::2. */
static struct fq_rec rec(bool v6)
{
    struct fq_rec r = {0};
    r.unix_secs = 1795824005;
    r.unix_nsecs = 250000000 + 123456;
    r.sysuptime = 324005250;
    r.first = 324000000;
    r.last = 324004000;
    r.stime = 1795824000000u;
    r.etime = 1795824004000u;
    r.srcip = 0x0a000107;
    r.dstip = 0x01020304;
    r.nexthop = 0xc0000201;
    r.packets = 5;
    r.bytes = 420;
    r.input = 3;
    r.output = 1;
    r.src_as = 64500;
    r.dst_as = 7955;
    r.src_mask = 24;
    r.dst_mask = 16;
    r.proto = 1;
    r.dstport = 0x0800;
    r.tos = 0x10;
    if (v6) {
        static const uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7},
                             d[16] = {0x3f, 0xff, 0, 1, 2, 3, [15] = 4},
                             nh[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
        memcpy(r.ip6[0], s, 16);
        memcpy(r.ip6[1], d, 16);
        memcpy(r.ip6[2], nh, 16);
        r.v6 = 1u << F_SRCIP | 1u << F_DSTIP | 1u << F_NEXTHOP;
        r.srcip = r.dstip = r.nexthop = 0;
        r.proto = 58;
        r.dstport = 0x8000;
        r.src_mask = 64;
        r.dst_mask = 40;
    }
    return r;
}

START_TEST(v9_first_message)
{
    struct tmpl_enc e = {.fmt = GX_V9, .domain = 1};
    struct fq_rec r[2] = {rec(false), rec(true)};
    unsigned char m[TMPL_BUF];
    size_t used, len = tmpl_encode(&e, r, 2, m, &used);
    ck_assert_uint_eq(used, 2);
    /* header, templates 4 + 2 * (4 + 19 * 4), v4 set 4 + 47 + 1 pad,
     * v6 set 4 + 83 + 1 pad */
    ck_assert_uint_eq(len, 20 + 164 + 52 + 88);
    ck_assert_uint_eq(get16(m), 9);
    ck_assert_uint_eq(get16(m + 2), 4);                 /* 2 templates + 2 flows */
    ck_assert_uint_eq(get32(m + 4), 324005250 - 250);   /* uptime at 1795824005.000 */
    ck_assert_uint_eq(get32(m + 8), 1795824005);
    ck_assert_uint_eq(get32(m + 12), 0);
    ck_assert_uint_eq(get32(m + 16), 1);
    const unsigned char *t = m + 20;
    ck_assert_uint_eq(get16(t), 0);
    ck_assert_uint_eq(get16(t + 2), 164);
    ck_assert_uint_eq(get16(t + 4), 256);
    ck_assert_uint_eq(get16(t + 6), 19);
    ck_assert_uint_eq(get16(t + 8), 8);                 /* IPV4_SRC_ADDR, 4 */
    ck_assert_uint_eq(get16(t + 10), 4);
    ck_assert_uint_eq(get16(t + 84), 257);
    ck_assert_uint_eq(get16(t + 88), 27);               /* IPV6_SRC_ADDR, 16 */
    ck_assert_uint_eq(get16(t + 90), 16);
    const unsigned char *d = t + 164;
    ck_assert_uint_eq(get16(d), 256);
    ck_assert_uint_eq(get16(d + 2), 52);
    ck_assert_uint_eq(get32(d + 4), 0x0a000107);
    ck_assert_uint_eq(get32(d + 8), 0x01020304);
    ck_assert_uint_eq(get32(d + 12), 0xc0000201);
    ck_assert_uint_eq(get16(d + 16), 3);
    ck_assert_uint_eq(get16(d + 18), 1);
    ck_assert_uint_eq(get32(d + 20), 5);
    ck_assert_uint_eq(get32(d + 24), 420);
    ck_assert_uint_eq(get32(d + 28), 324000000);
    ck_assert_uint_eq(get32(d + 32), 324004000);
    ck_assert_uint_eq(get16(d + 36), 0);
    ck_assert_uint_eq(get16(d + 38), 0x0800);
    ck_assert_uint_eq(d[40], 0);                        /* flags */
    ck_assert_uint_eq(d[41], 1);
    ck_assert_uint_eq(d[42], 0x10);
    ck_assert_uint_eq(get16(d + 43), 64500);
    ck_assert_uint_eq(get16(d + 45), 7955);
    ck_assert_uint_eq(d[47], 24);
    ck_assert_uint_eq(d[48], 16);
    ck_assert_uint_eq(get16(d + 49), 0x0800);           /* ICMP_TYPE */
    ck_assert_uint_eq(d[51], 0);                        /* padding */
    const unsigned char *d6 = d + 52;
    ck_assert_uint_eq(get16(d6), 257);
    ck_assert_uint_eq(get16(d6 + 2), 88);
    ck_assert_mem_eq(d6 + 4, r[1].ip6[0], 16);
    ck_assert_mem_eq(d6 + 20, r[1].ip6[1], 16);
    ck_assert_mem_eq(d6 + 36, r[1].ip6[2], 16);
    ck_assert_uint_eq(d6[4 + 48 + 25], 58);             /* protocol */
    ck_assert_uint_eq(d6[4 + 48 + 31], 64);
    ck_assert_uint_eq(d6[4 + 48 + 32], 40);
    ck_assert_uint_eq(get16(d6 + 4 + 48 + 33), 0x8000); /* ICMP_TYPE for ICMPv6 too */

    /* the next message: no templates, the next packet number */
    len = tmpl_encode(&e, r, 1, m, &used);
    ck_assert_uint_eq(len, 20 + 52);
    ck_assert_uint_eq(get16(m + 2), 1);
    ck_assert_uint_eq(get32(m + 12), 1);
    ck_assert_uint_eq(get16(m + 20), 256);
}
END_TEST

START_TEST(ipfix_messages)
{
    struct tmpl_enc e = {.fmt = GX_IPFIX, .domain = 1};
    struct fq_rec r[3] = {rec(false), rec(true), rec(false)};
    unsigned char m[TMPL_BUF];
    size_t used, len = tmpl_encode(&e, r, 3, m, &used);
    ck_assert_uint_eq(used, 3);
    /* v4 record 71 bytes, v6 record 107; no padding; three sets */
    ck_assert_uint_eq(len, 16 + 164 + (4 + 71) + (4 + 107) + (4 + 71));
    ck_assert_uint_eq(get16(m), 10);
    ck_assert_uint_eq(get16(m + 2), len);
    ck_assert_uint_eq(get32(m + 4), 1795824005);
    ck_assert_uint_eq(get32(m + 8), 0);
    ck_assert_uint_eq(get32(m + 12), 1);
    ck_assert_uint_eq(get16(m + 16), 2);
    ck_assert_uint_eq(get16(m + 18), 164);
    const unsigned char *d = m + 16 + 164;
    ck_assert_uint_eq(get16(d), 256);
    ck_assert_uint_eq(get16(d + 2), 75);
    ck_assert_uint_eq(get32(d + 12 + 4), 3);            /* ingressInterface, 4 */
    ck_assert_uint_eq(get64(d + 20 + 4), 5);            /* packetDeltaCount, 8 */
    ck_assert_uint_eq(get64(d + 28 + 4), 420);
    ck_assert_uint_eq(get64(d + 36 + 4), 1795824000000u); /* flowStartMilliseconds */
    ck_assert_uint_eq(get64(d + 44 + 4), 1795824004000u);
    ck_assert_uint_eq(get32(d + 59 + 4), 64500);        /* bgpSourceAsNumber, 4 */
    ck_assert_uint_eq(d[67 + 4], 24);
    ck_assert_uint_eq(get16(d + 69 + 4), 0x0800);       /* icmpTypeCodeIPv4 */
    ck_assert_uint_eq(get16(d + 75), 257);
    ck_assert_uint_eq(get16(d + 77), 111);
    ck_assert_uint_eq(get16(d + 75 + 4 + 105), 0x8000);  /* icmpTypeCodeIPv6 */
    ck_assert_uint_eq(get16(d + 75 + 111), 256);

    len = tmpl_encode(&e, r, 1, m, &used);
    ck_assert_uint_eq(len, 16 + 75);
    ck_assert_uint_eq(get32(m + 8), 3);                 /* data records before */
}
END_TEST

START_TEST(split_and_template_period)
{
    struct tmpl_enc e = {.fmt = GX_IPFIX, .domain = 1};
    struct fq_rec r[30];
    for (size_t i = 0; i < 30; i++)
        r[i] = rec(true);
    unsigned char m[TMPL_BUF];
    size_t used, len, left = 30, seq[3], got[3];
    const struct fq_rec *p = r;
    for (int i = 0; i < 3; i++) {
        len = tmpl_encode(&e, p, left, m, &used);
        ck_assert_uint_le(len, 1400);
        ck_assert_uint_eq(get16(m + 2), len);
        seq[i] = get32(m + 8);
        got[i] = used;
        p += used;
        left -= used;
    }
    ck_assert_uint_eq(left, 0);
    ck_assert_uint_eq(got[0], 11);                      /* 16 + 164 + 4 + 11 * 107 */
    ck_assert_uint_eq(got[1], 12);                      /* 16 + 4 + 12 * 107 */
    ck_assert_uint_eq(got[2], 7);
    ck_assert_uint_eq(seq[0], 0);
    ck_assert_uint_eq(seq[1], 11);
    ck_assert_uint_eq(seq[2], 23);
    /* messages 3 to 19 carry no templates, message 20 does */
    for (int i = 3; i < 20; i++) {
        tmpl_encode(&e, r, 1, m, &used);
        ck_assert_uint_eq(get16(m + 16), 257);
    }
    tmpl_encode(&e, r, 1, m, &used);
    ck_assert_uint_eq(get16(m + 16), 2);
    ck_assert_uint_eq(get32(m + 8), 30 + 17);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gen_tmpl");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, v9_first_message);
    tcase_add_test(tc, ipfix_messages);
    tcase_add_test(tc, split_and_template_period);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
