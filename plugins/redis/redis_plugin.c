/*
 * redis_plugin.c - the Redis collector: descriptor, init, collect, shutdown.
 *
 * Exports blocking-coordinator metrics read from the keys coordinators keep in
 * Redis. init only validates options; collect connects lazily, reads everything
 * within the host's deadline and rebuilds the gauges only after a complete read.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfn_plugin.h"
#include "collector.h"
#include "plugin_log.h"

#define PLUGIN_VERSION "0.1.0"
#define FAILURE_PREFIX "Redis connection failed: "

static int64_t wall_clock_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void collector_free(redis_collector *c)
{
    if (!c)
        return;
    conn_close(&c->conn);
    metrics_release(&c->metrics);
    tracker_free(c->tracker);
    bad_values_free(c->bad);
    collector_page_free(&c->pages[0]);
    collector_page_free(&c->pages[1]);
    redis_options_clear(&c->options);
    free(c);
}

static int redis_init(const cfn_plugin_host *host, const cfn_plugin_option *options,
                      size_t option_count, void **state, char *error, size_t error_size)
{
    redis_collector *c = NULL;
    int status;

    if (!state || (!options && option_count > 0)) {
        snprintf(error, error_size, "init called without state or options");
        return CFN_ERR_INVALID_ARGUMENT;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        status = CFN_ERR_NO_MEMORY;
        snprintf(error, error_size, "out of memory");
        goto fail;
    }
    status = redis_options_parse(options, option_count, getenv("CFN_REDIS_URL"), &c->options,
                                 error, error_size);
    if (status != CFN_OK)
        goto fail;
    c->tracker = tracker_new(c->options.heartbeat_timeout_ms, c->options.forget_after_ms);
    c->bad = bad_values_new(BAD_VALUES_LIMIT);
    if (!c->tracker || !c->bad) {
        status = CFN_ERR_NO_MEMORY;
        snprintf(error, error_size, "out of memory");
        goto fail;
    }
    snprintf(c->scan_count, sizeof(c->scan_count), "%u", (unsigned)c->options.scan_count);
    c->host = host;
    *state = c;
    return CFN_OK;

fail:
    collector_free(c);
    return status;
}

/* Says where a new connection goes, without the password. */
static void log_connected(const redis_collector *c)
{
    const redis_target *target = &c->options.target;
    char fields[600];
    char address[300];

    if (target->socket_path) {
        logfmt_pair(fields, sizeof(fields), "socket", target->socket_path,
                    strlen(target->socket_path));
    } else {
        snprintf(address, sizeof(address), "%s:%d", target->host, target->port);
        logfmt_pair(fields, sizeof(fields), "address", address, strlen(address));
    }
    size_t used = strlen(fields);
    snprintf(fields + used, sizeof(fields) - used, " db=%d", target->db);
    plugin_log(c->host, CFN_LOG_INFO, "connected to Redis", fields);
}

/* Removes the heartbeat_failures_total series of a coordinator gone for good. */
static void forget_failures(const char *coordinator_id, void *metrics)
{
    metrics_forget_heartbeat_failures(metrics, coordinator_id);
}

/* Sets cfn_redis_invalid_values from the bad values this collect found. */
static int publish_invalid_values(redis_collector *c)
{
    size_t found[KEY_TYPE_COUNT];

    for (size_t i = 0; i < KEY_TYPE_COUNT; i++)
        found[i] = bad_values_found(c->bad, (key_type)i);
    return metrics_set_invalid_values(&c->metrics, found);
}

/* One complete read, tried a second time when a kept connection turned out to be
 * closed by the server (after a Redis restart, say). */
static int scan_with_retry(redis_collector *c, const deadline *limit, char *reason,
                           size_t reason_size)
{
    int status = collector_scan(c, limit, wall_clock_ms(), reason, reason_size);

    if (status != 0 && c->conn.stale) {
        conn_close(&c->conn);
        status = collector_scan(c, limit, wall_clock_ms(), reason, reason_size);
    }
    return status;
}

static int redis_collect(void *state, cfn_registry *registry, uint32_t timeout_ms,
                         char *error, size_t error_size)
{
    redis_collector *c = state;
    char reason[CONN_REASON_SIZE];
    deadline limit = {monotonic_ms() + timeout_ms, timeout_ms};
    char fields[64];
    int status;

    if (!c || !registry) {
        snprintf(error, error_size, "collect called without state or registry");
        return CFN_ERR_INVALID_ARGUMENT;
    }
    status = metrics_bind(&c->metrics, registry, error, error_size);
    if (status != CFN_OK)
        return status;
    c->warnings = 0;
    c->suppressed = 0;
    status = scan_with_retry(c, &limit, reason, sizeof(reason));
    conn_finish(&c->conn, status == 0, reason);
    if (c->suppressed) {
        snprintf(fields, sizeof(fields), "count=%u", c->suppressed);
        plugin_log(c->host, CFN_LOG_WARN, "more values were skipped than logged", fields);
    }
    if (status != 0) {
        /* Values from an incomplete read would be wrong: show none. */
        metrics_reset_gauges(&c->metrics);
        if (status == CFN_ERR_NO_MEMORY) {
            snprintf(error, error_size, "out of memory while reading Redis");
            return CFN_ERR_NO_MEMORY;
        }
        snprintf(error, error_size, FAILURE_PREFIX "%s", reason);
        return CFN_ERR_NOT_FOUND;
    }
    if (!c->conn.reused)
        log_connected(c);
    status = tracker_publish(c->tracker, c->metrics.families[METRIC_COORDINATORS],
                             c->metrics.families[METRIC_OLDEST_AGE]);
    if (status == CFN_OK)
        status = publish_invalid_values(c);
    if (status != CFN_OK) {
        snprintf(error, error_size, "cannot update the gauges: %s",
                 cfn_last_error());
        return status;
    }
    if (tracker_forget_vanished(c->tracker, forget_failures, &c->metrics) != 0)
        plugin_log(c->host, CFN_LOG_WARN, "out of memory while forgetting vanished keys", NULL);
    bad_values_forget_fixed(c->bad);
    return CFN_OK;
}

static void redis_shutdown(void *state)
{
    collector_free(state);
}

static const cfn_plugin descriptor = {
    .abi_version = CFN_PLUGIN_ABI_VERSION,
    .name = "redis",
    .version = PLUGIN_VERSION,
    .init = redis_init,
    .collect = redis_collect,
    .shutdown = redis_shutdown,
};

__attribute__((visibility("default"))) const cfn_plugin *cfn_plugin_entry(void)
{
    return &descriptor;
}
