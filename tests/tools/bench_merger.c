/* SPDX-License-Identifier: MIT
 * Micro-benchmark of merger_run on synthetic group sets: two branches of
 * N groups (default 100000) joined on equality, by Allen relations, by an
 * ordered comparison with delta, and with a difference module.  Prints
 * one line per case: name, tuples, CPU milliseconds.  With "stream", the
 * tuples are counted through merger_stream, unsorted, instead of stored.
 * Usage: bench_merger [N [CASE-SUBSTRING [stream]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "merger.h"

enum { NF = 5 };                /* stime, etime, records, x, y */

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Groups in time order, as a grouper creates them: starts spread over
 * n * 10 ms, lengths up to 2 s, x a key with about n / 4 distinct values. */
static void fill(union fq_val *v, uint32_t *id, size_t n)
{
    static const struct fq_set empty = {0};
    for (size_t i = 0; i < n; i++) {
        uint64_t s = 1250000000000ULL + i * 10 + rnd(10);
        v[i * NF + 0].u = s;
        v[i * NF + 1].u = s + rnd(2000);
        v[i * NF + 2].set = &empty;
        v[i * NF + 3].u = rnd(n / 4 + 1);
        v[i * NF + 4].u = rnd(1000);
        id[i] = (uint32_t)i;
    }
}

static struct fq_expr gf(int b, int f)
{
    return (struct fq_expr){.kind = X_GFIELD, .type = f < 2 ? VT_TIME : VT_UINT, .width = 64,
                            .branch = b, .gfield = f};
}

static const char *only;         /* run only the cases whose name has this */
static int streaming;

static int count_tuple(void *ctx, const uint32_t *g)
{
    (void)g;
    ++*(uint64_t *)ctx;
    return 0;
}

static void run(const char *name, struct fq_query *q, const struct bgroups *bg)
{
    struct tuples t;
    struct fq_error err = {0};

    if (only && !strstr(name, only))
        return;
    double t0 = now_ms();
    uint64_t seen = 0, n;
    int rc = streaming ? merger_stream(q, bg, 0, false, count_tuple, &seen, &n, &err)
                       : merger_run(q, bg, 0, &t, &err);
    double t1 = now_ms();
    if (streaming)
        t.n = (size_t)seen, t.g = NULL;

    if (rc != FQ_OK) {
        fprintf(stderr, "bench_merger: %s: %s\n", name, err.msg);
        exit(1);
    }
    printf("%-34s %10zu tuples %9.1f ms\n", name, t.n, t1 - t0);
    tuples_free(&t);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    only = argc > 2 && *argv[2] ? argv[2] : NULL;
    streaming = argc > 3 && strcmp(argv[3], "stream") == 0;
    union fq_val *va = malloc(n * NF * sizeof *va), *vb = malloc(n * NF * sizeof *vb);
    uint32_t *ia = malloc(n * sizeof *ia), *ib = malloc(n * sizeof *ib);
    struct fq_branch br[3] = {{.name = "A", .ngfields = NF}, {.name = "B", .ngfields = NF},
                              {.name = "C", .ngfields = NF}};
    struct bgroups bg[3];
    int mb[2] = {0, 1}, mb2[2] = {1, 2};
    struct fq_term term;
    struct fq_clause cl = {&term, 1};
    struct fq_term term2;
    struct fq_clause cl2 = {&term2, 1};
    struct fq_mmodule mod[2] = {{.name = "M", .branches = mb, .nbranches = 2,
                                 .rules = {.name = "M", .clauses = &cl, .n = 1}},
                                {.name = "N", .branches = mb2, .nbranches = 2,
                                 .rules = {.name = "N", .clauses = &cl2, .n = 1}}};
    struct fq_query q = {.branches = br, .nbranches = 3, .modules = mod, .nmodules = 1};

    if (!va || !vb || !ia || !ib || n == 0)
        return 2;
    fill(va, ia, n);
    fill(vb, ib, n);
    bg[0] = (struct bgroups){n, NF, ia, va, NULL};
    bg[1] = (struct bgroups){n, NF, ib, vb, NULL};
    bg[2] = (struct bgroups){n, NF, ib, vb, NULL};

    printf("merger_run, two branches of %zu groups\n", n);
    term = (struct fq_term){.kind = T_CMP, .op = OP_EQ, .l = gf(0, 3), .r = gf(1, 3)};
    run("A.x = B.x (hash join)", &q, bg);
    term = (struct fq_term){.kind = T_CMP, .op = OP_EQ, .l = gf(0, 4), .r = gf(1, 4),
                            .has_delta = true, .delta = 0};
    term.l = gf(0, 3), term.r = gf(1, 3);
    run("A.x = B.x delta 0 (window)", &q, bg);
    term = (struct fq_term){.kind = T_ALLEN, .rel = AL_BEFORE, .bx = 0, .by = 1,
                            .has_delta = true, .delta = 50};
    run("A < B delta 50ms", &q, bg);
    term.rel = AL_MEETS, term.delta = 5;
    run("A m B delta 5ms", &q, bg);
    term = (struct fq_term){.kind = T_ALLEN, .rel = AL_OVERLAPS, .bx = 0, .by = 1};
    run("A o B", &q, bg);
    term.rel = AL_DURING;
    run("A d B", &q, bg);
    term.rel = AL_CONTAINS;
    run("A di B", &q, bg);
    term = (struct fq_term){.kind = T_CMP, .op = OP_LT, .l = gf(0, 0), .r = gf(1, 0),
                            .has_delta = true, .delta = 20};
    run("A.stime < B.stime delta 20", &q, bg);

    struct fq_term either[2] = {{.kind = T_ALLEN, .rel = AL_OVERLAPS, .bx = 0, .by = 1},
                                {.kind = T_ALLEN, .rel = AL_OVERLAPS, .bx = 1, .by = 0}};
    cl = (struct fq_clause){either, 2};
    run("A o B OR B o A", &q, bg);
    either[0].rel = AL_MEETS, either[0].has_delta = true, either[0].delta = 5;
    either[1].rel = AL_FINISHES, either[1].has_delta = true, either[1].delta = 5;
    run("A m B delta 5 OR B f A delta 5", &q, bg);
    cl = (struct fq_clause){&term, 1};

    /* export A = B on x, minus those where B overlaps some C */
    term = (struct fq_term){.kind = T_CMP, .op = OP_EQ, .l = gf(0, 3), .r = gf(1, 3)};
    term2 = (struct fq_term){.kind = T_ALLEN, .rel = AL_OVERLAPS, .bx = 1, .by = 2};
    q.nmodules = 2;
    run("A.x = B.x minus B o C", &q, bg);

    free(va), free(vb), free(ia), free(ib);
    return 0;
}
