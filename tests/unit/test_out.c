/* SPDX-License-Identifier: MIT
 * Output formats: exact text of records and group rows in every format,
 * the hand-made time formatting against gmtime_r over many values, empty
 * outputs, RFC 4180 quoting, JSON escaping, and write errors (ENOSPC,
 * EPIPE).
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ip6.h"
#include "out.h"

struct mem {
    char *buf;
    size_t len;
    FILE *fp;
};

static struct out *open_mem(struct mem *m, struct out_opts o)
{
    m->buf = NULL;
    m->len = 0;
    m->fp = open_memstream(&m->buf, &m->len);
    ck_assert_ptr_nonnull(m->fp);
    struct fq_error err = {.offset = -1};
    struct out *out = out_open(m->fp, &o, &err);
    ck_assert_ptr_nonnull(out);
    return out;
}

/* Close the output, return its text (caller frees). */
static char *close_mem(struct mem *m, struct out *out)
{
    struct fq_error err = {.offset = -1};
    ck_assert_int_eq(out_close(out, &err), 0);
    fclose(m->fp);
    return m->buf;
}

static struct fq_rec rec(void)
{
    struct fq_rec r;
    memset(&r, 0, sizeof r);
    r.unix_secs = 1260226804;
    r.unix_nsecs = 6027000;
    r.sysuptime = 1048581001;
    r.first = 1048511830;
    r.last = 1048512830;
    r.srcip = 0xC0A800C8;
    r.dstip = 0xE00000FB;
    r.srcport = 5353;
    r.dstport = 53;
    r.proto = 17;
    r.packets = 2;
    r.bytes = 4294967295u;
    r.exaddr = 0x7F000001;
    r.rec_id = 12345678901234ull;
    rec_derive(&r);
    return r;
}

static const enum fq_field some[] = {F_STIME, F_SRCIP, F_DSTPORT, F_BYTES, F_DURATION};

static char *one(enum fq_fmt fmt, enum fq_tfmt tfmt, bool noh, size_t nrec)
{
    struct mem m;
    struct out_opts o = {.fmt = fmt, .tfmt = tfmt, .no_header = noh, .fields = some, .nfields = 5};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    struct fq_rec r = rec();
    for (size_t i = 0; i < nrec; i++)
        ck_assert_int_eq(out_record(out, &r, &err), 0);
    ck_assert_uint_eq(out_count(out), nrec);
    return close_mem(&m, out);
}

START_TEST(record_formats)
{
    char *s;
    s = one(FMT_CSV, TFMT_ISO, false, 1);
    ck_assert_str_eq(s, "stime,srcip,dstport,bytes,duration\n"
                        "2009-12-07T22:58:54.835Z,192.168.0.200,53,4294967295,1000\n");
    free(s);
    s = one(FMT_TSV, TFMT_EPOCH, true, 2);
    ck_assert_str_eq(s, "1260226734835\t192.168.0.200\t53\t4294967295\t1000\n"
                        "1260226734835\t192.168.0.200\t53\t4294967295\t1000\n");
    free(s);
    s = one(FMT_JSON, TFMT_ISO, false, 2);
    ck_assert_str_eq(s, "[\n"
                        "{\"stime\":\"2009-12-07T22:58:54.835Z\",\"srcip\":\"192.168.0.200\",\"dstport\":53,"
                        "\"bytes\":4294967295,\"duration\":1000},\n"
                        "{\"stime\":\"2009-12-07T22:58:54.835Z\",\"srcip\":\"192.168.0.200\",\"dstport\":53,"
                        "\"bytes\":4294967295,\"duration\":1000}\n]\n");
    free(s);
    s = one(FMT_NDJSON, TFMT_EPOCH, false, 1);
    ck_assert_str_eq(s, "{\"stime\":1260226734835,\"srcip\":\"192.168.0.200\",\"dstport\":53,"
                        "\"bytes\":4294967295,\"duration\":1000}\n");
    free(s);
    s = one(FMT_TEXT, TFMT_ISO, false, 1);
    ck_assert_str_eq(s, "stime                    srcip           dstport      bytes   duration\n"
                        "2009-12-07T22:58:54.835Z 192.168.0.200        53 4294967295       1000\n");
    free(s);
}
END_TEST

START_TEST(empty_outputs)
{
    char *s;
    s = one(FMT_JSON, TFMT_ISO, false, 0);
    ck_assert_str_eq(s, "[]\n");
    free(s);
    s = one(FMT_NDJSON, TFMT_ISO, false, 0);
    ck_assert_str_eq(s, "");
    free(s);
    s = one(FMT_CSV, TFMT_ISO, false, 0);
    ck_assert_str_eq(s, "stime,srcip,dstport,bytes,duration\n");
    free(s);
    s = one(FMT_CSV, TFMT_ISO, true, 0);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(default_fields_and_rec_id)
{
    struct mem m;
    struct out_opts o = {.fmt = FMT_CSV};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    struct fq_rec r = rec();
    ck_assert_int_eq(out_record(out, &r, &err), 0);
    char *s = close_mem(&m, out);
    ck_assert_str_eq(s, "stime,etime,srcip,srcport,dstip,dstport,proto,packets,bytes,tcp_flags,tos,input,"
                        "output,src_as,dst_as,src_mask,dst_mask,nexthop,exaddr,engine_type,engine_id,duration\n"
                        "2009-12-07T22:58:54.835Z,2009-12-07T22:58:55.835Z,192.168.0.200,5353,224.0.0.251,53,"
                        "17,2,4294967295,0,0,0,0,0,0,0,0,0.0.0.0,127.0.0.1,0,0,1000\n");
    free(s);
    static const enum fq_field id[] = {F_REC_ID};
    struct out_opts o2 = {.fmt = FMT_TEXT, .fields = id, .nfields = 1};
    out = open_mem(&m, o2);
    ck_assert_int_eq(out_record(out, &r, &err), 0);
    s = close_mem(&m, out);
    ck_assert_str_eq(s, "              rec_id\n      12345678901234\n");
    free(s);
}
END_TEST

/* put_utc's civil-date arithmetic against the C library, 1970..2400. */
START_TEST(times_against_gmtime)
{
    static const enum fq_field st[] = {F_STIME};
    struct mem m;
    struct out_opts o = {.fmt = FMT_CSV, .no_header = true, .fields = st, .nfields = 1};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    enum { N = 20000 };
    uint64_t *ms = malloc(N * sizeof *ms);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ms[i] = i < 4 ? (uint64_t[]){0, 951782400000ull, 4102444799999ull, 13569465599999ull}[i]
                      : x % 13569465600000ull;   /* below 2400-01-01 */
        struct fq_rec r = {0};
        r.stime = ms[i];
        ck_assert_int_eq(out_record(out, &r, &err), 0);
    }
    char *s = close_mem(&m, out);
    char *line = s;
    for (int i = 0; i < N; i++) {
        time_t t = (time_t)(ms[i] / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char want[64];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\n", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms[i] % 1000));
        ck_assert_int_eq(strncmp(line, want, strlen(want)), 0);
        line += strlen(want);
    }
    ck_assert_str_eq(line, "");
    ck_assert_int_eq(strncmp(s, "1970-01-01T00:00:00.000Z\n2000-02-29T00:00:00.000Z\n"
                                "2099-12-31T23:59:59.999Z\n2399-12-31T23:59:59.999Z\n", 100), 0);
    free(s);
    free(ms);
}
END_TEST

START_TEST(localtime_offsets)
{
    setenv("TZ", "XYZ-5:30", 1);
    tzset();
    static const enum fq_field st[] = {F_STIME, F_ETIME};
    struct mem m;
    struct out_opts o = {.fmt = FMT_CSV, .tfmt = TFMT_LOCAL, .no_header = true, .fields = st, .nfields = 2};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    struct fq_rec r = {0};
    r.stime = 1260226734835ull;
    r.etime = 1260226734999ull;
    ck_assert_int_eq(out_record(out, &r, &err), 0);
    char *s = close_mem(&m, out);
    ck_assert_str_eq(s, "2009-12-08T04:28:54.835+05:30,2009-12-08T04:28:54.999+05:30\n");
    free(s);
    setenv("TZ", "UTC", 1);
    tzset();
}
END_TEST


/* RFC 5952 text of the address text s names (parsed by inet_pton). */
static void rfc5952(const char *in, const char *want)
{
    uint8_t a[16];
    ck_assert_msg(ip6_parse(in, strlen(in), a), "%s", in);
    char buf[IP6_TEXT_MAX];
    *ip6_put(buf, a) = '\0';
    ck_assert_str_eq(buf, want);
}

START_TEST(ipv6_text)
{
    /* RFC 5952 section 4 */
    rfc5952("2001:0db8::0001", "2001:db8::1");                     /* 4.1 leading zeros */
    rfc5952("2001:db8:0:0:0:0:2:1", "2001:db8::2:1");              /* 4.2.1 shorten */
    rfc5952("2001:db8::0:1", "2001:db8::1");
    rfc5952("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");      /* 4.2.2 one group */
    rfc5952("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");                /* 4.2.3 longest run */
    rfc5952("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");          /* 4.2.3 leftmost on ties */
    rfc5952("2001:DB8::AAAA", "2001:db8::aaaa");                   /* 4.3 lowercase */
    /* RFC 5952 section 2 forms of one address */
    rfc5952("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    rfc5952("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    rfc5952("2001:db8::0:1:0:0:1", "2001:db8::1:0:0:1");
    rfc5952("2001:0db8::1:0:0:1", "2001:db8::1:0:0:1");
    rfc5952("2001:db8:0000:0:1::1", "2001:db8::1:0:0:1");
    rfc5952("2001:DB8:0:0:1::1", "2001:db8::1:0:0:1");
    /* ends, all zeros, no compression at all, IPv4-mapped (section 5) */
    rfc5952("::", "::");
    rfc5952("::1", "::1");
    rfc5952("1::", "1::");
    rfc5952("1:0:0:0:0:0:0:0", "1::");
    rfc5952("0:0:0:0:0:0:0:1", "::1");
    rfc5952("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
    rfc5952("0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7");
    rfc5952("fe80::0:0:1", "fe80::1");
    rfc5952("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    rfc5952("::ffff:192.0.2.1", "::ffff:192.0.2.1");
    rfc5952("::ffff:c000:0201", "::ffff:192.0.2.1");
    rfc5952("::ffff:255.255.255.255", "::ffff:255.255.255.255");
    rfc5952("::192.0.2.1", "::c000:201");                          /* not mapped: hex */
    rfc5952("64:ff9b::192.0.2.1", "64:ff9b::c000:201");
    rfc5952("0:0:0:0:0:ffff:0:0", "::ffff:0.0.0.0");
}
END_TEST

static const enum fq_field addrs[] = {F_SRCIP, F_DSTIP, F_NEXTHOP, F_EXADDR};

static char *rec6(enum fq_fmt fmt, bool ip6, const enum fq_field *f, size_t nf)
{
    struct mem m;
    struct out_opts o = {.fmt = fmt, .fields = f, .nfields = nf, .ip6 = ip6};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    struct fq_rec r = rec();
    r.v6 = 1u << F_SRCIP | 1u << F_NEXTHOP;
    r.srcip = r.nexthop = 0;
    ck_assert(ip6_parse("2001:db8::1", 11, r.ip6[F_SRCIP]));
    ck_assert(ip6_parse("fe80::2", 7, r.ip6[F_NEXTHOP]));
    ck_assert_int_eq(out_record(out, &r, &err), 0);
    r.v6 = 0;
    r.srcip = 0x01020304;
    ck_assert_int_eq(out_record(out, &r, &err), 0);
    return close_mem(&m, out);
}

START_TEST(ipv6_records)
{
    char *s = rec6(FMT_CSV, false, addrs, 4);
    ck_assert_str_eq(s, "srcip,dstip,nexthop,exaddr\n"
                        "2001:db8::1,224.0.0.251,fe80::2,127.0.0.1\n"
                        "1.2.3.4,224.0.0.251,0.0.0.0,127.0.0.1\n");
    free(s);
    s = rec6(FMT_NDJSON, false, addrs, 4);
    ck_assert_str_eq(s, "{\"srcip\":\"2001:db8::1\",\"dstip\":\"224.0.0.251\",\"nexthop\":\"fe80::2\","
                        "\"exaddr\":\"127.0.0.1\"}\n"
                        "{\"srcip\":\"1.2.3.4\",\"dstip\":\"224.0.0.251\",\"nexthop\":\"0.0.0.0\","
                        "\"exaddr\":\"127.0.0.1\"}\n");
    free(s);
    s = rec6(FMT_TEXT, true, addrs, 2);   /* columns as wide as the longest IPv6 text */
    ck_assert_str_eq(s, "srcip                                         dstip\n"
                        "2001:db8::1                                   224.0.0.251\n"
                        "1.2.3.4                                       224.0.0.251\n");
    free(s);
    s = rec6(FMT_TSV, false, NULL, 0);    /* the default columns' own code path */
    ck_assert_str_eq(s, "stime\tetime\tsrcip\tsrcport\tdstip\tdstport\tproto\tpackets\tbytes\t"
                        "tcp_flags\ttos\tinput\toutput\tsrc_as\tdst_as\tsrc_mask\tdst_mask\t"
                        "nexthop\texaddr\tengine_type\tengine_id\tduration\n"
                        "2009-12-07T22:58:54.835Z\t2009-12-07T22:58:55.835Z\t2001:db8::1\t5353\t"
                        "224.0.0.251\t53\t17\t2\t4294967295\t0\t0\t0\t0\t0\t0\t0\t0\tfe80::2\t"
                        "127.0.0.1\t0\t0\t1000\n"
                        "2009-12-07T22:58:54.835Z\t2009-12-07T22:58:55.835Z\t1.2.3.4\t5353\t"
                        "224.0.0.251\t53\t17\t2\t4294967295\t0\t0\t0\t0\t0\t0\t0\t0\t0.0.0.0\t"
                        "127.0.0.1\t0\t0\t1000\n");
    free(s);
}
END_TEST

START_TEST(ft_refuses_ipv6)
{
    struct mem m;
    struct out_opts o = {.fmt = FMT_FT, .zlevel = 0};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    struct fq_rec r = rec();
    ck_assert_int_eq(out_record(out, &r, &err), 0);
    r.v6 = 1u << F_DSTIP;
    r.dstip = 0;
    r.rec_id = 7;
    ck_assert_int_eq(out_record(out, &r, &err), FQ_E_OUTPUT);
    ck_assert_str_eq(err.msg, "-o ft: flow-tools v5 records cannot hold IPv6 addresses (dstip of "
                              "record 7); keep IPv4 flows only, e.g. with the filter term 'dstip "
                              "in 0.0.0.0/0'");
    struct fq_error e2 = {.offset = -1};
    out_close(out, &e2);
    fclose(m.fp);
    free(m.buf);
}
END_TEST

/* Group values of address type are keys (ip6.h): the table gives them back. */
START_TEST(ipv6_rows)
{
    struct ip6_tab t = {0};
    uint8_t a[16], b[16];
    ck_assert(ip6_parse("2001:db8::2", 11, a));
    ck_assert(ip6_parse("::1", 3, b));
    ck_assert_uint_eq(ip6_tab_add(&t, a), 0);
    ck_assert_uint_eq(ip6_tab_add(&t, b), 1);
    ck_assert_uint_eq(ip6_tab_add(&t, a), 0);
    uint32_t *rank = ip6_tab_rank(&t);
    ck_assert_uint_eq(rank[0], 1);        /* ::1 sorts first */
    ck_assert_uint_eq(rank[1], 0);
    free(rank);
    ck_assert_uint_eq(ip6_tab_key(&t, b), IP6_KEY + 1);
    ck_assert_uint_eq(ip6_tab_key(&t, a), IP6_KEY + 3);
    uint8_t c[16];
    ck_assert(ip6_parse("::2", 3, c));    /* absent, between the two: an even key */
    ck_assert_uint_eq(ip6_tab_key(&t, c), IP6_KEY + 2);
    static const struct out_col col[] = {{"srcip", VT_ADDR, VT_UINT}, {"srcs", VT_SET, VT_ADDR}};
    struct mem m;
    struct out_opts o = {.fmt = FMT_CSV};
    struct out *out = open_mem(&m, o);
    out_set_ip6(out, &t);
    struct fq_error err = {.offset = -1};
    ck_assert_int_eq(out_begin_rows(out, col, 2, &err), 0);
    struct fq_set *set = malloc(sizeof *set + 3 * sizeof(uint64_t));
    set->n = 3;
    set->v[0] = 0x0A000001;
    set->v[1] = IP6_KEY + 1;
    set->v[2] = IP6_KEY + 3;
    union fq_val v[2] = {{.u = IP6_KEY + 3}, {.set = set}};
    ck_assert_int_eq(out_row(out, v, &err), 0);
    char *s = close_mem(&m, out);
    ck_assert_str_eq(s, "srcip,srcs\n2001:db8::2,10.0.0.1 ::1 2001:db8::2\n");
    free(s);
    free(set);
    ip6_tab_free(&t);
}
END_TEST

static const struct out_col cols[] = {
    {"tuple", VT_UINT, VT_UINT},
    {"branch", VT_STR, VT_UINT},
    {"stime", VT_TIME, VT_UINT},
    {"records", VT_SET, VT_UINT},
    {"avg_bytes", VT_REAL, VT_UINT},
    {"srcs", VT_SET, VT_ADDR},
    {"starts", VT_SET, VT_TIME},
};

static char *rows(enum fq_fmt fmt, enum fq_tfmt tfmt, const char *branch)
{
    struct mem m;
    struct out_opts o = {.fmt = fmt, .tfmt = tfmt};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    ck_assert_int_eq(out_begin_rows(out, cols, 7, &err), 0);
    struct fq_set *recs = malloc(sizeof *recs + 3 * sizeof(uint64_t));
    recs->n = 3;
    recs->v[0] = 1; recs->v[1] = 5; recs->v[2] = 1000;
    struct fq_set *srcs = malloc(sizeof *srcs + 2 * sizeof(uint64_t));
    srcs->n = 2;
    srcs->v[0] = 0x0A000001; srcs->v[1] = 0xC0A80001;
    struct fq_set *none = malloc(sizeof *none);
    none->n = 0;
    union fq_val v[7];
    v[0].u = 0;
    v[1].s = branch;
    v[2].u = 1000;
    v[3].set = recs;
    v[4].d = 2.0 / 3;
    v[5].set = srcs;
    v[6].set = none;
    ck_assert_int_eq(out_row(out, v, &err), 0);
    v[0].u = 1;
    v[4].d = 1e300 * 1e300;   /* inf: null in JSON */
    ck_assert_int_eq(out_row(out, v, &err), 0);
    ck_assert_uint_eq(out_count(out), 2);
    char *s = close_mem(&m, out);
    free(recs);
    free(srcs);
    free(none);
    return s;
}

START_TEST(group_rows)
{
    char *s = rows(FMT_CSV, TFMT_ISO, "A");
    ck_assert_str_eq(s, "tuple,branch,stime,records,avg_bytes,srcs,starts\n"
                        "0,A,1970-01-01T00:00:01.000Z,1 5 1000,0.66666666666666663,10.0.0.1 192.168.0.1,\n"
                        "1,A,1970-01-01T00:00:01.000Z,1 5 1000,inf,10.0.0.1 192.168.0.1,\n");
    free(s);
    s = rows(FMT_CSV, TFMT_ISO, "say \"hi\", x");
    ck_assert_str_eq(s, "tuple,branch,stime,records,avg_bytes,srcs,starts\n"
                        "0,\"say \"\"hi\"\", x\",1970-01-01T00:00:01.000Z,1 5 1000,0.66666666666666663,"
                        "10.0.0.1 192.168.0.1,\n"
                        "1,\"say \"\"hi\"\", x\",1970-01-01T00:00:01.000Z,1 5 1000,inf,10.0.0.1 192.168.0.1,\n");
    free(s);
    s = rows(FMT_TSV, TFMT_EPOCH, "a\tb");
    ck_assert_str_eq(s, "tuple\tbranch\tstime\trecords\tavg_bytes\tsrcs\tstarts\n"
                        "0\t\"a\tb\"\t1000\t1 5 1000\t0.66666666666666663\t10.0.0.1 192.168.0.1\t\n"
                        "1\t\"a\tb\"\t1000\t1 5 1000\tinf\t10.0.0.1 192.168.0.1\t\n");
    free(s);
    s = rows(FMT_JSON, TFMT_ISO, "q\"\\\n");
    ck_assert_str_eq(s, "[\n"
                        "{\"tuple\":0,\"branch\":\"q\\\"\\\\\\u000a\",\"stime\":\"1970-01-01T00:00:01.000Z\","
                        "\"records\":[1,5,1000],\"avg_bytes\":0.66666666666666663,"
                        "\"srcs\":[\"10.0.0.1\",\"192.168.0.1\"],\"starts\":[]},\n"
                        "{\"tuple\":1,\"branch\":\"q\\\"\\\\\\u000a\",\"stime\":\"1970-01-01T00:00:01.000Z\","
                        "\"records\":[1,5,1000],\"avg_bytes\":null,"
                        "\"srcs\":[\"10.0.0.1\",\"192.168.0.1\"],\"starts\":[]}\n]\n");
    free(s);
    s = rows(FMT_NDJSON, TFMT_EPOCH, "B");
    ck_assert_str_eq(s, "{\"tuple\":0,\"branch\":\"B\",\"stime\":1000,\"records\":[1,5,1000],"
                        "\"avg_bytes\":0.66666666666666663,\"srcs\":[\"10.0.0.1\",\"192.168.0.1\"],\"starts\":[]}\n"
                        "{\"tuple\":1,\"branch\":\"B\",\"stime\":1000,\"records\":[1,5,1000],"
                        "\"avg_bytes\":null,\"srcs\":[\"10.0.0.1\",\"192.168.0.1\"],\"starts\":[]}\n");
    free(s);
}
END_TEST

START_TEST(set_of_times_and_text_rows)
{
    static const struct out_col c[] = {{"group", VT_UINT, VT_UINT}, {"starts", VT_SET, VT_TIME}};
    struct mem m;
    struct out_opts o = {.fmt = FMT_TEXT};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    ck_assert_int_eq(out_begin_rows(out, c, 2, &err), 0);
    struct fq_set *t = malloc(sizeof *t + 2 * sizeof(uint64_t));
    t->n = 2;
    t->v[0] = 0;
    t->v[1] = 86400001;
    union fq_val v[2] = {{.u = 7}, {.set = t}};
    ck_assert_int_eq(out_row(out, v, &err), 0);
    char *s = close_mem(&m, out);
    ck_assert_str_eq(s, "     group starts\n"
                        "         7 1970-01-01T00:00:00.000Z 1970-01-02T00:00:00.001Z\n");
    free(s);
    free(t);
}
END_TEST

/* A second declaration of columns (branches with other group fields): a
 * new header row in csv, the same array in json. */
START_TEST(columns_declared_again)
{
    static const struct out_col a[] = {{"tuple", VT_UINT, VT_UINT}, {"b", VT_UINT, VT_UINT}};
    static const struct out_col b[] = {{"tuple", VT_UINT, VT_UINT}, {"srcs", VT_SET, VT_ADDR}};
    struct fq_set *t = malloc(sizeof *t + sizeof(uint64_t));
    t->n = 1;
    t->v[0] = 0x01020304;
    union fq_val va[2] = {{.u = 0}, {.u = 9}}, vb[2] = {{.u = 0}, {.set = t}};
    static const enum fq_fmt fmts[] = {FMT_CSV, FMT_JSON};
    static const char *const want[] = {
        "tuple,b\n0,9\ntuple,srcs\n0,1.2.3.4\n",
        "[\n{\"tuple\":0,\"b\":9},\n{\"tuple\":0,\"srcs\":[\"1.2.3.4\"]}\n]\n",
    };
    for (int i = 0; i < 2; i++) {
        struct mem m;
        struct out_opts o = {.fmt = fmts[i]};
        struct out *out = open_mem(&m, o);
        struct fq_error err = {.offset = -1};
        ck_assert_int_eq(out_begin_rows(out, a, 2, &err), 0);
        ck_assert_int_eq(out_row(out, va, &err), 0);
        ck_assert_int_eq(out_begin_rows(out, b, 2, &err), 0);
        ck_assert_int_eq(out_row(out, vb, &err), 0);
        char *s = close_mem(&m, out);
        ck_assert_str_eq(s, want[i]);
        free(s);
    }
    free(t);
}
END_TEST

START_TEST(ft_format)
{
    struct mem m;
    struct out_opts o = {.fmt = FMT_FT, .zlevel = 0};
    struct out *out = open_mem(&m, o);
    struct fq_error err = {.offset = -1};
    struct fq_rec r = rec();
    ck_assert_int_eq(out_record(out, &r, &err), 0);
    ck_assert_int_eq(out_begin_rows(out, cols, 7, &err), FQ_E_OUTPUT);
    ck_assert_str_eq(err.msg, "-o ft holds flow records only, not group records");
    char *s = close_mem(&m, out);
    ck_assert_uint_eq(m.len, 24 + 64);
    ck_assert_int_eq((unsigned char)s[0], 0xCF);
    free(s);
}
END_TEST

START_TEST(write_errors)
{
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        struct out_opts o = {.fmt = FMT_CSV};
        struct fq_error err = {.offset = -1};
        struct out *out = out_open(full, &o, &err);
        struct fq_rec r = rec();
        int rc = 0;
        for (int i = 0; i < 100000 && !rc; i++)
            rc = out_record(out, &r, &err);
        if (!rc)
            rc = out_close(out, &err);
        else
            out_close(out, &err);
        ck_assert_int_eq(rc, FQ_E_OUTPUT);
        ck_assert_str_eq(err.msg, "write error: No space left on device");
        ck_assert_str_eq(err.path, "");   /* main names the destination */
        fclose(full);
    }
    signal(SIGPIPE, SIG_IGN);
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    close(fd[0]);
    FILE *fp = fdopen(fd[1], "w");
    struct out_opts o = {.fmt = FMT_NDJSON};
    struct fq_error err = {.offset = -1};
    struct out *out = out_open(fp, &o, &err);
    struct fq_rec r = rec();
    int rc = 0;
    for (int i = 0; i < 100000 && !rc; i++)
        rc = out_record(out, &r, &err);
    if (!rc)
        rc = out_close(out, &err);
    else
        out_close(out, &err);
    ck_assert_int_eq(rc, FQ_E_PIPE);
    fclose(fp);
}
END_TEST

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    Suite *s = suite_create("out");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, record_formats);
    tcase_add_test(tc, empty_outputs);
    tcase_add_test(tc, default_fields_and_rec_id);
    tcase_add_test(tc, times_against_gmtime);
    tcase_add_test(tc, localtime_offsets);
    tcase_add_test(tc, group_rows);
    tcase_add_test(tc, set_of_times_and_text_rows);
    tcase_add_test(tc, columns_declared_again);
    tcase_add_test(tc, ft_format);
    tcase_add_test(tc, ipv6_text);
    tcase_add_test(tc, ipv6_records);
    tcase_add_test(tc, ipv6_rows);
    tcase_add_test(tc, ft_refuses_ipv6);
    tcase_add_test(tc, write_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
