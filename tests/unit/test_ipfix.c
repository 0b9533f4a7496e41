/* SPDX-License-Identifier: MIT
 * The IPFIX reader on the fixtures softflowd made (tests/data/ipfix):
 * exact field values of IPv4 and IPv6 records, every time encoding, the
 * biflow split against the same flows exported one direction at a time,
 * small output buffers, and corrupt input (truncation at every byte, bad
 * lengths, a data set without its template) with messages and offsets.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipfix.h"

#define DIR "tests/data/ipfix/"
enum { MAXREC = 64 };

static unsigned char *load(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    static unsigned char buf[4][1 << 16];
    static int k;
    unsigned char *b = buf[k++ % 4];
    *n = fread(b, 1, sizeof buf[0], fp);
    ck_assert_int_eq(fclose(fp), 0);
    return b;
}

/* Every record of p[0..n), read cap at a time; returns the count, or -1
 * with *err filled. */
static ssize_t read_mem(const unsigned char *p, size_t n, size_t cap, struct fq_rec *out,
                        struct fq_error *err)
{
    struct ipfix_reader *r = ipfix_open_mem(p, n, "mem.ipfix", err);
    ck_assert_ptr_nonnull(r);
    ssize_t k = 0, got;
    while ((got = ipfix_next(r, out + k, cap, err)) > 0) {
        k += got;
        ck_assert_int_le(k, MAXREC);
    }
    ipfix_close(r);
    return got < 0 ? -1 : k;
}

static ssize_t read_file(const char *path, struct fq_rec *out)
{
    struct fq_error err = {0};
    struct ipfix_reader *r = ipfix_open_fd(-1, path, path, NULL, 0, &err);
    ck_assert_ptr_nonnull(r);
    ssize_t k = 0, got;
    while ((got = ipfix_next(r, out + k, (size_t)(MAXREC - k), &err)) > 0)
        k += got;
    ck_assert_msg(got == 0, "%s: %s", path, err.msg);
    ipfix_close(r);
    return k;
}

static const uint8_t v6_10[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};      /* 2001:db8::10 */
static const uint8_t v6_1_20[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x20}; /* 2001:db8:1::20 */

START_TEST(ipv4_and_ipv6_records)
{
    struct fq_rec v[MAXREC];
    ck_assert_int_eq(read_file(DIR "milli.ipfix", v), 10);
    const struct fq_rec *a = &v[0];
    ck_assert_uint_eq(a->rec_id, 0);
    ck_assert_uint_eq(a->v6, 0);
    ck_assert_uint_eq(a->srcip, 0xC000020Au);   /* 192.0.2.10 */
    ck_assert_uint_eq(a->dstip, 0xC6336414u);   /* 198.51.100.20 */
    ck_assert_uint_eq(a->srcport, 40000);
    ck_assert_uint_eq(a->dstport, 80);
    ck_assert_uint_eq(a->proto, 6);
    ck_assert_uint_eq(a->packets, 6);
    ck_assert_uint_eq(a->bytes, 740);
    ck_assert_uint_eq(a->tcp_flags, 0x1b);
    ck_assert_uint_eq(a->stime, UINT64_C(1700000000000));
    ck_assert_uint_eq(a->etime, UINT64_C(1700000001220));
    ck_assert_uint_eq(a->duration, 1220);
    ck_assert_uint_eq(a->unix_secs, 1700000001u);
    ck_assert_uint_eq(a->unix_nsecs, 220000000u);
    ck_assert_uint_eq(a->sysuptime, 1220);
    ck_assert_uint_eq(a->first, 0);
    ck_assert_uint_eq(a->last, 1220);
    ck_assert_uint_eq(a->nexthop | a->exaddr | a->input | a->output | a->src_as | a->dst_as, 0);
    ck_assert_uint_eq(a->tos | a->src_mask | a->dst_mask | a->engine_type | a->engine_id, 0);
    for (int f = 0; f < 4; f++)
        for (int i = 0; i < 16; i++)
            ck_assert_uint_eq(a->ip6[f][i], 0);
    /* ICMP echo request: type 8 code 0 in dstport */
    ck_assert_uint_eq(v[4].proto, 1);
    ck_assert_uint_eq(v[4].srcport, 0);
    ck_assert_uint_eq(v[4].dstport, 8 * 256);
    ck_assert_uint_eq(v[4].stime, UINT64_C(1700000001400));
    /* IPv6 TCP: 2001:db8::10 -> 2001:db8:1::20:443 */
    const struct fq_rec *b = &v[6];
    ck_assert_uint_eq(b->rec_id, 6);
    ck_assert_uint_eq(b->v6, (1u << F_SRCIP) | (1u << F_DSTIP));
    ck_assert_mem_eq(b->ip6[F_SRCIP], v6_10, 16);
    ck_assert_mem_eq(b->ip6[F_DSTIP], v6_1_20, 16);
    ck_assert_uint_eq(b->srcip | b->dstip, 0);
    ck_assert_uint_eq(b->srcport, 40001);
    ck_assert_uint_eq(b->dstport, 443);
    ck_assert_uint_eq(b->packets, 6);
    ck_assert_uint_eq(b->bytes, 6 * 60 + 700);
    ck_assert_uint_eq(b->stime, UINT64_C(1700000002000));
    ck_assert_uint_eq(b->etime, UINT64_C(1700000003220));
}
END_TEST

/* Start and end times of the first and last records, every encoding. */
START_TEST(time_encodings)
{
    static const struct {
        const char *file;
        uint64_t s0, e0, s9, e9;
    } c[] = {
        {DIR "milli.ipfix", 1700000000000, 1700000001220, 1700000003300, 1700000003400},
        {DIR "sysup.ipfix", 1700000000000, 1700000001220, 1700000003300, 1700000003400},
        {DIR "micro.ipfix", 1700000000000, 1700000001220, 1700000003300, 1700000003400},
        {DIR "sec.ipfix", 1700000000000, 1700000001000, 1700000003000, 1700000003000},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct fq_rec v[MAXREC];
        ck_assert_int_eq(read_file(c[i].file, v), 10);
        ck_assert_msg(v[0].stime == c[i].s0 && v[0].etime == c[i].e0, "%s first", c[i].file);
        ck_assert_msg(v[9].stime == c[i].s9 && v[9].etime == c[i].e9, "%s last", c[i].file);
        ck_assert_uint_eq(v[9].duration, (uint32_t)(c[i].e9 - c[i].s9));
        ck_assert_uint_eq(v[9].packets, 1);
        ck_assert_uint_eq(v[9].bytes, 248);
    }
}
END_TEST

/* The biflow export split gives the uniflow export's records, plus the
 * forward record (no packets) of the biflow softflowd made of the ICMP
 * echo replies alone. */
START_TEST(biflow_split)
{
    struct fq_rec u[MAXREC], b[MAXREC];
    ck_assert_int_eq(read_file(DIR "milli.ipfix", u), 10);
    ck_assert_int_eq(read_file(DIR "milli-bi.ipfix", b), 11);
    ck_assert_uint_eq(b[5].packets, 0);
    ck_assert_uint_eq(b[5].bytes, 0);
    ck_assert_uint_eq(b[5].srcip, 0xC000020Bu);   /* 192.0.2.11: the forward direction */
    size_t k = 0;
    for (size_t i = 0; i < 11; i++) {
        if (i == 5)
            continue;
        ck_assert_uint_eq(b[i].rec_id, i);
        b[i].rec_id = u[k].rec_id;
        ck_assert_msg(memcmp(&b[i], &u[k], sizeof b[i]) == 0, "biflow record %zu", i);
        k++;
    }
    /* the IPv6 reverse record: addresses and ports swapped */
    ck_assert_uint_eq(b[8].v6, (1u << F_SRCIP) | (1u << F_DSTIP));
    ck_assert_mem_eq(b[8].ip6[F_SRCIP], v6_1_20, 16);
    ck_assert_mem_eq(b[8].ip6[F_DSTIP], v6_10, 16);
    ck_assert_uint_eq(b[8].srcport, 443);
    ck_assert_uint_eq(b[8].packets, 4);
    ck_assert_uint_eq(b[8].bytes, 4 * 60 + 1200 + 600);
}
END_TEST

/* One record at a time: the same records, the reverse halves included. */
START_TEST(small_buffers)
{
    size_t n;
    const unsigned char *p = load(DIR "milli-bi.ipfix", &n);
    struct fq_rec a[MAXREC], b[MAXREC];
    struct fq_error err = {0};
    ck_assert_int_eq(read_mem(p, n, MAXREC, a, &err), 11);
    ck_assert_int_eq(read_mem(p, n, 1, b, &err), 11);
    ck_assert_mem_eq(a, b, 11 * sizeof a[0]);
}
END_TEST

/* From an open descriptor whose first bytes were read already (format
 * detection): the same records. */
START_TEST(open_fd_with_bytes_read)
{
    struct fq_rec a[MAXREC], b[MAXREC];
    ck_assert_int_eq(read_file(DIR "milli-bi.ipfix", a), 11);
    FILE *fp = fopen(DIR "milli-bi.ipfix", "rb");
    ck_assert_ptr_nonnull(fp);
    int fd = fileno(fp);
    unsigned char pre[5];
    ck_assert_int_eq(read(fd, pre, sizeof pre), 5);
    struct fq_error err = {0};
    struct ipfix_reader *r = ipfix_open_fd(fd, NULL, "fd", pre, sizeof pre, &err);
    ck_assert_ptr_nonnull(r);
    ssize_t k = 0, got;
    while ((got = ipfix_next(r, b + k, 3, &err)) > 0)
        k += got;
    ck_assert_int_eq(got, 0);
    ck_assert_int_eq(k, 11);
    ck_assert_mem_eq(a, b, 11 * sizeof a[0]);
    ipfix_close(r);
    ck_assert_int_eq(fclose(fp), 0);   /* ipfix_close left it open */
}
END_TEST

/* Two streams back to back (templates 1024.. redefined by the second):
 * both read, numbered on. */
START_TEST(concatenated)
{
    size_t n1, n2;
    const unsigned char *p1 = load(DIR "sysup.ipfix", &n1), *p2 = load(DIR "milli-bi.ipfix", &n2);
    static unsigned char cat[1 << 17];
    memcpy(cat, p1, n1);
    memcpy(cat + n1, p2, n2);
    struct fq_rec v[MAXREC];
    struct fq_error err = {0};
    ck_assert_int_eq(read_mem(cat, n1 + n2, MAXREC, v, &err), 21);
    ck_assert_uint_eq(v[20].rec_id, 20);
    ck_assert_uint_eq(v[15].packets, 0);
}
END_TEST

static void expect_error(const unsigned char *p, size_t n, const char *what, int64_t off)
{
    struct fq_rec v[MAXREC];
    struct fq_error err = {0};
    ck_assert_int_eq(read_mem(p, n, MAXREC, v, &err), -1);
    ck_assert_int_eq(err.code, FQ_E_INPUT);
    ck_assert_str_eq(err.path, "mem.ipfix");
    ck_assert_msg(strstr(err.msg, what), "\"%s\" lacks \"%s\"", err.msg, what);
    ck_assert_int_eq(err.offset, off);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}

START_TEST(corrupt_input)
{
    size_t n;
    const unsigned char *good = load(DIR "milli.ipfix", &n);
    static unsigned char p[1 << 16];
    /* every truncation: an error at the cut, never a short result */
    for (size_t k = 1; k < n; k++)
        expect_error(good, k, k < 16 ? "truncated IPFIX message header" : "truncated IPFIX message",
                     (int64_t)k);
    /* message length below a header */
    memcpy(p, good, n);
    p[2] = 0, p[3] = 8;
    expect_error(p, n, "bad IPFIX message length 8", 2);
    /* the first set's length: too small, past the message */
    memcpy(p, good, n);
    p[18] = 0, p[19] = 3;
    expect_error(p, n, "bad IPFIX set length 3", 18);
    p[18] = 0xff;
    expect_error(p, n, "bad IPFIX set length 65283", 18);
    /* a reserved set id */
    memcpy(p, good, n);
    p[16] = 0, p[17] = 7;
    expect_error(p, n, "bad IPFIX set id 7", 16);
    /* the message without its template sets: data before any template */
    memcpy(p, good, 16);
    size_t m = 16, first_data = 0;
    for (size_t o = 16; o + 4 <= n;) {
        unsigned id = good[o] << 8 | good[o + 1], sl = good[o + 2] << 8 | good[o + 3];
        ck_assert_uint_ge(sl, 4);
        if (id >= 256) {
            if (!first_data)
                first_data = m;
            memcpy(p + m, good + o, sl);
            m += sl;
        }
        o += sl;
    }
    ck_assert_uint_gt(first_data, 0);
    p[2] = (unsigned char)(m >> 8), p[3] = (unsigned char)m;
    expect_error(p, m, "which no template set defined before it", (int64_t)first_data);
    /* a template id below 256 */
    memcpy(p, good, n);
    ck_assert_uint_eq(p[16] << 8 | p[17], 2);
    p[20] = 0, p[21] = 9;
    expect_error(p, n, "bad IPFIX template id 9", 20);
}
END_TEST

/* Not IPFIX after a message: the stream ends there (the reader then tries
 * the other formats); an empty input is an empty stream. */
START_TEST(stream_end)
{
    size_t n;
    const unsigned char *good = load(DIR "milli.ipfix", &n);
    static unsigned char p[1 << 16];
    memcpy(p, good, n);
    memcpy(p + n, "\0\x09\0\x20", 4);
    struct fq_rec v[MAXREC];
    struct fq_error err = {0};
    ck_assert_int_eq(read_mem(p, n + 4, MAXREC, v, &err), 10);
    ck_assert_int_eq(read_mem(p, 0, MAXREC, v, &err), 0);
    ck_assert(ipfix_probe(good, n));
    ck_assert(!ipfix_probe(p + n, 4));
    ck_assert(ipfix_probe((const unsigned char *)"\0\x0a", 2));
    ck_assert(!ipfix_probe((const unsigned char *)"\xcf\x10\x01\x03", 4));
}
END_TEST

/* Any single damaged byte: records or a one-line error, never a crash
 * (the suite runs under ASan in make asan). */
START_TEST(damaged_bytes)
{
    size_t n;
    const unsigned char *good = load(DIR "milli-bi.ipfix", &n);
    static unsigned char p[1 << 16];
    for (size_t i = 0; i < n; i++) {
        memcpy(p, good, n);
        p[i] ^= 0xA5;
        struct fq_rec v[MAXREC];
        struct fq_error err = {0};
        ssize_t got = read_mem(p, n, MAXREC, v, &err);
        ck_assert_int_ge(got, -1);
        if (got < 0)
            ck_assert_msg(err.msg[0] && !strchr(err.msg, '\n'), "byte %zu: \"%s\"", i, err.msg);
    }
}
END_TEST

/* elements.ipfix (libfixbuf's exporter, tests/tools/ipfix_write.c): the
 * elements softflowd does not send, wide values saturating, and the
 * options record of the domain giving exporter and init time to the flow
 * records after it only. */
START_TEST(other_elements)
{
    struct fq_rec v[MAXREC];
    ck_assert_int_eq(read_file(DIR "elements.ipfix", v), 3);
    const struct fq_rec *a = &v[0];
    static const uint8_t nh[16] = {0xfe, 0x80, [15] = 0xfe}, ex[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 9};
    ck_assert_uint_eq(a->v6, (1u << F_SRCIP) | (1u << F_DSTIP) | (1u << F_NEXTHOP) | (1u << F_EXADDR));
    ck_assert_mem_eq(a->ip6[F_NEXTHOP], nh, 16);
    ck_assert_mem_eq(a->ip6[F_EXADDR], ex, 16);
    ck_assert_uint_eq(a->ip6[F_SRCIP][15], 1);
    ck_assert_uint_eq(a->ip6[F_DSTIP][15], 2);
    ck_assert_uint_eq(a->nexthop | a->exaddr, 0);
    ck_assert_uint_eq(a->packets, 70000);          /* packetTotalCount */
    ck_assert_uint_eq(a->bytes, UINT32_MAX);       /* octetTotalCount 6e9 */
    ck_assert_uint_eq(a->stime, UINT64_C(1700000100000));
    ck_assert_uint_eq(a->etime, UINT64_C(1700000160000));
    ck_assert_uint_eq(a->duration, 60000);
    ck_assert_uint_eq(a->input, 3);
    ck_assert_uint_eq(a->output, UINT16_MAX);      /* 70000 */
    ck_assert_uint_eq(a->src_as, 64500);
    ck_assert_uint_eq(a->dst_as, UINT16_MAX);      /* 4200000000 */
    ck_assert_uint_eq(a->srcport, 5353);
    ck_assert_uint_eq(a->dstport, 443);
    ck_assert_uint_eq(a->tcp_flags, 0x12);         /* 0x112, low 8 bits */
    ck_assert_uint_eq(a->tos, 0x28);
    ck_assert_uint_eq(a->src_mask, 48);
    ck_assert_uint_eq(a->dst_mask, 64);
    ck_assert_uint_eq(a->engine_type, 1);
    ck_assert_uint_eq(a->engine_id, 9);
    /* before the options record: no exporter, uptime from 0 */
    ck_assert_uint_eq(v[1].v6, 0);
    ck_assert_uint_eq(v[1].srcip, 0x0A000001u);
    ck_assert_uint_eq(v[1].nexthop, 0x0A0000FEu);
    ck_assert_uint_eq(v[1].exaddr, 0);
    ck_assert_uint_eq(v[1].packets, UINT32_MAX);   /* packetDeltaCount 5e9 */
    ck_assert_uint_eq(v[1].stime, 1000);
    ck_assert_uint_eq(v[1].etime, 2500);
    ck_assert_uint_eq(v[1].src_mask, 8);
    ck_assert_uint_eq(v[1].dst_mask, 24);
    /* after it: 203.0.113.9, systemInitTimeMilliseconds + uptime */
    ck_assert_uint_eq(v[2].exaddr, 0xCB007109u);
    ck_assert_uint_eq(v[2].stime, UINT64_C(1700000001000));
    ck_assert_uint_eq(v[2].etime, UINT64_C(1700000002500));
    ck_assert_uint_eq(v[2].rec_id, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ipfix");
    TCase *tc = tcase_create("ipfix");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ipv4_and_ipv6_records);
    tcase_add_test(tc, time_encodings);
    tcase_add_test(tc, biflow_split);
    tcase_add_test(tc, small_buffers);
    tcase_add_test(tc, concatenated);
    tcase_add_test(tc, open_fd_with_bytes_read);
    tcase_add_test(tc, corrupt_input);
    tcase_add_test(tc, stream_end);
    tcase_add_test(tc, damaged_bytes);
    tcase_add_test(tc, other_elements);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
