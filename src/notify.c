/*
 * systemd notification: READY/RELOADING/STOPPING, STATUS and the watchdog.
 * Silent without NOTIFY_SOCKET or with --no-systemd.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "flagman.h"

static bool enabled;

void fm_notify_init(bool want)
{
	enabled = want && getenv("NOTIFY_SOCKET") != NULL;
}

bool fm_notify_enabled(void)
{
	return enabled;
}

void fm_notify(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int r;

	if (!enabled) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = sd_notify(0, msg);
	if (r < 0) {
		fm_log(FM_LOG_DEBUG, NULL, NULL, "sd_notify failed: %s",
			strerror(-r));
	}
}

uint64_t fm_notify_watchdog_ms(void)
{
	uint64_t usec = 0;

	if (!enabled || sd_watchdog_enabled(0, &usec) <= 0) {
		return 0;
	}
	return usec / 2000 ? usec / 2000 : 1;
}

uint64_t fm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
