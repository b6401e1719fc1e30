/*
 * redis_url.c - parsing and redacting the url option.
 */
#define _POSIX_C_SOURCE 200809L /* strdup and strndup under -std=c11 */

#include "redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decimal.h"

#define REDIS_SCHEME "redis://"
#define UNIX_SCHEME "unix://"
#define DEFAULT_PORT 6379

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A new string with %XX sequences decoded; NULL when the text is malformed or
 * decodes to a NUL (*bad set), or when memory runs out (*bad left 0). */
static char *decode_component(const char *text, size_t len, int *bad)
{
    char *out = malloc(len + 1);
    size_t n = 0;

    *bad = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '%') {
            out[n++] = text[i];
            continue;
        }
        int high = i + 2 < len ? hex_digit(text[i + 1]) : -1;
        int low = i + 2 < len ? hex_digit(text[i + 2]) : -1;
        if (high < 0 || low < 0 || high + low == 0) {
            *bad = 1;
            free(out);
            return NULL;
        }
        out[n++] = (char)(high * 16 + low);
        i += 2;
    }
    out[n] = '\0';
    return out;
}

static void set_reason(char *reason, size_t size, const char *text)
{
    snprintf(reason, size, "%s", text);
}

/* user:password@ (either part may be empty), before the host. */
static int parse_userinfo(const char *text, size_t len, redis_target *target, char *reason,
                          size_t reason_size)
{
    const char *colon = memchr(text, ':', len);
    int bad = 0;

    if (!colon) {
        set_reason(reason, reason_size, "a user name needs a password (user:password@)");
        return -1;
    }
    size_t user_len = (size_t)(colon - text);
    size_t password_len = len - user_len - 1;
    if (user_len > 0 && !(target->user = decode_component(text, user_len, &bad)))
        goto fail;
    if (password_len > 0 && !(target->password = decode_component(colon + 1, password_len, &bad)))
        goto fail;
    if (target->user && !target->password) {
        set_reason(reason, reason_size, "a user name needs a password (user:password@)");
        return -1;
    }
    return 0;

fail:
    set_reason(reason, reason_size, bad ? "bad percent-encoding in user or password"
                                        : "out of memory");
    return -1;
}

/* host[:port] or [ipv6][:port]. */
static int parse_hostport(const char *text, size_t len, redis_target *target, char *reason,
                          size_t reason_size)
{
    const char *host = text;
    size_t host_len;
    const char *rest;

    if (len > 0 && text[0] == '[') {
        const char *close = memchr(text, ']', len);
        if (!close) {
            set_reason(reason, reason_size, "unclosed [ in the host");
            return -1;
        }
        host = text + 1;
        host_len = (size_t)(close - host);
        rest = close + 1;
    } else {
        const char *colon = memchr(text, ':', len);
        host_len = colon ? (size_t)(colon - text) : len;
        rest = text + host_len;
    }
    size_t rest_len = len - (size_t)(rest - text);
    if (host_len == 0) {
        set_reason(reason, reason_size, "the host is missing");
        return -1;
    }
    target->port = DEFAULT_PORT;
    if (rest_len > 0) {
        uint64_t port = 0;
        if (rest[0] != ':' || parse_decimal(rest + 1, rest_len - 1, 65535, &port) != 0 ||
            port == 0) {
            set_reason(reason, reason_size, "the port is not a number from 1 to 65535");
            return -1;
        }
        target->port = (int)port;
    }
    if (!(target->host = strndup(host, host_len))) {
        set_reason(reason, reason_size, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_redis_url(const char *text, redis_target *target, char *reason,
                           size_t reason_size)
{
    size_t authority_len = strcspn(text, "/");
    const char *path = text + authority_len;
    const char *at = NULL;

    /* The last @ ends the user part, so an unencoded @ in a password still works. */
    for (const char *p = text; p < path; p++) {
        if (*p == '@')
            at = p;
    }
    if (at && parse_userinfo(text, (size_t)(at - text), target, reason, reason_size) != 0)
        return -1;
    const char *hostport = at ? at + 1 : text;
    if (parse_hostport(hostport, (size_t)(path - hostport), target, reason, reason_size) != 0)
        return -1;
    if (path[0] == '\0' || strcmp(path, "/") == 0)
        return 0;
    uint64_t db;
    if (parse_decimal(path + 1, strlen(path + 1), 1000000, &db) != 0) {
        set_reason(reason, reason_size, "the database is not a number (/0, /1, ...)");
        return -1;
    }
    target->db = (int)db;
    return 0;
}

int redis_url_parse(const char *url, redis_target *target, char *reason, size_t reason_size)
{
    int status = -1;

    memset(target, 0, sizeof(*target));
    if (strncasecmp(url, REDIS_SCHEME, strlen(REDIS_SCHEME)) == 0) {
        status = parse_redis_url(url + strlen(REDIS_SCHEME), target, reason, reason_size);
    } else {
        const char *path = url;
        if (strncasecmp(url, UNIX_SCHEME, strlen(UNIX_SCHEME)) == 0)
            path = url + strlen(UNIX_SCHEME);
        if (path[0] != '/' || path[1] == '\0') {
            set_reason(reason, reason_size,
                       "expected redis://[user:password@]host[:port][/db], "
                       "unix:///path/to/socket or /path/to/socket");
        } else if (!(target->socket_path = strdup(path))) {
            set_reason(reason, reason_size, "out of memory");
        } else {
            status = 0;
        }
    }
    if (status != 0)
        redis_target_clear(target);
    return status;
}

void redis_target_clear(redis_target *target)
{
    free(target->host);
    free(target->socket_path);
    free(target->user);
    if (target->password) {
        /* Do not leave the secret behind in freed memory. */
        memset(target->password, 0, strlen(target->password));
        free(target->password);
    }
    memset(target, 0, sizeof(*target));
}

void redis_url_redact(const char *url, char *out, size_t out_size)
{
    const char *scheme_end = strstr(url, "://");
    const char *start = scheme_end ? scheme_end + 3 : url;
    const char *end = start + strcspn(start, "/");
    const char *at = NULL;

    for (const char *p = start; p < end; p++) {
        if (*p == '@')
            at = p;
    }
    if (!at) {
        snprintf(out, out_size, "%s", url);
        return;
    }
    const char *colon = memchr(start, ':', (size_t)(at - start));
    /* Keep the user name when a colon separates it; otherwise hide the whole part. */
    const char *secret = colon ? colon + 1 : start;
    snprintf(out, out_size, "%.*s***%s", (int)(secret - url), url, at);
}
