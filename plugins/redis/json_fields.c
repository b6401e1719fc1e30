/*
 * json_fields.c - a validating JSON reader that keeps only what it is asked for.
 *
 * The output cursor in scratch never passes the input cursor (an unescaped string
 * is never longer than its quoted source), so a scratch of len + 1 bytes is enough
 * for one call and never has to grow in the middle of it.
 */
#include "json_fields.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256

typedef struct reader {
    const unsigned char *p;
    const unsigned char *end;
} reader;

static int skip_value(reader *r, int depth);

static void skip_space(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int is_digit(const reader *r)
{
    return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned value = 0;

    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        unsigned digit = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                         : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                : 16u;
        if (digit > 15)
            return -1;
        value = value * 16 + digit;
    }
    *out = value;
    return 0;
}

static size_t put_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The length of the well-formed UTF-8 sequence at r->p (a byte >= 0x80), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_length(const reader *r)
{
    const unsigned char *p = r->p;
    unsigned char lead = p[0];
    size_t n;
    unsigned cp;

    if (lead >= 0xC2 && lead <= 0xDF) {
        n = 2;
        cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        n = 3;
        cp = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        n = 4;
        cp = lead & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(r->end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp > 0x10FFFF)
        return 0;
    return n;
}

/* One escape (r->p at the backslash) decoded into piece; returns its length or 0. */
static size_t read_escape(reader *r, char piece[4])
{
    static const char SIMPLE_FROM[] = "\"\\/bfnrt";
    static const char SIMPLE_TO[] = "\"\\/\b\f\n\r\t";
    const unsigned char *p = r->p + 1;
    unsigned cp, low;

    if (p >= r->end)
        return 0;
    if (*p != 'u') {
        const char *found = memchr(SIMPLE_FROM, *p, sizeof(SIMPLE_FROM) - 1);
        if (!found)
            return 0;
        piece[0] = SIMPLE_TO[found - SIMPLE_FROM];
        r->p = p + 1;
        return 1;
    }
    if (r->end - p < 5 || hex4(p + 1, &cp) != 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return 0;
    p += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* A high surrogate must be followed by an escaped low one. */
        if (r->end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &low) != 0 ||
            low < 0xDC00 || low > 0xDFFF)
            return 0;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        p += 6;
    }
    if (cp == 0)
        return 0; /* a NUL would cut the string short */
    r->p = p;
    return put_utf8(cp, piece);
}

/* A string, r->p at its opening quote. When out is not NULL the unescaped bytes and
 * a NUL go there, and *out_len gets their count. */
static int read_string(reader *r, char *out, size_t *out_len)
{
    size_t n = 0;
    char piece[4];

    r->p++;
    for (;;) {
        if (r->p >= r->end)
            return -1;
        unsigned char c = *r->p;
        size_t len;
        if (c == '"')
            break;
        if (c < 0x20)
            return -1;
        if (c < 0x80 && c != '\\') {
            /* Copy a run of plain ASCII at once: most strings are nothing else. */
            const unsigned char *run = r->p;
            while (r->p < r->end && *r->p >= 0x20 && *r->p < 0x80 && *r->p != '"' &&
                   *r->p != '\\')
                r->p++;
            if (out)
                memcpy(out + n, run, (size_t)(r->p - run));
            n += (size_t)(r->p - run);
            continue;
        }
        const unsigned char *from = r->p;
        if (c == '\\') {
            if (!(len = read_escape(r, piece)))
                return -1;
            from = (const unsigned char *)piece;
        } else {
            if (!(len = utf8_length(r)))
                return -1;
            r->p += len;
        }
        if (out)
            memcpy(out + n, from, len);
        n += len;
    }
    r->p++;
    if (out) {
        out[n] = '\0';
        *out_len = n;
    }
    return 0;
}

/* A number as RFC 8259 spells it, stored into *value when value is not NULL. */
static int read_number(reader *r, double *value)
{
    const unsigned char *start = r->p;
    int integral = 1;

    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (!is_digit(r))
        return -1;
    if (*r->p++ != '0') {
        while (is_digit(r))
            r->p++;
    }
    if (r->p < r->end && *r->p == '.') {
        integral = 0;
        r->p++;
        if (!is_digit(r))
            return -1;
        while (is_digit(r))
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        integral = 0;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (!is_digit(r))
            return -1;
        while (is_digit(r))
            r->p++;
    }
    /* Inside an object a number is always followed by something; one that runs to
     * the end is cut short. Stopping here also keeps strtod inside the text. */
    if (r->p >= r->end)
        return -1;
    size_t len = (size_t)(r->p - start);
    int negative = *start == '-';
    double number;
    if (integral && len - (size_t)negative <= 18) {
        /* Millisecond timestamps land here: exact, and no locale involved. */
        int64_t whole = 0;
        for (const unsigned char *p = start + negative; p < r->p; p++)
            whole = whole * 10 + (*p - '0');
        number = (double)(negative ? -whole : whole);
    } else {
        /* strtod stops where the grammar above stopped. It reads the C locale's
         * decimal point, which is '.' unless the host calls setlocale. */
        number = strtod((const char *)start, NULL);
        if (isinf(number))
            return -1; /* too large for a double: refused, as jansson does */
    }
    if (value)
        *value = number;
    return 0;
}

static int read_literal(reader *r, const char *word, size_t len)
{
    if ((size_t)(r->end - r->p) < len || memcmp(r->p, word, len) != 0)
        return -1;
    r->p += len;
    return 0;
}

/* An array or object, r->p at its opening bracket; members are checked, not kept. */
static int skip_container(reader *r, int depth)
{
    unsigned char close = *r->p == '{' ? '}' : ']';

    if (depth > MAX_DEPTH)
        return -1;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            if (r->p >= r->end || *r->p != '"' || read_string(r, NULL, NULL) != 0)
                return -1;
            skip_space(r);
            if (r->p >= r->end || *r->p++ != ':')
                return -1;
            skip_space(r);
        }
        if (skip_value(r, depth + 1) != 0)
            return -1;
        skip_space(r);
        if (r->p >= r->end)
            return -1;
        if (*r->p == close) {
            r->p++;
            return 0;
        }
        if (*r->p++ != ',')
            return -1;
        skip_space(r);
    }
}

static int skip_value(reader *r, int depth)
{
    if (r->p >= r->end)
        return -1;
    switch (*r->p) {
    case '{':
    case '[':
        return skip_container(r, depth);
    case '"':
        return read_string(r, NULL, NULL);
    case 't':
        return read_literal(r, "true", 4);
    case 'f':
        return read_literal(r, "false", 5);
    case 'n':
        return read_literal(r, "null", 4);
    default:
        return read_number(r, NULL);
    }
}

static json_field *find_field(json_field *fields, const size_t *name_lens, size_t count,
                              const char *name, size_t len)
{
    for (size_t i = 0; i < count; i++) {
        if (name_lens[i] == len && memcmp(fields[i].name, name, len) == 0)
            return &fields[i];
    }
    return NULL;
}

/* One member's value: kept when field is not NULL, else only checked. */
static int read_member_value(reader *r, json_field *field, char **out)
{
    size_t len;

    if (!field)
        return skip_value(r, 2);
    if (r->p < r->end && *r->p == '"') {
        if (read_string(r, *out, &len) != 0)
            return -1;
        field->kind = JSON_KIND_STRING;
        field->string = *out;
        *out += len + 1;
        return 0;
    }
    if (r->p < r->end && (*r->p == '-' || is_digit(r))) {
        field->kind = JSON_KIND_NUMBER;
        return read_number(r, &field->number);
    }
    field->kind = JSON_KIND_OTHER;
    return skip_value(r, 2);
}

int json_fields_read(const char *text, size_t len, json_field *fields, size_t field_count,
                     json_scratch *scratch)
{
    reader r = {(const unsigned char *)text, (const unsigned char *)text + len};
    size_t name_lens[JSON_FIELDS_MAX];
    size_t key_len;

    if (field_count > JSON_FIELDS_MAX)
        return -2;
    for (size_t i = 0; i < field_count; i++) {
        fields[i].kind = JSON_KIND_ABSENT;
        name_lens[i] = strlen(fields[i].name);
    }
    if (scratch->size < len + 1) {
        char *grown = realloc(scratch->data, len + 1);
        if (!grown)
            return -2;
        scratch->data = grown;
        scratch->size = len + 1;
    }
    char *out = scratch->data;
    skip_space(&r);
    if (r.p >= r.end || *r.p++ != '{')
        return -1;
    skip_space(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            /* The key is unescaped at out only to be compared; out does not move. */
            if (r.p >= r.end || *r.p != '"' || read_string(&r, out, &key_len) != 0)
                return -1;
            json_field *field = find_field(fields, name_lens, field_count, out, key_len);
            skip_space(&r);
            if (r.p >= r.end || *r.p++ != ':')
                return -1;
            skip_space(&r);
            if (read_member_value(&r, field, &out) != 0)
                return -1;
            skip_space(&r);
            if (r.p < r.end && *r.p == '}') {
                r.p++;
                break;
            }
            if (r.p >= r.end || *r.p++ != ',')
                return -1;
            skip_space(&r);
        }
    }
    skip_space(&r);
    return r.p == r.end ? 0 : -1;
}

void json_scratch_free(json_scratch *scratch)
{
    free(scratch->data);
    scratch->data = NULL;
    scratch->size = 0;
}
