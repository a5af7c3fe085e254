#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# PID 1 of the user-mode Linux guest of the power-cut test (powercut.py).
# The root file system is the host's, through hostfs; the disk image under
# test is /dev/ubda. PCWORK (from the kernel command line) is a folder of
# the host's where guest.env says what to do. Nothing is mounted over a
# folder of the host's but the ones the host made for it: the guest must
# see the build tree wherever it is.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
set -a
. "$PCWORK/guest.env"
set +a
# The guest's own scratch space (the source trees it stores).
if ! mount -t tmpfs -o size=64m tmpfs "$PC_SCRATCH"; then
  echo "@@FAIL mounting a tmpfs on $PC_SCRATCH@@"
elif ! mkdir "$PC_SCRATCH/mnt" || ! mount -t "$PC_FSTYPE" /dev/ubda "$PC_SCRATCH/mnt"; then
  echo "@@FAIL mounting /dev/ubda ($PC_FSTYPE)@@"
else
  HOME="$PC_SCRATCH" TMPDIR="$PC_SCRATCH" "$PC_AGENT" "$PC_SCRATCH/mnt/cache"
fi
echo "@@HALT@@"
# PID 1 must not exit (the kernel would panic): the host kills us.
while :; do sleep 1000; done
