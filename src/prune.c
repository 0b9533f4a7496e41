/* SPDX-License-Identifier: MIT
 * Semi-join reduction: see prune.h for why it is exact.  A unit is pruned
 * only by units with at most a quarter of its records, which are computed
 * before it and never pruned themselves (units are decided smallest
 * first), so the engine needs two waves, not an order.
 */
#include "prune.h"

#include <stdlib.h>

#include "merger.h"
#include "util.h"

enum { RATIO = 4 };

/* The values of one source field: open addressing, 0 marks a free slot
 * (the value 0 itself is a flag). */
struct vset {
    uint64_t *slot;
    size_t mask;
    bool zero;
};

/* Branch field `field` of the pruned unit must be among the values of
 * field `src_field` in unit src's kept groups. */
struct link {
    size_t src;
    int field, src_field;
    struct vset set;
};

struct unit {
    struct link *l;             /* a group is stored if any link holds */
    size_t n;
};

struct prune {
    size_t nb;
    struct unit *u;             /* by branch index; n == 0: not pruned */
};

static void vset_fill(struct vset *s, const union fq_val *val, size_t n, size_t stride, int f)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    s->slot = xcalloc(cap, sizeof *s->slot);
    s->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = val[i * stride + (size_t)f].u;
        if (v == 0) {
            s->zero = true;
            continue;
        }
        size_t p = fq_mix64(v) & s->mask;
        while (s->slot[p] && s->slot[p] != v)
            p = (p + 1) & s->mask;
        s->slot[p] = v;
    }
}

static bool vset_has(const struct vset *s, uint64_t v)
{
    if (v == 0)
        return s->zero;
    for (size_t p = fq_mix64(v) & s->mask; s->slot[p]; p = (p + 1) & s->mask)
        if (s->slot[p] == v)
            return true;
    return false;
}

static bool in_module(const struct fq_mmodule *m, size_t b)
{
    for (size_t i = 0; i < m->nbranches; i++)
        if ((size_t)m->branches[i] == b)
            return true;
    return false;
}

/* The smallest unit not pruned that a plain equality of module m links
 * to branch i (of unit x) and that is small enough to prune x. */
static bool best_link(const struct prune *p, const struct fq_mmodule *m, size_t i, size_t x,
                      const size_t *twin, const size_t *npass, struct link *best)
{
    bool found = false;
    for (size_t c = 0; c < m->rules.n; c++) {
        int b[2], f[2];
        if (!merger_eq_rule(&m->rules.clauses[c], &b[0], &f[0], &b[1], &f[1]))
            continue;
        for (int side = 0; side < 2; side++) {
            if ((size_t)b[side] != i)
                continue;
            size_t s = twin[b[!side]];
            if (s == x || p->u[s].n || npass[s] > npass[x] / RATIO)
                continue;
            if (!found || npass[s] < npass[best->src])
                *best = (struct link){s, f[side], f[!side], {0}};
            found = true;
        }
    }
    return found;
}

/* Unit x's links, one per module of each of its branches, into p->u[x];
 * none if some module lacks one, or a branch is in no module. */
static void unit_links(struct prune *p, const struct fq_query *q, size_t x, const size_t *twin,
                       const size_t *npass)
{
    struct link *l = xcalloc(q->nbranches * q->nmodules + 1, sizeof *l);
    size_t n = 0;
    for (size_t i = 0; i < q->nbranches; i++) {
        if (twin[i] != x)
            continue;
        size_t in = 0;
        for (size_t m = 0; m < q->nmodules; m++) {
            if (!in_module(&q->modules[m], i))
                continue;
            in++;
            struct link k;
            if (!best_link(p, &q->modules[m], i, x, twin, npass, &k)) {
                free(l);
                return;
            }
            size_t j = 0;
            while (j < n && !(l[j].src == k.src && l[j].field == k.field &&
                              l[j].src_field == k.src_field))
                j++;
            if (j == n)
                l[n++] = k;
        }
        if (in == 0) {
            free(l);
            return;
        }
    }
    p->u[x] = (struct unit){l, n};
}

struct prune *prune_make(const struct fq_query *q, const size_t *twin, const size_t *npass)
{
    size_t nb = q->nbranches;
    struct prune *p = xcalloc(1, sizeof *p);
    p->nb = nb;
    p->u = xcalloc(nb ? nb : 1, sizeof *p->u);
    /* units by ascending npass: a unit's sources are decided before it */
    size_t *order = xcalloc(nb ? nb : 1, sizeof *order), nu = 0;
    for (size_t i = 0; i < nb; i++) {
        if (twin[i] != i)
            continue;
        size_t k = nu++;
        for (; k > 0 && npass[order[k - 1]] > npass[i]; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
    bool any = false;
    for (size_t k = 0; k < nu; k++)
        if (npass[order[k]] > 0) {
            unit_links(p, q, order[k], twin, npass);
            any |= p->u[order[k]].n > 0;
        }
    free(order);
    if (!any) {
        prune_free(p);
        return NULL;
    }
    return p;
}

bool prune_pruned(const struct prune *p, size_t u)
{
    return p && p->u[u].n > 0;
}

void prune_source(struct prune *p, size_t u, const union fq_val *val, size_t n, size_t stride)
{
    for (size_t x = 0; x < p->nb; x++)
        for (size_t k = 0; k < p->u[x].n; k++)
            if (p->u[x].l[k].src == u)
                vset_fill(&p->u[x].l[k].set, val, n, stride, p->u[x].l[k].src_field);
}

bool prune_keep(const struct prune *p, size_t u, const union fq_val *row)
{
    const struct unit *un = &p->u[u];
    for (size_t k = 0; k < un->n; k++)
        if (vset_has(&un->l[k].set, row[un->l[k].field].u))
            return true;
    return false;
}

void prune_free(struct prune *p)
{
    if (!p)
        return;
    for (size_t x = 0; x < p->nb; x++) {
        for (size_t k = 0; k < p->u[x].n; k++)
            free(p->u[x].l[k].set.slot);
        free(p->u[x].l);
    }
    free(p->u);
    free(p);
}
