#!/bin/bash -e
# dtoverlay=disable-bt leaves Bluetooth's UART helper nothing to do.
if systemctl list-unit-files hciuart.service 2>/dev/null | grep -q '^hciuart'; then
	systemctl disable hciuart.service
fi
