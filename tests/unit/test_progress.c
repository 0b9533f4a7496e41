/* SPDX-License-Identifier: MIT
 * The progress line: sizes, the line's fields with and without known
 * totals, the delay of a quick run, and the erasing on a terminal.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

START_TEST(sizes)
{
    char b[24];
    progress_size(b, sizeof b, 0);
    ck_assert_str_eq(b, "0 B");
    progress_size(b, sizeof b, 999);
    ck_assert_str_eq(b, "999 B");
    progress_size(b, sizeof b, 1000);
    ck_assert_str_eq(b, "1.0 kB");
    progress_size(b, sizeof b, 237360);
    ck_assert_str_eq(b, "237 kB");
    progress_size(b, sizeof b, 1234567890);
    ck_assert_str_eq(b, "1.2 GB");
    progress_size(b, sizeof b, 4000000000000000000ull);
    ck_assert_str_eq(b, "4000 PB");
}
END_TEST

START_TEST(lines)
{
    char path[] = "/tmp/flowq-progress-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "0123456789", 10), 10);
    close(fd);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    /* not a terminal, no delay: a line per update */
    struct progress *p = progress_new(fp, 0, false);
    char *paths[] = {path, path};
    progress_inputs(p, paths, 2);
    progress_update(p, 1, 0, 0);
    progress_update(p, 2, 20, 7); /* within 250 ms of the last: not drawn */
    progress_end(p);
    fflush(fp);
    ck_assert_str_eq(buf, "flowq: 1/2 files, 0 B of 20 B, 0 records/s, 0:00 elapsed\n");
    /* standard input: no total, no estimate */
    rewind(fp);
    p = progress_new(fp, 0, false);
    char *dash[] = {"-"};
    progress_inputs(p, dash, 1);
    progress_update(p, 1, 5000, 0);
    progress_end(p);
    fputc('\0', fp);
    fflush(fp);
    ck_assert_str_eq(buf, "flowq: 1/1 files, 5.0 kB read, 0 records/s, 0:00 elapsed\n");
    /* a terminal: redrawn with \r, blanked at the end */
    rewind(fp);
    p = progress_new(fp, 0, true);
    progress_inputs(p, dash, 1);
    progress_update(p, 1, 5, 0);
    progress_end(p);
    fputc('\0', fp);
    fflush(fp);
    const char *l = "flowq: 1/1 files, 5 B read, 0 records/s, 0:00 elapsed";
    char want[200];
    snprintf(want, sizeof want, "\r%s\r%*s\r", l, (int)strlen(l), "");
    ck_assert_str_eq(buf, want);
    /* a quick run: nothing before the delay */
    rewind(fp);
    p = progress_new(fp, 60000, true);
    progress_inputs(p, dash, 1);
    progress_update(p, 1, 5, 0);
    progress_end(p);
    fputc('\0', fp);
    fflush(fp);
    ck_assert_str_eq(buf, "");
    progress_end(NULL);
    fclose(fp);
    free(buf);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sizes);
    tcase_add_test(tc, lines);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
