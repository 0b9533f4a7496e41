/* SPDX-License-Identifier: MIT
 * Region allocator: many small allocations, one free.  The front end keeps
 * its syntax tree in one arena (dropped after compiling) and the compiled
 * query in another (owned by struct fq_query).  Memory is zeroed.
 */
#ifndef FQ_ARENA_H
#define FQ_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable array of pointers in an arena; doubling keeps appends linear. */
struct vec {
    void **v;
    size_t n, cap;
};

void vec_push(struct arena *a, struct vec *x, void *p);

#endif
