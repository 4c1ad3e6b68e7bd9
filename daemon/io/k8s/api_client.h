#pragma once
// Kubernetes API requests on top of HttpClient: base URL, bearer token (re-read when the
// token file changes: bound ServiceAccount tokens rotate), and every request except watches
// through the request scheduler (request_scheduler.h): bounded in flight, served by class,
// 429 honoured, retries - so callers see one final answer per request.
//
// With a token file, a request is never sent without its token: while the file has never
// given one (empty: a Secret not mounted yet; unreadable), requests fail here with what is
// wrong with the file, instead of reaching the server as system:anonymous and coming back as
// 403s that point at RBAC. A file that turns empty or unreadable later keeps the last token.

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/k8s/kubeconfig.h"
#include "core/k8s/object_codec.h"
#include "io/k8s/api_response.h"
#include "io/k8s/http_client.h"
#include "io/k8s/request_scheduler.h"

namespace lbd::k8s {

struct ApiClientOptions {
  ClusterAccess access;
  RequestSchedulerOptions scheduling;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  std::string user_agent = "lbd";
};

class ApiClient {
 public:
  using Callback = std::function<void(ApiResponse)>;

  ApiClient(boost::asio::io_context& io, ApiClientOptions options);
  ~ApiClient() { *alive_ = false; }

  /// One API call with retries. `path` includes the query, e.g. "/api/v1/services?limit=500".
  /// Its class follows from method and path (core/k8s/request_class.h).
  /// `max_attempts`: see RequestScheduler::submit (0 = the default).
  void call(std::string method, std::string path, std::string body, std::string content_type,
            Callback done, std::uint32_t max_attempts = 0);
  /// A request decided now and built when its turn comes (see request_scheduler.h): for bulk
  /// writes whose backlog must not hold prepared bodies, and for fenced writes.
  void submit(RequestClass request_class, BuildRequest build, Callback done);

  /// A watch (or any stream): bytes go to on_data as they arrive; on_done gets the end.
  /// Started at once, never retried (the informer decides how to resume).
  HttpClient::RequestId stream(std::string path, HttpClient::OnData on_data,
                               std::function<void(ApiResponse)> on_done);
  void cancel(HttpClient::RequestId id) { http_.cancel(id); }

  const std::string& server() const { return options_.access.server; }
  /// The last failure seen on any request (empty after a success).
  const std::string& lastError() const { return last_error_; }
  bool lastRequestSucceeded() const { return last_error_.empty(); }
  RequestQueueStats queueStats() const { return scheduler_.stats(); }
  /// Called when a request succeeds (or a watch opens) after failures: the API server is
  /// reachable again, so whoever backs off may try now.
  void onReachableAgain(std::function<void()> handler) { on_reachable_again_ = std::move(handler); }
  std::chrono::milliseconds requestTimeout() const { return options_.request_timeout; }

 private:
  void send(const OutgoingRequest& outgoing, Callback done);
  HttpRequest makeRequest(const std::string& method, const std::string& path,
                          const std::string& body, const std::string& content_type);
  std::string bearerToken();
  /// Why a request cannot be sent with the credentials it needs, if it cannot.
  std::optional<std::string> credentialsMissing();
  /// Answers `done` with `why` as a failure from the loop (not from inside the caller).
  void failLater(std::string why, std::function<void(ApiResponse)> done);
  void noteResult(const ApiResponse& response);
  void noteSuccess();

  ApiClientOptions options_;
  boost::asio::io_context& io_;
  HttpClient http_;
  RequestScheduler scheduler_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::string token_;          // cached token_file content
  std::string token_problem_;  // why the token file gave no token at the last read
  struct timespec token_mtime_ {};
  off_t token_size_ = -1;
  std::string last_error_;
  std::function<void()> on_reachable_again_;
};

/// Parses a Retry-After header in seconds (the API server always sends seconds).
std::chrono::milliseconds retryAfter(const std::map<std::string, std::string>& headers);

}  // namespace lbd::k8s
