/*
 * options.c - defaults and validation of the plugin options.
 */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "decimal.h"

#define DEFAULT_URL "redis://127.0.0.1:6379/0"
#define MAX_DURATION_MS 86400000u /* one day: anything longer is a typo */
#define MAX_SCAN_COUNT 1000000u
#define REDACTED_SIZE 512

typedef enum option_kind {
    OPTION_URL,
    OPTION_DURATION,      /* from 1ms to 24h */
    OPTION_DURATION_OR_0, /* the same, or 0 to turn something off */
    OPTION_COUNT
} option_kind;

static const struct option_def {
    const char *key;
    option_kind kind;
    size_t offset; /* of the uint32_t field, for durations and counts */
} OPTION_DEFS[] = {
    {"url", OPTION_URL, 0},
    {"connect_timeout", OPTION_DURATION, offsetof(redis_options, connect_timeout_ms)},
    {"command_timeout", OPTION_DURATION, offsetof(redis_options, command_timeout_ms)},
    {"heartbeat_timeout", OPTION_DURATION, offsetof(redis_options, heartbeat_timeout_ms)},
    {"scan_count", OPTION_COUNT, offsetof(redis_options, scan_count)},
    {"forget_after", OPTION_DURATION_OR_0, offsetof(redis_options, forget_after_ms)},
};

#define OPTION_DEF_COUNT (sizeof(OPTION_DEFS) / sizeof(OPTION_DEFS[0]))

/* Digits followed by ms, s, m or h (a bare 0 too), at most MAX_DURATION_MS, into
 * *out. Returns 0, or -1 when the text is not such a duration. */
static int parse_duration_ms(const char *text, uint32_t *out)
{
    static const struct { const char *suffix; uint64_t scale; } UNITS[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
    };
    size_t digits = strspn(text, "0123456789");
    uint64_t value;

    if (parse_decimal(text, digits, MAX_DURATION_MS, &value) != 0)
        return -1;
    if (value == 0 && text[digits] == '\0') {
        *out = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof(UNITS) / sizeof(UNITS[0]); i++) {
        if (strcmp(text + digits, UNITS[i].suffix) == 0) {
            uint64_t ms = value * UNITS[i].scale;
            if (ms > MAX_DURATION_MS)
                return -1;
            *out = (uint32_t)ms;
            return 0;
        }
    }
    return -1;
}

/* A whole number from 1 to MAX_SCAN_COUNT, or 0. */
static uint32_t parse_count(const char *text)
{
    uint64_t value;

    return parse_decimal(text, strlen(text), MAX_SCAN_COUNT, &value) == 0 ? (uint32_t)value : 0;
}

/* The value of a duration or count option, or -1 when it is out of its range. */
static int parse_number_option(option_kind kind, const char *text, uint32_t *out)
{
    if (kind == OPTION_COUNT)
        return (*out = parse_count(text)) != 0 ? 0 : -1;
    if (parse_duration_ms(text, out) != 0)
        return -1;
    return *out != 0 || kind == OPTION_DURATION_OR_0 ? 0 : -1;
}

static const char *expected_value(option_kind kind)
{
    switch (kind) {
    case OPTION_DURATION:
        return "a duration from 1ms to 24h such as 250ms, 2s or 1m";
    case OPTION_DURATION_OR_0:
        return "0 (never) or a duration from 1ms to 24h such as 30s, 15m or 2h";
    default:
        return "a whole number from 1 to 1000000";
    }
}

/* Parses url into out->target; source names where the URL came from. */
static int apply_url(redis_options *out, const char *url, const char *source, char *error,
                     size_t error_size)
{
    char reason[160];
    char shown[REDACTED_SIZE];

    redis_target_clear(&out->target);
    if (redis_url_parse(url, &out->target, reason, sizeof(reason)) == 0)
        return CFN_OK;
    redis_url_redact(url, shown, sizeof(shown));
    snprintf(error, error_size, "invalid value for %s: \"%s\" (%s)", source, shown, reason);
    return CFN_ERR_INVALID_ARGUMENT;
}

static int apply_option(redis_options *out, const cfn_plugin_option *option, char *error,
                        size_t error_size)
{
    const char *value = option->value ? option->value : "";
    const struct option_def *def = NULL;
    char source[64];

    for (size_t i = 0; i < OPTION_DEF_COUNT && !def; i++) {
        if (option->key && strcmp(option->key, OPTION_DEFS[i].key) == 0)
            def = &OPTION_DEFS[i];
    }
    if (!def) {
        char known[160] = "";
        for (size_t i = 0; i < OPTION_DEF_COUNT; i++) {
            size_t used = strlen(known);
            snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
                     OPTION_DEFS[i].key);
        }
        snprintf(error, error_size, "unknown option \"%s\" (known: %s)",
                 option->key ? option->key : "", known);
        return CFN_ERR_INVALID_ARGUMENT;
    }
    if (def->kind == OPTION_URL) {
        snprintf(source, sizeof(source), "option \"%s\"", def->key);
        return apply_url(out, value, source, error, error_size);
    }
    uint32_t parsed;
    if (parse_number_option(def->kind, value, &parsed) != 0) {
        snprintf(error, error_size, "invalid value for option \"%s\": \"%s\" (expected %s)",
                 def->key, value, expected_value(def->kind));
        return CFN_ERR_INVALID_ARGUMENT;
    }
    *(uint32_t *)((char *)out + def->offset) = parsed;
    return CFN_OK;
}

int redis_options_parse(const cfn_plugin_option *options, size_t count, const char *env_url,
                        redis_options *out, char *error, size_t error_size)
{
    int status = CFN_OK;

    memset(out, 0, sizeof(*out));
    out->connect_timeout_ms = 1000;
    out->command_timeout_ms = 2000;
    out->heartbeat_timeout_ms = 30000;
    out->scan_count = 100;
    out->forget_after_ms = 15 * 60000;
    for (size_t i = 0; i < count && status == CFN_OK; i++)
        status = apply_option(out, &options[i], error, error_size);
    /* The environment only matters when no url option was given. */
    if (status == CFN_OK && !out->target.host && !out->target.socket_path) {
        if (env_url && *env_url)
            status = apply_url(out, env_url, "CFN_REDIS_URL", error, error_size);
        else
            status = apply_url(out, DEFAULT_URL, "the default URL", error, error_size);
    }
    if (status != CFN_OK)
        redis_options_clear(out);
    return status;
}

void redis_options_clear(redis_options *options)
{
    redis_target_clear(&options->target);
}
