/* SPDX-License-Identifier: MIT
 * The run path (run.h) on the bundled trace tests/data/io/small.ft: a
 * grouped query goes through the engine with full rows, with narrow rows
 * (the second reading of the file), and in auto mode with a budget so
 * small that the rows narrow after the first chunk; all must print the
 * same bytes; with that budget the narrow rows spill to $TMPDIR (spill.h),
 * which a missing directory shows, and a query that cannot split fails
 * past --max-memory with the reason.  A missing input fails in
 * fq_run_read, before any output.  A run given the kept records
 * (fq_run_new, as flowq-mpi's rank 0 builds it) prints them too, and
 * counts every record read as the branch's input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "ftio.h"
#include "run.h"
#include "util.h"

#define TRACE "tests/data/io/small.ft"

static const char query[] =
    "splitter S {}\n"
    "filter f { packets > 0 }\n"
    "grouper g {\n"
    "    module m { proto = proto }\n"
    "    aggregate proto, count(rec_id) as n\n"
    "}\n"
    "merger M { branches A }\n"
    "ungrouper U {}\n"
    "\"input\" -> S\n"
    "S branch A -> f -> g -> M\n"
    "M -> U -> \"output\"\n";

/* What flowq -o csv --epoch --fields rec_id,proto,bytes prints. */
static const char want[] = "rec_id,proto,bytes\n"
                           "2,255,4294967295\n"
                           "5,17,14444\n"
                           "4,6,14014\n"
                           "3,1,13590\n"
                           "1,6,12760\n"
                           "0,1,12354\n";

static const enum fq_field cols[] = {F_REC_ID, F_PROTO, F_BYTES};

/* The query over n copies of path with the given rows mode and budget,
 * as csv. */
static char *run_n(const char *path, size_t n, enum fq_rows_mode rows, uint64_t budget, int *rc)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_query *q = query_compile(query, strlen(query), "run.fq", stderr, &err);
    ck_assert_ptr_nonnull(q);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct out_opts oo = {.fmt = FMT_CSV, .tfmt = TFMT_EPOCH, .fields = cols, .nfields = 3};
    struct out *o = out_open(fp, &oo, &err);
    ck_assert_ptr_nonnull(o);
    struct fq_run_opts ro = {.eng = {.threads = 1}, .rows = rows, .budget = budget};
    struct engine_stats st = {0};
    char **p = calloc(n, sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (char *)path;
    *rc = fq_run_query(q, p, n, &ro, o, &st, &err);
    free(p);
    if (*rc == FQ_OK)
        ck_assert_uint_eq(st.records_out, 6 * n);
    engine_stats_free(&st);
    out_close(o, &err);
    fclose(fp);
    query_free(q);
    return buf;
}

static char *run(const char *path, enum fq_rows_mode rows, uint64_t budget, int *rc)
{
    return run_n(path, 1, rows, budget, rc);
}

START_TEST(rows_modes_agree)
{
    static const struct {
        enum fq_rows_mode rows;
        uint64_t budget;
    } modes[] = {{FQ_ROWS_FULL, 0}, {FQ_ROWS_NARROW, 0}, {FQ_ROWS_AUTO, 0}, {FQ_ROWS_AUTO, 1}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        int rc;
        char *s = run(TRACE, modes[i].rows, modes[i].budget, &rc);
        ck_assert_int_eq(rc, FQ_OK);
        ck_assert_msg(strcmp(s, want) == 0, "mode %zu:\n%s", i, s);
        free(s);
    }
}
END_TEST

START_TEST(spill_goes_to_tmpdir)
{
    int rc;
    setenv("TMPDIR", "tests/data/io/no-such-dir", 1);
    /* 2400 rows: more than a partition's write buffer holds */
    char *s = run_n(TRACE, 400, FQ_ROWS_AUTO, 1, &rc);
    ck_assert_int_eq(rc, FQ_E_OUTPUT);
    ck_assert_str_eq(s, "rec_id,proto,bytes\n");  /* no record */
    free(s);
    s = run(TRACE, FQ_ROWS_NARROW, 0, &rc);     /* fits: no temporary file */
    ck_assert_int_eq(rc, FQ_OK);
    ck_assert_str_eq(s, want);
    free(s);
    unsetenv("TMPDIR");         /* /tmp: spilled, the same bytes as in memory */
    char *mem = run_n(TRACE, 400, FQ_ROWS_FULL, 0, &rc);
    ck_assert_int_eq(rc, FQ_OK);
    s = run_n(TRACE, 400, FQ_ROWS_AUTO, 1, &rc);
    ck_assert_int_eq(rc, FQ_OK);
    ck_assert_uint_gt(strlen(s), 2400 * 8);
    ck_assert_str_eq(s, mem);
    free(s);
    free(mem);
}
END_TEST

START_TEST(unsplittable_over_max_memory)
{
    static const char allen[] = "splitter S {}\n"
                                "merger M { module m { branches A, B\n A < B } export m }\n"
                                "ungrouper U {}\n"
                                "\"input\" -> S\n"
                                "S branch A -> M\n"
                                "S branch B -> M\n"
                                "M -> U -> \"output\"\n";
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_query *q = query_compile(allen, strlen(allen), "allen.fq", stderr, &err);
    ck_assert_ptr_nonnull(q);
    char *p = (char *)TRACE;
    struct fq_run_opts ro = {.eng = {.threads = 1}, .rd = {.max_bytes = 1}};
    ck_assert_ptr_null(fq_run_read(q, &p, 1, &ro, &err));
    ck_assert_int_eq(err.code, FQ_E_OUTPUT);
    ck_assert_str_eq(err.msg,
                     "the records to keep exceed --max-memory (1 bytes at record 6) and cannot "
                     "go to temporary files: merger module m has no equality rule between "
                     "branches A and B (its rules start at line 3); filter more or raise "
                     "--max-memory");
    query_free(q);
}
END_TEST

START_TEST(missing_input_fails_before_output)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_query *q = query_compile(query, strlen(query), "run.fq", stderr, &err);
    ck_assert_ptr_nonnull(q);
    char *p = (char *)"tests/data/io/no-such-file.ft";
    struct fq_run_opts ro = {.rows = FQ_ROWS_NARROW};
    ck_assert_ptr_null(fq_run_read(q, &p, 1, &ro, &err));
    ck_assert_int_eq(err.code, FQ_E_INPUT);
    ck_assert_ptr_nonnull(strstr(err.path, "no-such-file.ft"));
    query_free(q);
}
END_TEST

/* The bundled trace's six records, as ft_read_all gives them. */
static struct fq_rec *small_recs(void)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_rec *recs;
    size_t n;
    char *p = (char *)TRACE;
    ck_assert_int_eq(ft_read_all(&p, 1, NULL, &recs, &n, &err), FQ_OK);
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(recs[0].rec_id, 0);
    return recs;
}

/* An out writing cols as csv to a memory stream (*buf once *fp closes). */
static struct out *csv_out(FILE **fp, char **buf, size_t *len)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    *buf = NULL;
    *fp = open_memstream(buf, len);
    struct out_opts oo = {.fmt = FMT_CSV, .tfmt = TFMT_EPOCH, .fields = cols, .nfields = 3};
    struct out *o = out_open(*fp, &oo, &err);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* The records that some filter takes, added in two parts with their
 * rec_ids, and the count of all records read: flowq's result and counts.
 * Record 0 is left out, as if no filter took it: the result lacks it, and
 * records_in still counts it. */
START_TEST(given_records_agree)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_query *q = query_compile(query, strlen(query), "run.fq", stderr, &err);
    ck_assert_ptr_nonnull(q);
    struct fq_rec *recs = small_recs();
    size_t n = 6, k = n - 1, len;
    char *buf;
    FILE *fp;
    struct out *o = csv_out(&fp, &buf, &len);
    struct fq_run_opts ro = {.eng = {.threads = 1}};
    struct fq_run *r = fq_run_new(q, &ro);
    fq_run_add(r, recs + 1, 2);
    fq_run_add(r, recs + 3, k - 2);
    fq_run_added(r, n);
    struct engine_stats st = {0};
    ck_assert_int_eq(fq_run_write(r, o, &st, &err), FQ_OK);
    ck_assert_uint_eq(st.records_out, 5);
    ck_assert_uint_eq(st.branch[0].records_in, n);
    ck_assert_uint_eq(st.branch[0].filtered, k);
    engine_stats_free(&st);
    fq_run_free(r);
    out_close(o, &err);
    fclose(fp);
    char *exp = xstrdup(want);
    char *zero = strstr(exp, "0,1,12354\n");
    ck_assert_ptr_nonnull(zero);
    *zero = '\0';
    ck_assert_msg(strcmp(buf, exp) == 0, "%s", buf);
    free(exp);
    free(buf);
    free(recs);
    query_free(q);
}
END_TEST

/* A run given its result (flowq-mpi's ranks ran the partitions): the
 * records given in rec_id order come out in time order, records_out
 * counts them, the other counts are the ones given; a given error is
 * returned and nothing is written. */
START_TEST(given_result_written_in_time_order)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_query *q = query_compile(query, strlen(query), "run.fq", stderr, &err);
    ck_assert_ptr_nonnull(q);
    struct fq_rec *recs = small_recs();
    struct engine_branch_stats br = {.records_in = 6, .filtered = 5, .groups = 4, .groups_kept = 3};
    struct engine_stats given = {.nbranches = 1, .branch = &br, .tuples = 3};
    struct fq_run_opts ro = {.eng = {.threads = 1}};
    for (int fail = 0; fail < 2; fail++) {
        char *buf;
        size_t len;
        FILE *fp;
        struct out *o = csv_out(&fp, &buf, &len);
        struct fq_error gerr = {.code = FQ_OK, .offset = -1};
        if (fail)
            fq_fail(&gerr, FQ_E_OUTPUT, "", -1, "a rank failed");
        struct fq_run *r = fq_run_result(q, &ro, &given, &gerr);
        fq_run_add(r, recs + 1, 1);     /* rec_ids 1, 3, 4: stime descending */
        fq_run_add(r, recs + 3, 2);
        struct engine_stats st = {0};
        int rc = fq_run_write(r, o, &st, &err);
        ck_assert_int_eq(rc, fail ? FQ_E_OUTPUT : FQ_OK);
        ck_assert_uint_eq(st.branch[0].records_in, 6);
        ck_assert_uint_eq(st.branch[0].groups_kept, 3);
        ck_assert_uint_eq(st.tuples, 3);
        ck_assert_uint_eq(st.records_out, fail ? 0 : 3);
        engine_stats_free(&st);
        fq_run_free(r);
        out_close(o, &err);
        fclose(fp);
        ck_assert_str_eq(buf, fail ? "rec_id,proto,bytes\n"
                                   : "rec_id,proto,bytes\n4,6,14014\n3,1,13590\n1,6,12760\n");
        if (fail)
            ck_assert_str_eq(err.msg, "a rank failed");
        err = (struct fq_error){.code = FQ_OK, .offset = -1};
        free(buf);
    }
    free(recs);
    query_free(q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 60);  /* hundreds of readings of the file under ASan */
    tcase_add_test(tc, rows_modes_agree);
    tcase_add_test(tc, spill_goes_to_tmpdir);
    tcase_add_test(tc, unsplittable_over_max_memory);
    tcase_add_test(tc, missing_input_fails_before_output);
    tcase_add_test(tc, given_records_agree);
    tcase_add_test(tc, given_result_written_in_time_order);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
