/* SPDX-License-Identifier: MIT
 * engbench: times engine_run on deterministic synthetic records held in
 * memory, with queries built directly as compiled IR (no front end, no
 * trace decoding): filter only, group+sum by (srcip, dstip) with a group
 * filter, and the shapes of tcp-session.fq and http-tcp-session.fq.
 *   engbench N [QUERY...]     QUERY: filter gsum tcp-session http-tcp-session
 * Prints one line per query: stage counts, ms, records/s, peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine.h"
#include "util.h"

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Clients talk to servers; about half the requests get a reverse flow. */
static struct fq_rec *make_records(size_t n)
{
    struct fq_rec *r = xcalloc(n, sizeof *r);
    static const uint16_t ports[] = {80, 443, 53, 22, 25, 8080, 123, 5353};
    uint64_t t0 = 1260226612000ULL;
    for (size_t i = 0; i < n; i++) {
        struct fq_rec *x = &r[i];
        if (i > 0 && rnd(2) == 0 && r[i - 1].srcport >= 1024) {
            x->srcip = r[i - 1].dstip;
            x->dstip = r[i - 1].srcip;
            x->srcport = r[i - 1].dstport;
            x->dstport = r[i - 1].srcport;
            x->proto = r[i - 1].proto;
        } else {
            x->srcip = 0x0a000000u + rnd(50000);
            x->dstip = 0xc0a80000u + rnd(5000);
            x->srcport = (uint16_t)(1024 + rnd(60000));
            x->dstport = ports[rnd(8)];
            x->proto = rnd(4) ? 6 : 17;
        }
        x->packets = 1 + rnd(rnd(10) ? 20 : 3000);
        x->bytes = x->packets * (40 + rnd(1400));
        x->stime = t0 + i * 360 + rnd(60000);  /* about an hour per 10k records */
        x->etime = x->stime + rnd(30000);
        x->duration = (uint32_t)(x->etime - x->stime);
        x->tcp_flags = (uint8_t)rnd(64);
        x->rec_id = i;
    }
    return r;
}

static struct fq_expr fld(enum fq_field f)
{
    return (struct fq_expr){.kind = X_FIELD, .type = fq_fields[f].type,
                            .width = fq_fields[f].width, .field = f};
}

static struct fq_expr cst(uint64_t u)
{
    return (struct fq_expr){.kind = X_CONST, .type = VT_UINT, .width = 64, .u = u};
}

static struct fq_expr gfe(int b, int g, enum fq_vtype t)
{
    return (struct fq_expr){.kind = X_GFIELD, .type = t, .width = 32, .branch = b, .gfield = g};
}

static struct fq_term cmpt(struct fq_expr l, enum fq_op op, struct fq_expr r)
{
    return (struct fq_term){.kind = T_CMP, .op = op, .l = l, .r = r};
}

/* A one-term-per-clause CNF. */
static struct fq_cnf *cnf_of(const char *name, const struct fq_term *t, size_t n)
{
    struct fq_cnf *c = xcalloc(1, sizeof *c);
    c->name = name;
    c->n = n;
    c->clauses = xcalloc(n, sizeof *c->clauses);
    for (size_t i = 0; i < n; i++) {
        struct fq_term *tt = xmalloc(sizeof *tt);
        *tt = t[i];
        c->clauses[i] = (struct fq_clause){tt, 1};
    }
    return c;
}

static void defaults(struct fq_gfield *g)
{
    g[0] = (struct fq_gfield){"stime", AGG_MIN, F_STIME, -1, VT_TIME, VT_UINT, 64};
    g[1] = (struct fq_gfield){"etime", AGG_MAX, F_ETIME, -1, VT_TIME, VT_UINT, 64};
    g[2] = (struct fq_gfield){"records", AGG_UNION, F_REC_ID, -1, VT_SET, VT_UINT, 64};
}

/* Branch grouped by (srcip, dstip) with sum(packets), sum(bytes) and
 * "packets > min" as group filter. */
static void pair_branch(struct fq_branch *b, const char *name, const struct fq_cnf *filter,
                        int index, uint64_t min)
{
    static struct fq_grule rules[2] = {{F_SRCIP, F_SRCIP, OP_EQ, D_NONE, 0},
                                       {F_DSTIP, F_DSTIP, OP_EQ, D_NONE, 0}};
    static struct fq_gmodule mod = {"g1", rules, 2};
    static struct fq_grouper g = {"g-pair", &mod, 1};
    struct fq_gfield *gf = xcalloc(7, sizeof *gf);
    defaults(gf);
    gf[3] = (struct fq_gfield){"srcip", AGG_PLAIN, F_SRCIP, -1, VT_ADDR, VT_UINT, 32};
    gf[4] = (struct fq_gfield){"dstip", AGG_PLAIN, F_DSTIP, -1, VT_ADDR, VT_UINT, 32};
    gf[5] = (struct fq_gfield){"packets", AGG_SUM, F_PACKETS, -1, VT_UINT, VT_UINT, 64};
    gf[6] = (struct fq_gfield){"bytes", AGG_SUM, F_BYTES, -1, VT_UINT, VT_UINT, 64};
    struct fq_term t = cmpt(gfe(index, 5, VT_UINT), OP_GT, cst(min));
    *b = (struct fq_branch){name, filter, &g, gf, 7, cnf_of("gf", &t, 1)};
}

static struct fq_query *build(const char *name)
{
    struct fq_query *q = xcalloc(1, sizeof *q);
    struct fq_term tcp = cmpt(fld(F_PROTO), OP_EQ, cst(6));
    if (strcmp(name, "filter") == 0 || strcmp(name, "gsum") == 0) {
        struct fq_term ft[2] = {tcp, cmpt(fld(F_DSTPORT), OP_EQ, cst(80))};
        q->nbranches = 1;
        q->branches = xcalloc(1, sizeof *q->branches);
        if (strcmp(name, "gsum") == 0) {
            pair_branch(&q->branches[0], "A", cnf_of("f", &tcp, 1), 0, 5000);
        } else {
            /* no grouper: the defaults plus every record field, plain */
            struct fq_gfield *gf = xcalloc(GF_NDEFAULT + F_COUNT, sizeof *gf);
            defaults(gf);
            for (int f = 0; f < F_COUNT; f++)
                gf[GF_NDEFAULT + f] = (struct fq_gfield){fq_fields[f].name, AGG_PLAIN, f, -1,
                                                         fq_fields[f].type, VT_UINT,
                                                         fq_fields[f].width};
            q->branches[0] = (struct fq_branch){"A", cnf_of("f", ft, 2), NULL, gf,
                                                GF_NDEFAULT + F_COUNT, NULL};
        }
        q->nmodules = 1;
        q->modules = xcalloc(1, sizeof *q->modules);
        int *br = xcalloc(1, sizeof *br);
        q->modules[0] = (struct fq_mmodule){"m", br, 1, {"m", NULL, 0}};
        return q;
    }
    uint64_t min;
    const struct fq_cnf *fa, *fb;
    if (strcmp(name, "tcp-session") == 0) {
        min = 20000;
        fa = fb = cnf_of("f-tcp", &tcp, 1);
    } else if (strcmp(name, "http-tcp-session") == 0) {
        min = 200;
        struct fq_term req[2] = {cmpt(fld(F_DSTPORT), OP_EQ, cst(80)), tcp};
        struct fq_term rsp[2] = {cmpt(fld(F_SRCPORT), OP_EQ, cst(80)), tcp};
        fa = cnf_of("f-req", req, 2);
        fb = cnf_of("f-rsp", rsp, 2);
    } else {
        return NULL;
    }
    q->nbranches = 2;
    q->branches = xcalloc(2, sizeof *q->branches);
    pair_branch(&q->branches[0], "A", fa, 0, min);
    pair_branch(&q->branches[1], "B", fb, 1, min);
    struct fq_term mr[2] = {cmpt(gfe(0, 3, VT_ADDR), OP_EQ, gfe(1, 4, VT_ADDR)),
                            cmpt(gfe(0, 4, VT_ADDR), OP_EQ, gfe(1, 3, VT_ADDR))};
    struct fq_cnf *rules = cnf_of("m1", mr, 2);
    int *br = xcalloc(2, sizeof *br);
    br[1] = 1;
    q->nmodules = 1;
    q->modules = xcalloc(1, sizeof *q->modules);
    q->modules[0] = (struct fq_mmodule){"m1", br, 2, *rules};
    return q;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: engbench N [filter|gsum|tcp-session|http-tcp-session]...\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    static const char *all[] = {"filter", "gsum", "tcp-session", "http-tcp-session"};
    char **names = argc > 2 ? argv + 2 : (char **)all;
    size_t nq = argc > 2 ? (size_t)argc - 2 : 4;
    const char *th = getenv("ENGBENCH_THREADS");
    double t0 = now_ms();
    struct fq_rec *recs = make_records(n);
    printf("%zu records generated in %.0f ms\n", n, now_ms() - t0);
    FILE *null = fopen("/dev/null", "w");
    int rc = 0;
    for (size_t i = 0; i < nq; i++) {
        struct fq_query *q = build(names[i]);
        if (!q) {
            fprintf(stderr, "engbench: unknown query %s\n", names[i]);
            return 2;
        }
        struct out_opts oo = {.fmt = FMT_CSV};
        struct fq_error err = {.code = FQ_OK, .offset = -1};
        struct out *o = out_open(null, &oo, &err);
        struct engine_opts eo = {.threads = th ? (unsigned)atoi(th) : 0};
        struct engine_stats st;
        t0 = now_ms();
        int r = engine_run(q, recs, n, &eo, o, &st, &err);
        double ms = now_ms() - t0;
        out_close(o, &err);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%-17s %8.0f ms %6.1f Mrec/s  peak %5ld MiB  filtered",
               names[i], ms, n / ms / 1e3, ru.ru_maxrss / 1024);
        for (size_t b = 0; b < st.nbranches; b++)
            printf(" %llu", (unsigned long long)st.branch[b].filtered);
        printf(" groups");
        for (size_t b = 0; b < st.nbranches; b++)
            printf(" %llu/%llu", (unsigned long long)st.branch[b].groups_kept,
                   (unsigned long long)st.branch[b].groups);
        printf(" tuples %llu out %llu%s%s\n", (unsigned long long)st.tuples,
               (unsigned long long)st.records_out, r ? " ERROR: " : "", r ? err.msg : "");
        if (r)
            rc = 1;
        engine_stats_free(&st);
    }
    fclose(null);
    free(recs);
    return rc;
}
