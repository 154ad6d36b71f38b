#!/usr/bin/env bash
# The bash completion must offer every option "flagman --help" lists, the
# action types "flagman --list" prints, the trigger signals, the overlap
# modes, the --opt=VALUE forms and the arguments of an action by name.  Skipped (77) where bash-completion is not installed.
#   check-completion.sh FLAGMAN COMPLETION_FILE
set -u
flagman=$1 completion=$2
framework=/usr/share/bash-completion/bash_completion
[[ -r $framework ]] || { echo "bash-completion is missing: skipped"; exit 77; }
# shellcheck source=/dev/null
. "$framework"
# shellcheck source=flagman.bash-completion
. "$completion"
PATH=$(dirname "$flagman"):$PATH
status=0

# Outside a real completion, compopt has nothing to set.
compopt() { :; }

# Completes the last word of a command line; the candidates, one a line.
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_flagman flagman "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

# The same for a command line as one string, split as bash splits it
# (COMP_WORDBREAKS holds '='): "flagman --overlap=d".
complete_text() {
	local line=$1
	COMP_LINE=$line
	COMP_POINT=${#line}
	read -ra COMP_WORDS <<<"${line//=/ = }"
	if [[ $line == *' ' || $line == *= ]]; then
		COMP_WORDS+=("")
	fi
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_flagman flagman "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

expect() { # WHAT EXPECTED ACTUAL
	if [[ $2 != "$3" ]]; then
		printf 'FAIL: %s\nexpected:\n%s\ngot:\n%s\n' "$1" "$2" "$3" >&2
		status=1
	else
		echo "ok: $1"
	fi
}

help_options=$("$flagman" --help |
	grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--?[a-zA-Z0-9-]+' |
	sort -u)
offered=$(complete_line flagman -)
missing=$(comm -23 <(printf '%s\n' "$help_options") <(printf '%s\n' "$offered"))
expect "every option of --help is offered" "" "$missing"

types=$("$flagman" --no-config --list |
	awk 'NR > 2 && /^[a-z0-9_]+ +- / { print $1 }' | sort)
[[ -n $types ]] || { echo "FAIL: flagman --list shows no type" >&2; exit 1; }
expect "action types after --usr1" "$types" "$(complete_line flagman --usr1 '')"
expect "action types after --on SIGNAL" "$types" \
	"$(complete_line flagman --on USR2 '')"
expect "signals after --on" "RTMIN+1" \
	"$(complete_line flagman --on rtmin+ | grep -x 'RTMIN+1')"
expect "USR1 after --on" "USR1" "$(complete_line flagman --on US | grep -x USR1)"
expect "modes after --overlap" $'drop\nqueue' \
	"$(complete_line flagman --overlap '')"
expect "modes after --overlap=" $'drop\nqueue' \
	"$(complete_text 'flagman --overlap=')"
expect "a mode after --overlap=d" "drop" "$(complete_text 'flagman --overlap=d')"
expect "--status and --json" $'--status' "$(complete_line flagman --st)"
expect "--json after --status" $'--json' "$(complete_line flagman --status --js)"
expect "--opt= forms" $'--overlap\n--overlap=' "$(complete_text 'flagman --ov')"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
touch "$dir/a.conf" "$dir/b.txt"
expect "files after --config=" "$dir/a.conf" \
	"$(complete_text "flagman --config=$dir/a")"
expect "argument names after --arg" $'delay=\nmessage=' \
	"$(complete_text 'flagman --usr1 delay_print x --arg ')"
expect "argument names after -a, for --on" $'on_failure=\non_unchanged=' \
	"$(complete_text 'flagman --on usr2 exec /bin/true -a on_')"
expect "argument names after --arg=" "message=" \
	"$(complete_text 'flagman -q --hup print x --arg=')"
exit $status
