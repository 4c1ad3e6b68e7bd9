#include "app/layer2_role.h"

#include <boost/asio/post.hpp>

#include "core/election/lease_names.h"
#include "core/l2/announce_interfaces.h"
#include "io/raw/packet_socket.h"
#include "io/sysctl/arp_sysctl_reader.h"
#include "lbd_version.h"

namespace lbd {
namespace {

using Clock = std::chrono::steady_clock;

election::HeartbeatIdentity identityFor(const Config& config, const std::string& node) {
  return election::HeartbeatIdentity{node,
                                     config.election.lease_namespace,
                                     config.election.lease_duration,
                                     config.hash,
                                     kVersion,
                                     /*fast_endpoint=*/{}};
}

}  // namespace

/// A gratuitous ARP / unsolicited NA burst for one VIP on one interface: the first at once,
/// then [l2] gratuitous-count more, gratuitous-interval apart (> 1 s: the ARP locktime of
/// older Linux neighbours ignores updates closer together).
struct Layer2Role::Burst {
  Burst(boost::asio::io_context& io, std::string on, IpAddress address, std::uint32_t count)
      : timer(io), interface(std::move(on)), vip(address), left(count) {}
  boost::asio::steady_timer timer;
  std::string interface;
  IpAddress vip;
  std::uint32_t left;
};

bool Layer2Role::wanted(const Config& config) {
  for (const auto& pool : config.pools) {
    if (pool.mode == PoolMode::Layer2) return true;
  }
  return false;
}

Layer2Role::Layer2Role(boost::asio::io_context& io, KubernetesWatch& cluster, const Config& config,
                       std::string node, std::shared_ptr<spdlog::logger> log)
    : io_(io),
      cluster_(cluster),
      log_(std::move(log)),
      node_(std::move(node)),
      config_(config),
      identity_(identityFor(config, node_)),
      election_(node_, config.election),
      lease_client_(cluster.api()),
      events_(cluster.api(), log_),
      links_(
          io,
          [this](const l2::InterfaceTable& table, const std::vector<l2::InterfaceEvent>& events) {
            onLinks(table, events);
          },
          [this](const Error& error) { log_->warn("links: {}", error.message); }),
      fast_(io, node_, log_,
            {.silent =
                 [this](const std::string& peer, election::MonotonicTime since) {
                   // Once per silence: the election keeps the verdict until peerHeard.
                   if (!fast_silent_reported_.insert(peer).second) return;
                   log_->info("fast failover: {} silent, its VIPs are taken over now", peer);
                   election_.peerSilent(peer, since);
                   decideSoon();
                 },
             .heard =
                 [this](const std::string& peer) {
                   if (fast_silent_reported_.erase(peer))
                     log_->info("fast failover: {} heard again", peer);
                   election_.peerHeard(peer);
                   decideSoon();
                 }}),
      heartbeat_timer_(io),
      decide_timer_(io),
      refresh_timer_(io),
      rebuild_timer_(io) {
  // A storm of Service events must not rebuild the VIP table once per event (O(N^2)): mark
  // it stale and rebuild once per burst, before deciding.
  auto changed = [this] {
    cluster_stale_ = true;
    decideSoon();
  };
  subscribe(cluster_.services().cache(),
            k8s::InformerCache<k8s::Service>::Handlers::onAnyChange(changed));
  subscribe(cluster_.endpointSlices().cache(),
            k8s::InformerCache<k8s::EndpointSlice>::Handlers::onAnyChange(changed));
  subscribe(cluster_.nodes().cache(),
            k8s::InformerCache<k8s::Node>::Handlers::onAnyChange(changed));
  subscribe(cluster_.leases().cache(),
            {[this](const k8s::Lease& lease) { onLease(lease, false); },
             [this](const k8s::Lease&, const k8s::Lease& lease) { onLease(lease, false); },
             [this](const k8s::Lease& lease) { onLease(lease, true); },
             [this] {
               for (const auto& [key, lease] : cluster_.leases().cache().objects()) {
                 if (isHeartbeatLease(lease)) onHeartbeatLease(lease, false);
                 election_.observeLease(lease, Clock::now());
               }
               decideSoon();
             }});
  election_.setLocalEligibility(
      [this](const election::Vip& vip) { return !interfacesFor(vip.ip, vip.pool).empty(); });
}

Layer2Role::~Layer2Role() {
  *alive_ = false;
  for (auto& unsubscribe : unsubscribe_)
    unsubscribe();
  for (auto& [name, responder] : responders_)
    (void)responder->setOwned({});
}

void Layer2Role::start() {
  running_ = true;
  if (auto started = links_.start(); !started) {
    log_->error("links: {}: no VIP can be announced until it works", started.error().message);
  }
  cluster_stale_ = true;
  fast_.configure(config_.election, internalAddress());
  heartbeat();
  decideSoon();
  if (config_.l2.refresh_interval.count() > 0) refresh();
}

void Layer2Role::configure(const Config& config) {
  config_ = config;
  identity_ = identityFor(config, node_);
  election_.configure(config.election);
  if (running_) fast_.configure(config_.election, internalAddress());
  cluster_stale_ = true;
  decideSoon();
}

void Layer2Role::rebuildCluster() {
  cluster_stale_ = false;
  election_.dropClusterView();
  election_.setCluster(election::ClusterView::build(cluster_.services().cache().objects(),
                                                    cluster_.endpointSlices().cache().objects(),
                                                    cluster_.nodes().cache().objects(),
                                                    config_.pools, config_.kubernetes),
                       Clock::now());
}

void Layer2Role::onLease(const k8s::Lease& lease, bool deleted) {
  if (isHeartbeatLease(lease)) onHeartbeatLease(lease, deleted);
  if (deleted) {
    election_.leaseDeleted(lease, Clock::now());
  } else {
    election_.observeLease(lease, Clock::now());
  }
  decideSoon();
}

bool Layer2Role::isHeartbeatLease(const k8s::Lease& lease) const {
  return lease.meta.namespace_ == config_.election.lease_namespace &&
         lease.meta.name.rfind(election::kHeartbeatLeasePrefix, 0) == 0;
}

void Layer2Role::onHeartbeatLease(const k8s::Lease& lease, bool deleted) {
  std::string node = lease.holder_identity;
  if (deleted || node.empty()) {
    // Released or gone: the node it named stops taking part.
    auto known = heartbeat_nodes_.find(lease.meta.name);
    if (known == heartbeat_nodes_.end()) return;
    node = known->second;
    heartbeat_nodes_.erase(known);
    fast_.observePeer(node, "");
    return;
  }
  heartbeat_nodes_[lease.meta.name] = node;
  auto endpoint = lease.meta.annotations.find(std::string(election::kFastHeartbeatAnnotation));
  fast_.observePeer(node, endpoint == lease.meta.annotations.end() ? "" : endpoint->second);
}

std::string Layer2Role::internalAddress() const {
  const k8s::Node* self = cluster_.nodes().cache().find(node_);
  if (!self) return {};
  for (const auto& address : self->addresses) {
    if (address.type == "InternalIP") return address.address;
  }
  return {};
}

bool Layer2Role::synced() const {
  // A Lease missing from a half-listed cache would look like a free VIP.
  return cluster_.leases().cache().synced() && cluster_.services().cache().synced() &&
         cluster_.endpointSlices().cache().synced() && cluster_.nodes().cache().synced() &&
         links_.synchronized();
}

void Layer2Role::decideSoon() {
  // Informer events come in bursts (a relist, a storm of Services): decide once per burst.
  if (decide_posted_ || !running_) return;
  decide_posted_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    decide_posted_ = false;
    decide();
  });
}

void Layer2Role::decide() {
  if (!running_ || !synced()) return;
  if (cluster_stale_) {
    // Rebuilding the VIP table walks every Service: during a storm of Service updates (one
    // per status write) do it at most every kRebuildSpacing, not once per event, and decide
    // meanwhile on the table as it was (Lease events still get an answer at once).
    const auto now = Clock::now();
    if (now - last_rebuild_ >= kRebuildSpacing) {
      rebuildCluster();
      last_rebuild_ = now;
    } else if (!rebuild_armed_) {
      rebuild_armed_ = true;
      rebuild_timer_.expires_at(last_rebuild_ + kRebuildSpacing);
      rebuild_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
        if (error || !*alive) return;
        rebuild_armed_ = false;
        decide();
      });
    }
  }
  apply(election_.decide(Clock::now()));
}

void Layer2Role::apply(election::Decisions decisions) {
  applyAnnounce(decisions.announce);  // first: stop answering before letting go
  for (const auto& claim : decisions.claims)
    writeVipLease(claim.vip, claim.lease_name);
  for (const auto& release : decisions.releases)
    writeVipLease(release.vip, release.lease_name);
  for (const auto& change : decisions.owner_changes)
    reportOwnerChange(change);
  if (decisions.next_wakeup && running_) {
    decide_timer_.expires_at(*decisions.next_wakeup);
    decide_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
      if (error || !*alive) return;
      decide();
    });
  }
}

std::vector<std::string> Layer2Role::interfacesFor(const IpAddress& vip,
                                                   const std::string& pool_name) const {
  std::vector<std::string> names;
  const Pool* pool = config_.findPool(pool_name);
  if (pool == nullptr) return names;
  for (const auto& interface :
       l2::selectAnnounceInterfacesForPool(links_.table(), *pool, vip).interfaces) {
    names.push_back(interface.name);
  }
  return names;
}

std::vector<std::string> Layer2Role::interfacesOf(const IpAddress& vip) const {
  std::vector<std::string> names;
  for (const auto& [interface, vips] : answering_) {
    if (vips.contains(vip)) names.push_back(interface);
  }
  return names;
}

void Layer2Role::applyAnnounce(const std::set<IpAddress>& announce) {
  announce_ = announce;
  std::map<std::string, std::set<IpAddress>> wanted;
  for (const auto& vip : announce) {
    const election::Vip* known = election_.cluster().find(vip);
    if (known == nullptr) continue;
    for (auto& interface : interfacesFor(vip, known->pool))
      wanted[interface].insert(vip);
  }
  // Interfaces that answer nothing any more first: fewer answers is always safe.
  for (auto it = answering_.begin(); it != answering_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    closeResponder(it->first);
    it = answering_.erase(it);
  }
  for (auto& [interface, vips] : wanted) {
    raw::NeighborResponder* responder = this->responder(interface);
    if (responder == nullptr) continue;
    const std::set<IpAddress> before = answering_[interface];
    if (auto result = responder->setOwned(vips); !result) {
      log_->warn("{}: {}", interface, result.error().message);
    }
    answering_[interface] = vips;
    for (const auto& vip : vips) {
      if (!before.contains(vip)) startBurst(interface, vip);
    }
    for (const auto& vip : before) {
      if (!vips.contains(vip))
        log_->info("{}: no longer answering for {}", interface, vip.toString());
    }
  }
}

raw::NeighborResponder* Layer2Role::responder(const std::string& interface) {
  if (auto found = responders_.find(interface); found != responders_.end()) {
    return found->second.get();
  }
  auto socket = raw::PacketSocket::open(io_, interface);
  if (!socket) {
    log_->error("cannot answer ARP/NDP on {}: {}", interface, socket.error().message);
    return nullptr;
  }
  auto responder = std::make_unique<raw::NeighborResponder>(std::move(socket.value()));
  responder->onConflict([this, interface, alive = alive_](const l2::AddressConflict& conflict) {
    if (!*alive) return;
    log_->warn("{}: another station ({}) announces {}, which this host answers for", interface,
               conflict.mac.toString(), conflict.ip.toString());
    election_.conflict(conflict.ip, Clock::now());
    decideSoon();
  });
  responder->onLinkError([this, interface, alive = alive_](const Error& error) {
    if (!*alive) return;
    log_->warn("{}: stopped receiving: {}", interface, error.message);
    boost::asio::post(io_, [this, interface, alive] {
      if (!*alive) return;
      closeResponder(interface);
      answering_.erase(interface);
      decideSoon();
    });
  });
  responder->start();
  // kube-proxy in IPVS mode binds every LoadBalancer IP to kube-ipvs0; with arp_ignore=0 the
  // kernel would answer for them too, on every host (DESIGN.md section 3).
  if (auto verdict = sysctl::checkKernelArp(interface); verdict && !verdict->ok()) {
    log_->warn("{}", verdict->message);
    kernel_arp_warnings_[interface] = verdict->message;
  } else {
    kernel_arp_warnings_.erase(interface);
  }
  log_->info("answering ARP/NDP on {} ({})", interface, responder->mac().toString());
  auto* raw = responder.get();
  responders_[interface] = std::move(responder);
  return raw;
}

void Layer2Role::closeResponder(const std::string& interface) {
  auto found = responders_.find(interface);
  if (found == responders_.end()) return;
  (void)found->second->setOwned({});
  responders_.erase(found);
  kernel_arp_warnings_.erase(interface);
}

void Layer2Role::startBurst(const std::string& interface, const IpAddress& vip) {
  log_->info("{}: answering for {}; announcing it ({} more in {} ms steps)", interface,
             vip.toString(), config_.l2.gratuitous_count,
             std::chrono::duration_cast<std::chrono::milliseconds>(config_.l2.gratuitous_interval)
                 .count());
  auto burst = std::make_shared<Burst>(io_, interface, vip, config_.l2.gratuitous_count + 1);
  bursts_.push_back(burst);
  burstStep(burst);
}

void Layer2Role::burstStep(const std::shared_ptr<Burst>& burst) {
  auto found = answering_.find(burst->interface);
  auto responder = responders_.find(burst->interface);
  const bool still = found != answering_.end() && found->second.contains(burst->vip) &&
                     responder != responders_.end();
  if (still) {
    if (auto sent = responder->second->announce(burst->vip); !sent) {
      log_->warn("{}: announcing {}: {}", burst->interface, burst->vip.toString(),
                 sent.error().message);
    }
  }
  if (!still || --burst->left == 0) {
    std::erase(bursts_, burst);
    return;
  }
  burst->timer.expires_after(config_.l2.gratuitous_interval);
  burst->timer.async_wait([this, alive = alive_, weak = std::weak_ptr<Burst>(burst)](
                              const boost::system::error_code& error) {
    if (error || !*alive) return;
    if (auto next = weak.lock()) burstStep(next);
  });
}

void Layer2Role::refresh() {
  refresh_timer_.expires_after(config_.l2.refresh_interval);
  refresh_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (error || !*alive || !running_) return;
    for (const auto& [interface, vips] : answering_) {
      auto responder = responders_.find(interface);
      if (responder == responders_.end()) continue;
      for (const auto& vip : vips)
        (void)responder->second->announce(vip);
    }
    if (config_.l2.refresh_interval.count() > 0) refresh();
  });
}

void Layer2Role::onLinks(const l2::InterfaceTable&, const std::vector<l2::InterfaceEvent>& events) {
  for (const auto& event : events) {
    const bool ours = responders_.contains(event.name) || answering_.contains(event.name);
    if (!ours) continue;
    using Change = l2::InterfaceChange;
    if (event.change == Change::Removed || event.change == Change::WentDown ||
        event.change == Change::MacChanged || event.change == Change::Renamed) {
      // Down: not eligible any more, the election releases. MAC changed: the socket answers
      // with the MAC it opened with, so open it again and announce again (a new burst).
      log_->info("links: {}", event.toString());
      closeResponder(event.name);
      answering_.erase(event.name);
    }
  }
  decideSoon();
}

std::optional<k8s::Lease> Layer2Role::cachedLease(const std::string& name) const {
  const k8s::Lease* lease =
      cluster_.leases().cache().find(config_.election.lease_namespace + "/" + name);
  if (lease == nullptr) return std::nullopt;
  return *lease;
}

void Layer2Role::writeVipLease(const IpAddress& vip, const std::string& lease_name,
                               std::function<void()> then) {
  if (!vip_writes_in_flight_.insert(lease_name).second) {
    if (then) then();  // the write on its way answers the election
    return;
  }
  lease_client_.writeFrom(
      config_.election.lease_namespace, lease_name, cachedLease(lease_name),
      [this, vip](const std::optional<k8s::Lease>& current) {
        return election_.leaseToWrite(vip, current, Clock::now(), std::chrono::system_clock::now());
      },
      [this, alive = alive_, vip, lease_name, then](k8s::LeaseWriteResult result) {
        if (then) then();
        if (!*alive) return;
        vip_writes_in_flight_.erase(lease_name);
        if (result.outcome == k8s::LeaseWriteResult::Outcome::Written && result.lease) {
          election_.written(*result.lease, Clock::now());
        } else {
          if (result.outcome == k8s::LeaseWriteResult::Outcome::Failed) {
            log_->warn("VIP {}: {}", vip.toString(), result.error);
          }
          if (result.lease) election_.observeLease(*result.lease, Clock::now());
          election_.writeFailed(vip, Clock::now());
        }
        decide();
      },
      // One attempt: a claim decided just before the API went away must not be retried into
      // the moment it comes back (it took VIPs from live owners); the election decides again.
      1);
}

void Layer2Role::reportOwnerChange(const election::OwnerChange& change) {
  const std::string from = change.previous_holder.empty() ? "nobody" : change.previous_holder;
  const std::string to = change.holder.empty() ? "nobody" : change.holder;
  log_->info("VIP {}: owner {} -> {}", change.vip.toString(), from, to);
  if (on_owner_change_) on_owner_change_(change);
  if (change.holder != node_) return;  // each change is told once, by the new owner
  const election::Vip* vip = election_.cluster().find(change.vip);
  if (vip == nullptr) return;
  for (const auto& key : vip->services) {
    const k8s::Service* service = cluster_.services().cache().find(key);
    if (service == nullptr) continue;
    k8s::EventSpec spec;
    spec.namespace_ = service->meta.namespace_;
    spec.involved_name = service->meta.name;
    spec.involved_uid = service->meta.uid;
    spec.involved_resource_version = service->meta.resource_version;
    spec.reason = "nodeAssigned";
    spec.message = "announcing " + change.vip.toString() + " from node \"" + node_ +
                   "\" with protocol \"layer2\"";
    spec.reporting_instance = node_;
    events_.record(spec);
  }
}

void Layer2Role::heartbeat() {
  if (!running_) return;
  heartbeat_timer_.expires_after(config_.election.renew_interval);
  heartbeat_timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (!error && *alive) heartbeat();
  });
  if (heartbeat_in_flight_) return;  // a slow renewal is not doubled
  heartbeat_in_flight_ = true;
  const auto sent_at = Clock::now();
  const std::string name = election::heartbeatLeaseName(node_);
  // Peers learn where to send direct heartbeats from ours (the Node's address may come late).
  fast_.setAddress(internalAddress());
  identity_.fast_endpoint = fast_.advertisedEndpoint();
  std::optional<k8s::Lease> known = own_heartbeat_ ? own_heartbeat_ : cachedLease(name);
  lease_client_.writeFrom(
      config_.election.lease_namespace, name, std::move(known),
      [this](const std::optional<k8s::Lease>& current) {
        return std::optional<k8s::LeaseSpec>(
            election::heartbeatLease(identity_, current, std::chrono::system_clock::now()));
      },
      [this, alive = alive_, sent_at](k8s::LeaseWriteResult result) {
        if (!*alive) return;
        heartbeat_in_flight_ = false;
        if (result.outcome == k8s::LeaseWriteResult::Outcome::Written && result.lease) {
          own_heartbeat_ = result.lease;
          // Our heartbeat only counts as fresh while our view of the others' heartbeats is
          // current too: after an API outage the Lease watch may come back seconds after our
          // first renewal (informer backoff), and until it does every peer looks dead to us.
          // Counting it earlier made standbys take VIPs from live owners (test_layer2).
          if (cluster_.leases().state() == "watching") election_.heartbeatWritten(sent_at);
          if (!heartbeat_error_.empty()) log_->info("heartbeat renewed again");
          heartbeat_error_.clear();
        } else {
          own_heartbeat_.reset();  // read it afresh next time
          if (result.error != heartbeat_error_) log_->warn("heartbeat: {}", result.error);
          heartbeat_error_ = result.error;
        }
        decide();
      },
      1);  // one attempt: the next renewal is the retry, renew-interval later, never later
}

void Layer2Role::stop(std::chrono::milliseconds timeout, std::function<void()> done) {
  const bool was_running = running_;
  running_ = false;
  heartbeat_timer_.cancel();
  decide_timer_.cancel();
  refresh_timer_.cancel();
  rebuild_timer_.cancel();
  if (!was_running) {
    done();
    return;
  }
  election::Decisions decisions = election_.stop(Clock::now());
  applyAnnounce(decisions.announce);  // silent first, then hand over
  auto remaining = std::make_shared<std::size_t>(decisions.releases.size() + 1);
  auto finished = std::make_shared<bool>(false);
  auto finish = [finished, done]() {
    if (*finished) return;
    *finished = true;
    done();
  };
  auto one_done = [remaining, finish] {
    if (--*remaining == 0) finish();
  };
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, timeout);
  timer->async_wait([timer, finish](const boost::system::error_code&) { finish(); });
  // The heartbeat release is queued first, the VIP releases right behind it (the Lease class
  // is served in order): one write tells every peer that this host is gone, so all of its VIPs
  // are claimable at once even when it holds hundreds and their releases take a while to go
  // out. (Peers also skip the host that released a VIP when ranking for it.) This host answers
  // nothing any more, so a peer's claim before our VIP release lands is safe: the release then
  // fails its compare-and-swap and changes nothing.
  const std::string name = election::heartbeatLeaseName(node_);
  lease_client_.writeFrom(
      config_.election.lease_namespace, name, own_heartbeat_ ? own_heartbeat_ : cachedLease(name),
      [this](const std::optional<k8s::Lease>& current) {
        return election::heartbeatRelease(identity_, current, std::chrono::system_clock::now());
      },
      [one_done](k8s::LeaseWriteResult) { one_done(); });
  for (const auto& release : decisions.releases) {
    writeVipLease(release.vip, release.lease_name, one_done);
  }
}

std::vector<election::VipStatus> Layer2Role::vips() const {
  return election_.status(Clock::now());
}

std::vector<ResponderView> Layer2Role::responders() const {
  std::vector<ResponderView> views;
  for (const auto& [interface, responder] : responders_) {
    ResponderView view;
    view.interface = interface;
    view.mac = responder->mac().toString();
    auto found = answering_.find(interface);
    view.vips = found == answering_.end() ? 0 : found->second.size();
    view.counters = responder->counters();
    if (auto warning = kernel_arp_warnings_.find(interface);
        warning != kernel_arp_warnings_.end()) {
      view.kernel_arp_warning = warning->second;
    }
    views.push_back(std::move(view));
  }
  return views;
}

bool Layer2Role::heartbeatFresh() const {
  return election_.heartbeatFresh(Clock::now());
}

std::vector<std::string> Layer2Role::livePeers() const {
  return election_.livePeers(Clock::now());
}

}  // namespace lbd
