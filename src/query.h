/* SPDX-License-Identifier: MIT
 * The compiled query: the contract between the front end (grammar/,
 * src/compile.c), which builds it, and the engine, which only reads it.
 *
 * Invariants the front end guarantees (the engine checks none of them):
 *  - every name is resolved: record fields to enum fq_field, group fields
 *    to indices into the branch's gfields, branches to indices into
 *    query.branches, filter references to the referenced struct fq_cnf;
 *  - types fit LANGUAGE.md 6.2; '=' / '!=' with a prefix became OP_IN /
 *    OP_NOTIN; constant calls are folded to X_CONST (protocol() always);
 *  - rdelta in a merger became a plain delta; delta only where allowed;
 *  - the reference graph of filters is acyclic.
 * All of it lives in the query's arena and is immutable once compiled, so
 * branch threads share it without locks.
 */
#ifndef FQ_QUERY_H
#define FQ_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

enum fq_op {
#define FQ_OP(id, text) OP_##id,
#include "names.def"
#undef FQ_OP
};

enum fq_xkind {
    X_CONST,   /* u: a uint, time or addr constant */
    X_PREFIX,  /* u (IPv4, host order) or ip6: network, host bits clear; plen */
    X_FIELD,   /* field of the record (filter) */
    X_GFIELD,  /* group field gfield of branch (group filter: own branch) */
    X_BITAND,  /* args[0] & args[1] & ... */
    X_BITOR,
};

struct fq_expr {
    enum fq_xkind kind;
    enum fq_vtype type;       /* type of the value: VT_UINT/TIME/REAL/ADDR/PREFIX/SET */
    unsigned width;           /* bits, for uint/addr values */
    uint64_t u;               /* X_CONST value, X_PREFIX network */
    unsigned plen;            /* X_PREFIX length 0..32, or 0..128 when ip6 */
    const uint8_t *ip6;       /* X_CONST / X_PREFIX of an IPv6 address: its 16 bytes
                               * (network order; u is 0); NULL for IPv4 */
    enum fq_field field;      /* X_FIELD */
    int branch;               /* X_GFIELD: index into query.branches */
    int gfield;               /* X_GFIELD: index into that branch's gfields */
    struct fq_expr *args;     /* X_BITAND / X_BITOR operands */
    size_t nargs;
};

enum fq_allen {
#define FQ_ALLEN(id, word, delta) AL_##id,
#include "names.def"
#undef FQ_ALLEN
};

enum fq_tkind { T_CMP, T_ALLEN, T_REF };

struct fq_term {
    enum fq_tkind kind;
    bool negate;                /* NOT */
    /* T_CMP: l op r [delta] */
    enum fq_op op;
    struct fq_expr l, r;
    bool has_delta;             /* also for T_ALLEN */
    uint64_t delta;
    /* T_ALLEN: branch bx rel branch by, indices into query.branches */
    enum fq_allen rel;
    int bx, by;
    /* T_REF: the referenced filter */
    const struct fq_cnf *ref;
    unsigned line, col;         /* where the term starts in the query */
};

struct fq_clause {              /* OR of terms */
    struct fq_term *terms;
    size_t n;
};

struct fq_cnf {                 /* AND of clauses; n == 0 accepts everything */
    const char *name;           /* the filter / group filter / module name */
    struct fq_clause *clauses;
    size_t n;
};

/* Grouper rule: field l of the reference member op field r of the
 * candidate, LANGUAGE.md 7.3.  D_NONE and D_ABS compare with the group's
 * first member, D_REL with its last. */
enum fq_dkind { D_NONE, D_ABS, D_REL };

struct fq_grule {
    enum fq_field l, r;
    enum fq_op op;              /* OP_EQ .. OP_GE */
    enum fq_dkind dk;
    uint64_t delta;
};

struct fq_gmodule {
    const char *name;
    struct fq_grule *rules;     /* n == 0: matches every candidate */
    size_t n;
};

struct fq_grouper {
    const char *name;
    struct fq_gmodule *modules; /* nmodules == 0: one empty module */
    size_t nmodules;
};

/* AGG_PLAIN: the value of the first member; the others as named. */
enum fq_aggfn {
#define FQ_AGG(id, name) AGG_##id,
#include "names.def"
#undef FQ_AGG
};

/* One field of a branch's group records.  Indices 0, 1, 2 are always the
 * defaults: stime = min(stime), etime = max(etime), records = union(rec_id).
 * Then the aggregate clause's items in order.  A branch without a grouper
 * gets the defaults plus one AGG_PLAIN per record field, in table order. */
struct fq_gfield {
    const char *name;           /* column name (as written, or canonical) */
    enum fq_aggfn fn;
    enum fq_field field;        /* argument (ignored by AGG_COUNT) */
    int module;                 /* -1: all members; else grouper module index */
    enum fq_vtype type;         /* result: VT_UINT/TIME/REAL/ADDR/SET */
    enum fq_vtype elem;         /* VT_SET: the members' type */
    unsigned width;             /* bits of a uint/addr result */
};

enum { GF_STIME = 0, GF_ETIME = 1, GF_RECORDS = 2, GF_NDEFAULT = 3 };

struct fq_branch {
    const char *name;
    const struct fq_cnf *filter;      /* NULL: every record */
    const struct fq_grouper *grouper; /* NULL: one group per record */
    struct fq_gfield *gfields;
    size_t ngfields;
    const struct fq_cnf *gfilter;     /* NULL: every group */
};

/* Merger module.  Comparisons use X_GFIELD operands and T_ALLEN terms
 * whose branch indices are always among this module's branches. */
struct fq_mmodule {
    const char *name;
    int *branches;              /* indices into query.branches, as listed */
    size_t nbranches;
    struct fq_cnf rules;
};

struct fq_query {
    struct fq_branch *branches; /* in the order of the branch statements */
    size_t nbranches;
    struct fq_mmodule *modules; /* one module for the short form or no merger */
    size_t nmodules;
    size_t export_module;
    void *arena;                /* owner of everything above */
};

/* Group values. */
struct fq_set {
    size_t n;
    uint64_t v[];               /* ascending, distinct */
};

union fq_val {
    uint64_t u;                 /* VT_UINT, VT_TIME, VT_ADDR */
    double d;                   /* VT_REAL */
    const struct fq_set *set;   /* VT_SET */
    const char *s;              /* VT_STR (output columns only) */
};

#endif
