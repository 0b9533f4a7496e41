/* SPDX-License-Identifier: MIT
 * Test fixtures: writes N known records as a flow-tools stream (through
 * ft_writer_open_ex, or with -L a legacy stream version 1 file encoded
 * here by hand), or prints the CSV a correct decoder must produce for
 * them, formatted independently of src/out.c (gmtime_r and printf).
 *
 *   ftfixture [-V VER] [-b little|big] [-z LEVEL] [-n N] [-s FIRST] [-L] [--csv]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ftio.h"

/* Record i of the fixture: every field varies, every 50th record has all
 * fields at their maximum (times in 2106, huge durations). */
static void make(uint64_t i, struct fq_rec *r)
{
    memset(r, 0, sizeof *r);
    uint32_t h = (uint32_t)(i * 2654435761u);
    if (i % 50 == 49) {
        r->unix_secs = r->unix_nsecs = 0xFFFFFFFFu;
        r->sysuptime = 0;
        r->first = 0;
        r->last = 0xFFFFFFFFu;
        r->exaddr = r->srcip = r->dstip = r->nexthop = 0xFFFFFFFFu;
        r->packets = r->bytes = 0xFFFFFFFFu;
        r->input = r->output = r->srcport = r->dstport = r->src_as = r->dst_as = 0xFFFF;
        r->proto = r->tos = r->tcp_flags = r->engine_type = r->engine_id = 0xFF;
        r->src_mask = r->dst_mask = 0xFF;
        return;
    }
    r->unix_secs = 1236247262u + (uint32_t)(i / 100);
    r->unix_nsecs = (uint32_t)(i * 12345679u % 1000000000u);
    r->sysuptime = 3600000u + (uint32_t)(i * 10);
    r->first = r->sysuptime - (uint32_t)(i * 37 % 60000) - 1000;
    r->last = r->first + (uint32_t)(i * 13 % 5000);
    r->exaddr = 0xC0A80101u + (uint32_t)(i % 4);
    r->srcip = 0x0A000000u ^ h;
    r->dstip = ~h;
    r->nexthop = i % 3 ? 0xAC100001u : 0;
    r->input = (uint16_t)(i * 7);
    r->output = (uint16_t)(0xFFFF - i);
    r->packets = (uint32_t)(i * 3 + 1);
    r->bytes = r->packets * (uint32_t)(40 + i % 1460);
    r->srcport = (uint16_t)(i * 7 + 1024);
    r->dstport = (uint16_t)(0xFFFF - i);
    static const uint8_t protos[] = {6, 17, 1};
    r->proto = protos[i % 3];
    r->tos = (uint8_t)(i * 5);
    r->tcp_flags = (uint8_t)(i & 0x3f);
    r->engine_type = (uint8_t)(i % 3);
    r->engine_id = (uint8_t)(255 - i % 256);
    r->src_mask = (uint8_t)(i % 33);
    r->dst_mask = (uint8_t)(32 - i % 33);
    r->src_as = (uint16_t)(i * 11);
    r->dst_as = (uint16_t)(65535 - i);
}

/* What a reader makes of record r stored as version ver (legacy: in a
 * stream version 1 file). */
static void as_read(struct fq_rec *r, int ver, bool legacy)
{
    if (legacy) {
        r->unix_nsecs = r->unix_nsecs / 1000000u * 1000000u;
        r->sysuptime = 0;
        r->exaddr = 0;
        r->engine_type = r->engine_id = 0;
    }
    if (ver == 1) {
        r->engine_type = r->engine_id = r->src_mask = r->dst_mask = 0;
        r->src_as = r->dst_as = 0;
    }
}

static void put16(unsigned char *p, uint16_t v, bool big)
{
    p[big ? 0 : 1] = (unsigned char)(v >> 8);
    p[big ? 1 : 0] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v, bool big)
{
    for (int k = 0; k < 4; k++)
        p[big ? 3 - k : k] = (unsigned char)(v >> (8 * k));
}

/* FORMAT-flowtools.md sections 4 and 6.7. */
static void write_legacy(FILE *fp, int ver, bool big, uint64_t first, uint64_t n)
{
    unsigned char h[360] = {0xCF, 0x10, big ? 2 : 1, 1};
    put16(h + 4, (uint16_t)ver, big);
    put32(h + 24, (uint32_t)n, big);
    strcpy((char *)h + 36, "ftfixture");
    fwrite(h, 1, sizeof h, fp);
    for (uint64_t i = first; i < first + n; i++) {
        struct fq_rec r;
        make(i, &r);
        unsigned char p[60] = {0};
        put32(p + 0, r.unix_secs, big);
        put32(p + 4, r.unix_nsecs / 1000000u, big);
        put32(p + 8, r.srcip, big);
        put32(p + 12, r.dstip, big);
        put32(p + 16, r.nexthop, big);
        put16(p + 20, r.input, big);
        put16(p + 22, r.output, big);
        put32(p + 24, r.packets, big);
        put32(p + 28, r.bytes, big);
        put32(p + 32, r.first, big);
        put32(p + 36, r.last, big);
        put16(p + 40, r.srcport, big);
        put16(p + 42, r.dstport, big);
        p[46] = r.proto;
        p[47] = r.tos;
        p[48] = r.tcp_flags;
        put16(p + 52, r.src_as, big);
        put16(p + 54, r.dst_as, big);
        p[56] = r.src_mask;
        p[57] = r.dst_mask;
        fwrite(p, 1, sizeof p, fp);
    }
}

/* flow-tools' ftltime() in milliseconds, written out here independently of
 * record.h: 32-bit seconds (they wrap), milliseconds carried by hand. */
static uint64_t ftl(uint32_t sys, uint32_t secs, uint32_t nsecs, uint32_t t)
{
    int64_t s = (int64_t)secs - sys / 1000, ms = (int64_t)(nsecs / 1000000) - sys % 1000;
    if (ms < 0) {
        ms += 1000;
        s--;
    }
    s += t / 1000;
    ms += t % 1000;
    if (ms >= 1000) {
        ms -= 1000;
        s++;
    }
    return (uint64_t)(s & 0xFFFFFFFF) * 1000 + (uint64_t)ms;
}

static void ptime(uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    printf("%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

static void paddr(uint32_t a)
{
    printf("%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void print_csv(int ver, bool legacy, uint64_t first, uint64_t n)
{
    puts("stime,etime,srcip,srcport,dstip,dstport,proto,packets,bytes,tcp_flags,tos,input,output,"
         "src_as,dst_as,src_mask,dst_mask,nexthop,exaddr,engine_type,engine_id,duration");
    for (uint64_t i = first; i < first + n; i++) {
        struct fq_rec r;
        make(i, &r);
        as_read(&r, ver, legacy);
        ptime(ftl(r.sysuptime, r.unix_secs, r.unix_nsecs, r.first));
        putchar(',');
        ptime(ftl(r.sysuptime, r.unix_secs, r.unix_nsecs, r.last));
        putchar(',');
        paddr(r.srcip);
        printf(",%u,", r.srcport);
        paddr(r.dstip);
        printf(",%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,", r.dstport, r.proto, r.packets, r.bytes,
               r.tcp_flags, r.tos, r.input, r.output, r.src_as, r.dst_as, r.src_mask, r.dst_mask);
        paddr(r.nexthop);
        putchar(',');
        paddr(r.exaddr);
        printf(",%u,%u,%u\n", r.engine_type, r.engine_id, (uint32_t)(r.last - r.first));
    }
}

static void usage(void)
{
    fputs("usage: ftfixture [-V 1|5|6|7|1005] [-b little|big] [-z 0-9] [-n N] [-s FIRST] [-L] "
          "[--csv]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    int ver = 5, order = 0, z = 0;
    uint64_t n = 100, first = 0;
    bool csv = false, legacy = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--csv") == 0)
            csv = true;
        else if (strcmp(a, "-L") == 0)
            legacy = true;
        else if (i + 1 < argc && strcmp(a, "-V") == 0)
            ver = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(a, "-b") == 0)
            order = strcmp(argv[++i], "big") == 0 ? 2 : 1;
        else if (i + 1 < argc && strcmp(a, "-z") == 0)
            z = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(a, "-n") == 0)
            n = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(a, "-s") == 0)
            first = strtoull(argv[++i], NULL, 10);
        else
            usage();
    }
    if (legacy && ver != 1 && ver != 5)
        usage();
    if (csv) {
        print_csv(ver, legacy, first, n);
        return fflush(stdout) ? 1 : 0;
    }
    if (legacy) {
        if (z)
            usage();
        write_legacy(stdout, ver, order == 2, first, n);
        return fflush(stdout) ? 1 : 0;
    }
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct ft_writer_opts o = {.version = ver, .byte_order = order, .zlevel = z};
    struct ft_writer *w = ft_writer_open_ex(stdout, &o, &err);
    if (!w) {
        fprintf(stderr, "ftfixture: %s\n", err.msg);
        return 1;
    }
    for (uint64_t i = first; i < first + n; i++) {
        struct fq_rec r;
        make(i, &r);
        if (ft_writer_put(w, &r, &err))
            break;
    }
    if (ft_writer_close(w, &err) || err.code) {
        fprintf(stderr, "ftfixture: %s\n", err.msg);
        return 1;
    }
    return 0;
}
