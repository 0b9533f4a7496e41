/* PLACEHOLDER: replaced by the front end. */
#include "compile.h"
#include <stdlib.h>
int query_substitute(const char *src, size_t len, const char *path, const struct fq_define *defs,
                     size_t ndefs, char **out, size_t *outlen, struct fq_error *err)
{
    (void)src; (void)len; (void)defs; (void)ndefs; (void)out; (void)outlen;
    return fq_fail(err, FQ_E_QUERY, path, -1, "not implemented");
}
struct fq_query *query_compile(const char *src, size_t len, const char *path, FILE *diag,
                               struct fq_error *err)
{
    (void)src; (void)len; (void)diag;
    fq_fail(err, FQ_E_QUERY, path, -1, "not implemented");
    return NULL;
}
void query_free(struct fq_query *q) { (void)q; }
void query_dump(FILE *fp, const struct fq_query *q) { (void)fp; (void)q; }
