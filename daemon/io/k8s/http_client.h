#pragma once
// HTTPS client on libcurl's multi interface, driven by the Asio loop: curl tells us which
// sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION); we
// wait with Asio and hand the events back. Nothing blocks and everything runs on the loop
// thread. HTTP/2 is negotiated by ALPN when the server offers it, and then every request to
// that server - long-running watches included - is multiplexed over one connection.
// TLS is always verified.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace lbd::k8s {

/// How to reach and authenticate to the server. PEM data in memory (kubeconfig `*-data`
/// fields) or files; at least one CA source is required: TLS is never unverified.
struct TlsSettings {
  std::string ca_file;
  std::string ca_pem;
  std::string client_cert_file;
  std::string client_cert_pem;
  std::string client_key_file;
  std::string client_key_pem;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  /// Whole-request limit; zero = none (watches: the server ends them via timeoutSeconds).
  std::chrono::milliseconds timeout{0};
  /// A stream whose bytes go to on_data as they arrive (watches) instead of into body; an
  /// error status (>= 300) is not streamed: its body is collected into HttpResponse::body.
  bool streaming = false;
  /// Not sent after this moment: checked when the connection is ready, right before the
  /// request goes out (curl may hold a transfer until then, and its timeout starts only then).
  std::optional<std::chrono::steady_clock::time_point> send_by{};
};

struct HttpResponse {
  long status = 0;                             // 0 when the transfer failed
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // empty for streaming requests
  std::string transport_error;                 // curl's message when status == 0 or cut short
  bool http2 = false;
};

class HttpClient {
 public:
  using RequestId = std::uint64_t;
  using OnData = std::function<void(std::string_view)>;
  using OnDone = std::function<void(HttpResponse)>;
  /// Called once when the response headers are complete, with the status. For a watch this is
  /// the moment it is known to be open, long before its first event.
  using OnOpen = std::function<void(long status)>;

  HttpClient(boost::asio::io_context& io, TlsSettings tls,
             std::chrono::milliseconds connect_timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Starts a request; on_done runs exactly once on the loop (unless cancelled first).
  RequestId start(HttpRequest request, OnData on_data, OnDone on_done, OnOpen on_open = {});
  /// Aborts a request; its callbacks will not run.
  void cancel(RequestId id);
  std::size_t inFlight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lbd::k8s
