/*
 * series.c - series lookup and updates.
 *
 * JavaScript signatures (the facade in lib/index.js is the public API):
 *   familySeries(family, labelValues) -> series    familyRemove(family, labelValues)
 *   familyReset(family)
 *   counterInc(series)   counterAdd(series, delta)   gaugeSet(series, value)
 *   gaugeAdd(series, delta)   histogramObserve(series, value)   seriesValue(series) -> number
 * A series of the wrong metric type is refused by the library (CFN_ERR_WRONG_TYPE).
 */
#include <stdlib.h>

#include "binding.h"

/* Reads (family, labelValues) into the caller's variables; false after throwing. */
static bool family_and_values(napi_env env, napi_callback_info info, cfn_family **family,
                              binding_strings *values)
{
    napi_value argv[2];

    if (!binding_args(env, info, 2, argv))
        return false;
    if ((*family = binding_unwrap_family(env, argv[0], "family")) == NULL)
        return false;
    return binding_strings_read(env, argv[1], "labelValues", values);
}

napi_value binding_family_series(napi_env env, napi_callback_info info)
{
    cfn_family *family;
    binding_strings values;
    cfn_series *series = NULL;
    int status;

    if (!family_and_values(env, info, &family, &values))
        return NULL;
    status = cfn_family_series(family, (const char *const *)values.items, values.count, &series);
    binding_strings_free(&values);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return binding_wrap_series(env, series);
}

napi_value binding_family_remove(napi_env env, napi_callback_info info)
{
    cfn_family *family;
    binding_strings values;
    int status;

    if (!family_and_values(env, info, &family, &values))
        return NULL;
    status = cfn_family_remove(family, (const char *const *)values.items, values.count);
    binding_strings_free(&values);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return NULL;
}

napi_value binding_family_reset(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    cfn_family *family;
    int status;

    if (!binding_args(env, info, 1, argv))
        return NULL;
    if ((family = binding_unwrap_family(env, argv[0], "family")) == NULL)
        return NULL;
    status = cfn_family_reset(family);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return NULL;
}

/* The hot path: one series and, for all but counterInc, one number named `what`. */
static napi_value update(napi_env env, napi_callback_info info, const char *what,
                         int (*apply)(cfn_series *, double))
{
    napi_value argv[2];
    cfn_series *series;
    double number;
    int status;

    if (!binding_args(env, info, 2, argv))
        return NULL;
    if ((series = binding_unwrap_series(env, argv[0], "series")) == NULL)
        return NULL;
    if (!binding_number(env, argv[1], what, &number))
        return NULL;
    status = apply(series, number);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return NULL;
}

napi_value binding_counter_inc(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    cfn_series *series;
    int status;

    if (!binding_args(env, info, 1, argv))
        return NULL;
    if ((series = binding_unwrap_series(env, argv[0], "series")) == NULL)
        return NULL;
    status = cfn_counter_inc(series);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    return NULL;
}

napi_value binding_counter_add(napi_env env, napi_callback_info info)
{
    return update(env, info, "delta", cfn_counter_add);
}

napi_value binding_gauge_set(napi_env env, napi_callback_info info)
{
    return update(env, info, "value", cfn_gauge_set);
}

napi_value binding_gauge_add(napi_env env, napi_callback_info info)
{
    return update(env, info, "delta", cfn_gauge_add);
}

napi_value binding_histogram_observe(napi_env env, napi_callback_info info)
{
    return update(env, info, "value", cfn_histogram_observe);
}

napi_value binding_series_value(napi_env env, napi_callback_info info)
{
    napi_value argv[1], result;
    cfn_series *series;
    double value;
    int status;

    if (!binding_args(env, info, 1, argv))
        return NULL;
    if ((series = binding_unwrap_series(env, argv[0], "series")) == NULL)
        return NULL;
    status = cfn_series_value(series, &value);
    if (status != CFN_OK)
        return binding_throw_cfn(env, status);
    NAPI_CALL(env, napi_create_double(env, value, &result));
    return result;
}
