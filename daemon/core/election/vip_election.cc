#include "core/election/vip_election.h"

#include <algorithm>

#include "core/election/lease_names.h"
#include "core/election/rendezvous.h"

namespace lbd::election {
namespace {

// How long after the last report "another MAC answers too" stays in the state: responders
// report every conflicting packet, so a conflict that stopped fades from lbctl by itself.
constexpr Duration kConflictShownFor = std::chrono::seconds(60);

// KEP-5504 (Kubernetes 1.35, client-go CompareResourceVersion): resourceVersions of one resource
// are positive decimal integers without leading zeros and may be compared as numbers. -1, 0, +1;
// nullopt when either is not of that form (an older or unusual server): then nothing is ignored.
std::optional<int> compareResourceVersions(const std::string& a, const std::string& b) {
  auto valid = [](const std::string& rv) {
    return !rv.empty() && rv[0] != '0' &&
           std::all_of(rv.begin(), rv.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!valid(a) || !valid(b)) return std::nullopt;
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int order = a.compare(b);
  return order < 0 ? -1 : (order > 0 ? 1 : 0);
}

std::string formatRemaining(Duration remaining) {
  return formatDuration(std::max(remaining, Duration::zero()));
}

}  // namespace

VipElection::VipElection(std::string node, ElectionConfig config)
    : node_(std::move(node)), config_(std::move(config)), heartbeats_(config_.lease_duration) {
  self_id_ = hostId(node_);
}

HostId VipElection::hostId(std::string_view name) {
  auto it = host_ids_.find(name);
  if (it != host_ids_.end()) return it->second;
  const auto id = static_cast<HostId>(host_names_.size());
  host_names_.emplace_back(name);
  host_ids_.emplace(std::string(name), id);
  return id;
}

void VipElection::configure(ElectionConfig config) {
  config_ = std::move(config);
  heartbeats_.setDefaultDuration(config_.lease_duration);
}

Duration VipElection::leaseDuration() const {
  // The duration our heartbeat carries (whole seconds), so we judge ourselves as peers do.
  return std::chrono::seconds(leaseSeconds(config_.lease_duration));
}

void VipElection::setCluster(ClusterView view, MonotonicTime now) {
  for (const auto& [ip, vip] : view.vips()) {
    Record& record = records_[ip];
    if (!record.in_table_since) record.in_table_since = now;
  }
  for (auto it = records_.begin(); it != records_.end();) {
    Record& record = it->second;
    if (view.find(it->first)) {
      ++it;
      continue;
    }
    record.in_table_since.reset();
    record.had_no_candidates = false;
    record.candidates_since.reset();
    record.holder_ineligible_since.reset();
    std::vector<std::optional<std::uint64_t>>().swap(record.weights);  // frees it
    // Nothing left to know about an address no Service uses and no Lease names.
    if (!record.lease_exists && record.write == Write::None) {
      it = records_.erase(it);
    } else {
      ++it;
    }
  }
  view_ = std::move(view);
  ++view_generation_;
}

void VipElection::setLocalEligibility(LocalEligibility check) {
  local_ = std::move(check);
}

void VipElection::observeLease(const k8s::Lease& lease, MonotonicTime now) {
  if (lease.meta.namespace_ != config_.lease_namespace) return;
  if (lease.meta.name.rfind(kHeartbeatLeasePrefix, 0) == 0) {
    const std::string& node = lease.holder_identity;  // a heartbeat names its own node
    const auto before = heartbeats_.liveUntil(node);
    heartbeats_.observe(lease, now);
    // A renewal seen after the direct path said the host was silent: the path is broken, the
    // host is not dead. Its silence is not trusted until it is heard again.
    if (auto id = host_ids_.find(node); id != host_ids_.end()) {
      auto silent = fast_silent_.find(id->second);
      if (silent != fast_silent_.end() && heartbeats_.liveUntil(node) != before &&
          heartbeats_.isLive(node, now) && now >= silent->second) {
        fast_silent_.erase(silent);
        fast_untrusted_.insert(id->second);
      }
    }
  } else if (auto vip = parseVipLeaseName(lease.meta.name)) {
    see(*vip, &lease, true, now);
  }
}

void VipElection::peerSilent(std::string_view node, MonotonicTime since) {
  if (node == node_) return;
  const HostId id = hostId(node);
  if (fast_untrusted_.count(id)) return;
  fast_silent_.emplace(id, since);  // the first verdict stands until it ends
}

void VipElection::peerHeard(std::string_view node) {
  auto id = host_ids_.find(node);
  if (id == host_ids_.end()) return;
  fast_silent_.erase(id->second);
  fast_untrusted_.erase(id->second);
}

std::vector<std::string> VipElection::silentPeers() const {
  std::vector<std::string> out;
  for (const auto& [id, since] : fast_silent_)
    out.push_back(host_names_[id]);
  std::sort(out.begin(), out.end());
  return out;
}

void VipElection::leaseDeleted(const k8s::Lease& lease, MonotonicTime now) {
  if (lease.meta.namespace_ != config_.lease_namespace) return;
  if (lease.meta.name.rfind(kHeartbeatLeasePrefix, 0) == 0) {
    heartbeats_.forget(lease.meta.name, now);
  } else if (auto vip = parseVipLeaseName(lease.meta.name)) {
    see(*vip, &lease, false, now);
  }
}

void VipElection::heartbeatWritten(MonotonicTime sent_at) {
  if (!heartbeatFresh(sent_at)) fresh_since_ = sent_at;
  if (!first_heartbeat_) first_heartbeat_ = sent_at;
  if (!last_heartbeat_ || sent_at > *last_heartbeat_) last_heartbeat_ = sent_at;
}

bool VipElection::heartbeatFresh(MonotonicTime now) const {
  return last_heartbeat_ && now < *last_heartbeat_ + leaseDuration();
}

void VipElection::see(const IpAddress& vip, const k8s::Lease* lease, bool exists,
                      MonotonicTime now) {
  Record& record = records_[vip];
  if (lease && record.lease_seen) {
    // A watch event can arrive after the answer to our own later write: never go back.
    auto order = compareResourceVersions(lease->meta.resource_version, record.resource_version);
    if (order && *order < 0) return;
  }
  const std::string holder = lease && exists ? lease->holder_identity : std::string();
  if (record.lease_seen && record.holder == node_ && !holder.empty() && holder != node_) {
    // Taken from us while we hold it: that host judged us dead, over a direct path that is
    // broken if we are not. Claiming it back on its silence would only flap.
    const HostId taker = hostId(holder);
    fast_silent_.erase(taker);
    fast_untrusted_.insert(taker);
  }
  if (!record.lease_seen || holder != record.holder) {
    // A holder cleared on purpose (not a deletion) names the host that let go.
    record.released_by = holder.empty() && exists ? record.holder_id : kNoHost;
    record.holder_id = holder.empty() ? kNoHost : hostId(holder);
    record.holder_since = now;
    // Holders seen before the first decide are the state we started in, not claims.
    record.holder_taken_since_start = baseline_done_;
    record.holder_ineligible_since.reset();
    record.releasing = false;
    record.retry_at.reset();
    record.conflict_at.reset();
  }
  // Any news of this Lease from the API ends a yield: it says who holds the VIP now.
  record.yielded_at.reset();
  record.lease_seen = true;
  record.lease_exists = exists;
  record.holder = holder;
  if (lease && !lease->meta.resource_version.empty()) {
    record.resource_version = lease->meta.resource_version;
  }
}

bool VipElection::eligibleHere(const Vip& vip) const {
  return !stopped_ && view_.eligible(vip, node_) && (!local_ || local_(vip));
}

MonotonicTime VipElection::holderLiveUntil(const Record& record) const {
  if (auto silent = fast_silent_.find(record.holder_id); silent != fast_silent_.end())
    return silent->second;
  const MonotonicTime grace = record.holder_since + leaseDuration();
  auto heartbeat = heartbeats_.liveUntil(record.holder);
  return heartbeat ? std::max(*heartbeat, grace) : grace;
}

std::optional<MonotonicTime> VipElection::ownerLostAt(const Vip& vip, Record& record,
                                                      MonotonicTime now,
                                                      std::vector<MonotonicTime>& wakeups) const {
  if (record.holder.empty()) {
    return record.lease_seen ? record.holder_since : record.in_table_since.value_or(now);
  }
  std::optional<MonotonicTime> lost;
  const MonotonicTime live_until = holderLiveUntil(record);
  if (now >= live_until) {
    lost = live_until;
  } else {
    wakeups.push_back(live_until);
  }
  if (view_.eligible(vip, record.holder)) {
    record.holder_ineligible_since.reset();
    return lost;
  }
  if (!record.holder_ineligible_since) record.holder_ineligible_since = now;
  const MonotonicTime deadline = *record.holder_ineligible_since + leaseDuration();
  if (now >= deadline) {
    lost = lost ? std::min(*lost, deadline) : deadline;
  } else {
    wakeups.push_back(deadline);
  }
  return lost;
}

void VipElection::requestRelease(const IpAddress& ip, Record& record, bool vip_removed,
                                 MonotonicTime now, Decisions& decisions,
                                 std::vector<MonotonicTime>& wakeups) {
  record.releasing = true;
  record.state = State::Releasing;
  if (record.write != Write::None) return;  // ours in flight; its answer brings a new decide
  if (record.retry_at && now < *record.retry_at) {
    wakeups.push_back(*record.retry_at);
    return;
  }
  record.write = Write::Release;
  record.retry_at.reset();
  decisions.releases.push_back({ip, vipLeaseName(ip), vip_removed});
}

void VipElection::decideHeld(const IpAddress& ip, Record& record, MonotonicTime now,
                             Decisions& decisions, std::vector<MonotonicTime>& wakeups) {
  if (!record.eligible_here) {
    record.releasing = true;
  } else if (record.releasing && record.write == Write::None) {
    record.releasing = false;  // eligible again before the release went out: keep it
  }
  if (record.releasing) {
    requestRelease(ip, record, false, now, decisions, wakeups);
    return;
  }
  const bool fresh = heartbeatFresh(now);
  if (record.yielded_at && fresh && fresh_since_ && *fresh_since_ >= *record.yielded_at) {
    const MonotonicTime caught_up = *fresh_since_ + leaseDuration();
    if (now >= caught_up) {
      record.yielded_at.reset();
    } else {
      wakeups.push_back(caught_up);
    }
  }
  if (record.yielded_at) {
    record.state = State::Yielded;
  } else if (!last_heartbeat_) {
    // Adopted after a restart: answer once peers can see this host is alive.
    record.state = State::OwnedBeforeHeartbeat;
  } else if (fresh) {
    const bool conflicting = record.conflict_at && now < *record.conflict_at + kConflictShownFor;
    record.state = conflicting ? State::OwnedConflict : State::Owned;
    record.announcing = true;
  } else if (config_.on_api_loss == OnApiLoss::Keep) {
    record.state = State::OwnedApiLost;
    record.announcing = true;
  } else {
    record.state = State::WithdrawnApiLost;
  }
}

const std::vector<BalanceRank>& VipElection::assign(std::vector<ItemKey> items,
                                                    const std::vector<Ownerless>& ownerless,
                                                    const std::vector<std::string>& live_peers) {
  // Still valid when nothing but its own outcome happened: an ownerless VIP now pinned to the
  // host it was given counts for that host at the same place, so every rank stays the same.
  // That is a batch of claims landing one by one; anything else computes anew.
  auto holds = [&](const Assignment& last) {
    if (last.view_generation != view_generation_ || last.live_peers != live_peers ||
        last.items.size() != items.size()) {
      return false;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ItemKey& was = last.items[i];
      const ItemKey& is = items[i];
      if (was == is) continue;
      // Only: ownerless then, pinned now to the host it was given.
      if (was.ip != is.ip || was.pinned != kNoHost || is.pinned == kNoHost ||
          is.pinned != last.ranks[i].first) {
        return false;
      }
    }
    return true;
  };
  if (assignment_ && holds(*assignment_)) {
    assignment_->items = std::move(items);
    return assignment_->ranks;
  }

  std::vector<HostId> peers;
  peers.reserve(live_peers.size());
  for (const auto& peer : live_peers)
    peers.push_back(hostId(peer));
  // Loads: the VIPs of the table each Lease names, but the items (they count in order).
  std::vector<std::uint32_t> loads(host_names_.size(), 0);
  auto item = items.begin();
  for (const auto& [ip, record] : records_) {
    if (item != items.end() && item->ip == ip) {
      ++item;
      continue;
    }
    if (record.in_table_since && record.holder_id != kNoHost) ++loads[record.holder_id];
  }
  std::vector<BalanceItem> work(items.size());
  for (std::size_t i = 0; i < items.size(); ++i)
    work[i].pinned = items[i].pinned;
  for (const auto& entry : ownerless) {
    const ItemKey& key = items[entry.item];
    if (key.pinned != kNoHost) continue;
    Record& record = *entry.record;
    record.weights.resize(host_names_.size());
    auto candidate = [&](HostId host) {
      auto& weight = record.weights[host];
      if (!weight) weight = rendezvousWeight(entry.vip->ip, host_names_[host]);
      work[entry.item].candidates.push_back({host, *weight});
    };
    for (HostId peer : peers) {
      if (peer != key.released_by && view_.eligible(*entry.vip, host_names_[peer])) {
        candidate(peer);
      }
    }
    if (key.self_candidate) candidate(self_id_);
  }
  assignment_ = Assignment{view_generation_, live_peers, std::move(items),
                           balance(std::move(loads), work, host_names_, self_id_)};
  return assignment_->ranks;
}

void VipElection::decideOwnerless(const Vip& vip, Record& record, MonotonicTime since,
                                  MonotonicTime now, const BalanceRank& rank, Decisions& decisions,
                                  std::vector<MonotonicTime>& wakeups) {
  if (record.write != Write::None) {
    record.state = State::Claiming;  // ours in flight; its answer brings a new decide
    return;
  }
  if (record.in_table_since) since = std::max(since, *record.in_table_since);
  if (rank.first == kNoHost) {
    record.had_no_candidates = true;
    record.candidates_since.reset();
    record.state = State::NoEligibleHost;
    return;
  }
  // Hosts becoming eligible together (pods starting, a selector edited) rank from that moment,
  // so the first-ranked still goes first even though the VIP was ownerless long before.
  if (record.had_no_candidates) {
    record.had_no_candidates = false;
    record.candidates_since = now;
  }
  if (record.candidates_since) since = std::max(since, *record.candidates_since);
  if (rank.self_rank == kNoHost) {
    record.state = State::WaitingFor;
    record.waiting_for = host_names_[rank.first];
    return;
  }
  // Hosts starting together need a moment to see each other's heartbeats before ranking; the
  // ranks count from there, or all of them would claim at the end of it. The same after an
  // API outage: every peer's heartbeat looks expired to us until we see its first renewal
  // after it, which may come up to a renew interval after ours (so: lease-duration after our
  // heartbeat is fresh again, the start of the current run of fresh heartbeats).
  since = std::max(since, *first_heartbeat_ + leaseDuration());
  if (fresh_since_) since = std::max(since, *fresh_since_ + leaseDuration());
  MonotonicTime claim_at = since + config_.claim_step * static_cast<std::int64_t>(rank.self_rank);
  if (record.retry_at) claim_at = std::max(claim_at, *record.retry_at);
  record.claim_at = claim_at;
  if (now < claim_at) {
    record.state = State::ClaimingLater;
    wakeups.push_back(claim_at);
    return;
  }
  record.state = State::Claiming;
  record.write = Write::Claim;
  record.retry_at.reset();
  decisions.claims.push_back({vip.ip, vipLeaseName(vip.ip)});
}

Decisions VipElection::decide(MonotonicTime now) {
  Decisions decisions;
  std::vector<MonotonicTime> wakeups;
  const bool fresh = heartbeatFresh(now);
  if (fresh) wakeups.push_back(*last_heartbeat_ + leaseDuration());

  // The ownerless VIPs, and the items of the balanced assignment: those plus the VIPs whose
  // holder we saw take them less than lease-duration ago, in address order.
  std::vector<Ownerless> ownerless;
  std::vector<ItemKey> items;
  for (auto& [ip, record] : records_) {
    record.state = State::Idle;
    record.claim_at.reset();
    record.waiting_for.clear();
    record.announcing = false;
    record.eligible_here = false;
    const Vip* vip = view_.find(ip);
    if (!vip) {
      // No Service uses the address any more: give the Lease back if it is ours.
      if (record.holder == node_ && record.lease_exists) {
        requestRelease(ip, record, true, now, decisions, wakeups);
      }
      record.reported_holder = record.holder;
      continue;
    }
    record.eligible_here = eligibleHere(*vip);
    std::optional<MonotonicTime> lost;
    if (record.holder == node_) {
      decideHeld(ip, record, now, decisions, wakeups);
    } else if ((lost = ownerLostAt(*vip, record, now, wakeups))) {
      ItemKey key{ip};
      if (record.write == Write::Claim) {
        key.pinned = self_id_;
      } else {
        key.released_by = record.released_by;
        key.self_candidate = record.eligible_here && fresh;
      }
      ownerless.push_back({vip, &record, *lost, items.size()});
      items.push_back(key);
    } else {
      record.state = State::Standby;
    }
    if (!lost && record.holder_id != kNoHost && record.holder_taken_since_start &&
        now < record.holder_since + leaseDuration()) {
      items.push_back({ip, record.holder_id});
    }
    if (record.holder == node_ || record.state == State::Standby) {
      record.had_no_candidates = false;  // not ownerless: the next ownerless period starts anew
      record.candidates_since.reset();
      std::vector<std::optional<std::uint64_t>>().swap(record.weights);  // frees it
    }
    if (record.announcing) decisions.announce.insert(ip);
    if (baseline_done_ && record.holder != record.reported_holder) {
      decisions.owner_changes.push_back({ip, record.reported_holder, record.holder});
    }
    record.reported_holder = record.holder;
  }
  // The first decide sees the holders as they were when lbd started: not changes.
  baseline_done_ = true;

  if (ownerless.empty()) {
    assignment_.reset();  // nothing to keep it for
  } else {
    const std::vector<std::string> live_peers = livePeers(now);
    const std::vector<BalanceRank>& ranks = assign(std::move(items), ownerless, live_peers);
    for (const auto& entry : ownerless) {
      decideOwnerless(*entry.vip, *entry.record, entry.since, now, ranks[entry.item], decisions,
                      wakeups);
    }
    // A candidate's heartbeat expiring changes the ranks: look again then.
    for (const auto& peer : live_peers) {
      if (auto until = heartbeats_.liveUntil(peer)) wakeups.push_back(*until);
    }
  }

  for (MonotonicTime at : wakeups) {
    if (at > now && (!decisions.next_wakeup || at < *decisions.next_wakeup)) {
      decisions.next_wakeup = at;
    }
  }
  return decisions;
}

Decisions VipElection::stop(MonotonicTime now) {
  stopped_ = true;
  return decide(now);
}

std::optional<k8s::LeaseSpec> VipElection::leaseToWrite(const IpAddress& vip,
                                                        const std::optional<k8s::Lease>& current,
                                                        MonotonicTime now,
                                                        k8s::WallClock wall_now) {
  see(vip, current ? &*current : nullptr, current.has_value(), now);
  auto it = records_.find(vip);
  if (it == records_.end()) return std::nullopt;
  Record& record = it->second;

  k8s::LeaseSpec spec;
  spec.namespace_ = config_.lease_namespace;
  spec.name = vipLeaseName(vip);
  spec.renew_time = wall_now;
  if (current) {
    spec.resource_version = current->meta.resource_version;
    spec.annotations = current->meta.annotations;
  }

  if (record.write == Write::Claim) {
    const Vip* entry = view_.find(vip);
    if (stopped_ || !entry || !eligibleHere(*entry) || !heartbeatFresh(now)) return std::nullopt;
    if (current && current->holder_identity == node_) return std::nullopt;  // ours already
    if (current && !current->holder_identity.empty()) {
      // What we read is newer than what we decided on (a 409, or the informer lagging): claim
      // only if by that the VIP is still ownerless.
      std::vector<MonotonicTime> unused;
      if (!ownerLostAt(*entry, record, now, unused)) return std::nullopt;
    }
    spec.holder_identity = node_;
    spec.lease_duration_seconds = leaseSeconds(config_.lease_duration);  // for readers
    spec.acquire_time = wall_now;
    spec.lease_transitions = current ? current->lease_transitions + 1 : 0;
    return spec;
  }
  if (record.write == Write::Release) {
    if (!current || current->holder_identity != node_) return std::nullopt;
    spec.holder_identity.clear();
    spec.lease_duration_seconds = current->lease_duration_seconds.value_or(0);
    if (auto acquired = k8s::parseMicroTime(current->acquire_time)) spec.acquire_time = *acquired;
    spec.lease_transitions = current->lease_transitions;
    return spec;
  }
  return std::nullopt;
}

void VipElection::written(const k8s::Lease& stored, MonotonicTime now) {
  auto vip = parseVipLeaseName(stored.meta.name);
  if (!vip) return;
  see(*vip, &stored, true, now);
  Record& record = records_[*vip];
  record.write = Write::None;
  record.retry_at.reset();
}

void VipElection::writeFailed(const IpAddress& vip, MonotonicTime now) {
  auto it = records_.find(vip);
  if (it == records_.end()) return;
  it->second.write = Write::None;
  it->second.retry_at = now + config_.renew_interval;
}

void VipElection::conflict(const IpAddress& vip, MonotonicTime now) {
  auto it = records_.find(vip);
  if (it == records_.end() || it->second.holder != node_) return;
  if (!heartbeatFresh(now) && config_.on_api_loss == OnApiLoss::Keep) {
    it->second.yielded_at = now;
  } else {
    it->second.conflict_at = now;
  }
}

std::vector<VipStatus> VipElection::status(MonotonicTime now) const {
  std::vector<VipStatus> out;
  for (const auto& [ip, vip] : view_.vips()) {
    auto it = records_.find(ip);
    if (it == records_.end()) continue;
    const Record& record = it->second;
    VipStatus entry;
    entry.vip = ip;
    entry.pool = vip.pool;
    entry.services = vip.services;
    entry.holder = record.holder;
    entry.announcing = record.announcing;
    entry.eligible_here = record.eligible_here;
    if (stopped_) {
      entry.ineligibility = "lbd is stopping";
    } else if (std::string why = view_.ineligibility(vip, node_); !why.empty()) {
      entry.ineligibility = std::move(why);
    } else if (!record.eligible_here) {
      entry.ineligibility = "no usable interface on this host";
    }
    switch (record.state) {
      case State::Idle:
        entry.state = "-";
        break;
      case State::Owned:
        entry.state = "owned";
        break;
      case State::OwnedBeforeHeartbeat:
        entry.state = "owned, heartbeat not written yet";
        break;
      case State::OwnedApiLost:
        entry.state = "owned, API unreachable";
        break;
      case State::OwnedConflict:
        entry.state = "owned, another MAC answers too";
        break;
      case State::WithdrawnApiLost:
        entry.state = "withdrawn, API unreachable";
        break;
      case State::Yielded:
        entry.state = "yielded to another announcer";
        break;
      case State::Releasing:
        entry.state = "releasing";
        break;
      case State::Standby:
        entry.state = "standby";
        break;
      case State::Claiming:
        entry.state = "claiming";
        break;
      case State::ClaimingLater:
        entry.state = record.claim_at && *record.claim_at > now
                          ? "claiming in " +
                                formatRemaining(std::chrono::ceil<Duration>(*record.claim_at - now))
                          : "claiming";
        break;
      case State::WaitingFor:
        entry.state = "waiting for " + record.waiting_for;
        break;
      case State::NoEligibleHost:
        entry.state = "no eligible host";
        break;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::string> VipElection::livePeers(MonotonicTime now) const {
  std::vector<std::string> peers = heartbeats_.liveNodes(now);
  peers.erase(std::remove_if(peers.begin(), peers.end(),
                             [this, now](const std::string& peer) {
                               if (peer == node_) return true;
                               auto id = host_ids_.find(peer);
                               if (id == host_ids_.end()) return false;
                               auto silent = fast_silent_.find(id->second);
                               return silent != fast_silent_.end() && now >= silent->second;
                             }),
              peers.end());
  return peers;
}

std::size_t VipElection::ownedCount() const {
  std::size_t owned = 0;
  for (const auto& [ip, record] : records_) {
    if (record.holder == node_ && view_.find(ip)) ++owned;
  }
  return owned;
}

}  // namespace lbd::election
