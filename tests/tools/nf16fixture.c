/* SPDX-License-Identifier: MIT
 * Writes an nfdump 1.6 file (layout 1) to stdout, for the reader's tests:
 * nfdump 1.7 reads these files but no longer writes them, so the fixture
 * is made here, from the layout in FORMAT-nfdump.md section 8 and nfdump
 * 1.6's nfx.h, and tests/suite-nfdump.sh checks it against nfdump's own
 * reading.  Usage: nf16fixture [-n RECORDS] [-z none|lzo|bz2|lz4]
 * One block: two extension maps (map 0: IPv4 with 16-bit interfaces and
 * AS numbers, masks, next hop, router address and id; map 1: IPv6 with
 * 64-bit counters, 32-bit interfaces and AS numbers, IPv6 next hop and
 * router address), then RECORDS type 10 records, every third IPv6.
 */
#include <bzlib.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char *put(unsigned char *p, uint64_t v, int n)
{
    memcpy(p, &v, (size_t)n);  /* little-endian hosts, as nfdump's own files */
    return p + n;
}

static unsigned char *map(unsigned char *p, uint16_t id, const uint16_t *ex, int n, uint16_t exsize)
{
    unsigned char *h = p;
    int len = 8 + 2 * (n + 1);
    len += len % 4;            /* padded to 32 bits */
    memset(p, 0, (size_t)len);
    p = put(p, 2, 2);
    p = put(p, (uint64_t)len, 2);
    p = put(p, id, 2);
    p = put(p, exsize, 2);
    for (int i = 0; i < n; i++)
        p = put(p, ex[i], 2);
    return h + len;
}

/* nfdump's IPv6 layout: two host-order u64, the high half first. */
static unsigned char *ip6(unsigned char *p, uint64_t hi, uint64_t lo)
{
    return put(put(p, hi, 8), lo, 8);
}

static unsigned char *record(unsigned char *p, unsigned i)
{
    int v6 = i % 3 == 2;
    unsigned char *h = p;
    uint32_t first = 1795860000u + i * 7;
    memset(p, 0, 32);
    p = put(p, 10, 2);
    p += 2;                                     /* size, below */
    p = put(p, v6 ? 1 | 2 | 4 : 0, 2);          /* IPv6, 64-bit counters */
    p = put(p, v6 ? 1 : 0, 2);                  /* map */
    p = put(p, (i * 37) % 1000, 2);             /* msec_first */
    p = put(p, i % 5 ? (i * 91) % 1000 : (i * 37) % 1000, 2); /* msec_last: never before */
    p = put(p, first, 4);
    p = put(p, first + i % 5, 4);
    *p++ = 0;                                   /* fwd_status */
    *p++ = (unsigned char)(i % 64);             /* tcp_flags */
    *p++ = i % 4 == 0 ? 17 : 6;                 /* prot */
    *p++ = (unsigned char)(i * 8);              /* tos */
    p = put(p, 1024 + i, 2);
    p = put(p, i % 2 ? 443 : 53, 2);
    p = put(p, 1, 2);                           /* exporter_sysid */
    p += 2;                                     /* biFlowDir, flowEndReason */
    if (v6) {
        p = ip6(p, 0x20010db800000000ull | i, 0x10 + i);
        p = ip6(p, 0x20010db8ffff0000ull, 0x1ull << 32 | i);
        p = put(p, 3 + i, 8);
        p = put(p, 3000000000ull + i, 8);
        p = put(p, 100000 + i, 4);              /* EX_IO_SNMP_4 */
        p = put(p, 7, 4);
        p = put(p, 4200000000u, 4);             /* EX_AS_4 */
        p = put(p, 64500 + i, 4);
        p = ip6(p, 0xfe80000000000000ull, 1);   /* EX_NEXT_HOP_v6 */
        p = ip6(p, 0x20010db800000000ull, 9);   /* EX_ROUTER_IP_v6 */
    } else {
        p = put(p, 0x0A000001u + i, 4);
        p = put(p, 0xC6336400u + i % 256, 4);
        p = put(p, 1 + i % 9, 4);
        p = put(p, 40 + 100 * i, 4);
        p = put(p, i % 7, 2);                   /* EX_IO_SNMP_2 */
        p = put(p, 1 + i % 3, 2);
        p = put(p, 64512, 2);                   /* EX_AS_2 */
        p = put(p, 3320 + i, 2);
        *p++ = 0;                               /* EX_MULIPLE: dst_tos, dir, masks */
        *p++ = 0;
        *p++ = (unsigned char)(8 + i % 25);
        *p++ = 24;
        p = put(p, 0xC0000201u, 4);             /* EX_NEXT_HOP_v4 */
        p = put(p, 0x7F000001u, 4);             /* EX_ROUTER_IP_v4 */
        p = put(p, 0, 2);                       /* EX_ROUTER_ID */
        *p++ = 1;
        *p++ = (unsigned char)(i % 4);
    }
    put(h + 2, (uint64_t)(p - h), 2);
    return p;
}

int main(int argc, char **argv)
{
    unsigned n = 100;
    const char *z = "none";
    int o;
    while ((o = getopt(argc, argv, "n:z:")) != -1) {
        if (o == 'n')
            n = (unsigned)strtoul(optarg, NULL, 10);
        else if (o == 'z')
            z = optarg;
        else
            return 2;
    }
    static unsigned char blk[1 << 20], out[(1 << 20) + 4096];
    static const uint16_t ex0[] = {4, 6, 8, 9, 23, 25}, ex1[] = {5, 7, 10, 24};
    unsigned char *p = map(blk, 0, ex0, 6, 4 + 4 + 4 + 4 + 4 + 4);
    p = map(p, 1, ex1, 4, 8 + 8 + 16 + 16);
    for (unsigned i = 0; i < n && p - blk < (1 << 20) - 200; i++)
        p = record(p, i);
    size_t len = (size_t)(p - blk), zl = len;
    uint32_t flags = 0;
    if (strcmp(z, "lz4") == 0) {
        flags = 0x10;
        zl = (size_t)LZ4_compress_default((char *)blk, (char *)out, (int)len, (int)sizeof out);
    } else if (strcmp(z, "lzo") == 0) {
        static unsigned char wrk[LZO1X_1_MEM_COMPRESS];
        lzo_uint ol = sizeof out;
        flags = 0x01;
        if (lzo_init() != LZO_E_OK || lzo1x_1_compress(blk, len, out, &ol, wrk) != LZO_E_OK)
            return 1;
        zl = ol;
    } else if (strcmp(z, "bz2") == 0) {
        unsigned ol = sizeof out;
        flags = 0x08;
        if (BZ2_bzBuffToBuffCompress((char *)out, &ol, (char *)blk, (unsigned)len, 9, 0, 0) != BZ_OK)
            return 1;
        zl = ol;
    } else {
        memcpy(out, blk, len);
    }
    static unsigned char hdr[276 + 12];
    put(hdr, 0xA50C, 2);
    put(hdr + 2, 1, 2);
    put(hdr + 4, flags, 4);
    put(hdr + 8, 1, 4);                         /* NumBlocks */
    memcpy(hdr + 12, "flowq-test", 10);
    put(hdr + 140, n, 8);                       /* stat: numflows; the rest 0 */
    put(hdr + 276, 2 + n, 4);                   /* block: records */
    put(hdr + 280, zl, 4);
    put(hdr + 284, 2, 2);                       /* DATA_BLOCK_TYPE_2 */
    put(hdr + 286, flags ? 2 : 0, 2);
    if (fwrite(hdr, 1, sizeof hdr, stdout) != sizeof hdr || fwrite(out, 1, zl, stdout) != zl)
        return 1;
    return fflush(stdout) ? 1 : 0;
}
