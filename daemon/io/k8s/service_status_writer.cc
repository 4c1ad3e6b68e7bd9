#include "io/k8s/service_status_writer.h"

#include "core/k8s/object_builders.h"

namespace lbd::k8s {

void ServiceStatusWriter::setIngress(const std::string& service_namespace, const std::string& name,
                                     const std::vector<std::string>& ips, Done done,
                                     const AnnotationChanges& annotations) {
  const bool send_ip_mode = ip_mode_supported_.value_or(true) && !ips.empty();
  const std::string path =
      "/api/v1/namespaces/" + service_namespace + "/services/" + name + "/status";
  Json patch = serviceIngressPatch(ips, send_ip_mode ? "VIP" : "");
  for (const auto& [key, value] : annotations) {
    patch["metadata"]["annotations"][key] = value ? Json(*value) : Json(nullptr);
  }
  api_.call("PATCH", path, patch.dump(), "application/merge-patch+json",
            [this, send_ip_mode, done = std::move(done)](ApiResponse response) {
              std::optional<Service> stored;
              if (response.ok()) {
                if (auto json = parseJson(response.body)) {
                  if (auto service = decodeService(json.value()))
                    stored = std::move(service.value());
                }
              }
              if (stored && send_ip_mode && !stored->ingress.empty()) {
                ip_mode_supported_ = !stored->ingress.front().ip_mode.empty();
              }
              done(response, stored);
            });
}

}  // namespace lbd::k8s
