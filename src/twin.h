/* SPDX-License-Identifier: MIT
 * The -t time window: parsing START[/END], the record test, and the times
 * that flow-capture and nfcapd file names and their directory trees carry,
 * so that files that cannot hold a record of the window are never opened.
 * Times are milliseconds since 1970-01-01 UTC, like fq_rec's stime/etime.
 */
#ifndef FQ_TWIN_H
#define FQ_TWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The window [start, end): a record overlaps it when
 * etime >= start && stime < end.  end == UINT64_MAX: open-ended. */
struct fq_twin {
    bool on;
    uint64_t start, end;
};

/* How far a time-named file's records may reach beyond the interval its
 * name gives: flows that began before the file opened (active timeouts,
 * export delay) or whose end stamps run ahead of the collector's clock. */
#define TWIN_SLACK_MS (3600u * 1000u)
/* The longest interval assumed for a file with no later neighbour. */
#define TWIN_MAX_FILE_MS (86400u * 1000u)

/* Parse "START[/END]": each an RFC 3339 time or YYYY-MM-DD[THH[:MM[:SS]]]
 * (UTC unless an offset such as Z, +01:00 or -0500 is given; a space may
 * stand for T; a fraction of a second is kept to the millisecond), epoch
 * seconds (9 to 12 digits), or a time relative to now_ms such as -2h,
 * -30m, -1d, -90s.  END names the last period inside the window at its
 * precision, so the window ends where that period ends: "2026-11-28/
 * 2026-11-28" is the whole day, ".../2026-11-28T14:30" ends at 14:31.
 * Returns false and writes a reason to why (whylen bytes) when arg is
 * not such a window or ends before it starts. */
bool twin_parse(const char *arg, uint64_t now_ms, struct fq_twin *w, char *why, size_t whylen);

/* One time as twin_parse reads START; *unit (ms) is the length of the
 * period its precision names (1 day for a date, 1 h for THH, ..., 1000
 * for epoch seconds, 0 for relative times, which are exact). */
bool twin_parse_time_ex(const char *s, uint64_t now_ms, uint64_t *ms, uint64_t *unit);
bool twin_parse_time(const char *s, uint64_t now_ms, uint64_t *ms);

/* Does the record interval [stime, etime] overlap the window? */
static inline bool twin_rec(const struct fq_twin *w, uint64_t stime, uint64_t etime)
{
    return etime >= w->start && stime < w->end;
}

/* The start time a file name carries, in ms: flow-capture's
 * "ft-v05.2026-11-28.143000+0100" (exact, with its offset; tmp- files
 * too) or nfcapd's "nfcapd.202611281430" (local time, as nfcapd names
 * them).  base is the name without its directory.  False: no time. */
bool twin_file_time(const char *base, int64_t *ms);

/* The span [lo, hi) of local days a directory named YYYY, YYYY-MM or
 * YYYY-MM-DD covers, widened by 14 hours each way so that no time zone
 * can put a file of it outside.  False: not such a name. */
bool twin_dir_span(const char *base, int64_t *lo, int64_t *hi);

/* The file decision: a file named with start t, whose interval ends at
 * t_end, can only hold records with stime >= t - TWIN_SLACK_MS and
 * etime < t_end + TWIN_SLACK_MS (it holds the flows that ended while it
 * was open).  True when no such record can overlap the window. */
bool twin_file_outside(const struct fq_twin *w, int64_t t, int64_t t_end);

/* The same for a directory span from twin_dir_span: its last file may
 * stay open up to TWIN_MAX_FILE_MS past the span. */
bool twin_dir_outside(const struct fq_twin *w, int64_t lo, int64_t hi);

#endif
