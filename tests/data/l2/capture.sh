#!/bin/bash
# Re-creates the captures in this folder: real ARP and NDP frames from Linux, iputils arping and
# ndisc6 on a veth pair between two network namespaces. Needs root, iproute2, tcpdump,
# iputils-arping, ndisc6. Never touches the root namespace.
#   usage: tests/data/l2/capture.sh [output dir]      (default: this folder)
# Fixed MACs, so link-local addresses (EUI-64) and every byte are the same on each run except
# ARP/NDP timing and the kernel's choices (flow labels) the tests do not depend on.
set -euo pipefail
out=$(realpath "${1:-$(dirname "$0")}")
A=lbdrawcapA; B=lbdrawcapB
MAC_A=02:00:00:00:0a:01; MAC_B=02:00:00:00:0b:02
down() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap down EXIT
down
ip netns add $A
ip netns add $B
for ns in $A $B; do
  # No DAD on link-locals either (RECIPES 2.6), so captures are not disturbed by it.
  ip netns exec $ns sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
ip link add vA netns $A address $MAC_A type veth peer name vB netns $B address $MAC_B
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A addr add 192.0.2.1/24 dev vA
ip -n $B addr add 192.0.2.2/24 dev vB
ip -n $A -6 addr add 2001:db8:1::1/64 dev vA nodad
ip -n $B -6 addr add 2001:db8:1::2/64 dev vB nodad
ip -n $A link set vA up
ip -n $B link set vB up
for ns_if in $A:vA $B:vB; do
  for _ in $(seq 100); do
    ip -n "${ns_if%%:*}" link show dev "${ns_if##*:}" | grep -q LOWER_UP && break; sleep 0.02
  done
done

# capture NAME FILTER COUNT COMMAND...: tcpdump in B on vB until COUNT frames or 5 s.
capture() {
  local name=$1 filter=$2 count=$3; shift 3
  local err; err=$(mktemp)
  ip netns exec $B timeout 5 tcpdump -Z root -i vB -U -c "$count" -w "$out/$name.pcap" "$filter" 2>"$err" &
  local tp=$!
  for _ in $(seq 100); do grep -q 'listening on' "$err" && break; sleep 0.05; done
  "$@" >/dev/null 2>&1 || true
  wait $tp || true
  echo "$name.pcap: $(grep -o '[0-9]* packets\? captured' "$err")"
  rm -f "$err"
}
ndp='icmp6 and (ip6[40] == 135 or ip6[40] == 136)'

# A asks for B's address, B's kernel answers.
capture arp-request-reply arp 2 ip netns exec $A arping -c 1 -w 2 -I vA 192.0.2.2
# Gratuitous ARP, request form (-U) and reply form (-A), for A's own address.
capture arp-gratuitous-request arp 1 ip netns exec $A arping -U -c 1 -I vA 192.0.2.1
capture arp-gratuitous-reply arp 1 ip netns exec $A arping -A -c 1 -I vA 192.0.2.1
# RFC 5227 probe (sender IP 0.0.0.0) for B's address; B's kernel defends it.
capture arp-probe arp 2 ip netns exec $A arping -D -c 1 -w 2 -I vA 192.0.2.2
# Multicast NS from A's link-local to B's solicited-node group, B's kernel answers.
capture ndp-ns-na "$ndp" 2 ip netns exec $A ndisc6 -1 -r 1 -w 1000 2001:db8:1::2 vA
# Duplicate address detection: B tries to add A's address (with DAD this time); B's DAD NS
# (source ::) and A's kernel defending with an NA to all-nodes.
capture ndp-dad "$ndp" 2 bash -c "ip netns exec $B sysctl -qw net.ipv6.conf.vB.accept_dad=1 &&
  ip -n $B -6 addr add 2001:db8:1::1/64 dev vB && sleep 3"
ip -n $B -6 addr del 2001:db8:1::1/64 dev vB
# Neighbour unreachability detection: A's entry for B goes stale, then traffic makes A's
# kernel probe B with a unicast NS (no multicast); B answers.
ip netns exec $A sysctl -qw net.ipv6.neigh.vA.base_reachable_time_ms=200 \
  net.ipv6.neigh.vA.delay_first_probe_time=1
ip netns exec $A ping -6 -c 1 -W 1 2001:db8:1::2 >/dev/null
capture ndp-unicast-ns \
  "icmp6 and ((ip6[40] == 135 and ether dst $MAC_B and ip6 dst 2001:db8:1::2) or
   (ip6[40] == 136 and ip6 src 2001:db8:1::2))" 2 bash -c "
  for i in \$(seq 50); do ip -n $A -6 neigh show 2001:db8:1::2 | grep -q STALE && break; sleep 0.1; done
  ip netns exec $A ping -6 -c 3 -i 0.5 -W 1 2001:db8:1::2"
# Unsolicited NA: with ndisc_notify=1 A's kernel announces a newly added address to all-nodes
# (not for a "nodad" address: the announcement is sent when DAD completes, even a skipped DAD).
ip netns exec $A sysctl -qw net.ipv6.conf.vA.ndisc_notify=1
capture ndp-unsolicited-na "icmp6 and ip6[40] == 136 and ip6 dst ff02::1" 1 bash -c "ip -n $A -6 addr add 2001:db8:1::11/64 dev vA && sleep 2"
# No 802.1Q capture: the kernel this was made on has no 8021q (VLAN) support. Tests make tagged
# frames by inserting a tag into the captured ones.
# IPv6 that is not NDP: echo request/reply, and MLD reports (after a Hop-by-Hop header).
capture ipv6-echo "icmp6 and (ip6[40] == 128 or ip6[40] == 129)" 2 ip netns exec $A ping -6 -c 1 -W 1 2001:db8:1::2
capture ipv6-mld-report 'ip6 and ip6[6] == 0' 1 bash -c "ip -n $A link set vA down && ip -n $A link set vA up && sleep 3"

# Every frame, one per file, as the seed corpus of the l2_frame_fuzz target.
corpus=$(realpath "$(dirname "$0")/../../fuzz/corpus/l2_frame_fuzz")
mkdir -p "$corpus"
/usr/bin/python3 - "$out" "$corpus" <<'PY'
import os, struct, sys
src, dst = sys.argv[1:3]
for name in sorted(os.listdir(src)):
    if not name.endswith(".pcap"):
        continue
    data = open(os.path.join(src, name), "rb").read()
    at, n = 24, 0
    while at + 16 <= len(data):
        length = struct.unpack("<I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + length]
        at += 16 + length
        with open(os.path.join(dst, f"{name[:-5]}-{n}.bin"), "wb") as f:
            f.write(frame)
        n += 1
PY
echo "fuzz seeds: $(ls "$corpus" | wc -l) frames in $corpus"
