/*
 * json_fields.c - picking top-level members out of a JSON object with yajl's
 * streaming parser.
 *
 * yajl checks the grammar and reports each token through a callback; the
 * callbacks below count the open containers, so that only the members of the root
 * object (depth 1) are looked at and everything nested under them is passed over.
 *
 * Picked strings are copied into the caller's scratch. A decoded string is never
 * longer than its quoted source, so a scratch of len + 1 bytes holds every picked
 * string of one call and never has to grow in the middle of it.
 */
#include "json_fields.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "decimal.h"
#include "grow.h"

/* Integers with at most this many digits are read exactly, without strtod. */
#define EXACT_DIGITS 18

typedef struct picker {
    json_field *fields;
    const size_t *name_lens;
    size_t field_count;
    json_field *pending; /* the picked member whose value comes next, if any */
    char *out;           /* the next free byte of the scratch */
    const char *end;     /* the end of the scratch */
    int depth;           /* containers open: the root object's members are at 1 */
    int status;          /* why a callback stopped the parse */
    yajl_handle handle;
    size_t root_end;     /* the offset just past the root object's closing brace */
} picker;

static int stop(picker *p, int status)
{
    p->status = status;
    return 0;
}

/* yajl checks only the shape of raw UTF-8 sequences, and its \u decoder passes
 * U+0000 and lone low surrogates through (a lone high surrogate becomes '?'). A
 * picked string becomes a label value, so it must be well-formed UTF-8 (no
 * overlong forms, no surrogates, nothing past U+10FFFF) without NUL, which also
 * keeps NUL free to separate labels in the collector's group keys. */
static int is_label_text(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        unsigned cp, min;
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0; /* NUL, a stray continuation byte or an impossible lead byte */
        }
        if (len - i < n)
            return 0;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return 0;
        i += n;
    }
    return 1;
}

/* A number as yajl passed it (its grammar already checked, not NUL-terminated). */
static int read_number(picker *p, const char *text, size_t len, double *value)
{
    int negative = text[0] == '-';
    size_t digits = len - (size_t)negative;
    uint64_t whole;

    /* Millisecond timestamps land here: exact, and no locale involved. */
    if (digits <= EXACT_DIGITS &&
        parse_decimal(text + negative, digits, UINT64_MAX, &whole) == 0) {
        *value = negative ? -(double)whole : (double)whole;
        return 0;
    }
    /* Fractions, exponents and longer integers: strtod reads a NUL-terminated copy
     * (which the scratch has room for, as for a string). It reads the C locale's
     * decimal point, which is '.' unless the host calls setlocale. */
    if ((size_t)(p->end - p->out) < len + 1)
        return -1;
    memcpy(p->out, text, len);
    p->out[len] = '\0';
    *value = strtod(p->out, NULL);
    return isinf(*value) ? -1 : 0; /* too large for a double: refused */
}

/* A value that is neither a picked string nor a picked number. */
static int other_value(picker *p)
{
    if (p->depth == 0)
        return stop(p, -1); /* the root is not an object */
    if (p->depth == 1 && p->pending) {
        p->pending->kind = JSON_KIND_OTHER;
        p->pending = NULL;
    }
    return 1;
}

static int on_null(void *ctx)
{
    return other_value(ctx);
}

static int on_boolean(void *ctx, int value)
{
    (void)value;
    return other_value(ctx);
}

static int on_number(void *ctx, const char *text, size_t len)
{
    picker *p = ctx;

    if (p->depth != 1 || !p->pending)
        return other_value(p);
    if (read_number(p, text, len, &p->pending->number) != 0)
        return stop(p, -1);
    p->pending->kind = JSON_KIND_NUMBER;
    p->pending = NULL;
    return 1;
}

static int on_string(void *ctx, const unsigned char *text, size_t len)
{
    picker *p = ctx;

    if (p->depth != 1 || !p->pending)
        return other_value(p);
    if (!is_label_text(text, len) || (size_t)(p->end - p->out) < len + 1)
        return stop(p, -1);
    memcpy(p->out, text, len);
    p->out[len] = '\0';
    p->pending->kind = JSON_KIND_STRING;
    p->pending->string = p->out;
    p->out += len + 1;
    p->pending = NULL;
    return 1;
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
    picker *p = ctx;

    if (p->depth != 1)
        return 1;
    p->pending = NULL;
    for (size_t i = 0; i < p->field_count; i++) {
        if (p->name_lens[i] == len && memcmp(p->fields[i].name, key, len) == 0) {
            p->pending = &p->fields[i];
            break;
        }
    }
    return 1;
}

static int on_start_map(void *ctx)
{
    picker *p = ctx;

    if (p->depth > 0)
        other_value(p); /* a nested object; at depth 0 it is the root */
    p->depth++;
    return 1;
}

static int on_start_array(void *ctx)
{
    picker *p = ctx;

    if (!other_value(p))
        return 0;
    p->depth++;
    return 1;
}

static int on_end_map(void *ctx)
{
    picker *p = ctx;

    if (--p->depth == 0)
        p->root_end = yajl_get_bytes_consumed(p->handle);
    return 1;
}

static int on_end_array(void *ctx)
{
    ((picker *)ctx)->depth--;
    return 1;
}

/* yajl 2.1 lets an unterminated string after the root pass ('{} "abc' parses),
 * so what follows the root object is checked here: only the whitespace yajl
 * itself skips may follow. */
static int only_space_after_root(const picker *p, const char *text, size_t len)
{
    if (p->root_end > len)
        return 0;
    for (size_t i = p->root_end; i < len; i++) {
        if (!strchr(" \t\n\v\f\r", text[i]) || text[i] == '\0')
            return 0;
    }
    return 1;
}

/* With yajl_number set, yajl hands every number over as text and never calls
 * yajl_integer or yajl_double, so no number is refused for its size by yajl. */
static const yajl_callbacks CALLBACKS = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

int json_fields_read(const char *text, size_t len, json_field *fields, size_t field_count,
                     json_scratch *scratch)
{
    size_t name_lens[JSON_FIELDS_MAX];

    if (field_count > JSON_FIELDS_MAX)
        return -2;
    for (size_t i = 0; i < field_count; i++) {
        fields[i].kind = JSON_KIND_ABSENT;
        name_lens[i] = strlen(fields[i].name);
    }
    if (grow_text(&scratch->data, &scratch->size, len + 1) != 0)
        return -2;
    picker p = {
        .fields = fields,
        .name_lens = name_lens,
        .field_count = field_count,
        .out = scratch->data,
        .end = scratch->data + scratch->size,
        .status = -1,
    };
    /* yajl 2.1 cannot reset a handle (after one value it accepts only whitespace,
     * after an error it stays failed), so each value gets a handle of its own.
     * Measured here, allocating and freeing it (five mallocs) is about 0.2 us of
     * the 1.1 us a coordinator value takes. yajl keeps its stack of open
     * containers on the heap, so deep nesting costs a byte a level and no
     * recursion. */
    yajl_handle handle = yajl_alloc(&CALLBACKS, NULL, &p);
    if (!handle)
        return -2;
    p.handle = handle;
    yajl_status status = yajl_parse(handle, (const unsigned char *)text, len);
    if (status == yajl_status_ok)
        status = yajl_complete_parse(handle); /* refuses an empty or cut-short text */
    yajl_free(handle);
    if (status == yajl_status_ok)
        return only_space_after_root(&p, text, len) ? 0 : -1;
    return status == yajl_status_client_canceled ? p.status : -1;
}

void json_scratch_free(json_scratch *scratch)
{
    free(scratch->data);
    scratch->data = NULL;
    scratch->size = 0;
}
