/*
 * split.c — split images: one virtual disk stored as numbered raw chunk
 * files of a fixed size (disk.img.000, disk.img.001, ...) next to a small
 * text descriptor, for file systems or transports with a file-size limit.
 *
 * Descriptor (docs/block.md has the full description):
 *
 *   vessel-split-image 1          first line, exactly: identifies the format
 *   # comments and blank lines are ignored
 *   size 10737418240              virtual size in bytes
 *   chunk-size 1073741824         bytes per chunk (multiple of 512)
 *   chunk-prefix disk.img.        chunk file name = prefix + index
 *   chunk-digits 3                index zero-padded to this many digits
 *
 * Chunk files live in the descriptor's directory (the prefix may not
 * contain '/'); chunk i holds bytes [i*chunk-size, (i+1)*chunk-size).
 * All chunks but the last are chunk-size bytes long (sparse); a chunk file
 * that is shorter reads as zeroes past its end.  The descriptor is the file
 * that gets locked, and is replaced atomically (rename) on resize.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block/driver.h"
#include "block/iov.h"

#define SPLIT_MAGIC "vessel-split-image 1"
#define MAX_CHUNKS 1000000u
#define MAX_DESC 65536

struct split {
    uint64_t chunk_size;
    uint32_t nb_chunks;
    char prefix[256];
    unsigned digits;
    char dir[4096];
    struct bfile *chunks;
    char **paths;
    atomic_bool *dirty;
};

static void errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errf(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, BLK_ERR_LEN, fmt, ap);
    va_end(ap);
}

static bool split_probe(const uint8_t *head, size_t len)
{
    size_t m = strlen(SPLIT_MAGIC);
    return len > m && !memcmp(head, SPLIT_MAGIC, m) &&
           (head[m] == '\n' || head[m] == '\r');
}

static void dir_of(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, len, ".");
    else if (slash == path)
        snprintf(out, len, "/");
    else
        snprintf(out, len, "%.*s", (int)(slash - path), path);
}

static int chunk_path(const char *dir, const char *prefix, unsigned digits, uint32_t i,
                      char *out, size_t len)
{
    int n = strcmp(dir, ".") ? snprintf(out, len, "%s/%s%0*u", dir, prefix, (int)digits, i)
                             : snprintf(out, len, "%s%0*u", prefix, (int)digits, i);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static unsigned digits_for(uint32_t n)
{
    unsigned d = 3;
    uint32_t lim = 1000;
    while (n > lim && d < 10) {
        d++;
        lim = lim > UINT32_MAX / 10 ? UINT32_MAX : lim * 10;
    }
    return d;
}

/* Parse the descriptor text; fills size, chunk size, prefix, digits. */
static int parse_descriptor(char *text, uint64_t *size, struct split *s, char *err)
{
    bool have_size = false, have_chunk = false, have_prefix = false;
    s->digits = 3;
    int lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = 0;
        if (lineno == 1) {
            if (strcmp(line, SPLIT_MAGIC)) {
                errf(err, "not a split image descriptor (first line must be '%s')",
                     SPLIT_MAGIC);
                return -EINVAL;
            }
            continue;
        }
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        char *val = line + strcspn(line, " \t");
        if (*val)
            *val++ = 0;
        while (*val == ' ' || *val == '\t')
            val++;
        char *end;
        if (!strcmp(line, "size") || !strcmp(line, "chunk-size") ||
            !strcmp(line, "chunk-digits")) {
            errno = 0;
            unsigned long long v = strtoull(val, &end, 10);
            if (!*val || *end || errno || *val == '-') {
                errf(err, "descriptor line %d: '%s' needs a number", lineno, line);
                return -EINVAL;
            }
            if (!strcmp(line, "size")) {
                *size = v;
                have_size = true;
            } else if (!strcmp(line, "chunk-size")) {
                s->chunk_size = v;
                have_chunk = true;
            } else {
                if (v < 1 || v > 10) {
                    errf(err, "descriptor line %d: chunk-digits must be 1..10", lineno);
                    return -EINVAL;
                }
                s->digits = (unsigned)v;
            }
        } else if (!strcmp(line, "chunk-prefix")) {
            if (!*val || strchr(val, '/') || strlen(val) >= sizeof s->prefix ||
                !strcmp(val, ".") || !strcmp(val, "..")) {
                errf(err, "descriptor line %d: invalid chunk-prefix (a file name in the "
                     "descriptor's directory)", lineno);
                return -EINVAL;
            }
            snprintf(s->prefix, sizeof s->prefix, "%s", val);
            have_prefix = true;
        } else {
            errf(err, "descriptor line %d: unknown key '%s'", lineno, line);
            return -EINVAL;
        }
    }
    if (!have_size || !have_chunk || !have_prefix) {
        errf(err, "descriptor lacks %s", !have_size ? "'size'" :
             !have_chunk ? "'chunk-size'" : "'chunk-prefix'");
        return -EINVAL;
    }
    if (*size > (uint64_t)INT64_MAX) {
        errf(err, "virtual size %" PRIu64 " is too large", *size);
        return -EINVAL;
    }
    if (s->chunk_size < 512 || s->chunk_size % 512 || s->chunk_size > (1ull << 50)) {
        errf(err, "chunk-size %" PRIu64 " must be a multiple of 512 (up to 1 PiB)",
             s->chunk_size);
        return -EINVAL;
    }
    uint64_t n = (*size + s->chunk_size - 1) / s->chunk_size;
    if (n > MAX_CHUNKS) {
        errf(err, "%" PRIu64 " chunks is too many (at most %u)", n, MAX_CHUNKS);
        return -EINVAL;
    }
    s->nb_chunks = (uint32_t)n;
    return 0;
}

static int write_descriptor(const char *path, uint64_t size, uint64_t chunk_size,
                            const char *prefix, unsigned digits, char *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        errf(err, "Could not create '%s': %s", tmp, strerror(errno));
        return -errno;
    }
    fprintf(f, "%s\n# Vessel split disk image: raw chunks named %s%0*u, %s%0*u, ...\n"
            "size %" PRIu64 "\nchunk-size %" PRIu64 "\nchunk-prefix %s\nchunk-digits %u\n",
            SPLIT_MAGIC, prefix, (int)digits, 0, prefix, (int)digits, 1, size, chunk_size,
            prefix, digits);
    int r = 0;
    if (fflush(f) || fdatasync(fileno(f)))
        r = -errno;
    if (fclose(f) && !r)
        r = -errno;
    if (!r && rename(tmp, path) < 0)
        r = -errno;
    if (r) {
        unlink(tmp);
        errf(err, "Could not write '%s': %s", path, strerror(-r));
        return r;
    }
    char dir[4096];
    dir_of(path, dir, sizeof dir);
    struct bfile d;
    if (bfile_open(&d, dir, false, false, BLK_CACHE_WRITEBACK, NULL) == 0) {
        fsync(d.fd);                      /* make the rename durable */
        bfile_close(&d);
    }
    return 0;
}

/* Make chunk file i exist with the right length. */
static int make_chunk(const char *path, uint64_t len, enum blk_prealloc pre, char *err)
{
    struct bfile f;
    int r = bfile_open(&f, path, true, true, BLK_CACHE_WRITEBACK, err);
    if (r < 0)
        return r;
    r = bfile_truncate(&f, 0);                  /* a new chunk reads as zeroes */
    if (r == 0)
        r = bfile_truncate(&f, len);
    if (r == 0 && pre == BLK_PREALLOC_FALLOC)
        r = bfile_fallocate(&f, 0, len);
    if (r == 0 && pre == BLK_PREALLOC_FULL) {
        static const char zero[65536];
        for (uint64_t o = 0; o < len && r == 0; o += sizeof zero)
            r = bfile_pwrite(&f, zero, len - o < sizeof zero ? len - o : sizeof zero, o);
    }
    if (r == 0)
        r = bfile_sync(&f);
    if (r < 0)
        errf(err, "Could not create chunk '%s': %s", path, strerror(-r));
    bfile_close(&f);
    return r;
}

static uint64_t chunk_len(uint64_t size, uint64_t cs, uint32_t i)
{
    uint64_t start = (uint64_t)i * cs;
    return size - start < cs ? size - start : cs;
}

static int split_create(const char *path, const struct blk_create_opts *o, char *err)
{
    if (o->backing_file && *o->backing_file) {
        errf(err, "Format 'split' does not support backing files");
        return -ENOTSUP;
    }
    uint64_t cs = o->chunk_size ? o->chunk_size : 1ull << 30;
    if (cs < 512 || cs % 512) {
        errf(err, "chunk_size must be a multiple of 512");
        return -EINVAL;
    }
    uint64_t n = (o->size + cs - 1) / cs;
    if (n > MAX_CHUNKS) {
        errf(err, "%" PRIu64 " chunks is too many (at most %u); use a larger chunk_size",
             n, MAX_CHUNKS);
        return -EINVAL;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char prefix[256], dir[4096], cp[4400];
    if (snprintf(prefix, sizeof prefix, "%s.", base) >= (int)sizeof prefix) {
        errf(err, "file name too long");
        return -ENAMETOOLONG;
    }
    dir_of(path, dir, sizeof dir);
    unsigned digits = digits_for((uint32_t)n);
    for (uint32_t i = 0; i < n; i++) {
        int r = chunk_path(dir, prefix, digits, i, cp, sizeof cp);
        if (r == 0)
            r = make_chunk(cp, chunk_len(o->size, cs, i), o->prealloc, err);
        if (r < 0)
            return r;
    }
    return write_descriptor(path, o->size, cs, prefix, digits, err);
}

static void free_split(struct split *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->chunks && i < s->nb_chunks; i++)
        if (s->chunks[i].fd >= 0)
            bfile_close(&s->chunks[i]);
    for (uint32_t i = 0; s->paths && i < s->nb_chunks; i++)
        free(s->paths[i]);
    free(s->chunks);
    free(s->paths);
    free(s->dirty);
    free(s);
}

static int open_chunks(struct blk *b, struct split *s, uint32_t from, char *err)
{
    for (uint32_t i = from; i < s->nb_chunks; i++) {
        char cp[4400];
        int r = chunk_path(s->dir, s->prefix, s->digits, i, cp, sizeof cp);
        if (r < 0) {
            errf(err, "chunk file name too long");
            return r;
        }
        s->paths[i] = strdup(cp);
        if (!s->paths[i])
            return -ENOMEM;
        char e2[BLK_ERR_LEN];
        r = bfile_open(&s->chunks[i], cp, !b->read_only, false, b->cache, e2);
        if (r < 0) {
            errf(err, "'%s': chunk %u of %u is missing or unreadable: %s", b->filename,
                 i, s->nb_chunks, e2);
            return r;
        }
    }
    return 0;
}

static int alloc_arrays(struct split *s, uint32_t n)
{
    struct bfile *c = realloc(s->chunks, sizeof *c * (n ? n : 1));
    if (!c)
        return -ENOMEM;
    s->chunks = c;
    char **p = realloc(s->paths, sizeof *p * (n ? n : 1));
    if (!p)
        return -ENOMEM;
    s->paths = p;
    atomic_bool *d = realloc(s->dirty, sizeof *d * (n ? n : 1));
    if (!d)
        return -ENOMEM;
    s->dirty = d;
    return 0;
}

static int split_open(struct blk *b, char *err)
{
    int64_t len = bfile_size(&b->file);
    if (len < 0)
        return (int)len;
    if (len > MAX_DESC) {
        errf(err, "'%s': split image descriptor too large", b->filename);
        return -EINVAL;
    }
    char *text = calloc(1, (size_t)len + 1);
    struct split *s = calloc(1, sizeof *s);
    if (!text || !s) {
        free(text);
        free(s);
        return -ENOMEM;
    }
    int r = bfile_pread(&b->file, text, (size_t)len, 0);
    uint64_t size = 0;
    char perr[BLK_ERR_LEN];
    if (r == 0 && memchr(text, 0, (size_t)len)) {
        errf(perr, "descriptor contains a NUL byte");
        r = -EINVAL;
    }
    if (r == 0)
        r = parse_descriptor(text, &size, s, perr);
    free(text);
    if (r < 0) {
        errf(err, "'%s': %s", b->filename, perr);
        free(s);
        return r;
    }
    dir_of(b->filename, s->dir, sizeof s->dir);
    uint32_t n = s->nb_chunks;
    s->nb_chunks = 0;
    if ((r = alloc_arrays(s, n)) < 0) {
        free_split(s);
        return r;
    }
    for (uint32_t i = 0; i < n; i++) {
        s->chunks[i].fd = -1;
        s->paths[i] = NULL;
        atomic_init(&s->dirty[i], false);
    }
    s->nb_chunks = n;
    if ((r = open_chunks(b, s, 0, err)) < 0) {
        free_split(s);
        return r;
    }
    b->state = s;
    b->size = size;
    return 0;
}

static void split_close(struct blk *b)
{
    free_split(b->state);
    b->state = NULL;
}

typedef int (*chunk_fn)(struct split *s, uint32_t i, uint64_t off, uint64_t len,
                        const struct iovec *iov, int cnt, void *arg);

/* Run fn over each chunk piece of [off, off+len) (iov windows if iov). */
static int for_chunks(struct split *s, uint64_t off, uint64_t len, const struct iovec *iov,
                      int cnt, chunk_fn fn, void *arg)
{
    struct iovec local[16], *win = NULL;
    if (iov) {
        win = cnt <= 16 ? local : malloc(sizeof *win * (size_t)cnt);
        if (!win)
            return -ENOMEM;
    }
    int r = 0;
    for (uint64_t done = 0; done < len && r == 0;) {
        uint64_t pos = off + done;
        uint32_t i = (uint32_t)(pos / s->chunk_size);
        uint64_t in = pos % s->chunk_size;
        uint64_t n = s->chunk_size - in < len - done ? s->chunk_size - in : len - done;
        int wc = iov ? iov_window(iov, cnt, done, n, win) : 0;
        r = fn(s, i, in, n, win, wc, arg);
        done += n;
    }
    if (win && win != local)
        free(win);
    return r;
}

static int piece_read(struct split *s, uint32_t i, uint64_t off, uint64_t len,
                      const struct iovec *iov, int cnt, void *arg)
{
    (void)len; (void)arg;
    return bfile_preadv(&s->chunks[i], iov, cnt, off);
}

static int piece_write(struct split *s, uint32_t i, uint64_t off, uint64_t len,
                       const struct iovec *iov, int cnt, void *arg)
{
    (void)len; (void)arg;
    atomic_store(&s->dirty[i], true);
    return bfile_pwritev(&s->chunks[i], iov, cnt, off);
}

static int piece_zero(struct split *s, uint32_t i, uint64_t off, uint64_t len,
                      const struct iovec *iov, int cnt, void *arg)
{
    (void)iov; (void)cnt;
    atomic_store(&s->dirty[i], true);
    int r = bfile_zero(&s->chunks[i], off, len, *(bool *)arg);
    return r == -EOPNOTSUPP ? 0 : r;
}

static int split_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
    return for_chunks(b->state, off, len, iov, cnt, piece_read, NULL);
}

static int split_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
    return for_chunks(b->state, off, len, iov, cnt, piece_write, NULL);
}

static int split_discard(struct blk *b, uint64_t off, uint64_t len)
{
    bool punch = true;
    return for_chunks(b->state, off, len, NULL, 0, piece_zero, &punch);
}

static int split_write_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags)
{
    bool punch = flags & BLK_ZERO_MAY_UNMAP;
    return for_chunks(b->state, off, len, NULL, 0, piece_zero, &punch);
}

static int split_flush(struct blk *b)
{
    struct split *s = b->state;
    int r = 0;
    for (uint32_t i = 0; i < s->nb_chunks; i++) {
        if (atomic_exchange(&s->dirty[i], false)) {
            int e = bfile_sync(&s->chunks[i]);
            if (e < 0) {
                atomic_store(&s->dirty[i], true);
                r = e;
            }
        }
    }
    return r;
}

static int split_resize(struct blk *b, uint64_t size)
{
    struct split *s = b->state;
    uint64_t n64 = (size + s->chunk_size - 1) / s->chunk_size;
    if (n64 > MAX_CHUNKS) {
        blk_set_error(b, "%" PRIu64 " chunks is too many (at most %u)", n64, MAX_CHUNKS);
        return -EFBIG;
    }
    uint32_t n = (uint32_t)n64, old = s->nb_chunks;
    char err[BLK_ERR_LEN];
    int r = 0;
    if (n > old) {
        if ((r = alloc_arrays(s, n)) < 0)
            return r;
        for (uint32_t i = old; i < n; i++) {
            s->chunks[i].fd = -1;
            s->paths[i] = NULL;
            atomic_init(&s->dirty[i], false);
        }
        /* The old last chunk grows to full size; new chunks appear. */
        if (old && (r = bfile_truncate(&s->chunks[old - 1], s->chunk_size)) < 0)
            return r;
        for (uint32_t i = old; i < n && r == 0; i++) {
            char cp[4400];
            r = chunk_path(s->dir, s->prefix, s->digits, i, cp, sizeof cp);
            if (r == 0)
                r = make_chunk(cp, chunk_len(size, s->chunk_size, i), BLK_PREALLOC_OFF, err);
        }
        if (r == 0) {
            s->nb_chunks = n;
            r = open_chunks(b, s, old, err);
        }
        if (r < 0) {
            blk_set_error(b, "%s", err);
            return r;
        }
    }
    if (n && (r = bfile_truncate(&s->chunks[n - 1], chunk_len(size, s->chunk_size, n - 1))) < 0)
        return r;
    r = write_descriptor(b->filename, size, s->chunk_size, s->prefix, s->digits, err);
    if (r < 0) {
        blk_set_error(b, "%s", err);
        return r;
    }
    /* Chunks past the new end go once the descriptor no longer names them. */
    for (uint32_t i = n; i < s->nb_chunks; i++) {
        bfile_close(&s->chunks[i]);
        unlink(s->paths[i]);
        free(s->paths[i]);
        s->paths[i] = NULL;
    }
    s->nb_chunks = n;
    b->size = size;
    return 0;
}

static int split_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_extent *ext)
{
    struct split *s = b->state;
    uint32_t i = (uint32_t)(off / s->chunk_size);
    uint64_t in = off % s->chunk_size;
    uint64_t n = s->chunk_size - in < len ? s->chunk_size - in : len;
    bool data;
    uint64_t pnum;
    int r = bfile_data_status(&s->chunks[i], in, n, &data, &pnum);
    if (r < 0)
        return r;
    ext->length = pnum;
    ext->flags = BLK_EXT_ALLOCATED | BLK_EXT_OFFSET | (data ? BLK_EXT_DATA : BLK_EXT_ZERO);
    ext->host_offset = in;
    ext->file = s->paths[i];
    return 0;
}

static void split_info(struct blk *b, struct blk_info *info)
{
    struct split *s = b->state;
    info->chunk_size = s->chunk_size;
    info->nb_chunks = s->nb_chunks;
    uint64_t used = 0;
    for (uint32_t i = 0; i < s->nb_chunks; i++) {
        int64_t a = bfile_allocated(&s->chunks[i]);
        if (a > 0)
            used += (uint64_t)a;
    }
    info->actual_size += used;
}

const struct blk_driver blk_split_driver = {
    .name = "split",
    .probe = split_probe,
    .create = split_create,
    .open = split_open,
    .close = split_close,
    .preadv = split_preadv,
    .pwritev = split_pwritev,
    .flush = split_flush,
    .discard = split_discard,
    .write_zeroes = split_write_zeroes,
    .resize = split_resize,
    .block_status = split_block_status,
    .info = split_info,
};
