/* devargs.c — device option strings and sizes. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "machine/devargs.h"

static bool allowed_key(const char *key, const char *const *allowed)
{
    for (; allowed && *allowed; allowed++)
        if (strcmp(*allowed, key) == 0)
            return true;
    return false;
}

int devargs_parse(struct devargs *da, const char *text, const char *const *allowed,
                  char *err, size_t errlen)
{
    memset(da, 0, sizeof *da);
    da->buf = strdup(text ? text : "");
    if (!da->buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *save = NULL;
    for (char *item = strtok_r(da->buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        const char *key = "", *value = item;
        if (eq) {
            *eq = '\0';
            key = item;
            value = eq + 1;
        } else if (da->n > 0 || !allowed_key("", allowed)) {
            /* A bare known key is a flag set on ("FILE,readonly"), as in QEMU. */
            if (!allowed_key(item, allowed) || !*item) {
                snprintf(err, errlen, "'%s': expected key=value", item);
                goto fail;
            }
            key = item;
            value = "on";
        }
        if (!allowed_key(key, allowed)) {
            if (*key)
                snprintf(err, errlen, "unknown option '%s'", key);
            else
                snprintf(err, errlen, "'%s': expected key=value", value);
            goto fail;
        }
        if (devargs_get(da, key)) {
            snprintf(err, errlen, "option '%s' given twice", *key ? key : value);
            goto fail;
        }
        if (da->n == DEVARGS_MAX) {
            snprintf(err, errlen, "too many options");
            goto fail;
        }
        da->kv[da->n].key = key;
        da->kv[da->n].value = value;
        da->n++;
    }
    return 0;
fail:
    devargs_free(da);
    return -1;
}

void devargs_free(struct devargs *da)
{
    free(da->buf);
    memset(da, 0, sizeof *da);
}

const char *devargs_get(const struct devargs *da, const char *key)
{
    for (unsigned i = 0; i < da->n; i++)
        if (strcmp(da->kv[i].key, key) == 0)
            return da->kv[i].value;
    return NULL;
}

int parse_size(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    default: return -1;
    }
    if (shift && (*end == 'i' || *end == 'I'))
        end++;
    if (shift && (*end == 'B' || *end == 'b'))
        end++;
    if (*end || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "on", "yes", "true", "1" };
    static const char *const no[] = { "off", "no", "false", "0" };
    for (unsigned i = 0; i < 4; i++) {
        if (s && strcasecmp(s, yes[i]) == 0) { *out = true; return 0; }
        if (s && strcasecmp(s, no[i]) == 0) { *out = false; return 0; }
    }
    return -1;
}
