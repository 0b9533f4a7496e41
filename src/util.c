/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flowq.h"

static void nomem(void)
{
    fputs("flowq: out of memory\n", stderr);
    exit(FQ_E_OUTPUT);
}

/* Blocks of several MiB (rows, index arrays) ask for transparent huge
 * pages: they are filled front to back once, and where page faults are
 * dear (virtual machines) a 4 KiB fault per page cost more than the
 * engine's work on it.  Advice only: an error changes nothing. */
static void *checked(void *p, size_t n)
{
    enum { BIG = 4 << 20, PAGE = 4096 };
    if (!p)
        nomem();
    if (n >= BIG) {
        /* whole pages, the malloc header's too: advice on part of a
         * mapping would split it, and mremap cannot grow split mappings */
        uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(PAGE - 1);
        uintptr_t hi = ((uintptr_t)p + n + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
    return p;
}

void *xmalloc(size_t n)
{
    return checked(malloc(n ? n : 1), n);
}

void *xcalloc(size_t n, size_t size)
{
    return checked(calloc(n ? n : 1, size ? size : 1), n * size);
}

void *xrealloc(void *p, size_t n)
{
    return checked(realloc(p, n ? n : 1), n);
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

uint64_t *radix_sort_keyed(uint64_t *a, size_t n, unsigned bits)
{
    /* As few passes as digits of at most 12 bits allow (a 23-bit key in
     * two, not three), the digits as even as they can be */
    enum { DIGIT_MAX = 12, RADIX_MAX = 1 << DIGIT_MAX };
    if (bits > 32)
        bits = 32;
    unsigned passes = (bits + DIGIT_MAX - 1) / DIGIT_MAX;
    unsigned digit = passes ? (bits + passes - 1) / passes : 1;
    uint64_t mask = ((uint64_t)1 << digit) - 1;
    uint64_t *b = xmalloc((n ? n : 1) * sizeof *b);
    size_t *cnt = xmalloc(RADIX_MAX * sizeof *cnt);
    for (unsigned sh = 32; sh < 32 + bits; sh += digit) {
        memset(cnt, 0, RADIX_MAX * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            /* every a[i] is set: the pass before wrote each place once, as
             * its counts add up to n, which the analyzer cannot follow */
            // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
            cnt[a[i] >> sh & mask]++;
        size_t sum = 0;
        for (size_t d = 0; d <= mask; d++) {
            size_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            b[cnt[a[i] >> sh & mask]++] = a[i];
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

unsigned edit_distance(const char *a, const char *b, unsigned cap)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64 || (n > m ? n - m : m - n) > cap)
        return cap + 1;
    unsigned d[65][65];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            unsigned c = a[i - 1] != b[j - 1];
            unsigned v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + c < v)
                v = d[i - 1][j - 1] + c;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

const char *nearest_name(const char *name, const char *const *candidates)
{
    const char *best = NULL;
    unsigned bd = 3;
    for (const char *const *p = candidates; *p; p++) {
        unsigned d = edit_distance(name, *p, 2);
        if (d < bd) {
            bd = d;
            best = *p;
        }
    }
    return best;
}

/* ---- temporary files */

const char *tmp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

static int tmp_fail(const char *dir, const char *what, int e, struct fq_error *err)
{
    return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "cannot %s temporary file in %s: %s", what, dir,
                   strerror(e));
}

/* The error is mkostemp's either way. */
int tmp_open(const char *dir, struct fq_error *err)
{
#ifdef O_TMPFILE
    int tfd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (tfd >= 0)
        return tfd;
#endif
    size_t len = strlen(dir) + sizeof "/flowq-spool-XXXXXX";
    char *path = xmalloc(len);
    snprintf(path, len, "%s/flowq-spool-XXXXXX", dir);
    int fd = mkostemp(path, O_CLOEXEC);
    int e = errno;
    if (fd >= 0)
        unlink(path);
    free(path);
    if (fd < 0)
        tmp_fail(dir, "write", e, err);
    return fd;
}

int tmp_write(int fd, const char *dir, const void *p, size_t len, struct fq_error *err)
{
    const char *c = p;
    while (len) {
        ssize_t w = write(fd, c, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return tmp_fail(dir, "write", w < 0 ? errno : ENOSPC, err);
        c += w;
        len -= (size_t)w;
    }
    return FQ_OK;
}

int tmp_pread(int fd, const char *dir, void *p, size_t len, uint64_t off, struct fq_error *err)
{
    char *c = p;
    while (len) {
        ssize_t got = pread(fd, c, len, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)   /* 0: the file is shorter than what was written */
            return tmp_fail(dir, "read", got < 0 ? errno : EIO, err);
        c += got;
        len -= (size_t)got;
        off += (uint64_t)got;
    }
    return FQ_OK;
}
