/* SPDX-License-Identifier: MIT
 * The record spool: whatever the budget (one run in memory, 2 runs, many,
 * more than 128 and more than 128 x 128 runs) and whatever the order the
 * records are added in, they come back record for record as qsort by
 * (stime, rec_id) orders them, with exact counts; the temporary file is
 * never visible and a directory that cannot take it is one clear error.
 * IPv4 records are held without their IPv6 part; an IPv6 record arriving
 * at any point (records held, runs written) changes nothing seen.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

/* Bytes of budget per record (see spool_new): record + sort key, for
 * IPv4 records and once an IPv6 record came. */
#define PER_REC (96 + 24)
#define PER_REC6 (sizeof(struct fq_rec) + 24)

static uint64_t rng;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* n records, rec_id 0..n-1, stime from few distinct values (many ties),
 * the other fields random so that a record torn apart would show. */
static struct fq_rec *make_recs(size_t n, uint64_t seed, uint64_t tspan)
{
    rng = seed;
    struct fq_rec *v = calloc(n ? n : 1, sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++) {
        memset(&v[i], 0, sizeof v[i]);
        v[i].rec_id = i;
        v[i].stime = 1260226804000ull + next_rand() % tspan;
        v[i].etime = v[i].stime + next_rand() % 5000;
        v[i].srcip = (uint32_t)next_rand();
        v[i].dstip = (uint32_t)next_rand();
        v[i].bytes = (uint32_t)next_rand();
        v[i].srcport = (uint16_t)next_rand();
        v[i].proto = (uint8_t)next_rand();
        v[i].engine_id = (uint8_t)next_rand();
    }
    return v;
}

static int cmp_rec(const void *a, const void *b)
{
    const struct fq_rec *x = a, *y = b;
    if (x->stime != y->stime)
        return x->stime < y->stime ? -1 : 1;
    return (x->rec_id > y->rec_id) - (x->rec_id < y->rec_id);
}

static void shuffle(struct fq_rec *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = next_rand() % i;
        struct fq_rec t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* Add v[0..n) in chunks of `chunk`, read back `cap` at a time, and
 * compare with the qsort order record for record. */
static void check_spool(const struct fq_rec *v, size_t n, size_t budget, size_t chunk, size_t cap)
{
    struct fq_error err = {.offset = -1};
    struct spool *s = spool_new(budget);
    for (size_t i = 0; i < n; i += chunk)
        ck_assert_int_eq(spool_add(s, v + i, n - i < chunk ? n - i : chunk, &err), FQ_OK);
    ck_assert_uint_eq(spool_count(s), n);

    struct fq_rec *want = malloc((n ? n : 1) * sizeof *want);
    ck_assert_ptr_nonnull(want);
    memcpy(want, v, n * sizeof *v);
    qsort(want, n, sizeof *want, cmp_rec);

    struct fq_rec *buf = malloc(cap * sizeof *buf);
    ck_assert_ptr_nonnull(buf);
    size_t got = 0;
    ssize_t k;
    while ((k = spool_next(s, buf, cap, &err)) > 0) {
        ck_assert_uint_le((size_t)k, cap);
        ck_assert_uint_le(got + (size_t)k, n);
        for (ssize_t i = 0; i < k; i++)
            ck_assert_msg(memcmp(&buf[i], &want[got + (size_t)i], sizeof *buf) == 0,
                          "record %zu: got rec_id %llu stime %llu, want rec_id %llu stime %llu",
                          got + (size_t)i, (unsigned long long)buf[i].rec_id,
                          (unsigned long long)buf[i].stime,
                          (unsigned long long)want[got + (size_t)i].rec_id,
                          (unsigned long long)want[got + (size_t)i].stime);
        got += (size_t)k;
    }
    ck_assert_int_eq(k, 0);
    ck_assert_int_eq(err.code, FQ_OK);
    ck_assert_uint_eq(got, n);
    ck_assert_int_eq(spool_next(s, buf, cap, &err), 0);    /* the end stays the end */
    ck_assert_uint_eq(spool_count(s), n);
    free(buf);
    free(want);
    spool_free(s);
}

START_TEST(empty)
{
    struct fq_error err = {.offset = -1};
    struct spool *s = spool_new(1 << 20);
    struct fq_rec buf[4];
    ck_assert_uint_eq(spool_count(s), 0);
    ck_assert_int_eq(spool_add(s, buf, 0, &err), FQ_OK);
    ck_assert_int_eq(spool_next(s, buf, 4, &err), 0);
    ck_assert_int_eq(spool_next(s, buf, 4, &err), 0);
    ck_assert_uint_eq(spool_count(s), 0);
    ck_assert_int_eq(err.code, FQ_OK);
    spool_free(s);
    spool_free(NULL);
}
END_TEST

/* Everything fits: no temporary file at all, so an unusable TMPDIR does
 * not matter. */
START_TEST(one_run_in_memory)
{
    setenv("TMPDIR", "/nonexistent-flowq-spool-test", 1);
    struct fq_rec *v = make_recs(5000, 1, 300);
    check_spool(v, 5000, 5000 * PER_REC, 5000, 5000);
    check_spool(v, 5000, 5000 * PER_REC, 777, 13);
    check_spool(v, 1, 5000 * PER_REC, 1, 1);
    free(v);
}
END_TEST

START_TEST(two_runs)
{
    struct fq_rec *v = make_recs(5000, 2, 300);
    /* a run of 3000 written, 2000 merged from memory */
    check_spool(v, 5000, 3000 * PER_REC, 5000, 4096);
    check_spool(v, 5000, 2500 * PER_REC, 100, 1);         /* two full runs */
    free(v);
}
END_TEST

START_TEST(many_runs)
{
    struct fq_rec *v = make_recs(5000, 3, 300);
    check_spool(v, 5000, 100 * PER_REC, 64, 500);         /* 50 runs, one merge */
    /* 128 runs written and 8 records in memory: one merge of 129 */
    check_spool(v, 5000, 39 * PER_REC, 1000, 7);
    /* 131 runs written and 22 records, written too: a pass makes 2 runs */
    check_spool(v, 5000, 38 * PER_REC, 1000, 7);
    check_spool(v, 5000, 10 * PER_REC, 5000, 4096);       /* 500 runs: a pass makes 4 */
    free(v);
}
END_TEST

/* Runs of one record (a budget below one record is one record): 20000
 * runs, merged into 157 by a first pass, into 2 by a second, then out. */
START_TEST(two_merge_passes)
{
    struct fq_rec *v = make_recs(20000, 4, 1000);
    check_spool(v, 20000, 1, 20000, 4096);
    free(v);
}
END_TEST

/* Added out of rec_id order: the sort may not rely on it. */
START_TEST(any_add_order)
{
    struct fq_rec *v = make_recs(6000, 5, 200);
    shuffle(v, 6000);
    check_spool(v, 6000, 6000 * PER_REC, 6000, 6000);     /* in memory */
    check_spool(v, 6000, 700 * PER_REC, 333, 1000);       /* 9 runs */
    check_spool(v, 6000, 20 * PER_REC, 6000, 100);        /* 300 runs */
    free(v);
}
END_TEST

/* Times more than 2^32 ms apart, in order and not. */
START_TEST(wide_time_span)
{
    struct fq_rec *v = make_recs(3000, 6, (uint64_t)1 << 40);
    check_spool(v, 3000, 3000 * PER_REC, 3000, 3000);
    check_spool(v, 3000, 200 * PER_REC, 3000, 3000);
    shuffle(v, 3000);
    check_spool(v, 3000, 200 * PER_REC, 100, 3000);
    free(v);
}
END_TEST

/* Every stime equal: the order is rec_id alone. */
START_TEST(all_ties)
{
    struct fq_rec *v = make_recs(3000, 7, 1);
    check_spool(v, 3000, 3000 * PER_REC, 3000, 3000);
    check_spool(v, 3000, 50 * PER_REC, 3000, 3000);
    shuffle(v, 3000);
    check_spool(v, 3000, 50 * PER_REC, 3000, 3000);
    free(v);
}
END_TEST

/* Records with IPv6 addresses among IPv4 ones: the whole record, ip6
 * bytes and v6 flags included, comes back, whether the first IPv6 record
 * comes to an empty buffer, to records held, or after runs of IPv4
 * records were written; the IPv4 records come back with ip6 zero. */
static void make_v6(struct fq_rec *v, size_t n, size_t every)
{
    for (size_t i = 0; i < n; i += every) {
        v[i].v6 = (uint8_t)(1 + next_rand() % 15);
        for (unsigned f = 0; f < 4; f++)
            if (v[i].v6 >> f & 1)
                for (unsigned b = 0; b < 16; b++)
                    v[i].ip6[f][b] = (uint8_t)next_rand();
    }
}

START_TEST(ipv6_records)
{
    struct fq_rec *v = make_recs(5000, 12, 300);
    struct fq_rec *w = malloc(5000 * sizeof *w);
    ck_assert_ptr_nonnull(w);
    memcpy(w, v, 5000 * sizeof *v);
    make_v6(w + 4000, 1000, 7);                            /* after 4000 IPv4 records */
    check_spool(w, 5000, 5000 * PER_REC6, 5000, 5000);    /* in memory throughout */
    check_spool(w, 5000, 5000 * PER_REC, 333, 999);       /* widened in place */
    check_spool(w, 5000, 3000 * PER_REC6, 1000, 777);     /* held IPv4 records are written */
    check_spool(w, 5000, 300 * PER_REC, 64, 4096);        /* IPv4 runs, then whole ones */
    check_spool(w, 5000, 30 * PER_REC, 5000, 100);        /* merge passes over both kinds */
    memcpy(w, v, 5000 * sizeof *v);
    make_v6(w, 5000, 1);                                   /* IPv6 from the first record */
    check_spool(w, 5000, 200 * PER_REC6, 100, 1000);
    shuffle(w, 5000);
    check_spool(w, 5000, 5000 * PER_REC6, 5000, 5000);
    memcpy(w, v, 5000 * sizeof *v);
    make_v6(w + 4999, 1, 1);                               /* the very last record */
    check_spool(w, 5000, 1000 * PER_REC, 5000, 4096);
    free(w);
    free(v);
}
END_TEST

/* Records added twice come back twice. */
START_TEST(duplicates_kept)
{
    struct fq_rec *v = make_recs(4000, 8, 100);
    memcpy(v + 2000, v, 2000 * sizeof *v);
    check_spool(v, 4000, 4000 * PER_REC, 4000, 4000);
    check_spool(v, 4000, 300 * PER_REC, 4000, 4000);
    free(v);
}
END_TEST

/* The temporary file leaves no name in TMPDIR. */
START_TEST(nothing_left_in_tmpdir)
{
    char dir[] = "/tmp/flowq-spool-test-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("TMPDIR", dir, 1);
    struct fq_rec *v = make_recs(2000, 9, 100);
    struct fq_error err = {.offset = -1};
    struct spool *s = spool_new(100 * PER_REC);
    ck_assert_int_eq(spool_add(s, v, 2000, &err), FQ_OK);
    struct fq_rec buf[16];
    ck_assert_int_eq(spool_next(s, buf, 16, &err), 16);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    ck_assert_uint_eq(entries, 0);
    spool_free(s);
    free(v);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(tmpdir_missing)
{
    setenv("TMPDIR", "/nonexistent-flowq-spool-test", 1);
    struct fq_rec *v = make_recs(1000, 10, 100);
    struct fq_error err = {.offset = -1};
    struct spool *s = spool_new(100 * PER_REC);
    ck_assert_int_eq(spool_add(s, v, 99, &err), FQ_OK);    /* still in memory */
    ck_assert_int_eq(spool_add(s, v + 99, 901, &err), FQ_E_OUTPUT);
    ck_assert_int_eq(err.code, FQ_E_OUTPUT);
    ck_assert_str_eq(err.msg, "cannot write temporary file in /nonexistent-flowq-spool-test: "
                              "No such file or directory");
    ck_assert_str_eq(err.path, "");
    struct fq_rec buf[4];
    ck_assert_int_eq(spool_next(s, buf, 4, &err), -1);     /* a failed spool stays failed */
    ck_assert_int_eq(spool_add(s, v, 1, &err), FQ_E_OUTPUT);
    ck_assert_str_eq(err.msg, "cannot write temporary file in /nonexistent-flowq-spool-test: "
                              "No such file or directory");      /* the first error stays */
    struct fq_error fresh = {.offset = -1};
    ck_assert_int_eq(spool_next(s, buf, 4, &fresh), -1);
    ck_assert_str_eq(fresh.msg, "internal error: spool_next after a failure");
    spool_free(s);
    free(v);
}
END_TEST

/* TMPDIR unset or empty means /tmp. */
START_TEST(tmpdir_default)
{
    unsetenv("TMPDIR");
    struct fq_rec *v = make_recs(1000, 11, 100);
    check_spool(v, 1000, 64 * PER_REC, 1000, 1000);
    setenv("TMPDIR", "", 1);
    check_spool(v, 1000, 64 * PER_REC, 1000, 1000);
    free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("spool");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, empty);
    tcase_add_test(tc, one_run_in_memory);
    tcase_add_test(tc, two_runs);
    tcase_add_test(tc, many_runs);
    tcase_add_test(tc, two_merge_passes);
    tcase_add_test(tc, any_add_order);
    tcase_add_test(tc, wide_time_span);
    tcase_add_test(tc, all_ties);
    tcase_add_test(tc, duplicates_kept);
    tcase_add_test(tc, ipv6_records);
    tcase_add_test(tc, nothing_left_in_tmpdir);
    tcase_add_test(tc, tmpdir_missing);
    tcase_add_test(tc, tmpdir_default);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
