/*
 * registry_bench.c - speed and memory of libcfnmetrics through its C ABI, the way a C caller
 * uses it. Run by scripts/bench against a release build; prints one line per measurement.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfn_metrics.h"

static double now_ns(void)
{
    struct timespec spec;

    clock_gettime(CLOCK_MONOTONIC, &spec);
    return (double)spec.tv_sec * 1e9 + (double)spec.tv_nsec;
}

static long resident_kib(void)
{
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;

    if (status == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), status) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
        }
    }
    fclose(status);
    return kib;
}

static void report(const char *what, double value, const char *unit)
{
    printf("%-44s %12.2f %s\n", what, value, unit);
}

int main(void)
{
    enum { N = 20000000, LOOKUPS = 2000000 };
    cfn_registry *registry = cfn_registry_new();
    cfn_family *counters = NULL;
    cfn_family *histograms = NULL;
    cfn_series *series = NULL;
    const char *names[] = {"a", "b", "c"};
    const char *values[] = {"swarm-17", "coordinator-42", "completed"};
    const double buckets[] = {1, 5, 10, 30, 60, 120, 300, 600, 1800};
    char *text = NULL;
    size_t length = 0;
    double start;

    if (cfn_counter_family(registry, "bench_total", "Bench.", names, 3, &counters) != CFN_OK ||
        cfn_histogram_family(registry, "bench_seconds", "Bench.", names, 3, buckets, 9,
                             &histograms) != CFN_OK ||
        cfn_family_series(counters, values, 3, &series) != CFN_OK) {
        fprintf(stderr, "setup failed: %s\n", cfn_last_error());
        return 1;
    }

    start = now_ns();
    for (int i = 0; i < N; i++) {
        cfn_counter_inc(series);
    }
    report("counter increment, cached handle", (now_ns() - start) / N, "ns");
    cfn_series_release(series);

    start = now_ns();
    for (int i = 0; i < LOOKUPS; i++) {
        cfn_family_series(counters, values, 3, &series);
        cfn_counter_inc(series);
        cfn_series_release(series);
    }
    report("lookup by 3 label values + increment", (now_ns() - start) / LOOKUPS, "ns");

    cfn_family_series(histograms, values, 3, &series);
    start = now_ns();
    for (int i = 0; i < N; i++) {
        cfn_histogram_observe(series, (double)(i % 2000));
    }
    report("histogram observe, cached handle", (now_ns() - start) / N, "ns");
    cfn_series_release(series);

    /* 1,000 counters and 1,000 histograms of 9 buckets: 1,000 + 1,000 x 12 = 13,000 lines. */
    for (int i = 0; i < 1000; i++) {
        char id[32];
        const char *labels[] = {"swarm", id, "completed"};
        snprintf(id, sizeof(id), "coordinator-%d", i);
        cfn_family_series(counters, labels, 3, &series);
        cfn_counter_add(series, i);
        cfn_series_release(series);
        cfn_family_series(histograms, labels, 3, &series);
        cfn_histogram_observe(series, i);
        cfn_series_release(series);
    }
    cfn_registry_render(registry, CFN_FORMAT_TEXT_0_0_4, &text, &length);
    cfn_buffer_free(text);
    start = now_ns();
    for (int i = 0; i < 20; i++) {
        cfn_registry_render(registry, CFN_FORMAT_TEXT_0_0_4, &text, &length);
        cfn_buffer_free(text);
    }
    report("render ~13,000 sample lines", (now_ns() - start) / 20 / 1e6, "ms");

    {
        long before = resident_kib();
        cfn_family *gauges = NULL;
        const char *gauge_names[] = {"swarm_id", "coordinator_id"};

        cfn_gauge_family(registry, "bench_memory", "Bench.", gauge_names, 2, &gauges);
        for (int i = 0; i < 100000; i++) {
            char swarm[32];
            char id[32];
            const char *labels[] = {swarm, id};
            snprintf(swarm, sizeof(swarm), "swarm-%d", i % 100);
            snprintf(id, sizeof(id), "coordinator-%d", i);
            cfn_family_series(gauges, labels, 2, &series);
            cfn_gauge_set(series, i);
            cfn_series_release(series);
        }
        report("memory of 100,000 gauge series", (double)(resident_kib() - before) / 1024, "MiB");
        cfn_family_release(gauges);
    }
    cfn_family_release(counters);
    cfn_family_release(histograms);
    cfn_registry_release(registry);
    return 0;
}
