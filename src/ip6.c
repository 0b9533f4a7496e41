/* SPDX-License-Identifier: MIT
 * IPv6 text, prefixes and the engine's address table (see ip6.h).
 */
#include "ip6.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "util.h"

bool ip6_parse(const char *s, size_t n, uint8_t a[16])
{
    char buf[IP6_TEXT_MAX];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, a) == 1;
}

static char *put_hex16(char *p, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    bool lead = true;
    for (int sh = 12; sh >= 0; sh -= 4) {
        unsigned d = v >> sh & 15;
        if (d || !lead || sh == 0) {
            *p++ = hex[d];
            lead = false;
        }
    }
    return p;
}

static char *put_dec8(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

char *ip6_put(char *p, const uint8_t a[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    bool v4 = memcmp(a, mapped, 12) == 0;
    int ng = v4 ? 6 : 8;
    int best = -1, bestlen = 1;     /* a single zero group is not compressed */
    for (int i = 0; i < ng;) {
        int j = i;
        while (j < ng && g[j] == 0)
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    for (int i = 0; i < ng; i++) {
        if (i == best) {
            *p++ = ':';
            if (i == 0)
                *p++ = ':';
            i += bestlen - 1;
            continue;
        }
        p = put_hex16(p, g[i]);
        if (i < ng - 1 || v4)
            *p++ = ':';
    }
    if (v4)
        for (int i = 12; i < 16; i++) {
            p = put_dec8(p, a[i]);
            if (i < 15)
                *p++ = '.';
        }
    return p;
}

bool ip6_mask(uint8_t a[16], unsigned plen)
{
    bool had = false;
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;
        uint8_t m = (uint8_t)(keep ? 0xffu << (8 - keep) : 0);
        had |= (a[i] & ~m) != 0;
        a[i] &= m;
    }
    return had;
}

static size_t hash16(const uint8_t a[16])
{
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, a + 8, 8);
    uint64_t h = (x ^ (y * 0x9e3779b97f4a7c15u)) * 0xff51afd7ed558ccdu;
    return (size_t)(h ^ h >> 29);
}

static void rehash(struct ip6_tab *t)
{
    free(t->h);
    t->hcap = t->hcap ? 2 * t->hcap : 1024;
    t->h = xcalloc(t->hcap, sizeof *t->h);
    for (size_t id = 0; id < t->n; id++) {
        size_t i = hash16(t->a[id]) & (t->hcap - 1);
        while (t->h[i])
            i = (i + 1) & (t->hcap - 1);
        t->h[i] = (uint32_t)id + 1;
    }
}

uint32_t ip6_tab_add(struct ip6_tab *t, const uint8_t a[16])
{
    if (2 * (t->n + 1) > t->hcap)
        rehash(t);
    size_t i = hash16(a) & (t->hcap - 1);
    for (; t->h[i]; i = (i + 1) & (t->hcap - 1))
        if (memcmp(t->a[t->h[i] - 1], a, 16) == 0)
            return t->h[i] - 1;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->a = xrealloc(t->a, t->cap * sizeof *t->a);
    }
    memcpy(t->a[t->n], a, 16);
    t->h[i] = (uint32_t)t->n + 1;
    return (uint32_t)t->n++;
}

static const uint8_t (*sort_base)[16];

static int cmp_id(const void *x, const void *y)
{
    return memcmp(sort_base[*(const uint32_t *)x], sort_base[*(const uint32_t *)y], 16);
}

uint32_t *ip6_tab_rank(struct ip6_tab *t)
{
    free(t->h);
    t->h = NULL;
    t->hcap = 0;
    t->ranked = true;
    if (t->n == 0)
        return NULL;
    uint32_t *ord = xmalloc(t->n * sizeof *ord);
    for (size_t i = 0; i < t->n; i++)
        ord[i] = (uint32_t)i;
    sort_base = (const uint8_t(*)[16])t->a;  /* ranking is single-threaded (ip6.h) */
    qsort(ord, t->n, sizeof *ord, cmp_id);
    uint8_t (*s)[16] = xmalloc(t->n * sizeof *s);
    uint32_t *rank = xmalloc(t->n * sizeof *rank);
    for (size_t r = 0; r < t->n; r++) {
        memcpy(s[r], t->a[ord[r]], 16);
        rank[ord[r]] = (uint32_t)r;
    }
    free(ord);
    free(t->a);
    t->a = s;
    t->cap = t->n;
    return rank;
}

/* The first rank whose address is >= a. */
static size_t lower_bound(const struct ip6_tab *t, const uint8_t a[16])
{
    size_t lo = 0, hi = t ? t->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(t->a[mid], a, 16) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint64_t ip6_tab_key(const struct ip6_tab *t, const uint8_t a[16])
{
    size_t r = lower_bound(t, a);
    if (t && r < t->n && memcmp(t->a[r], a, 16) == 0)
        return IP6_KEY + ip6_slot((uint32_t)r);
    return IP6_KEY + 2 * (uint64_t)r;
}

void ip6_tab_range(const struct ip6_tab *t, const uint8_t net[16], unsigned plen, uint64_t *lo,
                   uint64_t *hi)
{
    uint8_t last[16];
    memcpy(last, net, 16);
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;
        last[i] |= (uint8_t)(keep == 8 ? 0 : 0xffu >> keep);
    }
    size_t a = lower_bound(t, net), b = lower_bound(t, last);
    if (t && b < t->n && memcmp(t->a[b], last, 16) == 0)
        b++;
    *lo = IP6_KEY + 2 * (uint64_t)a;
    *hi = IP6_KEY + 2 * (uint64_t)b;
}

void ip6_tab_free(struct ip6_tab *t)
{
    free(t->a);
    free(t->h);
    memset(t, 0, sizeof *t);
}
