#pragma once
// The BGP announcer role (DESIGN.md section 3): on every host with bgp pools and peers, runs the
// speaker (io/bgp) and keeps its Adj-RIB-Out equal to the VIPs of bgp pools this host is
// eligible for by cluster state (core/election/cluster_view.h: Node Ready, not excluded, the
// pool's node-selector, and for externalTrafficPolicy Local a ready endpoint here). No election:
// every eligible host advertises and the routers spread traffic by ECMP.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/kubernetes_watch.h"
#include "core/config/config.h"
#include "core/election/cluster_view.h"
#include "io/bgp/bgp_speaker.h"

namespace lbd {

/// A VIP of a bgp pool, as lbctl services shows it.
struct BgpVipView {
  IpAddress vip;
  std::string pool;
  std::vector<std::string> services;
  bool advertised_here = false;
  std::string ineligibility;                // why not here ("" when advertised)
  std::vector<std::string> eligible_nodes;  // every host that advertises it by cluster state
};

class BgpRole {
 public:
  BgpRole(boost::asio::io_context& io, KubernetesWatch& cluster, const Config& config,
          std::string node, std::shared_ptr<spdlog::logger> log);
  ~BgpRole();

  /// True when the configuration has a bgp pool and a BGP peer.
  static bool wanted(const Config& config);

  void start();
  void configure(const Config& config);
  /// RFC 8326 graceful shutdown, withdraw, Cease; then `done` (at the latest after `timeout`).
  void stop(std::chrono::milliseconds timeout, std::function<void()> done);

  std::vector<bgp::PeerView> peers() const { return speaker_.peers(); }
  std::vector<BgpVipView> vips() const;
  const std::string& error() const { return error_; }
  void onPeerStateChange(bgp::BgpPeerSession::StateHandler handler);

 private:
  bool synced() const;
  void rebuildSoon();
  void rebuild();
  std::vector<bgp::PeerSpec> peerSpecs() const;

  KubernetesWatch& cluster_;
  std::shared_ptr<spdlog::logger> log_;
  std::string node_;
  Config config_;
  bgp::BgpSpeaker speaker_;
  election::ClusterView view_;
  std::vector<bgp::PeerSpec> configured_;
  std::string error_;
  bool running_ = false;
  bool stopping_ = false;
  bool rebuild_armed_ = false;
  boost::asio::steady_timer rebuild_timer_;
  boost::asio::steady_timer stop_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::vector<std::function<void()>> unsubscribe_;
  template <class T>
  void subscribe(k8s::InformerCache<T>& cache, typename k8s::InformerCache<T>::Handlers handlers) {
    const auto id = cache.addHandlers(std::move(handlers));
    unsubscribe_.push_back([&cache, id] { cache.removeHandlers(id); });
  }
};

}  // namespace lbd
