/* SPDX-License-Identifier: MIT
 * flowq-gen internals: the seeded random source and its distributions, the
 * flow under construction, the planted patterns and the NetFlow v5, v9 and
 * IPFIX UDP exporter.  Everything random flows from one --seed through
 * rng_*, and the maths avoids libm so that a seed gives the same bytes on
 * every machine.
 */
#ifndef FQ_GEN_H
#define FQ_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flowq.h"
#include "record.h"

/* ---- random numbers (gen_rand.c) ---- */

struct rng {
    uint64_t s[4];             /* xoshiro256** state */
};

uint64_t rng_mix(uint64_t x);  /* splitmix64 finaliser: a fixed bijection */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *r);
double rng_unit(struct rng *r);                    /* [0, 1) */
uint64_t rng_below(struct rng *r, uint64_t n);     /* [0, n), n > 0 */
uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi); /* [lo, hi] */
bool rng_chance(struct rng *r, double p);
double rng_normal(struct rng *r);                  /* mean 0, sd 1 (Irwin-Hall 12) */
double rng_pareto(struct rng *r, double xm, double alpha);
double rng_lognormal(struct rng *r, double median, double sigma);

/* ln and exp from + - * / only (libm's last bits differ between systems). */
double gmath_log(double x);
double gmath_exp(double x);

/* ---- flows ---- */

/* A flow between its creation and its export.  Times are ms since the
 * epoch; the exporter turns them into router uptimes. */
struct gen_flow {
    uint64_t start, end, export;
    uint32_t srcip, dstip, packets, bytes;
    uint16_t srcport, dstport;
    uint8_t proto, tos, tcp_flags;
    int32_t plant;             /* index into the plant table, -1 = background */
};

/* Address plan shared by the background and the plants. */
#define GEN_IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define GEN_ROUTER GEN_IP(10, 0, 0, 1)

/* ---- planted patterns (gen_plant.c) ---- */

struct plant_info {
    const char *pattern;       /* e.g. "skype-signature" */
    int instance;              /* 1, 2, ...; decoys are instances too */
    const char *queries;       /* comma-separated example queries that must
                                  output this record, "-" for none */
};

struct plant_set {
    struct gen_flow *flows;    /* sorted by start time */
    size_t n;
    struct plant_info *info;   /* one per flow: info[flows[i].plant] */
    size_t ninfo;
};

/* Build the fixed set of planted flows for a trace that starts at t0 (ms)
 * and covers span_ms.  Deterministic in (seed, t0, span_ms) only. */
void plant_build(struct plant_set *ps, uint64_t seed, uint64_t t0, uint64_t span_ms);
void plant_free(struct plant_set *ps);

/* ---- NetFlow v5, v9 and IPFIX over UDP (gen_udp.c, gen_tmpl.c) ---- */

enum gen_xfmt { GX_V5, GX_V9, GX_IPFIX };

/* Encoder state of one v9/IPFIX exporter (one source id / observation
 * domain); zero the counters before the first message. */
struct tmpl_enc {
    enum gen_xfmt fmt;         /* GX_V9 or GX_IPFIX */
    uint32_t domain;           /* v9 source id, IPFIX observation domain */
    uint32_t messages;         /* messages encoded so far (v9 sequence) */
    uint32_t records;          /* data records so far (IPFIX sequence) */
};

#define TMPL_BUF 1500          /* a buffer that holds any one message */

/* Encode one message into buf (TMPL_BUF bytes) from the first of the n > 0
 * records, all of one export time (r->sysuptime, unix_secs, unix_nsecs,
 * stime, etime consistent); *used is how many it took (at least 1).
 * IPv6 flows are those with (v6 & 1 << F_SRCIP); their dstip and nexthop
 * are IPv6 too.  Returns the message length. */
size_t tmpl_encode(struct tmpl_enc *e, const struct fq_rec *recs, size_t n, unsigned char *buf,
                   size_t *used);

struct udpx;

/* "HOST:PORT" or "[V6]:PORT"; rate in flows per second (0 = unlimited);
 * fmt the export protocol. */
struct udpx *udpx_open(const char *target, unsigned rate, enum gen_xfmt fmt,
                       struct fq_error *err);
/* Records of one export packet, at most 30, all with the same export time;
 * v5 sends them as one datagram, v9 and IPFIX as one or more messages.
 * v5 cannot hold IPv6 flows: the caller must not pass any. */
int udpx_send(struct udpx *u, const struct fq_rec *recs, size_t n, struct fq_error *err);
void udpx_close(struct udpx *u);

#endif
