/* SPDX-License-Identifier: MIT
 * The field table, built from fields.def, and name lookup.
 */
#include "record.h"

#include <stddef.h>
#include <string.h>

#include "flowq.h"
#include "util.h"

const struct fq_field_info fq_fields[F_COUNT] = {
#define FQ_FIELD(id, nm, vt, w, m, tl, u)                                                          \
    [F_##id] = {nm, vt, w, offsetof(struct fq_rec, m), sizeof(((struct fq_rec *)0)->m), tl, u},
#include "fields.def"
#undef FQ_FIELD
};

struct alias {
    const char *name;
    enum fq_field field;
};

static const struct alias aliases[] = {
#define FQ_ALIAS(nm, id) {nm, F_##id},
#include "fields.def"
#undef FQ_ALIAS
};

#define NALIASES (sizeof aliases / sizeof aliases[0])

enum fq_field field_lookup(const char *name)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strcmp(fq_fields[f].name, name) == 0)
            return (enum fq_field)f;
    for (size_t i = 0; i < NALIASES; i++)
        if (strcmp(aliases[i].name, name) == 0)
            return aliases[i].field;
    return F_COUNT;
}

/* Per-field alias lists, NULL-terminated; at most 3 aliases per field. */
static const char *alias_lists[F_COUNT][4];
static const char *all_names[F_COUNT + NALIASES + 1];

__attribute__((constructor)) static void build_lists(void)
{
    size_t k = 0;
    for (int f = 0; f < F_COUNT; f++) {
        size_t n = 0;
        all_names[k++] = fq_fields[f].name;
        for (size_t i = 0; i < NALIASES; i++)
            if (aliases[i].field == (enum fq_field)f && n < 3) {
                alias_lists[f][n++] = aliases[i].name;
                all_names[k++] = aliases[i].name;
            }
    }
    all_names[k] = NULL;
}

const char *const *field_aliases(enum fq_field f)
{
    return alias_lists[f];
}

const char *const *field_all_names(void)
{
    return all_names;
}

static const char *type_name(enum fq_vtype t)
{
    switch (t) {
    case VT_ADDR: return "addr";
    case VT_TIME: return "time";
    default: return "uint";
    }
}

void fields_help(FILE *fp)
{
    fprintf(fp, "%-12s %-5s %5s  %-56s %s\n", "FIELD", "TYPE", "BITS", "ALIASES", "MEANING");
    for (int f = 0; f < F_COUNT; f++) {
        char al[128] = "";
        for (const char *const *a = field_aliases(f); *a; a++) {
            if (al[0])
                strcat(al, ", ");
            strcat(al, *a);
        }
        fprintf(fp, "%-12s %-5s %5u  %-56s %s\n", fq_fields[f].name, type_name(fq_fields[f].type),
                fq_fields[f].width, al[0] ? al : "-", fq_fields[f].unit);
    }
    static const char *const src[F_COUNT][3] = {
#define FQ_SOURCE(id, ft, nf, ipfix) [F_##id] = {ft, nf, ipfix},
#include "fields.def"
#undef FQ_SOURCE
    };
    fprintf(fp, "\nWhat each field holds per input format (\"-\": the format lacks it; it reads 0):\n");
    fprintf(fp, "%-12s %-14s %-12s %s\n", "FIELD", "FLOW-TOOLS V5", "NFDUMP", "IPFIX");
    for (int f = 0; f < F_COUNT; f++)
        fprintf(fp, "%-12s %-14s %-12s %s\n", fq_fields[f].name, src[f][0], src[f][1], src[f][2]);
}

const char *field_suggest(const char *name)
{
    const char *best = nearest_name(name, field_all_names());
    return best ? fq_fields[field_lookup(best)].name : NULL;
}
