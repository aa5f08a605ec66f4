/* Strict, typed access to json-c objects for config parsing.
 *
 * Every getter looks up `key` in object `obj`.  A missing key or a JSON null
 * counts as absent: the getter returns 0 and leaves the output untouched.
 * A present value of the right type and range returns 1.  Anything else
 * returns -1 with a message naming the field ("<where>.<key>: ...").
 * Strings are copied with malloc; embedded NUL bytes are rejected. */
#ifndef VESSEL_JSONU_H
#define VESSEL_JSONU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <json.h>
#include "container/ctr_err.h"

/* Upper bound for any array in a config (mounts, env, syscalls...). */
#define JSONU_MAX_ITEMS 65536

int ju_str(json_object *obj, const char *key, const char *where,
           char **out, struct ctr_err *err);
int ju_bool(json_object *obj, const char *key, const char *where,
            bool *out, struct ctr_err *err);
int ju_i64(json_object *obj, const char *key, const char *where,
           int64_t min, int64_t max, int64_t *out, struct ctr_err *err);
int ju_u64(json_object *obj, const char *key, const char *where,
           uint64_t max, uint64_t *out, struct ctr_err *err);
/* A JSON object (map) value; *out borrows from obj. */
int ju_obj(json_object *obj, const char *key, const char *where,
           json_object **out, struct ctr_err *err);
/* A JSON array of at most max items; *out borrows from obj. */
int ju_arr(json_object *obj, const char *key, const char *where, size_t max,
           json_object **out, size_t *n, struct ctr_err *err);
/* An array of strings, as a NULL-terminated malloc'd vector. */
int ju_strv(json_object *obj, const char *key, const char *where, size_t max,
            char ***out, size_t *n, struct ctr_err *err);

/* Convert one array element or standalone value (for maps and arrays). */
int ju_as_str(json_object *v, const char *what, char **out, struct ctr_err *err);

void ju_strv_free(char **v);

/* Parse a JSON text; on error fills err with json-c's position message. */
json_object *ju_parse(const char *text, size_t len, const char *what, struct ctr_err *err);
/* Read a whole file (at most max_size bytes) and parse it. */
json_object *ju_parse_file(const char *path, size_t max_size, struct ctr_err *err);
/* Read a whole file into a malloc'd NUL-terminated buffer. */
char *ju_read_file(const char *path, size_t max_size, size_t *len, struct ctr_err *err);

#endif
