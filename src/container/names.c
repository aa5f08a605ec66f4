/* Name tables (see names.h). */
#include <ctype.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include "container/names.h"
#include "container/oci_config.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct { const char *name; int value; } rlimits[] = {
    { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int names_rlimit(const char *name)
{
    for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
        if (!strcmp(rlimits[i].name, name))
            return rlimits[i].value;
    return -1;
}

/* Indexed by capability number (linux/capability.h). */
static const char *const caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
    "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int names_cap(const char *name)
{
    const char *n = name;
    if (!strncasecmp(n, "CAP_", 4))
        n += 4;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        if (!strcasecmp(caps[i] + 4, n))
            return (int)i;
    return -1;
}

const char *names_cap_name(int cap)
{
    if (cap < 0 || (size_t)cap >= sizeof caps / sizeof caps[0])
        return NULL;
    return caps[cap];
}

int names_cap_count(void)
{
    return (int)(sizeof caps / sizeof caps[0]);
}

static const struct { const char *name; int value; } signals[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
    { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
    { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CLD", SIGCHLD }, { "CONT", SIGCONT },
    { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
    { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
    { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL },
    { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

int names_signal(const char *name)
{
    if (!*name)
        return -1;
    if (isdigit((unsigned char)name[0])) {
        char *end;
        long v = strtol(name, &end, 10);
        if (*end || v <= 0 || v > SIGRTMAX)
            return -1;
        return (int)v;
    }
    const char *n = name;
    if (!strncasecmp(n, "SIG", 3))
        n += 3;
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
        if (!strcasecmp(signals[i].name, n))
            return signals[i].value;
    /* RTMIN, RTMIN+n, RTMAX-n */
    if (!strncasecmp(n, "RTMIN", 5) || !strncasecmp(n, "RTMAX", 5)) {
        int base = !strncasecmp(n, "RTMIN", 5) ? SIGRTMIN : SIGRTMAX;
        if (!n[5])
            return base;
        char *end;
        long off = strtol(n + 5, &end, 10);
        if (*end || (base == SIGRTMIN && (off < 0 || base + off > SIGRTMAX)) ||
            (base == SIGRTMAX && (off > 0 || base + off < SIGRTMIN)))
            return -1;
        return (int)(base + off);
    }
    return -1;
}

static const struct { const char *spec, *proc; int flag; } nstab[NS_COUNT] = {
    [NS_USER]   = { "user", "user", CLONE_NEWUSER },
    [NS_MNT]    = { "mount", "mnt", CLONE_NEWNS },
    [NS_PID]    = { "pid", "pid", CLONE_NEWPID },
    [NS_NET]    = { "network", "net", CLONE_NEWNET },
    [NS_IPC]    = { "ipc", "ipc", CLONE_NEWIPC },
    [NS_UTS]    = { "uts", "uts", CLONE_NEWUTS },
    [NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
    [NS_TIME]   = { "time", "time", CLONE_NEWTIME },
};

int names_ns(const char *spec_name)
{
    for (int i = 0; i < NS_COUNT; i++)
        if (!strcmp(nstab[i].spec, spec_name))
            return i;
    return -1;
}

const char *names_ns_spec(int kind) { return nstab[kind].spec; }
const char *names_ns_proc(int kind) { return nstab[kind].proc; }
int names_ns_clone_flag(int kind) { return nstab[kind].flag; }
