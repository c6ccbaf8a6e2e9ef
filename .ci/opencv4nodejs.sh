#!/usr/bin/env bash
# Builds @u4/opencv4nodejs against Debian's OpenCV into a cache outside the clone, once per
# package version + Node ABI + CPU arch. The compile takes ~15 minutes on 2 cores, so a fresh
# clone's `npm ci` never does it (the module is not a dependency of any workspace); the cctv
# module finds the build through UNIBOS_OPENCV4NODEJS or this same cache path.
#
# Usage: bash .ci/opencv4nodejs.sh [--print-dir]
#   --print-dir   only print the package directory this machine would use, build nothing.
# Env: UNIBOS_OPENCV4NODEJS_CACHE (default /var/cache/unibos/opencv4nodejs),
#      OPENCV4NODEJS_VERSION (default 7.1.2). Needs libopencv-dev (apt) for the headers.
# On success prints the package directory (export it as UNIBOS_OPENCV4NODEJS) as its last line.
set -euo pipefail

version="${OPENCV4NODEJS_VERSION:-7.1.2}"
cache_root="${UNIBOS_OPENCV4NODEJS_CACHE:-/var/cache/unibos/opencv4nodejs}"
abi="$(node -p process.versions.modules)"
arch="$(uname -m)"
prefix="$cache_root/$version-node$abi-$arch"
pkg_dir="$prefix/node_modules/@u4/opencv4nodejs"

if [ "${1:-}" = "--print-dir" ]; then echo "$pkg_dir"; exit 0; fi

# The build is complete only when the marker exists: a build killed half-way leaves no marker
# and is redone instead of being loaded and crashing later.
if [ -f "$prefix/.complete" ] && [ -d "$pkg_dir" ]; then
  echo "opencv4nodejs: cached build at $prefix" >&2
  echo "$pkg_dir"
  exit 0
fi

case "$arch" in
  x86_64) libdir=/usr/lib/x86_64-linux-gnu ;;
  aarch64) libdir=/usr/lib/aarch64-linux-gnu ;;
  armv7l) libdir=/usr/lib/arm-linux-gnueabihf ;;
  *) libdir="/usr/lib/$arch-linux-gnu" ;;
esac
if [ ! -f /usr/include/opencv4/opencv2/core.hpp ]; then
  echo "opencv4nodejs: OpenCV headers missing: apt-get install -y --no-install-recommends libopencv-dev" >&2
  exit 2
fi

mkdir -p "$prefix"
log="$prefix/build.log"
# Two builds at once (a developer and CI on one machine) would write the same tree.
exec 9>"$prefix.lock"
flock 9
if [ -f "$prefix/.complete" ] && [ -d "$pkg_dir" ]; then echo "$pkg_dir"; exit 0; fi
rm -rf "$prefix/node_modules" "$prefix/package-lock.json"

# Its own tiny project so npm 11's install-script gate approves exactly this one package.
cat >"$prefix/package.json" <<JSON
{
  "name": "unibos-opencv4nodejs-cache",
  "private": true,
  "dependencies": { "@u4/opencv4nodejs": "$version" },
  "allowScripts": { "@u4/opencv4nodejs": true }
}
JSON

echo "opencv4nodejs: building $version for node ABI $abi on $arch into $prefix (log: $log)" >&2
start=$(date +%s)
if ! OPENCV4NODEJS_DISABLE_AUTOBUILD=1 \
  OPENCV_INCLUDE_DIR=/usr/include/opencv4 \
  OPENCV_LIB_DIR="$libdir" \
  OPENCV_BIN_DIR=/usr/bin \
  JOBS=max \
  nice -n 19 npm install --prefix "$prefix" --no-audit --no-fund --foreground-scripts >"$log" 2>&1; then
  echo "opencv4nodejs: npm install failed, see $log" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
# npm exits 0 for some failed native builds (the old opencv4nodejs did): load it to be sure.
if ! node -e "const cv = require(process.argv[1]); if (typeof cv.BackgroundSubtractorMOG2 !== 'function') process.exit(3); console.error('opencv4nodejs: OpenCV ' + cv.version.major + '.' + cv.version.minor)" "$pkg_dir" >>"$log" 2>&1; then
  echo "opencv4nodejs: built but does not load, see $log" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
echo "seconds=$(( $(date +%s) - start ))" >"$prefix/.complete"
echo "opencv4nodejs: built in $(( $(date +%s) - start )) s" >&2
echo "$pkg_dir"
