/* SPDX-License-Identifier: MIT
 * Names of operators, aggregation functions and Allen relations, from
 * names.def.  Static tables; nothing to free.
 */
#ifndef FQ_NAMES_H
#define FQ_NAMES_H

#include <stdbool.h>

#include "query.h"

extern const char *const fq_op_name[];      /* by enum fq_op */
extern const char *const fq_agg_name[];     /* by enum fq_aggfn */
extern const char *const fq_allen_name[];   /* by enum fq_allen */

/* Aggregation function by name or alias, case-insensitive (as the
 * language reads them); -1 when unknown.  AGG_PLAIN has no callable name. */
int agg_lookup(const char *name);

/* Allen relation by word or alias (case-sensitive); -1 when unknown. */
int allen_lookup(const char *word);

/* Whether relation r takes delta. */
bool allen_takes_delta(enum fq_allen r);

#endif
