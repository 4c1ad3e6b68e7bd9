#pragma once
// What this host advertises to its BGP peers (RFC 4271 section 3.2's Adj-RIBs-Out), computed
// from the configuration and the VIPs this host is eligible for, and the difference between two
// of them (what to send when something changed).
//
// Memory is proportional to what is advertised, not to peers x prefixes: each prefix maps to one
// interned "target" (the list of (peer, attribute set) it goes to), and targets and attribute
// sets are shared by every prefix that has them. A typical configuration (one advertisement for
// all peers) has one target for all prefixes.
//
// Rules (lbd.toml(5), [[bgp.advertisement]]):
//   - a VIP of a bgp pool is advertised by every advertisement whose `pools` names the pool (or
//     is empty), to the advertisement's `peers` (or all peers) that carry the VIP's family;
//   - with no [[bgp.advertisement]] at all, every bgp pool is advertised to every peer as /32 or
//     /128 with no communities (the sane default: configuring a pool and a peer is enough);
//   - the prefix is the VIP masked to the advertisement's aggregation length (default /32, /128);
//   - when several advertisements give the same prefix to one peer, their communities and large
//     communities are merged and the highest local-pref wins (MetalLB does the same).

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/bgp/message.h"
#include "core/config/config.h"
#include "core/ip.h"

namespace lbd::bgp {

/// A VIP this host is eligible to advertise now.
struct AdvertisedVip {
  IpAddress vip;
  std::string pool;
};

/// The attributes a route carries beyond ORIGIN, AS_PATH and next hop (which depend on the
/// session and are added when encoding).
struct RouteAttributes {
  std::vector<std::uint32_t> communities;         // sorted, unique
  std::vector<LargeCommunity> large_communities;  // sorted, unique
  std::optional<std::uint32_t> local_pref;        // iBGP sessions only
  auto operator<=>(const RouteAttributes&) const = default;
};

using AttributeSetId = std::uint32_t;
using PeerIndex = std::uint32_t;

/// One (peer, attribute set) a prefix is sent with.
struct RouteTarget {
  PeerIndex peer = 0;
  AttributeSetId attributes = 0;
  auto operator<=>(const RouteTarget&) const = default;
};

class AdjRibOut {
 public:
  /// Nothing advertised, no peers.
  AdjRibOut() = default;
  /// The routes for `vips` under the configuration's advertisements. Peers are indexed in
  /// config.bgp_peers order; `peer_enabled[i]` false (e.g. its node-selector does not match
  /// this host) leaves peer i out.
  static AdjRibOut plan(const Config& config, std::span<const AdvertisedVip> vips,
                        const std::vector<bool>& peer_enabled);

  /// Adds `prefix` for `peer` with `attributes` (merged with any already there for that peer).
  /// For tests and the benchmark driver, which load synthetic prefixes.
  void add(const Prefix& prefix, PeerIndex peer, const RouteAttributes& attributes);

  std::size_t size() const { return routes_.size(); }
  /// The attribute set of `id`.
  const RouteAttributes& attributes(AttributeSetId id) const { return attribute_sets_[id]; }
  /// The attribute set `prefix` is sent to `peer` with, or nullopt if it is not sent there.
  std::optional<AttributeSetId> find(const Prefix& prefix, PeerIndex peer) const;
  /// Every route for `peer`, grouped by attribute set, each group's prefixes in order.
  using Groups = std::map<AttributeSetId, std::vector<Prefix>>;
  Groups routesFor(PeerIndex peer) const;
  /// How many prefixes go to `peer`.
  std::size_t countFor(PeerIndex peer) const;
  /// Calls fn(prefix, targets) for every route, in prefix order.
  template <class Fn>
  void forEach(Fn&& fn) const {
    for (const auto& [prefix, target] : routes_)
      fn(prefix, targets_[target]);
  }

  /// What to send `peer` to go from `before` to `after`: announcements grouped by attribute set
  /// of `after` (new prefixes and prefixes whose attributes changed), and withdrawals.
  struct PeerChanges {
    std::map<AttributeSetId, std::vector<Prefix>> announce;
    std::vector<Prefix> withdraw;
    bool empty() const { return announce.empty() && withdraw.empty(); }
  };
  static PeerChanges changesFor(const AdjRibOut& before, const AdjRibOut& after, PeerIndex peer);

 private:
  AttributeSetId intern(const RouteAttributes& attributes);
  std::uint32_t internTargets(std::vector<RouteTarget> targets);

  std::map<Prefix, std::uint32_t> routes_;         // prefix -> index into targets_
  std::vector<std::vector<RouteTarget>> targets_;  // sorted by peer, one entry per peer
  std::map<std::vector<RouteTarget>, std::uint32_t> target_ids_;
  std::vector<RouteAttributes> attribute_sets_;
  std::map<RouteAttributes, AttributeSetId> attribute_ids_;
};

}  // namespace lbd::bgp
