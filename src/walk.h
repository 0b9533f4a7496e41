/* SPDX-License-Identifier: MIT
 * The input operands as the list of files to read: files as named, "-"
 * for standard input, directories walked recursively in name order
 * (flow-capture and nfcapd trees come in time order), the files a
 * collector is still writing skipped unless --all-files, and, with -t,
 * the files and directories whose names put them outside the window.
 */
#ifndef FQ_WALK_H
#define FQ_WALK_H

#include <stddef.h>

#include "flowq.h"
#include "ftio.h"

struct walk_list {
    char **paths;               /* the files to read, in order; "-" is standard input */
    size_t n;
    char **named;               /* those named as operands (not found by a walk) */
    size_t nnamed;
};

/* ops[0..n) as given (n == 0: standard input); o is required.  Warnings go
 * to o->warn (may be NULL).
 * Returns FQ_OK, or FQ_E_INPUT with *err filled (an operand that does not
 * exist, a directory that cannot be read). *out is owned by the caller. */
int walk_inputs(char *const *ops, size_t n, const struct ft_reader_opts *o,
                struct walk_list *out, struct fq_error *err);

void walk_list_free(struct walk_list *l);

#endif
