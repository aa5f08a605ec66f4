/* Capabilities (see caps.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <sys/capability.h>
#include "container/caps.h"

int caps_last_cap(void)
{
    char buf[16];
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            int v = atoi(buf);
            if (v > 0 && v < 64)
                return v;
        }
    }
    return CAP_LAST_CAP;
}

uint64_t caps_bounding_now(void)
{
    /* One read of /proc/self/status instead of a prctl per capability. */
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            char *p = strstr(buf, "\nCapBnd:");
            if (p)
                return strtoull(p + 9, NULL, 16);
        }
    }
    uint64_t set = 0;
    for (int c = 0; c <= caps_last_cap(); c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            set |= 1ull << c;
    return set;
}

int caps_apply_bounding(uint64_t keep, uint64_t now, struct ctr_err *err)
{
    int last = caps_last_cap();
    for (int c = 0; c <= last; c++) {
        if ((keep & (1ull << c)) || !(now & (1ull << c)))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return ctr_fail_errno(err, "drop capability %d from the bounding set", c);
    }
    return 0;
}

int caps_apply(const uint64_t sets[CAPSET_COUNT], struct ctr_err *err)
{
    int last = caps_last_cap();
    cap_t caps = cap_init();
    if (!caps)
        return ctr_fail_errno(err, "cap_init");
    static const struct { int set; cap_flag_t flag; } map[] = {
        { CAPSET_EFFECTIVE, CAP_EFFECTIVE }, { CAPSET_PERMITTED, CAP_PERMITTED },
        { CAPSET_INHERITABLE, CAP_INHERITABLE },
    };
    for (size_t m = 0; m < 3; m++)
        for (int c = 0; c <= last; c++)
            if (sets[map[m].set] & (1ull << c)) {
                cap_value_t v = c;
                if (cap_set_flag(caps, map[m].flag, 1, &v, CAP_SET) < 0) {
                    cap_free(caps);
                    return ctr_fail_errno(err, "cap_set_flag");
                }
            }
    if (cap_set_proc(caps) < 0) {
        cap_free(caps);
        return ctr_fail_errno(err, "set process capabilities");
    }
    cap_free(caps);
    /* Ambient capabilities must also be permitted and inheritable. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return ctr_fail_errno(err, "clear ambient capabilities");
    for (int c = 0; c <= last; c++)
        if (sets[CAPSET_AMBIENT] & (1ull << c)) {
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
                return ctr_fail_errno(err, "raise ambient capability %d", c);
        }
    return 0;
}
