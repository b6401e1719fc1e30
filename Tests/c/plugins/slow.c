/* A plugin whose collect takes one second: it lets tests fill every scrape slot. */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "cfn_plugin.h"

static int start(const cfn_plugin_host *host, const cfn_plugin_option *options, size_t count,
                 void **state, char *error, size_t error_size)
{
    (void)host, (void)options, (void)count, (void)state, (void)error, (void)error_size;
    return CFN_OK;
}

static int collect(void *state, cfn_registry *registry, uint32_t timeout_ms, char *error,
                   size_t error_size)
{
    struct timespec second = {1, 0};

    (void)state, (void)registry, (void)timeout_ms, (void)error, (void)error_size;
    nanosleep(&second, NULL);
    return CFN_OK;
}

static void stop(void *state) { (void)state; }

static const cfn_plugin descriptor = {CFN_PLUGIN_ABI_VERSION, "slow", "1.0.0", start, collect,
                                      stop};

const cfn_plugin *cfn_plugin_entry(void) { return &descriptor; }
