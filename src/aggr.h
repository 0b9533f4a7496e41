/* SPDX-License-Identifier: MIT
 * Aggregates of LANGUAGE.md 7.4 over one group's members, and the small
 * region allocator that holds the groups' sets.  Members are given in
 * join order (the first is the founding member); module-qualified fields
 * see the founding member plus the members whose module mask has the bit.
 */
#ifndef FQ_AGGR_H
#define FQ_AGGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query.h"
#include "rows.h"
#include "record.h"

/* Bump allocator in chunks; mark/release gives back everything allocated
 * after a mark (the sets of a group the group filter drops).  The last
 * chunk released is kept for the next allocation: a mark taken on an
 * empty pool, released group after group, must not free and allocate a
 * chunk for each. */
struct pool_chunk;
struct pool {
    struct pool_chunk *head;
    struct pool_chunk *spare;   /* an empty chunk of CHUNK_MIN bytes, or NULL */
};
struct pool_mark {
    struct pool_chunk *chunk;
    size_t used;
};

void *pool_alloc(struct pool *a, size_t n);
struct pool_mark pool_mark(const struct pool *a);
void pool_release(struct pool *a, struct pool_mark m);
void pool_free(struct pool *a);
/* Move everything src holds into dst (src is left empty, its spare
 * chunk freed). */
void pool_adopt(struct pool *dst, struct pool *src);

/* Scratch space reused across groups (one per thread). */
struct aggr_scratch {
    uint64_t *v;
    size_t cap;
};

void aggr_scratch_free(struct aggr_scratch *s);

/* The members of one group: record indices in join order and, when the
 * grouper has module-qualified fields, mwords words of module mask per
 * member (NULL otherwise). */
struct aggr_members {
    const uint32_t *rec;
    const uint64_t *mask;
    size_t mwords;
    size_t n;
};

/* Fill row[k] for every k < ngf with need == NULL or need[k] (the others
 * are left alone).  Sets are allocated from a. */
void aggr_group(const struct fq_gfield *gf, size_t ngf, const bool *need,
                const struct fq_rows *R, const struct aggr_members *m, struct pool *a,
                struct aggr_scratch *s, union fq_val *row);

/* One aggregate over the values v[0..n) (n >= 1); v may be reordered.
 * Exposed for unit tests. */
union fq_val aggr_values(enum fq_aggfn fn, uint64_t *v, size_t n, struct pool *a);

#endif
