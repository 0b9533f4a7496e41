/* SPDX-License-Identifier: MIT
 * Benchmark floor: inflates the record area of one compressed flow-tools
 * file (everything after the header) with plain zlib into a 256 KiB buffer
 * and prints the inflated byte count; nothing is decoded.  What any
 * reader of the file must spend at least.
 *
 *   zinflate FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: zinflate FILE\n", stderr);
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    unsigned char h[8];
    if (!fp || fread(h, 1, 8, fp) != 8 || h[0] != 0xCF || h[1] != 0x10 || h[3] != 3) {
        fprintf(stderr, "zinflate: %s: not a version 3 flow-tools file\n", argv[1]);
        return 4;
    }
    uint32_t hlen = h[2] == 1 ? (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24
                              : (uint32_t)h[7] | (uint32_t)h[6] << 8 | (uint32_t)h[5] << 16 | (uint32_t)h[4] << 24;
    if (fseek(fp, hlen, SEEK_SET) != 0)
        return 4;
    enum { IN = 1 << 20, OUT = 1 << 18 };
    unsigned char *in = malloc(IN), *out = malloc(OUT);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return 5;
    uint64_t total = 0;
    int ret = Z_OK;
    while (ret != Z_STREAM_END) {
        z.avail_in = (uInt)fread(in, 1, IN, fp);
        z.next_in = in;
        if (z.avail_in == 0)
            break;
        while (z.avail_in > 0 && ret != Z_STREAM_END) {
            z.next_out = out;
            z.avail_out = OUT;
            ret = inflate(&z, Z_NO_FLUSH);
            if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
                fprintf(stderr, "zinflate: %s: zlib error %d\n", argv[1], ret);
                return 4;
            }
            total += OUT - z.avail_out;
        }
    }
    inflateEnd(&z);
    fclose(fp);
    free(in);
    free(out);
    printf("%llu bytes inflated\n", (unsigned long long)total);
    return ret == Z_STREAM_END ? 0 : 4;
}
