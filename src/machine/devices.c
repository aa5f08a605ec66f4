/*
 * devices.c — the table of user-addable devices, and the generic `loader`
 * (as QEMU's -device loader): put a file into guest RAM before boot.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dev/virtio_devices.h"
#include "dev/virtio_net.h"
#include "machine/boot.h"
#include "machine/devargs.h"
#include "machine/devices.h"
#include "machine/elf.h"
#include "machine/vm_impl.h"

static int loader_create(struct vm *vm, const char *args, char *err, size_t errlen)
{
    static const char *const keys[] = { "file", "addr", NULL };
    struct devargs da;
    char why[256];
    if (devargs_parse(&da, args, keys, why, sizeof why) < 0) {
        snprintf(err, errlen, "loader: %s", why);
        return -1;
    }
    const char *file = devargs_get(&da, "file"), *addr_s = devargs_get(&da, "addr");
    int rc = -1;
    uint64_t addr;
    if (!file) {
        snprintf(err, errlen, "loader: file=PATH is required");
    } else if (addr_s && parse_size(addr_s, &addr) < 0) {
        snprintf(err, errlen, "loader: bad address '%s'", addr_s);
    } else if (addr_s) {
        rc = boot_load_raw(vm, file, "loader file", addr, NULL, err, errlen);
    } else {
        /* Without addr the file must be an ELF: it says where it goes. */
        uint8_t *data;
        size_t size;
        uint64_t entry, lo, hi;
        if (boot_read_file(file, "loader file", &data, &size, err, errlen) == 0) {
            if (!elf_is_elf(data, size))
                snprintf(err, errlen, "loader: '%s' is not an ELF file: give addr=", file);
            else
                rc = elf_load(vm, data, size, "loader file", 0, &entry, &lo, &hi, err, errlen);
            free(data);
        }
    }
    devargs_free(&da);
    return rc;
}

const struct vm_device_type vm_device_types[] = {
    { "loader", NULL, "file=PATH[,addr=ADDR]",
      "copy a file into guest RAM at ADDR (raw) or where its ELF headers say",
      loader_create },
    /* virtio devices go here, e.g. { "disk", "disk", "FILE[,...]", "...", fn }, */
    { "disk", "disk", "FILE[,format=raw|qcow2|split][,readonly=on][,cache=writeback|"
      "writethrough|none|directsync|unsafe][,serial=ID][,discard=on|off]",
      "virtio-blk disk image or host block device, locked for this VM (repeatable)",
      virtio_blk_create },
    { "net", "net", "user|tap|switch[,KEY=VALUE...]",
      "virtio-net: user-mode NAT (hostfwd=tcp::2222-:22), a host tap (ifname=), "
      "or a switch shared by this host's VMs (name=)", virtio_net_create },
    { "share", "share", "HOSTDIR,tag=TAG[,readonly]",
      "virtio-9p shared folder, confined to HOSTDIR (guest: mount -t 9p TAG DIR)",
      virtio_9p_create },
    { "console", NULL, "",
      "virtio-console: hvc0 prints on the VM console (--console-port adds named ports)",
      virtio_console_create },
    { "console-port", "console-port", "name=NAME,socket=PATH|path=FILE",
      "virtio-console named port: a UNIX socket Vessel listens on, or a file the guest "
      "writes to (repeatable)", virtio_console_port_create },
    { "rng", "rng", "", "virtio-rng: entropy from the host's getrandom()",
      virtio_rng_create },
    { NULL, NULL, NULL, NULL, NULL },
};

const struct vm_device_type *vm_device_type_find(const char *type)
{
    for (const struct vm_device_type *t = vm_device_types; t->type; t++)
        if (strcmp(t->type, type) == 0)
            return t;
    return NULL;
}

const struct vm_device_type *vm_device_type_by_shorthand(const char *option)
{
    for (const struct vm_device_type *t = vm_device_types; t->type; t++)
        if (t->shorthand && strcmp(t->shorthand, option) == 0)
            return t;
    return NULL;
}

/* The value of KEY= in a device's option string ("" if absent). */
static void option_value(const char *args, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    out[0] = '\0';
    for (const char *p = args; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = strcspn(p + klen + 1, ",");
            snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), p + klen + 1);
            return;
        }
    }
}

/* Two shares with one tag: the guest could mount only the first. */
static int check_unique_tags(const struct vm *vm, char *err, size_t errlen)
{
    char a[128], b[128];
    for (unsigned i = 0; i < vm->cfg.ndevices; i++) {
        const struct vm_device_spec *si = &vm->cfg.devices[i];
        if (strcmp(si->type, "share") != 0)
            continue;
        option_value(si->args, "tag", a, sizeof a);
        for (unsigned j = i + 1; *a && j < vm->cfg.ndevices; j++) {
            const struct vm_device_spec *sj = &vm->cfg.devices[j];
            if (strcmp(sj->type, "share") != 0)
                continue;
            option_value(sj->args, "tag", b, sizeof b);
            if (strcmp(a, b) == 0) {
                snprintf(err, errlen, "share: tag '%s' given twice (each share needs its own "
                         "tag)", a);
                return -1;
            }
        }
    }
    return 0;
}

int devices_create(struct vm *vm, char *err, size_t errlen)
{
    if (check_unique_tags(vm, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < vm->cfg.ndevices; i++) {
        const struct vm_device_spec *spec = &vm->cfg.devices[i];
        const struct vm_device_type *t = vm_device_type_find(spec->type);
        if (!t) {
            snprintf(err, errlen, "unknown device type '%s' (vessel run --help lists them)",
                     spec->type);
            return -1;
        }
        if (t->create(vm, spec->args ? spec->args : "", err, errlen) < 0)
            return -1;
    }
    return 0;
}
