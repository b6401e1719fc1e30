/*
 * decimal.h - reading unsigned decimal numbers out of option values and replies.
 */
#ifndef CFN_REDIS_DECIMAL_H
#define CFN_REDIS_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Reads text[0..len), which must be only digits (at least one), as a number of at
 * most max into *out. Returns 0, or -1 when the text is not such a number. */
int parse_decimal(const char *text, size_t len, uint64_t max, uint64_t *out);

#pragma GCC visibility pop

#endif /* CFN_REDIS_DECIMAL_H */
