/* SPDX-License-Identifier: MIT
 * libFuzzer target: the nfdump reader.  The input, after the two magic
 * bytes 0x0C 0xA5 that this target puts in front (so that every input is
 * read as nfdump, and the fuzzer spends its time on the header, blocks,
 * decompressors and records), goes into a memfd that the reader opens by
 * its /dev/fd path.  It is read twice: every record, and then only the
 * records of a rec_id pattern taken from the input's length (the undecoded
 * skipping path).  Each must end with 0 or with -1 and an error filled in,
 * never crash; rec_ids must rise, and the second reading must return
 * exactly the wanted records of the first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ftio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd_of(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-nfdump", 0);
    if (fd < 0)
        return -1;
    static const uint8_t magic[2] = {0x0C, 0xA5};
    if (write(fd, magic, 2) != 2) {
        close(fd);
        return -1;
    }
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

/* Read path; want (bits over rec_ids 0..63) or NULL; returns the records'
 * count and their rec_ids in ids[0..64). */
static size_t read_ids(char *path, const uint64_t *want, uint64_t ids[64], int *failed)
{
    struct fq_error err = {.code = FQ_OK, .offset = -1};
    struct ft_reader_opts ro = {0};
    struct ft_reader *r = ft_reader_open(&path, 1, &ro, &err);
    size_t n = 0;
    *failed = 0;
    if (!r)
        abort(); /* the file exists */
    if (want)
        ft_reader_want(r, want, 64);
    struct fq_rec recs[16];
    ssize_t got;
    uint64_t last = 0;
    while ((got = ft_reader_next(r, recs, 16, &err)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (n && recs[i].rec_id <= last)
                abort();
            if (recs[i].v6 & 0xF0)
                abort(); /* only the four address fields can be IPv6 */
            last = recs[i].rec_id;
            if (n < 64)
                ids[n] = last;
            n++;
        }
    }
    if (got < 0) {
        if (err.code == FQ_OK || err.msg[0] == 0)
            abort(); /* an error must say what went wrong */
        *failed = 1;
    }
    ft_reader_close(r);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_of(data, size);
    if (fd < 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fd);
    uint64_t all[64], some[64];
    int f1, f2;
    size_t n = read_ids(path, NULL, all, &f1);
    uint64_t want = 0x9E3779B97F4A7C15ull * (size + 1);
    size_t m = read_ids(path, &want, some, &f2);
    if (!f1 && !f2 && n <= 64) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (all[i] < 64 && (want >> all[i] & 1)) {
                if (k >= m || some[k] != all[i])
                    abort();
                k++;
            }
        if (k != m)
            abort();
    }
    close(fd);
    return 0;
}
