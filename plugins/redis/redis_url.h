/*
 * redis_url.h - where the collector connects: a redis:// URL or a unix socket.
 *
 * Accepted forms: redis://[[user]:password@]host[:port][/db] (port 6379 and
 * db 0 by default; user and password may be percent-encoded, and a / in them
 * must be, as %2F), and for a unix socket
 * unix:///path?db=N&user=NAME&password=SECRET (every parameter optional,
 * values and path percent-encoded) or /path with the same query (the path taken
 * as it is). An unknown query parameter is refused.
 */
#ifndef CFN_REDIS_URL_H
#define CFN_REDIS_URL_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

typedef struct redis_target {
    char *host;        /* TCP host, or NULL for a unix socket */
    int port;
    char *socket_path; /* unix socket path, or NULL for TCP */
    char *user;        /* NULL: AUTH with the password alone */
    char *password;    /* NULL: no AUTH */
    int db;
} redis_target;

/* Fills *target from url. Returns 0, or -1 with what is wrong written into reason
 * (never the password); the target is then left empty. */
int redis_url_parse(const char *url, redis_target *target, char *reason, size_t reason_size);

/* Frees the strings of a parsed target and empties it. */
void redis_target_clear(redis_target *target);

/* Copies url into out so it can appear in messages, whatever it looks like: everything
 * between the scheme (or the start) and the last @ but a plain user name before a colon,
 * and the value of every query parameter but db and user, is replaced by "***". */
void redis_url_redact(const char *url, char *out, size_t out_size);

#pragma GCC visibility pop

#endif /* CFN_REDIS_URL_H */
