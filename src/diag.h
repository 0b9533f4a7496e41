/* SPDX-License-Identifier: MIT
 * Query diagnostics: collected while parsing and checking, then printed
 * in GCC form with the source line and a caret, sorted by location (a
 * note stays with its error), duplicates dropped.
 */
#ifndef FQ_DIAG_H
#define FQ_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum diag_sev { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

/* At most this many diagnostics are printed; then a count of the rest. */
enum { DIAG_MAX_SHOWN = 100 };

struct diag_entry {
    enum diag_sev sev;
    unsigned line, col;         /* 0: no location */
    size_t seq;
    char *msg;
    struct diag_entry *notes;   /* chained notes of this diagnostic */
    struct diag_entry *next;
};

struct diags {
    const char *src;
    size_t len;
    const char *path;
    struct diag_entry **v;
    size_t n, cap;
    size_t nerrors;
};

void diag_init(struct diags *d, const char *src, size_t len, const char *path);
void diag_free(struct diags *d);

/* Add an error or warning at line:col (0:0 for none). */
void diag_add(struct diags *d, enum diag_sev sev, unsigned line, unsigned col, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));
/* Attach a note to the diagnostic added last. */
void diag_note(struct diags *d, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Print everything, sorted by location, and forget it. */
void diag_print(struct diags *d, FILE *fp);

#endif
