/* SPDX-License-Identifier: MIT
 * The -t window: times and offsets, relative times, bad input, the record
 * test at its boundaries, and the times and skip decisions of flow-capture
 * and nfcapd names and their directories.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "twin.h"

static const uint64_t T0 = 1795824000000ull; /* 2026-11-28T00:00:00Z */
enum { H = 3600000 };

static uint64_t t(const char *s)
{
    uint64_t ms = 0;
    ck_assert_msg(twin_parse_time(s, T0, &ms), "%s", s);
    return ms;
}

START_TEST(times)
{
    ck_assert_uint_eq(t("2026-11-28"), T0);
    ck_assert_uint_eq(t("2026-11-28T00:00"), T0);
    ck_assert_uint_eq(t("2026-11-28T14:30"), T0 + 14 * H + 30 * 60000);
    ck_assert_uint_eq(t("2026-11-28T14"), T0 + 14 * H);
    ck_assert_uint_eq(t("1795824000"), T0);
    ck_assert_uint_eq(t("2026-11-28T14:30:05Z"), T0 + 14 * H + 30 * 60000 + 5000);
    ck_assert_uint_eq(t("2026-11-28 14:30:05.25z"), T0 + 14 * H + 30 * 60000 + 5250);
    ck_assert_uint_eq(t("2026-11-28T14:30:05.1239"), T0 + 14 * H + 30 * 60000 + 5123);
    ck_assert_uint_eq(t("2026-11-28T14:30+01:00"), T0 + 13 * H + 30 * 60000);
    ck_assert_uint_eq(t("2026-11-28T14:30-0530"), T0 + 20 * H);
    ck_assert_uint_eq(t("2026-11-28T01:00+01"), T0);
    ck_assert_uint_eq(t("1970-01-01"), 0);
    ck_assert_uint_eq(t("2024-02-29"), 1709164800000ull);
    ck_assert_uint_eq(t("-2h"), T0 - 2 * H);
    ck_assert_uint_eq(t("-30m"), T0 - 30 * 60000);
    ck_assert_uint_eq(t("-1d"), T0 - 24ull * H);
    ck_assert_uint_eq(t("-90s"), T0 - 90000);
    ck_assert_uint_eq(t("-1w"), T0 - 7 * 24ull * H);
    uint64_t ms;
    const char *bad[] = {"", "2026", "2026-11", "2026-13-01", "2025-02-29", "2026-11-28T24:00",
                         "2026-11-28T10:60", "2026-11-28T1", "2026-11-28T10:00:61", "12345678",
                         "2026-11-28T10:00:00.", "2026-11-28T10:00+15:00", "2026-11-28x",
                         "-2", "-h", "-2y", "-2hh", "1969-12-31", "1970-01-01T00:00+01:00",
                         "-999999999d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!twin_parse_time(bad[i], T0, &ms), "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(windows)
{
    struct fq_twin w;
    char why[200];
    ck_assert(twin_parse("2026-11-28T14:00/2026-11-28T14:30", T0, &w, why, sizeof why));
    ck_assert(w.on);
    ck_assert_uint_eq(w.start, T0 + 14 * H);
    ck_assert_uint_eq(w.end, T0 + 14 * H + 31 * 60000);
    ck_assert(twin_parse("-1h", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.start, T0 - H);
    ck_assert_uint_eq(w.end, UINT64_MAX);
    ck_assert(twin_parse("-2h/-1h", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.end - w.start, H);
    /* END names its last period: a day, an hour, a minute, a second, 10 ms */
    ck_assert(twin_parse("2026-11-28/2026-11-28", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.start, T0);
    ck_assert_uint_eq(w.end, T0 + 24ull * H);
    ck_assert(twin_parse("2026-11-28T14/2026-11-28T14", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.end - w.start, H);
    ck_assert(twin_parse("2026-11-28T14:00/2026-11-28T14:30", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.end, T0 + 14 * H + 31 * 60000);
    ck_assert(twin_parse("2026-11-28T14:00/2026-11-28T14:30:00", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.end, T0 + 14 * H + 30 * 60000 + 1000);
    ck_assert(twin_parse("2026-11-28T14:00/2026-11-28T14:30:00.25", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.end, T0 + 14 * H + 30 * 60000 + 260);
    ck_assert(twin_parse("1795824000/1795824060", T0, &w, why, sizeof why));
    ck_assert_uint_eq(w.start, T0);
    ck_assert_uint_eq(w.end, T0 + 61000);
    ck_assert(!twin_parse("2026-11-28T14:00/2026-11-28T13:59", T0, &w, why, sizeof why));
    ck_assert_str_eq(why, "the window '2026-11-28T14:00/2026-11-28T13:59' ends before it starts");
    ck_assert(!twin_parse("2026-11-28/", T0, &w, why, sizeof why));
    ck_assert(!twin_parse("x/2026-11-28", T0, &w, why, sizeof why));

    /* [start, end): etime >= start and stime < end */
    w = (struct fq_twin){.on = true, .start = 100, .end = 200};
    ck_assert(twin_rec(&w, 50, 100));
    ck_assert(!twin_rec(&w, 50, 99));
    ck_assert(twin_rec(&w, 199, 300));
    ck_assert(!twin_rec(&w, 200, 300));
    ck_assert(twin_rec(&w, 0, 1000));
    ck_assert(twin_rec(&w, 150, 150));
}
END_TEST

START_TEST(names)
{
    int64_t ms, lo, hi;
    ck_assert(twin_file_time("ft-v05.2026-11-28.143000+0100", &ms));
    ck_assert_int_eq(ms, (int64_t)T0 + 13 * H + 30 * 60000);
    ck_assert(twin_file_time("tmp-v05.2026-11-28.143000-0000", &ms));
    ck_assert_int_eq(ms, (int64_t)T0 + 14 * H + 30 * 60000);
    setenv("TZ", "UTC", 1);
    tzset();
    ck_assert(twin_file_time("nfcapd.202611281430", &ms));
    ck_assert_int_eq(ms, (int64_t)T0 + 14 * H + 30 * 60000);
    ck_assert(twin_file_time("nfcapd.20261128143010", &ms));
    ck_assert_int_eq(ms, (int64_t)T0 + 14 * H + 30 * 60000 + 10000);
    setenv("TZ", "EST5", 1);
    tzset();
    ck_assert(twin_file_time("nfcapd.202611281430", &ms));
    ck_assert_int_eq(ms, (int64_t)T0 + 19 * H + 30 * 60000);
    const char *bad[] = {"ft-v05.2026-11-28.143000", "ft-v05.2026-11-28.143000+01", "nfcapd.current.123",
                         "nfcapd.2026112814", "nfcapd.202611281430.x", "ft-v5.2026-11-28.143000+0100",
                         "example.ft", "ft-v05.2026-11-31.143000+0100"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!twin_file_time(bad[i], &ms), "accepted '%s'", bad[i]);

    ck_assert(twin_dir_span("2026-11-28", &lo, &hi));
    ck_assert_int_eq(lo, (int64_t)T0 - 14 * H);
    ck_assert_int_eq(hi, (int64_t)T0 + 38 * H);
    ck_assert(twin_dir_span("2026-12", &lo, &hi));
    ck_assert_int_eq(hi - lo, 31 * 24ll * H + 28 * H);
    ck_assert(twin_dir_span("2024", &lo, &hi));
    ck_assert_int_eq(hi - lo, 366 * 24ll * H + 28 * H);
    ck_assert(!twin_dir_span("2026-11-31", &lo, &hi));
    ck_assert(!twin_dir_span("2026-1", &lo, &hi));
    ck_assert(!twin_dir_span("traces", &lo, &hi));
    ck_assert(!twin_dir_span("20261", &lo, &hi));
}
END_TEST

START_TEST(skips)
{
    /* window 12:30 .. 13:00 */
    struct fq_twin w = {.on = true, .start = T0 + 12 * H + 30 * 60000, .end = T0 + 13 * H};
    int64_t s = (int64_t)T0;
    /* a file whose flows all ended an hour (the slack) before the window */
    ck_assert(twin_file_outside(&w, s + 6 * H, s + 11 * H + 30 * 60000));
    ck_assert(!twin_file_outside(&w, s + 6 * H, s + 11 * H + 30 * 60000 + 1));
    /* a file opened an hour or more after the window's end */
    ck_assert(twin_file_outside(&w, s + 14 * H, s + 15 * H));
    ck_assert(!twin_file_outside(&w, s + 14 * H - 1, s + 15 * H));
    w.end = UINT64_MAX;
    ck_assert(!twin_file_outside(&w, s + 1000ll * H, s + 1001ll * H));
    /* a directory's last file may stay open a day past it */
    w.end = T0 + 13 * H;
    int64_t lo, hi;
    ck_assert(twin_dir_span("2026-11-27", &lo, &hi));
    ck_assert(!twin_dir_outside(&w, lo, hi));
    ck_assert(twin_dir_span("2026-11-26", &lo, &hi));   /* 14:00 on the 27th + a day + slack */
    ck_assert(!twin_dir_outside(&w, lo, hi));
    ck_assert(twin_dir_span("2026-11-25", &lo, &hi));
    ck_assert(twin_dir_outside(&w, lo, hi));
    ck_assert(twin_dir_span("2026-11-29", &lo, &hi));
    ck_assert(!twin_dir_outside(&w, lo, hi));
    ck_assert(twin_dir_span("2026-11-30", &lo, &hi));
    ck_assert(twin_dir_outside(&w, lo, hi));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("twin");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, times);
    tcase_add_test(tc, windows);
    tcase_add_test(tc, names);
    tcase_add_test(tc, skips);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
