/* PLACEHOLDER: replaced by the engine. */
#include "engine.h"
#include <stdlib.h>
int engine_run(const struct fq_query *q, const struct fq_rec *recs, size_t n,
               const struct engine_opts *eo, struct out *out, struct engine_stats *st,
               struct fq_error *err)
{
    (void)q; (void)recs; (void)n; (void)eo; (void)out; (void)st;
    return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "not implemented");
}
void engine_stats_free(struct engine_stats *st) { free(st->branch); }
