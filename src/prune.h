/* SPDX-License-Identifier: MIT
 * Semi-join reduction of the merger's input (LANGUAGE.md 7.6).  A group
 * takes part in a tuple of a module, or in a difference module's choice,
 * only if every plain equality rule "X.f = Y.g" of that module holds for
 * it with some kept group of Y.  So when each module a branch X is in has
 * such a rule to a branch with far fewer records, X stores only the groups
 * whose f is among the values of g in Y's kept groups: the merger's result
 * is the same, without the rows and indexes of the groups that could never
 * match (one event flow against the millions around it).
 *
 * Units are the computed branches (engine.c's twins: one unit computes
 * every branch identical to it).  The engine computes the units that are
 * not pruned first, hands each one's kept groups to prune_source, then the
 * pruned units, which ask prune_keep for each group passing their group
 * filter.
 */
#ifndef FQ_PRUNE_H
#define FQ_PRUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "query.h"

struct prune;

/* The plan for q: twin[i] is the unit computing branch i, npass[u] the
 * records unit u keeps after its filter.  NULL when no unit is pruned.
 * Owned by the caller (prune_free). */
struct prune *prune_make(const struct fq_query *q, const size_t *twin, const size_t *npass);

/* Whether unit u stores only some of its groups (it is computed after the
 * others).  p may be NULL. */
bool prune_pruned(const struct prune *p, size_t u);

/* Unit u's kept groups: n rows of stride values (u is not pruned). */
void prune_source(struct prune *p, size_t u, const union fq_val *val, size_t n,
                  size_t stride);

/* Whether pruned unit u stores the group with values row (every field a
 * rule names is filled in).  Thread-safe once the sources are in. */
bool prune_keep(const struct prune *p, size_t u, const union fq_val *row);

void prune_free(struct prune *p);

#endif
