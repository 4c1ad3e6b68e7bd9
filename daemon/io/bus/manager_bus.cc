#include "io/bus/manager_bus.h"

#include <utility>

namespace lbd::bus {

ManagerBus::ManagerBus(sdbus::IConnection& connection, ManagerModel& model,
                       ManagerProperties initial)
    : AdaptorInterfaces(connection, kManagerPath), model_(model), properties_(std::move(initial)) {
  registerAdaptor();
}

ManagerBus::~ManagerBus() {
  unregisterAdaptor();
}

void ManagerBus::publish(const ManagerProperties& properties) {
  std::vector<std::string> changed;
  auto note = [&](const char* name, bool differs) {
    if (differs) changed.emplace_back(name);
  };
  note("NodeName", properties.node_name != properties_.node_name);
  note("ConfigHash", properties.config_hash != properties_.config_hash);
  note("ConfigError", properties.config_error != properties_.config_error);
  note("ConfigLoadedAtUSec", properties.config_loaded_at_usec != properties_.config_loaded_at_usec);
  note("KubernetesState", properties.kubernetes_state != properties_.kubernetes_state);
  note("KubernetesServer", properties.kubernetes_server != properties_.kubernetes_server);
  note("KubernetesLastError",
       properties.kubernetes_last_error != properties_.kubernetes_last_error);
  note("KubernetesResources", properties.kubernetes_resources != properties_.kubernetes_resources);
  note("KubernetesResyncs", properties.kubernetes_resources != properties_.kubernetes_resources);
  note("AllocatorState", properties.allocator_state != properties_.allocator_state);
  note("AllocatorHolder", properties.allocator_holder != properties_.allocator_holder);
  properties_ = properties;
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(INTERFACE_NAME, changed);
}

std::vector<ManagerBus::PoolStruct> ManagerBus::ListPools() {
  std::vector<PoolStruct> pools;
  for (auto& row : model_.poolRows()) {
    pools.emplace_back(std::move(row.name), std::move(row.mode), std::move(row.families),
                       std::move(row.size), row.used, std::move(row.free), std::move(row.ranges));
  }
  return pools;
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::uint64_t, std::string>>
ManagerBus::ListPoolUsage() {
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::uint64_t, std::string>>
      rows;
  for (auto& row : model_.poolUsageRows()) {
    rows.emplace_back(std::move(row.pool), std::move(row.family), std::move(row.size), row.used,
                      std::move(row.free));
  }
  return rows;
}

std::vector<sdbus::Struct<std::string, std::vector<std::string>, std::string, std::string,
                          std::string, std::string>>
ManagerBus::ListServices() {
  std::vector<sdbus::Struct<std::string, std::vector<std::string>, std::string, std::string,
                            std::string, std::string>>
      rows;
  for (auto& row : model_.serviceRows()) {
    rows.emplace_back(std::move(row.key), std::move(row.ips), std::move(row.pool),
                      std::move(row.state), std::move(row.reason), std::move(row.message));
  }
  return rows;
}

std::vector<sdbus::Struct<std::string, bool, std::uint64_t, std::uint64_t, std::string>>
ManagerBus::KubernetesResources() {
  std::vector<sdbus::Struct<std::string, bool, std::uint64_t, std::uint64_t, std::string>> rows;
  for (const auto& row : properties_.kubernetes_resources) {
    rows.emplace_back(row.name, row.synced, row.objects, row.malformed, row.state);
  }
  return rows;
}

std::vector<sdbus::Struct<std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>
ManagerBus::KubernetesResyncs() {
  std::vector<
      sdbus::Struct<std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>
      rows;
  for (const auto& row : properties_.kubernetes_resources) {
    rows.emplace_back(row.name, row.resyncs, row.repaired, row.server_behind, row.uid_changes);
  }
  return rows;
}

std::tuple<std::vector<sdbus::Struct<std::string, std::uint64_t, std::uint64_t, std::uint64_t,
                                     std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                     std::uint64_t>>,
           std::uint32_t, std::uint32_t, std::uint64_t, std::string>
ManagerBus::GetRequestQueue() {
  RequestQueueSnapshot snapshot = model_.requestQueue();
  std::vector<sdbus::Struct<std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                            std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>
      rows;
  for (auto& row : snapshot.classes) {
    rows.emplace_back(std::move(row.name), row.queued, row.in_flight, row.sent, row.refused,
                      row.fenced, row.dropped, row.failed, row.folded);
  }
  return {std::move(rows), snapshot.max_in_flight, snapshot.lease_in_flight,
          snapshot.last_refused_at_usec, std::move(snapshot.last_refused)};
}

std::vector<sdbus::Struct<std::string, std::string, std::string, std::vector<std::string>, bool,
                          bool, std::string, std::vector<std::string>>>
ManagerBus::ListVips() {
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::vector<std::string>, bool,
                            bool, std::string, std::vector<std::string>>>
      rows;
  for (auto& row : model_.vipRows()) {
    rows.emplace_back(std::move(row.vip), std::move(row.pool), std::move(row.holder),
                      std::move(row.services), row.announcing, row.eligible_here,
                      std::move(row.state), std::move(row.interfaces));
  }
  return rows;
}

std::tuple<
    bool, bool, std::string, std::vector<std::string>, std::uint32_t, std::uint32_t,
    std::vector<sdbus::Struct<std::string, std::string, std::uint64_t, std::uint64_t, std::uint64_t,
                              std::uint64_t, std::uint64_t, std::uint64_t, std::string>>>
ManagerBus::GetLayer2() {
  Layer2Snapshot snapshot = model_.layer2();
  std::vector<sdbus::Struct<std::string, std::string, std::uint64_t, std::uint64_t, std::uint64_t,
                            std::uint64_t, std::uint64_t, std::uint64_t, std::string>>
      responders;
  for (auto& row : snapshot.responders) {
    responders.emplace_back(std::move(row.interface), std::move(row.mac), row.vips,
                            row.requests_seen, row.replies_sent, row.announcements_sent,
                            row.malformed_dropped, row.conflicts_seen,
                            std::move(row.kernel_arp_warning));
  }
  return {snapshot.enabled,          snapshot.heartbeat_fresh, std::move(snapshot.heartbeat_error),
          std::move(snapshot.peers), snapshot.owned,           snapshot.announced,
          std::move(responders)};
}

std::tuple<bool, std::string, std::string, std::uint16_t, std::uint32_t, std::uint32_t,
           std::vector<std::string>, std::vector<std::string>,
           sdbus::Struct<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>
ManagerBus::GetFastFailover() {
  FastFailoverSnapshot s = model_.fastFailover();
  return {s.enabled,
          std::move(s.error),
          std::move(s.endpoint),
          s.port,
          s.interval_ms,
          s.misses,
          std::move(s.heard),
          std::move(s.silent),
          {s.sent, s.received, s.forged, s.replayed, s.malformed}};
}

std::vector<ManagerBus::BgpPeerStruct> ManagerBus::ListBgpPeers() {
  std::vector<BgpPeerStruct> rows;
  for (auto& row : model_.bgpPeerRows()) {
    rows.emplace_back(std::move(row.name), std::move(row.address), row.local_asn, row.peer_asn,
                      std::move(row.state), row.established_at_usec, row.prefixes_sent,
                      row.prefixes_received, row.updates_received, row.malformed_updates,
                      row.hold_time, std::move(row.families), std::move(row.last_error),
                      std::move(row.peer_router_id), row.graceful_restart);
  }
  return rows;
}

std::vector<ManagerBus::BgpVipStruct> ManagerBus::ListBgpVips() {
  std::vector<BgpVipStruct> rows;
  for (auto& row : model_.bgpVipRows()) {
    rows.emplace_back(std::move(row.vip), std::move(row.pool), std::move(row.services),
                      row.advertised_here, std::move(row.ineligibility),
                      std::move(row.advertising_hosts));
  }
  return rows;
}

void ManagerBus::Reload() {
  auto result = model_.reloadConfig();
  if (!result) throw sdbus::Error(kInvalidConfigError, result.error());
}

}  // namespace lbd::bus
