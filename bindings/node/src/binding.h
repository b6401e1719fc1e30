/*
 * binding.h - shared declarations of the cfn-metrics Node-API addon.
 *
 * The addon is a thin layer over cfn_metrics.h: it converts JavaScript arguments, calls one cfn_*
 * function and converts the result back. Registries, families and series reach JavaScript as
 * tagged externals; the JavaScript facade in lib/index.js builds the public classes on top.
 *
 * Ownership, once for all files:
 * - Each external made from cfn_registry_new, a family call or cfn_family_series owns the one
 *   reference that call returned; its finalizer gives it back with the matching release call.
 * - The external of cfn_registry_default() owns nothing: the default registry lives as long as
 *   the process and is never released.
 * - Strings read from JavaScript are copied into malloc'ed buffers owned by the function that
 *   read them, freed before it returns; libcfnmetrics copies what it keeps.
 */
#ifndef CFN_NODE_BINDING_H
#define CFN_NODE_BINDING_H

#include <stdbool.h>
#include <stddef.h>

#include <node_api.h>

#include "cfn_metrics.h"

/* Per-addon state, one per Node environment (the main thread and each worker thread), kept in
 * the environment's instance data. Only that environment's JavaScript thread touches it, so the
 * counters need no lock. */
enum binding_kind { BINDING_REGISTRY, BINDING_FAMILY, BINDING_SERIES, BINDING_KIND_COUNT };

typedef struct binding_state {
    napi_ref default_registry;       /* strong reference to the cfn_registry_default() external */
    size_t live[BINDING_KIND_COUNT]; /* owning externals made here and not yet finalized */
} binding_state;

/* Checks one Node-API call. On failure it throws an Error describing the failure, unless an
 * exception is already pending (a throwing getter, for example), and returns `ret` from the
 * calling function. NAPI_CALL is the form for napi_callback functions, which return NULL after
 * throwing; helpers that return bool use NAPI_CALL_RETURN(env, call, false), and a function that
 * holds memory frees it in `ret` with a comma expression: (free(buffer), NULL). */
#define NAPI_CALL_RETURN(env, call, ret)         \
    do {                                         \
        if ((call) != napi_ok) {                 \
            binding_throw_napi_failure((env));   \
            return ret;                          \
        }                                        \
    } while (0)

#define NAPI_CALL(env, call) NAPI_CALL_RETURN((env), (call), NULL)

/* ---- errors.c --------------------------------------------------------- */

/* Throws an Error (code ERR_NODE_API) from napi_get_last_error_info unless one is pending. */
void binding_throw_napi_failure(napi_env env);

/* Throws an Error whose `code` is the cfn_status name (e.g. "CFN_ERR_LABEL_COUNT") and whose
 * message is cfn_last_error(). Returns NULL so that callbacks can `return binding_throw_cfn()`. */
napi_value binding_throw_cfn(napi_env env, int status);

/* Throws a TypeError with the given Node-style code and a printf-formatted message. */
void binding_throw_type_error(napi_env env, const char *code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* The stable name of a cfn_status, "CFN_ERR_UNKNOWN" for a code the header does not list. */
const char *binding_status_code(int status);

/* The `typeof`-like name of a value's type ("string", "null", ...), for error messages. */
const char *binding_type_name(napi_env env, napi_value value);

/* ---- args.c ----------------------------------------------------------- */

/* Reads exactly `count` arguments into argv (missing ones read as undefined). */
bool binding_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv);

/* A new NUL-terminated UTF-8 copy of a JavaScript string; the caller frees it. NULL after
 * throwing: a TypeError naming `what` when the value is not a string or contains NUL. */
char *binding_string(napi_env env, napi_value value, const char *what);

/* A number argument. false after throwing a TypeError naming `what`. */
bool binding_number(napi_env env, napi_value value, const char *what, double *out);

/* An array of strings, each copied; free with binding_strings_free. */
typedef struct binding_strings {
    char **items;
    size_t count;
} binding_strings;

bool binding_strings_read(napi_env env, napi_value value, const char *what,
                          binding_strings *out);
void binding_strings_free(binding_strings *strings);

/* An array of numbers in a malloc'ed buffer the caller frees (NULL when the array is empty). */
bool binding_numbers_read(napi_env env, napi_value value, const char *what, double **out,
                          size_t *count);

/* ---- handles.c -------------------------------------------------------- */

/* Wraps a handle in a tagged external that owns its reference (see the top of this file).
 * On failure the handle is released at once and NULL is returned after throwing. */
napi_value binding_wrap_registry(napi_env env, cfn_registry *registry);
napi_value binding_wrap_family(napi_env env, cfn_family *family);
napi_value binding_wrap_series(napi_env env, cfn_series *series);

/* An external of cfn_registry_default() that owns nothing; made once per environment. */
napi_value binding_wrap_default_registry(napi_env env);

/* The handle inside an external made by the functions above. NULL after throwing a TypeError
 * naming `what` when the value is not an external of that kind. The external keeps the handle
 * alive for as long as the caller's argument does, that is, until the callback returns. */
cfn_registry *binding_unwrap_registry(napi_env env, napi_value value, const char *what);
cfn_family *binding_unwrap_family(napi_env env, napi_value value, const char *what);
cfn_series *binding_unwrap_series(napi_env env, napi_value value, const char *what);

/* This environment's state (see binding_state). NULL after throwing. */
binding_state *binding_state_get(napi_env env);

/* stats(): {registries, families, series}, the live counts of binding_state. */
napi_value binding_stats(napi_env env, napi_callback_info info);

/* ---- registry.c, series.c: the exported functions ----------------------- */

napi_value binding_registry_default(napi_env env, napi_callback_info info);
napi_value binding_registry_new(napi_env env, napi_callback_info info);
napi_value binding_register_core_metrics(napi_env env, napi_callback_info info);
napi_value binding_registry_unregister(napi_env env, napi_callback_info info);
napi_value binding_registry_render(napi_env env, napi_callback_info info);
napi_value binding_registry_family(napi_env env, napi_callback_info info);
napi_value binding_counter_family(napi_env env, napi_callback_info info);
napi_value binding_gauge_family(napi_env env, napi_callback_info info);
napi_value binding_histogram_family(napi_env env, napi_callback_info info);

napi_value binding_family_series(napi_env env, napi_callback_info info);
napi_value binding_family_remove(napi_env env, napi_callback_info info);
napi_value binding_family_reset(napi_env env, napi_callback_info info);
napi_value binding_counter_inc(napi_env env, napi_callback_info info);
napi_value binding_counter_add(napi_env env, napi_callback_info info);
napi_value binding_gauge_set(napi_env env, napi_callback_info info);
napi_value binding_gauge_add(napi_env env, napi_callback_info info);
napi_value binding_histogram_observe(napi_env env, napi_callback_info info);
napi_value binding_series_value(napi_env env, napi_callback_info info);

#endif /* CFN_NODE_BINDING_H */
