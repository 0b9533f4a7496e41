/* SPDX-License-Identifier: MIT
 * --dump-rules: every part of struct fq_query in a stable text form, one
 * fact per line, for tests and for people checking what a query means.
 * Filters that are only referenced are printed after the branches.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "names.h"
#include "ip6.h"
#include "util.h"


static const char *vt_text(enum fq_vtype t)
{
    static const char *const v[] = {"uint", "time", "real", "addr", "prefix", "set", "str"};
    return v[t];
}

static void addr(FILE *fp, uint64_t a)
{
    fprintf(fp, "%u.%u.%u.%u", (unsigned)(a >> 24 & 255), (unsigned)(a >> 16 & 255),
            (unsigned)(a >> 8 & 255), (unsigned)(a & 255));
}

static void addr6(FILE *fp, const uint8_t *a)
{
    char t[IP6_TEXT_MAX];
    const char *end = ip6_put(t, a);
    fwrite(t, 1, (size_t)(end - t), fp);
}

static void expr(FILE *fp, const struct fq_query *q, const struct fq_expr *e)
{
    switch (e->kind) {
    case X_CONST:
        if (e->ip6)
            addr6(fp, e->ip6);
        else if (e->type == VT_ADDR)
            addr(fp, e->u);
        else
            fprintf(fp, "%" PRIu64, e->u);
        break;
    case X_PREFIX:
        if (e->ip6)
            addr6(fp, e->ip6);
        else
            addr(fp, e->u);
        fprintf(fp, "/%u", e->plen);
        break;
    case X_FIELD:
        fputs(fq_fields[e->field].name, fp);
        break;
    case X_GFIELD:
        fprintf(fp, "%s.%s#%d", q->branches[e->branch].name,
                q->branches[e->branch].gfields[e->gfield].name, e->gfield);
        break;
    case X_BITAND:
    case X_BITOR:
        fputs(e->kind == X_BITAND ? "bitAND(" : "bitOR(", fp);
        for (size_t i = 0; i < e->nargs; i++) {
            fputs(i ? ", " : "", fp);
            expr(fp, q, &e->args[i]);
        }
        fputc(')', fp);
        break;
    }
}

static void term(FILE *fp, const struct fq_query *q, const struct fq_term *t)
{
    if (t->negate)
        fputs("NOT ", fp);
    switch (t->kind) {
    case T_CMP:
        expr(fp, q, &t->l);
        fprintf(fp, " %s ", fq_op_name[t->op]);
        expr(fp, q, &t->r);
        break;
    case T_ALLEN:
        fprintf(fp, "%s %s %s", q->branches[t->bx].name, fq_allen_name[t->rel],
                q->branches[t->by].name);
        break;
    case T_REF:
        fprintf(fp, "filter %s", t->ref->name);
        break;
    }
    if (t->has_delta)
        fprintf(fp, " delta %" PRIu64, t->delta);
}

struct seen {
    const struct fq_cnf **v;
    size_t n, cap;
};

static void want(struct seen *s, const struct fq_cnf *c)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == c)
            return;
    if (s->n == s->cap)
        s->v = xrealloc(s->v, (s->cap = s->cap ? 2 * s->cap : 8) * sizeof *s->v);
    s->v[s->n++] = c;
}

static void cnf(FILE *fp, const struct fq_query *q, const struct fq_cnf *c, const char *indent,
                struct seen *refs)
{
    if (c->n == 0)
        fprintf(fp, "%s(no clauses: accepts everything)\n", indent);
    for (size_t i = 0; i < c->n; i++) {
        fprintf(fp, "%sclause %zu: ", indent, i + 1);
        for (size_t j = 0; j < c->clauses[i].n; j++) {
            const struct fq_term *t = &c->clauses[i].terms[j];
            fputs(j ? " OR " : "", fp);
            term(fp, q, t);
            if (t->kind == T_REF && refs)
                want(refs, t->ref);
        }
        fputc('\n', fp);
    }
}

static void gfield(FILE *fp, size_t i, const struct fq_gfield *g)
{
    fprintf(fp, "    %zu %s = %s(", i, g->name, fq_agg_name[g->fn]);
    if (g->module >= 0)
        fprintf(fp, "module %d: ", g->module);
    fprintf(fp, "%s) %s", fq_fields[g->field].name, vt_text(g->type));
    if (g->type == VT_SET)
        fprintf(fp, "(%s)", vt_text(g->elem));
    if (g->type == VT_UINT || g->type == VT_ADDR || g->type == VT_TIME ||
        (g->type == VT_SET && g->elem != VT_REAL))
        fprintf(fp, " %u", g->width);
    fputc('\n', fp);
}

void query_dump(FILE *fp, const struct fq_query *q)
{
    struct seen refs = {0};
    fprintf(fp, "query: %zu branch%s, %zu merger module%s\n", q->nbranches,
            q->nbranches == 1 ? "" : "es", q->nmodules, q->nmodules == 1 ? "" : "s");
    for (size_t b = 0; b < q->nbranches; b++) {
        const struct fq_branch *br = &q->branches[b];
        fprintf(fp, "branch %zu %s\n", b, br->name);
        if (br->filter) {
            fprintf(fp, "  filter %s\n", br->filter->name);
            cnf(fp, q, br->filter, "    ", &refs);
        } else {
            fputs("  filter: none (every record)\n", fp);
        }
        if (br->grouper) {
            fprintf(fp, "  grouper %s: %zu module%s\n", br->grouper->name, br->grouper->nmodules,
                    br->grouper->nmodules == 1 ? "" : "s");
            for (size_t m = 0; m < br->grouper->nmodules; m++) {
                const struct fq_gmodule *gm = &br->grouper->modules[m];
                fprintf(fp, "    module %zu %s:%s\n", m, gm->name, gm->n ? "" : " (matches all)");
                for (size_t r = 0; r < gm->n; r++) {
                    const struct fq_grule *g = &gm->rules[r];
                    fprintf(fp, "      %s %s %s", fq_fields[g->l].name, fq_op_name[g->op],
                            fq_fields[g->r].name);
                    if (g->dk != D_NONE)
                        fprintf(fp, " %s %" PRIu64, g->dk == D_ABS ? "delta" : "rdelta", g->delta);
                    fputc('\n', fp);
                }
            }
        } else {
            fputs("  grouper: none (one group per record)\n", fp);
        }
        fprintf(fp, "  gfields: %zu\n", br->ngfields);
        for (size_t i = 0; i < br->ngfields; i++)
            gfield(fp, i, &br->gfields[i]);
        if (br->gfilter) {
            fprintf(fp, "  groupfilter %s\n", br->gfilter->name);
            cnf(fp, q, br->gfilter, "    ", NULL);
        } else {
            fputs("  groupfilter: none (every group)\n", fp);
        }
    }
    for (size_t m = 0; m < q->nmodules; m++) {
        const struct fq_mmodule *mm = &q->modules[m];
        fprintf(fp, "merger module %zu %s%s: branches", m, mm->name,
                m == q->export_module ? " (export)" : "");
        for (size_t i = 0; i < mm->nbranches; i++)
            fprintf(fp, "%s %s", i ? "," : "", q->branches[mm->branches[i]].name);
        fputc('\n', fp);
        if (mm->rules.n)
            cnf(fp, q, &mm->rules, "    ", NULL);
    }
    for (size_t i = 0; i < refs.n; i++) {
        fprintf(fp, "referenced filter %s\n", refs.v[i]->name);
        cnf(fp, q, refs.v[i], "    ", &refs);
    }
    free(refs.v);
}
