#!/usr/bin/env bash
# End-to-end test of the flagman package under a real systemd: boot Debian 12
# in systemd-nspawn, install the .deb, and drive flagman.service,
# flagman@.service and flagman-signal@.timer the way an administrator would.
#
#   tests/e2e/run.sh path/to/flagman_VERSION_ARCH.deb [FLAGMAN-DEV.deb PLUGIN.so]
#
# With the flagman-dev package and a plug-in (such as the build's
# tests/countdown.so), flagman-plugin(3)'s install line is tried too.
#
# Needs root, debootstrap, systemd-container and network access the first
# time (the root tree is cached in /var/cache/flagman-e2e).  The container is
# powered off and its cgroups removed whatever happens.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=container.sh
. "$here/container.sh"

(($# == 1 || $# == 3)) || die "usage: $0 FLAGMAN.deb [FLAGMAN-DEV.deb PLUGIN.so]"
for f in "$@"; do
	[[ -f $f ]] || die "$f: no such file"
done
deb=$(realpath "$1")
((EUID == 0)) || die "must run as root (debootstrap, systemd-nspawn)"
# What the container sees in /root/e2e.
shared=$(mktemp -d /tmp/flagman-e2e-files.XXXXXX)
cp "$deb" "$shared/flagman.deb"
cp "$here/../../debian/tests/service" "$shared/autopkgtest-service"
extra=
if (($# == 3)); then
	cp "$2" "$shared/flagman-dev.deb"
	cp "$3" "$shared/plugin.so"
	extra=pkg-config
fi

step() { log "-- $*"; }
fail() {
	log "FAIL: $*"
	log "---- journal of flagman units (last 40 lines):"
	ctr journalctl -u 'flagman*' --no-pager -n 40 >&2 ||
		ctr journalctl --no-pager -n 40 >&2 || true
	exit 1
}
expect() { # DESCRIPTION CMD...: CMD must succeed
	local what=$1
	shift
	"$@" || fail "$what"
}
quietly() { # DESCRIPTION CMD...: CMD must succeed; its output only if not
	local what=$1 out
	shift
	out=$("$@" 2>&1) || fail "$what: $out"
}
expect_eq() { # DESCRIPTION EXPECTED ACTUAL
	[[ $2 == "$3" ]] || fail "$1: expected '$2', got '$3'"
}

# The whole journal of a unit, as text.  (grep reads it all: with pipefail,
# an early "grep -q" would make journalctl's SIGPIPE fail the pipeline.)
journal() { ctr journalctl -u "$1" -o cat --no-pager; }
journal_has() { journal "$1" | grep -F -- "$2" >/dev/null; }
journal_count() { journal "$1" | grep -cF -- "$2" || true; }
journal_count_ge() { (($(journal_count "$1" "$2") >= $3)); }
# TEXT MATCH...: an entry matching every FIELD=VALUE says TEXT.
journal_match_has() {
	local text=$1
	shift
	ctr journalctl "$@" -o cat --no-pager | grep -F -- "$text" >/dev/null
}
is_active() { [[ $(ctr systemctl is-active "$1") == active ]]; }
has_run() { [[ $(prop "$1" ExecMainExitTimestampMonotonic) != 0 ]]; }
prop() { ctr systemctl show -p "$2" --value "$1"; }
status_has() { prop "$1" StatusText | grep -F -- "$2" >/dev/null; }
write_file() { # PATH CONTENT: inside the container, root-owned, mode 644
	printf '%s\n' "$2" | ctr sh -c "umask 022 && cat > '$1'"
}
usr1() { ctr systemctl kill --kill-whom=main -s SIGUSR1 "${1:-flagman}"; }

# The package's dependencies must be in the tree: there is no network inside.
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' |
	sed -e 's/[(|].*//' -e 's/[[:space:]]//g' | grep . | paste -sd' ' -)
# shellcheck disable=SC2086 # one package per word
tree_prepare $deps $extra
trap 'container_cleanup; rm -rf "$shared"' EXIT
trap 'exit 130' INT TERM

step "boot Debian $E2E_SUITE with systemd in a container"
container_boot "$shared"
failed_before=$(ctr systemctl list-units --failed --plain --no-legend | sort)

step "install the package: nothing enabled, started or failed"
quietly "dpkg -i" ctr dpkg -i /root/e2e/flagman.deb
expect_eq "flagman.service enablement" disabled \
	"$(ctr systemctl is-enabled flagman.service || true)"
expect_eq "flagman.service state" inactive \
	"$(ctr systemctl is-active flagman.service || true)"
expect_eq "failed units after installation" "$failed_before" \
	"$(ctr systemctl list-units --failed --plain --no-legend | sort)"

step "systemd-analyze verify: every unit, no output"
out=$(ctr systemd-analyze verify flagman.service flagman@demo.service \
	flagman-signal@USR1.service flagman-signal@USR1.timer 2>&1) ||
	fail "systemd-analyze verify failed: $out"
[[ -z $out ]] || fail "systemd-analyze verify printed: $out"

if [[ -n $extra ]]; then
	step "flagman-plugin(3)'s install line: flagman --list shows the plug-in"
	quietly "dpkg -i flagman-dev" ctr dpkg -i /root/e2e/flagman-dev.deb
	dir=$(ctr pkg-config --variable=plugindir flagman)
	expect "the package ships $dir" ctr test -d "$dir"
	# The line as the page has it, with NAME.so the plug-in's file.
	expect "install -m 644" ctr sh -c \
		'cd /root/e2e && install -m 644 plugin.so "$(pkg-config --variable=plugindir flagman)"'
	expect "a file in $dir" ctr test -f "$dir/plugin.so"
	ctr flagman --list | grep '^countdown ' >/dev/null ||
		fail "flagman --list does not show the plug-in: $(ctr flagman --list)"
	ctr rm "$dir/plugin.so"
	quietly "dpkg -r flagman-dev" ctr dpkg -r flagman-dev
fi

step "the shipped configuration binds nothing"
out=$(ctr flagman --check 2>&1) && fail "flagman --check accepted it"
[[ $out == "flagman: error: no actions are configured"* ]] ||
	fail "flagman --check on the shipped file said: $out"

step "the autopkgtest that needs a booted systemd (debian/tests/service)"
quietly "debian/tests/service" ctr sh /root/e2e/autopkgtest-service

step "configure a print chain (and exec, if built) and start flagman"
has_exec=no
if ctr flagman --list | grep '^exec ' >/dev/null; then
	has_exec=yes
fi
conf="[hello]
action = print
signal = usr1
message = hello from e2e

[once]
action = print_once
signal = usr1
message = first usr1 only"
if [[ $has_exec == yes ]]; then
	conf+="

[stamp]
action = exec
signal = usr1
command = /bin/sh -c 'echo \"stamp \$FLAGMAN_SIGNAL \$FLAGMAN_ACTION\" >&2; touch /run/e2e-stamp'
output = log
timeout = 30s

[sleeper]
action = exec
signal = usr2
command = /bin/sleep 600"
fi
write_file /etc/flagman.d/50-e2e.conf "$conf"
expect "flagman --check" ctr flagman --check
expect "systemctl start flagman" ctr systemctl start flagman
expect_eq "is-active after start" active "$(ctr systemctl is-active flagman)"
pid=$(prop flagman MainPID)
wait_for "STATUS=waiting for signals" 10 \
	status_has flagman "; waiting for signals" || fail "no start-up STATUS"

step "systemctl kill --kill-whom=main -s SIGUSR1 runs the chain"
expect "systemctl kill" usr1
wait_for "the print action's output" 10 \
	journal_has flagman "hello from e2e" || fail "print did not run"
wait_for "print_once's output" 10 \
	journal_has flagman "first usr1 only" || fail "print_once did not run"
# print_once closes itself: a warning tagged with its name and the signal.
wait_for "FLAGMAN_ACTION=once" 10 journal_match_has \
	"action closed: Only print once" FLAGMAN_ACTION=once FLAGMAN_SIGNAL=USR1 ||
	fail "journalctl FLAGMAN_ACTION=once found nothing"
if [[ $has_exec == yes ]]; then
	# Its standard error, logged at warning (4) with the action's fields.
	wait_for "the exec action's logged output" 30 journal_match_has \
		"stamp USR1 stamp" FLAGMAN_ACTION=stamp FLAGMAN_SIGNAL=USR1 \
		PRIORITY=4 ||
		fail "journalctl FLAGMAN_ACTION=stamp found no output"
	expect "the exec action's file" ctr test -e /run/e2e-stamp
fi
wait_for "STATUS=last: USR1 ok" 10 status_has flagman "last: USR1 ok" ||
	fail "STATUS not updated: $(prop flagman StatusText)"

step "a valid edit + systemctl reload takes effect"
write_file /etc/flagman.d/50-e2e.conf "${conf/hello from e2e/hello again}"
expect "systemctl reload" ctr systemctl reload flagman
wait_for "STATUS=reloaded" 10 status_has flagman "reloaded" ||
	fail "no reload in STATUS: $(prop flagman StatusText)"
expect_eq "MainPID after reload" "$pid" "$(prop flagman MainPID)"
expect "systemctl kill" usr1
wait_for "the edited message" 10 journal_has flagman "hello again" ||
	fail "the reload did not take effect"

step "an invalid edit: systemctl reload fails, the old configuration runs"
write_file /etc/flagman.d/60-broken.conf "[broken]
action = prnt
signal = usr2"
ctr systemctl reload flagman 2>/dev/null && fail "systemctl reload succeeded"
expect_eq "is-active after a failed reload" active \
	"$(ctr systemctl is-active flagman)"
expect_eq "MainPID after a failed reload" "$pid" "$(prop flagman MainPID)"
out=$(ctr systemctl status flagman --no-pager -n 20 2>&1 || true)
grep -qF "unknown action type 'prnt' (did you mean 'print'?)" <<<"$out" ||
	fail "systemctl status does not say why: $out"
n=$(journal_count flagman "hello again")
expect "systemctl kill" usr1
wait_for "the old configuration to run" 10 \
	journal_count_ge flagman "hello again" $((n + 1)) ||
	fail "the old configuration stopped running"
# Without the check, flagman itself refuses it and says so in STATUS.
expect "SIGHUP" ctr systemctl kill --kill-whom=main -s SIGHUP flagman
wait_for "STATUS=reload failed" 10 \
	status_has flagman "reload failed (1 error), running the old" ||
	fail "STATUS after a failed reload: $(prop flagman StatusText)"
expect_eq "is-active after SIGHUP" active "$(ctr systemctl is-active flagman)"
ctr rm /etc/flagman.d/60-broken.conf

step "the timer signals the main process"
ctr mkdir -p /etc/systemd/system/flagman-signal@USR1.timer.d
write_file /etc/systemd/system/flagman-signal@USR1.timer.d/e2e.conf "[Timer]
OnCalendar=
OnActiveSec=1s
OnUnitActiveSec=3s
AccuracySec=100ms
RandomizedDelaySec=0"
expect "daemon-reload" ctr systemctl daemon-reload
n=$(journal_count flagman "hello again")
expect "start the timer" ctr systemctl start flagman-signal@USR1.timer
wait_for "a timer-driven chain" 30 \
	journal_count_ge flagman "hello again" $((n + 1)) ||
	fail "the timer did not signal flagman"
wait_for "flagman-signal@USR1.service to finish" 10 \
	has_run flagman-signal@USR1.service || fail "the timer's service did not run"
expect_eq "flagman-signal@USR1.service result" success \
	"$(prop flagman-signal@USR1.service Result)"
expect_eq "flagman-signal@USR1.service status" 0 \
	"$(prop flagman-signal@USR1.service ExecMainStatus)"
expect "stop the timer" ctr systemctl stop flagman-signal@USR1.timer

step "the template unit: flagman@demo with /etc/flagman/demo.conf"
write_file /etc/flagman/demo.conf "[demo]
action = print
signal = usr2
message = demo instance here"
expect "systemctl start flagman@demo" ctr systemctl start flagman@demo
expect_eq "flagman@demo state" active "$(ctr systemctl is-active flagman@demo)"
expect "signal flagman@demo" ctr systemctl kill --kill-whom=main \
	-s SIGUSR2 flagman@demo
wait_for "the instance's output" 10 \
	journal_has flagman@demo "demo instance here" ||
	fail "flagman@demo did not run its action"
journal_has flagman "demo instance here" &&
	fail "flagman.service ran flagman@demo's action"
expect "systemctl stop flagman@demo" ctr systemctl stop flagman@demo

step "reinstalling (an upgrade) restarts the running service"
quietly "dpkg -i again" ctr dpkg -i /root/e2e/flagman.deb
wait_for "flagman to be active again" 10 is_active flagman ||
	fail "flagman is not running after the upgrade"
[[ $(prop flagman MainPID) != "$pid" ]] ||
	fail "the upgrade did not restart flagman"

if [[ $has_exec == yes ]]; then
	step "the timer's service signals flagman alone, not its programs"
	expect "SIGUSR2" ctr systemctl kill --kill-whom=main -s SIGUSR2 flagman
	wait_for "the sleeper to run" 10 ctr pgrep -x sleep ||
		fail "the exec action did not start sleep"
	sleeper=$(ctr pgrep -x sleep)
	expect "flagman-signal@USR1.service" \
		ctr systemctl start flagman-signal@USR1.service
	expect_eq "flagman-signal@USR1.service result" success \
		"$(prop flagman-signal@USR1.service Result)"
	expect_eq "the sleeper after the timer's signal" "$sleeper" \
		"$(ctr pgrep -x sleep || true)"
fi

step "systemctl stop exits cleanly"
n=$(journal_count flagman cleanup)
expect "systemctl stop" ctr systemctl stop flagman
expect_eq "state after stop" inactive "$(ctr systemctl is-active flagman || true)"
expect_eq "result after stop" success "$(prop flagman Result)"
expect_eq "exit status after stop" 0 "$(prop flagman ExecMainStatus)"
journal_count_ge flagman cleanup $((n + 1)) ||
	fail "the actions were not torn down at stop"
if [[ $has_exec == yes ]]; then
	out=$(ctr pgrep -a -x sleep || true)
	[[ -z $out ]] || fail "a program outlived flagman: $out"
fi

step "removing the package stops a running flagman"
quietly "enable an instance and a timer" ctr systemctl enable \
	flagman@demo.service flagman-signal@USR1.timer
expect "systemctl start" ctr systemctl start flagman
quietly "dpkg -r" ctr dpkg -r flagman
expect_eq "state after removal" inactive \
	"$(ctr systemctl is-active flagman || true)"

step "purging removes the enable links of instances and timers"
links() { ctr find /etc/systemd/system -name 'flagman*' -type l | sort; }
[[ -n $(links) ]] || fail "no enable links before the purge: nothing tested"
quietly "dpkg --purge" ctr dpkg --purge flagman
out=$(links)
[[ -z $out ]] || fail "links left after the purge: $out"
quietly "dpkg -i after the purge" ctr dpkg -i /root/e2e/flagman.deb
expect_eq "flagman@demo after a reinstallation" disabled \
	"$(ctr systemctl is-enabled flagman@demo.service || true)"
expect_eq "flagman-signal@USR1.timer after a reinstallation" disabled \
	"$(ctr systemctl is-enabled flagman-signal@USR1.timer || true)"
quietly "dpkg --purge again" ctr dpkg --purge flagman

expect_eq "failed units at the end" "$failed_before" \
	"$(ctr systemctl list-units --failed --plain --no-legend | sort)"
log "e2e: all checks passed (exec checked: $has_exec)"
