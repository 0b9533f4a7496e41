/* SPDX-License-Identifier: MIT
 * flowq-gen: writes a realistic, reproducible NetFlow trace as seen by
 * the border router of a campus network: a flow-tools file of v5 records,
 * and/or NetFlow v5, v9 or IPFIX export datagrams, the last two with a
 * share of IPv6 flows (the IPv4 flows' twins in documentation prefixes).  Sessions arrive in start order
 * (non-uniform rate); their flows wait in a heap keyed by export time and
 * leave in export order, 30 per export packet, so memory stays bounded
 * whatever -n is.  The same options and --seed give the same bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowq.h"
#include "ftio.h"
#include "gen.h"
#include "record.h"
#include "util.h"

#define SEC 1000u
#define DEFAULT_START 1795824000u /* 2026-11-28T00:00:00Z */
#define PLANT_MIN 5000            /* smaller traces get no planted patterns */
#define MAX_SPAN (30u * 86400u)   /* router uptime (ms, 32 bits) must not wrap */
#define PDU_FLOWS 30
#define PROFILE_BINS 1024

enum { T_FIN = 0x01, T_SYN = 0x02, T_RST = 0x04, T_PSH = 0x08, T_ACK = 0x10 };

/* ---- options ---- */

struct opts {
    uint64_t n, seed, start, span;
    int version, byte_order, zlevel;
    bool plant;
    bool unique;               /* --unique-pairs */
    const char *wfile, *truth, *export, *list;
    unsigned rate;
    enum gen_xfmt xfmt;
    double ipv6;               /* share of the flows that are IPv6 */
};

static const char usage_line[] = "usage: flowq-gen [options] [-w FILE]\n";

static void usage_error(const char *fmt, const char *arg)
{
    fputs("flowq-gen: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'flowq-gen --help' for more information.\n", stderr);
    exit(FQ_E_USAGE);
}

static void help(void)
{
    fputs(usage_line, stdout);
    fputs("\n"
          "Write a synthetic but realistic NetFlow trace as a campus border router\n"
          "would export it, as a flow-tools file (NetFlow v5 records) or as NetFlow\n"
          "v5, v9 or IPFIX datagrams to a collector, with the patterns that the\n"
          "example queries look for planted at known times.  The same options and\n"
          "seed give the same bytes on every machine.\n"
          "\n"
          "Trace:\n"
          "  -n, --records N        records to write (default 100000)\n"
          "  -s, --seed S           random seed (default 1)\n"
          "      --start TIME       first flow start: 2026-11-28T00:00:00Z or epoch\n"
          "                         seconds (default 2026-11-28T00:00:00Z)\n"
          "      --span SECONDS     time the trace covers (default 3600, at most 30 days)\n"
          "      --no-plant         background traffic only\n"
          "      --unique-pairs     a server of its own for every session, so that\n"
          "                         most host pairs occur once (high cardinality)\n"
          "      --truth FILE       write the planted records (rec_id, pattern,\n"
          "                         queries that must find them, ...) to FILE\n"
          "      --ipv6 FRACTION    share of the flows (0 to 1) that are IPv6\n"
          "                         (default 0); needs --export v9 or ipfix, no -w\n"
          "      --list FILE        write every record as CSV, in the columns of\n"
          "                         flowq --print -o csv, to FILE ('-' = stdout)\n"
          "\n"
          "Output:\n"
          "  -w, --output FILE      write to FILE ('-' = stdout; default stdout,\n"
          "                         which must not be a terminal)\n"
          "  -z, --compress LEVEL   zlib level 0-9 (default 0)\n"
          "  -V, --record-version V record version 1, 5, 6, 7 or 1005 (default 5)\n"
          "  -b, --byte-order ORDER big or little (default: this machine's)\n"
          "      --export HOST:PORT also send the records as export datagrams to a\n"
          "                         UDP collector (then no file unless -w)\n"
          "      --export-format F  v5, v9 (NetFlow v9) or ipfix (default v5)\n"
          "      --rate N           at most N flows per second on --export\n"
          "                         (default 20000; 0 = no limit)\n"
          "\n"
          "  -h, --help             this help\n"
          "      --version          version\n"
          "\n"
          "Patterns are planted when N is at least 5000 (they use about 750\n"
          "records); every planted record counts towards N.\n"
          "Exit status: 0 ok, 2 usage, 5 output error.  See flowq-gen(1).\n",
          stdout);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end || x > max)
        return false;
    *v = x;
    return true;
}

/* A decimal number from 0 to 1: digits with at most one point. */
static bool parse_fraction(const char *s, double *v)
{
    size_t digits = strspn(s, "0123456789");
    if (s[digits] == '.')
        digits += 1 + strspn(s + digits + 1, "0123456789");
    if (!*s || s[digits] || strcmp(s, ".") == 0)
        return false;
    *v = strtod(s, NULL);
    return *v <= 1;
}

/* One to max decimal digits at *p into *v, *p moved past them.  Digits only:
 * unlike sscanf's %d this cannot skip blanks, take a sign or fail silently. */
static bool date_field(const char **p, int max, int *v)
{
    int n = 0, x = 0;
    while (n < max && (*p)[n] >= '0' && (*p)[n] <= '9')
        x = 10 * x + ((*p)[n++] - '0');
    *p += n;
    *v = x;
    return n > 0;
}

/* YYYY-MM-DD[THH[:MM[:SS]]][Z] in UTC, or epoch seconds. */
static bool parse_time(const char *s, uint64_t *v)
{
    if (parse_u64(s, UINT32_MAX, v))
        return true;
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    const char *p = s;
    if (!date_field(&p, 4, &y) || *p++ != '-' || !date_field(&p, 2, &mo) || *p++ != '-' ||
        !date_field(&p, 2, &d))
        return false;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!date_field(&p, 2, &h))
            return false;
        if (*p == ':') {
            p++;
            if (!date_field(&p, 2, &mi))
                return false;
            if (*p == ':') {
                p++;
                if (!date_field(&p, 2, &sec))
                    return false;
            }
        }
    }
    if (*p == 'Z')
        p++;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t < 0 || (uint64_t)t > UINT32_MAX)
        return false;
    *v = (uint64_t)t;
    return true;
}

enum {
    OPT_START = 256, OPT_SPAN, OPT_NOPLANT, OPT_TRUTH, OPT_EXPORT, OPT_RATE, OPT_VERSION,
    OPT_XFMT, OPT_IPV6, OPT_LIST, OPT_UNIQUE,
};

static const struct option longopts[] = {
    {"records", required_argument, NULL, 'n'},
    {"seed", required_argument, NULL, 's'},
    {"output", required_argument, NULL, 'w'},
    {"compress", required_argument, NULL, 'z'},
    {"record-version", required_argument, NULL, 'V'},
    {"byte-order", required_argument, NULL, 'b'},
    {"start", required_argument, NULL, OPT_START},
    {"span", required_argument, NULL, OPT_SPAN},
    {"no-plant", no_argument, NULL, OPT_NOPLANT},
    {"unique-pairs", no_argument, NULL, OPT_UNIQUE},
    {"truth", required_argument, NULL, OPT_TRUTH},
    {"export", required_argument, NULL, OPT_EXPORT},
    {"rate", required_argument, NULL, OPT_RATE},
    {"export-format", required_argument, NULL, OPT_XFMT},
    {"ipv6", required_argument, NULL, OPT_IPV6},
    {"list", required_argument, NULL, OPT_LIST},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.n = 100000, .seed = 1, .start = DEFAULT_START, .span = 3600,
                       .version = 5, .plant = true, .rate = 20000};
    int c;
    uint64_t v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:s:w:z:V:b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!parse_u64(optarg, 10000000000u, &o->n))
                usage_error("-n needs a record count (0 .. 10000000000), not '%s'", optarg);
            break;
        case 's':
            if (!parse_u64(optarg, UINT64_MAX, &o->seed))
                usage_error("--seed needs an unsigned integer, not '%s'", optarg);
            break;
        case 'w':
            o->wfile = optarg;
            break;
        case 'z':
            if (!parse_u64(optarg, 9, &v))
                usage_error("-z needs a level 0-9, not '%s'", optarg);
            o->zlevel = (int)v;
            break;
        case 'V':
            if (!parse_u64(optarg, 1005, &v) || (v != 1 && v != 5 && v != 6 && v != 7 && v != 1005))
                usage_error("-V needs a record version 1, 5, 6, 7 or 1005, not '%s'", optarg);
            o->version = (int)v;
            break;
        case 'b':
            if (strcmp(optarg, "little") == 0)
                o->byte_order = 1;
            else if (strcmp(optarg, "big") == 0)
                o->byte_order = 2;
            else
                usage_error("-b needs 'big' or 'little', not '%s'", optarg);
            break;
        case OPT_START:
            if (!parse_time(optarg, &o->start))
                usage_error("--start needs 2026-11-28T00:00:00Z or epoch seconds, not '%s'",
                            optarg);
            break;
        case OPT_SPAN:
            if (!parse_u64(optarg, MAX_SPAN, &o->span) || o->span == 0)
                usage_error("--span needs seconds (1 .. 2592000), not '%s'", optarg);
            break;
        case OPT_NOPLANT:
            o->plant = false;
            break;
        case OPT_UNIQUE:
            o->unique = true;
            break;
        case OPT_TRUTH:
            o->truth = optarg;
            break;
        case OPT_EXPORT:
            o->export = optarg;
            break;
        case OPT_RATE:
            if (!parse_u64(optarg, 100000000u, &v))
                usage_error("--rate needs flows per second, not '%s'", optarg);
            o->rate = (unsigned)v;
            break;
        case OPT_XFMT:
            if (strcmp(optarg, "v5") == 0)
                o->xfmt = GX_V5;
            else if (strcmp(optarg, "v9") == 0)
                o->xfmt = GX_V9;
            else if (strcmp(optarg, "ipfix") == 0)
                o->xfmt = GX_IPFIX;
            else
                usage_error("--export-format needs v5, v9 or ipfix, not '%s'", optarg);
            break;
        case OPT_IPV6:
            if (!parse_fraction(optarg, &o->ipv6))
                usage_error("--ipv6 needs a fraction from 0 to 1, not '%s'", optarg);
            break;
        case OPT_LIST:
            o->list = optarg;
            break;
        case 'h':
            help();
            exit(0);
        case OPT_VERSION:
            printf("flowq-gen %s\n", FLOWQ_VERSION);
            exit(0);
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
            break;
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected argument '%s'", argv[optind]);
    /* export times are 32-bit seconds; planted flows reach a day past the span */
    if (o->start + o->span + 86400 > UINT32_MAX)
        usage_error("--start and --span reach beyond 2106%s", "");
    /* flow-tools files and NetFlow v5 hold IPv4 only: rather than write a
     * file short of the -n records asked for, refuse */
    if (o->ipv6 > 0 && (o->wfile || !o->export))
        usage_error("--ipv6: flow-tools files cannot hold IPv6 flows; use --export "
                    "without -w%s", "");
    if (o->xfmt != GX_V5 && !o->export)
        usage_error("--export-format needs --export HOST:PORT%s", "");
    if (o->ipv6 > 0 && o->xfmt == GX_V5)
        usage_error("--ipv6: NetFlow v5 cannot hold IPv6 flows; use --export-format v9 "
                    "or ipfix%s", "");
}

/* ---- the network ---- */

enum kind { K_WEB, K_DNS, K_NTP, K_SSH, K_IMAP, K_SMTP, K_ECHO, K_UNREACH };

struct svc {
    uint8_t kind, proto;
    uint16_t port;             /* ICMP: type * 256 + code */
    bool inbound;              /* outside client, inside server */
    uint16_t weight;           /* per mille of the sessions */
    uint8_t maxblock;          /* sessions in a row between one client/server pair */
};

/* Block lengths and the per-flow caps below keep every background
 * client/server pair under the example queries' thresholds (fewer than
 * 200 client packets per pair on the web, at most 6 DNS packets, 16000
 * TCP packets); see traces/README.md. */
static const struct svc svcs[] = {
    {K_WEB, 6, 443, false, 330, 4},  {K_WEB, 6, 80, false, 110, 4},
    {K_WEB, 17, 443, false, 60, 4},  {K_DNS, 17, 53, false, 170, 3},
    {K_NTP, 17, 123, false, 20, 2},  {K_IMAP, 6, 993, false, 30, 3},
    {K_SSH, 6, 22, false, 15, 3},    {K_SMTP, 6, 25, false, 15, 3},
    {K_WEB, 6, 8080, false, 15, 4},  {K_WEB, 6, 5222, false, 15, 4},
    {K_ECHO, 1, 0x0800, false, 30, 2}, {K_WEB, 6, 443, true, 60, 3},
    {K_WEB, 6, 80, true, 40, 3},     {K_DNS, 17, 53, true, 40, 3},
    {K_SMTP, 6, 25, true, 20, 2},    {K_SSH, 6, 22, true, 10, 2},
    {K_UNREACH, 1, 0x0303, true, 20, 1},
};
#define NSVC (sizeof svcs / sizeof svcs[0])

/* Outbound servers of one (client, service): block b goes to pool index
 * (base + b * step) mod P, P prime, so a client meets the same server
 * again only after P blocks. */
struct cstate {
    uint32_t base, step, block;
    uint32_t server;
    uint8_t left;
};

struct net {
    uint64_t seed;
    uint32_t nclients;         /* internal client hosts */
    bool unique;               /* every session a block of its own */
    uint32_t pool[NSVC];       /* outbound server pool sizes (primes) */
    struct cstate *cs;         /* [NSVC][nclients + 3]: busy clients share cache lines */
    uint64_t inblock[NSVC];    /* inbound: outside client counter */
    uint8_t inleft[NSVC];
    uint32_t inclient[NSVC];
};

static bool is_prime(uint32_t p)
{
    if (p < 2)
        return false;
    for (uint32_t d = 2; (uint64_t)d * d <= p; d++)
        if (p % d == 0)
            return false;
    return true;
}

static bool bad_outside(uint32_t a)
{
    uint32_t o1 = a >> 24, o2 = (a >> 16) & 255, o3 = (a >> 8) & 255, o4 = a & 255;
    return o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224 || (o1 == 100 && o2 >= 64 && o2 < 128) ||
           (o1 == 169 && o2 == 254) || (o1 == 172 && o2 >= 16 && o2 < 32) ||
           (o1 == 192 && o2 == 168) || (o1 == 198 && (o2 == 18 || o2 == 19)) ||
           (o1 == 192 && o2 == 0 && o3 == 2) || (o1 == 198 && o2 == 51 && o3 == 100) ||
           (o1 == 203 && o2 == 0 && o3 == 113) || o4 == 0 || o4 == 255;
}

/* Address of member idx of an outside population: a fixed scramble of
 * (seed, population, idx), off the reserved and planted ranges. */
static uint32_t outside_addr(const struct net *nw, uint64_t salt, uint64_t idx)
{
    uint64_t x = rng_mix(nw->seed ^ rng_mix(salt * 0x100000001b3u + idx));
    for (;;) {
        uint32_t a = (uint32_t)(x >> 16);
        if (!bad_outside(a))
            return a;
        x = rng_mix(x);
    }
}

static uint32_t client_addr(uint32_t i)
{
    uint32_t s = i / 250 + 1;
    return GEN_IP(10, (s >> 8) & 255, s & 255, 2 + i % 250);
}

static void net_init(struct net *nw, uint64_t seed, uint64_t nbg)
{
    memset(nw, 0, sizeof *nw);
    nw->seed = seed;
    uint64_t h = 1000 + nbg / 500;
    nw->nclients = (uint32_t)(h > 100000 ? 100000 : h);
    /* the busiest client draws about 1/sqrt(nclients) of the sessions
     * (share found without libm, like every number here) */
    double sessions = (double)nbg / 1.5, share = 1.0;
    while (share * share * nw->nclients > 1.0)
        share *= 0.99;
    for (size_t s = 0; s < NSVC; s++) {
        double mine = sessions * svcs[s].weight / 1000.0;
        if (svcs[s].kind == K_DNS)
            mine *= 0.6;                 /* two resolvers share them */
        else if (svcs[s].kind != K_SMTP)
            mine *= 1.5 * share;
        uint64_t p = (uint64_t)(2 * mine) + 101;
        if (p > 4000000000u)
            p = 4000000000u;
        while (!is_prime((uint32_t)p))
            p++;
        nw->pool[s] = (uint32_t)p;
    }
    nw->cs = xcalloc((size_t)(nw->nclients + 3) * NSVC, sizeof *nw->cs);
}

static uint32_t pick_client(struct net *nw, struct rng *r)
{
    double u = rng_unit(r);
    return (uint32_t)(nw->nclients * u * u);
}

/* Next outbound server for client slot c: same server for a block of
 * sessions, then the next one of the client's progression. */
static uint32_t outbound_server(struct net *nw, struct rng *r, uint32_t c, size_t s)
{
    struct cstate *st = &nw->cs[s * (nw->nclients + 3) + c];
    uint32_t p = nw->pool[s];
    if (st->step == 0) {
        uint64_t h = rng_mix(nw->seed ^ rng_mix(((uint64_t)c << 8) | s));
        st->base = (uint32_t)(h % p);
        st->step = 1 + (uint32_t)((h >> 32) % (p - 1));
    }
    if (st->left == 0) {
        uint32_t idx = (uint32_t)(((uint64_t)st->base + (uint64_t)st->block * st->step) % p);
        st->server = outside_addr(nw, s + 1, idx);
        st->block++;
        st->left = nw->unique ? 1 : (uint8_t)rng_range(r, 1, svcs[s].maxblock);
    }
    st->left--;
    return st->server;
}

/* Inbound: every block of sessions comes from a new outside client. */
static uint32_t inbound_client(struct net *nw, struct rng *r, size_t s)
{
    if (nw->inleft[s] == 0) {
        nw->inclient[s] = outside_addr(nw, 100 + s, nw->inblock[s]++);
        nw->inleft[s] = nw->unique ? 1 : (uint8_t)rng_range(r, 1, svcs[s].maxblock);
    }
    nw->inleft[s]--;
    return nw->inclient[s];
}

static uint32_t inside_server(struct rng *r, const struct svc *v)
{
    static const uint8_t web[] = {80, 81}, dns[] = {55, 56}, ssh[] = {22, 23};
    switch (v->kind) {
    case K_DNS: return GEN_IP(10, 0, 0, dns[rng_below(r, 2)]);
    case K_SSH: return GEN_IP(10, 0, 0, ssh[rng_below(r, 2)]);
    case K_SMTP: return GEN_IP(10, 0, 0, 25);
    default: return GEN_IP(10, 0, 0, web[rng_below(r, 2)]);
    }
}

/* Ports the example queries treat as signatures never appear at random. */
static uint16_t rand_port(struct rng *r, uint16_t lo, uint16_t hi)
{
    for (;;) {
        uint16_t p = (uint16_t)rng_range(r, lo, hi);
        if (p != 1900 && p != 4444 && p != 5351 && p != 5353 && p != 53)
            return p;
    }
}

/* ---- the export heap ---- */

/* Flows wait in a slab; the heap orders 64-bit keys: the export time
 * relative to the trace start (below 2^32 ms, as the span is at most 30
 * days) above the slab slot.  Slots are handed out in a deterministic
 * order, so ties between equal export times break the same way on every
 * run. */
struct heap {
    uint64_t *key;
    size_t n, cap;
    uint64_t t0;
    struct gen_flow *slab;
    uint32_t *free;
    size_t nslab, nfree;
};

static void heap_push(struct heap *h, const struct gen_flow *f)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 4096;
        h->key = xrealloc(h->key, h->cap * sizeof *h->key);
        h->slab = xrealloc(h->slab, h->cap * sizeof *h->slab);
        h->free = xrealloc(h->free, h->cap * sizeof *h->free);
    }
    uint32_t slot = h->nfree ? h->free[--h->nfree] : (uint32_t)h->nslab++;
    h->slab[slot] = *f;
    uint64_t k = (f->export - h->t0) << 32 | slot;
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (k >= h->key[p])
            break;
        h->key[i] = h->key[p];
        i = p;
    }
    h->key[i] = k;
}

static uint64_t heap_min(const struct heap *h)
{
    return h->t0 + (h->key[0] >> 32);
}

static struct gen_flow heap_pop(struct heap *h)
{
    uint64_t top = h->key[0], last = h->key[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->key[c + 1] < h->key[c])
            c++;
        if (h->key[c] >= last)
            break;
        h->key[i] = h->key[c];
        i = c;
    }
    if (h->n) {
        h->key[i] = last;
        /* the next flow to leave was written long ago: fetch it now */
        __builtin_prefetch(&h->slab[(uint32_t)h->key[0]]);
    }
    uint32_t slot = (uint32_t)top;
    h->free[h->nfree++] = slot;
    return h->slab[slot];
}

static void heap_free(struct heap *h)
{
    free(h->key);
    free(h->slab);
    free(h->free);
}

/* ---- output: export packets, file, truth, UDP ---- */

struct out {
    struct ft_writer *w;
    FILE *truth, *list;
    struct udpx *udp;
    uint64_t seed;
    uint64_t v6_below;         /* a host pair is IPv6 when its hash's top
                                  53 bits are below this */
    const struct plant_set *ps;
    struct rng r;
    uint64_t boot;             /* router boot time, ms since the epoch */
    uint64_t rec_id;
    struct gen_flow pdu[PDU_FLOWS];
    size_t npdu;
    struct fq_error err;
};

static int as_of(uint32_t a)
{
    if ((a >> 24) == 10)
        return 64500;
    if ((a >> 24) >= 224)
        return 0;
    return 1 + (int)(rng_mix(a >> 16) % 64000);
}

static int mask_of(uint32_t a)
{
    if ((a >> 24) == 10)
        return 24;
    if ((a >> 24) >= 224)
        return 0;
    return 16 + (int)(rng_mix((a >> 16) ^ 0x6d61736bu) % 9);
}

static int iface_of(uint32_t a)
{
    return 2 + (int)((a >> 8) & 3);
}

/* Router-side fields from the addresses: interface 1 is the uplink, 2-5
 * face the inside subnets. */
static void route(struct fq_rec *r)
{
    bool sin = (r->srcip >> 24) == 10, din = (r->dstip >> 24) == 10;
    bool mcast = (r->dstip >> 24) >= 224;
    r->input = (uint16_t)(sin ? iface_of(r->srcip) : 1);
    if (mcast) {
        r->output = 0;
        r->nexthop = 0;
    } else if (din) {
        r->output = (uint16_t)iface_of(r->dstip);
        r->nexthop = sin ? r->dstip : GEN_IP(10, 0, 0, 2);
    } else {
        r->output = 1;
        r->nexthop = GEN_IP(192, 0, 2, 1);
    }
    r->src_as = (uint16_t)as_of(r->srcip);
    r->dst_as = (uint16_t)as_of(r->dstip);
    r->src_mask = (uint8_t)mask_of(r->srcip);
    r->dst_mask = (uint8_t)mask_of(r->dstip);
}

/* ---- IPv6 ---- */

/* Whether the flows between a and b are IPv6: a fixed hash of the seed
 * and the unordered host pair, so that a request and its answer, and the
 * sessions of one pair, share their family. */
static bool pair_is_v6(const struct out *o, uint32_t a, uint32_t b)
{
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    uint64_t h = rng_mix(o->seed ^ rng_mix(lo << 32 | hi) ^ 0x697076366e6574u);
    return (h >> 11) < o->v6_below;
}

/* The IPv6 twin of a generator address, in documentation prefixes (hex
 * digits of the octets): the campus 10.A.B.C is 2001:db8:0:AABB::CC (a /64
 * per /24), the outside A.B.C.D is 3fff:AA:BBCC::DD (a /48 per /24, in
 * 3fff::/20 of RFC 9637). */
static void v6_of(uint32_t a, uint8_t out[16])
{
    memset(out, 0, 16);
    if ((a >> 24) == 10) {
        static const uint8_t campus[4] = {0x20, 0x01, 0x0d, 0xb8};
        memcpy(out, campus, 4);
        out[6] = (uint8_t)(a >> 16);
        out[7] = (uint8_t)(a >> 8);
    } else {
        out[0] = 0x3f;
        out[1] = 0xff;
        out[3] = (uint8_t)(a >> 24);
        out[4] = (uint8_t)(a >> 16);
        out[5] = (uint8_t)(a >> 8);
    }
    out[15] = (uint8_t)a;
}

/* Turn the routed IPv4 record r into its IPv6 twin: addresses, prefix
 * lengths (a v4 /m is a v6 /m+24 outside, /64 inside), ICMP as ICMPv6
 * and 20 more header bytes per packet. */
static void make_v6(struct fq_rec *r)
{
    v6_of(r->srcip, r->ip6[F_SRCIP - F_SRCIP]);
    v6_of(r->dstip, r->ip6[F_DSTIP - F_SRCIP]);
    if (r->nexthop)
        v6_of(r->nexthop, r->ip6[F_NEXTHOP - F_SRCIP]);
    r->src_mask = (uint8_t)((r->srcip >> 24) == 10 ? 64 : r->src_mask + 24);
    r->dst_mask = (uint8_t)((r->dstip >> 24) == 10 ? 64 : r->dst_mask + 24);
    r->v6 = 1u << F_SRCIP | 1u << F_DSTIP | 1u << F_NEXTHOP;
    r->srcip = r->dstip = r->nexthop = 0;
    if (r->proto == 1) {
        r->proto = 58;
        /* echo request, echo reply, port unreachable */
        r->dstport = r->dstport == 0x0800 ? 0x8000 : r->dstport == 0 ? 0x8100 : 0x0104;
    }
    uint64_t by = r->bytes + 20ull * r->packets;
    r->bytes = by > UINT32_MAX ? UINT32_MAX : (uint32_t)by;
}

/* Address field f of r as text: RFC 5952 for IPv6. */
static void addr_str(const struct fq_rec *r, enum fq_field f, char buf[INET6_ADDRSTRLEN])
{
    if (r->v6 & (1u << f)) {
        inet_ntop(AF_INET6, r->ip6[f - F_SRCIP], buf, INET6_ADDRSTRLEN);
    } else {
        uint32_t a = (uint32_t)rec_get(r, f);
        sprintf(buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    }
}

static const char list_header[] =
    "stime,etime,srcip,srcport,dstip,dstport,proto,packets,bytes,tcp_flags,tos,input,"
    "output,src_as,dst_as,src_mask,dst_mask,nexthop,exaddr,engine_type,engine_id,duration\n";

/* Milliseconds since the epoch as 2026-11-28T00:00:18.812Z. */
static void time_str(uint64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03uZ", (unsigned)(ms % 1000));
}

/* One --list line: the columns of flowq --print -o csv. */
static void list_rec(FILE *fp, const struct fq_rec *r)
{
    char st[40], et[40], s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN],
        ex[INET6_ADDRSTRLEN];
    time_str(r->stime, st, sizeof st);
    time_str(r->etime, et, sizeof et);
    addr_str(r, F_SRCIP, s);
    addr_str(r, F_DSTIP, d);
    addr_str(r, F_NEXTHOP, nh);
    addr_str(r, F_EXADDR, ex);
    fprintf(fp, "%s,%s,%s,%u,%s,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%s,%s,%u,%u,%u\n", st, et, s,
            r->srcport, d, r->dstport, r->proto, r->packets, r->bytes, r->tcp_flags, r->tos,
            r->input, r->output, r->src_as, r->dst_as, r->src_mask, r->dst_mask, nh, ex,
            r->engine_type, r->engine_id, r->duration);
}

static int out_flush(struct out *o)
{
    if (o->npdu == 0)
        return FQ_OK;
    struct fq_rec recs[PDU_FLOWS];
    /* the packet leaves when its last flow has expired */
    uint64_t t = o->pdu[o->npdu - 1].export;
    uint32_t ns = (uint32_t)rng_below(&o->r, 1000000);
    for (size_t i = 0; i < o->npdu; i++) {
        const struct gen_flow *f = &o->pdu[i];
        struct fq_rec *r = &recs[i];
        memset(r, 0, sizeof *r);
        r->unix_secs = (uint32_t)(t / 1000);
        r->unix_nsecs = (uint32_t)(t % 1000) * 1000000u + ns;
        r->sysuptime = (uint32_t)(t - o->boot);
        r->first = (uint32_t)(f->start - o->boot);
        r->last = (uint32_t)(f->end - o->boot);
        r->exaddr = GEN_ROUTER;
        r->srcip = f->srcip;
        r->dstip = f->dstip;
        r->srcport = f->srcport;
        r->dstport = f->dstport;
        r->proto = f->proto;
        r->tos = f->tos;
        r->tcp_flags = f->tcp_flags;
        r->packets = f->packets;
        r->bytes = f->bytes;
        r->engine_type = 0;
        r->engine_id = 1;
        route(r);
        if (o->v6_below && f->plant < 0 && pair_is_v6(o, r->srcip, r->dstip))
            make_v6(r);
        rec_derive(r);
        r->rec_id = o->rec_id++;
        if (o->list)
            list_rec(o->list, r);
        if (o->w && ft_writer_put(o->w, r, &o->err))
            return o->err.code;
        if (o->truth && f->plant >= 0) {
            const struct plant_info *pi = &o->ps->info[f->plant];
            char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
            addr_str(r, F_SRCIP, s);
            addr_str(r, F_DSTIP, d);
            fprintf(o->truth, "%llu\t%s\t%d\t%s\t%llu\t%llu\t%s\t%u\t%s\t%u\t%u\t%u\t%u\n",
                    (unsigned long long)r->rec_id, pi->pattern, pi->instance, pi->queries,
                    (unsigned long long)r->stime, (unsigned long long)r->etime, s, r->srcport,
                    d, r->dstport, r->proto, r->packets, r->bytes);
        }
    }
    if (o->udp && udpx_send(o->udp, recs, o->npdu, &o->err))
        return o->err.code;
    o->npdu = 0;
    return FQ_OK;
}

static int out_put(struct out *o, const struct gen_flow *f)
{
    o->pdu[o->npdu++] = *f;
    return o->npdu == PDU_FLOWS ? out_flush(o) : FQ_OK;
}

/* ---- background sessions ---- */

struct bg {
    struct net nw;
    struct rng r;
    struct heap *h;
    uint64_t left;             /* background records still to create */
};

static void add(struct bg *g, uint64_t start, uint64_t end, uint32_t src, uint16_t sp,
                uint32_t dst, uint16_t dp, uint8_t proto, uint32_t pk, uint64_t by, uint8_t flags,
                uint8_t tos)
{
    if (g->left == 0)
        return;
    g->left--;
    struct gen_flow f = {0};
    f.start = start;
    f.end = end < start ? start : end;
    f.export = f.end + rng_range(&g->r, 100, 15 * SEC);
    f.srcip = src;
    f.dstip = dst;
    f.srcport = sp;
    f.dstport = dp;
    f.proto = proto;
    f.packets = pk ? pk : 1;
    f.bytes = by > UINT32_MAX ? UINT32_MAX : (uint32_t)by;
    f.tcp_flags = flags;
    f.tos = tos;
    f.plant = -1;
    heap_push(g->h, &f);
}

static uint32_t capped(double x, uint32_t lo, uint32_t hi)
{
    if (!(x >= lo))
        return lo;
    return x >= hi ? hi : (uint32_t)x;
}

static uint64_t rtt_ms(struct rng *r)
{
    return capped(rng_lognormal(r, 35, 0.8), 1, 900);
}

static uint8_t tcp_flags(struct rng *r, uint32_t pk)
{
    if (pk <= 3)
        return T_SYN | T_ACK | T_FIN;
    if (rng_chance(r, 0.08))
        return T_SYN | T_ACK | T_PSH | T_RST;
    return T_SYN | T_ACK | T_PSH | T_FIN;
}

/* A request flow and most of the time its answer: the answer starts half a
 * round trip later and ends half a round trip earlier. */
static void exchange(struct bg *g, uint64_t t, uint64_t dur, uint64_t rtt, uint32_t cli,
                     uint16_t cp, uint32_t srv, uint16_t sp, uint8_t proto, uint32_t cpk,
                     uint64_t cby, uint32_t spk, uint64_t sby, bool answered, uint8_t tos)
{
    bool tcp = proto == 6;
    add(g, t, t + dur, cli, cp, srv, sp, proto, cpk, cby, tcp ? tcp_flags(&g->r, cpk) : 0, tos);
    if (!answered)
        return;
    uint64_t s = t + rtt / 2, e = t + dur > rtt / 2 ? t + dur - rtt / 2 : s;
    if (spk == 1)
        e = s;
    add(g, s, e, srv, sp, cli, cp, proto, spk, sby, tcp ? tcp_flags(&g->r, spk) : 0, tos);
}

static void session(struct bg *g, uint64_t t)
{
    struct rng *r = &g->r;
    struct net *nw = &g->nw;
    uint32_t w = (uint32_t)rng_below(r, 1000);
    size_t s = 0;
    while (w >= svcs[s].weight) {
        w -= svcs[s].weight;
        s++;
    }
    const struct svc *v = &svcs[s];
    uint32_t cli, srv;
    if (v->inbound) {
        cli = inbound_client(nw, r, s);
        srv = v->kind == K_UNREACH ? client_addr(pick_client(nw, r)) : inside_server(r, v);
    } else {
        uint32_t slot;
        if (v->kind == K_DNS) {
            slot = nw->nclients + (uint32_t)rng_below(r, 2);
            cli = GEN_IP(10, 0, 0, 53 + (slot - nw->nclients));
        } else if (v->kind == K_SMTP) {
            slot = nw->nclients + 2;
            cli = GEN_IP(10, 0, 0, 25);
        } else {
            slot = pick_client(nw, r);
            cli = client_addr(slot);
        }
        srv = outbound_server(nw, r, slot, s);
    }
    uint64_t rtt = rtt_ms(r);
    uint16_t cp = rand_port(r, 32768, 60999);
    switch (v->kind) {
    case K_WEB: {
        uint32_t spk = capped(rng_pareto(r, 3, 1.15), 2, 20000);
        uint32_t cpk = 3 + spk / 2 + (uint32_t)rng_below(r, 3);
        if (cpk > 50)
            cpk = 50;
        uint64_t dur = rtt * (3 + (uint64_t)(gmath_log(spk) * 2.5));
        if (rng_chance(r, 0.3))
            dur += capped(rng_lognormal(r, 4000, 1.3), 0, 1700 * SEC);
        if (dur > 1790 * SEC)
            dur = 1790 * SEC;
        uint64_t sby = spk <= 2 ? spk * 52 : (uint64_t)spk * rng_range(r, 900, 1450);
        uint64_t cby = cpk * 52 + rng_range(r, 200, 1200);
        exchange(g, t, dur, rtt, cli, cp, srv, v->port, v->proto, cpk, cby, spk, sby, true, 0);
        break;
    }
    case K_DNS: {
        uint16_t qp = rand_port(r, 1024, 65535);
        uint32_t qpk = rng_chance(r, 0.03) ? 2 : 1;
        uint64_t dur = qpk == 2 ? rng_range(r, 1000, 2000) : 0;
        double u = rng_unit(r);
        uint64_t ans = u < 0.9 ? rng_range(r, 80, 300) : u < 0.99 ? rng_range(r, 300, 600)
                                                                   : rng_range(r, 600, 1232);
        exchange(g, t, dur, rtt, cli, qp, srv, 53, 17, qpk, qpk * rng_range(r, 55, 90), 1, ans,
                 rng_chance(r, 0.985), 0);
        break;
    }
    case K_NTP:
        exchange(g, t, 0, rtt, cli, rng_chance(r, 0.5) ? 123 : cp, srv, 123, 17, 1, 76, 1, 76,
                 rng_chance(r, 0.99), 0);
        break;
    case K_SSH: {
        uint32_t cpk = capped(rng_pareto(r, 20, 1.2), 12, 4000);
        uint32_t spk = capped(cpk * (0.8 + 0.8 * rng_unit(r)), 12, 4000);
        uint64_t dur = capped(rng_pareto(r, 20 * SEC, 1.0), 2 * SEC, 1790 * SEC);
        exchange(g, t, dur, rtt, cli, cp, srv, 22, 6, cpk, cpk * rng_range(r, 70, 120), spk,
                 spk * rng_range(r, 90, 400), true, rng_chance(r, 0.3) ? 0x10 : 0);
        break;
    }
    case K_IMAP: {
        uint32_t cpk = 5 + (uint32_t)rng_below(r, 40);
        uint32_t spk = capped(rng_pareto(r, 6, 1.2), 4, 5000);
        uint64_t dur = rng_chance(r, 0.6) ? capped(rng_lognormal(r, 1500, 1.0), 50, 600 * SEC)
                                          : capped(rng_pareto(r, 60 * SEC, 1.3), 0, 1790 * SEC);
        exchange(g, t, dur, rtt, cli, cp, srv, 993, 6, cpk, cpk * 80 + 300, spk,
                 (uint64_t)spk * rng_range(r, 200, 1400), true, 0);
        break;
    }
    case K_SMTP: {
        uint32_t cpk = capped(rng_pareto(r, 10, 1.3), 8, 3000);
        uint32_t spk = 8 + (uint32_t)rng_below(r, 13);
        uint64_t dur = capped(rng_lognormal(r, 2000, 1.0), 100, 900 * SEC);
        exchange(g, t, dur, rtt, cli, cp, srv, 25, 6, cpk, (uint64_t)cpk * rng_range(r, 500, 1400),
                 spk, spk * 70, true, 0);
        break;
    }
    case K_ECHO: {
        static const uint32_t counts[] = {1, 1, 1, 1, 4, 4, 4, 5, 5, 10};
        uint32_t k = counts[rng_below(r, 10)];
        uint64_t dur = (k - 1) * SEC + rng_below(r, 20);
        add(g, t, t + dur, cli, 0, srv, 0x0800, 1, k, k * 84, 0, 0);
        if (rng_chance(r, 0.95))
            add(g, t + rtt / 2, t + dur + rtt / 2, srv, 0, cli, 0, 1, k, k * 84, 0, 0);
        break;
    }
    case K_UNREACH:
        add(g, t, t, cli, 0, srv, 0x0303, 1, 1, rng_range(r, 56, 576), 0, 0);
        break;
    }
}

/* ---- arrival profile ---- */

/* Relative session rate by hour of day (UTC): quiet nights, busy
 * afternoons; each bin of the trace also gets a random burst factor. */
static const double diurnal[24] = {
    0.35, 0.28, 0.24, 0.22, 0.22, 0.25, 0.35, 0.55, 0.80, 0.95, 1.00, 1.00,
    0.95, 0.98, 1.00, 1.00, 0.97, 0.90, 0.80, 0.72, 0.65, 0.58, 0.50, 0.42,
};

struct profile {
    double cum[PROFILE_BINS + 1];
    size_t bin;
};

static void profile_init(struct profile *p, uint64_t seed, uint64_t t0, uint64_t span_ms)
{
    struct rng r;
    rng_seed(&r, seed, 3);
    p->cum[0] = 0;
    for (size_t i = 0; i < PROFILE_BINS; i++) {
        uint64_t mid = t0 + span_ms * (2 * i + 1) / (2 * PROFILE_BINS);
        double hour = (double)(mid % 86400000u) / 3600000.0;
        size_t hi = (size_t)hour;
        double frac = hour - (double)hi;
        double d = diurnal[hi] * (1 - frac) + diurnal[(hi + 1) % 24] * frac;
        p->cum[i + 1] = p->cum[i] + d * rng_lognormal(&r, 1.0, 0.25);
    }
    double total = p->cum[PROFILE_BINS];
    for (size_t i = 0; i <= PROFILE_BINS; i++)
        p->cum[i] /= total;
    p->bin = 0;
}

/* Time (ms offset) of quantile u of the rate; u never decreases. */
static uint64_t profile_at(struct profile *p, double u, uint64_t span_ms)
{
    while (p->bin + 1 < PROFILE_BINS && p->cum[p->bin + 1] <= u)
        p->bin++;
    double lo = p->cum[p->bin], hi = p->cum[p->bin + 1];
    double f = hi > lo ? (u - lo) / (hi - lo) : 0;
    if (f > 1)
        f = 1;
    return (uint64_t)((double)span_ms * ((double)p->bin + f) / PROFILE_BINS);
}

/* ---- main ---- */

static void die(int code, const char *what, const struct fq_error *err)
{
    if (err && err->msg[0])
        fprintf(stderr, "flowq-gen: %s%s%s\n", what ? what : "", what ? ": " : "", err->msg);
    else
        fprintf(stderr, "flowq-gen: %s: %s\n", what ? what : "error", strerror(errno));
    if (code == FQ_E_USAGE)
        fputs("Try 'flowq-gen --help' for more information.\n", stderr);
    exit(code);
}

int main(int argc, char **argv)
{
    struct opts o;
    /* A reader that goes away (flowq-gen | ... | head) ends the run
     * quietly: see EPIPE, not SIGPIPE, as flowq does. */
    signal(SIGPIPE, SIG_IGN);
    parse_args(argc, argv, &o);

    struct out out = {0};
    if (o.export) {
        out.udp = udpx_open(o.export, o.rate, o.xfmt, &out.err);
        if (!out.udp)
            die(out.err.code, NULL, &out.err);
    }

    FILE *fp = NULL;
    bool to_stdout = !o.wfile ? !o.export : strcmp(o.wfile, "-") == 0;
    if (to_stdout) {
        if (isatty(STDOUT_FILENO))
            usage_error("refusing to write binary records to a terminal%s; use -w FILE or a "
                        "redirection", "");
        fp = stdout;
    } else if (o.wfile) {
        fp = fopen(o.wfile, "wb");
        if (!fp)
            die(FQ_E_OUTPUT, o.wfile, NULL);
    }

    struct plant_set ps = {0};
    uint64_t t0 = o.start * 1000, span_ms = o.span * 1000;
    if (o.plant && o.n >= PLANT_MIN)
        plant_build(&ps, o.seed, t0, span_ms);
    out.ps = &ps;
    out.seed = o.seed;
    out.v6_below = (uint64_t)(o.ipv6 * 9007199254740992.0); /* 2^53 */
    rng_seed(&out.r, o.seed, 4);
    /* a router up for three to four days (or since the epoch) */
    uint64_t up = 3 * 86400000u + rng_below(&out.r, 86400000u);
    out.boot = t0 > up ? t0 - up : 0;

    if (o.truth) {
        out.truth = fopen(o.truth, "w");
        if (!out.truth)
            die(FQ_E_OUTPUT, o.truth, NULL);
        fprintf(out.truth,
                "# flowq-gen %s planted records: -n %llu --seed %llu --start %llu --span %llu\n"
                "rec_id\tpattern\tinstance\tqueries\tstime\tetime\tsrcip\tsrcport\tdstip\t"
                "dstport\tproto\tpackets\tbytes\n",
                FLOWQ_VERSION, (unsigned long long)o.n, (unsigned long long)o.seed,
                (unsigned long long)o.start, (unsigned long long)o.span);
    }
    if (o.list) {
        if (strcmp(o.list, "-") == 0 && to_stdout)
            usage_error("--list - and the trace cannot both go to stdout%s", "");
        out.list = strcmp(o.list, "-") == 0 ? stdout : fopen(o.list, "w");
        if (!out.list)
            die(FQ_E_OUTPUT, o.list, NULL);
        fputs(list_header, out.list);
    }
    if (fp) {
        static char buf[1 << 16];
        setvbuf(fp, buf, _IOFBF, sizeof buf);
        struct ft_writer_opts wo = {o.version, o.byte_order, o.zlevel};
        out.w = ft_writer_open_ex(fp, &wo, &out.err);
        if (!out.w)
            die(FQ_E_OUTPUT, o.wfile, &out.err);
    }

    struct heap heap = {.t0 = t0};
    struct bg g = {.h = &heap};
    uint64_t nbg = o.n - ps.n;
    g.left = nbg;
    net_init(&g.nw, o.seed, nbg);
    g.nw.unique = o.unique;
    rng_seed(&g.r, o.seed, 1);
    struct profile prof;
    profile_init(&prof, o.seed, t0, span_ms);

    size_t pi = 0;
    int rc = FQ_OK;
    while (g.left > 0 && !rc) {
        double u = ((double)(nbg - g.left) + rng_unit(&g.r)) / (double)nbg;
        uint64_t t = t0 + profile_at(&prof, u, span_ms);
        while (pi < ps.n && ps.flows[pi].start <= t)
            heap_push(&heap, &ps.flows[pi++]);
        while (!rc && heap.n && heap_min(&heap) <= t) {
            struct gen_flow f = heap_pop(&heap);
            rc = out_put(&out, &f);
        }
        session(&g, t);
    }
    while (pi < ps.n)
        heap_push(&heap, &ps.flows[pi++]);
    while (!rc && heap.n) {
        struct gen_flow f = heap_pop(&heap);
        rc = out_put(&out, &f);
    }
    if (!rc)
        rc = out_flush(&out);
    if (!rc && out.w)
        rc = ft_writer_close(out.w, &out.err);
    if (rc == FQ_E_PIPE)
        return 0;
    if (rc)
        die(FQ_E_OUTPUT, o.wfile && strcmp(o.wfile, "-") ? o.wfile : "stdout", &out.err);
    if (fp && fp != stdout && fclose(fp) != 0)
        die(FQ_E_OUTPUT, o.wfile, NULL);
    if (fp == stdout && fflush(stdout) != 0) {
        if (errno == EPIPE)
            return 0;
        die(FQ_E_OUTPUT, "stdout", NULL);
    }
    if (out.truth && (ferror(out.truth) | fclose(out.truth)))
        die(FQ_E_OUTPUT, o.truth, NULL);
    if (out.list == stdout && fflush(stdout) != 0 && errno == EPIPE)
        return 0;
    if (out.list && (ferror(out.list) | fclose(out.list)))
        die(FQ_E_OUTPUT, out.list == stdout ? "stdout" : o.list, NULL);
    udpx_close(out.udp);
    heap_free(&heap);
    free(g.nw.cs);
    plant_free(&ps);
    return 0;
}
