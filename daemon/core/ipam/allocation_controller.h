#pragma once
// The allocator role's brain: turns Services (as the informer sees them) into allocator
// decisions, and decisions into what must be written - status.loadBalancer.ingress, the
// lbd.io/ip-allocated-from-pool annotation, and Events. Pure; the app feeds it the cache and
// performs the writes.
//
//   - resync(): everything from scratch, as on becoming the allocator or after a config change:
//     Services that already have addresses first, oldest first, so the older Service wins a
//     clash and nothing moves that need not (lbd keeps no state of its own).
//   - update()/remove(): one Service changed or went away. Whenever addresses are freed, the
//     pending Services are tried again, oldest first.
//   - Status is written only when it differs from what the Service shows, so a resync or a
//     repeated event writes nothing.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/ipam/allocator.h"
#include "core/ipam/service_request.h"
#include "core/k8s/objects.h"

namespace lbd::ipam {

inline constexpr const char* kAllocatedFromPoolAnnotation = "lbd.io/ip-allocated-from-pool";

/// The status (and pool annotation) one Service should show.
struct StatusUpdate {
  std::string namespace_;
  std::string name;
  std::vector<std::string> ips;  // ingress, in spec.ipFamilies order; empty clears it
  std::string pool;              // annotation value; empty removes the annotation
  bool operator==(const StatusUpdate&) const = default;
};

/// An Event to record on a Service.
struct ServiceEvent {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
  std::string type;    // "Normal" | "Warning"
  std::string reason;  // "IPAllocated" | "AllocationFailed" | "IPReleased"
  std::string message;
};

struct Decisions {
  std::vector<StatusUpdate> status;
  std::vector<ServiceEvent> events;
  std::size_t decided = 0;  // Services the allocator looked at (for benches and logs)
};

// What is kept of a Service besides its request: enough to name it in Events and to compare
// the status it shows. Not the whole object: the informer's cache holds that once, and a
// second copy per Service was the largest part of lbd's memory at 10,000 Services.
struct ServiceRef {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
  std::vector<std::string> ingress_ips;  // status.loadBalancer.ingress[].ip, in order
  std::string pool_annotation;           // lbd.io/ip-allocated-from-pool, "" when absent
};

/// The ServiceRef of a Service as the informer holds it.
ServiceRef refOf(const k8s::Service& service);

/// One line of `lbctl services`.
struct ServiceView {
  std::string key;  // namespace/name
  std::vector<std::string> ips;
  std::string pool;
  std::string state;    // "assigned" | "pending"
  std::string reason;   // FailureReason word: why pending, or what is wrong with a kept request
  std::string message;  // the sentence for humans
};

class AllocationController {
 public:
  using NamespaceLabels = std::function<Labels(const std::string& namespace_)>;

  AllocationController(KubernetesConfig kubernetes, std::vector<Pool> pools);

  /// New pools or class settings; follow with resync().
  void configure(KubernetesConfig kubernetes, std::vector<Pool> pools);

  Decisions resync(const std::vector<const k8s::Service*>& services,
                   const NamespaceLabels& namespace_labels);
  Decisions update(const k8s::Service& service, const Labels& namespace_labels);
  Decisions remove(const std::string& key);
  /// Drops every decision (this host stopped being the allocator).
  void forget();

  std::vector<ServiceView> services() const;
  const Allocator& allocator() const { return allocator_; }

 private:
  struct Tracked {
    ServiceRef service;
    ServiceRequest request;                    // as last read, for retries
    std::optional<AllocationFailure> failure;  // last failure, for Events only on change
  };

  void decide(const k8s::Service& service, const Labels& namespace_labels, Tracked& tracked,
              Decisions& out);
  void stopServing(const k8s::Service& service, Decisions& out);
  void retryPending(Decisions& out);
  static bool mayGainFromFreedAddresses(const Tracked& tracked);
  void noteFailure(Tracked& tracked, const AllocationFailure& failure, Decisions& out);
  void wantStatus(const ServiceRef& service, const Assignment* assignment, Decisions& out) const;

  KubernetesConfig kubernetes_;
  Allocator allocator_;
  std::map<std::string, Tracked> tracked_;  // every Service lbd serves, by namespace/name
  // The tracked Services without addresses: a release looks at these, not at all Services.
  std::set<std::string> pending_;
  void notePending(const std::string& key);
};

}  // namespace lbd::ipam
