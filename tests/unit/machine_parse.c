/* Unit test: device option strings, sizes, and the Linux Image header. */
#include <string.h>
#include "machine/devargs.h"
#include "machine/linux_image.h"
#include "machine/check.h"

static void test_sizes(void)
{
    uint64_t v;
    CHECK(parse_size("256M", &v) == 0); CHECK_EQ(v, 256ULL << 20);
    CHECK(parse_size("1G", &v) == 0);   CHECK_EQ(v, 1ULL << 30);
    CHECK(parse_size("2GiB", &v) == 0); CHECK_EQ(v, 2ULL << 30);
    CHECK(parse_size("64k", &v) == 0);  CHECK_EQ(v, 64ULL << 10);
    CHECK(parse_size("0x84000000", &v) == 0); CHECK_EQ(v, 0x84000000ULL);
    CHECK(parse_size("12345", &v) == 0); CHECK_EQ(v, 12345);
    CHECK(parse_size("", &v) < 0);
    CHECK(parse_size("-1", &v) < 0);
    CHECK(parse_size("12X", &v) < 0);
    CHECK(parse_size("M", &v) < 0);
    CHECK(parse_size("99999999999T", &v) < 0);      /* overflows */
    CHECK(parse_size("1M2", &v) < 0);
    bool b;
    CHECK(parse_bool("on", &b) == 0 && b);
    CHECK(parse_bool("No", &b) == 0 && !b);
    CHECK(parse_bool("maybe", &b) < 0);
}

static void test_devargs(void)
{
    static const char *const keys[] = { "", "file", "addr", NULL };
    struct devargs da;
    char err[128];
    CHECK(devargs_parse(&da, "disk.img,file=a.bin,addr=0x1000", keys, err, sizeof err) == 0);
    CHECK(strcmp(devargs_get(&da, ""), "disk.img") == 0);
    CHECK(strcmp(devargs_get(&da, "file"), "a.bin") == 0);
    CHECK(strcmp(devargs_get(&da, "addr"), "0x1000") == 0);
    CHECK(devargs_get(&da, "other") == NULL);
    devargs_free(&da);

    CHECK(devargs_parse(&da, "file=a,bogus=1", keys, err, sizeof err) < 0);
    CHECK(strstr(err, "bogus") != NULL);
    CHECK(devargs_parse(&da, "file=a,file=b", keys, err, sizeof err) < 0);
    CHECK(strstr(err, "twice") != NULL);
    CHECK(devargs_parse(&da, "file=a,loose", keys, err, sizeof err) < 0);
    static const char *const named_only[] = { "file", NULL };
    CHECK(devargs_parse(&da, "positional", named_only, err, sizeof err) < 0);
    CHECK(devargs_parse(&da, "", keys, err, sizeof err) == 0);
    CHECK_EQ(da.n, 0);
    devargs_free(&da);
}

static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static void test_image(void)
{
    uint8_t h[64] = { 0 };
    struct linux_image img;
    char err[256];
    put64(h + 8, 0x200000);
    put64(h + 16, 0x447000);
    h[32] = 2;
    memcpy(h + 48, "RISCV\0\0\0", 8);
    memcpy(h + 56, "RSC\x05", 4);
    CHECK(linux_image_parse(h, 64, 4142592, &img, err, sizeof err) == 0);
    CHECK_EQ(img.text_offset, 0x200000);
    CHECK_EQ(img.image_size, 0x447000);
    CHECK_EQ(img.version, 2);

    /* Only the new magic is enough; only the old one too. */
    memset(h + 48, 0, 8);
    CHECK(linux_image_parse(h, 64, 4142592, &img, err, sizeof err) == 0);
    memcpy(h + 48, "RISCV\0\0\0", 8);
    memset(h + 56, 0, 4);
    CHECK(linux_image_parse(h, 64, 4142592, &img, err, sizeof err) == 0);

    /* No magic at all: not an Image. */
    memset(h + 48, 0, 8);
    CHECK(linux_image_parse(h, 64, 4142592, &img, err, sizeof err) < 0);
    CHECK(strstr(err, "not a RISC-V Linux Image") != NULL);
    memcpy(h + 56, "RSC\x05", 4);

    /* Too short, big-endian, misaligned text_offset, image_size < file. */
    CHECK(linux_image_parse(h, 32, 32, &img, err, sizeof err) < 0);
    CHECK(strstr(err, "too short") != NULL);
    h[24] = 1;
    CHECK(linux_image_parse(h, 64, 4142592, &img, err, sizeof err) < 0);
    CHECK(strstr(err, "big-endian") != NULL);
    h[24] = 0;
    put64(h + 8, 0x200010);
    CHECK(linux_image_parse(h, 64, 4142592, &img, err, sizeof err) < 0);
    put64(h + 8, 0x200000);
    CHECK(linux_image_parse(h, 64, 0x500000, &img, err, sizeof err) < 0);
    CHECK(strstr(err, "image_size") != NULL);
    /* image_size 0 (old kernels): the file size. */
    put64(h + 16, 0);
    CHECK(linux_image_parse(h, 64, 4096, &img, err, sizeof err) == 0);
    CHECK_EQ(img.image_size, 4096);
}

int main(void)
{
    test_sizes();
    test_devargs();
    test_image();
    CHECK_DONE();
}
