/* SPDX-License-Identifier: MIT
 * The nfdump reader: exact decoding of nfpcapd's IPv4 and IPv6 records
 * (tests/data/nfdump), ZSTD blocks (nfdump 1.7.1 cannot write them: the
 * uncompressed fixture is recompressed here, block by block, as nfdump
 * 1.7.3 writes them), hand-made records for saturation, element order and
 * the time mapping, and the byte offsets of errors.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "ftio.h"

static const char *const D = "tests/data/nfdump";

static struct fq_rec *read_file(const char *path, size_t *n, struct fq_error *err)
{
    char *p = (char *)path;
    struct ft_reader_opts o = {0};
    struct fq_rec *v = NULL;
    *err = (struct fq_error){.code = FQ_OK, .offset = -1};
    if (ft_read_all(&p, 1, &o, &v, n, err) != FQ_OK) {
        free(v);
        return NULL;
    }
    return v;
}

static void expect_ip6(const uint8_t *got, const char *hex)
{
    uint8_t want[16];
    for (int i = 0; i < 16; i++) {
        unsigned b;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &b), 1);
        want[i] = (uint8_t)b;
    }
    ck_assert_mem_eq(got, want, 16);
}

static const uint8_t zero16[16];

START_TEST(pcap_v4v6_exact)
{
    char path[256];
    snprintf(path, sizeof path, "%s/pcap-v4v6.nfcapd", D);
    size_t n;
    struct fq_error err;
    struct fq_rec *v = read_file(path, &n, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    ck_assert_uint_eq(n, 8);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(v[i].rec_id, i);
        ck_assert_uint_eq(v[i].engine_type, 17);
        ck_assert_uint_eq(v[i].engine_id, 1);
        ck_assert_uint_eq(v[i].nexthop, 0);
        ck_assert_uint_eq(v[i].exaddr, 0);
        ck_assert_mem_eq(v[i].ip6[F_NEXTHOP], zero16, 16);
        ck_assert_mem_eq(v[i].ip6[F_EXADDR], zero16, 16);
    }
    /* 0: IPv4 UDP 10.1.0.2:53000 -> 198.51.100.53:53 */
    ck_assert_uint_eq(v[0].v6, 0);
    ck_assert_uint_eq(v[0].srcip, 0x0A010002u);
    ck_assert_uint_eq(v[0].dstip, 0xC6336435u);
    ck_assert_mem_eq(v[0].ip6[F_SRCIP], zero16, 16);
    ck_assert_mem_eq(v[0].ip6[F_DSTIP], zero16, 16);
    ck_assert_uint_eq(v[0].srcport, 53000);
    ck_assert_uint_eq(v[0].dstport, 53);
    ck_assert_uint_eq(v[0].proto, 17);
    ck_assert_uint_eq(v[0].packets, 1);
    ck_assert_uint_eq(v[0].bytes, 49);
    ck_assert_uint_eq(v[0].stime, 1795860002000u);
    ck_assert_uint_eq(v[0].etime, 1795860002000u);
    /* 3: ICMPv6 echo request 2001:db8:1:2:3:4:5:6 -> fe80::1 */
    ck_assert_uint_eq(v[3].v6, 1u << F_SRCIP | 1u << F_DSTIP);
    ck_assert_uint_eq(v[3].srcip, 0);
    ck_assert_uint_eq(v[3].dstip, 0);
    expect_ip6(v[3].ip6[F_SRCIP], "20010db8000100020003000400050006");
    expect_ip6(v[3].ip6[F_DSTIP], "fe800000000000000000000000000001");
    ck_assert_uint_eq(v[3].proto, 58);
    ck_assert_uint_eq(v[3].srcport, 0);
    ck_assert_uint_eq(v[3].dstport, 128 * 256 + 0);
    ck_assert_uint_eq(v[3].bytes, 52);
    /* 5: TCP 2001:db8::1:40001 -> 2001:db8:0:1::80:443, 3 packets, 2.2 s */
    ck_assert_uint_eq(v[5].v6, 1u << F_SRCIP | 1u << F_DSTIP);
    expect_ip6(v[5].ip6[F_SRCIP], "20010db8000000000000000000000001");
    expect_ip6(v[5].ip6[F_DSTIP], "20010db8000000010000000000000080");
    ck_assert_uint_eq(v[5].srcport, 40001);
    ck_assert_uint_eq(v[5].dstport, 443);
    ck_assert_uint_eq(v[5].proto, 6);
    ck_assert_uint_eq(v[5].packets, 3);
    ck_assert_uint_eq(v[5].bytes, 206);
    ck_assert_uint_eq(v[5].stime, 1795860005100u);
    ck_assert_uint_eq(v[5].etime, 1795860007300u);
    ck_assert_uint_eq(v[5].duration, 2200);
    /* the virtual exporter of nfdump.h */
    ck_assert_uint_eq(v[5].unix_secs, 1795860007u);
    ck_assert_uint_eq(v[5].unix_nsecs, 300000000u);
    ck_assert_uint_eq(v[5].sysuptime, 2200);
    ck_assert_uint_eq(v[5].first, 0);
    ck_assert_uint_eq(v[5].last, 2200);
    ck_assert_uint_eq(rec_ftltime(v[5].sysuptime, v[5].unix_secs, v[5].unix_nsecs, v[5].first),
                      v[5].stime);
    ck_assert_uint_eq(rec_ftltime(v[5].sysuptime, v[5].unix_secs, v[5].unix_nsecs, v[5].last),
                      v[5].etime);
    /* 6: to the multicast group ff02::fb */
    expect_ip6(v[6].ip6[F_DSTIP], "ff0200000000000000000000000000fb");
    free(v);
}
END_TEST

/* ---- files made here ------------------------------------------------------ */

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static char *write_tmp(const unsigned char *b, size_t n)
{
    static char path[64];
    strcpy(path, "/tmp/test_nfdump.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
    close(fd);
    return path;
}

/* A layout-2 file of one uncompressed block holding payload[0..len) as
 * nrec records, and no appendix. */
static size_t make_file(unsigned char *out, const unsigned char *payload, size_t len, uint32_t nrec)
{
    memset(out, 0, 52);
    out[0] = 0x0C;
    out[1] = 0xA5;
    put16(out + 2, 2);
    put32(out + 36, 1);                /* NumBlocks */
    put32(out + 40, nrec);
    put32(out + 44, (uint32_t)len);
    put16(out + 48, 3);
    memcpy(out + 52, payload, len);
    return 52 + len;
}

/* The uncompressed fixture recompressed with ZSTD, as nfdump >= 1.7.3
 * writes compression 4: every block (data and appendix) one zstd frame. */
START_TEST(zstd_blocks)
{
    char path[256];
    snprintf(path, sizeof path, "%s/v5.nfcapd", D);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    static unsigned char in[1 << 20], out[1 << 20];
    size_t n = fread(in, 1, sizeof in, fp);
    fclose(fp);
    ck_assert_uint_gt(n, 40);
    ck_assert_uint_eq(in[16], 0);
    uint32_t nblocks;
    memcpy(&nblocks, in + 36, 4);
    memcpy(out, in, 40);
    out[16] = 4;
    size_t ip = 40, op = 40;
    for (uint32_t b = 0; b <= nblocks; b++) {   /* the data blocks, then the appendix */
        uint32_t size;
        memcpy(&size, in + ip + 4, 4);
        if (b == nblocks)
            put64(out + 24, op);               /* offAppendix */
        memcpy(out + op, in + ip, 12);
        size_t z = ZSTD_compress(out + op + 12, sizeof out - op - 12, in + ip + 12, size, 3);
        ck_assert(!ZSTD_isError(z));
        put32(out + op + 4, (uint32_t)z);
        ip += 12 + size;
        op += 12 + z;
    }
    ck_assert_uint_eq(ip, n);
    char *zp = write_tmp(out, op);
    size_t n1, n2;
    struct fq_error err;
    struct fq_rec *a = read_file(path, &n1, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    struct fq_rec *z = read_file(zp, &n2, &err);
    ck_assert_msg(z != NULL, "%s", err.msg);
    ck_assert_uint_eq(n1, 300);
    ck_assert_uint_eq(n2, 300);
    ck_assert_mem_eq(a, z, n1 * sizeof *a);
    /* A flipped byte inside a frame: the frame's checksum or structure fails. */
    out[40 + 12 + 20] ^= 0x55;
    zp = write_tmp(out, op);
    ck_assert_ptr_null(read_file(zp, &n2, &err));
    ck_assert_int_eq(err.code, FQ_E_INPUT);
    ck_assert_int_eq(err.offset, 52);
    ck_assert_msg(strstr(err.msg, "corrupt nfdump ZSTD data at byte 52") != NULL, "%s", err.msg);
    unlink(zp);
    free(a);
    free(z);
}
END_TEST

/* One V3 record with elements in an odd order, 64-bit counters, 32-bit
 * interfaces and AS numbers, IPv6 next hop and exporter, and an end
 * before its start. */
START_TEST(hand_made_record)
{
    unsigned char rec[256] = {0}, file[512];
    size_t k = 12;
    put16(rec + k, 13);                /* EXipReceivedV6 */
    put16(rec + k + 2, 20);
    put64(rec + k + 4, 0x20010db800000000ull);
    put64(rec + k + 12, 0x0000000000000009ull);
    k += 20;
    put16(rec + k, 1);                 /* EXgenericFlow */
    put16(rec + k + 2, 52);
    put64(rec + k + 4, 2000000000123ull);      /* msecFirst */
    put64(rec + k + 12, 2000000000100ull);     /* msecLast: before it */
    put64(rec + k + 28, 1ull << 40);           /* inPackets */
    put64(rec + k + 36, 5000000000ull);        /* inBytes */
    put16(rec + k + 44, 1234);
    put16(rec + k + 46, 80);
    rec[k + 48] = 6;
    rec[k + 49] = 0x12;
    rec[k + 51] = 0xB8;                        /* srcTos */
    k += 52;
    put16(rec + k, 2);                 /* EXipv4Flow */
    put16(rec + k + 2, 12);
    put32(rec + k + 4, 0xC0000201u);
    put32(rec + k + 8, 0xC6336401u);
    k += 12;
    put16(rec + k, 4);                 /* EXflowMisc */
    put16(rec + k + 2, 20);
    put32(rec + k + 4, 70000);
    put32(rec + k + 8, 7);
    rec[k + 12] = 24;
    rec[k + 13] = 25;
    k += 20;
    put16(rec + k, 7);                 /* EXasRouting */
    put16(rec + k + 2, 12);
    put32(rec + k + 4, 4200000000u);
    put32(rec + k + 8, 64500);
    k += 12;
    put16(rec + k, 99);                /* unknown: skipped */
    put16(rec + k + 2, 9);
    k += 9;
    put16(rec + k, 11);                /* EXipNextHopV6 */
    put16(rec + k + 2, 20);
    put64(rec + k + 4, 0xfe80000000000000ull);
    put64(rec + k + 12, 0x1ull);
    k += 20;
    put16(rec, 11);
    put16(rec + 2, (uint16_t)k);
    put16(rec + 4, 7);
    rec[6] = 3;
    rec[7] = 4;
    char *p = write_tmp(file, make_file(file, rec, k, 1));
    size_t n;
    struct fq_error err;
    struct fq_rec *v = read_file(p, &n, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(v->packets, UINT32_MAX);
    ck_assert_uint_eq(v->bytes, UINT32_MAX);
    ck_assert_uint_eq(v->input, UINT16_MAX);
    ck_assert_uint_eq(v->output, 7);
    ck_assert_uint_eq(v->src_as, UINT16_MAX);
    ck_assert_uint_eq(v->dst_as, 64500);
    ck_assert_uint_eq(v->src_mask, 24);
    ck_assert_uint_eq(v->dst_mask, 25);
    ck_assert_uint_eq(v->tos, 0xB8);
    ck_assert_uint_eq(v->tcp_flags, 0x12);
    ck_assert_uint_eq(v->engine_type, 3);
    ck_assert_uint_eq(v->engine_id, 4);
    ck_assert_uint_eq(v->srcip, 0xC0000201u);
    ck_assert_uint_eq(v->v6, 1u << F_NEXTHOP | 1u << F_EXADDR);
    expect_ip6(v->ip6[F_NEXTHOP], "fe800000000000000000000000000001");
    expect_ip6(v->ip6[F_EXADDR], "20010db8000000000000000000000009");
    ck_assert_uint_eq(v->stime, 2000000000123ull);
    ck_assert_uint_eq(v->etime, 2000000000100ull);
    ck_assert_uint_eq(v->duration, 0);
    free(v);
    /* An element that says it is longer than the record. */
    put16(rec + 12 + 2, 200);
    p = write_tmp(file, make_file(file, rec, k, 1));
    ck_assert_ptr_null(read_file(p, &n, &err));
    ck_assert_int_eq(err.code, FQ_E_INPUT);
    ck_assert_str_eq(err.msg, "corrupt nfdump record at byte 66 (element 0 (type 13) has length 200, "
                              "145 bytes left in the record)");
    ck_assert_int_eq(err.offset, 66);
    unlink(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nfdump");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pcap_v4v6_exact);
    tcase_add_test(tc, zstd_blocks);
    tcase_add_test(tc, hand_made_record);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
