/*
 * aio.c — a small pool of worker threads executing block requests.
 *
 * A FIFO of requests guarded by one mutex; idle workers sleep on a
 * condition variable.  Workers are started lazily up to nthreads, so an
 * image used only synchronously costs no threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "block/aio.h"

struct blk_aio {
    pthread_mutex_t lock;
    pthread_cond_t work;        /* a request was queued, or stop */
    pthread_cond_t idle;        /* queue empty and nothing running */
    struct blk_request *head, *tail;
    unsigned nthreads, started, waiting, running;
    bool stop;
    pthread_t *threads;
    int (*exec)(void *ctx, struct blk_request *req);
    void *ctx;
};

static void *worker(void *arg)
{
    struct blk_aio *a = arg;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        while (!a->head && !a->stop) {
            a->waiting++;
            pthread_cond_wait(&a->work, &a->lock);
            a->waiting--;
        }
        if (!a->head)
            break;
        struct blk_request *req = a->head;
        a->head = req->next_;
        if (!a->head)
            a->tail = NULL;
        a->running++;
        pthread_mutex_unlock(&a->lock);

        int ret = a->exec(a->ctx, req);
        req->done(req, ret);

        pthread_mutex_lock(&a->lock);
        a->running--;
        if (!a->head && !a->running)
            pthread_cond_broadcast(&a->idle);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

struct blk_aio *blk_aio_new(unsigned nthreads,
                            int (*exec)(void *ctx, struct blk_request *req), void *ctx)
{
    struct blk_aio *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->threads = calloc(nthreads, sizeof *a->threads);
    if (!a->threads) {
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->idle, NULL);
    a->nthreads = nthreads;
    a->exec = exec;
    a->ctx = ctx;
    return a;
}

void blk_aio_submit(struct blk_aio *a, struct blk_request *req)
{
    req->next_ = NULL;
    pthread_mutex_lock(&a->lock);
    if (a->tail)
        a->tail->next_ = req;
    else
        a->head = req;
    a->tail = req;
    if (a->waiting > 0) {
        pthread_cond_signal(&a->work);
    } else if (a->started < a->nthreads) {
        if (pthread_create(&a->threads[a->started], NULL, worker, a) == 0)
            a->started++;
    }
    /* With no thread at all (creation failed), run it here. */
    if (a->started == 0) {
        a->head = a->tail = NULL;
        pthread_mutex_unlock(&a->lock);
        req->done(req, a->exec(a->ctx, req));
        return;
    }
    pthread_mutex_unlock(&a->lock);
}

void blk_aio_drain(struct blk_aio *a)
{
    pthread_mutex_lock(&a->lock);
    while (a->head || a->running)
        pthread_cond_wait(&a->idle, &a->lock);
    pthread_mutex_unlock(&a->lock);
}

void blk_aio_free(struct blk_aio *a)
{
    if (!a)
        return;
    blk_aio_drain(a);
    pthread_mutex_lock(&a->lock);
    a->stop = true;
    pthread_cond_broadcast(&a->work);
    pthread_mutex_unlock(&a->lock);
    for (unsigned i = 0; i < a->started; i++)
        pthread_join(a->threads[i], NULL);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->idle);
    free(a->threads);
    free(a);
}
