#!/bin/bash -e
# On a Pi 3, Zero 2 W or 4, dtoverlay=disable-bt leaves Bluetooth's UART helper nothing to do. A Pi 5
# keeps Bluetooth without it: the kernel drives its Bluetooth UART, and hciuart.service's condition
# (the BCM2835/2711 GPIO block's bt_pins) never holds there.
if systemctl list-unit-files hciuart.service 2>/dev/null | grep -q '^hciuart'; then
	systemctl disable hciuart.service
fi
