#pragma once
// JSON bodies lbd writes to the API server. Pure: times are passed in, so the output is exact
// and testable. Formats follow the API: Time is RFC 3339 in seconds ("2026-11-24T20:00:00Z"),
// MicroTime has exactly six fractional digits ("2026-11-24T20:00:00.123456Z").

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/k8s/object_codec.h"
#include "core/result.h"

namespace lbd::k8s {

using WallClock = std::chrono::system_clock::time_point;

std::string formatTime(WallClock time);       // metav1.Time
std::string formatMicroTime(WallClock time);  // metav1.MicroTime
/// Reads a Time or MicroTime as the server writes them (UTC, "Z", 0 to 9 fractional digits), so
/// a rewrite of an object can carry a time over unchanged.
Result<WallClock> parseMicroTime(std::string_view text);

/// Merge patch for a Service's /status: replaces the whole ingress list (merge patch replaces
/// lists), so IPs that are no longer assigned disappear. `ip_mode` empty = field omitted (for
/// servers that reject it).
Json serviceIngressPatch(const std::vector<std::string>& ips, const std::string& ip_mode);

struct EventSpec {
  std::string namespace_;
  std::string involved_kind = "Service";
  std::string involved_name;
  std::string involved_uid;
  std::string involved_resource_version;
  std::string type = "Normal";  // "Normal" | "Warning"
  std::string reason;           // e.g. "IPAllocated", "AllocationFailed"
  std::string message;
  std::string reporting_instance;  // the node name
};

/// A new core/v1 Event, as client-go's recorder writes it (name = involved name + "." + a
/// unique suffix the caller supplies, first = last timestamp; count > 1 when repeats were
/// folded together before it was first written).
Json eventObject(const EventSpec& spec, const std::string& name_suffix, WallClock now,
                 std::int32_t count = 1);
/// The aggregation patch for an Event seen again: count and lastTimestamp.
Json eventRepeatPatch(std::int32_t count, WallClock now);

struct LeaseSpec {
  std::string namespace_;
  std::string name;
  std::string holder_identity;
  std::int32_t lease_duration_seconds = 0;
  std::optional<WallClock> acquire_time;
  std::optional<WallClock> renew_time;
  std::int32_t lease_transitions = 0;
  std::string resource_version;  // empty for create; required for update (optimistic concurrency)
  Labels annotations;
};

/// A full coordination.k8s.io/v1 Lease for POST (create) or PUT (update with RV).
Json leaseObject(const LeaseSpec& spec);

}  // namespace lbd::k8s
