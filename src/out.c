/* SPDX-License-Identifier: MIT
 * Output formats: text, csv, tsv, json, ndjson (formatted by hand into one
 * large buffer, written in big chunks) and ft (the flow-tools writer).
 * The header (or JSON's opening bracket) is written on the first record or
 * row, or at close, so that every output is well-formed even when empty or
 * cut short by an input error.
 */
#include "out.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ftio.h"
#include "ip6.h"
#include "util.h"

enum {
    BUF_BYTES = 1 << 18,
    REC_MAX = F_COUNT * 80 + 64,   /* longest formatted record, any format */
    VAL_MAX = 64,                  /* longest scalar value */
};

/* The default record columns (README of the golden traces). */
static const enum fq_field default_fields[] = {
    F_STIME, F_ETIME, F_SRCIP, F_SRCPORT, F_DSTIP, F_DSTPORT, F_PROTO, F_PACKETS,
    F_BYTES, F_TCP_FLAGS, F_TOS, F_INPUT, F_OUTPUT, F_SRC_AS, F_DST_AS, F_SRC_MASK,
    F_DST_MASK, F_NEXTHOP, F_EXADDR, F_ENGINE_TYPE, F_ENGINE_ID, F_DURATION,
};

/* How a record column is loaded and printed (precomputed: the record
 * loop then needs no table lookups). */
enum kind { K_U8, K_U16, K_U32, K_U64, K_ADDR, K_TIME };

/* One output column: records use field/kind/off, rows use type/elem. */
struct col {
    char *name;            /* as the header shows it (csv/tsv: quoted if need be) */
    char *key;             /* json: "name": with the leading { or , */
    size_t key_len;
    enum fq_vtype type, elem;
    enum fq_field field;
    enum kind kind;
    size_t off;            /* offset of the field in struct fq_rec */
    unsigned width;        /* text: column width */
    bool right;            /* text: right-aligned */
};

struct out {
    FILE *fp;
    enum fq_fmt fmt;
    enum fq_tfmt tfmt;
    bool no_header;
    struct col *cols;
    size_t ncols;
    bool rows;             /* out_begin_rows was called */
    bool dflt;             /* record columns are the default set */
    bool started;          /* header / opening bracket written */
    size_t count;
    uint64_t max;          /* -c; 0 = no limit */
    char *buf;
    size_t len, cap;
    struct ft_writer *w;
    bool failed;
    bool ip6;              /* text: address columns fit IPv6 */
    const struct ip6_tab *t6;  /* IPv6 keys of group values */
    int64_t day;           /* date cache: day number and its "YYYY-MM-DD" */
    char date[24];
    size_t date_len;
    char octets[256][4];   /* see octet_table() */
    int64_t lsec;          /* --localtime cache: second and its text */
    char ltext[48];
    size_t ltext_len;
};

/* ---- scalar formatting --------------------------------------------------- */

static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline unsigned ndigits(uint64_t v)
{
    unsigned n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Decimal, written backwards in place: no temporary, no variable-length
 * memcpy (which dominated the profile of -o csv). */
static inline char *put_u64(char *p, uint64_t v)
{
    char *e = p + ndigits(v), *q = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--q = digits2[d + 1];
        *--q = digits2[d];
    }
    if (v >= 10) {
        *--q = digits2[v * 2 + 1];
        *--q = digits2[v * 2];
    } else {
        *--q = (char)('0' + v);
    }
    return e;
}

static char *put_2(char *p, unsigned v)
{
    p[0] = digits2[v * 2];
    p[1] = digits2[v * 2 + 1];
    return p + 2;
}

/* An octet as up to 3 digits: ASCII in bytes 0-2, length in byte 3. */
static void octet_table(char t[256][4])
{
    for (unsigned i = 0; i < 256; i++) {
        char *e = put_u64(t[i], i);
        t[i][3] = (char)(e - t[i]);
    }
}

static inline char *put_octet(char *p, const char (*t)[4], unsigned v)
{
    memcpy(p, t[v], 4);   /* fixed size: one store; the spare byte is overwritten next */
    return p + t[v][3];
}

static char *put_addr(const struct out *o, char *p, uint32_t a)
{
    p = put_octet(p, o->octets, a >> 24);
    *p++ = '.';
    p = put_octet(p, o->octets, (a >> 16) & 0xff);
    *p++ = '.';
    p = put_octet(p, o->octets, (a >> 8) & 0xff);
    *p++ = '.';
    p = put_octet(p, o->octets, a & 0xff);
    return p;
}

/* Proleptic Gregorian date of a day number (days since 1970-01-01). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static char *put_date(char *p, int64_t y, unsigned m, unsigned d)
{
    if (y >= 0 && y <= 9999) {
        p = put_2(p, (unsigned)(y / 100));
        p = put_2(p, (unsigned)(y % 100));
    } else {
        p = put_u64(p, (uint64_t)(y < 0 ? 0 : y));
    }
    *p++ = '-';
    p = put_2(p, m);
    *p++ = '-';
    return put_2(p, d);
}

/* RFC 3339 UTC with milliseconds: 2009-12-07T22:58:54.835Z */
static char *put_utc(struct out *o, char *p, uint64_t ms)
{
    int64_t day = (int64_t)(ms / 86400000u);
    unsigned rem = (unsigned)(ms % 86400000u);
    if (day != o->day) {
        int64_t y;
        unsigned m, d;
        civil(day, &y, &m, &d);
        o->date_len = (size_t)(put_date(o->date, y, m, d) - o->date);
        o->day = day;
    }
    if (o->date_len == 10)
        memcpy(p, o->date, 10);  /* the usual 4-digit year: a fixed-size copy */
    else
        memcpy(p, o->date, o->date_len);
    p += o->date_len;
    *p++ = 'T';
    p = put_2(p, rem / 3600000u);
    *p++ = ':';
    p = put_2(p, rem / 60000u % 60u);
    *p++ = ':';
    p = put_2(p, rem / 1000u % 60u);
    *p++ = '.';
    unsigned msec = rem % 1000u;
    *p++ = (char)('0' + msec / 100);
    p = put_2(p, msec % 100);
    *p++ = 'Z';
    return p;
}

/* Local time with the zone's numeric offset: 2009-12-07T23:58:54.835+01:00 */
static char *put_local(struct out *o, char *p, uint64_t ms)
{
    int64_t sec = (int64_t)(ms / 1000u);
    unsigned msec = (unsigned)(ms % 1000u);
    if (sec != o->lsec || !o->ltext_len) {
        struct tm tm;
        time_t t = (time_t)sec;
        if (!localtime_r(&t, &tm))
            return put_utc(o, p, ms);
        char *q = put_date(o->ltext, (int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                           (unsigned)tm.tm_mday);
        *q++ = 'T';
        q = put_2(q, (unsigned)tm.tm_hour);
        *q++ = ':';
        q = put_2(q, (unsigned)tm.tm_min);
        *q++ = ':';
        q = put_2(q, (unsigned)tm.tm_sec);
        o->ltext_len = (size_t)(q - o->ltext);
        o->lsec = sec;
        long off = tm.tm_gmtoff;
        char *z = o->ltext + o->ltext_len + 4; /* after ".mmm" */
        *z++ = off < 0 ? '-' : '+';
        if (off < 0)
            off = -off;
        z = put_2(z, (unsigned)(off / 3600 % 100));
        *z++ = ':';
        put_2(z, (unsigned)(off / 60 % 60));
    }
    memcpy(p, o->ltext, o->ltext_len);
    p += o->ltext_len;
    *p++ = '.';
    *p++ = (char)('0' + msec / 100);
    p = put_2(p, msec % 100);
    memcpy(p, o->ltext + o->ltext_len + 4, 6);
    return p + 6;
}

static char *put_time(struct out *o, char *p, uint64_t ms)
{
    switch (o->tfmt) {
    case TFMT_EPOCH: return put_u64(p, ms);
    case TFMT_LOCAL: return put_local(o, p, ms);
    default: return put_utc(o, p, ms);
    }
}

static char *put_real(char *p, double d, bool json)
{
    if (json && !isfinite(d)) {
        memcpy(p, "null", 4);
        return p + 4;
    }
    int n = snprintf(p, VAL_MAX, "%.17g", d);
    return p + (n > 0 && n < VAL_MAX ? n : 0);
}

/* A scalar of type t; times and addresses quoted when json (epoch times are
 * JSON numbers). */
static char *put_scalar(struct out *o, char *p, enum fq_vtype t, uint64_t v, bool json)
{
    switch (t) {
    case VT_ADDR:
        if (json)
            *p++ = '"';
        if (v >= IP6_KEY && o->t6)
            p = ip6_put(p, ip6_tab_addr(o->t6, v));
        else
            p = put_addr(o, p, (uint32_t)v);
        if (json)
            *p++ = '"';
        return p;
    case VT_TIME:
        if (json && o->tfmt != TFMT_EPOCH) {
            *p++ = '"';
            p = put_time(o, p, v);
            *p++ = '"';
            return p;
        }
        return put_time(o, p, v);
    default:
        return put_u64(p, v);
    }
}

/* Field c of record r. */
static inline char *put_field(struct out *o, char *p, const struct col *c, const struct fq_rec *r,
                              bool json)
{
    const unsigned char *m = (const unsigned char *)r + c->off;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (c->kind) {
    case K_U8:
        return put_u64(p, *m);
    case K_U16:
        memcpy(&v16, m, 2);
        return put_u64(p, v16);
    case K_U32:
        memcpy(&v32, m, 4);
        return put_u64(p, v32);
    case K_U64:
        memcpy(&v64, m, 8);
        return put_u64(p, v64);
    case K_ADDR:
        if (r->v6 & 1u << c->field) {
            if (json)
                *p++ = '"';
            p = ip6_put(p, r->ip6[c->field]);
            if (json)
                *p++ = '"';
            return p;
        }
        memcpy(&v32, m, 4);
        return put_scalar(o, p, VT_ADDR, v32, json);
    default:
        memcpy(&v64, m, 8);
        return put_scalar(o, p, VT_TIME, v64, json);
    }
}

/* Address field f of r, IPv4 or IPv6. */
static inline char *put_raddr(const struct out *o, char *p, const struct fq_rec *r,
                              enum fq_field f, uint32_t v4)
{
    if (r->v6 & 1u << f)
        return ip6_put(p, r->ip6[f]);
    return put_addr(o, p, v4);
}

/* The default columns of a csv/tsv record, in default_fields order, with
 * no per-column dispatch: --print -o csv spends most of its time here. */
static char *put_default(struct out *o, char *p, const struct fq_rec *r, char sep)
{
    p = put_time(o, p, r->stime);
    *p++ = sep;
    p = put_time(o, p, r->etime);
    *p++ = sep;
    p = put_raddr(o, p, r, F_SRCIP, r->srcip);
    *p++ = sep;
    p = put_u64(p, r->srcport);
    *p++ = sep;
    p = put_raddr(o, p, r, F_DSTIP, r->dstip);
    *p++ = sep;
    p = put_u64(p, r->dstport);
    *p++ = sep;
    p = put_u64(p, r->proto);
    *p++ = sep;
    p = put_u64(p, r->packets);
    *p++ = sep;
    p = put_u64(p, r->bytes);
    *p++ = sep;
    p = put_u64(p, r->tcp_flags);
    *p++ = sep;
    p = put_u64(p, r->tos);
    *p++ = sep;
    p = put_u64(p, r->input);
    *p++ = sep;
    p = put_u64(p, r->output);
    *p++ = sep;
    p = put_u64(p, r->src_as);
    *p++ = sep;
    p = put_u64(p, r->dst_as);
    *p++ = sep;
    p = put_u64(p, r->src_mask);
    *p++ = sep;
    p = put_u64(p, r->dst_mask);
    *p++ = sep;
    p = put_raddr(o, p, r, F_NEXTHOP, r->nexthop);
    *p++ = sep;
    p = put_raddr(o, p, r, F_EXADDR, r->exaddr);
    *p++ = sep;
    p = put_u64(p, r->engine_type);
    *p++ = sep;
    p = put_u64(p, r->engine_id);
    *p++ = sep;
    return put_u64(p, r->duration);
}

/* ---- the buffer ---------------------------------------------------------- */

static int out_flush(struct out *o, struct fq_error *err)
{
    if (o->failed)
        return err && err->code ? err->code : FQ_E_OUTPUT;
    errno = 0;
    if (o->len && fwrite(o->buf, 1, o->len, o->fp) != o->len) {
        o->failed = true;
        o->len = 0;
        if (errno == EPIPE)
            return fq_fail(err, FQ_E_PIPE, NULL, -1, "broken pipe");
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "write error: %s",
                       errno ? strerror(errno) : "short write");
    }
    o->len = 0;
    return FQ_OK;
}

/* Room for n more bytes at o->buf + o->len. */
static int reserve(struct out *o, size_t n, struct fq_error *err)
{
    if (o->len + n <= o->cap)
        return FQ_OK;
    if (out_flush(o, err))
        return err->code;
    if (n > o->cap) {
        o->cap = n;
        o->buf = xrealloc(o->buf, o->cap);
    }
    return FQ_OK;
}

static int put(struct out *o, const char *s, size_t n, struct fq_error *err)
{
    if (reserve(o, n, err))
        return err->code;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    return FQ_OK;
}

/* ---- columns and headers ------------------------------------------------- */

static bool needs_quotes(const char *s, char sep)
{
    for (; *s; s++)
        if (*s == sep || *s == '"' || *s == '\n' || *s == '\r')
            return true;
    return false;
}

/* RFC 4180 quoting when the value holds the separator, a quote or a line
 * break; else the text as is.  Returns the end. */
static char *put_quoted(char *p, const char *s, char sep)
{
    if (!needs_quotes(s, sep)) {
        size_t n = strlen(s);
        memcpy(p, s, n);
        return p + n;
    }
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

static char *put_json_str(char *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    return p;
}

static unsigned uint_width(unsigned bits)
{
    return bits <= 8 ? 3 : bits <= 16 ? 5 : bits <= 32 ? 10 : 20;
}

static unsigned addr_width(const struct out *o)
{
    return o->ip6 ? IP6_TEXT_MAX - 1 : 15;
}

static unsigned time_width(enum fq_tfmt t)
{
    return t == TFMT_EPOCH ? 13 : t == TFMT_LOCAL ? 29 : 24;
}

static char sep_of(enum fq_fmt f)
{
    return f == FMT_TSV ? '\t' : f == FMT_CSV ? ',' : ' ';
}

static void col_init(struct out *o, struct col *c, const char *name, enum fq_vtype type,
                     enum fq_vtype elem, unsigned bits)
{
    size_t n = strlen(name);
    c->type = type;
    c->elem = elem;
    c->name = xmalloc(2 * n + 3);
    *put_quoted(c->name, name, sep_of(o->fmt)) = '\0';
    c->key = xmalloc(6 * n + 5);
    char *k = c->key;
    *k++ = c == o->cols ? '{' : ',';
    k = put_json_str(k, name);
    *k++ = ':';
    c->key_len = (size_t)(k - c->key);
    unsigned w;
    switch (type) {
    case VT_TIME: w = time_width(o->tfmt); break;
    case VT_ADDR: w = addr_width(o); break;
    case VT_UINT: w = uint_width(bits); break;
    case VT_REAL: w = 12; break;
    default: w = 0; break;
    }
    c->right = type == VT_UINT || type == VT_REAL || (type == VT_TIME && o->tfmt == TFMT_EPOCH);
    c->width = w > n ? w : (unsigned)n;
}

static void free_cols(struct out *o)
{
    for (size_t i = 0; i < o->ncols; i++) {
        free(o->cols[i].name);
        free(o->cols[i].key);
    }
    free(o->cols);
    o->cols = NULL;
    o->ncols = 0;
}

/* Pad the cell [start, p) of column c to its width; the last column is
 * not padded on the right (no trailing blanks). */
static char *pad_cell(char *start, char *p, const struct col *c, bool last)
{
    size_t n = (size_t)(p - start);
    if (n >= c->width)
        return p;
    size_t fill = c->width - n;
    if (c->right) {
        memmove(start + fill, start, n);
        memset(start, ' ', fill);
        return p + fill;
    }
    if (last)
        return p;
    memset(p, ' ', fill);
    return p + fill;
}

static int write_header(struct out *o, struct fq_error *err)
{
    o->started = true;
    if (o->fmt == FMT_JSON || o->fmt == FMT_NDJSON || o->fmt == FMT_FT || o->no_header)
        return FQ_OK;
    for (size_t i = 0; i < o->ncols; i++) {
        const struct col *c = &o->cols[i];
        size_t n = strlen(c->name);
        if (reserve(o, n + c->width + 2, err))
            return err->code;
        char *start = o->buf + o->len, *p = start;
        if (i)
            *p++ = sep_of(o->fmt);
        char *cell = p;
        memcpy(p, c->name, n);
        p += n;
        if (o->fmt == FMT_TEXT)
            p = pad_cell(cell, p, c, i + 1 == o->ncols);
        o->len += (size_t)(p - start);
    }
    return put(o, "\n", 1, err);
}

struct out *out_open(FILE *fp, const struct out_opts *opts, struct fq_error *err)
{
    struct out *o = xcalloc(1, sizeof *o);
    o->fp = fp;
    o->fmt = opts->fmt;
    o->tfmt = opts->tfmt;
    o->no_header = opts->no_header;
    o->max = opts->max;
    o->ip6 = opts->ip6;
    o->day = -1;
    octet_table(o->octets);
    if (o->fmt == FMT_FT) {
        o->w = ft_writer_open(fp, opts->zlevel, err);
        if (!o->w) {
            free(o);
            return NULL;
        }
        return o;
    }
    const enum fq_field *f = opts->fields ? opts->fields : default_fields;
    size_t nf = opts->fields ? opts->nfields : sizeof default_fields / sizeof default_fields[0];
    o->dflt = nf == sizeof default_fields / sizeof default_fields[0] &&
              memcmp(f, default_fields, sizeof default_fields) == 0;
    o->cols = xcalloc(nf ? nf : 1, sizeof *o->cols);
    o->ncols = nf;
    for (size_t i = 0; i < nf; i++) {
        const struct fq_field_info *fi = &fq_fields[f[i]];
        o->cols[i].field = f[i];
        o->cols[i].off = fi->offset;
        o->cols[i].kind = fi->type == VT_TIME ? K_TIME
                          : fi->type == VT_ADDR ? K_ADDR
                          : fi->size == 1      ? K_U8
                          : fi->size == 2      ? K_U16
                          : fi->size == 4      ? K_U32
                                               : K_U64;
        col_init(o, &o->cols[i], fq_fields[f[i]].name, fq_fields[f[i]].type, VT_UINT,
                 fq_fields[f[i]].width);
    }
    o->cap = BUF_BYTES;
    o->buf = xmalloc(o->cap);
    return o;
}

/* ---- records ------------------------------------------------------------- */

/* -c: the record or row after the last one wanted ends the run. */
static int cut(const struct out *o, struct fq_error *err)
{
    return fq_fail(err, FQ_E_CUT, NULL, -1, "output cut after %llu (-c)",
                   (unsigned long long)o->max);
}

int out_record(struct out *o, const struct fq_rec *r, struct fq_error *err)
{
    if (o->failed)
        return err->code ? err->code : FQ_E_OUTPUT;
    if (o->max && o->count >= o->max)
        return cut(o, err);
    if (o->fmt == FMT_FT) {
        if (ft_writer_put(o->w, r, err)) {
            o->failed = true;
            return err->code;
        }
        o->count++;
        return FQ_OK;
    }
    if (o->rows)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: a record after group rows");
    if (!o->started && write_header(o, err))
        return err->code;
    if (reserve(o, REC_MAX, err))
        return err->code;
    char *p = o->buf + o->len;
    size_t n = o->ncols;
    switch (o->fmt) {
    case FMT_CSV:
    case FMT_TSV: {
        char sep = sep_of(o->fmt);
        if (o->dflt) {
            p = put_default(o, p, r, sep);
        } else {
            for (size_t i = 0; i < n; i++) {
                if (i)
                    *p++ = sep;
                p = put_field(o, p, &o->cols[i], r, false);
            }
        }
        *p++ = '\n';
        break;
    }
    case FMT_TEXT:
        for (size_t i = 0; i < n; i++) {
            if (i)
                *p++ = ' ';
            char *cell = p;
            p = put_field(o, p, &o->cols[i], r, false);
            p = pad_cell(cell, p, &o->cols[i], i + 1 == n);
        }
        *p++ = '\n';
        break;
    case FMT_JSON:
    case FMT_NDJSON:
        if (o->fmt == FMT_JSON) {
            memcpy(p, o->count ? ",\n" : "[\n", 2);
            p += 2;
        }
        for (size_t i = 0; i < n; i++) {
            memcpy(p, o->cols[i].key, o->cols[i].key_len);
            p += o->cols[i].key_len;
            p = put_field(o, p, &o->cols[i], r, true);
        }
        if (n == 0)
            *p++ = '{';
        *p++ = '}';
        if (o->fmt == FMT_NDJSON)
            *p++ = '\n';
        break;
    default:
        break;
    }
    o->len = (size_t)(p - o->buf);
    o->count++;
    if (o->len > o->cap - REC_MAX)
        return out_flush(o, err);
    return FQ_OK;
}

/* ---- generic rows -------------------------------------------------------- */

int out_begin_rows(struct out *o, const struct out_col *cols, size_t ncols, struct fq_error *err)
{
    if (o->fmt == FMT_FT)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1,
                       "-o ft holds flow records only, not group records");
    if (o->started && !o->rows)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: rows begun after records");
    free_cols(o);
    o->cols = xcalloc(ncols ? ncols : 1, sizeof *o->cols);
    o->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        col_init(o, &o->cols[i], cols[i].name, cols[i].type, cols[i].elem, 32);
    o->rows = true;
    return write_header(o, err);
}

/* Worst-case bytes of one formatted value. */
static size_t val_size(const struct col *c, const union fq_val *v)
{
    switch (c->type) {
    case VT_SET: return (v->set ? v->set->n : 0) * (VAL_MAX + 4) + 4 + c->width;
    case VT_STR: return (v->s ? 6 * strlen(v->s) : 0) + 4 + c->width;
    default: return VAL_MAX + c->width;
    }
}

int out_row(struct out *o, const union fq_val *vals, struct fq_error *err)
{
    if (o->failed)
        return err->code ? err->code : FQ_E_OUTPUT;
    if (o->max && o->count >= o->max)
        return cut(o, err);
    if (!o->rows)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: a row before out_begin_rows");
    bool json = o->fmt == FMT_JSON || o->fmt == FMT_NDJSON;
    char sep = sep_of(o->fmt);
    if (o->fmt == FMT_JSON && put(o, o->count ? ",\n" : "[\n", 2, err))
        return err->code;
    for (size_t i = 0; i < o->ncols; i++) {
        const struct col *c = &o->cols[i];
        const union fq_val *v = &vals[i];
        if (reserve(o, c->key_len + 2 + val_size(c, v), err))
            return err->code;
        char *p = o->buf + o->len;
        if (json) {
            memcpy(p, c->key, c->key_len);
            p += c->key_len;
        } else if (i) {
            *p++ = sep;
        }
        char *cell = p;
        switch (c->type) {
        case VT_REAL:
            p = put_real(p, v->d, json);
            break;
        case VT_STR:
            if (json)
                p = put_json_str(p, v->s ? v->s : "");
            else
                p = put_quoted(p, v->s ? v->s : "", sep);
            break;
        case VT_SET:
            if (json)
                *p++ = '[';
            for (size_t k = 0; v->set && k < v->set->n; k++) {
                if (k)
                    *p++ = json ? ',' : ' ';
                p = put_scalar(o, p, c->elem, v->set->v[k], json);
            }
            if (json)
                *p++ = ']';
            break;
        default:
            p = put_scalar(o, p, c->type, v->u, json);
            break;
        }
        if (o->fmt == FMT_TEXT)
            p = pad_cell(cell, p, c, i + 1 == o->ncols);
        o->len = (size_t)(p - o->buf);
    }
    if (json && put(o, o->ncols ? "}" : "{}", o->ncols ? 1 : 2, err))
        return err->code;
    if (o->fmt != FMT_JSON && put(o, "\n", 1, err))
        return err->code;
    o->count++;
    if (o->len > o->cap / 2)
        return out_flush(o, err);
    return FQ_OK;
}

/* ---- the end ------------------------------------------------------------- */

int out_close(struct out *o, struct fq_error *err)
{
    if (!o)
        return FQ_OK;
    int rc = FQ_OK;
    if (o->fmt == FMT_FT) {
        rc = ft_writer_close(o->w, err);
    } else if (!o->failed) {
        if (!o->started)
            rc = write_header(o, err);
        if (!rc && o->fmt == FMT_JSON)
            rc = o->count ? put(o, "\n]\n", 3, err) : put(o, "[]\n", 3, err);
        if (!rc)
            rc = out_flush(o, err);
        if (!rc) {
            errno = 0;
            if (fflush(o->fp) != 0)
                rc = errno == EPIPE ? fq_fail(err, FQ_E_PIPE, NULL, -1, "broken pipe")
                                    : fq_fail(err, FQ_E_OUTPUT, NULL, -1, "write error: %s",
                                              strerror(errno));
        }
    } else {
        rc = err->code ? err->code : FQ_E_OUTPUT;
    }
    free_cols(o);
    free(o->buf);
    free(o);
    return rc;
}

size_t out_count(const struct out *o)
{
    return o->count;
}

void out_set_ip6(struct out *o, const struct ip6_tab *t)
{
    o->t6 = t;
    if (!t || t->n == 0 || o->started || o->ip6)
        return;
    /* the run holds IPv6 addresses: text address columns fit them */
    o->ip6 = true;
    for (size_t i = 0; i < o->ncols; i++)
        if (o->cols[i].type == VT_ADDR && o->cols[i].width < addr_width(o))
            o->cols[i].width = addr_width(o);
}
