/* SPDX-License-Identifier: MIT
 * Grouper.  Why it equals LANGUAGE.md 7.3's nested loops: each module has
 * a hash index on its equality rules without delta (key: the founding
 * member's left-hand fields); a group can match module m only if it sits
 * in the bucket of the candidate's right-hand values, and buckets list
 * groups in creation order, so the first group in the bucket that passes
 * m's other rules is the oldest one matching m, and the oldest over all
 * modules is the one the algorithm picks.  A group leaves module m's
 * index when m has a rule bounding the candidate's stime from above and
 * the current stime is past that bound: stime never decreases along the
 * input, so the group can never match m again.
 */
#include "grouper.h"

#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "jobs.h"
#include "rows.h"
#include "util.h"

#define NONE UINT32_MAX

struct rule {
    enum fq_field l, r;
    enum fq_op op;
    bool rel;                   /* rdelta: reference is the last member */
    bool has_delta;
    uint64_t d;
    uint32_t ref;               /* where a group holds its reference value, or NONE */
};

struct bucket {
    uint64_t hash;
    uint32_t n, cap;
    union {
        uint32_t one;
        uint32_t *many;
    } g;
};

/* Groups by the values of some fields, each bucket in creation order. */
struct index {
    enum fq_field *kl, *kr;     /* key: reference-side fields, candidate-side fields */
    size_t nkey;
    struct bucket *b;
    uint64_t *bkey;             /* nkey values per bucket */
    size_t nb, bcap;
    uint64_t *slot;             /* hash >> 32 << 32 | (bucket index + 1); 0 = empty */
    size_t nslots;
    bool same;                  /* kl[k] == kr[k] for every k */
};

struct module {
    struct rule *rules;         /* every rule of the module */
    size_t n;
    struct rule *rest;          /* the rules the index key does not cover */
    size_t nrest;
    bool bounded;               /* some rule bounds the candidate's stime */
    struct index ix;
};

struct gstate {
    const struct fq_rows *R;
    const uint32_t *kept;
    struct module *mods;
    size_t nmods;
    struct bucket **bucket;     /* per module: the candidate's bucket (place) */
    size_t mwords;
    /* per group.  The reference values (the left-hand fields of the rules
     * that are checked, of the first or the last member) are kept with the
     * group, so checking a candidate reads no member's row: at millions
     * of records that read would miss the caches. */
    uint32_t *first, *size;
    uint64_t *refv;             /* nref per group */
    struct ref {
        enum fq_field f;        /* the rule's left-hand field */
        bool last;              /* of the last member (rdelta), else of the first */
    } *refs;                    /* what refv[k] holds, for k < nref */
    size_t nref;
    uint64_t *expiry;           /* nmods per group: last candidate stime each module accepts */
    uint8_t *inix;              /* nmods per group: 1 while in that module's index */
    size_t ngroups;
    bool any_bounded;
    /* per position */
    uint32_t *gid;
    uint64_t *mask;
};

static bool rules_hold(const struct gstate *st, const struct rule *rules, size_t n, uint32_t gid,
                       const unsigned char *c)
{
    if (n == 0)
        return true;
    const uint64_t *v = &st->refv[(size_t)gid * st->nref];
    for (size_t i = 0; i < n; i++) {
        const struct rule *ru = &rules[i];
        uint64_t x = v[ru->ref], y = row_get(st->R, c, ru->r);
        if (!(ru->has_delta ? fq_cmp_delta(ru->op, x, y, ru->d) : fq_cmp(ru->op, x, y)))
            return false;
    }
    return true;
}

/* The group's reference values from c: every one when c founds it, else
 * those of the rules on the last member. */
static void take_refs(struct gstate *st, uint32_t gid, const unsigned char *c, bool founder)
{
    uint64_t *v = &st->refv[(size_t)gid * st->nref];
    for (size_t k = 0; k < st->nref; k++)
        if (founder || st->refs[k].last)
            v[k] = row_get(st->R, c, st->refs[k].f);
}

/* Largest candidate stime the rule can still accept, or UINT64_MAX. */
static uint64_t rule_bound(const struct rule *ru, uint64_t lv)
{
    if (ru->r != F_STIME)
        return UINT64_MAX;
    uint64_t d = ru->has_delta ? ru->d : 0;
    switch (ru->op) {
    case OP_EQ:
        return lv + d < lv ? UINT64_MAX : lv + d;
    case OP_LT:
    case OP_LE:
        if (!ru->has_delta)
            return UINT64_MAX;
        return lv + d < lv ? UINT64_MAX : lv + d;
    case OP_GT:
        /* lv > s; for lv == 0 nothing matches, 0 is merely conservative */
        return lv ? lv - 1 : 0;
    case OP_GE:
        return lv;
    default:
        return UINT64_MAX;
    }
}

static bool rule_bounds(const struct rule *ru)
{
    return ru->r == F_STIME &&
           (ru->op == OP_EQ || ru->op == OP_GT || ru->op == OP_GE ||
            ((ru->op == OP_LT || ru->op == OP_LE) && ru->has_delta));
}

/* The last candidate stime each module can accept from the group: the
 * tightest bound of the module's rules, on the first member or the last. */
static void set_expiry(struct gstate *st, uint32_t gid)
{
    if (!st->any_bounded)
        return;
    const uint64_t *v = &st->refv[(size_t)gid * st->nref];
    uint64_t *e = &st->expiry[(size_t)gid * st->nmods];
    for (size_t i = 0; i < st->nmods; i++) {
        const struct module *m = &st->mods[i];
        uint64_t b = UINT64_MAX;
        for (size_t j = 0; m->bounded && j < m->n; j++) {
            const struct rule *ru = &m->rules[j];
            uint64_t rb = rule_bounds(ru) ? rule_bound(ru, v[ru->ref]) : UINT64_MAX;
            if (rb < b)
                b = rb;
        }
        e[i] = b;
    }
}

/* The bucket of the key values kv[0..nkey); NULL if there is none and
 * create is false. */
static struct bucket *find_bucket(struct index *ix, const uint64_t *kv, bool create)
{
    if (ix->nkey == 0) {
        if (ix->nb == 0) {
            if (!create)
                return NULL;
            ix->b = xcalloc(1, sizeof *ix->b);
            ix->nb = ix->bcap = 1;
        }
        return &ix->b[0];
    }
    if (ix->nslots == 0 && !create)
        return NULL;
    if (2 * (ix->nb + 1) > ix->nslots) {
        size_t ns = ix->nslots ? 2 * ix->nslots : 1024;
        uint64_t *sl = xcalloc(ns, sizeof *sl);
        for (size_t i = 0; i < ix->nb; i++) {
            size_t p = ix->b[i].hash & (ns - 1);
            while (sl[p])
                p = (p + 1) & (ns - 1);
            sl[p] = (ix->b[i].hash >> 32 << 32) | (i + 1);
        }
        free(ix->slot);
        ix->slot = sl;
        ix->nslots = ns;
    }
    uint64_t h = fq_hash_u64s(kv, ix->nkey);
    size_t p = h & (ix->nslots - 1);
    while (ix->slot[p]) {
        if (ix->slot[p] >> 32 == h >> 32) {
            size_t bi = (uint32_t)ix->slot[p] - 1;
            const uint64_t *bk = &ix->bkey[bi * ix->nkey];
            size_t k = 0;
            while (k < ix->nkey && bk[k] == kv[k])
                k++;
            if (k == ix->nkey)
                return &ix->b[bi];
        }
        p = (p + 1) & (ix->nslots - 1);
    }
    if (!create)
        return NULL;
    if (ix->nb == ix->bcap) {
        ix->bcap = ix->bcap ? 2 * ix->bcap : 1024;
        ix->b = xrealloc(ix->b, ix->bcap * sizeof *ix->b);
        ix->bkey = xrealloc(ix->bkey, ix->bcap * ix->nkey * sizeof *ix->bkey);
    }
    struct bucket *b = &ix->b[ix->nb];
    memset(b, 0, sizeof *b);
    b->hash = h;
    memcpy(&ix->bkey[ix->nb * ix->nkey], kv, ix->nkey * sizeof *kv);
    ix->slot[p] = (h >> 32 << 32) | ++ix->nb;
    return b;
}

static uint32_t *bucket_groups(struct bucket *b)
{
    return b->cap > 1 ? b->g.many : &b->g.one;
}

static void bucket_push(struct bucket *b, uint32_t gid)
{
    if (b->n == 0 && b->cap <= 1) {
        b->g.one = gid;
        b->n = 1;
        return;
    }
    if (b->cap <= 1) {
        uint32_t one = b->g.one;
        b->cap = 4;
        b->g.many = xmalloc(b->cap * sizeof(uint32_t));
        b->g.many[0] = one;
    } else if (b->n == b->cap) {
        b->cap *= 2;
        b->g.many = xrealloc(b->g.many, b->cap * sizeof(uint32_t));
    }
    b->g.many[b->n++] = gid;
}

/* A sequence of n records founds at most n groups: the group arrays take
 * that at once (first and size are the caller's), so they are never
 * copied to grow, and pages past the groups founded are never touched. */
static void alloc_groups(struct gstate *st, size_t n)
{
    size_t cap = n ? n : 1;
    st->refv = st->nref ? xmalloc(cap * st->nref * sizeof *st->refv) : NULL;
    if (st->any_bounded) {
        st->expiry = xmalloc(cap * st->nmods * sizeof *st->expiry);
        st->inix = xmalloc(cap * st->nmods);
    }
}

static uint32_t new_group(struct gstate *st, uint32_t pos)
{
    uint32_t gid = (uint32_t)st->ngroups++;
    st->first[gid] = pos;
    st->size[gid] = 1;
    if (st->nref)
        take_refs(st, gid, row_at(st->R, st->kept[pos]), true);
    if (st->inix)
        memset(&st->inix[(size_t)gid * st->nmods], 1, st->nmods);
    if (st->mask)
        memset(&st->mask[(size_t)pos * st->mwords], 0xff, st->mwords * sizeof(uint64_t));
    set_expiry(st, gid);
    return gid;
}

/* The oldest group in module mi's index that r matches by that module,
 * older than limit; retires the groups the module can no longer accept.
 * *bp is c's bucket in that index, made if there was none, so that a
 * group c founds joins it without a second lookup. */
static uint32_t module_oldest(struct gstate *st, size_t mi, const unsigned char *c, uint32_t limit,
                              struct bucket **bp)
{
    struct module *m = &st->mods[mi];
    uint64_t kv[m->ix.nkey + 1];
    for (size_t k = 0; k < m->ix.nkey; k++)
        kv[k] = row_get(st->R, c, m->ix.kr[k]);
    struct bucket *b = *bp = find_bucket(&m->ix, kv, true);
    uint32_t *g = bucket_groups(b);
    uint64_t s = row_stime(c);
    size_t nexp = 0;
    uint32_t found = NONE;
    for (uint32_t i = 0; i < b->n && g[i] < limit; i++) {
        uint32_t gid = g[i];
        if (st->any_bounded && st->expiry[(size_t)gid * st->nmods + mi] < s) {
            nexp++;
            continue;
        }
        if (rules_hold(st, m->rest, m->nrest, gid, c)) {
            found = gid;
            break;
        }
    }
    if (nexp) {
        uint32_t w = 0;
        for (uint32_t i = 0; i < b->n; i++) {
            size_t k = (size_t)g[i] * st->nmods + mi;
            if (st->expiry[k] >= s)
                g[w++] = g[i];
            else
                st->inix[k] = 0;
        }
        b->n = w;
    }
    return found;
}

/* A group that left module mi's index because its last member was too
 * old comes back, in creation order, when a new last member revives it. */
static void reinsert(struct gstate *st, size_t mi, uint32_t gid)
{
    struct index *ix = &st->mods[mi].ix;
    const unsigned char *f = row_at(st->R, st->kept[st->first[gid]]);
    uint64_t kv[ix->nkey + 1];
    for (size_t k = 0; k < ix->nkey; k++)
        kv[k] = row_get(st->R, f, ix->kl[k]);
    struct bucket *b = find_bucket(ix, kv, true);
    bucket_push(b, gid);
    uint32_t *g = bucket_groups(b);
    size_t i = b->n - 1;
    for (; i > 0 && g[i - 1] > gid; i--)
        g[i] = g[i - 1];
    g[i] = gid;
    st->inix[(size_t)gid * st->nmods + mi] = 1;
}

static void place(struct gstate *st, uint32_t pos)
{
    const unsigned char *c = row_at(st->R, st->kept[pos]);
    uint32_t found = NONE;
    size_t fmod = 0;
    for (size_t m = 0; m < st->nmods; m++) {
        uint32_t g = module_oldest(st, m, c, found, &st->bucket[m]);
        if (g != NONE) {
            found = g;
            fmod = m;
        }
    }
    if (found == NONE) {
        /* the founder's left-hand key is its right-hand one when every key
         * rule compares a field with itself; else look it up */
        uint32_t gid = new_group(st, pos);
        st->gid[pos] = gid;
        for (size_t m = 0; m < st->nmods; m++) {
            struct index *ix = &st->mods[m].ix;
            if (!ix->same) {
                uint64_t kv[ix->nkey + 1];
                for (size_t k = 0; k < ix->nkey; k++)
                    kv[k] = row_get(st->R, c, ix->kl[k]);
                st->bucket[m] = find_bucket(ix, kv, true);
            }
            bucket_push(st->bucket[m], gid);
        }
        return;
    }
    if (st->mask) {
        /* every module that holds, judged before pos becomes the last member */
        uint64_t *mk = &st->mask[(size_t)pos * st->mwords];
        memset(mk, 0, st->mwords * sizeof *mk);
        for (size_t m = 0; m < st->nmods; m++)
            if (m == fmod || rules_hold(st, st->mods[m].rules, st->mods[m].n, found, c))
                mk[m / 64] |= (uint64_t)1 << (m % 64);
    }
    st->gid[pos] = found;
    st->size[found]++;
    if (st->nref)
        take_refs(st, found, c, false);
    set_expiry(st, found);
    if (st->any_bounded)
        for (size_t m = 0; m < st->nmods; m++) {
            size_t k = (size_t)found * st->nmods + m;
            if (!st->inix[k] && st->expiry[k] >= row_stime(c))
                reinsert(st, m, found);
        }
}

static void setup(struct gstate *st, const struct fq_grouper *g, size_t n, bool masks)
{
    static const struct fq_gmodule empty = {NULL, NULL, 0};
    const struct fq_gmodule *gm = g->nmodules ? g->modules : &empty;
    st->nmods = g->nmodules ? g->nmodules : 1;
    st->mods = xcalloc(st->nmods, sizeof *st->mods);
    for (size_t m = 0; m < st->nmods; m++) {
        struct module *md = &st->mods[m];
        md->n = gm[m].n;
        md->rules = xcalloc(md->n + 1, sizeof *md->rules);
        md->rest = xcalloc(md->n + 1, sizeof *md->rest);
        md->ix.kl = xcalloc(md->n + 1, sizeof *md->ix.kl);
        md->ix.kr = xcalloc(md->n + 1, sizeof *md->ix.kr);
        for (size_t j = 0; j < md->n; j++) {
            const struct fq_grule *ru = &gm[m].rules[j];
            struct rule r = {ru->l, ru->r, ru->op, ru->dk == D_REL, ru->dk != D_NONE, ru->delta,
                             NONE};
            bool key = ru->op == OP_EQ && ru->dk == D_NONE;
            /* read: rules not in the key, bounds, and every rule for masks */
            if (!key || rule_bounds(&r) || masks) {
                st->refs = xrealloc(st->refs, (st->nref + 1) * sizeof *st->refs);
                st->refs[st->nref] = (struct ref){r.l, r.rel};
                r.ref = (uint32_t)st->nref++;
            }
            md->rules[j] = r;
            if (rule_bounds(&r))
                md->bounded = true;
            if (key) {
                md->ix.kl[md->ix.nkey] = ru->l;
                md->ix.kr[md->ix.nkey++] = ru->r;
            } else {
                md->rest[md->nrest++] = r;
            }
        }
        if (md->bounded)
            st->any_bounded = true;
        md->ix.same = true;
        for (size_t k = 0; k < md->ix.nkey; k++)
            md->ix.same &= md->ix.kl[k] == md->ix.kr[k];
    }
    st->bucket = xcalloc(st->nmods, sizeof *st->bucket);
    alloc_groups(st, n);
}

/* Equality rules without delta that every module has; false if there is
 * none or one compares two different fields. */
static bool common_key(const struct fq_grouper *g, enum fq_field *kf, size_t *nkey)
{
    *nkey = 0;
    if (g->nmodules == 0)
        return false;
    const struct fq_gmodule *m0 = &g->modules[0];
    for (size_t j = 0; j < m0->n; j++) {
        const struct fq_grule *ru = &m0->rules[j];
        if (ru->op != OP_EQ || ru->dk != D_NONE)
            continue;
        bool common = true;
        for (size_t m = 1; m < g->nmodules && common; m++) {
            common = false;
            for (size_t k = 0; k < g->modules[m].n && !common; k++) {
                const struct fq_grule *o = &g->modules[m].rules[k];
                common = o->op == OP_EQ && o->dk == D_NONE && o->l == ru->l && o->r == ru->r;
            }
        }
        if (!common)
            continue;
        if (ru->l != ru->r)
            return false;
        kf[(*nkey)++] = ru->l;
    }
    return *nkey > 0;
}

static void state_free(struct gstate *st)
{
    free(st->refv);
    free(st->refs);
    free(st->expiry);
    free(st->inix);
    for (size_t m = 0; m < st->nmods; m++) {
        struct index *ix = &st->mods[m].ix;
        for (size_t i = 0; i < ix->nb; i++)
            if (ix->b[i].cap > 1)
                free(ix->b[i].g.many);
        free(ix->b);
        free(ix->bkey);
        free(ix->slot);
        free(ix->kl);
        free(ix->kr);
        free(st->mods[m].rules);
        free(st->mods[m].rest);
    }
    free(st->mods);
    free(st->bucket);
}

/* The algorithm on one sequence of records (kept[0..n) in time order),
 * into out, whose gid and size arrays the caller gives, as it gives
 * first, where each group's founding position goes (n entries each, at
 * least one). */
static void group_seq(const struct fq_grouper *g, const struct fq_rows *R, const uint32_t *kept,
                      size_t n, bool want_masks, uint32_t *first, struct grouping *out)
{
    struct gstate st = {.R = R, .kept = kept, .gid = out->gid, .first = first,
                        .size = out->size};
    setup(&st, g, n, want_masks && g->nmodules > 0);
    if (want_masks && g->nmodules > 0) {
        st.mwords = (st.nmods + 63) / 64;
        st.mask = xmalloc((n ? n : 1) * st.mwords * sizeof *st.mask);
    }
    for (size_t p = 0; p < n; p++) {
        if (p + 16 < n)
            __builtin_prefetch(row_at(R, kept[p + 16]));
        place(&st, (uint32_t)p);
    }
    out->ngroups = st.ngroups;
    out->mask = st.mask;
    out->mwords = st.mwords;
    state_free(&st);
}

/* A grouping of n positions with its arrays allocated. */
static void grouping_alloc(struct grouping *gr, size_t n)
{
    memset(gr, 0, sizeof *gr);
    gr->gid = xmalloc((n ? n : 1) * sizeof *gr->gid);
    gr->size = xmalloc((n ? n : 1) * sizeof *gr->size);
}

/* Partitioned grouping.  When every key rule compares a field with itself,
 * a candidate and the groups it can join have the same key values, so
 * records split by key hash never interact.  Many parts keep each part's
 * hash tables small enough for the cache; threads take parts in turn; the
 * parts' groups are merged back into creation order (the order of their
 * founders' positions), so the result is that of one sequence. */
struct part {
    const uint32_t *kept;       /* records of this part, in time order */
    size_t n;
    struct grouping gr;         /* its arrays are slices of the parts' blocks */
    uint32_t *first;            /* likewise: founding positions, then the merged numbers */
};

struct parts {
    const struct fq_grouper *g;
    const struct fq_rows *R;
    bool want_masks;
    struct part *p;
};

static void parts_job(void *ctx, size_t k)
{
    struct parts *ps = ctx;
    struct part *p = &ps->p[k];
    group_seq(ps->g, ps->R, p->kept, p->n, ps->want_masks, p->first, &p->gr);
}

/* Parts of about PART_ROWS records at most, however many there are, so
 * that the cost of a record does not grow with the number of groups. */
enum { PART_BITS_MIN = 6, PART_BITS_MAX = 10, PART_ROWS = 8192, MAXTHREADS = 16,
       PART_MIN = 200000 };

static unsigned part_bits(size_t n)
{
    unsigned b = PART_BITS_MIN;
    while (b < PART_BITS_MAX && n >> b > PART_ROWS)
        b++;
    return b;
}

struct part_key {
    const enum fq_field *kf;
    size_t nkey;
    unsigned bits;
};

static uint16_t key_part(const struct fq_rows *R, const unsigned char *row,
                         const struct part_key *pk)
{
    uint64_t kv[64];
    for (size_t k = 0; k < pk->nkey; k++)
        kv[k] = row_get(R, row, pk->kf[k]);
    return (uint16_t)(fq_hash_u64s(kv, pk->nkey) >> (64 - pk->bits));
}

/* The part of each of kept[0..n) (malloc'd).  When most rows are kept
 * their keys are read in memory order, not in time order, which would
 * miss the cache at almost every row. */
static uint16_t *part_of(const struct fq_rows *R, const uint32_t *kept, size_t n,
                         const struct part_key *pk)
{
    uint16_t *which = xmalloc((n ? n : 1) * sizeof *which);
    if (2 * n < R->n) {
        for (size_t i = 0; i < n; i++) {
            if (i + 16 < n)
                __builtin_prefetch(row_at(R, kept[i + 16]));
            which[i] = key_part(R, row_at(R, kept[i]), pk);
        }
        return which;
    }
    uint16_t *by_row = xmalloc((R->n ? R->n : 1) * sizeof *by_row);
    for (size_t i = 0; i < R->n; i++)
        by_row[i] = key_part(R, row_at(R, i), pk);
    for (size_t i = 0; i < n; i++)
        which[i] = by_row[kept[i]];
    free(by_row);
    return which;
}

static bool partitioned(const struct fq_grouper *g, const struct fq_rows *R,
                        const uint32_t *kept, size_t n, bool want_masks, unsigned threads,
                        struct grouping *out)
{
    enum fq_field kf[64];
    size_t nkey;
    if (g->nmodules == 0 || g->modules[0].n > 64 || !common_key(g, kf, &nkey))
        return false;
    struct part_key pk = {kf, nkey, part_bits(n)};
    size_t np = (size_t)1 << pk.bits;
    uint16_t *which = part_of(R, kept, n, &pk);
    /* The parts lie side by side in one block per array, part p from
     * base[p]: one allocation each, not one per part, and the positions'
     * block becomes the merged gid. */
    size_t *base = xcalloc(np + 1, sizeof *base);
    for (size_t i = 0; i < n; i++)
        base[which[i] + 1]++;
    for (size_t p = 0; p < np; p++)
        base[p + 1] += base[p];
    size_t *cur = xmalloc(np * sizeof *cur);
    memcpy(cur, base, np * sizeof *cur);
    uint32_t *pkept = xmalloc((n ? n : 1) * sizeof *pkept);
    for (size_t i = 0; i < n; i++)
        pkept[cur[which[i]]++] = kept[i];
    struct grouping all;
    grouping_alloc(&all, n);
    uint32_t *first = xmalloc((n ? n : 1) * sizeof *first);
    struct part *parts = xcalloc(np, sizeof *parts);
    for (size_t p = 0; p < np; p++)
        parts[p] = (struct part){pkept + base[p], base[p + 1] - base[p],
                                 {.gid = all.gid + base[p], .size = all.size + base[p]},
                                 first + base[p]};
    struct parts ps = {g, R, want_masks, parts};
    jobs_run(threads < MAXTHREADS ? threads : MAXTHREADS, np, parts_job, &ps);

    size_t ng = 0, mw = 0;
    for (size_t p = 0; p < np; p++) {
        ng += parts[p].gr.ngroups;
        if (parts[p].gr.mwords)
            mw = parts[p].gr.mwords;
    }
    memset(out, 0, sizeof *out);
    out->ngroups = ng;
    out->size = xmalloc((ng ? ng : 1) * sizeof *out->size);
    out->gid = pkept;           /* its records are no longer read */
    out->mwords = mw;
    if (mw)
        out->mask = xmalloc((n ? n : 1) * mw * sizeof *out->mask);
    /* Walking the positions with a cursor per part meets each part's
     * records in its own order, and its groups in the order they were
     * founded: a group whose number is the part's next to meet is met at
     * its founder.  The groups come out in the order of their founders'
     * positions; a part's first[] is reused to map its groups to them. */
    size_t *met = xcalloc(np, sizeof *met);
    memcpy(cur, base, np * sizeof *cur);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned w = which[i];
        struct grouping *pg = &parts[w].gr;
        uint32_t *pf = parts[w].first;
        size_t j = cur[w]++ - base[w];
        uint32_t l = pg->gid[j];
        /* a part comes round again only after some np records, too rarely
         * for the hardware to see it streaming: its next lines are asked
         * for now, to be in the cache then */
        if (j + 16 < parts[w].n)
            __builtin_prefetch(&pg->gid[j + 16]);
        if (l == met[w]) {
            if (l + 16 < pg->ngroups) {
                __builtin_prefetch(&pf[l + 16], 1);
                __builtin_prefetch(&pg->size[l + 16]);
            }
            met[w]++;
            out->size[k] = pg->size[l];
            pf[l] = (uint32_t)k++;
        }
        out->gid[i] = pf[l];
        if (mw)
            memcpy(&out->mask[i * mw], &pg->mask[j * mw], mw * sizeof *out->mask);
    }
    free(met);
    free(which);
    for (size_t p = 0; p < np; p++)
        free(parts[p].gr.mask);
    grouping_free(&all);
    free(first);
    free(cur);
    free(base);
    free(parts);
    return true;
}

void grouper_run(const struct fq_grouper *g, const struct fq_rows *R, const uint32_t *kept,
                 size_t n, bool want_masks, unsigned threads, struct grouping *out)
{
    if (!g) {
        grouping_alloc(out, n);
        out->ngroups = n;
        for (size_t i = 0; i < n; i++) {
            out->gid[i] = (uint32_t)i;
            out->size[i] = 1;
        }
        return;
    }
    if (n >= PART_MIN && partitioned(g, R, kept, n, want_masks, threads ? threads : 1, out))
        return;
    grouping_alloc(out, n);
    uint32_t *first = xmalloc((n ? n : 1) * sizeof *first);
    group_seq(g, R, kept, n, want_masks, first, out);
    free(first);
}

void grouping_free(struct grouping *gr)
{
    free(gr->gid);
    free(gr->size);
    free(gr->mask);
    memset(gr, 0, sizeof *gr);
}
