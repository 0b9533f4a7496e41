/* SPDX-License-Identifier: MIT
 * Allocation that cannot fail silently, and small shared helpers.
 */
#ifndef FQ_UTIL_H
#define FQ_UTIL_H

#include <stddef.h>

/* On failure these print "flowq: out of memory" and exit 5: there is no
 * useful way to continue a query without its data. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
