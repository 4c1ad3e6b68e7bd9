#pragma once
// Every request lbd makes to the API server (except watches) waits here for its turn: a bounded
// number in flight, served by class in order (core/k8s/dispatch_policy.h), 429 + Retry-After
// honoured per class, retries of failed requests without holding a slot.
//
// What waits is a decision, not a prepared request: the caller gives a builder that is called
// only when the request's turn comes, so a backlog of 10,000 status writes costs a closure each,
// not 10,000 bodies, headers and transfers - and the builder sees the state of that moment. It
// returns nothing when the decision no longer holds (the host lost the leadership or ownership
// it decided under): the request is dropped, counted, and never sent late (fencing). A retry
// calls the builder again, so a retried write is fenced too.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/backoff.h"
#include "core/k8s/dispatch_policy.h"
#include "core/k8s/request_class.h"
#include "io/k8s/api_response.h"

namespace lbd::k8s {

struct OutgoingRequest {
  std::string method;
  std::string path;  // with the query
  std::string body;
  std::string content_type;
  /// Whole-request limit; zero = the client's default. A fenced write sets the time its
  /// leadership is sure to last, so it cannot land after it.
  std::chrono::milliseconds timeout{0};
  /// Fenced writes: not sent at all after this moment (the HTTP layer may hold a request
  /// before it goes out, e.g. waiting for an HTTP/2 stream, and its timeout only starts then).
  std::optional<std::chrono::steady_clock::time_point> send_by;
};

/// Called when the request's turn comes; nothing = drop it (the decision is stale).
using BuildRequest = std::function<std::optional<OutgoingRequest>()>;
using ResponseCallback = std::function<void(ApiResponse)>;

struct RequestSchedulerOptions {
  DispatchLimits limits;
  std::uint32_t max_attempts = 5;   // per request, for 5xx and transport failures
  std::uint32_t max_refusals = 20;  // 429s per request before it fails (each waits Retry-After)
  /// Queued requests per class beyond which new ones are refused (dropped, counted). Event
  /// producers coalesce before this; the others keep one entry per object.
  std::array<std::size_t, kRequestClassCount> max_queued = {1u << 20, 1u << 20, 1u << 20, 1024};
};

struct RequestClassStats {
  std::uint64_t queued = 0;     // waiting now (including those waiting to retry)
  std::uint64_t in_flight = 0;  // sent, no answer yet
  std::uint64_t sent = 0;       // requests sent (a retry counts again)
  std::uint64_t refused = 0;    // 429 answers
  std::uint64_t fenced = 0;     // dropped unsent: the decision no longer held
  std::uint64_t dropped = 0;    // refused at the door: the class's queue was full
  std::uint64_t failed = 0;     // no answer, 5xx or 429 after every retry
};

struct RequestQueueStats {
  std::array<RequestClassStats, kRequestClassCount> classes;
  std::chrono::system_clock::time_point last_refused_at{};  // epoch when none
  std::string last_refused;  // "PATCH /api/v1/namespaces/x/services/y/status (status)"
  bool throttled = false;    // some class is held by a 429 right now
};

class RequestScheduler {
 public:
  /// Sends one request and calls back with its answer (once, on the loop).
  using Send = std::function<void(const OutgoingRequest&, ResponseCallback)>;

  RequestScheduler(boost::asio::io_context& io, RequestSchedulerOptions options, Send send);
  ~RequestScheduler();
  RequestScheduler(const RequestScheduler&) = delete;
  RequestScheduler& operator=(const RequestScheduler&) = delete;

  /// Queues a request of `request_class`; `done` gets its final answer (also when dropped).
  /// `max_attempts` (0 = the options') bounds retries of 5xx and transport failures: a caller
  /// that repeats on its own schedule anyway (a heartbeat) wants 1, not a backoff that makes
  /// its next attempt late.
  void submit(RequestClass request_class, BuildRequest build, ResponseCallback done,
              std::uint32_t max_attempts = 0);

  RequestQueueStats stats() const;
  const DispatchPolicy& policy() const { return policy_; }

 private:
  struct Entry;
  void pump();
  void armWake();
  void answer(std::shared_ptr<Entry> entry, ApiResponse response);
  void requeue(std::shared_ptr<Entry> entry, bool front);
  void finish(const std::shared_ptr<Entry>& entry, ApiResponse response);

  boost::asio::io_context& io_;
  RequestSchedulerOptions options_;
  Send send_;
  DispatchPolicy policy_;
  std::array<std::deque<std::shared_ptr<Entry>>, kRequestClassCount> queues_;
  std::array<RequestClassStats, kRequestClassCount> stats_{};
  std::array<std::uint64_t, kRequestClassCount> retrying_{};  // waiting out a backoff
  std::chrono::system_clock::time_point last_refused_at_{};
  std::string last_refused_;
  boost::asio::steady_timer wake_;
  std::optional<std::chrono::steady_clock::time_point> wake_at_;
  bool pumping_ = false;
  std::mt19937_64 random_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lbd::k8s
