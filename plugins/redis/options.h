/*
 * options.h - the collector's --plugin.redis.<key>=<value> options.
 */
#ifndef CFN_REDIS_OPTIONS_H
#define CFN_REDIS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "cfn_plugin.h"
#include "redis_url.h"

#pragma GCC visibility push(hidden)

typedef struct redis_options {
    redis_target target;
    uint32_t connect_timeout_ms;
    uint32_t command_timeout_ms;
    uint32_t heartbeat_timeout_ms; /* older heartbeats count as stale */
    uint32_t scan_count;           /* COUNT hint of each SCAN */
    uint32_t forget_after_ms;      /* absence after which failure series go; 0: never */
} redis_options;

/* Fills *out from the defaults, then the options. env_url (CFN_REDIS_URL, may be
 * NULL) replaces the built-in default URL. Returns CFN_OK, or a negative status
 * with a message naming the bad option and value (password masked) in error. */
int redis_options_parse(const cfn_plugin_option *options, size_t count, const char *env_url,
                        redis_options *out, char *error, size_t error_size);

void redis_options_clear(redis_options *options);

#pragma GCC visibility pop

#endif /* CFN_REDIS_OPTIONS_H */
