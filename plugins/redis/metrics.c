/*
 * metrics.c - registering and updating the plugin's families.
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

typedef enum metric_type { TYPE_GAUGE, TYPE_COUNTER } metric_type;

static const struct metric_def {
    const char *name;
    const char *help;
    metric_type type;
    const char *labels[3];
    size_t label_count;
} METRIC_DEFS[METRIC_COUNT] = {
    [METRIC_COORDINATORS] = {"blocking_coordinators_total",
                             "Total number of active blocking coordinators", TYPE_GAUGE,
                             {"swarm_id", "phase", "status"}, 3},
    [METRIC_OLDEST_AGE] = {"blocking_oldest_coordinator_age_seconds",
                           "Age in seconds of the oldest coordinator still blocking, per swarm",
                           TYPE_GAUGE, {"swarm_id"}, 1},
    [METRIC_HEARTBEAT_FAILURES] = {"heartbeat_failures_total",
                                   "Total number of heartbeat failures detected", TYPE_COUNTER,
                                   {"coordinator_id", "failure_type"}, 2},
    [METRIC_TIMEOUT_EVENTS] = {"cfn_redis_timeout_events_total",
                               "Timeout events counted by coordinators in Redis "
                               "(metrics:timeout_events_total)", TYPE_COUNTER, {NULL}, 0},
    [METRIC_PARSE_ERRORS] = {"cfn_redis_parse_errors_total",
                             "Redis values that could not be parsed, each bad value once",
                             TYPE_COUNTER, {"key_type"}, 1},
    [METRIC_INVALID_VALUES] = {"cfn_redis_invalid_values",
                               "Values that could not be parsed in the last collection",
                               TYPE_GAUGE, {"key_type"}, 1},
};

static const char *const KEY_TYPE_NAMES[KEY_TYPE_COUNT] = {
    [KEY_COORDINATOR] = "coordinator",
    [KEY_HEARTBEAT] = "heartbeat",
    [KEY_TIMEOUT_COUNTER] = "timeout_counter",
};

static const char *const FAILURE_TYPE_NAMES[FAILURE_TYPE_COUNT] = {
    [FAILURE_STALE] = "stale",
    [FAILURE_MISSING] = "missing",
};

void metrics_release(redis_metrics *metrics)
{
    for (size_t i = 0; i < METRIC_COUNT; i++)
        cfn_family_release(metrics->families[i]);
    for (size_t i = 0; i < KEY_TYPE_COUNT; i++)
        cfn_series_release(metrics->parse_errors[i]);
    cfn_series_release(metrics->timeout_events);
    memset(metrics, 0, sizeof(*metrics));
}

static void describe_failure(const char *what, const char *name, char *error,
                             size_t error_size)
{
    snprintf(error, error_size, "cannot %s %s: %s", what, name, cfn_last_error());
}

int metrics_bind(redis_metrics *metrics, cfn_registry *registry, char *error,
                 size_t error_size)
{
    int status = CFN_OK;

    if (metrics->registry == registry)
        return CFN_OK;
    metrics_release(metrics);
    for (size_t i = 0; i < METRIC_COUNT && status == CFN_OK; i++) {
        const struct metric_def *def = &METRIC_DEFS[i];
        if (def->type == TYPE_GAUGE)
            status = cfn_gauge_family(registry, def->name, def->help, def->labels,
                                      def->label_count, &metrics->families[i]);
        else
            status = cfn_counter_family(registry, def->name, def->help, def->labels,
                                        def->label_count, &metrics->families[i]);
        if (status != CFN_OK)
            describe_failure("register", def->name, error, error_size);
    }
    /* Parse errors start at 0 for every key type, so rate() works from the start. */
    for (size_t i = 0; i < KEY_TYPE_COUNT && status == CFN_OK; i++) {
        status = cfn_family_series(metrics->families[METRIC_PARSE_ERRORS], &KEY_TYPE_NAMES[i],
                                   1, &metrics->parse_errors[i]);
        if (status != CFN_OK)
            describe_failure("create a series of", METRIC_DEFS[METRIC_PARSE_ERRORS].name,
                             error, error_size);
    }
    if (status != CFN_OK) {
        metrics_release(metrics);
        return status;
    }
    metrics->registry = registry;
    return CFN_OK;
}

void metrics_count_parse_error(redis_metrics *metrics, key_type type)
{
    cfn_counter_inc(metrics->parse_errors[type]);
}

int metrics_set_invalid_values(redis_metrics *metrics, const size_t found[KEY_TYPE_COUNT])
{
    int first_failure = CFN_OK;

    for (size_t i = 0; i < KEY_TYPE_COUNT; i++) {
        cfn_series *series = NULL;
        int status = cfn_family_series(metrics->families[METRIC_INVALID_VALUES],
                                       &KEY_TYPE_NAMES[i], 1, &series);
        if (status == CFN_OK)
            status = cfn_gauge_set(series, (double)found[i]);
        cfn_series_release(series);
        if (first_failure == CFN_OK)
            first_failure = status;
    }
    return first_failure;
}

int metrics_count_heartbeat_failure(redis_metrics *metrics, const char *coordinator_id,
                                    failure_type type)
{
    const char *labels[2] = {coordinator_id, FAILURE_TYPE_NAMES[type]};
    cfn_series *series = NULL;

    int status = cfn_family_series(metrics->families[METRIC_HEARTBEAT_FAILURES], labels, 2,
                                   &series);
    if (status == CFN_OK)
        status = cfn_counter_inc(series);
    cfn_series_release(series);
    return status;
}

void metrics_forget_heartbeat_failures(redis_metrics *metrics, const char *coordinator_id)
{
    for (size_t i = 0; i < FAILURE_TYPE_COUNT; i++) {
        const char *labels[2] = {coordinator_id, FAILURE_TYPE_NAMES[i]};
        /* CFN_ERR_NOT_FOUND for a type this coordinator never had is expected. */
        (void)cfn_family_remove(metrics->families[METRIC_HEARTBEAT_FAILURES], labels, 2);
    }
}

int metrics_mirror_timeout_events(redis_metrics *metrics, int64_t value)
{
    cfn_family *family = metrics->families[METRIC_TIMEOUT_EVENTS];
    int status;

    if (metrics->timeout_events && value == metrics->timeout_events_seen)
        return CFN_OK;
    /* A registry counter only grows: when Redis went back (reset), start the series
     * over, as a restarted process would. */
    if (metrics->timeout_events && value < metrics->timeout_events_seen) {
        cfn_family_reset(family);
        cfn_series_release(metrics->timeout_events);
        metrics->timeout_events = NULL;
    }
    if (!metrics->timeout_events) {
        status = cfn_family_series(family, NULL, 0, &metrics->timeout_events);
        if (status != CFN_OK)
            return status;
        metrics->timeout_events_seen = 0;
    }
    status = cfn_counter_add(metrics->timeout_events,
                             (double)(value - metrics->timeout_events_seen));
    if (status == CFN_OK)
        metrics->timeout_events_seen = value;
    return status;
}

void metrics_reset_gauges(redis_metrics *metrics)
{
    cfn_family_reset(metrics->families[METRIC_COORDINATORS]);
    cfn_family_reset(metrics->families[METRIC_OLDEST_AGE]);
    cfn_family_reset(metrics->families[METRIC_INVALID_VALUES]);
}
