/*
 * errors.c - turning failures into JavaScript exceptions.
 *
 * Three kinds: a failed Node-API call (Error, code ERR_NODE_API), a failed cfn_* call (Error,
 * code named after its cfn_status, message from cfn_last_error()), and a bad argument
 * (TypeError, Node's ERR_INVALID_ARG_TYPE or ERR_INVALID_ARG_VALUE code).
 */
#include <stdarg.h>
#include <stdio.h>

#include "binding.h"

/* Indexed by -status: cfn_status runs from CFN_OK (0) down to CFN_ERR_NO_MEMORY (-9). */
static const char *const status_codes[] = {
    "CFN_OK",
    "CFN_ERR_INVALID_ARGUMENT",
    "CFN_ERR_INVALID_NAME",
    "CFN_ERR_INVALID_LABEL",
    "CFN_ERR_LABEL_COUNT",
    "CFN_ERR_INVALID_VALUE",
    "CFN_ERR_CONFLICT",
    "CFN_ERR_WRONG_TYPE",
    "CFN_ERR_NOT_FOUND",
    "CFN_ERR_NO_MEMORY",
};

const char *binding_status_code(int status)
{
    size_t count = sizeof status_codes / sizeof status_codes[0];

    if (status > 0 || (size_t)-status >= count)
        return "CFN_ERR_UNKNOWN";
    return status_codes[-status];
}

void binding_throw_napi_failure(napi_env env)
{
    const napi_extended_error_info *info = NULL;
    const char *message = "a Node-API call failed";
    bool pending = false;

    /* The last error info is overwritten by the next call, so read it first. Its message is
     * static text owned by Node. These calls are the last resort and cannot be checked with
     * NAPI_CALL (which calls this function): when one fails there is nothing left to report. */
    if (napi_get_last_error_info(env, &info) == napi_ok && info && info->error_message)
        message = info->error_message;
    if (napi_is_exception_pending(env, &pending) != napi_ok || pending)
        return;
    napi_throw_error(env, "ERR_NODE_API", message);
}

napi_value binding_throw_cfn(napi_env env, int status)
{
    /* cfn_last_error() stays valid until the next cfn_* call on this thread; napi_throw_error
     * copies it before that can happen. */
    const char *message = cfn_last_error();

    if (message == NULL || message[0] == '\0')
        message = cfn_status_string(status);
    NAPI_CALL(env, napi_throw_error(env, binding_status_code(status), message));
    return NULL;
}

void binding_throw_type_error(napi_env env, const char *code, const char *format, ...)
{
    char message[512];
    va_list arguments;

    va_start(arguments, format);
    vsnprintf(message, sizeof message, format, arguments);
    va_end(arguments);
    NAPI_CALL_RETURN(env, napi_throw_type_error(env, code, message), );
}

const char *binding_type_name(napi_env env, napi_value value)
{
    napi_valuetype type;

    /* Called while building the message of a TypeError: when napi_typeof fails, its own Error
     * is thrown first and stays the pending exception (the TypeError can no longer be thrown). */
    NAPI_CALL_RETURN(env, napi_typeof(env, value, &type), "a value of unknown type");
    switch (type) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
    }
    return "a value of unknown type";
}
