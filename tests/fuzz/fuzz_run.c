/* SPDX-License-Identifier: MIT
 * libFuzzer target: the whole run.  The input is a query, a NUL byte, then
 * a trace (no NUL: an empty trace).  The query is compiled, the trace read
 * through a memfd by the run path (run.h) into a memory stream, one thread,
 * with a small tuple limit so the combinatorics of a random query cannot
 * stall the fuzzer.  A finished run must leave a closed output and either
 * FQ_OK or an error status with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compile.h"
#include "out.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_memfd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-run", 0);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    return fd;
}

/* The run as flowq runs it (run.h): stream or engine, the trace read
 * from its file. */
static void fuzz_run(const struct fq_query *q, int fd, bool groups, enum fq_fmt fmt)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
    char *p = path;
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return;
    struct out_opts oo = {.fmt = fmt, .tfmt = TFMT_EPOCH};
    struct out *o = out_open(mem, &oo, &err);
    if (o) {
        struct fq_run_opts ro = {.eng = {.threads = 1, .max_tuples = 5000}, .groups = groups};
        struct engine_stats st = {0};
        int rc = fq_run_query(q, &p, 1, &ro, o, &st, &err);
        if (rc != FQ_OK && err.code == FQ_OK)
            abort();
        engine_stats_free(&st);
        out_close(o, &err);
    }
    fclose(mem);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t qlen = nul ? (size_t)(nul - data) : size;
    char *src = malloc(qlen + 1);
    if (!src)
        return 0;
    memcpy(src, data, qlen);
    src[qlen] = '\0';

    FILE *sink = fopen("/dev/null", "w");
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct fq_query *q = sink ? query_compile(src, qlen, "fuzz.fq", sink, &err) : NULL;
    if (q) {
        size_t tlen = nul ? size - qlen - 1 : 0;
        int fd = fuzz_memfd(nul ? nul + 1 : data, tlen);
        if (fd >= 0) {
            /* The query's length picks the mode, so one corpus covers
             * record and group output in two formats. */
            fuzz_run(q, fd, qlen & 1, (qlen & 2) ? FMT_JSON : FMT_CSV);
            close(fd);
        }
        query_free(q);
    }
    if (sink)
        fclose(sink);
    free(src);
    return 0;
}
