#!/bin/bash
# Re-creates the captures in this folder: real BGP sessions of BIRD 2, FRR bgpd and GoBGP, each
# (namespace A, AS 65010, 192.0.2.1 / 2001:db8:1::1) originating four routes with communities,
# a large community and a MED to a passive peer that accepts everything (namespace B, AS 65020,
# 192.0.2.2 / 2001:db8:1::2): gobgpd for BIRD and FRR, BIRD for GoBGP. One IPv4 session (IPv4
# unicast over 192.0.2.x) and one IPv6 session (IPv6 unicast over 2001:db8:1::x) per router.
# Once the peer has all routes and a few keepalives went by, the router withdraws one route of
# each family, and a second later it is stopped, then the peer. tcpdump in B records it all.
# Needs root, iproute2, tcpdump, bird2, frr, gobgpd, python3. Never touches the root namespace.
#   usage: tests/data/bgp/capture.sh [output dir]      (default: this folder)
# Writes <router>.pcap and, through pcap_streams.py, <router>-<v4|v6>-<sent|received>.bin; and
# the .bin streams as seeds of the bgp_message_fuzz target (only when writing to this folder).
set -euo pipefail
here=$(realpath "$(dirname "$0")")
out=$(realpath "${1:-$here}")
mkdir -p "$out"
A=lbdbgpcapA; B=lbdbgpcapB
MAC_A=02:00:00:00:0a:01; MAC_B=02:00:00:00:0b:02
work=$(mktemp -d /tmp/lbd-bgp-capture.XXXXXX)
pids=()

stop_all() {
  # Only the processes this script started, newest first.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do wait "${pids[i]}" 2>/dev/null || true; done
  pids=()
}
down() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
cleanup() {
  local rc=$?
  stop_all
  down
  if [ $rc -ne 0 ]; then  # the daemons' logs tell why
    for f in "$work"/*.log; do [ -e "$f" ] && { echo "== $f"; tail -n 20 "$f"; }; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

up() {
  down
  ip netns add $A
  ip netns add $B
  for ns in $A $B; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
  done
  # Fixed MACs: the link-local addresses (EUI-64) are fe80::ff:fe00:a01 and fe80::ff:fe00:b02.
  ip link add vA netns $A address $MAC_A type veth peer name vB netns $B address $MAC_B
  for ns in $A $B; do ip -n "$ns" link set lo up; done
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
  # The link-local addresses are there too (BIRD and FRR may send one as second v6 next hop).
  for ns in $A $B; do
    for _ in $(seq 100); do ip -n "$ns" -6 addr show scope link | grep -q fe80 && break; sleep 0.02; done
  done
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s.
wait_for() {
  local seconds=$1 what=$2; shift 2
  for _ in $(seq $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timeout: $what" >&2
  return 1
}

# ---- daemons --------------------------------------------------------------------------------

# gobgpd in namespace NS: gobgpd_config AS ROUTER_ID PEER_AS PEER4 PEER6 PASSIVE
gobgpd_config() {
  local as=$1 id=$2 peer_as=$3 peer4=$4 peer6=$5 passive=$6 peer family
  echo "[global.config]"
  echo "  as = $as"
  echo "  router-id = \"$id\""
  for peer in "$peer4:ipv4-unicast" "$peer6:ipv6-unicast"; do
    family=${peer##*:}; peer=${peer%:*}
    cat <<EOF
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$peer"
    peer-as = $peer_as
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [neighbors.transport.config]
    passive-mode = $passive
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$family"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
EOF
  done
}
start_gobgpd() {  # NS CONFIG
  ip netns exec "$1" gobgpd -f "$2" -p -l info --api-hosts 127.0.0.1:50051 --pprof-disable \
    >"$2.log" 2>&1 &
  pids+=($!)
  wait_for 10 "gobgpd API in $1" ip netns exec "$1" gobgp global
}
gobgp_established() {  # NS PEER
  ip netns exec "$1" gobgp neighbor "$2" | grep -qi 'BGP state *= *established'
}
gobgp_has() {  # NS FAMILY PREFIX
  ip netns exec "$1" gobgp global rib -a "$2" | grep -q " $3 "
}

# BIRD: bird_config AS ROUTER_ID PEER_AS PEER4 PEER6 EXTRA CHANNEL (CHANNEL: import/export)
bird_config() {
  local as=$1 id=$2 peer_as=$3 peer4=$4 peer6=$5 extra=$6 channel=$7
  cat <<EOF
log stderr all;
router id $id;
protocol device { }
EOF
  for session in "4:$peer4" "6:$peer6"; do
    cat <<EOF
protocol bgp peer${session%%:*} {
  neighbor ${session#*:} as $peer_as;
  local as $as;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 1;
  graceful restart on;$extra
  ipv${session%%:*} { $channel };
}
EOF
  done
}
start_bird() {  # NS CONFIG
  ip netns exec "$1" bird -f -c "$2" -s "$2.ctl" -P "$2.pid" >"$2.log" 2>&1 &
  pids+=($!)
  wait_for 10 "bird control socket in $1" birdc -s "$2.ctl" show status
}
bird_established() {  # CONFIG PROTOCOL
  birdc -s "$1.ctl" show protocols "$2" | grep -q Established
}
bird_has() {  # CONFIG PREFIX
  birdc -s "$1.ctl" show route "$2" | grep -q "^$2 "
}

start_frr() {  # NS CONFIG
  mkdir -p "$work/frr"
  ip netns exec "$1" /usr/lib/frr/bgpd -Z -S -n -P 0 -f "$2" --vty_socket "$work/frr" \
    -i "$work/frr/bgpd.pid" --log stdout >"$2.log" 2>&1 &
  pids+=($!)
  wait_for 10 "FRR vty" vtysh --vty_socket "$work/frr" -c 'show bgp summary'
}
frr_vtysh() { vtysh --vty_socket "$work/frr" "$@"; }
frr_established() {  # PEER
  frr_vtysh -c "show bgp neighbors $1 json" | grep -q '"bgpState":"Established"'
}

# ---- the capture ------------------------------------------------------------------------------

# The router's four routes, and the two it withdraws.
V4_ROUTES="198.51.100.0/24 198.51.100.7/32"
V6_ROUTES="2001:db8:ff::/48 2001:db8:ff::7/128"
V4_GONE=198.51.100.7/32
V6_GONE=2001:db8:ff::7/128

# start_tcpdump ROUTER
start_tcpdump() {
  ip netns exec $B tcpdump -Z root -i vB -U -w "$out/$1.pcap" 'tcp port 179' 2>"$work/tcpdump.log" &
  tcpdump_pid=$!
  wait_for 10 "tcpdump" grep -q 'listening on' "$work/tcpdump.log"
}
stop_tcpdump() {
  kill -INT "$tcpdump_pid"
  wait "$tcpdump_pid" || true
  echo "$1.pcap: $(grep -o '[0-9]* packets\? captured' "$work/tcpdump.log")"
}
# Keepalives: the peer has everything; let both sides send two periodic KEEPALIVEs (every 3 s).
settle() { sleep 6.5; }
# The router stops first (its last words, if any, are in the capture), then the peer.
finish() {  # ROUTER
  sleep 1
  kill "$router_pid"; wait "$router_pid" || true
  sleep 1
  stop_all
  stop_tcpdump "$1"
}

capture_bird() {
  up
  start_tcpdump bird
  gobgpd_config 65020 192.0.2.2 65010 192.0.2.1 2001:db8:1::1 true >"$work/peer.toml"
  start_gobgpd $B "$work/peer.toml"
  cat >"$work/bird.conf" <<'EOF'
filter lbd_attributes {
  if source != RTS_STATIC then reject;
  bgp_community.add((65000, 100));
  bgp_community.add((65535, 65281));   # no-export
  bgp_large_community.add((65000, 1, 2));
  bgp_med = 50;
  accept;
}
protocol static static4 { ipv4; route 198.51.100.0/24 blackhole; }
protocol static static4gone { ipv4; route 198.51.100.7/32 blackhole; }
protocol static static6 { ipv6; route 2001:db8:ff::/48 blackhole; }
protocol static static6gone { ipv6; route 2001:db8:ff::7/128 blackhole; }
EOF
  bird_config 65010 192.0.2.1 65020 192.0.2.2 2001:db8:1::2 "" \
    "import all; export filter lbd_attributes;" >>"$work/bird.conf"
  start_bird $A "$work/bird.conf"
  router_pid=${pids[-1]}
  wait_for 20 "bird v4 session" gobgp_established $B 192.0.2.1
  wait_for 20 "bird v6 session" gobgp_established $B 2001:db8:1::1
  for r in $V4_ROUTES; do wait_for 10 "$r at the peer" gobgp_has $B ipv4 "$r"; done
  for r in $V6_ROUTES; do wait_for 10 "$r at the peer" gobgp_has $B ipv6 "$r"; done
  settle
  birdc -s "$work/bird.conf.ctl" disable static4gone >/dev/null
  birdc -s "$work/bird.conf.ctl" disable static6gone >/dev/null
  wait_for 10 "withdrawal of $V4_GONE" bash -c "! ip netns exec $B gobgp global rib -a ipv4 | grep -q ' $V4_GONE '"
  wait_for 10 "withdrawal of $V6_GONE" bash -c "! ip netns exec $B gobgp global rib -a ipv6 | grep -q ' $V6_GONE '"
  finish bird
}

capture_frr() {
  up
  start_tcpdump frr
  gobgpd_config 65020 192.0.2.2 65010 192.0.2.1 2001:db8:1::1 true >"$work/peer.toml"
  start_gobgpd $B "$work/peer.toml"
  cat >"$work/bgpd.conf" <<'EOF'
frr defaults traditional
hostname frr-a
log stdout informational
route-map ORIGINATE permit 10
 set community 65000:100 no-export
 set large-community 65000:1:2
 set metric 50
exit
router bgp 65010
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 no bgp network import-check
 bgp graceful-restart
 neighbor 192.0.2.2 remote-as 65020
 neighbor 192.0.2.2 timers 3 9
 neighbor 192.0.2.2 timers connect 1
 neighbor 2001:db8:1::2 remote-as 65020
 neighbor 2001:db8:1::2 timers 3 9
 neighbor 2001:db8:1::2 timers connect 1
 address-family ipv4 unicast
  network 198.51.100.0/24
  network 198.51.100.7/32
  neighbor 192.0.2.2 activate
  neighbor 192.0.2.2 route-map ORIGINATE out
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:ff::/48
  network 2001:db8:ff::7/128
  neighbor 2001:db8:1::2 activate
  neighbor 2001:db8:1::2 route-map ORIGINATE out
 exit-address-family
exit
EOF
  start_frr $A "$work/bgpd.conf"
  router_pid=${pids[-1]}
  wait_for 20 "frr v4 session" gobgp_established $B 192.0.2.1
  wait_for 20 "frr v6 session" gobgp_established $B 2001:db8:1::1
  for r in $V4_ROUTES; do wait_for 10 "$r at the peer" gobgp_has $B ipv4 "$r"; done
  for r in $V6_ROUTES; do wait_for 10 "$r at the peer" gobgp_has $B ipv6 "$r"; done
  settle
  frr_vtysh -c 'configure terminal' -c 'router bgp 65010' -c 'address-family ipv4 unicast' \
    -c "no network $V4_GONE" -c 'exit-address-family' -c 'address-family ipv6 unicast' \
    -c "no network $V6_GONE" -c 'end' >/dev/null
  wait_for 10 "withdrawal of $V4_GONE" bash -c "! ip netns exec $B gobgp global rib -a ipv4 | grep -q ' $V4_GONE '"
  wait_for 10 "withdrawal of $V6_GONE" bash -c "! ip netns exec $B gobgp global rib -a ipv6 | grep -q ' $V6_GONE '"
  finish frr
}

capture_gobgp() {
  up
  start_tcpdump gobgp
  bird_config 65020 192.0.2.2 65010 192.0.2.1 2001:db8:1::1 " passive on;" \
    "import all; export none;" >"$work/peer.conf"
  start_bird $B "$work/peer.conf"
  gobgpd_config 65010 192.0.2.1 65020 192.0.2.2 2001:db8:1::2 false >"$work/gobgpd.toml"
  start_gobgpd $A "$work/gobgpd.toml"
  router_pid=${pids[-1]}
  local attrs=(med 50 community "65000:100,no-export" large-community 65000:1:2)
  for r in $V4_ROUTES; do ip netns exec $A gobgp global rib add -a ipv4 "$r" "${attrs[@]}"; done
  for r in $V6_ROUTES; do ip netns exec $A gobgp global rib add -a ipv6 "$r" "${attrs[@]}"; done
  wait_for 20 "gobgp v4 session" bird_established "$work/peer.conf" peer4
  wait_for 20 "gobgp v6 session" bird_established "$work/peer.conf" peer6
  for r in $V4_ROUTES $V6_ROUTES; do wait_for 10 "$r at the peer" bird_has "$work/peer.conf" "$r"; done
  settle
  ip netns exec $A gobgp global rib del -a ipv4 $V4_GONE
  ip netns exec $A gobgp global rib del -a ipv6 $V6_GONE
  wait_for 10 "withdrawal of $V4_GONE" bash -c "! birdc -s $work/peer.conf.ctl show route $V4_GONE | grep -q '^$V4_GONE '"
  wait_for 10 "withdrawal of $V6_GONE" bash -c "! birdc -s $work/peer.conf.ctl show route $V6_GONE | grep -q '^$V6_GONE '"
  finish gobgp
}

for router in bird frr gobgp; do
  "capture_$router"
  /usr/bin/python3 "$here/pcap_streams.py" "$out/$router.pcap" "$out" "$router"
  down
done

# Every stream as a seed of the bgp_message_fuzz target; the first byte 0x00 selects a 4-octet
# AS external session (bit 0: 2-octet AS, bit 1: internal).
if [ "$out" = "$here" ]; then
  corpus=$(realpath "$here/../../fuzz/corpus/bgp_message_fuzz")
  mkdir -p "$corpus"
  for f in "$out"/*.bin; do
    { printf '\x00'; cat "$f"; } >"$corpus/capture-$(basename "$f")"
  done
  echo "fuzz seeds: $(find "$corpus" -name 'capture-*.bin' | wc -l) streams in $corpus"
fi
