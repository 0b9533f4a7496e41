/* SPDX-License-Identifier: MIT
 * One zlib stream inflated piece by piece, by one of two backends behind
 * one call: ISA-L (FQ_HAVE_ISAL), which inflates about 1.7 times as fast,
 * and zlib.  Errors come out in flowq's own words, so what a user reads
 * does not depend on the build.
 */
#ifndef FQ_ZIN_H
#define FQ_ZIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef FQ_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

struct zin {
#ifdef FQ_HAVE_ISAL
    struct inflate_state st;
    uint64_t used;             /* input bytes of this stream taken */
#else
    z_stream zs;
    bool init;
#endif
};

enum zres { ZR_OK, ZR_END, ZR_ERR, ZR_NOMEM };

/* Start (or restart) a stream on z, zeroed before its first use; -1 if the
 * backend cannot.  zin_end frees what the backend holds; z may then be
 * started again. */
int zin_start(struct zin *z);
void zin_end(struct zin *z);

/* Inflate in[0..*in_len) into out[0..*out_len); *in_len and *out_len are
 * then the bytes used and made.  At ZR_END the bytes used end exactly
 * after the stream's adler32 trailer, and at ZR_ERR where the fault was
 * found; *why then names it. */
enum zres zin_run(struct zin *z, const unsigned char *in, size_t *in_len, unsigned char *out,
                  size_t *out_len, const char **why);

#endif
