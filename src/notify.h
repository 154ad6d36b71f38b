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
/* A message such as READY=1: sends a waiting STATUS= first. */
void fm_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * STATUS=text, unless the manager has it already; at most one a
 * FM_NOTIFY_STATUS_MS.  Returns 0, or when to call fm_notify_status_flush()
 * to send a text that had to wait (CLOCK_MONOTONIC ms; only the newest
 * waits).  fm_notify_status_flush() returns the same.
 */
#define FM_NOTIFY_STATUS_MS 100
uint64_t fm_notify_status(const char *text);
uint64_t fm_notify_status_flush(void);
/* The next STATUS= is sent even if its text is the last one sent (after a
 * reload, whose outcome the manager must see). */
void fm_notify_status_forget(void);
/* Watchdog interval in ms (half of WATCHDOG_USEC), 0 when disabled. */
uint64_t fm_notify_watchdog_ms(void);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t fm_now_ms(void);
/*
 * Pacing at most one a interval ms (STATUS=, the status file): after one
 * at last (0: none yet), 0 when the next may go at now, else the time it
 * may go, for a timer.
 */
uint64_t fm_pace(uint64_t last, uint64_t interval, uint64_t now);

#endif
