/*
 * imgops.h — whole-image operations behind `vessel img`: convert, commit,
 * rebase, compare.  They work on open images through block.h only.
 */
#ifndef VESSEL_BLOCK_IMGOPS_H
#define VESSEL_BLOCK_IMGOPS_H

#include "block/block.h"

/* Called now and then with the fraction done (0..1). */
struct img_progress {
    void (*fn)(void *opaque, double fraction);
    void *opaque;
};

struct img_convert {
    struct blk **src;          /* sources, concatenated */
    int nsrc;
    struct blk *dst;
    bool compress;             /* qcow2 target: compressed clusters */
    uint64_t sparse_size;      /* zero runs this long (bytes) are not written;
                                  0 = write everything (qemu-img -S 0) */
    bool dst_is_zero;          /* the target reads as zeroes already */
    bool top_only;             /* copy only what the source's top layer defines
                                  (target has the same backing: -B) */
    unsigned threads;          /* parallel workers; 0 = 4 */
    bool out_of_order;         /* workers write as they go (qemu-img -W); else
                                  one writer writes in order (compressed: always
                                  out of order) */
    struct img_progress progress;
};

int img_convert(struct img_convert *c, char *err);

/* Copy everything `top` defines above `base` (a member of its chain,
 * opened separately read-write as base_rw) into base_rw, growing it to
 * top's size if smaller. */
int img_commit(struct blk *top, struct blk *base_rw, struct img_progress *p, char *err);

/* Safe rebase: make `img` (open read-write with its old chain) keep its
 * content when its backing becomes `new_backing` (may be NULL = none):
 * copy into img every cluster where old and new backing differ. */
int img_rebase_copy(struct blk *img, struct blk *new_backing, struct img_progress *p,
                    char *err);

/* Compare contents.  Returns 0 identical, 1 different (*where set), <0 error.
 * Sizes may differ: the longer image's tail must read as zeroes unless
 * strict (then a size difference is a mismatch at the shorter size). */
int img_compare(struct blk *a, struct blk *b, bool strict, uint64_t *where,
                struct img_progress *p);

#endif
