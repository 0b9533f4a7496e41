/* SPDX-License-Identifier: MIT
 * Inflating zlib streams (zin.h) with ISA-L or zlib.
 */
#include <stdint.h>
#include <string.h>

#include "zin.h"

int zin_start(struct zin *z)
{
#ifdef FQ_HAVE_ISAL
    isal_inflate_init(&z->st);
    z->used = 0;
    z->st.crc_flag = ISAL_ZLIB;  /* check the zlib header and the adler32 trailer */
    return 0;
#else
    int ret = z->init ? inflateReset(&z->zs) : inflateInit(&z->zs);
    z->init = z->init || ret == Z_OK;
    return ret == Z_OK ? 0 : -1;
#endif
}

void zin_end(struct zin *z)
{
#ifndef FQ_HAVE_ISAL
    if (z->init)
        inflateEnd(&z->zs);
    z->init = false;
#else
    (void)z;
#endif
}

#ifndef FQ_HAVE_ISAL
/* zlib's message in the words the ISA-L backend can say as well.  Faults
 * inside the deflate data are found by different checks in the two (zlib
 * validates code tables that ISA-L takes as they come), so they share one
 * text. */
static const char *zlib_why(const char *m)
{
    static const struct {
        const char *zlib, *ours;
    } map[] = {
        {"incorrect data check", "incorrect data check"},
        {"incorrect header check", "invalid zlib header"},
        {"unknown compression method", "invalid zlib header"},
        {"invalid window size", "invalid zlib header"},
    };
    for (size_t i = 0; m && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(m, map[i].zlib) == 0)
            return map[i].ours;
    return "invalid compressed data";
}
#endif

enum zres zin_run(struct zin *z, const unsigned char *in, size_t *in_len, unsigned char *out,
                  size_t *out_len, const char **why)
{
    size_t nin = *in_len < UINT32_MAX ? *in_len : UINT32_MAX;
    size_t nout = *out_len < UINT32_MAX ? *out_len : UINT32_MAX;
#ifdef FQ_HAVE_ISAL
    struct inflate_state *st = &z->st;
    st->next_in = (uint8_t *)(uintptr_t)in;
    st->avail_in = (uint32_t)nin;
    st->next_out = out;
    st->avail_out = (uint32_t)nout;
    int ret = isal_inflate(st);
    size_t used = nin - st->avail_in;
    *out_len = nout - st->avail_out;
    /* ISA-L takes input 8 bytes at a time into a bit buffer: at the end
     * of the stream (or a fault) the whole bytes still there are not its,
     * but the next stream's header (or after the fault). */
    if ((ret < 0 || ret == ISAL_NEED_DICT || st->block_state == ISAL_BLOCK_FINISH) &&
        st->read_in_length > 0) {
        size_t held = (size_t)st->read_in_length / 8;
        used = used > held ? used - held : 0;
    }
    enum zres zr = ZR_OK;
    switch (ret) {
    case ISAL_DECOMP_OK:
    case ISAL_END_INPUT:
    case ISAL_OUT_OVERFLOW:
        if (st->block_state == ISAL_BLOCK_FINISH)
            zr = ZR_END;
        break;
    case ISAL_NEED_DICT:
        *why = "preset dictionary required";
        zr = ZR_ERR;
        break;
    case ISAL_INCORRECT_CHECKSUM:
        /* ISA-L says so for the header's check bits too. */
        *why = z->used + used <= 2 ? "invalid zlib header" : "incorrect data check";
        zr = ZR_ERR;
        break;
    case ISAL_INVALID_WRAPPER:
    case ISAL_UNSUPPORTED_METHOD:
        *why = "invalid zlib header";
        zr = ZR_ERR;
        break;
    default:
        *why = "invalid compressed data";
        zr = ZR_ERR;
        break;
    }
    *in_len = used;
    z->used += used;
    return zr;
#else
    z->zs.next_in = (unsigned char *)(uintptr_t)in;
    z->zs.avail_in = (uInt)nin;
    z->zs.next_out = out;
    z->zs.avail_out = (uInt)nout;
    int ret = inflate(&z->zs, Z_NO_FLUSH);
    *in_len = nin - z->zs.avail_in;
    *out_len = nout - z->zs.avail_out;
    switch (ret) {
    case Z_OK:
    case Z_BUF_ERROR:
        return ZR_OK;
    case Z_STREAM_END:
        return ZR_END;
    case Z_NEED_DICT:
        *why = "preset dictionary required";
        return ZR_ERR;
    case Z_MEM_ERROR:
        return ZR_NOMEM;
    default:
        *why = zlib_why(z->zs.msg);
        return ZR_ERR;
    }
#endif
}
