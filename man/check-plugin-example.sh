#!/bin/sh
# The example plug-in of flagman-plugin(3) must build against the public
# header alone, load, and run: extract it from the page, compile it with the
# project's warnings, and drive it through a real flagman.
#   check-plugin-example.sh FLAGMAN SCD_PAGE INCLUDE_DIR CC
set -eu
# Under "meson test --wrap=valgrind" valgrind would check the shell itself,
# which frees nothing before it exits: go on in a native shell (valgrind does
# not follow a program its --trace-children-skip patterns name).
if [ -z "${FM_NATIVE_SHELL:-}" ]; then
	exec /usr/bin/env FM_NATIVE_SHELL=1 /bin/sh "$0" "$@"
fi
flagman=$1 page=$2 include=$3 cc=$4

work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/out "$work"/err; do
		[ -f "$f" ] && sed "s|^|$(basename "$f"): |" "$f" >&2
	done
	exit 1
}

# The first literal block after "# EXAMPLE"; scdoc writes "\\" for "\".
awk '/^# EXAMPLE/ { ex = 1; next }
	ex && /^```/ { if (inside) exit; inside = 1; next }
	inside { print }' "$page" | sed 's/\\\\/\\/g' > "$work/heartbeat.c"
grep -q 'const struct fm_plugin fm_plugin' "$work/heartbeat.c" ||
	fail "no plug-in found in the EXAMPLE section of $page"

mkdir -m 755 "$work/plugins"
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$include" -shared -fPIC \
	-o "$work/plugins/heartbeat.so" "$work/heartbeat.c" ||
	fail "the example does not compile"
chmod 644 "$work/plugins/heartbeat.so"

cat > "$work/flagman.conf" <<CONF
[flagman]
plugin_dir = $work/plugins
successful_empty = yes
log_level = info

[beat]
action = heartbeat
signal = usr1
label = beat
settle = 10ms
limit = 1
CONF

"$flagman" -c "$work/flagman.conf" --list > "$work/out" 2> "$work/err" ||
	fail "--list failed"
grep -q '^heartbeat *- Prints a numbered line per run' "$work/out" ||
	fail "--list does not show heartbeat"
"$flagman" -c "$work/flagman.conf" --check 2> "$work/err" ||
	fail "--check refused the example configuration"

"$flagman" -c "$work/flagman.conf" --no-systemd > "$work/out" 2> "$work/err" &
pid=$!
# Signals are blocked once flagman says it is ready; poll, bounded.
i=0
until grep -q 'ready: 1 action' "$work/err"; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "flagman did not become ready"
	sleep 0.05
done
kill -USR1 "$pid"
# limit = 1: the action closes after its run, and flagman exits with 0.
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 400 ] || fail "flagman did not exit after the last run"
	sleep 0.05
done
status=0
wait "$pid" || status=$?
pid=
[ "$status" -eq 0 ] || fail "flagman exited with $status, expected 0"
grep -qx "beat 1: SIGUSR1 from pid $$" "$work/out" ||
	fail "unexpected output of the example"
grep -q 'action closed: limit reached' "$work/err" ||
	fail "the action did not close"
echo "ok: the flagman-plugin(3) example builds, loads and runs"
