/* SPDX-License-Identifier: MIT
 * Faulting in memory ahead of its writer, on a thread of its own.  Where
 * first touching a page is dear (a virtual machine backs it only then),
 * the input's rows take that cost while the reader decodes, instead of
 * after it, on the same core.  Populating never changes what memory
 * holds, so the block may be written, moved or freed meanwhile: at worst
 * pages nobody uses get mapped.  Without MADV_POPULATE_WRITE (Linux 5.14)
 * it does nothing.
 */
#ifndef FQ_PREFAULT_H
#define FQ_PREFAULT_H

#include <stddef.h>

struct prefault;

/* A prefaulter with its thread; NULL when none can be started. */
struct prefault *prefault_new(void);

/* Have [base, base + len) mapped writable, from the start when base is
 * another block than before.  Cheap when len grew by little. */
void prefault_to(struct prefault *pf, void *base, size_t len);

/* Stops the thread (any populating in progress finishes first). */
void prefault_free(struct prefault *pf);

#endif
