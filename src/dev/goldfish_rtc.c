/*
 * goldfish_rtc.c — guest time = host wall clock + offset.  Reading
 * TIME_LOW latches TIME_HIGH; writing TIME_HIGH then TIME_LOW sets the
 * clock; likewise ALARM_HIGH then ALARM_LOW arms the alarm.
 */
#include <pthread.h>
#include <stdlib.h>
#include "dev/goldfish_rtc.h"

enum {
    RTC_TIME_LOW = 0x00, RTC_TIME_HIGH = 0x04,
    RTC_ALARM_LOW = 0x08, RTC_ALARM_HIGH = 0x0c,
    RTC_IRQ_ENABLED = 0x10, RTC_CLEAR_ALARM = 0x14,
    RTC_ALARM_STATUS = 0x18, RTC_CLEAR_INTERRUPT = 0x1c,
};

struct goldfish_rtc {
    pthread_mutex_t lock;
    struct goldfish_rtc_backend be;
    int64_t offset;            /* guest ns - host ns */
    uint32_t time_high_latch;  /* read side */
    uint32_t time_high_set;    /* write side */
    uint32_t alarm_high;
    uint64_t alarm;            /* guest ns */
    bool alarm_running, irq_enabled, irq_pending;
};

static uint64_t guest_now(struct goldfish_rtc *r)
{
    return r->be.host_now_ns(r->be.opaque) + (uint64_t)r->offset;
}

static void update_irq(struct goldfish_rtc *r)
{
    if (r->be.irq)
        r->be.irq(r->be.opaque, r->irq_pending && r->irq_enabled);
}

/* Fire the alarm if due, else (re)arm the host timer. Lock held. */
static void check_alarm(struct goldfish_rtc *r)
{
    if (!r->alarm_running)
        return;
    uint64_t now = guest_now(r);
    if (now >= r->alarm) {
        r->alarm_running = false;
        r->irq_pending = true;
        update_irq(r);
        if (r->be.arm_timer)
            r->be.arm_timer(r->be.opaque, 0);
    } else if (r->be.arm_timer) {
        r->be.arm_timer(r->be.opaque, r->alarm - (uint64_t)r->offset);
    }
}

static bool rtc_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    struct goldfish_rtc *r = dev;
    if (size != 4)
        return false;
    bool ok = true;
    pthread_mutex_lock(&r->lock);
    switch (off) {
    case RTC_TIME_LOW: {
        uint64_t now = guest_now(r);
        r->time_high_latch = (uint32_t)(now >> 32);
        *val = (uint32_t)now;
        break;
    }
    case RTC_TIME_HIGH:    *val = r->time_high_latch; break;
    case RTC_ALARM_LOW:    *val = (uint32_t)r->alarm; break;
    case RTC_ALARM_HIGH:   *val = (uint32_t)(r->alarm >> 32); break;
    case RTC_IRQ_ENABLED:  *val = r->irq_enabled; break;
    case RTC_ALARM_STATUS: *val = r->alarm_running; break;
    case RTC_CLEAR_ALARM: case RTC_CLEAR_INTERRUPT: *val = 0; break;
    default: ok = false;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static bool rtc_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    struct goldfish_rtc *r = dev;
    if (size != 4)
        return false;
    uint32_t v = (uint32_t)val;
    bool ok = true;
    pthread_mutex_lock(&r->lock);
    switch (off) {
    case RTC_TIME_HIGH: r->time_high_set = v; break;
    case RTC_TIME_LOW: {
        uint64_t t = (uint64_t)r->time_high_set << 32 | v;
        r->offset = (int64_t)(t - r->be.host_now_ns(r->be.opaque));
        check_alarm(r);
        break;
    }
    case RTC_ALARM_HIGH: r->alarm_high = v; break;
    case RTC_ALARM_LOW:
        r->alarm = (uint64_t)r->alarm_high << 32 | v;
        r->alarm_running = true;
        check_alarm(r);
        break;
    case RTC_IRQ_ENABLED:
        r->irq_enabled = v & 1;
        update_irq(r);
        break;
    case RTC_CLEAR_ALARM:
        r->alarm_running = false;
        if (r->be.arm_timer)
            r->be.arm_timer(r->be.opaque, 0);
        break;
    case RTC_CLEAR_INTERRUPT:
        r->irq_pending = false;
        update_irq(r);
        break;
    case RTC_ALARM_STATUS: break;   /* read-only */
    default: ok = false;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

void goldfish_rtc_alarm_check(struct goldfish_rtc *r)
{
    pthread_mutex_lock(&r->lock);
    check_alarm(r);
    pthread_mutex_unlock(&r->lock);
}

static void rtc_reset(void *dev)
{
    struct goldfish_rtc *r = dev;
    pthread_mutex_lock(&r->lock);
    r->alarm_running = r->irq_enabled = r->irq_pending = false;
    update_irq(r);
    if (r->be.arm_timer)
        r->be.arm_timer(r->be.opaque, 0);
    pthread_mutex_unlock(&r->lock);
}

static void rtc_destroy(void *dev)
{
    struct goldfish_rtc *r = dev;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

const struct dev_ops goldfish_rtc_ops = {
    .name = "goldfish-rtc",
    .read = rtc_read,
    .write = rtc_write,
    .reset = rtc_reset,
    .destroy = rtc_destroy,
};

struct goldfish_rtc *goldfish_rtc_new(const struct goldfish_rtc_backend *backend)
{
    struct goldfish_rtc *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->be = *backend;
    return r;
}
