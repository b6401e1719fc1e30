/*
 * coordinators.c - per-swarm sums, oldest start times and heartbeat episodes.
 */
#include "coordinators.h"
#include "grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_fields.h"
#include "strmap.h"

#define UNKNOWN_LABEL "unknown"
#define DEFAULT_STATUS "active"

struct tracker {
    strmap *memory; /* coordinator key -> coordinator_memory */
    strmap *failed; /* coordinator id with failure series -> int64_t, when a key last had it */
    strmap *groups; /* "swarm\0phase\0status" -> double, coordinators with those labels */
    strmap *oldest; /* swarm -> double, smallest startTime (ms) still blocking */
    uint64_t generation;
    int64_t now_ms;
    uint32_t heartbeat_timeout_ms;
    uint32_t forget_after_ms;
    json_scratch json; /* where picked JSON strings are unescaped */
    char *group_key;   /* where group keys are built */
    size_t group_key_size;
};

/* Coordinators in these states no longer block, so they do not age a swarm. */
static const char *const FINISHED_STATUSES[] = {"completed", "timeout", "error"};

tracker *tracker_new(uint32_t heartbeat_timeout_ms, uint32_t forget_after_ms)
{
    tracker *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->heartbeat_timeout_ms = heartbeat_timeout_ms;
    t->forget_after_ms = forget_after_ms;
    t->memory = strmap_new(sizeof(coordinator_memory));
    t->failed = strmap_new(sizeof(int64_t));
    t->groups = strmap_new(sizeof(double));
    t->oldest = strmap_new(sizeof(double));
    if (!t->memory || !t->failed || !t->groups || !t->oldest) {
        tracker_free(t);
        return NULL;
    }
    return t;
}

void tracker_free(tracker *t)
{
    if (!t)
        return;
    strmap_free(t->memory);
    strmap_free(t->failed);
    strmap_free(t->groups);
    strmap_free(t->oldest);
    json_scratch_free(&t->json);
    free(t->group_key);
    free(t);
}

void tracker_begin(tracker *t, int64_t now_ms)
{
    t->generation++;
    t->now_ms = now_ms;
    strmap_clear(t->groups);
    strmap_clear(t->oldest);
}

coordinator_memory *tracker_claim(tracker *t, const char *key, size_t key_len, const char *id,
                                  size_t id_len, int *duplicate)
{
    int added;
    coordinator_memory *memory = strmap_upsert(t->memory, key, key_len, &added);

    if (!memory)
        return NULL;
    if (added)
        memory->stale_counted = NAN;
    *duplicate = memory->seen == t->generation;
    memory->seen = t->generation;
    /* Only ids with failure series are looked up, and only while there are any. */
    if (strmap_count(t->failed)) {
        int64_t *last_seen = strmap_get(t->failed, id, id_len);
        if (last_seen)
            *last_seen = t->now_ms;
    }
    return memory;
}

/* A string field, or fallback when it is absent, empty or not a string. */
static const char *text_or(const json_field *field, const char *fallback)
{
    return field->kind == JSON_KIND_STRING && field->string[0] ? field->string : fallback;
}

static int is_finished(const char *status)
{
    for (size_t i = 0; i < sizeof(FINISHED_STATUSES) / sizeof(FINISHED_STATUSES[0]); i++) {
        if (strcmp(status, FINISHED_STATUSES[i]) == 0)
            return 1;
    }
    return 0;
}

/* Counts one coordinator under its swarm, phase and status. */
static int count_in_group(tracker *t, const char *const parts[3])
{
    size_t lengths[3] = {strlen(parts[0]), strlen(parts[1]), strlen(parts[2])};
    size_t key_len = lengths[0] + lengths[1] + lengths[2] + 2;
    int added;

    /* Picked JSON strings hold no NUL (json_fields refuses \u0000 in them), so NUL
     * can separate the labels. */
    if (grow_text(&t->group_key, &t->group_key_size, key_len) != 0)
        return CFN_ERR_NO_MEMORY;
    char *p = t->group_key;
    for (size_t i = 0; i < 3; i++) {
        memcpy(p, parts[i], lengths[i]);
        p += lengths[i];
        if (i < 2)
            *p++ = '\0';
    }
    double *count = strmap_upsert(t->groups, t->group_key, key_len, &added);
    if (!count)
        return CFN_ERR_NO_MEMORY;
    *count += 1;
    return 0;
}

int tracker_add_coordinator(tracker *t, const char *value, size_t len, int *finished)
{
    enum { SWARM, PHASE, STATUS, START, FIELD_COUNT };
    json_field fields[FIELD_COUNT] = {
        [SWARM] = {.name = "swarmId"},
        [PHASE] = {.name = "phase"},
        [STATUS] = {.name = "status"},
        [START] = {.name = "startTime"},
    };
    int added;

    int status = json_fields_read(value, len, fields, FIELD_COUNT, &t->json);
    if (status != 0)
        return status == -2 ? CFN_ERR_NO_MEMORY : -1;
    const char *parts[3] = {
        text_or(&fields[SWARM], UNKNOWN_LABEL),
        text_or(&fields[PHASE], UNKNOWN_LABEL),
        text_or(&fields[STATUS], DEFAULT_STATUS),
    };
    if ((status = count_in_group(t, parts)) != 0)
        return status;
    *finished = is_finished(parts[2]);
    if (fields[START].kind != JSON_KIND_NUMBER || *finished)
        return 0;
    double *oldest = strmap_upsert(t->oldest, parts[0], strlen(parts[0]), &added);
    if (!oldest)
        return CFN_ERR_NO_MEMORY;
    if (added || fields[START].number < *oldest)
        *oldest = fields[START].number;
    return 0;
}

heartbeat_verdict tracker_check_heartbeat(tracker *t, coordinator_memory *memory,
                                          const char *value, size_t len)
{
    json_field last = {.name = "lastHeartbeat"};

    if (!value) {
        if (memory->missing_counted)
            return HEARTBEAT_FINE;
        memory->missing_counted = 1;
        return HEARTBEAT_MISSING;
    }
    int status = json_fields_read(value, len, &last, 1, &t->json);
    if (status != 0)
        return status == -2 ? HEARTBEAT_NO_MEMORY : HEARTBEAT_NOT_AN_OBJECT;
    if (last.kind != JSON_KIND_NUMBER)
        return HEARTBEAT_NO_TIMESTAMP;
    memory->missing_counted = 0;
    /* A heartbeat more than heartbeat_timeout ahead of this clock is stale too: a clock
     * that far ahead cannot be trusted, and such a value would otherwise look fresh until
     * long after the coordinator stopped. */
    double age_ms = (double)t->now_ms - last.number;
    if (fabs(age_ms) <= (double)t->heartbeat_timeout_ms) {
        memory->stale_counted = NAN; /* a fresh heartbeat ends the episode */
        return HEARTBEAT_FINE;
    }
    /* The same stale value is the same episode; a newer one starts another. */
    if (memory->stale_counted == last.number)
        return HEARTBEAT_FINE;
    memory->stale_counted = last.number;
    return HEARTBEAT_STALE;
}

static int set_gauge(cfn_family *family, const char *const *labels, size_t label_count,
                     double value)
{
    cfn_series *series = NULL;
    int status = cfn_family_series(family, labels, label_count, &series);

    if (status == CFN_OK)
        status = cfn_gauge_set(series, value);
    cfn_series_release(series);
    return status;
}

int tracker_publish(tracker *t, cfn_family *coordinators, cfn_family *oldest_age)
{
    int first_failure = CFN_OK;
    size_t cursor = 0;
    const char *key;
    size_t key_len;
    void *value;

    cfn_family_reset(coordinators);
    cfn_family_reset(oldest_age);
    while (strmap_next(t->groups, &cursor, &key, &key_len, &value)) {
        const char *phase = key + strlen(key) + 1;
        const char *labels[3] = {key, phase, phase + strlen(phase) + 1};
        int status = set_gauge(coordinators, labels, 3, *(double *)value);
        if (first_failure == CFN_OK)
            first_failure = status;
    }
    cursor = 0;
    while (strmap_next(t->oldest, &cursor, &key, &key_len, &value)) {
        double age = ((double)t->now_ms - *(double *)value) / 1000.0;
        int status = set_gauge(oldest_age, &key, 1, age > 0 ? age : 0);
        if (first_failure == CFN_OK)
            first_failure = status;
    }
    return first_failure;
}

static int seen_in_collect(const void *value, const void *generation)
{
    return ((const coordinator_memory *)value)->seen == *(const uint64_t *)generation;
}

int tracker_note_failure(tracker *t, const char *id, size_t id_len)
{
    int added;

    if (t->forget_after_ms == 0)
        return 0; /* never forgotten, so nothing to remember */
    int64_t *last_seen = strmap_upsert(t->failed, id, id_len, &added);
    if (!last_seen)
        return CFN_ERR_NO_MEMORY;
    *last_seen = t->now_ms;
    return 0;
}

/* Whether a failure record is kept: some key had its id within forget_after. */
static int still_remembered(const void *value, const void *arg)
{
    const tracker *t = arg;

    return t->now_ms - *(const int64_t *)value <= (int64_t)t->forget_after_ms;
}

int tracker_forget_vanished(tracker *t, void (*forget)(const char *id, void *arg), void *arg)
{
    size_t cursor = 0, forgotten = 0;
    const char *id;
    size_t id_len;
    void *value;
    int status = strmap_retain(t->memory, seen_in_collect, &t->generation);

    /* Every id a key had in this collect was stamped with now_ms by tracker_claim,
     * so only ids whose keys are all gone can be forgotten. The map holds no more
     * ids than heartbeat_failures_total has coordinators, and loses each one
     * forget_after after its last key went. */
    while (strmap_next(t->failed, &cursor, &id, &id_len, &value)) {
        if (!still_remembered(value, t)) {
            forget(id, arg);
            forgotten++;
        }
    }
    if (forgotten && strmap_retain(t->failed, still_remembered, t) != 0)
        status = -1;
    return status;
}
