/* iov.c — scatter/gather buffer helpers. */
#include <string.h>
#include <stdint.h>
#include "block/iov.h"

size_t iov_size(const struct iovec *iov, int cnt)
{
    size_t n = 0;
    for (int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    return n;
}

int iov_window(const struct iovec *iov, int cnt, size_t off, size_t len,
               struct iovec *out)
{
    int n = 0;
    for (int i = 0; i < cnt && len > 0; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t take = iov[i].iov_len - off;
        if (take > len)
            take = len;
        out[n].iov_base = (char *)iov[i].iov_base + off;
        out[n].iov_len = take;
        n++;
        len -= take;
        off = 0;
    }
    return n;
}

/* Walk the bytes [off, off+len) of an iovec array, calling fn on each piece. */
#define IOV_WALK(iov, cnt, off, len, PIECE)                                  \
    do {                                                                     \
        size_t o_ = (off), l_ = (len), done_ = 0;                            \
        for (int i_ = 0; i_ < (cnt) && l_ > 0; i_++) {                       \
            if (o_ >= (iov)[i_].iov_len) { o_ -= (iov)[i_].iov_len; continue; } \
            size_t n_ = (iov)[i_].iov_len - o_;                              \
            if (n_ > l_) n_ = l_;                                            \
            char *p_ = (char *)(iov)[i_].iov_base + o_;                      \
            PIECE;                                                           \
            done_ += n_; l_ -= n_; o_ = 0;                                   \
        }                                                                    \
    } while (0)

void iov_memset(const struct iovec *iov, int cnt, size_t off, int c, size_t len)
{
    IOV_WALK(iov, cnt, off, len, memset(p_, c, n_); (void)done_);
}

void iov_to_buf(const struct iovec *iov, int cnt, size_t off, void *buf, size_t len)
{
    IOV_WALK(iov, cnt, off, len, memcpy((char *)buf + done_, p_, n_));
}

void iov_from_buf(const struct iovec *iov, int cnt, size_t off, const void *buf, size_t len)
{
    IOV_WALK(iov, cnt, off, len, memcpy(p_, (const char *)buf + done_, n_));
}

bool buf_is_zero(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0 && ((uintptr_t)p & 7)) {
        if (*p++)
            return false;
        len--;
    }
    const uint64_t *w = (const uint64_t *)p;
    while (len >= 64) {
        if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
            return false;
        w += 8;
        len -= 64;
    }
    p = (const unsigned char *)w;
    while (len--)
        if (*p++)
            return false;
    return true;
}
