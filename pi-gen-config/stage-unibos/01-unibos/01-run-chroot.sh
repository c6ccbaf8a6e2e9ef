#!/bin/bash -e
# Inside the image: Node.js 20+ (the official build where the release's is older), the unibos
# system user, the services enabled, and a check that the bundle runs with the installed Node
# (the Node ABI its native addons were built for, then `unibos --version`).

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -f /opt/unibos/node-linux.tgz ]; then
	if [ -x /usr/bin/node ] && [ "$(node_major /usr/bin/node)" -ge 20 ]; then
		echo "the release's Node.js $(/usr/bin/node --version) is new enough; the official build is not needed"
	else
		rm -rf /opt/unibos/node
		install -d /opt/unibos/node
		# npm registry tarballs keep the files under package/.
		tar -xzf /opt/unibos/node-linux.tgz -C /opt/unibos/node --strip-components=1 --no-same-owner
	fi
	rm -f /opt/unibos/node-linux.tgz
fi
if [ -x /opt/unibos/node/bin/node ]; then node=/opt/unibos/node/bin/node; else node=/usr/bin/node; fi
if [ ! -x "${node}" ] || [ "$(node_major "${node}")" -lt 20 ]; then
	echo "stage-unibos: no Node.js 20 or newer in the image (the release has $(dpkg-query -W -f='${Version}' nodejs 2>/dev/null || echo none)); images/build.sh adds the official build for such releases" >&2
	exit 1
fi
# The bundle's addons (better-sqlite3, unix-dgram) load only on the Node ABI they were compiled for;
# `unibos --version` below loads none of them, so a mismatch would only show when a service starts.
bundle_abi="$("${node}" -p 'require("/opt/unibos/app/package.json").bundle?.nodeAbi ?? ""')"
node_abi="$("${node}" -p process.versions.modules)"
if [ "${bundle_abi}" != "${node_abi}" ]; then
	echo "stage-unibos: the bundle's native addons were built for Node ABI ${bundle_abi:-(not recorded)}, but the image's Node $("${node}" --version) has ABI ${node_abi}: build the bundle ('unibos image bundle') with Node $("${node}" -p 'process.versions.node.split(".")[0]'), as the image runs" >&2
	exit 1
fi

# gpio and spi come with Raspberry Pi OS (raspberrypi-sys-mods); a plain Debian root lacks them.
for group in gpio spi; do
	getent group "${group}" >/dev/null || groupadd --system "${group}"
done
if ! id unibos >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/unibos --no-create-home --shell /usr/sbin/nologin --comment "UNIBOS services" unibos
fi
usermod -a -G gpio,spi,dialout unibos
chown -R root:root /opt/unibos

# The claim service is started by its path unit, only while a claim waits (unibos-claim.path says
# why); a root file system from an earlier build may still have the service itself enabled.
rm -f /etc/systemd/system/multi-user.target.wants/unibos-claim.service
systemctl enable unibos-firstboot.service unibos-claim.path unibos-node.service unibos-gateway.service unibos-hub.service
systemctl enable avahi-daemon.service
if [ -e /usr/lib/systemd/system/gpsd.socket ] || [ -e /lib/systemd/system/gpsd.socket ]; then
	systemctl enable gpsd.socket
fi

unibos --version
