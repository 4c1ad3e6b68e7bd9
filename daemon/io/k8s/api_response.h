#pragma once
// One final answer to an API request, as lbd's writers see it.

#include <chrono>
#include <optional>
#include <string>

#include "core/k8s/object_codec.h"

namespace lbd::k8s {

struct ApiResponse {
  int status = 0;  // HTTP status; 0 = no answer (transport failure, or not sent: see `dropped`)
  std::string body;
  std::string transport_error;
  std::optional<Status> api_status;  // decoded when the body is a metav1.Status
  bool http2 = false;
  std::chrono::milliseconds retry_after{0};  // the server's Retry-After (429, 503)
  /// Never sent: its builder found the decision stale (fencing), or the queue was full.
  bool dropped = false;

  bool ok() const { return status >= 200 && status < 300; }
  /// "409 Conflict: Operation cannot be fulfilled ..." or the transport error.
  std::string describe() const;
};

}  // namespace lbd::k8s
