#include "app/kubernetes_watch.h"

#include "lbd_version.h"

namespace lbd {
namespace {

k8s::ApiClientOptions clientOptions(const KubernetesConfig& kubernetes, k8s::ClusterAccess access) {
  k8s::ApiClientOptions options;
  options.access = std::move(access);
  options.scheduling.limits.max_in_flight = kubernetes.max_requests_in_flight;
  options.scheduling.limits.lease_in_flight = kLeaseRequestsInFlight;
  options.scheduling.limits.qps = kubernetes.qps;
  options.scheduling.limits.burst = kubernetes.burst;
  options.connect_timeout = kubernetes.connect_timeout;
  options.request_timeout = kubernetes.request_timeout;
  options.user_agent = std::string("lbd/") + kVersion;
  return options;
}

k8s::InformerOptions collection(std::string path, Duration resync_interval) {
  k8s::InformerOptions options;
  options.collection_path = std::move(path);
  options.resync_interval = resync_interval;
  return options;
}

template <class T>
bus::ResourceRow row(const char* name, const k8s::Informer<T>& informer) {
  const auto& counters = informer.counters();
  return bus::ResourceRow{name,
                          informer.cache().synced(),
                          informer.cache().objects().size(),
                          counters.malformed,
                          informer.state(),
                          counters.resyncs,
                          counters.repaired,
                          counters.server_behind,
                          counters.uid_changes};
}

}  // namespace

KubernetesWatch::KubernetesWatch(boost::asio::io_context& io, const KubernetesConfig& kubernetes,
                                 const ElectionConfig& election, k8s::ClusterAccess access,
                                 std::shared_ptr<spdlog::logger> log)
    : api_(std::make_unique<k8s::ApiClient>(io, clientOptions(kubernetes, std::move(access)))),
      services_(io, *api_, collection("/api/v1/services", kubernetes.resync_interval), log),
      endpoint_slices_(
          io, *api_,
          collection("/apis/discovery.k8s.io/v1/endpointslices", kubernetes.resync_interval), log),
      nodes_(io, *api_, collection("/api/v1/nodes", kubernetes.resync_interval), log),
      leases_(io, *api_,
              collection(
                  "/apis/coordination.k8s.io/v1/namespaces/" + election.lease_namespace + "/leases",
                  kubernetes.resync_interval),
              log),
      namespaces_(io, *api_, collection("/api/v1/namespaces", kubernetes.resync_interval), log) {
  // After an outage the informers' backoff may have grown to 15-30 s; the first request that
  // gets through again (a heartbeat, a Lease renewal) brings them back within a renew interval,
  // or no host could fail over until they return (test_layer2's API outage).
  api_->onReachableAgain([this, within = election.renew_interval] {
    services_.retrySoon(within);
    endpoint_slices_.retrySoon(within);
    nodes_.retrySoon(within);
    leases_.retrySoon(within);
    namespaces_.retrySoon(within);
  });
}

void KubernetesWatch::start() {
  services_.start();
  endpoint_slices_.start();
  nodes_.start();
  leases_.start();
  namespaces_.start();
}

void KubernetesWatch::stop() {
  services_.stop();
  endpoint_slices_.stop();
  nodes_.stop();
  leases_.stop();
  namespaces_.stop();
}

std::string KubernetesWatch::state() const {
  if (!api_->lastRequestSucceeded()) return "retrying";
  const bool synced = services_.cache().synced() && endpoint_slices_.cache().synced() &&
                      nodes_.cache().synced() && leases_.cache().synced() &&
                      namespaces_.cache().synced();
  return synced ? "connected" : "connecting";
}

const std::string& KubernetesWatch::server() const {
  return api_->server();
}

std::string KubernetesWatch::lastError() const {
  return api_->lastError();
}

std::vector<bus::ResourceRow> KubernetesWatch::resources() const {
  return {row("services", services_), row("endpointslices", endpoint_slices_), row("nodes", nodes_),
          row("leases", leases_), row("namespaces", namespaces_)};
}

}  // namespace lbd
