/* SPDX-License-Identifier: MIT
 * Type checking and lowering of conditions, grouper rules, aggregates and
 * merger modules into the rule structs of query.h (LANGUAGE.md 6-7).
 * Constants are folded, '=' with a prefix becomes OP_IN, a constant on the
 * left of an ordering is swapped to the right, and types are settled here
 * so that the engine never switches on a type per record.
 */
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmp.h"
#include "names.h"
#include "sema.h"

/* ---------- names ---------- */

static bool other_version_field(const char *name)
{
    static const char *const v[] = {
        "dFlows", "in_encaps", "out_encaps", "peer_nexthop", "router_sc", "src_tag", "dst_tag",
        "extra_pkts", "marked_tos", "src_prefix", "dst_prefix", "in_src_mac", "out_dst_mac",
        "src_vlan", "dst_vlan", "ip_version", "direction", "sysuptime_ms", "src_asn", "dst_asn",
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (strcmp(v[i], name) == 0)
            return true;
    return false;
}

/* The field called name, or F_COUNT after reporting E-NAM-2/3. */
static enum fq_field field_resolve(struct sema *s, const char *name, struct loc at, bool proto)
{
    enum fq_field f = field_lookup(name);
    if (f != F_COUNT)
        return f;
    if (other_version_field(name)) {
        ERR(s, at, "field '%s' is not present in NetFlow v5 records", name);
        return F_COUNT;
    }
    const char *best = proto ? "proto" : field_suggest(name);
    if (best)
        ERR(s, at, "unknown field '%s'; did you mean '%s'?", name, best);
    else
        ERR(s, at, "unknown field '%s'", name);
    return F_COUNT;
}

/* A name a filter does not know may be a group field, which only a
 * groupfilter (after the grouper) can compare: say so in a note. */
static void group_field_note(struct sema *s, const char *name, struct loc at)
{
    for (size_t i = 0; i < s->q->stages.n; i++) {
        const struct ast_stage *st = s->q->stages.v[i];
        for (size_t j = 0; st->kind == S_GROUPER && j < st->aggs.n; j++) {
            const struct ast_agg *a = st->aggs.v[j];
            if (a->as && strcmp(a->as, name) == 0) {
                diag_note(s->d, at.line, at.col,
                          "'%s' is a field of grouper '%s'; a filter sees records, so compare it "
                          "in a groupfilter after the grouper",
                          name, st->name);
                return;
            }
        }
    }
}

/* ---------- values ---------- */

enum scope_kind { SC_FILTER, SC_GFILTER, SC_MERGER };

struct scope {
    enum scope_kind kind;
    int branch;                     /* SC_GFILTER */
    const struct gtable *gt;        /* SC_GFILTER */
    const struct ast_module *mod;   /* SC_MERGER */
    const int *mbranch;             /* SC_MERGER: module branch -> query branch */
};

struct val {
    struct fq_expr e;
    enum fq_vtype elem;             /* VT_SET */
    bool timelike, time_lit;
    const char *text;
    struct loc loc;
};

static bool is_const(const struct val *v)
{
    return v->e.kind == X_CONST || v->e.kind == X_PREFIX;
}

static bool is_num(enum fq_vtype t)
{
    return t == VT_UINT || t == VT_TIME || t == VT_REAL;
}

static const char *type_name(const struct val *v)
{
    switch (v->e.type) {
    case VT_UINT: return "uint";
    case VT_TIME: return "time";
    case VT_REAL: return "real";
    case VT_ADDR: return "addr";
    case VT_PREFIX: return "prefix";
    case VT_SET: return v->elem == VT_ADDR ? "set(addr)" : "set(uint)";
    default: return "string";
    }
}

static bool gfield_value(struct sema *s, const struct gtable *gt, int branch, const char *bname,
                         const char *name, struct loc at, struct val *v)
{
    if (!gt) {  /* the grammar has no bare field names in merger rules */
        ERR(s, at, "'%s': a merger rule names group fields as BRANCH.%s", name, name);
        return false;
    }
    size_t idx = (size_t)strmap_get(&gt->names, name);
    if (!idx) {
        if (!gt->def) {
            ERR(s, at,
                "'%s' is not a field of the groups of branch '%s' (it has no grouper; its groups have the record fields)",
                name, bname);
            return false;
        }
        size_t len = 0;
        for (size_t i = 0; i < gt->n; i++)
            len += strlen(gt->gf[i].name) + 2;
        char *list = arena_alloc(s->ast, len + 1), *p = list;
        for (size_t i = 0; i < gt->n; i++)
            p += sprintf(p, "%s%s", i ? ", " : "", gt->gf[i].name);
        ERR(s, at, "'%s' is not a field of the groups of branch '%s' (grouper '%s' provides: %s)",
            name, bname, gt->def->name, list);
        return false;
    }
    const struct fq_gfield *g = &gt->gf[idx - 1];
    v->e.kind = X_GFIELD;
    v->e.branch = branch;
    v->e.gfield = (int)idx - 1;
    v->e.type = g->type;
    v->e.width = g->width;
    v->elem = g->elem;
    v->timelike = gt->timelike[idx - 1];
    return true;
}

static const struct {
    const char *name;
    uint8_t num;
} protocols[] = {
    {"icmp", 1}, {"igmp", 2}, {"ipencap", 4}, {"ipip", 4}, {"tcp", 6}, {"egp", 8},
    {"udp", 17}, {"ipv6", 41}, {"rsvp", 46}, {"gre", 47}, {"esp", 50}, {"ah", 51},
    {"ipv6-icmp", 58}, {"icmpv6", 58}, {"ospf", 89}, {"pim", 103}, {"sctp", 132},
};

/* bitAND and bitOR are also functions of filter expressions */
static bool is_aggregation_name(const char *n)
{
    int fn = agg_lookup(n);
    return fn >= 0 && fn != AGG_BITAND && fn != AGG_BITOR;
}

static bool value(struct sema *s, const struct scope *sc, const struct ast_operand *o,
                  const struct ast_operand *other, struct val *v);

static bool call_value(struct sema *s, const struct scope *sc, const struct ast_operand *o,
                       struct val *v)
{
    v->text = arena_printf(s->ast, "%s()", o->name);
    if (strcasecmp(o->name, "protocol") == 0) {
        const struct ast_operand *a = o->args.n == 1 ? o->args.v[0] : NULL;
        if (!a || a->kind != O_STRING) {
            ERR(s, o->loc, "%s() expects one protocol name in quotes, e.g. %s(\"TCP\")", o->name,
                o->name);
            return false;
        }
        long num = -1;
        for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
            if (strcasecmp(a->lit.text, protocols[i].name) == 0)
                num = protocols[i].num;
        if (num < 0) {
            /* the system table for the rest; the built-in one keeps results stable */
            char low[64];
            size_t n = strlen(a->lit.text);
            if (n < sizeof low) {
                for (size_t i = 0; i <= n; i++)
                    low[i] = (char)tolower((unsigned char)a->lit.text[i]);
                struct protoent *pe = getprotobyname(low);
                if (pe && pe->p_proto >= 0 && pe->p_proto < 256)
                    num = pe->p_proto;
            }
        }
        if (num < 0) {
            ERR(s, a->loc, "unknown protocol name '%s'", a->lit.text);
            return false;
        }
        v->e = (struct fq_expr){.kind = X_CONST, .type = VT_UINT, .width = 8, .u = (uint64_t)num};
        return true;
    }
    bool band = strcasecmp(o->name, "bitAND") == 0, bor = strcasecmp(o->name, "bitOR") == 0;
    if (!band && !bor) {
        if (is_aggregation_name(o->name))
            ERR(s, o->loc,
                "'%s' is an aggregation function; aggregates belong in a grouper's aggregate clause",
                o->name);
        else
            ERR(s, o->loc, "unknown function '%s'", o->name);
        return false;
    }
    bool ok = o->args.n >= 2, all_const = true;
    struct fq_expr *args = arena_alloc(s->ir, (o->args.n + 1) * sizeof *args);
    unsigned width = 0;
    uint64_t folded = band ? ~(uint64_t)0 : 0;
    for (size_t i = 0; i < o->args.n; i++) {
        const struct ast_operand *a = o->args.v[i];
        struct val av = {0};
        if (a->kind == O_STRING) {
            ok = false;
            continue;
        }
        if (!value(s, sc, a, NULL, &av))
            return false;
        if (av.e.type != VT_UINT && av.e.type != VT_TIME) {
            ok = false;
            continue;
        }
        args[i] = av.e;
        if (is_const(&av)) {
            folded = band ? folded & av.e.u : folded | av.e.u;
        } else {
            all_const = false;
            if (av.e.width > width)
                width = av.e.width;
        }
    }
    if (!ok) {
        ERR(s, o->loc, "%s() expects two or more unsigned integer arguments", o->name);
        return false;
    }
    if (all_const) {
        v->e = (struct fq_expr){.kind = X_CONST, .type = VT_UINT, .width = 64, .u = folded};
        return true;
    }
    v->e = (struct fq_expr){.kind = band ? X_BITAND : X_BITOR, .type = VT_UINT,
                            .width = width, .args = args, .nargs = o->args.n};
    return true;
}

/* An IPv6 literal's address, copied into the query's arena. */
static const uint8_t *lit_ip6(struct sema *s, const struct lit *l, struct fq_expr *e)
{
    uint8_t *a = arena_alloc(s->ir, 16);
    memcpy(a, l->ip6, 16);
    e->u = 0;
    return a;
}

/* Resolve an operand; other is the operand it is compared with (for the
 * protocol() hint of an unknown field). */
static bool value(struct sema *s, const struct scope *sc, const struct ast_operand *o,
                  const struct ast_operand *other, struct val *v)
{
    memset(v, 0, sizeof *v);
    v->loc = o->loc;
    v->text = o->lit.text;
    switch (o->kind) {
    case O_INT:
        v->e = (struct fq_expr){.kind = X_CONST, .type = VT_UINT, .width = 64, .u = o->lit.u};
        v->time_lit = o->lit.time;
        return true;
    case O_IPV4:
        v->e = (struct fq_expr){.kind = X_CONST, .type = VT_ADDR, .width = 32, .u = o->lit.u};
        if (o->lit.v6)
            v->e.ip6 = lit_ip6(s, &o->lit, &v->e);
        return true;
    case O_PREFIX:
        v->e = (struct fq_expr){.kind = X_PREFIX, .type = VT_PREFIX, .width = 32, .u = o->lit.u,
                                .plen = o->lit.plen};
        if (o->lit.v6)
            v->e.ip6 = lit_ip6(s, &o->lit, &v->e);
        return true;
    case O_CALL:
        return call_value(s, sc, o, v);
    case O_STRING:
        ERR(s, o->loc, "a string is only a function argument or a pipeline end point");
        return false;
    case O_NAME:
        v->text = o->name;
        if (sc->kind == SC_FILTER) {
            bool proto = other && other->kind == O_CALL && strcasecmp(other->name, "protocol") == 0;
            enum fq_field f = field_resolve(s, o->name, o->loc, proto);
            if (f == F_COUNT) {
                group_field_note(s, o->name, o->loc);
                return false;
            }
            v->e = (struct fq_expr){.kind = X_FIELD, .type = fq_fields[f].type,
                                    .width = fq_fields[f].width, .field = f};
            v->timelike = fq_fields[f].timelike;
            return true;
        }
        return gfield_value(s, sc->gt, sc->branch, s->br[sc->branch].name, o->name, o->loc, v);
    case O_QNAME: {
        v->text = arena_printf(s->ast, "%s.%s", o->name, o->name2);
        const struct ast_module *m = sc->mod;
        for (size_t i = 0; i < m->branches.n; i++) {
            const struct ast_name *b = m->branches.v[i];
            if (strcmp(b->s, o->name) == 0) {
                int bi = sc->mbranch[i];
                if (bi < 0)
                    return false; /* not wired: reported with the branches line */
                const struct sbranch *br = &s->br[bi];
                const struct gtable *gt = br->grouper
                                              ? strmap_get(&s->gtables, br->grouper->name)
                                              : s->plain;
                if (!gt)
                    return false;
                return gfield_value(s, gt, bi, br->name, o->name2, o->loc2, v);
            }
        }
        ERR(s, o->loc, "branch '%s' is not listed in the branches of module '%s'", o->name,
            m->name);
        return false;
    }
    }
    return false;
}

/* ---------- comparisons ---------- */



static bool same_expr(const struct fq_expr *a, const struct fq_expr *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == X_FIELD)
        return a->field == b->field;
    if (a->kind == X_GFIELD)
        return a->branch == b->branch && a->gfield == b->gfield;
    return false;
}

static int max_fits(unsigned width, uint64_t u)
{
    return width >= 64 || u <= ((uint64_t)1 << width) - 1;
}

/* W-TYP-1 / W-TYP-2: 1 always true, 0 always false, -1 neither. */
static int constant_truth(const struct val *l, const struct val *r, enum fq_op op, bool delta,
                          uint64_t d)
{
    if (l->e.kind == X_CONST && r->e.kind == X_CONST && op <= OP_GE) {
        uint64_t x = l->e.u, y = r->e.u, gap = x > y ? x - y : y - x;
        bool near = !delta || gap <= d;
        switch (op) {
        case OP_EQ: return delta ? gap <= d : x == y;
        case OP_NE: return delta ? gap > d : x != y;
        case OP_LT: return x < y && near;
        case OP_LE: return x <= y && near;
        case OP_GT: return x > y && near;
        default: return x >= y && near;
        }
    }
    if (same_expr(&l->e, &r->e)) {
        switch (op) {
        case OP_EQ: case OP_LE: case OP_GE: return 1;
        case OP_NE: case OP_LT: case OP_GT: return 0;
        default: return -1;
        }
    }
    if (is_const(l) || r->e.kind != X_CONST || !is_num(l->e.type))
        return -1;
    uint64_t c = r->e.u;
    if (op == OP_LT && c == 0)
        return 0;
    if (delta)
        return -1;
    if (op == OP_GE && c == 0)
        return 1;
    if (l->e.type != VT_REAL && l->e.width < 64) {
        uint64_t max = ((uint64_t)1 << l->e.width) - 1;
        if (op == OP_GT && c >= max)
            return 0;
        if (op == OP_LE && c >= max)
            return 1;
    }
    return -1;
}

static bool lower_cmp(struct sema *s, const struct scope *sc, const struct ast_term *t,
                      struct fq_term *out)
{
    struct val l, r;
    bool okl = value(s, sc, t->l, t->r, &l);
    bool okr = value(s, sc, t->r, t->l, &r);
    if (!okl || !okr)
        return false;
    const struct val l0 = l, r0 = r;
    enum fq_op op = t->op;
    if (l.e.kind == X_CONST && !is_const(&r) && op <= OP_GE) {
        struct val tmp = l;
        l = r;
        r = tmp;
        op = fq_op_mirror(op);
    }
    enum fq_vtype lt = l.e.type, rt = r.e.type;
    bool fits = false;
    if (is_num(lt) && is_num(rt))
        fits = op <= OP_GE;
    else if (lt == VT_ADDR && rt == VT_ADDR)
        fits = op <= OP_GE;
    else if (lt == VT_ADDR && rt == VT_PREFIX) {
        fits = op == OP_EQ || op == OP_NE || op == OP_IN || op == OP_NOTIN;
        op = op == OP_EQ ? OP_IN : op == OP_NE ? OP_NOTIN : op;
    } else if ((is_num(lt) || lt == VT_ADDR) && lt != VT_REAL && rt == VT_SET)
        fits = (op == OP_IN || op == OP_NOTIN) && (lt == VT_ADDR) == (r.elem == VT_ADDR);
    else if (lt == VT_SET && rt == VT_SET)
        fits = (op == OP_EQ || op == OP_NE) && (l.elem == VT_ADDR) == (r.elem == VT_ADDR);
    if (!fits) {
        ERR(s, t->oploc, "cannot compare %s (%s) with %s (%s) using '%s'", l0.text, type_name(&l0),
            r0.text, type_name(&r0), fq_op_name[t->op]);
        return false;
    }
    bool ok = true;
    const struct ast_delta *d = &t->delta;
    if (d->kind == AD_RDELTA && sc->kind != SC_MERGER) {
        ERR(s, d->loc, "rdelta is only meaningful in a grouper rule");
        ok = false;
    } else if (d->kind == AD_RDELTA) {
        WARN(s, d->loc, "rdelta has no 'last record' in a merger; treated as delta");
    }
    if (d->kind != AD_NONE && (op >= OP_IN || !is_num(lt) || !is_num(rt))) {
        ERR(s, d->loc, "delta is not allowed here (only between numbers with = != < <= > >=)");
        ok = false;
    }
    /* E-TYP-2: a constant must fit the field it is compared with */
    const struct val *sides[2][2] = {{&l, &r}, {&r, &l}};
    for (int i = 0; i < 2; i++) {
        const struct val *f = sides[i][0], *c = sides[i][1];
        if ((f->e.kind == X_FIELD || f->e.kind == X_GFIELD) && c->e.kind == X_CONST &&
            (f->e.type == VT_UINT || f->e.type == VT_TIME) && !max_fits(f->e.width, c->e.u)) {
            ERR(s, c->loc, "constant %s does not fit in field '%s' (%u bits)", c->text, f->text,
                f->e.width);
            ok = false;
        }
    }
    if (!ok)
        return false;
    for (int i = 0; i < 2; i++) {
        const struct val *c = sides[i][0], *f = sides[i][1];
        if (c->time_lit && !is_const(f) && !f->timelike)
            WARN(s, c->loc, "time value compared with '%s', which is not a time or duration field",
                 f->text);
    }
    if (d->kind != AD_NONE && d->amount.time && !l.timelike && !r.timelike)
        WARN(s, d->amount_loc,
             "time value compared with '%s', which is not a time or duration field",
             is_const(&l) ? r.text : l.text);
    int truth = constant_truth(&l, &r, op, d->kind != AD_NONE, d->amount.u);
    if (truth == 0)
        WARN(s, t->loc, "condition is always false");
    else if (truth == 1)
        WARN(s, t->loc, "condition is always true");
    out->kind = T_CMP;
    out->op = op;
    out->l = l.e;
    out->r = r.e;
    out->has_delta = d->kind != AD_NONE;
    out->delta = d->amount.u;
    return true;
}

/* ---------- filters and group filters ---------- */

static bool lower_clauses(struct sema *s, const struct scope *sc, const struct vec *clauses,
                          struct fq_cnf *out)
{
    bool ok = true;
    out->n = clauses->n;
    out->clauses = arena_alloc(s->ir, (clauses->n + 1) * sizeof *out->clauses);
    for (size_t i = 0; i < clauses->n; i++) {
        const struct ast_clause *c = clauses->v[i];
        struct fq_clause *oc = &out->clauses[i];
        oc->n = c->terms.n;
        oc->terms = arena_alloc(s->ir, c->terms.n * sizeof *oc->terms);
        for (size_t j = 0; j < c->terms.n; j++) {
            const struct ast_term *t = c->terms.v[j];
            struct fq_term *ot = &oc->terms[j];
            ot->negate = t->negate;
            ot->line = t->loc.line;
            ot->col = t->loc.col;
            if (t->kind == AT_REF) {
                if (sc->kind != SC_FILTER) {
                    ERR(s, t->loc, "'%s' is not a condition; compare it with a value", t->name);
                    ok = false;
                    continue;
                }
                const struct fq_cnf *ref = strmap_get(&s->cnfs, t->name);
                if (!ref) {
                    if (field_lookup(t->name) != F_COUNT)
                        ERR(s, t->loc, "'%s' is a field; a bare name here must name another filter",
                            t->name);
                    else
                        ERR(s, t->loc, "unknown filter '%s'", t->name);
                    if (strcmp(t->name, "m") == 0 || strcmp(t->name, "kB") == 0 ||
                        strcmp(t->name, "KB") == 0 || strcmp(t->name, "MB") == 0)
                        diag_note(s->d, t->loc.line, t->loc.col,
                                  "if it is a unit of the number before it: time units are ms, "
                                  "s, min, h and day (minutes are 'min'); sizes take none");
                    if (strcasecmp(t->name, "and") == 0)
                        diag_note(s->d, t->loc.line, t->loc.col,
                                  "there is no AND: the conditions of a filter are all required "
                                  "already; write them one after the other, without AND");
                    ok = false;
                    continue;
                }
                ot->kind = T_REF;
                ot->ref = ref;
            } else if (!lower_cmp(s, sc, t, ot)) {
                ok = false;
            }
        }
    }
    return ok;
}

void lower_filter(struct sema *s, const struct ast_stage *f, struct fq_cnf *out)
{
    struct scope sc = {.kind = SC_FILTER};
    out->name = arena_strdup(s->ir, f->name);
    lower_clauses(s, &sc, &f->clauses, out);
}

const struct fq_cnf *lower_gfilter(struct sema *s, const struct ast_stage *gf, int branch,
                                   const struct gtable *gt)
{
    struct scope sc = {.kind = SC_GFILTER, .branch = branch, .gt = gt};
    struct fq_cnf *out = arena_alloc(s->ir, sizeof *out);
    out->name = arena_strdup(s->ir, gf->name);
    lower_clauses(s, &sc, &gf->clauses, out);
    return out;
}

/* ---------- groupers ---------- */

static void gtable_add(struct sema *s, struct gtable *gt, size_t *cap, struct fq_gfield g,
                       bool timelike)
{
    if (gt->n == *cap) {
        size_t ncap = *cap * 2;
        struct fq_gfield *v = arena_alloc(s->ir, ncap * sizeof *v);
        bool *tl = arena_alloc(s->ast, ncap * sizeof *tl);
        memcpy(v, gt->gf, gt->n * sizeof *v);
        memcpy(tl, gt->timelike, gt->n * sizeof *tl);
        gt->gf = v;
        gt->timelike = tl;
        *cap = ncap;
    }
    gt->timelike[gt->n] = timelike;
    gt->gf[gt->n++] = g;
}

static struct gtable *gtable_new(struct sema *s, size_t *cap)
{
    struct gtable *gt = arena_alloc(s->ast, sizeof *gt);
    strmap_init(&gt->names, s->ast);
    *cap = 8;
    gt->gf = arena_alloc(s->ir, *cap * sizeof *gt->gf);
    gt->timelike = arena_alloc(s->ast, *cap * sizeof *gt->timelike);
    gtable_add(s, gt, cap,
               (struct fq_gfield){"stime", AGG_MIN, F_STIME, -1, VT_TIME, VT_UINT, 64}, true);
    gtable_add(s, gt, cap,
               (struct fq_gfield){"etime", AGG_MAX, F_ETIME, -1, VT_TIME, VT_UINT, 64}, true);
    gtable_add(s, gt, cap,
               (struct fq_gfield){"records", AGG_UNION, F_REC_ID, -1, VT_SET, VT_UINT, 64}, false);
    strmap_put(&gt->names, "stime", (void *)1);
    strmap_put(&gt->names, "flowStartMilliseconds", (void *)1);
    strmap_put(&gt->names, "etime", (void *)2);
    strmap_put(&gt->names, "flowEndMilliseconds", (void *)2);
    strmap_put(&gt->names, "records", (void *)3);
    return gt;
}

struct gtable *lower_plain_gtable(struct sema *s)
{
    size_t cap;
    struct gtable *gt = gtable_new(s, &cap);
    for (int f = 0; f < F_COUNT; f++) {
        const struct fq_field_info *fi = &fq_fields[f];
        size_t idx = gt->n + 1;
        if (f == F_STIME || f == F_ETIME) {
            /* the group's own stime and etime (the record's, for a group
             * of one) answer to every name of the field */
            for (const char *const *a = field_aliases((enum fq_field)f); *a; a++)
                strmap_put(&gt->names, *a, (void *)(size_t)(f == F_STIME ? 1 : 2));
            continue;
        }
        gtable_add(s, gt, &cap,
                   (struct fq_gfield){fi->name, AGG_PLAIN, (enum fq_field)f, -1, fi->type, fi->type,
                                      fi->width},
                   fi->timelike);
        strmap_put(&gt->names, fi->name, (void *)idx);
        for (const char *const *a = field_aliases((enum fq_field)f); *a; a++)
            strmap_put(&gt->names, *a, (void *)idx);
    }
    return gt;
}

static bool grule(struct sema *s, const struct ast_grule *r, struct fq_grule *out)
{
    enum fq_field l = field_resolve(s, r->l, r->loc, false);
    enum fq_field rf = F_COUNT;
    if (r->r->kind != O_NAME) {
        ERR(s, r->r->loc,
            "a grouper rule compares a field of the group with a field of the new record; use a filter to compare with a constant");
    } else {
        rf = field_resolve(s, r->r->name, r->r->loc, false);
    }
    if (r->delta.kind != AD_NONE && r->delta.amount.time && l != F_COUNT &&
        !fq_fields[l].timelike && (rf == F_COUNT || !fq_fields[rf].timelike))
        WARN(s, r->delta.amount_loc,
             "time value compared with '%s', which is not a time or duration field", r->l);
    if (l == F_COUNT || rf == F_COUNT)
        return false;
    bool la = fq_fields[l].type == VT_ADDR, ra = fq_fields[rf].type == VT_ADDR;
    if (la != ra) {
        ERR(s, r->oploc, "cannot compare %s (%s) with %s (%s) using '%s'", r->l,
            la ? "addr" : fq_fields[l].type == VT_TIME ? "time" : "uint", r->r->name,
            ra ? "addr" : fq_fields[rf].type == VT_TIME ? "time" : "uint", fq_op_name[r->op]);
        return false;
    }
    if (r->delta.kind != AD_NONE && la) {
        ERR(s, r->delta.loc,
            "delta is not allowed here (only between numbers with = != < <= > >=)");
        return false;
    }
    *out = (struct fq_grule){l, rf, r->op,
                             r->delta.kind == AD_NONE    ? D_NONE
                             : r->delta.kind == AD_DELTA ? D_ABS
                                                         : D_REL,
                             r->delta.amount.u};
    return true;
}

static void aggregate(struct sema *s, const struct ast_stage *g, struct gtable *gt, size_t *cap,
                      const struct ast_agg *a)
{
    int fn = -1;
    if (a->fn) {
        fn = agg_lookup(a->fn);
        if (fn < 0) {
            ERR(s, a->loc,
                "unknown aggregation function '%s' (expected: count, sum, min, max, avg, mean, median, stddev, prod, bitAND, bitOR, bitXOR, union)",
                a->fn);
            return;
        }
    }
    const char *arg = a->mod ? arena_printf(s->ast, "%s.%s", a->mod, a->field) : a->field;
    int module = -1;
    if (a->mod) {
        for (size_t i = 0; i < g->modules.n; i++)
            if (strcmp(((const struct ast_module *)g->modules.v[i])->name, a->mod) == 0 &&
                module < 0)
                module = (int)i;
        if (module < 0) {
            ERR(s, a->modloc, "grouper '%s' has no module '%s'", g->name, a->mod);
            return;
        }
    }
    enum fq_field f = field_resolve(s, a->field, a->fieldloc, false);
    if (f == F_COUNT)
        return;
    if (!a->as && (a->fn || a->mod)) {
        if (a->fn)
            ERR(s, a->loc, "aggregate '%s(%s)' needs a name: write '%s(%s) as NAME'", a->fn, arg,
                a->fn, arg);
        else
            ERR(s, a->loc, "aggregate '%s' needs a name: write '%s as NAME'", arg, arg);
        return;
    }
    const struct fq_field_info *fi = &fq_fields[f];
    enum fq_aggfn afn = fn < 0 ? AGG_PLAIN : (enum fq_aggfn)fn;
    /* a plain aggregate is its field: its column has the canonical name
     * whatever alias the query wrote */
    struct fq_gfield gf = {a->as ? a->as : fi->name, afn, f, module, fi->type, fi->type, fi->width};
    bool timelike = fi->timelike;
    switch (afn) {
    case AGG_COUNT:
        gf.type = VT_UINT;
        gf.width = 64;
        timelike = false;
        break;
    case AGG_SUM: case AGG_PROD: case AGG_AVG: case AGG_STDDEV:
    case AGG_BITAND: case AGG_BITOR: case AGG_BITXOR:
        if (fi->type == VT_ADDR) {
            ERR(s, a->loc, "%s() is not defined for address field '%s'", a->fn, a->field);
            return;
        }
        if (afn == AGG_SUM || afn == AGG_PROD) {
            gf.type = VT_UINT;
            gf.width = 64;
        } else if (afn == AGG_AVG || afn == AGG_STDDEV) {
            gf.type = VT_REAL;
            gf.width = 64;
        }
        timelike = timelike && afn != AGG_PROD && afn != AGG_BITAND && afn != AGG_BITOR &&
                   afn != AGG_BITXOR;
        break;
    case AGG_UNION:
        gf.type = VT_SET;
        timelike = false;
        break;
    default:
        break;
    }
    /* a default re-declared with exactly its own definition */
    size_t have = (size_t)strmap_get(&gt->names, gf.name);
    if (have && have <= GF_NDEFAULT && module < 0 &&
        ((have == 1 && afn == AGG_MIN && f == F_STIME) ||
         (have == 2 && afn == AGG_MAX && f == F_ETIME) ||
         (have == 3 && afn == AGG_UNION && f == F_REC_ID)))
        return;
    struct loc at = a->as ? a->asloc : a->loc;
    const char *const *aliases = a->as ? NULL : field_aliases(f);
    const char *canon = a->as ? NULL : fi->name;
    /* every name the group field will answer to must be free */
    const char *names[8];
    size_t nn = 0;
    names[nn++] = gf.name;
    if (canon && strcmp(canon, gf.name) != 0)
        names[nn++] = canon;
    for (; aliases && *aliases && nn < 8; aliases++)
        if (strcmp(*aliases, gf.name) != 0)
            names[nn++] = *aliases;
    for (size_t i = 0; i < nn; i++) {
        size_t h = (size_t)strmap_get(&gt->names, names[i]);
        if (!h)
            continue;
        if (h <= GF_NDEFAULT)
            ERR(s, at, "'%s' is a built-in group field and cannot be redefined", gf.name);
        else
            ERR(s, at, "group field '%s' is defined twice in grouper '%s'", gf.name, g->name);
        return;
    }
    gf.name = arena_strdup(s->ir, gf.name);
    gtable_add(s, gt, cap, gf, timelike);
    for (size_t i = 0; i < nn; i++)
        strmap_put(&gt->names, names[i], (void *)gt->n);
}

/* E-NAM-1 for module names repeated within one grouper or merger; *seen
 * maps each name to its first definition. */
static void check_module_names(struct sema *s, const struct vec *mods, struct strmap *seen)
{
    strmap_init(seen, s->ast);
    for (size_t i = 0; i < mods->n; i++) {
        const struct ast_module *m = mods->v[i];
        const struct ast_module *prev = strmap_put(seen, m->name, (void *)m);
        if (prev) {
            ERR(s, m->loc, "redefinition of '%s'", m->name);
            diag_note(s->d, prev->loc.line, prev->loc.col, "previous definition of '%s' is here",
                      m->name);
        }
    }
}

struct gtable *lower_grouper(struct sema *s, const struct ast_stage *g)
{
    size_t cap;
    struct gtable *gt = gtable_new(s, &cap);
    gt->def = g;
    struct fq_grouper *ir = arena_alloc(s->ir, sizeof *ir);
    ir->name = arena_strdup(s->ir, g->name);
    ir->nmodules = g->modules.n;
    ir->modules = arena_alloc(s->ir, (g->modules.n + 1) * sizeof *ir->modules);
    struct strmap seen;
    check_module_names(s, &g->modules, &seen);
    for (size_t i = 0; i < g->modules.n; i++) {
        const struct ast_module *m = g->modules.v[i];
        struct fq_gmodule *om = &ir->modules[i];
        om->name = arena_strdup(s->ir, m->name);
        om->n = m->rules.n;
        om->rules = arena_alloc(s->ir, (m->rules.n + 1) * sizeof *om->rules);
        for (size_t j = 0; j < m->rules.n; j++)
            grule(s, m->rules.v[j], &om->rules[j]);
    }
    for (size_t i = 0; i < g->aggs.n; i++)
        aggregate(s, g, gt, &cap, g->aggs.v[i]);
    gt->ir = ir;
    return gt;
}

/* ---------- merger ---------- */

static int mbranch_index(const struct ast_module *m, const char *name)
{
    for (size_t i = 0; i < m->branches.n; i++)
        if (strcmp(((const struct ast_name *)m->branches.v[i])->s, name) == 0)
            return (int)i;
    return -1;
}

static bool lower_allen(struct sema *s, const struct scope *sc, const struct ast_term *t,
                        struct fq_term *out)
{
    bool ok = true;
    int x = mbranch_index(sc->mod, t->x), y = mbranch_index(sc->mod, t->y);
    if (x < 0) {
        ERR(s, t->xloc, "branch '%s' is not listed in the branches of module '%s'", t->x,
            sc->mod->name);
        ok = false;
    }
    int rel = allen_lookup(t->rel);
    if (rel < 0) {
        ERR(s, t->relloc,
            "unknown Allen relation '%s' (expected <, >, =, m, mi, o, oi, s, si, d, di, f, fi or eq)",
            t->rel);
        ok = false;
    }
    if (y < 0) {
        ERR(s, t->yloc, "branch '%s' is not listed in the branches of module '%s'", t->y,
            sc->mod->name);
        ok = false;
    }
    if (ok && x == y) {
        ERR(s, t->loc, "an Allen relation needs two different branches");
        ok = false;
    }
    if (t->delta.kind == AD_RDELTA)
        WARN(s, t->delta.loc, "rdelta has no 'last record' in a merger; treated as delta");
    if (rel >= 0 && t->delta.kind != AD_NONE && !allen_takes_delta((enum fq_allen)rel)) {
        ERR(s, t->delta.loc, "delta has no meaning for Allen relation '%s'", t->rel);
        ok = false;
    }
    if (!ok || sc->mbranch[x] < 0 || sc->mbranch[y] < 0)
        return false;
    out->kind = T_ALLEN;
    out->rel = (enum fq_allen)rel;
    out->bx = sc->mbranch[x];
    out->by = sc->mbranch[y];
    out->has_delta = t->delta.kind != AD_NONE;
    out->delta = t->delta.amount.u;
    return true;
}

/* W-MRG-1 and W-MRG-2 for one module. */
static void allen_warnings(struct sema *s, const struct ast_module *m)
{
    size_t nb = m->branches.n;
    int *parent = arena_alloc(s->ast, (nb + 1) * sizeof *parent);
    for (size_t i = 0; i < nb; i++)
        parent[i] = (int)i;
    bool any = false;
    struct strmap pairs;
    strmap_init(&pairs, s->ast);
    for (size_t i = 0; i < m->clauses.n; i++) {
        const struct ast_clause *c = m->clauses.v[i];
        int px = -1, py = -1;
        bool only = true;
        for (size_t j = 0; j < c->terms.n; j++) {
            const struct ast_term *t = c->terms.v[j];
            /* NOT before excludes nothing: it holds for twelve relations */
            if (t->kind != AT_ALLEN || t->negate) {
                only = false;
                continue;
            }
            int x = mbranch_index(m, t->x), y = mbranch_index(m, t->y);
            if (x < 0 || y < 0 || x == y) {
                only = false;
                continue;
            }
            any = true;
            /* union-find, iterative */
            int rx = x, ry = y;
            while (parent[rx] != rx)
                rx = parent[rx];
            while (parent[ry] != ry)
                ry = parent[ry];
            if (rx != ry)
                parent[rx > ry ? rx : ry] = rx < ry ? rx : ry;
            int a = x < y ? x : y, b = x < y ? y : x;
            if (px < 0) {
                px = a;
                py = b;
            } else if (px != a || py != b) {
                only = false;
            }
        }
        if (!only || px < 0)
            continue;
        const char *key = arena_printf(s->ast, "%d,%d", px, py);
        const struct ast_clause *prev = strmap_put(&pairs, key, (void *)c);
        if (prev) {
            char where[48];
            if (prev->loc.line == c->loc.line)
                snprintf(where, sizeof where, "on line %u", c->loc.line);
            else
                snprintf(where, sizeof where, "lines %u and %u", prev->loc.line, c->loc.line);
            WARN(s, c->loc,
                 "Allen relations between '%s' and '%s' are combined with AND (%s); they exclude each other, so this can hardly match; join them with OR",
                 ((const struct ast_name *)m->branches.v[px])->s,
                 ((const struct ast_name *)m->branches.v[py])->s, where);
        }
    }
    if (!any)
        return;
    for (size_t i = 1; i < nb; i++) {
        int r = (int)i;
        while (parent[r] != r)
            r = parent[r];
        if (r != 0) {
            const struct ast_name *b = m->branches.v[i];
            WARN(s, b->loc, "branch '%s' is not linked in time to '%s'; every combination of their groups will be tried",
                 b->s, ((const struct ast_name *)m->branches.v[0])->s);
        }
    }
}

static void lower_mmodule(struct sema *s, const struct ast_module *m, struct fq_mmodule *out)
{
    int *mb = arena_alloc(s->ast, (m->branches.n + 1) * sizeof *mb);
    out->name = arena_strdup(s->ir, m->name);
    out->branches = arena_alloc(s->ir, (m->branches.n + 1) * sizeof *out->branches);
    out->nbranches = m->branches.n;
    for (size_t i = 0; i < m->branches.n; i++) {
        const struct ast_name *b = m->branches.v[i];
        mb[i] = -1;
        if (mbranch_index(m, b->s) != (int)i) {
            ERR(s, b->loc, "branch '%s' is listed twice", b->s);
            continue;
        }
        size_t bi = (size_t)strmap_get(&s->brnames, b->s);
        if (!bi) {
            ERR(s, b->loc, "branch '%s' is not connected to merger '%s'", b->s, s->merger->name);
            continue;
        }
        mb[i] = s->br[bi - 1].wired ? (int)bi - 1 : -1;
        out->branches[i] = (int)bi - 1;
        s->br[bi - 1].listed = true;
    }
    struct scope sc = {.kind = SC_MERGER, .mod = m, .mbranch = mb};
    struct fq_cnf *cnf = &out->rules;
    cnf->name = out->name;
    cnf->n = m->clauses.n;
    cnf->clauses = arena_alloc(s->ir, (m->clauses.n + 1) * sizeof *cnf->clauses);
    for (size_t i = 0; i < m->clauses.n; i++) {
        const struct ast_clause *c = m->clauses.v[i];
        struct fq_clause *oc = &cnf->clauses[i];
        oc->n = c->terms.n;
        oc->terms = arena_alloc(s->ir, (c->terms.n + 1) * sizeof *oc->terms);
        for (size_t j = 0; j < c->terms.n; j++) {
            const struct ast_term *t = c->terms.v[j];
            struct fq_term *ot = &oc->terms[j];
            ot->negate = t->negate;
            ot->line = t->loc.line;
            ot->col = t->loc.col;
            if (t->kind == AT_ALLEN)
                lower_allen(s, &sc, t, ot);
            else
                lower_cmp(s, &sc, t, ot);
        }
    }
    allen_warnings(s, m);
}

void lower_merger(struct sema *s, struct fq_query *q)
{
    const struct ast_stage *mg = s->merger;
    if (!mg) {
        /* one branch straight to the ungrouper: a one-branch merger, no rules */
        q->nmodules = 1;
        q->modules = arena_alloc(s->ir, sizeof *q->modules);
        q->modules[0].name = s->nbr ? arena_strdup(s->ir, s->br[0].name) : "";
        q->modules[0].branches = arena_alloc(s->ir, sizeof(int));
        q->modules[0].nbranches = s->nbr ? 1 : 0;
        q->modules[0].rules.name = q->modules[0].name;
        if (s->nbr)
            s->br[0].listed = true;
        return;
    }
    q->nmodules = mg->modules.n;
    q->modules = arena_alloc(s->ir, (mg->modules.n + 1) * sizeof *q->modules);
    struct strmap seen;
    check_module_names(s, &mg->modules, &seen);
    for (size_t i = 0; i < mg->modules.n; i++)
        lower_mmodule(s, mg->modules.v[i], &q->modules[i]);
    int exp = -1;
    if (mg->export) {
        const struct ast_module *m = strmap_get(&seen, mg->export->s);
        for (size_t i = 0; m && i < mg->modules.n; i++)
            if (mg->modules.v[i] == m)
                exp = (int)i;
        if (exp < 0)
            ERR(s, mg->export->loc, "merger '%s' exports unknown module '%s'", mg->name,
                mg->export->s);
    } else if (mg->modules.n == 1) {
        exp = 0;
    } else {
        ERR(s, mg->loc, "merger '%s' has %zu modules but no export statement", mg->name,
            mg->modules.n);
    }
    if (exp < 0)
        return;
    q->export_module = (size_t)exp;
    const struct ast_module *em = mg->modules.v[exp];
    for (size_t i = 0; i < mg->modules.n; i++) {
        const struct ast_module *m = mg->modules.v[i];
        bool shares = (int)i == exp;
        for (size_t j = 0; !shares && j < m->branches.n; j++)
            shares = mbranch_index(em, ((const struct ast_name *)m->branches.v[j])->s) >= 0;
        if (!shares)
            ERR(s, m->loc, "module '%s' shares no branch with exported module '%s'", m->name,
                em->name);
    }
}
