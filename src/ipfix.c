/* SPDX-License-Identifier: MIT
 * IPFIX files through libfixbuf (ipfix.h has the field mapping).
 *
 * libfixbuf is given one whole message at a time (fBufSetBuffer), after
 * this file has checked its framing: the message and set lengths, the
 * template records' lengths, and that every data set's template was
 * defined before it (RFC 5655 files must not hold data libfixbuf would
 * skip silently).  libfixbuf then transcodes each data record into the
 * internal template below; which elements the record really had comes
 * from its external template, classified once when libfixbuf announces it
 * (new-template callback).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

#include <fixbuf/public.h>

#include "ipfix.h"
#include "util.h"

enum {
    MSG_HDR = 16,
    MSG_MAX = 65535,
    INT_TID = 0x7e01,             /* the internal template's id */
    PEN_REVERSE = 29305,          /* RFC 5103 */
    NTP_UNIX = 2208988800u,       /* seconds from 1900 to 1970 */
    FD_CHUNK = 1 << 16,
};

/* The internal template's record: libfixbuf fills it field by field, in
 * this order (largest first, so there is no padding but the tail). */
struct ixrec {
    uint8_t src6[16], dst6[16], nh6[16], ex6[16];
    uint64_t start_ms, end_ms, start_us, end_us, sysinit;
    uint64_t octd, pktd, octt, pktt, roctd, rpktd, roctt, rpktt;
    uint32_t src4, dst4, nh4, ex4, start_s, end_s, start_up, end_up, in, out, sas, das;
    uint16_t sport, dport, icmp4, icmp6, flags, rflags;
    uint8_t proto, tos, rtos, smask4, dmask4, smask6, dmask6, etype, eid;
    uint8_t pad[3];
};

static fbInfoElementSpec_t spec[] = {
    {"sourceIPv6Address", 16, 0}, {"destinationIPv6Address", 16, 0},
    {"ipNextHopIPv6Address", 16, 0}, {"exporterIPv6Address", 16, 0},
    {"flowStartMilliseconds", 8, 0}, {"flowEndMilliseconds", 8, 0},
    {"flowStartMicroseconds", 8, 0}, {"flowEndMicroseconds", 8, 0},
    {"systemInitTimeMilliseconds", 8, 0},
    {"octetDeltaCount", 8, 0}, {"packetDeltaCount", 8, 0},
    {"octetTotalCount", 8, 0}, {"packetTotalCount", 8, 0},
    {"reverseOctetDeltaCount", 8, 0}, {"reversePacketDeltaCount", 8, 0},
    {"reverseOctetTotalCount", 8, 0}, {"reversePacketTotalCount", 8, 0},
    {"sourceIPv4Address", 4, 0}, {"destinationIPv4Address", 4, 0},
    {"ipNextHopIPv4Address", 4, 0}, {"exporterIPv4Address", 4, 0},
    {"flowStartSeconds", 4, 0}, {"flowEndSeconds", 4, 0},
    {"flowStartSysUpTime", 4, 0}, {"flowEndSysUpTime", 4, 0},
    {"ingressInterface", 4, 0}, {"egressInterface", 4, 0},
    {"bgpSourceAsNumber", 4, 0}, {"bgpDestinationAsNumber", 4, 0},
    {"sourceTransportPort", 2, 0}, {"destinationTransportPort", 2, 0},
    {"icmpTypeCodeIPv4", 2, 0}, {"icmpTypeCodeIPv6", 2, 0},
    {"tcpControlBits", 2, 0}, {"reverseTcpControlBits", 2, 0},
    {"protocolIdentifier", 1, 0}, {"ipClassOfService", 1, 0},
    {"reverseIpClassOfService", 1, 0},
    {"sourceIPv4PrefixLength", 1, 0}, {"destinationIPv4PrefixLength", 1, 0},
    {"sourceIPv6PrefixLength", 1, 0}, {"destinationIPv6PrefixLength", 1, 0},
    {"engineType", 1, 0}, {"engineId", 1, 0},
    {"paddingOctets", 3, 0},
    FB_IESPEC_NULL};

/* What an external template holds, as bits: the elements whose absence
 * and a 0 value mean different things. */
enum {
    H_SRC4 = 1 << 0, H_SRC6 = 1 << 1, H_DST4 = 1 << 2, H_DST6 = 1 << 3,
    H_NH4 = 1 << 4, H_NH6 = 1 << 5, H_EX4 = 1 << 6, H_EX6 = 1 << 7,
    H_MS = 1 << 8, H_US = 1 << 9, H_SEC = 1 << 10, H_UP = 1 << 11, H_INIT = 1 << 12,
    H_OCTD = 1 << 13, H_PKTD = 1 << 14, H_OCTT = 1 << 15, H_PKTT = 1 << 16,
    H_ROCTD = 1 << 17, H_RPKTD = 1 << 18, H_ROCTT = 1 << 19, H_RPKTT = 1 << 20,
    H_ICMP = 1 << 21, H_RTOS = 1 << 22, H_RFLAGS = 1 << 23,
    H_FLOW = H_SRC4 | H_SRC6 | H_DST4 | H_DST6 | H_OCTD | H_PKTD | H_OCTT | H_PKTT,
    H_REV = H_ROCTD | H_RPKTD | H_ROCTT | H_RPKTT,
};

static const struct {
    uint32_t ent;
    uint16_t num;
    uint32_t bit;
} has_tab[] = {
    {0, 8, H_SRC4}, {0, 27, H_SRC6}, {0, 12, H_DST4}, {0, 28, H_DST6},
    {0, 15, H_NH4}, {0, 62, H_NH6}, {0, 130, H_EX4}, {0, 131, H_EX6},
    {0, 152, H_MS}, {0, 153, H_MS}, {0, 154, H_US}, {0, 155, H_US},
    {0, 150, H_SEC}, {0, 151, H_SEC}, {0, 22, H_UP}, {0, 21, H_UP}, {0, 160, H_INIT},
    {0, 1, H_OCTD}, {0, 2, H_PKTD}, {0, 85, H_OCTT}, {0, 86, H_PKTT},
    {PEN_REVERSE, 1, H_ROCTD}, {PEN_REVERSE, 2, H_RPKTD},
    {PEN_REVERSE, 85, H_ROCTT}, {PEN_REVERSE, 86, H_RPKTT},
    {0, 32, H_ICMP}, {0, 139, H_ICMP}, {PEN_REVERSE, 5, H_RTOS}, {PEN_REVERSE, 6, H_RFLAGS},
};

/* What options records announced for an observation domain. */
struct domain {
    uint32_t id;
    uint64_t sysinit;
    bool has_init, has_ex, ex_v6;
    uint32_t ex4;
    uint8_t ex6[16];
};

struct fdsrc {
    int fd;
    bool own, eof;
    unsigned char *buf;
    size_t pos, len, cap;
    uint64_t base;
};

struct memsrc {
    const unsigned char *p;
    size_t pos, n;
};

struct ipfix_reader {
    struct ipfix_io io;
    struct fdsrc fs;
    struct memsrc ms;
    char *name;
    fbInfoModel_t *model;
    fbSession_t *session;
    fBuf_t *fbuf;
    bool in_msg;                   /* fbuf holds a message not read to its end */
    uint64_t msg_at;               /* its byte offset */
    uint32_t dom;                  /* its observation domain */
    struct domain *doms;
    size_t ndoms;
    uint64_t id;
    bool have_rev;                 /* rev is a record still to return */
    struct fq_rec rev;
    uint64_t defined[65536 / 64];  /* template ids defined in the message being checked */
    unsigned char msg[MSG_MAX];
};

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool ipfix_probe(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0 && p[1] == 10;
}

/* ---- libfixbuf set-up -------------------------------------------------- */

/* libfixbuf logs through GLib; flowq reports errors itself, in one line. */
static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)domain, (void)level, (void)msg, (void)data;
}

static once_flag log_once = ONCE_FLAG_INIT;

static void free_ctx(void *ctx, void *app)
{
    (void)app;
    free(ctx);
}

/* A new external template: note which elements it has. */
static void on_template(fbSession_t *session, uint16_t tid, fbTemplate_t *tmpl, void *app,
                        void **ctx, fbTemplateCtxFree_fn *ctx_free)
{
    (void)session, (void)tid, (void)app;
    uint32_t *has = xmalloc(sizeof *has);
    *has = 0;
    const fbInfoElement_t *ie;
    for (uint32_t i = 0; (ie = fbTemplateGetIndexedIE(tmpl, i)) != NULL; i++)
        for (size_t k = 0; k < sizeof has_tab / sizeof has_tab[0]; k++)
            if (ie->num == has_tab[k].num && ie->ent == has_tab[k].ent)
                *has |= has_tab[k].bit;
    *ctx = has;
    *ctx_free = free_ctx;
}

/* libfixbuf's message, condensed to one line. */
static int fb_fail(struct ipfix_reader *r, GError *ge, struct fq_error *err, const char *what)
{
    char m[300];
    snprintf(m, sizeof m, "%s", ge && ge->message ? ge->message : "unknown error");
    for (char *c = m; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    g_clear_error(&ge);
    return fq_fail(err, FQ_E_INPUT, r->name, (int64_t)r->msg_at,
                   "%s in the IPFIX message at byte %llu (libfixbuf: %s)", what,
                   (unsigned long long)r->msg_at, m);
}

/* libfixbuf and the GLib under it share state between readers (its
 * information models, GLib's slice allocator: ThreadSanitizer saw races
 * when several IPFIX files were read on the parallel reader's threads),
 * so every libfixbuf call runs under one lock: IPFIX files are decoded
 * one at a time, their reading and the other formats' stay parallel. */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;

static void quiet_glib(void)
{
    g_log_set_default_handler(quiet_log, NULL);
}

static int fb_build(struct ipfix_reader *r, struct fq_error *err)
{
    GError *ge = NULL;
    r->model = fbInfoModelAlloc();
    r->session = fbSessionAlloc(r->model);
    fbSessionAddNewTemplateCallback(r->session, on_template, r);
    fbTemplate_t *t = fbTemplateAlloc(r->model);
    if (!fbTemplateAppendSpecArray(t, spec, UINT32_MAX, &ge)) {
        fbTemplateFreeUnused(t);
        return fb_fail(r, ge, err, "cannot set up the IPFIX reader");
    }
    if (!fbSessionAddTemplate(r->session, TRUE, INT_TID, t, &ge))
        return fb_fail(r, ge, err, "cannot set up the IPFIX reader");
    r->fbuf = fBufAllocForCollection(r->session, NULL);
    if (!fBufSetInternalTemplate(r->fbuf, INT_TID, &ge))
        return fb_fail(r, ge, err, "cannot set up the IPFIX reader");
    return FQ_OK;
}

static int fb_setup(struct ipfix_reader *r, struct fq_error *err)
{
    call_once(&log_once, quiet_glib);
    pthread_mutex_lock(&model_lock);
    int rc = fb_build(r, err);
    pthread_mutex_unlock(&model_lock);
    return rc;
}

/* ---- byte sources ------------------------------------------------------ */

static ssize_t fd_fill(void *ctx, size_t need, const unsigned char **p, struct fq_error *err)
{
    struct ipfix_reader *r = ctx;
    struct fdsrc *s = &r->fs;
    if (s->len - s->pos < need && !s->eof) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->base += s->pos;
        s->len -= s->pos;
        s->pos = 0;
        if (need + FD_CHUNK > s->cap) {
            s->cap = need + FD_CHUNK;
            s->buf = xrealloc(s->buf, s->cap);
        }
        while (s->len < need) {
            ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                fq_fail(err, FQ_E_INPUT, r->name, (int64_t)(s->base + s->len),
                        "read error at byte %llu: %s", (unsigned long long)(s->base + s->len),
                        strerror(errno));
                return -1;
            }
            if (got == 0) {
                s->eof = true;
                break;
            }
            s->len += (size_t)got;
        }
    }
    *p = s->buf + s->pos;
    return (ssize_t)(s->len - s->pos);
}

static void fd_skip(void *ctx, size_t n)
{
    ((struct ipfix_reader *)ctx)->fs.pos += n;
}

static uint64_t fd_off(void *ctx)
{
    struct fdsrc *s = &((struct ipfix_reader *)ctx)->fs;
    return s->base + s->pos;
}

static ssize_t mem_fill(void *ctx, size_t need, const unsigned char **p, struct fq_error *err)
{
    (void)need, (void)err;
    struct memsrc *s = &((struct ipfix_reader *)ctx)->ms;
    *p = s->p + s->pos;
    return (ssize_t)(s->n - s->pos);
}

static void mem_skip(void *ctx, size_t n)
{
    ((struct ipfix_reader *)ctx)->ms.pos += n;
}

static uint64_t mem_off(void *ctx)
{
    return ((struct ipfix_reader *)ctx)->ms.pos;
}

/* ---- opening and closing ----------------------------------------------- */

struct ipfix_reader *ipfix_open_io(const struct ipfix_io *io, const char *name, struct fq_error *err)
{
    struct ipfix_reader *r = xcalloc(1, sizeof *r);
    r->io = *io;
    r->fs.fd = -1;
    r->name = xstrdup(name);
    if (fb_setup(r, err)) {
        ipfix_close(r);
        return NULL;
    }
    return r;
}

struct ipfix_reader *ipfix_open_fd(int fd, const char *path, const char *name,
                                   const unsigned char *pre, size_t npre, struct fq_error *err)
{
    bool own = false;
    if (path) {
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            fq_fail(err, FQ_E_INPUT, name, -1, "cannot open: %s", strerror(errno));
            return NULL;
        }
        own = true;
    }
    struct ipfix_reader *r = xcalloc(1, sizeof *r);
    r->fs = (struct fdsrc){.fd = fd, .own = own, .cap = npre + FD_CHUNK};
    r->fs.buf = xmalloc(r->fs.cap);
    if (npre)
        memcpy(r->fs.buf, pre, npre);
    r->fs.len = npre;
    r->io = (struct ipfix_io){.ctx = r, .fill = fd_fill, .skip = fd_skip, .off = fd_off};
    r->name = xstrdup(name);
    if (fb_setup(r, err)) {
        ipfix_close(r);
        return NULL;
    }
    return r;
}

struct ipfix_reader *ipfix_open_mem(const unsigned char *p, size_t n, const char *name,
                                    struct fq_error *err)
{
    struct ipfix_reader *r = xcalloc(1, sizeof *r);
    r->fs.fd = -1;
    r->ms = (struct memsrc){.p = p, .n = n};
    r->io = (struct ipfix_io){.ctx = r, .fill = mem_fill, .skip = mem_skip, .off = mem_off};
    r->name = xstrdup(name);
    if (fb_setup(r, err)) {
        ipfix_close(r);
        return NULL;
    }
    return r;
}

void ipfix_close(struct ipfix_reader *r)
{
    if (!r)
        return;
    /* The fBuf owns the session, which owns its templates. */
    if (r->model)
        pthread_mutex_lock(&model_lock);
    if (r->fbuf)
        fBufFree(r->fbuf);
    else if (r->session)
        fbSessionFree(r->session);
    if (r->model) {
        fbInfoModelFree(r->model);
        pthread_mutex_unlock(&model_lock);
    }
    if (r->fs.own)
        close(r->fs.fd);
    free(r->fs.buf);
    free(r->doms);
    free(r->name);
    free(r);
}

/* ---- framing and checking ---------------------------------------------- */

/* Fills *err (one line, ending "at byte N"); returns -1. */
static int corrupt(struct ipfix_reader *r, uint64_t at, struct fq_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int corrupt(struct ipfix_reader *r, uint64_t at, struct fq_error *err, const char *fmt, ...)
{
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    fq_fail(err, FQ_E_INPUT, r->name, (int64_t)at, "%s at byte %llu", m, (unsigned long long)at);
    return -1;
}

/* The template records of a template (2) or options template (3) set
 * m[o..o+sl): their lengths, and which ids they define. */
static int walk_templates(struct ipfix_reader *r, const unsigned char *m, size_t o, size_t sl,
                          bool opt, struct fq_error *err)
{
    size_t p = o + 4, end = o + sl;
    while (end - p >= 4) {
        uint64_t at = r->msg_at + p;
        unsigned tid = be16(m + p), cnt = be16(m + p + 2);
        p += 4;
        if (tid < 256)
            return corrupt(r, at, err, "bad IPFIX template id %u (less than 256)", tid);
        if (opt && cnt) {
            if (end - p < 2)
                return corrupt(r, at, err, "truncated IPFIX options template %u", tid);
            p += 2;
        }
        for (unsigned i = 0; i < cnt; i++) {
            if (end - p < 4 || ((m[p] & 0x80) && end - p < 8))
                return corrupt(r, at, err, "truncated IPFIX template %u (%u fields, set ends after %u)",
                               tid, cnt, i);
            p += m[p] & 0x80 ? 8 : 4;
        }
        if (cnt)
            r->defined[tid / 64] |= UINT64_C(1) << (tid % 64);
    }
    return FQ_OK;
}

/* Check the sets of the message m[0..len): lengths, set ids, templates
 * defined before their data. */
static int walk_sets(struct ipfix_reader *r, const unsigned char *m, size_t len, struct fq_error *err)
{
    memset(r->defined, 0, sizeof r->defined);
    fbSessionSetDomain(r->session, r->dom);
    for (size_t o = MSG_HDR; o < len;) {
        uint64_t at = r->msg_at + o;
        if (len - o < 4)
            return corrupt(r, at, err, "truncated IPFIX set header (%zu bytes left in the message)",
                           len - o);
        unsigned id = be16(m + o), sl = be16(m + o + 2);
        if (sl < 4 || sl > len - o)
            return corrupt(r, at + 2, err, "bad IPFIX set length %u (%zu bytes left in the message)", sl,
                           len - o);
        if (id == 2 || id == 3) {
            if (walk_templates(r, m, o, sl, id == 3, err))
                return -1;
        } else if (id < 256) {
            return corrupt(r, at, err, "bad IPFIX set id %u (2, 3 or a template id of 256 or more)", id);
        } else if (!(r->defined[id / 64] >> (id % 64) & 1) &&
                   !fbSessionGetTemplate(r->session, FALSE, (uint16_t)id, NULL)) {
            return corrupt(r, at, err,
                           "IPFIX data set of template %u, which no template set defined before it", id);
        }
        o += sl;
    }
    return FQ_OK;
}

/* Read and check the next message and give it to libfixbuf.  Returns 1,
 * 0 at the end of the stream, -1 on error. */
static int next_message(struct ipfix_reader *r, struct fq_error *err)
{
    const unsigned char *p;
    ssize_t avail = r->io.fill(r->io.ctx, MSG_HDR, &p, err);
    if (avail < 0)
        return -1;
    r->msg_at = r->io.off(r->io.ctx);
    if (avail == 0 || (avail >= 2 && (p[0] != 0 || p[1] != 10)))
        return 0;
    if (avail < MSG_HDR)
        return corrupt(r, r->msg_at + (uint64_t)avail, err,
                       "truncated IPFIX message header (input ends %zd bytes into it)", avail);
    size_t len = be16(p + 2);
    if (len < MSG_HDR)
        return corrupt(r, r->msg_at + 2, err, "bad IPFIX message length %zu (less than 16)", len);
    avail = r->io.fill(r->io.ctx, len, &p, err);
    if (avail < 0)
        return -1;
    if ((size_t)avail < len)
        return corrupt(r, r->msg_at + (uint64_t)avail, err,
                       "truncated IPFIX message (length %zu, input ends after %zd bytes of it)", len,
                       avail);
    memcpy(r->msg, p, len);
    r->io.skip(r->io.ctx, len);
    r->dom = be32(r->msg + 12);
    if (walk_sets(r, r->msg, len, err))
        return -1;
    fBufSetBuffer(r->fbuf, r->msg, len);
    r->in_msg = true;
    return 1;
}

/* ---- records ----------------------------------------------------------- */

static struct domain *domain(struct ipfix_reader *r, uint32_t id)
{
    for (size_t i = 0; i < r->ndoms; i++)
        if (r->doms[i].id == id)
            return &r->doms[i];
    r->doms = xrealloc(r->doms, (r->ndoms + 1) * sizeof *r->doms);
    r->doms[r->ndoms] = (struct domain){.id = id};
    return &r->doms[r->ndoms++];
}

/* An options (non-flow) record: keep what it says about the domain. */
static void note_options(struct ipfix_reader *r, const struct ixrec *x, uint32_t has)
{
    if (!(has & (H_INIT | H_EX4 | H_EX6)))
        return;
    struct domain *d = domain(r, r->dom);
    if (has & H_INIT) {
        d->sysinit = x->sysinit;
        d->has_init = true;
    }
    if (has & (H_EX4 | H_EX6)) {
        d->has_ex = true;
        d->ex_v6 = (has & H_EX6) && !((has & H_EX4) && x->ex4);
        d->ex4 = d->ex_v6 ? 0 : x->ex4;
        memcpy(d->ex6, d->ex_v6 ? x->ex6 : (const uint8_t[16]){0}, 16);
    }
}

/* One address field: IPv6 when the template has only the IPv6 element,
 * or both and the IPv4 one is 0. */
static void set_addr(struct fq_rec *o, enum fq_field f, uint32_t *dst, bool h4, bool h6, uint32_t v4,
                     const uint8_t *v6)
{
    if (h6 && !(h4 && v4)) {
        o->v6 |= (uint8_t)(1u << f);
        memcpy(o->ip6[f], v6, 16);
        *dst = 0;
    } else {
        *dst = v4;
    }
}

static uint64_t ntp_ms(uint64_t t)
{
    uint64_t s = t >> 32, frac = t & 0xffffffffu;
    return (s >= NTP_UNIX ? (s - NTP_UNIX) * 1000 : 0) + (frac * 1000 >> 32);
}

static void set_times(struct ipfix_reader *r, struct fq_rec *o, const struct ixrec *x, uint32_t has)
{
    if (has & H_MS) {
        o->stime = x->start_ms;
        o->etime = x->end_ms;
    } else if (has & H_US) {
        o->stime = ntp_ms(x->start_us);
        o->etime = ntp_ms(x->end_us);
    } else if (has & H_SEC) {
        o->stime = (uint64_t)x->start_s * 1000;
        o->etime = (uint64_t)x->end_s * 1000;
    } else if (has & H_UP) {
        uint64_t init = x->sysinit;
        if (!(has & H_INIT)) {
            const struct domain *d = domain(r, r->dom);
            init = d->has_init ? d->sysinit : 0;
        }
        o->stime = init + x->start_up;
        o->etime = init + x->end_up;
    }
    uint64_t d = o->etime > o->stime ? o->etime - o->stime : 0;
    o->duration = o->sysuptime = o->last = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    o->first = 0;
    o->unix_secs = (uint32_t)(o->etime / 1000);
    o->unix_nsecs = (uint32_t)(o->etime % 1000 * 1000000);
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint16_t sat16(uint64_t v)
{
    return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/* The forward record of x. */
static void decode(struct ipfix_reader *r, struct fq_rec *o, const struct ixrec *x, uint32_t has)
{
    memset(o, 0, sizeof *o);
    set_addr(o, F_SRCIP, &o->srcip, has & H_SRC4, has & H_SRC6, x->src4, x->src6);
    set_addr(o, F_DSTIP, &o->dstip, has & H_DST4, has & H_DST6, x->dst4, x->dst6);
    set_addr(o, F_NEXTHOP, &o->nexthop, has & H_NH4, has & H_NH6, x->nh4, x->nh6);
    if (has & (H_EX4 | H_EX6)) {
        set_addr(o, F_EXADDR, &o->exaddr, has & H_EX4, has & H_EX6, x->ex4, x->ex6);
    } else {
        const struct domain *d = domain(r, r->dom);
        if (d->has_ex)
            set_addr(o, F_EXADDR, &o->exaddr, !d->ex_v6, d->ex_v6, d->ex4, d->ex6);
    }
    set_times(r, o, x, has);
    o->packets = sat32(has & H_PKTD ? x->pktd : x->pktt);
    o->bytes = sat32(has & H_OCTD ? x->octd : x->octt);
    o->srcport = x->sport;
    /* icmpTypeCode only for ICMP: generic templates (YAF's) carry it, 0,
     * in TCP and UDP records too. */
    bool icmp = (has & H_ICMP) && (x->proto == 1 || x->proto == 58);
    o->dstport = icmp ? (x->icmp4 ? x->icmp4 : x->icmp6) : x->dport;
    o->input = sat16(x->in);
    o->output = sat16(x->out);
    o->src_as = sat16(x->sas);
    o->dst_as = sat16(x->das);
    o->proto = x->proto;
    o->tos = x->tos;
    o->tcp_flags = (uint8_t)x->flags;
    o->src_mask = x->smask4 ? x->smask4 : x->smask6;
    o->dst_mask = x->dmask4 ? x->dmask4 : x->dmask6;
    o->engine_type = x->etype;
    o->engine_id = x->eid;
}

/* The reverse record of a biflow whose forward record is f. */
static void reverse(struct fq_rec *o, const struct fq_rec *f, const struct ixrec *x, uint32_t has)
{
    *o = *f;
    o->v6 = (uint8_t)(f->v6 & ~((1u << F_SRCIP) | (1u << F_DSTIP)));
    if (f->v6 >> F_SRCIP & 1)
        o->v6 |= 1u << F_DSTIP;
    if (f->v6 >> F_DSTIP & 1)
        o->v6 |= 1u << F_SRCIP;
    memcpy(o->ip6[F_SRCIP], f->ip6[F_DSTIP], 16);
    memcpy(o->ip6[F_DSTIP], f->ip6[F_SRCIP], 16);
    o->srcip = f->dstip;
    o->dstip = f->srcip;
    if (!(has & H_ICMP) && f->proto != 1 && f->proto != 58) {
        o->srcport = f->dstport;
        o->dstport = f->srcport;
    }
    o->input = f->output;
    o->output = f->input;
    o->src_as = f->dst_as;
    o->dst_as = f->src_as;
    o->src_mask = f->dst_mask;
    o->dst_mask = f->src_mask;
    o->packets = sat32(has & H_RPKTD ? x->rpktd : x->rpktt);
    o->bytes = sat32(has & H_ROCTD ? x->roctd : x->roctt);
    o->tos = has & H_RTOS ? x->rtos : 0;
    o->tcp_flags = has & H_RFLAGS ? (uint8_t)x->rflags : 0;
}

/* The next data record of the current message into x; 1, 0 at the
 * message's end, -1 on error. */
static int next_data(struct ipfix_reader *r, struct ixrec *x, uint32_t *has, struct fq_error *err)
{
    GError *ge = NULL;
    size_t sz = sizeof *x;
    if (!fBufNext(r->fbuf, (uint8_t *)x, &sz, &ge)) {
        if (g_error_matches(ge, FB_ERROR_DOMAIN, FB_ERROR_BUFSZ) ||
            g_error_matches(ge, FB_ERROR_DOMAIN, FB_ERROR_EOM) ||
            g_error_matches(ge, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
            g_clear_error(&ge);
            r->in_msg = false;
            return 0;
        }
        fb_fail(r, ge, err, "bad IPFIX data");
        return -1;
    }
    uint16_t tid;
    fbTemplate_t *t = fBufGetCollectionTemplate(r->fbuf, &tid);
    const uint32_t *h = t ? fbTemplateGetContext(t) : NULL;
    *has = h ? *h : 0;
    return 1;
}

static ssize_t next_records(struct ipfix_reader *r, struct fq_rec *buf, size_t cap,
                            struct fq_error *err)
{
    size_t n = 0;
    while (n < cap) {
        if (r->have_rev) {
            buf[n] = r->rev;
            buf[n++].rec_id = r->id++;
            r->have_rev = false;
            continue;
        }
        if (!r->in_msg) {
            if (n)
                break;
            int m = next_message(r, err);
            if (m <= 0)
                return m;
            continue;
        }
        struct ixrec x;
        uint32_t has;
        int d = next_data(r, &x, &has, err);
        if (d < 0)
            return -1;
        if (d == 0)
            continue;
        if (!(has & H_FLOW)) {
            note_options(r, &x, has);
            continue;
        }
        decode(r, &buf[n], &x, has);
        if ((has & H_REV) && (x.roctd || x.rpktd || x.roctt || x.rpktt)) {
            reverse(&r->rev, &buf[n], &x, has);
            r->have_rev = true;
        }
        buf[n++].rec_id = r->id++;
    }
    return (ssize_t)n;
}

ssize_t ipfix_next(struct ipfix_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{
    pthread_mutex_lock(&model_lock);
    ssize_t n = next_records(r, buf, cap, err);
    pthread_mutex_unlock(&model_lock);
    return n;
}
