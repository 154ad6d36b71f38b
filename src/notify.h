/*
 * systemd's notification protocol and the watchdog (notify.c), and the
 * monotonic clock everything times with.
 */
#ifndef FM_NOTIFY_H
#define FM_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

void fm_notify_init(bool enabled);
bool fm_notify_enabled(void);
void fm_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Watchdog interval in ms (half of WATCHDOG_USEC), 0 when disabled. */
uint64_t fm_notify_watchdog_ms(void);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t fm_now_ms(void);

#endif
