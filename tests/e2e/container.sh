# A Debian 12 container with a real systemd as PID 1, for the end-to-end
# test.  Sourced by run.sh (bash); needs root, debootstrap, systemd-nspawn and
# nsenter.  The snags it works around: nspawn needs --register=no and
# --keep-unit on a host without systemd as PID 1, leaves payload/supervisor
# cgroups behind (removed here), and its --console=pipe log shows no boot.
#
#   tree_prepare PKG...   the root tree (cached), with these packages in it
#   container_boot DIR    boot it, DIR bound in (read-only) at /root/e2e
#   ctr CMD...            run CMD inside, with a clean environment
#   container_cleanup     power off, wait, kill what is left, remove cgroups

E2E_CACHE=${FLAGMAN_E2E_CACHE:-/var/cache/flagman-e2e}
E2E_SUITE=bookworm
E2E_MACHINE=flagman-e2e-$$
E2E_TREE=
E2E_NSPAWN=
E2E_LEADER=
E2E_CGROUP=flagman-e2e-$$
E2E_LOG=

log() { printf '%s\n' "$*" >&2; }
die() { log "e2e: error: $*"; exit 1; }

# Polls CMD every 0.2 s until it succeeds; fails after TIMEOUT seconds.
wait_for() {
	local what=$1 timeout=$2 deadline
	shift 2
	deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			log "e2e: timed out after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

# The Debian mirror this machine uses (deb822 sources first, then one-line).
mirror() {
	local uri=
	if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
		uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [[ -z $uri && -r /etc/apt/sources.list ]]; then
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++)
				if ($i ~ /^[a-z]+:\/\// && $i !~ /security/) {
					print $i; exit } }' /etc/apt/sources.list)
	fi
	printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Builds the tree once per package set; later runs reuse it (read-only: the
# container boots with --volatile=overlay, its writes go to a tmpfs).
tree_prepare() {
	local pkgs key tmp
	pkgs=$(printf '%s\n' systemd systemd-sysv dbus procps man-db "$@" |
		sort -u | paste -sd, -)
	key=$(printf '%s %s\n' "$E2E_SUITE" "$pkgs" | sha256sum | cut -c1-12)
	E2E_TREE=$E2E_CACHE/$E2E_SUITE-$key
	mkdir -p "$E2E_CACHE"
	exec 9>"$E2E_CACHE/lock"
	flock 9
	if [[ ! -e $E2E_TREE/.complete ]]; then
		log "e2e: building the $E2E_SUITE tree ($pkgs) from $(mirror)"
		tmp=$(mktemp -d "$E2E_CACHE/tmp.XXXXXX")
		if ! debootstrap --variant=minbase --include="$pkgs" "$E2E_SUITE" \
				"$tmp" "$(mirror)" >"$tmp.log" 2>&1; then
			tail -n 20 "$tmp.log" >&2
			rm -rf "$tmp" "$tmp.log"
			die "debootstrap failed"
		fi
		rm -f "$tmp.log"
		# Other package sets are stale now.
		find "$E2E_CACHE" -mindepth 1 -maxdepth 1 -name "$E2E_SUITE-*" \
			-exec rm -rf {} +
		touch "$tmp/.complete"
		mv "$tmp" "$E2E_TREE"
	fi
	flock -u 9
}

# Our own cgroup (in both hierarchies where there are two), so that the
# payload/supervisor cgroups nspawn creates are ours alone to remove.
cgroup_enter() {
	local h
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		# On a hybrid host /sys/fs/cgroup itself is no hierarchy.
		[[ -e $h/cgroup.procs ]] || continue
		mkdir -p "$h/$E2E_CGROUP" &&
			echo "$1" >"$h/$E2E_CGROUP/cgroup.procs" || true
	done
}

# Every process left in our cgroups, recursively.
cgroup_busy() {
	local h
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		[[ -d $h/$E2E_CGROUP ]] || continue
		find "$h/$E2E_CGROUP" -name cgroup.procs -exec cat {} + |
			grep . >/dev/null && return 0
	done
	return 1
}

cgroup_remove() {
	local h
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup; do
		if [[ -e $h/$E2E_CGROUP/cgroup.kill ]]; then
			echo 1 >"$h/$E2E_CGROUP/cgroup.kill" 2>/dev/null || true
		fi
	done
	wait_for "the container's processes to end" 10 eval '! cgroup_busy' ||
		true
	for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		[[ -d $h/$E2E_CGROUP ]] || continue
		# Deepest first: payload/..., supervisor, then ours.
		find "$h/$E2E_CGROUP" -depth -type d -exec rmdir {} + \
			2>/dev/null || true
		[[ -d $h/$E2E_CGROUP ]] &&
			log "e2e: warning: could not remove $h/$E2E_CGROUP"
	done
	return 0
}

container_boot() {
	local dir=$1
	E2E_LOG=$(mktemp /tmp/flagman-e2e-nspawn.XXXXXX)
	# The subshell moves itself into our cgroup before it becomes nspawn.
	(
		cgroup_enter "$BASHPID"
		SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 exec systemd-nspawn \
			--register=no --keep-unit --console=pipe -M "$E2E_MACHINE" \
			-D "$E2E_TREE" --volatile=overlay \
			--bind-ro="$dir:/root/e2e" -b
	) </dev/null >"$E2E_LOG" 2>&1 &
	E2E_NSPAWN=$!
	wait_for "the container's systemd" 30 leader_found ||
		{ cat "$E2E_LOG" >&2; die "the container did not start"; }
	# is-system-running fails until the bus is up, then waits for boot.
	wait_for "the container's boot" 60 booted ||
		die "the container did not finish booting"
}

leader_found() {
	local child
	kill -0 "$E2E_NSPAWN" || return 1
	child=$(ps --ppid "$E2E_NSPAWN" -o pid=,comm= |
		awk '$2 == "systemd" { print $1 }')
	[[ -n $child ]] || return 1
	E2E_LEADER=$child
}

booted() {
	local state
	state=$(ctr timeout 20 systemctl is-system-running --wait 2>/dev/null) || true
	[[ $state == running || $state == degraded ]]
}

# Runs a command in the container, with the container's own environment.
ctr() {
	nsenter -t "$E2E_LEADER" -a \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

container_cleanup() {
	local i
	if [[ -n $E2E_LEADER ]] && kill -0 "$E2E_LEADER" 2>/dev/null; then
		ctr systemctl poweroff --no-block >/dev/null 2>&1 || true
	fi
	if [[ -n $E2E_NSPAWN ]]; then
		for ((i = 0; i < 150; i++)); do
			kill -0 "$E2E_NSPAWN" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$E2E_NSPAWN" 2>/dev/null; then
			log "e2e: the container did not power off; killing it"
			kill -KILL "$E2E_NSPAWN" 2>/dev/null || true
		fi
		wait "$E2E_NSPAWN" 2>/dev/null || true
	fi
	cgroup_remove
	[[ -n $E2E_LOG ]] && rm -f "$E2E_LOG"
	return 0
}
