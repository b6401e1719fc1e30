/*
 * connection.c - connecting, deadlines, back-off, and reading replies safely.
 */
#define _POSIX_C_SOURCE 200809L

#include "connection.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

#define BACKOFF_STEP_MS 50
#define BACKOFF_MAX_MS 2000
#define MIN_MAX_ELEMENTS 1000000u
#define MAX_ELEMENTS_PER_SCAN_COUNT 10u /* SCAN returns a little more than COUNT, MGET less */
#define MAX_VALUE_MB 64u

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

/* When a write or a reply that starts now must be done: the smaller of now + own_ms
 * and the deadline. *by_deadline tells which one. */
static uint64_t wait_end(const deadline *limit, uint32_t own_ms, int *by_deadline)
{
    uint64_t own_end = monotonic_ms() + own_ms;

    *by_deadline = limit->end_ms <= own_end;
    return *by_deadline ? limit->end_ms : own_end;
}

/* Waits until fd is ready for events or the monotonic time end comes. Returns 1
 * when ready, 0 at the end, -1 when poll fails (errno tells why). */
static int wait_ready(int fd, short events, uint64_t end)
{
    for (;;) {
        uint64_t now = monotonic_ms();
        if (now >= end)
            return 0;
        struct pollfd watched = {.fd = fd, .events = events};
        uint64_t left = end - now;
        int ready = poll(&watched, 1, left < INT_MAX ? (int)left : INT_MAX);
        if (ready > 0)
            return 1;
        if (ready < 0 && errno != EINTR)
            return -1;
    }
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

/* createArray of the reply reader: refuses an array that would take the reply past
 * max_elements. hiredis allocates the element pointers as soon as it reads the
 * header, so *999999999 alone would cost 8 GB and a walk over them when freed. */
static void *create_bounded_array(const redisReadTask *task, int elements)
{
    connection *conn = task->privdata;

    if (elements < 0 || (size_t)elements > conn->max_elements - conn->elements) {
        conn->too_many = 1;
        return NULL; /* hiredis then fails the reply (as out of memory) */
    }
    conn->elements += (size_t)elements;
    return conn->create_array(task, elements);
}

/* Makes a new connection's socket non-blocking, so that no read(2) or write(2) can
 * wait, and bounds the size of its replies. */
static int prepare_context(connection *conn, const redis_options *options, char *reason,
                           size_t reason_size)
{
    redisContext *context = conn->context;
    int flags = fcntl(context->fd, F_GETFL);

    if (flags < 0 || fcntl(context->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        snprintf(reason, reason_size, "cannot make the socket non-blocking: %s",
                 strerror(errno));
        return -1;
    }
    /* hiredis then treats EAGAIN as "nothing yet" instead of an error. */
    context->flags &= ~REDIS_BLOCK;
    uint64_t by_scan_count = (uint64_t)options->scan_count * MAX_ELEMENTS_PER_SCAN_COUNT;
    conn->max_elements = by_scan_count > MIN_MAX_ELEMENTS ? (size_t)by_scan_count
                                                          : MIN_MAX_ELEMENTS;
    conn->functions = *context->reader->fn;
    conn->create_array = conn->functions.createArray;
    conn->functions.createArray = create_bounded_array;
    context->reader->fn = &conn->functions;
    context->reader->privdata = conn; /* handed to every read task */
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
        /* hiredis says only what went wrong: name the socket, which is no secret, yet
         * redacted like a URL: a mistyped one such as //:password@host is taken for a
         * socket path. */
        char shown[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
        if (target->socket_path) {
            redis_url_redact(target->socket_path, shown, sizeof(shown));
            snprintf(reason, reason_size, "unix socket %s: %s", shown, conn->context->errstr);
        } else {
            snprintf(reason, reason_size, "%s", conn->context->errstr);
        }
        conn_close(conn);
        return -1;
    }
    if (prepare_context(conn, options, reason, reason_size) != 0 ||
        queue_prelude(conn, target, reason, reason_size) != 0) {
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

/* hiredis writes with write(2), so a peer that went away raises SIGPIPE, which
 * would end a host that does not ignore it. Unless the host ignores it, block it
 * on this thread while writing and take a SIGPIPE raised meanwhile off the
 * pending set. */
static int write_quietly(redisContext *context, int *done)
{
    sigset_t pipe_only, old_mask, pending;
    struct timespec no_wait = {0, 0};
    struct sigaction current;
    int status;

    if (sigaction(SIGPIPE, NULL, &current) == 0 && current.sa_handler == SIG_IGN)
        return redisBufferWrite(context, done);
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
    status = redisBufferWrite(context, done);
    int saved_errno = errno;
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE))
        sigtimedwait(&pipe_only, NULL, &no_wait);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    errno = saved_errno;
    return status;
}

/* Explains a write or a reply that could not finish in time. */
static void timeout_reason(const redis_options *options, const deadline *limit,
                           int by_deadline, char *reason, size_t reason_size)
{
    if (by_deadline)
        deadline_reason(limit, reason, reason_size);
    else
        snprintf(reason, reason_size, "no reply within command_timeout (%u ms)",
                 (unsigned)options->command_timeout_ms);
}

/* Explains why a wait, a read or a write failed, and notes whether a fresh
 * connection is worth one more try. ready is what wait_ready returned, or 1 when
 * hiredis failed. */
static void describe_failure(connection *conn, const redis_options *options,
                             const deadline *limit, int ready, int by_deadline,
                             int saved_errno, char *reason, size_t reason_size)
{
    redisContext *context = conn->context;

    if (ready == 0) {
        timeout_reason(options, limit, by_deadline, reason, reason_size);
        return;
    }
    if (ready < 0) {
        snprintf(reason, reason_size, "poll failed: %s", strerror(saved_errno));
        return;
    }
    if (conn->too_many) {
        snprintf(reason, reason_size, "protocol error: a reply with more than %zu elements",
                 conn->max_elements);
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
    int by_deadline, done = 0, ready = 1;

    if (!conn->unsent)
        return 0;
    uint64_t end = wait_end(limit, options->command_timeout_ms, &by_deadline);
    conn->unsent = 0;
    for (;;) {
        if (monotonic_ms() >= end) {
            ready = 0;
            break;
        }
        errno = 0;
        if (write_quietly(conn->context, &done) != REDIS_OK)
            break;
        if (done)
            return 0;
        /* The socket buffer is full: wait until the server has read some of it. */
        if ((ready = wait_ready(conn->context->fd, POLLOUT, end)) <= 0)
            break;
    }
    describe_failure(conn, options, limit, ready, by_deadline, errno, reason, reason_size);
    return -1;
}

/* Reads one reply of any command, within the command timeout and the deadline:
 * the time limit holds for the whole reply, however slowly its bytes come. */
static int read_reply(connection *conn, const redis_options *options, const deadline *limit,
                      redisReply **reply, char *reason, size_t reason_size)
{
    redisContext *context = conn->context;
    int by_deadline, ready = 1;

    if (conn_flush(conn, options, limit, reason, reason_size) != 0)
        return -1;
    uint64_t end = wait_end(limit, options->command_timeout_ms, &by_deadline);
    conn->elements = 0;
    conn->too_many = 0;
    for (;;) {
        void *raw = NULL;
        if (monotonic_ms() >= end) {
            ready = 0;
            break;
        }
        errno = 0;
        if (redisGetReplyFromReader(context, &raw) != REDIS_OK)
            break;
        if (raw) {
            conn->replies++;
            *reply = raw;
            return 0;
        }
        /* What is left unparsed is the start of one value (hiredis builds a value
         * only once all of it is there), so this bounds the memory one takes. */
        if (context->reader->len - context->reader->pos > (size_t)MAX_VALUE_MB << 20) {
            snprintf(reason, reason_size, "protocol error: a value longer than %u MB",
                     MAX_VALUE_MB);
            return -1;
        }
        if ((ready = wait_ready(context->fd, POLLIN, end)) <= 0)
            break;
        errno = 0;
        if (redisBufferRead(context) != REDIS_OK)
            break;
    }
    describe_failure(conn, options, limit, ready, by_deadline, errno, reason, reason_size);
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
