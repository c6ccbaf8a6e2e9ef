#!/bin/bash
# Builds a flashable UNIBOS Raspberry Pi OS image with pi-gen: our config and stage-unibos copied
# into a pi-gen checkout, the UNIBOS bundle built for the image's CPU, then pi-gen's own build
# (natively, as root, or in Docker). The image ends up in images/deploy/ with a .sha256 beside it.
#
#   images/build.sh [--pi-gen DIR] [--docker] [--bundle FILE.tar.gz] [--ssh-key FILE.pub]
#   npm run image -- [same options]
#
# Settings come from pi-gen-config/config and can be overridden from the environment, e.g.
#   RELEASE=bookworm UNIBOS_DEFAULT_REGION=US915 FIRST_USER_PASS=... npm run image -- --docker
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pigen=""
docker=0
bundle=""
ssh_key=""
pigen_url="${PI_GEN_URL:-https://github.com/RPi-Distro/pi-gen.git}"

usage() {
	sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
	echo "images/build.sh: $*" >&2
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 is needed: $2"
}

while [ "$#" -gt 0 ]; do
	case "$1" in
		--pi-gen) pigen="${2:?--pi-gen needs a directory}"; shift 2 ;;
		--docker) docker=1; shift ;;
		--bundle) bundle="${2:?--bundle needs a file}"; shift 2 ;;
		--ssh-key) ssh_key="${2:?--ssh-key needs a file}"; shift 2 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; die "unknown option $1" ;;
	esac
done

if [ -n "${ssh_key}" ]; then
	[ -r "${ssh_key}" ] || die "cannot read the SSH public key ${ssh_key}"
	PUBKEY_SSH_FIRST_USER="$(cat "${ssh_key}")"
	export PUBKEY_SSH_FIRST_USER
fi

# The config with this environment's overrides, resolved once here and written as plain values
# (pi-gen's Docker build reads only the file).
set -a
# shellcheck source=../pi-gen-config/config
source "${repo}/pi-gen-config/config"
set +a

# pi-gen's build.sh stops with "To disable user rename on first boot, FIRST_USER_PASS needs to be
# set" only after it has read the config; say it here, before anything is built. (The rename would
# leave a headless device waiting for someone to pick a user name on its console.)
if [ "${DISABLE_FIRST_BOOT_USER_RENAME}" = 1 ] && [ -z "${FIRST_USER_PASS}" ]; then
	if [ -n "${PUBKEY_SSH_FIRST_USER}" ]; then
		die "an SSH key alone cannot build: pi-gen needs FIRST_USER_PASS with DISABLE_FIRST_BOOT_USER_RENAME=1 (pi-gen-config/config). Set FIRST_USER_PASS too; SSH still takes only the key (the password is for the console)."
	fi
	die "no way to log in: set FIRST_USER_PASS (and add an SSH public key with --ssh-key FILE if you like; SSH then takes only the key). The image has no default password."
fi
case "${ARCH}" in
	arm64) node_arch=arm64 ;;
	*) die "ARCH=${ARCH}: only arm64 images are built (Raspberry Pi 3, 4, 5, Zero 2 W)" ;;
esac

need node "Node.js 20 or newer builds the UNIBOS bundle"
need npm "npm fetches the official Node.js build for releases older than trixie"
need tar "tar packs the bundle"
need sha256sum "sha256sum checks the image (coreutils)"

# pi-gen: the given checkout, or a fresh clone where the network allows.
if [ -z "${pigen}" ]; then
	need git "git clones pi-gen (or pass --pi-gen DIR with a checkout)"
	pigen="${repo}/images/build/pi-gen"
	if [ ! -d "${pigen}/.git" ]; then
		git clone --depth 1 "${pigen_url}" "${pigen}" || die "could not clone ${pigen_url}; clone pi-gen yourself and pass --pi-gen DIR"
	fi
fi
[ -f "${pigen}/build.sh" ] || die "${pigen} is not a pi-gen checkout (no build.sh)"
pigen="$(cd "${pigen}" && pwd)"

if [ "${docker}" = 1 ]; then
	need docker "pi-gen's Docker build (or build natively as root without --docker)"
	docker info >/dev/null 2>&1 || die "docker is installed but not usable by this user (is the daemon running? are you in the docker group?)"
else
	[ "$(id -u)" = 0 ] || die "a native pi-gen build runs as root (sudo $0 ...), or use --docker"
	if [ "$(uname -m)" != aarch64 ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		die "building arm64 on $(uname -m) needs qemu-user-static with binfmt_misc (apt-get install qemu-user-static binfmt-support), or use --docker"
	fi
fi

stage="${pigen}/stage-unibos"
rm -rf "${stage}"
cp -rL "${repo}/pi-gen-config/stage-unibos" "${stage}"
files="${stage}/01-unibos/files"

# The UNIBOS bundle for the image's CPU: given, or built from this checkout.
if [ -n "${bundle}" ]; then
	if [ ! -f "${bundle}" ] || [ ! -f "${bundle}.sha256" ]; then
		die "--bundle needs FILE and FILE.sha256 (as 'unibos image bundle --tarball FILE' writes them)"
	fi
	cp "${bundle}" "${files}/unibos-bundle.tar.gz"
	sed "s#  .*#  unibos-bundle.tar.gz#" "${bundle}.sha256" > "${files}/unibos-bundle.tar.gz.sha256"
else
	[ -d "${repo}/node_modules" ] || die "run 'npm ci' in ${repo} first (the bundle is built from it)"
	node "${repo}/bin/unibos.js" image bundle --arch "${node_arch}" --out "${repo}/images/build/unibos-linux-${node_arch}" --tarball "${files}/unibos-bundle.tar.gz" ||
		die "the bundle could not be built for ${node_arch} here (see above); build it on an ${node_arch} machine and pass it with --bundle"
fi

# Releases whose own Node.js is older than 20 (bookworm) get the official build, checksummed.
if [ "${RELEASE}" != trixie ]; then
	integrity_var="UNIBOS_NODE_INTEGRITY_${node_arch}"
	(cd "${files}" && npm pack --silent "node-linux-${node_arch}@${UNIBOS_NODE_VERSION}" >/dev/null) ||
		die "could not fetch node-linux-${node_arch}@${UNIBOS_NODE_VERSION} from the npm registry"
	mv "${files}/node-linux-${node_arch}-${UNIBOS_NODE_VERSION}.tgz" "${files}/node-linux-${node_arch}.tgz"
	[ -n "${!integrity_var:-}" ] || die "${integrity_var} is not set in pi-gen-config/config"
fi

# Only our stage exports an image; stage2's own lite image would be a second, unconfigured one.
touch "${pigen}/stage2/SKIP_IMAGES"
# The resolved config holds FIRST_USER_PASS: readable by this user only, and outside the pi-gen
# checkout, which pi-gen's Docker build copies into an image layer (its Dockerfile's COPY .);
# build-docker.sh mounts the file into the container instead.
config="$(mktemp "${TMPDIR:-/tmp}/unibos-pi-gen-config.XXXXXX")"
trap 'rm -f "${config}"' EXIT
{
	echo "# Written by images/build.sh from pi-gen-config/config; edit that file, not this one."
	for var in IMG_NAME RELEASE ARCH TARGET_HOSTNAME FIRST_USER_NAME FIRST_USER_PASS PUBKEY_SSH_FIRST_USER PUBKEY_ONLY_SSH \
		DISABLE_FIRST_BOOT_USER_RENAME ENABLE_SSH LOCALE_DEFAULT TIMEZONE_DEFAULT KEYBOARD_KEYMAP KEYBOARD_LAYOUT WPA_COUNTRY \
		ENABLE_CLOUD_INIT STAGE_LIST DEPLOY_COMPRESSION COMPRESSION_LEVEL UNIBOS_DEFAULT_BOARD UNIBOS_DEFAULT_REGION \
		UNIBOS_NODE_VERSION UNIBOS_NODE_INTEGRITY_arm64 UNIBOS_NODE_INTEGRITY_x64; do
		printf 'export %s=%q\n' "${var}" "${!var}"
	done
} > "${config}"

started="$(date +%s)"
(
	cd "${pigen}"
	if [ "${docker}" = 1 ]; then
		./build-docker.sh -c "${config}"
	else
		./build.sh -c "${config}"
	fi
)

mkdir -p "${repo}/images/deploy"
found=0
for image in "${pigen}/deploy/"*"${IMG_NAME}"*; do
	[ -f "${image}" ] || continue
	case "${image}" in *.img | *.img.xz | *.img.gz | *.zip | *.img.zst) ;; *) continue ;; esac
	[ "$(stat -c %Y "${image}")" -ge "${started}" ] || continue
	cp "${image}" "${repo}/images/deploy/"
	(cd "${repo}/images/deploy" && sha256sum "$(basename "${image}")" > "$(basename "${image}").sha256")
	echo "image: ${repo}/images/deploy/$(basename "${image}") (sha256 in $(basename "${image}").sha256)"
	found=1
done
[ "${found}" = 1 ] || die "pi-gen finished but left no new ${IMG_NAME} image in ${pigen}/deploy"
