/* SPDX-License-Identifier: MIT
 * Decoder of nfdump files (nfcapd/nfdump 1.7 file layout 2 with V3
 * records, and nfdump 1.6's layout 1 with type 10 records and extension
 * maps), blocks uncompressed, LZO, BZ2, LZ4 or ZSTD, behind the reader
 * interface of input.h.
 *
 * Field mapping (a V3 record's extensions -> struct fq_rec):
 *   EXgenericFlow  msecFirst -> stime, msecLast -> etime (exact);
 *                  inPackets -> packets, inBytes -> bytes (saturating at
 *                  2^32-1); srcPort, dstPort (ICMP: type*256+code, as
 *                  nfcapd stores it), proto, tcpFlags, srcTos -> tos
 *   EXipv4Flow / EXipv6Flow          -> srcip, dstip
 *   EXflowMisc     input, output (saturating at 65535), srcMask, dstMask
 *   EXasRouting    srcAS, dstAS (saturating at 65535)
 *   EXipNextHopV4 / V6               -> nexthop (not the BGP next hop)
 *   EXipReceivedV4 / V6              -> exaddr (the exporter's address)
 *   header         engineType, engineID
 * A 1.6 record maps the same way (first/last + msec_first/msec_last,
 * extensions 4/5 interfaces, 6/7 AS, 8 masks, 9/10 next hop, 23/24
 * router address -> exaddr, 25 router id -> engine type and id).
 * nfdump keeps no exporter uptime, so the raw time fields describe a
 * virtual exporter that booted at the flow's start and exported it at its
 * end: unix_secs/unix_nsecs = msecLast, sysUpTime = Last = msecLast -
 * msecFirst, First = 0; duration is the same difference.  flow-tools'
 * ftltime() of these gives stime and etime back exactly, so -o ft keeps
 * them.  When msecLast < msecFirst the difference is 0 (stime and etime
 * stay exact); a difference of 2^32 ms or more saturates.
 * Everything else (other extensions, exporter and sampler records, the
 * appendix) is checked for size and skipped.
 */
#ifndef FQ_NFDUMP_H
#define FQ_NFDUMP_H

#include "input.h"

extern const struct in_format in_nfdump;

#endif
