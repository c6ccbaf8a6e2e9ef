#!/bin/bash -e
# Start from stage2's root filesystem (pi-gen's lite image).
if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
