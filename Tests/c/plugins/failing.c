/* A plugin whose collect always fails and whose init checks its options: the host must keep
 * serving, export it as down, and pass init's message on. */
#include <stdio.h>
#include <string.h>

#include "cfn_plugin.h"

static int start(const cfn_plugin_host *host, const cfn_plugin_option *options, size_t count,
                 void **state, char *error, size_t error_size)
{
    (void)host, (void)state;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(options[i].key, "mode") != 0) {
            snprintf(error, error_size, "unknown option \"%s\"", options[i].key);
            return CFN_ERR_INVALID_ARGUMENT;
        }
    }
    return CFN_OK;
}

static int collect(void *state, cfn_registry *registry, uint32_t timeout_ms, char *error,
                   size_t error_size)
{
    (void)state, (void)registry;
    snprintf(error, error_size, "source unavailable (deadline %u ms)", (unsigned)timeout_ms);
    return CFN_ERR_NOT_FOUND;
}

static void stop(void *state) { (void)state; }

static const cfn_plugin descriptor = {CFN_PLUGIN_ABI_VERSION, "failing", "1.0.0", start, collect,
                                      stop};

const cfn_plugin *cfn_plugin_entry(void) { return &descriptor; }
