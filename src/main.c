/* SPDX-License-Identifier: MIT
 * The command line: options, input and output set-up, error reporting and
 * exit statuses.  The only file that prints errors or calls exit().
 * Built twice: as flowq, and with FQ_MPI as flowq-mpi, which reads its
 * input across the ranks of an MPI job (mpi/dist.h); every rank runs this
 * same code, and only rank 0 is heard.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "engine.h"
#include "flowq.h"
#include "gsort.h"
#include "ftio.h"
#include "out.h"
#include "plan.h"
#include "record.h"
#include "run.h"
#include "twin.h"
#include "util.h"
#ifdef FQ_MPI
#include "dist.h"
#define run_read dist_run_read
#else
#define run_read fq_run_read
#endif

struct cli {
    struct out_opts out;
    bool fmt_given, fields_given, tfmt_given;
    const char *wfile;
    bool force;
    mode_t umask;               /* the process's, for files -w creates */
    bool exit_status;
    int verbose;
    bool stats;
    const char *stats_file;
    bool check, dump, explain, print, groups;
    struct fq_define *defs;
    size_t ndefs;
    struct ft_reader_opts rd;
    struct fq_twin win;
    struct gsort_spec sort;
    bool sort_given, limit_given;
    int progress;               /* 1 --progress, -1 --no-progress, 0 auto */
    const char *files_from;
    struct engine_opts eng;
    enum fq_rows_mode rows;
};

static const char usage_line[] =
    "usage: flowq [options] QUERY [TRACE|DIR|-]...\n"
    "       flowq --print [options] [TRACE|DIR|-]...\n";

static void usage_error(const char *fmt, const char *arg) __attribute__((noreturn));

static void usage_error(const char *fmt, const char *arg)
{
    fputs("flowq: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'flowq --help' for more information.\n", stderr);
    exit(FQ_E_USAGE);
}

static void help(void)
{
    fputs(usage_line, stdout);
    fputs("\n"
          "Run a flow query (the language of flowq(5)) over NetFlow records read from\n"
          "flow-tools files, directories of them, or standard input.\n"
          "\n"
          "Query:\n"
          "  -n, --check            parse and check QUERY only; exit 0 or 3\n"
          "      --dump-rules       print the compiled rules and exit\n"
          "      --explain          print the execution plan (path, partition key) and exit\n"
          "  -D, --define NAME=VALUE  replace $NAME in the query by VALUE\n"
          "  -g, --groups           print group records of the matching tuples\n"
          "      --sort FIELD[,FIELD...][:desc]  with -g: group rows sorted by these\n"
          "                         columns (asc, or desc; ties by group number)\n"
          "      --limit N          with --sort: only the first N group rows (top N)\n"
          "      --max-tuples N     stop with an error past N merger tuples\n"
          "                         (default 100000000; 0 = no limit)\n"
          "      --threads N        worker threads (default: one per core)\n"
          "      --max-memory SIZE  memory for the records kept (K, M, G suffixes; default:\n"
          "                         a quarter of RAM): past it they go to temporary files\n"
          "                         when the query splits by a partition key, else stop\n"
          "                         with an error\n"
          "\n"
          "Input:\n"
          "      --print            decode and print records; no query\n"
          "      --all-files        read tmp*, nfcapd.current.* and .nfstat in directories too\n"
          "      --files-from FILE  read input names, one per line, from FILE (- = stdin)\n"
          "  -t, --time START[/END]  only records whose [stime, etime] overlaps the window\n"
          "                         from START to the end of END: YYYY-MM-DD[THH[:MM[:SS]]]\n"
          "                         [Z|+HH:MM] (UTC unless an offset is given), epoch\n"
          "                         seconds, or -2h, -30m, -1d (before now); time-named\n"
          "                         files and directories outside it are not opened\n"
          "\n"
          "Output:\n"
          "  -o, --format FMT       text (default), csv, tsv, json, ndjson or ft\n"
          "      --fields LIST      comma-separated record fields to print\n"
          "  -q, --no-header        no header line in text, csv and tsv\n"
          "      --epoch            times as milliseconds since the epoch\n"
          "      --localtime        times in the local time zone (TZ)\n"
          "  -z, --compress LEVEL   zlib level 0-9 for -o ft (default 0)\n"
          "  -c, --count N          stop after N records (with -g: N group rows); the\n"
          "                         run ends early where it can\n"
          "  -w, --output FILE      write to FILE (atomically) instead of stdout\n"
          "      --force            overwrite FILE; allow -o ft to a terminal\n"
          "  -e, --exit-status      exit 1 when nothing was output\n"
          "\n"
          "Information:\n"
          "      --stats[=FILE]     one JSON line of per-stage counts on stderr (or FILE)\n"
          "  -v, --verbose          per-stage counts as text, input files on stderr\n"
          "      --progress         a progress line on stderr while reading, from the start\n"
          "                         (default: when stderr is a terminal, after a second)\n"
          "      --no-progress      never a progress line\n"
          "      --help-fields      list record fields, aliases and types\n"
          "  -h, --help             this help\n"
          "  -V, --version          version and build information\n"
          "\n"
          "Exit status: 0 ok, 1 no output (with -e), 2 usage, 3 query error,\n"
          "4 input error, 5 output or internal error.  See flowq(1).\n",
          stdout);
}

/* A decimal count; with sized, an optional K, M or G (powers of 1024). */
static bool parse_num(const char *s, bool sized, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-')
        return false;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (sized && *end && strchr("KkMmGg", *end)) {
        shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : 30;
        end++;
    }
    if (errno || *end || end == s || x > UINT64_MAX >> shift)
        return false;
    *v = (uint64_t)x << shift;
    return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    return parse_num(s, false, v);
}

static bool parse_size(const char *s, uint64_t *v)
{
    return parse_num(s, true, v);
}

static void parse_fields(struct cli *c, const char *list)
{
    size_t cap = 8, n = 0;
    enum fq_field *f = xmalloc(cap * sizeof *f);
    char *copy = xstrdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        enum fq_field id = field_lookup(tok);
        if (id == F_COUNT) {
            /* The message is built before the list is freed: exit's leak
             * checkers (ASan) count what is still held. */
            const char *best = field_suggest(tok);
            char m[300];
            if (best)
                snprintf(m, sizeof m, "unknown field '%.100s' in --fields; did you mean '%s'?",
                         tok, best);
            else
                snprintf(m, sizeof m, "unknown field '%.100s' in --fields (see --help-fields)", tok);
            free(copy);
            free(f);
            usage_error("%s", m);
        }
        if (n == cap)
            f = xrealloc(f, (cap *= 2) * sizeof *f);
        f[n++] = id;
    }
    free(copy);
    if (n == 0) {
        free(f);
        usage_error("--fields needs at least one field%s", "");
    }
    c->out.fields = f;
    c->out.nfields = n;
}

static enum fq_fmt parse_format(const char *s)
{
    static const char *const names[] = {"text", "csv", "tsv", "json", "ndjson", "ft"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum fq_fmt)i;
    usage_error("unknown output format '%s' (expected text, csv, tsv, json, ndjson or ft)", s);
    return FMT_TEXT;
}

enum {
    OPT_DUMP = 256, OPT_MAXT, OPT_THREADS, OPT_PRINT, OPT_ALL, OPT_FROM, OPT_FIELDS,
    OPT_EPOCH, OPT_LOCAL, OPT_FORCE, OPT_STATS, OPT_HELPF, OPT_MAXMEM, OPT_SORT, OPT_LIMIT,
    OPT_PROGRESS, OPT_NOPROGRESS, OPT_EXPLAIN,
};

static const struct option longopts[] = {
    {"check", no_argument, NULL, 'n'},
    {"dump-rules", no_argument, NULL, OPT_DUMP},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"define", required_argument, NULL, 'D'},
    {"groups", no_argument, NULL, 'g'},
    {"max-tuples", required_argument, NULL, OPT_MAXT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-memory", required_argument, NULL, OPT_MAXMEM},
    {"print", no_argument, NULL, OPT_PRINT},
    {"all-files", no_argument, NULL, OPT_ALL},
    {"files-from", required_argument, NULL, OPT_FROM},
    {"time", required_argument, NULL, 't'},
    {"format", required_argument, NULL, 'o'},
    {"fields", required_argument, NULL, OPT_FIELDS},
    {"no-header", no_argument, NULL, 'q'},
    {"epoch", no_argument, NULL, OPT_EPOCH},
    {"localtime", no_argument, NULL, OPT_LOCAL},
    {"compress", required_argument, NULL, 'z'},
    {"count", required_argument, NULL, 'c'},
    {"sort", required_argument, NULL, OPT_SORT},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"output", required_argument, NULL, 'w'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"exit-status", no_argument, NULL, 'e'},
    {"stats", optional_argument, NULL, OPT_STATS},
    {"verbose", no_argument, NULL, 'v'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NOPROGRESS},
    {"help-fields", no_argument, NULL, OPT_HELPF},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Now, for relative -t times: FLOWQ_NOW (a -t time) fixes it, so that a
 * cron line can be replayed. */
static uint64_t wall_ms(void)
{
    const char *fix = getenv("FLOWQ_NOW");
    uint64_t ms;
    if (fix && *fix) {
        if (!twin_parse_time(fix, 0, &ms) || fix[0] == '-')
            usage_error("FLOWQ_NOW must be a time such as 2026-11-28T14:30Z, not '%s'", fix);
        return ms;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char shortopts[] = ":nD:go:qz:w:evhVt:c:";

/* The name the user typed for the long option in argv element el, without
 * its "--" and any "=VALUE"; NULL when el is not a long option. */
static char *typed_long(const char *el)
{
    if (strncmp(el, "--", 2) != 0)
        return NULL;
    char *name = xstrdup(el + 2);
    name[strcspn(name, "=")] = '\0';
    return name;
}

/* getopt_long accepts any unique prefix of a long option.  flowq does not
 * (a new option could silently change what an old abbreviation in a cron
 * job means), so every long option getopt matched is checked against the
 * name the user typed.  Long options advance optind past their element
 * and past a value given as the next argument. */
static void check_long_name(char **argv, int li)
{
    const char *el = argv[optind - 1];
    if (optarg && optarg == argv[optind - 1] && optind >= 2)
        el = argv[optind - 2];
    char *name = typed_long(el);
    if (name && strcmp(name, longopts[li].name) != 0)
        usage_error("unknown option '--%s'", name);
    free(name);
}

/* getopt_long's '?': an unknown short letter (optopt), an unknown or
 * ambiguous long option (optopt 0), or a long option that takes no value
 * given one (optopt its value). */
static void bad_option(char **argv)
{
    bool known = optopt >= 256 || (optopt > 0 && strchr(shortopts + 1, optopt));
    if (optopt && !known) {
        char o[3] = {'-', (char)optopt, 0};
        usage_error("unknown option '%s'", o);
    }
    char *name = typed_long(argv[optind - 1]);
    if (!name)
        usage_error("unknown option '%s'", argv[optind - 1]);
    for (const struct option *o = longopts; known && o->name; o++)
        if (o->val == optopt && strcmp(o->name, name) == 0)
            usage_error("option '--%s' takes no value", name);
    usage_error("unknown option '--%s'", name);
}

/* -D NAME=VALUE */
static void add_define(struct cli *c, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        usage_error("-D needs NAME=VALUE, not '%s'", arg);
    c->defs = xrealloc(c->defs, (c->ndefs + 1) * sizeof *c->defs);
    char *name = xstrdup(arg);
    name[eq - arg] = '\0';
    for (size_t i = 0; i < c->ndefs; i++)
        if (strcmp(c->defs[i].name, name) == 0)
            usage_error("-D defines '%s' twice", name);
    c->defs[c->ndefs].name = name;
    c->defs[c->ndefs].value = eq + 1;
    c->ndefs++;
}

/* Options that do not go together. */
static void check_options(struct cli *c)
{
    if (c->print && c->stats)
        usage_error("%s", "--stats counts the stages of a query; it does not apply to --print");
    if (c->out.no_header && (c->out.fmt == FMT_JSON || c->out.fmt == FMT_NDJSON))
        usage_error("%s", "-q applies to the text, csv and tsv formats; json and ndjson have no header");
    if (c->print && (c->check || c->dump || c->explain || c->groups || c->ndefs))
        usage_error("%s",
                    "--print takes no query: -n, --dump-rules, --explain, -g and -D do not apply");
    if (c->out.fmt == FMT_FT && (c->fields_given || c->tfmt_given || c->out.no_header))
        usage_error("%s", "-o ft writes whole records: --fields, -q, --epoch and --localtime do not apply");
    if (c->out.fmt == FMT_FT && c->groups)
        usage_error("%s", "-g prints group records, which -o ft cannot hold");
    if (c->groups && c->fields_given)
        usage_error("%s", "--fields selects record fields; it does not apply to -g");
    if (c->sort_given && !c->groups)
        usage_error("%s", "--sort orders group rows: it needs -g");
    if (c->limit_given && !c->sort_given)
        usage_error("%s", "--limit keeps the first rows of --sort (use -c N to cut any output)");
    if (c->sort_given)
        c->eng.sort = &c->sort;
    if (c->out.zlevel && c->out.fmt != FMT_FT)
        usage_error("%s", "-z applies only to -o ft");
}

static void parse_args(struct cli *c, int argc, char **argv)
{
    int ch, li = -1;
    uint64_t v;
    bool helpf = false, epoch = false, local = false;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, &li)) != -1) {
        /* getopt sets optarg for every option with a required argument;
         * --stats alone takes an optional one and reads optarg itself. */
        const char *arg = optarg ? optarg : "";
        switch (ch) {
        case 'n': c->check = true; break;
        case OPT_DUMP: c->dump = true; break;
        case OPT_EXPLAIN: c->explain = true; break;
        case 'D': add_define(c, arg); break;
        case 'g': c->groups = true; break;
        case OPT_MAXT:
            if (!parse_u64(arg, &c->eng.max_tuples))
                usage_error("--max-tuples needs a number, not '%s'", arg);
            break;
        case OPT_THREADS:
            if (!parse_u64(arg, &v) || v == 0 || v > 256)
                usage_error("--threads needs a number from 1 to 256, not '%s'", arg);
            c->eng.threads = c->rd.threads = (unsigned)v;
            break;
        case OPT_MAXMEM:
            if (!parse_size(arg, &c->rd.max_bytes))
                usage_error("--max-memory needs a size such as 512M or 2G, not '%s'", arg);
            break;
        case OPT_PRINT: c->print = true; break;
        case OPT_ALL: c->rd.all_files = true; break;
        case OPT_FROM:
            if (c->files_from)
                usage_error("%s", "--files-from given twice");
            c->files_from = arg;
            break;
        case 't': {
            char why[256];
            if (!twin_parse(arg, wall_ms(), &c->win, why, sizeof why))
                usage_error("-t: %s", why);
            c->rd.win = &c->win;
            break;
        }
        case 'o': c->out.fmt = parse_format(arg); c->fmt_given = true; break;
        case OPT_FIELDS:
            if (c->fields_given)
                usage_error("%s", "--fields given twice (list every field in one --fields)");
            parse_fields(c, arg);
            c->fields_given = true;
            break;
        case 'q': c->out.no_header = true; break;
        case OPT_EPOCH: c->out.tfmt = TFMT_EPOCH; c->tfmt_given = epoch = true; break;
        case OPT_LOCAL: local = c->tfmt_given = true; break;
        case 'z':
            if (!parse_u64(arg, &v) || v > 9)
                usage_error("-z needs a level from 0 to 9, not '%s'", arg);
            c->out.zlevel = (int)v;
            break;
        case OPT_SORT: {
            char why[256];
            gsort_spec_free(&c->sort);
            if (!gsort_parse(arg, &c->sort, why, sizeof why))
                usage_error("--sort: %s", why);
            c->sort_given = true;
            break;
        }
        case OPT_LIMIT:
            if (!parse_u64(arg, &c->sort.limit) || c->sort.limit == 0)
                usage_error("--limit needs a count of 1 or more, not '%s'", arg);
            c->limit_given = true;
            break;
        case 'c':
            if (!parse_u64(arg, &c->out.max) || c->out.max == 0)
                usage_error("-c needs a count of 1 or more, not '%s'", arg);
            break;
        case 'w':
            if (!*arg)
                usage_error("%s", "-w needs a file name");
            c->wfile = arg;
            break;
        case OPT_FORCE: c->force = true; break;
        case 'e': c->exit_status = true; break;
        case OPT_STATS:
            if (optarg && !*optarg)
                usage_error("%s", "--stats=FILE needs a file name");
            c->stats = true;
            c->stats_file = optarg;
            break;
        case 'v': c->verbose++; c->rd.verbose = true; break;
        case OPT_PROGRESS: c->progress = 1; break;
        case OPT_NOPROGRESS: c->progress = -1; break;
        case OPT_HELPF: helpf = true; break;
        case 'h': help(); exit(fflush(stdout) ? FQ_E_OUTPUT : FQ_OK);
        case 'V':
            printf("flowq %s (built %s with %s)\n", FLOWQ_VERSION, __DATE__,
#ifdef __clang__
                   "clang " __clang_version__
#else
                   "gcc " __VERSION__
#endif
            );
            exit(fflush(stdout) ? FQ_E_OUTPUT : FQ_OK);
        case ':': usage_error("option '%s' needs a value", argv[optind - 1]); break;
        default: bad_option(argv); break;
        }
        if (li >= 0)
            check_long_name(argv, li);
        li = -1;
    }
    if (helpf) {
        if (optind < argc)
            usage_error("--help-fields takes no operands, not '%s'", argv[optind]);
        fields_help(stdout);
        exit(fflush(stdout) ? FQ_E_OUTPUT : FQ_OK);
    }
    if (local && !epoch)
        c->out.tfmt = TFMT_LOCAL;
    if (local && epoch)
        usage_error("%s", "--epoch and --localtime exclude each other");
    check_options(c);
}


/* Input names: the operands, plus --files-from. */
static char **collect_inputs(struct cli *c, char **ops, size_t nops, size_t *n)
{
    char **v = xmalloc((nops + 1) * sizeof *v);
    size_t k = 0, cap = nops + 1;
    for (size_t i = 0; i < nops; i++)
        v[k++] = ops[i];
    if (c->files_from) {
        FILE *fp = strcmp(c->files_from, "-") == 0 ? stdin : fopen(c->files_from, "r");
        if (!fp) {
            fprintf(stderr, "flowq: %s: %s\n", c->files_from, strerror(errno));
            exit(FQ_E_INPUT);
        }
        char *line = NULL;
        size_t lcap = 0;
        ssize_t len;
        while ((len = getline(&line, &lcap, fp)) > 0) {
            if (line[len - 1] == '\n')
                line[--len] = '\0';
            if (len && line[len - 1] == '\r') /* a list written on Windows */
                line[--len] = '\0';
            if (len == 0)
                continue;
            if (k == cap)
                v = xrealloc(v, (cap *= 2) * sizeof *v);
            v[k++] = xstrdup(line);
        }
        free(line);
        if (fp != stdin)
            fclose(fp);
        if (k == 0) {
            fprintf(stderr, "flowq: %s: no input names\n", c->files_from);
            exit(FQ_E_INPUT);
        }
    }
    *n = k;
    return v;
}

/* A file name as a message shows it: control bytes (a newline, an escape
 * sequence, binary junk) as \xNN, so that one error stays one line and
 * cannot drive the terminal. */
static const char *shown_name(const char *name, char *buf, size_t n)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && k + 5 < n; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            k += (size_t)snprintf(buf + k, n - k, "\\x%02x", *p);
        else
            buf[k++] = (char)*p;
    buf[k] = '\0';
    return buf;
}

/* The reader's warnings (ft_reader_opts.warn): the run goes on. */
static void input_warning(const char *path, const char *msg)
{
    char name[1024];
    fprintf(stderr, "flowq: %s: warning: %s\n", shown_name(path, name, sizeof name), msg);
}

static void report(const struct fq_error *e)
{
    char name[4 * sizeof e->path + 1];
    shown_name(e->path, name, sizeof name);
    if (e->path[0] && e->line)
        fprintf(stderr, "flowq: %s:%u:%u: error: %s\n", name, e->line, e->col, e->msg);
    else if (e->path[0])
        fprintf(stderr, "flowq: %s: %s\n", name, e->msg);
    else
        fprintf(stderr, "flowq: %s\n", e->msg);
}

static char *read_file(const char *path, size_t *len, struct fq_error *err)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        fq_fail(err, FQ_E_QUERY, path, -1, "cannot open query: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0, got;
    char *buf = xmalloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n < 2)
            buf = xrealloc(buf, cap *= 2);
    }
    bool bad = ferror(fp);
    int e = errno;
    if (fp != stdin)
        fclose(fp);
    if (bad) {
        free(buf);
        fq_fail(err, FQ_E_QUERY, path, -1, "cannot read query: %s", strerror(e));
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Standard output is a terminal the user reads.  Under mpirun, rank 0's
 * standard output is mpirun's pseudo-terminal whatever mpirun itself
 * writes to, so flowq-mpi cannot tell, and takes it as not one (it does
 * not refuse -o ft there; mpirun passes the bytes unchanged). */
static bool stdout_tty(void)
{
#ifdef FQ_MPI
    return false;
#else
    return isatty(STDOUT_FILENO);
#endif
}

/* Output destination.  -w never replaces what is not a regular file:
 * - a regular file (after --force) or a new name is written as a temporary
 *   file beside it, renamed over it only when everything was written; a
 *   replaced file keeps its mode (and owner, where we may set it), a new
 *   one gets 0666 & ~umask;
 * - a symbolic link is followed: its target is the file written, and the
 *   temporary file is made in the target's directory;
 * - a FIFO or a device is opened and written directly (there is nothing
 *   to replace, and a reader waiting on a FIFO must get the data);
 * - the file that is standard output already (-w /dev/stdout) is written
 *   through standard output. */
struct dest {
    FILE *fp;
    char *tmp;                  /* temporary file to rename; NULL otherwise */
    char *final;                /* the name written (a symlink's target); NULL: stdout */
};

/* A destination that could not be made: the error, and nothing left to
 * free (the callers never close it). */
static int dest_fail(struct dest *d, int e, struct fq_error *err)
{
    fq_fail(err, FQ_E_OUTPUT, d->final, -1, "cannot create: %s", strerror(e));
    free(d->tmp);
    free(d->final);
    d->tmp = d->final = NULL;
    return FQ_E_OUTPUT;
}

/* The temporary file beside final, with the mode (and owner) of the file
 * it replaces (st), or 0666 & ~umask for a new one (st NULL). */
static int dest_temp(struct dest *d, const struct stat *st, mode_t mask, struct fq_error *err)
{
    size_t n = strlen(d->final);
    d->tmp = xmalloc(n + 16);
    snprintf(d->tmp, n + 16, "%s.tmp-XXXXXX", d->final);
    int fd = mkstemp(d->tmp);
    if (fd < 0) {
        return dest_fail(d, errno, err);
    }
    if (st && fchown(fd, st->st_uid, st->st_gid) != 0) {
        /* not ours to give away: the file becomes ours, its mode stays */
    }
    /* mkstemp makes 0600; flow records are sensitive, so never more than
     * the umask or the replaced file allows */
    if (fchmod(fd, st ? st->st_mode & 07777 : 0666 & ~mask) != 0 ||
        !(d->fp = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        unlink(d->tmp);
        return dest_fail(d, e, err);
    }
    return FQ_OK;
}

/* A FIFO or device named by -w: opened as it is, no temporary file. */
static int dest_direct(struct dest *d, const char *w, const struct cli *c, struct fq_error *err)
{
    int fd = open(w, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return fq_fail(err, FQ_E_OUTPUT, w, -1, "cannot open: %s", strerror(errno));
    if (c->out.fmt == FMT_FT && !c->force && isatty(fd)) {
        close(fd);
        return fq_fail(err, FQ_E_USAGE, w, -1,
                       "refusing to write binary -o ft to a terminal (use --force)");
    }
    if (!(d->fp = fdopen(fd, "wb"))) {
        close(fd);
        return fq_fail(err, FQ_E_OUTPUT, w, -1, "cannot open: %s", strerror(errno));
    }
    d->final = xstrdup(w);
    return FQ_OK;
}

static int dest_open(struct dest *d, const struct cli *c, struct fq_error *err)
{
    *d = (struct dest){0}; /* fp is set on every path that returns FQ_OK */
    struct stat st, so;
    const char *w = c->wfile;
    if (w && stat(w, &st) == 0 && fstat(STDOUT_FILENO, &so) == 0 && st.st_dev == so.st_dev &&
        st.st_ino == so.st_ino)
        w = NULL; /* standard output itself */
    if (!w) {
        if (c->out.fmt == FMT_FT && !c->force && stdout_tty())
            return fq_fail(err, FQ_E_USAGE, NULL, -1,
                           "refusing to write binary -o ft to a terminal (use -w FILE, a pipe, or --force)");
        d->fp = stdout;
        return FQ_OK;
    }
    if (stat(w, &st) != 0) {
        if (errno != ENOENT)
            return fq_fail(err, FQ_E_OUTPUT, w, -1, "cannot open: %s", strerror(errno));
        if (lstat(w, &st) == 0)
            return fq_fail(err, FQ_E_OUTPUT, w, -1,
                           "is a symbolic link to a missing file; name the file itself");
        d->final = xstrdup(w);
        return dest_temp(d, NULL, c->umask, err);
    }
    if (S_ISDIR(st.st_mode))
        return fq_fail(err, FQ_E_OUTPUT, w, -1, "is a directory");
    if (S_ISSOCK(st.st_mode))
        return fq_fail(err, FQ_E_OUTPUT, w, -1,
                       "is a socket; -w writes files, FIFOs and devices");
    if (!S_ISREG(st.st_mode))
        return dest_direct(d, w, c, err);
    if (!c->force)
        return fq_fail(err, FQ_E_OUTPUT, w, -1, "file exists (use --force to overwrite)");
    struct stat ls;
    /* a symlink is followed: its target is replaced, in its directory */
    d->final = lstat(w, &ls) == 0 && S_ISLNK(ls.st_mode) ? realpath(w, NULL) : xstrdup(w);
    if (!d->final)
        return fq_fail(err, FQ_E_OUTPUT, w, -1, "cannot open: %s", strerror(errno));
    return dest_temp(d, &st, c->umask, err);
}

/* Finish the destination; on failure remove the temporary file. */
static int dest_close(struct dest *d, bool ok, struct fq_error *err)
{
    /* The output modules know no names: a write error they report gets the
     * destination's here. */
    if (err->code == FQ_E_OUTPUT && !err->path[0] && strncmp(err->msg, "write error", 11) == 0)
        snprintf(err->path, sizeof err->path, "%s", d->final ? d->final : "standard output");
    if (!d->final) {
        if (err->code == FQ_E_PIPE)
            return FQ_E_PIPE;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            if (errno == EPIPE)
                return fq_fail(err, FQ_E_PIPE, NULL, -1, "broken pipe");
            return fq_fail(err, FQ_E_OUTPUT, "standard output", -1, "write error: %s",
                           strerror(errno));
        }
        return FQ_OK;
    }
    /* a FIFO's reader that went away is a closed pipe like stdout's */
    bool flushed = fflush(d->fp) == 0 && !ferror(d->fp);
    if (!flushed && !d->tmp && errno == EPIPE)
        fq_fail(err, FQ_E_PIPE, NULL, -1, "broken pipe");
    if (ok && (!flushed || (d->tmp && fsync(fileno(d->fp)) != 0))) {
        fq_fail(err, FQ_E_OUTPUT, d->final, -1, "write error: %s", strerror(errno));
        ok = false;
    }
    if (fclose(d->fp) != 0 && ok) {
        fq_fail(err, FQ_E_OUTPUT, d->final, -1, "write error: %s", strerror(errno));
        ok = false;
    }
    if (d->tmp && ok && rename(d->tmp, d->final) != 0) {
        fq_fail(err, FQ_E_OUTPUT, d->final, -1, "cannot rename into place: %s", strerror(errno));
        ok = false;
    }
    if (d->tmp && !ok)
        unlink(d->tmp);
    free(d->tmp);
    free(d->final);
    if (err->code == FQ_E_PIPE)
        return FQ_E_PIPE;
    return ok ? FQ_OK : err->code;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* A --stats=FILE that cannot be written is an output error: scripts rely
 * on the file. */
/* -c was reached: not an error but a shorter run.  True when it was. */
static bool uncut(struct fq_error *err)
{
    if (err->code != FQ_E_CUT)
        return false;
    *err = (struct fq_error){.code = FQ_OK, .offset = -1};
    return true;
}

static int print_stats(const struct cli *c, const struct fq_query *q, const struct engine_stats *st,
                       bool cut, uint64_t elapsed, struct fq_error *err)
{
    if (c->stats) {
        FILE *fp = c->stats_file ? fopen(c->stats_file, "w") : stderr;
        if (!fp)
            return fq_fail(err, FQ_E_OUTPUT, c->stats_file, -1, "cannot write statistics: %s",
                           strerror(errno));
        {
            fputs("{\"branches\": {", fp);
            for (size_t i = 0; i < st->nbranches; i++) {
                const struct engine_branch_stats *b = &st->branch[i];
                fputs(i ? ", " : "", fp);
                json_str(fp, q->branches[i].name);
                fprintf(fp,
                        ": {\"records_in\": %llu, \"filtered\": %llu, \"groups\": %llu, "
                        "\"groups_kept\": %llu}",
                        (unsigned long long)b->records_in, (unsigned long long)b->filtered,
                        (unsigned long long)b->groups, (unsigned long long)b->groups_kept);
            }
            fprintf(fp,
                    "}, \"merger\": {\"tuples\": %llu}, \"ungrouper\": {\"records\": %llu%s}, "
                    "\"elapsed_ms\": %llu}\n",
                    (unsigned long long)st->tuples, (unsigned long long)st->records_out,
                    !c->out.max ? "" : cut ? ", \"cut\": true" : ", \"cut\": false",
                    (unsigned long long)elapsed);
            if (fp != stderr && (ferror(fp) | fclose(fp)))
                return fq_fail(err, FQ_E_OUTPUT, c->stats_file, -1,
                               "cannot write statistics: %s", strerror(errno));
        }
    }
    if (c->verbose) {
        for (size_t i = 0; i < st->nbranches; i++) {
            const struct engine_branch_stats *b = &st->branch[i];
            fprintf(stderr,
                    "flowq: branch %s: %llu records in, %llu filtered, %llu groups, %llu kept\n",
                    q->branches[i].name, (unsigned long long)b->records_in,
                    (unsigned long long)b->filtered, (unsigned long long)b->groups,
                    (unsigned long long)b->groups_kept);
        }
        fprintf(stderr, "flowq: merger: %llu tuples\nflowq: ungrouper: %llu %s\n",
                (unsigned long long)st->tuples, (unsigned long long)st->records_out,
                c->groups ? "group records" : "records");
        if (cut)
            fprintf(stderr, "flowq: output cut after %llu (-c)\n", (unsigned long long)c->out.max);
        fprintf(stderr, "flowq: elapsed: %llu ms\n", (unsigned long long)elapsed);
    }
    return FQ_OK;
}

/* The progress line, if wanted: forced, or on a terminal stderr once the
 * run is a second old -- but not while records go to that terminal. */
static struct progress *progress_start(struct cli *c, bool prints)
{
    bool tty = isatty(STDERR_FILENO);
    if (c->progress < 0 || (c->progress == 0 && (!tty || (prints && stdout_tty()))))
        return NULL;
    c->rd.prog = progress_new(stderr, c->progress > 0 ? 0 : 1000, tty);
    return c->rd.prog;
}

static void progress_stop(struct cli *c)
{
    progress_end(c->rd.prog);
    c->rd.prog = NULL;
}

static int run_print(struct cli *c, char **inputs, size_t ninputs, struct fq_error *err)
{
    progress_start(c, !c->wfile);
    /* Inputs first: a missing operand leaves no output, not even a header. */
    struct ft_reader *r = ft_reader_open(inputs, ninputs, &c->rd, err);
    if (!r)
        return err->code;
    struct dest d;
    int rc = dest_open(&d, c, err);
    if (rc) {
        ft_reader_close(r);
        return rc;
    }
    struct out *o = out_open(d.fp, &c->out, err);
    size_t nout = 0;
    if (o) {
        fq_run_print(r, o, err);
        uncut(err);
        progress_stop(c);
        nout = out_count(o);
        out_close(o, err);
    }
    ft_reader_close(r);
    progress_stop(c);
    dest_close(&d, err->code == FQ_OK, err);
    if (err->code)
        return err->code;
    return c->exit_status && nout == 0 ? FQ_E_NOMATCH : FQ_OK;
}

static int run_query(struct cli *c, const char *qpath, char **inputs, size_t ninputs,
                     struct fq_error *err)
{
    uint64_t t0 = now_ms();
    size_t len;
    char *src = read_file(qpath, &len, err);
    if (!src)
        return err->code;
    if (c->ndefs || memchr(src, '$', len)) {
        char *sub;
        size_t sublen;
        if (query_substitute(src, len, qpath, c->defs, c->ndefs, &sub, &sublen, stderr, err)) {
            free(src);
            return err->code;
        }
        free(src);
        src = sub;
        len = sublen;
    }
    struct fq_query *q = query_compile(src, len, qpath, stderr, err);
    free(src);
    if (!q)
        return FQ_E_QUERY;
    char why[320];
    if (c->sort_given && !gsort_check(&c->sort, q, why, sizeof why)) {
        query_free(q);
        return fq_fail(err, FQ_E_USAGE, NULL, -1, "--sort: %s", why);
    }
    if (c->check || c->dump || c->explain) {
        if (c->dump)
            query_dump(stdout, q);
        if (c->explain) {
            struct fq_plan *p = plan_make(q, c->groups);
            plan_explain(stdout, q, p);
            plan_free(p);
        }
        query_free(q);
        if (fflush(stdout) == 0 && !ferror(stdout))
            return FQ_OK;
        if (errno == EPIPE)
            return fq_fail(err, FQ_E_PIPE, NULL, -1, "broken pipe");
        return fq_fail(err, FQ_E_OUTPUT, "standard output", -1, "write error: %s", strerror(errno));
    }
    struct engine_stats st = {0};
    struct dest d;
    size_t nout = 0;
    bool cut = false;
    progress_start(c, false);
    struct fq_run_opts ro = {
        .rd = c->rd, .eng = c->eng, .groups = c->groups, .rows = c->rows};
    struct fq_run *run = run_read(q, inputs, ninputs, &ro, err);
    progress_stop(c);
    /* the destination only once the input is read: a missing input leaves
     * no output file, not even a header */
    if (run && dest_open(&d, c, err) == FQ_OK) {
        struct out *o = out_open(d.fp, &c->out, err);
        if (o) {
            fq_run_write(run, o, &st, err);
            cut = uncut(err);
            nout = out_count(o);
            out_close(o, err);
        }
        dest_close(&d, err->code == FQ_OK, err);
        /* a reader that went away ends the run quietly, counts included */
        if (err->code == FQ_OK || err->code == FQ_E_PIPE)
            print_stats(c, q, &st, cut, now_ms() - t0, err);
    }
    engine_stats_free(&st);
    fq_run_free(run);
    query_free(q);
    if (err->code)
        return err->code;
    return c->exit_status && nout == 0 ? FQ_E_NOMATCH : FQ_OK;
}

/* Test settings of the run path: FLOWQ_ROWS=full or =narrow fixes the
 * engine's rows (run.h), FLOWQ_PARTITIONS the partition count (engine.h),
 * so that the suites cover both rows and the partitioned runs on small
 * inputs. */
static void run_env(struct cli *c)
{
    const char *parts = getenv("FLOWQ_PARTITIONS");
    if (parts)
        c->eng.partitions = (unsigned)strtoul(parts, NULL, 10);
    const char *mode = getenv("FLOWQ_ROWS");
    if (mode && strcmp(mode, "full") == 0)
        c->rows = FQ_ROWS_FULL;
    else if (mode && strcmp(mode, "narrow") == 0)
        c->rows = FQ_ROWS_NARROW;
}

/* Everything parse_args and collect_inputs allocated; the first nops
 * inputs are argv's own strings. */
static void cli_free(struct cli *c, char **inputs, size_t ninputs, size_t nops)
{
    for (size_t i = nops; i < ninputs; i++)
        free(inputs[i]);
    free(inputs);
    for (size_t i = 0; i < c->ndefs; i++)
        free((char *)c->defs[i].name);
    free(c->defs);
    free((void *)c->out.fields);
    gsort_spec_free(&c->sort);
}

#ifdef FQ_MPI
/* flowq-mpi: standard input is rank 0's alone, so it can hold neither the
 * query, nor input names, nor records; ranks other than 0 write nothing
 * (their stdout and stderr are /dev/null already): no -w or --stats file,
 * no progress line. */
static void mpi_cli(struct cli *c, int rank, const char *qpath, char **ops, size_t nops)
{
    bool reads_stdin = nops == 0 && !c->files_from && !c->check && !c->dump && !c->explain;
    for (size_t i = 0; i < nops; i++)
        reads_stdin |= strcmp(ops[i], "-") == 0;
    if (reads_stdin || (qpath && strcmp(qpath, "-") == 0) ||
        (c->files_from && strcmp(c->files_from, "-") == 0))
        usage_error("%s", "flowq-mpi reads the query, --files-from and traces from files: "
                          "standard input is not shared with the other ranks");
    if (rank) {
        c->wfile = NULL;
        c->stats_file = NULL;
        c->progress = -1;
    }
}
#endif

int main(int argc, char **argv)
{
#ifdef FQ_MPI
    int rank = dist_start(&argc, &argv);
#endif
    struct cli c = {0};
    c.eng.max_tuples = 100000000;
    /* umask() can only be read by setting it: done here, before any
     * thread exists that could create a file meanwhile */
    c.umask = umask(0);
    umask(c.umask);
    c.rd.warn = input_warning;
    /* A closed pipe must end the run quietly: see EPIPE, not SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    parse_args(&c, argc, argv);
    if (c.rd.max_bytes) {
        /* Bounded memory: blocks from 32 MiB on are mappings of their
         * own, returned to the kernel when freed (a spilled run's
         * partitions come and go). */
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 64 << 20);
    } else {
        /* Every block from the heap, which is never trimmed below 1 GiB:
         * the engine frees and allocates arrays of the same sizes stage
         * after stage, and memory that stays mapped is reused without a
         * page fault (mapped blocks go back to the kernel at free and
         * fault in again page by page: on a VM that was a third of a
         * grouping's time); the price is fragmentation, up to twice the
         * budget, which is a quarter of memory. */
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }
    run_env(&c);

    char **ops = argv + optind;
    size_t nops = (size_t)(argc - optind);
    const char *qpath = NULL;
    if (!c.print) {
        if (nops == 0)
            usage_error("%s", "no query file given (usage: flowq [options] QUERY [TRACE|DIR|-]...)");
        qpath = ops[0];
        ops++;
        nops--;
        if (strcmp(qpath, "-") == 0 && nops == 0 && !c.files_from && !c.check && !c.dump)
            usage_error("%s", "the query may be '-' (standard input) only when traces are named");
    }
    if (qpath && strcmp(qpath, "-") == 0 && c.files_from && strcmp(c.files_from, "-") == 0)
        usage_error("%s", "the query and --files-from cannot both come from standard input");
#ifdef FQ_MPI
    mpi_cli(&c, rank, qpath, ops, nops);
#endif
    size_t ninputs;
    char **inputs = collect_inputs(&c, ops, nops, &ninputs);
    bool reads_stdin = ninputs == 0 && !c.check && !c.dump;
    for (size_t i = 0; i < ninputs; i++)
        if (strcmp(inputs[i], "-") == 0)
            reads_stdin = true;
    if (qpath && strcmp(qpath, "-") == 0 && reads_stdin)
        usage_error("%s", "the query and the trace cannot both come from standard input");
    if (reads_stdin && !c.check && !c.dump && !c.explain && isatty(STDIN_FILENO))
        usage_error("%s", "no trace given and standard input is a terminal");

    struct fq_error err = {.code = FQ_OK, .offset = -1};
    int rc = c.print ? run_print(&c, inputs, ninputs, &err)
                     : run_query(&c, qpath, inputs, ninputs, &err);
    if (err.code == FQ_E_PIPE)
        rc = FQ_OK;
    else if (err.code && err.msg[0])
        report(&err);
    cli_free(&c, inputs, ninputs, nops);
#ifdef FQ_MPI
    rc = dist_end(rc);
#endif
    return rc;
}
