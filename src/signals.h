/*
 * Signal names and numbers, and the signals flagman handles (signals.c).
 */
#ifndef FM_SIGNALS_H
#define FM_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Parses usr1, SIGUSR1, Hup, rtmin+2, RTMAX-1, 10... Returns 0 if unknown. */
int fm_signal_parse(const char *name);
/* "USR1", "RTMIN+2"; buf needs FM_SIGNAME_MAX bytes. */
#define FM_SIGNAME_MAX 12
const char *fm_signal_name(int signo, char *buf);
/* May signo start a chain (HUP, USR1, USR2, WINCH, RTMIN..RTMAX)? */
bool fm_signal_is_trigger(int signo);
/* Every signal flagman blocks: the triggers, TERM, INT and CHLD. */
void fm_signal_handled_set(sigset_t *set);

/* Signal sets of actions: bit signo-1; every trigger fits in 64 bits. */
typedef uint64_t fm_sigmask;
#define FM_SIGBIT(signo) ((fm_sigmask)1 << ((signo) - 1))

#endif
