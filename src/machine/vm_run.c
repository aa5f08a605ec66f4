/*
 * vm_run.c — running a VM: one host thread per hart, and on the calling
 * thread the host-side loop (console input, device I/O, timers, the
 * --timeout deadline) until somebody calls vm_request_exit().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "machine/vm_impl.h"

/* The poll set grows as clients add descriptors (a slirp NAT has one
 * socket per guest connection: no fixed cap may starve some of them). */
struct vm_poll_set {
    struct pollfd *fds;
    int n, cap;
};

int vm_poll_add(struct vm_poll_set *ps, int fd, short events)
{
    if (fd < 0)
        return -1;
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 64;
        struct pollfd *fds = realloc(ps->fds, (size_t)cap * sizeof *fds);
        if (!fds)
            return -1;
        ps->fds = fds;
        ps->cap = cap;
    }
    ps->fds[ps->n] = (struct pollfd){ .fd = fd, .events = events };
    return ps->n++;
}

short vm_poll_revents(const struct vm_poll_set *ps, int index)
{
    if (index < 0 || index >= ps->n)
        return 0;
    return ps->fds[index].revents;
}

int vm_add_loop_client(struct vm *vm, const struct vm_loop_client *client)
{
    if (vm->nclients >= VM_MAX_CLIENTS || vm->ran)
        return -1;
    vm->clients[vm->nclients++] = *client;
    return 0;
}

static void *hart_thread(void *arg)
{
    struct rv_cpu *cpu = arg;
    struct vm *vm = cpu->bus->opaque;
    while (!atomic_load(&vm->exiting))
        rv_cpu_run(cpu);
    return NULL;
}

static int start_harts(struct vm *vm)
{
    /* Signals are for the loop thread only: harts inherit a full mask. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    unsigned started = 0;
    int rc = 0;
    for (; started < vm->ncpus; started++) {
        rc = pthread_create(&vm->threads[started], NULL, hart_thread, vm->harts[started]);
        if (rc)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        fprintf(stderr, "vessel: cannot start vCPU thread: %s\n", strerror(rc));
        vm_request_exit(vm, VM_EXIT_ERROR, 0);
        for (unsigned i = 0; i < started; i++)
            pthread_join(vm->threads[i], NULL);
        return -1;
    }
    return 0;
}

static int timeout_until(uint64_t deadline_ns)
{
    uint64_t now = vm_host_ns();
    if (now >= deadline_ns)
        return 0;
    uint64_t ms = (deadline_ns - now + 999999) / 1000000;
    return ms > 60000 ? 60000 : (int)ms;
}

static void host_loop(struct vm *vm)
{
    struct vm_poll_set ps = { NULL, 0, 0 };
    while (!atomic_load(&vm->exiting)) {
        ps.n = 0;
        int wake = vm_poll_add(&ps, vm->wake_fd, POLLIN);
        int timeout = -1;
        for (unsigned i = 0; i < vm->nclients; i++)
            if (vm->clients[i].prepare)
                vm->clients[i].prepare(vm->clients[i].opaque, &ps, &timeout);
        if (vm->deadline_ns) {
            int t = timeout_until(vm->deadline_ns);
            if (timeout < 0 || t < timeout)
                timeout = t;
        }
        if (atomic_load(&vm->exiting))
            break;
        int n = poll(ps.fds, (nfds_t)ps.n, timeout);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "vessel: poll: %s\n", strerror(errno));
            vm_request_exit(vm, VM_EXIT_ERROR, 0);
            break;
        }
        if (n < 0)
            continue;
        if (vm_poll_revents(&ps, wake) & POLLIN) {
            uint64_t v;
            if (read(vm->wake_fd, &v, sizeof v) < 0) {
                /* EAGAIN: another kick already consumed */
            }
        }
        for (unsigned i = 0; i < vm->nclients; i++)
            if (vm->clients[i].dispatch)
                vm->clients[i].dispatch(vm->clients[i].opaque, &ps);
        if (vm->deadline_ns && vm_host_ns() >= vm->deadline_ns)
            vm_request_exit(vm, VM_EXIT_TIMEOUT, 0);
    }
    free(ps.fds);
}

struct vm_exit vm_run(struct vm *vm)
{
    if (vm->ran)
        return (struct vm_exit){ VM_EXIT_ERROR, 0 };
    vm->ran = true;
    if (vm->cfg.timeout > 0)
        vm->deadline_ns = vm_host_ns() + (uint64_t)(vm->cfg.timeout * 1e9);
    console_start(vm->console);
    if (start_harts(vm) == 0) {
        host_loop(vm);
        for (unsigned i = 0; i < vm->ncpus; i++)
            rv_cpu_request_exit(vm->harts[i]);
        for (unsigned i = 0; i < vm->ncpus; i++)
            pthread_join(vm->threads[i], NULL);
    }
    pthread_mutex_lock(&vm->exit_lock);
    struct vm_exit e = vm->exit;
    pthread_mutex_unlock(&vm->exit_lock);
    /* The guest's last words matter; a user who asked to stop is waiting. */
    bool hurry = e.kind == VM_EXIT_SIGNAL || e.kind == VM_EXIT_QUIT || e.kind == VM_EXIT_ERROR;
    console_flush(vm->console, hurry ? 200 : 5000);
    console_stop(vm->console);
    return e;
}
