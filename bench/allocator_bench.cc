// Allocator decisions per second, pure (no API server): the allocation controller that the
// allocator role runs, on 10,000 Services and 100 pools.
//
//   lbd_bench_allocator [services] [pools] [churn_steps]
//   default: 10000 100 100000
//
// Phases:
//   first    every Service new (a fresh cluster): resync() from nothing
//   rebuild  a new allocator takes over: every Service already shows its addresses in status
//   churn    random updates (labels, pool annotation), deletes and creates, one decision each
// No real peer runs here: MetalLB's allocator is Go code inside its controller and needs a
// cluster; the end-to-end figures against the API test server are in allocator_e2e_bench.py.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "core/ipam/allocation_controller.h"

namespace {

using namespace lbd;

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long peakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Pool i: 10.(i/256).(i%256).0/25 plus 2001:db8:<i>::/120; one in ten selects namespace ns-<i%10>
// by label, one in ten is auto-assign = false.
std::vector<Pool> makePools(int count) {
  std::vector<Pool> pools;
  for (int i = 0; i < count; ++i) {
    Pool pool;
    pool.name = "pool-" + std::to_string(i);
    const std::string v4 =
        "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/25";
    char v6[64];
    std::snprintf(v6, sizeof v6, "2001:db8:%x::/120", i);
    pool.addresses.add(IpRange::fromPrefix(IpPrefix::parse(v4).value()));
    pool.addresses.add(IpRange::fromPrefix(IpPrefix::parse(v6).value()));
    pool.address_texts = {v4, v6};
    pool.avoid_buggy_ips = i % 2 == 0;
    pool.priority = i % 7;
    if (i % 10 == 1)
      pool.namespace_selector = LabelSelector::parse("team=t" + std::to_string(i % 3)).value();
    if (i % 10 == 2) pool.auto_assign = false;
    pools.push_back(std::move(pool));
  }
  return pools;
}

k8s::Service makeService(int index, int pools, std::mt19937_64& random) {
  k8s::Service service;
  service.meta.namespace_ = "ns-" + std::to_string(index % 50);
  service.meta.name = "svc-" + std::to_string(index);
  service.meta.uid = "uid-" + std::to_string(index);
  service.meta.resource_version = std::to_string(index + 1);
  char created[32];
  std::snprintf(created, sizeof created, "2026-11-%02dT%02d:%02d:%02dZ", 1 + index / 86400 % 28,
                index / 3600 % 24, index / 60 % 60, index % 60);
  service.meta.creation_timestamp = created;
  service.type = "LoadBalancer";
  service.ip_families = {"IPv4"};
  service.ip_family_policy = "SingleStack";
  service.external_traffic_policy = "Cluster";
  service.selector = {{"app", service.meta.name}};
  service.ports = {{"http", "TCP", 80}, {"https", "TCP", 443}};
  const int kind = static_cast<int>(random() % 100);
  if (kind < 10) {
    service.ip_families = {"IPv4", "IPv6"};
    service.ip_family_policy = "PreferDualStack";
  } else if (kind < 20) {
    service.meta.annotations["lbd.io/address-pool"] =
        "pool-" + std::to_string(static_cast<int>(random() % static_cast<unsigned>(pools)));
  } else if (kind < 25) {
    service.meta.annotations["metallb.universe.tf/allow-shared-ip"] =
        "key-" + std::to_string(index % 200);
    service.ports = {{"p", "TCP", 1000 + index % 1000}};
  }
  return service;
}

void report(const char* phase, std::size_t decisions, double cpu, const lbd::ipam::Decisions& d) {
  std::printf(
      "%-8s %8zu decisions in %6.3f s CPU = %9.0f decisions/s  (%zu status writes, %zu events)\n",
      phase, decisions, cpu, cpu > 0 ? static_cast<double>(decisions) / cpu : 0.0, d.status.size(),
      d.events.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int service_count = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int pool_count = argc > 2 ? std::atoi(argv[2]) : 100;
  const int churn_steps = argc > 3 ? std::atoi(argv[3]) : 100000;
  std::printf("lbd_bench_allocator %d %d %d\n", service_count, pool_count, churn_steps);
  std::mt19937_64 random(42);
  const auto pools = makePools(pool_count);
  std::vector<k8s::Service> services;
  for (int i = 0; i < service_count; ++i)
    services.push_back(makeService(i, pool_count, random));
  auto namespaceLabels = [](const std::string& ns) {
    return Labels{{"team", "t" + std::to_string(ns.size() % 3)}};
  };
  std::vector<const k8s::Service*> pointers;
  for (const auto& service : services)
    pointers.push_back(&service);

  // first
  ipam::AllocationController first(KubernetesConfig{}, pools);
  double start = cpuSeconds();
  auto decisions = first.resync(pointers, namespaceLabels);
  report("first", decisions.decided, cpuSeconds() - start, decisions);
  std::size_t assigned = first.allocator().assignments().size();
  std::printf("         %zu of %d Services assigned\n", assigned, service_count);

  // rebuild: the Services show what the first allocator decided
  for (auto& service : services) {
    service.ingress.clear();
    if (const auto* assignment = first.allocator().find(service.meta.key())) {
      for (const auto& ip : assignment->ips)
        service.ingress.push_back({ip.toString(), "", "VIP"});
      service.meta.annotations[ipam::kAllocatedFromPoolAnnotation] = assignment->pool;
    }
  }
  ipam::AllocationController second(KubernetesConfig{}, pools);
  start = cpuSeconds();
  decisions = second.resync(pointers, namespaceLabels);
  report("rebuild", decisions.decided, cpuSeconds() - start, decisions);

  // churn
  start = cpuSeconds();
  std::size_t decided = 0;
  ipam::Decisions last;
  for (int step = 0; step < churn_steps; ++step) {
    const int index = static_cast<int>(random() % static_cast<unsigned>(service_count));
    k8s::Service& service = services[static_cast<std::size_t>(index)];
    const int action = static_cast<int>(random() % 10);
    if (action < 7) {
      service.meta.labels["rev"] = std::to_string(step);
      if (action == 0) {
        service.meta.annotations["lbd.io/address-pool"] =
            "pool-" +
            std::to_string(static_cast<int>(random() % static_cast<unsigned>(pool_count)));
      }
      last = second.update(service, namespaceLabels(service.meta.namespace_));
    } else if (action < 9) {
      last = second.remove(service.meta.key());
    } else {
      last = second.update(service, namespaceLabels(service.meta.namespace_));
    }
    decided += last.decided;
  }
  report("churn", decided, cpuSeconds() - start, last);
  std::printf("peak RSS %.1f MiB\n", static_cast<double>(peakRssKiB()) / 1024.0);
  return 0;
}
