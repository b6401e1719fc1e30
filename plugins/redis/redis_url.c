/*
 * redis_url.c - parsing and redacting the url option.
 */
#define _POSIX_C_SOURCE 200809L /* strdup and strndup under -std=c11 */

#include "redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

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

    /* An @ after the first / can only end a user part that holds a /. */
    if (strchr(path, '@')) {
        set_reason(reason, reason_size, "a / in the user or password must be percent-encoded "
                   "as %2F");
        return -1;
    }
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

/* Whether text[0..len) is the NUL-terminated name. */
static int is_name(const char *text, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(text, name, len) == 0;
}

/* The query parameter name=value starting at text: its name, its value (NULL without "=")
 * and where the next one starts. */
static const char *next_parameter(const char *text, size_t *name_len, const char **value,
                                  size_t *value_len)
{
    size_t len = strcspn(text, "&");
    const char *equals = memchr(text, '=', len);

    *name_len = equals ? (size_t)(equals - text) : len;
    *value = equals ? equals + 1 : NULL;
    *value_len = equals ? len - *name_len - 1 : 0;
    return text[len] == '&' ? text + len + 1 : text + len;
}

static int is_known_parameter(const char *name, size_t len)
{
    return is_name(name, len, "db") || is_name(name, len, "user") ||
           is_name(name, len, "password");
}

/* Fails naming every unknown parameter of the query (never a value: it may be a secret). */
static int refuse_unknown_parameters(const char *query, char *reason, size_t reason_size)
{
    char names[200] = "";
    size_t used = 0, unknown = 0, name_len, value_len;
    const char *value;

    for (const char *p = query; *p;) {
        const char *name = p;
        p = next_parameter(p, &name_len, &value, &value_len);
        if (name_len == 0 && !value)
            continue; /* an empty parameter, as in a&&b or a trailing & */
        if (!value) {
            set_reason(reason, reason_size, "a query parameter without a value (expected "
                       "db=N, user=NAME or password=SECRET)");
            return -1;
        }
        if (is_known_parameter(name, name_len))
            continue;
        unknown++;
        if (used < sizeof(names))
            used += (size_t)snprintf(names + used, sizeof(names) - used, "%s\"%.*s\"",
                                     unknown > 1 ? ", " : "", (int)name_len, name);
    }
    if (unknown == 0)
        return 0;
    snprintf(reason, reason_size, "unknown query parameter%s %s (known: db, user, password)",
             unknown > 1 ? "s" : "", names);
    return -1;
}

/* db=N, user=NAME and password=SECRET (percent-encoded) after the ? of a socket URL. */
static int parse_socket_query(const char *query, redis_target *target, char *reason,
                              size_t reason_size)
{
    int seen_db = 0, bad = 0;
    size_t name_len, value_len;
    const char *value;

    if (refuse_unknown_parameters(query, reason, reason_size) != 0)
        return -1;
    for (const char *p = query; *p;) {
        const char *name = p;
        p = next_parameter(p, &name_len, &value, &value_len);
        if (!value)
            continue;
        char **text = is_name(name, name_len, "user") ? &target->user
                      : is_name(name, name_len, "password") ? &target->password
                                                            : NULL;
        if ((text && *text) || (!text && seen_db)) {
            snprintf(reason, reason_size, "query parameter \"%.*s\" is given twice",
                     (int)name_len, name);
            return -1;
        }
        if (value_len == 0) {
            snprintf(reason, reason_size, "query parameter \"%.*s\" is empty", (int)name_len,
                     name);
            return -1;
        }
        if (!text) {
            uint64_t db;
            if (parse_decimal(value, value_len, 1000000, &db) != 0) {
                set_reason(reason, reason_size, "the database is not a number (db=0, db=1, ...)");
                return -1;
            }
            target->db = (int)db;
            seen_db = 1;
        } else if (!(*text = decode_component(value, value_len, &bad))) {
            set_reason(reason, reason_size, bad ? "bad percent-encoding in user or password"
                                                : "out of memory");
            return -1;
        }
    }
    if (target->user && !target->password) {
        set_reason(reason, reason_size, "a user name needs a password (user=...&password=...)");
        return -1;
    }
    return 0;
}

/* /path/to/socket[?query]; the path is percent-decoded when it came in a unix:// URL. */
static int parse_socket(const char *text, int decode, redis_target *target, char *reason,
                        size_t reason_size)
{
    size_t path_len = strcspn(text, "?");
    int bad = 0;

    if (text[0] != '/' || path_len < 2) {
        set_reason(reason, reason_size, "expected redis://[user:password@]host[:port][/db], "
                   "unix:///path/to/socket[?db=N&password=SECRET] or /path/to/socket");
        return -1;
    }
    target->socket_path = decode ? decode_component(text, path_len, &bad)
                                 : strndup(text, path_len);
    if (!target->socket_path) {
        set_reason(reason, reason_size, bad ? "bad percent-encoding in the socket path"
                                            : "out of memory");
        return -1;
    }
    /* hiredis would cut a longer path short without a word. */
    if (strlen(target->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(reason, reason_size, "the socket path is longer than %zu bytes",
                 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return -1;
    }
    return text[path_len] == '?'
               ? parse_socket_query(text + path_len + 1, target, reason, reason_size)
               : 0;
}

int redis_url_parse(const char *url, redis_target *target, char *reason, size_t reason_size)
{
    int status;

    memset(target, 0, sizeof(*target));
    if (strncasecmp(url, REDIS_SCHEME, strlen(REDIS_SCHEME)) == 0)
        status = parse_redis_url(url + strlen(REDIS_SCHEME), target, reason, reason_size);
    else if (strncasecmp(url, UNIX_SCHEME, strlen(UNIX_SCHEME)) == 0)
        status = parse_socket(url + strlen(UNIX_SCHEME), 1, target, reason, reason_size);
    else
        status = parse_socket(url, 0, target, reason, reason_size);
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

/* Appends text[0..len) to out, as much as fits. */
static void append(char *out, size_t out_size, size_t *used, const char *text, size_t len)
{
    size_t room = *used < out_size ? out_size - *used - 1 : 0;
    size_t n = len < room ? len : room;

    memcpy(out + *used, text, n);
    *used += n;
    out[*used] = '\0';
}

/* Where the text after a scheme (such as redis: or unix:) and the slashes after it starts, or
 * url itself when it has none. */
static const char *after_scheme(const char *url)
{
    size_t len = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

    if (len == 0 || url[len] != ':' || strchr("+.-0123456789", url[0]))
        return url;
    return url + len + 1 + strspn(url + len + 1, "/");
}

/* Appends the query parameters starting at query, showing only the values of db and user:
 * any other may be a password. */
static void append_query(char *out, size_t out_size, size_t *used, const char *query)
{
    size_t name_len, value_len;
    const char *value;

    for (const char *p = query; *p;) {
        const char *name = p;
        p = next_parameter(p, &name_len, &value, &value_len);
        if (name != query)
            append(out, out_size, used, "&", 1);
        if (!value) {
            append(out, out_size, used, "***", name_len ? 3 : 0);
        } else if (is_name(name, name_len, "db") || is_name(name, name_len, "user")) {
            append(out, out_size, used, name, name_len + 1 + value_len);
        } else {
            append(out, out_size, used, name, name_len);
            append(out, out_size, used, "=***", 4);
        }
    }
}

void redis_url_redact(const char *url, char *out, size_t out_size)
{
    const char *start = after_scheme(url);
    const char *at = strrchr(start, '@');
    const char *rest = start;
    size_t used = 0;

    if (out_size == 0)
        return;
    out[0] = '\0';
    append(out, out_size, &used, url, (size_t)(start - url));
    if (at) {
        /* Whatever comes before the last @ may hold a password, however malformed the URL
         * (a / or a ? in an unencoded password, a missing scheme): hide all of it but a
         * plain user name that a colon ends, after a scheme. */
        size_t user_len = strcspn(start, ":/?&=@");
        if (start > url && start[user_len] == ':' && start + user_len < at)
            append(out, out_size, &used, start, user_len + 1);
        append(out, out_size, &used, "***", 3);
        rest = at;
        if (memchr(start, '?', (size_t)(at - start))) {
            /* The @ is inside the query: hide the rest of its parameter too. */
            rest = at + strcspn(at, "&");
            if (*rest == '&') {
                append(out, out_size, &used, "&", 1);
                append_query(out, out_size, &used, rest + 1);
            }
            return;
        }
    }
    const char *query = strchr(rest, '?');
    if (!query) {
        append(out, out_size, &used, rest, strlen(rest));
        return;
    }
    append(out, out_size, &used, rest, (size_t)(query + 1 - rest));
    append_query(out, out_size, &used, query + 1);
}
