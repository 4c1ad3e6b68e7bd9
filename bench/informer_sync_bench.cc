// Informer sync cost, without the network: the same decode + cache path lbd runs on LIST pages
// and WATCH events (core/k8s/list_watch.h), fed with realistic API objects (shaped like the
// recorded kube-apiserver v1.28.7 answers, managedFields included).
//
//   lbd_bench_informer [services] [slices] [nodes] [watch_events]
//   default: 10000 10000 1000 100000
//
// Reports CPU time and the growth of peak RSS per phase, and watch-event decode throughput.
// The HTTP side (curl, TLS) is measured separately against the API test server.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>

#include "core/k8s/list_watch.h"

namespace {

using lbd::k8s::Json;

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Resident memory now (not the peak): the caches stay alive, so the growth is what they cost.
long rssKiB() {
  malloc_trim(0);  // hand freed JSON parse buffers back, so what remains is the caches
  long pages_total = 0, pages_resident = 0;
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(statm);
  }
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long peakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

Json managedFields(const std::string& manager) {
  return Json::array(
      {{{"manager", manager},
        {"operation", "Update"},
        {"apiVersion", "v1"},
        {"time", "2026-11-23T13:50:10Z"},
        {"fieldsType", "FieldsV1"},
        {"fieldsV1", {{"f:spec", {{"f:ports", Json::object()}, {"f:type", Json::object()}}}}}}});
}

Json meta(const std::string& ns, const std::string& name, int rv) {
  return {{"name", name},
          {"namespace", ns},
          {"uid", "7bae8687-e274-404b-8b0a-" + std::to_string(100000000000 + rv)},
          {"resourceVersion", std::to_string(rv)},
          {"creationTimestamp", "2026-11-23T13:50:10Z"},
          {"labels", {{"app", name}, {"tier", "frontend"}}},
          {"managedFields", managedFields("kubectl-client-side-apply")}};
}

Json service(int i, int rv) {
  return {
      {"metadata", meta("ns-" + std::to_string(i % 50), "svc-" + std::to_string(i), rv)},
      {"spec",
       {{"ports", Json::array({{{"name", "https"},
                                {"protocol", "TCP"},
                                {"port", 443},
                                {"targetPort", 8443},
                                {"nodePort", 30000 + i % 2000}}})},
        {"selector", {{"app", "svc-" + std::to_string(i)}}},
        {"clusterIP", "10.96.0.1"},
        {"clusterIPs", Json::array({"10.96.0.1"})},
        {"type", "LoadBalancer"},
        {"sessionAffinity", "None"},
        {"externalTrafficPolicy", "Cluster"},
        {"ipFamilies", Json::array({"IPv4"})},
        {"ipFamilyPolicy", "SingleStack"},
        {"allocateLoadBalancerNodePorts", true},
        {"internalTrafficPolicy", "Cluster"}}},
      {"status",
       {{"loadBalancer", {{"ingress", Json::array({{{"ip", "192.0.2.1"}, {"ipMode", "VIP"}}})}}}}}};
}

Json slice(int i, int rv) {
  Json m = meta("ns-" + std::to_string(i % 50), "svc-" + std::to_string(i) + "-abcde", rv);
  m["labels"]["kubernetes.io/service-name"] = "svc-" + std::to_string(i);
  Json endpoints = Json::array();
  for (int e = 0; e < 3; ++e) {
    endpoints.push_back(
        {{"addresses", Json::array({"10.1." + std::to_string(i % 250) + "." + std::to_string(e)})},
         {"conditions", {{"ready", true}, {"serving", true}, {"terminating", false}}},
         {"nodeName", "node-" + std::to_string((i + e) % 1000)}});
  }
  return {{"metadata", m},
          {"addressType", "IPv4"},
          {"endpoints", endpoints},
          {"ports", Json::array({{{"name", "https"}, {"port", 8443}, {"protocol", "TCP"}}})}};
}

Json node(int i, int rv) {
  return {{"metadata", meta("", "node-" + std::to_string(i), rv)},
          {"status",
           {{"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})},
            {"addresses", Json::array({{{"type", "InternalIP"}, {"address", "192.0.2.10"}}})}}}};
}

template <class T, class Make>
std::unique_ptr<lbd::k8s::InformerCache<T>> syncPhase(const char* kind, int count, Make make) {
  auto owned = std::make_unique<lbd::k8s::InformerCache<T>>();
  auto& cache = *owned;
  lbd::k8s::ListWatch<T> machine(
      cache, lbd::Backoff(std::chrono::milliseconds(1), std::chrono::seconds(1)));
  (void)machine.start();
  const long rss_before = rssKiB();
  double cpu = 0;  // decoding + applying only; generating the server's JSON is not lbd's cost
  constexpr int kPage = 500;
  for (int start = 0; start < count; start += kPage) {
    Json list{{"metadata", {{"resourceVersion", "1000000"}}}, {"items", Json::array()}};
    for (int i = start; i < std::min(count, start + kPage); ++i) {
      list["items"].push_back(make(i, 1000 + i));
    }
    if (start + kPage < count) list["metadata"]["continue"] = "token";
    const std::string body = list.dump();
    const double before = cpuSeconds();
    auto page = lbd::k8s::decodeListPage(body);
    (void)machine.onListPage(std::move(page.value()));
    cpu += cpuSeconds() - before;
  }
  std::printf(
      "%-15s %7d objects  cached %7zu  decode+apply cpu %6.3f s  (%8.0f objects/s)  "
      "RSS +%6ld KiB\n",
      kind, count, cache.objects().size(), cpu, count / cpu, rssKiB() - rss_before);
  return owned;
}

}  // namespace

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int slices = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int nodes = argc > 3 ? std::atoi(argv[3]) : 1000;
  const int events = argc > 4 ? std::atoi(argv[4]) : 100000;
  std::printf("peak RSS at start: %ld KiB\n", peakRssKiB());
  const long rss_start = rssKiB();
  auto service_cache = syncPhase<lbd::k8s::Service>("services", services, service);
  auto slice_cache = syncPhase<lbd::k8s::EndpointSlice>("endpointslices", slices, slice);
  auto node_cache = syncPhase<lbd::k8s::Node>("nodes", nodes, node);
  std::printf("all three caches: RSS +%ld KiB\n", rssKiB() - rss_start);

  // Watch decode throughput: MODIFIED events for 1,000 Services, as one stream of lines.
  std::string stream;
  for (int i = 0; i < events; ++i) {
    stream += Json{{"type", "MODIFIED"}, {"object", service(i % 1000, 2000000 + i)}}.dump();
    stream += '\n';
  }
  lbd::k8s::InformerCache<lbd::k8s::Service> cache;
  lbd::k8s::ListWatch<lbd::k8s::Service> machine(
      cache, lbd::Backoff(std::chrono::milliseconds(1), std::chrono::seconds(1)));
  (void)machine.onListPage(lbd::k8s::ListPage{"1999999", "", {}});
  lbd::k8s::LineSplitter splitter;
  const double start = cpuSeconds();
  constexpr std::size_t kChunk = 16384;  // a typical read() from a TLS stream
  for (std::size_t offset = 0; offset < stream.size(); offset += kChunk) {
    for (const auto& line : splitter.feed(std::string_view(stream).substr(offset, kChunk))) {
      (void)machine.onWatchLine(line);
    }
  }
  const double cpu = cpuSeconds() - start;
  std::printf(
      "watch decode    %7d events   %8.0f events/s  (%.1f MB of JSON, %.0f MB/s)  applied %llu\n",
      events, events / cpu, static_cast<double>(stream.size()) / 1e6,
      static_cast<double>(stream.size()) / 1e6 / cpu,
      static_cast<unsigned long long>(machine.counters().events));
  std::printf("peak RSS at end: %ld KiB\n", peakRssKiB());
  return 0;
}
