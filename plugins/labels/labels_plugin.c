/*
 * labels_plugin.c - adds constant labels to every series the host renders.
 *
 * Each option is one label: --plugin.labels.env=prod gives every sample env="prod". The labels
 * are handed to the registry on the first collect, and again only if a collect failed; a name
 * that a metric already uses is refused by the registry and reported as this collector's error.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfn_plugin.h"

typedef struct labels_state {
    size_t count;
    char **names;
    char **values;
    cfn_registry *applied_to; /* the registry that already has the labels, or NULL */
} labels_state;

static void labels_free(labels_state *state)
{
    if (state == NULL) {
        return;
    }
    for (size_t i = 0; i < state->count; i++) {
        free(state->names[i]);
        free(state->values[i]);
    }
    free(state->names);
    free(state->values);
    free(state);
}

/* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", not "le": the registry checks again, but saying
 * so at start-up turns a typo into exit status 2 instead of a collector that is always down. */
static int valid_label_name(const char *name)
{
    if (name[0] == '\0' || (name[0] >= '0' && name[0] <= '9')) {
        return 0;
    }
    for (const char *c = name; *c != '\0'; c++) {
        int letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_';
        if (!letter && !(*c >= '0' && *c <= '9')) {
            return 0;
        }
    }
    return strncmp(name, "__", 2) != 0 && strcmp(name, "le") != 0;
}

static int labels_init(const cfn_plugin_host *host, const cfn_plugin_option *options,
                       size_t option_count, void **state_out, char *error, size_t error_size)
{
    labels_state *state = NULL;

    (void)host;
    if (state_out == NULL || (options == NULL && option_count > 0)) {
        snprintf(error, error_size, "init called without state or options");
        return CFN_ERR_INVALID_ARGUMENT;
    }
    if (option_count == 0) {
        snprintf(error, error_size, "no labels given: use --plugin.labels.NAME=VALUE");
        return CFN_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < option_count; i++) {
        if (!valid_label_name(options[i].key)) {
            snprintf(error, error_size,
                     "label name \"%s\" is not valid: use [a-zA-Z_][a-zA-Z0-9_]*, "
                     "not starting with __ and not le", options[i].key);
            return CFN_ERR_INVALID_NAME;
        }
    }
    state = calloc(1, sizeof(*state));
    if (state == NULL) {
        goto out_of_memory;
    }
    state->names = calloc(option_count, sizeof(char *));
    state->values = calloc(option_count, sizeof(char *));
    if (state->names == NULL || state->values == NULL) {
        goto out_of_memory;
    }
    for (size_t i = 0; i < option_count; i++) {
        state->names[i] = strdup(options[i].key);
        state->values[i] = strdup(options[i].value);
        state->count = i + 1;
        if (state->names[i] == NULL || state->values[i] == NULL) {
            goto out_of_memory;
        }
    }
    *state_out = state;
    return CFN_OK;

out_of_memory:
    labels_free(state);
    snprintf(error, error_size, "out of memory");
    return CFN_ERR_NO_MEMORY;
}

static int labels_collect(void *opaque, cfn_registry *registry, uint32_t timeout_ms, char *error,
                          size_t error_size)
{
    labels_state *state = opaque;
    int status;

    (void)timeout_ms;
    if (state->applied_to == registry) {
        return CFN_OK;
    }
    status = cfn_registry_set_constant_labels(registry, (const char *const *)state->names,
                                              (const char *const *)state->values, state->count);
    if (status != CFN_OK) {
        snprintf(error, error_size, "%s", cfn_last_error());
        return status;
    }
    state->applied_to = registry;
    return CFN_OK;
}

static void labels_shutdown(void *state)
{
    labels_free(state);
}

static const cfn_plugin descriptor = {
    CFN_PLUGIN_ABI_VERSION, "labels", "0.1.0", labels_init, labels_collect, labels_shutdown,
};

const cfn_plugin *cfn_plugin_entry(void)
{
    return &descriptor;
}
