/* PLACEHOLDER: replaced by the I/O work. */
#include "ftio.h"
struct ft_reader *ft_reader_open(char *const *paths, size_t n, const struct ft_reader_opts *o,
                                 struct fq_error *err)
{ (void)paths; (void)n; (void)o; fq_fail(err, FQ_E_INPUT, NULL, -1, "not implemented"); return NULL; }
ssize_t ft_reader_next(struct ft_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err)
{ (void)r; (void)buf; (void)cap; (void)err; return -1; }
void ft_reader_close(struct ft_reader *r) { (void)r; }
int ft_read_all(char *const *paths, size_t n, const struct ft_reader_opts *o,
                struct fq_rec **recs, size_t *nrecs, struct fq_error *err)
{ (void)paths; (void)n; (void)o; (void)recs; (void)nrecs; return fq_fail(err, FQ_E_INPUT, NULL, -1, "not implemented"); }
struct ft_writer *ft_writer_open(FILE *fp, int zlevel, struct fq_error *err)
{ (void)fp; (void)zlevel; fq_fail(err, FQ_E_OUTPUT, NULL, -1, "not implemented"); return NULL; }
int ft_writer_put(struct ft_writer *w, const struct fq_rec *r, struct fq_error *err)
{ (void)w; (void)r; return fq_fail(err, FQ_E_OUTPUT, NULL, -1, "not implemented"); }
int ft_writer_close(struct ft_writer *w, struct fq_error *err) { (void)w; (void)err; return 0; }
struct ft_writer *ft_writer_open_ex(FILE *fp, const struct ft_writer_opts *o, struct fq_error *err)
{ (void)fp; (void)o; fq_fail(err, FQ_E_OUTPUT, NULL, -1, "not implemented"); return NULL; }
