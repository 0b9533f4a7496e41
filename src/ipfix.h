/* SPDX-License-Identifier: MIT
 * Decoder of IPFIX files (RFC 5655: IPFIX messages, RFC 7011, back to
 * back) with libfixbuf.  The reader frames the messages itself (so that
 * every error names a byte offset) and hands each whole message to
 * libfixbuf, which transcodes every data record into one internal
 * template holding the IPv4 and IPv6 flow elements below.
 *
 * Field mapping (information element -> struct fq_rec):
 *   sourceIPv4Address / sourceIPv6Address           -> srcip
 *   destinationIPv4Address / destinationIPv6Address -> dstip
 *   ipNextHopIPv4Address / ipNextHopIPv6Address     -> nexthop
 *   exporterIPv4Address / exporterIPv6Address       -> exaddr; when the
 *       flow record lacks both, the address an options record of the same
 *       observation domain announced last (RFC 5655's export session
 *       details, YAF's statistics), else 0.  A file does not keep the
 *       UDP sender's address that nfcapd stores there.
 *   sourceTransportPort, destinationTransportPort   -> srcport, dstport;
 *       for ICMP and ICMPv6 records of a template with icmpTypeCodeIPv4 /
 *       icmpTypeCodeIPv6, that (type*256+code) -> dstport
 *   protocolIdentifier -> proto, ipClassOfService -> tos,
 *   tcpControlBits -> tcp_flags (the low 8 bits)
 *   packetDeltaCount, octetDeltaCount -> packets, bytes; the Total counts
 *       when a template has no Delta count; saturating at 2^32-1
 *   ingressInterface, egressInterface -> input, output;
 *   bgpSourceAsNumber, bgpDestinationAsNumber -> src_as, dst_as
 *       (saturating at 65535)
 *   source/destinationIPv4PrefixLength or ...IPv6PrefixLength -> src_mask,
 *   dst_mask; engineType, engineId -> engine_type, engine_id
 *   stime, etime: flowStart/EndMilliseconds; else ...Microseconds (NTP
 *       format, truncated to ms); else ...Seconds (*1000); else
 *       ...SysUpTime + systemInitTimeMilliseconds (from the record, or
 *       else the last options record of the observation domain that
 *       carried it; 0 if none did)
 *   The raw time fields describe, as for nfdump files, a virtual exporter
 *   that booted at the flow's start and exported it at its end:
 *   unix_secs/unix_nsecs = etime, sysuptime = last = duration =
 *   etime - stime (0 if negative, saturating), first = 0.
 * Biflows (RFC 5103): a record with reverse counts (reverseOctetDeltaCount,
 * reversePacketDeltaCount or their Total forms) gives two flowq records:
 * the forward one as above (nfdump keeps exactly that one, with the
 * reverse counts as its "out" counters), then, when a reverse count is
 * not 0, the reverse one: source and destination swapped (addresses,
 * ports, masks, AS numbers, ingress/egress), packets/bytes, tos and
 * tcp_flags from the reverse elements, times, next hop, exporter and
 * engine as the forward record.  ICMP keeps its type/code in dstport.
 * Records of templates that carry none of the address or count elements
 * above (options records) are not flows: they give no record.  Unknown
 * elements are ignored.
 */
#ifndef FQ_IPFIX_H
#define FQ_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flowq.h"
#include "input.h"
#include "record.h"

/* Where the decoder's bytes come from: fill makes at least need unread
 * bytes available at *p unless the input ends first and returns how many
 * are (fewer only at the end), -1 on a read error with *err filled; skip
 * consumes n of them; off is the byte offset of the read position. */
struct ipfix_io {
    void *ctx;
    ssize_t (*fill)(void *ctx, size_t need, const unsigned char **p, struct fq_error *err);
    void (*skip)(void *ctx, size_t n);
    uint64_t (*off)(void *ctx);
};

struct ipfix_reader;

/* Whether p[0..n) starts like an IPFIX message: version 10 (16-bit, big
 * endian); n >= 2.  No other format flowq reads starts so (flow-tools:
 * 0xCF 0x10), so a damaged header after it is an IPFIX error. */
bool ipfix_probe(const unsigned char *p, size_t n);

/* A decoder reading from io (which must outlive it), messages naming
 * name (copied).  Returns NULL with *err filled if libfixbuf cannot be
 * set up. */
struct ipfix_reader *ipfix_open_io(const struct ipfix_io *io, const char *name, struct fq_error *err);

/* A decoder of the file at path, or of the open descriptor fd (not
 * closed by ipfix_close) when path is NULL; pre[0..npre) are bytes already
 * read from it (format detection) that come first.  name is for
 * messages. */
struct ipfix_reader *ipfix_open_fd(int fd, const char *path, const char *name,
                                   const unsigned char *pre, size_t npre, struct fq_error *err);

/* A decoder of the bytes p[0..n) (not copied; they must outlive it). */
struct ipfix_reader *ipfix_open_mem(const unsigned char *p, size_t n, const char *name,
                                    struct fq_error *err);

/* Decode up to cap (> 0) records into buf, rec_id 0, 1, ... in the order
 * of the stream.  Returns the count; 0 at the end of the stream (the end
 * of the input, or bytes that are not an IPFIX message header: another
 * stream may start there, with the read position at it); -1 with *err
 * filled (FQ_E_INPUT, the name and the byte offset of the message at
 * fault) on corrupt or truncated input.  After -1 only ipfix_close. */
ssize_t ipfix_next(struct ipfix_reader *r, struct fq_rec *buf, size_t cap, struct fq_error *err);

/* Frees r (NULL is fine); closes a file ipfix_open_fd opened. */
void ipfix_close(struct ipfix_reader *r);

/* The decoder as one of the reader's formats (ipfix_in.c, input.h). */
extern const struct in_format in_ipfix;

#endif
