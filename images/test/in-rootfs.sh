#!/bin/bash
# Runs one command inside a root filesystem (as root, with /proc, /sys, cgroup2, /dev and a fresh
# /run), in a private mount namespace: the mounts vanish with the command, however it ends.
#
# usage: in-rootfs.sh ROOTFS_DIR COMMAND [ARG...]
set -euo pipefail

if [ "$#" -lt 2 ]; then
	echo "usage: $0 ROOTFS_DIR COMMAND [ARG...]" >&2
	exit 2
fi
if [ -z "${UNIBOS_IN_ROOTFS_NS:-}" ]; then
	export UNIBOS_IN_ROOTFS_NS=1
	exec unshare --mount --propagation private -- "$0" "$@"
fi
root="$(realpath "$1")"
shift
mount -t proc proc "${root}/proc"
mount -t sysfs sysfs "${root}/sys"
# systemd, even `systemd --test`, finds its place in the unified cgroup hierarchy; a host that still
# mounts the legacy one (or none) has no cgroup2 under the fresh /sys.
mount -t cgroup2 cgroup2 "${root}/sys/fs/cgroup" 2>/dev/null || true
mount --rbind /dev "${root}/dev"
mount -t tmpfs tmpfs "${root}/run"
exec chroot "${root}" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
