/* Unit test: the 9P2000.L server behind virtio-9p, driven with hand-built
 * messages — the operations the Linux client uses, confinement of the
 * export (.., absolute and relative symlinks, /proc magic links, symlink
 * swaps), read-only exports, bad messages, the fid bound — and the device
 * end to end through its virtqueue. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "dev/virtio_9p.h"
#include "virtio_harness.h"

enum {
    RLERROR = 7, TSTATFS = 8, TLOPEN = 12, TLCREATE = 14, TSYMLINK = 16, TMKNOD = 18,
    TREADLINK = 22, TGETATTR = 24, TSETATTR = 26, TXATTRWALK = 30, TREADDIR = 40,
    TFSYNC = 50, TLOCK = 52, TGETLOCK = 54, TLINK = 70, TMKDIR = 72, TRENAMEAT = 74,
    TUNLINKAT = 76, TVERSION = 100, TATTACH = 104, TFLUSH = 108, TWALK = 110,
    TREAD = 116, TWRITE = 118, TCLUNK = 120, TREMOVE = 122,
};

static char top[] = "/tmp/vessel-9p-XXXXXX";
static char exp_dir[256];

/* ---- a tiny client ---- */

static uint8_t out[70000], in[70000];
static size_t olen, ipos, ilen;
static struct p9_server *srv;

static void begin(uint8_t type)
{
    olen = 7;
    out[4] = type;
    virtio_put_le16(out + 5, 0x1234);
}
static void p8(uint8_t v) { out[olen++] = v; }
static void p16(uint16_t v) { virtio_put_le16(out + olen, v); olen += 2; }
static void p32(uint32_t v) { virtio_put_le32(out + olen, v); olen += 4; }
static void p64(uint64_t v) { virtio_put_le64(out + olen, v); olen += 8; }
static void pstr(const char *s) { size_t n = strlen(s); p16((uint16_t)n); memcpy(out + olen, s, n); olen += n; }

/* Send; returns the reply type, or RLERROR with g_errno set. */
static int g_errno;
static int send_msg(void)
{
    virtio_put_le32(out, (uint32_t)olen);
    struct iovec o = { out, olen }, i = { in, sizeof in };
    long n = p9_server_handle(srv, &o, 1, olen, &i, 1, sizeof in);
    CHECK(n >= 7);
    if (n < 7)
        return -1;
    ilen = (size_t)n;
    CHECK_EQ(virtio_le32(in), n);
    CHECK_EQ(virtio_le16(in + 5), 0x1234);
    ipos = 7;
    g_errno = in[4] == RLERROR ? (int)virtio_le32(in + 7) : 0;
    return in[4];
}
static uint8_t g8(void) { return in[ipos++]; }
static uint16_t g16(void) { uint16_t v = virtio_le16(in + ipos); ipos += 2; return v; }
static uint32_t g32(void) { uint32_t v = virtio_le32(in + ipos); ipos += 4; return v; }
static uint64_t g64(void) { uint64_t v = virtio_le64(in + ipos); ipos += 8; return v; }
static void gstr(char *buf, size_t n)
{
    uint16_t len = g16();
    snprintf(buf, n, "%.*s", (int)len, (const char *)in + ipos);
    ipos += len;
}

/* Walk fid -> newfid through the names (NULL-terminated); returns the
 * number of qids, or -errno. */
static int walk(uint32_t fid, uint32_t newfid, const char *const *names)
{
    begin(TWALK);
    p32(fid);
    p32(newfid);
    unsigned n = 0;
    while (names[n])
        n++;
    p16((uint16_t)n);
    for (unsigned i = 0; i < n; i++)
        pstr(names[i]);
    if (send_msg() != TWALK + 1)
        return -g_errno;
    return g16();
}
#define WALK(fid, nfid, ...) walk(fid, nfid, (const char *const[]){ __VA_ARGS__, NULL })

static int lopen(uint32_t fid, uint32_t flags)
{
    begin(TLOPEN);
    p32(fid);
    p32(flags);
    return send_msg() == TLOPEN + 1 ? 0 : -g_errno;
}

static int clunk(uint32_t fid)
{
    begin(TCLUNK);
    p32(fid);
    return send_msg() == TCLUNK + 1 ? 0 : -g_errno;
}

static long read_fid(uint32_t fid, uint64_t off, char *buf, uint32_t count)
{
    begin(TREAD);
    p32(fid);
    p64(off);
    p32(count);
    if (send_msg() != TREAD + 1)
        return -g_errno;
    uint32_t n = g32();
    memcpy(buf, in + ipos, n);
    return n;
}

static long write_fid(uint32_t fid, uint64_t off, const char *data)
{
    begin(TWRITE);
    p32(fid);
    p64(off);
    p32((uint32_t)strlen(data));
    memcpy(out + olen, data, strlen(data));
    olen += strlen(data);
    if (send_msg() != TWRITE + 1)
        return -g_errno;
    return g32();
}

static uint64_t getattr_size(uint32_t fid, uint32_t *mode)
{
    begin(TGETATTR);
    p32(fid);
    p64(0x7ff);
    if (send_msg() != TGETATTR + 1)
        return UINT64_MAX;
    g64();                               /* valid */
    ipos += 13;                          /* qid */
    uint32_t m = g32();
    if (mode)
        *mode = m;
    g32(); g32(); g64(); g64();          /* uid gid nlink rdev */
    return g64();
}

static void host_write(const char *rel, const char *data)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", top, rel);
    FILE *f = fopen(p, "w");
    CHECK(f);
    if (f) {
        fputs(data, f);
        fclose(f);
    }
}

static void host_read(const char *rel, char *buf, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", top, rel);
    buf[0] = '\0';
    FILE *f = fopen(p, "r");
    if (f) {
        size_t got = fread(buf, 1, n - 1, f);
        buf[got] = '\0';
        fclose(f);
    }
}

static void host_symlink(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", top, rel);
    CHECK(symlink(target, p) == 0);
}

static void setup_tree(void)
{
    CHECK(mkdtemp(top) != NULL);
    snprintf(exp_dir, sizeof exp_dir, "%s/export", top);
    CHECK(mkdir(exp_dir, 0755) == 0);
    host_write("secret", "TOP SECRET");
    host_write("export/hello.txt", "hello world");
    char p[512];
    snprintf(p, sizeof p, "%s/export/sub", top);
    CHECK(mkdir(p, 0755) == 0);
    host_write("export/sub/inner", "inner");
    host_symlink("/", "export/abs");
    host_symlink("../secret", "export/up");
    host_symlink("../../secret", "export/sub/upup");
    host_symlink("/proc/self/root", "export/proc");
    host_symlink("/etc/passwd", "export/passwd");
    host_symlink("..", "export/dotdot");
}

static void session(bool readonly)
{
    char err[256];
    srv = p9_server_new(exp_dir, readonly, err, sizeof err);
    CHECK(srv != NULL);
    if (!srv) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    /* Before Tversion nothing works. */
    begin(TATTACH);
    p32(1); p32(~0u); pstr("root"); pstr(""); p32(0);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EPROTO);

    begin(TVERSION);
    p32(65536);
    pstr("9P2000.L");
    CHECK_EQ(send_msg(), TVERSION + 1);
    CHECK_EQ(g32(), 65536);
    char v[32];
    gstr(v, sizeof v);
    CHECK(strcmp(v, "9P2000.L") == 0);

    begin(TATTACH);
    p32(1); p32(~0u); pstr("root"); pstr(""); p32(0);
    CHECK_EQ(send_msg(), TATTACH + 1);
    CHECK_EQ(g8(), 0x80);                /* a directory */
}

static uint64_t root_ino(void)
{
    struct stat st;
    CHECK(stat(exp_dir, &st) == 0);
    return st.st_ino;
}

static void test_read_and_confinement(void)
{
    session(false);
    char buf[256];
    CHECK_EQ(WALK(1, 2, "hello.txt"), 1);
    CHECK_EQ(lopen(2, O_RDONLY), 0);
    CHECK_EQ(read_fid(2, 0, buf, sizeof buf), 11);
    CHECK(memcmp(buf, "hello world", 11) == 0);
    CHECK_EQ(read_fid(2, 6, buf, 3), 3);
    CHECK(memcmp(buf, "wor", 3) == 0);
    CHECK_EQ(getattr_size(2, NULL), 11);
    CHECK_EQ(clunk(2), 0);
    CHECK_EQ(clunk(2), -EBADF);

    /* ".." at the root stays at the root. */
    CHECK_EQ(WALK(1, 3, "..", "..", ".."), 3);
    CHECK_EQ(virtio_le64(in + 9 + 2 * 13 + 5), root_ino());
    CHECK_EQ(WALK(3, 4, "secret"), -ENOENT);
    CHECK_EQ(WALK(1, 4, "sub", "..", "..", "hello.txt"), 4);
    CHECK_EQ(clunk(4), 0);
    CHECK_EQ(clunk(3), 0);

    /* Names with a slash or empty ones are refused. */
    CHECK_EQ(WALK(1, 5, "sub/inner"), -EINVAL);
    CHECK_EQ(WALK(1, 5, "../secret"), -EINVAL);
    CHECK_EQ(WALK(1, 5, ""), -EINVAL);

    /* Symlinks are objects of their own: never followed by the server. */
    CHECK_EQ(WALK(1, 5, "abs", "etc"), 1);          /* stops at the link */
    CHECK_EQ(WALK(5, 6, "etc"), -EBADF);            /* partial walk: no fid 5 */
    CHECK_EQ(WALK(1, 5, "abs"), 1);
    CHECK_EQ(in[9], 0x02);                           /* QTSYMLINK */
    CHECK_EQ(lopen(5, O_RDONLY), -ELOOP);
    begin(TREADLINK);
    p32(5);
    CHECK_EQ(send_msg(), TREADLINK + 1);
    gstr(buf, sizeof buf);
    CHECK(strcmp(buf, "/") == 0);
    CHECK_EQ(WALK(5, 6, "etc"), -ENOTDIR);
    CHECK_EQ(WALK(1, 6, "up"), 1);
    CHECK_EQ(lopen(6, O_RDONLY), -ELOOP);
    CHECK_EQ(WALK(1, 7, "proc", "etc"), 1);
    CHECK_EQ(WALK(1, 7, "passwd"), 1);
    CHECK_EQ(lopen(7, O_RDONLY), -ELOOP);
    CHECK_EQ(WALK(1, 8, "dotdot", "secret"), 1);
    CHECK_EQ(WALK(1, 8, "sub", "upup"), 2);
    CHECK_EQ(lopen(8, O_RDONLY), -ELOOP);
    /* Creating through a symlinked directory fails too. */
    CHECK_EQ(WALK(1, 9, "dotdot"), 1);
    begin(TLCREATE);
    p32(9); pstr("evil"); p32(O_WRONLY | O_CREAT); p32(0644); p32(0);
    CHECK_EQ(send_msg(), RLERROR);
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/evil", top);
    CHECK(stat(p, &st) < 0);

    /* A directory swapped for a symlink behind our back does not lead out. */
    CHECK_EQ(WALK(1, 10, "sub"), 1);
    char subp[512], moved[512], outside[512];
    snprintf(subp, sizeof subp, "%s/sub", exp_dir);
    snprintf(moved, sizeof moved, "%s/sub.moved", exp_dir);
    snprintf(outside, sizeof outside, "%s", top);
    CHECK(rename(subp, moved) == 0);
    CHECK(symlink(outside, subp) == 0);
    CHECK_EQ(WALK(10, 11, "secret"), -ENOTDIR);
    CHECK_EQ(lopen(10, O_RDONLY), -ELOOP);
    unlink(subp);
    CHECK(rename(moved, subp) == 0);

    /* Special files are not opened on the host. */
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/fifo", exp_dir);
    CHECK(mkfifo(fifo, 0644) == 0);
    CHECK_EQ(WALK(1, 12, "fifo"), 1);
    CHECK_EQ(lopen(12, O_RDONLY), -EPERM);
    unlink(fifo);
    p9_server_free(srv);
}

static void test_changes(void)
{
    session(false);
    char buf[256];
    struct stat st;
    char p[512];

    /* lcreate + write + fsync; the mode loses set-user-ID. */
    CHECK_EQ(WALK(1, 2, "."), 1);
    begin(TLCREATE);
    p32(2); pstr("new.txt"); p32(O_RDWR | O_CREAT | O_EXCL); p32(04751); p32(0);
    CHECK_EQ(send_msg(), TLCREATE + 1);
    CHECK_EQ(write_fid(2, 0, "written by guest"), 16);
    begin(TFSYNC);
    p32(2); p32(0);
    CHECK_EQ(send_msg(), TFSYNC + 1);
    host_read("export/new.txt", buf, sizeof buf);
    CHECK(strcmp(buf, "written by guest") == 0);
    snprintf(p, sizeof p, "%s/new.txt", exp_dir);
    CHECK(stat(p, &st) == 0);
    CHECK_EQ(st.st_mode & 07777, 0751);
    /* Truncate through setattr. */
    begin(TSETATTR);
    p32(2); p32(1u << 3); p32(0); p32(0); p32(0); p64(7); p64(0); p64(0); p64(0); p64(0);
    CHECK_EQ(send_msg(), TSETATTR + 1);
    CHECK_EQ(getattr_size(2, NULL), 7);
    /* chmod */
    begin(TSETATTR);
    p32(2); p32(1u << 0); p32(06600); p32(0); p32(0); p64(0); p64(0); p64(0); p64(0); p64(0);
    CHECK_EQ(send_msg(), TSETATTR + 1);
    uint32_t mode;
    getattr_size(2, &mode);
    CHECK_EQ(mode & 07777, 0600);
    /* Locks. */
    begin(TLOCK);
    p32(2); p8(1); p32(0); p64(0); p64(10); p32(42); pstr("guest");
    CHECK_EQ(send_msg(), TLOCK + 1);
    CHECK_EQ(g8(), 0);                   /* SUCCESS */
    CHECK_EQ(WALK(1, 3, "new.txt"), 1);
    CHECK_EQ(lopen(3, O_RDWR), 0);
    begin(TLOCK);
    p32(3); p8(1); p32(0); p64(5); p64(10); p32(43); pstr("guest");
    CHECK_EQ(send_msg(), TLOCK + 1);
    CHECK_EQ(g8(), 1);                   /* BLOCKED by fid 2's lock */
    begin(TGETLOCK);
    p32(3); p8(1); p64(0); p64(0); p32(43); pstr("guest");
    CHECK_EQ(send_msg(), TGETLOCK + 1);
    CHECK_EQ(g8(), 1);                   /* a write lock is there */
    CHECK_EQ(clunk(3), 0);
    CHECK_EQ(clunk(2), 0);

    /* mkdir, symlink, mknod (FIFO yes, devices no). */
    begin(TMKDIR);
    p32(1); pstr("dir"); p32(0750); p32(0);
    CHECK_EQ(send_msg(), TMKDIR + 1);
    CHECK_EQ(g8(), 0x80);
    snprintf(p, sizeof p, "%s/dir", exp_dir);
    CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_EQ(st.st_mode & 0777, 0750);
    begin(TSYMLINK);
    p32(1); pstr("link"); pstr("/etc/shadow"); p32(0);
    CHECK_EQ(send_msg(), TSYMLINK + 1);
    snprintf(p, sizeof p, "%s/link", exp_dir);
    ssize_t n = readlink(p, buf, sizeof buf - 1);
    CHECK(n == 11 && memcmp(buf, "/etc/shadow", 11) == 0);
    begin(TMKNOD);
    p32(1); pstr("fifo"); p32(S_IFIFO | 0600); p32(0); p32(0); p32(0);
    CHECK_EQ(send_msg(), TMKNOD + 1);
    begin(TMKNOD);
    p32(1); pstr("sda"); p32(S_IFBLK | 0600); p32(8); p32(0); p32(0);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EPERM);

    /* renameat into the new directory; a fid on the old name follows. */
    CHECK_EQ(WALK(1, 4, "new.txt"), 1);
    CHECK_EQ(WALK(1, 5, "dir"), 1);
    begin(TRENAMEAT);
    p32(1); pstr("new.txt"); p32(5); pstr("moved.txt");
    CHECK_EQ(send_msg(), TRENAMEAT + 1);
    host_read("export/dir/moved.txt", buf, sizeof buf);
    CHECK(strcmp(buf, "written") == 0);
    CHECK_EQ(getattr_size(4, NULL), 7);
    /* rename can't target a name with a slash or escape with "..". */
    begin(TRENAMEAT);
    p32(5); pstr("moved.txt"); p32(1); pstr("../escaped");
    CHECK_EQ(send_msg(), RLERROR);
    begin(TRENAMEAT);
    p32(5); pstr("moved.txt"); p32(1); pstr("..");
    CHECK_EQ(send_msg(), RLERROR);

    /* link, then unlinkat both names, then rmdir. */
    begin(TLINK);
    p32(1); p32(4); pstr("hard");
    CHECK_EQ(send_msg(), TLINK + 1);
    snprintf(p, sizeof p, "%s/hard", exp_dir);
    CHECK(stat(p, &st) == 0 && st.st_nlink == 2);
    begin(TUNLINKAT);
    p32(1); pstr("hard"); p32(0);
    CHECK_EQ(send_msg(), TUNLINKAT + 1);
    begin(TUNLINKAT);
    p32(5); pstr("moved.txt"); p32(0);
    CHECK_EQ(send_msg(), TUNLINKAT + 1);
    begin(TUNLINKAT);
    p32(1); pstr("dir"); p32(0x200);
    CHECK_EQ(send_msg(), TUNLINKAT + 1);
    snprintf(p, sizeof p, "%s/dir", exp_dir);
    CHECK(stat(p, &st) < 0);

    /* readdir lists the root. */
    CHECK_EQ(WALK(1, 6, "."), 1);
    CHECK_EQ(lopen(6, O_RDONLY), 0);
    begin(TREADDIR);
    p32(6); p64(0); p32(8192);
    CHECK_EQ(send_msg(), TREADDIR + 1);
    uint32_t count = g32();
    bool saw_hello = false, saw_link = false;
    size_t end = ipos + count;
    while (ipos < end) {
        ipos += 13 + 8 + 1;
        char name[256];
        gstr(name, sizeof name);
        saw_hello |= strcmp(name, "hello.txt") == 0;
        saw_link |= strcmp(name, "link") == 0;
    }
    CHECK(saw_hello && saw_link);
    /* A tiny count returns nothing rather than a cut entry. */
    begin(TREADDIR);
    p32(6); p64(0); p32(10);
    CHECK_EQ(send_msg(), TREADDIR + 1);
    CHECK_EQ(g32(), 0);

    /* statfs, xattrs, flush, remove. */
    begin(TSTATFS);
    p32(1);
    CHECK_EQ(send_msg(), TSTATFS + 1);
    CHECK_EQ(g32(), 0x01021997);
    begin(TXATTRWALK);
    p32(1); p32(20); pstr("user.x");
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EOPNOTSUPP);
    begin(TFLUSH);
    p16(7);
    CHECK_EQ(send_msg(), TFLUSH + 1);
    CHECK_EQ(WALK(1, 7, "fifo"), 1);
    begin(TREMOVE);
    p32(7);
    CHECK_EQ(send_msg(), TREMOVE + 1);
    CHECK_EQ(clunk(7), -EBADF);
    begin(TREMOVE);
    p32(1);                              /* the export itself: refused */
    CHECK_EQ(send_msg(), RLERROR);
    p9_server_free(srv);
}

static void test_readonly_and_garbage(void)
{
    session(true);
    char buf[64];
    CHECK_EQ(WALK(1, 2, "hello.txt"), 1);
    CHECK_EQ(lopen(2, O_WRONLY), -EROFS);
    CHECK_EQ(lopen(2, O_RDONLY | O_TRUNC), -EROFS);
    CHECK_EQ(lopen(2, O_RDONLY), 0);
    CHECK_EQ(write_fid(2, 0, "x"), -EROFS);
    CHECK_EQ(read_fid(2, 0, buf, 5), 5);
    begin(TMKDIR);
    p32(1); pstr("d"); p32(0755); p32(0);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EROFS);
    begin(TLCREATE);
    p32(1); pstr("f"); p32(O_WRONLY | O_CREAT); p32(0644); p32(0);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EROFS);
    begin(TUNLINKAT);
    p32(1); pstr("hello.txt"); p32(0);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EROFS);
    begin(TSETATTR);
    p32(2); p32(8); p32(0); p32(0); p32(0); p64(0); p64(0); p64(0); p64(0); p64(0);
    CHECK_EQ(send_msg(), RLERROR);
    host_read("export/hello.txt", buf, sizeof buf);
    CHECK(strcmp(buf, "hello world") == 0);

    /* Garbage: truncated fields, strings running past the end, unknown
     * types, bad fids, a size larger than the buffer. */
    begin(TWALK);
    p32(1); p32(3); p16(1); p16(200);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EINVAL);
    begin(TGETATTR);
    p16(1);
    CHECK_EQ(send_msg(), RLERROR);
    begin(99);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EOPNOTSUPP);
    begin(TGETATTR);
    p32(777); p64(0);
    CHECK_EQ(send_msg(), RLERROR);
    CHECK_EQ(g_errno, EBADF);
    begin(TWALK);
    p32(1); p32(3); p16(17);
    CHECK_EQ(send_msg(), RLERROR);
    begin(TREAD);
    p32(2); p64(UINT64_MAX); p32(10);
    CHECK_EQ(send_msg(), RLERROR);
    begin(TCLUNK);
    p32(1);
    virtio_put_le32(out, 1000);          /* claims more than was sent */
    struct iovec o = { out, olen }, i = { in, sizeof in };
    CHECK(p9_server_handle(srv, &o, 1, olen, &i, 1, sizeof in) == 11);
    CHECK_EQ(in[4], RLERROR);
    CHECK(p9_server_handle(srv, &o, 1, 3, &i, 1, sizeof in) == -1);   /* no header */
    i.iov_len = 5;
    CHECK(p9_server_handle(srv, &o, 1, olen, &i, 1, 5) == -1);       /* no room to answer */

    /* The fid table is bounded. */
    int rc = 0;
    unsigned made = 0;
    for (uint32_t f = 100; f < 100 + P9_MAX_FIDS + 10 && rc >= 0; f++) {
        rc = WALK(1, f, ".");
        made += rc >= 0;
    }
    CHECK_EQ(rc, -ENFILE);
    CHECK(made < P9_MAX_FIDS);
    /* Tversion starts a new session: every fid is gone. */
    begin(TVERSION);
    p32(8192);
    pstr("9P2000.L");
    CHECK_EQ(send_msg(), TVERSION + 1);
    CHECK_EQ(WALK(1, 2, "."), -EBADF);
    p9_server_free(srv);
}

/* The device end to end: config tag, a Tversion through the ring. */
static void test_device(void)
{
    char args[512], err[512];
    snprintf(args, sizeof args, "%s,tag=hostshare,readonly", exp_dir);
    const char *specs[] = { "share", args, NULL };
    struct vm *vm = h_vm_create(specs);
    CHECK(vm);
    if (!vm)
        return;
    struct h_dev d;
    CHECK(h_find(&d, vm, VIRTIO_ID_9P, 0));
    CHECK(h_device_features(&d) & 1);
    CHECK_EQ(h_rd(&d, 0x100) & 0xffff, 9);
    uint64_t v;
    CHECK(vm_mmio_read(vm, d.base + 0x102, 1, &v));
    CHECK_EQ(v, 'h');
    CHECK(h_init(&d, 0, 1, 64));
    uint64_t req = h_alloc(&d, 64, 8), rep = h_alloc(&d, 8192, 8);
    uint8_t *r = h_ptr(&d, req, 64);
    virtio_put_le32(r, 21);
    r[4] = TVERSION;
    virtio_put_le16(r + 5, 1);
    virtio_put_le32(r + 7, 8192);
    virtio_put_le16(r + 11, 8);
    memcpy(r + 13, "9P2000.L", 8);
    struct h_buf b[2] = { { req, 21, false }, { rep, 8192, true } };
    h_add(&d, 0, b, 2);
    h_kick(&d, 0);
    uint32_t len = 0;
    CHECK(h_wait_used(&d, 0, NULL, &len));
    CHECK_EQ(len, 21);
    CHECK_EQ(*(uint8_t *)h_ptr(&d, rep + 4, 1), TVERSION + 1);
    vm_destroy(vm);

    CHECK(h_vm_create_fails("share", "/nonexistent-dir,tag=x", err, sizeof err));
    CHECK(strstr(err, "/nonexistent-dir") != NULL);
    snprintf(args, sizeof args, "%s", exp_dir);
    CHECK(h_vm_create_fails("share", args, err, sizeof err));
    CHECK(strstr(err, "tag") != NULL);
    snprintf(args, sizeof args, "%s,tag=has space", exp_dir);
    CHECK(h_vm_create_fails("share", args, err, sizeof err));
}

int main(void)
{
    setup_tree();
    test_read_and_confinement();
    test_changes();
    test_readonly_and_garbage();
    test_device();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
    CHECK_DONE();
}
