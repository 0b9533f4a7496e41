/* SPDX-License-Identifier: MIT
 * The engine's records in memory: fixed-size rows holding only the fields
 * the query reads after its filters, or every field (then a row is the
 * first FQ_REC_V4_SIZE bytes of a struct fq_rec) when the records
 * themselves must be written and the input cannot be read a second time.
 * A row always holds stime and rec_id where struct fq_rec does, so the hot
 * fields need no lookup; etime's place between them holds etime, or other
 * fields when the query does not read it.
 *
 * Addresses keep their 4-byte slots: an IPv6 address is entered in the
 * run's table (ip6.h), its slot holds its id, and the record's v6 flags
 * byte is stored with the row.  rows_rank, after the last append, turns
 * the ids into ranks, and from then on row_get of an address field is its
 * key (ip6.h), so that rows of IPv4-only input are as small as ever.
 */
#ifndef FQ_ROWS_H
#define FQ_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ip6.h"
#include "record.h"

#define ROW_ABSENT UINT16_MAX

struct fq_rows {
    unsigned char *p;           /* n rows of stride bytes */
    size_t n, cap, stride;
    bool full;                  /* rows are struct fq_rec */
    bool borrowed;              /* p is the caller's array: never freed */
    uint16_t off[F_COUNT];      /* a field's byte offset in a row, or ROW_ABSENT */
    struct ip6_tab *t6;         /* the run's IPv6 addresses (not owned); NULL: rows
                                 * take no IPv6 record (rows_wrap) */
    bool has6;                  /* some row holds an IPv6 address */
    bool flags;                 /* rows store the v6 flags byte: full rows, or narrow rows
                                 * holding an address once an IPv6 record came */
    uint16_t v6off;             /* its offset */
    bool need[F_COUNT];         /* narrow rows: the stored fields */
    size_t ncopy;               /* narrow rows: the stored fields past the hot ones */
    struct {
        uint8_t from, to, size; /* offset in struct fq_rec, offset in the row */
    } copy[F_COUNT];
};

static inline const unsigned char *row_at(const struct fq_rows *R, size_t i)
{
    return R->p + i * R->stride;
}

static inline uint64_t row_u64(const unsigned char *row, size_t off)
{
    uint64_t v;
    memcpy(&v, row + off, sizeof v);
    return v;
}

static inline uint64_t row_stime(const unsigned char *row)
{
    return row_u64(row, offsetof(struct fq_rec, stime));
}

static inline uint64_t row_id(const unsigned char *row)
{
    return row_u64(row, offsetof(struct fq_rec, rec_id));
}

/* Field f of a row, widened.  The layout holds every field the engine
 * asks for (rows_need decides which), so off[f] is never ROW_ABSENT here. */
static inline uint64_t row_get(const struct fq_rows *R, const unsigned char *row, enum fq_field f)
{
    const unsigned char *p = row + R->off[f];
    switch (fq_fields[f].size) {
    case 1: return *p;
    case 2: {
        uint16_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        if (f <= F_EXADDR && R->has6)
            return v | (uint64_t)(row[R->v6off] >> f & 1) << 32;
        return v;
    }
    default: return row_u64(p, 0);
    }
}

/* An empty set of rows holding the fields need[0..F_COUNT) marks (stime
 * and rec_id always), or every field when need is NULL. */
void rows_init(struct fq_rows *R, const bool *need);

/* A view of recs[0..n) as full rows, without copying; the records must
 * hold no IPv6 address (rows_any6). */
void rows_wrap(struct fq_rows *R, const struct fq_rec *recs, size_t n);

/* Whether some record of recs[0..n) holds an IPv6 address. */
bool rows_any6(const struct fq_rec *recs, size_t n);

/* Appends copies of recs[0..n).  A record holding IPv6 needs R->t6. */
void rows_append(struct fq_rows *R, const struct fq_rec *recs, size_t n);

/* An empty set of rows with the layout of like (which is not changed). */
void rows_init_like(struct fq_rows *R, const struct fq_rows *like);

/* Copies n rows of R's own layout. */
void rows_append_rows(struct fq_rows *R, const unsigned char *rows, size_t n);
/* After the last append: ranks R->t6 and makes the address slots keys.
 * Idempotent. */
void rows_rank(struct fq_rows *R);

/* The rows of R in (stime, row index) order: n indices (malloc'd, at
 * least one slot; the caller frees them).  Rows in rec_id order make it
 * the (stime, rec_id) order of the ungrouper's output. */
uint32_t *rows_time_order(const struct fq_rows *R);

/* Rows of R that were copied out before rows_rank (rows_append_rows'
 * copies, with R's t6) hold ids: rank (ip6_tab_rank's) makes them keys.
 * rows_rank is ip6_tab_rank and this. */
void rows_apply_rank(struct fq_rows *R, const uint32_t *rank);

/* Narrow rows take now the layout an IPv6 record would give them (the
 * v6 flags byte, when an address is stored), so that it never changes
 * after: rows copied out (to a file) keep the stride of later ones. */
void rows_fix_layout(struct fq_rows *R);

/* Full rows to the narrower layout of need, in place (a row never grows). */
void rows_narrow(struct fq_rows *R, const bool *need);

/* Room for n more rows, at least; more as the array grows by doubling. */
void rows_reserve(struct fq_rows *R, size_t n);

/* Returns unused capacity to the allocator. */
void rows_trim(struct fq_rows *R);

/* Row i as a whole record, IPv6 addresses restored; R must be full and
 * ranked. */
void row_rec(const struct fq_rows *R, size_t i, struct fq_rec *r);

void rows_free(struct fq_rows *R);

#endif
