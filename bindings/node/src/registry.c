/*
 * registry.c - registries and family registration.
 *
 * JavaScript signatures (the facade in lib/index.js is the public API):
 *   registryDefault() -> registry          registryNew() -> registry
 *   registerCoreMetrics(registry)          registryUnregister(registry, name)
 *   registryRender(registry, format) -> string, format 0 (text 0.0.4) or 1 (OpenMetrics)
 *   registryFamily(registry, name) -> family
 *   counterFamily(registry, name, help, labelNames) -> family, and gaugeFamily alike
 *   histogramFamily(registry, name, help, labelNames, buckets) -> family
 */
#include <stdlib.h>

#include "binding.h"

napi_value binding_registry_default(napi_env env, napi_callback_info info)
{
    binding_state *state = binding_state_get(env);
    napi_value registry;

    (void)info;
    if (state == NULL)
        return NULL;
    NAPI_CALL(env, napi_get_reference_value(env, state->default_registry, &registry));
    return registry;
}

napi_value binding_registry_new(napi_env env, napi_callback_info info)
{
    cfn_registry *registry = cfn_registry_new();

    (void)info;
    if (registry == NULL) {
        NAPI_CALL(env, napi_throw_error(env, "CFN_ERR_NO_MEMORY", "out of memory"));
        return NULL;
    }
    return binding_wrap_registry(env, registry);
}

napi_value binding_register_core_metrics(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    cfn_registry *registry;
    int status;

    if (!binding_args(env, info, 1, argv))
        return NULL;
    if ((registry = binding_unwrap_registry(env, argv[0], "registry")) == NULL)
        return NULL;
    status = cfn_register_core_metrics(registry);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return NULL;
}

napi_value binding_registry_unregister(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    cfn_registry *registry;
    char *name;
    int status;

    if (!binding_args(env, info, 2, argv))
        return NULL;
    if ((registry = binding_unwrap_registry(env, argv[0], "registry")) == NULL)
        return NULL;
    if ((name = binding_string(env, argv[1], "name")) == NULL)
        return NULL;
    status = cfn_registry_unregister(registry, name);
    free(name);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return NULL;
}

napi_value binding_registry_render(napi_env env, napi_callback_info info)
{
    napi_value argv[2], text;
    cfn_registry *registry;
    double format;
    char *buffer = NULL;
    size_t length = 0;
    int status;

    if (!binding_args(env, info, 2, argv))
        return NULL;
    if ((registry = binding_unwrap_registry(env, argv[0], "registry")) == NULL)
        return NULL;
    if (!binding_number(env, argv[1], "format", &format))
        return NULL;
    if (format != CFN_FORMAT_TEXT_0_0_4 && format != CFN_FORMAT_OPENMETRICS) {
        binding_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                                 "format must be 0 (text 0.0.4) or 1 (OpenMetrics), got %g",
                                 format);
        return NULL;
    }

    /* The library owns `buffer` until cfn_buffer_free; V8 copies it into the string. */
    status = cfn_registry_render(registry, (int)format, &buffer, &length);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    NAPI_CALL_RETURN(env, napi_create_string_utf8(env, buffer, length, &text),
                     (cfn_buffer_free(buffer), NULL));
    cfn_buffer_free(buffer);
    return text;
}

napi_value binding_registry_family(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    cfn_registry *registry;
    cfn_family *family = NULL;
    char *name;
    int status;

    if (!binding_args(env, info, 2, argv))
        return NULL;
    if ((registry = binding_unwrap_registry(env, argv[0], "registry")) == NULL)
        return NULL;
    if ((name = binding_string(env, argv[1], "name")) == NULL)
        return NULL;
    status = cfn_registry_family(registry, name, &family);
    free(name);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return binding_wrap_family(env, family);
}

enum family_type { COUNTER, GAUGE, HISTOGRAM };

/* The arguments of one family registration, read and owned here. */
struct family_args {
    cfn_registry *registry;
    char *name;
    char *help;
    binding_strings label_names;
    double *buckets;
    size_t bucket_count;
};

static void family_args_free(struct family_args *args)
{
    free(args->name);
    free(args->help);
    binding_strings_free(&args->label_names);
    free(args->buckets);
}

static bool family_args_read(napi_env env, napi_value *argv, enum family_type type,
                             struct family_args *args)
{
    if ((args->registry = binding_unwrap_registry(env, argv[0], "registry")) == NULL)
        return false;
    if ((args->name = binding_string(env, argv[1], "name")) == NULL)
        return false;
    if ((args->help = binding_string(env, argv[2], "help")) == NULL)
        return false;
    if (!binding_strings_read(env, argv[3], "labelNames", &args->label_names))
        return false;
    if (type == HISTOGRAM &&
        !binding_numbers_read(env, argv[4], "buckets", &args->buckets, &args->bucket_count))
        return false;
    return true;
}

static napi_value register_family(napi_env env, napi_callback_info info, enum family_type type)
{
    napi_value argv[5];
    struct family_args args = {0};
    const char *const *names;
    cfn_family *family = NULL;
    int status;

    if (!binding_args(env, info, type == HISTOGRAM ? 5 : 4, argv))
        return NULL;
    if (!family_args_read(env, argv, type, &args)) {
        family_args_free(&args);
        return NULL;
    }
    names = (const char *const *)args.label_names.items;
    switch (type) {
    case COUNTER:
        status = cfn_counter_family(args.registry, args.name, args.help, names,
                                    args.label_names.count, &family);
        break;
    case GAUGE:
        status = cfn_gauge_family(args.registry, args.name, args.help, names,
                                  args.label_names.count, &family);
        break;
    default:
        status = cfn_histogram_family(args.registry, args.name, args.help, names,
                                      args.label_names.count, args.buckets, args.bucket_count,
                                      &family);
        break;
    }
    family_args_free(&args);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return binding_wrap_family(env, family);
}

napi_value binding_counter_family(napi_env env, napi_callback_info info)
{
    return register_family(env, info, COUNTER);
}

napi_value binding_gauge_family(napi_env env, napi_callback_info info)
{
    return register_family(env, info, GAUGE);
}

napi_value binding_histogram_family(napi_env env, napi_callback_info info)
{
    return register_family(env, info, HISTOGRAM);
}
