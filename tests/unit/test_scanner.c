/* SPDX-License-Identifier: MIT
 * The query scanner (LANGUAGE.md 2): every token class with its value and
 * location, the boundaries of numbers, addresses and prefixes, time
 * units, hyphens in names, and the lexical errors.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "parse.h"
#include "parser.h"

struct scan {
    struct arena *a;
    struct diags d;
    struct parse_token *t;
    size_t n;
};

static void scan(struct scan *s, const char *src)
{
    s->a = arena_new();
    diag_init(&s->d, src, strlen(src), "t.fq");
    struct parse_ctx pc = {.ast = s->a, .diags = &s->d, .q = NULL};
    s->n = parse_tokens(src, strlen(src), &pc, &s->t);
}

static void done(struct scan *s)
{
    diag_free(&s->d);
    arena_free(s->a);
}

/* The message of the first diagnostic. */
static const char *msg0(const struct scan *s)
{
    return s->d.n ? s->d.v[0]->msg : "";
}

START_TEST(keywords_and_names)
{
    struct scan s;
    scan(&s, "splitter filter grouper groupfilter merger ungrouper module aggregate as "
             "branches branch br export delta rdelta in notin OR or NOT not f-mDNS pkt-sum _x1 f");
    const int want[] = {SPLITTER, FILTER, GROUPER, GROUPFILTER, MERGER, UNGROUPER, MODULE,
                        AGGREGATE, AS, BRANCHES, BRANCH, BRANCH, EXPORT, DELTA, RDELTA, IN,
                        NOTIN, OR, OR, NOT, NOT, IDENT, IDENT, IDENT, IDENT};
    ck_assert_uint_eq(s.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s.n; i++)
        ck_assert_int_eq(s.t[i].kind, want[i]);
    ck_assert_str_eq(s.t[21].text, "f-mDNS");
    ck_assert_str_eq(s.t[22].text, "pkt-sum");
    ck_assert_uint_eq(s.d.n, 0);
    done(&s);
}

START_TEST(hyphens_and_arrows)
{
    struct scan s;
    scan(&s, "M->U a-b- -> x-1-y filter-x");
    const int want[] = {IDENT, ARROW, IDENT, IDENT};
    ck_assert_int_eq(s.t[0].kind, want[0]);
    ck_assert_str_eq(s.t[0].text, "M");
    ck_assert_int_eq(s.t[1].kind, ARROW);
    ck_assert_str_eq(s.t[2].text, "U");
    ck_assert_str_eq(s.t[3].text, "a-b"); /* the trailing hyphen is not part of it */
    ck_assert_uint_eq(s.d.n, 1);          /* ... and a lone '-' is invalid */
    ck_assert_str_eq(msg0(&s), "invalid character '-'");
    ck_assert_int_eq(s.t[4].kind, ARROW);
    ck_assert_str_eq(s.t[5].text, "x-1-y");
    ck_assert_int_eq(s.t[6].kind, IDENT); /* a keyword only as a whole lexeme */
    ck_assert_str_eq(s.t[6].text, "filter-x");
    ck_assert_uint_eq(s.n, 7);
    done(&s);
}

START_TEST(integers)
{
    struct scan s;
    scan(&s, "0 80 18446744073709551615 0xFFFFFFFFFFFFFFFF 0x1f 007");
    ck_assert_uint_eq(s.n, 6);
    for (size_t i = 0; i < s.n; i++)
        ck_assert_int_eq(s.t[i].kind, INTEGER);
    ck_assert_uint_eq(s.t[0].lit.u, 0);
    ck_assert_uint_eq(s.t[1].lit.u, 80);
    ck_assert_uint_eq(s.t[2].lit.u, UINT64_MAX);
    ck_assert_uint_eq(s.t[3].lit.u, UINT64_MAX);
    ck_assert_uint_eq(s.t[4].lit.u, 31);
    ck_assert_uint_eq(s.t[5].lit.u, 7);
    ck_assert_uint_eq(s.d.n, 0);
    done(&s);
    scan(&s, "18446744073709551616");
    ck_assert_uint_eq(s.d.n, 1);
    ck_assert_str_eq(msg0(&s), "number '18446744073709551616' is too large");
    done(&s);
    scan(&s, "0x10000000000000000");
    ck_assert_str_eq(msg0(&s), "number '0x10000000000000000' is too large");
    done(&s);
    scan(&s, "1.5");
    ck_assert_str_eq(msg0(&s), "fractional numbers are not supported; use a smaller unit (e.g. 1500 ms)");
    done(&s);
}

START_TEST(times)
{
    struct scan s;
    scan(&s, "1 sec 1s 1440min 5 ms 2 h 3\tdays 7 msecs 1 minute 0x10 s 80 s-x 5353 srcport");
    const uint64_t v[] = {1000, 1000, 86400000, 5, 7200000, 3 * 86400000ull, 7, 60000};
    for (size_t i = 0; i < 8; i++) {
        ck_assert_int_eq(s.t[i].kind, TIME);
        ck_assert_uint_eq(s.t[i].lit.u, v[i]);
        ck_assert(s.t[i].lit.time);
    }
    ck_assert_str_eq(s.t[0].text, "1 sec");
    /* a hex number never takes a unit */
    ck_assert_int_eq(s.t[8].kind, INTEGER);
    ck_assert_uint_eq(s.t[8].lit.u, 16);
    ck_assert_int_eq(s.t[9].kind, IDENT);
    /* not a unit: the name is given back */
    ck_assert_int_eq(s.t[10].kind, INTEGER);
    ck_assert_uint_eq(s.t[10].lit.u, 80);
    ck_assert_int_eq(s.t[11].kind, IDENT);
    ck_assert_str_eq(s.t[11].text, "s-x");
    ck_assert_int_eq(s.t[12].kind, INTEGER);
    ck_assert_str_eq(s.t[13].text, "srcport");
    ck_assert_uint_eq(s.t[13].col, 70);
    ck_assert_uint_eq(s.n, 14);
    ck_assert_uint_eq(s.d.n, 0);
    done(&s);
    scan(&s, "213503982335 days 213503982334 days");
    ck_assert_uint_eq(s.d.n, 1);
    ck_assert_str_eq(msg0(&s), "number '213503982335 days' is too large");
    ck_assert_uint_eq(s.t[1].lit.u, 213503982334ull * 86400000ull);
    done(&s);
    /* m and d are Allen relations, not units */
    scan(&s, "5 m 5 d");
    ck_assert_uint_eq(s.n, 4);
    ck_assert_int_eq(s.t[0].kind, INTEGER);
    ck_assert_int_eq(s.t[1].kind, IDENT);
    done(&s);
}

START_TEST(addresses)
{
    struct scan s;
    scan(&s, "255.255.255.255 0.0.0.0 10.0.0.0/8 1.2.3.4/32 0.0.0.0/0 10.1.2.3/8");
    ck_assert_uint_eq(s.n, 6);
    ck_assert_int_eq(s.t[0].kind, IPV4);
    ck_assert_uint_eq(s.t[0].lit.u, 0xffffffffu);
    ck_assert_int_eq(s.t[1].kind, IPV4);
    ck_assert_uint_eq(s.t[1].lit.u, 0);
    ck_assert_int_eq(s.t[2].kind, PREFIX);
    ck_assert_uint_eq(s.t[2].lit.u, 0x0a000000u);
    ck_assert_uint_eq(s.t[2].lit.plen, 8);
    ck_assert_uint_eq(s.t[3].lit.u, 0x01020304u);
    ck_assert_uint_eq(s.t[3].lit.plen, 32);
    ck_assert_uint_eq(s.t[4].lit.plen, 0);
    ck_assert_uint_eq(s.t[5].lit.u, 0x0a000000u); /* masked, with a warning */
    ck_assert_uint_eq(s.d.n, 1);
    ck_assert_int_eq(s.d.v[0]->sev, DIAG_WARNING);
    ck_assert_str_eq(msg0(&s), "prefix '10.1.2.3/8' has host bits set; using '10.0.0.0/8'");
    done(&s);
    scan(&s, "256.0.0.1");
    ck_assert_str_eq(msg0(&s), "invalid IPv4 address '256.0.0.1'");
    done(&s);
    scan(&s, "1.2.3");
    ck_assert_str_eq(msg0(&s), "invalid IPv4 address '1.2.3'");
    done(&s);
    scan(&s, "1.2.3.4/33");
    ck_assert_str_eq(msg0(&s), "invalid prefix length in '1.2.3.4/33' (must be 0..32)");
    done(&s);
    scan(&s, "00:1b:21:3a:4f:5e");
    ck_assert_str_eq(msg0(&s), "MAC addresses are not supported: '00:1b:21:3a:4f:5e'");
    done(&s);
    scan(&s, "a : b");
    ck_assert_str_eq(msg0(&s), "invalid character ':'");
    done(&s);
    scan(&s, "1:2:3:4:5:6:7:8:9");
    ck_assert_str_eq(msg0(&s), "invalid IPv6 address '1:2:3:4:5:6:7:8:9'");
    done(&s);
    scan(&s, "1::2::3");
    ck_assert_str_eq(msg0(&s), "invalid IPv6 address '1::2::3'");
    done(&s);
    scan(&s, "2001:db8::/129");
    ck_assert_str_eq(msg0(&s), "invalid prefix length in '2001:db8::/129' (must be 0..128)");
    done(&s);
}

static const uint8_t ip6_1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

START_TEST(ipv6)
{
    struct scan s;
    scan(&s, "2001:db8::1 2001:DB8:0:0:0:0:0:1 :: ::ffff:1.2.3.4 fe80::1 2001:db8::/32 ::/0 "
             "::1/128 2001:db8::1/64 srcip=::1");
    ck_assert_uint_eq(s.n, 12);
    ck_assert_int_eq(s.t[0].kind, IPV4);
    ck_assert(s.t[0].lit.v6);
    ck_assert_mem_eq(s.t[0].lit.ip6, ip6_1, 16);
    ck_assert_uint_eq(s.t[0].lit.u, 0);
    ck_assert_str_eq(s.t[0].text, "2001:db8::1");
    ck_assert_mem_eq(s.t[1].lit.ip6, ip6_1, 16);            /* case and zeros don't matter */
    static const uint8_t zero[16], mapped[16] = {[10] = 0xff, 0xff, 1, 2, 3, 4},
                                   ll[16] = {0xfe, 0x80, [15] = 1};
    ck_assert_mem_eq(s.t[2].lit.ip6, zero, 16);
    ck_assert(s.t[2].lit.v6);
    ck_assert_mem_eq(s.t[3].lit.ip6, mapped, 16);
    ck_assert_mem_eq(s.t[4].lit.ip6, ll, 16);              /* not the name "fe80" */
    ck_assert_int_eq(s.t[5].kind, PREFIX);
    ck_assert_uint_eq(s.t[5].lit.plen, 32);
    static const uint8_t net[16] = {0x20, 0x01, 0x0d, 0xb8};
    ck_assert_mem_eq(s.t[5].lit.ip6, net, 16);
    ck_assert_uint_eq(s.t[6].lit.plen, 0);
    ck_assert_uint_eq(s.t[7].lit.plen, 128);
    ck_assert_int_eq(s.t[8].kind, PREFIX);                  /* masked, with a warning */
    ck_assert_mem_eq(s.t[8].lit.ip6, net, 16);
    ck_assert_int_eq(s.t[9].kind, IDENT);
    ck_assert_int_eq(s.t[10].kind, '=');
    ck_assert_int_eq(s.t[11].kind, IPV4);
    ck_assert_uint_eq(s.d.n, 1);
    ck_assert_int_eq(s.d.v[0]->sev, DIAG_WARNING);
    ck_assert_str_eq(msg0(&s), "prefix '2001:db8::1/64' has host bits set; using '2001:db8::/64'");
    done(&s);
}

START_TEST(strings_and_punctuation)
{
    struct scan s;
    scan(&s, "\"in\\\"put\\\\\" -> = != < <= > >= { } ( ) , . # comment = = =\n\"x\"");
    const int want[] = {STRING, ARROW, '=', NE, '<', LE, '>', GE, '{', '}', '(', ')', ',', '.',
                        STRING};
    ck_assert_uint_eq(s.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < s.n; i++)
        ck_assert_int_eq(s.t[i].kind, want[i]);
    ck_assert_uint_eq(s.t[14].line, 2);
    ck_assert_uint_eq(s.t[14].col, 1);
    ck_assert_uint_eq(s.d.n, 0);
    done(&s);
    scan(&s, "\"abc\ndef\"");
    ck_assert_str_eq(msg0(&s), "unterminated string");
    done(&s);
    scan(&s, "\"a\\nb\"");
    ck_assert_str_eq(msg0(&s), "unknown escape sequence '\\n' in string");
    done(&s);
    scan(&s, "a & b | c ; d \x80");
    ck_assert_uint_eq(s.d.n, 4);
    ck_assert_str_eq(s.d.v[0]->msg, "invalid character '&'");
    ck_assert_str_eq(s.d.v[3]->msg, "invalid character '\\x80'");
    done(&s);
}

START_TEST(long_names_and_error_limit)
{
    char name[300];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    struct scan s;
    scan(&s, name);
    ck_assert_str_eq(msg0(&s), "name is longer than 255 characters");
    done(&s);
    name[255] = '\0';
    scan(&s, name);
    ck_assert_uint_eq(s.d.n, 0);
    done(&s);
    /* past the limit the scanner stops, so garbage cannot flood the output */
    scan(&s, ";;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;; x");
    ck_assert_uint_eq(s.d.n, PARSE_MAX_ERRORS);
    ck_assert_uint_eq(s.n, 0);
    done(&s);
}

int main(void)
{
    Suite *su = suite_create("scanner");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, keywords_and_names);
    tcase_add_test(tc, hyphens_and_arrows);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, times);
    tcase_add_test(tc, addresses);
    tcase_add_test(tc, ipv6);
    tcase_add_test(tc, strings_and_punctuation);
    tcase_add_test(tc, long_names_and_error_limit);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
