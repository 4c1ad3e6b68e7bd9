#pragma once
// Exponential backoff with full jitter for reconnects and retries (Kubernetes API, later BGP).
// Pure: the caller supplies the random draw, so tests are deterministic and production code
// decides where randomness comes from. Full jitter (AWS architecture blog, "Exponential Backoff
// And Jitter") spreads the reconnect storm of many hosts after an API server restart.

#include <chrono>
#include <cstdint>

#include "core/duration.h"

namespace lbd {

class Backoff {
 public:
  /// initial: first ceiling; maximum: cap of the ceiling; factor: growth per failure (>= 1).
  Backoff(Duration initial, Duration maximum, double factor = 2.0);

  /// The delay before the next attempt after one more failure: uniform in
  /// [ceiling/2, ceiling] where ceiling = min(maximum, initial * factor^(failures-1)).
  /// `unit_random` is a draw from [0, 1).
  Duration next(double unit_random);
  /// A success: the next failure starts again at `initial`.
  void reset() { failures_ = 0; }
  std::uint32_t failures() const { return failures_; }

 private:
  Duration initial_;
  Duration maximum_;
  double factor_;
  std::uint32_t failures_ = 0;
};

/// Client-side rate limit (client-go's `qps` and `burst`): a token bucket refilled at `qps`
/// tokens per second up to `burst`. Pure: the caller passes the current time.
class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  TokenBucket(double qps, std::uint32_t burst, TimePoint now);
  /// Takes one token if available. Otherwise returns how long to wait until one is.
  Duration take(TimePoint now);

 private:
  void refill(TimePoint now);
  double qps_;
  double burst_;
  double tokens_;
  TimePoint last_;
};

}  // namespace lbd
