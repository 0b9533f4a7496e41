/* SPDX-License-Identifier: MIT
 * Conditions over group records: the group filter (one branch bound) and
 * merger rules (several).  X_GFIELD operands read rows[expr.branch].
 */
#ifndef FQ_GCOND_H
#define FQ_GCOND_H

#include <stdbool.h>

#include "query.h"

/* rows is indexed by branch (query.branches); only the branches the
 * condition names need to be non-NULL. */
bool gcond_cnf(const struct fq_cnf *c, const union fq_val *const *rows);
bool gcond_clause(const struct fq_clause *c, const union fq_val *const *rows);
bool gcond_term(const struct fq_term *t, const union fq_val *const *rows);

#endif
