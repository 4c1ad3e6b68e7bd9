#pragma once
// Answers ARP and NDP for the VIPs this host owns on one interface, and announces them: the
// adapter around core/l2/neighbor_response.h. It keeps the owned set the caller gives it
// (the election decides it), answers with the MAC of the interface the request came in on,
// keeps the interface subscribed to the solicited-node multicast group of each owned IPv6
// address (otherwise the NIC filters multicast NS for it out), counts what it sees, and
// reports another station announcing one of our addresses. Bursts and timing of
// announcements are the caller's: announce() sends exactly one frame.

#include <cstdint>
#include <functional>
#include <memory>
#include <set>

#include "core/ip.h"
#include "core/l2/neighbor_response.h"
#include "core/result.h"
#include "io/raw/packet_link.h"

namespace lbd::raw {

struct ResponderCounters {
  /// ARP requests and NS seen, for owned addresses or not.
  std::uint64_t requests_seen = 0;
  /// ... of which were for an owned address (probes included) and got an answer built.
  std::uint64_t requests_for_owned = 0;
  std::uint64_t replies_sent = 0;
  std::uint64_t announcements_sent = 0;
  /// Failed sends (queue full, interface down); replies and announcements alike.
  std::uint64_t send_errors = 0;
  std::uint64_t malformed_dropped = 0;
  std::uint64_t conflicts_seen = 0;
  std::uint64_t own_frames = 0;
  std::uint64_t ignored = 0;
};

class NeighborResponder {
 public:
  using ConflictHandler = std::function<void(const l2::AddressConflict& conflict)>;

  explicit NeighborResponder(std::unique_ptr<PacketLink> link);
  NeighborResponder(const NeighborResponder&) = delete;
  NeighborResponder& operator=(const NeighborResponder&) = delete;

  /// Starts receiving. Until addresses are owned, requests are only counted.
  void start();

  /// Replaces the owned addresses (IPv4 and IPv6). Joins the solicited-node groups that new
  /// IPv6 addresses need and leaves those no address needs any more; the set is applied even
  /// when a membership change fails, and the first failure is returned.
  Result<void> setOwned(std::set<IpAddress> owned);
  const std::set<IpAddress>& owned() const { return owned_; }

  /// Sends one gratuitous ARP (IPv4) or unsolicited NA (IPv6) for an owned address.
  Result<void> announce(const IpAddress& address);

  /// Called for every frame in which another station claims an owned address.
  void onConflict(ConflictHandler handler) { on_conflict_ = std::move(handler); }
  /// Called once if the link stops receiving (the interface is gone).
  void onLinkError(PacketLink::ErrorHandler handler) { on_link_error_ = std::move(handler); }

  const ResponderCounters& counters() const { return counters_; }
  /// The Ethernet multicast groups joined for owned IPv6 addresses.
  const std::set<MacAddress>& joinedGroups() const { return joined_groups_; }
  const std::string& interfaceName() const { return link_->interfaceName(); }
  const MacAddress& mac() const { return link_->mac(); }

 private:
  void handleFrame(std::span<const std::uint8_t> frame);

  std::unique_ptr<PacketLink> link_;
  std::set<IpAddress> owned_;
  std::set<MacAddress> joined_groups_;
  ResponderCounters counters_;
  ConflictHandler on_conflict_;
  PacketLink::ErrorHandler on_link_error_;
};

}  // namespace lbd::raw
