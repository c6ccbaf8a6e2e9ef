#!/bin/bash
# Applies a pi-gen stage to a root filesystem the way pi-gen's build.sh does, without pi-gen:
# prerun.sh, then each sub-stage's NN-debconf, NN-packages-nr, NN-packages, NN-run.sh (here, with
# ROOTFS_DIR) and NN-run-chroot.sh (inside, through on_chroot), for NN from 00 to 99. NN-patches
# (quilt) is refused: stage-unibos has none. Everything it mounts is in a private mount namespace,
# so nothing outlives it, even when it is killed.
#
# usage: apply-stage.sh ROOTFS_DIR STAGE_DIR [CONFIG]   (as root; ARCH, RELEASE from the environment)
#   APT_ARCHIVES=DIR  keep downloaded .deb files there between runs (DIR.lock guards it)
set -euo pipefail

if [ "$#" -lt 2 ]; then
	echo "usage: $0 ROOTFS_DIR STAGE_DIR [CONFIG]" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "apply-stage: needs root (chroot, mounts)" >&2
	exit 2
fi
if [ -z "${UNIBOS_APPLY_STAGE_NS:-}" ]; then
	export UNIBOS_APPLY_STAGE_NS=1
	exec unshare --mount --propagation private -- "$0" "$@"
fi

ROOTFS_DIR="$(realpath "$1")"
STAGE_DIR="$(realpath "$2")"
CONFIG="${3:-}"
export ROOTFS_DIR STAGE_DIR
if [ -n "${CONFIG}" ]; then
	set -a
	# shellcheck source=/dev/null
	source "${CONFIG}"
	set +a
fi
export ARCH="${ARCH:-amd64}"

mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null || true
	done
	rm -f "${ROOTFS_DIR}/usr/sbin/policy-rc.d"
}
trap cleanup EXIT

mount_in() {
	local target="${ROOTFS_DIR}$1"
	shift
	mkdir -p "${target}"
	mount "$@" "${target}"
	mounted+=("${target}")
}

log() {
	printf '[%s] %s\n' "$(date -u +%T)" "$*"
}

# pi-gen's on_chroot: run a command (or stdin) with bash -e inside the root filesystem.
on_chroot() {
	chroot "${ROOTFS_DIR}" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/bash -e "$@"
}

# pi-gen's copy_previous: the previous stage's root filesystem. Here the caller has put it in place.
copy_previous() {
	if [ ! -d "${ROOTFS_DIR}/usr" ]; then
		echo "apply-stage: ${ROOTFS_DIR} holds no root filesystem to start from" >&2
		return 1
	fi
}
export -f on_chroot copy_previous log

mount_in /proc -t proc proc
mount_in /sys -t sysfs sysfs
mount_in /dev --rbind /dev
mount_in /run -t tmpfs tmpfs
if [ -n "${APT_ARCHIVES:-}" ]; then
	mkdir -p "${APT_ARCHIVES}/partial"
	# One run at a time uses the shared downloads; a concurrent run fetches its own instead of waiting.
	exec 9>"${APT_ARCHIVES}.lock"
	if flock -n 9; then
		mount_in /var/cache/apt/archives --bind "${APT_ARCHIVES}"
	else
		log "another run is using ${APT_ARCHIVES}: downloading afresh"
	fi
fi
# A link there could point out of the root filesystem.
rm -f "${ROOTFS_DIR}/etc/resolv.conf"
cp -L /etc/resolv.conf "${ROOTFS_DIR}/etc/resolv.conf"
# No service starts inside a build root.
printf '#!/bin/sh\nexit 101\n' > "${ROOTFS_DIR}/usr/sbin/policy-rc.d"
chmod 755 "${ROOTFS_DIR}/usr/sbin/policy-rc.d"
on_chroot -c 'apt-get -o Acquire::Retries=3 update -q'

cd "${STAGE_DIR}"
if [ -x prerun.sh ]; then
	log "Begin ${STAGE_DIR}/prerun.sh"
	./prerun.sh
fi
for SUB_STAGE_DIR in "${STAGE_DIR}"/*; do
	if [ ! -d "${SUB_STAGE_DIR}" ] || [ -f "${SUB_STAGE_DIR}/SKIP" ]; then
		continue
	fi
	export SUB_STAGE_DIR
	log "Begin ${SUB_STAGE_DIR}"
	pushd "${SUB_STAGE_DIR}" >/dev/null
	for i in {00..99}; do
		if [ -f "${i}-debconf" ]; then
			on_chroot -c "debconf-set-selections <<'SELEOF'
$(cat "${i}-debconf")
SELEOF"
		fi
		for kind in packages-nr packages; do
			if [ -f "${i}-${kind}" ]; then
				packages="$(sed -e 's/#.*//' "${i}-${kind}" | tr -s '[:space:]' ' ')"
				if [ -n "${packages// /}" ]; then
					log "${i}-${kind}:${packages}"
					if [ "${kind}" = packages-nr ]; then
						on_chroot -c "apt-get -o Acquire::Retries=3 install -q --no-install-recommends -y ${packages}"
					else
						on_chroot -c "apt-get -o Acquire::Retries=3 install -q -y ${packages}"
					fi
				fi
			fi
		done
		if [ -d "${i}-patches" ]; then
			echo "apply-stage: ${SUB_STAGE_DIR}/${i}-patches: quilt patches are not supported here" >&2
			exit 1
		fi
		if [ -x "${i}-run.sh" ]; then
			log "Begin ${SUB_STAGE_DIR}/${i}-run.sh"
			"./${i}-run.sh"
		fi
		if [ -f "${i}-run-chroot.sh" ]; then
			log "Begin ${SUB_STAGE_DIR}/${i}-run-chroot.sh"
			on_chroot < "${i}-run-chroot.sh"
		fi
	done
	popd >/dev/null
done
log "End ${STAGE_DIR}"
