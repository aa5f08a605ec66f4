/* libFuzzer target: config.json parsing and validation (and the resources
 * JSON of `update -r`) must turn any input into a config or a clean error,
 * never a crash, a leak or undefined behaviour. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "container/jsonu.h"
#include "container/oci_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oci_config cfg;
    struct ctr_err err;
    if (config_parse((const char *)data, size, &cfg, NULL, &err) == 0)
        config_free(&cfg);
    json_object *o = ju_parse((const char *)data, size, "resources", &err);
    if (o) {
        struct oci_resources r;
        if (json_object_get_type(o) == json_type_object &&
            config_parse_resources(o, "resources", &r, &err) == 0)
            config_free_resources(&r);
        json_object_put(o);
    }
    return 0;
}
