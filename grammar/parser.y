/* SPDX-License-Identifier: MIT
 * The flowq query grammar (LANGUAGE.md section 3): a pure LALR(1) parser
 * with locations and no conflicts.  Actions only build the syntax tree
 * (src/ast.h); every name is resolved and checked later (src/check.c).
 * Syntax errors use the display names of section 2.9, with hints.
 */
%code requires {
#include "ast.h"
typedef void *yyscan_t;
struct parse_ctx;
}

%code provides {
int yylex(YYSTYPE *lvalp, YYLTYPE *llocp, yyscan_t scanner);
}

%code {
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "util.h"

#define A (ctx->ast)
#define L(yl) ((struct loc){(unsigned)(yl).first_line, (unsigned)(yl).first_column})

static void *node(struct parse_ctx *ctx, size_t n)
{
    return arena_alloc(ctx->ast, n);
}

static struct ast_stage *stage(struct parse_ctx *ctx, enum ast_skind kind, const char *name,
                               YYLTYPE at)
{
    struct ast_stage *s = node(ctx, sizeof *s);
    s->kind = kind;
    s->name = name;
    s->loc = L(at);
    vec_push(ctx->ast, &ctx->q->stages, s);
    return s;
}

static struct ast_operand *operand(struct parse_ctx *ctx, enum ast_okind kind, YYLTYPE at)
{
    struct ast_operand *o = node(ctx, sizeof *o);
    o->kind = kind;
    o->loc = L(at);
    return o;
}

static struct ast_operand *literal(struct parse_ctx *ctx, enum ast_okind kind, struct lit v,
                                   YYLTYPE at)
{
    struct ast_operand *o = operand(ctx, kind, at);
    o->lit = v;
    return o;
}

static struct ast_operand *qname(struct parse_ctx *ctx, const char *b, YYLTYPE bl, const char *f,
                                 YYLTYPE fl)
{
    struct ast_operand *o = operand(ctx, O_QNAME, bl);
    o->name = b;
    o->name2 = f;
    o->loc2 = L(fl);
    return o;
}

static struct ast_term *cmp(struct parse_ctx *ctx, struct ast_operand *l, enum fq_op op,
                            YYLTYPE opl, struct ast_operand *r, struct ast_delta d)
{
    struct ast_term *t = node(ctx, sizeof *t);
    t->kind = AT_CMP;
    t->loc = l->loc;
    t->l = l;
    t->op = op;
    t->oploc = L(opl);
    t->r = r;
    t->delta = d;
    return t;
}

static struct vec one(struct parse_ctx *ctx, void *p)
{
    struct vec v = {0};
    vec_push(ctx->ast, &v, p);
    return v;
}

static struct ast_clause *clause(struct parse_ctx *ctx, struct ast_term *t)
{
    struct ast_clause *c = node(ctx, sizeof *c);
    c->loc = t->loc;
    vec_push(ctx->ast, &c->terms, t);
    return c;
}

static struct ast_name *name(struct parse_ctx *ctx, const char *s, YYLTYPE at)
{
    struct ast_name *n = node(ctx, sizeof *n);
    n->s = s;
    n->loc = L(at);
    return n;
}

static struct ast_node *pnode(struct parse_ctx *ctx, const char *s, bool string, YYLTYPE at)
{
    struct ast_node *n = node(ctx, sizeof *n);
    n->s = s;
    n->string = string;
    n->loc = L(at);
    return n;
}

static void yyerror(YYLTYPE *l, yyscan_t scanner, struct parse_ctx *ctx, const char *msg)
{
    (void)scanner;
    if (ctx->nerrors >= PARSE_MAX_ERRORS)
        return;
    ctx->nerrors++;
    /* bison calls this only when its stack is full */
    diag_add(ctx->diags, DIAG_ERROR, (unsigned)l->first_line, (unsigned)l->first_column,
             "%s", strcmp(msg, "memory exhausted") == 0 ? "query nested too deeply" : msg);
}
}

%define api.pure full
%define parse.error custom
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct parse_ctx *ctx}
%expect 0

%union {
    const char *str;
    struct lit lit;
    enum fq_op op;
    struct vec vec;
    struct ast_operand *opd;
    struct ast_term *term;
    struct ast_clause *clause;
    struct ast_delta delta;
    struct ast_grule *grule;
    struct ast_agg *agg;
    struct ast_module *module;
    struct ast_name *nm;
    struct ast_node *pnode;
}

%token <str> IDENT "name"
%token <str> STRING "string"
%token <lit> INTEGER "number"
%token <lit> TIME "time value"
%token <lit> IPV4 "address"
%token <lit> PREFIX "prefix"
%token ARROW "'->'"
%token NE "'!='"
%token LE "'<='"
%token GE "'>='"
%token SPLITTER "'splitter'"
%token FILTER "'filter'"
%token GROUPER "'grouper'"
%token GROUPFILTER "'groupfilter'"
%token MERGER "'merger'"
%token UNGROUPER "'ungrouper'"
%token MODULE "'module'"
%token AGGREGATE "'aggregate'"
%token AS "'as'"
%token BRANCHES "'branches'"
%token BRANCH "'branch'"
%token EXPORT "'export'"
%token DELTA "'delta'"
%token RDELTA "'rdelta'"
%token IN "'in'"
%token NOTIN "'notin'"
%token OR "'OR'"
%token NOT "'NOT'"

%type <vec> clauses args args_opt gmodules grules aggr_items mmodules bnames mclauses pipe_rest
%type <opd> operand call arg
%type <op> relop grelop
%type <term> term atom mterm matom
%type <clause> clause mclause
%type <delta> opt_delta
%type <lit> amount
%type <module> gmodule mmodule
%type <grule> grule
%type <agg> aggr_item aggr_arg
%type <str> opt_as allen_op
%type <nm> opt_export
%type <pnode> node

%%

query
    : %empty
    | query statement
    ;

statement
    : SPLITTER IDENT '{' '}'            { stage(ctx, S_SPLITTER, $2, @2); }
    | UNGROUPER IDENT '{' '}'           { stage(ctx, S_UNGROUPER, $2, @2); }
    | FILTER IDENT '{' clauses '}'      { stage(ctx, S_FILTER, $2, @2)->clauses = $4; }
    | GROUPFILTER IDENT '{' clauses '}' { stage(ctx, S_GROUPFILTER, $2, @2)->clauses = $4; }
    | GROUPER IDENT '{' gmodules '}'    { stage(ctx, S_GROUPER, $2, @2)->modules = $4; }
    | GROUPER IDENT '{' gmodules AGGREGATE aggr_items '}' {
          struct ast_stage *s = stage(ctx, S_GROUPER, $2, @2);
          s->modules = $4;
          s->aggs = $6;
      }
    | MERGER IDENT '{' mmodules opt_export '}' {
          struct ast_stage *s = stage(ctx, S_MERGER, $2, @2);
          s->modules = $4;
          s->export = $5;
      }
    | MERGER IDENT '{' BRANCHES bnames mclauses '}' {
          struct ast_stage *s = stage(ctx, S_MERGER, $2, @2);
          struct ast_module *m = node(ctx, sizeof *m);
          m->name = $2;
          m->loc = L(@2);
          m->branches = $5;
          m->clauses = $6;
          s->modules = one(ctx, m);
          s->short_form = true;
      }
    | pipeline
    | error '}'                         { if (ctx->nerrors >= PARSE_MAX_ERRORS) YYABORT; }
    ;

/* ---- filters and group filters ---- */

clauses
    : %empty                            { $$ = (struct vec){0}; }
    | clauses clause                    { $$ = $1; vec_push(A, &$$, $2); }
    ;

clause
    : term                              { $$ = clause(ctx, $1); }
    | clause OR term                    { $$ = $1; vec_push(A, &$$->terms, $3); }
    ;

term
    : atom
    | NOT atom                          { $$ = $2; $$->negate = true; }
    ;

atom
    : operand relop operand opt_delta   { $$ = cmp(ctx, $1, $2, @2, $3, $4); }
    | IDENT {
          $$ = node(ctx, sizeof *$$);
          $$->kind = AT_REF;
          $$->name = $1;
          $$->loc = L(@1);
      }
    ;

relop
    : '='                               { $$ = OP_EQ; }
    | NE                                { $$ = OP_NE; }
    | '<'                               { $$ = OP_LT; }
    | LE                                { $$ = OP_LE; }
    | '>'                               { $$ = OP_GT; }
    | GE                                { $$ = OP_GE; }
    | IN                                { $$ = OP_IN; }
    | NOTIN                             { $$ = OP_NOTIN; }
    ;

operand
    : IDENT                             { $$ = operand(ctx, O_NAME, @1); $$->name = $1; }
    | INTEGER                           { $$ = literal(ctx, O_INT, $1, @1); }
    | TIME                              { $$ = literal(ctx, O_INT, $1, @1); }
    | IPV4                              { $$ = literal(ctx, O_IPV4, $1, @1); }
    | PREFIX                            { $$ = literal(ctx, O_PREFIX, $1, @1); }
    | call
    ;

call
    : IDENT '(' args_opt ')'            { $$ = operand(ctx, O_CALL, @1); $$->name = $1; $$->args = $3; }
    ;

args_opt
    : %empty                            { $$ = (struct vec){0}; }
    | args
    ;

args
    : arg                               { $$ = one(ctx, $1); }
    | args ',' arg                      { $$ = $1; vec_push(A, &$$, $3); }
    ;

arg
    : operand
    | STRING                            { $$ = operand(ctx, O_STRING, @1); $$->lit.text = $1; }
    ;

opt_delta
    : %empty                            { $$ = (struct ast_delta){0}; }
    | DELTA amount                      { $$ = (struct ast_delta){AD_DELTA, L(@1), $2, L(@2)}; }
    | RDELTA amount                     { $$ = (struct ast_delta){AD_RDELTA, L(@1), $2, L(@2)}; }
    ;

amount
    : INTEGER
    | TIME
    ;

/* ---- grouper ---- */

gmodules
    : %empty                            { $$ = (struct vec){0}; }
    | gmodules gmodule                  { $$ = $1; vec_push(A, &$$, $2); }
    ;

gmodule
    : MODULE IDENT '{' grules '}' {
          $$ = node(ctx, sizeof *$$);
          $$->name = $2;
          $$->loc = L(@2);
          $$->rules = $4;
      }
    ;

grules
    : %empty                            { $$ = (struct vec){0}; }
    | grules grule                      { $$ = $1; vec_push(A, &$$, $2); }
    ;

grule
    : IDENT grelop operand opt_delta {
          $$ = node(ctx, sizeof *$$);
          $$->loc = L(@1);
          $$->l = $1;
          $$->op = $2;
          $$->oploc = L(@2);
          $$->r = $3;
          $$->delta = $4;
      }
    ;

grelop
    : '='                               { $$ = OP_EQ; }
    | NE                                { $$ = OP_NE; }
    | '<'                               { $$ = OP_LT; }
    | LE                                { $$ = OP_LE; }
    | '>'                               { $$ = OP_GT; }
    | GE                                { $$ = OP_GE; }
    ;

aggr_items
    : aggr_item                         { $$ = one(ctx, $1); }
    | aggr_items ',' aggr_item          { $$ = $1; vec_push(A, &$$, $3); }
    ;

aggr_item
    : IDENT '(' aggr_arg ')' opt_as {
          $$ = $3;
          $$->loc = L(@1);
          $$->fn = $1;
          $$->as = $5;
          $$->asloc = L(@5);
      }
    | aggr_arg opt_as                   { $$ = $1; $$->as = $2; $$->asloc = L(@2); }
    ;

aggr_arg
    : IDENT {
          $$ = node(ctx, sizeof *$$);
          $$->loc = $$->fieldloc = L(@1);
          $$->field = $1;
      }
    | IDENT '.' IDENT {
          $$ = node(ctx, sizeof *$$);
          $$->loc = L(@1);
          $$->mod = $1;
          $$->modloc = L(@1);
          $$->field = $3;
          $$->fieldloc = L(@3);
      }
    ;

opt_as
    : %empty                            { $$ = NULL; }
    | AS IDENT                          { $$ = $2; @$ = @2; }
    ;

/* ---- merger ---- */

mmodules
    : mmodule                           { $$ = one(ctx, $1); }
    | mmodules mmodule                  { $$ = $1; vec_push(A, &$$, $2); }
    ;

mmodule
    : MODULE IDENT '{' BRANCHES bnames mclauses '}' {
          $$ = node(ctx, sizeof *$$);
          $$->name = $2;
          $$->loc = L(@2);
          $$->branches = $5;
          $$->clauses = $6;
      }
    ;

opt_export
    : %empty                            { $$ = NULL; }
    | EXPORT IDENT                      { $$ = name(ctx, $2, @2); }
    ;

bnames
    : IDENT                             { $$ = one(ctx, name(ctx, $1, @1)); }
    | bnames ',' IDENT                  { $$ = $1; vec_push(A, &$$, name(ctx, $3, @3)); }
    ;

mclauses
    : %empty                            { $$ = (struct vec){0}; }
    | mclauses mclause                  { $$ = $1; vec_push(A, &$$, $2); }
    ;

mclause
    : mterm                             { $$ = clause(ctx, $1); }
    | mclause OR mterm                  { $$ = $1; vec_push(A, &$$->terms, $3); }
    ;

mterm
    : matom
    | NOT matom                         { $$ = $2; $$->negate = true; }
    ;

matom
    : IDENT allen_op IDENT opt_delta {
          $$ = node(ctx, sizeof *$$);
          $$->kind = AT_ALLEN;
          $$->loc = $$->xloc = L(@1);
          $$->x = $1;
          $$->rel = $2;
          $$->relloc = L(@2);
          $$->y = $3;
          $$->yloc = L(@3);
          $$->delta = $4;
      }
    | m_operand relop m_operand opt_delta { $$ = cmp(ctx, $<opd>1, $2, @2, $<opd>3, $4); }
    ;

allen_op
    : '<'                               { $$ = "<"; }
    | '>'                               { $$ = ">"; }
    | '='                               { $$ = "="; }
    | IDENT
    ;

m_operand
    : IDENT '.' IDENT                   { $<opd>$ = qname(ctx, $1, @1, $3, @3); }
    | INTEGER                           { $<opd>$ = literal(ctx, O_INT, $1, @1); }
    | TIME                              { $<opd>$ = literal(ctx, O_INT, $1, @1); }
    | IPV4                              { $<opd>$ = literal(ctx, O_IPV4, $1, @1); }
    | PREFIX                            { $<opd>$ = literal(ctx, O_PREFIX, $1, @1); }
    | IDENT '(' m_args_opt ')' {
          $<opd>$ = operand(ctx, O_CALL, @1);
          $<opd>$->name = $1;
          $<opd>$->args = $<vec>3;
      }
    ;

m_args_opt
    : %empty                            { $<vec>$ = (struct vec){0}; }
    | m_args                            { $<vec>$ = $<vec>1; }
    ;

m_args
    : m_arg                             { $<vec>$ = one(ctx, $<opd>1); }
    | m_args ',' m_arg                  { $<vec>$ = $<vec>1; vec_push(A, &$<vec>$, $<opd>3); }
    ;

m_arg
    : m_operand                         { $<opd>$ = $<opd>1; }
    | STRING                            { $<opd>$ = operand(ctx, O_STRING, @1); $<opd>$->lit.text = $1; }
    ;

/* ---- wiring ---- */

pipeline
    : node ARROW node pipe_rest {
          struct ast_pipe *p = node(ctx, sizeof *p);
          p->loc = $1->loc;
          vec_push(A, &p->nodes, $1);
          vec_push(A, &p->nodes, $3);
          for (size_t i = 0; i < $4.n; i++)
              vec_push(A, &p->nodes, $4.v[i]);
          vec_push(A, &ctx->q->pipes, p);
      }
    | IDENT BRANCH IDENT ARROW node pipe_rest {
          struct ast_pipe *p = node(ctx, sizeof *p);
          p->loc = L(@1);
          p->branch = name(ctx, $3, @3);
          vec_push(A, &p->nodes, pnode(ctx, $1, false, @1));
          vec_push(A, &p->nodes, $5);
          for (size_t i = 0; i < $6.n; i++)
              vec_push(A, &p->nodes, $6.v[i]);
          vec_push(A, &ctx->q->pipes, p);
      }
    ;

pipe_rest
    : %empty                            { $$ = (struct vec){0}; }
    | pipe_rest ARROW node              { $$ = $1; vec_push(A, &$$, $3); }
    ;

node
    : IDENT                             { $$ = pnode(ctx, $1, false, @1); }
    | STRING                            { $$ = pnode(ctx, $1, true, @1); }
    ;

%%

#include "scanner.h"

static const char *display(yysymbol_kind_t k)
{
    const char *s = yysymbol_name(k);
    return s;
}

static bool is_keyword(yysymbol_kind_t k)
{
    return k >= YYSYMBOL_SPLITTER && k <= YYSYMBOL_NOT;
}

/* The keyword a misspelt name (at least 4 letters) is nearest to. */
static const char *keyword_for(const char *name)
{
    static const char *const kws[] = {"splitter", "filter", "grouper", "groupfilter", "merger",
                                      "ungrouper", "module", "aggregate", "branches", "branch",
                                      "export", "delta", "rdelta", "notin", NULL};
    if (!name || strlen(name) < 4)
        return NULL;
    for (const char *const *k = kws; *k; k++)
        if (strcmp(*k, name) == 0)
            return NULL;
    return nearest_name(name, kws);
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 struct parse_ctx *ctx)
{
    (void)scanner;
    if (ctx->nerrors >= PARSE_MAX_ERRORS)
        return 0;
    ctx->nerrors++;
    const YYLTYPE *l = yypcontext_location(yyctx);
    yysymbol_kind_t la = yypcontext_token(yyctx);
    enum { MAXEXP = 4 };
    yysymbol_kind_t exp[MAXEXP];
    int n = yypcontext_expected_tokens(yyctx, NULL, 0);
    if (n > MAXEXP || n < 0)
        n = 0;
    else
        n = yypcontext_expected_tokens(yyctx, exp, MAXEXP);
    char msg[400];
    size_t k = 0;
    if (is_keyword(la))
        k += (size_t)snprintf(msg, sizeof msg, "syntax error: unexpected '%s'", ctx->text);
    else
        k += (size_t)snprintf(msg, sizeof msg, "syntax error: unexpected %s", display(la));
    bool want_name = false;
    for (int i = 0; i < n && k < sizeof msg; i++) {
        k += (size_t)snprintf(msg + k, sizeof msg - k, "%s%s", i ? " or " : ", expecting ",
                              display(exp[i]));
        want_name |= exp[i] == YYSYMBOL_IDENT;
    }
    unsigned line = (unsigned)l->first_line, col = (unsigned)l->first_column;
    diag_add(ctx->diags, DIAG_ERROR, line, col, "%s", msg);
    bool want_as = false;
    int nall = yypcontext_expected_tokens(yyctx, NULL, 0);
    if (la == YYSYMBOL_IDENT && nall > 0 && nall <= YYNTOKENS) {
        yysymbol_kind_t all[YYNTOKENS];
        nall = yypcontext_expected_tokens(yyctx, all, YYNTOKENS);
        /* an aggregate item followed by a name: the item was reduced
         * before the error, so ',' (another item) stands for 'as' */
        for (int i = 0; i < nall; i++)
            want_as |= all[i] == YYSYMBOL_AS ||
                       (strcmp(yysymbol_name(all[i]), "','") == 0 && ctx->stage_kw == GROUPER && ctx->depth == 1);
    }
    const char *kw = la == YYSYMBOL_IDENT ? keyword_for(ctx->text) : NULL;
    if (!kw && la == YYSYMBOL_IDENT)
        kw = keyword_for(ctx->before);
    if (want_as) {
        diag_note(ctx->diags, line, col, "to name an aggregate, write 'as %s'", ctx->text);
        return 0;
    }
    if (kw) {
        diag_note(ctx->diags, line, col, "did you mean the keyword '%s'?", kw);
        return 0;
    }
    if ((la == YYSYMBOL_OR || la == YYSYMBOL_NOT) && ctx->stage_kw == GROUPER && ctx->depth >= 2)
        diag_note(ctx->diags, line, col,
                  "grouper rules have no OR or NOT; use several modules for alternatives");
    else if (is_keyword(la) && want_name)
        diag_note(ctx->diags, line, col, "'%s' is a reserved word", ctx->text);
    return 0;
}

int parse_query(const char *src, size_t len, struct parse_ctx *ctx)
{
    yyscan_t scanner;
    if (yylex_init_extra(ctx, &scanner))
        return -1;
    ctx->line = ctx->col = 1;
    YY_BUFFER_STATE b = yy_scan_bytes(src, (int)len, scanner);
    int rc = yyparse(scanner, ctx);
    yy_delete_buffer(b, scanner);
    yylex_destroy(scanner);
    return rc || ctx->nerrors ? 1 : 0;
}

size_t parse_tokens(const char *src, size_t len, struct parse_ctx *ctx, struct parse_token **out)
{
    yyscan_t scanner;
    size_t n = 0, cap = 16;
    struct parse_token *v = arena_alloc(ctx->ast, cap * sizeof *v);
    if (yylex_init_extra(ctx, &scanner))
        return 0;
    ctx->line = ctx->col = 1;
    YY_BUFFER_STATE b = yy_scan_bytes(src, (int)len, scanner);
    for (;;) {
        YYSTYPE val;
        YYLTYPE loc;
        memset(&val, 0, sizeof val);
        int kind = yylex(&val, &loc, scanner);
        if (n + 1 >= cap) {
            struct parse_token *w = arena_alloc(ctx->ast, 2 * cap * sizeof *w);
            memcpy(w, v, n * sizeof *v);
            v = w;
            cap *= 2;
        }
        struct parse_token *t = &v[n];
        t->kind = kind;
        t->line = (unsigned)loc.first_line;
        t->col = (unsigned)loc.first_column;
        t->text = ctx->text;
        if (kind == INTEGER || kind == TIME || kind == IPV4 || kind == PREFIX)
            t->lit = val.lit;
        if (kind == YYEOF)
            break;
        n++;
    }
    yy_delete_buffer(b, scanner);
    yylex_destroy(scanner);
    *out = v;
    return n;
}
