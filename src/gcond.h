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

/* The same when address values are keys of t6 (ip6.h); the forms above
 * are these with t6 NULL (no IPv6 value present).  IPv6 constants and
 * prefixes become keys or key ranges of t6. */
struct ip6_tab;
bool gcond_cnf6(const struct fq_cnf *c, const union fq_val *const *rows,
                const struct ip6_tab *t6);
bool gcond_clause6(const struct fq_clause *c, const union fq_val *const *rows,
                   const struct ip6_tab *t6);
bool gcond_term6(const struct fq_term *t, const union fq_val *const *rows,
                 const struct ip6_tab *t6);

#endif
