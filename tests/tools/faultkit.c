/* SPDX-License-Identifier: MIT
 * Fault helper for tests/suite-faults.sh: makes the input and output faults
 * of the reliability suite happen at a known moment without LD_PRELOAD, and checks that
 * what flowq wrote before a fault is well-formed.  Every subcommand that
 * runs a command exits with the command's status (128+N for signal N), so
 * the suite sees flowq's own status through it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: faultkit gen N                      v5 trace of N records on stdout\n"
    "       faultkit shrink FILE SIZE CMD...    truncate FILE to SIZE (-1: unlink it)\n"
    "                                           once CMD has written its first output\n"
    "       faultkit shrink-open FILE SIZE CMD... the same, as soon as CMD has FILE\n"
    "                                           open or mapped\n"
    "       faultkit feed FILE CHUNK CMD...     CMD's stdin is FILE, CHUNK bytes at a\n"
    "                                           time, CMD stopped and continued between\n"
    "       faultkit maxrss OUT CMD...          write CMD's peak RSS in KiB to OUT\n"
    "       faultkit jsoncheck FILE             FILE is one JSON array: print its length\n";

static void fk_die(const char *what)
{
    fprintf(stderr, "faultkit: %s: %s\n", what, strerror(errno));
    exit(125);
}

/* ---- gen ---- */

static void fk_put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void fk_put32(unsigned char *p, uint32_t v)
{
    fk_put16(p, v & 0xffff);
    fk_put16(p + 2, v >> 16);
}

/* Record i is a pure function of i: times 20 ms apart, 50 source hosts,
 * 7 destinations, ports 80/443/53/22 in turn, srcport 1024 + i (so it
 * names one record while N <= 64511). */
static int fk_gen(unsigned long n)
{
    static const unsigned ports[4] = {80, 443, 53, 22};
    unsigned char hdr[24] = {0xcf, 0x10, 1, 3};
    fk_put32(hdr + 4, sizeof hdr);
    fk_put16(hdr + 8, 2);       /* EX_VER */
    fk_put16(hdr + 10, 2);
    fk_put16(hdr + 12, 5);
    fk_put16(hdr + 14, 8);      /* HEADER_FLAGS: STREAMING */
    fk_put16(hdr + 16, 4);
    fk_put32(hdr + 18, 0x08);
    if (fwrite(hdr, 1, sizeof hdr, stdout) != sizeof hdr)
        fk_die("write");
    for (unsigned long i = 0; i < n; i++) {
        unsigned char r[64] = {0};
        unsigned dport = ports[i % 4];
        uint32_t pk = 1 + (uint32_t)(i % 13), first = 100000 + (uint32_t)i * 20;
        fk_put32(r + 0, 1700000000);             /* unix_secs */
        fk_put32(r + 8, 1000000);                /* sysUpTime */
        fk_put32(r + 12, 0x7f000001);            /* exaddr */
        fk_put32(r + 16, 0x0a000000u | (uint32_t)(i % 50));
        fk_put32(r + 20, 0xc0a80000u | (uint32_t)(i % 7));
        fk_put16(r + 28, 1);
        fk_put16(r + 30, 2);
        fk_put32(r + 32, pk);
        fk_put32(r + 36, pk * (40 + (uint32_t)(i % 1400)));
        fk_put32(r + 40, first);
        fk_put32(r + 44, first + (uint32_t)(i % 7) * 100);
        fk_put16(r + 48, (unsigned)((1024 + i) & 0xffff));
        fk_put16(r + 50, dport);
        r[52] = dport == 53 ? 17 : 6;
        r[54] = dport == 53 ? 0 : 0x1b;
        r[58] = 24;
        r[59] = 16;
        if (fwrite(r, 1, sizeof r, stdout) != sizeof r)
            fk_die("write");
    }
    if (fflush(stdout) != 0)
        fk_die("write");
    return 0;
}

/* ---- running a command ---- */

static int fk_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 126;
}

/* Start argv with the given fds as its stdin/stdout (-1: inherit). */
static pid_t fk_spawn(char **argv, int in, int out, int close_in_child)
{
    pid_t pid = fork();
    if (pid < 0)
        fk_die("fork");
    if (pid == 0) {
        if (in >= 0 && dup2(in, STDIN_FILENO) < 0)
            _exit(125);
        if (out >= 0 && dup2(out, STDOUT_FILENO) < 0)
            _exit(125);
        if (close_in_child >= 0)
            close(close_in_child);
        if (in > STDERR_FILENO)
            close(in);
        if (out > STDERR_FILENO)
            close(out);
        execvp(argv[0], argv);
        fprintf(stderr, "faultkit: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

static void fk_sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void fk_shrink_now(const char *file, long long size)
{
    if (size < 0 ? unlink(file) != 0 : truncate(file, (off_t)size) != 0)
        fk_die(file);
}

static bool fk_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Does process pid have file open or mapped?  Compares device and inode,
 * so any path spelling matches. */
static bool fk_has_open(pid_t pid, const struct stat *want)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *fp = fopen(path, "r");
    if (fp) {
        while (fgets(line, sizeof line, fp)) {
            unsigned maj, min;
            unsigned long long ino;
            if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) == 3 &&
                ino == (unsigned long long)want->st_ino && maj == major(want->st_dev) &&
                min == minor(want->st_dev)) {
                fclose(fp);
                return true;
            }
        }
        fclose(fp);
    }
    for (int fd = 0; fd < 64; fd++) {
        struct stat st;
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
        if (stat(path, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino)
            return true;
    }
    return false;
}

/* shrink / shrink-open: see usage.  Output of the command is copied to our
 * stdout; the first chunk is held back until the file has been changed so
 * that the command cannot finish first. */
static int fk_shrink(const char *file, const char *size_s, char **argv, bool on_open)
{
    long long size = strtoll(size_s, NULL, 10);
    struct stat want;
    if (stat(file, &want) != 0)
        fk_die(file);
    int p[2];
    if (pipe(p) != 0)
        fk_die("pipe");
    pid_t pid = fk_spawn(argv, -1, p[1], p[0]);
    close(p[1]);
    bool done = false;
    if (on_open) {
        for (int i = 0; i < 200000 && !done; i++) {
            if (fk_has_open(pid, &want)) {
                fk_shrink_now(file, size);
                done = true;
            } else {
                siginfo_t si = {0};
                if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid)
                    break;
            }
            fk_sleep_us(50);
        }
    }
    char buf[65536];
    ssize_t got;
    while ((got = read(p[0], buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fk_die("read");
        }
        if (!done) {
            fk_shrink_now(file, size);
            done = true;
        }
        if (!fk_write_all(STDOUT_FILENO, buf, (size_t)got))
            fk_die("write");
    }
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            fk_die("waitpid");
    if (!done)
        fprintf(stderr, "faultkit: %s was not changed: the command ended first\n", file);
    return fk_status(st);
}

/* feed: the command reads FILE from a pipe in CHUNK-byte pieces and is
 * stopped and continued between pieces, so its reads are short and
 * interrupted; the output must not change. */
static int fk_feed(const char *file, const char *chunk_s, char **argv)
{
    long chunk = strtol(chunk_s, NULL, 10);
    if (chunk <= 0 || chunk > 65536) {
        fputs(usage, stderr);
        return 125;
    }
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        fk_die(file);
    int p[2];
    if (pipe(p) != 0)
        fk_die("pipe");
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = fk_spawn(argv, p[0], -1, p[1]);
    close(p[0]);
    char buf[65536];
    ssize_t got;
    unsigned long n = 0;
    while ((got = read(fd, buf, (size_t)chunk)) > 0) {
        if (!fk_write_all(p[1], buf, (size_t)got))
            break; /* the command stopped reading: its status tells why */
        if (++n % 4 == 0) {
            kill(pid, SIGSTOP);
            fk_sleep_us(20);
            kill(pid, SIGCONT);
        }
    }
    close(fd);
    close(p[1]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            fk_die("waitpid");
    return fk_status(st);
}

static int fk_maxrss(const char *out, char **argv)
{
    pid_t pid = fk_spawn(argv, -1, -1, -1);
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0)
        if (errno != EINTR)
            fk_die("wait4");
    FILE *fp = fopen(out, "w");
    if (!fp || fprintf(fp, "%ld\n", ru.ru_maxrss) < 0 || fclose(fp) != 0)
        fk_die(out);
    return fk_status(st);
}

/* ---- jsoncheck: a strict RFC 8259 recogniser, iterative so that deep
 * nesting in a bad file cannot overflow our stack ---- */

struct fk_json {
    const char *p, *end, *start;
};

static void fk_ws(struct fk_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool fk_lit(struct fk_json *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

static bool fk_string(struct fk_json *j)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    for (j->p++; j->p < j->end; j->p++) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++j->p >= j->end)
                return false;
            if (*j->p == 'u') {
                for (int k = 0; k < 4; k++)
                    if (++j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p))
                        return false;
            } else if (!strchr("\"\\/bfnrt", *j->p)) {
                return false;
            }
        }
    }
    return false;
}

static bool fk_digits(struct fk_json *j)
{
    const char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s;
}

static bool fk_number(struct fk_json *j)
{
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (!fk_digits(j))
        return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!fk_digits(j))
            return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!fk_digits(j))
            return false;
    }
    return true;
}

/* Returns the number of top-level array elements, or -1. */
static long fk_json_array(struct fk_json *j)
{
    char stack[4096];   /* '[' or '{' per open level */
    size_t depth = 0;
    long top = 0;
    fk_ws(j);
    if (j->p >= j->end || *j->p != '[')
        return -1;
    for (;;) {
        /* at the start of a container, or after a ',' */
        fk_ws(j);
        if (j->p < j->end && (*j->p == '[' || *j->p == '{')) {
            if (depth == sizeof stack)
                return -1;
            stack[depth++] = *j->p++;
            fk_ws(j);
            if (j->p < j->end && (*j->p == ']' || *j->p == '}')) {
                if (*j->p != (stack[depth - 1] == '[' ? ']' : '}'))
                    return -1;
                j->p++;
                depth--;
                goto after_value;
            }
            if (stack[depth - 1] == '{')
                goto key;
            continue;
        }
        if (!(fk_string(j) || fk_lit(j, "true") || fk_lit(j, "false") || fk_lit(j, "null") ||
              fk_number(j)))
            return -1;
    after_value:
        if (depth == 0)
            break;
        if (depth == 1)
            top++;
        fk_ws(j);
        if (j->p >= j->end)
            return -1;
        if (*j->p == ',') {
            j->p++;
            if (stack[depth - 1] == '{') {
            key:
                fk_ws(j);
                if (!fk_string(j))
                    return -1;
                fk_ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return -1;
                j->p++;
            }
            continue;
        }
        if (*j->p != (stack[depth - 1] == '[' ? ']' : '}'))
            return -1;
        j->p++;
        depth--;
        goto after_value;
    }
    fk_ws(j);
    return j->p == j->end ? top : -1;
}

static int fk_jsoncheck(const char *file)
{
    FILE *fp = fopen(file, "rb");
    if (!fp)
        fk_die(file);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    if (!buf || ferror(fp))
        fk_die(file);
    fclose(fp);
    struct fk_json j = {buf, buf + n, buf};
    long len = fk_json_array(&j);
    if (len < 0) {
        fprintf(stderr, "faultkit: %s: not one well-formed JSON array (stops at byte %ld)\n", file,
                (long)(j.p - j.start));
        free(buf);
        return 1;
    }
    printf("%ld\n", len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "gen") == 0)
        return fk_gen(strtoul(argv[2], NULL, 10));
    if (argc >= 5 && strcmp(argv[1], "shrink") == 0)
        return fk_shrink(argv[2], argv[3], argv + 4, false);
    if (argc >= 5 && strcmp(argv[1], "shrink-open") == 0)
        return fk_shrink(argv[2], argv[3], argv + 4, true);
    if (argc >= 5 && strcmp(argv[1], "feed") == 0)
        return fk_feed(argv[2], argv[3], argv + 4);
    if (argc >= 4 && strcmp(argv[1], "maxrss") == 0)
        return fk_maxrss(argv[2], argv + 3);
    if (argc == 3 && strcmp(argv[1], "jsoncheck") == 0)
        return fk_jsoncheck(argv[2]);
    fputs(usage, stderr);
    return 125;
}
