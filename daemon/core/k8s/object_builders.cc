#include "core/k8s/object_builders.h"

#include <cstdio>
#include <ctime>
#include <optional>

namespace lbd::k8s {
namespace {

std::tm utc(WallClock time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return parts;
}

}  // namespace

std::string formatTime(WallClock time) {
  const std::tm parts = utc(time);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

std::string formatMicroTime(WallClock time) {
  const std::tm parts = utc(time);
  const auto since_second = time - std::chrono::time_point_cast<std::chrono::seconds>(time);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_second).count();
  char buffer[48];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &parts);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
  return std::string(buffer) + fraction;
}

Result<WallClock> parseMicroTime(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z; the server normalises to UTC, so no offsets.
  auto digits = [&](std::size_t at, std::size_t count) -> std::optional<int> {
    if (at + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text.size() < 20 ||
      text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return fail("\"" + std::string(text) + "\" is not a time like 2026-11-24T20:00:00.000000Z");
  }
  std::size_t at = 19;
  std::chrono::nanoseconds fraction{0};
  if (text[at] == '.') {
    std::int64_t scale = 100'000'000;
    ++at;
    const std::size_t first = at;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
      if (at - first >= 9) break;
      fraction += std::chrono::nanoseconds((text[at] - '0') * scale);
      scale /= 10;
    }
    if (at == first) return fail("\"" + std::string(text) + "\" has an empty fraction");
  }
  if (at + 1 != text.size() || text[at] != 'Z') {
    return fail("\"" + std::string(text) + "\" is not a UTC time ending in Z");
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) {
    return fail("\"" + std::string(text) + "\" is not a valid date and time");
  }
  const auto since_epoch = std::chrono::sys_days(date).time_since_epoch() +
                           std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
                           std::chrono::seconds(*second) + fraction;
  return WallClock(std::chrono::duration_cast<WallClock::duration>(since_epoch));
}

Json serviceIngressPatch(const std::vector<std::string>& ips, const std::string& ip_mode) {
  Json ingress = Json::array();
  for (const auto& ip : ips) {
    Json entry{{"ip", ip}};
    if (!ip_mode.empty()) entry["ipMode"] = ip_mode;
    ingress.push_back(std::move(entry));
  }
  return Json{{"status", {{"loadBalancer", {{"ingress", std::move(ingress)}}}}}};
}

Json eventObject(const EventSpec& spec, const std::string& name_suffix, WallClock now,
                 std::int32_t count) {
  const std::string timestamp = formatTime(now);
  return Json{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       {{"name", spec.involved_name + "." + name_suffix}, {"namespace", spec.namespace_}}},
      {"involvedObject",
       {{"apiVersion", "v1"},
        {"kind", spec.involved_kind},
        {"namespace", spec.namespace_},
        {"name", spec.involved_name},
        {"uid", spec.involved_uid},
        {"resourceVersion", spec.involved_resource_version}}},
      {"reason", spec.reason},
      {"message", spec.message},
      {"type", spec.type},
      {"source", {{"component", "lbd"}, {"host", spec.reporting_instance}}},
      {"reportingComponent", "lbd"},
      {"reportingInstance", spec.reporting_instance},
      {"firstTimestamp", timestamp},
      {"lastTimestamp", timestamp},
      {"count", count},
  };
}

Json eventRepeatPatch(std::int32_t count, WallClock now) {
  return Json{{"count", count}, {"lastTimestamp", formatTime(now)}};
}

Json leaseObject(const LeaseSpec& spec) {
  Json metadata{{"name", spec.name}, {"namespace", spec.namespace_}};
  if (!spec.resource_version.empty()) metadata["resourceVersion"] = spec.resource_version;
  if (!spec.annotations.empty()) {
    Json annotations = Json::object();
    for (const auto& [key, value] : spec.annotations)
      annotations[key] = value;
    metadata["annotations"] = std::move(annotations);
  }
  Json lease_spec = Json::object();
  if (!spec.holder_identity.empty()) lease_spec["holderIdentity"] = spec.holder_identity;
  if (spec.lease_duration_seconds > 0)
    lease_spec["leaseDurationSeconds"] = spec.lease_duration_seconds;
  if (spec.acquire_time) lease_spec["acquireTime"] = formatMicroTime(*spec.acquire_time);
  if (spec.renew_time) lease_spec["renewTime"] = formatMicroTime(*spec.renew_time);
  lease_spec["leaseTransitions"] = spec.lease_transitions;
  return Json{{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", std::move(metadata)},
              {"spec", std::move(lease_spec)}};
}

}  // namespace lbd::k8s
