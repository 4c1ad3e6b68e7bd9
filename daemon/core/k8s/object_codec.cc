#include "core/k8s/object_codec.h"

namespace lbd::k8s {
namespace {

// Field readers: absent fields give the default, present fields of the wrong type are errors.
// Kubernetes omits empty fields, so "absent" is normal and never an error here.

Result<std::string> readString(const Json& object, const char* key, const char* where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return fail(std::string(where) + "." + key + " is not a string");
  return it->get<std::string>();
}

Result<std::int64_t> readInteger(const Json& object, const char* key, const char* where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::int64_t{0};
  if (!it->is_number_integer()) return fail(std::string(where) + "." + key + " is not an integer");
  return it->get<std::int64_t>();
}

Result<bool> readBool(const Json& object, const char* key, bool fallback, const char* where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return fail(std::string(where) + "." + key + " is not a boolean");
  return it->get<bool>();
}

const Json* readObject(const Json& object, const char* key) {
  auto it = object.find(key);
  return (it != object.end() && it->is_object()) ? &*it : nullptr;
}

Result<Labels> readStringMap(const Json& object, const char* key, const char* where) {
  Labels map;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return map;
  if (!it->is_object()) return fail(std::string(where) + "." + key + " is not an object");
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string())
      return fail(std::string(where) + "." + key + "." + name + " is not a string");
    map.emplace(name, value.get<std::string>());
  }
  return map;
}

Result<std::vector<std::string>> readStringList(const Json& object, const char* key,
                                                const char* where) {
  std::vector<std::string> list;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return list;
  if (!it->is_array()) return fail(std::string(where) + "." + key + " is not an array");
  for (const auto& value : *it) {
    if (!value.is_string()) return fail(std::string(where) + "." + key + " holds a non-string");
    list.push_back(value.get<std::string>());
  }
  return list;
}

// Unwraps a Result into `target`, or returns its error from the enclosing function.
#define LBD_READ(target, expression)                                             \
  do {                                                                           \
    auto lbd_read_result = (expression);                                         \
    if (!lbd_read_result) return Unexpected{std::move(lbd_read_result).error()}; \
    target = std::move(lbd_read_result.value());                                 \
  } while (false)

const Json& emptyObject() {
  static const Json empty = Json::object();
  return empty;
}

const Json& section(const Json& object, const char* key) {
  const Json* found = readObject(object, key);
  return found ? *found : emptyObject();
}

}  // namespace

Result<Json> parseJson(std::string_view text) {
  Json parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return fail("malformed JSON");
  return parsed;
}

Result<ObjectMeta> decodeMeta(const Json& object) {
  if (!object.is_object()) return fail("object is not a JSON object");
  const Json* metadata = readObject(object, "metadata");
  if (metadata == nullptr) return fail("object has no metadata");
  ObjectMeta meta;
  LBD_READ(meta.namespace_, readString(*metadata, "namespace", "metadata"));
  LBD_READ(meta.name, readString(*metadata, "name", "metadata"));
  if (meta.name.empty()) return fail("metadata.name is missing");
  LBD_READ(meta.uid, readString(*metadata, "uid", "metadata"));
  LBD_READ(meta.resource_version, readString(*metadata, "resourceVersion", "metadata"));
  LBD_READ(meta.creation_timestamp, readString(*metadata, "creationTimestamp", "metadata"));
  LBD_READ(meta.generation, readInteger(*metadata, "generation", "metadata"));
  LBD_READ(meta.labels, readStringMap(*metadata, "labels", "metadata"));
  LBD_READ(meta.annotations, readStringMap(*metadata, "annotations", "metadata"));
  std::string deletion;
  LBD_READ(deletion, readString(*metadata, "deletionTimestamp", "metadata"));
  meta.deleting = !deletion.empty();
  return meta;
}

Result<Service> decodeService(const Json& object) {
  Service service;
  LBD_READ(service.meta, decodeMeta(object));
  const Json& spec = section(object, "spec");
  LBD_READ(service.type, readString(spec, "type", "spec"));
  if (service.type.empty()) service.type = "ClusterIP";
  if (auto it = spec.find("loadBalancerClass"); it != spec.end() && !it->is_null()) {
    if (!it->is_string()) return fail("spec.loadBalancerClass is not a string");
    service.load_balancer_class = it->get<std::string>();
  }
  LBD_READ(service.load_balancer_ip, readString(spec, "loadBalancerIP", "spec"));
  LBD_READ(service.ip_families, readStringList(spec, "ipFamilies", "spec"));
  LBD_READ(service.ip_family_policy, readString(spec, "ipFamilyPolicy", "spec"));
  LBD_READ(service.external_traffic_policy, readString(spec, "externalTrafficPolicy", "spec"));
  LBD_READ(service.selector, readStringMap(spec, "selector", "spec"));
  if (auto it = spec.find("ports"); it != spec.end() && !it->is_null()) {
    if (!it->is_array()) return fail("spec.ports is not an array");
    for (const auto& item : *it) {
      if (!item.is_object()) return fail("spec.ports holds a non-object");
      ServicePort port;
      LBD_READ(port.name, readString(item, "name", "spec.ports[]"));
      LBD_READ(port.protocol, readString(item, "protocol", "spec.ports[]"));
      if (port.protocol.empty()) port.protocol = "TCP";
      std::int64_t number = 0;
      LBD_READ(number, readInteger(item, "port", "spec.ports[]"));
      if (number < 0 || number > 65535) return fail("spec.ports[].port is out of range");
      port.port = static_cast<std::int32_t>(number);
      service.ports.push_back(std::move(port));
    }
  }
  const Json& load_balancer = section(section(object, "status"), "loadBalancer");
  if (auto it = load_balancer.find("ingress"); it != load_balancer.end() && !it->is_null()) {
    if (!it->is_array()) return fail("status.loadBalancer.ingress is not an array");
    for (const auto& item : *it) {
      if (!item.is_object()) return fail("status.loadBalancer.ingress holds a non-object");
      LoadBalancerIngress ingress;
      LBD_READ(ingress.ip, readString(item, "ip", "status.loadBalancer.ingress[]"));
      LBD_READ(ingress.hostname, readString(item, "hostname", "status.loadBalancer.ingress[]"));
      LBD_READ(ingress.ip_mode, readString(item, "ipMode", "status.loadBalancer.ingress[]"));
      service.ingress.push_back(std::move(ingress));
    }
  }
  return service;
}

Result<EndpointSlice> decodeEndpointSlice(const Json& object) {
  EndpointSlice slice;
  LBD_READ(slice.meta, decodeMeta(object));
  if (auto it = slice.meta.labels.find("kubernetes.io/service-name");
      it != slice.meta.labels.end()) {
    slice.service_name = it->second;
  }
  LBD_READ(slice.address_type, readString(object, "addressType", "endpointslice"));
  if (auto it = object.find("endpoints"); it != object.end() && !it->is_null()) {
    if (!it->is_array()) return fail("endpoints is not an array");
    for (const auto& item : *it) {
      if (!item.is_object()) return fail("endpoints holds a non-object");
      Endpoint endpoint;
      LBD_READ(endpoint.addresses, readStringList(item, "addresses", "endpoints[]"));
      LBD_READ(endpoint.node_name, readString(item, "nodeName", "endpoints[]"));
      const Json& conditions = section(item, "conditions");
      LBD_READ(endpoint.ready, readBool(conditions, "ready", true, "endpoints[].conditions"));
      LBD_READ(endpoint.serving,
               readBool(conditions, "serving", endpoint.ready, "endpoints[].conditions"));
      LBD_READ(endpoint.terminating,
               readBool(conditions, "terminating", false, "endpoints[].conditions"));
      slice.endpoints.push_back(std::move(endpoint));
    }
  }
  return slice;
}

Result<Namespace> decodeNamespace(const Json& object) {
  Namespace ns;
  LBD_READ(ns.meta, decodeMeta(object));
  return ns;
}

Result<Node> decodeNode(const Json& object) {
  Node node;
  LBD_READ(node.meta, decodeMeta(object));
  LBD_READ(node.unschedulable, readBool(section(object, "spec"), "unschedulable", false, "spec"));
  const Json& status = section(object, "status");
  if (auto it = status.find("conditions"); it != status.end() && it->is_array()) {
    for (const auto& condition : *it) {
      if (!condition.is_object()) return fail("status.conditions holds a non-object");
      std::string type, value;
      LBD_READ(type, readString(condition, "type", "status.conditions[]"));
      LBD_READ(value, readString(condition, "status", "status.conditions[]"));
      if (type == "Ready") node.ready = value == "True";
    }
  }
  if (auto it = status.find("addresses"); it != status.end() && it->is_array()) {
    for (const auto& item : *it) {
      if (!item.is_object()) return fail("status.addresses holds a non-object");
      NodeAddress address;
      LBD_READ(address.type, readString(item, "type", "status.addresses[]"));
      LBD_READ(address.address, readString(item, "address", "status.addresses[]"));
      node.addresses.push_back(std::move(address));
    }
  }
  return node;
}

Result<Lease> decodeLease(const Json& object) {
  Lease lease;
  LBD_READ(lease.meta, decodeMeta(object));
  const Json& spec = section(object, "spec");
  LBD_READ(lease.holder_identity, readString(spec, "holderIdentity", "spec"));
  if (auto it = spec.find("leaseDurationSeconds"); it != spec.end() && !it->is_null()) {
    if (!it->is_number_integer()) return fail("spec.leaseDurationSeconds is not an integer");
    lease.lease_duration_seconds = it->get<std::int32_t>();
  }
  LBD_READ(lease.acquire_time, readString(spec, "acquireTime", "spec"));
  LBD_READ(lease.renew_time, readString(spec, "renewTime", "spec"));
  std::int64_t transitions = 0;
  LBD_READ(transitions, readInteger(spec, "leaseTransitions", "spec"));
  lease.lease_transitions = static_cast<std::int32_t>(transitions);
  return lease;
}

Result<ListPage> decodeListPage(std::string_view body) {
  auto parsed = parseJson(body);
  if (!parsed) return Unexpected{parsed.error()};
  const Json& list = parsed.value();
  if (!list.is_object()) return fail("list is not a JSON object");
  ListPage page;
  const Json& metadata = section(list, "metadata");
  LBD_READ(page.resource_version, readString(metadata, "resourceVersion", "metadata"));
  LBD_READ(page.continue_token, readString(metadata, "continue", "metadata"));
  if (auto it = list.find("items"); it != list.end() && !it->is_null()) {
    if (!it->is_array()) return fail("items is not an array");
    page.items.assign(it->begin(), it->end());
  }
  return page;
}

Result<WatchEvent> decodeWatchEvent(std::string_view line) {
  auto parsed = parseJson(line);
  if (!parsed) return Unexpected{parsed.error()};
  Json& envelope = parsed.value();
  if (!envelope.is_object()) return fail("watch event is not a JSON object");
  std::string type;
  LBD_READ(type, readString(envelope, "type", "event"));
  WatchEvent event;
  if (type == "ADDED") {
    event.type = WatchEventType::Added;
  } else if (type == "MODIFIED") {
    event.type = WatchEventType::Modified;
  } else if (type == "DELETED") {
    event.type = WatchEventType::Deleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEventType::Bookmark;
  } else if (type == "ERROR") {
    event.type = WatchEventType::Error;
  } else {
    return fail("unknown watch event type \"" + type + "\"");
  }
  auto object = envelope.find("object");
  if (object == envelope.end() || !object->is_object()) return fail("watch event has no object");
  event.object = std::move(*object);
  return event;
}

Result<Status> decodeStatus(const Json& object) {
  if (!object.is_object()) return fail("not a Status");
  std::string kind;
  LBD_READ(kind, readString(object, "kind", "status"));
  if (kind != "Status") return fail("not a Status");
  Status status;
  std::int64_t code = 0;
  LBD_READ(code, readInteger(object, "code", "status"));
  status.code = static_cast<int>(code);
  LBD_READ(status.reason, readString(object, "reason", "status"));
  LBD_READ(status.message, readString(object, "message", "status"));
  return status;
}

}  // namespace lbd::k8s
