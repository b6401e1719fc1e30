/*
 * metrics.h - the families this plugin maintains, defined in one table.
 */
#ifndef CFN_REDIS_METRICS_H
#define CFN_REDIS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "cfn_metrics.h"

#pragma GCC visibility push(hidden)

typedef enum metric_id {
    METRIC_COORDINATORS,       /* blocking_coordinators_total */
    METRIC_OLDEST_AGE,         /* blocking_oldest_coordinator_age_seconds */
    METRIC_HEARTBEAT_FAILURES, /* heartbeat_failures_total */
    METRIC_TIMEOUT_EVENTS,     /* cfn_redis_timeout_events_total */
    METRIC_PARSE_ERRORS,       /* cfn_redis_parse_errors_total */
    METRIC_INVALID_VALUES,     /* cfn_redis_invalid_values */
    METRIC_COUNT
} metric_id;

/* The key_type label of cfn_redis_parse_errors_total and cfn_redis_invalid_values. */
typedef enum key_type {
    KEY_COORDINATOR,
    KEY_HEARTBEAT,
    KEY_TIMEOUT_COUNTER,
    KEY_TYPE_COUNT
} key_type;

/* The failure_type label of heartbeat_failures_total. */
typedef enum failure_type {
    FAILURE_STALE,
    FAILURE_MISSING,
    FAILURE_TYPE_COUNT
} failure_type;

typedef struct redis_metrics {
    cfn_registry *registry; /* the registry the families below belong to */
    cfn_family *families[METRIC_COUNT];
    cfn_series *parse_errors[KEY_TYPE_COUNT];
    cfn_series *timeout_events;  /* NULL until the Redis counter was first read */
    int64_t timeout_events_seen; /* the Redis value the series mirrors */
} redis_metrics;

/* Registers the families in registry (nothing to do when already bound to it).
 * Returns CFN_OK, or a status with a message naming the metric in error. */
int metrics_bind(redis_metrics *metrics, cfn_registry *registry, char *error,
                 size_t error_size);

/* Gives back every handle. */
void metrics_release(redis_metrics *metrics);

void metrics_count_parse_error(redis_metrics *metrics, key_type type);

/* Sets cfn_redis_invalid_values{key_type} for each key type: found[type] values could not be
 * parsed in the collect that just completed. Returns CFN_OK or the first failing status. */
int metrics_set_invalid_values(redis_metrics *metrics, const size_t found[KEY_TYPE_COUNT]);

/* Adds one to heartbeat_failures_total{coordinator_id, failure_type}. */
int metrics_count_heartbeat_failure(redis_metrics *metrics, const char *coordinator_id,
                                    failure_type type);

/* Removes the heartbeat_failures_total series of a coordinator, of both types. */
void metrics_forget_heartbeat_failures(redis_metrics *metrics, const char *coordinator_id);

/* Makes cfn_redis_timeout_events_total follow the counter stored in Redis. */
int metrics_mirror_timeout_events(redis_metrics *metrics, int64_t value);

/* Empties the per-scrape gauges, so a failed collect leaves no stale values. */
void metrics_reset_gauges(redis_metrics *metrics);

#pragma GCC visibility pop

#endif /* CFN_REDIS_METRICS_H */
