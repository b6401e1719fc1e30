/*
 * plugin_log.c - the only way this plugin reports anything besides its status.
 */
#include "plugin_log.h"

#include <stdio.h>
#include <string.h>

void plugin_log(const cfn_plugin_host *host, int level, const char *message, const char *fields)
{
    /* An older host may pass a shorter struct; use log only if it is inside. */
    size_t needed = offsetof(cfn_plugin_host, log) + sizeof(host->log);

    if (host && host->size >= needed && host->log)
        host->log(host->context, level, message, fields);
}

static int needs_quotes(const char *value, size_t len)
{
    if (len == 0)
        return 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f)
            return 1;
    }
    return 0;
}

/* The text standing for one byte inside a quoted value. */
static void escape_byte(unsigned char c, char piece[8])
{
    switch (c) {
    case '"': strcpy(piece, "\\\""); break;
    case '\\': strcpy(piece, "\\\\"); break;
    case '\n': strcpy(piece, "\\n"); break;
    case '\r': strcpy(piece, "\\r"); break;
    case '\t': strcpy(piece, "\\t"); break;
    default:
        if (c < ' ' || c == 0x7f)
            snprintf(piece, 8, "\\x%02x", c);
        else
            snprintf(piece, 8, "%c", c);
    }
}

void logfmt_pair(char *out, size_t out_size, const char *name, const char *value,
                 size_t value_len)
{
    int quoted = needs_quotes(value, value_len);
    size_t used;
    char piece[8];

    if (out_size == 0)
        return;
    snprintf(out, out_size, "%s=%s", name, quoted ? "\"" : "");
    used = strlen(out);
    for (size_t i = 0; i < value_len; i++) {
        escape_byte((unsigned char)value[i], piece);
        size_t piece_len = strlen(piece);
        /* Keep room for "...", the closing quote and the NUL. */
        if (used + piece_len + 5 > out_size) {
            snprintf(out + used, out_size - used, "...");
            used = strlen(out);
            break;
        }
        memcpy(out + used, piece, piece_len + 1);
        used += piece_len;
    }
    if (quoted)
        snprintf(out + used, out_size - used, "\"");
}
