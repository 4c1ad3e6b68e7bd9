#include "core/k8s/request_class.h"

namespace lbd::k8s {

std::string_view toString(RequestClass request_class) {
  switch (request_class) {
    case RequestClass::Lease:
      return "lease";
    case RequestClass::Read:
      return "read";
    case RequestClass::Status:
      return "status";
    case RequestClass::Event:
      return "event";
  }
  return "status";
}

namespace {

/// The resource a path names: "/api/v1/namespaces/a/events/x" -> "events",
/// "/api/v1/nodes" -> "nodes" (the segment after the group version, or after the namespace).
std::string_view resourceOf(std::string_view path) {
  std::string_view segments[8];
  std::size_t count = 0;
  while (!path.empty() && count < 8) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto end = path.find('/');
    segments[count++] = path.substr(0, end);
    path = end == std::string_view::npos ? std::string_view{} : path.substr(end);
  }
  // /api/VERSION/... or /apis/GROUP/VERSION/...
  std::size_t at = segments[0] == "apis" ? 3 : 2;
  if (at < count && segments[at] == "namespaces") at += 2;
  return at < count ? segments[at] : std::string_view{};
}

}  // namespace

RequestClass classifyRequest(std::string_view method, std::string_view path) {
  path = path.substr(0, path.find('?'));
  if (path.starts_with("/apis/coordination.k8s.io/")) return RequestClass::Lease;
  if (method == "GET") return RequestClass::Read;
  // The core group's and events.k8s.io's Events alike.
  if (resourceOf(path) == "events") return RequestClass::Event;
  return RequestClass::Status;
}

}  // namespace lbd::k8s
