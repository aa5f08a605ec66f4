/*
 * devargs.h — the "VALUE,key=value,..." strings of device options
 * (`--device loader,file=x,addr=0x84000000`, `--disk img.qcow2,readonly=on`).
 * A first item without '=' is the positional value (key "").
 */
#ifndef VESSEL_MACHINE_DEVARGS_H
#define VESSEL_MACHINE_DEVARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEVARGS_MAX 16

struct devargs {
    char *buf;
    unsigned n;
    struct { const char *key, *value; } kv[DEVARGS_MAX];
};

/* Split text; rejects duplicate or unknown keys (allowed: NULL-terminated
 * list; "" allows a positional value).  Free with devargs_free. */
int devargs_parse(struct devargs *da, const char *text, const char *const *allowed,
                  char *err, size_t errlen);
void devargs_free(struct devargs *da);

/* The value of key, or NULL. */
const char *devargs_get(const struct devargs *da, const char *key);

/* Numbers with optional K/M/G/T suffix (binary units) and 0x prefixes. */
int parse_size(const char *s, uint64_t *out);
/* on/off, yes/no, true/false, 1/0 */
int parse_bool(const char *s, bool *out);

#endif
