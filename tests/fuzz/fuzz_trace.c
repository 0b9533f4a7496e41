/* SPDX-License-Identifier: MIT
 * libFuzzer target: any bytes -> the flow-tools reader, as a file.  The
 * bytes go into a memfd that the reader opens by its /dev/fd path, so the
 * real open/mmap/read paths run; every decoded record is also printed as
 * text, CSV or JSON (by the input's length) into a memory stream so the
 * output formats see odd values.  The reader must end with 0 or with -1 and
 * an error filled in, never crash; ft_read_all must number records 0..n-1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ftio.h"
#include "out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write the whole input into a fresh memfd; -1 on failure. */
static int fuzz_memfd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-trace", 0);
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

static void fuzz_decode(char *path, enum fq_fmt fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return;
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct out_opts oo = {.fmt = fmt, .tfmt = TFMT_ISO};
    struct out *o = out_open(mem, &oo, &err);
    /* one thread: zlib streams inflate inline (the whole-input path below
     * starts the inflate thread), and no thread per input slows the runs */
    struct ft_reader_opts ro = {.threads = 1};
    struct ft_reader *r = ft_reader_open(&path, 1, &ro, &err);
    if (r) {
        struct fq_rec recs[64];
        ssize_t got;
        while ((got = ft_reader_next(r, recs, 64, &err)) > 0) {
            for (ssize_t i = 0; o && i < got; i++)
                out_record(o, &recs[i], &err);
        }
        if (got < 0 && err.code == FQ_OK)
            abort(); /* an error must say what went wrong */
        ft_reader_close(r);
    }
    if (o)
        out_close(o, &err);
    fclose(mem);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    if (fd < 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
    static const enum fq_fmt fmts[] = {FMT_TEXT, FMT_CSV, FMT_JSON};
    fuzz_decode(path, fmts[size % 3]);

    /* The whole-input path the query engine uses. */
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct ft_reader_opts ro = {0};
    struct fq_rec *recs = NULL;
    size_t n = 0;
    char *p = path;
    if (ft_read_all(&p, 1, &ro, &recs, &n, &err) == FQ_OK) {
        for (size_t i = 0; i < n; i++)
            if (recs[i].rec_id != i)
                abort();
    } else if (err.code == FQ_OK) {
        abort();
    }
    free(recs);
    close(fd);
    return 0;
}
