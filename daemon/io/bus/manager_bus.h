#pragma once
// The io.lbd1.Manager object (/io/lbd1): publishes the daemon's state as properties and serves
// the methods. It holds no state of its own beyond the last published properties: method calls
// go to a ManagerModel that the app layer implements, so decisions stay out of the adapter.

#include <cstdint>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "core/result.h"
#include "dbus/manager_adaptor.h"

namespace lbd::bus {

inline constexpr const char* kBusName = "io.lbd1";
inline constexpr const char* kManagerPath = "/io/lbd1";
inline constexpr const char* kInvalidConfigError = "io.lbd1.Error.InvalidConfig";

/// One watched Kubernetes resource, in wire form.
struct ResourceRow {
  std::string name;
  bool synced = false;
  std::uint64_t objects = 0;
  std::uint64_t malformed = 0;
  std::string state;
  // KubernetesResyncs
  std::uint64_t resyncs = 0;
  std::uint64_t repaired = 0;
  std::uint64_t server_behind = 0;
  std::uint64_t uid_changes = 0;
  bool operator==(const ResourceRow&) const = default;
};

struct ManagerProperties {
  std::string version;
  std::string node_name;
  std::string config_path;
  std::string config_hash;
  std::string config_error;
  std::uint64_t config_loaded_at_usec = 0;
  std::uint64_t started_at_usec = 0;
  std::string kubernetes_state;
  std::string kubernetes_server;
  std::string kubernetes_last_error;
  std::vector<ResourceRow> kubernetes_resources;
  std::string allocator_state;
  std::string allocator_holder;
  bool operator==(const ManagerProperties&) const = default;
};

/// One row of ListPools(), already in wire form.
struct PoolRow {
  std::string name;
  std::string mode;
  std::vector<std::string> families;
  std::string size;  // exact decimal
  std::uint64_t used = 0;
  std::string free;  // exact decimal
  std::vector<std::string> ranges;
};

/// One row of ListPoolUsage().
struct PoolUsageRow {
  std::string pool;
  std::string family;  // "ipv4" | "ipv6"
  std::string size;    // exact decimal
  std::uint64_t used = 0;
  std::string free;  // exact decimal
};

/// One row of ListServices().
struct ServiceRow {
  std::string key;  // namespace/name
  std::vector<std::string> ips;
  std::string pool;
  std::string state;
  std::string reason;
  std::string message;
};

/// One request class of GetRequestQueue().
struct RequestClassRow {
  std::string name;  // "lease" | "read" | "status" | "event"
  std::uint64_t queued = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t sent = 0;
  std::uint64_t refused = 0;
  std::uint64_t fenced = 0;
  std::uint64_t dropped = 0;
  std::uint64_t failed = 0;
  std::uint64_t folded = 0;
};

struct RequestQueueSnapshot {
  std::vector<RequestClassRow> classes;  // empty: no Kubernetes API configured
  std::uint32_t max_in_flight = 0;
  std::uint32_t lease_in_flight = 0;
  std::uint64_t last_refused_at_usec = 0;
  std::string last_refused;
};

/// One row of ListVips().
struct VipRow {
  std::string vip;
  std::string pool;
  std::string holder;
  std::vector<std::string> services;
  bool announcing = false;
  bool eligible_here = false;
  std::string state;
  std::vector<std::string> interfaces;
};

/// One interface of GetLayer2().
struct ResponderRow {
  std::string interface;
  std::string mac;
  std::uint64_t vips = 0;
  std::uint64_t requests_seen = 0;
  std::uint64_t replies_sent = 0;
  std::uint64_t announcements_sent = 0;
  std::uint64_t malformed_dropped = 0;
  std::uint64_t conflicts_seen = 0;
  std::string kernel_arp_warning;
};

struct Layer2Snapshot {
  bool enabled = false;
  bool heartbeat_fresh = false;
  std::string heartbeat_error;
  std::vector<std::string> peers;
  std::uint32_t owned = 0;
  std::uint32_t announced = 0;
  std::vector<ResponderRow> responders;
};

/// GetFastFailover().
struct FastFailoverSnapshot {
  bool enabled = false;
  std::string error;
  std::string endpoint;
  std::uint16_t port = 0;
  std::uint32_t interval_ms = 0;
  std::uint32_t misses = 0;
  std::vector<std::string> heard;
  std::vector<std::string> silent;
  std::uint64_t sent = 0, received = 0, forged = 0, replayed = 0, malformed = 0;
};

/// One row of ListBgpPeers().
struct BgpPeerRow {
  std::string name;
  std::string address;
  std::uint32_t local_asn = 0;
  std::uint32_t peer_asn = 0;
  std::string state;
  std::uint64_t established_at_usec = 0;
  std::uint64_t prefixes_sent = 0;
  std::uint64_t prefixes_received = 0;
  std::uint64_t updates_received = 0;
  std::uint64_t malformed_updates = 0;
  std::uint32_t hold_time = 0;
  std::vector<std::string> families;
  std::string last_error;
  std::string peer_router_id;
  bool graceful_restart = false;
};

/// One row of ListBgpVips().
struct BgpVipRow {
  std::string vip;
  std::string pool;
  std::vector<std::string> services;
  bool advertised_here = false;
  std::string ineligibility;
  std::vector<std::string> advertising_hosts;
};

/// What the bus object asks the daemon for. Implemented in app/.
class ManagerModel {
 public:
  virtual ~ManagerModel() = default;
  virtual std::vector<PoolRow> poolRows() const = 0;
  virtual std::vector<PoolUsageRow> poolUsageRows() const = 0;
  virtual std::vector<ServiceRow> serviceRows() const = 0;
  virtual RequestQueueSnapshot requestQueue() const = 0;
  virtual std::vector<VipRow> vipRows() const = 0;
  virtual Layer2Snapshot layer2() const = 0;
  virtual FastFailoverSnapshot fastFailover() const = 0;
  virtual std::vector<BgpPeerRow> bgpPeerRows() const = 0;
  virtual std::vector<BgpVipRow> bgpVipRows() const = 0;
  /// Reloads the configuration; on failure returns the diagnostics, one per line.
  virtual Result<void, std::string> reloadConfig() = 0;
};

class ManagerBus final : public sdbus::AdaptorInterfaces<io::lbd1::Manager_adaptor> {
 public:
  ManagerBus(sdbus::IConnection& connection, ManagerModel& model, ManagerProperties initial);
  ~ManagerBus();

  /// Replaces the published properties and emits PropertiesChanged for those that changed.
  void publish(const ManagerProperties& properties);
  void emitVipOwnerChanged(const std::string& vip, const std::string& previous_holder,
                           const std::string& holder) {
    emitVipOwnerChanged_(vip, previous_holder, holder);
  }
  void emitBgpPeerStateChanged(const std::string& peer, const std::string& address,
                               const std::string& previous_state, const std::string& state,
                               const std::string& reason) {
    io::lbd1::Manager_adaptor::emitBgpPeerStateChanged(peer, address, previous_state, state,
                                                       reason);
  }

 private:
  using PoolStruct = sdbus::Struct<std::string, std::string, std::vector<std::string>, std::string,
                                   std::uint64_t, std::string, std::vector<std::string>>;
  std::vector<PoolStruct> ListPools() override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::uint64_t, std::string>>
  ListPoolUsage() override;
  std::vector<sdbus::Struct<std::string, std::vector<std::string>, std::string, std::string,
                            std::string, std::string>>
  ListServices() override;
  std::tuple<std::vector<sdbus::Struct<std::string, std::uint64_t, std::uint64_t, std::uint64_t,
                                       std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                       std::uint64_t>>,
             std::uint32_t, std::uint32_t, std::uint64_t, std::string>
  GetRequestQueue() override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, std::vector<std::string>, bool,
                            bool, std::string, std::vector<std::string>>>
  ListVips() override;
  std::tuple<bool, bool, std::string, std::vector<std::string>, std::uint32_t, std::uint32_t,
             std::vector<sdbus::Struct<std::string, std::string, std::uint64_t, std::uint64_t,
                                       std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                                       std::string>>>
  GetLayer2() override;
  std::tuple<
      bool, std::string, std::string, std::uint16_t, std::uint32_t, std::uint32_t,
      std::vector<std::string>, std::vector<std::string>,
      sdbus::Struct<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>
  GetFastFailover() override;
  using BgpPeerStruct =
      sdbus::Struct<std::string, std::string, std::uint32_t, std::uint32_t, std::string,
                    std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                    std::uint32_t, std::vector<std::string>, std::string, std::string, bool>;
  std::vector<BgpPeerStruct> ListBgpPeers() override;
  using BgpVipStruct = sdbus::Struct<std::string, std::string, std::vector<std::string>, bool,
                                     std::string, std::vector<std::string>>;
  std::vector<BgpVipStruct> ListBgpVips() override;
  void emitVipOwnerChanged_(const std::string& vip, const std::string& previous_holder,
                            const std::string& holder) {
    io::lbd1::Manager_adaptor::emitVipOwnerChanged(vip, previous_holder, holder);
  }
  std::string AllocatorState() override { return properties_.allocator_state; }
  std::string AllocatorHolder() override { return properties_.allocator_holder; }
  void Reload() override;
  std::string Version() override { return properties_.version; }
  std::string NodeName() override { return properties_.node_name; }
  std::string ConfigPath() override { return properties_.config_path; }
  std::string ConfigHash() override { return properties_.config_hash; }
  std::string ConfigError() override { return properties_.config_error; }
  std::uint64_t ConfigLoadedAtUSec() override { return properties_.config_loaded_at_usec; }
  std::uint64_t StartedAtUSec() override { return properties_.started_at_usec; }
  std::string KubernetesState() override { return properties_.kubernetes_state; }
  std::string KubernetesServer() override { return properties_.kubernetes_server; }
  std::string KubernetesLastError() override { return properties_.kubernetes_last_error; }
  std::vector<sdbus::Struct<std::string, bool, std::uint64_t, std::uint64_t, std::string>>
  KubernetesResources() override;
  std::vector<
      sdbus::Struct<std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>>
  KubernetesResyncs() override;

  ManagerModel& model_;
  ManagerProperties properties_;
};

}  // namespace lbd::bus
