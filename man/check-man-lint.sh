#!/bin/sh
# Each built man page must format without a single warning, both as man(1)
# shows it and under groff's strictest checks.  Skipped (77) without them.
#   check-man-lint.sh PAGE...
set -u
# Under "meson test --wrap=valgrind" valgrind would check the shell itself,
# which frees nothing before it exits: go on in a native shell (valgrind does
# not follow a program its --trace-children-skip patterns name).
if [ -z "${FM_NATIVE_SHELL:-}" ]; then
	exec /usr/bin/env FM_NATIVE_SHELL=1 /bin/sh "$0" "$@"
fi
command -v man >/dev/null && command -v groff >/dev/null || {
	echo "man or groff is missing: skipped"
	exit 77
}
export LC_ALL=C.UTF-8 MANWIDTH=80
status=0
for page in "$@"; do
	out=$( { man --warnings -l "$page" >/dev/null; } 2>&1
		groff -ww -z -man "$page" 2>&1)
	if [ -n "$out" ]; then
		printf '%s:\n%s\n' "$page" "$out" >&2
		status=1
	else
		echo "ok: $page"
	fi
done
exit $status
