#include "app/bgp_role.h"

#include <algorithm>

#include "io/bgp/bgp_next_hop.h"
#include "io/bgp/bgp_socket_options.h"

namespace lbd {
namespace {

// Cluster changes come in bursts (a resync, a rollout): the RIB is recomputed once per burst.
constexpr std::chrono::milliseconds kRebuildSpacing{100};

}  // namespace

BgpRole::BgpRole(boost::asio::io_context& io, KubernetesWatch& cluster, const Config& config,
                 std::string node, std::shared_ptr<spdlog::logger> log)
    : cluster_(cluster),
      log_(std::move(log)),
      node_(std::move(node)),
      config_(config),
      speaker_(io, log_),
      rebuild_timer_(io),
      stop_timer_(io) {
  auto changed = [this] { rebuildSoon(); };
  subscribe(cluster_.services().cache(),
            k8s::InformerCache<k8s::Service>::Handlers::onAnyChange(changed));
  subscribe(cluster_.endpointSlices().cache(),
            k8s::InformerCache<k8s::EndpointSlice>::Handlers::onAnyChange(changed));
  subscribe(cluster_.nodes().cache(),
            k8s::InformerCache<k8s::Node>::Handlers::onAnyChange(changed));
}

BgpRole::~BgpRole() {
  *alive_ = false;
  for (auto& unsubscribe : unsubscribe_)
    unsubscribe();
}

bool BgpRole::wanted(const Config& config) {
  const bool bgp_pool = std::any_of(config.pools.begin(), config.pools.end(),
                                    [](const Pool& pool) { return pool.mode == PoolMode::Bgp; });
  return bgp_pool && !config.bgp_peers.empty();
}

void BgpRole::onPeerStateChange(bgp::BgpPeerSession::StateHandler handler) {
  speaker_.onStateChange(std::move(handler));
}

std::vector<bgp::PeerSpec> BgpRole::peerSpecs() const {
  std::vector<bgp::PeerSpec> specs;
  std::optional<IpAddress> router_id = config_.bgp.router_id;
  if (!router_id) router_id = bgp::firstHostIpv4();
  const k8s::Node* node = cluster_.nodes().cache().find(node_);
  for (const BgpPeer& peer : config_.bgp_peers) {
    bgp::PeerSpec spec;
    spec.peer = peer;
    spec.local_asn = peer.local_asn != 0 ? peer.local_asn : config_.bgp.asn;
    spec.router_id = router_id ? static_cast<std::uint32_t>(router_id->toInteger()) : 0;
    spec.graceful_restart_time = static_cast<std::uint16_t>(
        std::chrono::duration_cast<std::chrono::seconds>(config_.bgp.graceful_restart_time)
            .count());
    spec.listen_port = config_.bgp.listen_port;
    if (!router_id) {
      spec.enabled = false;
      spec.disabled_reason =
          "no BGP router ID: set router-id in [bgp] (this host has no IPv4 address)";
    } else if (!peer.node_selector.empty() && !node) {
      spec.enabled = false;
      spec.disabled_reason = cluster_.nodes().cache().synced()
                                 ? "node-selector: Node " + node_ + " not found in the cluster"
                                 : "node-selector: waiting for the Node objects";
    } else if (!peer.node_selector.empty() && !peer.node_selector.matches(node->meta.labels)) {
      spec.enabled = false;
      spec.disabled_reason = "node-selector does not match Node " + node_;
    } else if (!peer.password_file.empty()) {
      auto key = bgp::readPasswordFile(peer.password_file);
      if (key) {
        spec.md5_key = std::move(key.value());
      } else {
        spec.enabled = false;
        spec.disabled_reason = key.error().message;
      }
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

void BgpRole::start() {
  running_ = true;
  configured_ = peerSpecs();
  for (const auto& spec : configured_) {
    if (!spec.enabled) log_->info("peer {}: disabled: {}", spec.peer.name, spec.disabled_reason);
  }
  speaker_.configure(configured_, config_.bgp.listen_port);
  rebuildSoon();
}

void BgpRole::configure(const Config& config) {
  config_ = config;
  if (!running_) return;
  rebuild();
}

bool BgpRole::synced() const {
  return cluster_.services().cache().synced() && cluster_.endpointSlices().cache().synced() &&
         cluster_.nodes().cache().synced();
}

void BgpRole::rebuildSoon() {
  if (!running_ || stopping_ || rebuild_armed_) return;
  rebuild_armed_ = true;
  rebuild_timer_.expires_after(kRebuildSpacing);
  rebuild_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (error || !*alive) return;
    rebuild_armed_ = false;
    rebuild();
  });
}

void BgpRole::rebuild() {
  if (!running_ || stopping_) return;
  // Peers first: a node label change can enable or disable a session.
  auto specs = peerSpecs();
  if (specs != configured_) {
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const bool was = i < configured_.size() && configured_[i].enabled;
      if (specs[i].enabled && !was && i < configured_.size())
        log_->info("peer {}: enabled", specs[i].peer.name);
      if (!specs[i].enabled && (was || i >= configured_.size() ||
                                configured_[i].disabled_reason != specs[i].disabled_reason))
        log_->log(cluster_.nodes().cache().synced() ? spdlog::level::warn : spdlog::level::info,
                  "peer {}: disabled: {}", specs[i].peer.name, specs[i].disabled_reason);
    }
    configured_ = std::move(specs);
    speaker_.configure(configured_, config_.bgp.listen_port);
  }
  // Until every cache has listed once, an empty cache would read as "withdraw everything".
  if (!synced()) return;
  view_ = election::ClusterView::build(
      cluster_.services().cache().objects(), cluster_.endpointSlices().cache().objects(),
      cluster_.nodes().cache().objects(), config_.pools, config_.kubernetes, PoolMode::Bgp);
  std::vector<bgp::AdvertisedVip> advertised;
  for (const auto& [ip, vip] : view_.vips()) {
    if (view_.eligible(vip, node_)) advertised.push_back({ip, vip.pool});
  }
  std::vector<bool> enabled;
  for (const auto& spec : configured_)
    enabled.push_back(spec.enabled);
  auto rib = bgp::AdjRibOut::plan(config_, advertised, enabled);
  if (rib.size() != speaker_.routes().size())
    log_->info("advertising {} of {} bgp VIPs ({} prefixes)", advertised.size(),
               view_.vips().size(), rib.size());
  speaker_.setRoutes(std::move(rib));
}

std::vector<BgpVipView> BgpRole::vips() const {
  std::vector<BgpVipView> rows;
  std::vector<std::string> nodes;
  for (const auto& [name, node] : cluster_.nodes().cache().objects())
    nodes.push_back(node.meta.name);
  for (const auto& [ip, vip] : view_.vips()) {
    BgpVipView row;
    row.vip = ip;
    row.pool = vip.pool;
    row.services = vip.services;
    row.ineligibility = view_.ineligibility(vip, node_);
    row.advertised_here = row.ineligibility.empty();
    for (const auto& node : nodes) {
      if (view_.eligible(vip, node)) row.eligible_nodes.push_back(node);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void BgpRole::stop(std::chrono::milliseconds timeout, std::function<void()> done) {
  stopping_ = true;
  rebuild_timer_.cancel();
  auto once = std::make_shared<std::function<void()>>(std::move(done));
  auto finish = [once] {
    if (*once) {
      auto callback = std::move(*once);
      *once = nullptr;
      callback();
    }
  };
  stop_timer_.expires_after(timeout);
  stop_timer_.async_wait([finish, alive = alive_](const boost::system::error_code& error) {
    if (!error && *alive) finish();
  });
  const auto pause = std::min<std::chrono::milliseconds>(config_.bgp.graceful_shutdown_time,
                                                         timeout - std::chrono::milliseconds(300));
  speaker_.stop(std::max(pause, std::chrono::milliseconds(0)), finish);
}

}  // namespace lbd
