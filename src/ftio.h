/* SPDX-License-Identifier: MIT
 * flow-tools stream I/O (FORMAT-flowtools.md): a reader that walks all
 * input operands (files, directories, "-" for stdin, several concatenated
 * streams on one pipe) and decodes every record version into struct
 * fq_rec, and a v5 stream writer.
 */
#ifndef FQ_FTIO_H
#define FQ_FTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "flowq.h"
#include "record.h"
#include "progress.h"
#include "twin.h"

struct ft_reader_opts {
    bool all_files;            /* do not skip tmp* in directories */
    bool verbose;              /* name each file on stderr as it is opened */
    /* Threads that read files in parallel (one file each, the records
     * returned exactly as read in order); 0 = one per core, 1 = none. */
    unsigned threads;
    uint64_t max_bytes;        /* --max-memory, for the reader's callers (run.c,
                                  stream.c); 0 = no limit */
    const struct fq_twin *win; /* -t: only records overlapping it, and time-named
                                  files and directories outside it not opened
                                  (twin.h); NULL or !on = all */
    struct progress *prog;     /* told of the inputs and each chunk read
                                  (progress.h); NULL = none; not owned */
    /* Called (when set) for what the directory walk leaves out: a
     * directory with no trace file, and, when verbose, each tmp* file
     * skipped.  The caller prints; the reader goes on. */
    void (*warn)(const char *path, const char *msg);
    /* Skip a file no reader claims even when it is named as an operand,
     * not only when a directory walk found it (the second reading, which
     * names the files of the first; their identity is checked apart). */
    bool skip_foreign;
    /* When set, every chunk of decoded records goes through keep on the
     * thread that decoded it (the parallel reader's workers filter as they
     * read): it moves the records to return to the front of recs[0..n)
     * and says how many.  The others are numbered and counted
     * (ft_reader_count) all the same.  Called from several threads at
     * once. */
    size_t (*keep)(void *ctx, struct fq_rec *recs, size_t n);
    void *keep_ctx;
};

struct ft_reader;

/* Operands as on the command line; n == 0 means standard input.  Returns
 * NULL and fills *err on failure (no such file, ...). */
struct ft_reader *ft_reader_open(char *const *paths, size_t n, const struct ft_reader_opts *o,
                                 struct fq_error *err);

/* Decode up to cap records into buf, rec_id numbered across all inputs.
 * Returns the count, 0 at the end of the last input, -1 on error (*err
 * names the file and byte offset). */
ssize_t ft_reader_next(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err);

void ft_reader_close(struct ft_reader *r);

/* Records read so far, returned or skipped (with a -t window: those
 * inside it). */
uint64_t ft_reader_count(const struct ft_reader *r);

/* A compressed stream was opened so far (by the parallel reader: perhaps
 * one ahead of the records returned). */
bool ft_reader_inflated(const struct ft_reader *r);

/* From now on ft_reader_next returns only the records whose rec_id has
 * its bit set in bits[0..n/64] (the others are skipped undecoded). */
void ft_reader_want(struct ft_reader *r, const uint64_t *bits, uint64_t n);

/* The inputs as the reader walks them: directories expanded, in order;
 * "-" is standard input.  Valid until ft_reader_close. */
char *const *ft_reader_paths(const struct ft_reader *r, size_t *n);

/* Read everything into one array (the tools' and tests' engine input;
 * flowq itself reads through engine_in_add).  *recs is malloc'd and owned
 * by the caller. */
int ft_read_all(char *const *paths, size_t n, const struct ft_reader_opts *o,
                struct fq_rec **recs, size_t *nrecs, struct fq_error *err);

/* Writer: header v3 (EX_VER, HEADER_FLAGS, ...).  ft_writer_open writes
 * v5 in host byte order with zlib level 0 (none) .. 9; ft_writer_open_ex
 * writes any record version in either byte order (test fixtures, the
 * generator).  Fields a version lacks are dropped. */
struct ft_writer_opts {
    int version;               /* 1, 5, 6, 7 or 1005; 0 means 5 */
    int byte_order;            /* 0 host, 1 little, 2 big (the preamble's codes) */
    int zlevel;                /* 0 .. 9 */
};

struct ft_writer;
struct ft_writer *ft_writer_open(FILE *fp, int zlevel, struct fq_error *err);
struct ft_writer *ft_writer_open_ex(FILE *fp, const struct ft_writer_opts *o,
                                    struct fq_error *err);
int ft_writer_put(struct ft_writer *w, const struct fq_rec *r, struct fq_error *err);
int ft_writer_close(struct ft_writer *w, struct fq_error *err); /* flushes; does not fclose */

#endif
