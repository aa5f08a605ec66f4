/* iov.h — helpers for scatter/gather buffers (struct iovec arrays). */
#ifndef VESSEL_BLOCK_IOV_H
#define VESSEL_BLOCK_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

size_t iov_size(const struct iovec *iov, int cnt);

/* A window [off, off+len) of an iovec array, as a new array in `out`.
 * Returns the entry count; `out` must hold `cnt` entries (a window never
 * has more entries than its source). */
int iov_window(const struct iovec *iov, int cnt, size_t off, size_t len,
               struct iovec *out);

void iov_memset(const struct iovec *iov, int cnt, size_t off, int c, size_t len);
void iov_to_buf(const struct iovec *iov, int cnt, size_t off, void *buf, size_t len);
void iov_from_buf(const struct iovec *iov, int cnt, size_t off, const void *buf, size_t len);

/* True if the buffer holds only zero bytes (fast word-wise scan). */
bool buf_is_zero(const void *buf, size_t len);

#endif
