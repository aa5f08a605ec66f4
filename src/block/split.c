/* split.c — placeholder while the driver lands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "block/driver.h"

static bool split_probe(const uint8_t *head, size_t len)
{
    return len >= 8 && !memcmp(head, "VSPL", 4);
}

static int split_open(struct blk *b, char *err)
{
    snprintf(err, BLK_ERR_LEN, "%s: split not supported yet", b->filename);
    return -ENOTSUP;
}

static int split_create(const char *path, const struct blk_create_opts *o, char *err)
{
    (void)o;
    snprintf(err, BLK_ERR_LEN, "%s: split not supported yet", path);
    return -ENOTSUP;
}

const struct blk_driver blk_split_driver = {
    .name = "split", .probe = split_probe, .open = split_open, .create = split_create,
};
