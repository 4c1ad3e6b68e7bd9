#include "core/ipam/allocator.h"

#include <algorithm>
#include <tuple>

namespace lbd::ipam {
namespace {

bool hasSelectors(const Pool& pool) {
  return !pool.namespaces.empty() || !pool.namespace_selector.empty() ||
         !pool.service_selector.empty();
}

std::string familyName(IpFamily family) {
  return family == IpFamily::V4 ? "IPv4" : "IPv6";
}

std::string joined(const std::vector<IpAddress>& ips) {
  std::string text;
  for (const auto& ip : ips)
    text += (text.empty() ? "" : ", ") + ip.toString();
  return text;
}

Unexpected<AllocationFailure> failure(FailureReason reason, std::string message) {
  return Unexpected{AllocationFailure{reason, std::move(message)}};
}

}  // namespace

bool isBuggyAddress(const IpAddress& address) {
  if (!address.isV4()) return false;
  const auto last_octet = static_cast<std::uint8_t>(address.toInteger() & 0xff);
  return last_octet == 0 || last_octet == 255;
}

Allocator::Allocator(std::vector<Pool> pools) {
  setPools(std::move(pools));
}

void Allocator::setPools(std::vector<Pool> pools) {
  // The order in which pools are tried: selector pools first (they were written for particular
  // Services), then the general ones; each group by priority (lower first), then name.
  std::stable_sort(pools.begin(), pools.end(), [](const Pool& a, const Pool& b) {
    return std::make_tuple(!hasSelectors(a), a.priority, a.name) <
           std::make_tuple(!hasSelectors(b), b.priority, b.name);
  });
  pools_ = std::move(pools);
  full_.clear();
  low_water_.clear();
}

const Pool* Allocator::poolNamed(const std::string& name) const {
  for (const auto& pool : pools_) {
    if (pool.name == name) return &pool;
  }
  return nullptr;
}

const Pool* Allocator::poolContaining(const IpAddress& address) const {
  for (const auto& pool : pools_) {
    if (pool.addresses.contains(address)) return &pool;  // pools never overlap (config check)
  }
  return nullptr;
}

bool Allocator::serves(const Pool& pool, const ServiceRequest& request) const {
  if (!pool.namespaces.empty() && std::find(pool.namespaces.begin(), pool.namespaces.end(),
                                            request.namespace_) == pool.namespaces.end()) {
    return false;
  }
  return pool.namespace_selector.matches(request.namespace_labels) &&
         pool.service_selector.matches(request.labels);
}

std::vector<IpFamily> Allocator::neededFamilies(const ServiceRequest& request) const {
  if (request.policy == FamilyPolicy::SingleStack) return {request.families.front()};
  return request.families;
}

std::vector<std::string> Allocator::usersOf(const IpAddress& address) const {
  auto it = users_.find(address);
  if (it == users_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

const Assignment* Allocator::find(const std::string& service_key) const {
  auto it = assignments_.find(service_key);
  return it == assignments_.end() ? nullptr : &it->second;
}

std::optional<AllocationFailure> Allocator::checkSharing(const IpAddress& address,
                                                         const ServiceRequest& request) const {
  auto it = users_.find(address);
  if (it == users_.end()) return std::nullopt;
  for (const auto& other_key : it->second) {
    if (other_key == request.key) continue;
    const Assignment& other = assignments_.at(other_key);
    if (request.sharing_key.empty() || other.sharing_key != request.sharing_key) {
      return AllocationFailure{
          FailureReason::IpInUse,
          address.toString() + " is in use by " + other_key +
              (other.sharing_key.empty()
                   ? ""
                   : ", which shares it only under sharing key \"" + other.sharing_key + "\"")};
    }
    if (other.backend_key != request.backend_key) {
      return AllocationFailure{
          FailureReason::SharingConflict,
          "cannot share " + address.toString() + " with " + other_key +
              ": Services sharing an address need the same externalTrafficPolicy, and the same "
              "pod selector when it is Local"};
    }
    for (const auto& port : request.ports) {
      if (std::binary_search(other.ports.begin(), other.ports.end(), port)) {
        return AllocationFailure{FailureReason::SharingConflict,
                                 "cannot share " + address.toString() + " with " + other_key +
                                     ": both use port " + port.protocol + "/" +
                                     std::to_string(port.port)};
      }
    }
  }
  return std::nullopt;
}

bool Allocator::stillValid(const ServiceRequest& request, const std::vector<IpAddress>& ips) const {
  if (ips.empty()) return false;
  const Pool* pool = poolContaining(ips.front());
  if (pool == nullptr || !serves(*pool, request)) return false;
  if (!request.requested_pool.empty() && pool->name != request.requested_pool) return false;
  if (!request.requested_ips.empty()) {
    auto sorted = ips;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != request.requested_ips) return false;
  }
  std::vector<IpFamily> have;
  for (const auto& ip : ips) {
    if (!pool->addresses.contains(ip)) return false;  // addresses from two pools
    if (pool->avoid_buggy_ips && isBuggyAddress(ip)) return false;
    if (std::find(have.begin(), have.end(), ip.family()) != have.end()) return false;
    if (std::find(request.families.begin(), request.families.end(), ip.family()) ==
        request.families.end()) {
      return false;
    }
    have.push_back(ip.family());
    if (checkSharing(ip, request)) return false;
  }
  if (request.policy == FamilyPolicy::SingleStack) {
    return ips.size() == 1 && ips.front().family() == request.families.front();
  }
  if (request.policy == FamilyPolicy::RequireDualStack) {
    return ips.size() == request.families.size();
  }
  return true;  // PreferDualStack: any non-empty subset (the caller may still add a family)
}

std::optional<IpAddress> Allocator::pick(const Pool& pool, IpFamily family,
                                         const ServiceRequest& request) const {
  // An address already shared under the Service's key comes first: that is what the key is for.
  if (!request.sharing_key.empty()) {
    // Only the used addresses inside the pool's ranges (the map is ordered by address).
    for (const auto& range : pool.addresses.ranges()) {
      if (range.family() != family) continue;
      for (auto it = users_.lower_bound(range.first());
           it != users_.end() && it->first <= range.last(); ++it) {
        const auto& [address, users] = *it;
        if (pool.avoid_buggy_ips && isBuggyAddress(address)) continue;
        if (users.size() == 1 && users.count(request.key)) continue;
        if (!checkSharing(address, request)) return address;
      }
    }
  }
  // The lowest free address: walk the pool's ranges and the used addresses side by side.
  if (full_.count({pool.name, family})) return std::nullopt;
  // A Service that already holds an address here may get it again: the mark does not apply.
  const bool use_mark = find(request.key) == nullptr;
  auto mark = low_water_.find({pool.name, family});
  for (const auto& range : pool.addresses.ranges()) {
    if (range.family() != family) continue;
    std::optional<IpAddress> candidate = range.first();
    if (use_mark && mark != low_water_.end()) {
      if (range.last() < mark->second) continue;
      if (*candidate < mark->second) candidate = mark->second;
    }
    auto used = users_.lower_bound(*candidate);
    while (candidate && *candidate <= range.last()) {
      if (pool.avoid_buggy_ips && isBuggyAddress(*candidate)) {
        candidate = candidate->next();
        continue;
      }
      while (used != users_.end() && used->first < *candidate)
        ++used;
      const bool taken = used != users_.end() && used->first == *candidate &&
                         !(used->second.size() == 1 && used->second.count(request.key));
      if (!taken) {
        if (use_mark) low_water_[{pool.name, family}] = *candidate;
        return candidate;
      }
      candidate = candidate->next();
    }
  }
  full_.insert({pool.name, family});
  return std::nullopt;
}

Result<Allocator::Candidate, AllocationFailure> Allocator::requestedAddresses(
    const ServiceRequest& request) const {
  Candidate candidate;
  for (const auto& ip : request.requested_ips) {
    const Pool* pool = poolContaining(ip);
    if (pool == nullptr) {
      return failure(FailureReason::IpNotInAnyPool,
                     "requested address " + ip.toString() + " is not in any pool");
    }
    if (candidate.pool != nullptr && candidate.pool != pool) {
      return failure(FailureReason::InvalidRequest,
                     "requested addresses " + joined(request.requested_ips) +
                         " are in different pools (" + candidate.pool->name + ", " + pool->name +
                         ")");
    }
    candidate.pool = pool;
  }
  const Pool& pool = *candidate.pool;
  if (!request.requested_pool.empty() && request.requested_pool != pool.name) {
    return failure(FailureReason::ConflictingRequests,
                   "requested address " + request.requested_ips.front().toString() +
                       " is in pool \"" + pool.name + "\", but the Service asks for pool \"" +
                       request.requested_pool + "\"");
  }
  if (!serves(pool, request)) {
    return failure(FailureReason::PoolDoesNotServe,
                   "pool \"" + pool.name + "\" does not serve " + request.key +
                       " (its namespace or label selectors exclude it)");
  }
  for (const auto& family : request.families) {
    for (const auto& ip : request.requested_ips) {
      if (ip.family() != family) continue;
      if (pool.avoid_buggy_ips && isBuggyAddress(ip)) {
        return failure(FailureReason::InvalidRequest,
                       "requested address " + ip.toString() + " ends in .0 or .255, which pool \"" +
                           pool.name + "\" avoids (avoid-buggy-ips)");
      }
      if (auto problem = checkSharing(ip, request)) return Unexpected{*problem};
      candidate.ips.push_back(ip);
    }
  }
  return candidate;
}

Result<Allocator::Candidate, AllocationFailure> Allocator::fromPools(
    const ServiceRequest& request) const {
  std::vector<const Pool*> tried;
  if (!request.requested_pool.empty()) {
    const Pool* pool = poolNamed(request.requested_pool);
    if (pool == nullptr) {
      return failure(FailureReason::UnknownPool,
                     "pool \"" + request.requested_pool + "\" is not configured");
    }
    if (!serves(*pool, request)) {
      return failure(FailureReason::PoolDoesNotServe,
                     "pool \"" + pool->name + "\" does not serve " + request.key +
                         " (its namespace or label selectors exclude it)");
    }
    tried.push_back(pool);
  } else {
    for (const auto& pool : pools_) {
      if (pool.auto_assign && serves(pool, request)) tried.push_back(&pool);
    }
  }
  const auto needed = neededFamilies(request);
  bool family_seen = false;
  std::optional<AllocationFailure> sharing_problem;
  for (const Pool* pool : tried) {
    Candidate candidate{pool, {}};
    bool complete = true;
    for (const auto family : needed) {
      if (!pool->addresses.hasFamily(family)) {
        complete = false;
        continue;
      }
      family_seen = true;
      if (auto ip = pick(*pool, family, request)) {
        candidate.ips.push_back(*ip);
      } else {
        complete = false;
      }
    }
    const bool enough =
        request.policy == FamilyPolicy::PreferDualStack ? !candidate.ips.empty() : complete;
    if (enough) return candidate;
  }
  std::string families;
  for (const auto family : needed)
    families += (families.empty() ? "" : " and ") + familyName(family);
  if (tried.empty()) {
    return failure(
        FailureReason::PoolExhausted,
        "no pool serves " + request.key + " (none matches it, or all are auto-assign = false)");
  }
  if (!family_seen) {
    return failure(FailureReason::FamilyUnavailable,
                   "no pool that serves " + request.key + " has " + families + " addresses");
  }
  if (request.policy == FamilyPolicy::RequireDualStack) {
    // Either no pool has both families, or those that do are full.
    bool any_dual = std::any_of(tried.begin(), tried.end(), [&](const Pool* pool) {
      return std::all_of(needed.begin(), needed.end(),
                         [&](IpFamily family) { return pool->addresses.hasFamily(family); });
    });
    if (!any_dual) {
      return failure(FailureReason::FamilyUnavailable, "RequireDualStack: no pool that serves " +
                                                           request.key + " has both " + families +
                                                           " addresses");
    }
  }
  std::string names;
  for (const Pool* pool : tried)
    names += (names.empty() ? "\"" : ", \"") + pool->name + "\"";
  return failure(FailureReason::PoolExhausted, "no free " + families + " address in pool" +
                                                   (tried.size() > 1 ? "s " : " ") + names);
}

void Allocator::record(const ServiceRequest& request, const Pool& pool,
                       std::vector<IpAddress> ips) {
  release(request.key);
  for (const auto& ip : ips)
    users_[ip].insert(request.key);
  assignments_[request.key] = Assignment{pool.name, std::move(ips), request.sharing_key,
                                         request.backend_key, request.ports};
}

void Allocator::release(const std::string& service_key) {
  auto it = assignments_.find(service_key);
  if (it == assignments_.end()) return;
  for (const auto& ip : it->second.ips) {
    auto users = users_.find(ip);
    if (users == users_.end()) continue;
    users->second.erase(service_key);
    if (users->second.empty()) {
      users_.erase(users);
      if (const Pool* pool = poolContaining(ip)) {
        full_.erase({pool->name, ip.family()});
        auto mark = low_water_.find({pool->name, ip.family()});
        if (mark != low_water_.end() && ip < mark->second) mark->second = ip;
      }
    }
  }
  assignments_.erase(it);
}

Result<Assignment, AllocationFailure> Allocator::assign(const ServiceRequest& request) {
  if (request.invalid) {
    // Nothing is lost because of a typo in an annotation: what the Service has stays while it
    // still lies in its pool under the current configuration.
    if (const Assignment* existing = find(request.key)) {
      const Pool* pool = poolNamed(existing->pool);
      const bool fits =
          pool != nullptr &&
          std::all_of(existing->ips.begin(), existing->ips.end(), [&](const IpAddress& ip) {
            return pool->addresses.contains(ip) && !(pool->avoid_buggy_ips && isBuggyAddress(ip));
          });
      if (!fits) release(request.key);
    }
    return Unexpected{*request.invalid};
  }

  // Keep what the Service has when it still fits: its record, or (first sight after a start)
  // the addresses in its status.
  const Assignment* existing = find(request.key);
  const std::vector<IpAddress>& held = existing ? existing->ips : request.current_ips;
  if (stillValid(request, held)) {
    const Pool& pool = *poolContaining(held.front());
    std::vector<IpAddress> ips = held;
    if (request.policy == FamilyPolicy::PreferDualStack && request.requested_ips.empty() &&
        ips.size() < request.families.size()) {
      // Gain the family it could not have before, from the same pool, if there is one now.
      for (const auto family : request.families) {
        const bool have = std::any_of(ips.begin(), ips.end(),
                                      [&](const IpAddress& ip) { return ip.family() == family; });
        if (have || !pool.addresses.hasFamily(family)) continue;
        if (auto ip = pick(pool, family, request)) ips.push_back(*ip);
      }
    }
    // Keep the Service's family order (spec.ipFamilies) in status.
    std::stable_sort(ips.begin(), ips.end(), [&](const IpAddress& a, const IpAddress& b) {
      auto rank = [&](IpFamily f) {
        return std::find(request.families.begin(), request.families.end(), f) -
               request.families.begin();
      };
      return rank(a.family()) < rank(b.family());
    });
    record(request, pool, ips);
    return assignments_.at(request.key);
  }

  release(request.key);
  auto candidate = request.requested_ips.empty() ? fromPools(request) : requestedAddresses(request);
  if (!candidate) return Unexpected{candidate.error()};
  record(request, *candidate.value().pool, std::move(candidate.value().ips));
  return assignments_.at(request.key);
}

PoolUsage Allocator::usage(const std::string& pool_name) const {
  PoolUsage usage;
  const Pool* pool = poolNamed(pool_name);
  if (pool == nullptr) return usage;
  usage.v4.size = pool->addresses.size(IpFamily::V4);
  usage.v6.size = pool->addresses.size(IpFamily::V6);
  for (const auto& [address, users] : users_) {
    if (!pool->addresses.contains(address)) continue;
    (address.isV4() ? usage.v4 : usage.v6).used += 1;
  }
  return usage;
}

}  // namespace lbd::ipam
