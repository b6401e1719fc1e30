/*
 * decimal.c - one strict decimal reader for ports, databases, counts and counters.
 */
#include "decimal.h"

int parse_decimal(const char *text, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t value = 0;

    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned digit = (unsigned)(text[i] - '0');
        if (digit > 9 || digit > max || value > (max - digit) / 10)
            return -1;
        value = value * 10 + digit;
    }
    *out = value;
    return 0;
}
