/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowq.h"

static void nomem(void)
{
    fputs("flowq: out of memory\n", stderr);
    exit(FQ_E_OUTPUT);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        nomem();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        nomem();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        nomem();
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

uint64_t *radix_sort_keyed(uint64_t *a, size_t n, unsigned bits)
{
    enum { DIGIT = 11, RADIX = 1 << DIGIT };
    uint64_t *b = xmalloc((n ? n : 1) * sizeof *b);
    size_t *cnt = xmalloc(RADIX * sizeof *cnt);
    for (unsigned sh = 32; sh < 32 + bits; sh += DIGIT) {
        memset(cnt, 0, RADIX * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[a[i] >> sh & (RADIX - 1)]++;
        size_t sum = 0;
        for (size_t d = 0; d < RADIX; d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            b[cnt[a[i] >> sh & (RADIX - 1)]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    free(cnt);
    free(b);
    return a;
}

/* (fq_fail): flowq.h may define fq_fail as a macro for the analyzer */
int (fq_fail)(struct fq_error *err, enum fq_status code, const char *path, int64_t offset,
              const char *fmt, ...)
{
    if (!err || err->code != FQ_OK)
        return code;
    err->code = code;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    err->line = err->col = 0;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}
