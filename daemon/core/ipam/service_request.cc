#include "core/ipam/service_request.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace lbd::ipam {
namespace {

constexpr std::array<std::string_view, 3> kIpKeys = {
    "lbd.io/loadBalancerIPs", "metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs"};
constexpr std::array<std::string_view, 3> kPoolKeys = {
    "lbd.io/address-pool", "metallb.io/address-pool", "metallb.universe.tf/address-pool"};
constexpr std::array<std::string_view, 3> kSharingKeys = {
    "lbd.io/allow-shared-ip", "metallb.io/allow-shared-ip", "metallb.universe.tf/allow-shared-ip"};

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

std::string familyName(IpFamily family) {
  return family == IpFamily::V4 ? "IPv4" : "IPv6";
}

/// One value that may come from several places; the places must agree.
struct Source {
  std::string where;  // e.g. "annotation lbd.io/address-pool"
  std::string value;  // as written (trimmed)
};

template <std::size_t N>
std::vector<Source> annotationSources(const Labels& annotations,
                                      const std::array<std::string_view, N>& keys) {
  std::vector<Source> found;
  for (const auto key : keys) {
    auto it = annotations.find(key);
    if (it == annotations.end()) continue;
    std::string value = trim(it->second);
    if (!value.empty()) found.push_back({"annotation " + std::string(key), std::move(value)});
  }
  return found;
}

AllocationFailure conflict(const Source& a, const Source& b) {
  return {FailureReason::ConflictingRequests,
          a.where + " (\"" + a.value + "\") and " + b.where + " (\"" + b.value + "\") disagree"};
}

/// Parses "ip[,ip]" into sorted addresses, or says what is wrong with it.
std::optional<AllocationFailure> parseIps(const Source& source, std::vector<IpAddress>& out) {
  std::string_view rest = source.value;
  while (true) {
    const auto comma = rest.find(',');
    const std::string item = trim(rest.substr(0, comma));
    auto address = IpAddress::parse(item);
    if (!address) {
      return AllocationFailure{FailureReason::InvalidRequest, source.where + ": \"" + item +
                                                                  "\" is not an IP address (" +
                                                                  address.error().message + ")"};
    }
    out.push_back(address.value());
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  if (out.size() > 2 || (out.size() == 2 && out[0].family() == out[1].family())) {
    return AllocationFailure{FailureReason::InvalidRequest,
                             source.where + ": at most one address per family (IPv4, IPv6)"};
  }
  return std::nullopt;
}

}  // namespace

bool servedByLbd(const k8s::Service& service, const KubernetesConfig& config) {
  if (service.type != "LoadBalancer") return false;
  if (!service.load_balancer_class) return config.default_class;
  return *service.load_balancer_class == config.load_balancer_class;
}

ServiceRequest readServiceRequest(const k8s::Service& service, const Labels& namespace_labels) {
  ServiceRequest request;
  request.key = service.meta.key();
  request.namespace_ = service.meta.namespace_;
  request.labels = service.meta.labels;
  request.namespace_labels = namespace_labels;
  request.creation_timestamp = service.meta.creation_timestamp;
  auto fail = [&](AllocationFailure failure) {
    if (!request.invalid) request.invalid = std::move(failure);
  };

  for (const auto& family : service.ip_families) {
    if (family == "IPv4") request.families.push_back(IpFamily::V4);
    if (family == "IPv6") request.families.push_back(IpFamily::V6);
  }
  if (service.ip_family_policy == "RequireDualStack") {
    request.policy = FamilyPolicy::RequireDualStack;
  } else if (service.ip_family_policy == "PreferDualStack") {
    request.policy = FamilyPolicy::PreferDualStack;
  }

  // Requested addresses: every source must name the same set.
  auto ip_sources = annotationSources(service.meta.annotations, kIpKeys);
  if (!service.load_balancer_ip.empty()) {
    ip_sources.push_back({"spec.loadBalancerIP", trim(service.load_balancer_ip)});
  }
  std::vector<IpAddress> first_ips;
  for (std::size_t i = 0; i < ip_sources.size(); ++i) {
    std::vector<IpAddress> ips;
    if (auto bad = parseIps(ip_sources[i], ips)) {
      fail(*bad);
      break;
    }
    if (i == 0) {
      first_ips = ips;
    } else if (ips != first_ips) {
      fail(conflict(ip_sources[0], ip_sources[i]));
      break;
    }
  }
  request.requested_ips = first_ips;
  if (!request.requested_ips.empty()) {
    if (request.families.empty()) {
      for (const auto& ip : request.requested_ips)
        request.families.push_back(ip.family());
    }
    for (const auto& ip : request.requested_ips) {
      if (std::find(request.families.begin(), request.families.end(), ip.family()) ==
          request.families.end()) {
        fail({FailureReason::InvalidRequest, "requested address " + ip.toString() + " is " +
                                                 familyName(ip.family()) +
                                                 ", a family the Service does not have"});
      }
    }
    if (request.policy == FamilyPolicy::RequireDualStack && request.requested_ips.size() < 2) {
      fail({FailureReason::InvalidRequest,
            "ipFamilyPolicy RequireDualStack needs one requested address per family"});
    }
  }
  if (request.families.empty()) request.families.push_back(IpFamily::V4);

  auto pool_sources = annotationSources(service.meta.annotations, kPoolKeys);
  for (std::size_t i = 1; i < pool_sources.size(); ++i) {
    if (pool_sources[i].value != pool_sources[0].value)
      fail(conflict(pool_sources[0], pool_sources[i]));
  }
  if (!pool_sources.empty()) request.requested_pool = pool_sources[0].value;

  auto sharing_sources = annotationSources(service.meta.annotations, kSharingKeys);
  for (std::size_t i = 1; i < sharing_sources.size(); ++i) {
    if (sharing_sources[i].value != sharing_sources[0].value) {
      fail(conflict(sharing_sources[0], sharing_sources[i]));
    }
  }
  if (!sharing_sources.empty()) request.sharing_key = sharing_sources[0].value;

  if (service.external_traffic_policy == "Local") {
    request.backend_key = "local:";
    for (const auto& [key, value] : service.selector)
      request.backend_key += key + "=" + value + ",";
  }
  for (const auto& port : service.ports)
    request.ports.push_back({port.protocol, port.port});
  std::sort(request.ports.begin(), request.ports.end());

  for (const auto& ingress : service.ingress) {
    if (auto ip = IpAddress::parse(ingress.ip)) request.current_ips.push_back(ip.value());
  }
  return request;
}

}  // namespace lbd::ipam
