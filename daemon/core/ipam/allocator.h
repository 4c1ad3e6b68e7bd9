#pragma once
// The IP allocator: which addresses a LoadBalancer Service gets, from which pool, with MetalLB's
// rules so Services written for MetalLB keep working. Pure and single-threaded: the allocator
// role (one per cluster, elected through a Lease) feeds it Services and writes what it decides.
//
// Rules, in the order they apply:
//   - A Service keeps the addresses it has (its record here, or on a fresh start the ones in its
//     status) while they still satisfy it: in one configured pool that serves it, the requested
//     IPs/pool if any, its address families, and the sharing rules. Otherwise they are released
//     and it is allocated again - which is what happens when a config change removes an in-use
//     range, when the pool annotation changes, or when a younger Service holds an IP an older
//     one had (the caller feeds older Services first).
//   - Requested IPs are given exactly or not at all. A requested pool is used or nothing is.
//   - Otherwise pools are tried in order: pools with namespace/label selectors that match the
//     Service by (priority, name), then pools without selectors by (priority, name); pools with
//     auto-assign = false only when asked for by name or address.
//   - Within a pool the lowest free address is taken, skipping .0 and .255 with avoid-buggy-ips;
//     with a sharing key an address already shared under that key comes first.
//   - Sharing: Services may share an address only with the same non-empty sharing key, the same
//     backend (both externalTrafficPolicy Cluster, or both Local with the same selector) and no
//     (protocol, port) in common.
//   - Dual stack: RequireDualStack needs one address per family from one pool; PreferDualStack
//     takes what one pool has and gains the missing family later when it becomes available;
//     SingleStack takes the first family of spec.ipFamilies.

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config/config.h"
#include "core/ip.h"
#include "core/ipam/allocation_failure.h"
#include "core/ipam/service_request.h"
#include "core/result.h"

namespace lbd::ipam {

struct Assignment {
  std::string pool;
  std::vector<IpAddress> ips;  // in the Service's family order
  std::string sharing_key;
  std::string backend_key;
  std::vector<PortKey> ports;
  bool operator==(const Assignment&) const = default;
};

struct FamilyUsage {
  AddressCount size;
  std::uint64_t used = 0;  // distinct addresses in use (a shared address counts once)
};

struct PoolUsage {
  FamilyUsage v4;
  FamilyUsage v6;
};

class Allocator {
 public:
  explicit Allocator(std::vector<Pool> pools = {});

  /// New configuration. Assignments are not touched here: the caller feeds every Service again
  /// (oldest first), and assign() moves those whose addresses no longer fit.
  void setPools(std::vector<Pool> pools);

  /// Decides for one Service and records the result. On failure the Service keeps nothing,
  /// except when its request itself is invalid: then what it had stays while it still lies in
  /// its pool (nothing is lost because of a typo in an annotation).
  Result<Assignment, AllocationFailure> assign(const ServiceRequest& request);

  /// The Service is gone, or no longer ours (type or class changed).
  void release(const std::string& service_key);

  const Assignment* find(const std::string& service_key) const;
  const std::unordered_map<std::string, Assignment>& assignments() const { return assignments_; }
  /// Services using `address` (several when shared).
  std::vector<std::string> usersOf(const IpAddress& address) const;
  /// Every address in use and its Services.
  const std::map<IpAddress, std::set<std::string>>& users() const { return users_; }
  PoolUsage usage(const std::string& pool_name) const;
  const std::vector<Pool>& pools() const { return pools_; }

 private:
  struct Candidate {
    const Pool* pool = nullptr;
    std::vector<IpAddress> ips;
  };

  const Pool* poolNamed(const std::string& name) const;
  const Pool* poolContaining(const IpAddress& address) const;
  bool serves(const Pool& pool, const ServiceRequest& request) const;
  std::vector<IpFamily> neededFamilies(const ServiceRequest& request) const;
  std::optional<AllocationFailure> checkSharing(const IpAddress& address,
                                                const ServiceRequest& request) const;
  bool stillValid(const ServiceRequest& request, const std::vector<IpAddress>& ips) const;
  std::optional<IpAddress> pick(const Pool& pool, IpFamily family,
                                const ServiceRequest& request) const;
  Result<Candidate, AllocationFailure> requestedAddresses(const ServiceRequest& request) const;
  Result<Candidate, AllocationFailure> fromPools(const ServiceRequest& request) const;
  void record(const ServiceRequest& request, const Pool& pool, std::vector<IpAddress> ips);

  std::vector<Pool> pools_;  // in the order pools are tried when nothing is requested
  std::unordered_map<std::string, Assignment> assignments_;
  std::map<IpAddress, std::set<std::string>> users_;  // address -> Services using it
  // (pool, family) found without a free address: skipped until an address of it is released
  // or the pools change. Without it, every Service that cannot be served walks every full pool
  // address by address (10,000 Services on 100 full pools: 900 decisions/s instead of 60,000).
  mutable std::set<std::pair<std::string, IpFamily>> full_;
  // (pool, family) -> every address below it is in use, so the search for the lowest free one
  // starts there: allocating N addresses in a row costs O(N), not O(N^2). Lowered when an
  // address below it is released.
  mutable std::map<std::pair<std::string, IpFamily>, IpAddress> low_water_;
};

/// .0 and .255 IPv4 addresses, which some old clients and routers mishandle.
bool isBuggyAddress(const IpAddress& address);

}  // namespace lbd::ipam
