/* SPDX-License-Identifier: MIT
 * The -t time window (twin.h): times on the command line and in file and
 * directory names.
 */
#include "twin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MS_S = 1000, MS_M = 60 * MS_S, MS_H = 60 * MS_M, ZONE_MAX_MS = 14 * MS_H };
static const int64_t MS_D = 24 * (int64_t)MS_H;

/* n decimal digits at *p into *v; advances *p. */
static bool digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct civil {
    int y, mo, d, h, mi, s, ms;
};

static bool civil_ok(const struct civil *c)
{
    return c->y >= 1970 && c->mo >= 1 && c->mo <= 12 && c->d >= 1 && c->d <= mdays(c->y, c->mo) &&
           c->h <= 23 && c->mi <= 59 && c->s <= 59;
}

static int64_t civil_utc(const struct civil *c)
{
    return days_from_civil(c->y, c->mo, c->d) * MS_D + (int64_t)c->h * MS_H +
           (int64_t)c->mi * MS_M + (int64_t)c->s * MS_S + c->ms;
}

/* A civil time in the local time zone (TZ), as nfcapd names files. */
static int64_t civil_local(const struct civil *c)
{
    struct tm tm = {.tm_year = c->y - 1900, .tm_mon = c->mo - 1, .tm_mday = c->d,
                    .tm_hour = c->h, .tm_min = c->mi, .tm_sec = c->s, .tm_isdst = -1};
    time_t t = mktime(&tm);
    return (int64_t)t * MS_S + c->ms;
}

/* -2h, -30m, -1d, -90s, -1w: now minus that. */
static bool parse_relative(const char *s, uint64_t now_ms, uint64_t *ms)
{
    const char *p = s + 1;
    uint64_t n = 0;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9') {
        n = n * 10 + (uint64_t)(*p++ - '0');
        if (n > 1000000000)
            return false;
    }
    uint64_t unit = *p == 's' ? MS_S : *p == 'm' ? MS_M : *p == 'h' ? MS_H
                  : *p == 'd' ? (uint64_t)MS_D : *p == 'w' ? 7 * (uint64_t)MS_D : 0;
    if (!unit || p[1] || n * unit > now_ms)
        return false;
    *ms = now_ms - n * unit;
    return true;
}

/* Z, +HH:MM, -HHMM, +HH or nothing (UTC); *off in ms east of UTC. */
static bool parse_zone(const char *p, int64_t *off)
{
    *off = 0;
    if (!*p || ((*p == 'Z' || *p == 'z') && !p[1]))
        return true;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1, h, m = 0;
    if (!digits(&p, 2, &h))
        return false;
    if (*p == ':')
        p++;
    if (*p && !digits(&p, 2, &m))
        return false;
    if (*p || h > 14 || m > 59)
        return false;
    *off = sign * ((int64_t)h * MS_H + (int64_t)m * MS_M);
    return true;
}

/* Epoch seconds: all digits, at least 9 of them (not a year). */
static bool parse_epoch(const char *s, uint64_t *ms)
{
    size_t n = strspn(s, "0123456789");
    if (n < 9 || n > 12 || s[n])
        return false;
    *ms = (uint64_t)strtoull(s, NULL, 10) * MS_S;
    return true;
}

bool twin_parse_time_ex(const char *s, uint64_t now_ms, uint64_t *ms, uint64_t *unit)
{
    *unit = 0;
    if (s[0] == '-')
        return parse_relative(s, now_ms, ms);
    *unit = MS_S;
    if (parse_epoch(s, ms))
        return true;
    struct civil c = {0};
    const char *p = s;
    if (!digits(&p, 4, &c.y) || *p++ != '-' || !digits(&p, 2, &c.mo) || *p++ != '-' ||
        !digits(&p, 2, &c.d))
        return false;
    *unit = (uint64_t)MS_D;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &c.h))
            return false;
        *unit = MS_H;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &c.mi))
                return false;
            *unit = MS_M;
        }
        if (*unit == MS_M && *p == ':') {
            p++;
            if (!digits(&p, 2, &c.s))
                return false;
            *unit = MS_S;
            if (*p == '.') {
                int scale = 100;
                if (*++p < '0' || *p > '9')
                    return false;
                for (; *p >= '0' && *p <= '9'; p++, scale /= 10) {
                    c.ms += (*p - '0') * scale;
                    if (scale)
                        *unit = (uint64_t)scale;
                }
            }
        }
    }
    int64_t off;
    if (!parse_zone(p, &off) || !civil_ok(&c))
        return false;
    int64_t t = civil_utc(&c) - off;
    if (t < 0)
        return false;
    *ms = (uint64_t)t;
    return true;
}

bool twin_parse_time(const char *s, uint64_t now_ms, uint64_t *ms)
{
    uint64_t unit;
    return twin_parse_time_ex(s, now_ms, ms, &unit);
}

bool twin_parse(const char *arg, uint64_t now_ms, struct fq_twin *w, char *why, size_t whylen)
{
    char buf[128];
    const char *slash = strchr(arg, '/');
    size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
    if (n >= sizeof buf) {
        snprintf(why, whylen, "'%s' is not a time", arg);
        return false;
    }
    memcpy(buf, arg, n);
    buf[n] = '\0';
    *w = (struct fq_twin){.on = true, .end = UINT64_MAX};
    if (!twin_parse_time(buf, now_ms, &w->start)) {
        snprintf(why, whylen, "'%s' is not a time (YYYY-MM-DD[THH[:MM[:SS]]][Z|+HH:MM], epoch seconds or -2h, -30m, -1d)",
                 buf);
        return false;
    }
    uint64_t unit;
    if (slash && twin_parse_time_ex(slash + 1, now_ms, &w->end, &unit)) {
        w->end += unit;     /* END names the last period in the window */
    } else if (slash) {
        snprintf(why, whylen, "'%s' is not a time (YYYY-MM-DD[THH[:MM[:SS]]][Z|+HH:MM], epoch seconds or -2h, -30m, -1d)",
                 slash + 1);
        return false;
    }
    if (w->end <= w->start) {
        snprintf(why, whylen, "the window '%s' ends before it starts", arg);
        return false;
    }
    return true;
}

/* flow-capture: [tmp-|ft-]vNN.YYYY-MM-DD.HHMMSS(+|-)HHMM */
static bool capture_time(const char *p, int64_t *ms)
{
    struct civil c = {0};
    int ver, oh, om;
    if (strncmp(p, "ft-v", 4) == 0)
        p += 4;
    else if (strncmp(p, "tmp-v", 5) == 0)
        p += 5;
    else
        return false;
    if (!digits(&p, 2, &ver) || *p++ != '.' || !digits(&p, 4, &c.y) || *p++ != '-' ||
        !digits(&p, 2, &c.mo) || *p++ != '-' || !digits(&p, 2, &c.d) || *p++ != '.' ||
        !digits(&p, 2, &c.h) || !digits(&p, 2, &c.mi) || !digits(&p, 2, &c.s))
        return false;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1;
    if (!digits(&p, 2, &oh) || !digits(&p, 2, &om) || *p || oh > 14 || om > 59 || !civil_ok(&c))
        return false;
    *ms = civil_utc(&c) - sign * ((int64_t)oh * MS_H + (int64_t)om * MS_M);
    return true;
}

/* nfcapd: nfcapd.YYYYMMDDhhmm[ss], local time */
static bool nfcapd_time(const char *p, int64_t *ms)
{
    struct civil c = {0};
    if (strncmp(p, "nfcapd.", 7) != 0)
        return false;
    p += 7;
    if (!digits(&p, 4, &c.y) || !digits(&p, 2, &c.mo) || !digits(&p, 2, &c.d) ||
        !digits(&p, 2, &c.h) || !digits(&p, 2, &c.mi))
        return false;
    if (*p && !digits(&p, 2, &c.s))
        return false;
    if (*p || !civil_ok(&c))
        return false;
    *ms = civil_local(&c);
    return true;
}

bool twin_file_time(const char *base, int64_t *ms)
{
    return capture_time(base, ms) || nfcapd_time(base, ms);
}

bool twin_dir_span(const char *base, int64_t *lo, int64_t *hi)
{
    const char *p = base;
    int y, m = 0, d = 0;
    if (!digits(&p, 4, &y) || y < 1970)
        return false;
    if (*p == '-') {
        p++;
        if (!digits(&p, 2, &m) || m < 1 || m > 12)
            return false;
        if (*p == '-') {
            p++;
            if (!digits(&p, 2, &d) || d < 1 || d > mdays(y, m))
                return false;
        }
    }
    if (*p)
        return false;
    if (m == 0) {
        *lo = days_from_civil(y, 1, 1) * MS_D;
        *hi = days_from_civil(y + 1, 1, 1) * MS_D;
    } else if (d == 0) {
        *lo = days_from_civil(y, m, 1) * MS_D;
        *hi = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * MS_D;
    } else {
        *lo = days_from_civil(y, m, d) * MS_D;
        *hi = *lo + MS_D;
    }
    *lo -= ZONE_MAX_MS;
    *hi += ZONE_MAX_MS;
    return true;
}

bool twin_file_outside(const struct fq_twin *w, int64_t t, int64_t t_end)
{
    int64_t first = t - (int64_t)TWIN_SLACK_MS;       /* earliest stime */
    int64_t after = t_end + (int64_t)TWIN_SLACK_MS;   /* every etime is below */
    if (after <= 0 || (uint64_t)after <= w->start)
        return true;
    return w->end != UINT64_MAX && first >= 0 && (uint64_t)first >= w->end;
}

bool twin_dir_outside(const struct fq_twin *w, int64_t lo, int64_t hi)
{
    return twin_file_outside(w, lo, hi + (int64_t)TWIN_MAX_FILE_MS);
}
