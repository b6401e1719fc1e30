/*
 * cfn_metrics.h - the C interface of libcfnmetrics.
 *
 * One process-wide (or caller-created) registry of counter, gauge and histogram
 * families, rendered in the Prometheus text format 0.0.4 or OpenMetrics 1.0.
 *
 * Conventions that hold for every declaration below:
 * - Every call is thread-safe unless its comment says otherwise.
 * - Input strings are copied; the caller keeps ownership of what it passes.
 * - Calls that can fail return an int status: CFN_OK (0) or a negative
 *   cfn_status. The detail of the most recent failure on the calling thread is
 *   available from cfn_last_error() until the next failing call on that thread.
 * - Every handle returned through an out-parameter holds a reference that the
 *   caller gives back with the matching release call. Release calls accept NULL.
 * - No call aborts the process on bad input; a Swift trap never crosses here.
 */
#ifndef CFN_METRICS_H
#define CFN_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* The ABI this header describes. Bumped on any incompatible change; compare it
 * with cfn_abi_version() at run time to check the library actually loaded. */
#define CFN_METRICS_ABI_VERSION 1

#define CFN_METRICS_VERSION_MAJOR 0
#define CFN_METRICS_VERSION_MINOR 1
#define CFN_METRICS_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes, in numeric order. */
typedef enum cfn_status {
    CFN_OK = 0,
    CFN_ERR_INVALID_ARGUMENT = -1, /* NULL where a value is required, bad format code */
    CFN_ERR_INVALID_NAME = -2,     /* metric or label name breaks the naming rules */
    CFN_ERR_INVALID_LABEL = -3,    /* label value is not valid UTF-8 */
    CFN_ERR_LABEL_COUNT = -4,      /* wrong number of label values for the family */
    CFN_ERR_INVALID_VALUE = -5,    /* negative or NaN counter increment, bad bucket list */
    CFN_ERR_CONFLICT = -6,         /* name already registered with another definition */
    CFN_ERR_WRONG_TYPE = -7,       /* call does not fit the metric type of the handle */
    CFN_ERR_NOT_FOUND = -8,        /* no such family or series */
    CFN_ERR_NO_MEMORY = -9         /* allocation failed */
} cfn_status;

/* Exposition formats accepted by cfn_registry_render. */
typedef enum cfn_format {
    CFN_FORMAT_TEXT_0_0_4 = 0,  /* text/plain; version=0.0.4 */
    CFN_FORMAT_OPENMETRICS = 1  /* application/openmetrics-text; version=1.0.0 */
} cfn_format;

typedef struct cfn_registry cfn_registry; /* a set of families */
typedef struct cfn_family cfn_family;     /* one metric name with its label names */
typedef struct cfn_series cfn_series;     /* one labelled child of a family */

/* ---- library ---------------------------------------------------------- */

/* The ABI version of the loaded library (CFN_METRICS_ABI_VERSION it was built with). */
int cfn_abi_version(void);

/* The library version as "MAJOR.MINOR.PATCH". Static storage; do not free. */
const char *cfn_version(void);

/* A short English text for a status code. Static storage; do not free. */
const char *cfn_status_string(int status);

/* The message of the last failed call on this thread, naming the metric, label or
 * value at fault; "" if none failed yet. Owned by the library and valid until the
 * next cfn_* call on the same thread; copy it to keep it. */
const char *cfn_last_error(void);

/* ---- registries ------------------------------------------------------- */

/* The process-wide registry, created on first use. Never released; the caller
 * must not call cfn_registry_release on it (doing so is ignored). */
cfn_registry *cfn_registry_default(void);

/* A new empty registry, or NULL when memory runs out. Release it with
 * cfn_registry_release once no other call uses it. */
cfn_registry *cfn_registry_new(void);

/* Gives back a registry from cfn_registry_new. Handles to its families and series
 * stay valid until they are released themselves. Accepts NULL. */
void cfn_registry_release(cfn_registry *registry);

/* Registers the five blocking-coordination metrics in `registry` (a registry
 * that already has them with the same definitions is left as it is):
 *   blocking_coordinators_total        gauge     swarm_id, phase, status
 *   blocking_duration_seconds          histogram swarm_id, coordinator_id, status
 *   signal_delivery_latency_seconds    histogram sender_id, receiver_id, signal_type
 *   heartbeat_failures_total           counter   coordinator_id, failure_type
 *   timeout_events_total               counter   coordinator_id, timeout_type */
int cfn_register_core_metrics(cfn_registry *registry);

/* Removes the family called `name` and all its series from the next rendering.
 * Handles to it stay valid but no longer reach the registry.
 * CFN_ERR_NOT_FOUND when no such family exists. */
int cfn_registry_unregister(cfn_registry *registry, const char *name);

/* Replaces the registry's constant labels: `count` name/value pairs (UTF-8, copied) written first
 * on every rendered series, e.g. env="prod". A count of 0 removes them. A name that a registered
 * family already uses is CFN_ERR_CONFLICT, and so is registering such a family afterwards. */
int cfn_registry_set_constant_labels(cfn_registry *registry, const char *const *names,
                                     const char *const *values, size_t count);

/* Renders every family into a new NUL-terminated buffer. On success *out points
 * to it and *out_len (if not NULL) holds its length without the NUL; free it with
 * cfn_buffer_free. `format` is a cfn_format. */
int cfn_registry_render(cfn_registry *registry, int format, char **out, size_t *out_len);

/* Frees a buffer returned by this library. Accepts NULL. */
void cfn_buffer_free(char *buffer);

/* ---- families --------------------------------------------------------- */

/* Registers (or finds) a counter, gauge or histogram family.
 * `label_names` holds `label_count` names (it may be NULL when the count is 0).
 * Registering a name again with the identical definition returns the existing
 * family; any difference is CFN_ERR_CONFLICT naming what differs.
 * Histogram buckets are the finite, strictly increasing upper bounds; +Inf is
 * always added as the last bucket. On success *out holds a family reference
 * that the caller releases with cfn_family_release. */
int cfn_counter_family(cfn_registry *registry, const char *name, const char *help,
                       const char *const *label_names, size_t label_count,
                       cfn_family **out);
int cfn_gauge_family(cfn_registry *registry, const char *name, const char *help,
                     const char *const *label_names, size_t label_count,
                     cfn_family **out);
int cfn_histogram_family(cfn_registry *registry, const char *name, const char *help,
                         const char *const *label_names, size_t label_count,
                         const double *buckets, size_t bucket_count, cfn_family **out);

/* Finds an already registered family by name. CFN_ERR_NOT_FOUND if there is none. */
int cfn_registry_family(cfn_registry *registry, const char *name, cfn_family **out);

/* Gives back a family reference. Accepts NULL. */
void cfn_family_release(cfn_family *family);

/* Gets or creates the series with these label values (one per label name, in
 * the family's order, UTF-8). Looking up an existing series allocates nothing.
 * On success *out holds a series reference the caller releases with
 * cfn_series_release; keep it to update the series without a lookup. */
int cfn_family_series(cfn_family *family, const char *const *label_values,
                      size_t label_count, cfn_series **out);

/* Removes one series. Handles to it stay valid but no longer reach the family.
 * CFN_ERR_NOT_FOUND when the family has no such series. */
int cfn_family_remove(cfn_family *family, const char *const *label_values,
                      size_t label_count);

/* Removes every series of the family; the family itself stays registered. */
int cfn_family_reset(cfn_family *family);

/* Gives back a series reference. Accepts NULL. */
void cfn_series_release(cfn_series *series);

/* ---- updates (lock-free on counters and gauges) ----------------------- */

/* Adds `delta` (finite or +Inf, not negative, not NaN) to a counter series. */
int cfn_counter_add(cfn_series *series, double delta);

/* Adds 1 to a counter series. */
int cfn_counter_inc(cfn_series *series);

/* Sets a gauge series to `value`. */
int cfn_gauge_set(cfn_series *series, double value);

/* Adds `delta` (which may be negative) to a gauge series. */
int cfn_gauge_add(cfn_series *series, double delta);

/* Records one observation in a histogram series. NaN is refused. */
int cfn_histogram_observe(cfn_series *series, double value);

/* Reads the current value of a counter or gauge series into *out. */
int cfn_series_value(cfn_series *series, double *out);

#ifdef __cplusplus
}
#endif

#endif /* CFN_METRICS_H */
