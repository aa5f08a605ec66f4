/* linux_image.c — RISC-V Linux Image header. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "machine/linux_image.h"

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int linux_image_parse(const uint8_t *h, size_t hdr_len, uint64_t file_size,
                      struct linux_image *out, char *err, size_t errlen)
{
    if (hdr_len < LINUX_IMAGE_HEADER_SIZE || file_size < LINUX_IMAGE_HEADER_SIZE) {
        snprintf(err, errlen, "too short (%" PRIu64 " bytes) to be a RISC-V Linux Image",
                 file_size);
        return -1;
    }
    /* magic "RISCV\0\0\0" at 48 (deprecated) or magic2 "RSC\x05" at 56. */
    bool magic1 = memcmp(h + 48, "RISCV\0\0\0", 8) == 0;
    bool magic2 = memcmp(h + 56, "RSC\x05", 4) == 0;
    if (!magic1 && !magic2) {
        snprintf(err, errlen, "not a RISC-V Linux Image (no \"RISCV\"/\"RSC\\x05\" magic "
                 "in its header)");
        return -1;
    }
    uint64_t flags = le64(h + 24);
    if (flags & 1) {
        snprintf(err, errlen, "big-endian kernel: Vessel runs little-endian guests");
        return -1;
    }
    out->text_offset = le64(h + 8);
    out->image_size = le64(h + 16);
    out->version = le32(h + 32);
    if (out->text_offset & 0xfff) {
        snprintf(err, errlen, "bad header: text_offset 0x%" PRIx64 " is not page-aligned",
                 out->text_offset);
        return -1;
    }
    if (out->text_offset > (1ULL << 32)) {
        snprintf(err, errlen, "bad header: text_offset 0x%" PRIx64 " is implausible",
                 out->text_offset);
        return -1;
    }
    /* image_size 0 comes from kernels older than the field: use the file. */
    if (out->image_size == 0)
        out->image_size = file_size;
    if (out->image_size < file_size) {
        snprintf(err, errlen, "bad header: image_size %" PRIu64 " is smaller than the file "
                 "(%" PRIu64 " bytes)", out->image_size, file_size);
        return -1;
    }
    return 0;
}
