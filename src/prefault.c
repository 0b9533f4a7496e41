/* SPDX-License-Identifier: MIT */
#include "prefault.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

enum { STEP = 2 << 20 };        /* populated at a time; a request smaller is not worth a wakeup */

struct prefault {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more;
    bool stop;
    unsigned char *base;        /* the block asked for, and how much of it */
    size_t want;
    unsigned char *done_base;   /* the block being populated, and how much is */
    size_t done;
    /* the caller's side only: what it asked for last */
    void *asked_base;
    size_t asked;
};

static void *prefault_main(void *arg)
{
    struct prefault *pf = arg;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    pthread_mutex_lock(&pf->lock);
    for (;;) {
        while (!pf->stop && pf->done_base == pf->base && pf->done >= pf->want)
            pthread_cond_wait(&pf->more, &pf->lock);
        if (pf->stop)
            break;
        if (pf->done_base != pf->base) {
            pf->done_base = pf->base;
            pf->done = 0;
        }
        unsigned char *base = pf->base;
        size_t from = pf->done, to = pf->want;
        if (to - from > STEP)
            to = from + STEP;
        pthread_mutex_unlock(&pf->lock);
        uintptr_t lo = (uintptr_t)(base + from) & ~(page - 1);
        uintptr_t hi = ((uintptr_t)(base + to) + page - 1) & ~(page - 1);
        /* EINVAL (an older kernel) or ENOMEM (the block went away): the
         * writer faults its pages in itself, as it would without us */
        bool ok = madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) == 0;
        pthread_mutex_lock(&pf->lock);
        if (!ok)
            pf->stop = true;
        else if (pf->done_base == base)
            pf->done = to;
    }
    pthread_mutex_unlock(&pf->lock);
    return NULL;
}

struct prefault *prefault_new(void)
{
    struct prefault *pf = xcalloc(1, sizeof *pf);
    pthread_mutex_init(&pf->lock, NULL);
    pthread_cond_init(&pf->more, NULL);
    if (pthread_create(&pf->thread, NULL, prefault_main, pf) != 0) {
        pthread_cond_destroy(&pf->more);
        pthread_mutex_destroy(&pf->lock);
        free(pf);
        return NULL;
    }
    return pf;
}

void prefault_to(struct prefault *pf, void *base, size_t len)
{
    if (!pf || (base == pf->asked_base && len < pf->asked + STEP))
        return;
    pthread_mutex_lock(&pf->lock);
    pf->base = base;
    pf->want = len;
    pthread_cond_signal(&pf->more);
    pthread_mutex_unlock(&pf->lock);
    pf->asked_base = base;
    pf->asked = len;
}

void prefault_free(struct prefault *pf)
{
    if (!pf)
        return;
    pthread_mutex_lock(&pf->lock);
    pf->stop = true;
    pthread_cond_signal(&pf->more);
    pthread_mutex_unlock(&pf->lock);
    pthread_join(pf->thread, NULL);
    pthread_cond_destroy(&pf->more);
    pthread_mutex_destroy(&pf->lock);
    free(pf);
}
