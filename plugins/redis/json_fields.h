/*
 * json_fields.h - checks that a value is one JSON object and picks named members.
 *
 * Built on yajl's streaming parser: the whole text is parsed and checked, but no
 * tree is built and only the top-level members asked for are kept, which matters
 * at 100,000 keys per scrape.
 */
#ifndef CFN_REDIS_JSON_FIELDS_H
#define CFN_REDIS_JSON_FIELDS_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

typedef enum json_kind {
    JSON_KIND_ABSENT, /* no such top-level member */
    JSON_KIND_STRING,
    JSON_KIND_NUMBER,
    JSON_KIND_OTHER /* object, array, true, false or null */
} json_kind;

/* One top-level member to pick. Set name; the rest is filled in. When a name
 * appears twice, the last one counts (yajl reports both; the later overwrites). */
typedef struct json_field {
    const char *name;
    json_kind kind;
    const char *string; /* JSON_KIND_STRING: unescaped UTF-8, NUL-terminated */
    double number;      /* JSON_KIND_NUMBER */
} json_field;

/* Where picked strings are unescaped; reused from one call to the next. */
typedef struct json_scratch {
    char *data;
    size_t size;
} json_scratch;

#define JSON_FIELDS_MAX 8

/* Reads text[0..len) as exactly one JSON object and fills fields (at most
 * JSON_FIELDS_MAX of them). Strings point into scratch until its next use.
 * Returns 0; -1 when the text is not one JSON object, or when a picked member
 * is a string that is not valid UTF-8 or holds U+0000, or a number too large
 * for a double; -2 without memory or with too many fields. */
int json_fields_read(const char *text, size_t len, json_field *fields, size_t field_count,
                     json_scratch *scratch);

void json_scratch_free(json_scratch *scratch);

#pragma GCC visibility pop

#endif /* CFN_REDIS_JSON_FIELDS_H */
