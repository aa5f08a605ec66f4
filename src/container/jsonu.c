/* Strict typed access to json-c values (see jsonu.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "container/jsonu.h"

static const char *type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a fractional number";
    case json_type_int: return "a number";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "unknown";
}

/* Present and non-null value for key, else NULL. */
static json_object *lookup(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!obj || !json_object_object_get_ex(obj, key, &v))
        return NULL;
    if (json_object_get_type(v) == json_type_null)
        return NULL;
    return v;
}

int ju_as_str(json_object *v, const char *what, char **out, struct ctr_err *err)
{
    if (json_object_get_type(v) != json_type_string)
        return ctr_fail(err, "%s: expected a string, got %s", what, type_name(v));
    const char *s = json_object_get_string(v);
    int len = json_object_get_string_len(v);
    if ((size_t)len != strlen(s))
        return ctr_fail(err, "%s: string contains a NUL byte", what);
    char *copy = strdup(s);
    if (!copy)
        return ctr_fail(err, "%s: out of memory", what);
    *out = copy;
    return 1;
}

int ju_str(json_object *obj, const char *key, const char *where,
           char **out, struct ctr_err *err)
{
    json_object *v = lookup(obj, key);
    if (!v)
        return 0;
    char what[256];
    snprintf(what, sizeof what, "%s%s%s", where, *where ? "." : "", key);
    char *s;
    if (ju_as_str(v, what, &s, err) < 0)
        return -1;
    free(*out);
    *out = s;
    return 1;
}

int ju_bool(json_object *obj, const char *key, const char *where,
            bool *out, struct ctr_err *err)
{
    json_object *v = lookup(obj, key);
    if (!v)
        return 0;
    if (json_object_get_type(v) != json_type_boolean)
        return ctr_fail(err, "%s.%s: expected a boolean, got %s", where, key, type_name(v));
    *out = json_object_get_boolean(v);
    return 1;
}

int ju_i64(json_object *obj, const char *key, const char *where,
           int64_t min, int64_t max, int64_t *out, struct ctr_err *err)
{
    json_object *v = lookup(obj, key);
    if (!v)
        return 0;
    if (json_object_get_type(v) != json_type_int)
        return ctr_fail(err, "%s.%s: expected an integer, got %s", where, key, type_name(v));
    int64_t x = json_object_get_int64(v);
    if (x < min || x > max)
        return ctr_fail(err, "%s.%s: value %lld out of range [%lld, %lld]", where, key,
                        (long long)x, (long long)min, (long long)max);
    *out = x;
    return 1;
}

int ju_u64(json_object *obj, const char *key, const char *where,
           uint64_t max, uint64_t *out, struct ctr_err *err)
{
    json_object *v = lookup(obj, key);
    if (!v)
        return 0;
    if (json_object_get_type(v) != json_type_int)
        return ctr_fail(err, "%s.%s: expected an integer, got %s", where, key, type_name(v));
    if (json_object_get_int64(v) < 0)
        return ctr_fail(err, "%s.%s: negative value %lld not allowed", where, key,
                        (long long)json_object_get_int64(v));
    uint64_t x = json_object_get_uint64(v);
    if (x > max)
        return ctr_fail(err, "%s.%s: value %llu out of range [0, %llu]", where, key,
                        (unsigned long long)x, (unsigned long long)max);
    *out = x;
    return 1;
}

int ju_obj(json_object *obj, const char *key, const char *where,
           json_object **out, struct ctr_err *err)
{
    json_object *v = lookup(obj, key);
    if (!v)
        return 0;
    if (json_object_get_type(v) != json_type_object)
        return ctr_fail(err, "%s%s%s: expected an object, got %s", where, *where ? "." : "",
                        key, type_name(v));
    *out = v;
    return 1;
}

int ju_arr(json_object *obj, const char *key, const char *where, size_t max,
           json_object **out, size_t *n, struct ctr_err *err)
{
    json_object *v = lookup(obj, key);
    *n = 0;
    if (!v)
        return 0;
    if (json_object_get_type(v) != json_type_array)
        return ctr_fail(err, "%s%s%s: expected an array, got %s", where, *where ? "." : "",
                        key, type_name(v));
    size_t len = json_object_array_length(v);
    if (len > max)
        return ctr_fail(err, "%s%s%s: too many entries (%zu, limit %zu)", where,
                        *where ? "." : "", key, len, max);
    *out = v;
    *n = len;
    return 1;
}

void ju_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

int ju_strv(json_object *obj, const char *key, const char *where, size_t max,
            char ***out, size_t *n, struct ctr_err *err)
{
    json_object *arr;
    size_t len;
    int r = ju_arr(obj, key, where, max, &arr, &len, err);
    if (r <= 0) {
        if (r == 0 && !*out)
            *n = 0;
        return r;
    }
    char **v = calloc(len + 1, sizeof *v);
    if (!v)
        return ctr_fail(err, "%s.%s: out of memory", where, key);
    for (size_t i = 0; i < len; i++) {
        char what[256];
        snprintf(what, sizeof what, "%s%s%s[%zu]", where, *where ? "." : "", key, i);
        if (ju_as_str(json_object_array_get_idx(arr, i), what, &v[i], err) < 0) {
            ju_strv_free(v);
            return -1;
        }
    }
    ju_strv_free(*out);
    *out = v;
    *n = len;
    return 1;
}

json_object *ju_parse(const char *text, size_t len, const char *what, struct ctr_err *err)
{
    json_tokener *tok = json_tokener_new_ex(64);
    if (!tok) {
        ctr_fail(err, "%s: out of memory", what);
        return NULL;
    }
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    if (!o || e != json_tokener_success) {
        if (e == json_tokener_continue)
            ctr_fail(err, "%s: unexpected end of JSON input", what);
        else
            ctr_fail(err, "%s: invalid JSON at offset %zu: %s", what,
                     json_tokener_get_parse_end(tok), json_tokener_error_desc(e));
        json_object_put(o);
        json_tokener_free(tok);
        return NULL;
    }
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    for (; end < len; end++) {
        char c = text[end];
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            ctr_fail(err, "%s: trailing data after JSON value at offset %zu", what, end);
            json_object_put(o);
            return NULL;
        }
    }
    return o;
}

char *ju_read_file(const char *path, size_t max_size, size_t *len, struct ctr_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ctr_fail_errno(err, "open %s", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            errno = EISDIR;
        ctr_fail_errno(err, "read %s", path);
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode))
        st.st_size = 4096;          /* a pipe: grow as needed */
    if ((uint64_t)st.st_size > max_size) {
        ctr_fail(err, "%s: file too large (%lld bytes, limit %zu)", path,
                 (long long)st.st_size, max_size);
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, used = 0;
    char *buf = malloc(cap);
    if (!buf) {
        ctr_fail(err, "%s: out of memory", path);
        close(fd);
        return NULL;
    }
    for (;;) {
        if (used + 1 >= cap) {     /* file grew while reading */
            if (cap > max_size) {
                ctr_fail(err, "%s: file too large (limit %zu)", path, max_size);
                goto fail;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                ctr_fail(err, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + used, cap - 1 - used);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            ctr_fail_errno(err, "read %s", path);
            goto fail;
        }
        if (r == 0)
            break;
        used += (size_t)r;
    }
    close(fd);
    buf[used] = '\0';
    *len = used;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

json_object *ju_parse_file(const char *path, size_t max_size, struct ctr_err *err)
{
    size_t len;
    char *text = ju_read_file(path, max_size, &len, err);
    if (!text)
        return NULL;
    json_object *o = ju_parse(text, len, path, err);
    free(text);
    return o;
}
