/* SPDX-License-Identifier: MIT
 * Names of the stage kinds, as messages spell them.
 */
#include "ast.h"

const char *const ast_kind_name[S_NKINDS] = {
    [S_SPLITTER] = "splitter", [S_FILTER] = "filter",   [S_GROUPER] = "grouper",
    [S_GROUPFILTER] = "groupfilter", [S_MERGER] = "merger", [S_UNGROUPER] = "ungrouper",
};
