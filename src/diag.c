/* SPDX-License-Identifier: MIT
 * Diagnostics: storage, ordering and the GCC-style printer.  The caret line
 * copies the tabs of the source line so that the caret lines up in any
 * terminal whatever its tab width.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void diag_init(struct diags *d, const char *src, size_t len, const char *path)
{
    memset(d, 0, sizeof *d);
    d->src = src;
    d->len = len;
    d->path = path;
}

static void entry_free(struct diag_entry *e)
{
    while (e) {
        struct diag_entry *next = e->next;
        entry_free(e->notes);
        free(e->msg);
        free(e);
        e = next;
    }
}

void diag_free(struct diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        entry_free(d->v[i]);
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}

static struct diag_entry *entry_new(enum diag_sev sev, unsigned line, unsigned col,
                                    const char *fmt, va_list ap)
{
    struct diag_entry *e = xcalloc(1, sizeof *e);
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    e->msg = xmalloc((size_t)n + 1);
    vsnprintf(e->msg, (size_t)n + 1, fmt, ap);
    e->sev = sev;
    e->line = line;
    e->col = col;
    return e;
}

void diag_add(struct diags *d, enum diag_sev sev, unsigned line, unsigned col, const char *fmt,
              ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct diag_entry *e = entry_new(sev, line, col, fmt, ap);
    va_end(ap);
    if (d->n == d->cap)
        d->v = xrealloc(d->v, (d->cap = d->cap ? 2 * d->cap : 16) * sizeof *d->v);
    e->seq = d->n;
    d->v[d->n++] = e;
    if (sev == DIAG_ERROR)
        d->nerrors++;
}

void diag_note(struct diags *d, unsigned line, unsigned col, const char *fmt, ...)
{
    if (d->n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    struct diag_entry *e = entry_new(DIAG_NOTE, line, col, fmt, ap);
    va_end(ap);
    struct diag_entry **p = &d->v[d->n - 1]->notes;
    while (*p)
        p = &(*p)->next;
    *p = e;
}

/* Located diagnostics first, by line, column and order of discovery;
 * those without a location (missing statements) last. */
static int cmp_entry(const void *pa, const void *pb)
{
    const struct diag_entry *a = *(struct diag_entry *const *)pa;
    const struct diag_entry *b = *(struct diag_entry *const *)pb;
    unsigned la = a->line ? a->line : ~0u, lb = b->line ? b->line : ~0u;
    if (la != lb)
        return la < lb ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool same(const struct diag_entry *a, const struct diag_entry *b)
{
    return a->sev == b->sev && a->line == b->line && a->col == b->col &&
           strcmp(a->msg, b->msg) == 0;
}

/* Lines longer than this are shown as a window around the caret. */
enum { LINE_MAX_SHOWN = 160, WINDOW_BEFORE = 60 };

static void print_one(const struct diags *d, FILE *fp, const struct diag_entry *e,
                      const size_t *lines, size_t nlines)
{
    static const char *const sev[] = {"error", "warning", "note"};
    if (!e->line) {
        fprintf(fp, "flowq: %s: %s: %s\n", d->path, sev[e->sev], e->msg);
        return;
    }
    fprintf(fp, "flowq: %s:%u:%u: %s: %s\n", d->path, e->line, e->col, sev[e->sev], e->msg);
    const char *end = d->src + d->len;
    const char *p = e->line <= nlines ? d->src + lines[e->line - 1] : end;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    size_t len = (size_t)(eol - p), from = 0, to = len, col = e->col ? e->col - 1 : 0;
    if (len > LINE_MAX_SHOWN) {
        from = col > WINDOW_BEFORE ? col - WINDOW_BEFORE : 0;
        to = from + LINE_MAX_SHOWN < len ? from + LINE_MAX_SHOWN : len;
    }
    const char *dots = from ? "..." : "";
    fprintf(fp, "%s%.*s%s\n", dots, (int)(to - from), p + from, to < len ? "..." : "");
    fputs(dots, fp);
    for (size_t c = from; c < col && c < from + LINE_MAX_SHOWN; c++)
        fputc(c < len && p[c] == '\t' ? '\t' : ' ', fp);
    fputs("^\n", fp);
}

void diag_print(struct diags *d, FILE *fp)
{
    if (d->n == 0)
        return;
    qsort(d->v, d->n, sizeof *d->v, cmp_entry);
    /* line starts, so that many messages on a big query stay linear */
    size_t nlines = 1, *lines = NULL;
    for (size_t i = 0; i < d->len; i++)
        nlines += d->src[i] == '\n';
    lines = xmalloc(nlines * sizeof *lines);
    lines[0] = 0;
    for (size_t i = 0, k = 1; i < d->len; i++)
        if (d->src[i] == '\n')
            lines[k++] = i + 1;
    /* one buffered write: stderr is unbuffered, and a flood of messages
     * must not become a flood of system calls */
    char *buf = NULL;
    size_t blen = 0, shown = 0, hidden = 0;
    FILE *out = open_memstream(&buf, &blen);
    if (!out)
        out = fp;
    for (size_t i = 0; i < d->n; i++) {
        bool dup = false;
        /* the same group filter checked for two branches says things twice */
        for (size_t j = i; j-- > 0 && d->v[j]->line == d->v[i]->line &&
                            d->v[j]->col == d->v[i]->col;)
            if (same(d->v[j], d->v[i]))
                dup = true;
        if (dup)
            continue;
        if (shown == DIAG_MAX_SHOWN) {
            hidden++;
            continue;
        }
        shown++;
        print_one(d, out, d->v[i], lines, nlines);
        for (const struct diag_entry *n = d->v[i]->notes; n; n = n->next)
            print_one(d, out, n, lines, nlines);
    }
    if (hidden)
        fprintf(out, "flowq: %s: note: %zu more errors and warnings not shown\n", d->path,
                hidden);
    if (out != fp) {
        fclose(out);
        fwrite(buf, 1, blen, fp);
        fflush(fp);
        free(buf);
    }
    free(lines);
    diag_free(d);
}
