/* SPDX-License-Identifier: MIT
 * Out-of-core runs: when the engine's kept (narrow) rows outgrow the
 * memory budget, they are split by the plan's partition key (plan.h)
 * into partitions on one nameless temporary file in $TMPDIR (or /tmp),
 * and the partitions are run one after another, each loaded into memory
 * alone, as engine_run_partitions runs them side by side: their marks ORed,
 * their counts summed.  The result is the run in memory's, record for
 * record and count for count.
 *
 * A partition that is still over half the budget when its turn comes is
 * split again the same way (other bits of the same hash), up to
 * SPILL_LEVELS levels; past that (rows that share one key value cannot be
 * split) it is run as it is, over the budget.
 */
#ifndef FQ_SPILL_H
#define FQ_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "flowq.h"
#include "plan.h"
#include "query.h"

enum { SPILL_LEVELS = 3 };

struct spill;

/* A spill for q's rows, split by plan (partitionable, and a path that
 * marks records: not -g; not owned, must outlive the spill); budget: the
 * bytes of rows the run may hold in memory.  Nothing is written yet. */
struct spill *spill_new(const struct fq_query *q, const struct fq_plan *plan, size_t budget);

/* Moves every row of in (narrow rows: the layout then never changes) to
 * the partitions and empties in; its IPv6 table and its count of records
 * read stay, and more rows may be added to in and put again.  Returns
 * FQ_OK, or FQ_E_OUTPUT with *err filled when the temporary file cannot
 * be made or written ("cannot write temporary file in DIR: REASON"). */
int spill_put(struct spill *s, struct engine_in *in, struct fq_error *err);

/* After the last spill_put (in has no rows): runs every partition and
 * makes *bits one bit per record read (malloc'd, the caller frees it;
 * engine_run_in's out_bits) and *st the run's counts (as engine_run_in:
 * engine_stats_free it, also on error).  eo as for engine_run_in, without
 * -g.  Returns FQ_OK or an error status with *err filled. */
int spill_run(struct spill *s, struct engine_in *in, const struct engine_opts *eo,
              uint64_t **bits, struct engine_stats *st, struct fq_error *err);

/* Closes the temporary file.  NULL is fine. */
void spill_free(struct spill *s);

#endif
