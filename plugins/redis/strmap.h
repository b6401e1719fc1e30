/*
 * strmap.h - a small hash map from byte-string keys to fixed-size values.
 *
 * Keys are copied (a NUL is added after them, so text keys read as C strings).
 * Each entry is allocated once and never moves, so a value pointer stays valid
 * until the entry is removed by strmap_clear, strmap_retain or strmap_remove_value.
 */
#ifndef CFN_REDIS_STRMAP_H
#define CFN_REDIS_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

typedef struct strmap strmap;

/* A new empty map whose values are value_size bytes, or NULL without memory. */
strmap *strmap_new(size_t value_size);

/* Frees the map and every entry. Accepts NULL. */
void strmap_free(strmap *map);

/* The value stored under key; when there is none, a new zero-filled value and
 * *added set to 1. NULL when memory runs out. */
void *strmap_upsert(strmap *map, const char *key, size_t key_len, int *added);

/* The value stored under key, or NULL when there is none. */
void *strmap_get(const strmap *map, const char *key, size_t key_len);

/* Steps through the entries in no particular order: start with *cursor = 0;
 * returns 0 once every entry was seen. */
int strmap_next(const strmap *map, size_t *cursor, const char **key, size_t *key_len,
                void **value);

/* Removes every entry whose value makes keep() return 0. Returns -1, changing
 * nothing, when memory runs out. */
int strmap_retain(strmap *map, int (*keep)(const void *value, const void *arg),
                  const void *arg);

/* Removes the one entry whose value is `value` (a pointer strmap_upsert or strmap_get
 * returned), leaving every other value where it is. */
void strmap_remove_value(strmap *map, void *value);

/* Removes every entry. */
void strmap_clear(strmap *map);

size_t strmap_count(const strmap *map);

/* The map's own hash (64-bit FNV-1a), for callers that need a cheap one. */
uint64_t strmap_hash(const char *bytes, size_t len);

#pragma GCC visibility pop

#endif /* CFN_REDIS_STRMAP_H */
