#!/bin/bash -e
# On the build host: what an unattended device on an SD card, often with no network, needs from the
# system around UNIBOS: a journal that stays small, and the GPS as a clock when there is no NTP.

# journald keeps up to 10% of the file system by default (journald.conf(5), SystemMaxUse=): 3 GB of
# a 32 GB card, written for months by a device nobody reads the logs of. Ours: 64 MB, kept across
# reboots (what happened before a power cut is what one wants to read).
install -D -m 644 files/journald.conf "${ROOTFS_DIR}/etc/systemd/journald.conf.d/60-unibos.conf"

# chrony (00-packages) takes the GPS's time from gpsd's shared memory when no NTP server answers;
# fake-hwclock (pi-gen's stage2) only brings back the time of the last shutdown.
install -D -m 644 files/chrony-gps.conf "${ROOTFS_DIR}/etc/chrony/conf.d/60-unibos-gps.conf"
