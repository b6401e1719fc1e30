/*
 * connection.c - connecting, deadlines, back-off, and reading replies safely.
 */
#define _POSIX_C_SOURCE 200809L

#include "connection.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define BACKOFF_STEP_MS 50
#define BACKOFF_MAX_MS 2000

uint64_t monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static struct timeval to_timeval(uint64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000 * 1000)};
    return tv;
}

/* How long the next wait may take: the smaller of own_ms and the time left, or 0
 * once the deadline has passed. *by_deadline tells which one bounds it. */
static uint64_t wait_budget(const deadline *limit, uint32_t own_ms, int *by_deadline)
{
    uint64_t now = monotonic_ms();
    uint64_t left = limit->end_ms > now ? limit->end_ms - now : 0;

    *by_deadline = left <= own_ms;
    return *by_deadline ? left : own_ms;
}

static void deadline_reason(const deadline *limit, char *reason, size_t reason_size)
{
    snprintf(reason, reason_size, "timeout after %u ms", (unsigned)limit->total_ms);
}

void conn_close(connection *conn)
{
    if (conn->context)
        redisFree(conn->context);
    conn->context = NULL;
    conn->armed_ms = 0;
    conn->unsent = 0;
    conn->prelude = 0;
    conn->prelude_next = 0;
}

static int queue_prelude(connection *conn, const redis_target *target, char *reason,
                         size_t reason_size)
{
    char db[16];

    if (target->password) {
        const char *argv[3] = {"AUTH"};
        size_t lengths[3] = {4};
        int argc = 1;
        if (target->user) {
            argv[argc] = target->user;
            lengths[argc++] = strlen(target->user);
        }
        argv[argc] = target->password;
        lengths[argc++] = strlen(target->password);
        if (conn_append(conn, argc, argv, lengths, reason, reason_size) != 0)
            return -1;
        conn->prelude_names[conn->prelude++] = "AUTH";
    }
    if (target->db != 0) {
        snprintf(db, sizeof(db), "%d", target->db);
        const char *argv[2] = {"SELECT", db};
        size_t lengths[2] = {6, strlen(db)};
        if (conn_append(conn, 2, argv, lengths, reason, reason_size) != 0)
            return -1;
        conn->prelude_names[conn->prelude++] = "SELECT";
    }
    return 0;
}

int conn_open(connection *conn, const redis_options *options, const deadline *limit,
              char *reason, size_t reason_size)
{
    const redis_target *target = &options->target;
    uint64_t now = monotonic_ms();
    int by_deadline;

    conn->stale = 0;
    conn->replies = 0;
    conn->attempted = 0;
    if (conn->context) {
        conn->reused = 1;
        conn->attempted = 1;
        return 0;
    }
    if (conn->failures && now < conn->retry_at_ms) {
        snprintf(reason, reason_size, "%s (retrying in %llu ms)", conn->last_reason,
                 (unsigned long long)(conn->retry_at_ms - now));
        return -1;
    }
    conn->attempted = 1;
    conn->reused = 0;
    uint64_t budget = wait_budget(limit, options->connect_timeout_ms, &by_deadline);
    if (budget == 0) {
        deadline_reason(limit, reason, reason_size);
        return -1;
    }
    /* TODO: hiredis resolves host names with getaddrinfo, which no timeout bounds;
     * a hanging DNS server can hold a collect past its deadline. An IP address or a
     * unix socket avoids it. */
    struct timeval tv = to_timeval(budget);
    conn->context = target->socket_path ? redisConnectUnixWithTimeout(target->socket_path, tv)
                                        : redisConnectWithTimeout(target->host, target->port, tv);
    if (!conn->context) {
        snprintf(reason, reason_size, "out of memory");
        return -1;
    }
    if (conn->context->err) {
        snprintf(reason, reason_size, "%s", conn->context->errstr);
        conn_close(conn);
        return -1;
    }
    if (queue_prelude(conn, target, reason, reason_size) != 0) {
        conn_close(conn);
        return -1;
    }
    return 0;
}

int conn_append(connection *conn, int argc, const char **argv, const size_t *lengths,
                char *reason, size_t reason_size)
{
    if (redisAppendCommandArgv(conn->context, argc, argv, lengths) != REDIS_OK) {
        snprintf(reason, reason_size, "%s", conn->context->errstr);
        return -1;
    }
    conn->unsent = 1;
    return 0;
}

static int write_all(redisContext *context)
{
    int done = 0, status;

    do {
        status = redisBufferWrite(context, &done);
    } while (status == REDIS_OK && !done);
    return status;
}

/* hiredis writes with write(2), so a peer that went away raises SIGPIPE, which
 * would end a host that does not ignore it. Unless the host ignores it, block it
 * on this thread while writing and take a SIGPIPE raised meanwhile off the
 * pending set. */
static int write_all_quietly(redisContext *context)
{
    sigset_t pipe_only, old_mask, pending;
    struct timespec no_wait = {0, 0};
    struct sigaction current;
    int status;

    if (sigaction(SIGPIPE, NULL, &current) == 0 && current.sa_handler == SIG_IGN)
        return write_all(context);
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
    status = write_all(context);
    int saved_errno = errno;
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE))
        sigtimedwait(&pipe_only, NULL, &no_wait);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    errno = saved_errno;
    return status;
}

/* Sets the socket timeouts for the next wait; -1 once the deadline has passed. */
static int arm_timeout(connection *conn, const redis_options *options, const deadline *limit,
                       int *by_deadline, char *reason, size_t reason_size)
{
    uint64_t budget = wait_budget(limit, options->command_timeout_ms, by_deadline);

    if (budget == 0) {
        deadline_reason(limit, reason, reason_size);
        return -1;
    }
    /* Two system calls per wait add up over thousands of pages: skip them while
     * the command timeout, not the deadline, is what bounds the wait. */
    if (budget == conn->armed_ms)
        return 0;
    if (redisSetTimeout(conn->context, to_timeval(budget)) != REDIS_OK) {
        snprintf(reason, reason_size, "%s", conn->context->errstr);
        return -1;
    }
    conn->armed_ms = budget;
    return 0;
}

/* Explains why a read or write failed, and notes whether a fresh connection is
 * worth one more try. */
static void describe_failure(connection *conn, const redis_options *options,
                             const deadline *limit, int by_deadline, int saved_errno,
                             char *reason, size_t reason_size)
{
    redisContext *context = conn->context;

    if (context->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
        if (by_deadline)
            deadline_reason(limit, reason, reason_size);
        else
            snprintf(reason, reason_size, "no reply within command_timeout (%u ms)",
                     (unsigned)options->command_timeout_ms);
        return;
    }
    snprintf(reason, reason_size, "%s", context->err ? context->errstr : "no reply");
    /* A kept connection the server has closed since (say, a restart) is worth one
     * fresh try; a timeout is not, it would only double the wait. */
    conn->stale = conn->reused && conn->replies == 0 &&
                  (context->err == REDIS_ERR_EOF ||
                   (context->err == REDIS_ERR_IO &&
                    (saved_errno == ECONNRESET || saved_errno == EPIPE)));
}

int conn_flush(connection *conn, const redis_options *options, const deadline *limit,
               char *reason, size_t reason_size)
{
    int by_deadline;

    if (!conn->unsent)
        return 0;
    if (arm_timeout(conn, options, limit, &by_deadline, reason, reason_size) != 0)
        return -1;
    errno = 0;
    int status = write_all_quietly(conn->context);
    int saved_errno = errno;
    conn->unsent = 0;
    if (status == REDIS_OK)
        return 0;
    describe_failure(conn, options, limit, by_deadline, saved_errno, reason, reason_size);
    return -1;
}

/* Reads one reply of any command, within the command timeout and the deadline. */
static int read_reply(connection *conn, const redis_options *options, const deadline *limit,
                      redisReply **reply, char *reason, size_t reason_size)
{
    void *raw = NULL;
    int by_deadline;

    if (conn_flush(conn, options, limit, reason, reason_size) != 0 ||
        arm_timeout(conn, options, limit, &by_deadline, reason, reason_size) != 0)
        return -1;
    errno = 0;
    int status = redisGetReply(conn->context, &raw);
    int saved_errno = errno;
    if (status == REDIS_OK && raw) {
        conn->replies++;
        *reply = raw;
        return 0;
    }
    describe_failure(conn, options, limit, by_deadline, saved_errno, reason, reason_size);
    return -1;
}

int conn_reply(connection *conn, const redis_options *options, const deadline *limit,
               redisReply **reply, char *reason, size_t reason_size)
{
    redisReply *r = NULL;

    while (conn->prelude_next < conn->prelude) {
        if (read_reply(conn, options, limit, &r, reason, reason_size) != 0)
            return -1;
        const char *name = conn->prelude_names[conn->prelude_next++];
        if (r->type == REDIS_REPLY_ERROR) {
            snprintf(reason, reason_size, "%s failed: %s", name, r->str);
            freeReplyObject(r);
            return -1;
        }
        freeReplyObject(r);
    }
    return read_reply(conn, options, limit, reply, reason, reason_size);
}

void conn_finish(connection *conn, int ok, const char *reason)
{
    if (ok) {
        conn->failures = 0;
        return;
    }
    conn_close(conn);
    /* A collect refused during the back-off is not another attempt. */
    if (!conn->attempted)
        return;
    if (conn->failures < BACKOFF_MAX_MS / BACKOFF_STEP_MS)
        conn->failures++;
    conn->retry_at_ms = monotonic_ms() + (uint64_t)conn->failures * BACKOFF_STEP_MS;
    snprintf(conn->last_reason, sizeof(conn->last_reason), "%s", reason);
}
