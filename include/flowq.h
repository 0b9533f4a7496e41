/* SPDX-License-Identifier: MIT
 * flowq public definitions: exit statuses and the error record that every
 * library function fills instead of printing.  Only src/main.c prints
 * errors and chooses the exit status.
 */
#ifndef FLOWQ_H
#define FLOWQ_H

#include <stddef.h>
#include <stdint.h>

#define FLOWQ_VERSION "0.1.0"

/* Exit statuses (CLI-CONVENTIONS.md); also the error classes. */
enum fq_status {
    FQ_OK = 0,
    FQ_E_NOMATCH = 1,  /* -e and nothing was output */
    FQ_E_USAGE = 2,    /* bad command line */
    FQ_E_QUERY = 3,    /* query file does not compile */
    FQ_E_INPUT = 4,    /* trace missing, unreadable, corrupt */
    FQ_E_OUTPUT = 5,   /* write error, resource limit, internal error */
    FQ_E_PIPE = 100,   /* internal, never an exit status: the reader of our
                          output went away (EPIPE); main ends quietly, 0 */
    FQ_E_CUT = 101,    /* internal, never an exit status: -c N was reached
                          and more output followed; the run ends early, 0 */
};

struct fq_error {
    enum fq_status code;   /* FQ_OK while no error happened */
    char path[256];        /* query or trace file; "" if none */
    unsigned line, col;    /* query location, 1-based; 0 = none */
    int64_t offset;        /* byte offset in a trace; -1 = none */
    char msg[512];         /* one line, no trailing newline, no "flowq: " */
};

/* Fill *err (printf-style message) unless it already holds an error: the
 * first error is the one worth reporting.  Returns code, for tail calls. */
int fq_fail(struct fq_error *err, enum fq_status code, const char *path,
            int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#ifdef __clang_analyzer__
/* The analyzer sees one file at a time, so it cannot know that fq_fail
 * returns code, never FQ_OK, and follows "error" paths as if they were
 * successes.  This says so (analysis only; the build calls fq_fail). */
#define fq_fail(err, code, ...) ((void)fq_fail((err), (code), __VA_ARGS__), (int)(code))
#endif

#endif
