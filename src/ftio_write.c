/* SPDX-License-Identifier: MIT
 * flow-tools stream writer: a minimal version 3 header (EX_VER and
 * HEADER_FLAGS, as flow-cat writes to a pipe) and fixed-size records in the
 * chosen byte order, raw or as one zlib stream.  Records are staged in a
 * buffer and written or deflated in large chunks.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ftio.h"
#include "util.h"

enum {
    TLV_EX_VER = 2,
    TLV_HEADER_FLAGS = 8,
    FLAG_COMPRESS = 0x02,
    FLAG_STREAMING = 0x08,
    STAGE_BYTES = 1 << 16,
    ZOUT_BYTES = 1 << 16,
};

struct ft_writer {
    FILE *fp;
    int version;
    bool swap;                 /* file order differs from the host's */
    size_t rsize;
    bool z;
    z_stream zs;
    unsigned char *stage;      /* encoded records not yet written */
    size_t nstage, stage_cap;  /* stage_cap is a whole number of records */
    unsigned char *zout;
    bool failed;
};

static int host_order(void)
{
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 1 : 2;
}

static void st16(unsigned char *p, uint16_t v, bool swap)
{
    if (swap)
        v = __builtin_bswap16(v);
    memcpy(p, &v, 2);
}

static void st32(unsigned char *p, uint32_t v, bool swap)
{
    if (swap)
        v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
}

static size_t record_size(int version)
{
    switch (version) {
    case 1: return 60;
    case 5: return 64;
    case 6: return 72;
    case 7: return 68;
    case 1005: return 72;
    default: return 0;
    }
}

static int write_fail(struct ft_writer *w, struct fq_error *err)
{
    w->failed = true;
    if (errno == EPIPE)
        return fq_fail(err, FQ_E_PIPE, NULL, -1, "broken pipe");
    return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "write error: %s", strerror(errno));
}

static int put_bytes(struct ft_writer *w, const void *p, size_t n, struct fq_error *err)
{
    errno = 0;
    if (n && fwrite(p, 1, n, w->fp) != n)
        return write_fail(w, err);
    return FQ_OK;
}

/* Deflate the staged bytes (and finish the stream when flush is Z_FINISH). */
static int deflate_out(struct ft_writer *w, int flush, struct fq_error *err)
{
    w->zs.next_in = w->stage;
    w->zs.avail_in = (uInt)w->nstage;
    for (;;) {
        w->zs.next_out = w->zout;
        w->zs.avail_out = ZOUT_BYTES;
        int ret = deflate(&w->zs, flush);
        if (ret == Z_STREAM_ERROR) {
            w->failed = true;
            return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "zlib deflate failed");
        }
        if (put_bytes(w, w->zout, ZOUT_BYTES - w->zs.avail_out, err))
            return err->code;
        if (w->zs.avail_out != 0 && w->zs.avail_in == 0 && (flush != Z_FINISH || ret == Z_STREAM_END))
            break;
    }
    w->nstage = 0;
    return FQ_OK;
}

static int flush_stage(struct ft_writer *w, int flush, struct fq_error *err)
{
    if (w->z)
        return deflate_out(w, flush, err);
    int rc = put_bytes(w, w->stage, w->nstage, err);
    w->nstage = 0;
    return rc;
}

struct ft_writer *ft_writer_open_ex(FILE *fp, const struct ft_writer_opts *o, struct fq_error *err)
{
    int version = o->version ? o->version : 5;
    size_t rs = record_size(version);
    if (!rs) {
        fq_fail(err, FQ_E_OUTPUT, NULL, -1, "cannot write record version %d (1, 5, 6, 7 or 1005)",
                version);
        return NULL;
    }
    int order = o->byte_order ? o->byte_order : host_order();
    if (order != 1 && order != 2) {
        fq_fail(err, FQ_E_OUTPUT, NULL, -1, "bad byte order %d (0 host, 1 little, 2 big)", order);
        return NULL;
    }
    if (o->zlevel < 0 || o->zlevel > 9) {
        fq_fail(err, FQ_E_OUTPUT, NULL, -1, "bad zlib level %d (0 to 9)", o->zlevel);
        return NULL;
    }
    struct ft_writer *w = xcalloc(1, sizeof *w);
    w->fp = fp;
    w->version = version;
    w->swap = order != host_order();
    w->rsize = rs;
    w->z = o->zlevel > 0;
    w->stage_cap = STAGE_BYTES / rs * rs;
    w->stage = xmalloc(w->stage_cap);
    if (w->z) {
        w->zout = xmalloc(ZOUT_BYTES);
        int ret = deflateInit(&w->zs, o->zlevel);
        if (ret != Z_OK) {
            fq_fail(err, FQ_E_OUTPUT, NULL, -1, "zlib deflateInit failed (%d)", ret);
            free(w->zout);
            free(w->stage);
            free(w);
            return NULL;
        }
    }

    /* Preamble, header length, EX_VER, HEADER_FLAGS, padding to 4: the
     * 24-byte header flow-cat writes to a pipe. */
    unsigned char h[24] = {0xCF, 0x10, (unsigned char)order, 3};
    st32(h + 4, sizeof h, w->swap);
    st16(h + 8, TLV_EX_VER, w->swap);
    st16(h + 10, 2, w->swap);
    st16(h + 12, (uint16_t)version, w->swap);
    st16(h + 14, TLV_HEADER_FLAGS, w->swap);
    st16(h + 16, 4, w->swap);
    st32(h + 18, FLAG_STREAMING | (w->z ? FLAG_COMPRESS : 0), w->swap);
    if (put_bytes(w, h, sizeof h, err)) {
        if (w->z)
            deflateEnd(&w->zs);
        free(w->zout);
        free(w->stage);
        free(w);
        return NULL;
    }
    return w;
}

struct ft_writer *ft_writer_open(FILE *fp, int zlevel, struct fq_error *err)
{
    struct ft_writer_opts o = {.version = 5, .byte_order = 0, .zlevel = zlevel};
    return ft_writer_open_ex(fp, &o, err);
}

/* FORMAT-flowtools.md section 6: the common prefix, then the v5 tail that
 * v5, v6, v7 and v1005 share; their extra words (v6 encaps/peer, v7 flags
 * and router_sc, v1005 tags) have no field in fq_rec and stay 0. */
static void encode(unsigned char *p, const struct fq_rec *r, int version, size_t rs, bool sw)
{
    memset(p, 0, rs);
    st32(p + 0, r->unix_secs, sw);
    st32(p + 4, r->unix_nsecs, sw);
    st32(p + 8, r->sysuptime, sw);
    /* Like flow-tools (fts3rec_swap_v1005), v1005 keeps exaddr in host
     * order even in a cross-endian file. */
    st32(p + 12, r->exaddr, sw && version != 1005);
    st32(p + 16, r->srcip, sw);
    st32(p + 20, r->dstip, sw);
    st32(p + 24, r->nexthop, sw);
    st16(p + 28, r->input, sw);
    st16(p + 30, r->output, sw);
    st32(p + 32, r->packets, sw);
    st32(p + 36, r->bytes, sw);
    st32(p + 40, r->first, sw);
    st32(p + 44, r->last, sw);
    st16(p + 48, r->srcport, sw);
    st16(p + 50, r->dstport, sw);
    p[52] = r->proto;
    p[53] = r->tos;
    p[54] = r->tcp_flags;
    if (version == 1)
        return;
    p[56] = r->engine_type;
    p[57] = r->engine_id;
    p[58] = r->src_mask;
    p[59] = r->dst_mask;
    st16(p + 60, r->src_as, sw);
    st16(p + 62, r->dst_as, sw);
}

int ft_writer_put(struct ft_writer *w, const struct fq_rec *r, struct fq_error *err)
{
    if (w->failed)
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "write after a write error");
    if (r->v6) {
        enum fq_field f = F_SRCIP;
        while (!(r->v6 & 1u << f))
            f++;
        return fq_fail(err, FQ_E_OUTPUT, NULL, -1,
                       "-o ft: flow-tools v5 records cannot hold IPv6 addresses (%s of record "
                       "%llu); keep IPv4 flows only, e.g. with the filter term '%s in 0.0.0.0/0'",
                       fq_fields[f].name, (unsigned long long)r->rec_id, fq_fields[f].name);
    }
    if (w->nstage == w->stage_cap && flush_stage(w, Z_NO_FLUSH, err))
        return err->code;
    encode(w->stage + w->nstage, r, w->version, w->rsize, w->swap);
    w->nstage += w->rsize;
    return FQ_OK;
}

int ft_writer_close(struct ft_writer *w, struct fq_error *err)
{
    if (!w)
        return FQ_OK;
    int rc = FQ_OK;
    if (!w->failed) {
        rc = flush_stage(w, Z_FINISH, err);
        if (!rc) {
            errno = 0;
            if (fflush(w->fp) != 0)
                rc = write_fail(w, err);
        }
    }
    if (w->z)
        deflateEnd(&w->zs);
    free(w->zout);
    free(w->stage);
    free(w);
    return rc;
}
