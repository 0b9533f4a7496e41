/* SPDX-License-Identifier: MIT
 * The reader's interface to its per-format decoders.  The reader
 * (ftio.c: ft_reader_*) walks the operands, owns the open input and its
 * buffer, numbers the records and chooses the format of every stream by
 * its first bytes, never by a file's name.  A format other than flow-tools
 * is one struct in_format: probe, open, next, close.  To add one, define
 * its struct in its own file and list it in ftio.c's formats[].
 *
 * Contract:
 * - probe(p, n) looks only at p[0..n), n >= magic_len, and says whether a
 *   stream of this format starts there.  It must not claim flow-tools'
 *   preamble (0xCF 0x10).
 * - open(c, err) is called with the read position at the stream's first
 *   byte.  It consumes the stream's header and returns the decoder's state
 *   (owned by the caller, freed by close), or NULL with *err filled
 *   (FQ_E_INPUT, naming in_name() and the byte offset of the fault).
 * - next(st, c, buf, cap, err) decodes up to cap (> 0) records into buf
 *   and returns how many; 0 only at the end of the stream, with the read
 *   position just after its last byte (another stream of any format may
 *   follow on the same input); -1 with *err filled on corrupt or truncated
 *   input or a read error.  Every record the stream holds takes the rec_id
 *   c->id and advances it, whether it is returned or not: only the records
 *   in_wanted() accepts are returned (and need be decoded).  A returned
 *   record is complete: every field set, fields the format lacks 0, v6 and
 *   ip6 set as record.h says.  After -1 only close is called.
 * - close(st) frees the state; st may be NULL.
 * Decoders read the input only through in_fill/in_skip, never past what
 * in_fill made available; a pointer from in_fill stays valid until the next
 * in_fill or in_skip.  They allocate per stream or per block, not per
 * record.
 */
#ifndef FQ_INPUT_H
#define FQ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowq.h"
#include "record.h"

/* One open input (a file or standard input), owned by the reader. */
struct in_src;

/* Make at least need unread bytes available at *p unless the input ends
 * first; returns how many are available (fewer than need only at the end
 * of the input), -1 on a read error (*err filled). */
ssize_t in_fill(struct in_src *s, size_t need, const unsigned char **p, struct fq_error *err);

/* Consume n bytes; n <= what the last in_fill returned. */
void in_skip(struct in_src *s, size_t n);

/* Byte offset of the read position from the start of the input. */
uint64_t in_off(const struct in_src *s);

/* The input's name for messages ("standard input" for "-"). */
const char *in_name(const struct in_src *s);

/* What the reader shares with a decoder during one call. */
struct in_ctx {
    struct in_src *src;
    uint64_t id;               /* rec_id of the stream's next record */
    const uint64_t *want;      /* ft_reader_want's bits by rec_id, or NULL: all */
    uint64_t nwant;
};

static inline bool in_wanted(const struct in_ctx *c, uint64_t id)
{
    return !c->want || (id < c->nwant && (c->want[id / 64] >> (id % 64) & 1));
}

struct in_format {
    const char *name;          /* for messages: "nfdump" */
    size_t magic_len;          /* bytes probe needs */
    bool (*probe)(const unsigned char *p, size_t n);
    void *(*open)(struct in_ctx *c, struct fq_error *err);
    ssize_t (*next)(void *st, struct in_ctx *c, struct fq_rec *buf, size_t cap,
                    struct fq_error *err);
    void (*close)(void *st);
};

/* Counters wider than their field saturate at the field's maximum. */
static inline uint32_t in_sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static inline uint16_t in_sat16(uint64_t v)
{
    return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

#endif
