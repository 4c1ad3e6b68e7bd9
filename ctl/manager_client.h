#pragma once
// lbctl's side of io.lbd1: connects to the bus, calls the daemon, and turns D-Bus errors into
// one-line messages with lbctl's exit codes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lbctl {

/// A failure to show the user: "Failed to <what>: <reason>" with an exit code.
struct CtlError {
  int exit_code;
  std::string reason;
};

struct ResourceInfo {
  std::string name;
  bool synced = false;
  std::uint64_t objects = 0;
  std::uint64_t malformed = 0;
  std::string state;
  std::uint64_t resyncs = 0;        // periodic relist-and-compare runs
  std::uint64_t repaired = 0;       // differences they repaired
  std::uint64_t server_behind = 0;  // 504 "Too large resource version" (restored cluster)
  std::uint64_t uid_changes = 0;    // objects replaced under the same name
};

struct DaemonStatus {
  std::string version;
  std::string node;
  std::string config_path;
  std::string config_hash;
  std::string config_error;
  std::uint64_t config_loaded_at_usec = 0;
  std::uint64_t started_at_usec = 0;
  std::string kubernetes_state;
  std::string kubernetes_server;
  std::string kubernetes_last_error;
  std::vector<ResourceInfo> kubernetes_resources;
  std::string allocator_state;
  std::string allocator_holder;
};

struct PoolInfo {
  std::string name;
  std::string mode;
  std::vector<std::string> families;
  std::string size;  // exact decimal
  std::uint64_t used = 0;
  std::string free;  // exact decimal
  std::vector<std::string> ranges;
};

struct FamilyUsage {
  std::string family;  // "ipv4" | "ipv6"
  std::string size;    // exact decimal
  std::uint64_t used = 0;
  std::string free;  // exact decimal
};

struct ServiceInfo {
  std::string key;  // namespace/name
  std::vector<std::string> ips;
  std::string pool;
  std::string state;  // "assigned" | "pending"
  std::string reason;
  std::string message;
};

struct RequestClassInfo {
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

struct RequestQueueInfo {
  std::vector<RequestClassInfo> classes;
  std::uint32_t max_in_flight = 0;
  std::uint32_t lease_in_flight = 0;
  std::uint64_t last_refused_at_usec = 0;
  std::string last_refused;
};

struct VipInfo {
  std::string vip;
  std::string pool;
  std::string holder;
  std::vector<std::string> services;
  bool announcing = false;
  bool eligible_here = false;
  std::string state;
  std::vector<std::string> interfaces;
};

struct ResponderInfo {
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

struct Layer2Info {
  bool enabled = false;
  bool heartbeat_fresh = false;
  std::string heartbeat_error;
  std::vector<std::string> peers;
  std::uint32_t owned = 0;
  std::uint32_t announced = 0;
  std::vector<ResponderInfo> responders;
};

struct FastFailoverInfo {
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

struct BgpPeerInfo {
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

struct BgpVipInfo {
  std::string vip;
  std::string pool;
  std::vector<std::string> services;
  bool advertised_here = false;
  std::string ineligibility;
  std::vector<std::string> advertising_hosts;
};

class ManagerClient {
 public:
  /// "system", "session" or a D-Bus address.
  static std::variant<std::unique_ptr<ManagerClient>, CtlError> connect(const std::string& bus);
  ~ManagerClient();

  std::variant<DaemonStatus, CtlError> status();
  std::variant<std::vector<PoolInfo>, CtlError> pools();
  /// Per pool name, its rows by family.
  std::variant<std::vector<std::pair<std::string, FamilyUsage>>, CtlError> poolUsage();
  std::variant<std::vector<ServiceInfo>, CtlError> services();
  std::variant<RequestQueueInfo, CtlError> requestQueue();
  std::variant<std::vector<VipInfo>, CtlError> vips();
  std::variant<Layer2Info, CtlError> layer2();
  std::variant<FastFailoverInfo, CtlError> fastFailover();
  std::variant<std::vector<BgpPeerInfo>, CtlError> bgpPeers();
  std::variant<std::vector<BgpVipInfo>, CtlError> bgpVips();
  std::optional<CtlError> reload();

  struct Impl;

 private:
  explicit ManagerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lbctl
