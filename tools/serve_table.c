/* The streams of `rnnrt serve` by id (serve_internal.h): open addressing, linear probing,
 * deletion by backward shift. */
#include <stdlib.h>

#include "serve_internal.h"

static size_t slot_of(const table *t, uint64_t id)
{
    return (size_t)(id * 0x9e3779b97f4a7c15ull) & (t->cap - 1);
}

rnnrt_stream *table_get(const table *t, uint64_t id)
{
    for (size_t i = slot_of(t, id); t->e[i].id; i = (i + 1) & (t->cap - 1))
        if (t->e[i].id == id)
            return t->e[i].s;
    return NULL;
}

bool table_put(table *t, uint64_t id, rnnrt_stream *s)
{
    if (2 * (t->count + 1) > t->cap) {
        table bigger = {calloc(t->cap * 2, sizeof(entry)), t->cap * 2, 0};
        if (!bigger.e)
            return false;
        for (size_t i = 0; i < t->cap; i++)
            if (t->e[i].id)
                table_put(&bigger, t->e[i].id, t->e[i].s);
        free(t->e);
        *t = bigger;
    }
    size_t i = slot_of(t, id);
    while (t->e[i].id)
        i = (i + 1) & (t->cap - 1);
    t->e[i] = (entry){id, s};
    t->count++;
    return true;
}

void table_remove(table *t, uint64_t id)
{
    size_t i = slot_of(t, id);
    while (t->e[i].id != id) {
        if (!t->e[i].id)
            return;
        i = (i + 1) & (t->cap - 1);
    }
    /* backward shift: move up each later entry whose home is at or before the hole */
    for (size_t j = (i + 1) & (t->cap - 1); t->e[j].id; j = (j + 1) & (t->cap - 1)) {
        const size_t home = slot_of(t, t->e[j].id);
        if (((j - home) & (t->cap - 1)) >= ((j - i) & (t->cap - 1))) {
            t->e[i] = t->e[j];
            i = j;
        }
    }
    t->e[i] = (entry){0, NULL};
    t->count--;
}

