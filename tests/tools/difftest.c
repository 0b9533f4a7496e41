/* SPDX-License-Identifier: MIT
 * Differential test: random small traces and random query texts covering
 * the whole language, run through the engine (engine_run) and through the
 * reference evaluator (refeval.c); outputs must be identical (reals within
 * a relative 1e-9), in record mode and in -g group mode, and so must the
 * per-stage counts; so must the kept input (filters at read time, narrow
 * rows), the run split into partitions, the run spilled to a temporary
 * file by partition (spill.h) and a query that only filters, run through
 * the spool as flowq streams it (stream.h).  The compiled IR is also
 * checked against what the generator meant (structure, and every filter record by record), since
 * engine and reference both trust it.  Case i of a run with seed S uses
 * seed S + i, so every case can be replayed alone (--show S prints it).
 * --grouper narrows cases to one grouped branch, --big N uses N records;
 * --replay DIR re-runs a saved case.
 */
#define REFEVAL_LIBRARY
#include "refeval.c"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "spill.h"
#include "stream.h"

/* ---- random numbers: splitmix64, no global state ---- */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static unsigned rnd(struct rng *r, unsigned n) {
    return n ? (unsigned)(rng_next(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned pct) {
    return rnd(r, 100) < pct;
}

/* ---- random trace: small value domains so that things match ---- */

/* Trace shapes: 0 a few seconds (most cases); 1 two minutes, so that
 * groups expire; 2 the same with more records; 3 records exported in 1970
 * with a long uptime, whose times wrap around to near 2^64 (as flow-gen's
 * records do) mixed with small ones; 4 (--big) many records over few
 * distinct values, so that the reference's nested loops stay affordable
 * while the engine takes its multi-threaded paths.  Big queries keep to
 * key rules and time windows in groupers: a rule such as 'duration <
 * output' or 'stime > stime' makes nearly every record a group, and the
 * reference's grouping is then quadratic. */
enum { TR_DENSE, TR_WIDE, TR_BIG, TR_WRAP, TR_HUGE };

/* IPv6 addresses of the traces: a few, so that they group and join; one
 * is ::ffff:10.0.0.1, which must stay apart from 10.0.0.1. */
static const uint8_t pool6[6][16] = {
    {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
    {0x20, 0x01, 0x0d, 0xb8, [15] = 2},
    {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1},
    {[10] = 0xff, 0xff, 10, 0, 0, 1},
    {0xfe, 0x80, [15] = 1},
    {0},
};

/* Address field f of x becomes an IPv6 address of the pool. */
static void set6(struct rng *r, struct fq_rec *x, enum fq_field f, unsigned npool) {
    x->v6 |= (uint8_t)(1u << f);
    memcpy(x->ip6[f], pool6[rnd(r, npool)], 16);
    memset((unsigned char *)x + fq_fields[f].offset, 0, 4);
}

static void gen_trace(struct rng *r, struct fq_rec *recs, size_t n, int shape, unsigned v6pct) {
    static const uint16_t ports[] = {53, 80, 443, 1024, 1025, 1900, 5353};
    static const uint32_t bytes[] = {40, 100, 160, 321, 1500, 0xffffffffu};
    uint32_t uptime = 600000;
    for (size_t i = 0; i < n; i++) {
        struct fq_rec *x = &recs[i];
        memset(x, 0, sizeof *x);
        x->unix_secs = 1260226600 + rnd(r, 2);
        x->unix_nsecs = chance(r, 20) ? 500000000u : 0;
        x->sysuptime = uptime;
        unsigned dk = rnd(r, 10);
        if (shape == TR_HUGE) {
            x->first = uptime - 10000 + 250 * rnd(r, 24);
            x->last = x->first + (dk < 3 ? 0 : 250 * rnd(r, 12));
        } else if (shape == TR_DENSE) {
            x->first = uptime - 10000 + 250 * rnd(r, 24) + (chance(r, 10) ? rnd(r, 250) : 0);
            x->last = x->first + (dk < 3 ? 0 : dk < 8 ? 250 * rnd(r, 12) : rnd(r, 3000));
        } else if (shape == TR_WIDE || shape == TR_BIG) {
            x->first = uptime - 130000 + 1000 * rnd(r, 120) + (chance(r, 10) ? rnd(r, 1000) : 0);
            x->last = x->first + (dk < 3 ? 0 : dk < 8 ? 1000 * rnd(r, 8) : rnd(r, 10000));
        } else {
            x->unix_secs = 0;
            x->unix_nsecs = 0;
            x->sysuptime = 4000000000u;
            x->first = chance(r, 50) ? 250 * rnd(r, 24) : 4000000000u + 250 * rnd(r, 24);
            x->last = x->first + (dk < 3 ? 0 : 250 * rnd(r, 12));
        }
        x->srcip = 0x0a000001u + rnd(r, 4);
        x->dstip = chance(r, 85) ? 0x0a000001u + rnd(r, 4) : 0xc0a80001u + rnd(r, 2);
        x->nexthop = 0x0a0000feu + rnd(r, 2);
        x->exaddr = 0xac100001u + rnd(r, 2);
        unsigned few = shape == TR_HUGE ? 100 : 90;
        x->srcport = chance(r, few) ? ports[rnd(r, 7)] : (uint16_t)rnd(r, 65536);
        x->dstport = chance(r, few) ? ports[rnd(r, 7)] : (uint16_t)rnd(r, 65536);
        x->proto = (uint8_t)(chance(r, 50) ? 6 : chance(r, 70) ? 17 : 1);
        x->tos = (uint8_t)rnd(r, 3);
        x->tcp_flags = (uint8_t)rnd(r, 64);
        x->packets = chance(r, 5) ? 0xffffffffu : chance(r, 5) ? 0 : 1 + rnd(r, 6);
        x->bytes = chance(r, shape == TR_HUGE ? 0 : 10) ? rnd(r, 3000)
                                                        : bytes[rnd(r, chance(r, 95) ? 5 : 6)];
        x->input = (uint16_t)rnd(r, 3);
        x->output = (uint16_t)rnd(r, 3);
        x->src_as = (uint16_t)rnd(r, 3);
        x->dst_as = (uint16_t)rnd(r, 3);
        x->src_mask = (uint8_t)(8 * rnd(r, 5));
        x->dst_mask = (uint8_t)(8 * rnd(r, 5));
        x->engine_type = (uint8_t)rnd(r, 2);
        x->engine_id = (uint8_t)rnd(r, 2);
        x->rec_id = i;
        if (v6pct && chance(r, v6pct)) {
            set6(r, x, F_SRCIP, 6);
            if (chance(r, 80))
                set6(r, x, F_DSTIP, 6);
            if (chance(r, 50))
                set6(r, x, F_NEXTHOP, 2);
            if (chance(r, 20))
                set6(r, x, F_EXADDR, 2);
        }
        rec_derive(x);
    }
}

/* ---- random query text ---- */

enum gk { GK_U, GK_T, GK_R, GK_A, GK_SU, GK_SA, GK_ST };

struct gfd { /* a group field as the generator knows it */
    char name[40];
    enum gk k;
    unsigned width;
    uint64_t hint; /* a plausible value, for constants */
};

struct bdesc { /* one branch */
    char name[8];
    struct gfd f[96];
    size_t nf;
    bool grouper;
};

/* What the generator meant by a filter, kept beside the text so that the
 * front end can be checked too: the reference reads the compiled IR, and
 * a mistake in compiling would otherwise fool engine and reference alike. */
enum mkind { MT_REF, MT_PREFIX, MT_CONST, MT_FIELDS, MT_BIT };

struct mterm {
    enum mkind k;
    bool neg, rev, in, bitand, hd;
    enum fq_field a, b;
    enum fq_op op;
    uint64_t c, delta;
    unsigned plen;
    int ref;
    bool c6;        /* address constant or prefix: IPv6 in c6b, not c */
    uint8_t c6b[16];
};

struct mfilter {
    struct mterm t[3][3];
    unsigned nt[3], nc;
};

struct gen {
    struct rng *r;
    const struct fq_rec *recs;
    size_t n;
    FILE *fp;               /* the query text */
    struct mfilter help[3]; /* filters H0.. */
    struct mfilter bf[3];   /* branch filters F0.. */
    bool hasbf[3];          /* by branch (a shared filter is copied) */
    size_t nb;
    bool big;                /* every branch grouped on a small key */
    bool focus;              /* --grouper: one branch, a grouper, nothing else */
    bool v6;                 /* the trace holds IPv6 addresses: so do constants */
    struct bdesc bd[3];      /* branches as written */
    unsigned nmod;           /* merger modules written (0: no merger) */
    int expm;                /* the exported one */
    size_t mb[4][3], nmb[4]; /* their branches lines */
};

static uint64_t wmax(unsigned width) {
    return width >= 64 ? UINT64_MAX : (((uint64_t)1 << width) - 1);
}

static uint64_t sample(struct gen *g, enum fq_field f) {
    return g->n ? rec_get(&g->recs[rnd(g->r, (unsigned)g->n)], f) : 0;
}

static uint64_t jitter(struct gen *g, uint64_t v, unsigned width) {
    unsigned k = rnd(g->r, 10);
    uint64_t mx = wmax(width);
    if (k < 6)
        return v;
    if (k < 8)
        return v < mx ? v + 1 + rnd(g->r, 300) % (mx - v < 300 ? (unsigned)(mx - v) : 300) : v;
    return v > 0 ? v - 1 - rnd(g->r, (unsigned)(v < 300 ? v : 300)) : v;
}

static void put_addr(struct gen *g, uint64_t a) {
    fprintf(g->fp, "%u.%u.%u.%u", (unsigned)(a >> 24) & 255, (unsigned)(a >> 16) & 255,
            (unsigned)(a >> 8) & 255, (unsigned)a & 255);
}

/* An IPv6 address in one of the forms the scanner takes. */
static void put_addr6(struct gen *g, const uint8_t *a) {
    unsigned k = rnd(g->r, 4);
    if (k < 2) {
        char t[IP6_TEXT_MAX];
        fwrite(t, 1, (size_t)(ip6_put(t, a) - t), g->fp);
        return;
    }
    for (int i = 0; i < 8; i++)
        fprintf(g->fp, k == 2 ? "%s%04X" : "%s%x", i ? ":" : "", (unsigned)a[2 * i] << 8 | a[2 * i + 1]);
}

/* An IPv6 constant near the trace's addresses: one of them, or one just
 * beside (absent from the trace, between present ones). */
static void pick6(struct gen *g, uint8_t *a) {
    memcpy(a, pool6[rnd(g->r, 6)], 16);
    if (chance(g->r, 50))
        a[15] = (uint8_t)(a[15] + (chance(g->r, 50) ? 1 : 255));
}

static unsigned put_prefix6(struct gen *g, uint8_t *a) {
    static const unsigned lens[] = {0, 8, 16, 32, 48, 64, 96, 112, 120, 127, 128};
    unsigned plen = lens[rnd(g->r, 11)];
    put_addr6(g, a);
    fprintf(g->fp, "/%u", plen);
    for (unsigned i = plen; i < 128; i++) /* host bits cleared (W-LEX-1 when set) */
        a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
    return plen;
}

static void put_uint(struct gen *g, uint64_t v, bool timelike) {
    unsigned k = rnd(g->r, 10);
    static const char *const hn[] = {"h", "hr", "hours", "hour"};
    static const char *const mn[] = {"min", "mins", "minute", "minutes"};
    if (timelike && v % 3600000 == 0 && v && k < 6)
        fprintf(g->fp, "%llu %s", (unsigned long long)(v / 3600000), hn[k % 4]);
    else if (timelike && v % 60000 == 0 && v && k < 6)
        fprintf(g->fp, "%llu%s%s", (unsigned long long)(v / 60000), k % 2 ? " " : "", mn[k % 4]);
    else if (timelike && v % 1000 == 0 && v && k < 4)
        fprintf(g->fp, "%llu %s", (unsigned long long)(v / 1000), k < 2 ? "s" : "sec");
    else if (timelike && k < 5)
        fprintf(g->fp, "%llu ms", (unsigned long long)v);
    else if (k == 9)
        fprintf(g->fp, "0x%llx", (unsigned long long)v);
    else
        fprintf(g->fp, "%llu", (unsigned long long)v);
}

static unsigned put_prefix(struct gen *g, uint64_t a) {
    static const unsigned lens[] = {0, 8, 16, 24, 30, 31, 32};
    unsigned plen = lens[rnd(g->r, 7)];
    uint32_t mask = plen ? (uint32_t)(0xffffffffu << (32 - plen)) : 0;
    put_addr(g, chance(g->r, 85) ? (a & mask) : a); /* host bits: W-LEX-1 */
    fprintf(g->fp, "/%u", plen);
    return plen;
}

static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">="};

/* Constants of group conditions: the group's hint, or an IPv6 one. */
static void put_gaddr(struct gen *g, uint64_t hint) {
    uint8_t a[16];
    if (g->v6 && chance(g->r, 60)) {
        pick6(g, a);
        put_addr6(g, a);
    } else {
        put_addr(g, hint);
    }
}

static void put_gprefix(struct gen *g, uint64_t hint) {
    uint8_t a[16];
    if (g->v6 && chance(g->r, 60)) {
        pick6(g, a);
        put_prefix6(g, a);
    } else {
        put_prefix(g, hint);
    }
}

static uint64_t put_delta(struct gen *g, bool timelike, bool allow_r) {
    /* huge deltas catch x + d computed with wrap-around */
    static const uint64_t ds[] = {0,         1,    2,     100,     250,         500,
                                  1000,      2000, 60000, 3600000, 4294967295u, (uint64_t)1 << 63,
                                  UINT64_MAX};
    uint64_t d = ds[rnd(g->r, chance(g->r, 90) ? 10 : 13)];
    fprintf(g->fp, " %s ", allow_r && chance(g->r, 30) ? "rdelta" : "delta");
    put_uint(g, d, timelike);
    return d;
}

static const char *fname(struct gen *g, enum fq_field f) {
    const char *const *al = field_aliases(f);
    size_t na = 0;
    while (al[na])
        na++;
    if (na && chance(g->r, 20))
        return al[rnd(g->r, (unsigned)na)];
    return fq_fields[f].name;
}

static enum fq_field pick_field(struct gen *g, int want) /* want: -1 any, else a vtype */
{
    for (;;) {
        enum fq_field f = (enum fq_field)rnd(g->r, F_COUNT);
        /* favour the fields the trace varies */
        if (f > F_DST_AS && chance(g->r, 60))
            continue;
        if (want < 0 || (want == VT_ADDR) == (fq_fields[f].type == VT_ADDR))
            return f;
    }
}

static void gen_filter_term(struct gen *g, int nhelp, int self, struct mterm *m) {
    struct rng *r = g->r;
    memset(m, 0, sizeof *m);
    if ((m->neg = chance(r, 15)))
        fputs("NOT ", g->fp);
    unsigned k = rnd(r, 100);
    if (k < 15 && self + 1 < nhelp) {
        m->k = MT_REF;
        m->ref = self + 1 + (int)rnd(r, (unsigned)(nhelp - self - 1));
        fprintf(g->fp, "H%d", m->ref);
    } else if (k < 30) {
        m->a = pick_field(g, VT_ADDR);
        unsigned c = rnd(r, 10);
        fprintf(g->fp, "%s ", fname(g, m->a));
        const struct fq_rec *x = g->n ? &g->recs[rnd(r, (unsigned)g->n)] : NULL;
        m->c = x ? rec_get(x, m->a) : 0;
        if (g->v6 && x && (x->v6 >> m->a & 1) && chance(r, 70)) {
            m->c6 = true;
            memcpy(m->c6b, x->ip6[m->a], 16);
        } else if (g->v6 && chance(r, 25)) {
            m->c6 = true;
            pick6(g, m->c6b);
        }
        if (c < 5) {
            m->k = MT_PREFIX;
            m->in = c < 2 || c == 3;
            fprintf(g->fp, "%s ", c < 2 ? "in" : c < 3 ? "notin" : c < 4 ? "=" : "!=");
            if (m->c6)
                m->plen = put_prefix6(g, m->c6b);
            else
                m->plen = put_prefix(g, m->c);
        } else if (c < 8) {
            m->k = MT_CONST;
            m->op = (enum fq_op)rnd(r, 6);
            fprintf(g->fp, "%s ", ops[m->op]);
            if (m->c6)
                put_addr6(g, m->c6b);
            else
                put_addr(g, m->c);
        } else {
            m->k = MT_FIELDS;
            m->op = (enum fq_op)rnd(r, 6);
            m->b = pick_field(g, VT_ADDR);
            fprintf(g->fp, "%s %s", ops[m->op], fname(g, m->b));
        }
    } else if (k < 40) {
        static const unsigned masks[] = {1, 2, 4, 16, 0x12, 0x13, 0xff};
        m->k = MT_BIT;
        m->a = pick_field(g, VT_UINT);
        uint64_t mx = wmax(fq_fields[m->a].width);
        m->delta = masks[rnd(r, 7)] & mx; /* the mask */
        m->bitand = chance(r, 60);
        m->op = chance(r, 70) ? OP_EQ : OP_NE;
        m->c = chance(r, 50) ? m->delta : (sample(g, m->a) & 0xff & mx);
        fprintf(g->fp, "%s(%s, 0x%llx) %s %llu", m->bitand ? "bitAND" : "bitOR", fname(g, m->a),
                (unsigned long long)m->delta, ops[m->op], (unsigned long long)m->c);
    } else if (k < 45) {
        static const char *const pn[] = {"TCP", "udp", "icmp", "Tcp"};
        static const unsigned pv[] = {6, 17, 1, 6};
        unsigned i = rnd(r, 4);
        m->k = MT_CONST;
        m->a = F_PROTO;
        m->op = chance(r, 70) ? OP_EQ : OP_NE;
        m->c = pv[i];
        fprintf(g->fp, "%s %s protocol(\"%s\")", fname(g, F_PROTO), ops[m->op], pn[i]);
    } else if (k < 60) {
        m->k = MT_FIELDS;
        m->a = pick_field(g, VT_UINT);
        m->b = pick_field(g, VT_UINT);
        if (chance(r, 50)) {
            m->a = chance(r, 50) ? F_STIME : F_ETIME;
            m->b = chance(r, 50) ? F_STIME : F_ETIME;
        }
        m->op = (enum fq_op)rnd(r, 6);
        fprintf(g->fp, "%s ", fname(g, m->a));
        fprintf(g->fp, "%s %s", ops[m->op], fname(g, m->b));
        if ((m->hd = chance(r, 40)))
            m->delta = put_delta(g, fq_fields[m->a].timelike, false);
    } else {
        m->k = MT_CONST;
        m->a = pick_field(g, VT_UINT);
        m->c = jitter(g, sample(g, m->a), fq_fields[m->a].width);
        m->rev = chance(r, 15);
        m->op = (enum fq_op)rnd(r, 6);
        if (m->rev) {
            put_uint(g, m->c, fq_fields[m->a].timelike);
            fprintf(g->fp, " %s %s", ops[m->op], fname(g, m->a));
        } else {
            fprintf(g->fp, "%s %s ", fname(g, m->a), ops[m->op]);
            put_uint(g, m->c, fq_fields[m->a].timelike);
        }
        if ((m->hd = chance(r, 30)))
            m->delta = put_delta(g, fq_fields[m->a].timelike, false);
    }
}

static void gen_filter_body(struct gen *g, int nhelp, int self, struct mfilter *mf) {
    memset(mf, 0, sizeof *mf);
    mf->nc = rnd(g->r, 4);
    for (unsigned i = 0; i < mf->nc; i++) {
        fputs("    ", g->fp);
        mf->nt[i] = 1 + (chance(g->r, 35) ? 1 + rnd(g->r, 2) : 0);
        for (unsigned j = 0; j < mf->nt[i]; j++) {
            if (j)
                fputs(chance(g->r, 50) ? " OR " : " or ", g->fp);
            gen_filter_term(g, nhelp, self, &mf->t[i][j]);
        }
        fputc('\n', g->fp);
    }
}

static bool model_filter(const struct gen *g, const struct mfilter *mf, const struct fq_rec *x);

/* Address field f of x as the reference evaluator's value. */
static struct ref_v model_addr(const struct fq_rec *x, enum fq_field f) {
    struct ref_v v = {.k = RV_A, .u = rec_get(x, f)};
    if ((v.a6 = (x->v6 >> f & 1) != 0))
        memcpy(v.b, x->ip6[f], 16);
    return v;
}

static bool model_term(const struct gen *g, const struct mterm *m, const struct fq_rec *x) {
    bool v = false;
    uint64_t a = rec_get(x, m->a);
    bool addr = m->k != MT_REF && fq_fields[m->a].type == VT_ADDR;
    struct ref_v av = addr ? model_addr(x, m->a) : (struct ref_v){.k = RV_U};
    if (addr && m->k != MT_BIT) {
        struct ref_v c = {.k = RV_A, .u = m->c, .a6 = m->c6};
        memcpy(c.b, m->c6b, 16);
        if (m->k == MT_PREFIX) {
            uint64_t mask = m->plen && !m->c6 ? (0xffffffffu << (32 - m->plen)) & 0xffffffffu : 0;
            v = m->c6 ? av.a6 && ref_in6(av.b, m->c6b, m->plen)
                      : !av.a6 && (a & mask) == (m->c & mask);
            v = v == m->in;
        } else if (m->k == MT_CONST) {
            v = ref_cmp_u(m->op, (uint64_t)(ref_acmp(&av, &c) + 1), 1, false, 0);
        } else {
            struct ref_v bv = model_addr(x, m->b);
            v = ref_cmp_u(m->op, (uint64_t)(ref_acmp(&av, &bv) + 1), 1, false, 0);
        }
        return m->neg ? !v : v;
    }
    switch (m->k) {
    case MT_REF:
        v = model_filter(g, &g->help[m->ref], x);
        break;
    case MT_PREFIX: {
        uint64_t mask = m->plen ? (0xffffffffu << (32 - m->plen)) & 0xffffffffu : 0;
        v = ((a & mask) == (m->c & mask)) == m->in;
        break;
    }
    case MT_CONST:
        v = m->rev ? ref_cmp_u(m->op, m->c, a, m->hd, m->delta)
                   : ref_cmp_u(m->op, a, m->c, m->hd, m->delta);
        break;
    case MT_FIELDS:
        v = ref_cmp_u(m->op, a, rec_get(x, m->b), m->hd, m->delta);
        break;
    case MT_BIT:
        v = ((m->bitand ? a & m->delta : a | m->delta) == m->c) == (m->op == OP_EQ);
        break;
    }
    return m->neg ? !v : v;
}

static bool model_filter(const struct gen *g, const struct mfilter *mf, const struct fq_rec *x) {
    for (unsigned i = 0; i < mf->nc; i++) {
        bool any = false;
        for (unsigned j = 0; j < mf->nt[i] && !any; j++)
            any = model_term(g, &mf->t[i][j], x);
        if (!any)
            return false;
    }
    return true;
}

static struct gfd *add_gf(struct bdesc *b, const char *name, enum gk k, unsigned width,
                          uint64_t hint) {
    struct gfd *f = &b->f[b->nf++];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->k = k;
    f->width = width;
    f->hint = hint;
    return f;
}

static enum gk field_gk(enum fq_field f) {
    return fq_fields[f].type == VT_ADDR ? GK_A : fq_fields[f].type == VT_TIME ? GK_T : GK_U;
}

static void gen_grouper(struct gen *g, const char *name, struct bdesc *b) {
    struct rng *r = g->r;
    unsigned nmod = chance(r, 12) ? 0 : 1 + rnd(r, 3);
    fprintf(g->fp, "grouper %s {\n", name);
    for (unsigned m = 0; m < nmod; m++) {
        fprintf(g->fp, "    module m%u {\n", m);
        unsigned nr = chance(r, 10) ? 0 : 1 + rnd(r, 3);
        if (g->big) {
            fprintf(g->fp, "        %s = %s\n", fname(g, F_SRCIP), fname(g, F_SRCIP));
            nr = rnd(r, 2);
        }
        for (unsigned i = 0; i < nr; i++) {
            unsigned k = g->big ? (chance(r, 50) ? 0 : 9) : rnd(r, 10); /* big: keys and time */
            if (k < 4) {
                static const enum fq_field keys[] = {F_SRCIP, F_DSTIP, F_SRCPORT, F_DSTPORT,
                                                     F_PROTO};
                enum fq_field f = keys[rnd(r, 5)];
                fprintf(g->fp, "        %s = %s\n", fname(g, f), fname(g, f));
            } else if (k < 5) {
                fprintf(g->fp, "        %s %s %s\n", fname(g, pick_field(g, VT_ADDR)),
                        ops[rnd(r, 6)], fname(g, pick_field(g, VT_ADDR)));
            } else if (g->big) {
                static const unsigned win[] = {250, 500, 1000, 2000};
                fprintf(g->fp, "        stime %s stime %s %u\n",
                        chance(r, 50) ? "=" : "<=", chance(r, 50) ? "delta" : "rdelta",
                        win[rnd(r, 4)]);
            } else {
                enum fq_field a, c;
                if (chance(r, 60)) {
                    a = chance(r, 50) ? F_STIME : F_ETIME;
                    c = chance(r, 70) ? F_STIME : F_ETIME;
                } else {
                    a = pick_field(g, VT_UINT);
                    c = chance(r, 50) ? a : pick_field(g, VT_UINT);
                }
                fprintf(g->fp, "        %s %s %s", fname(g, a), ops[rnd(r, 6)], fname(g, c));
                if (chance(r, 60))
                    put_delta(g, fq_fields[a].timelike, true);
                fputc('\n', g->fp);
            }
        }
        fputs("    }\n", g->fp);
    }
    add_gf(b, "stime", GK_T, 64, sample(g, F_STIME));
    add_gf(b, "etime", GK_T, 64, sample(g, F_ETIME));
    add_gf(b, "records", GK_SU, 64, rnd(r, (unsigned)g->n + 1));
    b->grouper = true;
    if (chance(r, 80)) {
        static const char *const fns[] = {"count", "sum",    "min",    "max",  "avg",
                                          "mean",  "median", "stddev", "prod", "bitAND",
                                          "bitOR", "bitXOR", "union"};
        unsigned ni = 1 + rnd(r, 5);
        fputs("    aggregate ", g->fp);
        for (unsigned i = 0; i < ni; i++) {
            char nm[16];
            snprintf(nm, sizeof nm, "a%u", i);
            if (i)
                fputs(",\n        ", g->fp);
            int mod = nmod && chance(r, 20) ? (int)rnd(r, nmod) : -1;
            char qual[16] = "";
            if (mod >= 0)
                snprintf(qual, sizeof qual, "m%d.", mod);
            if (chance(r, 25)) {
                enum fq_field f = pick_field(g, -1);
                if (f == F_STIME || f == F_ETIME || f == F_REC_ID)
                    f = F_DSTPORT;
                if (mod < 0 && chance(r, 50)) {
                    /* plain field known by its names: give it no 'as' */
                    bool dup = false;
                    for (size_t j = 0; j < b->nf; j++)
                        if (!strcmp(b->f[j].name, fq_fields[f].name))
                            dup = true;
                    if (!dup) {
                        fprintf(g->fp, "%s", fq_fields[f].name);
                        add_gf(b, fq_fields[f].name, field_gk(f), fq_fields[f].width, sample(g, f));
                        continue;
                    }
                }
                fprintf(g->fp, "%s%s as %s", qual, fname(g, f), nm);
                add_gf(b, nm, field_gk(f), fq_fields[f].width, sample(g, f));
                continue;
            }
            unsigned fi = rnd(r, 13);
            enum fq_field f = pick_field(g, -1);
            bool addr = fq_fields[f].type == VT_ADDR;
            if (addr && (fi == 1 || fi == 4 || fi == 5 || fi == 7 || fi == 8 || fi == 9 ||
                         fi == 10 || fi == 11))
                f = pick_field(g, VT_UINT), addr = false;
            if (chance(r, 5) && mod < 0) {
                /* re-declaring a default with its own definition adds nothing */
                fprintf(g->fp, "%s", chance(r, 50) ? "min(stime) as stime" : "max(etime) as etime");
                continue;
            }
            fprintf(g->fp, "%s(%s%s) as %s", fns[fi], qual, fname(g, f), nm);
            uint64_t h = sample(g, f);
            switch (fi) {
            case 0:
                add_gf(b, nm, GK_U, 64, 1 + rnd(r, 4));
                break;
            case 1:
                add_gf(b, nm, GK_U, 64, h * (1 + rnd(r, 3)));
                break;
            case 4:
            case 5:
                add_gf(b, nm, GK_R, 64, h);
                break;
            case 7:
                add_gf(b, nm, GK_R, 64, rnd(r, 600));
                break;
            case 8:
                add_gf(b, nm, GK_U, 64, h);
                break;
            case 12:
                add_gf(b, nm,
                       addr                           ? GK_SA
                       : fq_fields[f].type == VT_TIME ? GK_ST
                                                      : GK_SU,
                       fq_fields[f].width, h);
                break;
            default:
                add_gf(b, nm, field_gk(f), fq_fields[f].width, h);
                break;
            }
        }
        fputc('\n', g->fp);
    }
    fputs("}\n", g->fp);
}

static void nogrouper_fields(struct gen *g, struct bdesc *b) {
    add_gf(b, "stime", GK_T, 64, sample(g, F_STIME));
    add_gf(b, "etime", GK_T, 64, sample(g, F_ETIME));
    add_gf(b, "records", GK_SU, 64, rnd(g->r, (unsigned)g->n + 1));
    for (int f = 0; f < F_COUNT; f++)
        if (f != F_STIME && f != F_ETIME)
            add_gf(b, fq_fields[f].name, field_gk((enum fq_field)f), fq_fields[f].width,
                   sample(g, (enum fq_field)f));
}

/* Group field operand: bare in a group filter, BRANCH.name in the merger. */
static void put_gf(struct gen *g, const struct bdesc *b, const struct gfd *f, bool qualify) {
    if (qualify)
        fprintf(g->fp, "%s.", b->name);
    fputs(f->name, g->fp);
}

static bool numeric(enum gk k) {
    return k == GK_U || k == GK_T || k == GK_R;
}

static const struct gfd *pick_gf(struct gen *g, const struct bdesc *b, int want) {
    /* want: -1 any; else 0 numeric, 1 addr, 2 set */
    for (int tries = 0; tries < 200; tries++) {
        const struct gfd *f = &b->f[rnd(g->r, (unsigned)b->nf)];
        /* without a grouper most fields are unvaried: favour the useful ones */
        if (!b->grouper && f - b->f > 3 + F_DST_AS && chance(g->r, 70))
            continue;
        int c = numeric(f->k) ? 0 : f->k == GK_A ? 1 : 2;
        if (want < 0 || want == c)
            return f;
    }
    return NULL;
}

/* A comparison between two branches that a fast merger would join on:
 * same-named fields where possible, = (hash join) or an ordering or a
 * delta (windows), uint against real (a join must compare values, not
 * bit patterns), addresses, set equality. */
static bool gen_join(struct gen *g, struct bdesc *const *bs, size_t nb) {
    struct rng *r = g->r;
    const struct bdesc *x = bs[rnd(r, (unsigned)nb)], *y = bs[rnd(r, (unsigned)nb)];
    while (y == x)
        y = bs[rnd(r, (unsigned)nb)];
    const struct gfd *a = NULL, *c = NULL;
    for (int tries = 0; tries < 40 && !c; tries++) {
        a = &x->f[rnd(r, (unsigned)x->nf)];
        for (size_t j = 0; j < y->nf; j++)
            if (!strcmp(y->f[j].name, a->name) && (y->f[j].k == a->k || chance(r, 50)))
                c = &y->f[j];
        if (!c || chance(r, 30)) {
            const struct gfd *d = &y->f[rnd(r, (unsigned)y->nf)];
            if ((numeric(a->k) && numeric(d->k)) || (a->k == GK_A && d->k == GK_A) ||
                (a->k == GK_SU && d->k == GK_SU) || (a->k == GK_SA && d->k == GK_SA))
                c = d;
        }
        if (c && !((numeric(a->k) && numeric(c->k)) || a->k == c->k))
            c = NULL;
    }
    if (!c || (a->k == GK_ST))
        return false;
    bool num = numeric(a->k) && numeric(c->k);
    const char *op = chance(r, 60) ? "=" : ops[rnd(r, 6)];
    if (a->k == GK_SU || a->k == GK_SA)
        op = chance(r, 70) ? "=" : "!=";
    put_gf(g, x, a, true);
    fprintf(g->fp, " %s ", op);
    put_gf(g, y, c, true);
    if (num && chance(r, 30))
        put_delta(g, a->k == GK_T, true);
    return true;
}

static void gen_gterm(struct gen *g, struct bdesc *const *bs, size_t nb, bool merger) {
    struct rng *r = g->r;
    if (chance(r, 15))
        fputs("NOT ", g->fp);
    const struct bdesc *x = bs[rnd(r, (unsigned)nb)], *y = bs[rnd(r, (unsigned)nb)];
    unsigned k = rnd(r, 100);
    if (merger && nb > 1 && k < 35) {
        static const char *const rel[] = {"<",  ">", "m",  "mi", "o",  "oi", "s",
                                          "si", "d", "di", "f",  "fi", "=",  "eq"};
        while (y == x)
            y = bs[rnd(r, (unsigned)nb)];
        unsigned ri = rnd(r, 14);
        fprintf(g->fp, "%s %s %s", x->name, rel[ri], y->name);
        if (!(ri >= 4 && ri <= 9) && chance(r, 45))
            put_delta(g, true, true);
        return;
    }
    const struct gfd *a = NULL, *c = NULL;
    if (merger && nb > 1 && k < 60 && gen_join(g, bs, nb))
        return;
    if (k < 55) {
        a = pick_gf(g, x, 0);
        if (a) {
            bool tl = a->k == GK_T;
            if (chance(r, 40) && (c = pick_gf(g, y, 0)) != NULL) {
                put_gf(g, x, a, merger);
                fprintf(g->fp, " %s ", ops[rnd(r, 6)]);
                put_gf(g, y, c, merger);
            } else if (a->k == GK_R) {
                put_gf(g, x, a, merger);
                fprintf(g->fp, " %s %llu", ops[rnd(r, 6)],
                        (unsigned long long)jitter(g, a->hint, 16));
            } else if (chance(r, 20)) {
                put_uint(g, jitter(g, a->hint, a->width), tl);
                fprintf(g->fp, " %s ", ops[rnd(r, 6)]);
                put_gf(g, x, a, merger);
            } else {
                put_gf(g, x, a, merger);
                fprintf(g->fp, " %s ", ops[rnd(r, 6)]);
                put_uint(g, jitter(g, a->hint, a->width), tl);
            }
            if (chance(r, 30))
                put_delta(g, tl, merger);
            return;
        }
    } else if (k < 70) {
        a = pick_gf(g, x, 1);
        if (a) {
            unsigned c2 = rnd(r, 3);
            put_gf(g, x, a, merger);
            if (c2 == 0) {
                fprintf(g->fp, " %s ", chance(r, 50) ? "in" : "notin");
                put_gprefix(g, a->hint);
            } else if (c2 == 1 && (c = pick_gf(g, y, 1)) != NULL) {
                fprintf(g->fp, " %s ", ops[rnd(r, 6)]);
                put_gf(g, y, c, merger);
            } else {
                fprintf(g->fp, " %s ", ops[rnd(r, 6)]);
                put_gaddr(g, a->hint);
            }
            return;
        }
    } else if (k < 90) {
        c = pick_gf(g, y, 2);
        if (c) {
            const char *op = chance(r, 50) ? "in" : "notin";
            if (c->k == GK_SA) {
                if ((a = pick_gf(g, x, 1)) != NULL && chance(r, 50))
                    put_gf(g, x, a, merger);
                else
                    put_gaddr(g, c->hint);
            } else if (c->k == GK_SU && chance(r, 30) && (a = pick_gf(g, x, 0)) != NULL &&
                       a->k == GK_U) {
                put_gf(g, x, a, merger);
            } else if (c->k == GK_SU && chance(r, 15)) {
                /* set = set */
                const struct gfd *s2 = pick_gf(g, x, 2);
                if (s2 && s2->k == GK_SU) {
                    put_gf(g, x, s2, merger);
                    op = chance(r, 50) ? "=" : "!=";
                } else {
                    fprintf(g->fp, "%llu", (unsigned long long)(c->hint & wmax(c->width)));
                }
            } else {
                put_uint(g, c->hint & wmax(c->width), c->k == GK_ST);
            }
            fprintf(g->fp, " %s ", op);
            put_gf(g, y, c, merger);
            return;
        }
    } else {
        a = pick_gf(g, x, 0);
        if (a && a->k == GK_U) {
            fprintf(g->fp, "%s(", chance(r, 60) ? "bitAND" : "bitOR");
            put_gf(g, x, a, merger);
            if ((c = pick_gf(g, y, 0)) != NULL && c->k == GK_U && chance(r, 50)) {
                fputs(", ", g->fp);
                put_gf(g, y, c, merger);
                fprintf(g->fp, ") %s %u", ops[rnd(r, 6)], rnd(r, 8));
            } else {
                fprintf(g->fp, ", %u) %s %u", 1 + rnd(r, 7), chance(r, 50) ? "=" : "!=", rnd(r, 8));
            }
            return;
        }
    }
    /* fallback: a time comparison every group has */
    fprintf(g->fp, merger ? "%s.etime >= %s.stime" : "etime >= stime", x->name, y->name);
    if (!merger)
        (void)0;
}

static void gen_gcond_body(struct gen *g, struct bdesc *const *bs, size_t nb, bool merger,
                           const char *indent) {
    unsigned nc = rnd(g->r, merger ? 4 : 3);
    for (unsigned i = 0; i < nc; i++) {
        fputs(indent, g->fp);
        unsigned nt = 1 + (chance(g->r, 30) ? 1 : 0);
        for (unsigned j = 0; j < nt; j++) {
            if (j)
                fputs(" OR ", g->fp);
            gen_gterm(g, bs, nb, merger);
        }
        fputc('\n', g->fp);
    }
}

/* Write a whole query; returns the number of branches. */
static void gen_query(struct gen *g, size_t maxb) {
    struct rng *r = g->r;
    struct bdesc *bd = g->bd;
    size_t nb = g->nb = g->focus ? 1 : 1 + rnd(r, (unsigned)maxb);
    int nhelp = (int)rnd(r, 3);
    bool share = nb > 1 && chance(r, 20); /* branch 1 reuses branch 0's stages */
    bool hasf[3], hasg[3], hasgf[3];
    fputs("splitter S {}\n", g->fp);
    for (int h = 0; h < nhelp; h++) {
        fprintf(g->fp, "filter H%d {\n", h);
        gen_filter_body(g, nhelp, h, &g->help[h]);
        fputs("}\n", g->fp);
    }
    for (size_t b = 0; b < nb; b++) {
        snprintf(bd[b].name, sizeof bd[b].name, "%c", (char)('A' + b));
        if (share && b == 1) {
            hasf[1] = hasf[0], hasg[1] = hasg[0], hasgf[1] = hasgf[0];
            g->bf[1] = g->bf[0];
            g->hasbf[1] = g->hasbf[0];
            memcpy(bd[1].f, bd[0].f, sizeof bd[0].f);
            bd[1].nf = bd[0].nf;
            bd[1].grouper = bd[0].grouper;
            continue;
        }
        hasf[b] = g->hasbf[b] = !g->focus && chance(r, 75);
        if (hasf[b]) {
            fprintf(g->fp, "filter F%zu {\n", b);
            gen_filter_body(g, nhelp, -1, &g->bf[b]);
            fputs("}\n", g->fp);
        }
        hasg[b] = g->big || g->focus || chance(r, 75);
        if (hasg[b]) {
            char nm[24];
            snprintf(nm, sizeof nm, "G%zu", b);
            gen_grouper(g, nm, &bd[b]);
        } else {
            nogrouper_fields(g, &bd[b]);
        }
        hasgf[b] = !g->focus && chance(r, 50);
        if (hasgf[b]) {
            struct bdesc *one = &bd[b];
            fprintf(g->fp, "groupfilter GF%zu {\n", b);
            gen_gcond_body(g, &one, 1, false, "    ");
            fputs("}\n", g->fp);
        }
    }
    bool nomerger = nb == 1 && chance(r, 20);
    if (!nomerger) {
        fputs("merger M {\n", g->fp);
        /* module 0 is exported; the others share a branch with it */
        unsigned nmod = g->focus || chance(r, 60) ? 1 : 2 + rnd(r, 2);
        bool shortform = nmod == 1 && chance(r, 40);
        size_t exb[3], nex = 0;
        for (size_t b = 0; b < nb; b++)
            exb[nex++] = b;
        if (nmod > 1 && nb > 1 && chance(r, 40))
            nex = 1 + rnd(r, (unsigned)nb - 1);
        for (size_t i = nex; i > 1; i--) { /* shuffle the branches line */
            size_t j = rnd(r, (unsigned)i);
            size_t t = exb[i - 1];
            exb[i - 1] = exb[j];
            exb[j] = t;
        }
        int expm = g->expm = (int)rnd(r, nmod);
        g->nmod = nmod;
        for (unsigned m = 0; m < nmod; m++) {
            size_t *mb = g->mb[m], nmb = 0;
            if ((int)m == expm) {
                memcpy(mb, exb, sizeof exb);
                nmb = nex;
            } else {
                mb[nmb++] = exb[rnd(r, (unsigned)nex)];
                for (size_t b = 0; b < nb; b++)
                    if (b != mb[0] && chance(r, 50))
                        mb[nmb++] = b;
            }
            const char *ind = shortform ? "    " : "        ";
            if (!shortform)
                fprintf(g->fp, "    module mm%u {\n", m);
            fprintf(g->fp, "%sbranches ", ind);
            struct bdesc *bs[3];
            for (size_t i = 0; i < nmb; i++) {
                fprintf(g->fp, "%s%s", i ? ", " : "", bd[mb[i]].name);
                bs[i] = &bd[mb[i]];
            }
            fputc('\n', g->fp);
            g->nmb[m] = nmb;
            if (!g->focus)
                gen_gcond_body(g, bs, nmb, true, ind);
            if (!shortform)
                fputs("    }\n", g->fp);
        }
        if (!shortform && (nmod > 1 || chance(r, 50)))
            fprintf(g->fp, "    export mm%d\n", expm);
        fputs("}\n", g->fp);
    }
    fputs("ungrouper U {}\n\"input\" -> S\n", g->fp);
    for (size_t b = 0; b < nb; b++) {
        size_t s = share && b == 1 ? 0 : b;
        fprintf(g->fp, "S %s %s", chance(r, 80) ? "branch" : "br", bd[b].name);
        if (hasf[s])
            fprintf(g->fp, " -> F%zu", s);
        if (hasg[s])
            fprintf(g->fp, " -> G%zu", s);
        if (hasgf[s])
            fprintf(g->fp, " -> GF%zu", s);
        fputs(nomerger ? " -> U\n" : " -> M\n", g->fp);
    }
    fputs(nomerger ? "U -> \"output\"\n" : "M -> U -> \"output\"\n", g->fp);
}

/* One case: a trace (returned, *n records) and a query written to qfp.
 * Big traces get at most two branches: the reference's merger is nested
 * loops. */
static struct fq_rec *gen_case(struct rng *r, size_t big, bool focus, size_t *n, FILE *qfp,
                               struct gen *g) {
    unsigned k = rnd(r, 100);
    int shape = k < 70 ? TR_DENSE : k < 82 ? TR_WIDE : k < 94 ? TR_BIG : TR_WRAP;
    *n = shape == TR_BIG ? 60 + rnd(r, 240) : rnd(r, 40);
    if (big) {
        shape = TR_HUGE;
        *n = big;
    }
    struct fq_rec *recs = xcalloc(*n ? *n : 1, sizeof *recs);
    /* half the cases hold IPv6 flows: a few, most, or all of them */
    unsigned v6pct = chance(r, 50) ? 0 : chance(r, 40) ? 20 : chance(r, 60) ? 70 : 100;
    gen_trace(r, recs, *n, shape, v6pct);
    memset(g, 0, sizeof *g);
    g->v6 = v6pct > 0;
    g->r = r;
    g->recs = recs;
    g->n = *n;
    g->fp = qfp;
    g->big = big > 0;
    g->focus = focus;
    gen_query(g, shape == TR_BIG || big ? 2 : 3);
    return recs;
}

static enum fq_vtype gk_type(enum gk k, enum fq_vtype *elem) {
    static const enum fq_vtype t[] = {VT_UINT, VT_TIME, VT_REAL, VT_ADDR, VT_SET, VT_SET, VT_SET};
    static const enum fq_vtype e[] = {VT_UINT, VT_TIME, VT_REAL, VT_ADDR,
                                      VT_UINT, VT_ADDR, VT_TIME};
    *elem = e[k];
    return t[k];
}

/* The compiled structure against what was written: branch names, group
 * fields (names, types, order) and the merger's modules, branches lines
 * and export. */
static bool check_structure(const struct gen *g, const struct fq_query *q, char *why, size_t wn) {
    for (size_t b = 0; b < g->nb; b++) {
        const struct fq_branch *qb = &q->branches[b];
        const struct bdesc *d = &g->bd[b];
        if (strcmp(qb->name, d->name)) {
            snprintf(why, wn, "front end: branch %zu is '%s', written '%s'", b, qb->name, d->name);
            return false;
        }
        if (!d->grouper) {
            /* the defaults, then every record field but stime and etime */
            bool ok = qb->ngfields == GF_NDEFAULT + F_COUNT - 2;
            for (size_t f = 0, k = GF_NDEFAULT; ok && f < F_COUNT; f++)
                if (f != F_STIME && f != F_ETIME) {
                    ok = qb->gfields[k].fn == AGG_PLAIN && qb->gfields[k].field == (enum fq_field)f;
                    k++;
                }
            if (!ok) {
                snprintf(why, wn,
                         "front end: branch %s has no grouper but not the defaults "
                         "and every other record field as group fields",
                         d->name);
                return false;
            }
            continue;
        }
        if (qb->ngfields != d->nf) {
            snprintf(why, wn, "front end: branch %s has %zu group fields, %zu written", d->name,
                     qb->ngfields, d->nf);
            return false;
        }
        for (size_t f = 0; f < d->nf; f++) {
            enum fq_vtype elem, type = gk_type(d->f[f].k, &elem);
            const struct fq_gfield *x = &qb->gfields[f];
            if (strcmp(x->name, d->f[f].name) || x->type != type ||
                (type == VT_SET && x->elem != elem)) {
                snprintf(why, wn,
                         "front end: branch %s group field %zu is '%s' type %d/%d, "
                         "written '%s' type %d/%d",
                         d->name, f, x->name, x->type, x->elem, d->f[f].name, type, elem);
                return false;
            }
        }
    }
    size_t nmod = g->nmod ? g->nmod : 1;
    size_t expm = g->nmod ? (size_t)g->expm : 0;
    if (q->nmodules != nmod || q->export_module != expm) {
        snprintf(why, wn, "front end: %zu merger modules exporting %zu, written %zu exporting %zu",
                 q->nmodules, q->export_module, nmod, expm);
        return false;
    }
    for (size_t m = 0; m < nmod; m++) {
        static const size_t one[1] = {0};
        const size_t *mb = g->nmod ? g->mb[m] : one;
        size_t nmb = g->nmod ? g->nmb[m] : 1;
        bool ok = q->modules[m].nbranches == nmb;
        for (size_t i = 0; ok && i < nmb; i++)
            ok = q->modules[m].branches[i] == (int)mb[i];
        if (!ok) {
            snprintf(why, wn, "front end: merger module %zu lists other branches", m);
            return false;
        }
    }
    return true;
}

/* The compiled filters against the generator's intent, record by record. */
static bool check_filters(const struct gen *g, const struct fq_query *q, char *why, size_t wn) {
    if (q->nbranches != g->nb) {
        snprintf(why, wn, "front end: %zu branches compiled, %zu written", q->nbranches, g->nb);
        return false;
    }
    for (size_t b = 0; b < g->nb; b++)
        for (size_t i = 0; i < g->n; i++) {
            struct ref_env e = {q, &g->recs[i], NULL, NULL};
            bool want = !g->hasbf[b] || model_filter(g, &g->bf[b], &g->recs[i]);
            if (ref_cnf(&e, q->branches[b].filter) != want) {
                snprintf(why, wn,
                         "front end: branch %s, record %zu: the compiled filter says %s, "
                         "the text means %s",
                         q->branches[b].name, i, want ? "no" : "yes", want ? "yes" : "no");
                return false;
            }
        }
    return true;
}

/* ---- comparison ---- */

static bool same_real(const char *a, size_t la, const char *b, size_t lb) {
    char x[64], y[64], *ex, *ey;
    if (la == 0 || lb == 0 || la >= sizeof x || lb >= sizeof y)
        return false;
    memcpy(x, a, la), x[la] = 0;
    memcpy(y, b, lb), y[lb] = 0;
    double dx = strtod(x, &ex), dy = strtod(y, &ey);
    if (*ex || *ey)
        return false;
    double m = fabs(dx) > fabs(dy) ? fabs(dx) : fabs(dy);
    return fabs(dx - dy) <= 1e-9 * m;
}

/* Byte for byte, except that comma-separated cells that differ may be
 * reals within a relative 1e-9 (LANGUAGE.md 7.4). */
static bool same_output(const char *a, size_t la, const char *b, size_t lb) {
    if (la == lb && !memcmp(a, b, la))
        return true;
    size_t i = 0, j = 0;
    while (i < la && j < lb) {
        size_t ei = i, ej = j;
        while (ei < la && a[ei] != ',' && a[ei] != '\n')
            ei++;
        while (ej < lb && b[ej] != ',' && b[ej] != '\n')
            ej++;
        if (!(ei - i == ej - j && !memcmp(a + i, b + j, ei - i)) &&
            !same_real(a + i, ei - i, b + j, ej - j))
            return false;
        if (ei == la || ej == lb)
            return ei == la && ej == lb;
        if (a[ei] != b[ej])
            return false;
        i = ei + 1;
        j = ej + 1;
    }
    return i == la && j == lb;
}

static bool same_stats(const struct engine_stats *x, const struct engine_stats *y, char *why,
                       size_t wn) {
    if (x->nbranches != y->nbranches) {
        snprintf(why, wn, "nbranches %zu vs %zu", x->nbranches, y->nbranches);
        return false;
    }
    for (size_t b = 0; b < x->nbranches; b++) {
        const struct engine_branch_stats *p = &x->branch[b], *q = &y->branch[b];
        if (p->records_in != q->records_in || p->filtered != q->filtered ||
            p->groups != q->groups || p->groups_kept != q->groups_kept) {
            snprintf(why, wn,
                     "branch %zu: engine in/filtered/groups/kept %llu/%llu/%llu/%llu, "
                     "reference %llu/%llu/%llu/%llu",
                     b, (unsigned long long)p->records_in, (unsigned long long)p->filtered,
                     (unsigned long long)p->groups, (unsigned long long)p->groups_kept,
                     (unsigned long long)q->records_in, (unsigned long long)q->filtered,
                     (unsigned long long)q->groups, (unsigned long long)q->groups_kept);
            return false;
        }
    }
    if (x->tuples != y->tuples || x->records_out != y->records_out) {
        snprintf(why, wn, "engine tuples/out %llu/%llu, reference %llu/%llu",
                 (unsigned long long)x->tuples, (unsigned long long)x->records_out,
                 (unsigned long long)y->tuples, (unsigned long long)y->records_out);
        return false;
    }
    return true;
}

/* ---- running one side ---- */

static const enum fq_field rec_cols[] = {
    F_REC_ID,  F_STIME,  F_ETIME,     F_SRCIP,    F_DSTIP,    F_SRCPORT,     F_DSTPORT,   F_PROTO,
    F_PACKETS, F_BYTES,  F_TCP_FLAGS, F_DURATION, F_NEXTHOP,  F_EXADDR,      F_TOS,       F_INPUT,
    F_OUTPUT,  F_SRC_AS, F_DST_AS,    F_SRC_MASK, F_DST_MASK, F_ENGINE_TYPE, F_ENGINE_ID,
};

struct side {
    char *buf;
    size_t len;
    struct engine_stats st;
    struct fq_error err;
    int rc;
};

static void side_free(struct side *s) {
    free(s->buf);
    free(s->st.branch);
    memset(s, 0, sizeof *s);
}

static void run_side_kept(bool ref, bool kept, unsigned parts, const struct fq_query *q,
                          const struct fq_rec *recs, size_t n, bool groups, unsigned threads,
                          struct side *s);

static void run_side(bool ref, const struct fq_query *q, const struct fq_rec *recs, size_t n,
                     bool groups, unsigned threads, struct side *s) {
    run_side_kept(ref, false, 0, q, recs, n, groups, threads, s);
}

static int cmp_time_id(const void *a, const void *b) {
    const struct fq_rec *x = *(const struct fq_rec *const *)a, *y = *(const struct fq_rec *const *)b;
    if (x->stime != y->stime)
        return x->stime < y->stime ? -1 : 1;
    return (x->rec_id > y->rec_id) - (x->rec_id < y->rec_id);
}

/* What flowq's second pass does for narrow rows: the records marked by
 * rec_id, in (stime, rec_id) order. */
static int write_marked(const uint64_t *bits, const struct fq_rec *recs, size_t n,
                        struct out *o, struct fq_error *err) {
    const struct fq_rec **v = xmalloc((n ? n : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (bits[recs[i].rec_id / 64] >> (recs[i].rec_id % 64) & 1)
            v[k++] = &recs[i];
    qsort(v, k, sizeof *v, cmp_time_id);
    int rc = FQ_OK;
    for (size_t i = 0; i < k && rc == FQ_OK; i++)
        rc = out_record(o, v[i], err);
    free(v);
    return rc;
}

/* kept: the engine runs on the records that pass some branch's filter
 * (engine_keep_run, as flowq reads its input), positions no longer equal
 * to rec_ids; its output and counts must not change. */
static void run_side_kept(bool ref, bool kept, unsigned parts, const struct fq_query *q,
                          const struct fq_rec *recs, size_t n, bool groups, unsigned threads,
                          struct side *s) {
    memset(s, 0, sizeof *s);
    FILE *fp = open_memstream(&s->buf, &s->len);
    struct out_opts oo = {.fmt = FMT_CSV,
                          .tfmt = TFMT_EPOCH,
                          .fields = groups ? NULL : rec_cols,
                          .nfields = groups ? 0 : sizeof rec_cols / sizeof rec_cols[0]};
    struct out *o = out_open(fp, &oo, &s->err);
    if (!o) {
        s->rc = s->err.code;
    } else {
        if (ref) {
            s->rc = ref_run(q, recs, n, groups, o, &s->st, &s->err);
        } else {
            struct engine_opts eo = {.threads = threads, .groups = groups, .partitions = parts};
            if (kept) {
                /* as flowq reads: filter bits at read time, narrow rows, and
                 * the marked records written from the trace in time order */
                struct engine_in *in = engine_in_new(q, groups);
                engine_in_narrow(in);
                engine_in_add(in, recs, n);
                uint64_t *bits = NULL;
                s->rc = engine_run_in(q, in, &eo, o, &bits, &s->st, &s->err);
                if (s->rc == FQ_OK && bits)
                    s->rc = write_marked(bits, recs, n, o, &s->err);
                free(bits);
                engine_in_free(in);
            } else {
                s->rc = engine_run(q, recs, n, &eo, o, &s->st, &s->err);
            }
        }
        if (out_close(o, &s->err) && !s->rc)
            s->rc = s->err.code;
    }
    fclose(fp);
}

/* A fresh side writing records as csv to its buffer (fp closes it);
 * NULL with s->err filled when out_open fails. */
static struct out *record_out(struct side *s, FILE **fp) {
    memset(s, 0, sizeof *s);
    *fp = open_memstream(&s->buf, &s->len);
    struct out_opts oo = {.fmt = FMT_CSV,
                          .tfmt = TFMT_EPOCH,
                          .fields = rec_cols,
                          .nfields = sizeof rec_cols / sizeof rec_cols[0]};
    return out_open(*fp, &oo, &s->err);
}

/* Past the memory budget, as flowq runs it (spill.h): narrow rows added in
 * chunks go to the partitions of a temporary file whenever they pass half
 * of budget bytes, then every partition runs alone (split again when
 * still too big) and the marked records are written.  False when the
 * query cannot spill (-g, no partition key, a path that marks nothing). */
static bool run_side_spill(const struct fq_query *q, const struct fq_rec *recs, size_t n,
                           bool groups, unsigned threads, size_t budget, struct side *s) {
    struct fq_plan *plan = plan_make(q, groups);
    if (groups || !plan->partitionable ||
        (plan->path != PATH_DIRECT && plan->path != PATH_JOIN)) {
        plan_free(plan);
        return false;
    }
    FILE *fp;
    struct out *o = record_out(s, &fp);
    if (!o) {
        s->rc = s->err.code;
    } else {
        enum { CHUNK = 256 };
        struct engine_in *in = engine_in_new(q, false);
        engine_in_narrow(in);
        struct spill *sp = spill_new(q, plan, budget);
        for (size_t i = 0; i < n && !s->rc; i += CHUNK) {
            engine_in_add(in, recs + i, n - i < CHUNK ? n - i : CHUNK);
            if (engine_in_bytes(in) > budget / 2)
                s->rc = spill_put(sp, in, &s->err);
        }
        if (!s->rc)
            s->rc = spill_put(sp, in, &s->err);
        struct engine_opts eo = {.threads = threads};
        uint64_t *bits = NULL;
        if (!s->rc)
            s->rc = spill_run(sp, in, &eo, &bits, &s->st, &s->err);
        if (s->rc == FQ_OK)
            s->rc = write_marked(bits, recs, n, o, &s->err);
        free(bits);
        spill_free(sp);
        engine_in_free(in);
        if (out_close(o, &s->err) && !s->rc)
            s->rc = s->err.code;
    }
    fclose(fp);
    plan_free(plan);
    return true;
}

/* A query that only filters, as flowq runs it (stream.h): the records in
 * chunks through a spool of the least memory (runs of 546 records, so the
 * big cases merge from a temporary file, in passes).  False when the
 * query does not qualify. */
static bool run_side_stream(const struct fq_query *q, const struct fq_rec *recs, size_t n,
                            bool groups, struct side *s) {
    struct ft_reader_opts rd = {.max_bytes = 1};
    struct stream *sm = stream_new(q, groups, &rd);
    if (!sm)
        return false;
    FILE *fp;
    struct out *o = record_out(s, &fp);
    if (!o) {
        s->rc = s->err.code;
    } else {
        enum { CHUNK = 1000 };
        struct fq_rec *v = xmalloc(CHUNK * sizeof *v);
        for (size_t i = 0; i < n && !s->rc; i += CHUNK) {
            size_t k = n - i < CHUNK ? n - i : CHUNK;
            memcpy(v, recs + i, k * sizeof *v);
            s->rc = stream_add(sm, v, k, &s->err);
        }
        free(v);
        struct engine_opts eo = {0};
        if (!s->rc)
            s->rc = stream_run(sm, &eo, o, &s->st, &s->err);
        if (out_close(o, &s->err) && !s->rc)
            s->rc = s->err.code;
    }
    fclose(fp);
    stream_free(sm);
    return true;
}

/* ---- reporting and saving a case ---- */

static void print_trace(FILE *fp, const struct fq_rec *recs, size_t n) {
    fprintf(fp, "rec_id,stime,etime,srcip,dstip,srcport,dstport,proto,packets,bytes,tcp_flags,"
                "unix_secs,unix_nsecs,sysUpTime,First,Last\n");
    for (size_t i = 0; i < n; i++) {
        const struct fq_rec *x = &recs[i];
        char a[2][IP6_TEXT_MAX];
        for (int f = F_SRCIP; f <= F_DSTIP; f++) {
            uint32_t v = (uint32_t)rec_get(x, (enum fq_field)f);
            if (x->v6 >> f & 1)
                *ip6_put(a[f], x->ip6[f]) = '\0';
            else
                snprintf(a[f], sizeof a[f], "%u.%u.%u.%u", v >> 24, (v >> 16) & 255,
                         (v >> 8) & 255, v & 255);
        }
        fprintf(fp, "%llu,%llu,%llu,%s,%s,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u\n",
                (unsigned long long)x->rec_id, (unsigned long long)x->stime,
                (unsigned long long)x->etime, a[0], a[1], x->srcport, x->dstport, x->proto,
                x->packets, x->bytes, x->tcp_flags, x->unix_secs, x->unix_nsecs, x->sysuptime,
                x->first, x->last);
    }
}

static int write_file(const char *path, const char *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t k = fwrite(data, 1, len, fp);
    return fclose(fp) || k != len ? -1 : 0;
}

static int save_case(const char *dir, uint64_t seed, const char *query, size_t qlen,
                     const struct fq_rec *recs, size_t n, bool groups, const struct side *ref) {
    char path[512];
    snprintf(path, sizeof path, "%s/seed-%llu%s", dir, (unsigned long long)seed,
             groups ? "-g" : "");
    if (mkdir(path, 0777) && errno != EEXIST)
        return -1;
    char f[600];
    snprintf(f, sizeof f, "%s/query.fq", path);
    if (write_file(f, query, qlen))
        return -1;
    /* no expected output when both sides failed: the case then only
     * requires both to succeed and agree */
    snprintf(f, sizeof f, "%s/expected", path);
    if (ref && write_file(f, ref->buf, ref->len))
        return -1;
    snprintf(f, sizeof f, "%s/mode", path);
    if (write_file(f, groups ? "groups\n" : "records\n", groups ? 7 : 8))
        return -1;
    snprintf(f, sizeof f, "%s/trace.ft", path);
    FILE *fp = fopen(f, "wb");
    if (!fp)
        return -1;
    struct fq_error err = {0};
    struct ft_writer *w = ft_writer_open(fp, 0, &err);
    for (size_t i = 0; w && i < n; i++)
        ft_writer_put(w, &recs[i], &err);
    if (w)
        ft_writer_close(w, &err);
    fclose(fp);
    if (err.code)
        fprintf(stderr, "difftest: cannot write %s: %s\n", f, err.msg);
    printf("saved %s\n", path);
    return err.code ? -1 : 0;
}

/* ---- one case ---- */

struct tally {
    unsigned long cases, rejected, mismatches, botherr, tuples, nonempty, streamed, split, spilled;
};

/* Another way of running the engine, x, against the reference f: a
 * mismatch is written to why and x replaces *e as the side reported. */
static void judge_side(struct side *x, const struct side *f, const char *how, char *why,
                       size_t whyn, struct side *e) {
    if (x->rc)
        snprintf(why, whyn, "engine status %d (%s) %s", x->rc, x->err.msg, how);
    else if (!same_output(x->buf, x->len, f->buf, f->len))
        snprintf(why, whyn, "outputs differ %s", how);
    else
        same_stats(&x->st, &f->st, why, whyn);
    if (*why) {
        side_free(e);
        *e = *x;
    } else {
        side_free(x);
    }
}

static bool run_case(uint64_t seed, size_t big, bool focus, const char *save, int verbose,
                     struct tally *t) {
    struct rng r = {seed};
    char *qtext = NULL, *diag = NULL;
    size_t qlen = 0, dlen = 0, n;
    FILE *qfp = open_memstream(&qtext, &qlen);
    struct gen g;
    struct fq_rec *recs = gen_case(&r, big, focus, &n, qfp, &g);
    fclose(qfp);
    FILE *dfp = open_memstream(&diag, &dlen);
    struct fq_error err = {0};
    struct fq_query *q = query_compile(qtext, qlen, "random.fq", dfp, &err);
    fclose(dfp);
    bool ok = true;
    t->cases++;
    if (!q) {
        t->rejected++;
        if (verbose || t->rejected <= 3)
            printf("seed %llu: query rejected (%s):\n%s%s\n", (unsigned long long)seed, err.msg,
                   qtext, diag);
        goto out;
    }
    if (verbose > 1)
        printf("seed %llu:\n%s", (unsigned long long)seed, qtext);
    char fwhy[300];
    if (!check_structure(&g, q, fwhy, sizeof fwhy) || !check_filters(&g, q, fwhy, sizeof fwhy)) {
        ok = false;
        t->mismatches++;
        printf("MISMATCH seed %llu: %s\n--- query\n%s--- trace\n", (unsigned long long)seed, fwhy,
               qtext);
        print_trace(stdout, recs, n);
    }
    for (int mode = 0; mode < 2 && ok; mode++) {
        struct side e, f;
        unsigned threads = rnd(&r, 3);
        run_side(false, q, recs, n, mode == 1, threads, &e);
        run_side(true, q, recs, n, mode == 1, 0, &f);
        char why[1200] = "";
        bool botherr = false;
        if (e.rc && e.rc == f.rc && !strcmp(e.err.msg, f.err.msg)) {
            /* A valid query on valid records, no tuple limit: nothing may
             * fail.  When both sides fail alike the fault is in code they
             * share (the printer); counted, shown briefly, not a mismatch. */
            botherr = true;
            t->botherr++;
            if (t->botherr <= 3 || verbose)
                printf("FAILED ALIKE seed %llu (%s mode): %s\n", (unsigned long long)seed,
                       mode ? "group" : "record", e.err.msg);
        } else if (e.rc || f.rc) {
            snprintf(why, sizeof why, "status: engine %d (%s), reference %d (%s)", e.rc, e.err.msg,
                     f.rc, f.err.msg);
        } else if (!same_output(e.buf, e.len, f.buf, f.len)) {
            snprintf(why, sizeof why, "outputs differ");
        } else {
            same_stats(&e.st, &f.st, why, sizeof why);
        }
        if (!*why && !botherr && !f.rc) {
            struct side k;
            run_side_kept(false, true, 0, q, recs, n, mode == 1, threads, &k);
            judge_side(&k, &f, "on the kept input", why, sizeof why, &e);
        }
        /* split by the plan's partition key into 2..9 partitions, on the
         * whole input and on the kept input */
        unsigned parts = 2 + rnd(&r, 8);
        struct fq_plan *plan = plan_make(q, mode == 1);
        t->split += plan->partitionable && plan->path != PATH_GROUPS && plan->path != PATH_PRODUCT;
        plan_free(plan);
        for (int kept = 0; kept < 2 && !*why && !botherr && !f.rc; kept++) {
            struct side k;
            char how[64];
            snprintf(how, sizeof how, "in %u partitions%s", parts, kept ? ", kept input" : "");
            run_side_kept(false, kept, parts, q, recs, n, mode == 1, threads, &k);
            judge_side(&k, &f, how, why, sizeof why, &e);
        }
        /* spilled: a budget of a few KiB to a few hundred, so that the
         * rows go out in several puts and big cases split again */
        struct side sp;
        size_t budget = (size_t)(4096 + rnd(&r, 256 << 10));
        if (!*why && !botherr && !f.rc &&
            run_side_spill(q, recs, n, mode == 1, threads, budget, &sp)) {
            t->spilled++;
            judge_side(&sp, &f, "when spilled", why, sizeof why, &e);
        }
        struct side sm;
        if (!*why && !botherr && !f.rc && run_side_stream(q, recs, n, mode == 1, &sm)) {
            t->streamed++;
            judge_side(&sm, &f, "when streamed", why, sizeof why, &e);
        }
        if (mode == 0 && f.rc == FQ_OK) {
            t->tuples += f.st.tuples;
            t->nonempty += f.st.records_out > 0;
        }
        if (*why || botherr)
            ok = false;
        if (*why) {
            t->mismatches++;
            printf("MISMATCH seed %llu (%s mode, %u threads): %s\n--- query\n%s--- trace\n",
                   (unsigned long long)seed, mode ? "group" : "record", threads, why, qtext);
            print_trace(stdout, recs, n);
            printf("--- engine\n%.*s--- reference\n%.*s---\n", (int)e.len, e.buf ? e.buf : "",
                   (int)f.len, f.buf ? f.buf : "");
        }
        if ((*why || botherr) && save)
            save_case(save, seed, qtext, qlen, recs, n, mode == 1, f.rc ? NULL : &f);
        side_free(&e);
        side_free(&f);
    }
    query_free(q);
out:
    free(diag);
    free(qtext);
    free(recs);
    return ok;
}

/* ---- replay of a saved case ---- */

static char *slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0, k;
    char *s = xmalloc(cap);
    while ((k = fread(s + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap)
            s = xrealloc(s, cap *= 2);
    }
    fclose(fp);
    *len = n;
    return s;
}

/* A saved case: both sides must succeed and print the expected output, or,
 * when the case has none (both failed when it was found), agree. */
static int replay(const char *dir) {
    char p[600];
    size_t qlen = 0, elen = 0, mlen = 0;
    snprintf(p, sizeof p, "%s/query.fq", dir);
    char *qt = slurp(p, &qlen);
    snprintf(p, sizeof p, "%s/expected", dir);
    char *exp = slurp(p, &elen);
    snprintf(p, sizeof p, "%s/mode", dir);
    char *mode = slurp(p, &mlen);
    if (!qt || !mode) {
        fprintf(stderr, "difftest: %s: incomplete case\n", dir);
        return 2;
    }
    bool groups = mlen >= 6 && !memcmp(mode, "groups", 6);
    struct fq_error err = {0};
    char *diag = NULL;
    size_t dlen = 0;
    FILE *dfp = open_memstream(&diag, &dlen);
    struct fq_query *q = query_compile(qt, qlen, "query.fq", dfp, &err);
    fclose(dfp);
    if (!q) /* warnings are expected of random queries, errors are not */
        fputs(diag, stderr);
    free(diag);
    snprintf(p, sizeof p, "%s/trace.ft", dir);
    char *paths[1] = {p};
    struct fq_rec *recs = NULL;
    size_t n = 0;
    struct ft_reader_opts ro = {0};
    int rc = 0;
    if (!q || ft_read_all(paths, 1, &ro, &recs, &n, &err) != FQ_OK) {
        fprintf(stderr, "difftest: %s: %s\n", dir, err.msg);
        rc = 2;
    } else {
        struct side s[2];
        for (int k = 0; k < 2; k++) {
            run_side(k == 1, q, recs, n, groups, 2, &s[k]);
            if (s[k].rc) {
                fprintf(stderr, "difftest: %s: %s failed: %s\n", dir, k ? "reference" : "engine",
                        s[k].err.msg);
                rc = 1;
            }
        }
        for (int k = 0; k < 2 && !rc; k++) {
            const char *want = exp ? exp : s[1].buf;
            size_t wlen = exp ? elen : s[1].len;
            if (!same_output(s[k].buf, s[k].len, want, wlen)) {
                fprintf(stderr,
                        "difftest: %s: %s output differs from %s\n--- got\n%.*s--- want\n%.*s", dir,
                        k ? "reference" : "engine", exp ? "expected" : "reference", (int)s[k].len,
                        s[k].buf ? s[k].buf : "", (int)wlen, want);
                rc = 1;
            }
        }
        side_free(&s[0]);
        side_free(&s[1]);
    }
    if (q)
        query_free(q);
    free(recs);
    free(qt);
    free(exp);
    free(mode);
    return rc;
}

int main(int argc, char **argv) {
    uint64_t seed = 1;
    unsigned long iter = 1000;
    const char *save = NULL;
    int verbose = 0;
    size_t big = 0;
    bool focus = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--iter") && i + 1 < argc) {
            iter = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--save") && i + 1 < argc) {
            save = argv[++i];
        } else if (!strcmp(argv[i], "--replay") && i + 1 < argc) {
            return replay(argv[++i]);
        } else if (!strcmp(argv[i], "--big") && i + 1 < argc) {
            big = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--grouper")) {
            focus = true;
        } else if (!strcmp(argv[i], "-v")) {
            verbose++;
        } else if (!strcmp(argv[i], "--show") && i + 1 < argc) {
            /* print the case of one seed: query and trace */
            struct rng r = {strtoull(argv[++i], NULL, 0)};
            size_t n;
            struct gen g;
            struct fq_rec *recs = gen_case(&r, big, focus, &n, stdout, &g);
            print_trace(stdout, recs, n);
            free(recs);
            return 0;
        } else {
            fprintf(stderr, "usage: difftest [--seed S] [--iter N] [--big NRECORDS] [--grouper] "
                            "[--save DIR] [-v] | "
                            "--replay DIR | --show SEED\n");
            return 2;
        }
    }
    printf("difftest: seed %llu, %lu cases\n", (unsigned long long)seed, iter);
    fflush(stdout);
    struct tally t = {0};
    for (unsigned long i = 0; i < iter; i++) {
        run_case(seed + i, big, focus, save, verbose, &t);
        if (t.mismatches >= 20)
            break;
    }
    printf("difftest: %lu cases, %lu rejected by the compiler, %lu with output, %lu tuples, "
           "%lu failed alike, %lu mismatches (%lu streamed, %lu split into partitions, "
           "%lu spilled)\n",
           t.cases, t.rejected, t.nonempty, t.tuples, t.botherr, t.mismatches, t.streamed,
           t.split, t.spilled);
    return t.mismatches || t.botherr ? 1 : 0;
}
