/* SPDX-License-Identifier: MIT
 * Grouper.  Why it equals LANGUAGE.md 7.3's nested loops: a candidate can
 * only match groups whose key (the founding member's values of the
 * equality rules shared by every module) equals its own, and those groups
 * sit in one bucket in creation order, so the first match in the bucket is
 * the oldest match overall.  A group leaves its bucket only when every
 * module has a rule that bounds the candidate's stime from above and the
 * current stime is past all those bounds; stime never decreases along the
 * input, so such a group can never match again.
 */
#include "grouper.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "util.h"

#define NONE UINT32_MAX

struct rule {
    enum fq_field l, r;
    enum fq_op op;
    bool rel;                   /* rdelta: reference is the last member */
    bool has_delta;
    uint64_t d;
};

struct module {
    struct rule *rules;         /* every rule of the module */
    size_t n;
    struct rule *rest;          /* the rules the bucket key does not cover */
    size_t nrest;
    bool bounded;               /* some rule bounds the candidate's stime */
};

struct bucket {
    uint64_t hash;
    uint32_t n, cap;
    union {
        uint32_t one;
        uint32_t *many;
    } g;
};

struct gstate {
    const struct fq_rec *recs;
    const uint32_t *kept;
    struct module *mods;
    size_t nmods;
    enum fq_field *kl, *kr;     /* key: reference fields, candidate fields */
    size_t nkey;
    bool expires;               /* every module is bounded */
    bool want_masks;
    size_t mwords;
    /* per group */
    uint32_t *first, *last, *size;
    uint64_t *expiry;
    size_t ngroups, gcap;
    /* per position */
    uint32_t *next;
    uint64_t *mask;
    /* buckets and their hash index */
    struct bucket *b;
    uint64_t *bkey;             /* nkey values per bucket */
    size_t nb, bcap;
    uint64_t *slot;             /* hash >> 32 << 32 | (bucket index + 1); 0 = empty */
    size_t nslots;
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t key_hash(const uint64_t *kv, size_t nkey)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < nkey; k++)
        h = mix(h ^ kv[k]);
    return h;
}

static bool rule_holds(const struct rule *ru, const struct fq_rec *ref, const struct fq_rec *c)
{
    uint64_t x = rec_get(ref, ru->l), y = rec_get(c, ru->r);
    return ru->has_delta ? fq_cmp_delta(ru->op, x, y, ru->d) : fq_cmp(ru->op, x, y);
}

static bool module_holds(const struct gstate *st, const struct module *m, uint32_t gid,
                         const struct fq_rec *c)
{
    if (m->nrest == 0)
        return true;
    const struct fq_rec *first = &st->recs[st->kept[st->first[gid]]];
    const struct fq_rec *last = &st->recs[st->kept[st->last[gid]]];
    for (size_t i = 0; i < m->nrest; i++)
        if (!rule_holds(&m->rest[i], m->rest[i].rel ? last : first, c))
            return false;
    return true;
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

static void set_expiry(struct gstate *st, uint32_t gid)
{
    if (!st->expires)
        return;
    const struct fq_rec *first = &st->recs[st->kept[st->first[gid]]];
    const struct fq_rec *last = &st->recs[st->kept[st->last[gid]]];
    uint64_t e = 0;
    for (size_t i = 0; i < st->nmods; i++) {
        const struct module *m = &st->mods[i];
        uint64_t b = UINT64_MAX;
        for (size_t j = 0; j < m->n; j++) {
            const struct rule *ru = &m->rules[j];
            uint64_t rb = rule_bound(ru, rec_get(ru->rel ? last : first, ru->l));
            if (rb < b)
                b = rb;
        }
        if (b > e)
            e = b;
    }
    st->expiry[gid] = e;
}

/* The bucket of the key values kv[0..nkey), created if missing. */
static struct bucket *find_bucket(struct gstate *st, const uint64_t *kv)
{
    if (st->nkey == 0) {
        if (st->nb == 0) {
            st->b = xcalloc(1, sizeof *st->b);
            st->nb = st->bcap = 1;
        }
        return &st->b[0];
    }
    if (2 * (st->nb + 1) > st->nslots) {
        size_t ns = st->nslots ? 2 * st->nslots : 1024;
        uint64_t *sl = xcalloc(ns, sizeof *sl);
        for (size_t i = 0; i < st->nb; i++) {
            size_t p = st->b[i].hash & (ns - 1);
            while (sl[p])
                p = (p + 1) & (ns - 1);
            sl[p] = (st->b[i].hash >> 32 << 32) | (i + 1);
        }
        free(st->slot);
        st->slot = sl;
        st->nslots = ns;
    }
    uint64_t h = key_hash(kv, st->nkey);
    size_t p = h & (st->nslots - 1);
    while (st->slot[p]) {
        size_t bi = (uint32_t)st->slot[p] - 1;
        if (st->slot[p] >> 32 == h >> 32 &&
            memcmp(&st->bkey[bi * st->nkey], kv, st->nkey * sizeof *kv) == 0)
            return &st->b[bi];
        p = (p + 1) & (st->nslots - 1);
    }
    if (st->nb == st->bcap) {
        st->bcap = st->bcap ? 2 * st->bcap : 1024;
        st->b = xrealloc(st->b, st->bcap * sizeof *st->b);
        st->bkey = xrealloc(st->bkey, st->bcap * st->nkey * sizeof *st->bkey);
    }
    struct bucket *b = &st->b[st->nb];
    memset(b, 0, sizeof *b);
    b->hash = h;
    memcpy(&st->bkey[st->nb * st->nkey], kv, st->nkey * sizeof *kv);
    st->slot[p] = (h >> 32 << 32) | ++st->nb;
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

static uint32_t new_group(struct gstate *st, uint32_t pos)
{
    if (st->ngroups == st->gcap) {
        st->gcap = st->gcap ? 2 * st->gcap : 1024;
        st->first = xrealloc(st->first, st->gcap * sizeof *st->first);
        st->last = xrealloc(st->last, st->gcap * sizeof *st->last);
        st->size = xrealloc(st->size, st->gcap * sizeof *st->size);
        if (st->expires)
            st->expiry = xrealloc(st->expiry, st->gcap * sizeof *st->expiry);
    }
    uint32_t gid = (uint32_t)st->ngroups++;
    st->first[gid] = st->last[gid] = pos;
    st->size[gid] = 1;
    if (st->mask)
        memset(&st->mask[(size_t)pos * st->mwords], 0xff, st->mwords * sizeof(uint64_t));
    set_expiry(st, gid);
    return gid;
}

/* The modules of the match: the first is known to hold. */
static void record_mask(struct gstate *st, uint32_t pos, uint32_t gid, size_t first_mod,
                        const struct fq_rec *c)
{
    uint64_t *mk = &st->mask[(size_t)pos * st->mwords];
    memset(mk, 0, st->mwords * sizeof *mk);
    for (size_t i = first_mod; i < st->nmods; i++)
        if (i == first_mod || module_holds(st, &st->mods[i], gid, c))
            mk[i / 64] |= (uint64_t)1 << (i % 64);
}

static void place(struct gstate *st, uint32_t pos)
{
    const struct fq_rec *c = &st->recs[st->kept[pos]];
    uint64_t s = c->stime;
    uint64_t kv[st->nkey + 1];
    for (size_t k = 0; k < st->nkey; k++)
        kv[k] = rec_get(c, st->kr[k]);
    struct bucket *b = find_bucket(st, kv);
    uint32_t *g = bucket_groups(b);
    uint32_t found = NONE;
    size_t fmod = 0, nexp = 0;
    for (uint32_t i = 0; i < b->n && found == NONE; i++) {
        uint32_t gid = g[i];
        if (st->expires && st->expiry[gid] < s) {
            nexp++;
            continue;
        }
        for (size_t m = 0; m < st->nmods; m++)
            if (module_holds(st, &st->mods[m], gid, c)) {
                found = gid;
                fmod = m;
                break;
            }
    }
    if (nexp) {
        uint32_t w = 0;
        for (uint32_t i = 0; i < b->n; i++)
            if (st->expiry[g[i]] >= s)
                g[w++] = g[i];
        b->n = w;
    }
    st->next[pos] = NONE;
    if (found == NONE) {
        /* The new group is found later by its founder's reference-side values. */
        bool same = true;
        for (size_t k = 0; k < st->nkey; k++)
            if (st->kl[k] != st->kr[k]) {
                kv[k] = rec_get(c, st->kl[k]);
                same = false;
            }
        if (!same)
            b = find_bucket(st, kv);
        bucket_push(b, new_group(st, pos));
        return;
    }
    if (st->mask)
        record_mask(st, pos, found, fmod, c);   /* before pos becomes the last member */
    st->next[st->last[found]] = pos;
    st->last[found] = pos;
    st->size[found]++;
    set_expiry(st, found);
}

static bool same_pair(const struct fq_grule *a, const struct fq_grule *b)
{
    return a->l == b->l && a->r == b->r && a->op == OP_EQ && b->op == OP_EQ && a->dk == D_NONE &&
           b->dk == D_NONE;
}

static void setup(struct gstate *st, const struct fq_grouper *g)
{
    static const struct fq_gmodule empty = {NULL, NULL, 0};
    const struct fq_gmodule *gm = g->nmodules ? g->modules : &empty;
    st->nmods = g->nmodules ? g->nmodules : 1;
    st->mods = xcalloc(st->nmods, sizeof *st->mods);
    st->kl = xcalloc(gm[0].n + 1, sizeof *st->kl);
    st->kr = xcalloc(gm[0].n + 1, sizeof *st->kr);
    /* key: equality rules without delta that every module has */
    for (size_t j = 0; j < gm[0].n; j++) {
        const struct fq_grule *ru = &gm[0].rules[j];
        bool common = ru->op == OP_EQ && ru->dk == D_NONE;
        for (size_t m = 1; m < st->nmods && common; m++) {
            common = false;
            for (size_t k = 0; k < gm[m].n && !common; k++)
                common = same_pair(ru, &gm[m].rules[k]);
        }
        for (size_t k = 0; k < st->nkey && common; k++)
            if (st->kl[k] == ru->l && st->kr[k] == ru->r)
                common = false;
        if (common) {
            st->kl[st->nkey] = ru->l;
            st->kr[st->nkey++] = ru->r;
        }
    }
    st->expires = true;
    for (size_t m = 0; m < st->nmods; m++) {
        struct module *md = &st->mods[m];
        md->n = gm[m].n;
        md->rules = xcalloc(md->n + 1, sizeof *md->rules);
        md->rest = xcalloc(md->n + 1, sizeof *md->rest);
        for (size_t j = 0; j < md->n; j++) {
            const struct fq_grule *ru = &gm[m].rules[j];
            struct rule r = {ru->l, ru->r, ru->op, ru->dk == D_REL, ru->dk != D_NONE, ru->delta};
            md->rules[j] = r;
            if (rule_bound(&r, 0) != UINT64_MAX || (r.op == OP_GT && r.r == F_STIME))
                md->bounded = true;
            bool in_key = false;
            for (size_t k = 0; k < st->nkey; k++)
                if (ru->op == OP_EQ && ru->dk == D_NONE && st->kl[k] == ru->l &&
                    st->kr[k] == ru->r)
                    in_key = true;
            if (!in_key)
                md->rest[md->nrest++] = r;
        }
        if (!md->bounded)
            st->expires = false;
    }
}

static void state_free(struct gstate *st)
{
    free(st->last);
    free(st->expiry);
    for (size_t i = 0; i < st->nb; i++)
        if (st->b[i].cap > 1)
            free(st->b[i].g.many);
    free(st->b);
    free(st->bkey);
    free(st->slot);
    for (size_t m = 0; m < st->nmods; m++) {
        free(st->mods[m].rules);
        free(st->mods[m].rest);
    }
    free(st->mods);
    free(st->kl);
    free(st->kr);
}

/* The algorithm on one sequence of records (kept[0..n) in time order). */
static void group_seq(const struct fq_grouper *g, const struct fq_rec *recs, const uint32_t *kept,
                      size_t n, bool want_masks, struct grouping *out)
{
    memset(out, 0, sizeof *out);
    out->next = xmalloc((n ? n : 1) * sizeof *out->next);
    struct gstate st = {.recs = recs, .kept = kept, .next = out->next};
    setup(&st, g);
    if (want_masks && g->nmodules > 0) {
        st.mwords = (st.nmods + 63) / 64;
        st.mask = xmalloc((n ? n : 1) * st.mwords * sizeof *st.mask);
    }
    for (size_t p = 0; p < n; p++)
        place(&st, (uint32_t)p);
    out->ngroups = st.ngroups;
    out->first = st.first ? st.first : xmalloc(sizeof *out->first);
    out->size = st.size ? st.size : xmalloc(sizeof *out->size);
    out->mask = st.mask;
    out->mwords = st.mwords;
    state_free(&st);
}

/* Partitioned grouping.  When every key rule compares a field with itself,
 * a candidate and the groups it can join have the same key values, so
 * records split by key hash never interact: each part is grouped on its
 * own thread, and the parts' groups are merged back into creation order
 * (the order of their founders' positions). */
struct part {
    const struct fq_grouper *g;
    const struct fq_rec *recs;
    bool want_masks;
    uint32_t *kept;             /* records of this part, in time order */
    uint32_t *pos;              /* their positions in the whole sequence */
    size_t n;
    struct grouping gr;
};

static void *part_run(void *arg)
{
    struct part *p = arg;
    group_seq(p->g, p->recs, p->kept, p->n, p->want_masks, &p->gr);
    return NULL;
}

enum { MAXPARTS = 16, PART_MIN = 200000 };

static bool partitioned(const struct fq_grouper *g, const struct fq_rec *recs,
                        const uint32_t *kept, size_t n, bool want_masks, unsigned nparts,
                        struct grouping *out)
{
    struct gstate st = {0};
    setup(&st, g);
    bool ok = st.nkey > 0;
    for (size_t k = 0; k < st.nkey; k++)
        if (st.kl[k] != st.kr[k])
            ok = false;
    if (!ok) {
        state_free(&st);
        return false;
    }
    struct part parts[MAXPARTS];
    uint8_t *which = xmalloc(n);
    size_t cnt[MAXPARTS] = {0};
    for (size_t i = 0; i < n; i++) {
        uint64_t kv[st.nkey];
        for (size_t k = 0; k < st.nkey; k++)
            kv[k] = rec_get(&recs[kept[i]], st.kr[k]);
        which[i] = (uint8_t)((key_hash(kv, st.nkey) >> 40) % nparts);
        cnt[which[i]]++;
    }
    state_free(&st);
    for (unsigned p = 0; p < nparts; p++) {
        parts[p] = (struct part){g, recs, want_masks, xmalloc((cnt[p] ? cnt[p] : 1) * 4),
                                 xmalloc((cnt[p] ? cnt[p] : 1) * 4), 0, {0}};
    }
    for (size_t i = 0; i < n; i++) {
        struct part *p = &parts[which[i]];
        p->kept[p->n] = kept[i];
        p->pos[p->n++] = (uint32_t)i;
    }
    free(which);
    pthread_t tid[MAXPARTS];
    bool started[MAXPARTS] = {false};
    for (unsigned p = 1; p < nparts; p++)
        started[p] = pthread_create(&tid[p], NULL, part_run, &parts[p]) == 0;
    part_run(&parts[0]);
    for (unsigned p = 1; p < nparts; p++) {
        if (started[p])
            pthread_join(tid[p], NULL);
        else
            part_run(&parts[p]);
    }

    size_t ng = 0, mw = 0;
    for (unsigned p = 0; p < nparts; p++) {
        ng += parts[p].gr.ngroups;
        if (parts[p].gr.mwords)
            mw = parts[p].gr.mwords;
    }
    memset(out, 0, sizeof *out);
    out->ngroups = ng;
    out->first = xmalloc((ng ? ng : 1) * sizeof *out->first);
    out->size = xmalloc((ng ? ng : 1) * sizeof *out->size);
    out->next = xmalloc((n ? n : 1) * sizeof *out->next);
    out->mwords = mw;
    if (mw)
        out->mask = xmalloc((n ? n : 1) * mw * sizeof *out->mask);
    size_t head[MAXPARTS] = {0};
    for (size_t k = 0; k < ng; k++) {
        unsigned best = nparts;
        uint32_t bp = NONE;
        for (unsigned p = 0; p < nparts; p++)
            if (head[p] < parts[p].gr.ngroups) {
                uint32_t fp = parts[p].pos[parts[p].gr.first[head[p]]];
                if (best == nparts || fp < bp) {
                    best = p;
                    bp = fp;
                }
            }
        out->first[k] = bp;
        out->size[k] = parts[best].gr.size[head[best]++];
    }
    for (unsigned p = 0; p < nparts; p++) {
        struct part *pt = &parts[p];
        for (size_t i = 0; i < pt->n; i++) {
            uint32_t nx = pt->gr.next[i];
            out->next[pt->pos[i]] = nx == NONE ? NONE : pt->pos[nx];
            if (mw)
                memcpy(&out->mask[(size_t)pt->pos[i] * mw], &pt->gr.mask[i * mw],
                       mw * sizeof *out->mask);
        }
        grouping_free(&pt->gr);
        free(pt->kept);
        free(pt->pos);
    }
    return true;
}

void grouper_run(const struct fq_grouper *g, const struct fq_rec *recs, const uint32_t *kept,
                 size_t n, bool want_masks, unsigned threads, struct grouping *out)
{
    if (!g) {
        memset(out, 0, sizeof *out);
        out->ngroups = n;
        out->next = xmalloc((n ? n : 1) * sizeof *out->next);
        out->first = xmalloc((n ? n : 1) * sizeof *out->first);
        out->size = xmalloc((n ? n : 1) * sizeof *out->size);
        for (size_t i = 0; i < n; i++) {
            out->first[i] = (uint32_t)i;
            out->next[i] = NONE;
            out->size[i] = 1;
        }
        return;
    }
    unsigned nparts = threads < MAXPARTS ? threads : MAXPARTS;
    if (nparts > 1 && n >= PART_MIN &&
        partitioned(g, recs, kept, n, want_masks, nparts, out))
        return;
    group_seq(g, recs, kept, n, want_masks, out);
}

void grouping_free(struct grouping *gr)
{
    free(gr->first);
    free(gr->next);
    free(gr->size);
    free(gr->mask);
    memset(gr, 0, sizeof *gr);
}
