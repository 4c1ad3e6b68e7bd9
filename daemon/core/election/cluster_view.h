#pragma once
// What the layer-2 election needs to know of the cluster, built from the informer caches and
// the configuration: the VIPs, and which nodes may announce each by cluster state.
//
// A VIP is an address in status.loadBalancer.ingress of a Service lbd serves (ipam::servedByLbd)
// that lies in a layer2 pool. Services sharing one address (sharing key) are one VIP: one owner
// answers for all of them. A dual-stack Service gives two VIPs, elected independently.
//
// A node is eligible for a VIP by cluster state when (DESIGN.md section 3):
//   - its Node exists and is Ready;
//   - it is not labelled node.kubernetes.io/exclude-from-external-load-balancers (any value, as
//     the Kubernetes service controller reads it);
//   - it matches the pool's node-selector;
//   - with externalTrafficPolicy Local, it has a ready endpoint of the VIP's Services: kube-proxy
//     drops Local traffic on a node without one. Endpoints of the VIP's family only (kube-proxy
//     sends IPv6 VIP traffic to IPv6 endpoints); for a shared VIP, any Local Service's endpoint
//     counts. The allocator only lets Services share when they agree on the policy and pods;
//     should a Cluster and a Local Service share anyway, the VIP follows the stricter Local rule.
// Cordoned (unschedulable) nodes stay eligible: cordoning stops new pods, not traffic.
// What only the host itself knows (an up interface for the VIP, its own heartbeat) is not here.

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/ip.h"
#include "core/k8s/objects.h"

namespace lbd::election {

inline constexpr std::string_view kExcludeFromLoadBalancersLabel =
    "node.kubernetes.io/exclude-from-external-load-balancers";

/// One VIP (of a layer2 pool, or of a bgp pool in a view built for BGP).
struct Vip {
  IpAddress ip;
  std::string pool;
  std::vector<std::string> services;               // "namespace/name", sorted
  bool local_traffic = false;                      // a Service has externalTrafficPolicy Local
  std::set<std::string, std::less<>> ready_nodes;  // with a ready local endpoint (Local only)
  bool operator==(const Vip&) const = default;
};

class ClusterView {
 public:
  /// No VIPs, no nodes.
  ClusterView() = default;

  /// Builds the view from the informer caches (keyed "namespace/name", as InformerCache keeps
  /// them) and the configuration, for the pools of `mode` (the BGP role asks for its own: the
  /// eligibility rules are the same, only the pools differ).
  static ClusterView build(const std::map<std::string, k8s::Service>& services,
                           const std::map<std::string, k8s::EndpointSlice>& endpoint_slices,
                           const std::map<std::string, k8s::Node>& nodes,
                           const std::vector<Pool>& pools, const KubernetesConfig& kubernetes,
                           PoolMode mode = PoolMode::Layer2);

  const std::map<IpAddress, Vip>& vips() const { return vips_; }
  const Vip* find(const IpAddress& ip) const;

  /// Whether `node` may announce `vip` by cluster state.
  bool eligible(const Vip& vip, std::string_view node) const;
  /// Why `node` may not announce `vip`, as a phrase for logs and lbctl; "" when it may.
  std::string ineligibility(const Vip& vip, std::string_view node) const;

  bool operator==(const ClusterView&) const = default;

 private:
  struct NodeFacts {
    bool ready = false;
    bool excluded = false;
    Labels labels;
    bool operator==(const NodeFacts&) const = default;
  };

  PoolMode mode_ = PoolMode::Layer2;
  std::map<IpAddress, Vip> vips_;
  std::map<std::string, NodeFacts, std::less<>> nodes_;
  std::map<std::string, LabelSelector, std::less<>> pool_selectors_;  // layer2 pools
  // Per layer2 pool, the nodes whose Node passes every node-level rule (precomputed: the
  // election asks for every candidate of every ownerless VIP).
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> pool_nodes_;
};

}  // namespace lbd::election
