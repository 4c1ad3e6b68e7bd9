#pragma once
// JSON -> the typed objects of objects.h, and the envelopes around them (lists, watch events,
// Status). Input comes from the network, so nothing here throws or trusts a field's type: a
// malformed object is an error the informer counts and skips.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/k8s/objects.h"
#include "core/result.h"

namespace lbd::k8s {

using Json = nlohmann::json;

/// Parses JSON text; fails (never throws) on malformed input.
Result<Json> parseJson(std::string_view text);

Result<ObjectMeta> decodeMeta(const Json& object);
Result<Service> decodeService(const Json& object);
Result<EndpointSlice> decodeEndpointSlice(const Json& object);
Result<Node> decodeNode(const Json& object);
Result<Lease> decodeLease(const Json& object);
Result<Namespace> decodeNamespace(const Json& object);

/// Dispatch by type, for templates (informers).
template <class T>
Result<T> decodeObject(const Json& object);
template <>
inline Result<Service> decodeObject<Service>(const Json& o) {
  return decodeService(o);
}
template <>
inline Result<EndpointSlice> decodeObject<EndpointSlice>(const Json& o) {
  return decodeEndpointSlice(o);
}
template <>
inline Result<Node> decodeObject<Node>(const Json& o) {
  return decodeNode(o);
}
template <>
inline Result<Lease> decodeObject<Lease>(const Json& o) {
  return decodeLease(o);
}
template <>
inline Result<Namespace> decodeObject<Namespace>(const Json& o) {
  return decodeNamespace(o);
}

/// One page of a LIST: items stay JSON so one bad item does not lose the page.
struct ListPage {
  std::string resource_version;
  std::string continue_token;
  std::vector<Json> items;
};
Result<ListPage> decodeListPage(std::string_view body);

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  Json object;  // the object; for Error a Status; for Bookmark only metadata.resourceVersion
};
/// One line of a watch stream: {"type":"ADDED","object":{...}}.
Result<WatchEvent> decodeWatchEvent(std::string_view line);

/// A metav1.Status (error bodies, watch ERROR events).
struct Status {
  int code = 0;
  std::string reason;  // e.g. "Expired", "Conflict", "NotFound"
  std::string message;
};
/// Fails when `object` is not a Status.
Result<Status> decodeStatus(const Json& object);

}  // namespace lbd::k8s
