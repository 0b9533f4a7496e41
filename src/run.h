/* SPDX-License-Identifier: MIT
 * Running a compiled query over input files: the one run path that flowq,
 * its tools and its tests share.  A query that only filters streams
 * (stream.h); any other is read into the engine (engine.h), its rows
 * narrowed when they outgrow the memory budget, and the records to write
 * are then read again from the files (the second reading).  Nothing here
 * prints or exits: errors fill struct fq_error.
 */
#ifndef FQ_RUN_H
#define FQ_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "flowq.h"
#include "ftio.h"
#include "out.h"
#include "query.h"

/* Whether the engine keeps whole records (full rows) or only the fields
 * the query reads after its filters (narrow rows, rows.h).  Narrow rows
 * need the inputs to be regular files, read a second time for the records
 * to write; with other inputs the rows stay full whatever the mode. */
enum fq_rows_mode {
    FQ_ROWS_AUTO,      /* full until the kept records exceed the budget */
    FQ_ROWS_FULL,      /* full always (flowq's FLOWQ_ROWS=full) */
    FQ_ROWS_NARROW,    /* narrow from the start (FLOWQ_ROWS=narrow) */
};

struct fq_run_opts {
    /* The reader's options.  rd.max_bytes (--max-memory) makes kept
     * records beyond it an error and bounds the stream's spool; rd.prog
     * is told of the first reading only (fq_run_read), never of the
     * second; what rd points to must outlive the run. */
    struct ft_reader_opts rd;
    struct engine_opts eng;     /* its groups field is set from groups below */
    bool groups;                /* -g: group records are the output */
    /* Bytes of kept records past which FQ_ROWS_AUTO narrows the rows;
     * 0: rd.max_bytes when set, else a quarter of physical memory. */
    uint64_t budget;
    enum fq_rows_mode rows;
};

/* A query's input, read and ready to run. */
struct fq_run;

/* Read every input for q (paths as ft_reader_open takes them; n == 0 is
 * standard input).  Returns a run that fq_run_write completes, or NULL
 * with *err filled when an input cannot be read; nothing is output either
 * way, so a caller may open its destination only after this succeeded
 * (a missing input then leaves no output file).  q and the paths must
 * outlive the run; o is copied. */
struct fq_run *fq_run_read(const struct fq_query *q, char *const *paths, size_t n,
                           const struct fq_run_opts *o, struct fq_error *err);

/* Run the query and write its result to out (not closed here).  *st is
 * filled (branch array malloc'd: engine_stats_free it, also on error).
 * Narrowed rows read the files again; a file that changed since the first
 * reading is an input error.  Returns FQ_OK, FQ_E_CUT when out's record
 * limit (-c) ended the run early (not a failure), or an error status with
 * *err filled.  Call once per run. */
int fq_run_write(struct fq_run *r, struct out *out, struct engine_stats *st,
                 struct fq_error *err);

void fq_run_free(struct fq_run *r);

/* A run over records read and filtered elsewhere (flowq-mpi's ranks read
 * the files; rank 0 runs the query): fq_run_new, then fq_run_add with
 * every kept record in rec_id order (rec_id the position in the whole
 * input; records no branch's filter takes may be left out), then
 * fq_run_added with the count of records read, kept or not, which
 * --stats reports as each branch's records_in.  The rows stay full (no
 * stream, no second reading); fq_run_write then gives what the run of
 * fq_run_read gives over the same input.  q must outlive the run; o is
 * copied. */
struct fq_run *fq_run_new(const struct fq_query *q, const struct fq_run_opts *o);
void fq_run_add(struct fq_run *r, const struct fq_rec *recs, size_t n);
void fq_run_added(struct fq_run *r, uint64_t nread);

/* A run whose result was made elsewhere (flowq-mpi's ranks ran the
 * partitions): *st (copied) are its counts but records_out, and err, if
 * it holds an error, is what fq_run_write returns (after nothing was
 * written).  fq_run_add gives it the records to write, in rec_id order;
 * fq_run_write writes them in (stime, rec_id) order, as the engine does,
 * and counts them in records_out. */
struct fq_run *fq_run_result(const struct fq_query *q, const struct fq_run_opts *o,
                             const struct engine_stats *st, const struct fq_error *err);

/* fq_run_read, fq_run_write and fq_run_free in one, for callers whose out
 * is open before the inputs are read (tools, tests). */
int fq_run_query(const struct fq_query *q, char *const *paths, size_t n,
                 const struct fq_run_opts *o, struct out *out, struct engine_stats *st,
                 struct fq_error *err);

/* --print: every record of r to out, in input order.  Returns FQ_OK,
 * FQ_E_CUT when out's record limit was reached, or an error status with
 * *err filled; neither r nor out is closed. */
int fq_run_print(struct ft_reader *r, struct out *out, struct fq_error *err);

#endif
