/* SPDX-License-Identifier: MIT
 * A record spool: records go in in any order and come back in
 * (stime, rec_id) order (LANGUAGE.md 7.7) in bounded memory, by external
 * merge sort.  Records are held in memory up to a budget; past it each
 * full buffer is sorted and written as a run to one temporary file in
 * $TMPDIR (or /tmp) that has no name there, and the runs are
 * merged on the way out.  Nothing touches the disk when everything fits.
 */
#ifndef FQ_SPOOL_H
#define FQ_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowq.h"
#include "record.h"

struct spool;

/* budget: bytes of records (with their sort keys, 120 bytes a record of
 * an IPv4 flow; 184 for every record once one held an IPv6 address) held
 * in memory before a sorted run is written to a temporary file (without a
 * name) in $TMPDIR or /tmp.  The merge reads with about the
 * same memory again (at least 128 x 6 KiB).  Every run costs 16 bytes of
 * bookkeeping, so a budget below some tens of KiB only suits tests. */
struct spool *spool_new(size_t budget);

/* Add r[0..n).  Returns FQ_OK, or FQ_E_OUTPUT with *err filled when a
 * run cannot be written ("cannot write temporary file in DIR: REASON"). */
int spool_add(struct spool *s, const struct fq_rec *r, size_t n, struct fq_error *err);

/* After the last add: records come back in (stime, rec_id) order, n at most per call;
 * returns the count, 0 at the end, -1 with *err filled.
 * The first call does all the work but the final merge (when there are
 * more than 128 runs, they are merged in passes into a second temporary
 * file), so a temporary file that cannot be written fails it before the
 * caller has anything to write; later calls only read. */
ssize_t spool_next(struct spool *s, struct fq_rec *buf, size_t cap, struct fq_error *err);

/* Records added so far. */
uint64_t spool_count(const struct spool *s);

/* Closes the temporary file, if any.  NULL is fine. */
void spool_free(struct spool *s);

#endif
