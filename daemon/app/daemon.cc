#include "app/daemon.h"

#include <signal.h>
#include <unistd.h>

#include <sdbus-c++/Error.h>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/exit_codes.h"
#include "app/logging.h"
#include "io/config/config_files.h"
#include "io/k8s/cluster_access_loader.h"
#include "io/sd/journal_sink.h"
#include "lbd_version.h"

namespace lbd {
namespace {

std::uint64_t realtimeUsec() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

std::string joinLines(const Diagnostics& diagnostics) {
  std::string text;
  for (const auto& diagnostic : diagnostics) {
    if (!text.empty()) text += '\n';
    text += diagnostic.toString();
  }
  return text;
}

std::string countNoun(std::size_t count, const char* singular, const char* plural) {
  return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

}  // namespace

int checkConfig(const DaemonOptions& options) {
  auto config = lbd::loadConfig(options.config_path, options.pools_dir);
  if (!config) {
    for (const auto& diagnostic : config.error())
      std::cerr << diagnostic.toString() << '\n';
    return kExitInvalidConfig;
  }
  std::cout << options.config_path << ": configuration is valid ("
            << countNoun(config->pools.size(), "pool", "pools") << ", "
            << countNoun(config->bgp_peers.size(), "BGP peer", "BGP peers") << ")\n";
  return kExitOk;
}

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)),
      signals_(io_, SIGTERM, SIGINT, SIGHUP),
      notifier_(io_),
      log_(componentLogger("daemon")),
      started_at_usec_(realtimeUsec()),
      refresh_timer_(io_) {}

Daemon::~Daemon() = default;

int Daemon::run() {
  if (auto loaded = loadConfig(); !loaded) {
    logDiagnostics(loaded.error());
    log_->critical("invalid configuration in {}: not starting", options_.config_path);
    notifier_.status("Invalid configuration: " + loaded.error().front().toString());
    return kExitInvalidConfig;
  }

  // Before the bus object exists, so that its first properties already say how the API is.
  applyKubernetesConfig(nullptr);

  auto connection = bus::connectBus(options_.bus);
  if (!connection) {
    log_->critical("{}", connection.error().message);
    return kExitFailure;
  }
  bus_connection_ = std::move(connection.value());
  manager_bus_ = std::make_unique<bus::ManagerBus>(
      *bus_connection_, static_cast<bus::ManagerModel&>(*this), properties());
  syncBgpPeerObjects();  // the BGP role started above, before there was a bus
  try {
    bus_connection_->requestName(bus::kBusName);
  } catch (const sdbus::Error& error) {
    log_->critical("cannot take the bus name {}: {} (is another lbd running?)", bus::kBusName,
                   error.getMessage());
    return kExitFailure;
  }
  bus_loop_ = std::make_unique<bus::BusLoop>(io_, *bus_connection_);
  bus_loop_->start();

  scheduleRefresh();
  waitForSignal();
  log_->info("lbd {} started: node {}, {}", kVersion, node_name_, statusLine());
  notifier_.ready(statusLine());
  notifier_.startWatchdog();

  io_.run();

  bgp_peer_buses_.clear();
  bgp_.reset();
  layer2_.reset();
  allocator_.reset();
  if (kubernetes_) kubernetes_->stop();
  bus_loop_->stop();
  try {
    bus_connection_->releaseName(bus::kBusName);
  } catch (const sdbus::Error& error) {
    log_->warn("cannot release the bus name {}: {}", bus::kBusName, error.getMessage());
  }
  log_->info("stopped");
  return kExitOk;
}

Result<void, Diagnostics> Daemon::loadConfig() {
  auto loaded = lbd::loadConfig(options_.config_path, options_.pools_dir);
  if (!loaded) {
    config_error_ = joinLines(loaded.error());
    return Unexpected{std::move(loaded).error()};
  }
  config_ = std::make_shared<const Config>(std::move(loaded.value()));
  node_name_ = config_->node.name.empty() ? hostName() : config_->node.name;
  config_error_.clear();
  config_loaded_at_usec_ = realtimeUsec();
  return {};
}

Result<void, std::string> Daemon::reloadConfig() {
  notifier_.reloading();
  const std::string old_hash = config_->hash;
  const std::shared_ptr<const Config> previous = config_;
  auto loaded = loadConfig();
  if (loaded) {
    applyKubernetesConfig(previous.get());
    if (allocator_) allocator_->configure(*config_);
    applyLayer2Config();
    applyBgpConfig();
  }
  if (!loaded) {
    logDiagnostics(loaded.error());
    log_->error("reload failed: keeping the configuration in force ({})", old_hash.substr(0, 12));
  } else if (config_->hash == old_hash) {
    log_->info("configuration reloaded: unchanged");
  } else {
    log_->info("configuration reloaded: {} ({})", statusLine(), config_->hash.substr(0, 12));
  }
  publish();
  notifier_.ready(statusLine());
  if (!loaded) return Unexpected{config_error_};
  return {};
}

void Daemon::logDiagnostics(const Diagnostics& diagnostics) const {
  for (const auto& diagnostic : diagnostics) {
    sd::JournalFields fields({{"CONFIG_FILE", diagnostic.where.file},
                              {"CONFIG_LINE", std::to_string(diagnostic.where.line)},
                              {"CONFIG_KEY", diagnostic.key}});
    log_->error("{}", diagnostic.toString());
  }
}

std::vector<bus::PoolRow> Daemon::poolRows() const {
  std::vector<bus::PoolRow> rows;
  for (const auto& pool : config_->pools) {
    bus::PoolRow row;
    row.name = pool.name;
    row.mode = std::string(toString(pool.mode));
    for (auto family : {IpFamily::V4, IpFamily::V6}) {
      if (pool.addresses.hasFamily(family)) row.families.emplace_back(toString(family));
    }
    const AddressCount size = pool.addresses.size();
    row.size = size.toString();
    if (allocator_) {
      const auto usage = allocator_->usage(pool.name);
      row.used = usage.v4.used + usage.v6.used;
    }
    row.free = (size - AddressCount(row.used)).toString();
    row.ranges = pool.address_texts;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<bus::PoolUsageRow> Daemon::poolUsageRows() const {
  std::vector<bus::PoolUsageRow> rows;
  for (const auto& pool : config_->pools) {
    ipam::PoolUsage usage;
    if (allocator_) usage = allocator_->usage(pool.name);
    for (auto family : {IpFamily::V4, IpFamily::V6}) {
      if (!pool.addresses.hasFamily(family)) continue;
      const ipam::FamilyUsage& counted = family == IpFamily::V4 ? usage.v4 : usage.v6;
      const AddressCount size = pool.addresses.size(family);
      rows.push_back({pool.name, std::string(toString(family)), size.toString(), counted.used,
                      (size - AddressCount(counted.used)).toString()});
    }
  }
  return rows;
}

std::vector<bus::ServiceRow> Daemon::serviceRows() const {
  std::vector<bus::ServiceRow> rows;
  if (!allocator_) return rows;
  for (auto& view : allocator_->services()) {
    rows.push_back({std::move(view.key), std::move(view.ips), std::move(view.pool),
                    std::move(view.state), std::move(view.reason), std::move(view.message)});
  }
  return rows;
}

bus::RequestQueueSnapshot Daemon::requestQueue() const {
  bus::RequestQueueSnapshot snapshot;
  if (!kubernetes_) return snapshot;
  const k8s::RequestQueueStats stats = kubernetes_->api().queueStats();
  const k8s::EventCounters events = allocator_ ? allocator_->eventCounters() : k8s::EventCounters{};
  for (const k8s::RequestClass request_class : k8s::kRequestClassesInOrder) {
    const k8s::RequestClassStats& counted = stats.classes[k8s::index(request_class)];
    bus::RequestClassRow row{std::string(k8s::toString(request_class)),
                             counted.queued,
                             counted.in_flight,
                             counted.sent,
                             counted.refused,
                             counted.fenced,
                             counted.dropped,
                             counted.failed,
                             0};
    if (request_class == k8s::RequestClass::Status && allocator_) {
      // Decided writes the allocator holds back until the scheduler has room are queued too.
      row.queued += allocator_->statusWritesWaiting();
    }
    if (request_class == k8s::RequestClass::Event) {
      // The recorder folds repeats and refuses beyond its bound before the scheduler sees them.
      row.dropped += events.dropped;
      row.folded = events.aggregated;
    }
    snapshot.classes.push_back(std::move(row));
  }
  snapshot.max_in_flight = config_->kubernetes.max_requests_in_flight;
  snapshot.lease_in_flight = kLeaseRequestsInFlight;
  if (stats.last_refused_at.time_since_epoch().count() != 0) {
    snapshot.last_refused_at_usec =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       stats.last_refused_at.time_since_epoch())
                                       .count());
  }
  snapshot.last_refused = stats.last_refused;
  return snapshot;
}

std::vector<bus::VipRow> Daemon::vipRows() const {
  std::vector<bus::VipRow> rows;
  if (!layer2_) return rows;
  for (auto& vip : layer2_->vips()) {
    bus::VipRow row;
    row.vip = vip.vip.toString();
    row.pool = vip.pool;
    row.holder = vip.holder;
    row.services = vip.services;
    row.announcing = vip.announcing;
    row.eligible_here = vip.eligible_here;
    row.state = vip.state;
    if (!vip.ineligibility.empty() && !vip.eligible_here)
      row.state += " (" + vip.ineligibility + ")";
    row.interfaces = layer2_->interfacesOf(vip.vip);
    rows.push_back(std::move(row));
  }
  return rows;
}

bus::Layer2Snapshot Daemon::layer2() const {
  bus::Layer2Snapshot snapshot;
  if (!layer2_) return snapshot;
  snapshot.enabled = true;
  snapshot.heartbeat_fresh = layer2_->heartbeatFresh();
  snapshot.heartbeat_error = layer2_->heartbeatError();
  snapshot.peers = layer2_->livePeers();
  snapshot.owned = static_cast<std::uint32_t>(layer2_->ownedCount());
  snapshot.announced = static_cast<std::uint32_t>(layer2_->announcedCount());
  for (const auto& responder : layer2_->responders()) {
    snapshot.responders.push_back(
        {responder.interface, responder.mac, responder.vips, responder.counters.requests_seen,
         responder.counters.replies_sent, responder.counters.announcements_sent,
         responder.counters.malformed_dropped, responder.counters.conflicts_seen,
         responder.kernel_arp_warning});
  }
  return snapshot;
}

bus::FastFailoverSnapshot Daemon::fastFailover() const {
  bus::FastFailoverSnapshot snapshot;
  if (!layer2_) return snapshot;
  const FastFailoverView view = layer2_->fastFailover();
  snapshot.enabled = view.enabled;
  snapshot.error = view.error;
  snapshot.endpoint = view.endpoint;
  snapshot.port = view.port;
  snapshot.interval_ms = view.interval_ms;
  snapshot.misses = view.misses;
  snapshot.heard = view.heard;
  snapshot.silent = view.silent;
  snapshot.sent = view.sent;
  snapshot.received = view.received;
  snapshot.forged = view.forged;
  snapshot.replayed = view.replayed;
  snapshot.malformed = view.malformed;
  return snapshot;
}

std::vector<bus::BgpPeerRow> Daemon::bgpPeerRows() const {
  std::vector<bus::BgpPeerRow> rows;
  if (!bgp_) return rows;
  for (auto& peer : bgp_->peers()) {
    rows.push_back({std::move(peer.name), std::move(peer.address), peer.local_asn, peer.peer_asn,
                    std::move(peer.state), peer.established_at_usec, peer.prefixes_sent,
                    peer.prefixes_received, peer.updates_received, peer.malformed_updates,
                    peer.hold_time, std::move(peer.families), std::move(peer.last_error),
                    std::move(peer.peer_router_id), peer.graceful_restart});
  }
  return rows;
}

std::vector<bus::BgpVipRow> Daemon::bgpVipRows() const {
  std::vector<bus::BgpVipRow> rows;
  if (!bgp_) return rows;
  for (auto& vip : bgp_->vips()) {
    rows.push_back({vip.vip.toString(), std::move(vip.pool), std::move(vip.services),
                    vip.advertised_here, std::move(vip.ineligibility),
                    std::move(vip.eligible_nodes)});
  }
  return rows;
}

bus::ManagerProperties Daemon::properties() const {
  bus::ManagerProperties properties;
  properties.version = kVersion;
  properties.node_name = node_name_;
  properties.config_path = options_.config_path;
  properties.config_hash = config_->hash;
  properties.config_error = config_error_;
  properties.config_loaded_at_usec = config_loaded_at_usec_;
  properties.started_at_usec = started_at_usec_;
  if (kubernetes_) {
    properties.kubernetes_state = kubernetes_->state();
    properties.kubernetes_server = kubernetes_->server();
    properties.kubernetes_last_error = kubernetes_->lastError();
    properties.kubernetes_resources = kubernetes_->resources();
    if (allocator_) {
      properties.allocator_state = allocator_->state();
      properties.allocator_holder = allocator_->holder();
    }
  } else if (!kubernetes_failure_.empty()) {
    properties.kubernetes_state = "failed";
    properties.kubernetes_last_error = kubernetes_failure_;
  } else {
    properties.kubernetes_state = "not-configured";
  }
  return properties;
}

std::string Daemon::statusLine() const {
  std::string line = "serving " + countNoun(config_->pools.size(), "pool", "pools") + "; ";
  if (kubernetes_) {
    line += "Kubernetes API " + kubernetes_->state() + " (" + kubernetes_->server() + ")";
  } else if (!kubernetes_failure_.empty()) {
    line += "Kubernetes API failed: " + kubernetes_failure_;
  } else {
    line += "Kubernetes API not configured";
  }
  if (!config_error_.empty()) line += "; last reload failed, see lbctl status";
  return line;
}

void Daemon::publish() {
  if (!manager_bus_) return;
  manager_bus_->publish(properties());
  bus_loop_->wake();
}

void Daemon::applyKubernetesConfig(const Config* previous) {
  const KubernetesConfig& wanted = config_->kubernetes;
  if (previous && previous->kubernetes == wanted &&
      previous->election.lease_namespace == config_->election.lease_namespace &&
      (kubernetes_ || !kubernetes_failure_.empty() || !wanted.configured())) {
    // Unchanged: keep the caches and the watches running. New allocator election timings
    // take effect through a new role (the Lease still names this host: it renews at once).
    const ElectionConfig& before = previous->election;
    const ElectionConfig& now = config_->election;
    if (allocator_ && (before.allocator_lease_duration != now.allocator_lease_duration ||
                       before.allocator_renew_deadline != now.allocator_renew_deadline ||
                       before.allocator_retry_period != now.allocator_retry_period)) {
      allocator_ = std::make_unique<AllocatorRole>(io_, *kubernetes_, *config_, node_name_,
                                                   componentLogger("allocator"));
      allocator_->onRoleChange([this] { publish(); });
      allocator_->start();
    }
    return;
  }
  bgp_.reset();
  syncBgpPeerObjects();
  layer2_.reset();
  allocator_.reset();
  if (kubernetes_) kubernetes_->stop();
  kubernetes_.reset();
  kubernetes_failure_.clear();
  if (!wanted.configured()) return;
  auto access = k8s::loadClusterAccess(wanted);
  if (!access) {
    kubernetes_failure_ = access.error().message;
    log_->error("Kubernetes API: {}", kubernetes_failure_);
    return;
  }
  log_->info("Kubernetes API: watching {}", access->server);
  kubernetes_ = std::make_unique<KubernetesWatch>(
      io_, wanted, config_->election, std::move(access.value()), componentLogger("kubernetes"));
  allocator_ = std::make_unique<AllocatorRole>(io_, *kubernetes_, *config_, node_name_,
                                               componentLogger("allocator"));
  allocator_->onRoleChange([this] { publish(); });
  kubernetes_->start();
  allocator_->start();
  applyLayer2Config();
  applyBgpConfig();
}

void Daemon::applyBgpConfig() {
  applyBgpRole();
  syncBgpPeerObjects();
}

void Daemon::syncBgpPeerObjects() {
  if (!bus_connection_) return;
  std::map<std::string, std::unique_ptr<bus::BgpPeerBus>> kept;
  if (bgp_) {
    for (const auto& peer : config_->bgp_peers) {
      auto found = bgp_peer_buses_.find(peer.name);
      if (found != bgp_peer_buses_.end()) {
        kept[peer.name] = std::move(found->second);
        continue;
      }
      kept[peer.name] =
          std::make_unique<bus::BgpPeerBus>(*bus_connection_, peer.name, [this, name = peer.name] {
            for (auto& row : bgpPeerRows())
              if (row.name == name) return row;
            bus::BgpPeerRow gone;
            gone.name = name;
            gone.state = "stopped";
            return gone;
          });
    }
  }
  bgp_peer_buses_ = std::move(kept);  // objects of peers no longer configured go away
}

void Daemon::applyBgpRole() {
  const bool wanted = kubernetes_ && BgpRole::wanted(*config_);
  if (!wanted) {
    if (bgp_) log_->info("no bgp pools or peers any more: stopping the BGP speaker");
    bgp_.reset();
    return;
  }
  if (bgp_) {
    // Peer or speaker settings changed: a new speaker (sessions restart); otherwise only the
    // advertisements may have, which the running role recomputes.
    const bool same_speaker =
        previous_bgp_ && previous_bgp_->bgp_peers == config_->bgp_peers &&
        previous_bgp_->bgp.asn == config_->bgp.asn &&
        previous_bgp_->bgp.router_id == config_->bgp.router_id &&
        previous_bgp_->bgp.listen_port == config_->bgp.listen_port &&
        previous_bgp_->bgp.graceful_restart_time == config_->bgp.graceful_restart_time;
    previous_bgp_ = config_;
    if (same_speaker) {
      bgp_->configure(*config_);
      return;
    }
    bgp_.reset();
  }
  previous_bgp_ = config_;
  bgp_ = std::make_unique<BgpRole>(io_, *kubernetes_, *config_, node_name_, componentLogger("bgp"));
  bgp_->onPeerStateChange([this](const std::string& peer, bgp::SessionState from,
                                 bgp::SessionState to, const std::string& reason) {
    if (!manager_bus_) return;
    std::string address;
    for (const auto& configured : config_->bgp_peers)
      if (configured.name == peer) address = configured.address.toString();
    manager_bus_->emitBgpPeerStateChanged(peer, address, std::string(bgp::toString(from)),
                                          std::string(bgp::toString(to)), reason);
    if (auto object = bgp_peer_buses_.find(peer); object != bgp_peer_buses_.end())
      object->second->stateChanged();
  });
  bgp_->start();
}

void Daemon::applyLayer2Config() {
  const bool wanted = kubernetes_ && Layer2Role::wanted(*config_);
  if (!wanted) {
    if (layer2_) log_->info("no layer2 pools any more: not announcing");
    layer2_.reset();
    return;
  }
  if (layer2_) {
    layer2_->configure(*config_);
    return;
  }
  layer2_ = std::make_unique<Layer2Role>(io_, *kubernetes_, *config_, node_name_,
                                         componentLogger("layer2"));
  layer2_->onOwnerChange([this](const election::OwnerChange& change) {
    if (manager_bus_) {
      manager_bus_->emitVipOwnerChanged(change.vip.toString(), change.previous_holder,
                                        change.holder);
      bus_loop_->wake();
    }
  });
  layer2_->start();
}

void Daemon::scheduleRefresh() {
  // Informers change state on their own; publishing once a second keeps D-Bus current
  // (PropertiesChanged is only sent when something did change).
  refresh_timer_.expires_after(std::chrono::seconds(1));
  refresh_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    publish();
    scheduleRefresh();
  });
}

void Daemon::waitForSignal() {
  signals_.async_wait([this](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    onSignal(signal_number);
  });
}

void Daemon::onSignal(int signal_number) {
  if (signal_number == SIGHUP) {
    log_->info("SIGHUP: reloading configuration");
    (void)reloadConfig();
    waitForSignal();
    return;
  }
  log_->info("{}: stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  shutdown();
}

void Daemon::shutdown() {
  refresh_timer_.cancel();
  notifier_.stopping();
  // Hand the roles over now instead of after their lease durations (the layer-2 one stops
  // answering first, then releases its VIPs); bounded, so a dead API server cannot hold up
  // the stop (systemd would SIGKILL us after TimeoutStopSec anyway).
  auto remaining =
      std::make_shared<int>(1 + (allocator_ ? 1 : 0) + (layer2_ ? 1 : 0) + (bgp_ ? 1 : 0));
  auto one_done = [this, remaining] {
    if (--*remaining == 0) io_.stop();
  };
  if (layer2_) layer2_->stop(std::chrono::seconds(2), one_done);
  if (bgp_) {
    bgp_->stop(std::chrono::duration_cast<std::chrono::milliseconds>(
                   config_->bgp.graceful_shutdown_time + std::chrono::seconds(2)),
               one_done);
  }
  if (allocator_) allocator_->stop(std::chrono::seconds(2), one_done);
  one_done();
}

}  // namespace lbd
