#!/bin/bash -e
# On the build host: the UNIBOS bundle (checked against its SHA-256, then every file against the
# bundle's own SHA256SUMS) into /opt/unibos/app, the official Node build where the release's is
# too old, the systemd units, the mDNS service, the GPS UART's udev name and the image's safe defaults.

bundle="files/unibos-bundle.tar.gz"
if [ ! -f "${bundle}" ] || [ ! -f "${bundle}.sha256" ]; then
	echo "stage-unibos: ${bundle} (and .sha256) missing: images/build.sh makes it with 'unibos image bundle --tarball'" >&2
	exit 1
fi
(cd files && sha256sum --quiet -c unibos-bundle.tar.gz.sha256)

# pi-gen names CPUs as Debian does; the bundle as Node does.
case "${ARCH}" in
	arm64) node_arch=arm64 ;;
	amd64) node_arch=x64 ;;
	*) echo "stage-unibos: ARCH=${ARCH} is not supported (arm64 for Raspberry Pi 3/4/5/Zero 2 W)" >&2; exit 1 ;;
esac

app="${ROOTFS_DIR}/opt/unibos/app"
rm -rf "${app}"
install -d -m 755 "${app}"
tar -xzf "${bundle}" -C "${app}" --no-same-owner
(cd "${app}" && sha256sum --quiet --strict -c SHA256SUMS)
if ! grep -q "\"arch\": \"${node_arch}\"" "${app}/package.json"; then
	echo "stage-unibos: the bundle is not for ${node_arch}: $(grep '"arch"' "${app}/package.json")" >&2
	exit 1
fi

node_tgz="files/node-linux-${node_arch}.tgz"
if [ -f "${node_tgz}" ]; then
	integrity_var="UNIBOS_NODE_INTEGRITY_${node_arch}"
	integrity="${!integrity_var:-}"
	if [ -z "${integrity}" ]; then
		echo "stage-unibos: ${integrity_var} is not set: cannot check ${node_tgz}" >&2
		exit 1
	fi
	# The npm registry's integrity is base64 of the SHA-512; compare it as hex.
	want="$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
	got="$(sha512sum "${node_tgz}" | cut -d' ' -f1)"
	if [ "${want}" != "${got}" ]; then
		echo "stage-unibos: ${node_tgz} does not match ${integrity_var}" >&2
		exit 1
	fi
	install -m 644 "${node_tgz}" "${ROOTFS_DIR}/opt/unibos/node-linux.tgz"
fi

install -m 755 files/unibos "${ROOTFS_DIR}/usr/bin/unibos"
for unit in files/*.service files/*.path; do
	case "${unit}" in
		*avahi*) ;;
		*) install -m 644 "${unit}" "${ROOTFS_DIR}/etc/systemd/system/" ;;
	esac
done
install -D -m 644 files/unibos.avahi.service "${ROOTFS_DIR}/etc/avahi/services/unibos.service"
# The HAT's GPS UART under one name on every kernel and model (first boot points gpsd at it).
install -D -m 644 files/90-unibos-gps.rules "${ROOTFS_DIR}/etc/udev/rules.d/90-unibos-gps.rules"

install -d -m 755 "${ROOTFS_DIR}/etc/unibos"
cat > "${ROOTFS_DIR}/etc/unibos/unibos.defaults.json" <<JSON
{
  "version": 1,
  "role": "node",
  "radio": { "board": "${UNIBOS_DEFAULT_BOARD:-rak3172-hat}"${UNIBOS_DEFAULT_REGION:+, \"region\": \"${UNIBOS_DEFAULT_REGION}\"} }
}
JSON
install -m 644 files/unibos.schema.json "${ROOTFS_DIR}/etc/unibos/unibos.schema.json"
