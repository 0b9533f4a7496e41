/* SPDX-License-Identifier: MIT
 * The compiled form of each stage (query.h): resolved fields and group
 * fields, folded constants, normalised operators, filter references,
 * grouper rules and deltas, aggregates and their types, merger modules,
 * Allen terms and the export; plus the error contract of query_compile()
 * and query_substitute(), and deep or cyclic reference chains.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

struct res {
    struct fq_query *q;
    struct fq_error err;
    char *diag;
    size_t dlen;
};

static void compile(struct res *r, const char *src)
{
    memset(r, 0, sizeof *r);
    FILE *fp = open_memstream(&r->diag, &r->dlen);
    r->q = query_compile(src, strlen(src), "q.fq", fp, &r->err);
    fclose(fp);
}

static void release(struct res *r)
{
    query_free(r->q);
    free(r->diag);
}

#define WIRE1 "splitter S {}\nungrouper U {}\n\"input\" -> S\nU -> \"output\"\n"

static const char skype[] =
    "splitter S {}\n"
    "filter F_SSDP { dstport = 1900 proto = protocol(\"UDP\") dstip = 239.255.255.250 }\n"
    "filter F_NAT_PMP { dstport = 5351 proto = protocol(\"UDP\") }\n"
    "grouper G_SSDP { module g1 { srcip = srcip dstip = dstip srcport = srcport }\n"
    "    aggregate srcip, sum(bytes) as B }\n"
    "grouper G_NAT_PMP { module g1 { srcip = srcip dstip = dstip } aggregate srcip, sum(bytes) as B }\n"
    "groupfilter GF_SSDP { B = 321 }\n"
    "groupfilter GF_NAT_PMP { B = 160 }\n"
    "merger M { module m1 { branches A, B  A.srcip = B.srcip  A o B OR B o A } export m1 }\n"
    "ungrouper U {}\n"
    "\"input\" -> S\n"
    "S branch A -> F_SSDP -> G_SSDP -> GF_SSDP -> M\n"
    "S branch B -> F_NAT_PMP -> G_NAT_PMP -> GF_NAT_PMP -> M\n"
    "M -> U -> \"output\"\n";

START_TEST(skype_signature)
{
    struct res r;
    compile(&r, skype);
    ck_assert_ptr_nonnull(r.q);
    ck_assert_uint_eq(r.dlen, 0);
    const struct fq_query *q = r.q;
    ck_assert_uint_eq(q->nbranches, 2);
    ck_assert_str_eq(q->branches[0].name, "A");
    ck_assert_str_eq(q->branches[1].name, "B");
    const struct fq_cnf *f = q->branches[0].filter;
    ck_assert_str_eq(f->name, "F_SSDP");
    ck_assert_uint_eq(f->n, 3);
    const struct fq_term *t = &f->clauses[0].terms[0];
    ck_assert_int_eq(t->kind, T_CMP);
    ck_assert_int_eq(t->op, OP_EQ);
    ck_assert_int_eq(t->l.kind, X_FIELD);
    ck_assert_int_eq(t->l.field, F_DSTPORT);
    ck_assert_int_eq(t->r.kind, X_CONST);
    ck_assert_uint_eq(t->r.u, 1900);
    ck_assert_uint_eq(t->line, 2);
    ck_assert_uint_eq(t->col, 17);
    t = &f->clauses[1].terms[0];
    ck_assert_int_eq(t->r.kind, X_CONST); /* protocol() folded */
    ck_assert_uint_eq(t->r.u, 17);
    t = &f->clauses[2].terms[0];
    ck_assert_int_eq(t->r.type, VT_ADDR);
    ck_assert_uint_eq(t->r.u, 0xeffffffau);
    const struct fq_grouper *g = q->branches[0].grouper;
    ck_assert_uint_eq(g->nmodules, 1);
    ck_assert_uint_eq(g->modules[0].n, 3);
    ck_assert_int_eq(g->modules[0].rules[2].l, F_SRCPORT);
    ck_assert_int_eq(g->modules[0].rules[2].r, F_SRCPORT);
    ck_assert_int_eq(g->modules[0].rules[2].dk, D_NONE);
    ck_assert_uint_eq(q->branches[0].ngfields, 5);
    const struct fq_gfield *gf = q->branches[0].gfields;
    ck_assert_str_eq(gf[GF_STIME].name, "stime");
    ck_assert_int_eq(gf[GF_STIME].fn, AGG_MIN);
    ck_assert_int_eq(gf[GF_ETIME].fn, AGG_MAX);
    ck_assert_int_eq(gf[GF_RECORDS].type, VT_SET);
    ck_assert_int_eq(gf[GF_RECORDS].field, F_REC_ID);
    ck_assert_int_eq(gf[3].fn, AGG_PLAIN);
    ck_assert_int_eq(gf[3].type, VT_ADDR);
    ck_assert_str_eq(gf[4].name, "B");
    ck_assert_int_eq(gf[4].fn, AGG_SUM);
    ck_assert_int_eq(gf[4].type, VT_UINT);
    ck_assert_uint_eq(gf[4].width, 64);
    ck_assert_int_eq(gf[4].module, -1);
    t = &q->branches[1].gfilter->clauses[0].terms[0];
    ck_assert_int_eq(t->l.kind, X_GFIELD);
    ck_assert_int_eq(t->l.branch, 1);
    ck_assert_int_eq(t->l.gfield, 4);
    ck_assert_uint_eq(t->r.u, 160);
    ck_assert_uint_eq(q->nmodules, 1);
    ck_assert_uint_eq(q->export_module, 0);
    const struct fq_mmodule *m = &q->modules[0];
    ck_assert_str_eq(m->name, "m1");
    ck_assert_uint_eq(m->nbranches, 2);
    ck_assert_int_eq(m->branches[0], 0);
    ck_assert_int_eq(m->branches[1], 1);
    ck_assert_uint_eq(m->rules.n, 2);
    t = &m->rules.clauses[0].terms[0];
    ck_assert_int_eq(t->l.kind, X_GFIELD);
    ck_assert_int_eq(t->l.branch, 0);
    ck_assert_int_eq(t->r.branch, 1);
    ck_assert_int_eq(t->r.gfield, 3);
    ck_assert_uint_eq(m->rules.clauses[1].n, 2);
    t = &m->rules.clauses[1].terms[1];
    ck_assert_int_eq(t->kind, T_ALLEN);
    ck_assert_int_eq(t->rel, AL_OVERLAPS);
    ck_assert_int_eq(t->bx, 1);
    ck_assert_int_eq(t->by, 0);
    ck_assert(!t->has_delta);
    release(&r);
}
END_TEST

START_TEST(normalised_filter_terms)
{
    struct res r;
    compile(&r, "filter F {\n"
                "  80 = dstport\n"
                "  1000 < bytes\n"
                "  srcip = 10.1.0.0/16\n"
                "  dstip != 10.0.0.0/8\n"
                "  bitAND(tcp_flags, 0x02) = 0x02\n"
                "  bitOR(1, 2) = tos\n"
                "  duration > 1 sec delta 2 min\n"
                "  NOT G OR proto = 6\n"
                "}\nfilter G { proto = 17 }\n" WIRE1 "S branch A -> F -> U\n");
    ck_assert_ptr_nonnull(r.q);
    const struct fq_cnf *f = r.q->branches[0].filter;
    const struct fq_term *t = &f->clauses[0].terms[0];
    ck_assert_int_eq(t->l.kind, X_FIELD);
    ck_assert_int_eq(t->l.field, F_DSTPORT);
    ck_assert_uint_eq(t->r.u, 80);
    t = &f->clauses[1].terms[0];
    ck_assert_int_eq(t->op, OP_GT);
    ck_assert_int_eq(t->l.field, F_BYTES);
    t = &f->clauses[2].terms[0];
    ck_assert_int_eq(t->op, OP_IN);
    ck_assert_int_eq(t->r.kind, X_PREFIX);
    ck_assert_uint_eq(t->r.u, 0x0a010000u);
    ck_assert_uint_eq(t->r.plen, 16);
    ck_assert_int_eq(f->clauses[3].terms[0].op, OP_NOTIN);
    t = &f->clauses[4].terms[0];
    ck_assert_int_eq(t->l.kind, X_BITAND);
    ck_assert_uint_eq(t->l.nargs, 2);
    ck_assert_int_eq(t->l.args[0].field, F_TCP_FLAGS);
    ck_assert_uint_eq(t->l.args[1].u, 2);
    ck_assert_uint_eq(t->l.width, 8);
    t = &f->clauses[5].terms[0];
    ck_assert_int_eq(t->l.field, F_TOS);
    ck_assert_int_eq(t->r.kind, X_CONST);
    ck_assert_uint_eq(t->r.u, 3);
    t = &f->clauses[6].terms[0];
    ck_assert_uint_eq(t->r.u, 1000);
    ck_assert(t->has_delta);
    ck_assert_uint_eq(t->delta, 120000);
    t = &f->clauses[7].terms[0];
    ck_assert_int_eq(t->kind, T_REF);
    ck_assert(t->negate);
    ck_assert_str_eq(t->ref->name, "G");
    ck_assert_uint_eq(t->ref->n, 1);
    ck_assert_uint_eq(t->ref->clauses[0].terms[0].r.u, 17);
    ck_assert(!f->clauses[7].terms[1].negate);
    /* no merger: one module with the only branch, no rules */
    ck_assert_uint_eq(r.q->nmodules, 1);
    ck_assert_uint_eq(r.q->modules[0].nbranches, 1);
    ck_assert_int_eq(r.q->modules[0].branches[0], 0);
    ck_assert_uint_eq(r.q->modules[0].rules.n, 0);
    ck_assert_ptr_null(r.q->branches[0].grouper);
    /* every record field but stime and etime, which the defaults are */
    ck_assert_uint_eq(r.q->branches[0].ngfields, GF_NDEFAULT + F_COUNT - 2);
    for (size_t i = 0; i < r.q->branches[0].ngfields; i++) {
        ck_assert_int_ne(r.q->branches[0].gfields[i].field, i == 0 ? F_ETIME : F_STIME);
        ck_assert_int_ne(r.q->branches[0].gfields[i].field, i == 1 ? F_STIME : F_ETIME);
    }
    ck_assert_int_eq(r.q->branches[0].gfields[GF_NDEFAULT + F_DSTPORT].field, F_DSTPORT);
    ck_assert_int_eq(r.q->branches[0].gfields[GF_NDEFAULT + F_DSTPORT].fn, AGG_PLAIN);
    release(&r);
}
END_TEST

START_TEST(groupers_and_shared_group_filters)
{
    struct res r;
    compile(&r, "splitter S {}\nungrouper U {}\n"
                "grouper G1 { module a { srcip = srcip etime < stime rdelta 1 sec }\n"
                "             module b { dstport = dstport delta 3 }\n"
                "  aggregate min(stime) as stime, b.bytes as bb, avg(packets) as ap,\n"
                "            union(dstip) as ips, count(rec_id) as n, td }\n"
                "grouper G2 { aggregate count(rec_id) as n }\n"
                "groupfilter GF { n > 1 }\n"
                "merger M { branches X, Y  X.duration < Y.flowStartMilliseconds rdelta 5 }\n"
                "\"input\" -> S\n"
                "S branch X -> G1 -> GF -> M\nS branch Y -> G2 -> GF -> M\nM -> U -> \"output\"\n");
    ck_assert_ptr_nonnull(r.q);
    ck_assert_str_eq(r.diag, "flowq: q.fq:9:64: warning: rdelta has no 'last record' in a merger; treated as delta\n"
                             "merger M { branches X, Y  X.duration < Y.flowStartMilliseconds rdelta 5 }\n"
                             "                                                               ^\n");
    const struct fq_branch *x = &r.q->branches[0], *y = &r.q->branches[1];
    const struct fq_grule *gr = x->grouper->modules[0].rules;
    ck_assert_int_eq(gr[1].l, F_ETIME);
    ck_assert_int_eq(gr[1].r, F_STIME);
    ck_assert_int_eq(gr[1].op, OP_LT);
    ck_assert_int_eq(gr[1].dk, D_REL);
    ck_assert_uint_eq(gr[1].delta, 1000);
    ck_assert_int_eq(x->grouper->modules[1].rules[0].dk, D_ABS);
    /* min(stime) as stime re-declares the default: no new field */
    ck_assert_uint_eq(x->ngfields, GF_NDEFAULT + 5);
    ck_assert_str_eq(x->gfields[3].name, "bb");
    ck_assert_int_eq(x->gfields[3].module, 1);
    ck_assert_int_eq(x->gfields[3].fn, AGG_PLAIN);
    ck_assert_int_eq(x->gfields[4].type, VT_REAL);
    ck_assert_int_eq(x->gfields[5].type, VT_SET);
    ck_assert_int_eq(x->gfields[5].elem, VT_ADDR);
    ck_assert_int_eq(x->gfields[6].fn, AGG_COUNT);
    /* 'aggregate td': the column has the canonical name */
    ck_assert_str_eq(x->gfields[7].name, "duration");
    ck_assert_int_eq(x->gfields[7].field, F_DURATION);
    /* one group filter, two instances with their own group fields */
    ck_assert_ptr_ne(x->gfilter, y->gfilter);
    ck_assert_int_eq(x->gfilter->clauses[0].terms[0].l.branch, 0);
    ck_assert_int_eq(x->gfilter->clauses[0].terms[0].l.gfield, 6);
    ck_assert_int_eq(y->gfilter->clauses[0].terms[0].l.branch, 1);
    ck_assert_int_eq(y->gfilter->clauses[0].terms[0].l.gfield, 3);
    /* short form: one module named after the merger; rdelta became delta */
    ck_assert_uint_eq(r.q->nmodules, 1);
    ck_assert_str_eq(r.q->modules[0].name, "M");
    const struct fq_term *t = &r.q->modules[0].rules.clauses[0].terms[0];
    ck_assert_int_eq(t->l.gfield, 7); /* duration is the alias td's field */
    ck_assert_int_eq(t->r.gfield, GF_STIME);
    ck_assert(t->has_delta);
    ck_assert_uint_eq(t->delta, 5);
    release(&r);
}
END_TEST

START_TEST(errors_return_null)
{
    struct res r;
    compile(&r, "filter F {\n\tsrcip = scrip\n}\n" WIRE1 "S branch A -> F -> U\n");
    ck_assert_ptr_null(r.q);
    ck_assert_int_eq(r.err.code, FQ_E_QUERY);
    ck_assert_str_eq(r.err.msg, "");
    ck_assert_str_eq(r.diag, "flowq: q.fq:2:10: error: unknown field 'scrip'; did you mean 'srcip'?\n"
                             "\tsrcip = scrip\n"
                             "\t        ^\n");
    release(&r);
    compile(&r, "");
    ck_assert_ptr_null(r.q);
    ck_assert_str_eq(r.diag, "flowq: q.fq: error: no splitter defined\n"
                             "flowq: q.fq: error: no ungrouper defined\n"
                             "flowq: q.fq: error: no branches (add: S branch NAME -> ... -> M)\n");
    release(&r);
}
END_TEST

START_TEST(substitution)
{
    const struct fq_define defs[] = {{"PORT", "80"}, {"P", "udp"}, {"PORT", "443"}};
    const char src[] = "# $UNDEFINED is fine here\nx = $PORT $P$PORT $ $1\n";
    char *out;
    size_t n;
    struct fq_error err = {0};
    char *text = NULL;
    size_t tlen = 0;
    FILE *dg = open_memstream(&text, &tlen);
    ck_assert_int_eq(query_substitute(src, strlen(src), "q.fq", defs, 3, &out, &n, dg, &err), 0);
    ck_assert_str_eq(out, "# $UNDEFINED is fine here\nx = 443 udp443 $ $1\n");
    ck_assert_uint_eq(n, strlen(out));
    free(out);
    /* every undefined name, each with its location and caret */
    const char bad[] = "a\n  b = $NOPE $P $ALSO\n";
    ck_assert_int_eq(query_substitute(bad, strlen(bad), "q.fq", defs, 3, &out, &n, dg, &err),
                     FQ_E_QUERY);
    fclose(dg);
    ck_assert_int_eq(err.code, FQ_E_QUERY);
    ck_assert_str_eq(err.msg, "");
    ck_assert_str_eq(text,
                     "flowq: q.fq:2:7: error: undefined variable '$NOPE' (define it with -D NOPE=VALUE)\n"
                     "  b = $NOPE $P $ALSO\n"
                     "      ^\n"
                     "flowq: q.fq:2:16: error: undefined variable '$ALSO' (define it with -D ALSO=VALUE)\n"
                     "  b = $NOPE $P $ALSO\n"
                     "               ^\n");
    free(text);
}
END_TEST

/* Deep reference chains and long cycles: no recursion in the front end. */
START_TEST(deep_references)
{
    enum { N = 20000 };
    size_t cap = (size_t)N * 40 + 200, k = 0;
    char *src = malloc(cap);
    k += (size_t)snprintf(src + k, cap - k, "%sS branch A -> f0 -> U\n", WIRE1);
    for (int i = 0; i < N - 1; i++)
        k += (size_t)snprintf(src + k, cap - k, "filter f%d { f%d }\n", i, i + 1);
    snprintf(src + k, cap - k, "filter f%d { proto = 17 }\n", N - 1);
    struct res r;
    compile(&r, src);
    ck_assert_ptr_nonnull(r.q);
    const struct fq_cnf *c = r.q->branches[0].filter;
    for (int i = 0; i < N - 1; i++)
        c = c->clauses[0].terms[0].ref;
    ck_assert_str_eq(c->clauses[0].terms[0].l.kind == X_FIELD ? c->name : "", "f19999");
    release(&r);
    /* close the chain into a cycle */
    char *last = strstr(src, "{ proto = 17 }");
    memcpy(last, "{ f0         }", 14);
    compile(&r, src);
    ck_assert_ptr_null(r.q);
    ck_assert_ptr_nonnull(strstr(r.diag, "error: filter 'f0' refers to itself (via f0 -> f1 -> f2 -> f3 -> ... -> f19996 -> f19997 -> f19998 -> f19999 -> f0)\n"));
    release(&r);
    free(src);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("compile");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, skype_signature);
    tcase_add_test(tc, normalised_filter_terms);
    tcase_add_test(tc, groupers_and_shared_group_filters);
    tcase_add_test(tc, errors_return_null);
    tcase_add_test(tc, substitution);
    tcase_add_test(tc, deep_references);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
