/*
 * cfn_plugin.h - the interface between a collector plugin and its host.
 *
 * A plugin is a shared object that exports one function, named by
 * CFN_PLUGIN_ENTRY_SYMBOL, returning a static cfn_plugin descriptor. The host
 * (cfn-exporter, or any program linked with libcfnmetrics) loads it with
 * dlopen, refuses it unless descriptor->abi_version equals the host's
 * CFN_PLUGIN_ABI_VERSION, then calls init once, collect before every scrape and
 * shutdown once at the end. The cfn_* functions of cfn_metrics.h are resolved
 * from the host process, so a plugin does not link libcfnmetrics itself.
 *
 * Threading: the host never calls one plugin instance from two threads at once.
 * A plugin logs only through the host's log callback and never prints.
 */
#ifndef CFN_PLUGIN_H
#define CFN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "cfn_metrics.h"

/* Bumped on any incompatible change to the structures below. */
#define CFN_PLUGIN_ABI_VERSION 1

/* The exported entry point: const cfn_plugin *cfn_plugin_entry(void); */
#define CFN_PLUGIN_ENTRY_SYMBOL "cfn_plugin_entry"

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels for cfn_plugin_host.log, from most to least severe. */
typedef enum cfn_log_level {
    CFN_LOG_ERROR = 0,
    CFN_LOG_WARN = 1,
    CFN_LOG_INFO = 2,
    CFN_LOG_DEBUG = 3
} cfn_log_level;

/* One "--plugin.<name>.<key>=<value>" option. Strings live until init returns. */
typedef struct cfn_plugin_option {
    const char *key;
    const char *value;
} cfn_plugin_option;

/* What the host offers a plugin. Valid from init until shutdown returns. */
typedef struct cfn_plugin_host {
    /* sizeof(cfn_plugin_host) as the host knows it; fields past it are absent. */
    size_t size;
    void *context;
    /* Logs one event: `message` is constant text (no variable data), `fields` is
     * NULL or logfmt pairs such as `key=swarm:a:blocking:c1 error="bad json"`
     * (values with spaces or quotes double-quoted). Never pass a secret. */
    void (*log)(void *context, int level, const char *message, const char *fields);
} cfn_plugin_host;

/* The descriptor a plugin returns from its entry point. Static storage. */
typedef struct cfn_plugin {
    uint32_t abi_version; /* CFN_PLUGIN_ABI_VERSION the plugin was built with */
    const char *name;     /* short lowercase name, e.g. "redis" */
    const char *version;  /* the plugin's own version */

    /* Validates the options and prepares the plugin. On success returns CFN_OK and
     * stores the plugin's state in *state. On failure returns a negative status and
     * writes a message naming the bad option into error (NUL-terminated, at most
     * error_size bytes); shutdown is then not called. Must not block on the network:
     * connections are made lazily by collect. */
    int (*init)(const cfn_plugin_host *host, const cfn_plugin_option *options,
                size_t option_count, void **state, char *error, size_t error_size);

    /* Updates the plugin's metrics in `registry`. Must return within timeout_ms
     * milliseconds. Returns CFN_OK when the source was read, or a negative status
     * with a message in error when it could not be (the host then exports the
     * collector as down); the registry must be left consistent either way. */
    int (*collect)(void *state, cfn_registry *registry, uint32_t timeout_ms,
                   char *error, size_t error_size);

    /* Releases everything init and collect acquired. */
    void (*shutdown)(void *state);
} cfn_plugin;

typedef const cfn_plugin *(*cfn_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* CFN_PLUGIN_H */
