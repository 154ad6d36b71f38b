/*
 * Signal names as administrators write them, and the set flagman handles.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "signals.h"

static const struct {
	const char *name;
	int signo;
} names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

// Parses "+n"/"-n" after RTMIN/RTMAX; the whole rest must be consumed.
static bool parse_offset(const char *s, int sign_required, int *off)
{
	char *end;
	long v;

	if (*s == '\0') {
		*off = 0;
		return true;
	}
	if (*s != sign_required || !isdigit((unsigned char)s[1])) {
		return false;
	}
	v = strtol(s + 1, &end, 10);
	if (*end != '\0' || v > SIGRTMAX - SIGRTMIN) {
		return false;
	}
	*off = (int)v;
	return true;
}

int fm_signal_parse(const char *name)
{
	int off;

	if (strncasecmp(name, "SIG", 3) == 0) {
		name += 3;
	}
	if (isdigit((unsigned char)name[0])) {
		char *end;
		long v = strtol(name, &end, 10);
		return (*end == '\0' && v > 0 && v <= SIGRTMAX) ? (int)v : 0;
	}
	// The first letter rules out most names without a full comparison.
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((name[0] & ~0x20) == names[i].name[0] &&
				strcasecmp(name, names[i].name) == 0) {
			return names[i].signo;
		}
	}
	if (strncasecmp(name, "RTMIN", 5) == 0 &&
			parse_offset(name + 5, '+', &off)) {
		return SIGRTMIN + off;
	}
	if (strncasecmp(name, "RTMAX", 5) == 0 &&
			parse_offset(name + 5, '-', &off)) {
		return SIGRTMAX - off;
	}
	return 0;
}

const char *fm_signal_name(int signo, char *buf)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].signo == signo) {
			return names[i].name;
		}
	}
	if (signo == SIGRTMIN) {
		return "RTMIN";
	}
	if (signo == SIGRTMAX) {
		return "RTMAX";
	}
	if (signo > SIGRTMIN && signo < SIGRTMAX) {
		// Name the nearer end, as kill -l does.
		if (signo - SIGRTMIN <= SIGRTMAX - signo) {
			snprintf(buf, FM_SIGNAME_MAX, "RTMIN+%d", signo - SIGRTMIN);
		} else {
			snprintf(buf, FM_SIGNAME_MAX, "RTMAX-%d", SIGRTMAX - signo);
		}
		return buf;
	}
	snprintf(buf, FM_SIGNAME_MAX, "%d", signo);
	return buf;
}

bool fm_signal_is_trigger(int signo)
{
	return signo == SIGHUP || signo == SIGUSR1 || signo == SIGUSR2 ||
		signo == SIGWINCH || (signo >= SIGRTMIN && signo <= SIGRTMAX);
}

void fm_signal_handled_set(sigset_t *set)
{
	sigemptyset(set);
	for (int s = 1; s <= SIGRTMAX; s++) {
		if (fm_signal_is_trigger(s)) {
			sigaddset(set, s);
		}
	}
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
}
