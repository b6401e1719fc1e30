/*
 * collector.h - the plugin's state and the read of one scrape's worth of keys.
 */
#ifndef CFN_REDIS_COLLECTOR_H
#define CFN_REDIS_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "bad_values.h"
#include "cfn_plugin.h"
#include "connection.h"
#include "coordinators.h"
#include "metrics.h"
#include "options.h"

#pragma GCC visibility push(hidden)

/* The coordinator keys of one SCAN page, the MGET arguments built from them and
 * the replies. Element 0 of keys and beats is "MGET"; entry i of memory belongs to
 * keys[i + 1]. */
typedef struct page {
    redisReply *scan;       /* the SCAN reply the keys point into */
    redisReply *values;     /* MGET of the coordinator keys */
    redisReply *heartbeats; /* MGET of their heartbeat keys */
    size_t count;
    size_t capacity;
    const char **keys;      /* point into the SCAN reply */
    size_t *key_lens;
    const char **beats;     /* blocking:heartbeat:<id>, NUL-terminated, in beat_text */
    size_t *beat_lens;
    coordinator_memory **memory;
    char *beat_text;
    size_t beat_text_size;
} page;

typedef struct redis_collector {
    const cfn_plugin_host *host;
    redis_options options;
    connection conn;
    tracker *tracker;
    bad_values *bad; /* keys whose bad value was already counted and logged */
    redis_metrics metrics;
    page pages[2]; /* one is read from Redis while the other is taken in */
    char scan_count[16]; /* options.scan_count as text, for SCAN ... COUNT */
    unsigned warnings;   /* warnings logged in this collect */
    unsigned suppressed; /* warnings left out in this collect to avoid a flood */
} redis_collector;

/* Reads the timeout counter and every coordinator key with its heartbeat, updating
 * the tracker and the counters on the way. Returns 0; -1 when Redis could not be
 * read (the reason is written into reason); or CFN_ERR_NO_MEMORY. */
int collector_scan(redis_collector *c, const deadline *limit, int64_t now_ms, char *reason,
                   size_t reason_size);

/* Frees a page's buffers and replies. */
void collector_page_free(page *p);

#pragma GCC visibility pop

#endif /* CFN_REDIS_COLLECTOR_H */
