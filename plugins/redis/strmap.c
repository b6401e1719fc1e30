/*
 * strmap.c - open addressing with linear probing over an array of entry
 * pointers; the load stays under one half so probe runs stay short.
 */
#include "strmap.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    uint64_t hash;
    size_t key_len;
    char *key; /* stored after the value, in the same allocation */
} entry;

struct strmap {
    entry **slots;
    size_t capacity; /* a power of two, or 0 before the first insert */
    size_t count;
    size_t value_size;
};

/* The value starts at the first suitably aligned offset after the header. */
#define VALUE_OFFSET \
    ((sizeof(entry) + alignof(max_align_t) - 1) / alignof(max_align_t) * alignof(max_align_t))

static void *entry_value(const entry *item)
{
    return (char *)item + VALUE_OFFSET;
}

/* FNV-1a: cheap, and good enough for keys that mostly differ near the end. */
uint64_t strmap_hash(const char *key, size_t len)
{
    uint64_t hash = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        hash ^= (unsigned char)key[i];
        hash *= 1099511628211u;
    }
    return hash;
}

strmap *strmap_new(size_t value_size)
{
    strmap *map = calloc(1, sizeof(*map));
    if (map)
        map->value_size = value_size;
    return map;
}

void strmap_clear(strmap *map)
{
    for (size_t i = 0; i < map->capacity; i++) {
        free(map->slots[i]);
        map->slots[i] = NULL;
    }
    map->count = 0;
}

void strmap_free(strmap *map)
{
    if (!map)
        return;
    strmap_clear(map);
    free(map->slots);
    free(map);
}

size_t strmap_count(const strmap *map)
{
    return map->count;
}

static void place(entry **slots, size_t capacity, entry *item)
{
    size_t i = item->hash & (capacity - 1);
    while (slots[i])
        i = (i + 1) & (capacity - 1);
    slots[i] = item;
}

/* Moves every entry into a fresh slot array of the given capacity. */
static int rebuild(strmap *map, size_t capacity)
{
    entry **slots = calloc(capacity, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->capacity; i++) {
        if (map->slots[i])
            place(slots, capacity, map->slots[i]);
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return 0;
}

static entry *find(const strmap *map, uint64_t hash, const char *key, size_t key_len)
{
    if (!map->capacity)
        return NULL;
    size_t i = hash & (map->capacity - 1);
    for (entry *item; (item = map->slots[i]); i = (i + 1) & (map->capacity - 1)) {
        if (item->hash == hash && item->key_len == key_len &&
            memcmp(item->key, key, key_len) == 0)
            return item;
    }
    return NULL;
}

void *strmap_get(const strmap *map, const char *key, size_t key_len)
{
    entry *item = find(map, strmap_hash(key, key_len), key, key_len);
    return item ? entry_value(item) : NULL;
}

void *strmap_upsert(strmap *map, const char *key, size_t key_len, int *added)
{
    uint64_t hash = strmap_hash(key, key_len);
    entry *found = find(map, hash, key, key_len);

    *added = 0;
    if (found)
        return entry_value(found);
    if ((map->count + 1) * 2 > map->capacity &&
        rebuild(map, map->capacity ? map->capacity * 2 : 16) != 0)
        return NULL;
    entry *item = calloc(1, VALUE_OFFSET + map->value_size + key_len + 1);
    if (!item)
        return NULL;
    item->hash = hash;
    item->key_len = key_len;
    item->key = (char *)item + VALUE_OFFSET + map->value_size;
    memcpy(item->key, key, key_len);
    place(map->slots, map->capacity, item);
    map->count++;
    *added = 1;
    return entry_value(item);
}

int strmap_next(const strmap *map, size_t *cursor, const char **key, size_t *key_len,
                void **value)
{
    while (*cursor < map->capacity) {
        entry *item = map->slots[(*cursor)++];
        if (item) {
            *key = item->key;
            *key_len = item->key_len;
            *value = entry_value(item);
            return 1;
        }
    }
    return 0;
}

int strmap_retain(strmap *map, int (*keep)(const void *value, const void *arg),
                  const void *arg)
{
    size_t doomed = 0;

    for (size_t i = 0; i < map->capacity; i++) {
        if (map->slots[i] && !keep(entry_value(map->slots[i]), arg))
            doomed++;
    }
    if (doomed == 0)
        return 0;
    /* Emptied slots would cut probe runs short, so survivors move to a new array. */
    entry **slots = calloc(map->capacity, sizeof(*slots));
    if (!slots)
        return -1;
    map->count = 0;
    for (size_t i = 0; i < map->capacity; i++) {
        entry *item = map->slots[i];
        if (!item)
            continue;
        if (keep(entry_value(item), arg)) {
            place(slots, map->capacity, item);
            map->count++;
        } else {
            free(item);
        }
    }
    free(map->slots);
    map->slots = slots;
    return 0;
}

void strmap_remove_value(strmap *map, void *value)
{
    entry *item = (entry *)((char *)value - VALUE_OFFSET);
    size_t mask = map->capacity - 1;
    size_t hole = item->hash & mask;

    while (map->slots[hole] != item)
        hole = (hole + 1) & mask;
    map->slots[hole] = NULL;
    /* Backward shift: an entry further along the run moves into the hole unless its home
     * slot lies after the hole (cyclically), so no probe run is cut short. */
    for (size_t next = (hole + 1) & mask; map->slots[next]; next = (next + 1) & mask) {
        size_t home = map->slots[next]->hash & mask;
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            map->slots[hole] = map->slots[next];
            map->slots[next] = NULL;
            hole = next;
        }
    }
    map->count--;
    free(item);
}
