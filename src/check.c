/* SPDX-License-Identifier: MIT
 * The semantic passes in order (LANGUAGE.md 4, 7.8, 8): stage names,
 * filters and their reference graph, groupers, pipeline wiring, group
 * filters per branch, the merger, unused definitions.  Names go through
 * hash tables and every pass is linear; the reference graph is walked
 * with an explicit stack, so deep chains cannot overflow the C stack.
 */
#include <stdio.h>
#include <string.h>

#include "sema.h"
#include "util.h"

static const struct ast_stage *stage_of(const struct sema *s, const char *name)
{
    return strmap_get(&s->stages, name);
}

/* The defined stage whose name is nearest to name (two edits at most);
 * none for names too short for a guess to mean anything. */
static const char *nearest_stage(const struct sema *s, const char *name)
{
    if (strlen(name) < 4)
        return NULL;
    size_t n = s->q->stages.n;
    const char **v = arena_alloc(s->ast, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = ((const struct ast_stage *)s->q->stages.v[i])->name;
    v[n] = NULL;
    return nearest_name(name, v);
}

static void stage_names(struct sema *s)
{
    const struct ast_stage **one[S_NKINDS] = {
        [S_SPLITTER] = &s->splitter, [S_MERGER] = &s->merger, [S_UNGROUPER] = &s->ungrouper};
    for (size_t i = 0; i < s->q->stages.n; i++) {
        struct ast_stage *st = s->q->stages.v[i];
        const struct ast_stage *prev = strmap_put(&s->stages, st->name, st);
        if (prev) {
            ERR(s, st->loc, "redefinition of '%s'", st->name);
            diag_note(s->d, prev->loc.line, prev->loc.col, "previous definition of '%s' is here",
                      st->name);
            continue;
        }
        if (one[st->kind]) {
            if (*one[st->kind])
                ERR(s, st->loc, "more than one %s ('%s' and '%s')", ast_kind_name[st->kind],
                    (*one[st->kind])->name, st->name);
            else
                *one[st->kind] = st;
        }
    }
}

/* ---------- filters ---------- */

struct frame {
    size_t f, clause, term;
};

static void filter_cycles(struct sema *s, const struct ast_stage **fs, size_t nf,
                          struct strmap *fidx)
{
    /* colour: 0 new, 1 on the stack, 2 done */
    unsigned char *colour = arena_alloc(s->ast, nf + 1);
    struct frame *stack = arena_alloc(s->ast, (nf + 1) * sizeof *stack);
    for (size_t root = 0; root < nf; root++) {
        if (colour[root])
            continue;
        size_t sp = 0;
        stack[sp++] = (struct frame){root, 0, 0};
        colour[root] = 1;
        while (sp) {
            struct frame *fr = &stack[sp - 1];
            const struct ast_stage *f = fs[fr->f];
            if (fr->clause >= f->clauses.n) {
                colour[fr->f] = 2;
                sp--;
                continue;
            }
            const struct ast_clause *c = f->clauses.v[fr->clause];
            if (fr->term >= c->terms.n) {
                fr->clause++;
                fr->term = 0;
                continue;
            }
            const struct ast_term *t = c->terms.v[fr->term++];
            if (t->kind != AT_REF)
                continue;
            size_t to = (size_t)strmap_get(fidx, t->name);
            if (!to--)
                continue;
            if (colour[to] == 0) {
                colour[to] = 1;
                stack[sp++] = (struct frame){to, 0, 0};
            } else if (colour[to] == 1) {
                /* the cycle is the stack from 'to' up; report it at the
                 * reference in 'to' that starts it */
                size_t k = sp;
                while (stack[k - 1].f != to)
                    k--;
                k--;
                const struct frame *start = &stack[k];
                const struct ast_clause *sc = fs[to]->clauses.v[start->clause];
                const struct ast_term *st = sc->terms.v[start->term - 1];
                size_t len = 0;
                for (size_t j = k; j < sp; j++)
                    len += strlen(fs[stack[j].f]->name) + 4;
                char *via = arena_alloc(s->ast, len + strlen(fs[to]->name) + 16), *p = via;
                for (size_t j = k; j < sp; j++) {
                    if (sp - k > 8 && j == k + 4) {
                        p += sprintf(p, "... -> ");
                        j = sp - 4;
                    }
                    p += sprintf(p, "%s -> ", fs[stack[j].f]->name);
                }
                sprintf(p, "%s", fs[to]->name);
                ERR(s, st->loc, "filter '%s' refers to itself (via %s)", fs[to]->name, via);
            }
        }
    }
}

static void filters(struct sema *s)
{
    size_t nf = 0;
    for (size_t i = 0; i < s->q->stages.n; i++) {
        const struct ast_stage *st = s->q->stages.v[i];
        nf += st->kind == S_FILTER && stage_of(s, st->name) == st;
    }
    const struct ast_stage **fs = arena_alloc(s->ast, (nf + 1) * sizeof *fs);
    struct fq_cnf *cnfs = arena_alloc(s->ir, (nf + 1) * sizeof *cnfs);
    struct strmap fidx;
    strmap_init(&fidx, s->ast);
    nf = 0;
    for (size_t i = 0; i < s->q->stages.n; i++) {
        const struct ast_stage *st = s->q->stages.v[i];
        if (st->kind != S_FILTER || stage_of(s, st->name) != st)
            continue;
        fs[nf] = st;
        strmap_put(&s->cnfs, st->name, &cnfs[nf]);
        strmap_put(&fidx, st->name, (void *)(nf + 1));
        nf++;
    }
    for (size_t i = 0; i < nf; i++) {
        lower_filter(s, fs[i], &cnfs[i]);
        for (size_t c = 0; c < fs[i]->clauses.n; c++) {
            const struct ast_clause *cl = fs[i]->clauses.v[c];
            for (size_t t = 0; t < cl->terms.n; t++) {
                const struct ast_term *tm = cl->terms.v[t];
                if (tm->kind == AT_REF && strmap_get(&fidx, tm->name))
                    strmap_put(&s->used, tm->name, (void *)1);
            }
        }
    }
    filter_cycles(s, fs, nf, &fidx);
}

/* ---------- wiring ---------- */

static const char *plural(enum ast_skind k)
{
    return k == S_FILTER ? "filters" : k == S_GROUPER ? "groupers" : "groupfilters";
}

static void branch_statement(struct sema *s, const struct ast_pipe *p, struct sbranch *b)
{
    const struct ast_node *first = p->nodes.v[0];
    const struct ast_stage *sp = stage_of(s, first->s);
    size_t errors = s->d->nerrors;
    bool undefined = !sp;
    if (sp && sp->kind != S_SPLITTER)
        ERR(s, first->loc, "'%s' is a %s; a branch must start at the splitter", first->s,
            ast_kind_name[sp->kind]);
    const struct ast_stage *seen[S_NKINDS] = {0};
    const struct ast_stage *last = NULL;
    const struct ast_stage *end = s->merger ? s->merger : s->ungrouper;
    const char *endkind = s->merger ? "merger" : "ungrouper";
    for (size_t i = 1; i < p->nodes.n; i++) {
        const struct ast_node *n = p->nodes.v[i];
        bool at_end = i == p->nodes.n - 1;
        if (n->string) {
            if (at_end && end)
                ERR(s, n->loc, "branch '%s' must end at %s '%s'", b->name, endkind, end->name);
            else if (!at_end)
                ERR(s, n->loc, "a string may only start or end a pipeline statement");
            return;
        }
        const struct ast_stage *st = stage_of(s, n->s);
        if (!st) {
            undefined = true; /* E-NAM-7, reported for every statement */
            continue;
        }
        if (st->kind == S_FILTER || st->kind == S_GROUPER || st->kind == S_GROUPFILTER) {
            if (at_end) {
                if (end)
                    ERR(s, n->loc, "branch '%s' must end at %s '%s'", b->name, endkind,
                        end->name);
                return;
            }
            if (seen[st->kind]) {
                ERR(s, n->loc, "branch '%s' has two %s ('%s', '%s')", b->name, plural(st->kind),
                    seen[st->kind]->name, st->name);
                continue;
            }
            if (last && last->kind > st->kind) {
                ERR(s, n->loc,
                    "in branch '%s', %s '%s' cannot come after %s '%s' (order: filter, grouper, groupfilter)",
                    b->name, ast_kind_name[st->kind], st->name, ast_kind_name[last->kind],
                    last->name);
                continue;
            }
            seen[st->kind] = st;
            last = st;
            continue;
        }
        if (!at_end || !end || st->kind != end->kind) {
            if (end)
                ERR(s, n->loc, "branch '%s' must end at %s '%s'", b->name, endkind, end->name);
            return;
        }
    }
    /* a branch with errors is not checked further: no cascades */
    b->wired = !undefined && s->d->nerrors == errors;
    b->filter = seen[S_FILTER];
    b->grouper = seen[S_GROUPER];
    b->gfilter = seen[S_GROUPFILTER];
    for (int k = S_FILTER; k <= S_GROUPFILTER; k++)
        if (seen[k])
            strmap_put(&s->used, seen[k]->name, (void *)1);
}

static bool kind_is(const struct sema *s, const struct ast_node *n, enum ast_skind k)
{
    const struct ast_stage *st = n->string ? NULL : stage_of(s, n->s);
    return st && st->kind == k;
}

static void wiring(struct sema *s)
{
    const struct vec *pipes = &s->q->pipes;
    size_t nbr = 0;
    for (size_t i = 0; i < pipes->n; i++)
        nbr += ((const struct ast_pipe *)pipes->v[i])->branch != NULL;
    s->br = arena_alloc(s->ast, (nbr + 1) * sizeof *s->br);
    const struct ast_pipe *input = NULL, *output = NULL;
    const char *sname = s->splitter ? s->splitter->name : "S";
    const char *mname = s->merger ? s->merger->name : "M";
    const char *uname = s->ungrouper ? s->ungrouper->name : "U";
    for (size_t i = 0; i < pipes->n; i++) {
        const struct ast_pipe *p = pipes->v[i];
        for (size_t j = 0; j < p->nodes.n; j++) {
            const struct ast_node *n = p->nodes.v[j];
            if (!n->string && !stage_of(s, n->s)) {
                const char *best = nearest_stage(s, n->s);
                if (best)
                    ERR(s, n->loc, "'%s' is not defined; did you mean '%s'?", n->s, best);
                else
                    ERR(s, n->loc, "'%s' is not defined", n->s);
            }
        }
        const struct ast_node *first = p->nodes.v[0], *last = p->nodes.v[p->nodes.n - 1];
        if (p->branch) {
            size_t prev = (size_t)strmap_get(&s->brnames, p->branch->s);
            if (prev) {
                ERR(s, p->branch->loc, "branch '%s' is already defined", p->branch->s);
                diag_note(s->d, s->br[prev - 1].loc.line, s->br[prev - 1].loc.col,
                          "previous definition of '%s' is here", p->branch->s);
                continue;
            }
            struct sbranch *b = &s->br[s->nbr++];
            b->name = p->branch->s;
            b->loc = p->branch->loc;
            strmap_put(&s->brnames, b->name, (void *)s->nbr);
            branch_statement(s, p, b);
            continue;
        }
        for (size_t j = 1; j + 1 < p->nodes.n; j++) {
            const struct ast_node *n = p->nodes.v[j];
            if (n->string)
                ERR(s, n->loc, "a string may only start or end a pipeline statement");
        }
        if (first->string) {
            if (input) {
                ERR(s, p->loc, "more than one input statement");
                continue;
            }
            input = p;
            const struct ast_node *to = p->nodes.v[1];
            const struct ast_stage *st = to->string ? NULL : stage_of(s, to->s);
            if ((to->string || st) && (p->nodes.n != 2 || !st || st->kind != S_SPLITTER))
                ERR(s, to->loc, "the input must feed the splitter '%s'", sname);
        } else if (last->string) {
            if (output) {
                ERR(s, p->loc, "more than one output statement");
                continue;
            }
            output = p;
            bool ok;
            if (s->merger || !s->ungrouper)
                ok = p->nodes.n == 3 && s->merger && kind_is(s, p->nodes.v[0], S_MERGER) &&
                     kind_is(s, p->nodes.v[1], S_UNGROUPER);
            else
                ok = p->nodes.n == 2 && kind_is(s, p->nodes.v[0], S_UNGROUPER);
            bool undefined = false;
            for (size_t j = 0; j + 1 < p->nodes.n; j++) {
                const struct ast_node *n = p->nodes.v[j];
                /* undefined names and inner strings have their own messages */
                undefined |= n->string || !stage_of(s, n->s);
            }
            if (!ok && !undefined) {
                if (s->merger || !s->ungrouper)
                    ERR(s, p->loc, "the output statement must be: %s -> %s -> \"output\"", mname,
                        uname);
                else
                    ERR(s, p->loc, "the output statement must be: %s -> \"output\"", uname);
            }
        } else {
            ERR(s, p->loc,
                "a pipeline statement must be the input statement, a branch statement or the output statement");
        }
    }
    if (!s->splitter)
        diag_add(s->d, DIAG_ERROR, 0, 0, "no splitter defined");
    if (!s->merger && s->nbr > 1)
        diag_add(s->d, DIAG_ERROR, 0, 0, "no merger defined");
    if (!s->ungrouper)
        diag_add(s->d, DIAG_ERROR, 0, 0, "no ungrouper defined");
    if (!input && s->splitter)
        diag_add(s->d, DIAG_ERROR, 0, 0, "missing input statement (add: \"input\" -> %s)", sname);
    if (!output && s->ungrouper && (s->merger || s->nbr <= 1)) {
        if (s->merger)
            diag_add(s->d, DIAG_ERROR, 0, 0, "missing output statement (add: %s -> %s -> \"output\")",
                     mname, uname);
        else
            diag_add(s->d, DIAG_ERROR, 0, 0, "missing output statement (add: %s -> \"output\")",
                     uname);
    }
    if (s->nbr == 0)
        diag_add(s->d, DIAG_ERROR, 0, 0, "no branches (add: %s branch NAME -> ... -> %s)", sname,
                 s->merger ? mname : s->ungrouper ? uname : mname);
}

/* ---------- the whole query ---------- */

static void unused(struct sema *s)
{
    for (size_t i = 0; i < s->q->stages.n; i++) {
        const struct ast_stage *st = s->q->stages.v[i];
        if ((st->kind == S_FILTER || st->kind == S_GROUPER || st->kind == S_GROUPFILTER) &&
            stage_of(s, st->name) == st && !strmap_get(&s->used, st->name))
            WARN(s, st->loc, "%s '%s' is defined but not used", ast_kind_name[st->kind], st->name);
    }
}

struct fq_query *check_query(struct sema *s)
{
    strmap_init(&s->stages, s->ast);
    strmap_init(&s->cnfs, s->ast);
    strmap_init(&s->gtables, s->ast);
    strmap_init(&s->used, s->ast);
    strmap_init(&s->brnames, s->ast);
    stage_names(s);
    filters(s);
    for (size_t i = 0; i < s->q->stages.n; i++) {
        const struct ast_stage *st = s->q->stages.v[i];
        if (st->kind == S_GROUPER && stage_of(s, st->name) == st)
            strmap_put(&s->gtables, st->name, lower_grouper(s, st));
    }
    s->plain = lower_plain_gtable(s);
    wiring(s);

    struct fq_query *q = arena_alloc(s->ir, sizeof *q);
    q->nbranches = s->nbr;
    q->branches = arena_alloc(s->ir, (s->nbr + 1) * sizeof *q->branches);
    for (size_t i = 0; i < s->nbr; i++) {
        const struct sbranch *b = &s->br[i];
        struct fq_branch *ob = &q->branches[i];
        const struct gtable *gt = b->grouper ? strmap_get(&s->gtables, b->grouper->name) : s->plain;
        ob->name = arena_strdup(s->ir, b->name);
        ob->filter = b->filter ? strmap_get(&s->cnfs, b->filter->name) : NULL;
        ob->grouper = b->grouper ? gt->ir : NULL;
        ob->ngfields = gt->n;
        ob->gfields = arena_alloc(s->ir, (gt->n + 1) * sizeof *ob->gfields);
        memcpy(ob->gfields, gt->gf, gt->n * sizeof *ob->gfields);
        ob->gfilter = b->gfilter && b->wired ? lower_gfilter(s, b->gfilter, (int)i, gt) : NULL;
    }
    lower_merger(s, q);
    if (s->merger)
        for (size_t i = 0; i < s->nbr; i++)
            if (!s->br[i].listed && s->br[i].wired)
                WARN(s, s->br[i].loc,
                     "branch '%s' is connected to merger '%s' but no module lists it; its groups are ignored",
                     s->br[i].name, s->merger->name);
    unused(s);
    return s->d->nerrors ? NULL : q;
}
