/*
 * grow.h - a reusable text buffer that only grows: the collector keeps a few across pages and
 * collections, so a steady state allocates nothing.
 */
#ifndef CFN_REDIS_GROW_H
#define CFN_REDIS_GROW_H

#include <stdlib.h>

/* Makes *buffer hold at least `needed` bytes, keeping its contents. Returns 0, or -1 when memory
 * runs out (the old buffer then stays as it was). */
static inline int grow_text(char **buffer, size_t *size, size_t needed)
{
    char *grown;

    if (*size >= needed)
        return 0;
    grown = realloc(*buffer, needed);
    if (!grown)
        return -1;
    *buffer = grown;
    *size = needed;
    return 0;
}

#endif /* CFN_REDIS_GROW_H */
