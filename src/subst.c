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
                     size_t ndefs, char **out, size_t *outlen, struct fq_error *err)
{
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
            if (!d) {
                free(buf);
                fq_fail(err, FQ_E_QUERY, path, -1,
                        "undefined variable '$%.*s' (define it with -D %.*s=VALUE)",
                        (int)(e - i - 1), src + i + 1, (int)(e - i - 1), src + i + 1);
                err->line = line;
                err->col = col;
                return FQ_E_QUERY;
            }
            piece = d->value;
            plen = strlen(d->value);
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
    *out = buf;
    *outlen = n;
    return FQ_OK;
}
