/* SPDX-License-Identifier: MIT
 * The engine on IPv4 and IPv6 records together: grouping treats the
 * families as distinct values (10.0.0.1 and ::ffff:10.0.0.1 are two
 * groups), min/max/union order every IPv4 address before every IPv6 one,
 * group filters take IPv6 constants and prefixes (present in the trace or
 * not), the output prints the addresses back, and rows of IPv4-only input
 * stay as small as before.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "engine.h"
#include "ip6.h"

static void set_addr(struct fq_rec *r, enum fq_field f, const char *text)
{
    uint8_t a[16];
    if (ip6_parse(text, strlen(text), a)) {
        r->v6 |= (uint8_t)(1u << f);
        memcpy(r->ip6[f], a, 16);
        return;
    }
    unsigned b[4];
    ck_assert_int_eq(sscanf(text, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]), 4);
    uint32_t v = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    memcpy((unsigned char *)r + fq_fields[f].offset, &v, 4);
}

/* srcip, dstip of each record; stime grows with the index. */
static const char *const pairs[][2] = {
    {"10.0.0.1", "2001:db8::2"},    {"::ffff:10.0.0.1", "10.0.0.9"},
    {"10.0.0.1", "1.1.1.1"},        {"2001:db8::1", "fe80::1"},
    {"::ffff:10.0.0.1", "2001:db8::2"}, {"2001:db8::1", "::1"},
};
enum { N = sizeof pairs / sizeof pairs[0] };

static void records(struct fq_rec *r)
{
    memset(r, 0, N * sizeof *r);
    for (size_t i = 0; i < N; i++) {
        r[i].stime = r[i].etime = 1000 * (i + 1);
        r[i].rec_id = i;
        r[i].proto = 6;
        set_addr(&r[i], F_SRCIP, pairs[i][0]);
        set_addr(&r[i], F_DSTIP, pairs[i][1]);
    }
}

static const char *const head =
    "splitter S {}\n"
    "grouper G {\n"
    "    module m { srcip = srcip }\n"
    "    aggregate srcip, min(dstip) as lo, max(dstip) as hi, union(dstip) as ds,\n"
    "              count(rec_id) as n\n"
    "}\n";
static const char *const tail =
    "ungrouper U {}\n"
    "\"input\" -> S\n"
    "S branch A -> G -> GF -> U\n"
    "U -> \"output\"\n";

static const enum fq_field cols[] = {F_REC_ID, F_SRCIP, F_DSTIP};

/* The query with group filter body gf over the records, in -g (groups)
 * or record mode, as csv; narrow: through engine_in with narrow rows,
 * the records to write then coming back as bits. */
static char *run(const char *gf, bool groups, bool narrow)
{
    char src[2048];
    snprintf(src, sizeof src, "%sgroupfilter GF {\n%s\n}\n%s", head, gf, tail);
    struct fq_error err = {0};
    struct fq_query *q = query_compile(src, strlen(src), "t.fq", stderr, &err);
    ck_assert_msg(q != NULL, "%s", err.msg);
    struct fq_rec r[N];
    records(r);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct out_opts oo = {.fmt = FMT_CSV, .tfmt = TFMT_EPOCH, .fields = groups ? NULL : cols,
                          .nfields = groups ? 0 : 3};
    struct out *o = out_open(fp, &oo, &err);
    struct engine_opts eo = {.threads = 1, .groups = groups};
    struct engine_stats st;
    if (narrow) {
        struct engine_in *in = engine_in_new(q, groups);
        engine_in_add(in, r, 3);
        ck_assert(engine_in_narrow(in));     /* rows narrowed with IPv6 ids in them */
        engine_in_add(in, r + 3, N - 3);
        engine_in_trim(in);
        uint64_t *bits = NULL;
        ck_assert_int_eq(engine_run_in(q, in, &eo, o, &bits, &st, &err), FQ_OK);
        for (size_t i = 0; bits && i < N; i++)
            if (bits[i / 64] >> (i % 64) & 1)
                ck_assert_int_eq(out_record(o, &r[i], &err), FQ_OK);
        free(bits);
        engine_in_free(in);
    } else {
        ck_assert_int_eq(engine_run(q, r, N, &eo, o, &st, &err), FQ_OK);
    }
    engine_stats_free(&st);
    ck_assert_int_eq(out_close(o, &err), FQ_OK);
    fclose(fp);
    query_free(q);
    return buf;
}

START_TEST(mixed_families_grouped)
{
    char *s = run("n > 0", true, false);
    ck_assert_str_eq(s, "tuple,branch,group,stime,etime,records,srcip,lo,hi,ds,n\n"
                        "0,A,0,1000,3000,0 2,10.0.0.1,1.1.1.1,2001:db8::2,1.1.1.1 2001:db8::2,2\n"
                        "1,A,1,2000,5000,1 4,::ffff:10.0.0.1,10.0.0.9,2001:db8::2,"
                        "10.0.0.9 2001:db8::2,2\n"
                        "2,A,2,4000,6000,3 5,2001:db8::1,::1,fe80::1,::1 fe80::1,2\n");
    free(s);
}
END_TEST

/* Group filters with IPv6 constants and prefixes: each keeps the groups
 * named, in record mode through both ways of running the engine. */
START_TEST(group_filters)
{
    static const struct {
        const char *gf, *want;
    } cases[] = {
        {"hi in 2001:db8::/32", "0,10.0.0.1,2001:db8::2\n1,::ffff:10.0.0.1,10.0.0.9\n"
                                "2,10.0.0.1,1.1.1.1\n4,::ffff:10.0.0.1,2001:db8::2\n"},
        {"lo > 255.255.255.255", "3,2001:db8::1,fe80::1\n5,2001:db8::1,::1\n"},
        {"srcip = ::ffff:10.0.0.1", "1,::ffff:10.0.0.1,10.0.0.9\n4,::ffff:10.0.0.1,2001:db8::2\n"},
        {"srcip = 10.0.0.1", "0,10.0.0.1,2001:db8::2\n2,10.0.0.1,1.1.1.1\n"},
        {"srcip in 0.0.0.0/0", "0,10.0.0.1,2001:db8::2\n2,10.0.0.1,1.1.1.1\n"},
        {"srcip in ::/0", "1,::ffff:10.0.0.1,10.0.0.9\n3,2001:db8::1,fe80::1\n"
                          "4,::ffff:10.0.0.1,2001:db8::2\n5,2001:db8::1,::1\n"},
        /* absent from the trace: between ::1 and ::ffff:10.0.0.1 */
        {"srcip = ::2", ""},
        {"srcip > ::2", "1,::ffff:10.0.0.1,10.0.0.9\n3,2001:db8::1,fe80::1\n"
                        "4,::ffff:10.0.0.1,2001:db8::2\n5,2001:db8::1,::1\n"},
        {"srcip < ::2", "0,10.0.0.1,2001:db8::2\n2,10.0.0.1,1.1.1.1\n"}, /* IPv4 first */
        {"lo >= ::1", "3,2001:db8::1,fe80::1\n5,2001:db8::1,::1\n"},
        {"lo > ::1", ""},
        {"hi >= 2001:db8::3", "3,2001:db8::1,fe80::1\n5,2001:db8::1,::1\n"},
        {"2001:db8::2 in ds", "0,10.0.0.1,2001:db8::2\n1,::ffff:10.0.0.1,10.0.0.9\n"
                              "2,10.0.0.1,1.1.1.1\n4,::ffff:10.0.0.1,2001:db8::2\n"},
        {"10.0.0.9 in ds", "1,::ffff:10.0.0.1,10.0.0.9\n4,::ffff:10.0.0.1,2001:db8::2\n"},
        {"::ffff:10.0.0.9 in ds", ""},
        {"srcip in 2001:db8::/127", "3,2001:db8::1,fe80::1\n5,2001:db8::1,::1\n"},
        {"srcip in 2001:db8::2/127", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int narrow = 0; narrow < 2; narrow++) {
            char *s = run(cases[i].gf, false, narrow);
            char want[1024];
            snprintf(want, sizeof want, "rec_id,srcip,dstip\n%s", cases[i].want);
            ck_assert_msg(strcmp(s, want) == 0, "%s (narrow %d):\n%s", cases[i].gf, narrow, s);
            free(s);
        }
}
END_TEST

/* IPv4-only input keeps the rows it had: full rows are the IPv4 part of
 * a record, narrow rows take the v6 flags byte only once an IPv6 record
 * comes, and then every row keeps its values. */
START_TEST(ipv4_rows_unchanged)
{
    struct fq_rows R;
    rows_init(&R, NULL);
    ck_assert_uint_eq(R.stride, 96);
    bool need[F_COUNT] = {false};
    need[F_SRCIP] = need[F_DSTIP] = need[F_ETIME] = true;
    rows_init(&R, need);
    ck_assert_uint_eq(R.stride, 32);        /* 24 hot + two addresses */
    struct fq_rec r[N];
    records(r);
    ck_assert(rows_any6(r, N));
    ck_assert(!rows_any6(r + 2, 1));
    struct ip6_tab t6 = {0};
    R.t6 = &t6;
    rows_append(&R, r + 2, 1);              /* 10.0.0.1 -> 1.1.1.1 */
    ck_assert_uint_eq(R.stride, 32);
    rows_append(&R, r, 2);                  /* the first IPv6 address: the rows widen */
    ck_assert_uint_eq(R.stride, 40);
    rows_append(&R, r + 3, 3);
    rows_rank(&R);
    ck_assert_uint_eq(R.n, 6);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 0), F_SRCIP), 0x0a000001u);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 0), F_DSTIP), 0x01010101u);
    ck_assert_uint_eq(row_id(row_at(&R, 0)), 2);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 1), F_SRCIP), 0x0a000001u);
    /* ::1 < ::ffff:10.0.0.1 < 2001:db8::1 < 2001:db8::2 < fe80::1: keys 2r+1 */
    ck_assert_uint_eq(row_get(&R, row_at(&R, 1), F_DSTIP), IP6_KEY + 7);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 2), F_SRCIP), IP6_KEY + 3);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 2), F_DSTIP), 0x0a000009u);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 3), F_SRCIP), IP6_KEY + 5);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 3), F_DSTIP), IP6_KEY + 9);
    ck_assert_uint_eq(row_get(&R, row_at(&R, 5), F_DSTIP), IP6_KEY + 1);
    rows_free(&R);
    ip6_tab_free(&t6);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine6");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mixed_families_grouped);
    tcase_add_test(tc, group_filters);
    tcase_add_test(tc, ipv4_rows_unchanged);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
