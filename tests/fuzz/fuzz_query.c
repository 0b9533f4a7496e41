/* SPDX-License-Identifier: MIT
 * libFuzzer target: any bytes -> query_compile (and --dump-rules when it
 * compiles).  The front end must return a query or an error for every
 * input; diagnostics go to a /dev/null stream so their formatting code runs
 * too.  Everything allocated for one input is freed before the next.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A NUL-terminated private copy: the front end gets (src, len) but may
     * legitimately rely on src[len] == 0, as main.c's read_file provides. */
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = '\0';

    FILE *sink = fopen("/dev/null", "w");
    if (!sink) {
        free(src);
        return 0;
    }
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_query *q = query_compile(src, size, "fuzz.fq", sink, &err);
    if (q) {
        query_dump(sink, q);
        query_free(q);
    } else if (err.code != FQ_E_QUERY) {
        /* The contract: NULL always comes with FQ_E_QUERY. */
        abort();
    }
    fclose(sink);
    free(src);
    return 0;
}
