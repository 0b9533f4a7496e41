/* SPDX-License-Identifier: MIT
 * The planted patterns: a fixed set of flows, placed at fixed fractions of
 * the trace's time span, that the example queries of queries/ must find.
 * Planted hosts live in 10.200.0.0/16 (inside) and 198.18.0.0/15 (outside),
 * which the background never uses; each record says which queries must
 * output it, so tests can check "exactly the planted ones".
 */
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "util.h"

enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10 };
#define TCP_FULL (F_SYN | F_ACK | F_PSH | F_FIN)
#define SEC 1000u
#define MIN (60u * SEC)

struct pb {
    struct plant_set *ps;
    size_t cap;
    struct rng r;
    uint64_t t0, span;
    const char *pattern;
    int instance;
};

static uint64_t at(const struct pb *b, unsigned permille)
{
    return b->t0 + b->span * permille / 1000u;
}

static void flow(struct pb *b, const char *queries, uint64_t start, uint32_t dur, uint32_t src,
                 uint16_t sport, uint32_t dst, uint16_t dport, uint8_t proto, uint32_t pkts,
                 uint32_t bytes, uint8_t flags)
{
    struct plant_set *ps = b->ps;
    if (ps->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        ps->flows = xrealloc(ps->flows, b->cap * sizeof *ps->flows);
        ps->info = xrealloc(ps->info, b->cap * sizeof *ps->info);
    }
    struct gen_flow *f = &ps->flows[ps->n];
    memset(f, 0, sizeof *f);
    f->start = start;
    f->end = start + dur;
    /* a finished flow leaves the router's cache within the inactive timeout */
    f->export = f->end + rng_range(&b->r, 200, 15 * SEC);
    f->srcip = src;
    f->dstip = dst;
    f->srcport = sport;
    f->dstport = dport;
    f->proto = proto;
    f->packets = pkts;
    f->bytes = bytes;
    f->tcp_flags = flags;
    f->plant = (int32_t)ps->n;
    ps->info[ps->n] = (struct plant_info){b->pattern, b->instance, queries};
    ps->n++;
    ps->ninfo = ps->n;
}

static uint16_t eport(struct pb *b)
{
    return (uint16_t)rng_range(&b->r, 49152, 65000);
}

/* A TCP exchange: the client's flow and the server's answer, a few ms
 * later and ending a little earlier. */
static void tcp_pair(struct pb *b, const char *qc, const char *qs, uint64_t start, uint32_t dur,
                     uint32_t cli, uint16_t cport, uint32_t srv, uint16_t sport, uint32_t cpk,
                     uint32_t cby, uint32_t spk, uint32_t sby, uint8_t flags)
{
    uint32_t rtt = (uint32_t)rng_range(&b->r, 8, 60);
    flow(b, qc, start, dur, cli, cport, srv, sport, 6, cpk, cby, flags);
    flow(b, qs, start + rtt / 2, dur > rtt ? dur - rtt / 2 : 0, srv, sport, cli, cport, 6, spk,
         sby, flags);
}

static void udp_pair(struct pb *b, const char *qc, const char *qs, uint64_t start, uint32_t cli,
                     uint16_t cport, uint32_t srv, uint16_t sport, uint32_t cby, uint32_t sby)
{
    flow(b, qc, start, 0, cli, cport, srv, sport, 17, 1, cby, 0);
    flow(b, qs, start + rng_range(&b->r, 5, 80), 0, srv, sport, cli, cport, 17, 1, sby, 0);
}

static void begin(struct pb *b, const char *pattern, int instance)
{
    b->pattern = pattern;
    b->instance = instance;
}

/* LANGUAGE.md 11.1: SSDP groups of 321 bytes overlapping NAT-PMP groups of
 * 160 bytes from the same host.  Decoys: no overlap; wrong byte total. */
static void skype_signature(struct pb *b)
{
    static const struct { uint8_t host; uint32_t b1, b2; int64_t natpmp_at; const char *q; } v[] = {
        {1, 161, 160, 1000, "skype-signature"},
        {2, 161, 160, 70000, "-"},     /* NAT-PMP starts after SSDP ended */
        {3, 160, 160, 1000, "-"},      /* SSDP total 320 */
    };
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        begin(b, "skype-signature", (int)i + 1);
        uint64_t t = at(b, 100) + i * 5 * MIN;
        uint32_t host = GEN_IP(10, 200, 1, v[i].host), gw = GEN_IP(10, 200, 1, 254);
        uint32_t ssdp = GEN_IP(239, 255, 255, 250);
        uint16_t sp = eport(b), np = eport(b);
        flow(b, v[i].q, t, 0, host, sp, ssdp, 1900, 17, 1, v[i].b1, 0);
        flow(b, v[i].q, t + 3000, 0, host, sp, ssdp, 1900, 17, 1, v[i].b2, 0);
        uint64_t n = t + (uint64_t)v[i].natpmp_at;
        flow(b, v[i].q, n, 500, host, np, gw, 5351, 17, 2, 80, 0);
        flow(b, "-", n + 2, 500, gw, 5351, host, np, 17, 2, 96, 0);
        flow(b, v[i].q, n + 3000, 2000, host, np, gw, 5351, 17, 2, 80, 0);
        flow(b, "-", n + 3002, 2000, gw, 5351, host, np, 17, 2, 96, 0);
    }
}

/* LANGUAGE.md 11.2: mDNS (1-5 s), then three login attempts to 443 lasting
 * 55-59 s, source port +1 each time, fewer packets each time. */
static void skype_failure(struct pb *b)
{
    begin(b, "skype-ipv6-failure", 1);
    const char *q = "skype-ipv6-failure";
    uint64_t t = at(b, 200);
    uint32_t host = GEN_IP(10, 200, 2, 1), srv = GEN_IP(198, 18, 2, 1);
    flow(b, q, t, 2500, host, 5353, GEN_IP(224, 0, 0, 251), 5353, 17, 3, 246, 0);
    static const uint32_t dur[] = {56 * SEC, 57 * SEC + 300, 58 * SEC + 100};
    static const uint32_t pk[] = {9, 7, 5};
    uint64_t s = t + 4000;
    for (int i = 0; i < 3; i++) {
        tcp_pair(b, q, "-", s, dur[i], host, (uint16_t)(51000 + i), srv, 443, pk[i], pk[i] * 64,
                 3, 180, F_SYN | F_ACK | F_PSH);
        s += dur[i] + 1500;
    }
}

/* tcp-session.fq: more than 20000 packets each way between one pair, as
 * two records per direction (the router's 30 min active timeout). */
static void long_tcp(struct pb *b)
{
    static const struct { uint8_t h; uint32_t c1, c2, s1, s2; const char *q; } v[] = {
        {1, 13000, 13500, 14000, 15000, "tcp-session"},
        {2, 16000, 14000, 7000, 8000, "-"},      /* 30000 one way, 15000 back */
    };
    for (unsigned i = 0; i < 2; i++) {
        begin(b, "long-tcp", (int)i + 1);
        uint64_t t = at(b, 50) + i * 7 * MIN;
        uint32_t cli = GEN_IP(198, 18, 3, v[i].h), srv = GEN_IP(10, 200, 3, v[i].h);
        uint16_t cp = eport(b);
        tcp_pair(b, v[i].q, v[i].q, t, 25 * MIN, cli, cp, srv, 3389, v[i].c1, v[i].c1 * 120,
                 v[i].s1, v[i].s1 * 900, F_SYN | F_ACK | F_PSH);
        tcp_pair(b, v[i].q, v[i].q, t + 25 * MIN + 40, 20 * MIN, cli, cp, srv, 3389, v[i].c2,
                 v[i].c2 * 120, v[i].s2, v[i].s2 * 900, F_ACK | F_PSH | F_FIN);
    }
}

/* http-tcp-session.fq and https-tcp-session.fq: more than 200 packets each
 * way between a client and a web server, over one or several connections. */
static void web(struct pb *b, const char *pattern, uint16_t port, unsigned permille,
                uint8_t subnet)
{
    static const struct { int n; uint32_t c[3], s[3]; bool hit; } v[] = {
        {3, {110, 95, 80}, {400, 300, 250}, true},
        {1, {250}, {2500}, true},
        {2, {100, 50}, {1500, 1500}, false},    /* client sends only 150 */
    };
    for (unsigned i = 0; i < 3; i++) {
        begin(b, pattern, (int)i + 1);
        const char *q = v[i].hit ? pattern : "-";
        uint32_t cli = GEN_IP(10, 200, subnet, i + 1), srv = GEN_IP(198, 18, subnet, i + 1);
        uint64_t t = at(b, permille) + i * 3 * MIN;
        for (int k = 0; k < v[i].n; k++) {
            uint32_t dur = (uint32_t)rng_range(&b->r, 4 * SEC, 40 * SEC);
            tcp_pair(b, q, q, t, dur, cli, eport(b), srv, port, v[i].c[k], v[i].c[k] * 60 + 700,
                     v[i].s[k], v[i].s[k] * 1400, TCP_FULL);
            t += dur + rng_range(&b->r, 2 * SEC, 20 * SEC);
        }
    }
}

/* dns-udp.fq: more than 10 DNS packets each way between two hosts.  The
 * decoy gets only 8 answers. */
static void dns_exchange(struct pb *b)
{
    for (int i = 0; i < 2; i++) {
        begin(b, "dns-udp", i + 1);
        const char *q = i == 0 ? "dns-udp" : "-";
        uint32_t cli = GEN_IP(10, 200, 6, i + 1), srv = GEN_IP(198, 18, 6, i + 1);
        uint64_t t = at(b, 400) + (uint64_t)i * 2 * MIN;
        for (int k = 0; k < 15; k++) {
            uint16_t cp = eport(b);
            uint32_t qb = (uint32_t)rng_range(&b->r, 60, 90);
            if (i == 0 || k < 8) {
                udp_pair(b, q, q, t, cli, cp, srv, 53, qb, (uint32_t)rng_range(&b->r, 90, 300));
            } else {
                flow(b, q, t, 0, cli, cp, srv, 53, 17, 1, qb, 0);
            }
            t += rng_range(&b->r, 1 * SEC, 4 * SEC);
        }
    }
}

/* mdns-udp.fq: an mDNS talker with more than 500 packets; the decoy sends
 * 400. */
static void mdns_talker(struct pb *b)
{
    for (int i = 0; i < 2; i++) {
        begin(b, "mdns-udp", i + 1);
        const char *q = i == 0 ? "mdns-udp" : "-";
        uint32_t host = GEN_IP(10, 200, 7, i + 1);
        uint64_t t = at(b, 450) + (uint64_t)i * 30 * SEC;
        for (int k = 0; k < 8; k++) {
            uint32_t pk = i == 0 ? 75 : 50;
            flow(b, q, t, 60 * SEC, host, 5353, GEN_IP(224, 0, 0, 251), 5353, 17, pk, pk * 130, 0);
            t += 75 * SEC;
        }
    }
}

/* port-scan.fq: one source sends 120 SYN probes to port 23 of 120 inside
 * addresses; every probe is refused (RST+ACK), so none is a failed
 * connection.  The decoy scans only 40 addresses. */
static void port_scan(struct pb *b)
{
    for (int i = 0; i < 2; i++) {
        begin(b, "port-scan", i + 1);
        const char *q = i == 0 ? "port-scan" : "-";
        uint32_t scanner = GEN_IP(198, 18, 8, i + 1);
        uint16_t sp = eport(b);
        uint64_t t = at(b, 500) + (uint64_t)i * 4 * MIN;
        int n = i == 0 ? 120 : 40;
        for (int k = 0; k < n; k++) {
            uint32_t target = GEN_IP(10, 0, 2 + i, 2 + k);
            flow(b, q, t, 0, scanner, sp, target, 23, 6, 1, 44, F_SYN);
            flow(b, "-", t + rng_range(&b->r, 1, 5), 0, target, 23, scanner, sp, 6, 1, 40,
                 F_RST | F_ACK);
            t += rng_range(&b->r, 20, 80);
        }
    }
}

/* ssh-bruteforce.fq: 30 short SSH connections from one source to one
 * server, a few seconds apart; the decoy makes 10. */
static void ssh_bruteforce(struct pb *b)
{
    for (int i = 0; i < 2; i++) {
        begin(b, "ssh-bruteforce", i + 1);
        const char *q = i == 0 ? "ssh-bruteforce" : "-";
        uint32_t atk = GEN_IP(198, 18, 9, i + 1), srv = GEN_IP(10, 0, 0, 22);
        uint64_t t = at(b, 600) + (uint64_t)i * 8 * MIN;
        int n = i == 0 ? 30 : 10;
        for (int k = 0; k < n; k++) {
            uint32_t dur = (uint32_t)rng_range(&b->r, 1500, 3000);
            uint32_t cp = (uint32_t)rng_range(&b->r, 14, 22), sp = cp + 2;
            tcp_pair(b, q, "-", t, dur, atk, eport(b), srv, 22, cp, cp * 90, sp, sp * 110,
                     TCP_FULL);
            t += dur + rng_range(&b->r, 2 * SEC, 6 * SEC);
        }
    }
}

/* dns-amplification.fq: 60 large DNS answers from 20 resolvers to a host
 * that asked nothing.  Decoy: a host that receives as many large answers
 * but asked for them (it is a DNS exchange, so dns-udp.fq shows it). */
static void dns_amplification(struct pb *b)
{
    begin(b, "dns-amplification", 1);
    uint32_t victim = GEN_IP(10, 200, 10, 1);
    uint64_t t = at(b, 700);
    uint16_t vp = eport(b);
    for (int k = 0; k < 60; k++) {
        uint32_t res = GEN_IP(198, 18, 10, 1 + k % 20);
        uint32_t pk = (uint32_t)rng_range(&b->r, 2, 3);
        flow(b, "dns-amplification", t, (uint32_t)rng_range(&b->r, 0, 3), res, 53, victim, vp, 17,
             pk, pk * 1400 + (uint32_t)rng_range(&b->r, 100, 900), 0);
        t += rng_range(&b->r, 50, 400);
    }
    begin(b, "dns-amplification", 2);
    uint32_t host = GEN_IP(10, 200, 10, 2), res = GEN_IP(198, 18, 10, 60);
    t = at(b, 700) + 3 * MIN;
    for (int k = 0; k < 60; k++) {
        uint16_t cp = eport(b);
        uint32_t pk = (uint32_t)rng_range(&b->r, 2, 3);
        flow(b, "dns-udp", t, 0, host, cp, res, 53, 17, 1, 80, 0);
        flow(b, "dns-udp", t + 20, (uint32_t)rng_range(&b->r, 0, 3), res, 53, host, cp, 17, pk,
             pk * 1400 + 300, 0);
        t += rng_range(&b->r, 100, 600);
    }
}

/* tcp-failed.fq: connection attempts whose SYNs (sent three times) get no
 * answer; the decoy is refused (RST+ACK), which is an answer. */
static void tcp_failed(struct pb *b)
{
    for (int i = 0; i < 4; i++) {
        begin(b, "tcp-failed", i + 1);
        uint32_t cli = GEN_IP(10, 200, 11, i + 1), srv = GEN_IP(198, 18, 11, i + 1);
        uint64_t t = at(b, 800) + (uint64_t)i * 90 * SEC;
        uint16_t cp = eport(b);
        if (i < 3) {
            flow(b, "tcp-failed", t, 3000, cli, cp, srv, 8443, 6, 3, 180, F_SYN);
        } else {
            flow(b, "-", t, 0, cli, cp, srv, 8443, 6, 1, 60, F_SYN);
            flow(b, "-", t + 30, 0, srv, 8443, cli, cp, 6, 1, 40, F_RST | F_ACK);
        }
    }
}

/* event-before-after.fq: connections to a server in the ten minutes before
 * and after a connection to its port 4444.  Decoys: one connection 20 min
 * before, one that overlaps the event. */
static void event_host(struct pb *b)
{
    begin(b, "event-before-after", 1);
    const char *q = "event-before-after";
    uint32_t h = GEN_IP(10, 200, 12, 1), atk = GEN_IP(198, 18, 12, 66);
    uint64_t e = at(b, 850) + 20 * MIN;
    tcp_pair(b, q, "-", e, 40 * SEC, atk, eport(b), h, 4444, 60, 4200, 50, 30000, TCP_FULL);
    for (int k = 0; k < 5; k++) {
        uint64_t s = e - 9 * MIN + (uint64_t)k * 95 * SEC;
        tcp_pair(b, q, "-", s, (uint32_t)rng_range(&b->r, 500, 9000),
                 GEN_IP(198, 18, 12, k + 1), eport(b), h, 80, 12, 1500, 14, 12000, TCP_FULL);
    }
    for (int k = 0; k < 4; k++) {
        uint64_t s = e + 2 * MIN + (uint64_t)k * 100 * SEC;
        tcp_pair(b, q, "-", s, (uint32_t)rng_range(&b->r, 5 * SEC, 60 * SEC), atk, eport(b), h,
                 22, 40 + k, 4000, 38 + k, 6000, TCP_FULL);
    }
    tcp_pair(b, "-", "-", e - 20 * MIN, 2000, GEN_IP(198, 18, 12, 20), eport(b), h, 80, 10, 900,
             12, 9000, TCP_FULL);
    tcp_pair(b, "-", "-", e + 5 * SEC, 2000, GEN_IP(198, 18, 12, 21), eport(b), h, 80, 10, 900,
             12, 9000, TCP_FULL);
}

/* heavy-hitters.fq: a host that sends 4.2 GB (three 18-minute UDP
 * streams); no background source comes near 2 GB. */
static void heavy_hitter(struct pb *b)
{
    begin(b, "heavy-hitters", 1);
    uint32_t src = GEN_IP(10, 200, 13, 1), dst = GEN_IP(198, 18, 13, 1);
    uint64_t t = b->t0 + 60 * SEC;
    for (int k = 0; k < 3; k++) {
        uint32_t bytes = 1400000000u + (uint32_t)rng_range(&b->r, 0, 9999999);
        flow(b, "heavy-hitters", t, 18 * MIN, src, 40100, dst, 5004, 17, bytes / 1300, bytes, 0);
        b->ps->flows[b->ps->n - 1].tos = 0xb8;
        t += 18 * MIN + 20;
    }
}

static int by_start(const void *a, const void *b)
{
    const struct gen_flow *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->plant < y->plant ? -1 : x->plant > y->plant;
}

void plant_build(struct plant_set *ps, uint64_t seed, uint64_t t0, uint64_t span_ms)
{
    memset(ps, 0, sizeof *ps);
    struct pb b = {.ps = ps, .t0 = t0, .span = span_ms};
    rng_seed(&b.r, seed, 7);
    heavy_hitter(&b);
    long_tcp(&b);
    skype_signature(&b);
    skype_failure(&b);
    web(&b, "http-tcp-session", 80, 300, 4);
    web(&b, "https-tcp-session", 443, 350, 5);
    dns_exchange(&b);
    mdns_talker(&b);
    port_scan(&b);
    ssh_bruteforce(&b);
    dns_amplification(&b);
    tcp_failed(&b);
    event_host(&b);
    qsort(ps->flows, ps->n, sizeof *ps->flows, by_start);
}

void plant_free(struct plant_set *ps)
{
    free(ps->flows);
    free(ps->info);
    memset(ps, 0, sizeof *ps);
}
