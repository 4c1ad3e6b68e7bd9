#include "app/allocator_role.h"

#include <random>
#include <set>
#include <utility>

namespace lbd {
namespace {

using Clock = std::chrono::steady_clock;

election::LeaderElectionTiming timing(const ElectionConfig& election) {
  return {election.allocator_lease_duration, election.allocator_renew_deadline,
          election.allocator_retry_period};
}

double unitRandom() {
  static std::mt19937_64 random{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(random);
}

}  // namespace

AllocatorRole::AllocatorRole(boost::asio::io_context& io, KubernetesWatch& cluster,
                             const Config& config, std::string identity,
                             std::shared_ptr<spdlog::logger> log)
    : io_(io),
      cluster_(cluster),
      log_(std::move(log)),
      identity_(std::move(identity)),
      lease_namespace_(config.election.lease_namespace),
      enabled_(!config.pools.empty()),
      kubernetes_config_(config.kubernetes),
      election_(config.election.lease_namespace, kAllocatorLeaseName, identity_,
                timing(config.election)),
      lease_client_(cluster.api()),
      status_writer_(cluster.api()),
      events_(cluster.api(), log_),
      controller_(config.kubernetes, config.pools),
      campaign_timer_(io),
      deadline_timer_(io) {
  subscribe(
      cluster_.services().cache(),
      {[this](const k8s::Service& service) { onService(service); },
       [this](const k8s::Service&, const k8s::Service& service) { onService(service); },
       [this](const k8s::Service& service) { onServiceDeleted(service); }, [this] { resync(); }});
  subscribe(cluster_.namespaces().cache(),
            {[this](const k8s::Namespace& ns) { onNamespace(ns); },
             [this](const k8s::Namespace& before, const k8s::Namespace& after) {
               if (before.meta.labels != after.meta.labels) onNamespace(after);
             },
             {},
             [this] { resync(); }});
  subscribe(cluster_.leases().cache(),
            {[this](const k8s::Lease& lease) { observeLease(lease); },
             [this](const k8s::Lease&, const k8s::Lease& lease) { observeLease(lease); },
             [this](const k8s::Lease& lease) {
               if (lease.meta.name == kAllocatorLeaseName) {
                 election_.observe(std::nullopt, Clock::now());
                 if (running_ && !leader_ && !campaign_in_flight_) scheduleCampaign({});
               }
             },
             {}});
}

AllocatorRole::~AllocatorRole() {
  *alive_ = false;
  for (auto& unsubscribe : unsubscribe_)
    unsubscribe();
}

void AllocatorRole::start() {
  running_ = true;
  if (!enabled_) {
    log_->info("no pools configured: not taking part in the allocator election");
    return;
  }
  scheduleCampaign({});
}

void AllocatorRole::configure(const Config& config) {
  kubernetes_config_ = config.kubernetes;
  controller_.configure(config.kubernetes, config.pools);
  const bool was_enabled = enabled_;
  enabled_ = !config.pools.empty();
  if (leader_ && !enabled_) {
    // No pools left: let a host that has some allocate. Status stays as written.
    campaign_timer_.cancel();
    stepDown("no pools configured any more");
    lease_client_.write(
        lease_namespace_, kAllocatorLeaseName,
        [this](const std::optional<k8s::Lease>& current) {
          return election_.release(current, std::chrono::system_clock::now());
        },
        [](k8s::LeaseWriteResult) {});
    return;
  }
  if (leader_) {
    resync();
  } else if (enabled_ && !was_enabled && running_) {
    scheduleCampaign({});
  }
}

void AllocatorRole::scheduleCampaign(Clock::duration after) {
  campaign_timer_.expires_after(after);
  auto alive = alive_;
  campaign_timer_.async_wait([this, alive](const boost::system::error_code& error) {
    if (error || !*alive) return;
    campaign();
  });
}

void AllocatorRole::campaign() {
  if (!running_ || !enabled_ || campaign_in_flight_) return;
  campaign_in_flight_ = true;
  auto alive = alive_;
  // When the write was built: leadership counts from there (see LeaderElection::written).
  auto sent_at = std::make_shared<Clock::time_point>(Clock::now());
  lease_client_.write(
      lease_namespace_, kAllocatorLeaseName,
      [this, sent_at](const std::optional<k8s::Lease>& current) {
        *sent_at = Clock::now();
        return election_.decide(current, *sent_at, std::chrono::system_clock::now());
      },
      [this, alive, sent_at](k8s::LeaseWriteResult result) {
        if (!*alive) return;
        campaign_in_flight_ = false;
        using Outcome = k8s::LeaseWriteResult::Outcome;
        if (result.outcome == Outcome::Written && result.lease) {
          election_.written(*result.lease, *sent_at, Clock::now());
          last_campaign_error_.clear();
        } else if (result.outcome == Outcome::Failed) {
          if (result.error != last_campaign_error_) {
            log_->warn("allocator Lease {}/{}: {}", lease_namespace_, kAllocatorLeaseName,
                       result.error);
          }
          last_campaign_error_ = result.error;
        }
        reviewLeadership();
        if (!running_ || !enabled_) return;
        // The holder renews every retry period; a standby checks as often, and also exactly
        // when the holder's Lease expires by our clock (the Lease informer keeps that current).
        Clock::duration next = election_.timing().retry_period;
        if (!leader_) {
          if (auto expiry = election_.expiresAt()) {
            next = std::min(next, std::max(Clock::duration{}, *expiry - Clock::now()));
          } else if (election_.holder().empty() && result.outcome != Outcome::Failed) {
            next = std::chrono::milliseconds(100);  // free: retry soon (a race was lost)
          }
        }
        scheduleCampaign(next);
      });
}

void AllocatorRole::observeLease(const k8s::Lease& lease) {
  if (lease.meta.name != kAllocatorLeaseName) return;
  election_.observe(lease, Clock::now());
  reviewLeadership();
  if (!running_ || !enabled_ || leader_ || campaign_in_flight_) return;
  if (auto expiry = election_.expiresAt()) {
    scheduleCampaign(std::max(Clock::duration{}, *expiry - Clock::now()));
  } else {
    scheduleCampaign({});  // released: take it now
  }
}

void AllocatorRole::reviewLeadership() {
  const bool now_leader = election_.isLeader(Clock::now());
  if (now_leader && !leader_) becomeLeader();
  if (!now_leader && leader_) stepDown("the allocator Lease was not renewed in time");
  if (leader_) {
    // Leadership lapses at the renew deadline unless a renewal comes first, even if the
    // renewal request hangs.
    deadline_timer_.expires_at(election_.leadershipDeadline());
    auto alive = alive_;
    deadline_timer_.async_wait([this, alive](const boost::system::error_code& error) {
      if (error || !*alive) return;
      reviewLeadership();
    });
  }
}

void AllocatorRole::becomeLeader() {
  leader_ = true;
  log_->info("this host ({}) is now the IP allocator", identity_);
  resync();
  if (on_role_change_) on_role_change_();
}

void AllocatorRole::stepDown(const char* why) {
  if (!leader_) return;
  leader_ = false;
  deadline_timer_.cancel();
  controller_.forget();
  pending_status_.clear();  // writes not sent yet are the next holder's business
  status_waiting_.clear();
  // Stopping or handing over on purpose is routine; losing the Lease is worth a warning.
  if (running_) {
    log_->warn("this host ({}) is no longer the IP allocator: {}", identity_, why);
  } else {
    log_->info("this host ({}) is no longer the IP allocator: {}", identity_, why);
  }
  if (on_role_change_) on_role_change_();
}

void AllocatorRole::stop(std::chrono::milliseconds timeout, std::function<void()> done) {
  running_ = false;
  campaign_timer_.cancel();
  const bool was_leader = leader_;
  stepDown("lbd is stopping");
  if (!was_leader) {
    done();
    return;
  }
  // Release so that a standby takes over now rather than after lease-duration.
  auto finished = std::make_shared<bool>(false);
  auto finish = [finished, done]() {
    if (*finished) return;
    *finished = true;
    done();
  };
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, timeout);
  timer->async_wait([timer, finish](const boost::system::error_code&) { finish(); });
  lease_client_.write(
      lease_namespace_, kAllocatorLeaseName,
      [this](const std::optional<k8s::Lease>& current) {
        return election_.release(current, std::chrono::system_clock::now());
      },
      [this, alive = alive_, timer, finish](k8s::LeaseWriteResult result) {
        if (*alive && result.outcome == k8s::LeaseWriteResult::Outcome::Written) {
          log_->info("released the allocator Lease");
        }
        timer->cancel();
        finish();
      });
}

Labels AllocatorRole::namespaceLabels(const std::string& name) const {
  const k8s::Namespace* ns = cluster_.namespaces().cache().find(name);
  return ns ? ns->meta.labels : Labels{};
}

void AllocatorRole::resync() {
  if (!leader_) return;
  // Decide only on complete information: a Service missing from a half-listed cache would
  // look deleted, and namespace selectors need the Namespaces.
  if (!cluster_.services().cache().synced() || !cluster_.namespaces().cache().synced()) return;
  std::vector<const k8s::Service*> services;
  services.reserve(cluster_.services().cache().objects().size());
  for (const auto& [key, service] : cluster_.services().cache().objects())
    services.push_back(&service);
  auto decisions =
      controller_.resync(services, [this](const std::string& ns) { return namespaceLabels(ns); });
  log_->info("allocator: decided on {} Services: {} status writes, {} events", decisions.decided,
             decisions.status.size(), decisions.events.size());
  apply(std::move(decisions));
}

void AllocatorRole::onService(const k8s::Service& service) {
  if (!leader_ || !cluster_.services().cache().synced() ||
      !cluster_.namespaces().cache().synced()) {
    return;
  }
  apply(controller_.update(service, namespaceLabels(service.meta.namespace_)));
}

void AllocatorRole::onServiceDeleted(const k8s::Service& service) {
  pending_status_.erase(service.meta.key());
  if (!leader_ || !cluster_.services().cache().synced()) return;
  apply(controller_.remove(service.meta.key()));
}

void AllocatorRole::onNamespace(const k8s::Namespace& ns) {
  if (!leader_ || !cluster_.services().cache().synced() ||
      !cluster_.namespaces().cache().synced()) {
    return;
  }
  // New labels may move its Services into or out of pools with namespace selectors.
  for (const auto& [key, service] : cluster_.services().cache().objects()) {
    if (service.meta.namespace_ == ns.meta.name) apply(controller_.update(service, ns.meta.labels));
  }
}

void AllocatorRole::apply(ipam::Decisions decisions) {
  // Events first, and their list freed before the status writes are queued: after a resync of
  // 10,000 Services both lists are 10,000 long, and the Event recorder keeps at most 1,024.
  recordEvents(std::exchange(decisions.events, {}));
  for (auto& update : decisions.status) {
    const std::string key = update.namespace_ + "/" + update.name;
    auto& pending = pending_status_[key];
    if (pending.wanted != update) ++pending.wanted_generation;
    pending.wanted = std::move(update);
    if (!pending.in_flight && !pending.retry) sendStatus(key);
  }
}

void AllocatorRole::recordEvents(std::vector<ipam::ServiceEvent> events) {
  for (auto& event : events) {
    if (event.type == "Warning") {
      log_->warn("{}/{}: {}: {}", event.namespace_, event.name, event.reason, event.message);
    } else {
      log_->info("{}/{}: {}: {}", event.namespace_, event.name, event.reason, event.message);
    }
    k8s::EventSpec spec;
    spec.namespace_ = event.namespace_;
    spec.involved_name = event.name;
    spec.involved_uid = event.uid;
    spec.involved_resource_version = event.resource_version;
    spec.type = event.type;
    spec.reason = event.reason;
    spec.message = event.message;
    spec.reporting_instance = identity_;
    events_.record(spec);
  }
}

void AllocatorRole::sendStatus(const std::string& key) {
  auto found = pending_status_.find(key);
  if (found == pending_status_.end() || !leader_) return;
  found->second.retry.reset();
  found->second.in_flight = true;  // waiting here, queued in the request scheduler, or on the wire
  found->second.waiting = true;
  status_waiting_.push_back(key);
  submitWaitingStatus();
}

void AllocatorRole::submitWaitingStatus() {
  while (status_submitted_ < kStatusWritesSubmitted && !status_waiting_.empty()) {
    std::string key = std::move(status_waiting_.front());
    status_waiting_.pop_front();
    auto found = pending_status_.find(key);
    // Gone (deleted, stepped down), or a stale second entry of a key queued again.
    if (found == pending_status_.end() || !found->second.waiting) continue;
    found->second.waiting = false;
    ++status_submitted_;
    submitStatus(key);
  }
}

std::size_t AllocatorRole::statusWritesWaiting() const {
  return status_waiting_.size();
}

void AllocatorRole::submitStatus(const std::string& key) {
  auto alive = alive_;
  // Built when the scheduler gets to it: the latest decision for this Service, and only while
  // this host still leads, with a deadline inside its leadership (fencing: a write decided as
  // leader never lands after another host may have taken over).
  auto decide = [this, alive, key]() -> std::optional<k8s::ServiceStatusWriter::IngressWrite> {
    if (!*alive || !leader_) return std::nullopt;
    auto it = pending_status_.find(key);
    if (it == pending_status_.end()) return std::nullopt;
    const auto window = election_.writeWindow(Clock::now());
    if (!window) return std::nullopt;
    PendingStatus& pending = it->second;
    pending.sent_generation = pending.wanted_generation;
    k8s::ServiceStatusWriter::IngressWrite write;
    write.namespace_ = pending.wanted.namespace_;
    write.name = pending.wanted.name;
    write.ips = pending.wanted.ips;
    write.annotations[ipam::kAllocatedFromPoolAnnotation] =
        pending.wanted.pool.empty() ? std::nullopt
                                    : std::optional<std::string>(pending.wanted.pool);
    write.timeout = std::min(*window, cluster_.api().requestTimeout());
    return write;
  };
  status_writer_.submit(std::move(decide), [this, alive, key](const k8s::ApiResponse& response,
                                                              const std::optional<k8s::Service>&) {
    if (!*alive) return;
    --status_submitted_;
    // Refill the scheduler once this answer is handled (which may queue this key again).
    boost::asio::post(io_, [this, alive] {
      if (*alive) submitWaitingStatus();
    });
    auto it = pending_status_.find(key);
    if (it == pending_status_.end()) return;  // deleted, or we stepped down
    PendingStatus& pending = it->second;
    pending.in_flight = false;
    if (response.ok() || response.status == 404) {
      // 404: the Service is gone; its deletion event will follow.
      if (pending.sent_generation == pending.wanted_generation) {
        pending_status_.erase(it);
      } else {
        sendStatus(key);  // decided again while the write was on its way
      }
      return;
    }
    if (response.dropped && !leader_) return;  // fenced: the next holder decides
    const auto delay = pending.backoff.next(unitRandom());
    log_->warn("{}: status write failed ({}): retrying in {} ms", key, response.describe(),
               std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    pending.retry = std::make_unique<boost::asio::steady_timer>(io_, delay);
    pending.retry->async_wait([this, alive, key](const boost::system::error_code& error) {
      if (error || !*alive) return;
      sendStatus(key);
    });
  });
}

std::string AllocatorRole::state() const {
  if (!enabled_) return "disabled";
  return leader_ ? "leader" : "standby";
}

std::string AllocatorRole::holder() const {
  return leader_ ? identity_ : election_.holder();
}

std::vector<ipam::ServiceView> AllocatorRole::services() const {
  if (leader_) return controller_.services();
  std::vector<ipam::ServiceView> views;
  for (const auto& [key, service] : cluster_.services().cache().objects()) {
    if (!ipam::servedByLbd(service, kubernetes_config_)) continue;
    ipam::ServiceView view;
    view.key = key;
    for (const auto& ingress : service.ingress) {
      if (!ingress.ip.empty()) view.ips.push_back(ingress.ip);
    }
    auto pool = service.meta.annotations.find(ipam::kAllocatedFromPoolAnnotation);
    if (pool != service.meta.annotations.end()) view.pool = pool->second;
    view.state = view.ips.empty() ? "pending" : "assigned";
    if (view.ips.empty()) {
      view.message = election_.holder().empty()
                         ? "no allocator elected"
                         : "waiting for the allocator (" + election_.holder() + ")";
    }
    views.push_back(std::move(view));
  }
  return views;
}

ipam::PoolUsage AllocatorRole::usage(const std::string& pool_name) const {
  if (leader_) return controller_.allocator().usage(pool_name);
  ipam::PoolUsage usage;
  const Pool* pool = nullptr;
  for (const auto& candidate : controller_.allocator().pools()) {
    if (candidate.name == pool_name) pool = &candidate;
  }
  if (pool == nullptr) return usage;
  usage.v4.size = pool->addresses.size(IpFamily::V4);
  usage.v6.size = pool->addresses.size(IpFamily::V6);
  std::set<IpAddress> seen;
  for (const auto& [key, service] : cluster_.services().cache().objects()) {
    if (!ipam::servedByLbd(service, kubernetes_config_)) continue;
    for (const auto& ingress : service.ingress) {
      auto address = IpAddress::parse(ingress.ip);
      if (!address || !pool->addresses.contains(*address) || !seen.insert(*address).second) {
        continue;
      }
      (address->isV4() ? usage.v4 : usage.v6).used += 1;
    }
  }
  return usage;
}

}  // namespace lbd
