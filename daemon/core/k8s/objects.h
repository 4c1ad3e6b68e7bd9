#pragma once
// The parts of Kubernetes objects lbd decides on, decoded from the API's JSON. Everything else
// is ignored, so new API fields never break lbd. Field meanings follow the API reference
// (core/v1 Service and Node, discovery.k8s.io/v1 EndpointSlice, coordination.k8s.io/v1 Lease).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/label_selector.h"

namespace lbd::k8s {

/// metadata common to every object.
struct ObjectMeta {
  std::string namespace_;  // empty for cluster-scoped objects (Nodes)
  std::string name;
  std::string uid;
  std::string resource_version;
  std::string creation_timestamp;  // RFC 3339, as the server wrote it
  std::int64_t generation = 0;
  Labels labels;
  Labels annotations;
  bool deleting = false;  // deletionTimestamp set

  /// "namespace/name", or "name" for cluster-scoped objects: the cache key.
  std::string key() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
  bool operator==(const ObjectMeta&) const = default;
};

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  std::int32_t port = 0;
  bool operator==(const ServicePort&) const = default;
};

struct LoadBalancerIngress {
  std::string ip;
  std::string hostname;
  std::string ip_mode;  // "VIP" | "Proxy" | "" (servers before 1.29 drop it)
  bool operator==(const LoadBalancerIngress&) const = default;
};

struct Service {
  ObjectMeta meta;
  std::string type;  // "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
  std::optional<std::string> load_balancer_class;
  std::string load_balancer_ip;          // deprecated spec.loadBalancerIP
  std::vector<std::string> ip_families;  // "IPv4" | "IPv6", in order
  std::string ip_family_policy;          // SingleStack | PreferDualStack | RequireDualStack
  std::string external_traffic_policy;   // "Cluster" | "Local"
  Labels selector;
  std::vector<ServicePort> ports;
  std::vector<LoadBalancerIngress> ingress;  // status.loadBalancer.ingress
  bool operator==(const Service&) const = default;
};

struct Endpoint {
  std::vector<std::string> addresses;
  bool ready = true;  // conditions.ready; unset means ready (API reference)
  bool serving = true;
  bool terminating = false;
  std::string node_name;
  bool operator==(const Endpoint&) const = default;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string service_name;  // label kubernetes.io/service-name
  std::string address_type;  // IPv4 | IPv6 | FQDN
  std::vector<Endpoint> endpoints;
  bool operator==(const EndpointSlice&) const = default;
};

struct NodeAddress {
  std::string type;  // InternalIP | ExternalIP | Hostname ...
  std::string address;
  bool operator==(const NodeAddress&) const = default;
};

struct Node {
  ObjectMeta meta;
  bool ready = false;  // condition Ready == "True"
  bool unschedulable = false;
  std::vector<NodeAddress> addresses;
  bool operator==(const Node&) const = default;
};

/// Only its labels matter: pools select Services by their Namespace's labels.
struct Namespace {
  ObjectMeta meta;
  bool operator==(const Namespace&) const = default;
};

struct Lease {
  ObjectMeta meta;
  std::string holder_identity;
  std::optional<std::int32_t> lease_duration_seconds;
  std::string acquire_time;  // MicroTime text, e.g. 2026-11-24T20:00:00.000000Z
  std::string renew_time;
  std::int32_t lease_transitions = 0;
  bool operator==(const Lease&) const = default;
};

}  // namespace lbd::k8s
