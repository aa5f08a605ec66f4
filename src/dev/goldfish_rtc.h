/*
 * goldfish_rtc.h — Google's goldfish real-time clock (QEMU virt, IRQ 11):
 * nanoseconds since the epoch, settable, with one alarm.
 */
#ifndef VESSEL_DEV_GOLDFISH_RTC_H
#define VESSEL_DEV_GOLDFISH_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include "dev/device.h"

#define GOLDFISH_RTC_MMIO_SIZE 0x1000

struct goldfish_rtc;

struct goldfish_rtc_backend {
    void *opaque;
    uint64_t (*host_now_ns)(void *opaque);     /* host wall clock, ns since epoch */
    void (*irq)(void *opaque, bool level);
    /* Call goldfish_rtc_alarm_check() once host_now_ns() reaches
     * host_deadline_ns (0: cancel).  May be NULL (alarms then fire only
     * when the guest looks). */
    void (*arm_timer)(void *opaque, uint64_t host_deadline_ns);
};

extern const struct dev_ops goldfish_rtc_ops;

struct goldfish_rtc *goldfish_rtc_new(const struct goldfish_rtc_backend *backend);
void goldfish_rtc_alarm_check(struct goldfish_rtc *rtc);

#endif
