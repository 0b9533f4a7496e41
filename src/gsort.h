/* SPDX-License-Identifier: MIT
 * --sort and --limit for -g: group rows in the order of named columns
 * (group fields and aggregates), ties broken by the group number and then
 * by the order the rows came in.  With a limit only the best N rows are
 * kept (a heap of N), so memory is bounded by N, not by the groups.
 */
#ifndef FQ_GSORT_H
#define FQ_GSORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowq.h"
#include "out.h"
#include "query.h"

struct gsort_key {
    char *name;
    bool desc;
};

/* What the command line asked for; owned by its maker (gsort_spec_free). */
struct gsort_spec {
    struct gsort_key *keys;
    size_t nkeys;
    uint64_t limit;             /* rows to keep; 0 = all */
};

/* "FIELD[:desc|:asc][,FIELD[:desc|:asc]]...": a trailing :desc after the
 * last field of a list of plain names applies to every field without its
 * own (so "bytes,packets:desc" sorts both descending).  False and a reason
 * in why when the list is malformed. */
bool gsort_parse(const char *arg, struct gsort_spec *s, char *why, size_t whylen);
void gsort_spec_free(struct gsort_spec *s);

/* Every key a column of every group row q writes with -g (tuple, branch,
 * group, or a group field of each exported branch)?  False and the first
 * missing one in why. */
bool gsort_check(const struct gsort_spec *s, const struct fq_query *q, char *why, size_t whylen);

struct gsort;

/* A sorter for rows whose column named "group" (a VT_UINT) is the group
 * number; spec must outlive it. */
struct gsort *gsort_new(const struct gsort_spec *spec);

/* The columns of the rows added next, as for out_begin_rows (the array
 * is copied; the names it points to must stay valid until gsort_write).
 * An error (FQ_E_USAGE) names a sort key that is not among them. */
int gsort_columns(struct gsort *g, const struct out_col *cols, size_t ncols,
                  struct fq_error *err);

/* Add a row of the current columns (the values are copied; what VT_SET
 * and VT_STR values point to must stay valid until gsort_write). */
void gsort_add(struct gsort *g, const union fq_val *row);

/* Write the kept rows in order (out_begin_rows whenever the columns
 * change); *written: rows written.  Returns out's status (FQ_E_CUT from
 * -c included). */
int gsort_write(struct gsort *g, struct out *o, uint64_t *written, struct fq_error *err);

void gsort_free(struct gsort *g);

#endif
