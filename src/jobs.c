/* SPDX-License-Identifier: MIT */
#include "jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

struct jobs {
    size_t njobs;
    size_t next;
    void (*fn)(void *ctx, size_t job);
    void *ctx;
};

static void *worker(void *arg)
{
    struct jobs *j = arg;
    for (;;) {
        size_t k = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (k >= j->njobs)
            return NULL;
        j->fn(j->ctx, k);
    }
}

void jobs_run(unsigned threads, size_t njobs, void (*fn)(void *ctx, size_t job), void *ctx)
{
    struct jobs j = {njobs, 0, fn, ctx};
    size_t nt = threads < njobs ? threads : njobs;
    pthread_t *tid = xcalloc(nt ? nt : 1, sizeof *tid);
    size_t started = 0;
    for (size_t i = 1; i < nt; i++)
        if (pthread_create(&tid[started], NULL, worker, &j) == 0)
            started++;
    worker(&j);
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    free(tid);
}

unsigned jobs_cpus(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (unsigned)c : 1;
}
