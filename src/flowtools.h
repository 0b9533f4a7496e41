/* SPDX-License-Identifier: MIT
 * flow-tools streams (FORMAT-flowtools.md) as one of the reader's formats
 * (input.h): stream versions 1 and 3, record versions 1, 5, 6, 7 and 1005
 * in either byte order, raw or zlib-compressed.  Concatenated streams on
 * one input (cat a.ft b.ft) are found by their headers.
 */
#ifndef FQ_FLOWTOOLS_H
#define FQ_FLOWTOOLS_H

#include "input.h"

extern const struct in_format in_flowtools;

#endif
