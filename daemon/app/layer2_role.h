#pragma once
// The layer-2 announcer role (DESIGN.md section 3): on every host with layer2 pools, keeps this
// host's heartbeat Lease, takes part in the per-VIP owner election (core/election/
// vip_election.h decides; this class does the I/O it asks for), and makes the ARP/NDP
// responders (io/raw) answer for exactly the VIPs the election says this host announces, on
// the interfaces core/l2 picks from the kernel's link table (io/netlink).
//
// Order matters for "never two hosts answering after a clean handover": the responders are
// given the new announce set before any claim or release is written, so a host stops
// answering before it lets go, and starts only after its claim was stored.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/fast_failover.h"
#include "app/kubernetes_watch.h"
#include "core/config/config.h"
#include "core/election/heartbeat.h"
#include "core/election/vip_election.h"
#include "core/l2/kernel_arp_policy.h"
#include "io/k8s/event_recorder.h"
#include "io/k8s/lease_client.h"
#include "io/netlink/link_monitor.h"
#include "io/raw/neighbor_responder.h"

namespace lbd {

/// One interface's responder, for lbctl status.
struct ResponderView {
  std::string interface;
  std::string mac;
  std::size_t vips = 0;
  raw::ResponderCounters counters;
  std::string kernel_arp_warning;  // "" when the kernel cannot answer for VIPs too
};

class Layer2Role {
 public:
  Layer2Role(boost::asio::io_context& io, KubernetesWatch& cluster, const Config& config,
             std::string node, std::shared_ptr<spdlog::logger> log);
  ~Layer2Role();

  /// True when the configuration has layer2 pools (otherwise the role stays idle).
  static bool wanted(const Config& config);

  void start();
  /// Stops answering, releases owned VIPs and the heartbeat (so peers take over at once),
  /// then calls `done` (also when the API does not answer within `timeout`).
  void stop(std::chrono::milliseconds timeout, std::function<void()> done);
  void configure(const Config& config);

  /// Called when a VIP's holder changes (for the D-Bus signal).
  void onOwnerChange(std::function<void(const election::OwnerChange&)> callback) {
    on_owner_change_ = std::move(callback);
  }

  std::vector<election::VipStatus> vips() const;
  /// The interfaces each announced VIP is answered on.
  std::vector<std::string> interfacesOf(const IpAddress& vip) const;
  std::vector<ResponderView> responders() const;
  bool heartbeatFresh() const;
  const std::string& heartbeatError() const { return heartbeat_error_; }
  std::vector<std::string> livePeers() const;
  std::size_t ownedCount() const { return election_.ownedCount(); }
  std::size_t announcedCount() const { return announce_.size(); }
  FastFailoverView fastFailover() const { return fast_.view(); }

 private:
  struct Burst;
  void rebuildCluster();
  void onLease(const k8s::Lease& lease, bool deleted);
  bool synced() const;
  void decideSoon();
  void decide();
  void apply(election::Decisions decisions);
  void applyAnnounce(const std::set<IpAddress>& announce);
  /// A claim or release the election asked for; `then` runs when it is over (stop waits).
  void writeVipLease(const IpAddress& vip, const std::string& lease_name,
                     std::function<void()> then = {});
  void reportOwnerChange(const election::OwnerChange& change);
  void heartbeat();
  void onLinks(const l2::InterfaceTable& table, const std::vector<l2::InterfaceEvent>& events);
  std::vector<std::string> interfacesFor(const IpAddress& vip, const std::string& pool) const;
  raw::NeighborResponder* responder(const std::string& interface);
  void closeResponder(const std::string& interface);
  void startBurst(const std::string& interface, const IpAddress& vip);
  void burstStep(const std::shared_ptr<Burst>& burst);
  void refresh();
  std::optional<k8s::Lease> cachedLease(const std::string& name) const;
  /// This host's Node's InternalIP ("" when the Node or the address is not known).
  std::string internalAddress() const;
  bool isHeartbeatLease(const k8s::Lease& lease) const;
  /// A heartbeat Lease seen: tells the fast failover path who the peers are and where.
  void onHeartbeatLease(const k8s::Lease& lease, bool deleted);

  boost::asio::io_context& io_;
  KubernetesWatch& cluster_;
  std::shared_ptr<spdlog::logger> log_;
  std::string node_;
  Config config_;
  election::HeartbeatIdentity identity_;
  election::VipElection election_;
  k8s::LeaseClient lease_client_;
  k8s::EventRecorder events_;
  netlink::LinkMonitor links_;
  FastFailover fast_;
  std::set<std::string> fast_silent_reported_;          // told to the election, until heard again
  std::map<std::string, std::string> heartbeat_nodes_;  // heartbeat Lease name -> node

  bool running_ = false;
  bool heartbeat_in_flight_ = false;
  bool cluster_stale_ = true;  // informer caches changed since the VIP table was built
  std::optional<k8s::Lease> own_heartbeat_;  // as the server stored our last write
  std::string heartbeat_error_;
  std::set<std::string> vip_writes_in_flight_;            // Lease names
  std::set<IpAddress> announce_;                          // what the election last said
  std::map<std::string, std::set<IpAddress>> answering_;  // interface -> VIPs answered there
  std::map<std::string, std::unique_ptr<raw::NeighborResponder>> responders_;
  std::map<std::string, std::string> kernel_arp_warnings_;  // interface -> message
  std::vector<std::shared_ptr<Burst>> bursts_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer decide_timer_;
  boost::asio::steady_timer refresh_timer_;
  boost::asio::steady_timer rebuild_timer_;
  static constexpr std::chrono::milliseconds kRebuildSpacing{100};
  std::chrono::steady_clock::time_point last_rebuild_{};
  bool rebuild_armed_ = false;
  bool decide_posted_ = false;
  std::function<void(const election::OwnerChange&)> on_owner_change_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Our handlers in the informer caches, which outlive us when a reload recreates the role.
  std::vector<std::function<void()>> unsubscribe_;
  template <class T>
  void subscribe(k8s::InformerCache<T>& cache, typename k8s::InformerCache<T>::Handlers handlers) {
    const auto id = cache.addHandlers(std::move(handlers));
    unsubscribe_.push_back([&cache, id] { cache.removeHandlers(id); });
  }
};

}  // namespace lbd
