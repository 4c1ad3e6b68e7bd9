#!/bin/bash
# systemd-analyze verify on lbd.service with ExecStart pointing at the built binary.
# verify exits 0 on unknown keys and bad values (they are warnings), so any output fails.
set -u
unit=$1 lbd=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
sed "s#^ExecStart=/usr/sbin/lbd#ExecStart=$lbd#" "$unit" > "$work/lbd.service"
out=$(systemd-analyze verify --man=no "$work/lbd.service" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] && { echo "lbd.service verified"; exit 0; }
echo "$out"; exit 1
