#!/bin/bash -e
# The boot partition: the UART on (the RAK3172 modem, a serial GPS) with Bluetooth moved off the
# good UART, SPI on (SPI radios), and no serial console on the modem's line.

boot="${ROOTFS_DIR}/boot/firmware"
config="${boot}/config.txt"
cmdline="${boot}/cmdline.txt"
for f in "${config}" "${cmdline}"; do
	if [ ! -f "${f}" ]; then
		echo "stage-unibos: ${f} is missing (pi-gen's stage1 writes it)" >&2
		exit 1
	fi
done

# Our block goes last, under [all], and replaces itself when the stage runs again.
sed -i '/^# >>> unibos/,/^# <<< unibos/d' "${config}"
cat >> "${config}" <<'TXT'
# >>> unibos: radio and GPS
[all]
enable_uart=1
dtparam=spi=on
dtoverlay=disable-bt
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
