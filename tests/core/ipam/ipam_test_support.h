#pragma once
// Builders for allocator tests: pools and Services in a line each.

#include <initializer_list>
#include <ostream>
#include <string>

#include "core/config/config.h"
#include "core/ipam/service_request.h"
#include "core/k8s/objects.h"

namespace lbd {
// Readable addresses in GoogleTest failure messages.
inline void PrintTo(const IpAddress& address, std::ostream* out) {
  *out << address.toString();
}
}  // namespace lbd

namespace lbd::ipam::testing {

inline Pool pool(std::string name, std::initializer_list<const char*> ranges) {
  Pool p;
  p.name = std::move(name);
  for (const char* text : ranges) {
    std::string range = text;
    if (range.find('/') != std::string::npos) {
      p.addresses.add(IpRange::fromPrefix(IpPrefix::parse(range).value()));
    } else if (range.find('-') != std::string::npos) {
      p.addresses.add(IpRange::parse(range).value());
    } else {
      p.addresses.add(IpRange::single(IpAddress::parse(range).value()));
    }
    p.address_texts.push_back(range);
  }
  return p;
}

inline IpAddress ip(const char* text) {
  return IpAddress::parse(text).value();
}

/// A LoadBalancer Service "ns/name", IPv4 single stack, TCP/80, created at `created`.
struct ServiceBuilder {
  k8s::Service service;
  Labels namespace_labels;

  ServiceBuilder(std::string name, std::string created = "2026-11-24T10:00:00Z") {
    auto slash = name.find('/');
    service.meta.namespace_ = slash == std::string::npos ? "default" : name.substr(0, slash);
    service.meta.name = slash == std::string::npos ? name : name.substr(slash + 1);
    service.meta.uid = "uid-" + name;
    service.meta.creation_timestamp = std::move(created);
    service.type = "LoadBalancer";
    service.ip_families = {"IPv4"};
    service.ip_family_policy = "SingleStack";
    service.external_traffic_policy = "Cluster";
    service.selector = {{"app", service.meta.name}};
    service.ports = {{"http", "TCP", 80}};
  }
  ServiceBuilder& annotate(std::string key, std::string value) {
    service.meta.annotations[std::move(key)] = std::move(value);
    return *this;
  }
  ServiceBuilder& label(std::string key, std::string value) {
    service.meta.labels[std::move(key)] = std::move(value);
    return *this;
  }
  ServiceBuilder& namespaceLabel(std::string key, std::string value) {
    namespace_labels[std::move(key)] = std::move(value);
    return *this;
  }
  ServiceBuilder& families(std::vector<std::string> families, std::string policy) {
    service.ip_families = std::move(families);
    service.ip_family_policy = std::move(policy);
    return *this;
  }
  ServiceBuilder& ports(std::vector<k8s::ServicePort> ports) {
    service.ports = std::move(ports);
    return *this;
  }
  ServiceBuilder& local(Labels selector) {
    service.external_traffic_policy = "Local";
    service.selector = std::move(selector);
    return *this;
  }
  ServiceBuilder& loadBalancerIp(std::string ip) {
    service.load_balancer_ip = std::move(ip);
    return *this;
  }
  ServiceBuilder& status(std::vector<std::string> ips) {
    service.ingress.clear();
    for (auto& address : ips)
      service.ingress.push_back({std::move(address), "", ""});
    return *this;
  }
  ServiceRequest request() const { return readServiceRequest(service, namespace_labels); }
  operator ServiceRequest() const { return request(); }  // NOLINT: builders read naturally
};

}  // namespace lbd::ipam::testing
