/*
 * handles.c - registries, families and series as tagged externals.
 *
 * An external made here owns one reference to its handle and releases it in its finalizer, when
 * the garbage collector frees the external or the environment shuts down. Each kind carries its
 * own type tag, so a family passed where a series is expected is a TypeError, never a bad cast.
 */
#include "binding.h"

static void release_registry(void *handle) { cfn_registry_release(handle); }
static void release_family(void *handle) { cfn_family_release(handle); }
static void release_series(void *handle) { cfn_series_release(handle); }

/* Finalizers run on the environment's JavaScript thread and must not call into JavaScript.
 * `hint` is the environment's binding_state, which Node finalizes only after every external. */
static void finalize_registry(napi_env env, void *handle, void *hint)
{
    (void)env;
    cfn_registry_release(handle);
    ((binding_state *)hint)->live[BINDING_REGISTRY]--;
}

static void finalize_family(napi_env env, void *handle, void *hint)
{
    (void)env;
    cfn_family_release(handle);
    ((binding_state *)hint)->live[BINDING_FAMILY]--;
}

static void finalize_series(napi_env env, void *handle, void *hint)
{
    (void)env;
    cfn_series_release(handle);
    ((binding_state *)hint)->live[BINDING_SERIES]--;
}

/* Constant data shared by all environments; the tags are random 128-bit values. */
static const struct handle_kind {
    const char *name;
    napi_type_tag tag;
    napi_finalize finalize;
    void (*release)(void *handle);
} kinds[BINDING_KIND_COUNT] = {
    [BINDING_REGISTRY] = {"registry", {0x6b1e2f0c9d3a4e57ULL, 0x8c2d1b7a5f604e39ULL},
                          finalize_registry, release_registry},
    [BINDING_FAMILY] = {"family", {0x2a9f4c6e81d35b07ULL, 0xb3e05d7c2a1f4968ULL},
                        finalize_family, release_family},
    [BINDING_SERIES] = {"series", {0xd47c0a2e5b9f1836ULL, 0x5e81f3a6c02d7b94ULL},
                        finalize_series, release_series},
};

binding_state *binding_state_get(napi_env env)
{
    void *state = NULL;

    NAPI_CALL(env, napi_get_instance_data(env, &state));
    if (state == NULL)
        NAPI_CALL(env, napi_throw_error(env, "ERR_NODE_API", "the addon is not initialized"));
    return state;
}

static napi_value wrap(napi_env env, enum binding_kind kind, void *handle)
{
    const struct handle_kind *k = &kinds[kind];
    binding_state *state = binding_state_get(env);
    napi_value external;

    if (state == NULL) {
        k->release(handle);
        return NULL;
    }
    NAPI_CALL_RETURN(env, napi_create_external(env, handle, k->finalize, state, &external),
                     (k->release(handle), NULL));
    state->live[kind]++;

    /* The external owns the reference from here on, even if tagging fails below. */
    NAPI_CALL(env, napi_type_tag_object(env, external, &k->tag));
    return external;
}

napi_value binding_wrap_registry(napi_env env, cfn_registry *registry)
{
    return wrap(env, BINDING_REGISTRY, registry);
}

napi_value binding_wrap_family(napi_env env, cfn_family *family)
{
    return wrap(env, BINDING_FAMILY, family);
}

napi_value binding_wrap_series(napi_env env, cfn_series *series)
{
    return wrap(env, BINDING_SERIES, series);
}

napi_value binding_wrap_default_registry(napi_env env)
{
    napi_value external;

    /* No finalizer: the default registry is never released. */
    NAPI_CALL(env, napi_create_external(env, cfn_registry_default(), NULL, NULL, &external));
    NAPI_CALL(env, napi_type_tag_object(env, external, &kinds[BINDING_REGISTRY].tag));
    return external;
}

static void *unwrap(napi_env env, napi_value value, enum binding_kind kind, const char *what)
{
    const struct handle_kind *k = &kinds[kind];
    napi_valuetype type;
    bool tagged = false;
    void *handle;

    NAPI_CALL(env, napi_typeof(env, value, &type));
    if (type == napi_external)
        NAPI_CALL(env, napi_check_object_type_tag(env, value, &k->tag, &tagged));
    if (!tagged) {
        binding_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                                 "%s must be a cfn-metrics %s handle, got %s", what, k->name,
                                 type == napi_external ? "another external" :
                                 binding_type_name(env, value));
        return NULL;
    }
    NAPI_CALL(env, napi_get_value_external(env, value, &handle));
    return handle;
}

cfn_registry *binding_unwrap_registry(napi_env env, napi_value value, const char *what)
{
    return unwrap(env, value, BINDING_REGISTRY, what);
}

cfn_family *binding_unwrap_family(napi_env env, napi_value value, const char *what)
{
    return unwrap(env, value, BINDING_FAMILY, what);
}

cfn_series *binding_unwrap_series(napi_env env, napi_value value, const char *what)
{
    return unwrap(env, value, BINDING_SERIES, what);
}

napi_value binding_stats(napi_env env, napi_callback_info info)
{
    binding_state *state = binding_state_get(env);
    napi_value result, count;

    (void)info;
    if (state == NULL)
        return NULL;
    NAPI_CALL(env, napi_create_object(env, &result));
    for (int kind = 0; kind < BINDING_KIND_COUNT; kind++) {
        NAPI_CALL(env, napi_create_double(env, (double)state->live[kind], &count));
        NAPI_CALL(env, napi_set_named_property(env, result, kinds[kind].name, count));
    }
    return result;
}
