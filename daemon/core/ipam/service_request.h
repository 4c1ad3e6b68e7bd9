#pragma once
// What a LoadBalancer Service asks of the allocator, read from its spec and annotations with
// MetalLB's keys honoured next to lbd's own, so Services written for MetalLB work unchanged:
//
//   addresses  lbd.io/loadBalancerIPs, metallb.io/loadBalancerIPs,
//              metallb.universe.tf/loadBalancerIPs, spec.loadBalancerIP (deprecated)
//   pool       lbd.io/address-pool, metallb.io/address-pool, metallb.universe.tf/address-pool
//   sharing    lbd.io/allow-shared-ip, metallb.io/allow-shared-ip,
//              metallb.universe.tf/allow-shared-ip
//
// Two sources that disagree are an error the user must fix, not a silent precedence rule.

#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/ip.h"
#include "core/ipam/allocation_failure.h"
#include "core/k8s/objects.h"

namespace lbd::ipam {

enum class FamilyPolicy { SingleStack, PreferDualStack, RequireDualStack };

/// (protocol, port): two Services may share an IP only if these do not overlap.
struct PortKey {
  std::string protocol;
  std::int32_t port = 0;
  auto operator<=>(const PortKey&) const = default;
};

struct ServiceRequest {
  std::string key;  // namespace/name
  std::string namespace_;
  Labels labels;
  Labels namespace_labels;
  std::string creation_timestamp;  // RFC 3339: sorts in time order
  std::vector<IpFamily> families;  // wanted, in the Service's order (spec.ipFamilies)
  FamilyPolicy policy = FamilyPolicy::SingleStack;
  std::vector<IpAddress> requested_ips;  // at most one per family
  std::string requested_pool;
  std::string sharing_key;
  // Services sharing an IP must send traffic to the same place: "" for Cluster, the pod
  // selector for Local (kube-proxy on a node only forwards to local pods).
  std::string backend_key;
  std::vector<PortKey> ports;                // sorted
  std::vector<IpAddress> current_ips;        // status.loadBalancer.ingress, as found
  std::optional<AllocationFailure> invalid;  // the request itself is wrong
};

/// Whether lbd serves this Service at all: type LoadBalancer, and spec.loadBalancerClass equal
/// to lbd's class, or unset when lbd is the cluster's default implementation.
bool servedByLbd(const k8s::Service& service, const KubernetesConfig& config);

/// Reads the request; `namespace_labels` are the labels of the Service's Namespace (for pool
/// namespace selectors).
ServiceRequest readServiceRequest(const k8s::Service& service, const Labels& namespace_labels);

}  // namespace lbd::ipam
