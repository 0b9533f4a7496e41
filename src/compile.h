/* SPDX-License-Identifier: MIT
 * The query front end: text -> checked, compiled struct fq_query.
 */
#ifndef FQ_COMPILE_H
#define FQ_COMPILE_H

#include <stddef.h>
#include <stdio.h>

#include "flowq.h"
#include "query.h"

struct fq_define {              /* -D NAME=VALUE */
    const char *name;
    const char *value;
};

/* Replace $NAME by its -D value.  *out is malloc'd.  Every undefined
 * $NAME is an error written to diag in the form of query_compile's (line,
 * column, source line, caret); then FQ_E_QUERY is returned with err->code
 * set and err->msg empty. */
int query_substitute(const char *src, size_t len, const char *path, const struct fq_define *defs,
                     size_t ndefs, char **out, size_t *outlen, FILE *diag, struct fq_error *err);

/* Parse and check src (len bytes; path names it in messages).  Every
 * diagnostic, errors and warnings alike, is written to diag in GCC form
 * ("flowq: PATH:LINE:COL: error: MSG", the source line, a caret).  Returns
 * NULL if there was an error: err->code = FQ_E_QUERY and err->msg is
 * empty, since every diagnostic has already been written to diag.
 * Warnings alone do not stop compilation. */
struct fq_query *query_compile(const char *src, size_t len, const char *path, FILE *diag,
                               struct fq_error *err);

void query_free(struct fq_query *q);

/* --dump-rules: the compiled structs in a stable, readable form. */
void query_dump(FILE *fp, const struct fq_query *q);

#endif
