/* SPDX-License-Identifier: MIT
 * Output formats (text, csv, tsv, json, ndjson, ft): one code path for
 * --print, the ungrouper's records and -g group records.  These formats
 * are a contract with scripts; see man/flowq.1 OUTPUT FORMATS.
 */
#ifndef FQ_OUT_H
#define FQ_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flowq.h"
#include "query.h"
#include "record.h"

enum fq_fmt { FMT_TEXT, FMT_CSV, FMT_TSV, FMT_JSON, FMT_NDJSON, FMT_FT };
enum fq_tfmt { TFMT_ISO, TFMT_EPOCH, TFMT_LOCAL };

struct out_opts {
    enum fq_fmt fmt;
    enum fq_tfmt tfmt;
    bool no_header;                /* -q */
    const enum fq_field *fields;   /* record columns; NULL = the default set */
    size_t nfields;
    int zlevel;                    /* -o ft */
    uint64_t max;                  /* -c: records or rows to write; 0 = all.
                                      The one past it is refused with
                                      FQ_E_CUT, which ends the run early */
    bool ip6;                      /* text: address columns as wide as IPv6 text
                                    * from the first line (out_set_ip6 widens
                                    * them too, before anything is written) */
};

/* A column of generic rows (group output). */
struct out_col {
    const char *name;
    enum fq_vtype type;            /* VT_UINT/TIME/REAL/ADDR/SET/STR */
    enum fq_vtype elem;            /* members of a VT_SET */
};

struct out;

/* Writes to fp (not closed by out_close). */
struct out *out_open(FILE *fp, const struct out_opts *o, struct fq_error *err);

/* Record output. */
int out_record(struct out *o, const struct fq_rec *r, struct fq_error *err);

/* Generic rows: declare the columns, then rows of values.  Declaring
 * again (other columns for the next rows) starts a new header row in
 * text/csv/tsv; json/ndjson objects just take the new keys. */
int out_begin_rows(struct out *o, const struct out_col *cols, size_t ncols, struct fq_error *err);
int out_row(struct out *o, const union fq_val *vals, struct fq_error *err);

/* Finishes the format (closes a JSON array, writes the header of an empty
 * csv), flushes, reports any write error; frees o. */
int out_close(struct out *o, struct fq_error *err);

/* Number of records / rows written so far (for -e). */
size_t out_count(const struct out *o);

/* The table that turns IPv6 keys (ip6.h) of VT_ADDR row values back into
 * addresses; t must outlive the rows written.  Records need none.  When
 * the table holds addresses and nothing is written yet, text address
 * columns widen to fit IPv6. */
struct ip6_tab;
void out_set_ip6(struct out *o, const struct ip6_tab *t);

#endif
