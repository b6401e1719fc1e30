#include "cfn_http_shim.h"

#include <stdio.h>

static cfn_http_log_sink log_sink;

void cfn_http_set_log_sink(cfn_http_log_sink sink)
{
    log_sink = sink;
}

void cfn_http_format_log(void *context, const char *format, va_list arguments)
{
    char text[512];

    if (log_sink == NULL || format == NULL) {
        return;
    }
    vsnprintf(text, sizeof(text), format, arguments);
    log_sink(context, text);
}

void *cfn_http_format_log_pointer(void)
{
    return (void *)cfn_http_format_log;
}
