/*
 * collect.c - reading the coordinator keys, one round trip per SCAN page.
 *
 * Each round trip carries the MGET of a page's coordinator keys, the MGET of their
 * heartbeat keys and the SCAN for the next page. As soon as the next page's keys
 * are known its commands are sent, and only then is the current page's JSON read,
 * so Redis works on one page while the plugin reads the other.
 *
 * Heartbeats are read by key rather than with a second SCAN over
 * blocking:heartbeat:*: SCAN walks the whole keyspace whatever its MATCH, so a
 * second one would double that walk and its round trips, while the coordinator
 * ids are already known from the page's keys. A heartbeat whose coordinator key is
 * gone is therefore not read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "decimal.h"
#include "grow.h"
#include "plugin_log.h"

#define TIMEOUT_COUNTER_KEY "metrics:timeout_events_total"
#define COORDINATOR_PATTERN "swarm:*:blocking:*"
#define COORDINATOR_PREFIX "swarm:"
#define COORDINATOR_MARKER ":blocking:"
#define HEARTBEAT_PREFIX "blocking:heartbeat:"
#define NOT_AN_OBJECT "skipping value that is not a JSON object"
#define WARNINGS_PER_COLLECT 10
#define KEY_FIELD_SIZE 512 /* a longer key is shortened in the log */
#define CURSOR_SIZE 32     /* SCAN cursors are unsigned 64-bit numbers */

#define LEN(literal) (sizeof(literal) - 1)

static void warn_about_key(redis_collector *c, const char *message, const char *key,
                           size_t key_len, const char *error)
{
    char fields[KEY_FIELD_SIZE + 256];

    if (c->warnings >= WARNINGS_PER_COLLECT) {
        c->suppressed++;
        return;
    }
    c->warnings++;
    logfmt_pair(fields, KEY_FIELD_SIZE, "key", key, key_len);
    if (error) {
        size_t used = strlen(fields);
        fields[used++] = ' ';
        logfmt_pair(fields + used, sizeof(fields) - used, "error", error, strlen(error));
    }
    plugin_log(c->host, CFN_LOG_WARN, message, fields);
}

/* Skips a value that cannot be read, counting and reporting it only the first time the key
 * is found with it (value NULL: the key has no string value to tell apart). */
static void skip_value(redis_collector *c, key_type type, const char *message, const char *key,
                       size_t key_len, const redisReply *value)
{
    int is_string = value && value->type == REDIS_REPLY_STRING;

    if (!bad_values_note(c->bad, type, key, key_len, is_string ? value->str : NULL,
                         is_string ? value->len : 0))
        return;
    metrics_count_parse_error(&c->metrics, type);
    warn_about_key(c, message, key, key_len, NULL);
}

static void set_reply_error(const char *command, const redisReply *reply, char *reason,
                            size_t reason_size)
{
    if (reply->type == REDIS_REPLY_ERROR)
        snprintf(reason, reason_size, "%s failed: %s", command, reply->str);
    else
        snprintf(reason, reason_size, "unexpected reply type %d to %s", reply->type, command);
}

static int read_timeout_counter(redis_collector *c, const redisReply *reply, char *reason,
                                size_t reason_size)
{
    uint64_t value;

    if (reply->type == REDIS_REPLY_NIL)
        return 0;
    /* Only a value of the wrong kind is skipped; any other error is Redis failing. */
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "WRONGTYPE", 9) != 0) {
        set_reply_error("GET", reply, reason, reason_size);
        return -1;
    }
    if (reply->type != REDIS_REPLY_STRING ||
        parse_decimal(reply->str, reply->len, INT64_MAX, &value) != 0) {
        skip_value(c, KEY_TIMEOUT_COUNTER, "skipping value that is not a non-negative integer",
                   TIMEOUT_COUNTER_KEY, LEN(TIMEOUT_COUNTER_KEY), reply);
        return 0;
    }
    if (metrics_mirror_timeout_events(&c->metrics, (int64_t)value) != CFN_OK)
        warn_about_key(c, "cannot update the timeout counter", TIMEOUT_COUNTER_KEY,
                       LEN(TIMEOUT_COUNTER_KEY), cfn_last_error());
    return 0;
}

static int append_scan(redis_collector *c, const char *cursor, char *reason,
                       size_t reason_size)
{
    const char *argv[6] = {"SCAN", cursor, "MATCH", COORDINATOR_PATTERN, "COUNT", c->scan_count};
    size_t lengths[6] = {4, strlen(cursor), 5, LEN(COORDINATOR_PATTERN), 5,
                         strlen(c->scan_count)};

    return conn_append(&c->conn, 6, argv, lengths, reason, reason_size);
}

static int page_reserve(page *p, size_t count)
{
    size_t needed = count + 1; /* and "MGET" in front */

    if (needed <= p->capacity)
        return 0;
    const char **keys = realloc(p->keys, needed * sizeof(*keys));
    if (keys)
        p->keys = keys;
    size_t *key_lens = realloc(p->key_lens, needed * sizeof(*key_lens));
    if (key_lens)
        p->key_lens = key_lens;
    const char **beats = realloc(p->beats, needed * sizeof(*beats));
    if (beats)
        p->beats = beats;
    size_t *beat_lens = realloc(p->beat_lens, needed * sizeof(*beat_lens));
    if (beat_lens)
        p->beat_lens = beat_lens;
    coordinator_memory **memory = realloc(p->memory, needed * sizeof(*memory));
    if (memory)
        p->memory = memory;
    if (!keys || !key_lens || !beats || !beat_lens || !memory)
        return -1;
    p->capacity = needed;
    return 0;
}

static void page_drop_replies(page *p)
{
    freeReplyObject(p->scan);
    freeReplyObject(p->values);
    freeReplyObject(p->heartbeats);
    p->scan = p->values = p->heartbeats = NULL;
    p->count = 0;
}

void collector_page_free(page *p)
{
    page_drop_replies(p);
    free(p->keys);
    free(p->key_lens);
    free(p->beats);
    free(p->beat_lens);
    free(p->memory);
    free(p->beat_text);
    memset(p, 0, sizeof(*p));
}

/* Where the coordinator id starts in a key, or NULL when the key is not
 * swarm:<swarmId>:blocking:<coordinatorId>. */
static const char *coordinator_id(const redisReply *key)
{
    if (key->len < LEN(COORDINATOR_PREFIX) ||
        memcmp(key->str, COORDINATOR_PREFIX, LEN(COORDINATOR_PREFIX)) != 0)
        return NULL;
    /* Start at the prefix's colon: the swarm id may be empty. */
    const char *marker = strstr(key->str + LEN(COORDINATOR_PREFIX) - 1, COORDINATOR_MARKER);
    return marker ? marker + LEN(COORDINATOR_MARKER) : NULL;
}

/* Takes the next cursor out of p->scan and fills the page from its keys, leaving
 * out keys this collect has already seen. Returns 0, -1 with a reason, or
 * CFN_ERR_NO_MEMORY. */
static int build_page(redis_collector *c, page *p, char cursor[CURSOR_SIZE], char *reason,
                      size_t reason_size)
{
    const redisReply *scan = p->scan;
    size_t text_size = 0;

    if (scan->type != REDIS_REPLY_ARRAY || scan->elements != 2 ||
        scan->element[0]->type != REDIS_REPLY_STRING || scan->element[0]->len >= CURSOR_SIZE ||
        scan->element[1]->type != REDIS_REPLY_ARRAY) {
        set_reply_error("SCAN", scan, reason, reason_size);
        return -1;
    }
    memcpy(cursor, scan->element[0]->str, scan->element[0]->len + 1);
    const redisReply *keys = scan->element[1];
    if (page_reserve(p, keys->elements) != 0)
        return CFN_ERR_NO_MEMORY;
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *key = keys->element[i];
        int duplicate;
        if (key->type != REDIS_REPLY_STRING) {
            set_reply_error("SCAN", key, reason, reason_size);
            return -1;
        }
        /* A NUL would cut the coordinator_id label short. */
        if (memchr(key->str, '\0', key->len)) {
            skip_value(c, KEY_COORDINATOR, "skipping key that contains a NUL byte", key->str,
                       key->len, NULL);
            continue;
        }
        const char *id = coordinator_id(key);
        if (!id)
            continue;
        size_t id_len = (size_t)(key->str + key->len - id);
        coordinator_memory *memory = tracker_claim(c->tracker, key->str, key->len, id, id_len,
                                                   &duplicate);
        if (!memory)
            return CFN_ERR_NO_MEMORY;
        if (duplicate)
            continue; /* SCAN may return a key twice */
        size_t n = ++p->count;
        p->keys[n] = key->str;
        p->key_lens[n] = key->len;
        p->memory[n - 1] = memory;
        p->beats[n] = id; /* replaced by the heartbeat key below */
        p->beat_lens[n] = LEN(HEARTBEAT_PREFIX) + id_len;
        text_size += p->beat_lens[n] + 1;
    }
    if (grow_text(&p->beat_text, &p->beat_text_size, text_size) != 0)
        return CFN_ERR_NO_MEMORY;
    char *out = p->beat_text;
    for (size_t n = 1; n <= p->count; n++) {
        size_t id_len = p->beat_lens[n] - LEN(HEARTBEAT_PREFIX);
        memcpy(out, HEARTBEAT_PREFIX, LEN(HEARTBEAT_PREFIX));
        memcpy(out + LEN(HEARTBEAT_PREFIX), p->beats[n], id_len);
        out[p->beat_lens[n]] = '\0';
        p->beats[n] = out;
        out += p->beat_lens[n] + 1;
    }
    p->keys[0] = p->beats[0] = "MGET";
    p->key_lens[0] = p->beat_lens[0] = 4;
    return 0;
}

/* Sends the page's two MGETs (if it has keys) and the SCAN for the next page (if
 * cursor is not NULL) in one write. */
static int send_page(redis_collector *c, const page *p, const char *cursor,
                     const deadline *limit, char *reason, size_t reason_size)
{
    int argc = (int)p->count + 1;

    if (p->count &&
        (conn_append(&c->conn, argc, p->keys, p->key_lens, reason, reason_size) != 0 ||
         conn_append(&c->conn, argc, p->beats, p->beat_lens, reason, reason_size) != 0))
        return -1;
    if (cursor && append_scan(c, cursor, reason, reason_size) != 0)
        return -1;
    return conn_flush(&c->conn, &c->options, limit, reason, reason_size);
}

/* Reads the page's two MGET replies. */
static int receive_page(redis_collector *c, page *p, const deadline *limit, char *reason,
                        size_t reason_size)
{
    if (conn_reply(&c->conn, &c->options, limit, &p->values, reason, reason_size) != 0 ||
        conn_reply(&c->conn, &c->options, limit, &p->heartbeats, reason, reason_size) != 0)
        return -1;
    if (p->values->type != REDIS_REPLY_ARRAY || p->values->elements != p->count) {
        set_reply_error("MGET", p->values, reason, reason_size);
        return -1;
    }
    if (p->heartbeats->type != REDIS_REPLY_ARRAY || p->heartbeats->elements != p->count) {
        set_reply_error("MGET", p->heartbeats, reason, reason_size);
        return -1;
    }
    return 0;
}

/* Judges the heartbeat of coordinator i of the page and counts a new failure. */
static int check_heartbeat(redis_collector *c, const page *p, size_t i)
{
    const redisReply *beat = p->heartbeats->element[i];
    const char *value = beat->type == REDIS_REPLY_STRING ? beat->str : NULL;
    const char *key = p->beats[i + 1];

    heartbeat_verdict verdict = tracker_check_heartbeat(c->tracker, p->memory[i], value,
                                                        value ? beat->len : 0);
    switch (verdict) {
    case HEARTBEAT_FINE:
        return 0;
    case HEARTBEAT_NO_MEMORY:
        return CFN_ERR_NO_MEMORY;
    case HEARTBEAT_NOT_AN_OBJECT:
        skip_value(c, KEY_HEARTBEAT, NOT_AN_OBJECT, key, p->beat_lens[i + 1], beat);
        return 0;
    case HEARTBEAT_NO_TIMESTAMP:
        skip_value(c, KEY_HEARTBEAT, "skipping heartbeat without a numeric lastHeartbeat", key,
                   p->beat_lens[i + 1], beat);
        return 0;
    case HEARTBEAT_STALE:
    case HEARTBEAT_MISSING:
        break;
    }
    const char *id = key + LEN(HEARTBEAT_PREFIX);
    failure_type type = verdict == HEARTBEAT_STALE ? FAILURE_STALE : FAILURE_MISSING;
    if (metrics_count_heartbeat_failure(&c->metrics, id, type) != CFN_OK) {
        warn_about_key(c, "cannot count a heartbeat failure", p->keys[i + 1], p->key_lens[i + 1],
                       cfn_last_error());
        return 0;
    }
    return tracker_note_failure(c->tracker, id, p->beat_lens[i + 1] - LEN(HEARTBEAT_PREFIX));
}

/* Takes every value of a received page into the tracker. */
static int take_in_page(redis_collector *c, const page *p)
{
    for (size_t i = 0; i < p->count; i++) {
        const redisReply *value = p->values->element[i];
        /* A key deleted since the SCAN reads as nil: that is no error. So, alas, does a
         * key holding another Redis type (a hash, say): MGET cannot tell the two apart,
         * and a TYPE for each nil would cost one more round trip per page, so such a key
         * is taken for deleted and not counted. (A heartbeat key of another type reads as
         * missing, which is counted.) */
        if (value->type == REDIS_REPLY_NIL)
            continue;
        int finished = 0;
        int status = value->type == REDIS_REPLY_STRING
                         ? tracker_add_coordinator(c->tracker, value->str, value->len, &finished)
                         : -1;
        if (status == CFN_ERR_NO_MEMORY)
            return status;
        if (status != 0) {
            skip_value(c, KEY_COORDINATOR, NOT_AN_OBJECT, p->keys[i + 1], p->key_lens[i + 1],
                       value);
            continue;
        }
        /* A completed, timed-out or failed coordinator has stopped beating on
         * purpose: its heartbeat is neither missing nor stale, so it is not read
         * (nor counted as a parse error) and its episodes stay as they were. */
        if (finished)
            continue;
        if ((status = check_heartbeat(c, p, i)) != 0)
            return status;
    }
    return 0;
}

/* The first round trip: the timeout counter and the first page of keys. */
static int start_scan(redis_collector *c, page *first, const deadline *limit, char *reason,
                      size_t reason_size)
{
    const char *argv[2] = {"GET", TIMEOUT_COUNTER_KEY};
    size_t lengths[2] = {3, LEN(TIMEOUT_COUNTER_KEY)};
    redisReply *counter = NULL;
    int status;

    if ((status = conn_open(&c->conn, &c->options, limit, reason, reason_size)) != 0 ||
        (status = conn_append(&c->conn, 2, argv, lengths, reason, reason_size)) != 0 ||
        (status = append_scan(c, "0", reason, reason_size)) != 0 ||
        (status = conn_reply(&c->conn, &c->options, limit, &counter, reason, reason_size)) != 0 ||
        (status = read_timeout_counter(c, counter, reason, reason_size)) != 0)
        goto done;
    status = conn_reply(&c->conn, &c->options, limit, &first->scan, reason, reason_size);

done:
    freeReplyObject(counter);
    return status;
}

int collector_scan(redis_collector *c, const deadline *limit, int64_t now_ms, char *reason,
                   size_t reason_size)
{
    page *current = &c->pages[0], *next;
    char cursor[CURSOR_SIZE];
    int status, more;

    tracker_begin(c->tracker, now_ms);
    bad_values_begin(c->bad);
    if ((status = start_scan(c, current, limit, reason, reason_size)) != 0 ||
        (status = build_page(c, current, cursor, reason, reason_size)) != 0)
        goto done;
    more = strcmp(cursor, "0") != 0;
    if ((status = send_page(c, current, more ? cursor : NULL, limit, reason, reason_size)) != 0)
        goto done;
    for (;;) {
        if (current->count &&
            (status = receive_page(c, current, limit, reason, reason_size)) != 0)
            goto done;
        next = NULL;
        if (more) {
            /* Send the next page's commands before reading this page's values. */
            next = current == &c->pages[0] ? &c->pages[1] : &c->pages[0];
            if ((status = conn_reply(&c->conn, &c->options, limit, &next->scan, reason,
                                     reason_size)) != 0 ||
                (status = build_page(c, next, cursor, reason, reason_size)) != 0)
                goto done;
            more = strcmp(cursor, "0") != 0;
            if ((status = send_page(c, next, more ? cursor : NULL, limit, reason,
                                    reason_size)) != 0)
                goto done;
        }
        if ((status = take_in_page(c, current)) != 0)
            goto done;
        page_drop_replies(current);
        if (!next)
            break;
        current = next;
    }

done:
    if (status == CFN_ERR_NO_MEMORY)
        snprintf(reason, reason_size, "out of memory");
    page_drop_replies(&c->pages[0]);
    page_drop_replies(&c->pages[1]);
    return status;
}
