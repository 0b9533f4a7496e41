/* SPDX-License-Identifier: MIT
 * mkpcap: writes a small, fixed pcap (Ethernet) of IPv4 and IPv6 TCP, UDP
 * and ICMP conversations in both directions, in time order, for softflowd to turn into
 * IPFIX and NetFlow exports (tests/data/ipfix/README).  Checksums are 0:
 * softflowd does not verify them.  Usage: mkpcap OUT.pcap
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { P_TCP = 6, P_UDP = 17, P_ICMP = 1, FIN = 1, SYN = 2, PSH = 8, ACK = 16 };

struct ep {
    int v6;
    unsigned char a[16];
    uint16_t port;
};

static FILE *out;
static uint32_t base_sec = 1700000000u;

static void put16be(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32le(FILE *fp, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, fp);
}

/* One packet from s to d at base_sec + ms milliseconds, with len payload
 * bytes; for ICMP, s->port is type*256+code. */
static void pkt(unsigned ms, int proto, const struct ep *s, const struct ep *d, unsigned flags,
                unsigned len)
{
    unsigned char f[2048] = {0};
    size_t l4 = proto == P_TCP ? 20 : 8, ip = s->v6 ? 40 : 20;
    memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
    put16be(f + 12, s->v6 ? 0x86dd : 0x0800);
    unsigned char *h = f + 14, *t = h + ip;
    if (s->v6) {
        h[0] = 0x60;
        put16be(h + 4, (unsigned)(l4 + len));
        h[6] = (unsigned char)(proto == P_ICMP ? 58 : proto);
        h[7] = 64;
        memcpy(h + 8, s->a, 16);
        memcpy(h + 24, d->a, 16);
    } else {
        h[0] = 0x45;
        put16be(h + 2, (unsigned)(ip + l4 + len));
        h[8] = 64;
        h[9] = (unsigned char)proto;
        memcpy(h + 12, s->a, 4);
        memcpy(h + 16, d->a, 4);
    }
    if (proto == P_ICMP) {
        t[0] = (unsigned char)(s->port >> 8);
        t[1] = (unsigned char)s->port;
    } else {
        put16be(t, s->port);
        put16be(t + 2, d->port);
        if (proto == P_TCP) {
            t[12] = 0x50;
            t[13] = (unsigned char)flags;
            put16be(t + 14, 65535);
        } else {
            put16be(t + 4, (unsigned)(8 + len));
        }
    }
    uint32_t n = (uint32_t)(14 + ip + l4 + len);
    put32le(out, base_sec + ms / 1000);
    put32le(out, ms % 1000 * 1000);
    put32le(out, n);
    put32le(out, n);
    fwrite(f, 1, n, out);
}

/* A TCP conversation: handshake, request, two response segments, close. */
static void tcp(unsigned ms, const struct ep *c, const struct ep *s, unsigned req, unsigned resp)
{
    pkt(ms, P_TCP, c, s, SYN, 0);
    pkt(ms + 10, P_TCP, s, c, SYN | ACK, 0);
    pkt(ms + 20, P_TCP, c, s, ACK, 0);
    pkt(ms + 25, P_TCP, c, s, PSH | ACK, req);
    pkt(ms + 140, P_TCP, s, c, ACK, resp);
    pkt(ms + 150, P_TCP, s, c, PSH | ACK, resp / 2);
    pkt(ms + 160, P_TCP, c, s, ACK, 0);
    pkt(ms + 1200, P_TCP, c, s, FIN | ACK, 0);
    pkt(ms + 1210, P_TCP, s, c, FIN | ACK, 0);
    pkt(ms + 1220, P_TCP, c, s, ACK, 0);
}

static struct ep v4(unsigned a, unsigned b, unsigned c, unsigned d, uint16_t port)
{
    struct ep e = {.port = port};
    e.a[0] = (unsigned char)a;
    e.a[1] = (unsigned char)b;
    e.a[2] = (unsigned char)c;
    e.a[3] = (unsigned char)d;
    return e;
}

/* 2001:db8:N::H */
static struct ep v6(unsigned n, unsigned h, uint16_t port)
{
    struct ep e = {.v6 = 1, .port = port};
    put16be(e.a, 0x2001);
    put16be(e.a + 2, 0xdb8);
    put16be(e.a + 4, n);
    put16be(e.a + 14, h);
    return e;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkpcap OUT.pcap\n");
        return 2;
    }
    out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    put32le(out, 0xa1b2c3d4u);
    put32le(out, 0x00040002u);   /* version 2.4 */
    put32le(out, 0);
    put32le(out, 0);
    put32le(out, 65535);
    put32le(out, 1);             /* Ethernet */
    struct ep c4 = v4(192, 0, 2, 10, 40000), s4 = v4(198, 51, 100, 20, 80);
    struct ep u4 = v4(192, 0, 2, 10, 53000), d4 = v4(198, 51, 100, 53, 53);
    struct ep i4 = v4(192, 0, 2, 11, 8 << 8), j4 = v4(198, 51, 100, 1, 0);
    struct ep c6 = v6(0, 0x10, 40001), s6 = v6(1, 0x20, 443);
    struct ep u6 = v6(0, 0x10, 53001), d6 = v6(1, 0x53, 53);
    tcp(0, &c4, &s4, 500, 1400);
    pkt(1300, P_UDP, &u4, &d4, 0, 60);
    pkt(1320, P_UDP, &d4, &u4, 0, 120);
    pkt(1400, P_ICMP, &i4, &j4, 0, 56);
    pkt(1401, P_ICMP, &j4, &i4, 0, 56);
    pkt(1500, P_ICMP, &i4, &j4, 0, 56);
    pkt(1501, P_ICMP, &j4, &i4, 0, 56);
    tcp(2000, &c6, &s6, 700, 1200);
    pkt(3300, P_UDP, &u6, &d6, 0, 40);
    pkt(3330, P_UDP, &d6, &u6, 0, 200);
    pkt(3400, P_UDP, &u6, &d6, 0, 40);
    return fclose(out) ? 1 : 0;
}
