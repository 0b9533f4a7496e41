/* SPDX-License-Identifier: MIT
 * -D NAME=VALUE: textual substitution of $NAME before parsing.  A '$'
 * inside a '#' comment is left alone, so commented-out lines never need
 * definitions; a '$' not followed by a name is left for the scanner.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "diag.h"
#include "util.h"

static bool name_start(int c)
{
    return isalpha(c) || c == '_';
}

static bool name_char(int c)
{
    return isalnum(c) || c == '_';
}

int query_substitute(const char *src, size_t len, const char *path, const struct fq_define *defs,
                     size_t ndefs, char **out, size_t *outlen, FILE *diag, struct fq_error *err)
{
    struct diags dg;
    diag_init(&dg, src, len, path);
    size_t cap = len + 64, n = 0;
    char *buf = xmalloc(cap);
    unsigned line = 1, col = 1;
    bool comment = false;
    for (size_t i = 0; i < len;) {
        char c = src[i];
        const char *piece = &src[i];
        size_t plen = 1, skip = 1;
        if (c == '\n') {
            comment = false;
        } else if (c == '#') {
            comment = true;
        } else if (c == '$' && !comment && i + 1 < len && name_start((unsigned char)src[i + 1])) {
            size_t e = i + 1;
            while (e < len && name_char((unsigned char)src[e]))
                e++;
            const struct fq_define *d = NULL;
            for (size_t k = 0; k < ndefs; k++)
                if (strlen(defs[k].name) == e - i - 1 &&
                    memcmp(defs[k].name, src + i + 1, e - i - 1) == 0)
                    d = &defs[k]; /* the last -D of a name wins */
            if (d) {
                piece = d->value;
                plen = strlen(d->value);
            } else {
                /* every undefined name is reported, like other query errors */
                diag_add(&dg, DIAG_ERROR, line, col,
                         "undefined variable '$%.*s' (define it with -D %.*s=VALUE)",
                         (int)(e - i - 1), src + i + 1, (int)(e - i - 1), src + i + 1);
                plen = 0;
            }
            skip = e - i;
        }
        if (n + plen + 1 > cap) {
            cap = 2 * (n + plen + 1);
            buf = xrealloc(buf, cap);
        }
        memcpy(buf + n, piece, plen);
        n += plen;
        for (size_t k = 0; k < skip; k++) {
            if (src[i + k] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        i += skip;
    }
    buf[n] = '\0';
    if (dg.nerrors) {
        diag_print(&dg, diag);
        diag_free(&dg);
        free(buf);
        err->code = FQ_E_QUERY; /* the diagnostics are written: no message */
        return FQ_E_QUERY;
    }
    diag_free(&dg);
    *out = buf;
    *outlen = n;
    return FQ_OK;
}
