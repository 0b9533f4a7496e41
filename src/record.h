/* SPDX-License-Identifier: MIT
 * The decoded flow record shared by every stage, and the field table.
 * Every record version is decoded into this one layout, in host byte
 * order, with the derived times already computed; rec_id is the record's
 * position in the whole input.  Fields a version lacks are 0.
 */
#ifndef FQ_RECORD_H
#define FQ_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Value types of LANGUAGE.md 6.1.  VT_STR exists only for output columns
 * (the branch name of group output). */
enum fq_vtype { VT_UINT, VT_TIME, VT_REAL, VT_ADDR, VT_PREFIX, VT_SET, VT_STR };

struct fq_rec {
    uint64_t stime, etime;              /* ftltime() of First / Last */
    uint64_t rec_id;
    uint32_t srcip, dstip, nexthop, exaddr;
    uint32_t packets, bytes, duration;
    uint32_t unix_secs, unix_nsecs, sysuptime, first, last;
    uint16_t srcport, dstport, input, output, src_as, dst_as;
    uint8_t proto, tos, tcp_flags, src_mask, dst_mask, engine_type, engine_id;
    /* IPv6: an address field whose bit (1 << F_SRCIP .. F_EXADDR) is set
     * in v6 holds its address in ip6[field] (network byte order) and 0 in
     * its 32-bit member.  v6 sits in what was tail padding, so the first
     * FQ_REC_V4_SIZE bytes are the whole record of an IPv4-only flow;
     * decoders zero ip6 (it is written to temporary files). */
    uint8_t v6;
    uint8_t ip6[4][16];
};

#define FQ_REC_V4_SIZE offsetof(struct fq_rec, ip6)

enum fq_field {
#define FQ_FIELD(id, name, vt, w, m, tl, unit) F_##id,
#include "fields.def"
#undef FQ_FIELD
    F_COUNT
};

struct fq_field_info {
    const char *name;        /* canonical name */
    enum fq_vtype type;      /* VT_UINT, VT_TIME or VT_ADDR */
    unsigned width;          /* bits */
    size_t offset;           /* offsetof(struct fq_rec, member) */
    size_t size;             /* sizeof the member: 1, 2, 4 or 8 */
    bool timelike;           /* for warning W-TYP-3 */
    const char *unit;        /* --help-fields text */
};

extern const struct fq_field_info fq_fields[F_COUNT];

/* Canonical name or alias -> field; F_COUNT when unknown. */
enum fq_field field_lookup(const char *name);

/* Aliases of f, NULL-terminated static list (may be empty). */
const char *const *field_aliases(enum fq_field f);

/* Every name (canonical and alias) in table order, NULL-terminated; for
 * "did you mean" suggestions. */
const char *const *field_all_names(void);

/* The canonical name of the field whose name or alias is nearest to name
 * (at most two edits); NULL when none is near. */
const char *field_suggest(const char *name);

/* The value of field f of r, widened; for printers and the reference
 * evaluator (the engine compiles offsets instead). */
static inline uint64_t rec_get(const struct fq_rec *r, enum fq_field f)
{
    const unsigned char *p = (const unsigned char *)r + fq_fields[f].offset;
    switch (fq_fields[f].size) {
    case 1: return *(const uint8_t *)p;
    case 2: return *(const uint16_t *)p;
    case 4: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
    }
}

/* flow-tools' ftltime() as milliseconds: seconds and milliseconds kept
 * apart in 32-bit unsigned arithmetic, so the seconds wrap modulo 2^32
 * (export time before the router's boot, or past 2106) exactly as they do
 * there; for sane records this is secs*1000 + nsecs/1e6 - sysUpTime + t. */
static inline uint64_t rec_ftltime(uint32_t sys, uint32_t secs, uint32_t nsecs, uint32_t t)
{
    uint32_t s = secs - sys / 1000u, ms = nsecs / 1000000u, sys_ms = sys % 1000u;
    if (sys_ms > ms) {
        s--;
        ms += 1000u;
    }
    ms -= sys_ms;
    s += t / 1000u;
    ms += t % 1000u;
    if (ms >= 1000u) {
        ms -= 1000u;
        s++;
    }
    return (uint64_t)s * 1000u + ms;
}

/* The derived fields from the raw ones, exactly as flow-tools. */
static inline void rec_derive(struct fq_rec *r)
{
    r->stime = rec_ftltime(r->sysuptime, r->unix_secs, r->unix_nsecs, r->first);
    r->etime = rec_ftltime(r->sysuptime, r->unix_secs, r->unix_nsecs, r->last);
    r->duration = r->last - r->first;
}

/* --help-fields */
void fields_help(FILE *fp);

#endif
