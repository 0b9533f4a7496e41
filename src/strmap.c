/* SPDX-License-Identifier: MIT
 * String hash map: FNV-1a, power-of-two table kept at most half full.
 */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

void strmap_init(struct strmap *m, struct arena *a)
{
    memset(m, 0, sizeof *m);
    m->a = a;
}

static size_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

void *strmap_get(const struct strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return NULL;
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    }
}

static void grow(struct strmap *m)
{
    size_t ocap = m->cap;
    const char **okeys = m->keys;
    void **ovals = m->vals;
    m->cap = ocap ? 2 * ocap : 16;
    m->keys = arena_alloc(m->a, m->cap * sizeof *m->keys);
    m->vals = arena_alloc(m->a, m->cap * sizeof *m->vals);
    for (size_t j = 0; j < ocap; j++) {
        if (!okeys[j])
            continue;
        size_t i = hash(okeys[j]) & (m->cap - 1);
        while (m->keys[i])
            i = (i + 1) & (m->cap - 1);
        m->keys[i] = okeys[j];
        m->vals[i] = ovals[j];
    }
}

void *strmap_put(struct strmap *m, const char *key, void *val)
{
    if (2 * (m->n + 1) > m->cap)
        grow(m);
    size_t i = hash(key) & (m->cap - 1);
    for (; m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return NULL;
}
