#include "io/k8s/service_status_writer.h"

#include "core/k8s/object_builders.h"

namespace lbd::k8s {

void ServiceStatusWriter::setIngress(const std::string& service_namespace, const std::string& name,
                                     const std::vector<std::string>& ips, Done done,
                                     const AnnotationChanges& annotations) {
  IngressWrite write{service_namespace, name, ips, annotations, {}};
  submit([write = std::move(write)] { return std::optional<IngressWrite>(write); },
         std::move(done));
}

void ServiceStatusWriter::submit(DecideWrite decide, Done done) {
  // Whether ipMode went out is known only when the request is built: shared with the answer.
  auto sent_ip_mode = std::make_shared<bool>(false);
  auto build = [this, decide = std::move(decide),
                sent_ip_mode]() -> std::optional<OutgoingRequest> {
    std::optional<IngressWrite> write = decide();
    if (!write) return std::nullopt;
    *sent_ip_mode = ip_mode_supported_.value_or(true) && !write->ips.empty();
    Json patch = serviceIngressPatch(write->ips, *sent_ip_mode ? "VIP" : "");
    for (const auto& [key, value] : write->annotations) {
      patch["metadata"]["annotations"][key] = value ? Json(*value) : Json(nullptr);
    }
    std::string path =
        "/api/v1/namespaces/" + write->namespace_ + "/services/" + write->name + "/status";
    OutgoingRequest request{
        "PATCH", "", patch.dump(), "application/merge-patch+json", write->timeout, std::nullopt};
    if (write->timeout.count() > 0) {
      // Half the window to go out (checked right before sending), half for the server (which
      // counts ?timeout= from arrival): sent by build + W/2, committed by arrival + W/2, so by
      // build + W on a LAN, however long the request waited in between.
      const auto half = write->timeout / 2;
      path += "?timeout=" + std::to_string(half.count()) + "ms";
      request.send_by = std::chrono::steady_clock::now() + half;
    }
    request.path = std::move(path);
    return request;
  };
  api_.submit(RequestClass::Status, std::move(build),
              [this, sent_ip_mode, done = std::move(done)](ApiResponse response) {
                std::optional<Service> stored;
                if (response.ok()) {
                  if (auto json = parseJson(response.body)) {
                    if (auto service = decodeService(json.value()))
                      stored = std::move(service.value());
                  }
                }
                if (stored && *sent_ip_mode && !stored->ingress.empty()) {
                  ip_mode_supported_ = !stored->ingress.front().ip_mode.empty();
                }
                done(response, stored);
              });
}

}  // namespace lbd::k8s
