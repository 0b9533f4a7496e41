/* SPDX-License-Identifier: MIT
 * Flow export over UDP, paced so that no more than `rate` flows per second
 * leave, as a router would send them to a collector such as nfcapd or
 * flow-capture.  NetFlow v5: one datagram per export packet (24-byte
 * header, up to 30 records of 48 bytes, network byte order); NetFlow v9
 * and IPFIX: the messages of gen_tmpl.c.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "util.h"

enum { V5_HDR = 24, V5_REC = 48, V5_MAX = 30 };

struct udpx {
    int fd;
    unsigned rate;
    enum gen_xfmt fmt;
    uint32_t sequence;         /* v5: flows sent before this packet */
    struct tmpl_enc enc;       /* v9, IPFIX */
    struct timespec next;      /* earliest time of the next send */
};

static void be16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

struct udpx *udpx_open(const char *target, unsigned rate, enum gen_xfmt fmt,
                       struct fq_error *err)
{
    char host[256];
    const char *port;
    if (target[0] == '[') {
        const char *close = strchr(target, ']');
        if (!close || close[1] != ':' || (size_t)(close - target - 1) >= sizeof host) {
            fq_fail(err, FQ_E_USAGE, NULL, -1, "bad --export target '%s' (expected HOST:PORT)", target);
            return NULL;
        }
        memcpy(host, target + 1, (size_t)(close - target - 1));
        host[close - target - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(target, ':');
        if (!colon || colon == target || (size_t)(colon - target) >= sizeof host) {
            fq_fail(err, FQ_E_USAGE, NULL, -1, "bad --export target '%s' (expected HOST:PORT)", target);
            return NULL;
        }
        memcpy(host, target, (size_t)(colon - target));
        host[colon - target] = '\0';
        port = colon + 1;
    }
    if (!*port) {
        fq_fail(err, FQ_E_USAGE, NULL, -1, "bad --export target '%s' (expected HOST:PORT)", target);
        return NULL;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        fq_fail(err, FQ_E_USAGE, NULL, -1, "--export %s: %s", target, gai_strerror(rc));
        return NULL;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        fq_fail(err, FQ_E_OUTPUT, NULL, -1, "--export %s: %s", target, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return NULL;
    }
    freeaddrinfo(ai);
    struct udpx *u = xcalloc(1, sizeof *u);
    u->fd = fd;
    u->rate = rate;
    u->fmt = fmt;
    /* the source id / observation domain: engine type 0, engine id 1, as
     * the v5 headers say */
    u->enc = (struct tmpl_enc){.fmt = fmt, .domain = 1};
    clock_gettime(CLOCK_MONOTONIC, &u->next);
    return u;
}

static void pace(struct udpx *u, size_t n)
{
    if (!u->rate)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec < u->next.tv_sec ||
        (now.tv_sec == u->next.tv_sec && now.tv_nsec < u->next.tv_nsec)) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &u->next, NULL) == EINTR)
            ;
    } else {
        u->next = now; /* behind schedule: do not burst to catch up */
    }
    uint64_t ns = (uint64_t)n * 1000000000u / u->rate;
    u->next.tv_sec += (time_t)(ns / 1000000000u);
    u->next.tv_nsec += (long)(ns % 1000000000u);
    if (u->next.tv_nsec >= 1000000000L) {
        u->next.tv_sec++;
        u->next.tv_nsec -= 1000000000L;
    }
}

/* One datagram of nflows flows, after pacing. */
static int datagram(struct udpx *u, const unsigned char *pdu, size_t len, size_t nflows,
                    struct fq_error *err)
{
    pace(u, nflows);
    ssize_t w;
    int refused = 0;
    /* a collector that is not (yet) listening makes a connected UDP socket
     * report ECONNREFUSED on a later send, which then sends nothing: send
     * again, once, as that is the collector's business and a router keeps
     * sending */
    do
        w = send(u->fd, pdu, len, 0);
    while (w < 0 && (errno == EINTR || (errno == ECONNREFUSED && refused++ == 0)));
    if (w < 0 && errno != ECONNREFUSED)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "--export: %s", strerror(errno));
    return FQ_OK;
}

static int send_tmpl(struct udpx *u, const struct fq_rec *recs, size_t n, struct fq_error *err)
{
    unsigned char msg[TMPL_BUF];
    while (n > 0) {
        size_t k, len = tmpl_encode(&u->enc, recs, n, msg, &k);
        if (datagram(u, msg, len, k, err))
            return err->code;
        recs += k;
        n -= k;
    }
    return FQ_OK;
}

int udpx_send(struct udpx *u, const struct fq_rec *recs, size_t n, struct fq_error *err)
{
    unsigned char pdu[V5_HDR + V5_MAX * V5_REC];
    if (n == 0)
        return FQ_OK;
    if (u->fmt != GX_V5)
        return send_tmpl(u, recs, n, err);
    if (n > V5_MAX)
        n = V5_MAX;
    memset(pdu, 0, sizeof pdu);
    be16(pdu, 5);
    be16(pdu + 2, (uint16_t)n);
    be32(pdu + 4, recs[0].sysuptime);
    be32(pdu + 8, recs[0].unix_secs);
    be32(pdu + 12, recs[0].unix_nsecs);
    be32(pdu + 16, u->sequence);
    pdu[20] = recs[0].engine_type;
    pdu[21] = recs[0].engine_id;
    /* bytes 22-23: sampling mode and interval, 0 = not sampled */
    for (size_t i = 0; i < n; i++) {
        const struct fq_rec *r = &recs[i];
        unsigned char *p = pdu + V5_HDR + i * V5_REC;
        be32(p + 0, r->srcip);
        be32(p + 4, r->dstip);
        be32(p + 8, r->nexthop);
        be16(p + 12, r->input);
        be16(p + 14, r->output);
        be32(p + 16, r->packets);
        be32(p + 20, r->bytes);
        be32(p + 24, r->first);
        be32(p + 28, r->last);
        be16(p + 32, r->srcport);
        be16(p + 34, r->dstport);
        p[37] = r->tcp_flags;
        p[38] = r->proto;
        p[39] = r->tos;
        be16(p + 40, r->src_as);
        be16(p + 42, r->dst_as);
        p[44] = r->src_mask;
        p[45] = r->dst_mask;
    }
    if (datagram(u, pdu, V5_HDR + n * V5_REC, n, err))
        return err->code;
    u->sequence += (uint32_t)n;
    return FQ_OK;
}

void udpx_close(struct udpx *u)
{
    if (!u)
        return;
    close(u->fd);
    free(u);
}
