/*
 * bad_values.h - the keys whose value cannot be read, so that each bad value is counted and
 * logged once, not at every collect.
 *
 * A key is remembered with a cheap hash (64-bit FNV-1a) of its bad value. While it keeps that
 * value it is not counted again; another bad value counts again, and so does the same one after
 * a complete collect found the key readable or gone, which forgets it. The memory is bounded:
 * at most BAD_VALUES_LIMIT keys (10,000) are remembered, and a new one beyond that evicts the
 * one seen least recently, which is then counted and logged again when it is next seen. Each
 * entry costs about 100 bytes besides its key.
 */
#ifndef CFN_REDIS_BAD_VALUES_H
#define CFN_REDIS_BAD_VALUES_H

#include <stddef.h>

#include "metrics.h"

#pragma GCC visibility push(hidden)

#define BAD_VALUES_LIMIT 10000

typedef struct bad_values bad_values;

/* A new empty memory holding at most limit keys, or NULL without memory. */
bad_values *bad_values_new(size_t limit);
void bad_values_free(bad_values *b);

/* Starts a collect: the counts of bad values found are zeroed. */
void bad_values_begin(bad_values *b);

/* Notes that key[0..key_len), of the given type, holds the bad value value[0..value_len)
 * (value NULL: a key with no string value to show, such as one of another Redis type).
 * Returns 1 when that value is new and must be counted and logged, 0 when it was already. A
 * key that cannot be remembered for lack of memory reads as new: counted again rather than
 * missed. */
int bad_values_note(bad_values *b, key_type type, const char *key, size_t key_len,
                    const char *value, size_t value_len);

/* How many keys of the type held a bad value in this collect (each key once). */
size_t bad_values_found(const bad_values *b, key_type type);

/* Forgets the keys this collect did not find bad. Only after a complete collect: a key an
 * incomplete one did not reach may still be bad. */
void bad_values_forget_fixed(bad_values *b);

#pragma GCC visibility pop

#endif /* CFN_REDIS_BAD_VALUES_H */
