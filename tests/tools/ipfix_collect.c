/* SPDX-License-Identifier: MIT
 * ipfix_collect: a minimal IPFIX-over-UDP collector that stores what an
 * exporter sends as an IPFIX file (RFC 5655: the messages back to back),
 * byte for byte, so that a fixture is the exporter's own encoding.  It
 * listens on 127.0.0.1 (the port is written to PORTFILE), checks that
 * every datagram is one IPFIX message (version 10, length = datagram
 * size), and ends when nothing has arrived for IDLE_MS milliseconds after
 * the first message (or 10 s before it).
 * Usage: ipfix_collect PORTFILE OUT.ipfix [IDLE_MS]
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: ipfix_collect PORTFILE OUT.ipfix [IDLE_MS]\n");
        return 2;
    }
    int idle = argc == 4 ? atoi(argv[3]) : 1000;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || getsockname(fd, (struct sockaddr *)&sa, &sl)) {
        perror("ipfix_collect: socket");
        return 1;
    }
    FILE *pf = fopen(argv[1], "w"), *out = fopen(argv[2], "wb");
    if (!pf || !out) {
        perror("ipfix_collect: open");
        return 1;
    }
    fprintf(pf, "%u\n", ntohs(sa.sin_port));
    if (fclose(pf))
        return 1;
    unsigned long n = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, n ? idle : 10000) <= 0)
            break;
        unsigned char b[65536];
        ssize_t got = recv(fd, b, sizeof b, 0);
        if (got < 16 || b[0] != 0 || b[1] != 10 || (b[2] << 8 | b[3]) != got) {
            fprintf(stderr, "ipfix_collect: datagram %lu is not one IPFIX message\n", n + 1);
            return 1;
        }
        if (fwrite(b, 1, (size_t)got, out) != (size_t)got)
            return 1;
        n++;
    }
    if (fclose(out))
        return 1;
    fprintf(stderr, "ipfix_collect: %lu messages\n", n);
    return n ? 0 : 1;
}
