/*
 * linux_image.h — the 64-byte header of a RISC-V Linux `Image`
 * (Documentation/riscv/boot-image-header.rst).
 */
#ifndef VESSEL_MACHINE_LINUX_IMAGE_H
#define VESSEL_MACHINE_LINUX_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define LINUX_IMAGE_HEADER_SIZE 64

struct linux_image {
    uint64_t text_offset;   /* load offset from a 2 MiB-aligned RAM base */
    uint64_t image_size;    /* bytes the kernel occupies, bss included */
    uint32_t version;       /* major << 16 | minor */
};

/* Validate the header of an Image of file_size bytes; 0 or -1 with a
 * message in err saying what is wrong. */
int linux_image_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size,
                      struct linux_image *out, char *err, size_t errlen);

#endif
