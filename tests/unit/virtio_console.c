/* Unit test: virtio-console with MULTIPORT — the control protocol
 * (DEVICE_READY, DEVICE_ADD, PORT_READY, CONSOLE_PORT, PORT_NAME,
 * PORT_OPEN), a named port on a UNIX socket (data both ways, connect and
 * disconnect seen by the guest, back-pressure), a named port on a file,
 * and option errors.  The VM's host loop runs on a thread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "virtio_harness.h"

#define F_MULTIPORT 1
#define EV_DEVICE_READY 0
#define EV_DEVICE_ADD 1
#define EV_PORT_READY 3
#define EV_CONSOLE_PORT 4
#define EV_PORT_OPEN 6
#define EV_PORT_NAME 7

static char dir[] = "/tmp/vessel-vcon-XXXXXX";

static void *run_vm(void *arg)
{
    vm_run(arg);
    return NULL;
}

struct msg {
    uint32_t id;
    uint16_t event, value;
    char name[64];
};

static uint64_t ctrl_bufs;

/* Give the device 32 receive buffers on the control queue (q2). */
static void post_ctrl_buffers(struct h_dev *d)
{
    ctrl_bufs = h_alloc(d, 32 * 128, 8);
    for (unsigned i = 0; i < 32; i++) {
        struct h_buf b = { ctrl_bufs + 128 * i, 128, true };
        h_add(d, 2, &b, 1);
    }
    h_kick(d, 2);
}

/* The next control message from the device. */
static bool next_msg(struct h_dev *d, struct msg *m)
{
    uint32_t id, len;
    if (!h_wait_used(d, 2, &id, &len))
        return false;
    /* Buffers were posted in order from descriptor 0: id = buffer index. */
    uint8_t *p = h_ptr(d, ctrl_bufs + 128 * id, 128);
    m->id = virtio_le32(p);
    m->event = virtio_le16(p + 4);
    m->value = virtio_le16(p + 6);
    memset(m->name, 0, sizeof m->name);
    if (len > 8 && len - 8 < sizeof m->name)
        memcpy(m->name, p + 8, len - 8);
    return true;
}

static void send_ctrl(struct h_dev *d, uint32_t id, uint16_t event, uint16_t value)
{
    uint64_t b = h_alloc(d, 8, 8);
    uint8_t *p = h_ptr(d, b, 8);
    virtio_put_le32(p, id);
    virtio_put_le16(p + 4, event);
    virtio_put_le16(p + 6, value);
    struct h_buf hb = { b, 8, false };
    h_add(d, 3, &hb, 1);
    h_kick(d, 3);
    CHECK(h_wait_used(d, 3, NULL, NULL));
}

static bool expect(struct h_dev *d, uint32_t id, uint16_t event, uint16_t value, const char *name)
{
    struct msg m;
    if (!next_msg(d, &m)) {
        fprintf(stderr, "no control message (wanted %u/%u/%u)\n", id, event, value);
        return false;
    }
    bool ok = m.id == id && m.event == event && m.value == value &&
              (!name || strcmp(m.name, name) == 0);
    if (!ok)
        fprintf(stderr, "control message %u/%u/%u '%s', wanted %u/%u/%u '%s'\n", m.id, m.event,
                m.value, m.name, id, event, value, name ? name : "");
    return ok;
}

static int connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        close(fd);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void test_ports(void)
{
    char sock[256], file[256], a1[300], a2[300];
    snprintf(sock, sizeof sock, "%s/port.sock", dir);
    snprintf(file, sizeof file, "%s/port.out", dir);
    snprintf(a1, sizeof a1, "name=org.test.sock,socket=%s", sock);
    snprintf(a2, sizeof a2, "name=org.test.file,path=%s", file);
    const char *specs[] = { "console-port", a1, "console-port", a2, NULL };
    struct vm *vm = h_vm_create(specs);
    CHECK(vm);
    if (!vm)
        return;
    pthread_t loop;
    CHECK(pthread_create(&loop, NULL, run_vm, vm) == 0);
    struct h_dev d;
    CHECK(h_find(&d, vm, VIRTIO_ID_CONSOLE, 0));
    CHECK(h_device_features(&d) & VIRTIO_BIT(F_MULTIPORT));
    CHECK_EQ(h_rd(&d, 0x104), 16);                        /* max_nr_ports */
    CHECK(h_init(&d, 0, 8, 64));                           /* ports 0..2 + control */
    post_ctrl_buffers(&d);

    send_ctrl(&d, 0, EV_DEVICE_READY, 1);
    CHECK(expect(&d, 0, EV_DEVICE_ADD, 0, NULL));
    CHECK(expect(&d, 1, EV_DEVICE_ADD, 0, NULL));
    CHECK(expect(&d, 2, EV_DEVICE_ADD, 0, NULL));
    send_ctrl(&d, 0, EV_PORT_READY, 1);
    CHECK(expect(&d, 0, EV_CONSOLE_PORT, 1, NULL));
    CHECK(expect(&d, 0, EV_PORT_OPEN, 1, NULL));
    send_ctrl(&d, 1, EV_PORT_READY, 1);
    CHECK(expect(&d, 1, EV_PORT_NAME, 0, "org.test.sock"));
    CHECK(expect(&d, 1, EV_PORT_OPEN, 0, NULL));          /* no client yet */
    send_ctrl(&d, 2, EV_PORT_READY, 1);
    CHECK(expect(&d, 2, EV_PORT_NAME, 0, "org.test.file"));
    CHECK(expect(&d, 2, EV_PORT_OPEN, 1, NULL));          /* a file is always there */
    send_ctrl(&d, 99, EV_PORT_READY, 1);                  /* unknown port: ignored */

    /* A client connects: the guest hears of it. */
    int c = connect_unix(sock);
    CHECK(c >= 0);
    CHECK(expect(&d, 1, EV_PORT_OPEN, 1, NULL));

    /* Host -> guest: only once the guest opened the port. */
    CHECK_EQ(write(c, "hello", 5), 5);
    uint64_t rx = h_alloc(&d, 4096, 8);
    struct h_buf rb = { rx, 4096, true };
    h_add(&d, 4, &rb, 1);
    h_kick(&d, 4);
    h_sleep_ms(30);
    CHECK_EQ(h_used_idx(&d, 4), 0);
    send_ctrl(&d, 1, EV_PORT_OPEN, 1);
    uint32_t len = 0;
    CHECK(h_wait_used(&d, 4, NULL, &len));
    CHECK_EQ(len, 5);
    CHECK(memcmp(h_ptr(&d, rx, 5), "hello", 5) == 0);

    /* Guest -> host. */
    uint64_t tx = h_alloc(&d, 64, 8);
    memcpy(h_ptr(&d, tx, 5), "world", 5);
    struct h_buf tb = { tx, 5, false };
    h_add(&d, 5, &tb, 1);
    h_kick(&d, 5);
    CHECK(h_wait_used(&d, 5, NULL, NULL));
    char got[16] = "";
    struct timeval tv = { 5, 0 };
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK_EQ(read(c, got, sizeof got), 5);
    CHECK(memcmp(got, "world", 5) == 0);

    /* Back-pressure: a client that does not read stops the guest's queue
     * once 64 KiB wait in Vessel and the socket is full; nothing is lost. */
    uint64_t big = h_alloc(&d, 32768, 8);
    memset(h_ptr(&d, big, 32768), 'x', 32768);
    unsigned sent = 0;
    for (; sent < 40; sent++) {
        struct h_buf bb = { big, 32768, false };
        h_add(&d, 5, &bb, 1);
    }
    h_kick(&d, 5);
    h_sleep_ms(100);
    unsigned used = (uint16_t)(h_used_idx(&d, 5) - 1);
    CHECK(used < sent);                                    /* some wait */
    size_t total = 0;
    char buf[65536];
    while (total < 40ULL * 32768) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != 'x')
                CHECK(!"corrupt data");
        total += (size_t)n;
    }
    CHECK_EQ(total, 40ULL * 32768);
    for (unsigned i = 0; i < sent; i++)
        CHECK(h_wait_used(&d, 5, NULL, NULL));

    /* The client leaves: the guest hears of it. */
    close(c);
    CHECK(expect(&d, 1, EV_PORT_OPEN, 0, NULL));

    /* The file port. */
    uint64_t fx = h_alloc(&d, 64, 8);
    memcpy(h_ptr(&d, fx, 10), "file-line\n", 10);
    struct h_buf fb = { fx, 10, false };
    h_add(&d, 7, &fb, 1);
    h_kick(&d, 7);
    CHECK(h_wait_used(&d, 7, NULL, NULL));
    char fbuf[64] = "";
    int fd = open(file, O_RDONLY);
    CHECK(fd >= 0 && read(fd, fbuf, sizeof fbuf) == 10);
    close(fd);
    CHECK(memcmp(fbuf, "file-line\n", 10) == 0);

    /* Reset and start again: the device announces its ports again. */
    h_wr(&d, 0x070, 0);
    d.heap = H_HEAP + 0x200000;
    CHECK(h_init(&d, 0, 8, 64));
    post_ctrl_buffers(&d);
    send_ctrl(&d, 0, EV_DEVICE_READY, 1);
    CHECK(expect(&d, 0, EV_DEVICE_ADD, 0, NULL));

    vm_request_exit(vm, VM_EXIT_POWEROFF, 0);
    pthread_join(loop, NULL);
    vm_destroy(vm);
    struct stat st;
    CHECK(stat(sock, &st) < 0 && errno == ENOENT);         /* socket file removed */
}

static void test_options(void)
{
    char err[512], args[400];
    CHECK(h_vm_create_fails("console-port", "socket=/tmp/x", err, sizeof err));
    CHECK(strstr(err, "name=") != NULL);
    CHECK(h_vm_create_fails("console-port", "name=a b,path=/tmp/x", err, sizeof err));
    CHECK(h_vm_create_fails("console-port", "name=a", err, sizeof err));
    CHECK(strstr(err, "socket=") != NULL);
    snprintf(args, sizeof args, "name=a,socket=%s/s,path=%s/f", dir, dir);
    CHECK(h_vm_create_fails("console-port", args, err, sizeof err));
    snprintf(args, sizeof args, "name=a,path=%s/no/such/dir/f", dir);
    CHECK(h_vm_create_fails("console-port", args, err, sizeof err));
    CHECK(strstr(err, "no/such/dir") != NULL);
    /* A path that exists and is not a socket is not clobbered. */
    char keep[300];
    snprintf(keep, sizeof keep, "%s/keep", dir);
    FILE *f = fopen(keep, "w");
    CHECK(f && fputs("data", f) >= 0);
    fclose(f);
    snprintf(args, sizeof args, "name=a,socket=%s", keep);
    CHECK(h_vm_create_fails("console-port", args, err, sizeof err));
    CHECK(strstr(err, "not a socket") != NULL);
    struct stat st;
    CHECK(stat(keep, &st) == 0 && st.st_size == 4);
    CHECK(h_vm_create_fails("console", "x=1", err, sizeof err));
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    test_ports();
    test_options();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
    CHECK_DONE();
}
