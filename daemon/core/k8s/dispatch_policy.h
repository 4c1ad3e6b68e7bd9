#pragma once
// Which queued API request may start now: the rules of lbd's request scheduler, pure so they
// are tested without a loop or a server (io/k8s/request_scheduler.h does the I/O).
//
//   - Bounded concurrency. kube-apiserver's API Priority and Fairness gives every client of a
//     priority level a hand of 6 queues of 50 and answers 429 once they are full; a client
//     that keeps a few requests in flight never fills them and loses nothing to queueing,
//     while one that fires thousands at once gets most of them refused (issue 8: 8,059 Events
//     refused). 16 in flight is what a plain client needed to reach kube-apiserver's full
//     write rate on one host (bench/README.md).
//   - Classes in order (request_class.h): the next free slot goes to the first class with work.
//   - Lease requests have slots of their own beyond the bulk limit, so a renewal never waits
//     for a status write to finish, however many are in flight.
//   - A 429 holds its class until the server's Retry-After has passed; other classes go on
//     (they may fall in another priority level, e.g. Leases under lbd's FlowSchema).
//   - Optionally a client-side rate (client-go's qps/burst) on the bulk classes only: a user's
//     qps must never starve the Lease renewals.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "core/backoff.h"
#include "core/k8s/request_class.h"

namespace lbd::k8s {

struct DispatchLimits {
  std::uint32_t max_in_flight = 16;   // read, status and event requests together, >= 1
  std::uint32_t lease_in_flight = 4;  // Lease requests, on top of max_in_flight, >= 1
  double qps = 0;                     // bulk classes; 0 = no client-side rate limit
  std::uint32_t burst = 1;
};

class DispatchPolicy {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Waiting = std::array<bool, kRequestClassCount>;  // per class: has queued requests

  DispatchPolicy(DispatchLimits limits, TimePoint now);

  /// The class whose first queued request may start now, or nothing. Taking a class
  /// consumes a rate token when a rate is set: call started() right after.
  std::optional<RequestClass> next(const Waiting& waiting, TimePoint now);
  void started(RequestClass request_class);
  void finished(RequestClass request_class);
  /// The server answered 429: nothing more of this class starts before `until`.
  void throttle(RequestClass request_class, TimePoint until);

  /// When next() may have a different answer for the waiting classes although nothing
  /// finishes: the end of a 429 hold or the next rate token. Nothing when only a finishing
  /// request can unblock them.
  std::optional<TimePoint> wakeAt(const Waiting& waiting, TimePoint now) const;

  std::uint32_t inFlight(RequestClass request_class) const {
    return in_flight_[index(request_class)];
  }
  std::uint32_t inFlight() const;
  bool throttled(RequestClass request_class, TimePoint now) const {
    return now < held_until_[index(request_class)];
  }
  const DispatchLimits& limits() const { return limits_; }

 private:
  bool hasSlot(RequestClass request_class) const;
  std::uint32_t bulkInFlight() const;

  DispatchLimits limits_;
  std::array<std::uint32_t, kRequestClassCount> in_flight_{};
  std::array<TimePoint, kRequestClassCount> held_until_{};
  std::optional<TokenBucket> rate_;
  std::optional<TimePoint> next_token_;  // when the rate refuses: the token's time
};

}  // namespace lbd::k8s
