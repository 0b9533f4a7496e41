/* SPDX-License-Identifier: MIT
 * String -> pointer hash map in an arena (open addressing, linear probing).
 * Keys are not copied: they must live as long as the map.
 */
#ifndef FQ_STRMAP_H
#define FQ_STRMAP_H

#include <stddef.h>

#include "arena.h"

struct strmap {
    struct arena *a;
    const char **keys;
    void **vals;
    size_t n, cap;
};

void strmap_init(struct strmap *m, struct arena *a);
void *strmap_get(const struct strmap *m, const char *key);
/* Insert key unless present; returns the value already there, or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *val);

#endif
