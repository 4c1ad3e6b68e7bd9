#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace lbd {

Backoff::Backoff(Duration initial, Duration maximum, double factor)
    : initial_(initial), maximum_(std::max(initial, maximum)), factor_(std::max(1.0, factor)) {}

Duration Backoff::next(double unit_random) {
  ++failures_;
  // Computed in double and clamped before converting back: factor^failures overflows any
  // integer type after a long outage.
  const double grown =
      static_cast<double>(initial_.count()) * std::pow(factor_, static_cast<double>(failures_ - 1));
  const double ceiling = std::min(grown, static_cast<double>(maximum_.count()));
  const double draw = std::clamp(unit_random, 0.0, 1.0);
  return Duration(static_cast<Duration::rep>(ceiling / 2.0 + draw * ceiling / 2.0));
}

TokenBucket::TokenBucket(double qps, std::uint32_t burst, TimePoint now)
    : qps_(qps > 0 ? qps : 1.0),
      burst_(static_cast<double>(std::max<std::uint32_t>(burst, 1))),
      tokens_(burst_),
      last_(now) {}

void TokenBucket::refill(TimePoint now) {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * qps_);
  last_ = now;
}

Duration TokenBucket::take(TimePoint now) {
  refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return Duration(0);
  }
  const double missing_seconds = (1.0 - tokens_) / qps_;
  return Duration(static_cast<Duration::rep>(std::ceil(missing_seconds * 1000.0)));
}

}  // namespace lbd
