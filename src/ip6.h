/* SPDX-License-Identifier: MIT
 * IPv6 addresses (16 bytes, network byte order): text in and out, prefix
 * tests, and the engine's per-run table of distinct addresses.
 *
 * The engine's widened value of an address field (row_get, union fq_val)
 * is a KEY: an IPv4 address is itself (< 2^32); an IPv6 address is
 * IP6_KEY + 2 * rank + 1, where rank is its position among the run's
 * distinct IPv6 addresses in ascending order.  So key order is address
 * order with every IPv4 address before every IPv6 one, equal keys are
 * equal addresses of the same family, and an IPv6 constant the run does
 * not hold maps to the even key IP6_KEY + 2 * (its insertion point),
 * which sorts where the address would and equals no present one.
 */
#ifndef FQ_IP6_H
#define FQ_IP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define IP6_KEY ((uint64_t)1 << 32)

enum { IP6_TEXT_MAX = 46 };     /* longest text of ip6_put, plus one */

/* Text to address (any form RFC 4291 allows, incl. embedded IPv4);
 * false when s[0..n) is not one. */
bool ip6_parse(const char *s, size_t n, uint8_t a[16]);

/* RFC 5952 text: lowercase, the longest run (leftmost on ties) of two or
 * more zero groups as "::", IPv4-mapped addresses as ::ffff:a.b.c.d.
 * Writes at most IP6_TEXT_MAX - 1 bytes, no NUL; returns the end. */
char *ip6_put(char *p, const uint8_t a[16]);

/* Clears the host bits of a past plen (0..128); true if any was set. */
bool ip6_mask(uint8_t a[16], unsigned plen);

/* a in net/plen (net has no host bits). */
static inline bool ip6_in(const uint8_t a[16], const uint8_t net[16], unsigned plen)
{
    unsigned full = plen / 8, rest = plen % 8;
    if (memcmp(a, net, full) != 0)
        return false;
    return rest == 0 || ((a[full] ^ net[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

/* The distinct IPv6 addresses of a run.  ip6_tab_add gives each a
 * provisional id; after the last add, ip6_tab_rank sorts them and tells
 * the caller how ids became ranks; then the lookups below apply.  Not
 * thread-safe while adding; read-only lookups after ranking are. */
struct ip6_tab {
    uint8_t (*a)[16];           /* by id, then (ranked) ascending */
    size_t n, cap;
    uint32_t *h;                /* open addressing: id + 1, 0 empty */
    size_t hcap;
    bool ranked;
};

uint32_t ip6_tab_add(struct ip6_tab *t, const uint8_t a[16]);

/* Sorts the addresses; returns rank[id] (malloc'd, n entries, the
 * caller frees; NULL when n == 0).  Frees the hash. */
uint32_t *ip6_tab_rank(struct ip6_tab *t);

/* The 32-bit slot a key stores beside its v6 flag, from a rank. */
static inline uint32_t ip6_slot(uint32_t rank)
{
    return 2 * rank + 1;
}

/* The address of an IPv6 key (>= IP6_KEY) of a ranked table. */
static inline const uint8_t *ip6_tab_addr(const struct ip6_tab *t, uint64_t key)
{
    return t->a[(key - IP6_KEY) / 2];
}

/* The key of a, present or not, in a ranked table (or none: t NULL). */
uint64_t ip6_tab_key(const struct ip6_tab *t, const uint8_t a[16]);

/* Keys k of the addresses in net/plen are lo <= k < hi. */
void ip6_tab_range(const struct ip6_tab *t, const uint8_t net[16], unsigned plen, uint64_t *lo,
                   uint64_t *hi);

void ip6_tab_free(struct ip6_tab *t);

#endif
