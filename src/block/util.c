/* util.c — size parsing and printing in qemu-img's conventions. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block/block.h"

int blk_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return -EINVAL;
    char *end;
    errno = 0;
    /* Hexadecimal ("0x10k") as qemu-img takes it, without a fraction. */
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const char *digits = hex ? s + 2 : s;
    unsigned long long whole = strtoull(digits, &end, hex ? 16 : 10);
    if (end == digits || errno || (hex && !isxdigit((unsigned char)*digits)))
        return errno == ERANGE ? -ERANGE : -EINVAL;
    double frac = 0;
    if (*end == '.' && !hex) {
        char *fend;
        frac = strtod(end, &fend);       /* ".5" */
        if (fend == end + 1)
            return -EINVAL;
        end = fend;
    }
    unsigned shift = 0;
    switch (tolower((unsigned char)*end)) {
    case 0:   break;
    case 'b': shift = 0;  end++; break;
    case 'k': shift = 10; end++; break;
    case 'm': shift = 20; end++; break;
    case 'g': shift = 30; end++; break;
    case 't': shift = 40; end++; break;
    case 'p': shift = 50; end++; break;
    case 'e': shift = 60; end++; break;
    default:  return -EINVAL;
    }
    if (*end)
        return -EINVAL;
    if (frac != 0 && shift == 0)
        return -EINVAL;                  /* fractional bytes */
    if (shift && whole > (UINT64_MAX >> shift))
        return -ERANGE;
    uint64_t v = (uint64_t)whole << shift;
    double f = frac * (double)(1ull << shift);
    if (f >= 18446744073709551615.0 - (double)v)
        return -ERANGE;
    v += (uint64_t)f;
    *out = v;
    return 0;
}

void blk_format_size(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    int i = 0;
    /* Switch unit at 1000 of the smaller one, so 1000 KiB is "0.977 MiB". */
    double d = (double)v;
    while (i < 6 && d >= 1000.0) {
        d /= 1024.0;
        i++;
    }
    char num[32];
    snprintf(num, sizeof num, "%0.3g", d);
    snprintf(buf, len, "%s %s", num, units[i]);
}
