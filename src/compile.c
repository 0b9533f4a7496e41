/* SPDX-License-Identifier: MIT
 * The front end's entry point: parse (grammar/), check and lower
 * (check.c, lower.c), print the diagnostics, hand out the immutable
 * query.  The syntax tree's arena is dropped here; the query owns the
 * other arena, so query_free() is one call.
 */
#include "compile.h"

#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "parse.h"
#include "sema.h"

struct fq_query *query_compile(const char *src, size_t len, const char *path, FILE *diag,
                               struct fq_error *err)
{
    struct diags d;
    diag_init(&d, src, len, path);
    struct arena *ast = arena_new(), *ir = arena_new();
    struct ast_query tree = {0};
    struct parse_ctx pc = {.ast = ast, .diags = &d, .q = &tree};
    struct fq_query *q = NULL;
    if (len > (size_t)INT32_MAX / 2)
        diag_add(&d, DIAG_ERROR, 0, 0, "query is too large (more than 1 GB)");
    else if (parse_query(src, len, &pc) == 0 && d.nerrors == 0) {
        struct sema s = {.ast = ast, .ir = ir, .d = &d, .q = &tree};
        q = check_query(&s);
    }
    bool failed = d.nerrors != 0 || !q;
    diag_print(&d, diag);
    arena_free(ast);
    if (failed) {
        arena_free(ir);
        fq_fail(err, FQ_E_QUERY, path, -1, "%s", "");
        return NULL;
    }
    q->arena = ir;
    return q;
}

void query_free(struct fq_query *q)
{
    if (q)
        arena_free(q->arena);
}
