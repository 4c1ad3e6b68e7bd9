#pragma once
// The cluster as lbd sees it: one API client and the informers for Services, EndpointSlices,
// Nodes, Namespaces and lbd's Leases, plus a summary of their state for D-Bus and lbctl. Later
// issues hang the allocator and the announcer off these caches.

#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>

#include "core/config/config.h"
#include "core/k8s/objects.h"
#include "io/bus/manager_bus.h"
#include "io/k8s/api_client.h"
#include "io/k8s/informer.h"

namespace lbd {

class KubernetesWatch {
 public:
  KubernetesWatch(boost::asio::io_context& io, const KubernetesConfig& kubernetes,
                  const ElectionConfig& election, k8s::ClusterAccess access,
                  std::shared_ptr<spdlog::logger> log);

  void start();
  void stop();

  /// "connecting" until every informer has listed once, then "connected"; "retrying" while
  /// requests fail.
  std::string state() const;
  const std::string& server() const;
  std::string lastError() const;
  std::vector<bus::ResourceRow> resources() const;

  k8s::Informer<k8s::Service>& services() { return services_; }
  k8s::Informer<k8s::EndpointSlice>& endpointSlices() { return endpoint_slices_; }
  k8s::Informer<k8s::Node>& nodes() { return nodes_; }
  k8s::Informer<k8s::Lease>& leases() { return leases_; }
  k8s::Informer<k8s::Namespace>& namespaces() { return namespaces_; }
  k8s::ApiClient& api() { return *api_; }

 private:
  std::unique_ptr<k8s::ApiClient> api_;
  k8s::Informer<k8s::Service> services_;
  k8s::Informer<k8s::EndpointSlice> endpoint_slices_;
  k8s::Informer<k8s::Node> nodes_;
  k8s::Informer<k8s::Lease> leases_;
  k8s::Informer<k8s::Namespace> namespaces_;
};

}  // namespace lbd
