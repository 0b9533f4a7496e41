/* SPDX-License-Identifier: MIT
 * The syntax tree of a query, as the parser builds it: names are still
 * strings, nothing is checked.  Everything lives in one arena and is
 * dropped after compiling.  Lists are struct vec of node pointers.
 */
#ifndef FQ_AST_H
#define FQ_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "query.h"

struct loc {
    unsigned line, col;
};

/* A literal token's value and spelling (for messages). */
struct lit {
    uint64_t u;
    unsigned plen;              /* PREFIX */
    bool time;                  /* TIME token */
    bool v6;                    /* IPV4 / PREFIX token holding an IPv6 address: ip6, not u */
    uint8_t ip6[16];
    const char *text;
};

enum ast_okind { O_NAME, O_QNAME, O_INT, O_IPV4, O_PREFIX, O_CALL, O_STRING };

struct ast_operand {
    enum ast_okind kind;
    struct loc loc;
    const char *name;           /* O_NAME, O_CALL; O_QNAME: the branch */
    const char *name2;          /* O_QNAME: the group field */
    struct loc loc2;
    struct lit lit;             /* O_INT (also TIME), O_IPV4, O_PREFIX; O_STRING text */
    struct vec args;            /* O_CALL: struct ast_operand * */
};

enum ast_dkind { AD_NONE, AD_DELTA, AD_RDELTA };

struct ast_delta {
    enum ast_dkind kind;
    struct loc loc;             /* the keyword */
    struct lit amount;
    struct loc amount_loc;
};

enum ast_tkind { AT_CMP, AT_REF, AT_ALLEN };

struct ast_term {
    enum ast_tkind kind;
    struct loc loc;             /* first token of the term (NOT included) */
    bool negate;
    /* AT_CMP */
    struct ast_operand *l, *r;
    enum fq_op op;
    struct loc oploc;
    struct ast_delta delta;     /* also AT_ALLEN */
    /* AT_REF: the name; AT_ALLEN: x rel y */
    const char *name;
    const char *x, *y, *rel;
    struct loc xloc, yloc, relloc;
};

struct ast_clause {
    struct loc loc;
    struct vec terms;           /* struct ast_term * */
};

struct ast_grule {
    struct loc loc;             /* the left field */
    const char *l;
    enum fq_op op;
    struct loc oploc;
    struct ast_operand *r;
    struct ast_delta delta;
};

struct ast_agg {
    struct loc loc;             /* first token of the item */
    const char *fn;             /* NULL: plain field */
    const char *mod;            /* module qualifier or NULL */
    struct loc modloc;
    const char *field;
    struct loc fieldloc;
    const char *as;             /* NULL if no 'as' */
    struct loc asloc;
};

struct ast_name {
    const char *s;
    struct loc loc;
};

struct ast_module {
    const char *name;
    struct loc loc;
    struct vec rules;           /* grouper: struct ast_grule * */
    struct vec branches;        /* merger: struct ast_name * */
    struct vec clauses;         /* merger: struct ast_clause * */
};

enum ast_skind { S_SPLITTER, S_FILTER, S_GROUPER, S_GROUPFILTER, S_MERGER, S_UNGROUPER, S_NKINDS };

struct ast_stage {
    enum ast_skind kind;
    const char *name;
    struct loc loc;             /* the name */
    struct vec clauses;         /* filter, groupfilter */
    struct vec modules;         /* grouper, merger */
    struct vec aggs;            /* grouper: struct ast_agg * */
    struct ast_name *export;    /* merger full form */
    bool short_form;            /* merger: a branches line, no module */
};

struct ast_node {               /* a pipeline node */
    const char *s;
    bool string;
    struct loc loc;
};

struct ast_pipe {
    struct loc loc;
    struct ast_name *branch;    /* branch statement: the branch name */
    struct vec nodes;           /* struct ast_node *; a branch statement's
                                   first node is the splitter */
};

struct ast_query {
    struct vec stages;          /* struct ast_stage *, in source order */
    struct vec pipes;           /* struct ast_pipe * */
};

extern const char *const ast_kind_name[S_NKINDS];

#endif
