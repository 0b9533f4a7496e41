/* SPDX-License-Identifier: MIT
 * The parser's entry points and the state shared by the flex scanner and
 * the bison parser (grammar/).  parse_query() fills ctx->q; lexical and
 * syntax errors go to ctx->diags (at most MAX_SYNTAX errors).
 */
#ifndef FQ_PARSE_H
#define FQ_PARSE_H

#include <stddef.h>

#include "ast.h"
#include "diag.h"

enum { PARSE_MAX_ERRORS = 10, PARSE_MAX_NAME = 255 };

struct parse_ctx {
    struct arena *ast;
    struct diags *diags;
    struct ast_query *q;
    unsigned line, col;         /* scanner: position of the next byte */
    int depth;                  /* scanner: brace depth, for hints */
    int stage_kw;               /* scanner: last stage keyword token, for hints */
    const char *text;           /* scanner: spelling of the last token */
    const char *before;         /* scanner: spelling of the token before it
                                   (stale when both were keywords) */
    char kw[16];                /* scanner: the last keyword or punctuation */
    unsigned nerrors;           /* lexical + syntax */
};

/* Returns 0 when the query parsed without error. */
int parse_query(const char *src, size_t len, struct parse_ctx *ctx);

/* The token stream alone, for unit tests: kinds are the yytoken_kind_t
 * values of the generated parser.h, 0 ends the list. */
struct parse_token {
    int kind;
    struct lit lit;
    const char *text;
    unsigned line, col;
};
size_t parse_tokens(const char *src, size_t len, struct parse_ctx *ctx, struct parse_token **out);

#endif
