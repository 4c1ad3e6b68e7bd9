#pragma once
// Kubernetes API requests on top of HttpClient: base URL, bearer token (re-read when the
// token file changes: bound ServiceAccount tokens rotate), client-side rate limit (qps/burst),
// and retries - 429 after the server's Retry-After, 5xx and transport failures with
// exponential backoff - so callers see one final answer per request.

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/backoff.h"
#include "core/k8s/kubeconfig.h"
#include "core/k8s/object_codec.h"
#include "io/k8s/http_client.h"

namespace lbd::k8s {

struct ApiClientOptions {
  ClusterAccess access;
  double qps = 20.0;
  std::uint32_t burst = 40;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  std::uint32_t max_attempts = 5;  // per request, for retryable failures
  std::string user_agent = "lbd";
};

struct ApiResponse {
  int status = 0;  // HTTP status; 0 = no answer (transport failure)
  std::string body;
  std::string transport_error;
  std::optional<Status> api_status;  // decoded when the body is a metav1.Status
  bool http2 = false;

  bool ok() const { return status >= 200 && status < 300; }
  /// "409 Conflict: Operation cannot be fulfilled ..." or the transport error.
  std::string describe() const;
};

class ApiClient {
 public:
  using Callback = std::function<void(ApiResponse)>;

  ApiClient(boost::asio::io_context& io, ApiClientOptions options);

  /// One API call with retries. `path` includes the query, e.g. "/api/v1/services?limit=500".
  void call(std::string method, std::string path, std::string body, std::string content_type,
            Callback done);

  /// A watch (or any stream): bytes go to on_data as they arrive; on_done gets the end.
  /// Rate-limited when started, never retried (the informer decides how to resume).
  HttpClient::RequestId stream(std::string path, HttpClient::OnData on_data,
                               std::function<void(ApiResponse)> on_done);
  void cancel(HttpClient::RequestId id) { http_.cancel(id); }

  const std::string& server() const { return options_.access.server; }
  /// The last failure seen on any request (empty after a success).
  const std::string& lastError() const { return last_error_; }
  bool lastRequestSucceeded() const { return last_error_.empty(); }

 private:
  void attempt(std::shared_ptr<struct PendingCall> pending);
  HttpRequest makeRequest(const std::string& method, const std::string& path,
                          const std::string& body, const std::string& content_type);
  std::string bearerToken();
  /// Runs `action` when the rate limiter allows one more request.
  void whenAllowed(std::function<void()> action);
  void noteResult(const ApiResponse& response);

  boost::asio::io_context& io_;
  ApiClientOptions options_;
  HttpClient http_;
  TokenBucket bucket_;
  std::mt19937_64 random_;
  std::string token_;  // cached token_file content
  struct timespec token_mtime_ {};
  off_t token_size_ = -1;
  std::string last_error_;
};

/// Parses a Retry-After header in seconds (the API server always sends seconds).
std::chrono::milliseconds retryAfter(const std::map<std::string, std::string>& headers);

}  // namespace lbd::k8s
