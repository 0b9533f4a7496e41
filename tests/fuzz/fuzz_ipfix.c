/* SPDX-License-Identifier: MIT
 * libFuzzer target: any bytes -> the IPFIX reader (ipfix.c, libfixbuf
 * underneath), from memory with output buffers of 1 and of 64 records.
 * It must end with 0, or -1 and a one-line error, never crash; records are
 * numbered 0..n-1 and both buffer sizes give the same records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { CAP = 64, MAXKEEP = 4096 };

/* Reads everything cap at a time; keeps the first MAXKEEP records. */
static ssize_t read_all(const uint8_t *data, size_t size, size_t cap, struct fq_rec *keep)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct ipfix_reader *r = ipfix_open_mem(data, size, "fuzz.ipfix", &err);
    if (!r)
        abort();
    struct fq_rec buf[CAP];
    ssize_t n = 0, got;
    while ((got = ipfix_next(r, buf, cap, &err)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i].rec_id != (uint64_t)(n + i))
                abort();
            if (n + i < MAXKEEP)
                keep[n + i] = buf[i];
        }
        n += got;
    }
    ipfix_close(r);
    if (got < 0 && (err.code != FQ_E_INPUT || !err.msg[0] || strchr(err.msg, '\n')))
        abort();
    return got < 0 ? -1 : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fq_rec a[MAXKEEP], b[MAXKEEP];
    ssize_t na = read_all(data, size, CAP, a), nb = read_all(data, size, 1, b);
    if (na != nb)
        abort();
    size_t k = na > MAXKEEP ? MAXKEEP : na < 0 ? 0 : (size_t)na;
    if (k && memcmp(a, b, k * sizeof a[0]) != 0)
        abort();
    return 0;
}
