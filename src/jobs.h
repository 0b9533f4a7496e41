/* SPDX-License-Identifier: MIT
 * The one thread pool of the engine: jobs 0..n-1 handed out to threads in
 * turn by an atomic counter.  The calling thread works too, and the call
 * returns when every job is done.  Jobs must not depend on the order in
 * which they run; results written by job index are deterministic.
 */
#ifndef FQ_JOBS_H
#define FQ_JOBS_H

#include <stddef.h>

/* Run fn(ctx, 0) .. fn(ctx, njobs - 1) on up to threads threads (fewer
 * when there are fewer jobs; one when threads cannot be started). */
void jobs_run(unsigned threads, size_t njobs, void (*fn)(void *ctx, size_t job), void *ctx);

/* Cores online, at least 1: the default number of threads. */
unsigned jobs_cpus(void);

#endif
