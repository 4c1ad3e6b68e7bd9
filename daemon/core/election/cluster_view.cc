#include "core/election/cluster_view.h"

#include <algorithm>

#include "core/ipam/service_request.h"

namespace lbd::election {
namespace {

const Pool* poolOf(const IpAddress& ip, const std::vector<Pool>& pools, PoolMode mode) {
  // Pools do not overlap (the config parser refuses it), so at most one contains the address.
  for (const auto& pool : pools) {
    if (pool.addresses.contains(ip)) return pool.mode == mode ? &pool : nullptr;
  }
  return nullptr;
}

bool familyMatches(const std::string& address_type, const IpAddress& ip) {
  if (address_type == "IPv4") return ip.isV4();
  if (address_type == "IPv6") return ip.isV6();
  return false;  // FQDN slices do not carry pod addresses kube-proxy forwards to
}

}  // namespace

ClusterView ClusterView::build(const std::map<std::string, k8s::Service>& services,
                               const std::map<std::string, k8s::EndpointSlice>& endpoint_slices,
                               const std::map<std::string, k8s::Node>& nodes,
                               const std::vector<Pool>& pools, const KubernetesConfig& kubernetes,
                               PoolMode mode) {
  ClusterView view;
  view.mode_ = mode;
  for (const auto& pool : pools) {
    if (pool.mode != mode) continue;
    view.pool_selectors_.emplace(pool.name, pool.node_selector);
    view.pool_nodes_[pool.name];
  }
  for (const auto& [name, node] : nodes) {
    NodeFacts facts{node.ready, node.meta.labels.count(kExcludeFromLoadBalancersLabel) > 0,
                    node.meta.labels};
    for (const auto& [pool, selector] : view.pool_selectors_) {
      if (facts.ready && !facts.excluded && selector.matches(facts.labels)) {
        view.pool_nodes_[pool].insert(node.meta.name);
      }
    }
    view.nodes_.emplace(node.meta.name, std::move(facts));
  }

  std::map<std::string, std::vector<const k8s::EndpointSlice*>> slices_by_service;
  for (const auto& [key, slice] : endpoint_slices) {
    if (slice.service_name.empty()) continue;
    slices_by_service[slice.meta.namespace_ + "/" + slice.service_name].push_back(&slice);
  }

  for (const auto& [key, service] : services) {
    if (!ipam::servedByLbd(service, kubernetes)) continue;
    const bool local = service.external_traffic_policy == "Local";
    for (const auto& ingress : service.ingress) {
      auto ip = IpAddress::parse(ingress.ip);
      if (!ip) continue;  // hostname entries, or text lbd did not write
      const Pool* pool = poolOf(*ip, pools, mode);
      if (!pool) continue;
      auto [it, inserted] = view.vips_.try_emplace(*ip);
      Vip& vip = it->second;
      if (inserted) {
        vip.ip = *ip;
        vip.pool = pool->name;
      }
      const std::string service_key = service.meta.key();
      if (std::find(vip.services.begin(), vip.services.end(), service_key) != vip.services.end()) {
        continue;  // the same address twice in one Service's ingress
      }
      vip.services.push_back(service_key);
      if (!local) continue;
      vip.local_traffic = true;
      auto slices = slices_by_service.find(service_key);
      if (slices == slices_by_service.end()) continue;
      for (const k8s::EndpointSlice* slice : slices->second) {
        if (!familyMatches(slice->address_type, *ip)) continue;
        for (const auto& endpoint : slice->endpoints) {
          if (endpoint.ready && !endpoint.node_name.empty()) {
            vip.ready_nodes.insert(endpoint.node_name);
          }
        }
      }
    }
  }
  for (auto& [ip, vip] : view.vips_)
    std::sort(vip.services.begin(), vip.services.end());
  return view;
}

const Vip* ClusterView::find(const IpAddress& ip) const {
  auto it = vips_.find(ip);
  return it == vips_.end() ? nullptr : &it->second;
}

bool ClusterView::eligible(const Vip& vip, std::string_view node) const {
  auto pool = pool_nodes_.find(vip.pool);
  if (pool == pool_nodes_.end() || !pool->second.count(node)) return false;
  return !vip.local_traffic || vip.ready_nodes.count(node) > 0;
}

std::string ClusterView::ineligibility(const Vip& vip, std::string_view node) const {
  auto facts = nodes_.find(node);
  if (facts == nodes_.end()) return "no Node object";
  if (!facts->second.ready) return "Node not Ready";
  if (facts->second.excluded) {
    return "Node labelled " + std::string(kExcludeFromLoadBalancersLabel);
  }
  auto selector = pool_selectors_.find(vip.pool);
  if (selector == pool_selectors_.end())
    return "pool " + vip.pool + " is not a " + std::string(toString(mode_)) + " pool";
  if (!selector->second.matches(facts->second.labels)) {
    return "Node does not match node-selector \"" + selector->second.toString() + "\" of pool " +
           vip.pool;
  }
  if (vip.local_traffic && !vip.ready_nodes.count(node)) {
    return "no ready local endpoint (externalTrafficPolicy Local)";
  }
  return "";
}

}  // namespace lbd::election
