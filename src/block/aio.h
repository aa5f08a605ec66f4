/* aio.h — the worker-thread pool behind blk_submit().  Private. */
#ifndef VESSEL_BLOCK_AIO_H
#define VESSEL_BLOCK_AIO_H

#include "block/block.h"

struct blk_aio;

/* exec(ctx, req) performs a request synchronously and returns its result;
 * the pool then calls req->done(req, result). */
struct blk_aio *blk_aio_new(unsigned nthreads,
                            int (*exec)(void *ctx, struct blk_request *req), void *ctx);
void blk_aio_submit(struct blk_aio *a, struct blk_request *req);
void blk_aio_drain(struct blk_aio *a);
void blk_aio_free(struct blk_aio *a);     /* drains first */

#endif
