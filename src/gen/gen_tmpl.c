/* SPDX-License-Identifier: MIT
 * NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export messages: templates
 * for IPv4 and IPv6 flows, data sets of consecutive records of one family,
 * at most TMPL_MTU bytes per message as an exporter on Ethernet sends
 * them.  Both templates lead the first message and every TMPL_EVERY-th,
 * so a collector started late learns them soon.  Pure encoding: the
 * caller sends the bytes.
 */
#include <string.h>

#include "gen.h"

/* One information element of a template: IANA element id, encoded size. */
struct elem {
    uint16_t id, len;
};

enum {
    E_OCTETS = 1, E_PACKETS = 2, E_PROTO = 4, E_TOS = 5, E_FLAGS = 6, E_SRCPORT = 7,
    E_SRC4 = 8, E_SRCMASK4 = 9, E_INPUT = 10, E_DSTPORT = 11, E_DST4 = 12, E_DSTMASK4 = 13,
    E_OUTPUT = 14, E_NEXTHOP4 = 15, E_SRCAS = 16, E_DSTAS = 17, E_LAST_UP = 21, E_FIRST_UP = 22,
    E_SRC6 = 27, E_DST6 = 28, E_SRCMASK6 = 29, E_DSTMASK6 = 30, E_NEXTHOP6 = 62,
    E_ICMP = 32, E_ICMP6 = 139, E_START_MS = 152, E_END_MS = 153,
};

/* NetFlow v9 as routers export it: uptime-relative times, 32-bit
 * counters, 16-bit interfaces and AS numbers.  ICMP type and code are
 * in the destination port, as in v5, and in ICMP_TYPE (32, for ICMPv6
 * too in v9; a v9 collector reads them from there only). */
static const struct elem v9_4[] = {
    {E_SRC4, 4}, {E_DST4, 4}, {E_NEXTHOP4, 4}, {E_INPUT, 2}, {E_OUTPUT, 2},
    {E_PACKETS, 4}, {E_OCTETS, 4}, {E_FIRST_UP, 4}, {E_LAST_UP, 4}, {E_SRCPORT, 2},
    {E_DSTPORT, 2}, {E_FLAGS, 1}, {E_PROTO, 1}, {E_TOS, 1}, {E_SRCAS, 2}, {E_DSTAS, 2},
    {E_SRCMASK4, 1}, {E_DSTMASK4, 1}, {E_ICMP, 2},
};
static const struct elem v9_6[] = {
    {E_SRC6, 16}, {E_DST6, 16}, {E_NEXTHOP6, 16}, {E_INPUT, 2}, {E_OUTPUT, 2},
    {E_PACKETS, 4}, {E_OCTETS, 4}, {E_FIRST_UP, 4}, {E_LAST_UP, 4}, {E_SRCPORT, 2},
    {E_DSTPORT, 2}, {E_FLAGS, 1}, {E_PROTO, 1}, {E_TOS, 1}, {E_SRCAS, 2}, {E_DSTAS, 2},
    {E_SRCMASK6, 1}, {E_DSTMASK6, 1}, {E_ICMP, 2},
};
/* IPFIX with the elements' full sizes and absolute millisecond times
 * (tcpControlBits in one octet: reduced-size encoding, RFC 7011 6.2);
 * ICMP type and code in icmpTypeCodeIPv4 / icmpTypeCodeIPv6 as well. */
static const struct elem ipfix_4[] = {
    {E_SRC4, 4}, {E_DST4, 4}, {E_NEXTHOP4, 4}, {E_INPUT, 4}, {E_OUTPUT, 4},
    {E_PACKETS, 8}, {E_OCTETS, 8}, {E_START_MS, 8}, {E_END_MS, 8}, {E_SRCPORT, 2},
    {E_DSTPORT, 2}, {E_FLAGS, 1}, {E_PROTO, 1}, {E_TOS, 1}, {E_SRCAS, 4}, {E_DSTAS, 4},
    {E_SRCMASK4, 1}, {E_DSTMASK4, 1}, {E_ICMP, 2},
};
static const struct elem ipfix_6[] = {
    {E_SRC6, 16}, {E_DST6, 16}, {E_NEXTHOP6, 16}, {E_INPUT, 4}, {E_OUTPUT, 4},
    {E_PACKETS, 8}, {E_OCTETS, 8}, {E_START_MS, 8}, {E_END_MS, 8}, {E_SRCPORT, 2},
    {E_DSTPORT, 2}, {E_FLAGS, 1}, {E_PROTO, 1}, {E_TOS, 1}, {E_SRCAS, 4}, {E_DSTAS, 4},
    {E_SRCMASK6, 1}, {E_DSTMASK6, 1}, {E_ICMP6, 2},
};
#define NELEM (sizeof v9_4 / sizeof v9_4[0])

enum {
    TMPL_MTU = 1400,           /* bytes per message, below Ethernet's 1500;
                                  at most TMPL_BUF */
    TMPL_EVERY = 20,           /* templates in every 20th message */
    TMPL_ID4 = 256, TMPL_ID6 = 257,
    V9_HDR = 20, IPFIX_HDR = 16, SET_HDR = 4,
};

static const struct elem *layout(enum gen_xfmt fmt, bool v6)
{
    if (fmt == GX_V9)
        return v6 ? v9_6 : v9_4;
    return v6 ? ipfix_6 : ipfix_4;
}

static size_t rec_len(enum gen_xfmt fmt, bool v6)
{
    const struct elem *e = layout(fmt, v6);
    size_t n = 0;
    for (size_t i = 0; i < NELEM; i++)
        n += e[i].len;
    return n;
}

/* v big-endian in len bytes (the low bytes of v). */
static void put(unsigned char *p, uint64_t v, unsigned len)
{
    for (unsigned i = len; i-- > 0; v >>= 8)
        p[i] = (unsigned char)v;
}

/* Address field f of r: 16 bytes of IPv6 or 4 of IPv4. */
static void put_addr(unsigned char *p, const struct fq_rec *r, enum fq_field f, uint32_t v4,
                     unsigned len)
{
    if (len == 16)
        memcpy(p, r->v6 & (1u << f) ? r->ip6[f - F_SRCIP] : (const uint8_t[16]){0}, 16);
    else
        put(p, v4, len);
}

static uint64_t elem_value(const struct fq_rec *r, uint16_t id)
{
    switch (id) {
    case E_OCTETS: return r->bytes;
    case E_PACKETS: return r->packets;
    case E_PROTO: return r->proto;
    case E_TOS: return r->tos;
    case E_FLAGS: return r->tcp_flags;
    case E_SRCPORT: return r->srcport;
    case E_DSTPORT: return r->dstport;
    case E_SRCMASK4: case E_SRCMASK6: return r->src_mask;
    case E_DSTMASK4: case E_DSTMASK6: return r->dst_mask;
    case E_INPUT: return r->input;
    case E_OUTPUT: return r->output;
    case E_SRCAS: return r->src_as;
    case E_DSTAS: return r->dst_as;
    case E_FIRST_UP: return r->first;
    case E_LAST_UP: return r->last;
    case E_ICMP: return r->proto == 1 || r->proto == 58 ? r->dstport : 0;
    case E_ICMP6: return r->proto == 58 ? r->dstport : 0;
    case E_START_MS: return r->stime;
    case E_END_MS: return r->etime;
    default: return 0;
    }
}

static size_t put_rec(unsigned char *p, enum gen_xfmt fmt, const struct fq_rec *r)
{
    bool v6 = r->v6 & (1u << F_SRCIP);
    const struct elem *e = layout(fmt, v6);
    size_t off = 0;
    for (size_t i = 0; i < NELEM; i++) {
        switch (e[i].id) {
        case E_SRC4: case E_SRC6: put_addr(p + off, r, F_SRCIP, r->srcip, e[i].len); break;
        case E_DST4: case E_DST6: put_addr(p + off, r, F_DSTIP, r->dstip, e[i].len); break;
        case E_NEXTHOP4: case E_NEXTHOP6:
            put_addr(p + off, r, F_NEXTHOP, r->nexthop, e[i].len);
            break;
        default: put(p + off, elem_value(r, e[i].id), e[i].len);
        }
        off += e[i].len;
    }
    return off;
}

/* The template set: v9 FlowSet id 0, IPFIX set id 2; both templates. */
static size_t put_templates(unsigned char *p, enum gen_xfmt fmt)
{
    size_t off = SET_HDR;
    for (int v6 = 0; v6 <= 1; v6++) {
        const struct elem *e = layout(fmt, v6);
        put(p + off, v6 ? TMPL_ID6 : TMPL_ID4, 2);
        put(p + off + 2, NELEM, 2);
        off += 4;
        for (size_t i = 0; i < NELEM; i++, off += 4) {
            put(p + off, e[i].id, 2);
            put(p + off + 2, e[i].len, 2);
        }
    }
    put(p, fmt == GX_V9 ? 0 : 2, 2);
    put(p + 2, off, 2);
    return off;
}

size_t tmpl_encode(struct tmpl_enc *e, const struct fq_rec *recs, size_t n, unsigned char *buf,
                   size_t *used)
{
    size_t hdr = e->fmt == GX_V9 ? V9_HDR : IPFIX_HDR, off = hdr, set = 0, k = 0, count = 0;
    if (e->messages % TMPL_EVERY == 0) {
        off += put_templates(buf + off, e->fmt);
        count += 2;
    }
    int fam = -1;
    for (; k < n; k++) {
        bool v6 = recs[k].v6 & (1u << F_SRCIP);
        size_t need = rec_len(e->fmt, v6) + (fam != v6 ? SET_HDR + 3 : 3);
        if (off + need > TMPL_MTU && k > 0)
            break;
        if (fam != v6) {
            if (set) {
                while (e->fmt == GX_V9 && (off - set) % 4)
                    buf[off++] = 0;
                put(buf + set + 2, off - set, 2);
            }
            set = off;
            put(buf + set, v6 ? TMPL_ID6 : TMPL_ID4, 2);
            off += SET_HDR;
            fam = v6;
        }
        off += put_rec(buf + off, e->fmt, &recs[k]);
    }
    if (set) {
        /* v9 pads FlowSets to 32 bits; IPFIX needs no padding */
        while (e->fmt == GX_V9 && (off - set) % 4)
            buf[off++] = 0;
        put(buf + set + 2, off - set, 2);
    }
    const struct fq_rec *r = &recs[0];
    if (e->fmt == GX_V9) {
        put(buf, 9, 2);
        put(buf + 2, count + k, 2);
        /* uptime at the whole second of the header's clock, so that
         * secs * 1000 - uptime is the router's boot to the millisecond */
        put(buf + 4, r->sysuptime - r->unix_nsecs / 1000000u, 4);
        put(buf + 8, r->unix_secs, 4);
        put(buf + 12, e->messages, 4);
        put(buf + 16, e->domain, 4);
    } else {
        put(buf, 10, 2);
        put(buf + 2, off, 2);
        put(buf + 4, r->unix_secs, 4);
        put(buf + 8, e->records, 4);
        put(buf + 12, e->domain, 4);
    }
    e->messages++;
    e->records += (uint32_t)k;
    *used = k;
    return off;
}
