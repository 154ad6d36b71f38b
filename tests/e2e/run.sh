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
# Needs root, debootstrap, systemd-container, python3 (to read flagman
# --status --json) and network access the first time (the root tree is
# cached in /var/cache/flagman-e2e).  The container is
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
command -v python3 >/dev/null || die "python3 is missing"
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
send() { ctr systemctl kill --kill-whom=main -s "SIG$1" "${2:-flagman}"; }

# flagman --status's table, cells one space apart, with what changes from one
# run of the test to the next replaced: a time by TIME, a run's duration (the
# cell after its start) by TOOK.
tabulate() {
	local d='[0-9]{2}'
	sed -E "s/[0-9]{4}-$d-$d $d:$d:$d/TIME/g" |
		awk 'NR > 2 && $6 == "TIME" { $7 = "TOOK" } { $1 = $1; print }'
}
status_table() { ctr flagman --status "$@" | tabulate; }
status_is() { [[ $(status_table "${@:2}") == "$1" ]]; }
expect_status() { # DESCRIPTION TABLE [ARG...]: what --status ARG... prints
	local what=$1 want=$2
	shift 2
	# The file is rewritten at most every 250 ms: it may lag a little.
	wait_for "$what" 10 status_is "$want" "$@" ||
		fail "$what: flagman --status $* printed
$(status_table "$@" 2>&1)
instead of
$want"
}
# flagman --status --json, parsed on the host (the tree has no python3):
# the instance on one line, then one line per action.
status_json() {
	ctr flagman --status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["format"], s["pid"], s["config"], s["reloads"],
      type(s["started_ms"]) is int, type(s["written_ms"]) is int)
for a in s["actions"]:
    print(a["name"], a["type"], ",".join(a["signals"]), a["runs"],
          a["failures"], a["result"], a["closed"], a["close_reason"],
          a["last_start_ms"] is not None, a["last_duration_ms"] is not None)'
}
# CMD...: must fail with status 1; its standard error is in $out.
expect_status_1() {
	local rc=0
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	expect_eq "exit status of $*" 1 "$rc"
}

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

step "flagman --status: the actions' runs, as a table and as JSON"
table="flagman $pid: /etc/flagman.conf, up since TIME, 0 reloads
ACTION TYPE SIGNAL RUNS FAILED LAST-RUN TOOK RESULT
hello print USR1 1 0 TIME TOOK ok
once print_once USR1 1 0 TIME TOOK ok; closed: Only print once"
json="1 $pid /etc/flagman.conf 0 True True
hello print USR1 1 0 ok False None True True
once print_once USR1 1 0 ok True Only print once True True"
if [[ $has_exec == yes ]]; then
	table+="
stamp exec USR1 1 0 TIME TOOK ok
sleeper exec USR2 0 0 - - -"
	json+="
stamp exec USR1 1 0 ok False None True True
sleeper exec USR2 0 0 None False None False False"
fi
expect_status "flagman --status after a USR1" "$table"
expect_eq "flagman --status --json" "$json" "$(status_json)"
expect_eq "the status file's mode and owners" "640 root adm" \
	"$(ctr stat -c '%a %U %G' /run/flagman/etc-flagman.conf.status)"
expect_eq "RuntimeDirectory=flagman" "755 root root" \
	"$(ctr stat -c '%a %U %G' /run/flagman)"
# A user other than root finds the service's file in /run/flagman when
# $XDG_RUNTIME_DIR/flagman has none (flagman(8), STATUS).
expect_status_1 ctr setpriv --reuid=65534 --regid=65534 --clear-groups \
	env XDG_RUNTIME_DIR=/run/user/65534 flagman --status
expect_eq "flagman --status as nobody" "flagman: cannot read \
/run/flagman/etc-flagman.conf.status: Permission denied (root and the \
members of the adm group may read it)" "$out"
quietly "useradd" ctr useradd --no-create-home --groups adm e2e-adm
out=$(ctr setpriv --reuid=e2e-adm --regid=e2e-adm --init-groups \
	flagman --status | tabulate) ||
	fail "flagman --status as a member of adm: $out"
expect_eq "flagman --status as a member of adm" "$table" "$out"

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
expect_status "flagman --status -c /etc/flagman/demo.conf" \
	"flagman $(prop flagman@demo MainPID): /etc/flagman/demo.conf, \
up since TIME, 0 reloads
ACTION TYPE SIGNAL RUNS FAILED LAST-RUN TOOK RESULT
demo print USR2 1 0 TIME TOOK ok" -c /etc/flagman/demo.conf
expect_eq "StateDirectory=flagman/%i" "directory 755 root" \
	"$(ctr stat -c '%F %a %U' /var/lib/flagman/demo)"

step "stopping flagman@demo leaves flagman.service's status file"
expect "systemctl stop flagman@demo" ctr systemctl stop flagman@demo
expect "flagman.service's status file" \
	ctr test -f /run/flagman/etc-flagman.conf.status
out=$(status_table | sed -n 1p) || fail "flagman --status: $out"
[[ $out == "flagman $pid: /etc/flagman.conf, up since TIME, 1 reload" ]] ||
	fail "flagman --status after flagman@demo stopped: $out"
expect_status_1 ctr flagman --status -c /etc/flagman/demo.conf
expect_eq "flagman --status -c /etc/flagman/demo.conf after the stop" \
	"flagman: no running instance for /etc/flagman/demo.conf (no status \
file /run/flagman/etc-flagman-demo.conf.status)" "$out"

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
expect "no status file after the stop" \
	ctr test ! -e /run/flagman/etc-flagman.conf.status
expect_status_1 ctr flagman --status
expect_eq "flagman --status after the stop" "flagman: no running instance \
for /etc/flagman.conf (no status file /run/flagman/etc-flagman.conf.status)" \
	"$out"
if [[ $has_exec == yes ]]; then
	out=$(ctr pgrep -a -x sleep || true)
	[[ -z $out ]] || fail "a program outlived flagman: $out"
fi

if [[ $has_exec == yes ]]; then
	step "state_directory: on_unchanged's memory survives a restart"
	unchanged="output and exit status unchanged; skipping the rest of \
the chain (on_unchanged = stop)"
	ctr rm /etc/flagman.d/50-e2e.conf
	write_file /etc/flagman.d/70-state.conf "[flagman]
state_directory = /var/lib/flagman
log_level = info

[probe]
action = exec
signal = usr1
command = /bin/echo same
on_unchanged = stop
output = null

[changed]
action = print
signal = usr1
message = the probe saw a change

[sentinel]
action = print
signal = winch
message = sentinel after the chain"
	# USR2 waits until it has been quiet for 2 s (pacing, further down).
	write_file /etc/flagman.d/71-pacing.conf "[signal:usr2]
debounce = 2s

[paced]
action = exec
signal = usr2
command = /bin/sh -c 'echo \"paced chain: \$FLAGMAN_MERGED merged\"'
output = log"
	expect "flagman --check" ctr flagman --check
	expect "systemctl start flagman" ctr systemctl start flagman
	pid=$(prop flagman MainPID)
	expect "no record before the first run" \
		ctr test ! -e /var/lib/flagman/probe
	# Sends USR1 and waits for STATUS=TEXT, then WINCH, whose line (in the
	# journal, after whatever USR1's chain logged) says that chain ended.
	probe_chain() {
		local n
		n=$(journal_count flagman "sentinel after the chain")
		expect "systemctl kill" usr1
		wait_for "STATUS=$1" 10 status_has flagman "$1" ||
			fail "STATUS after USR1: $(prop flagman StatusText)"
		expect "systemctl kill" send WINCH
		wait_for "the sentinel after the USR1 chain" 10 \
			journal_count_ge flagman "sentinel after the chain" \
			$((n + 1)) || fail "no sentinel after the USR1 chain"
	}
	probe_chain "last: USR1 ok"
	expect_eq "chains that saw a change (the first run)" 1 \
		"$(journal_count flagman "the probe saw a change")"
	expect_eq "the probe's record" "regular file root" \
		"$(ctr stat -c '%F %U' /var/lib/flagman/probe)"
	stamp=$(ctr stat -c %y /var/lib/flagman/probe)
	probe_chain "last: USR1 ok, unchanged"
	expect_eq "unchanged runs after the second USR1" 1 \
		"$(journal_count flagman "$unchanged")"
	expect_eq "chains that saw a change after the second USR1" 1 \
		"$(journal_count flagman "the probe saw a change")"
	expect "systemctl restart flagman" ctr systemctl restart flagman
	[[ $(prop flagman MainPID) != "$pid" ]] ||
		fail "systemctl restart did not restart flagman"
	pid=$(prop flagman MainPID)
	probe_chain "last: USR1 ok, unchanged"
	expect_eq "unchanged runs after the restart" 2 \
		"$(journal_count flagman "$unchanged")"
	expect_eq "chains that saw a change after the restart" 1 \
		"$(journal_count flagman "the probe saw a change")"
	# Written after a change only.
	expect_eq "the record's time" "$stamp" \
		"$(ctr stat -c %y /var/lib/flagman/probe)"

	step "[signal:usr2] debounce = 2s: a burst of 20 SIGUSR2 runs one chain"
	# The time just before the last signal: the chain may not start
	# sooner than 2 s after it.
	# shellcheck disable=SC2016 # for the shell in the container
	last=$(ctr sh -c 'for i in $(seq 19); do
		systemctl kill --kill-whom=main -s SIGUSR2 flagman || exit 1
	done
	date +%s.%N
	exec systemctl kill --kill-whom=main -s SIGUSR2 flagman') ||
		fail "20 times systemctl kill -s SIGUSR2"
	wait_for "the debounced chain" 15 journal_has flagman "paced chain:" ||
		fail "the debounced chain did not run"
	n=$(journal_count flagman "sentinel after the chain")
	expect "systemctl kill" send WINCH
	wait_for "the sentinel after the USR2 chain" 10 \
		journal_count_ge flagman "sentinel after the chain" \
		$((n + 1)) || fail "no sentinel after the USR2 chain"
	expect_eq "USR2 chains after the burst" 1 \
		"$(journal_count flagman "paced chain:")"
	due='USR2: quiet for 2s, the chain is due (\([0-9]*\) arrivals)'
	out=$(journal flagman | sed -n "s/.*$due.*/\\1/p")
	if ! [[ $out =~ ^[0-9]+$ ]] || ((out < 1 || out > 20)); then
		fail "the debounce's line: '$out'"
	fi
	# The kernel merges a signal that arrives while one is pending: up to
	# 20 arrivals, each counted.
	journal_has flagman "paced chain: $out merged" ||
		fail "not $out merged: $(journal flagman | grep -F 'chain:')"
	at=$(ctr journalctl -u flagman -o short-unix --no-pager |
		awk '/paced chain:/ { t = $1 } END { print t }')
	awk -v at="$at" -v last="$last" 'BEGIN { exit !(at >= last + 2) }' ||
		fail "the chain ran early: at $at, the last SIGUSR2 at $last"
	expect_status "flagman --status after the burst" \
		"flagman $pid: /etc/flagman.conf, up since TIME, 0 reloads
ACTION TYPE SIGNAL RUNS FAILED LAST-RUN TOOK RESULT
probe exec USR1 1 0 TIME TOOK unchanged
changed print USR1 0 0 - - -
sentinel print WINCH 2 0 TIME TOOK ok
paced exec USR2 1 0 TIME TOOK ok"
	expect "systemctl stop" ctr systemctl stop flagman
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
