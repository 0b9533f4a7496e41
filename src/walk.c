/* SPDX-License-Identifier: MIT */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "twin.h"
#include "util.h"

enum { MAX_DEPTH = 64 };        /* directory nesting (symlink loops) */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct list {
    char **v;
    size_t n, cap;
};

static void list_add(struct list *l, char *s)
{
    if (l->n == l->cap)
        l->v = xrealloc(l->v, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof *l->v);
    l->v[l->n++] = s;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = xmalloc(a + b + 2);
    memcpy(s, dir, a);
    size_t k = a;
    if (a == 0 || dir[a - 1] != '/')
        s[k++] = '/';
    memcpy(s + k, name, b + 1);
    return s;
}

/* Files a collector is still writing, or keeps for itself: flow-capture's
 * tmp*, nfcapd's nfcapd.current.* and its .nfstat (what nfdump -R skips
 * of them). */
static bool collector_own(const char *name)
{
    return strncmp(name, "tmp", 3) == 0 || strncmp(name, "nfcapd.current", 14) == 0 ||
           strcmp(name, ".nfstat") == 0;
}

/* Is a directory or file outside the -t window by its name alone?  A
 * file's interval ends where the next time-named file of the same
 * directory begins (next: that name, or NULL), or at most a day later. */
static bool name_outside(const struct fq_twin *w, const char *path, const char *next, bool dir)
{
    if (!w || !w->on)
        return false;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int64_t lo, hi;
    if (dir)
        return twin_dir_span(base, &lo, &hi) && twin_dir_outside(w, lo, hi);
    if (!twin_file_time(base, &lo))
        return false;
    hi = lo + (int64_t)TWIN_MAX_FILE_MS;
    const char *nbase = next ? strrchr(next, '/') : NULL;
    nbase = nbase ? nbase + 1 : next;
    int64_t t2;
    if (next && nbase - next == base - path && strncmp(next, path, (size_t)(base - path)) == 0 &&
        twin_file_time(nbase, &t2) && t2 > lo && t2 < hi)
        hi = t2;
    return twin_file_outside(w, lo, hi);
}

static void say_skipped(const struct ft_reader_opts *o, const char *path)
{
    if (o->verbose)
        fprintf(stderr, "flowq: skipping %s (outside the -t window by its name)\n", path);
}

/* Regular files under dir, names sorted at each level; collector_own
 * files skipped unless o->all_files (and counted in *skipped). */
static int walk(const char *dir, const struct ft_reader_opts *o, int depth, struct list *out,
                size_t *skipped, struct fq_error *err)
{
    bool all = o->all_files;
    if (depth > MAX_DEPTH)
        return fq_fail(err, FQ_E_INPUT, dir, -1, "directories nested too deep (a symlink loop?)");
    DIR *d = opendir(dir);
    if (!d)
        return fq_fail(err, FQ_E_INPUT, dir, -1, "cannot read directory: %s", strerror(errno));
    struct list names = {0};
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        list_add(&names, xstrdup(n));
    }
    int e_read = errno;
    closedir(d);
    int rc = FQ_OK;
    if (e_read)
        rc = fq_fail(err, FQ_E_INPUT, dir, -1, "cannot read directory: %s", strerror(e_read));
    if (names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_names);
    for (size_t i = 0; i < names.n; i++) {
        char *path = join(dir, names.v[i]);
        bool tmp = !all && collector_own(names.v[i]);
        free(names.v[i]);
        struct stat st;
        if (rc || tmp) {
            if (!rc && o->verbose && o->warn)
                o->warn(path, "skipped: a file the collector is still writing or keeps for "
                              "itself (tmp*, nfcapd.current.*, .nfstat; --all-files reads it)");
            *skipped += tmp;
            free(path);
            continue;
        }
        if (stat(path, &st) != 0) {
            rc = fq_fail(err, FQ_E_INPUT, path, -1, "cannot open: %s", strerror(errno));
            free(path);
        } else if (S_ISDIR(st.st_mode)) {
            if (name_outside(o->win, path, NULL, true))
                say_skipped(o, path);
            else
                rc = walk(path, o, depth + 1, out, skipped, err);
            free(path);
        } else if (S_ISREG(st.st_mode)) {
            list_add(out, path);
        } else {
            free(path); /* sockets, fifos, devices: not trace files */
        }
    }
    free(names.v);
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int walk_inputs(char *const *paths, size_t n, const struct ft_reader_opts *o,
                struct walk_list *out, struct fq_error *err)
{
    static char *const dash[] = {"-"};
    struct list l = {0}, named = {0};
    if (n == 0) {
        paths = dash;
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") == 0) {
            list_add(&l, xstrdup("-"));
        } else if (stat(paths[i], &st) != 0) {
            fq_fail(err, FQ_E_INPUT, paths[i], -1, "cannot open: %s", strerror(errno));
            free_list(l.v, l.n);
            free_list(named.v, named.n);
            return err->code;
        } else if (S_ISDIR(st.st_mode)) {
            size_t before = l.n, skipped = 0;
            if (walk(paths[i], o, 0, &l, &skipped, err)) {
                free_list(l.v, l.n);
                free_list(named.v, named.n);
                return err->code;
            }
            if (l.n == before && o->warn) {
                char msg[160];
                if (skipped)
                    snprintf(msg, sizeof msg, "no trace file in the directory, only %zu collector file%s "
                             "(--all-files reads them)", skipped, skipped == 1 ? "" : "s");
                else
                    snprintf(msg, sizeof msg, "no trace file in the directory");
                o->warn(paths[i], msg);
            }
        } else {
            list_add(&l, xstrdup(paths[i]));
            list_add(&named, xstrdup(paths[i]));
        }
    }
    if (o->win && o->win->on) {
        size_t k = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (strcmp(l.v[i], "-") != 0 &&
                name_outside(o->win, l.v[i], i + 1 < l.n ? l.v[i + 1] : NULL, false)) {
                say_skipped(o, l.v[i]);
                free(l.v[i]);
            } else {
                l.v[k++] = l.v[i];
            }
        }
        l.n = k;
    }
    *out = (struct walk_list){l.v, l.n, named.v, named.n};
    return FQ_OK;
}

void walk_list_free(struct walk_list *l)
{
    free_list(l->paths, l->n);
    free_list(l->named, l->nnamed);
}
