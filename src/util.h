/* SPDX-License-Identifier: MIT
 * Allocation that cannot fail silently, and small shared helpers.
 */
#ifndef FQ_UTIL_H
#define FQ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* On failure these print "flowq: out of memory" and exit 5: there is no
 * useful way to continue a query without its data. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Sorts a[0..n), each a key above a 32-bit index (key << 32 | index), by
 * the key's low bits bits (<= 32), stably: LSD radix, so equal keys keep
 * their index order.  Returns the sorted array, a or a scratch array of
 * the same size; the other one is freed. */
uint64_t *radix_sort_keyed(uint64_t *a, size_t n, unsigned bits);

/* Optimal string alignment distance between a and b (edits, adjacent
 * swaps counting one), for "did you mean" suggestions; any value above
 * cap is returned as cap + 1, early. */
unsigned edit_distance(const char *a, const char *b, unsigned cap);

/* The candidate (NULL-terminated list) nearest to name, at most two edits
 * away; NULL when none is. */
const char *nearest_name(const char *name, const char *const *candidates);

#endif
