#include "sim_world.h"

#include <algorithm>
#include <map>

#include "core/election/lease_names.h"

namespace lbd::sim {
namespace {

constexpr const char* kSegmentLabel = "lbd.sim/segment";

Pool layer2Pool(std::string name, const std::string& range, const std::string& selector) {
  Pool pool;
  pool.name = std::move(name);
  pool.mode = PoolMode::Layer2;
  pool.addresses.add(IpRange::parse(range).value());
  pool.address_texts.push_back(range);
  pool.node_selector = LabelSelector::parse(selector).value();
  return pool;
}

}  // namespace

election::HeartbeatIdentity heartbeatIdentity(const ElectionConfig& config,
                                              const std::string& node) {
  election::HeartbeatIdentity identity;  // fields by name: the struct grows
  identity.node = node;
  identity.lease_namespace = config.lease_namespace;
  identity.lease_duration = config.lease_duration;
  identity.config_hash = "hash";
  identity.version = "sim";
  return identity;
}

SimWorld::SimWorld(SimConfig config)
    : config_(std::move(config)),
      queue_(kSimStart),
      api_(config_.api, config_.seed * 7919 + 1),
      random_(config_.seed) {
  buildTable();
}

SimWorld::~SimWorld() = default;

std::string SimWorld::hostName(std::uint32_t host) const {
  return "node-" + std::to_string(host);
}

std::uint32_t SimWorld::segmentOfHost(std::uint32_t host) const {
  return config_.segment_size == 0 ? 0 : static_cast<std::uint32_t>(host / config_.segment_size);
}

std::uint32_t SimWorld::scopeOfHost(std::uint32_t host) const {
  return config_.segment_size == 0 ? kAllScopes : segmentOfHost(host);
}

std::optional<std::uint32_t> SimWorld::vipIndex(const IpAddress& vip) const {
  auto it = vip_by_address_.find(static_cast<std::uint32_t>(vip.toInteger()));
  if (it == vip_by_address_.end()) return std::nullopt;
  return it->second;
}

void SimWorld::buildTable() {
  const std::size_t hosts = config_.hosts;
  const std::size_t segment_size = config_.segment_size == 0 ? hosts : config_.segment_size;
  segments_ = static_cast<std::uint32_t>((hosts + segment_size - 1) / segment_size);
  const auto& election = config_.election;

  // Heartbeat Lease names first: their ids are the host indexes.
  for (std::uint32_t h = 0; h < hosts; ++h) {
    api_.addName(election::heartbeatLeaseName(hostName(h)), scopeOfHost(h), true);
  }
  // VIPs in contiguous blocks per segment: segment s has 10.s.0.0/16 (one segment: 10.0.0.0/8).
  std::vector<std::vector<std::uint32_t>> segment_vips(segments_);
  for (std::uint32_t i = 0; i < config_.vips; ++i) {
    const auto segment = static_cast<std::uint32_t>(std::uint64_t{i} * segments_ / config_.vips);
    const auto first = static_cast<std::uint32_t>(
        (std::uint64_t{segment} * config_.vips + segments_ - 1) / segments_);
    const std::uint32_t address = 0x0A000000u | (segment << 16);
    const IpAddress vip = IpAddress::v4(address + 1 + (i - first));
    vip_by_address_.emplace(static_cast<std::uint32_t>(vip.toInteger()), i);
    vips_.push_back(vip);
    vip_segment_.push_back(segment);
    segment_vips[segment].push_back(i);
    api_.addName(election::vipLeaseName(vip), config_.segment_size == 0 ? kAllScopes : segment,
                 false);
  }

  // The cluster: Ready nodes labelled with their segment, one Service per VIP.
  std::map<std::string, k8s::Node> nodes;
  for (std::uint32_t h = 0; h < hosts; ++h) {
    k8s::Node node;
    node.meta.name = hostName(h);
    node.meta.resource_version = "1";
    node.meta.labels[kSegmentLabel] = std::to_string(segmentOfHost(h));
    node.ready = true;
    nodes.emplace(node.meta.name, std::move(node));
  }
  for (std::uint32_t s = 0; s < segments_; ++s) {
    std::map<std::string, k8s::Service> services;
    for (std::uint32_t i : segment_vips[s]) {
      k8s::Service service;
      service.meta.namespace_ = "demo";
      service.meta.name = "s" + std::to_string(i);
      service.meta.resource_version = "1";
      service.type = "LoadBalancer";
      service.external_traffic_policy = "Cluster";
      service.ingress.push_back({vips_[i].toString(), "", "VIP"});
      services.emplace(service.meta.key(), std::move(service));
    }
    std::vector<Pool> pools;
    if (config_.segment_size == 0) {
      pools.push_back(layer2Pool("l2", "10.0.0.0/8", ""));
    } else {
      pools.push_back(layer2Pool("seg-" + std::to_string(s), "10." + std::to_string(s) + ".0.0/16",
                                 std::string(kSegmentLabel) + "=" + std::to_string(s)));
    }
    views_.push_back(election::ClusterView::build(services, {}, nodes, pools, {}));
  }

  // A cluster that was running: each VIP held (round robin over its segment's hosts), every
  // heartbeat renewed just now.
  const k8s::WallClock wall = kWallStart;
  for (std::uint32_t s = 0; s < segments_; ++s) {
    const std::size_t first_host = s * segment_size;
    const std::size_t count = std::min(hosts, first_host + segment_size) - first_host;
    for (std::size_t j = 0; j < segment_vips[s].size(); ++j) {
      const std::uint32_t i = segment_vips[s][j];
      k8s::LeaseSpec spec;
      spec.namespace_ = election.lease_namespace;
      spec.name = election::vipLeaseName(vips_[i]);
      spec.holder_identity = hostName(static_cast<std::uint32_t>(first_host + j % count));
      spec.lease_duration_seconds = election::leaseSeconds(election.lease_duration);
      spec.acquire_time = wall;
      spec.renew_time = wall;
      api_.seed(spec);
    }
  }
  std::uniform_int_distribution<std::int64_t> offset_hours(0, 10000);
  std::uniform_int_distribution<std::int64_t> skew_ms(-300000, 300000);
  for (std::uint32_t h = 0; h < hosts; ++h) {
    api_.seed(
        election::heartbeatLease(heartbeatIdentity(election, hostName(h)), std::nullopt, wall));
    hosts_.push_back(std::make_unique<SimHost>(*this, h, std::chrono::hours(offset_hours(random_)),
                                               Duration(skew_ms(random_))));
    api_.addWatcher(hosts_.back().get(), scopeOfHost(h));
  }
  announcers_.assign(vips_.size(), 0);
  double_since_.assign(vips_.size(), kSimStart);
  unanswered_since_.assign(vips_.size(), kSimStart);
  unanswered_ = vips_.size();
}

void SimWorld::startAll(Duration spread) {
  std::uniform_int_distribution<std::int64_t> at_us(0, spread.count() * 1000);
  for (auto& host : hosts_) {
    SimHost* raw = host.get();
    queue_.call(now() + std::chrono::microseconds(at_us(random_)), [raw] { raw->start(); });
  }
}

void SimWorld::runUntil(MonotonicTime until) {
  while (!queue_.empty() && queue_.nextAt() <= until) {
    Event event = queue_.pop();
    if (event.kind == EventKind::Callback) {
      queue_.runCallback(event);
    } else {
      hosts_[event.host]->handle(event);
    }
  }
  queue_.advanceTo(until);
}

std::optional<MonotonicTime> SimWorld::unansweredSince(std::uint32_t vip) const {
  if (announcers_[vip] > 0) return std::nullopt;
  return unanswered_since_[vip];
}

void SimWorld::announceChanged(std::uint32_t host, const std::set<IpAddress>& before,
                               const std::set<IpAddress>& after) {
  const MonotonicTime at = now();
  for (const auto& ip : before) {
    if (after.contains(ip)) continue;
    auto vip = vipIndex(ip);
    if (!vip) continue;
    if (announcers_[*vip] == 2) {
      longest_double_ =
          std::max(longest_double_, std::chrono::nanoseconds(at - double_since_[*vip]));
    }
    if (--announcers_[*vip] == 0) {
      unanswered_since_[*vip] = at;
      ++unanswered_;
    }
  }
  for (const auto& ip : after) {
    if (before.contains(ip)) continue;
    auto vip = vipIndex(ip);
    if (!vip) continue;
    starts_.push_back({at, *vip, host});
    if (announcers_[*vip]++ == 0) {
      --unanswered_;
      gaps_.push_back({*vip, unanswered_since_[*vip], at});
    } else {
      if (announcers_[*vip] == 2) double_since_[*vip] = at;
      if (double_announcements_++ == 0) {
        first_double_ =
            ip.toString() + " answered by " + hostName(host) + " and another at +" +
            std::to_string(std::chrono::duration_cast<Duration>(at - kSimStart).count()) + " ms";
      }
    }
  }
}

}  // namespace lbd::sim
