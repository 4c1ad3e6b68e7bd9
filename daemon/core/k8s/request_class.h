#pragma once
// Classes of Kubernetes API requests, in the order lbd's request scheduler serves them
// (DESIGN.md, "API requests"):
//   lease   Lease reads, claims, renewals and releases: a late renewal costs leadership or a
//           VIP's owner, so they never wait behind bulk work;
//   read    one-off GETs and LIST pages of the informers: decisions depend on fresh state, and
//           there are few of them;
//   status  writes to Service status (and any other object write): the bulk of a storm;
//   event   core/v1 Events: best effort, aggregated, dropped with a counter under pressure.
// Pure: the class follows from the method and path alone, so every request has one and no
// writer can forget to say which.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lbd::k8s {

enum class RequestClass : std::uint8_t { Lease = 0, Read = 1, Status = 2, Event = 3 };

inline constexpr std::size_t kRequestClassCount = 4;
inline constexpr std::array<RequestClass, kRequestClassCount> kRequestClassesInOrder = {
    RequestClass::Lease, RequestClass::Read, RequestClass::Status, RequestClass::Event};

/// "lease" | "read" | "status" | "event".
std::string_view toString(RequestClass request_class);

/// The class of a request to `path` (without scheme and host; the query is ignored).
RequestClass classifyRequest(std::string_view method, std::string_view path);

constexpr std::size_t index(RequestClass request_class) {
  return static_cast<std::size_t>(request_class);
}

}  // namespace lbd::k8s
