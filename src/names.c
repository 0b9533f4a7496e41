/* SPDX-License-Identifier: MIT
 * The name tables of names.def.
 */
#include "names.h"

#include <string.h>
#include <strings.h>

const char *const fq_op_name[] = {
#define FQ_OP(id, text) text,
#include "names.def"
#undef FQ_OP
};

const char *const fq_agg_name[] = {
#define FQ_AGG(id, name) name,
#include "names.def"
#undef FQ_AGG
};

const char *const fq_allen_name[] = {
#define FQ_ALLEN(id, word, delta) word,
#include "names.def"
#undef FQ_ALLEN
};

int agg_lookup(const char *name)
{
    static const struct {
        const char *name;
        enum fq_aggfn fn;
    } alias[] = {
#define FQ_AGG_ALIAS(name, id) {name, AGG_##id},
#include "names.def"
#undef FQ_AGG_ALIAS
    };
    for (int i = AGG_PLAIN + 1; i <= AGG_UNION; i++)
        if (strcasecmp(fq_agg_name[i], name) == 0)
            return i;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcasecmp(alias[i].name, name) == 0)
            return (int)alias[i].fn;
    return -1;
}

int allen_lookup(const char *word)
{
    static const struct {
        const char *word;
        enum fq_allen rel;
    } alias[] = {
#define FQ_ALLEN_ALIAS(word, id) {word, AL_##id},
#include "names.def"
#undef FQ_ALLEN_ALIAS
    };
    for (int i = AL_BEFORE; i <= AL_EQUALS; i++)
        if (strcmp(fq_allen_name[i], word) == 0)
            return i;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(alias[i].word, word) == 0)
            return (int)alias[i].rel;
    return -1;
}

bool allen_takes_delta(enum fq_allen r)
{
    static const bool delta[] = {
#define FQ_ALLEN(id, word, d) d,
#include "names.def"
#undef FQ_ALLEN
    };
    return delta[r];
}
