/*
 * bad_values.c - a bounded map from key to the hash of its bad value, kept in the order the
 * keys were last seen so that the least recently seen one can be evicted in constant time.
 */
#include "bad_values.h"

#include <stdint.h>
#include <stdlib.h>

#include "strmap.h"

typedef struct remembered {
    struct remembered *older, *newer; /* in the order the keys were last seen */
    uint64_t hash;                    /* of the bad value counted last */
    uint64_t seen;                    /* the collect that last found the key bad */
    key_type type;
    int has_string;                   /* that value was a string (else hash is 0) */
} remembered;

struct bad_values {
    strmap *keys; /* key -> remembered */
    remembered *oldest, *newest;
    uint64_t generation;
    size_t limit;
    size_t found[KEY_TYPE_COUNT];
};

bad_values *bad_values_new(size_t limit)
{
    bad_values *b = calloc(1, sizeof(*b));

    if (!b)
        return NULL;
    b->limit = limit;
    if (!(b->keys = strmap_new(sizeof(remembered)))) {
        free(b);
        return NULL;
    }
    return b;
}

void bad_values_free(bad_values *b)
{
    if (!b)
        return;
    strmap_free(b->keys);
    free(b);
}

void bad_values_begin(bad_values *b)
{
    b->generation++;
    for (size_t i = 0; i < KEY_TYPE_COUNT; i++)
        b->found[i] = 0;
}

static void unlink_entry(bad_values *b, remembered *r)
{
    if (r->older)
        r->older->newer = r->newer;
    else
        b->oldest = r->newer;
    if (r->newer)
        r->newer->older = r->older;
    else
        b->newest = r->older;
    r->older = r->newer = NULL;
}

static void link_newest(bad_values *b, remembered *r)
{
    r->older = b->newest;
    r->newer = NULL;
    if (b->newest)
        b->newest->newer = r;
    else
        b->oldest = r;
    b->newest = r;
}

static void forget(bad_values *b, remembered *r)
{
    unlink_entry(b, r);
    strmap_remove_value(b->keys, r);
}

int bad_values_note(bad_values *b, key_type type, const char *key, size_t key_len,
                    const char *value, size_t value_len)
{
    uint64_t hash = value ? strmap_hash(value, value_len) : 0;
    int has_string = value != NULL;
    remembered *r = strmap_get(b->keys, key, key_len);
    int added;

    if (r) {
        if (r->seen != b->generation)
            b->found[type]++;
        r->seen = b->generation;
        unlink_entry(b, r);
        link_newest(b, r);
        if (r->hash == hash && r->has_string == has_string && r->type == type)
            return 0;
        r->hash = hash;
        r->has_string = has_string;
        r->type = type;
        return 1;
    }
    b->found[type]++;
    if (b->limit == 0)
        return 1;
    if (strmap_count(b->keys) >= b->limit)
        forget(b, b->oldest);
    if (!(r = strmap_upsert(b->keys, key, key_len, &added)))
        return 1;
    r->hash = hash;
    r->has_string = has_string;
    r->seen = b->generation;
    r->type = type;
    link_newest(b, r);
    return 1;
}

size_t bad_values_found(const bad_values *b, key_type type)
{
    return b->found[type];
}

void bad_values_forget_fixed(bad_values *b)
{
    remembered *r = b->oldest, *newer;

    for (; r; r = newer) {
        newer = r->newer;
        if (r->seen != b->generation)
            forget(b, r);
    }
}
