/*
 * qcow2_compress.c — compressed clusters.  zlib clusters are raw deflate
 * streams (no zlib header) as QEMU writes them with a 4 KiB window; zstd
 * clusters are zstd frames.  The stored data may be followed by garbage up
 * to the next sector boundary, so decompression stops once a whole cluster
 * has been produced.
 */
#include <errno.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "block/qcow2.h"

long qcow2_compress(int type, void *dst, size_t dst_len, const void *src, size_t src_len)
{
    if (type == BLK_COMPRESS_ZSTD) {
        size_t n = ZSTD_compress(dst, dst_len, src, src_len, ZSTD_CLEVEL_DEFAULT);
        if (ZSTD_isError(n))
            return -ENOSPC;               /* dstSize_tooSmall, mostly */
        return (long)n;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)src_len;
    z.next_out = dst;
    z.avail_out = (uInt)dst_len;
    int ret = deflate(&z, Z_FINISH);
    long n = (long)(dst_len - z.avail_out);
    deflateEnd(&z);
    return ret == Z_STREAM_END ? n : -ENOSPC;
}

int qcow2_decompress(int type, void *dst, size_t dst_len, const void *src, size_t src_len)
{
    if (type == BLK_COMPRESS_ZSTD) {
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        if (!dctx)
            return -ENOMEM;
        ZSTD_outBuffer out = { dst, dst_len, 0 };
        ZSTD_inBuffer in = { src, src_len, 0 };
        int r = 0;
        while (out.pos < out.size) {
            size_t before_in = in.pos, before_out = out.pos;
            size_t ret = ZSTD_decompressStream(dctx, &out, &in);
            if (ZSTD_isError(ret)) {
                r = -EIO;
                break;
            }
            if (in.pos == before_in && out.pos == before_out) {
                r = -EIO;                 /* no progress: truncated data */
                break;
            }
        }
        ZSTD_freeDCtx(dctx);
        return r;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK)
        return -ENOMEM;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)src_len;
    z.next_out = dst;
    z.avail_out = (uInt)dst_len;
    int ret = inflate(&z, Z_FINISH);
    size_t produced = dst_len - z.avail_out;
    inflateEnd(&z);
    if ((ret != Z_STREAM_END && ret != Z_BUF_ERROR) || produced != dst_len)
        return -EIO;
    return 0;
}

bool qcow2_compress_probe(const void *src, size_t len)
{
    uint8_t out[4096];
    if (len > sizeof out)
        len = sizeof out;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, -12, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return true;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)(len - len / 32);        /* must save at least 3 % */
    int ret = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    return ret == Z_STREAM_END;
}
