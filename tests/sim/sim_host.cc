#include "sim_host.h"

#include <algorithm>
#include <chrono>

#include "core/election/lease_names.h"
#include "sim_world.h"

namespace lbd::sim {

SimHost::SimHost(SimWorld& world, std::uint32_t index, Duration clock_offset, Duration wall_skew)
    : world_(world),
      index_(index),
      name_(world.hostName(index)),
      clock_offset_(clock_offset),
      wall_skew_(wall_skew),
      scope_(world.scopeOfHost(index)) {}

MonotonicTime SimHost::localNow() const {
  return world_.now() + clock_offset_;
}

k8s::WallClock SimHost::wallNow() const {
  return kWallStart +
         std::chrono::duration_cast<k8s::WallClock::duration>(world_.now() - kSimStart) +
         wall_skew_;
}

election::HeartbeatIdentity SimHost::identity() const {
  return heartbeatIdentity(world_.config().election, name_);
}

std::optional<k8s::Lease> SimHost::cached(std::uint32_t id) const {
  if (!cache_[id]) return std::nullopt;
  return *cache_[id];
}

bool SimHost::watching() const {
  const MonotonicTime now = world_.now();
  return phase_ != Phase::Down && now >= watch_open_at_ &&
         !(now >= watch_closed_from_ && now < watch_open_at_);
}

bool SimHost::heartbeatFresh() const {
  return election_ && election_->heartbeatFresh(localNow());
}

void SimHost::start() {
  ++epoch_;
  phase_ = Phase::Listing;
  election_ = std::make_unique<election::VipElection>(name_, world_.config().election);
  const election::ClusterView& view = world_.view(world_.segmentOfHost(index_));
  election_->setCluster(view, localNow());
  decide_cost_ = std::chrono::nanoseconds(static_cast<std::int64_t>(
      world_.config().decide_ns_per_vip * static_cast<double>(view.vips().size())));
  busy_until_ = {};
  cache_.assign(world_.api().names(), nullptr);
  own_heartbeat_.reset();
  heartbeat_in_flight_ = false;
  vip_writes_in_flight_.clear();
  held_until_ = {};
  inbox_.clear();
  watch_due_armed_ = false;
  watch_closed_from_ = MonotonicTime::max();
  watch_open_at_ = world_.now() + world_.config().list_latency;
  peer_live_until_.assign(world_.hostCount(), MonotonicTime{});
  decide_posted_ = false;
  ++wakeup_generation_;
  stopped_ = nullptr;
  // The LIST answers list-latency later; the watch starts from it (events meanwhile wait).
  world_.queue().call(watch_open_at_, [this, epoch = epoch_] {
    if (epoch == epoch_) listed();
  });
}

void SimHost::listed() {
  for (const auto& [id, lease] : world_.api().list(scope_))
    observe(id, lease);
  phase_ = Phase::Running;
  heartbeat();
  decide();
}

void SimHost::crash() {
  goDown();
}

void SimHost::goDown() {
  ++epoch_;
  phase_ = Phase::Down;
  setAnnounce({});
  inbox_.clear();
  watch_due_armed_ = false;
  election_.reset();
  cache_.clear();
  cache_.shrink_to_fit();
  if (auto stopped = std::move(stopped_)) {
    stopped_ = nullptr;
    stopped();
  }
}

void SimHost::stop(std::function<void()> down) {
  if (phase_ != Phase::Running) {
    goDown();
    if (down) down();
    return;
  }
  phase_ = Phase::Stopping;
  stopped_ = std::move(down);
  election::Decisions decisions = election_->stop(localNow());
  setAnnounce(decisions.announce);  // silent first, then hand over
  auto remaining = std::make_shared<std::size_t>(decisions.releases.size() + 1);
  auto one_done = [this, epoch = epoch_, remaining] {
    if (--*remaining == 0 && epoch == epoch_) goDown();
  };
  world_.queue().call(world_.now() + world_.config().stop_timeout, [this, epoch = epoch_] {
    if (epoch == epoch_) goDown();
  });
  writeHeartbeat(true, one_done);
  for (const auto& release : decisions.releases)
    writeVip(release.vip, release.lease_name, one_done);
}

void SimHost::watchBroken(MonotonicTime from, MonotonicTime reopen) {
  watch_closed_from_ = from;
  watch_open_at_ = reopen;
}

void SimHost::deliver(std::uint32_t lease_id, const LeasePtr& lease, MonotonicTime at) {
  if (at < watch_open_at_) at = watch_open_at_;
  if (!inbox_.empty() && at < inbox_.back().at) at = inbox_.back().at;
  inbox_.push_back({at, lease_id, lease});
  if (!watch_due_armed_) {
    watch_due_armed_ = true;
    world_.queue().push(at, EventKind::WatchDue, index_, epoch_);
  }
}

void SimHost::handle(const Event& event) {
  switch (event.kind) {
    case EventKind::WatchDue:
      if (event.arg == epoch_) onWatchDue();
      break;
    case EventKind::Decide:
      if (event.arg == epoch_) {
        decide_posted_ = false;
        decide();
      }
      break;
    case EventKind::Wakeup:
      if (event.arg == wakeup_generation_) decide();
      break;
    case EventKind::HeartbeatTimer:
      if (event.arg == epoch_) heartbeat();
      break;
    case EventKind::Callback:
      break;
  }
}

void SimHost::onWatchDue() {
  watch_due_armed_ = false;
  const MonotonicTime now = world_.now();
  while (!inbox_.empty() && inbox_.front().at <= now) {
    Delivery delivery = std::move(inbox_.front());
    inbox_.pop_front();
    ++events_received_;
    if (phase_ == Phase::Listing) continue;  // the LIST that is coming is newer
    observe(delivery.id, delivery.lease);
  }
  if (!inbox_.empty()) {
    watch_due_armed_ = true;
    world_.queue().push(inbox_.front().at, EventKind::WatchDue, index_, epoch_);
  }
}

void SimHost::observe(std::uint32_t id, const LeasePtr& pointer) {
  const k8s::Lease& lease = *pointer;
  // The informer's cache keeps the newest version (a LIST can be newer than a queued event).
  const std::string& cached_rv = cache_[id] ? cache_[id]->meta.resource_version : std::string();
  const std::string& rv = lease.meta.resource_version;
  if (cached_rv.size() < rv.size() || (cached_rv.size() == rv.size() && cached_rv < rv)) {
    cache_[id] = pointer;
  }
  election_->observeLease(lease, localNow());
  bool needed = true;
  if (world_.api().isHeartbeat(id) && !world_.config().exact) {
    // Fast mode: a renewal of a heartbeat that is live already only pushes its expiry out.
    const MonotonicTime now = world_.now();
    MonotonicTime& until = peer_live_until_[id];
    const bool was_live = until > now;
    if (lease.holder_identity == world_.hostName(id)) {
      until = now + std::chrono::seconds(lease.lease_duration_seconds.value_or(1));
      needed = !was_live;
    } else {
      until = MonotonicTime{};
    }
  }
  if (needed) postDecide();
}

void SimHost::postDecide() {
  if (decide_posted_ || phase_ != Phase::Running) return;
  decide_posted_ = true;
  world_.queue().push(std::max(world_.now(), busy_until_), EventKind::Decide, index_, epoch_);
}

void SimHost::decide() {
  if (phase_ != Phase::Running) return;
  if (world_.now() < busy_until_) {
    postDecide();  // still busy with the previous decide: this one comes right after it
    return;
  }
  busy_until_ = world_.now() + decide_cost_;
  const auto started = std::chrono::steady_clock::now();
  election::Decisions decisions = election_->decide(localNow());
  decide_ns_ += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::steady_clock::now() - started)
                                               .count());
  ++decides_;
  apply(decisions);
}

void SimHost::apply(const election::Decisions& decisions) {
  setAnnounce(decisions.announce);  // responders first, then the writes
  for (const auto& claim : decisions.claims)
    writeVip(claim.vip, claim.lease_name);
  for (const auto& release : decisions.releases)
    writeVip(release.vip, release.lease_name);
  if (decisions.next_wakeup) {
    // One timer, re-armed: an earlier arming is void.
    world_.queue().push(toSim(*decisions.next_wakeup), EventKind::Wakeup, index_,
                        ++wakeup_generation_);
  }
}

void SimHost::setAnnounce(std::set<IpAddress> announce) {
  if (announce == announce_) return;
  world_.announceChanged(index_, announce_, announce);
  announce_ = std::move(announce);
}

void SimHost::heartbeat() {
  if (phase_ != Phase::Running) return;
  world_.queue().push(world_.now() + world_.config().election.renew_interval,
                      EventKind::HeartbeatTimer, index_, epoch_);
  if (heartbeat_in_flight_) return;  // a slow renewal is not doubled
  heartbeat_in_flight_ = true;
  writeHeartbeat(false, nullptr);
}

void SimHost::writeHeartbeat(bool release, std::function<void()> then) {
  auto op = std::make_shared<WriteOp>();
  op->lease_id = world_.heartbeatId(index_);
  op->heartbeat_release = release;
  op->sent_at = localNow();
  op->then = std::move(then);
  decideAndWrite(op, own_heartbeat_ ? own_heartbeat_ : cached(op->lease_id));
}

void SimHost::writeVip(const IpAddress& vip, const std::string& lease_name,
                       std::function<void()> then) {
  const std::uint32_t id = *world_.api().idOf(lease_name);
  if (!vip_writes_in_flight_.insert(id).second) {
    if (then) then();  // the write on its way answers the election
    return;
  }
  auto op = std::make_shared<WriteOp>();
  op->lease_id = id;
  op->vip = vip;
  op->then = std::move(then);
  decideAndWrite(op, cached(id));
}

void SimHost::decideAndWrite(const OpPtr& op, std::optional<k8s::Lease> current) {
  std::optional<k8s::LeaseSpec> wanted;
  if (op->vip) {
    wanted = election_->leaseToWrite(*op->vip, current, localNow(), wallNow());
  } else if (op->heartbeat_release) {
    wanted = election::heartbeatRelease(identity(), current, wallNow());
  } else {
    wanted = election::heartbeatLease(identity(), current, wallNow());
  }
  if (!wanted) {
    finish(op, Outcome::Unchanged, std::move(current));
    return;
  }
  wanted->resource_version = current ? current->meta.resource_version : "";
  op->spec = std::move(*wanted);
  send(op);
}

void SimHost::send(const OpPtr& op) {
  const MonotonicTime now = world_.now();
  const MonotonicTime leaves = held_until_ > now ? held_until_ : now;
  world_.queue().call(leaves + world_.config().write_rtt / 2,
                      [this, op, epoch = epoch_, leaves] { arrive(op, epoch, leaves); });
}

void SimHost::arrive(const OpPtr& op, std::uint64_t epoch, MonotonicTime sent) {
  // At the server (a request already on the wire arrives even if its sender died).
  SimApiServer& api = world_.api();
  const auto& config = world_.config();
  const MonotonicTime now = world_.now();
  auto reply = [this, op, epoch](MonotonicTime at, WriteAnswer answer) {
    world_.queue().call(
        at, [this, op, epoch, answer = std::move(answer)] { answered(op, epoch, answer); });
  };
  if (auto until = api.stalledUntil(now)) {
    if (sent + config.write_rtt / 2 == now) api.countStalled(op->vip.has_value());
    if (config.stall_refuses) {
      reply(now + config.write_rtt / 2, {WriteOutcome::Failed, nullptr});
    } else if (*until < sent + config.request_timeout) {
      // Held, and served when the server comes back if the client still waits by then.
      world_.queue().call(*until, [this, op, epoch, sent] { arrive(op, epoch, sent); });
    } else {
      reply(sent + config.request_timeout, {WriteOutcome::Failed, nullptr});
    }
    return;
  }
  auto commit_at = api.admit(now);
  if (!commit_at) {
    reply(now + config.write_rtt / 2, {WriteOutcome::Throttled, nullptr});
    return;
  }
  world_.queue().call(*commit_at, [this, op, reply] {
    const MonotonicTime committed = world_.now();
    reply(committed + world_.config().write_rtt / 2, world_.api().commit(op->spec, committed));
  });
}

void SimHost::answered(const OpPtr& op, std::uint64_t epoch, WriteAnswer answer) {
  if (epoch != epoch_) return;
  const auto& config = world_.config();
  switch (answer.outcome) {
    case WriteOutcome::Written:
      finish(op, Outcome::Written, *answer.stored);
      return;
    case WriteOutcome::Failed:
      finish(op, Outcome::Failed, std::nullopt);
      return;
    case WriteOutcome::Throttled:
      // The whole Lease class waits as the server asked; this request goes first after.
      held_until_ = world_.now() + config.retry_after;
      if (++op->refusals < 20) {
        send(op);
      } else {
        finish(op, Outcome::Failed, std::nullopt);
      }
      return;
    case WriteOutcome::Conflict:
      if (++op->conflicts > 5) {
        finish(op, Outcome::Failed, std::nullopt);
        return;
      }
      // GET, then decide again on what it returns.
      world_.queue().call(world_.now() + config.write_rtt, [this, op, epoch] {
        if (epoch != epoch_) return;
        LeasePtr current = world_.api().read(op->lease_id);
        decideAndWrite(op, current ? std::optional<k8s::Lease>(*current) : std::nullopt);
      });
      return;
  }
}

void SimHost::finish(const OpPtr& op, Outcome outcome, std::optional<k8s::Lease> lease) {
  if (op->then) op->then();
  if (phase_ == Phase::Down || !election_) return;
  const MonotonicTime now = localNow();
  if (op->vip) {
    vip_writes_in_flight_.erase(op->lease_id);
    if (outcome == Outcome::Written && lease) {
      election_->written(*lease, now);
    } else {
      if (lease) election_->observeLease(*lease, now);
      election_->writeFailed(*op->vip, now);
    }
    decide();
    return;
  }
  if (op->heartbeat_release) return;
  heartbeat_in_flight_ = false;
  bool needed = true;
  if (outcome == Outcome::Written && lease) {
    own_heartbeat_ = lease;
    if (watching()) {
      // Fast mode: a renewal while fresh only pushes our expiry out.
      needed = world_.config().exact || !election_->heartbeatFresh(now);
      election_->heartbeatWritten(op->sent_at);
    }
  } else {
    own_heartbeat_.reset();  // read it afresh next time
  }
  if (needed) decide();
}

}  // namespace lbd::sim
