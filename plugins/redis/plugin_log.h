/*
 * plugin_log.h - logging through the host, with logfmt fields.
 */
#ifndef CFN_REDIS_PLUGIN_LOG_H
#define CFN_REDIS_PLUGIN_LOG_H

#include <stddef.h>

#include "cfn_plugin.h"

#pragma GCC visibility push(hidden)

/* Passes one event to the host's log callback, if the host offers one. */
void plugin_log(const cfn_plugin_host *host, int level, const char *message, const char *fields);

/* Writes `name=value` into out in logfmt: the value is quoted and escaped when it
 * needs to be, and shortened with "..." when out is too small. */
void logfmt_pair(char *out, size_t out_size, const char *name, const char *value,
                 size_t value_len);

#pragma GCC visibility pop

#endif /* CFN_REDIS_PLUGIN_LOG_H */
