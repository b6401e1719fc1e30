/*
 * addon.c - module initialization and per-environment state.
 *
 * Node calls the initializer once per environment that loads the addon: the main thread and
 * every worker thread. Each gets its own binding_state as instance data; the library behind it,
 * and so the default registry, is shared by the whole process.
 */
#include <stdio.h>
#include <stdlib.h>

#include "binding.h"

/* Runs when the environment shuts down, after the finalizers of all its externals. */
static void finalize_state(napi_env env, void *data, void *hint)
{
    binding_state *state = data;

    (void)hint;
    /* A finalizer has no caller to report a failure to, so this status is not checked. */
    if (state->default_registry != NULL)
        napi_delete_reference(env, state->default_registry);
    free(state);
}

static bool check_library_version(napi_env env)
{
    char message[160];

    if (cfn_abi_version() == CFN_METRICS_ABI_VERSION)
        return true;
    snprintf(message, sizeof message,
             "libcfnmetrics %s has ABI version %d; this addon was built for version %d",
             cfn_version(), cfn_abi_version(), CFN_METRICS_ABI_VERSION);
    NAPI_CALL_RETURN(env, napi_throw_error(env, "CFN_ERR_ABI_VERSION", message), false);
    return false;
}

static bool install_state(napi_env env)
{
    binding_state *state = calloc(1, sizeof *state);
    napi_value registry;

    if (state == NULL) {
        NAPI_CALL_RETURN(env, napi_throw_error(env, "CFN_ERR_NO_MEMORY", "out of memory"), false);
        return false;
    }
    /* Once set, the instance data finalizer owns `state`. */
    NAPI_CALL_RETURN(env, napi_set_instance_data(env, state, finalize_state, NULL),
                     (free(state), false));
    if ((registry = binding_wrap_default_registry(env)) == NULL)
        return false;
    NAPI_CALL_RETURN(env, napi_create_reference(env, registry, 1, &state->default_registry),
                     false);
    return true;
}

static napi_value abi_version(napi_env env, napi_callback_info info)
{
    napi_value result;

    (void)info;
    NAPI_CALL(env, napi_create_int32(env, cfn_abi_version(), &result));
    return result;
}

static napi_value library_version(napi_env env, napi_callback_info info)
{
    napi_value result;

    (void)info;
    NAPI_CALL(env, napi_create_string_utf8(env, cfn_version(), NAPI_AUTO_LENGTH, &result));
    return result;
}

#define EXPORT(name, function) {name, NULL, function, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT()
{
    static const napi_property_descriptor functions[] = {
        EXPORT("abiVersion", abi_version),
        EXPORT("version", library_version),
        EXPORT("stats", binding_stats),
        EXPORT("registryDefault", binding_registry_default),
        EXPORT("registryNew", binding_registry_new),
        EXPORT("registerCoreMetrics", binding_register_core_metrics),
        EXPORT("registryUnregister", binding_registry_unregister),
        EXPORT("registryRender", binding_registry_render),
        EXPORT("registryFamily", binding_registry_family),
        EXPORT("counterFamily", binding_counter_family),
        EXPORT("gaugeFamily", binding_gauge_family),
        EXPORT("histogramFamily", binding_histogram_family),
        EXPORT("familySeries", binding_family_series),
        EXPORT("familyRemove", binding_family_remove),
        EXPORT("familyReset", binding_family_reset),
        EXPORT("counterInc", binding_counter_inc),
        EXPORT("counterAdd", binding_counter_add),
        EXPORT("gaugeSet", binding_gauge_set),
        EXPORT("gaugeAdd", binding_gauge_add),
        EXPORT("histogramObserve", binding_histogram_observe),
        EXPORT("seriesValue", binding_series_value),
    };

    if (!check_library_version(env) || !install_state(env))
        return NULL;
    NAPI_CALL(env, napi_define_properties(env, exports, sizeof functions / sizeof functions[0],
                                          functions));
    return exports;
}
