/* SPDX-License-Identifier: MIT
 * The execution plan: the run's path and the partition key (plan.h).
 * The key is found by trying each field of the exported module's first
 * branch that is equal within its groups as the seed of a key class and
 * following the merger's equality rules from branch to branch, module by
 * module; a class survives when every module links its branches' fields.
 * Connectivity is per module, because a tuple of one module is bound by
 * that module's rules only.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "util.h"

enum plan_path plan_path(const struct fq_query *q, bool groups)
{
    const struct fq_mmodule *ex = &q->modules[q->export_module];
    bool passthrough = q->nmodules == 1 && ex->nbranches == 1 && ex->rules.n == 0;
    if (!groups && passthrough && q->nbranches == 1 && ex->branches[0] == 0 &&
        !q->branches[0].grouper)
        return PATH_STREAM;
    if (!groups && passthrough)
        return PATH_DIRECT;
    if (q->nmodules == 1 && ex->rules.n == 0)
        return PATH_PRODUCT;
    return groups ? PATH_GROUPS : PATH_JOIN;
}

/* ---- fields equal within every group of a branch */

static bool same_value_rule(const struct fq_grule *r, enum fq_field f)
{
    return r->l == f && r->r == f && r->op == OP_EQ && (r->dk == D_NONE || r->delta == 0);
}

/* eq[f]: field f is equal in all members of any group of branch br. */
static void equal_fields(const struct fq_branch *br, bool *eq)
{
    const struct fq_grouper *g = br->grouper;
    for (size_t f = 0; f < F_COUNT; f++) {
        eq[f] = !g;             /* a group of one record: every field */
        for (size_t m = 0; g && m < g->nmodules; m++) {
            bool has = false;
            for (size_t k = 0; k < g->modules[m].n && !has; k++)
                has = same_value_rule(&g->modules[m].rules[k], (enum fq_field)f);
            eq[f] = m == 0 ? has : eq[f] && has;
        }
    }
}

/* The record field whose value group field gf of branch b always holds,
 * or F_COUNT. */
static enum fq_field carried(const struct fq_query *q, const bool *eq, int b, int gf)
{
    const struct fq_gfield *f = &q->branches[b].gfields[gf];
    bool value = f->fn == AGG_PLAIN || f->fn == AGG_MIN || f->fn == AGG_MAX ||
                 f->fn == AGG_MEDIAN;
    return value && eq[(size_t)b * F_COUNT + f->field] ? f->field : F_COUNT;
}

/* ---- the merger's equality links, one union-find per module */

struct links {
    size_t nodes;               /* nbranches * F_COUNT: (branch, field) */
    size_t *up;                 /* per module: nodes parents */
};

static size_t find(size_t *up, size_t x)
{
    while (up[x] != x)
        x = up[x] = up[up[x]];
    return x;
}

/* A clause that is one plain equality between group fields of two
 * branches, as the records' fields it links; false otherwise. */
static bool link_of(const struct fq_query *q, const bool *eq, const struct fq_clause *c,
                    size_t *x, size_t *y)
{
    if (c->n != 1)
        return false;
    const struct fq_term *t = &c->terms[0];
    if (t->kind != T_CMP || t->negate || t->op != OP_EQ || (t->has_delta && t->delta) ||
        t->l.kind != X_GFIELD || t->r.kind != X_GFIELD || t->l.branch == t->r.branch)
        return false;
    enum fq_field fl = carried(q, eq, t->l.branch, t->l.gfield);
    enum fq_field fr = carried(q, eq, t->r.branch, t->r.gfield);
    if (fl == F_COUNT || fr == F_COUNT)
        return false;
    *x = (size_t)t->l.branch * F_COUNT + fl;
    *y = (size_t)t->r.branch * F_COUNT + fr;
    return true;
}

static void links_make(const struct fq_query *q, const bool *eq, struct links *L)
{
    L->nodes = q->nbranches * F_COUNT;
    size_t total = q->nmodules * L->nodes;
    L->up = xmalloc((total ? total : 1) * sizeof *L->up);
    for (size_t m = 0; m < q->nmodules; m++) {
        size_t *up = L->up + m * L->nodes;
        for (size_t i = 0; i < L->nodes; i++)
            up[i] = i;
        const struct fq_cnf *r = &q->modules[m].rules;
        for (size_t c = 0; c < r->n; c++) {
            size_t x, y;
            if (link_of(q, eq, &r->clauses[c], &x, &y))
                up[find(up, x)] = find(up, y);
        }
    }
}

static bool linked(const struct links *L, size_t m, int b, enum fq_field f, int c, enum fq_field g)
{
    size_t *up = L->up + m * L->nodes;
    return find(up, (size_t)b * F_COUNT + f) == find(up, (size_t)c * F_COUNT + g);
}

/* One key class from seed field f of branch b0: as[b] gets each reached
 * branch's field (F_COUNT: not reached).  False when some module does
 * not link its branches' fields of the class. */
struct miss {
    size_t module;              /* the module that does not link ... */
    int from, to;               /* ... branch to to branch from; from < 0: no miss yet */
};

static bool key_class(const struct fq_query *q, const bool *eq, const struct links *L, int b0,
                      enum fq_field f, enum fq_field *as, struct miss *miss)
{
    for (size_t b = 0; b < q->nbranches; b++)
        as[b] = F_COUNT;
    as[b0] = f;
    bool grew = true;
    while (grew) {
        grew = false;
        for (size_t m = 0; m < q->nmodules; m++) {
            const struct fq_mmodule *mm = &q->modules[m];
            int anchor = -1;
            for (size_t i = 0; i < mm->nbranches && anchor < 0; i++)
                if (as[mm->branches[i]] != F_COUNT)
                    anchor = mm->branches[i];
            if (anchor < 0)
                continue;
            for (size_t i = 0; i < mm->nbranches; i++) {
                int c = mm->branches[i];
                if (as[c] != F_COUNT) {
                    if (linked(L, m, anchor, as[anchor], c, as[c]))
                        continue;
                    if (miss->from < 0)
                        *miss = (struct miss){m, anchor, c};
                    return false;
                }
                for (size_t g = 0; g < F_COUNT && as[c] == F_COUNT; g++)
                    if (eq[(size_t)c * F_COUNT + g] &&
                        linked(L, m, anchor, as[anchor], c, (enum fq_field)g))
                        as[c] = (enum fq_field)g;
                if (as[c] == F_COUNT) {
                    if (miss->from < 0)
                        *miss = (struct miss){m, anchor, c};
                    return false;
                }
                grew = true;
            }
        }
    }
    return true;
}

/* ---- why a query cannot be partitioned */

static void why_grouper(struct fq_plan *p, const struct fq_branch *br)
{
    const struct fq_grouper *g = br->grouper;
    if (g->nmodules == 0 || g->modules[0].n == 0)
        snprintf(p->why, sizeof p->why,
                 "grouper %s of branch %s has a module without rules: any records may "
                 "form one group", g->name, br->name);
    else
        snprintf(p->why, sizeof p->why,
                 "grouper %s of branch %s has no rule 'FIELD = FIELD' (without delta) in "
                 "every module, so no field is equal within its groups", g->name, br->name);
}

/* The module and branches of the first failed key class, named with the
 * first equality between those branches that could not serve. */
static void why_merger(struct fq_plan *p, const struct fq_query *q, const bool *eq,
                       const struct miss *miss)
{
    const struct fq_mmodule *mm = &q->modules[miss->module];
    const char *x = q->branches[miss->from].name, *y = q->branches[miss->to].name;
    for (size_t c = 0; c < mm->rules.n; c++) {
        const struct fq_term *t = &mm->rules.clauses[c].terms[0];
        if (mm->rules.clauses[c].n != 1 || t->kind != T_CMP || t->op != OP_EQ ||
            t->l.kind != X_GFIELD || t->r.kind != X_GFIELD ||
            !((t->l.branch == miss->from && t->r.branch == miss->to) ||
              (t->l.branch == miss->to && t->r.branch == miss->from)))
            continue;
        bool lok = carried(q, eq, t->l.branch, t->l.gfield) != F_COUNT;
        if (lok && carried(q, eq, t->r.branch, t->r.gfield) != F_COUNT)
            continue;           /* a link, of another key class */
        const struct fq_expr *bad = lok ? &t->r : &t->l;
        const struct fq_branch *bb = &q->branches[bad->branch];
        const struct fq_gfield *gf = &bb->gfields[bad->gfield];
        char because[160];
        if (!bb->grouper || (gf->fn != AGG_PLAIN && gf->fn != AGG_MIN && gf->fn != AGG_MAX &&
                             gf->fn != AGG_MEDIAN))
            snprintf(because, sizeof because, "it is %s(), not a record field's value",
                     fq_agg_name[gf->fn]);
        else
            snprintf(because, sizeof because,
                     "grouper %s has no rule '%s = %s' in every module",
                     bb->grouper->name, fq_fields[gf->field].name, fq_fields[gf->field].name);
        snprintf(p->why, sizeof p->why,
                 "merger module %s links branches %s and %s by no field equal within their "
                 "groups: %s.%s (line %u) may differ within a group of %s (%s)",
                 mm->name, x, y, bb->name, gf->name, t->line, bb->name, because);
        return;
    }
    bool any = false;
    size_t lx, ly;
    for (size_t c = 0; c < mm->rules.n && !any; c++)
        any = link_of(q, eq, &mm->rules.clauses[c], &lx, &ly);
    if (any)
        snprintf(p->why, sizeof p->why,
                 "the equality rules of merger module %s do not link branches %s and %s on "
                 "the fields that the other modules and branches are linked by",
                 mm->name, x, y);
    else if (mm->rules.n)
        snprintf(p->why, sizeof p->why,
                 "merger module %s has no equality rule between branches %s and %s (its rules "
                 "start at line %u)",
                 mm->name, x, y, mm->rules.clauses[0].terms[0].line);
    else
        snprintf(p->why, sizeof p->why,
                 "merger module %s has no rules: every combination of groups is a tuple",
                 mm->name);
}

/* ---- the plan */

static void keys_one_branch(struct fq_plan *p, const struct fq_query *q, const bool *eq)
{
    const struct fq_branch *br = &q->branches[0];
    struct plan_branch *pb = &p->branch[0];
    if (!br->grouper) {
        pb->key[pb->nkey++] = F_REC_ID;     /* groups of one record: any key */
        return;
    }
    for (size_t f = 0; f < F_COUNT; f++)
        if (eq[f])
            pb->key[pb->nkey++] = (enum fq_field)f;
    if (pb->nkey == 0)
        why_grouper(p, br);
}

static void keys_merger(struct fq_plan *p, const struct fq_query *q, const bool *eq)
{
    struct links L;
    links_make(q, eq, &L);
    int b0 = q->modules[q->export_module].branches[0];
    enum fq_field *as = xmalloc(q->nbranches * sizeof *as);
    struct miss miss = {0, -1, -1};
    for (size_t f = 0; f < F_COUNT; f++) {
        if (!eq[(size_t)b0 * F_COUNT + f] ||
            !key_class(q, eq, &L, b0, (enum fq_field)f, as, &miss))
            continue;
        for (size_t b = 0; b < q->nbranches; b++)
            if (as[b] != F_COUNT)
                p->branch[b].key[p->branch[b].nkey++] = as[b];
    }
    free(as);
    free(L.up);
    if (p->branch[b0].nkey > 0)
        return;
    for (size_t b = 0; b < q->nbranches; b++) {
        const struct fq_branch *br = &q->branches[b];
        bool any = false;
        for (size_t f = 0; f < F_COUNT; f++)
            any |= eq[b * F_COUNT + f];
        if (!any) {
            why_grouper(p, br);
            return;
        }
    }
    if (miss.from >= 0)
        why_merger(p, q, eq, &miss);
    else
        why_grouper(p, &q->branches[b0]);
}

struct fq_plan *plan_make(const struct fq_query *q, bool groups)
{
    struct fq_plan *p = xcalloc(1, sizeof *p);
    p->path = plan_path(q, groups);
    p->nbranches = q->nbranches;
    p->branch = xcalloc(q->nbranches ? q->nbranches : 1, sizeof *p->branch);
    bool *eq = xcalloc(q->nbranches * F_COUNT + 1, sizeof *eq);
    for (size_t b = 0; b < q->nbranches; b++)
        equal_fields(&q->branches[b], eq + b * F_COUNT);
    if (q->nbranches == 1)
        keys_one_branch(p, q, eq);
    else
        keys_merger(p, q, eq);
    free(eq);
    p->partitionable = p->why[0] == '\0';
    if (!p->partitionable)
        for (size_t b = 0; b < q->nbranches; b++)
            p->branch[b].nkey = 0;
    return p;
}

void plan_free(struct fq_plan *p)
{
    if (!p)
        return;
    free(p->branch);
    free(p);
}

uint64_t plan_hash(const uint64_t *v, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++)
        h += fq_mix64(v[i] + 0x9e3779b97f4a7c15ULL);  /* a sum: order does not matter */
    return fq_mix64(h);
}
