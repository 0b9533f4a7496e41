/* SPDX-License-Identifier: MIT
 * For unit tests: a query from its text, with the splitter S and the
 * ungrouper U every query needs added in front; a query that does not
 * compile fails the test with its diagnostics.  The caller frees it
 * (query_free).
 */
#ifndef FQ_TEST_COMPILE_BODY_H
#define FQ_TEST_COMPILE_BODY_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

static struct fq_query *compile(const char *body)
{
    char src[4096];
    snprintf(src, sizeof src, "splitter S {}\nungrouper U {}\n%s", body);
    char *diag = NULL;
    size_t dlen = 0;
    FILE *fp = open_memstream(&diag, &dlen);
    struct fq_error err = {.offset = -1};
    struct fq_query *q = query_compile(src, strlen(src), "q.fq", fp, &err);
    fclose(fp);
    ck_assert_msg(q != NULL, "query does not compile: %s", diag);
    free(diag);
    return q;
}

#endif
