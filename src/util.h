/* SPDX-License-Identifier: MIT
 * Allocation that cannot fail silently, and small shared helpers.
 */
#ifndef FQ_UTIL_H
#define FQ_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct fq_error;

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

/* Saturating arithmetic on unsigned 64-bit values (time windows). */
static inline uint64_t u64_add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t u64_sub_sat(uint64_t a, uint64_t b)
{
    return a >= b ? a - b : 0;
}

/* A bijective 64-bit mixer (the MurmurHash3 finaliser): every hash table
 * and the partition hash of flowq use it. */
static inline uint64_t fq_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* Hash of the values v[0..n), in order. */
static inline uint64_t fq_hash_u64s(const uint64_t *v, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++)
        h = fq_mix64(h ^ v[i]);
    return h;
}

/* Optimal string alignment distance between a and b (edits, adjacent
 * swaps counting one), for "did you mean" suggestions; any value above
 * cap is returned as cap + 1, early. */
unsigned edit_distance(const char *a, const char *b, unsigned cap);

/* The candidate (NULL-terminated list) nearest to name, at most two edits
 * away; NULL when none is. */
const char *nearest_name(const char *name, const char *const *candidates);

/* ---- nameless temporary files (the spool's sorted runs, the engine's
 * spilled partitions) */

/* The directory for temporary files: $TMPDIR when set and not empty,
 * else /tmp.  The string is the environment's; do not free it. */
const char *tmp_dir(void);

/* A new temporary file in dir without a name there (O_TMPFILE, or
 * unlinked at once where the file system cannot do that), read-write:
 * nothing is left behind whatever way the process ends.  Returns the
 * descriptor (the caller closes it), or -1 with *err filled
 * (FQ_E_OUTPUT, "cannot write temporary file in DIR: REASON"). */
int tmp_open(const char *dir, struct fq_error *err);

/* Writes p[0..len) at fd's position, or reads len bytes at offset off;
 * a short write (a full disk) or read is an error like tmp_open's, dir
 * naming the file's directory.  Return FQ_OK or FQ_E_OUTPUT. */
int tmp_write(int fd, const char *dir, const void *p, size_t len, struct fq_error *err);
int tmp_pread(int fd, const char *dir, void *p, size_t len, uint64_t off, struct fq_error *err);

#endif
