/* SPDX-License-Identifier: MIT
 * State shared by the semantic passes of the front end: check.c (names,
 * wiring, the order of the passes) and lower.c (types and the rule structs
 * of query.h).  Lowering reports every error it finds and keeps going; the
 * structs it builds are thrown away if any error was reported.
 */
#ifndef FQ_SEMA_H
#define FQ_SEMA_H

#include <stdbool.h>

#include "ast.h"
#include "diag.h"
#include "query.h"
#include "strmap.h"

/* The group fields of a grouper, or of every branch without one. */
struct gtable {
    const struct ast_stage *def;    /* NULL: no grouper */
    struct fq_grouper *ir;
    struct fq_gfield *gf;
    bool *timelike;
    size_t n;
    struct strmap names;            /* name -> index + 1 */
};

struct sbranch {
    const char *name;
    struct loc loc;
    const struct ast_stage *filter, *grouper, *gfilter;
    bool wired;                     /* its statement has the right shape */
    bool listed;                    /* some merger module lists it */
};

struct sema {
    struct arena *ast, *ir;
    struct diags *d;
    struct ast_query *q;
    struct strmap stages;           /* name -> first struct ast_stage */
    struct strmap cnfs;             /* filter name -> struct fq_cnf */
    struct strmap gtables;          /* grouper name -> struct gtable */
    struct strmap used;             /* stage name -> non-NULL once used */
    struct gtable *plain;           /* groups of branches without grouper */
    struct sbranch *br;
    size_t nbr;
    struct strmap brnames;          /* branch name -> index + 1 */
    const struct ast_stage *splitter, *merger, *ungrouper;
};

#define ERR(s, at, ...) diag_add((s)->d, DIAG_ERROR, (at).line, (at).col, __VA_ARGS__)
#define WARN(s, at, ...) diag_add((s)->d, DIAG_WARNING, (at).line, (at).col, __VA_ARGS__)

void lower_filter(struct sema *s, const struct ast_stage *f, struct fq_cnf *out);
struct gtable *lower_grouper(struct sema *s, const struct ast_stage *g);
struct gtable *lower_plain_gtable(struct sema *s);
const struct fq_cnf *lower_gfilter(struct sema *s, const struct ast_stage *gf, int branch,
                                   const struct gtable *gt);
/* The merger's modules and export (or the no-merger single module). */
void lower_merger(struct sema *s, struct fq_query *q);



/* All semantic passes; NULL if an error was reported. */
struct fq_query *check_query(struct sema *s);
#endif
