/*
 * img.c — `vessel img`: create, inspect, convert and repair disk images,
 * with qemu-img's command line (same subcommands, options, output and
 * exit codes) so scripts carry over.  The work is done by src/block/.
 */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "block/block.h"
#include "block/imgops.h"
#include "cli/cli.h"

static const char img_usage[] =
"Usage: vessel img COMMAND [OPTIONS...]\n"
"\n"
"Disk images in raw, qcow2 (v2/v3, backing files, compression) and split\n"
"formats, with qemu-img's options.  Commands:\n"
"  create [-q] [-f FMT] [-b BACKING [-F BACKING_FMT]] [-u] [-o OPTIONS] FILE [SIZE]\n"
"  info [-f FMT] [--output=human|json] [--backing-chain] [-U] FILE\n"
"  check [-q] [-f FMT] [--output=human|json] [-r leaks|all] [-U] FILE\n"
"  convert [-c] [-p] [-q] [-n] [-f FMT] [-O OUTPUT_FMT] [-B BACKING [-F FMT]]\n"
"          [-o OPTIONS] [-S SPARSE_SIZE] [-m N] [-U] [--target-is-zero] FILE... OUTPUT\n"
"  commit [-q] [-f FMT] [-b BASE] [-d] [-p] FILE\n"
"  rebase [-q] [-f FMT] [-p] [-u] [-U] -b BACKING [-F BACKING_FMT] FILE\n"
"  resize [-q] [-f FMT] [--shrink] [--preallocation=MODE] FILE [+|-]SIZE\n"
"  map [-f FMT] [--output=human|json] [--start-offset=OFF] [--max-length=LEN] [-U] FILE\n"
"  compare [-f FMT] [-F FMT] [-p] [-q] [-s] [-U] FILE1 FILE2\n"
"  from-dir [-q] [-O FMT] [-o OPTIONS] [--size SIZE] [-L LABEL] DIR OUTPUT\n"
"\n"
"FMT is raw, qcow2 or split (probed when not given).  SIZE takes the\n"
"suffixes k, M, G, T, P, E (powers of 1024).  qcow2 -o options:\n"
"cluster_size, compat (0.10|1.1), compression_type (zlib|zstd),\n"
"refcount_bits, preallocation (off|metadata|falloc|full), backing_file,\n"
"backing_fmt, size.  split -o options: chunk_size, size.\n";

static const char *prog = "vessel img";

static void die_usage(const char *msg)
{
    fprintf(stderr, "%s: %s\nTry 'vessel img --help' for more information.\n", prog, msg);
}

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static struct blk *open_image(const char *path, const char *fmt, bool rw, bool share,
                              bool no_backing)
{
    struct blk *b;
    char err[BLK_ERR_LEN];
    struct blk_open_opts o = { .format = fmt, .read_only = !rw, .force_share = share,
                               .no_backing = no_backing };
    int r = blk_open(&b, path, &o, err);
    if (r < 0) {
        errorf("%s", *err ? err : strerror(-r));
        return NULL;
    }
    return b;
}

/* The backing file name as seen from the image's directory. */
static void resolve_relative(const char *image, const char *name, char *out, size_t len)
{
    const char *slash = strrchr(image, '/');
    if (name[0] == '/' || !slash) {
        snprintf(out, len, "%s", name);
        return;
    }
    size_t dir = (size_t)(slash - image) + 1;
    if (dir >= len)
        dir = len - 1;
    memcpy(out, image, dir);
    snprintf(out + dir, len - dir, "%s", name);
}

/* ---- JSON printing in qemu-img's layout (4-space indent) ---------------- */

static void json_print(FILE *f, struct json_object *o, int depth)
{
    enum json_type t = json_object_get_type(o);
    if (t == json_type_object) {
        fputs("{\n", f);
        int n = json_object_object_length(o), i = 0;
        json_object_object_foreach(o, k, v) {
            fprintf(f, "%*s\"%s\": ", (depth + 1) * 4, "", k);
            json_print(f, v, depth + 1);
            fputs(++i < n ? ",\n" : "\n", f);
        }
        fprintf(f, "%*s}", depth * 4, "");
    } else if (t == json_type_array) {
        fputs("[\n", f);
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%*s", (depth + 1) * 4, "");
            json_print(f, json_object_array_get_idx(o, i), depth + 1);
            fputs(i + 1 < n ? ",\n" : "\n", f);
        }
        fprintf(f, "%*s]", depth * 4, "");
    } else {
        fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                             JSON_C_TO_STRING_NOSLASHESCAPE), f);
    }
}

static void json_add_int(struct json_object *o, const char *k, uint64_t v)
{
    json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/* ---- -o option lists ------------------------------------------------------ */

struct create_params {
    struct blk_create_opts o;
    char fmt[16];
    char backing[4096], backing_fmt[16];
    bool have_size, size_in_opts;
    char compat[8];          /* -o compat as given, echoed like qemu-img */
    uint64_t requested_size; /* before rounding to sectors, for the echo */
    const char *qcow2_key, *split_key; /* a format-specific -o option seen */
};

/* -o options of one format given for another are refused as qemu-img
 * refuses them (the format may be named after -o, so checked late). */
static int check_options_fit(const struct create_params *p, const char *fmt,
                             const char *path)
{
    const char *bad = strcmp(fmt, "qcow2") && p->qcow2_key ? p->qcow2_key
                    : strcmp(fmt, "split") && p->split_key ? p->split_key : NULL;
    if (!bad)
        return 0;
    fprintf(stderr, "%s: %s: Invalid parameter '%s'\n", prog, path, bad);
    return -1;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
        return 0;
    }
    return -1;
}

static void print_option_help(const char *fmt)
{
    printf("Supported options:\n");
    if (!strcmp(fmt, "qcow2")) {
        printf("  backing_file=<str>     - File name of a base image\n"
               "  backing_fmt=<str>      - Image format of the base image\n"
               "  cluster_size=<size>    - qcow2 cluster size\n"
               "  compat=<str>           - Compatibility level (v2 [0.10] or v3 [1.1])\n"
               "  compression_type=<str> - Compression method used for image cluster "
               "compression (zlib, zstd)\n"
               "  lazy_refcounts=<bool (on/off)> - Postpone refcount updates (off only)\n"
               "  preallocation=<str>    - Preallocation mode (allowed values: off, "
               "metadata, falloc, full)\n"
               "  refcount_bits=<num>    - Width of a reference count entry in bits\n"
               "  size=<size>            - Virtual disk size\n");
    } else if (!strcmp(fmt, "split")) {
        printf("  chunk_size=<size>      - Size of each chunk file (default 1G)\n"
               "  preallocation=<str>    - Preallocation mode (off, falloc, full)\n"
               "  size=<size>            - Virtual disk size\n");
    } else {
        printf("  preallocation=<str>    - Preallocation mode (allowed values: off, "
               "falloc, full)\n"
               "  size=<size>            - Virtual disk size\n");
    }
}

/* Parse "a=b,c=d" (",," is a literal comma).  Returns 0, 1 for "help",
 * -1 on error (reported). */
static int parse_options(const char *list, struct create_params *p)
{
    char *s = strdup(list), *save = s;
    int ret = 0;
    if (!s)
        return -1;
    size_t len = strlen(list), commas = 0;
    while (commas < len && list[len - 1 - commas] == ',')
        commas++;
    if (commas % 2) {        /* an odd run of trailing commas ends in an empty item */
        errorf("Invalid option list: %s", list);
        free(save);
        return -1;
    }
    while (*s && ret == 0) {
        char item[4200];
        size_t n = 0;
        while (*s && n + 1 < sizeof item) {
            if (*s == ',' && s[1] == ',') {
                item[n++] = ',';
                s += 2;
            } else if (*s == ',') {
                s++;
                break;
            } else {
                item[n++] = *s++;
            }
        }
        item[n] = 0;
        if (!n) {            /* an empty item: leading, trailing or doubled comma */
            errorf("Invalid option list: %s", list);
            ret = -1;
            break;
        }
        if (!strcmp(item, "help") || !strcmp(item, "?")) {
            ret = 1;
            break;
        }
        char *eq = strchr(item, '=');
        if (!eq) {
            errorf("Invalid option list: '%s' (expected name=value)", item);
            ret = -1;
            break;
        }
        *eq = 0;
        const char *k = item, *v = eq + 1;
        uint64_t num;
        bool bv;
        static const char *const qcow2_keys[] = {
            "cluster_size", "compression_type", "compat", "refcount_bits", "backing_file",
            "backing_fmt", "lazy_refcounts", "extended_l2", "encryption", NULL };
        for (int i = 0; qcow2_keys[i]; i++)
            if (!strcmp(k, qcow2_keys[i]) && !p->qcow2_key)
                p->qcow2_key = qcow2_keys[i];
        if (!strcmp(k, "chunk_size") && !p->split_key)
            p->split_key = "chunk_size";
        if (!strcmp(k, "size")) {
            if (blk_parse_size(v, &num) < 0) {
                errorf("Invalid image size specified: '%s'", v);
                ret = -1;
            }
            p->o.size = num;
            p->have_size = p->size_in_opts = true;
        } else if (!strcmp(k, "cluster_size")) {
            if (blk_parse_size(v, &num) < 0 || num > UINT32_MAX) {
                errorf("Invalid cluster size '%s'", v);
                ret = -1;
            }
            p->o.cluster_size = (uint32_t)num;
        } else if (!strcmp(k, "chunk_size")) {
            if (blk_parse_size(v, &num) < 0 || !num) {
                errorf("Invalid chunk size '%s'", v);
                ret = -1;
            }
            p->o.chunk_size = num;
        } else if (!strcmp(k, "compression_type")) {
            if (!strcmp(v, "zlib"))
                p->o.compression = BLK_COMPRESS_ZLIB;
            else if (!strcmp(v, "zstd"))
                p->o.compression = BLK_COMPRESS_ZSTD;
            else {
                errorf("Invalid compression type '%s' (zlib or zstd)", v);
                ret = -1;
            }
        } else if (!strcmp(k, "compat")) {
            if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
                p->o.compat = 2;
            else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
                p->o.compat = 3;
            else {
                errorf("Invalid compatibility level: '%s'", v);
                ret = -1;
            }
            snprintf(p->compat, sizeof p->compat, "%s", v);
        } else if (!strcmp(k, "refcount_bits")) {
            char *end;
            long bits = strtol(v, &end, 10);
            if (*end || bits <= 0 || bits > 64 || (bits & (bits - 1))) {
                errorf("Refcount width must be a power of two and may not exceed 64 bits");
                ret = -1;
            }
            p->o.refcount_bits = (int)bits;
        } else if (!strcmp(k, "preallocation")) {
            if (!strcmp(v, "off")) p->o.prealloc = BLK_PREALLOC_OFF;
            else if (!strcmp(v, "metadata")) p->o.prealloc = BLK_PREALLOC_METADATA;
            else if (!strcmp(v, "falloc")) p->o.prealloc = BLK_PREALLOC_FALLOC;
            else if (!strcmp(v, "full")) p->o.prealloc = BLK_PREALLOC_FULL;
            else {
                errorf("Invalid parameter '%s' for preallocation", v);
                ret = -1;
            }
        } else if (!strcmp(k, "backing_file")) {
            snprintf(p->backing, sizeof p->backing, "%s", v);
        } else if (!strcmp(k, "backing_fmt")) {
            snprintf(p->backing_fmt, sizeof p->backing_fmt, "%s", v);
        } else if (!strcmp(k, "lazy_refcounts") || !strcmp(k, "extended_l2") ||
                   !strcmp(k, "encryption")) {
            if (parse_bool(v, &bv) < 0) {
                errorf("Invalid value '%s' for %s (on/off)", v, k);
                ret = -1;
            } else if (bv) {
                errorf("%s=on is not supported by Vessel", k);
                ret = -1;
            }
        } else if (!strcmp(k, "nocow") || !strcmp(k, "extent_size_hint")) {
            /* accepted for compatibility, no effect */
        } else {
            errorf("Invalid parameter '%s'", k);
            ret = -1;
        }
    }
    free(save);
    return ret;
}

static void describe_create(const char *path, struct create_params *p)
{
    printf("Formatting '%s', fmt=%s", path, p->fmt);
    if (!strcmp(p->fmt, "qcow2")) {
        printf(" cluster_size=%u extended_l2=off", p->o.cluster_size ? p->o.cluster_size : 65536);
        if (p->o.prealloc != BLK_PREALLOC_OFF) {
            static const char *const names[] = { "off", "metadata", "falloc", "full" };
            printf(" preallocation=%s", names[p->o.prealloc]);
        }
        printf(" compression_type=%s", p->o.compression == BLK_COMPRESS_ZSTD ? "zstd" : "zlib");
        printf(" size=%" PRIu64, p->requested_size);
        if (p->compat[0])
            printf(" compat=%s", p->compat);
        if (p->backing[0])
            printf(" backing_file=%s", p->backing);
        if (p->backing_fmt[0])
            printf(" backing_fmt=%s", p->backing_fmt);
        printf(" lazy_refcounts=off refcount_bits=%d",
               p->o.refcount_bits ? p->o.refcount_bits : 16);
    } else if (!strcmp(p->fmt, "split")) {
        printf(" size=%" PRIu64 " chunk_size=%" PRIu64, p->o.size,
               p->o.chunk_size ? p->o.chunk_size : (uint64_t)1 << 30);
    } else {
        printf(" size=%" PRIu64, p->requested_size);
        if (p->o.prealloc != BLK_PREALLOC_OFF) {
            static const char *const names[] = { "off", "metadata", "falloc", "full" };
            printf(" preallocation=%s", names[p->o.prealloc]);
        }
    }
    printf("\n");
}

/* ---- create ------------------------------------------------------------- */

static int img_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    struct create_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.fmt, sizeof p.fmt, "raw");
    bool quiet = false, unsafe = false;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hqf:b:F:uo:", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'f': snprintf(p.fmt, sizeof p.fmt, "%s", optarg); break;
        case 'b': snprintf(p.backing, sizeof p.backing, "%s", optarg); break;
        case 'F': snprintf(p.backing_fmt, sizeof p.backing_fmt, "%s", optarg); break;
        case 'u': unsafe = true; break;
        case 'o': {
            int r = parse_options(optarg, &p);
            if (r == 1) {
                print_option_help(p.fmt);
                return 0;
            }
            if (r < 0)
                return 1;
            break;
        }
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("create: invalid option"); return 1;
        }
    }
    if (optind >= argc) {
        die_usage("Expecting image file name");
        return 1;
    }
    const char *path = argv[optind++];
    if (check_options_fit(&p, p.fmt, path) < 0)
        return 1;
    if (optind < argc) {
        uint64_t size;
        if (argv[optind][0] == '-' || blk_parse_size(argv[optind], &size) < 0) {
            errorf("Invalid image size specified. You may use k, M, G, T, P or E suffixes "
                   "for kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
            return 1;
        }
        if (p.size_in_opts) {
            errorf("%s: The image size must be specified only once", path);
            return 1;
        }
        p.o.size = size;
        p.have_size = true;
        optind++;
    }
    if (optind < argc) {
        die_usage("create: too many arguments");
        return 1;
    }
    if (!p.have_size && !p.backing[0]) {
        errorf("Image creation needs a size parameter");
        return 1;
    }
    if (p.o.size > (uint64_t)INT64_MAX) {
        errorf("Image size must be less than 8 EiB!");
        return 1;
    }
    if (strcmp(p.fmt, "raw") && strcmp(p.fmt, "qcow2") && strcmp(p.fmt, "split")) {
        errorf("Unknown file format '%s' (Vessel creates raw, qcow2 and split)", p.fmt);
        return 1;
    }
    if (p.backing[0] && strcmp(p.fmt, "qcow2")) {
        errorf("Format '%s' does not support backing files", p.fmt);
        return 1;
    }
    p.o.format = p.fmt;
    p.o.no_backing_check = unsafe;
    p.o.backing_file = p.backing[0] ? p.backing : NULL;
    p.o.backing_format = p.backing_fmt[0] ? p.backing_fmt : NULL;
    if (p.backing[0] && !p.have_size && unsafe) {
        errorf("Image creation with -u needs a size parameter");
        return 1;
    }
    if (p.backing[0] && !unsafe) {
        /* The backing file must open (and gives the size when none is given),
         * checked before anything is formatted, as qemu-img does. */
        char bpath[4096], err[BLK_ERR_LEN];
        resolve_relative(path, p.backing, bpath, sizeof bpath);
        struct blk *bk;
        struct blk_open_opts bo = { .format = p.o.backing_format, .read_only = true,
                                    .force_share = true };
        if (blk_open(&bk, bpath, &bo, err) < 0) {
            errorf("Could not open backing file: %s", err);
            return 1;
        }
        if (!p.have_size)
            p.o.size = blk_size(bk);
        if (!p.backing_fmt[0]) {
            struct blk_info *info = malloc(sizeof *info);
            if (info) {
                blk_get_info(bk, info);
                snprintf(p.backing_fmt, sizeof p.backing_fmt, "%s", info->format);
                free(info);
            }
            p.o.backing_format = p.backing_fmt;
        }
        blk_close(bk);
    }
    p.requested_size = p.o.size;
    if (!strcmp(p.fmt, "raw") || !strcmp(p.fmt, "qcow2"))
        p.o.size = (p.o.size + 511) & ~(uint64_t)511;
    if (!quiet)
        describe_create(path, &p);
    char err[BLK_ERR_LEN];
    int r = blk_create(path, &p.o, err);
    if (r < 0) {
        errorf("%s: %s", path, *err ? err : strerror(-r));
        return 1;
    }
    return 0;
}

/* ---- info ---------------------------------------------------------------- */

static struct json_object *info_json(struct blk_info *i, struct blk_snapshot *sn, int nsn)
{
    struct json_object *o = json_object_new_object();
    if (nsn > 0) {
        struct json_object *arr = json_object_new_array();
        for (int k = 0; k < nsn; k++) {
            struct json_object *e = json_object_new_object();
            json_add_int(e, "icount", (uint64_t)sn[k].icount);
            json_add_int(e, "vm-clock-nsec", sn[k].vm_clock_nsec % 1000000000);
            json_object_object_add(e, "name", json_object_new_string(sn[k].name));
            json_add_int(e, "date-sec", sn[k].date_sec);
            json_add_int(e, "date-nsec", sn[k].date_nsec);
            json_add_int(e, "vm-clock-sec", sn[k].vm_clock_nsec / 1000000000);
            json_object_object_add(e, "id", json_object_new_string(sn[k].id));
            json_add_int(e, "vm-state-size", sn[k].vm_state_size);
            if (sn[k].icount < 0)
                json_object_object_del(e, "icount");
            json_object_array_add(arr, e);
        }
        json_object_object_add(o, "snapshots", arr);
    }
    if (i->backing_format[0])
        json_object_object_add(o, "backing-filename-format",
                               json_object_new_string(i->backing_format));
    json_add_int(o, "virtual-size", i->virtual_size);
    json_object_object_add(o, "filename", json_object_new_string(i->filename));
    if (i->cluster_size)
        json_add_int(o, "cluster-size", i->cluster_size);
    json_object_object_add(o, "format", json_object_new_string(i->format));
    json_add_int(o, "actual-size", i->actual_size);
    if (!strcmp(i->format, "qcow2")) {
        struct json_object *fs = json_object_new_object(), *d = json_object_new_object();
        json_object_object_add(fs, "type", json_object_new_string("qcow2"));
        json_object_object_add(d, "compat", json_object_new_string(
                                   i->qcow2_version >= 3 ? "1.1" : "0.10"));
        json_object_object_add(d, "compression-type", json_object_new_string(
                                   i->compression == BLK_COMPRESS_ZSTD ? "zstd" : "zlib"));
        if (i->qcow2_version >= 3)
            json_object_object_add(d, "lazy-refcounts",
                                   json_object_new_boolean(i->lazy_refcounts));
        json_add_int(d, "refcount-bits", (uint64_t)i->refcount_bits);
        if (i->qcow2_version >= 3) {
            json_object_object_add(d, "corrupt", json_object_new_boolean(i->corrupt));
            json_object_object_add(d, "extended-l2", json_object_new_boolean(i->extended_l2));
        }
        json_object_object_add(fs, "data", d);
        json_object_object_add(o, "format-specific", fs);
    } else if (!strcmp(i->format, "split")) {
        struct json_object *fs = json_object_new_object(), *d = json_object_new_object();
        json_object_object_add(fs, "type", json_object_new_string("split"));
        json_add_int(d, "chunk-size", i->chunk_size);
        json_add_int(d, "chunks", i->nb_chunks);
        json_object_object_add(fs, "data", d);
        json_object_object_add(o, "format-specific", fs);
    }
    if (i->backing_file[0]) {
        json_object_object_add(o, "full-backing-filename",
                               json_object_new_string(i->full_backing_file));
        json_object_object_add(o, "backing-filename", json_object_new_string(i->backing_file));
    }
    json_object_object_add(o, "dirty-flag", json_object_new_boolean(i->dirty));
    return o;
}

static void info_human(struct blk_info *i, struct blk_snapshot *sn, int nsn)
{
    char vs[32], ds[32];
    blk_format_size(i->virtual_size, vs, sizeof vs);
    blk_format_size(i->actual_size, ds, sizeof ds);
    printf("image: %s\n", i->filename);
    printf("file format: %s\n", i->format);
    printf("virtual size: %s (%" PRIu64 " bytes)\n", vs, i->virtual_size);
    printf("disk size: %s\n", ds);
    if (i->cluster_size)
        printf("cluster_size: %u\n", i->cluster_size);
    if (i->dirty)            /* qemu-img's place for it: before the backing file */
        printf("cleanly shut down: no\n");
    if (i->backing_file[0]) {
        printf("backing file: %s", i->backing_file);
        if (strcmp(i->backing_file, i->full_backing_file))
            printf(" (actual path: %s)", i->full_backing_file);
        printf("\n");
        if (i->backing_format[0])
            printf("backing file format: %s\n", i->backing_format);
    }
    if (nsn > 0) {
        printf("Snapshot list:\n%-9s %-16s %8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE",
               "DATE", "VM CLOCK", "ICOUNT");
        for (int k = 0; k < nsn; k++) {
            char vm[32], date[32], clk[32], ic[32] = "";
            blk_format_size(sn[k].vm_state_size, vm, sizeof vm);
            time_t t = (time_t)sn[k].date_sec;
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
            uint64_t ms = sn[k].vm_clock_nsec / 1000000;
            snprintf(clk, sizeof clk, "%02u:%02u:%02u.%03u", (unsigned)(ms / 3600000),
                     (unsigned)(ms / 60000 % 60), (unsigned)(ms / 1000 % 60),
                     (unsigned)(ms % 1000));
            if (sn[k].icount >= 0)
                snprintf(ic, sizeof ic, "%" PRId64, sn[k].icount);
            printf("%-9s %-16s %8s%20s%13s%11s\n", sn[k].id, sn[k].name, vm, date, clk, ic);
        }
    }
    if (!strcmp(i->format, "qcow2")) {
        printf("Format specific information:\n");
        printf("    compat: %s\n", i->qcow2_version >= 3 ? "1.1" : "0.10");
        printf("    compression type: %s\n",
               i->compression == BLK_COMPRESS_ZSTD ? "zstd" : "zlib");
        if (i->qcow2_version >= 3)
            printf("    lazy refcounts: %s\n", i->lazy_refcounts ? "true" : "false");
        printf("    refcount bits: %d\n", i->refcount_bits);
        if (i->qcow2_version >= 3) {
            printf("    corrupt: %s\n", i->corrupt ? "true" : "false");
            printf("    extended l2: %s\n", i->extended_l2 ? "true" : "false");
        }
    } else if (!strcmp(i->format, "split")) {
        char cs[32];
        blk_format_size(i->chunk_size, cs, sizeof cs);
        printf("Format specific information:\n");
        printf("    chunk size: %s (%" PRIu64 " bytes)\n", cs, i->chunk_size);
        printf("    chunks: %u\n", i->nb_chunks);
    }
}

static int img_info(int argc, char **argv)
{
    enum { OPT_OUTPUT = 256, OPT_CHAIN, OPT_IMAGE_OPTS };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "backing-chain", no_argument, NULL, OPT_CHAIN },
        { "force-share", no_argument, NULL, 'U' }, { NULL, 0, NULL, 0 } };
    const char *fmt = NULL, *output = "human";
    bool chain = false, share = false;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hf:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': share = true; break;
        case OPT_OUTPUT: output = optarg; break;
        case OPT_CHAIN: chain = true; break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("info: invalid option"); return 1;
        }
    }
    bool json = !strcmp(output, "json");
    if (!json && strcmp(output, "human")) {
        errorf("--output must be used with human or json as argument.");
        return 1;
    }
    if (optind != argc - 1) {
        die_usage("Expecting one image file name");
        return 1;
    }
    struct blk *b = open_image(argv[optind], fmt, false, share, !chain);
    if (!b)
        return 1;
    struct blk_info *info = malloc(sizeof *info);
    if (!info) {
        blk_close(b);
        return 1;
    }
    struct json_object *arr = json_object_new_array();
    bool first = true;
    for (struct blk *cur = b; cur; cur = chain ? blk_backing(cur) : NULL) {
        blk_get_info(cur, info);
        struct blk_snapshot *sn = NULL;
        int nsn = blk_snapshots(cur, &sn);
        if (json) {
            struct json_object *o = info_json(info, sn, nsn);
            if (chain)
                json_object_array_add(arr, o);
            else {
                json_print(stdout, o, 0);
                printf("\n");
                json_object_put(o);
            }
        } else {
            if (!first)
                printf("\n");
            info_human(info, sn, nsn);
        }
        free(sn);
        first = false;
    }
    if (json && chain) {
        json_print(stdout, arr, 0);
        printf("\n");
    }
    json_object_put(arr);
    free(info);
    blk_close(b);
    return 0;
}

/* ---- check -------------------------------------------------------------- */

static void report_stderr(void *opaque, const char *line)
{
    (void)opaque;
    fprintf(stderr, "%s\n", line);
}

static int img_check(int argc, char **argv)
{
    enum { OPT_OUTPUT = 256 };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { "format", required_argument, NULL, 'f' },
        { "repair", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "force-share", no_argument, NULL, 'U' }, { NULL, 0, NULL, 0 } };
    const char *fmt = NULL, *output = "human";
    bool quiet = false, share = false;
    unsigned fix = 0;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hf:r:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': share = true; break;
        case 'T': break;
        case 'r':
            if (!strcmp(optarg, "leaks"))
                fix = BLK_FIX_LEAKS;
            else if (!strcmp(optarg, "all"))
                fix = BLK_FIX_LEAKS | BLK_FIX_ERRORS;
            else {
                die_usage("Unknown option value for -r (expecting 'leaks' or 'all')");
                return 1;
            }
            break;
        case OPT_OUTPUT: output = optarg; break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("check: invalid option"); return 1;
        }
    }
    bool json = !strcmp(output, "json");
    if (!json && strcmp(output, "human")) {
        errorf("--output must be used with human or json as argument.");
        return 1;
    }
    if (optind != argc - 1) {
        die_usage("Expecting one image file name");
        return 1;
    }
    if (fix && share) {
        errorf("-U is not allowed with -r");
        return 1;
    }
    const char *path = argv[optind];
    struct blk *b;
    char err[BLK_ERR_LEN];
    struct blk_open_opts o = { .format = fmt, .read_only = !fix, .force_share = share,
                               .no_backing = true, .repair = fix != 0 };
    if (blk_open(&b, path, &o, err) < 0) {
        errorf("Could not open '%s': %s", path, err);
        return 1;
    }
    struct blk_check_result r;
    int ret = blk_check(b, fix, &r, quiet || json ? NULL : report_stderr, NULL);
    struct blk_info *info = malloc(sizeof *info);
    if (info)
        blk_get_info(b, info);
    if (ret < 0) {
        errorf("Check failed: %s%s%s", strerror(-ret), *blk_last_error(b) ? ": " : "",
               blk_last_error(b));
        blk_close(b);
        free(info);
        return 1;
    }
    if (!r.supported) {
        errorf("This image format does not support checks");
        blk_close(b);
        free(info);
        return 63;
    }
    if (json) {
        struct json_object *j = json_object_new_object();
        json_add_int(j, "image-end-offset", r.image_end_offset);
        /* Key order as qemu-img prints it (its QDict hash order). */
        if (r.compressed_clusters)
            json_add_int(j, "compressed-clusters", r.compressed_clusters);
        json_add_int(j, "total-clusters", r.total_clusters);
        if (r.corruptions)
            json_add_int(j, "corruptions", r.corruptions);
        if (r.corruptions_fixed)
            json_add_int(j, "corruptions-fixed", r.corruptions_fixed);
        json_add_int(j, "check-errors", r.check_errors);
        if (r.leaks)
            json_add_int(j, "leaks", r.leaks);
        if (r.leaks_fixed)
            json_add_int(j, "leaks-fixed", r.leaks_fixed);
        if (r.allocated_clusters)
            json_add_int(j, "allocated-clusters", r.allocated_clusters);
        json_object_object_add(j, "filename", json_object_new_string(path));
        json_object_object_add(j, "format", json_object_new_string(info ? info->format : ""));
        if (r.fragmented_clusters)
            json_add_int(j, "fragmented-clusters", r.fragmented_clusters);
        json_print(stdout, j, 0);
        printf("\n");
        json_object_put(j);
    } else if (!quiet) {
        if (r.leaks_fixed || r.corruptions_fixed) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   r.leaks_fixed, r.corruptions_fixed);
        }
        if (!r.corruptions && !r.leaks && !r.check_errors)
            printf("No errors were found on the image.\n");
        else {
            if (r.corruptions)
                printf("\n%" PRIu64 " errors were found on the image.\n"
                       "Data may be corrupted, or further writes to the image may "
                       "corrupt it.\n", r.corruptions);
            if (r.leaks)
                printf("\n%" PRIu64 " leaked clusters were found on the image.\n"
                       "This means waste of disk space, but no harm to data.\n", r.leaks);
            if (r.check_errors)
                printf("\n%" PRIu64 " internal errors have occurred during the check.\n",
                       r.check_errors);
        }
        if (r.total_clusters && r.allocated_clusters)
            printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, "
                   "%0.2f%% compressed clusters\n", r.allocated_clusters, r.total_clusters,
                   r.allocated_clusters * 100.0 / (double)r.total_clusters,
                   r.fragmented_clusters * 100.0 / (double)r.allocated_clusters,
                   r.compressed_clusters * 100.0 / (double)r.allocated_clusters);
        if (r.image_end_offset)
            printf("Image end offset: %" PRIu64 "\n", r.image_end_offset);
    }
    free(info);
    blk_close(b);
    if (r.check_errors)
        return 1;
    if (r.corruptions)
        return 2;
    if (r.leaks)
        return 3;
    return 0;
}

/* ---- progress ------------------------------------------------------------- */

struct progress_state { double last; bool tty; };

static void show_progress(void *opaque, double f)
{
    struct progress_state *ps = opaque;
    double pct = f * 100.0;
    if (pct == ps->last || (pct < 100.0 && pct - ps->last < 1.0 && ps->last >= 0))
        return;
    ps->last = pct;
    if (ps->tty) {
        int width = 40, fill = (int)(f * width);
        printf("\r    (%6.2f/100%%) [", pct);
        for (int i = 0; i < width; i++)
            putchar(i < fill ? '#' : ' ');
        printf("]");
    } else {
        printf("    (%.2f/100%%)\r", pct);
    }
    fflush(stdout);
}

static void end_progress(struct progress_state *ps)
{
    if (ps->last >= 0)
        printf("\n");
}

/* ---- convert ------------------------------------------------------------- */

static int img_convert_cmd(int argc, char **argv)
{
    enum { OPT_TARGET_ZERO = 256, OPT_SALVAGE, OPT_IMAGE_OPTS };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "target-is-zero", no_argument, NULL, OPT_TARGET_ZERO },
        /* Best effort past read errors: Vessel's reads of a readable image do
         * not fail part-way, so there is nothing extra to salvage. */
        { "salvage", no_argument, NULL, OPT_SALVAGE },
        { "force-share", no_argument, NULL, 'U' }, { NULL, 0, NULL, 0 } };
    const char *fmt = NULL, *ofmt = "raw", *cache = NULL;
    struct create_params p;
    memset(&p, 0, sizeof p);
    bool compress = false, prog_on = false, quiet = false, no_create = false,
         share = false, target_zero = false, out_of_order = false;
    uint64_t sparse = 4096, threads = 0;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hf:O:B:F:co:l:S:pt:T:qnm:WUr:C", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': ofmt = optarg; break;
        case 'B': snprintf(p.backing, sizeof p.backing, "%s", optarg); break;
        case 'F': snprintf(p.backing_fmt, sizeof p.backing_fmt, "%s", optarg); break;
        case 'c': compress = true; break;
        case 'p': prog_on = true; break;
        case 'q': quiet = true; break;
        case 'n': no_create = true; break;
        case 'U': share = true; break;
        case 't': cache = optarg; break;
        case 'W': out_of_order = true; break;
        case 'T': case 'r': case 'C': case OPT_SALVAGE: break;
        case 'l':
            errorf("internal snapshots are not supported");
            return 1;
        case 'S':
            if (blk_parse_size(optarg, &sparse) < 0 || (sparse && sparse < 512)) {
                errorf("Invalid buffer size for sparse output specified. Valid sizes are "
                       "multiples of 512 up to 16MB.");
                return 1;
            }
            break;
        case 'm': {
            char *end;
            threads = strtoull(optarg, &end, 10);
            if (*end || threads < 1 || threads > 16) {
                errorf("Invalid number of coroutines. Allowed number of coroutines is "
                       "between 1 and 16");
                return 1;
            }
            break;
        }
        case 'o': {
            snprintf(p.fmt, sizeof p.fmt, "%s", ofmt);
            int r = parse_options(optarg, &p);
            if (r == 1) {
                print_option_help(ofmt);
                return 0;
            }
            if (r < 0)
                return 1;
            break;
        }
        case OPT_TARGET_ZERO: target_zero = true; break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("convert: invalid option"); return 1;
        }
    }
    if (optind < argc && check_options_fit(&p, ofmt, argv[argc - 1]) < 0)
        return 1;
    /* A progress bar whenever a person is watching (or with -p, as in
     * qemu-img); scripts reading our output see none unless they ask. */
    if (isatty(STDOUT_FILENO))
        prog_on = true;
    if (quiet)
        prog_on = false;
    int nsrc = argc - optind - 1;
    if (nsrc < 1) {
        die_usage("Expecting image file name");
        return 1;
    }
    if (p.backing[0] && no_create) {
        errorf("-B makes no sense when -n is used (the target exists)");
        return 1;
    }
    const char *out = argv[argc - 1];
    struct blk **src = calloc((size_t)nsrc, sizeof *src);
    if (!src)
        return 1;
    int ret = 1;
    uint64_t total = 0;
    struct blk *dst = NULL;
    for (int i = 0; i < nsrc; i++) {
        src[i] = open_image(argv[optind + i], fmt, false, share, false);
        if (!src[i])
            goto out;
        total += blk_size(src[i]);
    }
    if (!no_create) {
        snprintf(p.fmt, sizeof p.fmt, "%s", ofmt);
        p.o.format = ofmt;
        p.o.size = total;
        p.o.backing_file = p.backing[0] ? p.backing : NULL;
        p.o.backing_format = p.backing_fmt[0] ? p.backing_fmt : NULL;
        char err[BLK_ERR_LEN];
        if (blk_create(out, &p.o, err) < 0) {
            errorf("%s: %s", out, err);
            goto out;
        }
    }
    char err[BLK_ERR_LEN];
    struct blk_open_opts oo = { .format = ofmt, .no_backing = true,
                                .cache = cache && !strcmp(cache, "none") ? BLK_CACHE_NONE
                                         : BLK_CACHE_UNSAFE };
    if (blk_open(&dst, out, &oo, err) < 0) {
        errorf("Could not open '%s': %s", out, err);
        goto out;
    }
    if (no_create && blk_size(dst) < total) {
        errorf("Output image is too small (%" PRIu64 " bytes, need %" PRIu64 ")",
               blk_size(dst), total);
        goto out;
    }
    struct progress_state ps = { .last = -1, .tty = isatty(STDOUT_FILENO) };
    struct img_convert cv = {
        .src = src, .nsrc = nsrc, .dst = dst, .compress = compress,
        .sparse_size = sparse, .dst_is_zero = (!no_create || target_zero) && !p.backing[0],
        .top_only = p.backing[0] != 0, .threads = (unsigned)threads,
        .out_of_order = out_of_order, .progress = { prog_on ? show_progress : NULL, &ps },
    };
    if (no_create && !target_zero)
        cv.dst_is_zero = false;
    int r = img_convert(&cv, err);
    if (prog_on)
        end_progress(&ps);
    if (r < 0) {
        errorf("%s", err);
        goto out;
    }
    ret = 0;
out:
    if (dst && blk_close(dst) < 0 && ret == 0) {
        errorf("error while flushing '%s'", out);
        ret = 1;
    }
    for (int i = 0; i < nsrc; i++)
        if (src[i])
            blk_close(src[i]);
    free(src);
    return ret;
}

/* ---- commit -------------------------------------------------------------- */

static int img_commit_cmd(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    const char *fmt = NULL, *base = NULL;
    bool quiet = false, drop = false, prog_on = false;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hf:t:b:dpqr:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'b': base = optarg; drop = true; break;
        case 'd': drop = true; break;
        case 'p': prog_on = true; break;
        case 'q': quiet = true; break;
        case 't': case 'r': break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("commit: invalid option"); return 1;
        }
    }
    if (optind != argc - 1) {
        die_usage("Expecting one image file name");
        return 1;
    }
    const char *path = argv[optind];
    /* Claim the top image, then read it through an unlocked view of its
     * chain while the base is open for writing. */
    struct blk *top_rw = open_image(path, fmt, true, false, true);
    if (!top_rw)
        return 1;
    struct blk *top = open_image(path, fmt, false, true, false);
    if (!top) {
        blk_close(top_rw);
        return 1;
    }
    if (!blk_backing(top)) {
        errorf("Image does not have a backing file");
        blk_close(top);
        blk_close(top_rw);
        return 1;
    }
    struct blk_info *info = malloc(sizeof *info);
    char base_path[4096] = "", base_fmt[16] = "";
    int ret = 1;
    if (!info)
        goto out;
    if (base) {
        /* Find it in the chain as qemu-img does: the name as an image records
         * its backing file, or resolved against that image's directory; then,
         * as a convenience, relative to the current directory. */
        struct stat want, st;
        bool cwd_ok = stat(base, &want) == 0;
        for (int pass = 0; pass < 2 && !base_path[0]; pass++) {
            for (struct blk *parent = top, *b = blk_backing(top); b;
                 parent = b, b = blk_backing(b)) {
                blk_get_info(parent, info);
                char rel[4096];
                resolve_relative(info->filename, base, rel, sizeof rel);
                bool named = !strcmp(base, info->backing_file);
                struct stat rst;
                bool by_dir = stat(rel, &rst) == 0;
                blk_get_info(b, info);
                if (stat(info->filename, &st) < 0)
                    continue;
                bool match = pass == 0
                    ? named || (by_dir && st.st_dev == rst.st_dev && st.st_ino == rst.st_ino)
                    : cwd_ok && st.st_dev == want.st_dev && st.st_ino == want.st_ino;
                if (match) {
                    snprintf(base_path, sizeof base_path, "%s", info->filename);
                    snprintf(base_fmt, sizeof base_fmt, "%s", info->format);
                    break;
                }
            }
        }
        if (!base_path[0]) {
            errorf("Did not find '%s' in the backing chain of '%s'", base, path);
            goto out;
        }
    } else {
        blk_get_info(blk_backing(top), info);
        snprintf(base_path, sizeof base_path, "%s", info->filename);
        snprintf(base_fmt, sizeof base_fmt, "%s", info->format);
    }
    struct blk *base_rw = open_image(base_path, base_fmt, true, false, true);
    if (!base_rw)
        goto out;
    char err[BLK_ERR_LEN] = "";
    struct progress_state ps = { .last = -1, .tty = isatty(STDOUT_FILENO) };
    struct img_progress pr = { prog_on && !quiet ? show_progress : NULL, &ps };
    int r = img_commit(top, base_rw, &pr, err);
    if (prog_on && !quiet)
        end_progress(&ps);
    int rc = blk_close(base_rw);
    if (r < 0 || rc < 0) {
        errorf("%s", *err ? err : strerror(-(r < 0 ? r : rc)));
        goto out;
    }
    if (!drop) {
        r = blk_make_empty(top_rw);
        if (r < 0 && r != -ENOTSUP) {
            errorf("Could not empty %s: %s", path, strerror(-r));
            goto out;
        }
    }
    if (!quiet)
        printf("Image committed.\n");
    ret = 0;
out:
    free(info);
    blk_close(top);
    blk_close(top_rw);
    return ret;
}

/* ---- rebase --------------------------------------------------------------- */

static int img_rebase_cmd(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 } };
    const char *fmt = NULL, *bfile = NULL, *bfmt = NULL;
    bool quiet = false, unsafe = false, prog_on = false, share = false;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hf:F:b:upt:T:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'F': bfmt = optarg; break;
        case 'b': bfile = optarg; break;
        case 'u': unsafe = true; break;
        case 'p': prog_on = true; break;
        case 'q': quiet = true; break;
        case 'U': share = true; break;
        case 't': case 'T': break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("rebase: invalid option"); return 1;
        }
    }
    if (optind != argc - 1) {
        die_usage("Expecting one image file name");
        return 1;
    }
    if (!bfile) {
        errorf("Must specify backing file (-b) or use '-b \"\"' to remove it");
        return 1;
    }
    (void)share;
    const char *path = argv[optind];
    struct blk *img = open_image(path, fmt, true, false, unsafe);
    if (!img)
        return 1;
    int ret = 1;
    char err[BLK_ERR_LEN] = "";
    char fmtbuf[16] = "";
    struct blk *nb = NULL;
    if (*bfile) {
        /* Open the new backing (relative to the image) to check it and to
         * learn its format. */
        char bpath[4096];
        resolve_relative(path, bfile, bpath, sizeof bpath);
        struct blk_open_opts bo = { .format = bfmt, .read_only = true };
        if (blk_open(&nb, bpath, &bo, err) < 0) {
            if (!unsafe) {
                errorf("Could not open new backing file '%s': %s", bpath, err);
                goto out;
            }
            nb = NULL;
        }
        if (nb && !bfmt) {
            struct blk_info *info = malloc(sizeof *info);
            if (info) {
                blk_get_info(nb, info);
                snprintf(fmtbuf, sizeof fmtbuf, "%s", info->format);
                bfmt = fmtbuf;
                free(info);
            }
        }
    }
    if (!unsafe) {
        struct progress_state ps = { .last = -1, .tty = isatty(STDOUT_FILENO) };
        struct img_progress pr = { prog_on && !quiet ? show_progress : NULL, &ps };
        int r = img_rebase_copy(img, nb, &pr, err);
        if (prog_on && !quiet)
            end_progress(&ps);
        if (r < 0) {
            errorf("%s", err);
            goto out;
        }
    }
    if (blk_set_backing(img, bfile, bfmt, err) < 0) {
        errorf("Could not change the backing file to '%s': %s", bfile, err);
        goto out;
    }
    ret = 0;
out:
    if (nb)
        blk_close(nb);
    blk_close(img);
    return ret;
}

/* ---- resize ---------------------------------------------------------------- */

static int img_resize_cmd(int argc, char **argv)
{
    enum { OPT_SHRINK = 256, OPT_PREALLOC };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { "shrink", no_argument, NULL, OPT_SHRINK },
        { "preallocation", required_argument, NULL, OPT_PREALLOC }, { NULL, 0, NULL, 0 } };
    const char *fmt = NULL;
    bool quiet = false, shrink = false;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    /* As qemu-img does, the size is always the last argument, taken before
     * option parsing so that a size like "-1G" is not read as an option. */
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(img_usage, stdout);
            return 0;
        }
    if (argc < 3) {
        die_usage("Expecting image file name and size");
        return 1;
    }
    const char *sz = argv[--argc];
    while ((c = getopt_long(argc, argv, "hf:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case OPT_SHRINK: shrink = true; break;
        case OPT_PREALLOC:
            if (strcmp(optarg, "off")) {
                errorf("preallocation=%s is not supported by resize", optarg);
                return 1;
            }
            break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("resize: invalid option"); return 1;
        }
    }
    if (optind != argc - 1) {
        die_usage("Expecting image file name and size");
        return 1;
    }
    const char *path = argv[optind];
    int rel = 0;
    if (*sz == '+' || *sz == '-')
        rel = *sz++ == '+' ? 1 : -1;
    uint64_t n;
    if (blk_parse_size(sz, &n) < 0) {
        errorf("Invalid image size specified. You may use k, M, G, T, P or E suffixes for "
               "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        return 1;
    }
    struct blk *b = open_image(path, fmt, true, false, false);
    if (!b)
        return 1;
    uint64_t cur = blk_size(b), want = n;
    if (rel > 0)
        want = cur + n;
    else if (rel < 0) {
        if (n > cur) {
            errorf("New image size must be positive");
            blk_close(b);
            return 1;
        }
        want = cur - n;
    }
    int ret = 1;
    if (want < cur && !shrink) {
        errorf("Use the --shrink option to perform a shrink operation.");
        goto out;
    }
    if (want < cur && !quiet)
        fprintf(stderr, "%s: warning: Shrinking an image will delete all data beyond the "
                "shrunken image's end. Before performing such an operation, make sure "
                "there is no important data there.\n", prog);
    int r = blk_resize(b, want);
    if (r < 0) {
        errorf("Error resizing image: %s%s%s", strerror(-r), *blk_last_error(b) ? ": " : "",
               blk_last_error(b));
        goto out;
    }
    if (!quiet)
        printf("Image resized.\n");
    ret = 0;
out:
    if (blk_close(b) < 0 && ret == 0) {
        errorf("error while flushing '%s'", path);
        ret = 1;
    }
    return ret;
}

/* ---- map ---------------------------------------------------------------- */

struct map_entry { uint64_t start, length, offset; unsigned flags; int depth; const char *file; };

static bool map_mergeable(const struct map_entry *a, const struct map_entry *b)
{
    if (a->flags != b->flags || a->depth != b->depth || a->start + a->length != b->start)
        return false;
    if ((a->flags & BLK_EXT_OFFSET) &&
        (a->offset + a->length != b->offset || strcmp(a->file, b->file)))
        return false;
    return true;
}

static int map_print(const struct map_entry *e, bool json, bool first)
{
    bool present = e->flags & BLK_EXT_ALLOCATED;
    bool data = e->flags & BLK_EXT_DATA, zero = e->flags & BLK_EXT_ZERO;
    if (json) {
        printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %d, "
               "\"present\": %s, \"zero\": %s, \"data\": %s", first ? "[" : ",\n",
               e->start, e->length, e->depth, present ? "true" : "false",
               zero ? "true" : "false", data ? "true" : "false");
        if (e->flags & BLK_EXT_OFFSET)
            printf(", \"offset\": %" PRIu64, e->offset);
        printf("}");
    } else if (data && (e->flags & BLK_EXT_OFFSET)) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", e->start, e->length,
               e->offset, e->file);
    } else if (data) {
        /* The human format has no way to show data without a file offset;
         * qemu-img fails the same way rather than leave the range out. */
        errorf("File contains external, encrypted or compressed clusters.");
        return -1;
    }
    return 0;
}

static int img_map_cmd(int argc, char **argv)
{
    enum { OPT_OUTPUT = 256, OPT_START, OPT_MAXLEN };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "start-offset", required_argument, NULL, OPT_START },
        { "max-length", required_argument, NULL, OPT_MAXLEN },
        { "force-share", no_argument, NULL, 'U' }, { NULL, 0, NULL, 0 } };
    const char *fmt = NULL, *output = "human";
    bool share = false;
    uint64_t start = 0, maxlen = UINT64_MAX;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hf:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': share = true; break;
        case OPT_OUTPUT: output = optarg; break;
        case OPT_START:
            if (blk_parse_size(optarg, &start) < 0) {
                errorf("Invalid start offset specified! You may use k, M, G, T, P or E "
                       "suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes "
                       "and exabytes.");
                return 1;
            }
            break;
        case OPT_MAXLEN:
            if (blk_parse_size(optarg, &maxlen) < 0) {
                errorf("Invalid max length specified! You may use k, M, G, T, P or E "
                       "suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes "
                       "and exabytes.");
                return 1;
            }
            break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("map: invalid option"); return 1;
        }
    }
    bool json = !strcmp(output, "json");
    if (!json && strcmp(output, "human")) {
        errorf("--output must be used with human or json as argument.");
        return 1;
    }
    if (optind != argc - 1) {
        die_usage("Expecting one image file name");
        return 1;
    }
    struct blk *b = open_image(argv[optind], fmt, false, share, false);
    if (!b)
        return 1;
    uint64_t size = blk_size(b), end = size, asked_start = start;
    if (start > size)
        start = size;
    if (maxlen < end - start)
        end = start + maxlen;
    if (!json)
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    struct map_entry cur = { 0 };
    bool have = false, first = true;
    int ret = 0;
    for (uint64_t off = start; off < end;) {
        struct blk_extent e;
        int r = blk_map(b, off, end - off, &e);
        if (r < 0) {
            errorf("Could not read the map of '%s': %s", argv[optind], strerror(-r));
            ret = 1;
            break;
        }
        struct map_entry n = { off, e.length, e.host_offset,
                               e.flags & (BLK_EXT_DATA | BLK_EXT_ZERO | BLK_EXT_ALLOCATED |
                                          BLK_EXT_OFFSET), e.depth, e.file ? e.file : "" };
        if (have && map_mergeable(&cur, &n)) {
            cur.length += n.length;
        } else {
            if (have) {
                if (map_print(&cur, json, first) < 0) {
                    ret = 1;
                    have = false;
                    break;
                }
                first = false;
            }
            cur = n;
            have = true;
        }
        off += e.length;
    }
    if (have) {
        if (map_print(&cur, json, first) < 0)
            ret = 1;
        first = false;
    }
    if (!have && !ret) {
        /* An empty range: qemu-img still prints one zero-length entry. */
        struct map_entry none = { .start = asked_start, .file = "" };
        map_print(&none, json, first);
        first = false;
    }
    if (json)
        printf(first ? "[]\n" : "]\n");
    blk_close(b);
    return ret;
}

/* ---- compare ------------------------------------------------------------- */

static int img_compare_cmd(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 } };
    const char *f1 = NULL, *f2 = NULL;
    bool quiet = false, strict = false, prog_on = false, share = false;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hf:F:T:pqsU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': f1 = optarg; break;
        case 'F': f2 = optarg; break;
        case 'p': prog_on = true; break;
        case 'q': quiet = true; break;
        case 's': strict = true; break;
        case 'U': share = true; break;
        case 'T': break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("compare: invalid option"); return 2;
        }
    }
    if (argc - optind != 2) {
        die_usage("Expecting two image file names");
        return 2;
    }
    if (!f2)
        f2 = f1;
    struct blk *a = open_image(argv[optind], f1, false, share, false);
    if (!a)
        return 2;
    struct blk *b = open_image(argv[optind + 1], f2, false, share, false);
    if (!b) {
        blk_close(a);
        return 2;
    }
    uint64_t where = 0;
    struct progress_state ps = { .last = -1, .tty = isatty(STDOUT_FILENO) };
    struct img_progress pr = { prog_on && !quiet ? show_progress : NULL, &ps };
    int r = img_compare(a, b, strict, &where, &pr);
    if (prog_on && !quiet)
        end_progress(&ps);
    int ret;
    if (r < 0) {
        errorf("Error while comparing: %s", strerror(-r));
        ret = 2;
    } else if (r == 0) {
        if (!quiet)
            printf("Images are identical.\n");
        ret = 0;
    } else {
        if (!quiet) {
            if (strict && blk_size(a) != blk_size(b))
                printf("Strict mode: Image size mismatch!\n");
            else
                printf("Content mismatch at offset %" PRIu64 "!\n", where);
        }
        ret = 1;
    }
    blk_close(a);
    blk_close(b);
    return ret;
}

/* ---- from-dir ---------------------------------------------------------- */

/* Bytes (rounded to 4 KiB blocks) and entries under dir. */
static int measure_dir(const char *dir, uint64_t *bytes, uint64_t *entries)
{
    char *paths[] = { (char *)dir, NULL };
    FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
    if (!fts)
        return -errno;
    *bytes = *entries = 0;
    FTSENT *e;
    while ((e = fts_read(fts))) {
        if (e->fts_info == FTS_DP)
            continue;
        if (e->fts_info == FTS_ERR || e->fts_info == FTS_DNR) {
            int r = -e->fts_errno;
            fts_close(fts);
            return r;
        }
        if (e->fts_statp)
            *bytes += ((uint64_t)e->fts_statp->st_size + 4095) & ~(uint64_t)4095;
        (*entries)++;
    }
    fts_close(fts);
    return 0;
}

static int run_mke2fs(char **args)
{
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        const char *paths[] = { "/sbin/mke2fs", "/usr/sbin/mke2fs", NULL };
        for (int i = 0; paths[i]; i++)
            execv(paths[i], args);
        execvp("mke2fs", args);
        fprintf(stderr, "%s: cannot run mke2fs (install e2fsprogs): %s\n", prog,
                strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int img_from_dir(int argc, char **argv)
{
    enum { OPT_SIZE = 256 };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' }, { "size", required_argument, NULL, OPT_SIZE },
        { "label", required_argument, NULL, 'L' }, { NULL, 0, NULL, 0 } };
    const char *ofmt = "raw", *label = NULL;
    struct create_params p;
    memset(&p, 0, sizeof p);
    bool quiet = false, have_size = false, compress = false;
    uint64_t size = 0;
    int c;
    optind = 0; /* full getopt reinit: commands may run twice in one process */
    while ((c = getopt_long(argc, argv, "hqf:O:o:L:c", longopts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'f': case 'O': ofmt = optarg; break;
        case 'c': compress = true; break;
        case 'L': label = optarg; break;
        case 'o': {
            snprintf(p.fmt, sizeof p.fmt, "%s", ofmt);
            int r = parse_options(optarg, &p);
            if (r == 1) {
                print_option_help(ofmt);
                return 0;
            }
            if (r < 0)
                return 1;
            break;
        }
        case OPT_SIZE:
            if (blk_parse_size(optarg, &size) < 0) {
                errorf("Invalid size '%s'", optarg);
                return 1;
            }
            have_size = true;
            break;
        case 'h': fputs(img_usage, stdout); return 0;
        default: die_usage("from-dir: invalid option"); return 1;
        }
    }
    if (argc - optind != 2) {
        die_usage("Expecting a directory and an output image name");
        return 1;
    }
    const char *dir = argv[optind], *out = argv[optind + 1];
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        errorf("'%s' is not a directory", dir);
        return 1;
    }
    if (!have_size && p.have_size) {
        size = p.o.size;
        have_size = true;
    }
    if (!have_size) {
        /* Content plus room for metadata and growth: 1.25x + inodes + 64 MiB. */
        uint64_t bytes = 0, entries = 0;
        int r = measure_dir(dir, &bytes, &entries);
        if (r < 0) {
            errorf("Cannot read '%s': %s", dir, strerror(-r));
            return 1;
        }
        size = bytes + bytes / 4 + entries * 512 + (64u << 20);
    }
    size = (size + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
    if (size < (8u << 20))
        size = 8u << 20;

    /* Build the file system into a raw file next to the output, then
     * convert it (sparse-aware) unless raw is what was asked for. */
    bool raw = !strcmp(ofmt, "raw");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.from-dir-%d.raw", out, (int)getpid());
    const char *fsfile = raw ? out : tmp;
    int fd = open(fsfile, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        errorf("Cannot create '%s': %s", fsfile, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    char *args[16];
    int n = 0;
    args[n++] = "mke2fs";
    args[n++] = "-q";
    args[n++] = "-F";
    args[n++] = "-t";
    args[n++] = "ext4";
    args[n++] = "-d";
    args[n++] = (char *)dir;
    if (label) {
        args[n++] = "-L";
        args[n++] = (char *)label;
    }
    args[n++] = (char *)fsfile;
    args[n] = NULL;
    if (!quiet)
        printf("Creating ext4 file system (%" PRIu64 " MiB) from '%s'\n", size >> 20, dir);
    fflush(stdout);
    if (run_mke2fs(args) < 0) {
        errorf("mke2fs failed to build a file system from '%s'", dir);
        unlink(fsfile);
        return 1;
    }
    if (raw) {
        if (!quiet)
            printf("Image '%s' created (raw).\n", out);
        return 0;
    }
    /* Convert to the requested format. */
    char *cargv[16];
    int cn = 0;
    cargv[cn++] = "convert";
    cargv[cn++] = "-q";
    cargv[cn++] = "-f";
    cargv[cn++] = "raw";
    cargv[cn++] = "-O";
    cargv[cn++] = (char *)ofmt;
    char opts[256] = "";
    if (p.o.cluster_size || p.o.compression || p.o.compat || p.o.chunk_size ||
        p.o.refcount_bits) {
        int w = 0;
        if (p.o.cluster_size)
            w += snprintf(opts + w, sizeof opts - (size_t)w, "cluster_size=%u,", p.o.cluster_size);
        if (p.o.compression == BLK_COMPRESS_ZSTD)
            w += snprintf(opts + w, sizeof opts - (size_t)w, "compression_type=zstd,");
        if (p.o.compat)
            w += snprintf(opts + w, sizeof opts - (size_t)w, "compat=%s,",
                          p.o.compat == 2 ? "0.10" : "1.1");
        if (p.o.refcount_bits)
            w += snprintf(opts + w, sizeof opts - (size_t)w, "refcount_bits=%d,",
                          p.o.refcount_bits);
        if (p.o.chunk_size)
            w += snprintf(opts + w, sizeof opts - (size_t)w, "chunk_size=%" PRIu64 ",",
                          p.o.chunk_size);
        if (w > 0)
            opts[w - 1] = 0;
        cargv[cn++] = "-o";
        cargv[cn++] = opts;
    }
    if (compress)
        cargv[cn++] = "-c";
    cargv[cn++] = tmp;
    cargv[cn++] = (char *)out;
    cargv[cn] = NULL;
    int r = img_convert_cmd(cn, cargv);
    unlink(tmp);
    if (r == 0 && !quiet)
        printf("Image '%s' created (%s).\n", out, ofmt);
    return r;
}

/* ---- dispatch ------------------------------------------------------------ */

/* qemu-img options that need QEMU's object model or block-option syntax:
 * refused by name, so a script learns why rather than "invalid option". */
static bool refuse_unsupported(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--object") || !strncmp(argv[i], "--object=", 9)) {
            errorf("%s: --object is not supported (Vessel has no secrets, TLS or "
                   "encryption objects)", argv[0]);
            return true;
        }
        if (!strcmp(argv[i], "--image-opts") || !strcmp(argv[i], "--target-image-opts")) {
            errorf("%s: %s is not supported; give a plain file name (and -f/-O FMT)",
                   argv[0], argv[i]);
            return true;
        }
    }
    return false;
}

static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
    { "create", img_create }, { "info", img_info }, { "check", img_check },
    { "convert", img_convert_cmd }, { "commit", img_commit_cmd },
    { "rebase", img_rebase_cmd }, { "resize", img_resize_cmd }, { "map", img_map_cmd },
    { "compare", img_compare_cmd }, { "from-dir", img_from_dir },
};

int cmd_img(int argc, char **argv)
{
    if (argc < 2) {
        fputs(img_usage, stderr);
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(img_usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("vessel img (qemu-img compatible command line)\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmds[i].name, cmd)) {
            if (refuse_unsupported(argc - 1, argv + 1))
                return strcmp(cmd, "compare") ? 1 : 2;
            return cmds[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "%s: Command not found: %s\n\n%s", prog, cmd, img_usage);
    return 1;
}
