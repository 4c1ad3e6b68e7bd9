#!/bin/bash
# The sysusers.d and tmpfiles.d snippets must really parse and do what they say, applied to an
# empty root directory (never to the host).
set -eu
sysusers=$1 tmpfiles=$2
root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$sysusers"
grep -q '^lbd:x:[0-9]*:[0-9]*:lbd load balancer daemon:/var/lib/lbd:/usr/sbin/nologin$' "$root/etc/passwd"
grep -q '^lbd:x:' "$root/etc/group"
systemd-tmpfiles --root="$root" --create "$tmpfiles"
# tmpfiles resolves "lbd" in the root's own /etc/group: the directories must belong to it.
gid=$(awk -F: '$1 == "lbd" { print $3 }' "$root/etc/group")
[ "$(stat -c '%a %u %g' "$root/etc/lbd")" = "750 0 $gid" ]
[ "$(stat -c '%a %u %g' "$root/etc/lbd/pools.d")" = "750 0 $gid" ]
echo "sysusers and tmpfiles ok"
