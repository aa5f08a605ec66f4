/*
 * run.c — `vessel run`: boot a RISC-V virtual machine on the console.
 *
 * This file is only the command line: options -> struct vm_config,
 * signals, the default guest, and the exit status.  The machine itself is
 * src/machine/.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "machine/devargs.h"
#include "machine/devices.h"
#include "machine/vm.h"

/* Exit statuses (documented in --help, README and docs/machine.md). */
enum {
    EXIT_POWEROFF = 0,
    EXIT_HOST_ERROR = 1,
    EXIT_USAGE = 2,
    EXIT_RESET = 3,
    EXIT_GUEST_FAIL = 4,
    EXIT_TIMEOUT = 5,
    EXIT_HALTED = 6,
    EXIT_SIGNAL_BASE = 128,
};

static const char usage_text[] =
"Usage: vessel run [OPTIONS]\n"
"Boot a 64-bit RISC-V virtual machine (a board laid out like QEMU's virt)\n"
"with its console on this terminal.\n"
"\n"
"  -k, --kernel IMAGE     Linux Image (or ELF) to boot; without --kernel and\n"
"                         --bios, the default guest (see below)\n"
"  -i, --initrd FILE      initramfs or initrd for the kernel\n"
"  -a, --append STRING    kernel command line\n"
"  -m, --mem SIZE         guest RAM: 256M (default), 1G, ... (a bare number\n"
"                         means MiB; 16M to 64G)\n"
"  -c, --cpus N           virtual CPUs, 1 (default) to %u (also --smp)\n"
"  -b, --bios FILE        M-mode firmware (OpenSBI fw_dynamic.bin / fw_jump.bin,\n"
"                         or a bare-metal ELF); the kernel then waits at the\n"
"                         first 2 MiB boundary after it.  Default (or 'default'):\n"
"                         Vessel provides the SBI and starts the kernel in S mode;\n"
"                         'none': the --kernel program runs in M mode\n"
"      --device TYPE[,ARGS]  add a device (types below)\n"
"      --dtb-out FILE     also write the generated device tree (DTB) to FILE\n"
"      --timeout SECONDS  stop the guest if it is still running after SECONDS\n"
"  -h, --help             show this help\n"
"\n"
"Also accepted the QEMU way: -kernel, -initrd, -append, -m, -smp, -bios,\n"
"and -M virt / -nographic (the board is virt, the console stdio).\n"
"\n"
"Devices:\n";

static const char usage_tail[] =
"\n"
"Console: the guest's UART on stdin/stdout.  On a terminal, input is raw\n"
"(Ctrl-C goes to the guest); Ctrl-A x quits, Ctrl-A h shows help, Ctrl-A\n"
"Ctrl-A sends Ctrl-A.  When stdin is not a terminal the output still goes\n"
"to stdout and the end of input does not stop the guest.\n"
"\n"
"Default guest: the first directory holding an Image of\n"
"  $VESSEL_GUEST_DIR, <directory of vessel>/guest,\n"
"  ${XDG_CACHE_HOME:-~/.cache}/vessel/guest\n"
"(with initramfs.cpio.gz and cmdline used when present).\n"
"\n"
"Exit status: 0 guest powered off (or Ctrl-A x); 1 host error; 2 bad\n"
"command line; 3 guest asked for a reset/reboot; 4 guest reported failure\n"
"(sifive_test FAIL, HTIF exit code != 0, SBI reset for system failure);\n"
"5 --timeout expired; 6 guest halted (every hart stopped); 128+N killed by\n"
"signal N.\n";

static void usage(FILE *f)
{
    fprintf(f, usage_text, VM_MAX_CPUS);
    for (const struct vm_device_type *t = vm_device_types; t->type; t++) {
        bool args = t->usage && *t->usage;
        fputs("  ", f);
        if (t->shorthand)
            fprintf(f, "--%s%s, ", t->shorthand, args ? " ARGS" : "");
        fprintf(f, "--device %s%s\n", t->type, args ? ",ARGS" : "");
        if (args)
            fprintf(f, "      ARGS: %s\n", t->usage);
        fprintf(f, "      %s\n", t->help);
    }
    fputs(usage_tail, f);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fputs("vessel run: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'vessel run --help'.\n", stderr);
    return EXIT_USAGE;
}

/* ---- default guest ---- */

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

struct default_guest {
    char dir[PATH_MAX];
    char kernel[PATH_MAX + 16];
    char initrd[PATH_MAX + 32];
    char cmdline[4096];
};

static bool try_guest_dir(struct default_guest *g, const char *dir)
{
    if (!dir || !*dir)
        return false;
    snprintf(g->dir, sizeof g->dir, "%.*s", PATH_MAX - 64, dir);
    snprintf(g->kernel, sizeof g->kernel, "%s/Image", g->dir);
    return is_file(g->kernel);
}

static bool find_default_guest(struct default_guest *g, char *looked, size_t looked_len)
{
    char cand[3][PATH_MAX];
    unsigned n = 0;
    const char *env = getenv("VESSEL_GUEST_DIR");
    if (env && *env)
        snprintf(cand[n++], PATH_MAX, "%s", env);
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(cand[n++], PATH_MAX, "%.*s/guest", PATH_MAX - 8, self);
        }
    }
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(cand[n++], PATH_MAX, "%.*s/vessel/guest", PATH_MAX - 24, xdg);
    else if (home && *home)
        snprintf(cand[n++], PATH_MAX, "%.*s/.cache/vessel/guest", PATH_MAX - 32, home);
    size_t used = 0;
    looked[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        if (try_guest_dir(g, cand[i]))
            return true;
        int w = snprintf(looked + used, looked_len - used, "%s%s", i ? ", " : "", cand[i]);
        if (w > 0 && (size_t)w < looked_len - used)
            used += (size_t)w;
    }
    return false;
}

/* initramfs.cpio.gz and cmdline next to the default Image, if present. */
static void default_guest_extras(struct default_guest *g, struct vm_config *cfg)
{
    snprintf(g->initrd, sizeof g->initrd, "%s/initramfs.cpio.gz", g->dir);
    if (!cfg->initrd && is_file(g->initrd))
        cfg->initrd = g->initrd;
    if (cfg->append)
        return;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/cmdline", g->dir);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(g->cmdline, 1, sizeof g->cmdline - 1, f);
        fclose(f);
        g->cmdline[n] = '\0';
        g->cmdline[strcspn(g->cmdline, "\n")] = '\0';
        cfg->append = g->cmdline;
    } else {
        cfg->append = "console=ttyS0";
    }
}

/* ---- signals: the VM stops cleanly and the terminal is restored ---- */

struct signal_watch {
    struct vm *vm;
    int fd, idx;
};

static void sig_prepare(void *opaque, struct vm_poll_set *ps, int *timeout_ms)
{
    struct signal_watch *w = opaque;
    (void)timeout_ms;
    w->idx = vm_poll_add(ps, w->fd, POLLIN);
}

static void sig_dispatch(void *opaque, struct vm_poll_set *ps)
{
    struct signal_watch *w = opaque;
    if (!(vm_poll_revents(ps, w->idx) & POLLIN))
        return;
    struct signalfd_siginfo si;
    if (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si)
        vm_request_exit(w->vm, VM_EXIT_SIGNAL, si.ssi_signo);
}

/* ---- options ---- */

enum {
    OPT_DEVICE = 1000, OPT_DTB_OUT, OPT_TIMEOUT, OPT_NOGRAPHIC, OPT_SHORTHAND_BASE = 2000,
};

static const struct option core_options[] = {
    { "kernel",  required_argument, NULL, 'k' },
    { "initrd",  required_argument, NULL, 'i' },
    { "append",  required_argument, NULL, 'a' },
    { "mem",     required_argument, NULL, 'm' },
    { "cpus",    required_argument, NULL, 'c' },
    { "smp",     required_argument, NULL, 'c' },
    { "bios",    required_argument, NULL, 'b' },
    { "device",  required_argument, NULL, OPT_DEVICE },
    { "dtb-out", required_argument, NULL, OPT_DTB_OUT },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help",    no_argument,       NULL, 'h' },
    /* QEMU habits: the board is always virt, the console always stdio. */
    { "machine", required_argument, NULL, 'M' },
    { "nographic", no_argument,     NULL, OPT_NOGRAPHIC },
};

#define NCORE (sizeof core_options / sizeof core_options[0])
#define MAX_TYPES 64

static int add_device(struct vm_config *cfg, const char *type, const char *args)
{
    if (cfg->ndevices == VM_MAX_DEVICE_SPECS) {
        fprintf(stderr, "vessel run: too many devices (at most %d)\n", VM_MAX_DEVICE_SPECS);
        return -1;
    }
    cfg->devices[cfg->ndevices++] = (struct vm_device_spec){ type, args };
    return 0;
}

/* --device TYPE[,ARGS]: the type's name is cut out of a copy kept alive
 * in types[] until the VM is built. */
static int add_device_option(struct vm_config *cfg, char *arg)
{
    char *comma = strchr(arg, ',');
    if (comma)
        *comma = '\0';
    if (!vm_device_type_find(arg)) {
        fprintf(stderr, "vessel run: unknown device type '%s' (see vessel run --help)\n", arg);
        return -1;
    }
    return add_device(cfg, arg, comma ? comma + 1 : "");
}

static int parse_mem(const char *s, uint64_t *out)
{
    uint64_t v;
    if (parse_size(s, &v) < 0)
        return -1;
    if (s[strspn(s, "0123456789")] == '\0')   /* bare number: MiB, as QEMU */
        v <<= 20;
    *out = v;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    struct vm_config cfg;
    vm_config_init(&cfg);

    struct option longopts[NCORE + MAX_TYPES + 1];
    memcpy(longopts, core_options, sizeof core_options);
    unsigned nopt = NCORE;
    for (unsigned i = 0; vm_device_types[i].type && nopt < NCORE + MAX_TYPES; i++)
        if (vm_device_types[i].shorthand)
            longopts[nopt++] = (struct option){
                vm_device_types[i].shorthand,
                vm_device_types[i].usage && *vm_device_types[i].usage ? required_argument
                                                                       : no_argument,
                NULL, OPT_SHORTHAND_BASE + (int)i };
    longopts[nopt] = (struct option){ 0 };

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+k:i:a:m:c:b:hM:", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': cfg.kernel = optarg; break;
        case 'i': cfg.initrd = optarg; break;
        case 'a': cfg.append = optarg; break;
        case 'b': cfg.bios = optarg; break;
        case 'm':
            if (parse_mem(optarg, &cfg.ram_size) < 0)
                return bad_usage("bad memory size '%s' (try 256M or 1G)", optarg);
            break;
        case 'c': {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || n < 1)
                return bad_usage("bad CPU count '%s'", optarg);
            if (n > VM_MAX_CPUS) {
                fprintf(stderr, "vessel run: %ld CPUs requested: Vessel supports 1 to %d\n",
                        n, VM_MAX_CPUS);
                return EXIT_USAGE;
            }
            cfg.ncpus = (unsigned)n;
            break;
        }
        case OPT_DEVICE:
            if (add_device_option(&cfg, optarg) < 0)
                return EXIT_USAGE;
            break;
        case OPT_DTB_OUT: cfg.dtb_out = optarg; break;
        case 'M':
            if (strcmp(optarg, "virt") != 0 && strncmp(optarg, "virt,", 5) != 0)
                return bad_usage("machine '%s': Vessel has one board, virt", optarg);
            break;
        case OPT_NOGRAPHIC: break;
        case OPT_TIMEOUT: {
            char *end;
            double t = strtod(optarg, &end);
            if (*end || end == optarg || !(t > 0) || t > 1e7)
                return bad_usage("bad timeout '%s' (seconds)", optarg);
            cfg.timeout = t;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case '?':
            if (optopt && optopt < 256)
                return bad_usage("option '-%s' needs a value or is unknown",
                                 (char[]){ (char)optopt, 0 });
            return bad_usage("unknown option or missing value: '%s'", argv[optind - 1]);
        default:
            if (c >= OPT_SHORTHAND_BASE) {
                if (add_device(&cfg, vm_device_types[c - OPT_SHORTHAND_BASE].type,
                               optarg ? optarg : "") < 0)
                    return EXIT_USAGE;
                break;
            }
            return bad_usage("unexpected option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad_usage("unexpected argument '%s'", argv[optind]);

    struct default_guest guest;
    if (!cfg.kernel && !cfg.bios) {
        char looked[3 * PATH_MAX + 8];
        if (!find_default_guest(&guest, looked, sizeof looked)) {
            fprintf(stderr, "vessel run: no --kernel given and no default guest found "
                    "(looked for Image in %s).\nBuild it with 'make guest', or give "
                    "--kernel IMAGE.\n", looked);
            return EXIT_HOST_ERROR;
        }
        cfg.kernel = guest.kernel;
        default_guest_extras(&guest, &cfg);
    }

    char err[1024];
    struct vm *vm = vm_create(&cfg, err, sizeof err);
    if (!vm) {
        fprintf(stderr, "vessel run: %s\n", err);
        return EXIT_HOST_ERROR;
    }

    /* SIGINT/SIGTERM/SIGHUP stop the VM through the loop (the terminal is
     * then restored); harts never see signals.  A closed stdout is EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop_sigs, old;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    sigaddset(&stop_sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, &old);
    struct signal_watch sw = { .vm = vm, .fd = signalfd(-1, &stop_sigs, SFD_CLOEXEC), .idx = -1 };
    if (sw.fd >= 0) {
        struct vm_loop_client client = { &sw, sig_prepare, sig_dispatch };
        vm_add_loop_client(vm, &client);
    }

    struct vm_exit e = vm_run(vm);
    vm_destroy(vm);
    if (sw.fd >= 0)
        close(sw.fd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    switch (e.kind) {
    case VM_EXIT_POWEROFF:
        return EXIT_POWEROFF;
    case VM_EXIT_QUIT:
        fprintf(stderr, "\nvessel: terminated (Ctrl-A x)\n");
        return EXIT_POWEROFF;
    case VM_EXIT_RESET:
        fprintf(stderr, "vessel: the guest asked for a reset\n");
        return EXIT_RESET;
    case VM_EXIT_FAIL:
        fprintf(stderr, "vessel: the guest reported failure (code %u)\n", e.code);
        return EXIT_GUEST_FAIL;
    case VM_EXIT_TIMEOUT:
        fprintf(stderr, "vessel: timeout: the guest was still running after %g s\n",
                cfg.timeout);
        return EXIT_TIMEOUT;
    case VM_EXIT_HALTED:
        fprintf(stderr, "vessel: the guest halted (every hart stopped)\n");
        return EXIT_HALTED;
    case VM_EXIT_SIGNAL:
        fprintf(stderr, "vessel: terminated by signal %u (%s)\n", e.code, strsignal((int)e.code));
        return EXIT_SIGNAL_BASE + (int)e.code;
    case VM_EXIT_ERROR:
        break;
    }
    fprintf(stderr, "vessel: the virtual machine stopped on a host error\n");
    return EXIT_HOST_ERROR;
}
