/* qcow2.c — placeholder while the driver lands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "block/driver.h"

static bool qcow2_probe(const uint8_t *head, size_t len)
{
    return len >= 8 && !memcmp(head, "QFI\xfb", 4);
}

static int qcow2_open(struct blk *b, char *err)
{
    snprintf(err, BLK_ERR_LEN, "%s: qcow2 not supported yet", b->filename);
    return -ENOTSUP;
}

static int qcow2_create(const char *path, const struct blk_create_opts *o, char *err)
{
    (void)o;
    snprintf(err, BLK_ERR_LEN, "%s: qcow2 not supported yet", path);
    return -ENOTSUP;
}

const struct blk_driver blk_qcow2_driver = {
    .name = "qcow2", .probe = qcow2_probe, .open = qcow2_open, .create = qcow2_create,
};
