/* SPDX-License-Identifier: MIT
 * nfdump file decoder (FORMAT-nfdump.md; where it and nfdump 1.7.1
 * disagree, nfdump's reading wins).  A file is a 40-byte header, NumBlocks
 * data blocks (a 12-byte header, then the payload, compressed as a whole)
 * and an appendix block.  It is read front to back with no seeking, so
 * that standard input works and files may follow one another on a pipe:
 * the appendix is read where the header says it is (skipping any gap) and
 * ends the stream.  An uncompressed payload is decoded where it lies in
 * the reader's buffer; a compressed one is expanded into one buffer per
 * stream.  Every length is checked before it is used.
 */
#include <bzlib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "nfdump.h"
#include "util.h"

enum {
    HDR2 = 40,                 /* fileHeaderV2_t */
    HDR1 = 140 + 136,          /* fileHeaderV1_t + stat_recordV1_t */
    BLK_HDR = 12,              /* dataBlock_t */
    BUF_MAX = 5 << 20,         /* nfdump's BUFFSIZE: no payload is larger */
    C_NONE = 0, C_LZO = 1, C_BZ2 = 2, C_LZ4 = 3, C_ZSTD = 4,
    T_V3 = 11,                 /* recordHeaderV3_t */
    T_MAP = 2, T_COMMON = 10,  /* nfdump 1.6: extension map, common record */
    T_IDENT = 0x8001, T_STAT = 0x8002,
    IDENT_MAX = 128,           /* nfdump's IDENTLEN */
    STAT_SIZE = 4 + 144,
};

static const char *const comp_name[] = {"uncompressed", "LZO", "BZ2", "LZ4", "ZSTD"};

struct nfd {
    unsigned comp;
    uint32_t nblocks, done;    /* data blocks in the file, and read */
    uint16_t nappendix;
    uint64_t off_appendix;     /* from the file's start */
    uint64_t start;            /* input offset of the file's first byte */
    unsigned char *zbuf;       /* expanded payloads, BUF_MAX bytes; NULL if uncompressed */
    /* The block being decoded: payload p[0..len), the next record at pos,
     * left records to go; in_place: p lies in the reader's buffer and the
     * block's bytes are consumed when it is done. */
    const unsigned char *p;
    size_t len, pos, in_size;
    uint32_t left;
    bool in_place;
    uint64_t blk_off;          /* input offset of the block's header */
    /* nfdump 1.6 extension maps (type 2 records) by map id, for type 10
     * records; a later map with the same id replaces the earlier one. */
    struct v1map *maps;
    size_t nmaps, last;        /* last: the map used last, tried first */
};

struct v1map {
    uint16_t id, n;
    uint16_t ex[64];           /* extension ids in record order */
};

static inline uint16_t ld16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static inline uint32_t ld32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t ld64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* nfdump's IPv6 address: two host-order u64, the high half first. */
static inline void ld_ip6(const unsigned char *p, uint8_t out[16])
{
    uint64_t hi = __builtin_bswap64(ld64(p)), lo = __builtin_bswap64(ld64(p + 8));
    memcpy(out, &hi, 8);
    memcpy(out + 8, &lo, 8);
}

static bool nfd_probe(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x0C && p[1] == 0xA5;
}


static int nfd_fail(struct in_ctx *c, struct fq_error *err, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The one-line error: the input's name, the offset, the message. */
static int nfd_fail(struct in_ctx *c, struct fq_error *err, uint64_t at, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fq_fail(err, FQ_E_INPUT, in_name(c->src), (int64_t)at, "%s", msg);
}

/* ---- records ------------------------------------------------------------ */

static inline void set_addr4(struct fq_rec *r, enum fq_field f, uint32_t *member, uint32_t v)
{
    *member = v;
    r->v6 &= (uint8_t)~(1u << f);
    memset(r->ip6[f], 0, 16);
}

static inline void set_addr6(struct fq_rec *r, enum fq_field f, uint32_t *member,
                             const unsigned char *p)
{
    *member = 0;
    r->v6 |= (uint8_t)(1u << f);
    ld_ip6(p, r->ip6[f]);
}

/* See nfdump.h: the virtual exporter that makes stime and etime exact. */
static inline void set_times(struct fq_rec *r, uint64_t first, uint64_t last)
{
    uint32_t d = last >= first ? in_sat32(last - first) : 0;
    r->stime = first;
    r->etime = last;
    r->unix_secs = (uint32_t)(last / 1000u);
    r->unix_nsecs = (uint32_t)(last % 1000u) * 1000000u;
    r->sysuptime = d;
    r->first = 0;
    r->last = d;
    r->duration = d;
}

/* Data bytes an element needs for the fields read from it; 0 for the
 * elements that are skipped. */
static size_t elem_need(unsigned type)
{
    switch (type) {
    case 1: return 48;         /* EXgenericFlow */
    case 2: return 8;          /* EXipv4Flow */
    case 3: return 32;         /* EXipv6Flow */
    case 4: return 10;         /* EXflowMisc: input, output, srcMask, dstMask */
    case 7: return 8;          /* EXasRouting */
    case 10: return 4;         /* EXipNextHopV4 */
    case 11: return 16;        /* EXipNextHopV6 */
    case 12: return 4;         /* EXipReceivedV4 */
    case 13: return 16;        /* EXipReceivedV6 */
    default: return 0;
    }
}

static void dec_elem(struct fq_rec *r, unsigned type, const unsigned char *e, uint64_t *first,
                     uint64_t *last)
{
    switch (type) {
    case 1:
        *first = ld64(e);
        *last = ld64(e + 8);
        r->packets = in_sat32(ld64(e + 24));
        r->bytes = in_sat32(ld64(e + 32));
        r->srcport = ld16(e + 40);
        r->dstport = ld16(e + 42);
        r->proto = e[44];
        r->tcp_flags = e[45];
        r->tos = e[47];
        break;
    case 2:
        set_addr4(r, F_SRCIP, &r->srcip, ld32(e));
        set_addr4(r, F_DSTIP, &r->dstip, ld32(e + 4));
        break;
    case 3:
        set_addr6(r, F_SRCIP, &r->srcip, e);
        set_addr6(r, F_DSTIP, &r->dstip, e + 16);
        break;
    case 4:
        r->input = in_sat16(ld32(e));
        r->output = in_sat16(ld32(e + 4));
        r->src_mask = e[8];
        r->dst_mask = e[9];
        break;
    case 7:
        r->src_as = in_sat16(ld32(e));
        r->dst_as = in_sat16(ld32(e + 4));
        break;
    case 10:
        set_addr4(r, F_NEXTHOP, &r->nexthop, ld32(e));
        break;
    case 11:
        set_addr6(r, F_NEXTHOP, &r->nexthop, e);
        break;
    case 12:
        set_addr4(r, F_EXADDR, &r->exaddr, ld32(e));
        break;
    case 13:
        set_addr6(r, F_EXADDR, &r->exaddr, e);
        break;
    default:
        break;
    }
}

/* Decode the V3 record p[0..size) (size >= 12, checked by the caller).
 * Returns -1, or the offset in the record of a fault that *why (of whylen
 * bytes) then describes. */
static long dec_v3(const unsigned char *p, size_t size, struct fq_rec *r, uint64_t id, char *why,
                   size_t whylen)
{
    memset(r, 0, sizeof *r);
    unsigned n = ld16(p + 4);
    r->engine_type = p[6];
    r->engine_id = p[7];
    uint64_t first = 0, last = 0;
    size_t off = 12;
    for (unsigned i = 0; i < n; i++) {
        if (off + 4 > size) {
            snprintf(why, whylen, "%u elements announced, %u fit in the record's %zu bytes", n, i,
                     size);
            return 4;
        }
        unsigned t = ld16(p + off), l = ld16(p + off + 2);
        if (l < 4 || off + l > size) {
            snprintf(why, whylen, "element %u (type %u) has length %u, %zu bytes left in the record",
                     i, t, l, size - off);
            return (long)off + 2;
        }
        if (l - 4 < elem_need(t)) {
            snprintf(why, whylen, "element %u (type %u) has length %u, less than its %zu bytes", i,
                     t, l, elem_need(t) + 4);
            return (long)off + 2;
        }
        dec_elem(r, t, p + off + 4, &first, &last);
        off += l;
    }
    if (off != size) {
        snprintf(why, whylen, "record size %zu, its %u elements end at %zu", size, n, off);
        return 2;
    }
    set_times(r, first, last);
    r->rec_id = id;
    return -1;
}

/* ---- nfdump 1.6 records -------------------------------------------------- */

/* Data bytes of the 1.6 extensions by id (nfx.h); 0 for the required
 * ones (ids 0-3, which nfdump ignores in a map) and the compat NEL id 47,
 * -1 for ids that have no layout. */
static int v1_ext_size(unsigned id)
{
    static const signed char size[] = {
        0, 0, 0, 0, 4, 8, 4, 8, 4, 4,          /* 0-9: snmp 2/4, as 2/4, multiple, nh v4 */
        16, 4, 16, 4, 4, 8, 4, 8, 4, 8,        /* 10-19: nh v6, bgp nh, vlan, out pkts/bytes, aggr */
        16, 16, 40, 4, 16, 4, 8, 8, -1, -1,    /* 20-29: mac, mpls, router ip v4/v6, router id, adj, recv */
        -1, -1, -1, -1, -1, -1, -1, 20, 4, 8,  /* 30-39: reserved, nsel common, xlate ports, ip v4 */
        32, 24, 24, 72, -1, 24, 12, 0, 8,      /* 40-48: xlate v6, acl, user, latency, nel, block alloc */
    };
    return id < sizeof size ? size[id] : -1;
}

/* A type 2 record: an extension map. */
static int add_map(struct nfd *st, const unsigned char *p, size_t size, char *why, size_t wl)
{
    if (size < 8) {
        snprintf(why, wl, "extension map of %zu bytes, less than its 8-byte header", size);
        return -1;
    }
    struct v1map m = {.id = ld16(p + 4)};
    for (size_t off = 8; off + 2 <= size && ld16(p + off); off += 2) {
        if (m.n == sizeof m.ex / sizeof m.ex[0]) {
            snprintf(why, wl, "extension map %u lists more than %zu extensions", m.id,
                     sizeof m.ex / sizeof m.ex[0]);
            return -1;
        }
        m.ex[m.n++] = ld16(p + off);
    }
    size_t i = 0;
    while (i < st->nmaps && st->maps[i].id != m.id)
        i++;
    if (i == st->nmaps) {
        if ((st->nmaps & (st->nmaps - 1)) == 0)
            st->maps = xrealloc(st->maps, (st->nmaps ? st->nmaps * 2 : 4) * sizeof *st->maps);
        st->nmaps++;
    }
    st->maps[i] = m;
    return 0;
}

static const struct v1map *find_map(struct nfd *st, unsigned id)
{
    if (st->last < st->nmaps && st->maps[st->last].id == id)
        return &st->maps[st->last];
    for (size_t i = 0; i < st->nmaps; i++)
        if (st->maps[i].id == id) {
            st->last = i;
            return &st->maps[i];
        }
    return NULL;
}

/* The optional extension ex of a 1.6 record, at e. */
static void dec_v1_ext(struct fq_rec *r, unsigned ex, const unsigned char *e)
{
    switch (ex) {
    case 4: r->input = ld16(e); r->output = ld16(e + 2); break;
    case 5: r->input = in_sat16(ld32(e)); r->output = in_sat16(ld32(e + 4)); break;
    case 6: r->src_as = ld16(e); r->dst_as = ld16(e + 2); break;
    case 7: r->src_as = in_sat16(ld32(e)); r->dst_as = in_sat16(ld32(e + 4)); break;
    case 8: r->src_mask = e[2]; r->dst_mask = e[3]; break;
    case 9: set_addr4(r, F_NEXTHOP, &r->nexthop, ld32(e)); break;
    case 10: set_addr6(r, F_NEXTHOP, &r->nexthop, e); break;
    case 23: set_addr4(r, F_EXADDR, &r->exaddr, ld32(e)); break;
    case 24: set_addr6(r, F_EXADDR, &r->exaddr, e); break;
    case 25: r->engine_type = e[2]; r->engine_id = e[3]; break;
    default: break;
    }
}

/* Decode the type 10 record p[0..size) (size >= 4) as dec_v3 does: -1, or
 * the offset of a fault that *why describes. */
static long dec_v1(struct nfd *st, const unsigned char *p, size_t size, struct fq_rec *r,
                   uint64_t id, char *why, size_t wl)
{
    if (size < 32) {
        snprintf(why, wl, "1.6 flow record of %zu bytes, less than its 32-byte header", size);
        return 2;
    }
    const struct v1map *m = find_map(st, ld16(p + 6));
    if (!m) {
        snprintf(why, wl, "1.6 flow record with extension map %u, which no map before it defines",
                 ld16(p + 6));
        return 6;
    }
    memset(r, 0, sizeof *r);
    unsigned fl = ld16(p + 4);
    size_t off = 32, need = 32 + (fl & 1 ? 32 : 8) + (fl & 2 ? 8 : 4) + (fl & 4 ? 8 : 4);
    if (need > size) {
        snprintf(why, wl, "1.6 flow record of %zu bytes, its addresses and counters need %zu", size,
                 need);
        return 2;
    }
    if (fl & 1) {
        set_addr6(r, F_SRCIP, &r->srcip, p + off);
        set_addr6(r, F_DSTIP, &r->dstip, p + off + 16);
        off += 32;
    } else {
        r->srcip = ld32(p + off);
        r->dstip = ld32(p + off + 4);
        off += 8;
    }
    r->packets = fl & 2 ? in_sat32(ld64(p + off)) : ld32(p + off);
    off += fl & 2 ? 8 : 4;
    r->bytes = fl & 4 ? in_sat32(ld64(p + off)) : ld32(p + off);
    off += fl & 4 ? 8 : 4;
    for (unsigned i = 0; i < m->n; i++) {
        int sz = v1_ext_size(m->ex[i]);
        if (sz < 0) {
            snprintf(why, wl, "extension map %u lists extension %u, which nfdump 1.6 does not define",
                     m->id, m->ex[i]);
            return 6;
        }
        if (off + (size_t)sz > size) {
            snprintf(why, wl, "1.6 flow record of %zu bytes, its extension %u ends at %zu", size,
                     m->ex[i], off + (size_t)sz);
            return 2;
        }
        dec_v1_ext(r, m->ex[i], p + off);
        off += (size_t)sz;
    }
    r->tcp_flags = p[21];
    r->proto = p[22];
    r->tos = p[23];
    r->srcport = ld16(p + 24);
    r->dstport = ld16(p + 26);
    set_times(r, (uint64_t)ld32(p + 12) * 1000u + ld16(p + 8),
              (uint64_t)ld32(p + 16) * 1000u + ld16(p + 10));
    r->rec_id = id;
    return -1;
}

/* ---- blocks ------------------------------------------------------------- */

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static bool lzo_ok;

static void lzo_setup(void)
{
    lzo_ok = lzo_init() == LZO_E_OK;
}

/* Expand in[0..n) into st->zbuf; returns the length, or -1 with *why. */
static long expand(struct nfd *st, const unsigned char *in, size_t n, char *why, size_t whylen)
{
    switch (st->comp) {
    case C_LZO: {
        lzo_uint len = BUF_MAX;
        int e = lzo1x_decompress_safe(in, n, st->zbuf, &len, NULL);
        if (e != LZO_E_OK) {
            snprintf(why, whylen, "LZO error %d", e);
            return -1;
        }
        return (long)len;
    }
    case C_BZ2: {
        unsigned len = BUF_MAX;
        int e = BZ2_bzBuffToBuffDecompress((char *)st->zbuf, &len, (char *)(uintptr_t)in,
                                           (unsigned)n, 0, 0);
        if (e != BZ_OK) {
            snprintf(why, whylen, "BZ2 error %d", e);
            return -1;
        }
        return (long)len;
    }
    case C_LZ4: {
        int len = LZ4_decompress_safe((const char *)in, (char *)st->zbuf, (int)n, BUF_MAX);
        if (len <= 0) {
            snprintf(why, whylen, "LZ4 error %d", len);
            return -1;
        }
        return len;
    }
    default: {
        size_t len = ZSTD_decompress(st->zbuf, BUF_MAX, in, n);
        if (ZSTD_isError(len)) {
            snprintf(why, whylen, "ZSTD: %s", ZSTD_getErrorName(len));
            return -1;
        }
        return (long)len;
    }
    }
}

/* Read the block at the read position into st->p/len/left.  what names it
 * in messages ("block", "appendix block").  Returns 1, or 0 for a block
 * nfdump skips (array blocks), or -1. */
static int read_block(struct nfd *st, struct in_ctx *c, const char *what, struct fq_error *err)
{
    const unsigned char *p;
    uint64_t at = in_off(c->src);
    ssize_t avail = in_fill(c->src, BLK_HDR, &p, err);
    if (avail < 0)
        return -1;
    if (avail < BLK_HDR)
        return nfd_fail(c, err, at + (uint64_t)avail,
                        "truncated nfdump file at byte %llu (input ends %zd bytes into the header of "
                        "%s)",
                        (unsigned long long)(at + (uint64_t)avail), avail, what), -1;
    uint32_t nrec = ld32(p), size = ld32(p + 4);
    unsigned type = ld16(p + 8);
    if (size == 0 || size > BUF_MAX)
        return nfd_fail(c, err, at + 4,
                        "bad nfdump block size %u at byte %llu (%s; nfdump's limit is 1..%u)", size,
                        (unsigned long long)(at + 4), what, (unsigned)BUF_MAX), -1;
    if (nrec == 0)
        return nfd_fail(c, err, at, "bad nfdump block at byte %llu (%s holds no records)",
                        (unsigned long long)at, what), -1;
    avail = in_fill(c->src, BLK_HDR + (size_t)size, &p, err);
    if (avail < 0)
        return -1;
    if ((size_t)avail < BLK_HDR + (size_t)size)
        return nfd_fail(c, err, at + (uint64_t)avail,
                        "truncated nfdump file at byte %llu (%s at byte %llu has %u bytes, the input "
                        "ends after %zd)",
                        (unsigned long long)(at + (uint64_t)avail), what, (unsigned long long)at,
                        size, avail - BLK_HDR), -1;
    st->blk_off = at;
    if (type == 4) {           /* an array block: lookup data, no flows */
        in_skip(c->src, BLK_HDR + (size_t)size);
        return 0;
    }
    if (type != 2 && type != 3)
        return nfd_fail(c, err, at + 8,
                        "unsupported nfdump block type %u at byte %llu (flowq reads types 2 and 3)",
                        type, (unsigned long long)(at + 8)), -1;
    st->left = nrec;
    st->pos = 0;
    if (st->comp == C_NONE) {
        st->p = p + BLK_HDR;
        st->len = size;
        st->in_size = BLK_HDR + (size_t)size;
        st->in_place = true;
        return 1;
    }
    char why[200];
    long len = expand(st, p + BLK_HDR, size, why, sizeof why);
    in_skip(c->src, BLK_HDR + (size_t)size);
    if (len < 0)
        return nfd_fail(c, err, at + BLK_HDR,
                        "corrupt nfdump %s data at byte %llu (%s at byte %llu does not expand: %s)",
                        comp_name[st->comp], (unsigned long long)(at + BLK_HDR), what,
                        (unsigned long long)at, why), -1;
    st->p = st->zbuf;
    st->len = (size_t)len;
    st->in_place = false;
    return 1;
}

/* Where a fault at payload offset off is reported: the exact input byte
 * for a block read in place, the block's first payload byte otherwise (and
 * the message says where in the expanded payload). */
static uint64_t fault_at(const struct nfd *st, size_t off)
{
    return st->blk_off + BLK_HDR + (st->in_place ? off : 0);
}

static int rec_fail(struct nfd *st, struct in_ctx *c, struct fq_error *err, size_t off,
                    const char *why)
{
    uint64_t at = fault_at(st, off);
    if (st->in_place)
        return nfd_fail(c, err, at, "corrupt nfdump record at byte %llu (%s)",
                        (unsigned long long)at, why);
    return nfd_fail(c, err, at,
                    "corrupt nfdump record in the %s block at byte %llu (byte %zu of the expanded "
                    "block: %s)",
                    comp_name[st->comp], (unsigned long long)st->blk_off, off, why);
}

/* The record at st->pos: its type and size, checked against the block. */
static int rec_head(struct nfd *st, struct in_ctx *c, struct fq_error *err, unsigned *type,
                    size_t *size)
{
    char why[200];
    if (st->pos + 4 > st->len) {
        snprintf(why, sizeof why, "the block's %zu bytes end with %u announced records to go",
                 st->len, (unsigned)st->left);
        return rec_fail(st, c, err, st->pos, why);
    }
    *type = ld16(st->p + st->pos);
    *size = ld16(st->p + st->pos + 2);
    if (*size < 4 || st->pos + *size > st->len) {
        snprintf(why, sizeof why, "record size %zu, %zu bytes left in the block", *size,
                 st->len - st->pos);
        return rec_fail(st, c, err, st->pos + 2, why);
    }
    return FQ_OK;
}

/* The block is done: its bytes must all have been records. */
static int block_end(struct nfd *st, struct in_ctx *c, struct fq_error *err)
{
    if (st->pos != st->len) {
        char why[200];
        snprintf(why, sizeof why, "%zu bytes after the block's last record", st->len - st->pos);
        return rec_fail(st, c, err, st->pos, why);
    }
    if (st->in_place)
        in_skip(c->src, st->in_size);
    st->in_place = false;
    st->p = NULL;
    st->len = st->pos = 0;
    return FQ_OK;
}

/* ---- the appendix ------------------------------------------------------- */

/* After the last data block: skip to the appendix, check its blocks'
 * records (ident and stat: nothing flowq uses) and end the stream there. */
static int read_appendix(struct nfd *st, struct in_ctx *c, struct fq_error *err)
{
    if (st->nappendix == 0)
        return FQ_OK;
    uint64_t here = in_off(c->src) - st->start;
    if (st->off_appendix < here)
        return nfd_fail(c, err, st->start + 24,
                        "bad nfdump appendix offset %llu at byte %llu (the data blocks end at byte "
                        "%llu)",
                        (unsigned long long)st->off_appendix, (unsigned long long)(st->start + 24),
                        (unsigned long long)here);
    for (uint64_t gap = st->off_appendix - here; gap;) {
        const unsigned char *p;
        ssize_t avail = in_fill(c->src, gap < (1u << 20) ? (size_t)gap : (1u << 20), &p, err);
        if (avail < 0)
            return err->code;
        if (avail == 0)
            return nfd_fail(c, err, in_off(c->src),
                            "truncated nfdump file at byte %llu (the appendix should start at byte "
                            "%llu)",
                            (unsigned long long)in_off(c->src),
                            (unsigned long long)(st->start + st->off_appendix));
        size_t k = (uint64_t)avail < gap ? (size_t)avail : (size_t)gap;
        in_skip(c->src, k);
        gap -= k;
    }
    for (unsigned b = 0; b < st->nappendix; b++) {
        int got = read_block(st, c, "the appendix block", err);
        if (got < 0)
            return err->code;
        while (got && st->left) {
            unsigned type = 0;
            size_t size = 0;
            if (rec_head(st, c, err, &type, &size))
                return err->code;
            st->pos += size;
            st->left--;
        }
        if (got && block_end(st, c, err))
            return err->code;
    }
    return FQ_OK;
}

/* ---- the interface ------------------------------------------------------ */

static void nfd_close(void *arg)
{
    struct nfd *st = arg;
    if (!st)
        return;
    free(st->zbuf);
    free(st->maps);
    free(st);
}

/* What every stream needs once its compression is known. */
static int start_stream(struct nfd *st, struct in_ctx *c, struct fq_error *err)
{
    if (st->comp == C_LZO) {
        pthread_once(&lzo_once, lzo_setup);
        if (!lzo_ok)
            return fq_fail(err, FQ_E_OUTPUT, in_name(c->src), -1, "LZO library initialisation failed");
    }
    if (st->comp != C_NONE) {
        in_compressed(c->src);
        st->zbuf = xmalloc(BUF_MAX);
    }
    return FQ_OK;
}

/* nfdump 1.6's layout 1: a 140-byte header (magic, version, flags with the
 * compression bits, NumBlocks, ident) and a 136-byte stat record, then the
 * blocks; no appendix.  Of several compression bits nfdump takes LZO, then
 * BZ2, then LZ4, and so does this. */
static void *open_v1(struct in_ctx *c, uint64_t at, struct fq_error *err)
{
    const unsigned char *p;
    ssize_t avail = in_fill(c->src, HDR1, &p, err);
    if (avail < 0)
        return NULL;
    if (avail < HDR1)
        return nfd_fail(c, err, at + (uint64_t)avail,
                        "truncated nfdump file at byte %llu (input ends %zd bytes into the %d-byte "
                        "header and statistics of a layout 1 file)",
                        (unsigned long long)(at + (uint64_t)avail), avail, HDR1), NULL;
    uint32_t flags = ld32(p + 4);
    struct nfd *st = xcalloc(1, sizeof *st);
    st->comp = flags & 0x01 ? C_LZO : flags & 0x08 ? C_BZ2 : flags & 0x10 ? C_LZ4 : C_NONE;
    st->nblocks = ld32(p + 8);
    st->start = at;
    if (start_stream(st, c, err)) {
        nfd_close(st);
        return NULL;
    }
    in_skip(c->src, HDR1);
    return st;
}

static void *nfd_open(struct in_ctx *c, struct fq_error *err)
{
    const unsigned char *p;
    uint64_t at = in_off(c->src);
    ssize_t avail = in_fill(c->src, HDR2 + 1, &p, err);
    if (avail < 0)
        return NULL;
    if (avail < 4)
        return nfd_fail(c, err, at + (uint64_t)avail,
                        "truncated nfdump file at byte %llu (input ends %zd bytes into the header)",
                        (unsigned long long)(at + (uint64_t)avail), avail), NULL;
    unsigned version = ld16(p + 2);
    if (version == 1)
        return open_v1(c, at, err);
    if (version != 2)
        return nfd_fail(c, err, at + 2,
                        "unsupported nfdump layout version %u at byte %llu (flowq reads 2)", version,
                        (unsigned long long)(at + 2)), NULL;
    if (avail < HDR2)
        return nfd_fail(c, err, at + (uint64_t)avail,
                        "truncated nfdump file at byte %llu (input ends %zd bytes into the %d-byte "
                        "header)",
                        (unsigned long long)(at + (uint64_t)avail), avail, HDR2), NULL;
    unsigned comp = p[16];
    if (comp > C_ZSTD)
        return nfd_fail(c, err, at + 16,
                        "unsupported nfdump compression %u at byte %llu (flowq reads 0 none, 1 LZO, "
                        "2 BZ2, 3 LZ4, 4 ZSTD)",
                        comp, (unsigned long long)(at + 16)), NULL;
    if (p[17] != 0)
        return nfd_fail(c, err, at + 17, "encrypted nfdump file (encryption %u) at byte %llu",
                        p[17], (unsigned long long)(at + 17)), NULL;
    struct nfd *st = xcalloc(1, sizeof *st);
    st->comp = comp;
    st->nappendix = ld16(p + 18);
    st->off_appendix = ld64(p + 24);
    st->nblocks = ld32(p + 36);
    st->start = at;
    /* nfcapd writes this header when it opens a file and the real one
     * when it closes it: blocks after it belong to a file still being
     * written (or never closed), which nfdump would read as empty. */
    if (st->nblocks == 0 && st->nappendix == 0 && avail > HDR2) {
        nfd_close(st);
        return nfd_fail(c, err, at + 36,
                        "unfinished nfdump file at byte %llu (its header counts no blocks, but data "
                        "follows: nfcapd is still writing it, or was stopped before closing it)",
                        (unsigned long long)(at + 36)), NULL;
    }
    if (start_stream(st, c, err)) {
        nfd_close(st);
        return NULL;
    }
    in_skip(c->src, HDR2);
    return st;
}

static ssize_t nfd_next(void *arg, struct in_ctx *c, struct fq_rec *buf, size_t cap,
                        struct fq_error *err)
{
    struct nfd *st = arg;
    size_t k = 0;
    while (k < cap) {
        if (st->left == 0) {
            if (st->p && block_end(st, c, err))
                return -1;
            if (k)
                break;         /* hand over what is decoded before reading on */
            if (st->done == st->nblocks)
                return read_appendix(st, c, err) ? -1 : 0;
            char what[48];
            snprintf(what, sizeof what, "block %u of %u", st->done + 1, st->nblocks);
            int got = read_block(st, c, what, err);
            if (got < 0)
                return -1;
            st->done++;
            continue;
        }
        unsigned type = 0;
        size_t size = 0;
        if (rec_head(st, c, err, &type, &size))
            return -1;
        const unsigned char *rp = st->p + st->pos;
        char why[200];
        if (type == T_V3 || type == T_COMMON) {
            if (!in_need(c)) {
                in_pass(c);
            } else {
                long bad;
                if (type == T_COMMON)
                    bad = dec_v1(st, rp, size, &buf[k], c->id, why, sizeof why);
                else if (size < 12)
                    bad = 2, snprintf(why, sizeof why, "V3 record of %zu bytes, less than its header",
                                      size);
                else
                    bad = dec_v3(rp, size, &buf[k], c->id, why, sizeof why);
                if (bad >= 0)
                    return rec_fail(st, c, err, st->pos + (size_t)bad, why), -1;
                k += in_take(c, &buf[k]);
            }
        } else if (type == T_MAP) {
            if (add_map(st, rp, size, why, sizeof why))
                return rec_fail(st, c, err, st->pos, why), -1;
        } else if (type == 1) {
            return rec_fail(st, c, err, st->pos,
                            "an nfdump 1.5 flow record (type 1), which flowq does not read"), -1;
        }
        /* Exporter, sampler, statistics, name and later records: skipped. */
        st->pos += size;
        st->left--;
    }
    return (ssize_t)k;
}

const struct in_format in_nfdump = {
    .name = "nfdump",
    .magic_len = 2,
    .probe = nfd_probe,
    .open = nfd_open,
    .next = nfd_next,
    .close = nfd_close,
};
