/* SPDX-License-Identifier: MIT
 * ipfix_write: writes tests/data/ipfix/elements.ipfix with libfixbuf's
 * exporter, for the elements softflowd does not send: IPv6 next hop and
 * exporter, Total counts, Seconds and SysUpTime times, interfaces, AS
 * numbers and counts wider than flowq's fields, prefix lengths, engine
 * type and id, icmpTypeCodeIPv6 in a TCP record, and an options record announcing the exporter address and
 * the system init time of observation domain 7.
 * Usage: ipfix_write OUT.ipfix
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <fixbuf/public.h>

struct v6rec {
    uint8_t src[16], dst[16], nh[16], ex[16];
    uint64_t pkts, octs;
    uint32_t start_s, end_s, in, out, sas, das;
    uint16_t sport, dport, flags, icmp6;
    uint8_t proto, tos, smask, dmask, etype, eid, pad[2];
};

static fbInfoElementSpec_t v6spec[] = {
    {"sourceIPv6Address", 16, 0}, {"destinationIPv6Address", 16, 0},
    {"ipNextHopIPv6Address", 16, 0}, {"exporterIPv6Address", 16, 0},
    {"packetTotalCount", 8, 0}, {"octetTotalCount", 8, 0},
    {"flowStartSeconds", 4, 0}, {"flowEndSeconds", 4, 0},
    {"ingressInterface", 4, 0}, {"egressInterface", 4, 0},
    {"bgpSourceAsNumber", 4, 0}, {"bgpDestinationAsNumber", 4, 0},
    {"sourceTransportPort", 2, 0}, {"destinationTransportPort", 2, 0},
    {"tcpControlBits", 2, 0}, {"icmpTypeCodeIPv6", 2, 0},
    {"protocolIdentifier", 1, 0}, {"ipClassOfService", 1, 0},
    {"sourceIPv6PrefixLength", 1, 0}, {"destinationIPv6PrefixLength", 1, 0},
    {"engineType", 1, 0}, {"engineId", 1, 0}, {"paddingOctets", 2, 0},
    FB_IESPEC_NULL};

struct v4rec {
    uint64_t pkts, octs;
    uint32_t src, dst, nh, start_up, end_up;
    uint8_t smask, dmask, proto, pad[5];
};

static fbInfoElementSpec_t v4spec[] = {
    {"packetDeltaCount", 8, 0}, {"octetDeltaCount", 8, 0},
    {"sourceIPv4Address", 4, 0}, {"destinationIPv4Address", 4, 0},
    {"ipNextHopIPv4Address", 4, 0},
    {"flowStartSysUpTime", 4, 0}, {"flowEndSysUpTime", 4, 0},
    {"sourceIPv4PrefixLength", 1, 0}, {"destinationIPv4PrefixLength", 1, 0},
    {"protocolIdentifier", 1, 0}, {"paddingOctets", 5, 0},
    FB_IESPEC_NULL};

struct optrec {
    uint64_t init;
    uint32_t pid, ex;
};

static fbInfoElementSpec_t optspec[] = {
    {"systemInitTimeMilliseconds", 8, 0}, {"exportingProcessId", 4, 0},
    {"exporterIPv4Address", 4, 0}, FB_IESPEC_NULL};

static GError *ge;

static int die(const char *what)
{
    fprintf(stderr, "ipfix_write: %s: %s\n", what, ge ? ge->message : "failed");
    return 1;
}

static uint16_t add(fbSession_t *s, fbInfoModel_t *m, fbInfoElementSpec_t *spec, uint16_t tid, int scope)
{
    fbTemplate_t *t = fbTemplateAlloc(m);
    if (!fbTemplateAppendSpecArray(t, spec, UINT32_MAX, &ge))
        return 0;
    if (scope)
        fbTemplateSetOptionsScope(t, (uint16_t)scope);
    if (!fbSessionAddTemplate(s, TRUE, tid, t, &ge) || !fbSessionAddTemplate(s, FALSE, tid, t, &ge))
        return 0;
    return tid;
}

static int put(fBuf_t *b, uint16_t tid, void *rec, size_t n)
{
    return fBufSetInternalTemplate(b, tid, &ge) && fBufSetExportTemplate(b, tid, &ge) &&
           fBufAppend(b, rec, n, &ge);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ipfix_write OUT.ipfix\n");
        return 2;
    }
    fbInfoModel_t *m = fbInfoModelAlloc();
    fbSession_t *s = fbSessionAlloc(m);
    fBuf_t *b = fBufAllocForExport(s, fbExporterAllocFile(argv[1]));
    fbSessionSetDomain(s, 7);
    if (!add(s, m, v6spec, 0x400, 0) || !add(s, m, v4spec, 0x401, 0) || !add(s, m, optspec, 0x402, 1))
        return die("template");
    if (!fbSessionExportTemplates(s, &ge))
        return die("export templates");
    struct v6rec a;
    memset(&a, 0, sizeof a);
    static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2},
                         nh[16] = {0xfe, 0x80, [15] = 0xfe}, ex[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 9};
    memcpy(a.src, src, 16);
    memcpy(a.dst, dst, 16);
    memcpy(a.nh, nh, 16);
    memcpy(a.ex, ex, 16);
    a.pkts = 70000;
    a.octs = UINT64_C(6000000000);      /* above 2^32-1 */
    a.start_s = 1700000100;
    a.end_s = 1700000160;
    a.in = 3;
    a.out = 70000;                      /* above 65535 */
    a.sas = 64500;
    a.das = 4200000000u;                /* a 4-byte AS number */
    a.sport = 5353;
    a.dport = 443;
    a.flags = 0x112;                    /* ECN-nonce bit + ACK SYN */
    a.icmp6 = 0x0102;                   /* in a TCP record: not its port */
    a.proto = 6;
    a.tos = 0x28;
    a.smask = 48;
    a.dmask = 64;
    a.etype = 1;
    a.eid = 9;
    struct v4rec c = {.pkts = UINT64_C(5000000000), .octs = 1234, .src = 0x0A000001, .dst = 0x0A000002,
                      .nh = 0x0A0000FE, .start_up = 1000, .end_up = 2500, .smask = 8, .dmask = 24, .proto = 17};
    struct optrec o = {.init = UINT64_C(1700000000000), .pid = 42, .ex = 0xCB007109}; /* 203.0.113.9 */
    if (!put(b, 0x400, &a, sizeof a) || !put(b, 0x401, &c, sizeof c) || !put(b, 0x402, &o, sizeof o) ||
        !put(b, 0x401, &c, sizeof c))
        return die("append");
    if (!fBufEmit(b, &ge))
        return die("emit");
    fBufFree(b);
    fbInfoModelFree(m);
    return 0;
}
