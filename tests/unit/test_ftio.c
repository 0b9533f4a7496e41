/* SPDX-License-Identifier: MIT
 * The flow-tools reader and writer: exact header and record bytes of the
 * writer, exact decoding of hand-made files (FORMAT-flowtools.md offsets),
 * round trips of every version x byte order x compression, small reader
 * buffers, rec_id numbering, the preamble probe, and error messages with
 * their byte offsets.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ftio.h"

static char tmpdir[64];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/test_ftio.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *tpath(const char *name)
{
    static char buf[4][256];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static struct fq_rec sample(unsigned i)
{
    struct fq_rec r;
    memset(&r, 0, sizeof r);
    r.unix_secs = 1260226804 + i;
    r.unix_nsecs = 6027000;
    r.sysuptime = 1048581001;
    r.first = 1048511830 + i;
    r.last = 1048511830 + 2 * i;
    r.exaddr = 0x7F000001;
    r.srcip = 0xC0A800C8 + i;
    r.dstip = 0xE0000016;
    r.nexthop = 0x01020304;
    r.input = 3;
    r.output = 0xFFFE;
    r.packets = 7 + i;
    r.bytes = 0x12345678;
    r.srcport = 0xABCD;
    r.dstport = 80;
    r.proto = 6;
    r.tos = 0x28;
    r.tcp_flags = 0x1B;
    r.engine_type = 1;
    r.engine_id = 2;
    r.src_mask = 24;
    r.dst_mask = 16;
    r.src_as = 65000;
    r.dst_as = 3320;
    rec_derive(&r);
    return r;
}

/* Write n sample records with o; returns the byte count of the file. */
static size_t write_file(const char *path, const struct ft_writer_opts *o, unsigned n)
{
    struct fq_error err = {.offset = -1};
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    struct ft_writer *w = ft_writer_open_ex(fp, o, &err);
    ck_assert_ptr_nonnull(w);
    for (unsigned i = 0; i < n; i++) {
        struct fq_rec r = sample(i);
        ck_assert_int_eq(ft_writer_put(w, &r, &err), 0);
    }
    ck_assert_int_eq(ft_writer_close(w, &err), 0);
    long size = ftell(fp);
    fclose(fp);
    return (size_t)size;
}

static int read_all(char *const *paths, size_t n, struct fq_rec **v, size_t *nv, struct fq_error *err)
{
    struct ft_reader_opts o = {0};
    memset(err, 0, sizeof *err);
    err->offset = -1;
    return ft_read_all(paths, n, &o, v, nv, err);
}

static void expect_same(const struct fq_rec *a, const struct fq_rec *b, int version)
{
    ck_assert_uint_eq(a->unix_secs, b->unix_secs);
    ck_assert_uint_eq(a->unix_nsecs, b->unix_nsecs);
    ck_assert_uint_eq(a->sysuptime, b->sysuptime);
    ck_assert_uint_eq(a->first, b->first);
    ck_assert_uint_eq(a->last, b->last);
    ck_assert_uint_eq(a->stime, b->stime);
    ck_assert_uint_eq(a->etime, b->etime);
    ck_assert_uint_eq(a->duration, b->duration);
    ck_assert_uint_eq(a->exaddr, b->exaddr);
    ck_assert_uint_eq(a->srcip, b->srcip);
    ck_assert_uint_eq(a->dstip, b->dstip);
    ck_assert_uint_eq(a->nexthop, b->nexthop);
    ck_assert_uint_eq(a->input, b->input);
    ck_assert_uint_eq(a->output, b->output);
    ck_assert_uint_eq(a->packets, b->packets);
    ck_assert_uint_eq(a->bytes, b->bytes);
    ck_assert_uint_eq(a->srcport, b->srcport);
    ck_assert_uint_eq(a->dstport, b->dstport);
    ck_assert_uint_eq(a->proto, b->proto);
    ck_assert_uint_eq(a->tos, b->tos);
    ck_assert_uint_eq(a->tcp_flags, b->tcp_flags);
    if (version == 1) {
        ck_assert_uint_eq(b->engine_type, 0);
        ck_assert_uint_eq(b->engine_id, 0);
        ck_assert_uint_eq(b->src_mask, 0);
        ck_assert_uint_eq(b->dst_mask, 0);
        ck_assert_uint_eq(b->src_as, 0);
        ck_assert_uint_eq(b->dst_as, 0);
    } else {
        ck_assert_uint_eq(a->engine_type, b->engine_type);
        ck_assert_uint_eq(a->engine_id, b->engine_id);
        ck_assert_uint_eq(a->src_mask, b->src_mask);
        ck_assert_uint_eq(a->dst_mask, b->dst_mask);
        ck_assert_uint_eq(a->src_as, b->src_as);
        ck_assert_uint_eq(a->dst_as, b->dst_as);
    }
}

START_TEST(writer_header_and_record_bytes)
{
    static const unsigned char le_hdr[24] = {0xCF, 0x10, 1, 3, 24, 0, 0, 0, 2, 0, 2, 0, 5, 0,
                                             8, 0, 4, 0, 8, 0, 0, 0, 0, 0};
    static const unsigned char be_hdr[24] = {0xCF, 0x10, 2, 3, 0, 0, 0, 24, 0, 2, 0, 2, 0, 5,
                                             0, 8, 0, 4, 0, 0, 0, 8, 0, 0};
    for (int order = 1; order <= 2; order++) {
        struct ft_writer_opts o = {.version = 5, .byte_order = order, .zlevel = 0};
        ck_assert_uint_eq(write_file(tpath("w.ft"), &o, 1), 24 + 64);
        unsigned char b[88];
        FILE *fp = fopen(tpath("w.ft"), "rb");
        ck_assert_uint_eq(fread(b, 1, sizeof b, fp), sizeof b);
        fclose(fp);
        ck_assert_mem_eq(b, order == 1 ? le_hdr : be_hdr, 24);
        const unsigned char *p = b + 24;
        if (order == 1) {
            ck_assert_mem_eq(p + 16, "\xC8\x00\xA8\xC0", 4);     /* srcaddr */
            ck_assert_mem_eq(p + 36, "\x78\x56\x34\x12", 4);     /* dOctets */
            ck_assert_mem_eq(p + 48, "\xCD\xAB\x50\x00", 4);     /* ports */
            ck_assert_mem_eq(p + 60, "\xE8\xFD\xF8\x0C", 4);     /* src_as, dst_as */
        } else {
            ck_assert_mem_eq(p + 16, "\xC0\xA8\x00\xC8", 4);
            ck_assert_mem_eq(p + 36, "\x12\x34\x56\x78", 4);
            ck_assert_mem_eq(p + 48, "\xAB\xCD\x00\x50", 4);
            ck_assert_mem_eq(p + 60, "\xFD\xE8\x0C\xF8", 4);
        }
        ck_assert_mem_eq(p + 52, "\x06\x28\x1B\x00\x01\x02\x18\x10", 8);
    }
}
END_TEST

START_TEST(writer_zlib)
{
    struct ft_writer_opts o = {.version = 7, .byte_order = 2, .zlevel = 9};
    size_t size = write_file(tpath("z.ft"), &o, 1000);
    unsigned char *b = malloc(size);
    FILE *fp = fopen(tpath("z.ft"), "rb");
    ck_assert_uint_eq(fread(b, 1, size, fp), size);
    fclose(fp);
    ck_assert_mem_eq(b + 12, "\x00\x07", 2);           /* EX_VER 7 */
    ck_assert_mem_eq(b + 18, "\x00\x00\x00\x0A", 4);   /* STREAMING | COMPRESS */
    ck_assert_mem_eq(b + 24, "\x78\xda", 2);           /* zlib header, level 9 */
    /* The record area is one zlib stream of exactly 1000 x 68 bytes. */
    uLongf n = 1000 * 68 + 1;
    unsigned char *raw = malloc(n);
    ck_assert_int_eq(uncompress(raw, &n, b + 24, (uLong)(size - 24)), Z_OK);
    ck_assert_uint_eq(n, 1000 * 68);
    ck_assert_mem_eq(raw + 999 * 68 + 16, "\xC0\xA8\x04\xAF", 4);  /* srcip of record 999 */
    free(raw);
    free(b);
}
END_TEST

START_TEST(round_trip_every_format)
{
    static const int versions[] = {1, 5, 6, 7, 1005};
    static const size_t sizes[] = {60, 64, 72, 68, 72};
    for (int vi = 0; vi < 5; vi++)
        for (int order = 1; order <= 2; order++)
            for (int z = 0; z <= 9; z += 9) {
                struct ft_writer_opts o = {.version = versions[vi], .byte_order = order, .zlevel = z};
                size_t size = write_file(tpath("rt.ft"), &o, 3000);
                if (!z)
                    ck_assert_uint_eq(size, 24 + 3000 * sizes[vi]);
                struct fq_rec *v;
                size_t n;
                struct fq_error err;
                char *p = tpath("rt.ft");
                ck_assert_int_eq(read_all(&p, 1, &v, &n, &err), 0);
                ck_assert_uint_eq(n, 3000);
                for (unsigned i = 0; i < n; i++) {
                    struct fq_rec s = sample(i);
                    expect_same(&s, &v[i], versions[vi]);
                    ck_assert_uint_eq(v[i].rec_id, i);
                }
                free(v);
            }
}
END_TEST

/* The first record of trace-2009 (FORMAT-flowtools.md section 7), in a
 * hand-made little-endian v5 file. */
START_TEST(decode_hand_made)
{
    unsigned char f[24 + 64] = {0xCF, 0x10, 1, 3, 24, 0, 0, 0, 2, 0, 2, 0, 5, 0,
                                8, 0, 4, 0, 8, 0, 0, 0, 0xAA, 0xBB};
    unsigned char *p = f + 24;
    uint32_t secs = 1260226804, nsecs = 6027000, up = 1048581001, first = 1048511830;
    memcpy(p + 0, &secs, 4);
    memcpy(p + 4, &nsecs, 4);
    memcpy(p + 8, &up, 4);
    memcpy(p + 40, &first, 4);
    memcpy(p + 44, &first, 4);
    p[16] = 200; p[17] = 0; p[18] = 168; p[19] = 192;    /* srcaddr 192.168.0.200 */
    p[52] = 2; p[53] = 128; p[54] = 0x12; p[55] = 0x77;  /* pad byte is ignored */
    p[56] = 9; p[57] = 8; p[58] = 7; p[59] = 6; p[60] = 0x34; p[61] = 0x12; p[62] = 1; p[63] = 0;
    write_bytes(tpath("h.ft"), f, sizeof f);
    struct fq_rec *v;
    size_t n;
    struct fq_error err;
    char *path = tpath("h.ft");
    ck_assert_int_eq(read_all(&path, 1, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(v[0].stime, 1260226734835ull);
    ck_assert_uint_eq(v[0].etime, 1260226734835ull);
    ck_assert_uint_eq(v[0].duration, 0);
    ck_assert_uint_eq(v[0].srcip, 0xC0A800C8);
    ck_assert_uint_eq(v[0].proto, 2);
    ck_assert_uint_eq(v[0].tos, 128);
    ck_assert_uint_eq(v[0].tcp_flags, 0x12);
    ck_assert_uint_eq(v[0].engine_type, 9);
    ck_assert_uint_eq(v[0].engine_id, 8);
    ck_assert_uint_eq(v[0].src_mask, 7);
    ck_assert_uint_eq(v[0].dst_mask, 6);
    ck_assert_uint_eq(v[0].src_as, 0x1234);
    ck_assert_uint_eq(v[0].dst_as, 1);
    free(v);

    /* The same bytes as a v1 record (60 bytes): the v5 tail is not read. */
    unsigned char g[24 + 60];
    memcpy(g, f, sizeof g);
    g[12] = 1;
    write_bytes(tpath("h1.ft"), g, sizeof g);
    path = tpath("h1.ft");
    ck_assert_int_eq(read_all(&path, 1, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(v[0].stime, 1260226734835ull);
    ck_assert_uint_eq(v[0].engine_type, 0);
    ck_assert_uint_eq(v[0].src_as, 0);
    ck_assert_uint_eq(v[0].src_mask, 0);
    free(v);
}
END_TEST

/* Times wrap as in flow-tools' ftltime(), whose seconds are 32-bit: an
 * export time before the router's boot lands in 2106, not 2^64 ms; Last <
 * First gives a duration mod 2^32. */
START_TEST(derived_times_wrap)
{
    struct fq_rec r = {0};
    r.unix_secs = 0;
    r.sysuptime = 5;
    r.first = 10;
    r.last = 3;
    rec_derive(&r);
    ck_assert_uint_eq(r.stime, 5);
    ck_assert_uint_eq(r.etime, 4294967295998ull);   /* 2^32-1 s + 998 ms */
    ck_assert_uint_eq(r.duration, 0xFFFFFFF9u);
    r.sysuptime = 5000;
    r.first = 1000;
    rec_derive(&r);
    ck_assert_uint_eq(r.stime, 4294967292000ull);   /* 0 - 5 + 1 s, mod 2^32 */
    /* nsecs past 10^9 (invalid) carry at most one second, as there */
    r.unix_secs = 100;
    r.unix_nsecs = 4294967295u;   /* 4294 "ms" */
    r.sysuptime = 0;
    r.first = 999;
    rec_derive(&r);
    ck_assert_uint_eq(r.stime, 101 * 1000ull + 4293);
}
END_TEST

START_TEST(small_buffers_and_rec_ids)
{
    struct ft_writer_opts a = {.version = 5, .byte_order = 2, .zlevel = 1};
    struct ft_writer_opts b = {.version = 1005, .byte_order = 1, .zlevel = 0};
    write_file(tpath("a.ft"), &a, 5000);
    write_file(tpath("b.ft"), &b, 7);
    char *paths[] = {tpath("a.ft"), tpath("b.ft"), tpath("a.ft")};
    struct fq_error err = {.offset = -1};
    struct ft_reader_opts o = {0};
    for (size_t cap = 1; cap <= 4097; cap += 1365) {
        struct ft_reader *r = ft_reader_open(paths, 3, &o, &err);
        ck_assert_ptr_nonnull(r);
        struct fq_rec *buf = malloc(cap * sizeof *buf);
        uint64_t k = 0;
        ssize_t got;
        while ((got = ft_reader_next(r, buf, cap, &err)) > 0) {
            ck_assert_uint_le((size_t)got, cap);
            for (ssize_t i = 0; i < got; i++, k++) {
                ck_assert_uint_eq(buf[i].rec_id, k);
                unsigned j = (unsigned)(k < 5000 ? k : k < 5007 ? k - 5000 : k - 5007);
                struct fq_rec s = sample(j);
                expect_same(&s, &buf[i], 5);
            }
        }
        ck_assert_int_eq(got, 0);
        ck_assert_uint_eq(k, 10007);
        free(buf);
        ft_reader_close(r);
    }
}
END_TEST

/* A record whose first bytes look like a preamble but that is not followed
 * by a header that parses is a record, not a new stream. */
START_TEST(preamble_probe)
{
    unsigned char f[24 + 128] = {0xCF, 0x10, 1, 3, 24, 0, 0, 0, 2, 0, 2, 0, 5, 0,
                                 8, 0, 4, 0, 8, 0, 0, 0, 0, 0};
    /* record 2: unix_secs bytes CF 10 01 03, "header length" 0xFFFFFFFF */
    memcpy(f + 24 + 64, "\xCF\x10\x01\x03\xFF\xFF\xFF\xFF", 8);
    write_bytes(tpath("p.ft"), f, sizeof f);
    struct fq_rec *v;
    size_t n;
    struct fq_error err;
    char *path = tpath("p.ft");
    ck_assert_int_eq(read_all(&path, 1, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(v[1].unix_secs, 0x030110CF);
    ck_assert_uint_eq(v[1].unix_nsecs, 0xFFFFFFFF);
    free(v);
}
END_TEST

/* flow-tools swaps every multi-byte field of a cross-endian file except
 * v1005's exaddr (fts3rec_swap_v1005); reader and writer do the same. */
START_TEST(v1005_exaddr_quirk)
{
    int other = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 1;
    struct ft_writer_opts o = {.version = 1005, .byte_order = other};
    write_file(tpath("t.ft"), &o, 1);
    unsigned char b[24 + 72];
    FILE *fp = fopen(tpath("t.ft"), "rb");
    ck_assert_uint_eq(fread(b, 1, sizeof b, fp), sizeof b);
    fclose(fp);
    uint32_t ex = 0x7F000001, src = __builtin_bswap32(0xC0A800C8);
    ck_assert_mem_eq(b + 24 + 12, &ex, 4);      /* host order */
    ck_assert_mem_eq(b + 24 + 16, &src, 4);     /* swapped */
    struct fq_rec *v;
    size_t n;
    struct fq_error err;
    char *path = tpath("t.ft");
    ck_assert_int_eq(read_all(&path, 1, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(v[0].exaddr, 0x7F000001);
    ck_assert_uint_eq(v[0].srcip, 0xC0A800C8);
    free(v);
    /* v5 swaps exaddr like everything else. */
    o.version = 5;
    write_file(tpath("t5.ft"), &o, 1);
    fp = fopen(tpath("t5.ft"), "rb");
    ck_assert_uint_eq(fread(b, 1, 24 + 64, fp), 24 + 64);
    fclose(fp);
    ex = __builtin_bswap32(0x7F000001);
    ck_assert_mem_eq(b + 24 + 12, &ex, 4);
}
END_TEST

static void expect_error(const char *name, const void *bytes, size_t n, const char *msg, int64_t off)
{
    write_bytes(tpath(name), bytes, n);
    struct fq_rec *v = (struct fq_rec *)1;
    size_t nv = 99;
    struct fq_error err;
    char *path = tpath(name);
    ck_assert_int_eq(read_all(&path, 1, &v, &nv, &err), FQ_E_INPUT);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(nv, 0);
    ck_assert_str_eq(err.path, path);
    ck_assert_str_eq(err.msg, msg);
    ck_assert_int_eq(err.offset, off);
}

START_TEST(errors)
{
    unsigned char f[24 + 64 + 10] = {0xCF, 0x10, 1, 3, 24, 0, 0, 0, 2, 0, 2, 0, 5, 0,
                                     8, 0, 4, 0, 8, 0, 0, 0, 0, 0};
    expect_error("e1", f, 24 + 64 + 10, "truncated record at byte 88 (expected 64 bytes, found 10)", 88);
    expect_error("e2", f, 5, "truncated header at byte 5 (input ends 5 bytes into the header)", 5);
    expect_error("e3", "", 0, "empty input: no flow-tools header at byte 0", 0);
    unsigned char g[24];
    memcpy(g, f, 24);
    g[4] = 0;
    g[7] = 0x40;   /* header length 1 GiB */
    expect_error("e4", g, 24, "bad header length 1073741824 at byte 4 (more than the 1048576-byte limit)", 4);
    memcpy(g, f, 24);
    g[12] = 8;
    expect_error("e5", g, 24, "unsupported record version 8 at byte 12 (flowq reads 1, 5, 6, 7 and 1005)", 12);
    memcpy(g, f, 24);
    g[0] = 0x1f;
    g[1] = 0x8b;
    expect_error("e6", g, 24, "not a flow-tools file (bad magic 0x1f8b, gzip data) at byte 0", 0);
    memcpy(g, f, 24);
    g[18] = 2;     /* COMPRESS, but no zlib data follows */
    expect_error("e7", g, 24,
                 "truncated compressed data at byte 24 (input ends inside the zlib stream)",
                 24);
    unsigned char h[28];
    memcpy(h, g, 24);
    memcpy(h + 24, "\x78\x9c\xff\xff", 4);
    expect_error("e8", h, 28, "corrupt compressed data at byte 27: invalid compressed data", 27);

    struct fq_error err = {.offset = -1};
    struct ft_reader_opts o = {0};
    char *missing = tpath("missing.ft");
    ck_assert_ptr_null(ft_reader_open(&missing, 1, &o, &err));
    ck_assert_int_eq(err.code, FQ_E_INPUT);
    ck_assert_str_eq(err.msg, "cannot open: No such file or directory");
}
END_TEST

START_TEST(directories)
{
    char d[300];
    snprintf(d, sizeof d, "%s/dir", tmpdir);
    ck_assert_int_eq(mkdir(d, 0755), 0);
    ck_assert_int_eq(mkdir(tpath("dir/b"), 0755), 0);
    struct ft_writer_opts o5 = {.version = 5};
    write_file(tpath("dir/c.ft"), &o5, 3);
    write_file(tpath("dir/b/x.ft"), &o5, 2);
    write_file(tpath("dir/a.ft"), &o5, 1);
    write_file(tpath("dir/tmp.ft"), &o5, 100);
    struct fq_rec *v;
    size_t n;
    struct fq_error err;
    char *path = d;
    ck_assert_int_eq(read_all(&path, 1, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 6);
    /* a.ft (1 record), b/x.ft (2), c.ft (3): sample(0), sample(0..1), sample(0..2) */
    static const unsigned want[] = {0, 0, 1, 0, 1, 2};
    for (unsigned i = 0; i < 6; i++)
        ck_assert_uint_eq(v[i].srcip, sample(want[i]).srcip);
    free(v);
    struct ft_reader_opts all = {.all_files = true};
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(ft_read_all(&path, 1, &all, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 106);
    free(v);
}
END_TEST

/* A file truncated by another process while it is read, to before what
 * was read: an error at the end of what was read.  The second read of the
 * buffer ends on a record boundary, where a clean end after fewer records
 * would look just like a whole file. */
START_TEST(file_shrinks)
{
    enum { N = 80000, RBUF = 1 << 21 };
    struct ft_writer_opts o = {.version = 5};
    char *path = tpath("shrinks.ft");
    size_t hdr = write_file(path, &o, N) - (size_t)N * 64;
    size_t end = 2 * RBUF - (RBUF - hdr) % 64;  /* what two reads of the buffer took */
    struct ft_reader_opts ro = {.threads = 1};
    struct fq_error err = {.offset = -1};
    struct ft_reader *r = ft_reader_open(&path, 1, &ro, &err);
    ck_assert_ptr_nonnull(r);
    struct fq_rec *v = malloc(N * sizeof *v);
    size_t n = 0;
    ssize_t got;
    while (n <= (RBUF - hdr) / 64 && (got = ft_reader_next(r, v + n, 64, &err)) > 0)
        n += (size_t)got;
    ck_assert_int_eq(truncate(path, (off_t)(hdr + 100 * 64)), 0);
    while ((got = ft_reader_next(r, v + n, N - n, &err)) > 0)
        n += (size_t)got;
    ck_assert_int_eq(got, -1);
    ck_assert_uint_eq(n, (end - hdr) / 64);
    ck_assert_int_eq(err.code, FQ_E_INPUT);
    ck_assert_str_eq(err.path, path);
    char msg[128];
    snprintf(msg, sizeof msg, "the file shrank to %zu bytes while being read, at byte %zu",
             hdr + 100 * 64, end);
    ck_assert_str_eq(err.msg, msg);
    ck_assert_int_eq(err.offset, (int64_t)end);
    ft_reader_close(r);
    free(v);
}
END_TEST

/* A compressed stream on a live pipe (flow-capture | flowq): the records
 * that have arrived are handed out while the writer still holds the pipe
 * open, and closing the reader then does not wait for the rest. */
START_TEST(live_pipe)
{
    struct ft_writer_opts o = {.version = 5, .zlevel = 6};
    size_t size = write_file(tpath("live.ft"), &o, 2000);
    unsigned char *b = malloc(size);
    FILE *fp = fopen(tpath("live.ft"), "rb");
    ck_assert_uint_eq(fread(b, 1, size, fp), size);
    fclose(fp);
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    ck_assert_int_eq(write(pfd[1], b, size / 2), (ssize_t)(size / 2));
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", pfd[0]);
    char *paths[] = {path};
    struct ft_reader_opts ro = {0};
    struct fq_error err = {.offset = -1};
    struct ft_reader *r = ft_reader_open(paths, 1, &ro, &err);
    ck_assert_ptr_nonnull(r);
    struct fq_rec v[64];
    ssize_t got = ft_reader_next(r, v, 64, &err);
    ck_assert_int_gt(got, 0);
    ck_assert_uint_eq(v[0].srcip, sample(0).srcip);
    ft_reader_close(r);          /* the inflate thread waits in read(): must return */
    close(pfd[0]);
    close(pfd[1]);
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ftio");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, writer_header_and_record_bytes);
    tcase_add_test(tc, writer_zlib);
    tcase_add_test(tc, round_trip_every_format);
    tcase_add_test(tc, decode_hand_made);
    tcase_add_test(tc, derived_times_wrap);
    tcase_add_test(tc, small_buffers_and_rec_ids);
    tcase_add_test(tc, preamble_probe);
    tcase_add_test(tc, v1005_exaddr_quirk);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, directories);
    tcase_add_test(tc, file_shrinks);
    tcase_add_test(tc, live_pipe);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
