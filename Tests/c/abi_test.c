/*
 * abi_test.c - exercises libcfnmetrics through cfn_metrics.h only, as a C user would.
 * Prints one line per case and a closing "N passed, N failed" line; exits non-zero on failure.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfn_metrics.h"

static int passed;
static int failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            printf("  check failed at line %d: %s: ", __LINE__, #cond);    \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
            return 0;                                                      \
        }                                                                  \
    } while (0)

static char *render(cfn_registry *registry, int format)
{
    char *text = NULL;
    size_t length = 0;

    if (cfn_registry_render(registry, format, &text, &length) != CFN_OK) {
        return NULL;
    }
    if (strlen(text) != length) {
        cfn_buffer_free(text);
        return NULL;
    }
    return text;
}

static int contains(cfn_registry *registry, const char *needle)
{
    char *text = render(registry, CFN_FORMAT_TEXT_0_0_4);
    int found = text != NULL && strstr(text, needle) != NULL;

    cfn_buffer_free(text);
    return found;
}

static int test_version(void)
{
    CHECK(cfn_abi_version() == CFN_METRICS_ABI_VERSION, "abi %d", cfn_abi_version());
    CHECK(strcmp(cfn_version(), "0.1.0") == 0, "version %s", cfn_version());
    CHECK(strcmp(cfn_status_string(CFN_ERR_LABEL_COUNT), "wrong number of label values") == 0,
          "%s", cfn_status_string(CFN_ERR_LABEL_COUNT));
    CHECK(strcmp(cfn_status_string(12345), "unknown status") == 0, "unknown code text");
    return 1;
}

static int test_core_metrics_and_counting(void)
{
    cfn_registry *registry = cfn_registry_new();
    cfn_family *family = NULL;
    cfn_series *series = NULL;
    const char *labels[] = {"c1", "stale"};
    double value = 0;

    CHECK(cfn_register_core_metrics(registry) == CFN_OK, "%s", cfn_last_error());
    CHECK(cfn_register_core_metrics(registry) == CFN_OK, "second time: %s", cfn_last_error());
    CHECK(cfn_registry_family(registry, "heartbeat_failures_total", &family) == CFN_OK, "lookup");
    CHECK(cfn_family_series(family, labels, 2, &series) == CFN_OK, "%s", cfn_last_error());
    CHECK(cfn_counter_inc(series) == CFN_OK, "inc");
    CHECK(cfn_counter_add(series, 2.5) == CFN_OK, "add");
    CHECK(cfn_series_value(series, &value) == CFN_OK && value == 3.5, "value %g", value);
    CHECK(contains(registry,
                   "heartbeat_failures_total{coordinator_id=\"c1\",failure_type=\"stale\"} 3.5\n"),
          "rendered sample");
    CHECK(contains(registry, "# TYPE blocking_duration_seconds histogram\n"), "empty family");
    cfn_series_release(series);
    cfn_family_release(family);
    cfn_registry_release(registry);
    return 1;
}

static int test_histogram(void)
{
    cfn_registry *registry = cfn_registry_new();
    cfn_family *family = NULL;
    cfn_series *series = NULL;
    const char *names[] = {"swarm_id"};
    const char *values[] = {"s1"};
    const double buckets[] = {0.5, 1};

    CHECK(cfn_histogram_family(registry, "wait_seconds", "Wait.", names, 1, buckets, 2, &family)
              == CFN_OK, "%s", cfn_last_error());
    CHECK(cfn_family_series(family, values, 1, &series) == CFN_OK, "series");
    CHECK(cfn_histogram_observe(series, 0.25) == CFN_OK, "observe");
    CHECK(cfn_histogram_observe(series, 3) == CFN_OK, "observe");
    CHECK(cfn_histogram_observe(series, NAN) == CFN_ERR_INVALID_VALUE, "NaN refused");
    CHECK(strstr(cfn_last_error(), "wait_seconds") != NULL, "message: %s", cfn_last_error());
    CHECK(contains(registry, "wait_seconds_bucket{swarm_id=\"s1\",le=\"0.5\"} 1\n"), "bucket");
    CHECK(contains(registry, "wait_seconds_bucket{swarm_id=\"s1\",le=\"+Inf\"} 2\n"), "+Inf");
    CHECK(contains(registry, "wait_seconds_sum{swarm_id=\"s1\"} 3.25\n"), "sum");
    cfn_series_release(series);
    cfn_family_release(family);
    cfn_registry_release(registry);
    return 1;
}

static int test_invalid_input(void)
{
    cfn_registry *registry = cfn_registry_new();
    cfn_family *family = NULL;
    cfn_series *series = NULL;
    const char *names[] = {"a", "b"};
    const char *one[] = {"x"};
    const char *two[] = {"x", "y"};
    const char *bad_utf8[] = {"\xc3\x28", "y"};
    const double unordered[] = {2, 1};
    char *text = NULL;

    CHECK(cfn_gauge_family(NULL, "g", "h", NULL, 0, &family) == CFN_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(strcmp(cfn_last_error(), "registry is NULL") == 0, "%s", cfn_last_error());
    CHECK(cfn_gauge_family(registry, "1bad", "h", NULL, 0, &family) == CFN_ERR_INVALID_NAME,
          "name");
    CHECK(strstr(cfn_last_error(), "\"1bad\"") != NULL, "%s", cfn_last_error());
    CHECK(cfn_gauge_family(registry, "g", "h", names, 2, &family) == CFN_OK, "%s",
          cfn_last_error());
    cfn_family_release(family);
    CHECK(cfn_counter_family(registry, "g", "h", names, 2, &family) == CFN_ERR_CONFLICT,
          "conflict");
    CHECK(strstr(cfn_last_error(), "metric g") != NULL, "%s", cfn_last_error());
    CHECK(cfn_registry_family(registry, "g", &family) == CFN_OK, "lookup");
    CHECK(cfn_family_series(family, one, 1, &series) == CFN_ERR_LABEL_COUNT, "count");
    CHECK(strstr(cfn_last_error(), "expected 2") != NULL, "%s", cfn_last_error());
    CHECK(cfn_family_series(family, NULL, 2, &series) == CFN_ERR_INVALID_ARGUMENT, "NULL values");
    CHECK(cfn_family_series(family, bad_utf8, 2, &series) == CFN_ERR_INVALID_LABEL, "utf8");
    CHECK(strstr(cfn_last_error(), "label a") != NULL, "%s", cfn_last_error());
    CHECK(cfn_family_series(family, two, 2, &series) == CFN_OK, "valid");
    CHECK(cfn_counter_inc(series) == CFN_ERR_WRONG_TYPE, "gauge is not a counter");
    CHECK(cfn_histogram_observe(series, 1) == CFN_ERR_WRONG_TYPE, "not a histogram");
    CHECK(cfn_gauge_set(NULL, 1) == CFN_ERR_INVALID_ARGUMENT, "NULL series");
    CHECK(cfn_histogram_family(registry, "h", "h", NULL, 0, unordered, 2, &family)
              == CFN_ERR_INVALID_VALUE, "buckets");
    CHECK(strstr(cfn_last_error(), "strictly increasing") != NULL, "%s", cfn_last_error());
    CHECK(cfn_registry_unregister(registry, "missing") == CFN_ERR_NOT_FOUND, "unregister");
    CHECK(cfn_registry_render(registry, 7, &text, NULL) == CFN_ERR_INVALID_ARGUMENT, "format");
    cfn_series_release(series);
    cfn_family_release(family);
    cfn_registry_release(registry);
    cfn_family_release(NULL);
    cfn_series_release(NULL);
    cfn_registry_release(NULL);
    return 1;
}

static int test_counter_negative(void)
{
    cfn_registry *registry = cfn_registry_new();
    cfn_family *family = NULL;
    cfn_series *series = NULL;

    CHECK(cfn_counter_family(registry, "jobs_total", "Jobs.", NULL, 0, &family) == CFN_OK,
          "family");
    CHECK(cfn_family_series(family, NULL, 0, &series) == CFN_OK, "series");
    CHECK(cfn_counter_add(series, -1) == CFN_ERR_INVALID_VALUE, "negative");
    CHECK(strcmp(cfn_last_error(), "counter jobs_total: increment -1 is negative") == 0,
          "%s", cfn_last_error());
    cfn_series_release(series);
    cfn_family_release(family);
    cfn_registry_release(registry);
    return 1;
}

static int test_remove_and_reset(void)
{
    cfn_registry *registry = cfn_registry_new();
    cfn_family *family = NULL;
    cfn_series *series = NULL;
    const char *names[] = {"k"};
    const char *first[] = {"one"};
    const char *second[] = {"two"};

    CHECK(cfn_gauge_family(registry, "g", "G.", names, 1, &family) == CFN_OK, "family");
    CHECK(cfn_family_series(family, first, 1, &series) == CFN_OK, "series");
    CHECK(cfn_gauge_set(series, 5) == CFN_OK, "set");
    CHECK(cfn_family_remove(family, first, 1) == CFN_OK, "remove");
    CHECK(cfn_gauge_set(series, 6) == CFN_OK, "a removed series' handle stays usable");
    CHECK(!contains(registry, "g{k=\"one\"}"), "removed series rendered");
    CHECK(cfn_family_remove(family, first, 1) == CFN_ERR_NOT_FOUND, "remove twice");
    cfn_series_release(series);
    CHECK(cfn_family_series(family, second, 1, &series) == CFN_OK, "series");
    CHECK(cfn_family_reset(family) == CFN_OK, "reset");
    CHECK(!contains(registry, "g{k=\"two\"}"), "reset family rendered");
    CHECK(cfn_registry_unregister(registry, "g") == CFN_OK, "unregister");
    CHECK(!contains(registry, "# TYPE g"), "unregistered family rendered");
    cfn_series_release(series);
    cfn_family_release(family);
    cfn_registry_release(registry);
    return 1;
}

static int test_constant_labels(void)
{
    cfn_registry *registry = cfn_registry_new();
    cfn_family *family = NULL;
    cfn_series *series = NULL;
    const char *names[] = {"env"};
    const char *values[] = {"prod"};
    const char *bad_values[] = {"\xff"};
    const char *label[] = {"k"};
    const char *key[] = {"v"};

    CHECK(cfn_registry_set_constant_labels(registry, names, NULL, 1) == CFN_ERR_INVALID_ARGUMENT,
          "NULL values");
    CHECK(cfn_registry_set_constant_labels(registry, names, bad_values, 1) == CFN_ERR_INVALID_LABEL,
          "UTF-8");
    CHECK(strcmp(cfn_last_error(), "value of constant label env is not valid UTF-8") == 0, "%s",
          cfn_last_error());
    CHECK(cfn_registry_set_constant_labels(registry, names, values, 1) == CFN_OK, "set");
    CHECK(cfn_gauge_family(registry, "g", "G.", label, 1, &family) == CFN_OK, "family");
    CHECK(cfn_family_series(family, key, 1, &series) == CFN_OK, "series");
    CHECK(contains(registry, "g{env=\"prod\",k=\"v\"} 0\n"), "constant label rendered first");
    CHECK(cfn_registry_set_constant_labels(registry, label, values, 1) == CFN_ERR_CONFLICT,
          "shadowing a family label");
    CHECK(cfn_registry_set_constant_labels(registry, NULL, NULL, 0) == CFN_OK, "clear");
    CHECK(contains(registry, "g{k=\"v\"} 0\n"), "cleared");
    cfn_series_release(series);
    cfn_family_release(family);
    cfn_registry_release(registry);
    return 1;
}

enum { THREADS = 4, INCREMENTS = 100000 };

static void *hammer(void *argument)
{
    cfn_family *family = argument;
    const char *values[] = {"shared"};
    cfn_series *series = NULL;

    for (int i = 0; i < INCREMENTS; i++) {
        /* Half the increments look the series up again, half use the cached handle. */
        if (i % 2 == 0) {
            cfn_series *again = NULL;
            if (cfn_family_series(family, values, 1, &again) != CFN_OK) {
                return NULL;
            }
            cfn_counter_inc(again);
            cfn_series_release(again);
        } else {
            if (series == NULL && cfn_family_series(family, values, 1, &series) != CFN_OK) {
                return NULL;
            }
            cfn_counter_inc(series);
        }
    }
    cfn_series_release(series);
    return NULL;
}

static int test_threads(void)
{
    cfn_registry *registry = cfn_registry_new();
    cfn_family *family = NULL;
    cfn_series *series = NULL;
    const char *names[] = {"k"};
    const char *values[] = {"shared"};
    pthread_t threads[THREADS];
    double total = 0;

    CHECK(cfn_counter_family(registry, "hits_total", "Hits.", names, 1, &family) == CFN_OK, "fam");
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&threads[i], NULL, hammer, family);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    CHECK(cfn_family_series(family, values, 1, &series) == CFN_OK, "series");
    CHECK(cfn_series_value(series, &total) == CFN_OK, "value");
    CHECK(total == (double)THREADS * INCREMENTS, "total %.0f", total);
    cfn_series_release(series);
    cfn_family_release(family);
    cfn_registry_release(registry);
    return 1;
}

static int test_default_registry(void)
{
    cfn_registry *registry = cfn_registry_default();

    CHECK(registry != NULL && registry == cfn_registry_default(), "one default registry");
    cfn_registry_release(registry); /* ignored by contract */
    CHECK(cfn_register_core_metrics(cfn_registry_default()) == CFN_OK, "still usable");
    return 1;
}

int main(void)
{
    struct {
        const char *name;
        int (*run)(void);
    } cases[] = {
        {"version", test_version},
        {"core_metrics_and_counting", test_core_metrics_and_counting},
        {"histogram", test_histogram},
        {"invalid_input", test_invalid_input},
        {"counter_negative", test_counter_negative},
        {"remove_and_reset", test_remove_and_reset},
        {"constant_labels", test_constant_labels},
        {"threads", test_threads},
        {"default_registry", test_default_registry},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int ok = cases[i].run();
        printf("%s %s\n", ok ? "ok  " : "FAIL", cases[i].name);
        if (ok) {
            passed++;
        } else {
            failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
