/*
 * connection.h - one hiredis connection, bounded by a deadline.
 *
 * The connect blocks; after it the socket is non-blocking and every write and
 * every reply is driven here with poll(), so that each is limited as a whole (not
 * each read(2) of it) to the smaller of its own timeout and the time left before
 * the collect deadline. A reply may hold at most max(1,000,000, 10 x scan_count)
 * elements, nested arrays included, and no single value longer than 64 MB: a
 * larger one is a protocol error. A failed collect drops the connection and
 * delays the next attempt: min(failures x 50 ms, 2 s).
 */
#ifndef CFN_REDIS_CONNECTION_H
#define CFN_REDIS_CONNECTION_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis.h>

#include "options.h"

#pragma GCC visibility push(hidden)

#define CONN_REASON_SIZE 256

typedef struct deadline {
    uint64_t end_ms;   /* on the monotonic clock */
    uint32_t total_ms; /* the whole budget, for messages */
} deadline;

typedef struct connection {
    redisContext *context;        /* NULL while disconnected */
    /* hiredis's reply functions with createArray bounded, and its own createArray */
    redisReplyObjectFunctions functions;
    void *(*create_array)(const redisReadTask *task, int elements);
    size_t max_elements;          /* elements allowed in one reply, nested ones included */
    size_t elements;              /* elements of the reply being read so far */
    int too_many;                 /* the reply being read went past max_elements */
    int reused;                   /* context was opened by an earlier collect */
    int unsent;                   /* commands are queued but not written yet */
    const char *prelude_names[2]; /* AUTH and/or SELECT, queued on a new connection */
    int prelude;                  /* how many of them */
    int prelude_next;             /* the next one whose reply is due */
    int attempted;                /* this collect connected or reused a connection */
    unsigned replies;             /* replies read in this collect */
    int stale;                    /* the last failure: a kept connection found closed */
    unsigned failures;            /* consecutive failed collects */
    uint64_t retry_at_ms;         /* no new connection before this monotonic time */
    char last_reason[CONN_REASON_SIZE];
} connection;

uint64_t monotonic_ms(void);

/* Connects unless already connected, queueing AUTH and SELECT on a new connection.
 * During the back-off after a failure it fails at once. Returns 0, or -1 with the
 * reason written into reason. */
int conn_open(connection *conn, const redis_options *options, const deadline *limit,
              char *reason, size_t reason_size);

/* Queues one command; nothing is sent until conn_flush or conn_reply. */
int conn_append(connection *conn, int argc, const char **argv, const size_t *lengths,
                char *reason, size_t reason_size);

/* Sends the queued commands now, so the server works on them while the caller
 * does something else. */
int conn_flush(connection *conn, const redis_options *options, const deadline *limit,
               char *reason, size_t reason_size);

/* Sends what is still queued and reads the next reply to a command the caller
 * queued (AUTH and SELECT replies are checked and consumed here). On success the
 * caller owns *reply and frees it with freeReplyObject. */
int conn_reply(connection *conn, const redis_options *options, const deadline *limit,
               redisReply **reply, char *reason, size_t reason_size);

/* Ends a collect: success clears the back-off; failure drops the connection,
 * remembers reason and schedules the next attempt. */
void conn_finish(connection *conn, int ok, const char *reason);

/* Drops the connection without touching the back-off. */
void conn_close(connection *conn);

#pragma GCC visibility pop

#endif /* CFN_REDIS_CONNECTION_H */
