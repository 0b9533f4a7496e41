/* SPDX-License-Identifier: MIT
 * Ungrouper.  Duplicates go away with one bit per input record; the
 * output order comes from walking the global (stime, rec_id) order once,
 * so the cost is O(n + members of the tuples) whatever the tuple count.
 */
#include "ungrouper.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int ungroup_write(const struct fq_rows *R, const uint32_t *ord, const uint64_t *bits,
                  struct out *o, uint64_t *written, struct fq_error *err)
{
    size_t n = R->n;
    struct fq_rec rec;
    *written = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = ord[i];
        if (i + 16 < n && (bits[ord[i + 16] / 64] >> (ord[i + 16] % 64) & 1))
            __builtin_prefetch(row_at(R, ord[i + 16]));
        if (bits[r / 64] >> (r % 64) & 1) {
            row_rec(R, r, &rec);
            int rc = out_record(o, &rec, err);
            if (rc != FQ_OK)
                return rc;
            ++*written;
        }
    }
    return FQ_OK;
}

/* Records mode: a tuple only marks its groups, one bit per kept group of
 * each exported branch; members are marked once per group afterwards, so
 * a group in a million tuples costs its members once, and no tuple is
 * ever stored. */
struct gmark {
    const struct fq_mmodule *m;
    uint64_t **bits;            /* per position of the exported module */
};

void ungroup_mark_set(const struct fq_rows *R, const struct fq_set *set, uint64_t *bits)
{
    size_t n = R ? R->n : 0;
    /* rec_ids increase along the rows, so the last one tells whether any
     * record was dropped; if none was, rec_id is the position. */
    if (!R || n == 0 || row_id(row_at(R, n - 1)) == n - 1) {
        for (size_t j = 0; j < set->n; j++)
            bits[set->v[j] / 64] |= (uint64_t)1 << (set->v[j] % 64);
        return;
    }
    size_t lo = 0;              /* the set is sorted: search only onwards */
    for (size_t j = 0; j < set->n; j++) {
        size_t a = lo, b = n;
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            if (row_id(row_at(R, mid)) < set->v[j])
                a = mid + 1;
            else
                b = mid;
        }
        if (a < n && row_id(row_at(R, a)) == set->v[j])
            bits[a / 64] |= (uint64_t)1 << (a % 64);
        lo = a;
    }
}

static int gmark_tuple(void *ctx, const uint32_t *g)
{
    struct gmark *s = ctx;
    for (size_t w = 0; w < s->m->nbranches; w++)
        s->bits[w][g[w] / 64] |= (uint64_t)1 << (g[w] % 64);
    return 0;
}

int ungroup_mark_tuples(const struct fq_query *q, const struct fq_rows *R, const struct bgroups *bg,
                        uint64_t max_tuples, uint64_t *bits, uint64_t *tuples,
                        struct fq_error *err)
{
    struct gmark s = {&q->modules[q->export_module], NULL};
    size_t width = s.m->nbranches;
    s.bits = xcalloc(width + 1, sizeof *s.bits);
    for (size_t w = 0; w < width; w++)
        s.bits[w] = xcalloc(bg[s.m->branches[w]].n / 64 + 1, sizeof **s.bits);
    int rc = merger_stream(q, bg, max_tuples, false, gmark_tuple, &s, tuples, err);
    for (size_t w = 0; rc == FQ_OK && *tuples > 0 && w < width; w++) {
        const struct bgroups *g = &bg[s.m->branches[w]];
        for (size_t k = 0; k < g->n; k++)
            if (s.bits[w][k / 64] >> (k % 64) & 1)
                ungroup_mark_set(R, g->val[k * g->nfields + GF_RECORDS].set, bits);
    }
    for (size_t w = 0; w < width; w++)
        free(s.bits[w]);
    free(s.bits);
    return rc;
}

static bool same_columns(const struct fq_branch *a, const struct fq_branch *b)
{
    if (a->ngfields != b->ngfields)
        return false;
    for (size_t i = 0; i < a->ngfields; i++)
        if (strcmp(a->gfields[i].name, b->gfields[i].name) != 0 ||
            a->gfields[i].type != b->gfields[i].type || a->gfields[i].elem != b->gfields[i].elem)
            return false;
    return true;
}

static int begin_columns(struct out *o, struct gsort *gs, const struct fq_branch *br,
                         struct fq_error *err)
{
    struct out_col *cols = xmalloc((br->ngfields + 3) * sizeof *cols);
    cols[0] = (struct out_col){"tuple", VT_UINT, VT_UINT};
    cols[1] = (struct out_col){"branch", VT_STR, VT_STR};
    cols[2] = (struct out_col){"group", VT_UINT, VT_UINT};
    for (size_t i = 0; i < br->ngfields; i++)
        cols[i + 3] = (struct out_col){br->gfields[i].name, br->gfields[i].type,
                                       br->gfields[i].elem};
    int rc = gs ? gsort_columns(gs, cols, br->ngfields + 3, err)
                : out_begin_rows(o, cols, br->ngfields + 3, err);
    free(cols);
    return rc;
}

/* Group rows, tuple by tuple.  The columns are declared again only when
 * a branch's group fields differ from the previous row's (branches sharing
 * a grouper share one header). */
struct grows {
    const struct fq_query *q;
    const struct fq_mmodule *m;
    const struct bgroups *bg;
    struct out *o;
    const struct fq_branch *cur;
    union fq_val *row;
    uint64_t written;
    struct gsort *gs;          /* --sort: rows go here, not to o */
};

static int grows_begin(struct grows *s, const struct fq_query *q, const struct bgroups *bg,
                       const struct gsort_spec *sort, struct out *o, struct fq_error *err)
{
    *s = (struct grows){q, &q->modules[q->export_module], bg, o, NULL, NULL, 0,
                        sort ? gsort_new(sort) : NULL};
    size_t maxf = 0;
    for (size_t w = 0; w < s->m->nbranches; w++)
        if (q->branches[s->m->branches[w]].ngfields > maxf)
            maxf = q->branches[s->m->branches[w]].ngfields;
    s->row = xmalloc((maxf + 3) * sizeof *s->row);
    if (s->m->nbranches == 0)
        return FQ_OK;
    s->cur = &q->branches[s->m->branches[0]];
    return begin_columns(o, s->gs, s->cur, err);
}

/* The rows of tuple number i, whose kept-group indices are g[0..width). */
static int grows_tuple(struct grows *s, uint64_t i, const uint32_t *g, struct fq_error *err)
{
    for (size_t w = 0; w < s->m->nbranches; w++) {
        int b = s->m->branches[w];
        const struct fq_branch *br = &s->q->branches[b];
        const struct bgroups *bgb = &s->bg[b];
        int rc;
        if (!same_columns(s->cur, br)) {
            s->cur = br;
            if ((rc = begin_columns(s->o, s->gs, s->cur, err)) != FQ_OK)
                return rc;
        }
        s->row[0].u = i;
        s->row[1].s = br->name;
        s->row[2].u = bgb->id[g[w]];
        memcpy(&s->row[3], &bgb->val[(size_t)g[w] * bgb->nfields],
               bgb->nfields * sizeof *s->row);
        if (s->gs) {
            gsort_add(s->gs, s->row);
            continue;
        }
        if ((rc = out_row(s->o, s->row, err)) != FQ_OK)
            return rc;
        s->written++;
    }
    return FQ_OK;
}

/* The end of the rows: with --sort they are written now.  Takes rc, the
 * status so far. */
static int grows_end(struct grows *s, int rc, struct fq_error *err)
{
    if (s->gs && rc == FQ_OK)
        rc = gsort_write(s->gs, s->o, &s->written, err);
    gsort_free(s->gs);
    free(s->row);
    return rc;
}

/* -g: the merger streams tuples in output order; each is printed at once. */
struct gstream {
    struct grows rows;
    uint64_t next;
    struct fq_error *err;
};

static int gstream_tuple(void *ctx, const uint32_t *g)
{
    struct gstream *s = ctx;
    return grows_tuple(&s->rows, s->next++, g, s->err);
}

int ungroup_stream_groups(const struct fq_query *q, const struct bgroups *bg, uint64_t max_tuples,
                          const struct gsort_spec *sort, struct out *o, uint64_t *tuples,
                          uint64_t *written, struct fq_error *err)
{
    struct gstream s = {.err = err};
    int rc = grows_begin(&s.rows, q, bg, sort, o, err);
    if (rc == FQ_OK)
        rc = merger_stream(q, bg, max_tuples, true, gstream_tuple, &s, tuples, err);
    rc = grows_end(&s.rows, rc, err);
    *written = s.rows.written;
    return rc;
}

int ungroup_product_groups(const struct fq_query *q, const struct bgroups *bg,
                           const struct gsort_spec *sort, struct out *o, uint64_t *written,
                           struct fq_error *err)
{
    struct grows s;
    int rc = grows_begin(&s, q, bg, sort, o, err);
    size_t w = s.m->nbranches;
    uint32_t *g = xcalloc(w + 1, sizeof *g);
    bool empty = w == 0;
    for (size_t k = 0; k < w; k++)
        if (bg[s.m->branches[k]].n == 0)
            empty = true;
    /* an odometer over the kept groups: lexicographic order */
    for (uint64_t i = 0; !empty && rc == FQ_OK; i++) {
        rc = grows_tuple(&s, i, g, err);
        size_t k = w;
        while (k > 0 && ++g[k - 1] == bg[s.m->branches[k - 1]].n)
            g[--k] = 0;
        if (k == 0)
            break;
    }
    free(g);
    rc = grows_end(&s, rc, err);
    *written = s.written;
    return rc;
}
