// Property test: random Service churn (create, update, delete, annotation and pool changes,
// config changes) against small pools, checked after every step. Whatever happens, no Service
// holds an address outside its pool, a shared address is shared only under MetalLB's rules,
// requests and family policies are honoured exactly, and no address is lost (used addresses are
// exactly those of the recorded Services; everything is free once every Service is gone).
//
// LBD_CHURN_STEPS and LBD_CHURN_SEED override the defaults (100,000 steps, seed 1).

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/ipam/allocation_controller.h"
#include "core/ipam/allocator.h"
#include "ipam_test_support.h"

namespace lbd::ipam {
namespace {

using testing::pool;
using testing::ServiceBuilder;

std::uint64_t fromEnvironment(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text ? std::strtoull(text, nullptr, 10) : fallback;
}

std::vector<Pool> randomPools(std::mt19937_64& random) {
  // Small pools so that exhaustion, sharing and families all matter; sometimes a range goes.
  std::vector<Pool> pools{pool("a", {"192.0.2.0/29", "2001:db8:a::/125"}),
                          pool("b", {"198.51.100.0/30"}), pool("c", {"2001:db8:c::/126"})};
  pools[0].avoid_buggy_ips = random() % 2;
  if (random() % 3 == 0) pools[1] = pool("b", {"198.51.100.0/31", "203.0.113.0/30"});
  if (random() % 4 == 0) pools[2].auto_assign = false;
  if (random() % 4 == 0) pools[0].service_selector = LabelSelector::parse("tier=web").value();
  pools[1].priority = static_cast<std::int32_t>(random() % 3);
  return pools;
}

ServiceBuilder randomService(std::mt19937_64& random, int index) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  ServiceBuilder svc("ns" + std::to_string(index % 3) + "/svc" + std::to_string(index),
                     "2026-11-24T10:" + std::to_string(10 + index % 50) + ":00Z");
  switch (pick(5)) {
    case 0:
      svc.families({"IPv6"}, "SingleStack");
      break;
    case 1:
      svc.families({"IPv4", "IPv6"}, "RequireDualStack");
      break;
    case 2:
      svc.families({"IPv6", "IPv4"}, "PreferDualStack");
      break;
    default:
      break;  // IPv4 SingleStack
  }
  if (pick(3) == 0) svc.label("tier", "web");
  if (pick(4) == 0) svc.annotate("lbd.io/address-pool", std::string(1, "abcx"[pick(4)]));
  if (pick(3) == 0) {
    svc.annotate(pick(2) ? "lbd.io/allow-shared-ip" : "metallb.universe.tf/allow-shared-ip",
                 "key" + std::to_string(pick(2)));
  }
  if (pick(5) == 0) svc.local({{"app", "x" + std::to_string(pick(2))}});
  svc.ports({{"p", pick(2) ? "TCP" : "UDP", 80 + pick(3)}});
  if (pick(8) == 0) {
    static const char* wanted[] = {"192.0.2.1", "198.51.100.1", "2001:db8:a::3", "203.0.113.1",
                                   "192.0.2.0"};
    svc.annotate("lbd.io/loadBalancerIPs", wanted[pick(5)]);
  }
  if (pick(20) == 0) svc.annotate("metallb.io/address-pool", "conflict");  // invalid sometimes
  return svc;
}

class ChurnChecker {
 public:
  ChurnChecker(const Allocator& allocator, const std::map<std::string, ServiceRequest>& services)
      : allocator_(allocator), services_(services) {}

  void check(std::uint64_t step) {
    std::size_t recorded = 0;
    for (const auto& [key, assignment] : allocator_.assignments()) {
      ASSERT_TRUE(services_.count(key))
          << "step " << step << ": " << key << " is gone but holds addresses";
      const ServiceRequest& request = services_.at(key);
      const Pool* pool = nullptr;
      for (const auto& candidate : allocator_.pools())
        if (candidate.name == assignment.pool) pool = &candidate;
      ASSERT_NE(pool, nullptr) << "step " << step;
      ASSERT_FALSE(assignment.ips.empty()) << "step " << step;
      for (const auto& ip : assignment.ips) {
        ASSERT_TRUE(pool->addresses.contains(ip))
            << "step " << step << ": " << key << " holds " << ip.toString() << " outside pool "
            << pool->name;
        if (pool->avoid_buggy_ips) {
          ASSERT_FALSE(isBuggyAddress(ip)) << "step " << step;
        }
        auto users = allocator_.users().find(ip);
        ASSERT_TRUE(users != allocator_.users().end() && users->second.count(key))
            << "step " << step;
        ++recorded;
      }
      if (!request.invalid && !request.requested_ips.empty()) {
        auto sorted = assignment.ips;
        std::sort(sorted.begin(), sorted.end());
        ASSERT_EQ(sorted, request.requested_ips) << "step " << step << ": " << key;
      }
      if (!request.invalid && request.policy == FamilyPolicy::SingleStack) {
        ASSERT_EQ(assignment.ips.size(), 1u) << "step " << step;
        ASSERT_EQ(assignment.ips[0].family(), request.families[0]) << "step " << step;
      }
      if (!request.invalid && request.policy == FamilyPolicy::RequireDualStack) {
        ASSERT_EQ(assignment.ips.size(), 2u) << "step " << step;
      }
      if (!request.invalid && !request.requested_pool.empty()) {
        ASSERT_EQ(assignment.pool, request.requested_pool) << "step " << step;
      }
    }
    // Sharing only under the rules; every use is a recorded one.
    std::size_t uses = 0;
    for (const auto& [ip, users] : allocator_.users()) {
      uses += users.size();
      for (auto a_key = users.begin(); a_key != users.end(); ++a_key) {
        for (auto b_key = std::next(a_key); b_key != users.end(); ++b_key) {
          const auto& a = *allocator_.find(*a_key);
          const auto& b = *allocator_.find(*b_key);
          ASSERT_FALSE(a.sharing_key.empty()) << "step " << step << ": " << ip.toString();
          ASSERT_EQ(a.sharing_key, b.sharing_key) << "step " << step << ": " << ip.toString();
          ASSERT_EQ(a.backend_key, b.backend_key) << "step " << step << ": " << ip.toString();
          for (const auto& port : a.ports) {
            ASSERT_FALSE(std::binary_search(b.ports.begin(), b.ports.end(), port))
                << "step " << step << ": " << *a_key << " and " << *b_key << " share "
                << ip.toString() << " and port " << port.port;
          }
        }
      }
    }
    ASSERT_EQ(uses, recorded) << "step " << step << ": a use without a Service (a lost address)";
    // Nothing lost, nothing leaked: the pools count exactly the recorded addresses.
    std::uint64_t used = 0;
    for (const auto& pool : allocator_.pools()) {
      auto usage = allocator_.usage(pool.name);
      used += usage.v4.used + usage.v6.used;
    }
    ASSERT_EQ(used, allocator_.users().size()) << "step " << step;
  }

  /// Right after every pending Service was tried again: a plain IPv4 Service (no requested
  /// address, pool or sharing key) is pending only if no pool that would serve it has a free
  /// address. Counted here address by address, independently of the allocator's bookkeeping
  /// (which skips pools it found full).
  void checkNothingPendingWhileFree(std::uint64_t step) {
    for (const auto& [key, request] : services_) {
      if (allocator_.find(key) || request.invalid || !request.requested_ips.empty() ||
          !request.requested_pool.empty() || !request.sharing_key.empty() ||
          request.policy != FamilyPolicy::SingleStack || request.families[0] != IpFamily::V4) {
        continue;
      }
      for (const auto& pool : allocator_.pools()) {
        if (!pool.auto_assign || !pool.service_selector.matches(request.labels)) continue;
        for (const auto& range : pool.addresses.ranges()) {
          if (range.family() != IpFamily::V4) continue;
          for (auto ip = std::optional<IpAddress>(range.first()); ip && *ip <= range.last();
               ip = ip->next()) {
            if (pool.avoid_buggy_ips && isBuggyAddress(*ip)) continue;
            ASSERT_TRUE(allocator_.users().count(*ip))
                << "step " << step << ": " << key << " is pending while " << ip->toString()
                << " in pool " << pool.name << " is free";
          }
        }
      }
    }
  }

 private:
  const Allocator& allocator_;
  const std::map<std::string, ServiceRequest>& services_;
};

TEST(AllocatorChurn, RandomChurnNeverBreaksAnInvariant) {
  const std::uint64_t steps = fromEnvironment("LBD_CHURN_STEPS", 100000);
  std::mt19937_64 random(fromEnvironment("LBD_CHURN_SEED", 1));
  Allocator allocator(randomPools(random));
  std::map<std::string, ServiceRequest> services;  // what exists in the "cluster"
  ChurnChecker checker(allocator, services);
  std::uint64_t assigned = 0, failed = 0, config_changes = 0;

  for (std::uint64_t step = 0; step < steps; ++step) {
    const int action = static_cast<int>(random() % 100);
    if (action < 60) {  // create or update (annotations, pool, families, ports...)
      const int index = static_cast<int>(random() % 40);
      ServiceRequest request = randomService(random, index);
      services[request.key] = request;
      auto result = allocator.assign(request);
      result ? ++assigned : ++failed;
    } else if (action < 90) {  // delete, or stop being a LoadBalancer
      const std::string key =
          "ns" + std::to_string(random() % 3) + "/svc" + std::to_string(random() % 40);
      services.erase(key);
      allocator.release(key);
    } else if (action < 92) {  // config change: every Service is fed again, oldest first
      ++config_changes;
      allocator.setPools(randomPools(random));
      std::vector<const ServiceRequest*> order;
      for (const auto& [key, request] : services)
        order.push_back(&request);
      std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
        return a->creation_timestamp < b->creation_timestamp;
      });
      for (const auto* request : order) {
        (void)allocator.assign(*request);
      }
    } else {  // retry the pending ones (capacity may have freed)
      for (const auto& [key, request] : services) {
        if (!allocator.find(key)) (void)allocator.assign(request);
      }
      checker.checkNothingPendingWhileFree(step);
    }
    checker.check(step);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (const auto& [key, request] : services)
    allocator.release(key);
  services.clear();
  checker.check(steps);
  EXPECT_TRUE(allocator.assignments().empty());
  // The run must have exercised both outcomes and config changes, or it proves little.
  EXPECT_GT(assigned, steps / 10);
  EXPECT_GT(failed, steps / 100);
  EXPECT_GT(config_changes, steps / 100);
  RecordProperty("assigned", static_cast<int>(assigned));
  RecordProperty("failed", static_cast<int>(failed));
}

// The same churn through the allocation controller, which retries pending Services by itself
// whenever addresses are freed: after every step, a plain pending Service means there is no
// free address for it, and every invariant above holds.
TEST(AllocatorChurn, ControllerRetriesPendingServicesWheneverAddressesFree) {
  const std::uint64_t steps = fromEnvironment("LBD_CHURN_STEPS", 100000) / 5;
  std::mt19937_64 random(fromEnvironment("LBD_CHURN_SEED", 1) + 1);
  AllocationController controller(KubernetesConfig{}, randomPools(random));
  std::map<std::string, k8s::Service> cluster;
  std::map<std::string, ServiceRequest> services;
  ChurnChecker checker(controller.allocator(), services);
  std::uint64_t retried_into_an_address = 0;

  for (std::uint64_t step = 0; step < steps; ++step) {
    const int action = static_cast<int>(random() % 100);
    Decisions decisions;
    if (action < 60) {
      ServiceBuilder svc = randomService(random, static_cast<int>(random() % 40));
      cluster[svc.request().key] = svc.service;
      services[svc.request().key] = svc.request();
      decisions = controller.update(svc.service, {});
    } else if (action < 97) {
      const std::string key =
          "ns" + std::to_string(random() % 3) + "/svc" + std::to_string(random() % 40);
      cluster.erase(key);
      services.erase(key);
      decisions = controller.remove(key);
    } else {
      controller.configure(KubernetesConfig{}, randomPools(random));
      std::vector<const k8s::Service*> all;
      for (const auto& [key, service] : cluster)
        all.push_back(&service);
      decisions = controller.resync(all, [](const std::string&) { return Labels{}; });
    }
    for (const auto& event : decisions.events) {
      if (event.reason == "IPAllocated" && action >= 60 && action < 97) ++retried_into_an_address;
    }
    checker.check(step);
    if (::testing::Test::HasFatalFailure()) return;
    checker.checkNothingPendingWhileFree(step);
    if (::testing::Test::HasFatalFailure()) return;
    // lbctl services agrees with the allocator.
    for (const auto& view : controller.services()) {
      ASSERT_EQ(view.state == "assigned", controller.allocator().find(view.key) != nullptr);
    }
  }
  EXPECT_GT(retried_into_an_address, steps / 100) << "deletes must have served pending Services";
}

}  // namespace
}  // namespace lbd::ipam
