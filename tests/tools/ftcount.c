/* SPDX-License-Identifier: MIT
 * Benchmark helper: decodes every record of the inputs through the reader
 * (ft_reader_next, 4096 records at a time) and prints the record count and
 * a checksum over the decoded fields, so the decode cannot be skipped.
 *
 *   ftcount [TRACE|DIR|-]...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ftio.h"

int main(int argc, char **argv)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct ft_reader_opts o = {0};
    struct ft_reader *r = ft_reader_open(argv + 1, (size_t)(argc - 1), &o, &err);
    if (!r) {
        fprintf(stderr, "ftcount: %s: %s\n", err.path, err.msg);
        return 4;
    }
    enum { CHUNK = 4096 };
    struct fq_rec *buf = malloc(CHUNK * sizeof *buf);
    uint64_t n = 0, sum = 0;
    ssize_t got;
    while ((got = ft_reader_next(r, buf, CHUNK, &err)) > 0) {
        for (ssize_t i = 0; i < got; i++)
            sum += buf[i].srcip ^ buf[i].dstip ^ buf[i].bytes ^ buf[i].stime ^ buf[i].dst_as;
        n += (uint64_t)got;
    }
    ft_reader_close(r);
    free(buf);
    if (got < 0) {
        fprintf(stderr, "ftcount: %s: %s\n", err.path, err.msg);
        return 4;
    }
    printf("%llu records, checksum %llu\n", (unsigned long long)n, (unsigned long long)sum);
    return 0;
}
