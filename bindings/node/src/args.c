/*
 * args.c - reading and checking JavaScript arguments.
 *
 * Every reader throws a TypeError naming the argument and what it expected, and never coerces:
 * a label value must be a string and a value must be a number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

bool binding_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv)
{
    size_t given = count;

    NAPI_CALL_RETURN(env, napi_get_cb_info(env, info, &given, argv, NULL, NULL), false);
    return true;
}

static bool is_type(napi_env env, napi_value value, napi_valuetype expected, bool *result)
{
    napi_valuetype type;

    NAPI_CALL_RETURN(env, napi_typeof(env, value, &type), false);
    *result = type == expected;
    return true;
}

char *binding_string(napi_env env, napi_value value, const char *what)
{
    bool is_string;
    size_t length, copied;
    char *text;

    if (!is_type(env, value, napi_string, &is_string))
        return NULL;
    if (!is_string) {
        binding_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "%s must be a string, got %s",
                                 what, binding_type_name(env, value));
        return NULL;
    }

    /* Measure, then copy: the length excludes the NUL that the copy appends. */
    NAPI_CALL(env, napi_get_value_string_utf8(env, value, NULL, 0, &length));
    text = malloc(length + 1);
    if (text == NULL) {
        NAPI_CALL(env, napi_throw_error(env, "CFN_ERR_NO_MEMORY", "out of memory"));
        return NULL;
    }
    NAPI_CALL_RETURN(env, napi_get_value_string_utf8(env, value, text, length + 1, &copied),
                     (free(text), NULL));

    /* C strings end at the first NUL, so a string holding one would silently lose its tail. */
    if (strlen(text) != copied) {
        free(text);
        binding_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                                 "%s must not contain NUL characters", what);
        return NULL;
    }
    return text;
}

bool binding_number(napi_env env, napi_value value, const char *what, double *out)
{
    bool is_number;

    if (!is_type(env, value, napi_number, &is_number))
        return false;
    if (!is_number) {
        binding_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "%s must be a number, got %s",
                                 what, binding_type_name(env, value));
        return false;
    }
    NAPI_CALL_RETURN(env, napi_get_value_double(env, value, out), false);
    return true;
}

/* The length of an array argument; false after throwing a TypeError when it is not an array. */
static bool array_length(napi_env env, napi_value value, const char *what, const char *of,
                         uint32_t *length)
{
    bool is_array;

    NAPI_CALL_RETURN(env, napi_is_array(env, value, &is_array), false);
    if (!is_array) {
        binding_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "%s must be an array of %s, got %s",
                                 what, of, binding_type_name(env, value));
        return false;
    }
    NAPI_CALL_RETURN(env, napi_get_array_length(env, value, length), false);
    return true;
}

void binding_strings_free(binding_strings *strings)
{
    for (size_t i = 0; i < strings->count; i++)
        free(strings->items[i]);
    free(strings->items);
    strings->items = NULL;
    strings->count = 0;
}

bool binding_strings_read(napi_env env, napi_value value, const char *what,
                          binding_strings *out)
{
    uint32_t length;
    napi_value element;
    char element_name[128];

    out->items = NULL;
    out->count = 0;
    if (!array_length(env, value, what, "strings", &length))
        return false;
    if (length == 0)
        return true;
    out->items = calloc(length, sizeof *out->items);
    if (out->items == NULL) {
        NAPI_CALL_RETURN(env, napi_throw_error(env, "CFN_ERR_NO_MEMORY", "out of memory"), false);
        return false;
    }

    /* count grows with each copied string, so binding_strings_free frees exactly those. */
    for (uint32_t i = 0; i < length; i++) {
        NAPI_CALL_RETURN(env, napi_get_element(env, value, i, &element),
                         (binding_strings_free(out), false));
        snprintf(element_name, sizeof element_name, "%s[%u]", what, (unsigned)i);
        out->items[i] = binding_string(env, element, element_name);
        if (out->items[i] == NULL) {
            binding_strings_free(out);
            return false;
        }
        out->count = i + 1;
    }
    return true;
}

bool binding_numbers_read(napi_env env, napi_value value, const char *what, double **out,
                          size_t *count)
{
    uint32_t length;
    napi_value element;
    char element_name[128];
    double *numbers;

    *out = NULL;
    *count = 0;
    if (!array_length(env, value, what, "numbers", &length))
        return false;
    if (length == 0)
        return true;
    numbers = calloc(length, sizeof *numbers);
    if (numbers == NULL) {
        NAPI_CALL_RETURN(env, napi_throw_error(env, "CFN_ERR_NO_MEMORY", "out of memory"), false);
        return false;
    }
    for (uint32_t i = 0; i < length; i++) {
        snprintf(element_name, sizeof element_name, "%s[%u]", what, (unsigned)i);
        NAPI_CALL_RETURN(env, napi_get_element(env, value, i, &element), (free(numbers), false));
        if (!binding_number(env, element, element_name, &numbers[i])) {
            free(numbers);
            return false;
        }
    }
    *out = numbers;
    *count = length;
    return true;
}
