/*
 * qcow2_cache.c — write-back caches of one-cluster tables (L2 tables,
 * refcount blocks), LRU-evicted, hashed by host offset.
 *
 * Writing a dirty L2 table first goes through qcow2_l2_barrier() so the
 * refcounts and data it points at are durable before it is (see qcow2.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "block/qcow2.h"

static unsigned hash_of(const struct qcow2_cache *c, uint64_t off)
{
    uint64_t h = off * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> 32) & (c->nbuckets - 1);
}

int qcow2_cache_init(struct qcow2_cache *c, unsigned n, uint64_t cluster_size, bool is_l2)
{
    memset(c, 0, sizeof *c);
    c->is_l2 = is_l2;
    c->n = n;
    c->nbuckets = 1;
    while (c->nbuckets < 2 * n)
        c->nbuckets <<= 1;
    c->e = calloc(n, sizeof *c->e);
    c->bucket = malloc(sizeof *c->bucket * c->nbuckets);
    if (!c->e || !c->bucket)
        goto fail;
    for (unsigned i = 0; i < c->nbuckets; i++)
        c->bucket[i] = -1;
    /* One arena for all tables: no per-table alignment waste. */
    if (posix_memalign((void **)&c->arena, 4096, (size_t)n * cluster_size))
        goto fail;
    for (unsigned i = 0; i < n; i++) {
        c->e[i].data = c->arena + (size_t)i * cluster_size;
        c->e[i].next = -1;
    }
    return 0;
fail:
    qcow2_cache_destroy(c);
    return -ENOMEM;
}

void qcow2_cache_destroy(struct qcow2_cache *c)
{
    free(c->arena);
    free(c->e);
    free(c->bucket);
    memset(c, 0, sizeof *c);
}

static int find(const struct qcow2_cache *c, uint64_t off)
{
    for (int i = c->bucket[hash_of(c, off)]; i >= 0; i = c->e[i].next)
        if (c->e[i].offset == off)
            return i;
    return -1;
}

static void unhash(struct qcow2_cache *c, int idx)
{
    int *p = &c->bucket[hash_of(c, c->e[idx].offset)];
    while (*p != idx)
        p = &c->e[*p].next;
    *p = c->e[idx].next;
    c->e[idx].next = -1;
    c->e[idx].offset = 0;
}

static int write_entry(struct qcow2 *s, struct qcow2_cache *c, int idx, bool barrier)
{
    struct qcow2_cache_entry *e = &c->e[idx];
    if (c->is_l2 && barrier) {
        int r = qcow2_l2_barrier(s);
        if (r < 0)
            return r;
    }
    if (qcow2_overlaps_metadata(s, e->offset, s->cluster_size)) {
        qcow2_signal_corruption(s, "refusing to write a %s at 0x%llx: it overlaps "
                                "the header or a table",
                                c->is_l2 ? "L2 table" : "refcount block",
                                (unsigned long long)e->offset);
        return -EIO;
    }
    int r = bfile_pwrite(s->file, e->data, s->cluster_size, e->offset);
    if (r < 0)
        return r;
    if (c->is_l2)
        s->unsynced_l2 = true;
    else
        s->unsynced = true;
    e->dirty = false;
    return 0;
}

int qcow2_cache_get(struct qcow2 *s, struct qcow2_cache *c, uint64_t off,
                    bool fresh, uint8_t **data)
{
    int idx = find(c, off);
    if (idx >= 0) {
        if (fresh)
            memset(c->e[idx].data, 0, s->cluster_size);
        goto hit;
    }
    /* Pick a victim: an empty slot, else the least recently used unpinned. */
    int victim = -1;
    for (unsigned i = 0; i < c->n; i++) {
        if (c->e[i].pins)
            continue;
        if (!c->e[i].offset) {
            victim = (int)i;
            break;
        }
        if (victim < 0 || c->e[i].lru < c->e[victim].lru)
            victim = (int)i;
    }
    if (victim < 0)
        return -EBUSY;                  /* every slot pinned: a bug */
    struct qcow2_cache_entry *e = &c->e[victim];
    if (e->offset) {
        if (e->dirty) {
            /* Pin so a flush triggered by the barrier doesn't pick it. */
            e->pins++;
            int r = write_entry(s, c, victim, true);
            e->pins--;
            if (r < 0)
                return r;
        }
        unhash(c, victim);
    }
    if (fresh) {
        memset(e->data, 0, s->cluster_size);
    } else {
        int r = bfile_pread(s->file, e->data, s->cluster_size, off);
        if (r < 0)
            return r;
    }
    e->offset = off;
    e->dirty = false;
    unsigned h = hash_of(c, off);
    e->next = c->bucket[h];
    c->bucket[h] = victim;
    idx = victim;
hit:
    c->e[idx].lru = ++c->tick;
    c->e[idx].pins++;
    *data = c->e[idx].data;
    return 0;
}

void qcow2_cache_put(struct qcow2_cache *c, uint64_t off)
{
    int idx = find(c, off);
    if (idx >= 0 && c->e[idx].pins > 0)
        c->e[idx].pins--;
}

void qcow2_cache_dirty(struct qcow2_cache *c, uint64_t off)
{
    int idx = find(c, off);
    if (idx >= 0)
        c->e[idx].dirty = true;
}

bool qcow2_cache_has_dirty(struct qcow2_cache *c)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->e[i].offset && c->e[i].dirty)
            return true;
    return false;
}

int qcow2_cache_flush(struct qcow2 *s, struct qcow2_cache *c)
{
    if (c->is_l2 && qcow2_cache_has_dirty(c)) {
        int r = qcow2_l2_barrier(s);
        if (r < 0)
            return r;
    }
    for (unsigned i = 0; i < c->n; i++) {
        if (c->e[i].offset && c->e[i].dirty) {
            int r = write_entry(s, c, (int)i, false);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

void qcow2_cache_forget(struct qcow2_cache *c, uint64_t off)
{
    int idx = find(c, off);
    if (idx >= 0) {
        c->e[idx].dirty = false;
        unhash(c, idx);
    }
}

void qcow2_cache_forget_all(struct qcow2_cache *c)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->e[i].offset && !c->e[i].pins) {
            c->e[i].dirty = false;
            unhash(c, (int)i);
        }
}
