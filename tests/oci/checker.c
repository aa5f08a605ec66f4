/*
 * checker: a small static program that runs inside a test container and
 * reports, on stdout, what the process sees of its own state.  The OCI
 * conformance suite (tests/oci/conformance.py) compares these reports with
 * the container's config.json.
 *
 * Output is line-oriented "key value" text so the harness can parse it
 * without a JSON library inside the container.  Each subcommand is small
 * and reports errno values as numbers so the harness can compare them
 * exactly.
 *
 * Usage: checker COMMAND [ARGS...]; `checker help` lists the commands.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void print_file_field(const char *path, const char *field, const char *key)
{
    FILE *f = fopen(path, "r");
    char line[512];
    size_t n = strlen(field);

    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            char *v = line + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            printf("%s %s", key, v);
            if (v[strlen(v) - 1] != '\n')
                putchar('\n');
        }
    }
    fclose(f);
}

/* Prints the first line of a file as "key value", or "key ERR errno". */
static void print_first_line(const char *key, const char *path)
{
    char buf[4096];
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0) {
        printf("%s ERR %d\n", key, errno);
        return;
    }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        printf("%s ERR %d\n", key, errno);
        return;
    }
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("%s %s\n", key, buf);
}

static const struct { const char *name; int res; } rlimit_names[] = {
    { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static void print_rlim(rlim_t v)
{
    if (v == RLIM_INFINITY)
        printf("unlimited");
    else
        printf("%llu", (unsigned long long)v);
}

/* info: identity, credentials, limits and environment of this process. */
static int cmd_info(int argc, char **argv)
{
    struct utsname u;
    gid_t groups[256];
    int ngroups, i;
    char cwd[PATH_MAX];
    mode_t mask;

    printf("pid %d\nppid %d\n", (int)getpid(), (int)getppid());
    printf("uid %u\ngid %u\neuid %u\negid %u\n", getuid(), getgid(),
           geteuid(), getegid());
    ngroups = getgroups(256, groups);
    printf("groups");
    for (i = 0; i < ngroups; i++)
        printf("%s%u", i ? "," : " ", groups[i]);
    printf("\n");
    mask = umask(0);
    umask(mask);
    printf("umask %04o\n", (unsigned)mask);
    if (getcwd(cwd, sizeof cwd))
        printf("cwd %s\n", cwd);
    else
        printf("cwd ERR %d\n", errno);
    if (uname(&u) == 0) {
        printf("hostname %s\ndomainname %s\nmachine %s\n", u.nodename,
               u.domainname, u.machine);
    }
    print_file_field("/proc/self/status", "CapInh", "capinh");
    print_file_field("/proc/self/status", "CapPrm", "capprm");
    print_file_field("/proc/self/status", "CapEff", "capeff");
    print_file_field("/proc/self/status", "CapBnd", "capbnd");
    print_file_field("/proc/self/status", "CapAmb", "capamb");
    print_file_field("/proc/self/status", "NoNewPrivs", "nonewprivs");
    print_file_field("/proc/self/status", "Seccomp", "seccomp");
    print_first_line("oom_score_adj", "/proc/self/oom_score_adj");
    for (i = 0; i < (int)(sizeof rlimit_names / sizeof rlimit_names[0]); i++) {
        struct rlimit rl;
        if (getrlimit(rlimit_names[i].res, &rl) == 0) {
            printf("%s ", rlimit_names[i].name);
            print_rlim(rl.rlim_cur);
            putchar(' ');
            print_rlim(rl.rlim_max);
            putchar('\n');
        }
    }
    for (i = 0; i < argc; i++)
        printf("arg%d %s\n", i, argv[i]);
    printf("argc %d\n", argc);
    for (i = 0; environ[i]; i++)
        printf("env %s\n", environ[i]);
    fflush(stdout);
    return 0;
}

/* The system calls the seccomp tests use, by name; all take integer args. */
static const struct { const char *name; long nr; } syscall_names[] = {
    { "getpid", SYS_getpid }, { "getppid", SYS_getppid },
    { "getpgid", SYS_getpgid }, { "getsid", SYS_getsid },
    { "getpriority", SYS_getpriority }, { "setpriority", SYS_setpriority },
    { "dup", SYS_dup }, { "close", SYS_close }, { "umask", SYS_umask },
    { "getuid", SYS_getuid }, { "getgid", SYS_getgid },
    { "personality", SYS_personality }, { "sched_yield", SYS_sched_yield },
    { "kill", SYS_kill }, { "getcpu", SYS_getcpu }, { "mkdir", SYS_mkdir },
    { "flock", SYS_flock }, { "fchmod", SYS_fchmod }, { "setuid", SYS_setuid },
    { "ptrace", SYS_ptrace }, { "unshare", SYS_unshare },
    { "socket", SYS_socket }, { "uname", SYS_uname }, { "sync", SYS_sync },
    { "alarm", SYS_alarm }, { "getrandom", SYS_getrandom },
};

static void on_sigsys(int sig)
{
    static const char msg[] = "sigsys trapped\n";
    (void)sig;
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(98);
    _exit(77);
}

/*
 * sys NAME [ARG...]: make one raw system call with integer arguments
 * (decimal or 0x hex) and print "NAME ret R errno E".  A SIGSYS from a
 * seccomp TRAP action prints "sigsys trapped" and exits 77.
 */
static int cmd_sys(int argc, char **argv)
{
    long nr = -1, a[6] = { 0 }, ret;
    size_t i;
    int e;

    if (argc < 1) {
        fprintf(stderr, "checker sys: need a syscall name\n");
        return 2;
    }
    for (i = 0; i < sizeof syscall_names / sizeof syscall_names[0]; i++)
        if (strcmp(syscall_names[i].name, argv[0]) == 0)
            nr = syscall_names[i].nr;
    if (nr < 0) {
        fprintf(stderr, "checker sys: unknown syscall %s\n", argv[0]);
        return 2;
    }
    for (i = 1; i < (size_t)argc && i <= 6; i++)
        a[i - 1] = (long)strtoull(argv[i], NULL, 0);
    signal(SIGSYS, on_sigsys);
    errno = 0;
    ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    e = ret == -1 ? errno : 0;
    printf("%s ret %ld errno %d\n", argv[0], ret, e);
    fflush(stdout);
    return 0;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

/* sigwait: print "ready", wait for any catchable signal, print it. */
static int cmd_sigwait(void)
{
    struct sigaction sa;
    int s;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    for (s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    while (!got_signal)
        pause();
    printf("signal %d\n", (int)got_signal);
    fflush(stdout);
    return 0;
}

/* mem MB: allocate and touch MB mebibytes, printing progress. */
static int cmd_mem(int argc, char **argv)
{
    long mb = argc > 0 ? atol(argv[0]) : 64, i;

    for (i = 1; i <= mb; i++) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmap failed errno %d\n", errno);
            return 1;
        }
        memset(p, 0x5a, 1 << 20);
        if (i % 8 == 0) {
            printf("allocated %ld\n", i);
            fflush(stdout);
        }
    }
    printf("allocated all %ld\n", mb);
    return 0;
}

/* fork N: try to create N children; print how many forks succeeded. */
static int cmd_fork(int argc, char **argv)
{
    int n = argc > 0 ? atoi(argv[0]) : 10, ok = 0, err = 0, i;
    pid_t pids[1024];

    if (n > 1024)
        n = 1024;
    for (i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) {
            pause();
            _exit(0);
        }
        if (p < 0) {
            err = errno;
            break;
        }
        pids[ok++] = p;
    }
    for (i = 0; i < ok; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    printf("forked %d errno %d\n", ok, err);
    return 0;
}

static const char *type_name(mode_t m)
{
    if (S_ISREG(m)) return "file";
    if (S_ISDIR(m)) return "dir";
    if (S_ISCHR(m)) return "chr";
    if (S_ISBLK(m)) return "blk";
    if (S_ISFIFO(m)) return "fifo";
    if (S_ISLNK(m)) return "link";
    if (S_ISSOCK(m)) return "sock";
    return "other";
}

/* stat PATH...: "stat PATH TYPE MODE UID GID MAJOR MINOR SIZE [-> TARGET]". */
static int cmd_stat(int argc, char **argv)
{
    int i;

    for (i = 0; i < argc; i++) {
        struct stat st;
        if (lstat(argv[i], &st) < 0) {
            printf("stat %s ERR %d\n", argv[i], errno);
            continue;
        }
        printf("stat %s %s %04o %u %u %u %u %lld", argv[i],
               type_name(st.st_mode), (unsigned)(st.st_mode & 07777),
               st.st_uid, st.st_gid, major(st.st_rdev), minor(st.st_rdev),
               (long long)st.st_size);
        if (S_ISLNK(st.st_mode)) {
            char t[PATH_MAX];
            ssize_t n = readlink(argv[i], t, sizeof t - 1);
            if (n >= 0) {
                t[n] = 0;
                printf(" -> %s", t);
            }
        }
        printf("\n");
    }
    return 0;
}

/* open MODE PATH...: MODE is r, w or rw; prints "open PATH MODE ok|ERR e". */
static int cmd_open(int argc, char **argv)
{
    int i, flags;

    if (argc < 1)
        return 2;
    flags = strcmp(argv[0], "r") == 0 ? O_RDONLY :
            strcmp(argv[0], "w") == 0 ? O_WRONLY : O_RDWR;
    for (i = 1; i < argc; i++) {
        int fd = open(argv[i], flags | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
            printf("open %s %s ERR %d\n", argv[i], argv[0], errno);
        } else {
            printf("open %s %s ok\n", argv[i], argv[0]);
            close(fd);
        }
    }
    return 0;
}

/* write PATH...: create or truncate each file and write a byte. */
static int cmd_write(int argc, char **argv)
{
    int i;

    for (i = 0; i < argc; i++) {
        int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, "x", 1) != 1)
            printf("write %s ERR %d\n", argv[i], errno);
        else
            printf("write %s ok\n", argv[i]);
        if (fd >= 0)
            close(fd);
    }
    return 0;
}

/* mkdir PATH...: "mkdir PATH ok|ERR e" */
static int cmd_mkdir(int argc, char **argv)
{
    int i;

    for (i = 0; i < argc; i++) {
        if (mkdir(argv[i], 0755) < 0)
            printf("mkdir %s ERR %d\n", argv[i], errno);
        else
            printf("mkdir %s ok\n", argv[i]);
    }
    return 0;
}

/* read PATH...: "read PATH BYTES" (bytes readable, up to 1 MiB) or ERR e. */
static int cmd_read(int argc, char **argv)
{
    static char buf[65536];
    int i;

    for (i = 0; i < argc; i++) {
        long total = 0;
        ssize_t n;
        int fd = open(argv[i], O_RDONLY | O_NONBLOCK);
        if (fd < 0) {
            printf("read %s ERR %d\n", argv[i], errno);
            continue;
        }
        while (total < (1 << 20) && (n = read(fd, buf, sizeof buf)) > 0)
            total += n;
        if (n < 0 && total == 0)
            printf("read %s ERR %d\n", argv[i], errno);
        else
            printf("read %s %ld\n", argv[i], total);
        close(fd);
    }
    return 0;
}

/* ls DIR: entry names, one "ls DIR NAME" line each. */
static int cmd_ls(int argc, char **argv)
{
    int i;

    for (i = 0; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        if (!d) {
            printf("ls %s ERR %d\n", argv[i], errno);
            continue;
        }
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                printf("ls %s %s\n", argv[i], e->d_name);
        closedir(d);
    }
    return 0;
}

/* fds: the open file descriptors, other than the one listing them. */
static int cmd_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    if (!d) {
        printf("fds ERR %d\n", errno);
        return 1;
    }
    printf("fds");
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        printf(" %s", e->d_name);
    }
    printf("\n");
    closedir(d);
    return 0;
}

/* tty: whether the standard streams are terminals, and the window size. */
static int cmd_tty(void)
{
    struct winsize ws;
    int i;

    for (i = 0; i < 3; i++) {
        char *name = ttyname(i);
        printf("isatty%d %d %s\n", i, isatty(i), name ? name : "-");
    }
    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
        printf("winsize %u %u\n", ws.ws_row, ws.ws_col);
    else
        printf("winsize ERR %d\n", errno);
    printf("ctty %d\n", (int)tcgetsid(0) == (int)getsid(0));
    return 0;
}

/* ns: inode numbers of this process's namespaces ("ns NAME INODE"). */
static int cmd_ns(void)
{
    static const char *names[] = { "cgroup", "ipc", "mnt", "net", "pid",
                                    "time", "user", "uts" };
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
        if (stat(path, &st) == 0)
            printf("ns %s %lu\n", names[i], (unsigned long)st.st_ino);
        else
            printf("ns %s ERR %d\n", names[i], errno);
    }
    return 0;
}

/*
 * Finds the directory of this process's cgroup for CONTROLLER ("" means
 * the cgroup2 hierarchy) by matching /proc/self/cgroup with the cgroup
 * mounts in /proc/self/mountinfo.
 */
static int cgroup_dir(const char *controller, char *out, size_t outlen)
{
    char line[4096], cgpath[PATH_MAX] = "";
    int found = 0, v2 = controller[0] == 0;
    FILE *f = fopen("/proc/self/cgroup", "r");

    if (!f)
        return -1;
    while (!found && fgets(line, sizeof line, f)) {
        char *ctrls = strchr(line, ':'), *path, *tok, *save;
        if (!ctrls)
            continue;
        path = strchr(++ctrls, ':');
        if (!path)
            continue;
        *path++ = 0;
        path[strcspn(path, "\n")] = 0;
        if (v2) {
            found = ctrls[0] == 0;
        } else {
            for (tok = strtok_r(ctrls, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save))
                if (strcmp(tok, controller) == 0)
                    found = 1;
        }
        if (found)
            snprintf(cgpath, sizeof cgpath, "%s", path);
    }
    fclose(f);
    if (!found)
        return -1;

    f = fopen("/proc/self/mountinfo", "r");
    if (!f)
        return -1;
    found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char root[PATH_MAX], mnt[PATH_MAX], *sep, fstype[64], super[1024];
        size_t rl;
        if (sscanf(line, "%*d %*d %*s %4095s %4095s", root, mnt) != 2)
            continue;
        sep = strstr(line, " - ");
        if (!sep || sscanf(sep + 3, "%63s %*s %1023s", fstype, super) != 2)
            continue;
        if (v2) {
            if (strcmp(fstype, "cgroup2"))
                continue;
        } else {
            char *tok, *save;
            int has = 0;
            if (strcmp(fstype, "cgroup"))
                continue;
            for (tok = strtok_r(super, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save))
                if (strcmp(tok, controller) == 0)
                    has = 1;
            if (!has)
                continue;
        }
        /* The mount shows the subtree at ROOT; our path must lie below it. */
        rl = strlen(root);
        if (strcmp(root, "/") == 0)
            rl = 0;
        if (strncmp(cgpath, root, rl) || (cgpath[rl] && cgpath[rl] != '/'))
            continue;
        snprintf(out, outlen, "%s%s", mnt, cgpath + rl);
        found = 1;
    }
    fclose(f);
    return found ? 0 : -1;
}

/* cg CONTROLLER FILE...: the cgroup path and the first line of each file. */
static int cmd_cg(int argc, char **argv)
{
    char dir[PATH_MAX], path[PATH_MAX + 256];
    const char *ctl;
    int i;

    if (argc < 1)
        return 2;
    ctl = strcmp(argv[0], "unified") == 0 ? "" : argv[0];
    if (cgroup_dir(ctl, dir, sizeof dir) < 0) {
        printf("cgdir %s ERR\n", argv[0]);
        return 0;
    }
    printf("cgdir %s %s\n", argv[0], dir);
    for (i = 1; i < argc; i++) {
        char key[300];
        snprintf(path, sizeof path, "%s/%s", dir, argv[i]);
        snprintf(key, sizeof key, "cg %s", argv[i]);
        print_first_line(key, path);
    }
    return 0;
}

/* cgcat CONTROLLER FILE: every line of a cgroup file, "cgline FILE LINE". */
static int cmd_cgcat(int argc, char **argv)
{
    char dir[PATH_MAX], path[PATH_MAX + 256], line[4096];
    FILE *f;

    if (argc < 2)
        return 2;
    if (cgroup_dir(argv[0], dir, sizeof dir) < 0) {
        printf("cgdir %s ERR\n", argv[0]);
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s", dir, argv[1]);
    f = fopen(path, "r");
    if (!f) {
        printf("cgline %s ERR %d\n", argv[1], errno);
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        printf("cgline %s %s\n", argv[1], line);
    }
    fclose(f);
    return 0;
}

/* sched: scheduling policy, nice, I/O priority, personality, affinity. */
static int cmd_sched(void)
{
    struct sched_param sp;
    cpu_set_t set;
    unsigned long nodemask[16] = { 0 };
    int mode = -1, i;
    long io;

    printf("policy %d\n", sched_getscheduler(0));
    if (sched_getparam(0, &sp) == 0)
        printf("priority %d\n", sp.sched_priority);
    errno = 0;
    i = getpriority(PRIO_PROCESS, 0);
    printf("nice %d\n", errno ? 99 : i);
    io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    if (io >= 0)
        printf("ioprio class %ld prio %ld\n", io >> 13, io & 0x1fff);
    printf("personality 0x%x\n", (unsigned)personality(0xffffffff));
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        printf("cpus");
        for (i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &set))
                printf(" %d", i);
        printf("\n");
    }
    if (syscall(SYS_get_mempolicy, &mode, nodemask, 1024, NULL, 0) == 0)
        printf("mempolicy mode %d nodes 0x%lx\n", mode, nodemask[0]);
    return 0;
}

/* clock: CLOCK_MONOTONIC and CLOCK_BOOTTIME in whole seconds. */
static int cmd_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("monotonic %lld\n", (long long)ts.tv_sec);
    clock_gettime(CLOCK_BOOTTIME, &ts);
    printf("boottime %lld\n", (long long)ts.tv_sec);
    return 0;
}

/* chown PATH UID GID: "chown PATH ok|ERR e" */
static int cmd_chown(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    if (chown(argv[0], atoi(argv[1]), atoi(argv[2])) < 0)
        printf("chown %s ERR %d\n", argv[0], errno);
    else
        printf("chown %s ok\n", argv[0]);
    return 0;
}

/* sethostname NAME: "sethostname ok|ERR e" */
static int cmd_sethostname(int argc, char **argv)
{
    if (argc < 1)
        return 2;
    if (sethostname(argv[0], strlen(argv[0])) < 0)
        printf("sethostname ERR %d\n", errno);
    else
        printf("sethostname ok\n");
    return 0;
}

/* exit N: exit with status N (to test exit status propagation). */
static int cmd_exit(int argc, char **argv)
{
    return argc > 0 ? atoi(argv[0]) : 0;
}

static void usage(void)
{
    fputs("usage: checker COMMAND [ARGS]\n"
          "commands: info, sys NAME [ARG..], sigwait, mem MB, fork N,\n"
          "  stat PATH.., open r|w|rw PATH.., write PATH.., mkdir PATH..,\n"
          "  read PATH.., ls DIR.., fds, tty, ns, cg CTRL FILE..,\n"
          "  cgcat CTRL FILE, sched, clock, chown PATH UID GID,\n"
          "  sethostname NAME, exit N\n", stderr);
}

int main(int argc, char **argv)
{
    const char *cmd;
    int rc;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage();
        return 2;
    }
    cmd = argv[1];
    argc -= 2;
    argv += 2;
    if (!strcmp(cmd, "info")) rc = cmd_info(argc + 2, argv - 2);
    else if (!strcmp(cmd, "sys")) rc = cmd_sys(argc, argv);
    else if (!strcmp(cmd, "sigwait")) rc = cmd_sigwait();
    else if (!strcmp(cmd, "mem")) rc = cmd_mem(argc, argv);
    else if (!strcmp(cmd, "fork")) rc = cmd_fork(argc, argv);
    else if (!strcmp(cmd, "stat")) rc = cmd_stat(argc, argv);
    else if (!strcmp(cmd, "open")) rc = cmd_open(argc, argv);
    else if (!strcmp(cmd, "write")) rc = cmd_write(argc, argv);
    else if (!strcmp(cmd, "mkdir")) rc = cmd_mkdir(argc, argv);
    else if (!strcmp(cmd, "read")) rc = cmd_read(argc, argv);
    else if (!strcmp(cmd, "ls")) rc = cmd_ls(argc, argv);
    else if (!strcmp(cmd, "fds")) rc = cmd_fds();
    else if (!strcmp(cmd, "tty")) rc = cmd_tty();
    else if (!strcmp(cmd, "ns")) rc = cmd_ns();
    else if (!strcmp(cmd, "cg")) rc = cmd_cg(argc, argv);
    else if (!strcmp(cmd, "cgcat")) rc = cmd_cgcat(argc, argv);
    else if (!strcmp(cmd, "sched")) rc = cmd_sched();
    else if (!strcmp(cmd, "clock")) rc = cmd_clock();
    else if (!strcmp(cmd, "chown")) rc = cmd_chown(argc, argv);
    else if (!strcmp(cmd, "sethostname")) rc = cmd_sethostname(argc, argv);
    else if (!strcmp(cmd, "exit")) rc = cmd_exit(argc, argv);
    else {
        usage();
        rc = 2;
    }
    fflush(stdout);
    return rc;
}
