/* SPDX-License-Identifier: MIT
 * --sort/--limit of group rows: the key syntax, orders of each type,
 * ties by group number then arrival, the heap of a limit against the
 * full sort for every limit, and -c cutting the sorted rows.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsort.h"

static const struct out_col cols[] = {
    {"tuple", VT_UINT, VT_UINT}, {"branch", VT_STR, VT_STR}, {"group", VT_UINT, VT_UINT},
    {"bytes", VT_UINT, VT_UINT}, {"ratio", VT_REAL, VT_REAL},
};

START_TEST(parse)
{
    struct gsort_spec s;
    char why[200];
    ck_assert(gsort_parse("bytes:desc", &s, why, sizeof why));
    ck_assert_uint_eq(s.nkeys, 1);
    ck_assert_str_eq(s.keys[0].name, "bytes");
    ck_assert(s.keys[0].desc);
    gsort_spec_free(&s);
    ck_assert(gsort_parse("a,b:desc", &s, why, sizeof why));
    ck_assert(s.keys[0].desc && s.keys[1].desc);
    gsort_spec_free(&s);
    ck_assert(gsort_parse("a:asc,b:desc", &s, why, sizeof why));
    ck_assert(!s.keys[0].desc && s.keys[1].desc);
    gsort_spec_free(&s);
    ck_assert(gsort_parse("a:desc,b", &s, why, sizeof why));
    ck_assert(s.keys[0].desc && !s.keys[1].desc);
    gsort_spec_free(&s);
    ck_assert(!gsort_parse("a:up", &s, why, sizeof why));
    ck_assert_str_eq(why, "'up' is not asc or desc");
    ck_assert(!gsort_parse(",", &s, why, sizeof why));
    ck_assert(!gsort_parse(":desc", &s, why, sizeof why));
}
END_TEST

/* Rows i = 0..n-1: group 1000 - i, bytes i % 7, ratio i % 3; sorted with
 * spec and written as "group" lines to a string. */
static char *run(const char *keys, uint64_t limit, uint64_t max, size_t n, int *rc)
{
    struct gsort_spec s;
    char why[200];
    ck_assert(gsort_parse(keys, &s, why, sizeof why));
    s.limit = limit;
    struct gsort *g = gsort_new(&s);
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    ck_assert_int_eq(gsort_columns(g, cols, 5, &err), FQ_OK);
    for (size_t i = 0; i < n; i++) {
        union fq_val row[5];
        row[0].u = i;
        row[1].s = "A";
        row[2].u = 1000 - i;
        row[3].u = i % 7;
        row[4].d = (double)(i % 3) / 2;
        gsort_add(g, row);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct out_opts oo = {.fmt = FMT_CSV, .no_header = true, .max = max};
    struct out *o = out_open(fp, &oo, &err);
    uint64_t written;
    *rc = gsort_write(g, o, &written, &err);
    err.code = FQ_OK;
    out_close(o, &err);
    fclose(fp);
    gsort_free(g);
    gsort_spec_free(&s);
    return buf;
}

START_TEST(order)
{
    int rc;
    char *a = run("bytes:desc", 0, 0, 10, &rc);
    /* bytes 6 (i=6, group 994), 5, 4, 3, 2 (i=2,9: groups 998, 991 -> 991 first) ... */
    ck_assert_str_eq(a, "6,A,994,6,0\n5,A,995,5,1\n4,A,996,4,0.5\n3,A,997,3,0\n"
                        "9,A,991,2,0\n2,A,998,2,1\n8,A,992,1,1\n1,A,999,1,0.5\n"
                        "7,A,993,0,0.5\n0,A,1000,0,0\n");
    free(a);
    a = run("ratio,bytes:asc", 0, 0, 6, &rc);
    ck_assert_str_eq(a, "0,A,1000,0,0\n3,A,997,3,0\n1,A,999,1,0.5\n4,A,996,4,0.5\n"
                        "2,A,998,2,1\n5,A,995,5,1\n");
    free(a);
    a = run("branch", 0, 0, 4, &rc);   /* all equal: group number decides */
    ck_assert_str_eq(a, "3,A,997,3,0\n2,A,998,2,1\n1,A,999,1,0.5\n0,A,1000,0,0\n");
    free(a);
}
END_TEST

START_TEST(limit_is_head)
{
    const char *keys[] = {"bytes:desc", "ratio", "bytes,ratio:desc", "group"};
    int rc;
    for (size_t k = 0; k < 4; k++) {
        char *full = run(keys[k], 0, 0, 200, &rc);
        for (uint64_t lim = 1; lim <= 210; lim += lim < 20 ? 1 : 37) {
            char *part = run(keys[k], lim, 0, 200, &rc);
            ck_assert_int_eq(rc, FQ_OK);
            size_t nl = 0, at = 0;
            while (full[at] && nl < lim)
                if (full[at++] == '\n')
                    nl++;
            ck_assert_msg(strlen(part) == at && memcmp(part, full, at) == 0, "%s --limit %llu",
                          keys[k], (unsigned long long)lim);
            free(part);
        }
        free(full);
    }
    char *cut = run("bytes:desc", 5, 2, 10, &rc);
    ck_assert_int_eq(rc, FQ_E_CUT);
    ck_assert_str_eq(cut, "6,A,994,6,0\n5,A,995,5,1\n");
    free(cut);
}
END_TEST

START_TEST(missing)
{
    struct gsort_spec s;
    char why[200];
    ck_assert(gsort_parse("nosuch", &s, why, sizeof why));
    struct gsort *g = gsort_new(&s);
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    ck_assert_int_eq(gsort_columns(g, cols, 5, &err), FQ_E_USAGE);
    ck_assert_str_eq(err.msg, "--sort: the group rows have no column 'nosuch' (see the header of -g)");
    gsort_free(g);
    gsort_spec_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gsort");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parse);
    tcase_add_test(tc, order);
    tcase_add_test(tc, limit_is_head);
    tcase_add_test(tc, missing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
