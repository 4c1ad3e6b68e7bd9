#pragma once
// What an L2 announcer does with one received frame: the decision behind lbd's ARP and NDP
// responders, pure so that every case below is a unit test and a fuzz target.
//
// Given the frame, the MAC of the interface it came in on and the addresses this host owns
// (the VIPs it won the election for), the answer is the frame to send back, if any, and a
// verdict for the counters:
//   - RequestForOwned: an ARP request (RFC 826) or Neighbor Solicitation (RFC 4861 section
//     7.2.3) for an owned address, multicast or unicast alike: unicast NS is neighbour
//     unreachability detection (RFC 4861 section 7.3), and a peer whose probes go unanswered
//     drops our entry. Answered with an ARP reply or a solicited NA (S = 1, O = 1).
//   - Probes for an owned address are answered too, the way an owner defends its address:
//     an RFC 5227 ARP probe (sender IP 0.0.0.0) gets a reply with target IP 0.0.0.0, which
//     the prober sees as a conflict (RFC 5227 section 2.1.1); an RFC 4862 duplicate address
//     detection NS (source ::) gets an NA to all-nodes with S = 0 (RFC 4861 section 7.2.4),
//     which makes the prober's DAD fail (RFC 4862 section 5.4.4). Someone configuring a VIP
//     by hand on another host then does not steal it. Linux does both for its own addresses.
//     lbd itself never runs DAD for a VIP (it never adds one to an interface), so an lbd on
//     another host is never refused this way; it learns of us through the election.
//   - RequestForOther: a request for an address we do not own: not ours to answer.
//   - Conflict: another station claims an owned address: any ARP packet with it as sender
//     IP (RFC 5227 section 2.4: gratuitous ARP, ARP reply, or a request from it), an NA for
//     it, or an NS from it, with a hardware address that is not ours. Reported as (ip, mac)
//     so the daemon can log it and, by policy, yield. A request for another owned address in
//     the same frame is still answered.
//   - OwnFrame: our own MAC as the Ethernet source (a looped-back announcement): ignored.
//   - Malformed: fails decoding or the RFC validity checks (see arp_packet.h, ndp_packet.h).
//   - Ignored: well-formed but nothing to do: other protocols, answers about others' addresses,
//     frames for another station (seen in promiscuous mode), frames tagged for a VLAN (its own
//     interface answers there; a priority tag, VLAN 0, counts as untagged as in Linux).

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/mac_address.h"

namespace lbd::l2 {

enum class FrameVerdict : std::uint8_t {
  RequestForOwned,
  RequestForOther,
  Conflict,
  OwnFrame,
  Malformed,
  Ignored,
};

/// "request-for-owned", "request-for-other", "conflict", "own-frame", "malformed", "ignored".
std::string_view toString(FrameVerdict verdict);

/// Another station's claim on one of our addresses.
struct AddressConflict {
  IpAddress ip;
  MacAddress mac;
  bool operator==(const AddressConflict&) const = default;
};

struct NeighborResponse {
  FrameVerdict verdict = FrameVerdict::Ignored;
  /// The frame to send back on the same interface; empty when there is none.
  std::vector<std::uint8_t> reply;
  /// Set with verdict Conflict.
  std::optional<AddressConflict> conflict;
  /// Why the frame was malformed or ignored, for debug logs; empty otherwise.
  std::string detail;
};

/// The response to `frame` received on an interface whose MAC is `interface_mac`, for a host
/// that owns the addresses in `owned` (IPv4 and IPv6 together).
NeighborResponse respondToFrame(std::span<const std::uint8_t> frame,
                                const MacAddress& interface_mac, const std::set<IpAddress>& owned);

}  // namespace lbd::l2
