/*
 * cfn_http_shim.h - libmicrohttpd's log callback takes a va_list, which Swift cannot receive in a
 * C callback; this shim formats the message and hands Swift plain text instead.
 */
#ifndef CFN_HTTP_SHIM_H
#define CFN_HTTP_SHIM_H

#include <stdarg.h>

/* Receives one formatted libmicrohttpd message; `context` is the server's. */
typedef void (*cfn_http_log_sink)(void *context, const char *text);

/* Sets where cfn_http_format_log sends its text. Call once, before starting a server. */
void cfn_http_set_log_sink(cfn_http_log_sink sink);

/* A libmicrohttpd MHD_OPTION_EXTERNAL_LOGGER callback. */
void cfn_http_format_log(void *context, const char *format, va_list arguments);

/* cfn_http_format_log as an untyped pointer, to pass through MHD_start_daemon_va's options. */
void *cfn_http_format_log_pointer(void);

#endif /* CFN_HTTP_SHIM_H */
