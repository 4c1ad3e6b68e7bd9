#pragma once
// Durations in config files: Go/Kubernetes style "500ms", "2s", "1m30s", "1h" (units ms, s, m,
// h; at least one unit; no sign). Bare numbers are rejected on purpose: "2" could mean seconds
// or milliseconds, and guessing wrong on a lease duration breaks failover.

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lbd {

using Duration = std::chrono::milliseconds;

/// Parses "1h2m3s4ms"-style text; fails with a sentence saying what is wrong.
Result<Duration> parseDuration(std::string_view text);
/// The shortest text that parses back to `duration`, e.g. "1m30s", "500ms", "0s".
std::string formatDuration(Duration duration);

}  // namespace lbd
