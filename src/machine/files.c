/* files.c — reading boot files (kernel, firmware, initrd, loader) and
 * copying them into guest RAM, with a clear message for every failure. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "machine/boot.h"
#include "machine/vm_impl.h"

int boot_open_file(const char *path, const char *what, struct stat *st,
                     char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
        close(fd);
        return -1;
    }
    return fd;
}

int boot_read_exact(int fd, void *buf, size_t len, uint64_t off, const char *what,
                      const char *path, char *err, size_t errlen)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
                     n < 0 ? strerror(errno) : "file shrank while reading");
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int boot_read_file(const char *path, const char *what, uint8_t **data, size_t *size,
                   char *err, size_t errlen)
{
    struct stat st;
    int fd = boot_open_file(path, what, &st, err, errlen);
    if (fd < 0)
        return -1;
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        snprintf(err, errlen, "%s '%s': out of memory", what, path);
        close(fd);
        return -1;
    }
    if (boot_read_exact(fd, buf, len, 0, what, path, err, errlen) < 0) {
        free(buf);
        close(fd);
        return -1;
    }
    close(fd);
    *data = buf;
    *size = len;
    return 0;
}

/* Copy a file to guest RAM at addr, claiming max(reserve, file size). */
int boot_load_file(struct vm *vm, const char *path, const char *what, uint64_t addr,
                     uint64_t reserve, uint64_t *size_out, char *err, size_t errlen)
{
    struct stat st;
    int fd = boot_open_file(path, what, &st, err, errlen);
    if (fd < 0)
        return -1;
    uint64_t size = (uint64_t)st.st_size;
    int rc = -1;
    if (size == 0) {
        snprintf(err, errlen, "%s '%s' is empty", what, path);
    } else if (vm_claim_ram(vm, addr, reserve > size ? reserve : size, what,
                            err, errlen) == 0) {
        rc = boot_read_exact(fd, vm_guest_ptr(vm, addr, size), size, 0, what, path, err, errlen);
    }
    close(fd);
    if (rc == 0 && size_out)
        *size_out = size;
    return rc;
}

int boot_load_raw(struct vm *vm, const char *path, const char *what, uint64_t addr,
                  uint64_t *size_out, char *err, size_t errlen)
{
    return boot_load_file(vm, path, what, addr, 0, size_out, err, errlen);
}

int boot_file_size(const char *path, const char *what, uint64_t *size,
                     char *err, size_t errlen)
{
    struct stat st;
    int fd = boot_open_file(path, what, &st, err, errlen);
    if (fd < 0)
        return -1;
    close(fd);
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s '%s' is empty", what, path);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}
