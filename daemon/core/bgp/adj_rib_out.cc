#include "core/bgp/adj_rib_out.h"

#include <algorithm>

#include "core/bgp/codec.h"

namespace lbd::bgp {
namespace {

bool carriesFamily(const BgpPeer& peer, IpFamily family) {
  const AddressFamilyName wanted =
      family == IpFamily::V4 ? AddressFamilyName::Ipv4Unicast : AddressFamilyName::Ipv6Unicast;
  return std::find(peer.families.begin(), peer.families.end(), wanted) != peer.families.end();
}

bool appliesToPool(const BgpAdvertisement& advertisement, const std::string& pool) {
  return advertisement.pools.empty() ||
         std::find(advertisement.pools.begin(), advertisement.pools.end(), pool) !=
             advertisement.pools.end();
}

bool appliesToPeer(const BgpAdvertisement& advertisement, const std::string& peer) {
  return advertisement.peers.empty() ||
         std::find(advertisement.peers.begin(), advertisement.peers.end(), peer) !=
             advertisement.peers.end();
}

Prefix prefixOf(const IpAddress& vip, std::uint8_t length) {
  const unsigned bits = vip.bits();
  if (length > bits) length = static_cast<std::uint8_t>(bits);
  uint128 mask = 0;
  if (length != 0) {
    const uint128 all = bits == 128 ? ~uint128{0} : (uint128{1} << bits) - 1;
    mask = all & ~((bits - length == 128 ? ~uint128{0} : (uint128{1} << (bits - length)) - 1));
  }
  return Prefix{IpAddress::fromInteger(vip.family(), vip.toInteger() & mask), length};
}

// Config values were validated when the file was read; an unparsable one cannot reach here,
// and is skipped rather than trusted if it ever did.
RouteAttributes attributesOf(const BgpAdvertisement& advertisement) {
  RouteAttributes attributes;
  for (const auto& text : advertisement.communities) {
    if (auto community = parseCommunity(text)) attributes.communities.push_back(*community);
  }
  for (const auto& text : advertisement.large_communities) {
    if (auto community = parseLargeCommunity(text))
      attributes.large_communities.push_back(*community);
  }
  attributes.local_pref = advertisement.local_pref;
  return attributes;
}

template <class T>
void sortUnique(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

void merge(RouteAttributes& into, const RouteAttributes& more) {
  into.communities.insert(into.communities.end(), more.communities.begin(), more.communities.end());
  into.large_communities.insert(into.large_communities.end(), more.large_communities.begin(),
                                more.large_communities.end());
  if (more.local_pref && (!into.local_pref || *more.local_pref > *into.local_pref))
    into.local_pref = more.local_pref;
  sortUnique(into.communities);
  sortUnique(into.large_communities);
}

}  // namespace

AdjRibOut AdjRibOut::plan(const Config& config, std::span<const AdvertisedVip> vips,
                          const std::vector<bool>& peer_enabled) {
  AdjRibOut rib;
  std::vector<BgpAdvertisement> advertisements = config.bgp_advertisements;
  if (advertisements.empty()) {
    BgpAdvertisement everything;
    everything.name = "default";
    advertisements.push_back(std::move(everything));
  }
  std::vector<RouteAttributes> attributes;
  attributes.reserve(advertisements.size());
  for (const auto& advertisement : advertisements)
    attributes.push_back(attributesOf(advertisement));

  for (const auto& vip : vips) {
    const Pool* pool = config.findPool(vip.pool);
    if (!pool || pool->mode != PoolMode::Bgp) continue;
    for (std::size_t a = 0; a < advertisements.size(); ++a) {
      const BgpAdvertisement& advertisement = advertisements[a];
      if (!appliesToPool(advertisement, vip.pool)) continue;
      const Prefix prefix = prefixOf(vip.vip, vip.vip.isV4() ? advertisement.aggregation_length_v4
                                                             : advertisement.aggregation_length_v6);
      for (PeerIndex p = 0; p < config.bgp_peers.size(); ++p) {
        const BgpPeer& peer = config.bgp_peers[p];
        if (p < peer_enabled.size() && !peer_enabled[p]) continue;
        if (!appliesToPeer(advertisement, peer.name) || !carriesFamily(peer, vip.vip.family()))
          continue;
        rib.add(prefix, p, attributes[a]);
      }
    }
  }
  return rib;
}

void AdjRibOut::add(const Prefix& prefix, PeerIndex peer, const RouteAttributes& attributes) {
  std::vector<RouteTarget> targets;
  RouteAttributes merged = attributes;
  sortUnique(merged.communities);
  sortUnique(merged.large_communities);
  if (auto it = routes_.find(prefix); it != routes_.end()) {
    targets = targets_[it->second];
    auto existing = std::find_if(targets.begin(), targets.end(),
                                 [peer](const RouteTarget& t) { return t.peer == peer; });
    if (existing != targets.end()) {
      RouteAttributes combined = attribute_sets_[existing->attributes];
      merge(combined, merged);
      existing->attributes = intern(combined);
    } else {
      targets.push_back({peer, intern(merged)});
    }
  } else {
    targets.push_back({peer, intern(merged)});
  }
  std::sort(targets.begin(), targets.end());
  routes_[prefix] = internTargets(std::move(targets));
}

std::optional<AttributeSetId> AdjRibOut::find(const Prefix& prefix, PeerIndex peer) const {
  auto it = routes_.find(prefix);
  if (it == routes_.end()) return std::nullopt;
  for (const RouteTarget& target : targets_[it->second]) {
    if (target.peer == peer) return target.attributes;
  }
  return std::nullopt;
}

std::map<AttributeSetId, std::vector<Prefix>> AdjRibOut::routesFor(PeerIndex peer) const {
  std::map<AttributeSetId, std::vector<Prefix>> grouped;
  for (const auto& [prefix, target_id] : routes_) {
    for (const RouteTarget& target : targets_[target_id]) {
      if (target.peer == peer) grouped[target.attributes].push_back(prefix);
    }
  }
  return grouped;
}

std::size_t AdjRibOut::countFor(PeerIndex peer) const {
  // Per target, not per prefix: counted once per distinct target list.
  std::vector<std::size_t> per_target(targets_.size(), 0);
  for (const auto& [prefix, target_id] : routes_)
    ++per_target[target_id];
  std::size_t count = 0;
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    for (const RouteTarget& target : targets_[t]) {
      if (target.peer == peer) count += per_target[t];
    }
  }
  return count;
}

AdjRibOut::PeerChanges AdjRibOut::changesFor(const AdjRibOut& before, const AdjRibOut& after,
                                             PeerIndex peer) {
  PeerChanges changes;
  auto attributesFor = [peer](const AdjRibOut& rib,
                              std::uint32_t target_id) -> std::optional<AttributeSetId> {
    for (const RouteTarget& target : rib.targets_[target_id]) {
      if (target.peer == peer) return target.attributes;
    }
    return std::nullopt;
  };
  // Both maps are ordered by prefix: one merge pass.
  auto b = before.routes_.begin();
  auto a = after.routes_.begin();
  while (b != before.routes_.end() || a != after.routes_.end()) {
    if (a == after.routes_.end() || (b != before.routes_.end() && b->first < a->first)) {
      if (attributesFor(before, b->second)) changes.withdraw.push_back(b->first);
      ++b;
    } else if (b == before.routes_.end() || a->first < b->first) {
      if (auto id = attributesFor(after, a->second)) changes.announce[*id].push_back(a->first);
      ++a;
    } else {
      const auto was = attributesFor(before, b->second);
      const auto now = attributesFor(after, a->second);
      if (now && (!was || before.attributes(*was) != after.attributes(*now)))
        changes.announce[*now].push_back(a->first);
      else if (!now && was)
        changes.withdraw.push_back(a->first);
      ++a;
      ++b;
    }
  }
  return changes;
}

AttributeSetId AdjRibOut::intern(const RouteAttributes& attributes) {
  if (auto it = attribute_ids_.find(attributes); it != attribute_ids_.end()) return it->second;
  const auto id = static_cast<AttributeSetId>(attribute_sets_.size());
  attribute_sets_.push_back(attributes);
  attribute_ids_.emplace(attributes, id);
  return id;
}

std::uint32_t AdjRibOut::internTargets(std::vector<RouteTarget> targets) {
  if (auto it = target_ids_.find(targets); it != target_ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(targets_.size());
  targets_.push_back(targets);
  target_ids_.emplace(std::move(targets), id);
  return id;
}

}  // namespace lbd::bgp
