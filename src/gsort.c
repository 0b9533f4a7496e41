/* SPDX-License-Identifier: MIT
 * Sorted and top-N group rows (gsort.h).
 */
#include "gsort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

bool gsort_parse(const char *arg, struct gsort_spec *s, char *why, size_t whylen)
{
    *s = (struct gsort_spec){0};
    char *copy = xstrdup(arg), *save = NULL;
    bool ok = true, any_dir = false;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        bool desc = false;
        if (colon) {
            *colon = '\0';
            if (strcmp(colon + 1, "desc") == 0)
                desc = true;
            else if (strcmp(colon + 1, "asc") != 0) {
                snprintf(why, whylen, "'%s' is not asc or desc", colon + 1);
                ok = false;
            }
            any_dir = true;
        }
        if (ok && !*tok) {
            snprintf(why, whylen, "an empty field name in '%s'", arg);
            ok = false;
        }
        if (ok) {
            s->keys = xrealloc(s->keys, (s->nkeys + 1) * sizeof *s->keys);
            s->keys[s->nkeys++] = (struct gsort_key){xstrdup(tok), desc};
        }
    }
    if (ok && s->nkeys == 0) {
        snprintf(why, whylen, "no field in '%s'", arg);
        ok = false;
    }
    /* "a,b:desc": one direction written once, at the end, is the list's */
    size_t last = s->nkeys ? s->nkeys - 1 : 0;
    if (ok && any_dir && s->nkeys > 1 && strchr(arg, ':') == strrchr(arg, ':') &&
        strchr(arg, ':') > strrchr(arg, ','))
        for (size_t i = 0; i < last; i++)
            s->keys[i].desc = s->keys[last].desc;
    free(copy);
    if (!ok)
        gsort_spec_free(s);
    return ok;
}

void gsort_spec_free(struct gsort_spec *s)
{
    for (size_t i = 0; i < s->nkeys; i++)
        free(s->keys[i].name);
    free(s->keys);
    *s = (struct gsort_spec){0};
}

bool gsort_check(const struct gsort_spec *s, const struct fq_query *q, char *why, size_t whylen)
{
    const struct fq_mmodule *m = &q->modules[q->export_module];
    for (size_t k = 0; k < s->nkeys; k++) {
        const char *name = s->keys[k].name;
        if (!strcmp(name, "tuple") || !strcmp(name, "branch") || !strcmp(name, "group"))
            continue;
        for (size_t w = 0; w < m->nbranches; w++) {
            const struct fq_branch *br = &q->branches[m->branches[w]];
            size_t i = 0;
            while (i < br->ngfields && strcmp(br->gfields[i].name, name) != 0)
                i++;
            if (i == br->ngfields) {
                snprintf(why, whylen, "branch %s has no group field '%s' (see the header of -g)",
                         br->name, name);
                return false;
            }
        }
    }
    return true;
}

struct colset {
    struct out_col *cols;
    size_t ncols;
    size_t *kidx;               /* column of each sort key */
    size_t gidx;                /* column "group" */
};

struct ent {
    union fq_val *row;
    uint32_t set;
    uint64_t seq;               /* arrival order: the last tie-breaker */
};

struct gsort {
    const struct gsort_spec *spec;
    struct colset *sets;
    size_t nsets, cur;          /* cur: the columns of the rows added now */
    struct ent *e;
    size_t n, cap;
    uint64_t seq;
};

struct gsort *gsort_new(const struct gsort_spec *spec)
{
    struct gsort *g = xcalloc(1, sizeof *g);
    g->spec = spec;
    return g;
}

static size_t col_of(const struct out_col *cols, size_t ncols, const char *name)
{
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(cols[i].name, name) == 0)
            return i;
    return ncols;
}

int gsort_columns(struct gsort *g, const struct out_col *cols, size_t ncols, struct fq_error *err)
{
    /* Branches alternate: their column sets are declared again and again. */
    for (size_t i = 0; i < g->nsets; i++)
        if (g->sets[i].ncols == ncols && memcmp(g->sets[i].cols, cols, ncols * sizeof *cols) == 0) {
            g->cur = i;
            return FQ_OK;
        }
    struct colset cs = {.ncols = ncols, .gidx = col_of(cols, ncols, "group")};
    if (cs.gidx == ncols)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "internal error: group rows without a group column");
    cs.kidx = xmalloc((g->spec->nkeys ? g->spec->nkeys : 1) * sizeof *cs.kidx);
    for (size_t k = 0; k < g->spec->nkeys; k++) {
        cs.kidx[k] = col_of(cols, ncols, g->spec->keys[k].name);
        if (cs.kidx[k] == ncols) {
            free(cs.kidx);
            return fq_fail(err, FQ_E_USAGE, NULL, -1,
                           "--sort: the group rows have no column '%s' (see the header of -g)",
                           g->spec->keys[k].name);
        }
    }
    cs.cols = xmalloc((ncols ? ncols : 1) * sizeof *cs.cols);
    memcpy(cs.cols, cols, ncols * sizeof *cols);
    g->sets = xrealloc(g->sets, (g->nsets + 1) * sizeof *g->sets);
    g->cur = g->nsets;
    g->sets[g->nsets++] = cs;
    return FQ_OK;
}

static int cmp_val(enum fq_vtype t, const union fq_val *a, const union fq_val *b)
{
    switch (t) {
    case VT_REAL:
        return (a->d > b->d) - (a->d < b->d);
    case VT_STR:
        return strcmp(a->s, b->s);
    case VT_SET: {
        size_t na = a->set ? a->set->n : 0, nb = b->set ? b->set->n : 0;
        for (size_t i = 0; i < na && i < nb; i++)
            if (a->set->v[i] != b->set->v[i])
                return a->set->v[i] < b->set->v[i] ? -1 : 1;
        return (na > nb) - (na < nb);
    }
    default:
        return (a->u > b->u) - (a->u < b->u);
    }
}

/* < 0 when a comes first. */
static int cmp_ent(const void *pa, const void *pb, void *ctx)
{
    const struct gsort *g = ctx;
    const struct ent *a = pa, *b = pb;
    const struct colset *sa = &g->sets[a->set], *sb = &g->sets[b->set];
    for (size_t k = 0; k < g->spec->nkeys; k++) {
        size_t ia = sa->kidx[k], ib = sb->kidx[k];
        int c = cmp_val(sa->cols[ia].type, &a->row[ia], &b->row[ib]);
        if (c)
            return g->spec->keys[k].desc ? -c : c;
    }
    uint64_t ga = a->row[sa->gidx].u, gb = b->row[sb->gidx].u;
    if (ga != gb)
        return ga < gb ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* The heap of a limit: the root is the row that would be written last. */
static void sift_down(struct gsort *g, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < g->n && cmp_ent(&g->e[l], &g->e[m], g) > 0)
            m = l;
        if (r < g->n && cmp_ent(&g->e[r], &g->e[m], g) > 0)
            m = r;
        if (m == i)
            return;
        struct ent t = g->e[i];
        g->e[i] = g->e[m];
        g->e[m] = t;
        i = m;
    }
}

static void sift_up(struct gsort *g, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (cmp_ent(&g->e[i], &g->e[p], g) <= 0)
            return;
        struct ent t = g->e[i];
        g->e[i] = g->e[p];
        g->e[p] = t;
        i = p;
    }
}

void gsort_add(struct gsort *g, const union fq_val *row)
{
    const struct colset *cs = &g->sets[g->cur];
    struct ent e = {.set = (uint32_t)g->cur, .seq = g->seq++};
    uint64_t lim = g->spec->limit;
    if (lim && g->n == lim) {
        /* full: the new row replaces the root only when it comes first */
        e.row = (union fq_val *)row;
        if (cmp_ent(&e, &g->e[0], g) >= 0)
            return;
        union fq_val *r = g->e[0].row;
        if (g->sets[g->e[0].set].ncols != cs->ncols)
            r = xrealloc(r, (cs->ncols ? cs->ncols : 1) * sizeof *r);
        memcpy(r, row, cs->ncols * sizeof *r);
        e.row = r;
        g->e[0] = e;
        sift_down(g, 0);
        return;
    }
    e.row = xmalloc((cs->ncols ? cs->ncols : 1) * sizeof *e.row);
    memcpy(e.row, row, cs->ncols * sizeof *e.row);
    if (g->n == g->cap)
        g->e = xrealloc(g->e, (g->cap = g->cap ? 2 * g->cap : 64) * sizeof *g->e);
    g->e[g->n++] = e;
    if (lim)
        sift_up(g, g->n - 1);
}

int gsort_write(struct gsort *g, struct out *o, uint64_t *written, struct fq_error *err)
{
    *written = 0;
    /* no rows: still the header of the first columns, as without --sort */
    if (g->n == 0 && g->nsets)
        return out_begin_rows(o, g->sets[0].cols, g->sets[0].ncols, err);
    if (g->n > 1)
        qsort_r(g->e, g->n, sizeof *g->e, cmp_ent, g);
    uint32_t cur = UINT32_MAX;
    for (size_t i = 0; i < g->n; i++) {
        const struct colset *cs = &g->sets[g->e[i].set];
        int rc;
        bool same = cur != UINT32_MAX && g->sets[cur].ncols == cs->ncols &&
                    memcmp(g->sets[cur].cols, cs->cols, cs->ncols * sizeof *cs->cols) == 0;
        if (!same && (rc = out_begin_rows(o, cs->cols, cs->ncols, err)) != FQ_OK)
            return rc;
        cur = g->e[i].set;
        if ((rc = out_row(o, g->e[i].row, err)) != FQ_OK)
            return rc;
        ++*written;
    }
    return FQ_OK;
}

void gsort_free(struct gsort *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->e[i].row);
    free(g->e);
    for (size_t i = 0; i < g->nsets; i++) {
        free(g->sets[i].cols);
        free(g->sets[i].kidx);
    }
    free(g->sets);
    free(g);
}
