/* SPDX-License-Identifier: MIT
 * udp_collect: a minimal NetFlow v5 collector for tests/suite-gen.sh.  It
 * listens on 127.0.0.1 (port written to PORTFILE), and checks that the
 * datagrams it receives carry exactly the records of TRACE, in order, with
 * a gapless flow_sequence; the exporter address is the collector's to set.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flowq.h"
#include "ftio.h"
#include "record.h"

static uint32_t g16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t g32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int fail(const char *fmt, size_t i, const char *what, uint64_t got, uint64_t want)
{
    fprintf(stderr, "udp_collect: ");
    fprintf(stderr, fmt, i, what, (unsigned long long)got, (unsigned long long)want);
    fputc('\n', stderr);
    return 1;
}

#define CHECK(what, got, want)                                                                     \
    do {                                                                                           \
        if ((uint64_t)(got) != (uint64_t)(want))                                                   \
            return fail("record %zu: %s is %llu, the file has %llu", seen + i, what, got, want); \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: udp_collect PORTFILE TRACE TIMEOUT_SECONDS\n", stderr);
        return 2;
    }
    struct fq_error err = {0};
    struct fq_rec *recs;
    size_t n;
    struct ft_reader_opts ro = {0};
    if (ft_read_all(&argv[2], 1, &ro, &recs, &n, &err)) {
        fprintf(stderr, "udp_collect: %s: %s\n", argv[2], err.msg);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 16 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || getsockname(fd, (struct sockaddr *)&sa, &len)) {
        perror("udp_collect: bind");
        return 2;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *pf = fopen(tmp, "w");
    if (!pf || fprintf(pf, "%u\n", ntohs(sa.sin_port)) < 0 || fclose(pf) || rename(tmp, argv[1])) {
        perror("udp_collect: port file");
        return 2;
    }
    int timeout_ms = atoi(argv[3]) * 1000;
    size_t seen = 0, pdus = 0;
    unsigned char buf[65536];
    while (seen < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, timeout_ms);
        if (pr <= 0) {
            fprintf(stderr, "udp_collect: timeout after %zu of %zu records\n", seen, n);
            return 1;
        }
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            perror("udp_collect: recv");
            return 1;
        }
        size_t i = 0;
        if (got < 24)
            return fail("datagram %zu: %s %llu bytes (min %llu)", pdus, "short", (uint64_t)got, 24);
        size_t count = g16(buf + 2);
        CHECK("version", g16(buf), 5);
        if (count == 0 || count > 30 || (size_t)got != 24 + 48 * count)
            return fail("datagram %zu: %s %llu, length %llu", pdus, "count", count, (uint64_t)got);
        CHECK("flow_sequence", g32(buf + 16), seen);
        if (seen + count > n)
            return fail("datagram %zu: %s: %llu records beyond %llu", pdus, "too many", seen + count, n);
        for (i = 0; i < count; i++) {
            const unsigned char *h = buf, *q = buf + 24 + 48 * i;
            const struct fq_rec *r = &recs[seen + i];
            CHECK("sysUpTime", g32(h + 4), r->sysuptime);
            CHECK("unix_secs", g32(h + 8), r->unix_secs);
            CHECK("unix_nsecs", g32(h + 12), r->unix_nsecs);
            CHECK("engine_type", h[20], r->engine_type);
            CHECK("engine_id", h[21], r->engine_id);
            CHECK("srcip", g32(q), r->srcip);
            CHECK("dstip", g32(q + 4), r->dstip);
            CHECK("nexthop", g32(q + 8), r->nexthop);
            CHECK("input", g16(q + 12), r->input);
            CHECK("output", g16(q + 14), r->output);
            CHECK("packets", g32(q + 16), r->packets);
            CHECK("bytes", g32(q + 20), r->bytes);
            CHECK("First", g32(q + 24), r->first);
            CHECK("Last", g32(q + 28), r->last);
            CHECK("srcport", g16(q + 32), r->srcport);
            CHECK("dstport", g16(q + 34), r->dstport);
            CHECK("tcp_flags", q[37], r->tcp_flags);
            CHECK("proto", q[38], r->proto);
            CHECK("tos", q[39], r->tos);
            CHECK("src_as", g16(q + 40), r->src_as);
            CHECK("dst_as", g16(q + 42), r->dst_as);
            CHECK("src_mask", q[44], r->src_mask);
            CHECK("dst_mask", q[45], r->dst_mask);
        }
        seen += count;
        pdus++;
    }
    printf("%zu records in %zu datagrams\n", seen, pdus);
    free(recs);
    close(fd);
    return 0;
}
