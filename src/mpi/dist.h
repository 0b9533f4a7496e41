/* SPDX-License-Identifier: MIT
 * flowq-mpi: flowq's run with its input read across the ranks of an MPI
 * job.  Rank 0 walks the operands into the ordered file list (walk.h) and
 * sends it to every rank; each rank reads a contiguous run of those files
 * (balanced by size) and keeps the records some branch's filter takes;
 * those are numbered by their position in the whole input (rec_id as
 * flowq gives it).  When the plan has a partition key (and no -g, no
 * IPv6 record), the ranks exchange them by key and each runs its
 * partition; the records they mark go to rank 0, whose run writes them
 * (run.h: fq_run_result).  Otherwise the kept records go to rank 0, which
 * runs the query on them (fq_run_new).  The other ranks' runs are empty,
 * and their standard output and error are /dev/null, so that main.c runs
 * the same code on every rank and only rank 0 is heard.
 *
 * Every file must be readable by the rank it is dealt to (a shared file
 * system, or the same paths on every machine); standard input is not
 * shared with the ranks, so it cannot be an input.
 */
#ifndef FQ_DIST_H
#define FQ_DIST_H

#include <stddef.h>

#include "flowq.h"
#include "query.h"
#include "run.h"

/* MPI_Init; on ranks other than 0, standard output and error become
 * /dev/null.  Returns this process's rank.  A later exit() finalizes MPI. */
int dist_start(int *argc, char ***argv);

/* The job's exit status: rank 0's rc, on every rank; MPI is finalized.
 * Every rank must call it (collective). */
int dist_end(int rc);

/* fq_run_read's counterpart, collective over all ranks: the same ops and
 * o on each.  Every rank returns a run (rank 0's holds the input) or NULL
 * with the same *err: the error flowq would report first (the walk's, or
 * that of the earliest file in walk order that failed).  Warnings go to
 * o->rd.warn on rank 0, in walk order.  No progress line is drawn. */
struct fq_run *dist_run_read(const struct fq_query *q, char *const *ops, size_t nops,
                             const struct fq_run_opts *o, struct fq_error *err);

#endif
