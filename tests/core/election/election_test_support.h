#pragma once
// Builders for the layer-2 election tests: Leases, Nodes, Services, EndpointSlices and pools in
// a line each, a fake clock's epoch, the balanced assignment as a reference and spread checks.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config/config.h"
#include "core/election/balance.h"
#include "core/election/cluster_view.h"
#include "core/election/heartbeat.h"
#include "core/election/lease_names.h"
#include "core/election/rendezvous.h"
#include "core/ip.h"
#include "core/k8s/objects.h"

namespace lbd {
// Readable addresses in GoogleTest failure messages.
inline void PrintTo(const IpAddress& address, std::ostream* out) {
  *out << address.toString();
}
}  // namespace lbd

namespace lbd::election::testing {

using namespace std::chrono_literals;

inline const MonotonicTime kT0 = MonotonicTime{} + std::chrono::hours(1000);
// 2026-11-24T20:00:00Z
inline const k8s::WallClock kWall0 = k8s::WallClock{} + std::chrono::seconds(1795550400);

inline IpAddress ip(const char* text) {
  return IpAddress::parse(text).value();
}

inline k8s::Lease lease(std::string name, std::string holder, std::string rv,
                        std::string renew_time = "2026-11-24T20:00:00.000000Z",
                        std::int32_t duration = 2, std::int32_t transitions = 0) {
  k8s::Lease lease;
  lease.meta.namespace_ = "lbd-system";
  lease.meta.name = std::move(name);
  lease.meta.resource_version = std::move(rv);
  lease.holder_identity = std::move(holder);
  lease.lease_duration_seconds = duration;
  lease.acquire_time = "2026-11-24T19:00:00.000000Z";
  lease.renew_time = std::move(renew_time);
  lease.lease_transitions = transitions;
  return lease;
}

/// Heartbeat of `node`, renewal number `n` (each n is a different renewTime).
inline k8s::Lease heartbeat(const std::string& node, int n, std::int32_t duration = 2) {
  char renew[64];
  std::snprintf(renew, sizeof renew, "2026-11-24T20:%02d:%02d.%06dZ", n / 60000 % 60, n / 1000 % 60,
                n % 1000);
  return lease(heartbeatLeaseName(node), node, std::to_string(1000 + n), renew, duration);
}

/// The Lease a server would store for `spec` as version `rv`.
inline k8s::Lease stored(const k8s::LeaseSpec& spec, std::string rv) {
  k8s::Lease out;
  out.meta.namespace_ = spec.namespace_;
  out.meta.name = spec.name;
  out.meta.resource_version = std::move(rv);
  out.meta.annotations = spec.annotations;
  out.holder_identity = spec.holder_identity;
  if (spec.lease_duration_seconds > 0) out.lease_duration_seconds = spec.lease_duration_seconds;
  if (spec.acquire_time) out.acquire_time = k8s::formatMicroTime(*spec.acquire_time);
  if (spec.renew_time) out.renew_time = k8s::formatMicroTime(*spec.renew_time);
  out.lease_transitions = spec.lease_transitions;
  return out;
}

inline k8s::Node node(std::string name, bool ready = true, Labels labels = {}) {
  k8s::Node node;
  node.meta.name = std::move(name);
  node.meta.resource_version = "1";
  node.meta.labels = std::move(labels);
  node.ready = ready;
  return node;
}

inline Pool pool(std::string name, const char* range, PoolMode mode = PoolMode::Layer2,
                 const char* node_selector = "") {
  Pool p;
  p.name = std::move(name);
  p.mode = mode;
  p.addresses.add(IpRange::parse(range).value());
  p.address_texts.push_back(range);
  p.node_selector = LabelSelector::parse(node_selector).value();
  return p;
}

inline k8s::Service service(const std::string& key, std::vector<std::string> ingress_ips,
                            std::string policy = "Cluster") {
  k8s::Service svc;
  const auto slash = key.find('/');
  svc.meta.namespace_ = key.substr(0, slash);
  svc.meta.name = key.substr(slash + 1);
  svc.meta.resource_version = "1";
  svc.type = "LoadBalancer";
  svc.external_traffic_policy = std::move(policy);
  for (auto& address : ingress_ips)
    svc.ingress.push_back({std::move(address), "", "VIP"});
  return svc;
}

struct EndpointOn {
  std::string node;
  bool ready = true;
};

inline k8s::EndpointSlice slice(const std::string& service_key, std::string name,
                                std::string address_type, std::vector<EndpointOn> endpoints) {
  k8s::EndpointSlice slice;
  const auto slash = service_key.find('/');
  slice.meta.namespace_ = service_key.substr(0, slash);
  slice.meta.name = std::move(name);
  slice.service_name = service_key.substr(slash + 1);
  slice.address_type = std::move(address_type);
  for (auto& endpoint : endpoints) {
    k8s::Endpoint e;
    e.addresses = {"10.0.0.1"};
    e.ready = endpoint.ready;
    e.node_name = std::move(endpoint.node);
    slice.endpoints.push_back(std::move(e));
  }
  return slice;
}

/// Informer-cache shaped maps ("namespace/name" or name for Nodes).
template <class T>
std::map<std::string, T> byKey(std::vector<T> objects) {
  std::map<std::string, T> out;
  for (auto& object : objects) {
    std::string key = object.meta.key();
    out.emplace(std::move(key), std::move(object));
  }
  return out;
}

/// What the balanced assignment gives `vips` (all ownerless, every host a candidate for every
/// VIP) among `hosts` when they start from `loads` (absent: 0): the reference the election
/// tests compare with.
inline std::map<IpAddress, std::string> balancedAssignment(
    std::vector<IpAddress> vips, const std::vector<std::string>& hosts,
    const std::map<std::string, int>& loads = {}) {
  std::sort(vips.begin(), vips.end());  // the election's order: by address
  std::vector<std::uint32_t> start(hosts.size(), 0);
  for (std::size_t h = 0; h < hosts.size(); ++h) {
    if (auto it = loads.find(hosts[h]); it != loads.end()) start[h] = it->second;
  }
  std::vector<BalanceItem> items(vips.size());
  for (std::size_t i = 0; i < vips.size(); ++i) {
    for (std::size_t h = 0; h < hosts.size(); ++h)
      items[i].candidates.push_back({static_cast<HostId>(h), rendezvousWeight(vips[i], hosts[h])});
  }
  const auto ranks = balance(start, items, hosts);
  std::map<IpAddress, std::string> out;
  for (std::size_t i = 0; i < vips.size(); ++i)
    out[vips[i]] = hosts[ranks[i].first];
  return out;
}

/// 10,000 VIPs (10.0.0.0 ..) and 100 hosts (node-0 .. node-99) with every rendezvous weight,
/// computed once per test binary: a million SHA-256 take seconds in a Debug build.
struct WeightTable {
  std::vector<IpAddress> vips;
  std::vector<std::string> hosts;
  std::vector<std::vector<std::uint64_t>> weights;  // [vip][host]
};

inline const WeightTable& tenThousandVipsOverAHundredHosts() {
  static const WeightTable table = [] {
    WeightTable t;
    for (int h = 0; h < 100; ++h)
      t.hosts.push_back("node-" + std::to_string(h));
    for (std::uint32_t i = 0; i < 10000; ++i) {
      t.vips.push_back(IpAddress::v4(0x0A000000u + i));
      auto& row = t.weights.emplace_back();
      for (const auto& host : t.hosts)
        row.push_back(rendezvousWeight(t.vips.back(), host));
    }
    return t;
  }();
  return table;
}

/// How many of `owners`' values name each of `hosts` (0 included), as "node-a 10, node-b 9".
inline std::map<std::string, int> countPerHost(const std::map<IpAddress, std::string>& owners,
                                               const std::vector<std::string>& hosts) {
  std::map<std::string, int> counts;
  for (const auto& host : hosts)
    counts[host] = 0;
  for (const auto& [vip, host] : owners)
    ++counts[host];
  return counts;
}

/// Every count within `slack` of the mean `total` / hosts.
inline ::testing::AssertionResult spreadWithin(const std::map<std::string, int>& counts, int total,
                                               double slack) {
  const double mean = static_cast<double>(total) / static_cast<double>(counts.size());
  for (const auto& [host, count] : counts) {
    if (std::abs(count - mean) > slack) {
      return ::testing::AssertionFailure()
             << host << " has " << count << ", mean " << mean << " +- " << slack;
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::string formatCounts(const std::map<std::string, int>& counts) {
  std::string out;
  for (const auto& [host, count] : counts)
    out += (out.empty() ? "" : ", ") + host + " " + std::to_string(count);
  return out;
}

}  // namespace lbd::election::testing
