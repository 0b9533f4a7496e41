/* SPDX-License-Identifier: MIT
 * --explain: the plan of plan.h in words, one fact per line, so that a
 * user can see which path a run takes and why a query does or does not
 * split into partitions.
 */
#include <inttypes.h>

#include "engine.h"
#include "names.h"
#include "plan.h"

static const char *path_text(enum plan_path p)
{
    switch (p) {
    case PATH_STREAM:
        return "stream: the query only filters; the records that pass go through a sorting "
               "spool as they are read, in bounded memory";
    case PATH_DIRECT:
        return "direct: one branch passes through the merger; its kept groups mark their "
               "records, no tuple is formed";
    case PATH_PRODUCT:
        return "product: the merger module has no rules; the tuples are every combination of "
               "kept groups, counted, never stored";
    case PATH_GROUPS:
        return "groups (-g): group rows are written as the merger streams the tuples";
    default:
        return "join: the merger joins the kept groups; the tuples mark the records to write";
    }
}

static void grouper_text(FILE *fp, const struct fq_grouper *g)
{
    fprintf(fp, "; grouper %s", g->name);
    if (g->nmodules == 0)
        fputs(" (no rules: one group of all records)", fp);
    for (size_t m = 0; m < g->nmodules; m++) {
        const struct fq_gmodule *gm = &g->modules[m];
        size_t nhash = 0;
        fprintf(fp, ", module %s:", gm->name);
        for (size_t k = 0; k < gm->n; k++) {
            const struct fq_grule *r = &gm->rules[k];
            if (r->op == OP_EQ && r->dk == D_NONE)
                fprintf(fp, "%s %s", nhash++ ? "," : " hash on", fq_fields[r->l].name);
        }
        if (nhash < gm->n)
            fprintf(fp, "%s%zu rule%s checked per group", nhash ? "; " : " ", gm->n - nhash,
                    gm->n - nhash == 1 ? "" : "s");
        if (gm->n == 0)
            fputs(" every record joins the oldest group", fp);
    }
}

static void branch_text(FILE *fp, const struct fq_query *q, size_t b)
{
    const struct fq_branch *br = &q->branches[b];
    for (size_t a = 0; a < b; a++)
        if (engine_same_branch(q, a, b)) {
            fprintf(fp, "branch %s: the same as branch %s, computed once\n", br->name,
                    q->branches[a].name);
            return;
        }
    fprintf(fp, "branch %s: ", br->name);
    if (br->filter && br->filter->n)
        fprintf(fp, "filter %s", br->filter->name);
    else
        fputs("every record", fp);
    if (br->grouper)
        grouper_text(fp, br->grouper);
    else
        fputs("; no grouper: each record is its own group", fp);
    if (br->gfilter)
        fprintf(fp, "; group filter %s", br->gfilter->name);
    fputc('\n', fp);
}

static void gfield_text(FILE *fp, const struct fq_query *q, const struct fq_expr *e)
{
    fprintf(fp, "%s.%s", q->branches[e->branch].name,
            q->branches[e->branch].gfields[e->gfield].name);
}

/* A clause the join can index: one equality, or one Allen relation,
 * between two branches. */
static int clause_kind(const struct fq_clause *c)
{
    const struct fq_term *t = &c->terms[0];
    if (c->n != 1 || t->negate)
        return 2;
    if (t->kind == T_CMP && t->op == OP_EQ && !t->has_delta && t->l.kind == X_GFIELD &&
        t->r.kind == X_GFIELD && t->l.branch != t->r.branch)
        return 0;
    return t->kind == T_ALLEN ? 1 : 2;
}

static void module_text(FILE *fp, const struct fq_query *q, size_t m)
{
    const struct fq_mmodule *mm = &q->modules[m];
    fprintf(fp, "merger module %s%s: branches", mm->name,
            m == q->export_module ? " (exported)" : " (difference)");
    for (size_t i = 0; i < mm->nbranches; i++)
        fprintf(fp, "%s %s", i ? "," : "", q->branches[mm->branches[i]].name);
    const char *head[] = {"; hash join on ", "; interval index on ", ""};
    size_t count[3] = {0};
    for (size_t k = 0; k < 2; k++)
        for (size_t c = 0; c < mm->rules.n; c++) {
            const struct fq_clause *cl = &mm->rules.clauses[c];
            if (clause_kind(cl) != (int)k)
                continue;
            const struct fq_term *t = &cl->terms[0];
            fputs(count[k]++ ? ", " : head[k], fp);
            if (k == 0) {
                gfield_text(fp, q, &t->l);
                fputs(" = ", fp);
                gfield_text(fp, q, &t->r);
            } else {
                fprintf(fp, "%s %s %s", q->branches[t->bx].name, fq_allen_name[t->rel],
                        q->branches[t->by].name);
                if (t->has_delta)
                    fprintf(fp, " delta %" PRIu64, t->delta);
            }
        }
    for (size_t c = 0; c < mm->rules.n; c++)
        count[2] += clause_kind(&mm->rules.clauses[c]) == 2;
    if (count[2])
        fprintf(fp, "; %zu other clause%s checked per candidate", count[2],
                count[2] == 1 ? "" : "s");
    if (mm->rules.n == 0)
        fputs("; no rules", fp);
    fputc('\n', fp);
}

/* What happens past the memory budget (run.c, spill.h). */
static void memory_text(FILE *fp, const struct fq_plan *p)
{
    if (p->path == PATH_STREAM)
        return;                 /* the path says it */
    if (p->partitionable && (p->path == PATH_DIRECT || p->path == PATH_JOIN))
        fputs("memory: kept records from regular files are narrowed (from the start when "
              "uncompressed, else past the budget), then past the budget split by the "
              "partition key into a temporary file and run one partition at a time\n", fp);
    else
        fputs("memory: the kept records stay in memory, narrowed to the fields the query "
              "reads with -g, or from regular files when uncompressed or past the budget; "
              "past --max-memory the query stops\n", fp);
}

void plan_explain(FILE *fp, const struct fq_query *q, const struct fq_plan *p)
{
    fprintf(fp, "path: %s\n", path_text(p->path));
    for (size_t b = 0; b < q->nbranches; b++)
        branch_text(fp, q, b);
    bool eq = false;
    for (size_t k = 0; k < q->nmodules; k++) {
        size_t m = k == 0 ? q->export_module : k - (k <= q->export_module);
        module_text(fp, q, m);
        for (size_t c = 0; c < q->modules[m].rules.n; c++)
            eq |= clause_kind(&q->modules[m].rules.clauses[c]) == 0;
    }
    if (eq && p->path != PATH_DIRECT && p->path != PATH_STREAM)
        fputs("semi-join: a branch that every module of it joins by equality to a branch "
              "keeping at most a quarter as many records stores only the groups whose "
              "value occurs there\n", fp);
    memory_text(fp, p);
    if (!p->partitionable) {
        fprintf(fp, "partitions: one, because %s\n", p->why);
        return;
    }
    fputs("partition key:", fp);
    for (size_t b = 0; b < p->nbranches; b++) {
        const struct plan_branch *pb = &p->branch[b];
        if (pb->nkey == 0)
            continue;
        fprintf(fp, "%s %s by", b ? ";" : "", q->branches[b].name);
        for (size_t k = 0; k < pb->nkey; k++)
            fprintf(fp, "%s %s", k ? "," : "", fq_fields[pb->key[k]].name);
    }
    fputc('\n', fp);
}
