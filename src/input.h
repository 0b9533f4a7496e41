/* SPDX-License-Identifier: MIT
 * The reader's interface to its per-format decoders.  The reader
 * (ftio.c: ft_reader_*) walks the operands, owns the open input and its
 * buffer, numbers the records and chooses the format of every stream by
 * its first bytes, never by a file's name.  A format is one struct
 * in_format: probe, open, next, close, in a file of its own (flowtools.c,
 * nfdump.c, ipfix_in.c); to add one, define its struct there and list it
 * in ftio.c's formats[].
 *
 * Contract:
 * - probe(p, n) looks only at p[0..n), n >= magic_len, and says whether a
 *   stream of this format starts there.  Formats claim disjoint magics.
 * - open(c, err) is called with the read position at the stream's first
 *   byte.  It consumes the stream's header and returns the decoder's state
 *   (owned by the caller, freed by close), or NULL with *err filled
 *   (FQ_E_INPUT, naming in_name() and the byte offset of the fault).
 * - next(st, c, buf, cap, err) decodes up to cap (> 0) records into buf
 *   and returns how many; 0 only at the end of the stream, with the read
 *   position just after its last byte (another stream of any format may
 *   follow on the same input); -1 with *err filled on corrupt or truncated
 *   input or a read error.  Records are numbered with in_need, in_pass
 *   and in_take below, in stream order: only those in_take accepts are
 *   returned.  A returned record is complete: every field set, fields the
 *   format lacks 0, v6 and ip6 set as record.h says.  After -1 only close
 *   is called.
 * - close(st) frees the state; st may be NULL.  It may be called before
 *   the stream's end.
 * Decoders read the input only through in_fill/in_skip, never past what
 * in_fill made available; a pointer from in_fill stays valid until the next
 * in_fill or in_skip.  They allocate per stream or per block, not per
 * record.  A decoder may read on a thread of its own while the caller
 * waits for it (flow-tools' inflate thread), never on two at once.
 */
#ifndef FQ_INPUT_H
#define FQ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowq.h"
#include "record.h"
#include "twin.h"

/* One open input (a file or standard input), owned by the reader. */
struct in_src;

/* Make at least need unread bytes available at *p unless the input ends
 * first; returns how many are available (fewer than need only at the end
 * of the input), -1 on a read error (*err filled).  need 0 never reads:
 * it says what is already buffered. */
ssize_t in_fill(struct in_src *s, size_t need, const unsigned char **p, struct fq_error *err);

/* Consume n bytes; n <= what the last in_fill returned. */
void in_skip(struct in_src *s, size_t n);

/* Byte offset of the read position from the start of the input. */
uint64_t in_off(const struct in_src *s);

/* The input's name for messages ("standard input" for "-"). */
const char *in_name(const struct in_src *s);

/* While fd >= 0, in_fill waits on the input and fd together and fails
 * ("reading stopped") once fd is readable: a decoder's own thread must not
 * sit in read() on a pipe that never ends after the reader is closed.
 * Set before that thread starts; -1 after it is joined. */
void in_set_stop(struct in_src *s, int fd);

/* The stream being opened is compressed: reading it again would inflate
 * it again (ft_reader_inflated). */
void in_compressed(struct in_src *s);

/* What the reader shares with a decoder during one call. */
struct in_ctx {
    struct in_src *src;
    uint64_t id;               /* rec_id of the stream's next numbered record */
    const uint64_t *want;      /* ft_reader_want's bits by rec_id, or NULL: all */
    uint64_t nwant;
    const struct fq_twin *win; /* -t, or NULL: records outside it are not input
                                  at all (no rec_id), the same on every reading */
    bool one_thread;           /* decode on the caller's thread only: --threads 1,
                                  or the parallel reader's workers fill the cores */
};

static inline bool in_wanted(const struct in_ctx *c, uint64_t id)
{
    return !c->want || (id < c->nwant && (c->want[id / 64] >> (id % 64) & 1));
}

/* Numbering, for each record of the stream in order: if in_need, decode
 * it and in_take it (returned when that says so); else in_pass it
 * undecoded.  Without a window and a want set a decoder may number a run
 * of n records at once: rec_id c->id.., c->id += n. */
static inline bool in_need(const struct in_ctx *c)
{
    return c->win || in_wanted(c, c->id);
}

static inline void in_pass(struct in_ctx *c)
{
    c->id++;
}

/* r decoded: give it its rec_id unless the window leaves it out. */
static inline bool in_take(struct in_ctx *c, struct fq_rec *r)
{
    if (c->win && !twin_rec(c->win, r->stime, r->etime))
        return false;
    r->rec_id = c->id++;
    return in_wanted(c, r->rec_id);
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
