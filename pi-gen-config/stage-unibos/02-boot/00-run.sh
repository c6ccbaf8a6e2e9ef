#!/bin/bash -e
# The boot partition: the UARTs on (the RAK3172 modem, the HAT's GPS), Bluetooth off where it holds
# the modem's UART, SPI on (SPI radios), and no serial console on the modem's line.

boot="${ROOTFS_DIR}/boot/firmware"
config="${boot}/config.txt"
cmdline="${boot}/cmdline.txt"
for f in "${config}" "${cmdline}"; do
	if [ ! -f "${f}" ]; then
		echo "stage-unibos: ${f} is missing (pi-gen's stage1 writes it)" >&2
		exit 1
	fi
done

# Our block goes last, under [all], and replaces itself when the stage runs again. The modem is on
# GPIO 14/15 (serial0 up to the Pi 4; on a Pi 5 serial0 is the debug connector and GPIO 14/15 is
# uart0, ttyAMA0), the HAT's GPS on GPIO 4/5: UART3 of a Pi 4, UART2 of a Pi 5's RP1, reached as
# /dev/unibos-gps (01-unibos/files/90-unibos-gps.rules: their ttyAMA numbers differ between
# kernels); cli/image/device-config.ts (hatUarts) names those ports; a Pi 3 or Zero 2 W has no
# spare UART for the GPS.
# Bluetooth goes off only where it holds the full UART of GPIO 14/15 (disable-bt gives it back):
# [pi3] is the 3B, 3B+, 3A+, [pi02] the Zero 2 W, [pi4] the 4B, 400, CM4. A Pi 5's Bluetooth has a
# UART of its own, so [pi5] (5, 500, CM5) keeps it: there disable-bt, mapped to disable-bt-pi5,
# would only turn Bluetooth off. [all] ends the model filters (config.txt's conditional filters).
sed -i '/^# >>> unibos/,/^# <<< unibos/d' "${config}"
cat >> "${config}" <<'TXT'
# >>> unibos: radio and GPS
[all]
enable_uart=1
dtparam=spi=on
[pi3]
dtoverlay=disable-bt
[pi02]
dtoverlay=disable-bt
[pi4]
dtoverlay=disable-bt
dtoverlay=uart3
[pi5]
dtparam=uart0=on
dtoverlay=uart2-pi5
[all]
# <<< unibos
TXT

# One line; drop every serial console, keep the rest in order.
line="$(head -n 1 "${cmdline}")"
kept=()
for arg in ${line}; do
	case "${arg}" in
		console=serial0,* | console=ttyAMA0,* | console=ttyS0,*) ;;
		*) kept+=("${arg}") ;;
	esac
done
printf '%s\n' "${kept[*]}" > "${cmdline}"
