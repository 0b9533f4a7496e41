/* SPDX-License-Identifier: MIT
 * The execution plan of a compiled query: which path the run takes, and
 * the partition key of each branch.
 *
 * A partition key is a list of record fields per branch such that every
 * tuple the merger can produce (and every group a grouper can form) has
 * the same multiset of key values in each of its branches: the fields are
 * equal within each group (a grouper rule `f = f` common to all modules,
 * or any field for a branch without a grouper), and the merger's equality
 * rules link them across the branches of every module.  Records split by
 * a hash of those values then never meet records of another partition, so
 * partitions can be run apart and their results combined.  The hash is
 * symmetric in the key values (plan_hash), so `A.srcip = B.dstip,
 * A.dstip = B.srcip` keys A by (srcip, dstip) and B by (dstip, srcip) with
 * one function.
 *
 * The plan is immutable once made; it points into the query, which must
 * outlive it.
 */
#ifndef FQ_PLAN_H
#define FQ_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "query.h"
#include "record.h"

/* The path of the whole run, from the most special to the general one. */
enum plan_path {
    PATH_STREAM,    /* only filters: records go through the spool as read */
    PATH_DIRECT,    /* one branch passed through: kept groups mark records */
    PATH_PRODUCT,   /* a merger module without rules: every combination */
    PATH_GROUPS,    /* -g: group rows as the merger streams tuples */
    PATH_JOIN,      /* the merger joins; tuples mark the records to write */
};

struct plan_branch {
    enum fq_field key[F_COUNT]; /* the key fields, in the order of the key classes */
    size_t nkey;                /* 0 when the query is not partitionable */
};

struct fq_plan {
    enum plan_path path;
    bool partitionable;
    char why[320];              /* !partitionable: the rule that prevents it */
    struct plan_branch *branch; /* q->nbranches entries */
    size_t nbranches;
};

/* The path alone (cheap; what the engine and the streaming reader use). */
enum plan_path plan_path(const struct fq_query *q, bool groups);

/* groups: -g.  Never fails; free with plan_free. */
struct fq_plan *plan_make(const struct fq_query *q, bool groups);
void plan_free(struct fq_plan *p);

/* The partition hash of key values v[0..n): independent of their order. */
uint64_t plan_hash(const uint64_t *v, size_t n);

/* --explain: the plan in words, one fact per line. */
void plan_explain(FILE *fp, const struct fq_query *q, const struct fq_plan *p);

#endif
