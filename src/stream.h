/* SPDX-License-Identifier: MIT
 * Queries that only filter, in bounded memory.  When the result
 * is simply every record that passes the one branch's filter (and group
 * filter, on one-record groups), in (stime, rec_id) order, those records
 * go through a spool (see spool.h) instead of being held for engine_run:
 * the output, the statistics and the errors are those of engine_run.
 */
#ifndef FQ_STREAM_H
#define FQ_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "flowq.h"
#include "ftio.h"
#include "out.h"
#include "query.h"

/* Records of spool memory when --max-memory does not ask for less, and
 * the least it may ask for (below that the runs' bookkeeping would cost
 * more than it saves). */
#define STREAM_BUDGET ((size_t)32 << 20)
#define STREAM_MIN_BUDGET ((size_t)64 << 10)

struct stream;

/* NULL unless q qualifies: no -g (groups), one branch, exported alone by
 * the only merger module, which has no rules, and that branch has no
 * grouper.  rd->max_bytes, if set, bounds the spool's
 * memory (not below STREAM_MIN_BUDGET) instead of failing the query. */
struct stream *stream_new(const struct fq_query *q, bool groups, const struct ft_reader_opts *rd);

/* Read every input and spool the records that pass the filters.  Errors
 * (input, temporary file) come before anything is output. */
int stream_read(struct stream *s, char *const *paths, size_t n, struct fq_error *err);

/* stream_read's step: the records of recs[0..n) (read next, rec_id
 * increasing) that pass the filters go to the spool; recs is compacted. */
int stream_add(struct stream *s, struct fq_rec *recs, size_t n, struct fq_error *err);

/* engine_run's part: the statistics, --max-tuples, and the records to out. */
int stream_run(struct stream *s, const struct engine_opts *eo, struct out *out,
               struct engine_stats *st, struct fq_error *err);

void stream_free(struct stream *s);

#endif
