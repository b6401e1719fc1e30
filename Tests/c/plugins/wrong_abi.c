/* A plugin built for a future plugin ABI: the host must refuse it by name and both versions. */
#include "cfn_plugin.h"

static int start(const cfn_plugin_host *host, const cfn_plugin_option *options, size_t count,
                 void **state, char *error, size_t error_size)
{
    (void)host, (void)options, (void)count, (void)state, (void)error, (void)error_size;
    return 0;
}

static int collect(void *state, cfn_registry *registry, uint32_t timeout_ms, char *error,
                   size_t error_size)
{
    (void)state, (void)registry, (void)timeout_ms, (void)error, (void)error_size;
    return 0;
}

static void stop(void *state) { (void)state; }

static const cfn_plugin descriptor = {CFN_PLUGIN_ABI_VERSION + 1, "future", "9.9.9", start, collect,
                                      stop};

const cfn_plugin *cfn_plugin_entry(void) { return &descriptor; }
