#pragma once
// Writes status.loadBalancer.ingress of a Service through the /status subresource (JSON merge
// patch: the whole ingress list is replaced, so released IPs disappear).
//
// ipMode ("VIP": traffic to the IP really reaches the node, so kube-proxy need not short-cut
// it) exists from Kubernetes 1.29 and is dropped silently by older servers or when the feature
// is off. The writer sends it until an answer shows the server dropped it, then stops sending
// it, so status stays identical to what a server without ipMode stores and no write repeats.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/k8s/objects.h"
#include "io/k8s/api_client.h"

namespace lbd::k8s {

class ServiceStatusWriter {
 public:
  /// The answer, and the Service as stored when the write succeeded.
  using Done = std::function<void(const ApiResponse&, const std::optional<Service>&)>;

  explicit ServiceStatusWriter(ApiClient& api) : api_(api) {}

  /// Annotation changes ride in the same patch (the API applies metadata changes sent to
  /// /status, and needs only the services/status permission for them): a value sets the
  /// annotation, nullopt removes it.
  using AnnotationChanges = std::map<std::string, std::optional<std::string>>;

  void setIngress(const std::string& service_namespace, const std::string& name,
                  const std::vector<std::string>& ips, Done done,
                  const AnnotationChanges& annotations = {});

  struct IngressWrite {
    std::string namespace_;
    std::string name;
    std::vector<std::string> ips;
    AnnotationChanges annotations;
    // 0 = the client's request timeout. Otherwise also sent as `?timeout=`, which makes
    // kube-apiserver give up on the write (504) rather than commit it after the deadline, e.g.
    // when it sat queued in API Priority and Fairness: a client-side timeout alone does not
    // stop the server.
    std::chrono::milliseconds timeout{0};
  };
  /// The write as it stands when its turn comes, or nothing to drop it (fencing).
  using DecideWrite = std::function<std::optional<IngressWrite>()>;
  /// Queues a status write whose content is decided only when it is sent (request
  /// scheduler): a backlog holds the caller's decisions, not request bodies. A dropped write
  /// calls `done` with ApiResponse::dropped set.
  void submit(DecideWrite decide, Done done);

  /// Unknown until the first successful write with at least one IP.
  std::optional<bool> ipModeSupported() const { return ip_mode_supported_; }

 private:
  ApiClient& api_;
  std::optional<bool> ip_mode_supported_;
};

}  // namespace lbd::k8s
