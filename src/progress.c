/* SPDX-License-Identifier: MIT
 * The progress line (progress.h).
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

enum { REDRAW_MS = 250 };

struct progress {
    FILE *fp;
    bool tty, shown;
    uint64_t t0, last, delay;
    size_t nfiles;
    uint64_t total;             /* bytes of the regular files */
    bool sized;                 /* every input has a known size */
    size_t width;               /* of the last line drawn (to blank it) */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct progress *progress_new(FILE *fp, uint64_t delay_ms, bool tty)
{
    struct progress *p = xcalloc(1, sizeof *p);
    p->fp = fp;
    p->tty = tty;
    p->delay = delay_ms;
    p->t0 = mono_ms();
    p->sized = true;
    return p;
}

void progress_inputs(struct progress *p, char *const *paths, size_t n)
{
    if (!p)
        return;
    p->nfiles = n;
    p->total = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
            p->total += (uint64_t)st.st_size;
        else
            p->sized = false;
    }
}

void progress_size(char *buf, size_t len, uint64_t b)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1000 && u + 1 < sizeof unit / sizeof unit[0]) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)b);
    else
        snprintf(buf, len, "%.*f %s", v < 10 ? 1 : 0, v, unit[u]);
}

static void clock_text(char *buf, size_t len, uint64_t s)
{
    if (s >= 3600)
        snprintf(buf, len, "%llu:%02u:%02u", (unsigned long long)(s / 3600), (unsigned)(s / 60 % 60),
                 (unsigned)(s % 60));
    else
        snprintf(buf, len, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

void progress_update(struct progress *p, size_t files, uint64_t bytes, uint64_t records)
{
    if (!p)
        return;
    uint64_t now = mono_ms(), el = now - p->t0;
    if (el < p->delay || (p->shown && now - p->last < REDRAW_MS))
        return;
    p->last = now;
    char rd[24], tot[24], ela[24], left[32] = "";
    progress_size(rd, sizeof rd, bytes);
    progress_size(tot, sizeof tot, p->total);
    clock_text(ela, sizeof ela, el / 1000);
    double rate = el ? (double)records * 1000.0 / (double)el : 0;
    if (p->sized && bytes && p->total >= bytes) {
        char t[24];
        clock_text(t, sizeof t, (uint64_t)((double)el / 1000.0 * (double)(p->total - bytes) / (double)bytes));
        snprintf(left, sizeof left, ", %s left", t);
    }
    char line[200];
    int n;
    if (p->sized)
        n = snprintf(line, sizeof line, "flowq: %zu/%zu files, %s of %s, %.0f records/s, %s elapsed%s",
                     files, p->nfiles, rd, tot, rate, ela, left);
    else
        n = snprintf(line, sizeof line, "flowq: %zu/%zu files, %s read, %.0f records/s, %s elapsed",
                     files, p->nfiles, rd, rate, ela);
    size_t w = n < 0 ? 0 : (size_t)n >= sizeof line ? sizeof line - 1 : (size_t)n;
    if (p->tty)
        fprintf(p->fp, "\r%s%*s", line, p->width > w ? (int)(p->width - w) : 0, "");
    else
        fprintf(p->fp, "%s\n", line);
    fflush(p->fp);
    p->width = w;
    p->shown = true;
}

void progress_end(struct progress *p)
{
    if (!p)
        return;
    if (p->shown && p->tty) {
        fprintf(p->fp, "\r%*s\r", (int)p->width, "");
        fflush(p->fp);
    }
    free(p);
}
