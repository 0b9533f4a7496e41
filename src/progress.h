/* SPDX-License-Identifier: MIT
 * The progress line: while a run reads its input, one self-updating line
 * on standard error (files and bytes read of the total, records/s,
 * elapsed time and an estimate of the rest).  main.c decides whether it
 * is wanted (a terminal, --progress, --no-progress); the reader reports.
 */
#ifndef FQ_PROGRESS_H
#define FQ_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress;

/* A line on fp.  delay_ms: nothing is shown before the run is that old
 * (a quick run shows nothing); tty: the line is redrawn in place with \r
 * and erased at the end (otherwise each update is a line of its own). */
struct progress *progress_new(FILE *fp, uint64_t delay_ms, bool tty);

/* The inputs (the reader's expanded list; "-" and other non-regular
 * files have no known size): their count and total bytes. */
void progress_inputs(struct progress *p, char *const *paths, size_t n);

/* The reader's position: files opened so far, bytes read, records
 * decoded.  Redraws at most a few times a second. */
void progress_update(struct progress *p, size_t files, uint64_t bytes, uint64_t records);

/* Erase the line (if one was shown) and free p; NULL is fine. */
void progress_end(struct progress *p);

/* "1.5 GB", "730 kB", "12 B" into buf (decimal units, as ls -h --si). */
void progress_size(char *buf, size_t len, uint64_t bytes);

#endif
