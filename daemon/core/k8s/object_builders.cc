#include "core/k8s/object_builders.h"

#include <cstdio>
#include <ctime>

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
