/*
 * coordinators.h - turning coordinator and heartbeat values into metric values.
 *
 * A collect calls tracker_begin, then for each coordinator key found tracker_claim,
 * tracker_add_coordinator and (unless the coordinator is finished)
 * tracker_check_heartbeat, tracker_note_failure for each failure it counts, and at
 * the end (when every page was read) tracker_publish and tracker_forget_vanished.
 */
#ifndef CFN_REDIS_COORDINATORS_H
#define CFN_REDIS_COORDINATORS_H

#include <stddef.h>
#include <stdint.h>

#include "cfn_metrics.h"

#pragma GCC visibility push(hidden)

/* What the plugin remembers about one coordinator key between collects. */
typedef struct coordinator_memory {
    uint64_t seen;        /* the collect that last found the key */
    double stale_counted; /* lastHeartbeat already counted as stale; NaN if none */
    int missing_counted;  /* the absent heartbeat was already counted */
} coordinator_memory;

typedef enum heartbeat_verdict {
    HEARTBEAT_FINE,          /* nothing new to count */
    HEARTBEAT_STALE,         /* a stale episode starts: count failure_type="stale" */
    HEARTBEAT_MISSING,       /* a missing episode starts: count failure_type="missing" */
    HEARTBEAT_NOT_AN_OBJECT, /* the value is not a JSON object: skip it */
    HEARTBEAT_NO_TIMESTAMP,  /* an object without a numeric lastHeartbeat: skip it */
    HEARTBEAT_NO_MEMORY
} heartbeat_verdict;

typedef struct tracker tracker;

/* forget_after_ms: how long a coordinator id may go without any key before its
 * heartbeat_failures_total series are removed; 0 keeps them forever. */
tracker *tracker_new(uint32_t heartbeat_timeout_ms, uint32_t forget_after_ms);
void tracker_free(tracker *t);

/* Starts a collect at wall-clock time now_ms, forgetting the last one's sums. */
void tracker_begin(tracker *t, int64_t now_ms);

/* The memory of a coordinator key, whose coordinator id is id[0..id_len), or NULL
 * when memory runs out. *duplicate is set when this collect already claimed the
 * key (SCAN may return a key twice). */
coordinator_memory *tracker_claim(tracker *t, const char *key, size_t key_len, const char *id,
                                  size_t id_len, int *duplicate);

/* Counts one coordinator value into the per-swarm sums, setting *finished when
 * its status is completed, timeout or error. Returns 0; -1 when the value is not
 * a JSON object (nothing is counted); CFN_ERR_NO_MEMORY. */
int tracker_add_coordinator(tracker *t, const char *value, size_t len, int *finished);

/* Judges a coordinator's heartbeat value, or its absence (value NULL). */
heartbeat_verdict tracker_check_heartbeat(tracker *t, coordinator_memory *memory,
                                          const char *value, size_t len);

/* Replaces the series of both gauges with this collect's sums. Returns CFN_OK or
 * the first failing status (the other series are still written). */
int tracker_publish(tracker *t, cfn_family *coordinators, cfn_family *oldest_age);

/* Remembers that coordinator id[0..id_len) has heartbeat_failures_total series,
 * so they can be removed once it is gone. Returns 0 or CFN_ERR_NO_MEMORY. */
int tracker_note_failure(tracker *t, const char *id, size_t id_len);

/* Drops the memory of keys this collect did not find, so it stays bounded, and
 * calls forget(id, arg) for each coordinator id with failure series that no key
 * has had for longer than forget_after, forgetting it too. Returns 0, or -1 when
 * memory ran out (what was not dropped is tried again after the next collect). */
int tracker_forget_vanished(tracker *t, void (*forget)(const char *id, void *arg), void *arg);

#pragma GCC visibility pop

#endif /* CFN_REDIS_COORDINATORS_H */
