/* SPDX-License-Identifier: MIT
 * The ungrouper (LANGUAGE.md 7.7): the records of the exported tuples'
 * groups, each once, in (stime, rec_id) order; or with -g one group row
 * per branch of the exported module for each tuple.
 */
#ifndef FQ_UNGROUPER_H
#define FQ_UNGROUPER_H

#include <stddef.h>
#include <stdint.h>

#include "flowq.h"
#include "gsort.h"
#include "merger.h"
#include "out.h"
#include "query.h"
#include "record.h"
#include "rows.h"

/* Set the bit of every member of a group's records set.  The set holds
 * rec_ids; the rows may be a subset of the input (in input order, see
 * engine_in), so a rec_id is mapped to its row.  R NULL: bits are by
 * rec_id. */
void ungroup_mark_set(const struct fq_rows *R, const struct fq_set *set, uint64_t *bits);

/* Write the rows whose bit is set, in the order ord[0..R->n); R is full. */
int ungroup_write(const struct fq_rows *R, const uint32_t *ord, const uint64_t *bits,
                  struct out *o, uint64_t *written, struct fq_error *err);

/* Run the merger and mark the rows of the members of the tuples' groups
 * in bits (one per row, zeroed by the caller; by rec_id when R is NULL).  No tuple is stored, so
 * memory does not grow with the tuple count; *tuples counts them. */
int ungroup_mark_tuples(const struct fq_query *q, const struct fq_rows *R, const struct bgroups *bg,
                        uint64_t max_tuples, uint64_t *bits, uint64_t *tuples,
                        struct fq_error *err);

/* With -g: each tuple's group rows as the merger streams them; with a
 * sort (NULL: none), all rows or the best sort->limit of them, sorted
 * (gsort.h) and written at the end. */
int ungroup_stream_groups(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
                          const struct gsort_spec *sort, struct out *o, uint64_t *tuples,
                          uint64_t *written, struct fq_error *err);

/* -g output of a merger module without rules and without other modules:
 * the tuples are every combination of the branches' kept groups, written
 * in lexicographic order as they are enumerated (none is stored). */
int ungroup_product_groups(const struct fq_query *q, const struct bgroups *bg,
                           const struct gsort_spec *sort, struct out *o, uint64_t *written,
                           struct fq_error *err);

#endif
