#include "sim_api_server.h"

namespace lbd::sim {

k8s::Lease storedLease(const k8s::LeaseSpec& spec, std::string rv) {
  k8s::Lease out;
  out.meta.namespace_ = spec.namespace_;
  out.meta.name = spec.name;
  out.meta.resource_version = std::move(rv);
  out.meta.annotations = spec.annotations;
  out.holder_identity = spec.holder_identity;
  if (spec.lease_duration_seconds > 0) out.lease_duration_seconds = spec.lease_duration_seconds;
  if (spec.acquire_time) out.acquire_time = k8s::formatMicroTime(*spec.acquire_time);
  if (spec.renew_time) out.renew_time = k8s::formatMicroTime(*spec.renew_time);
  out.lease_transitions = spec.lease_transitions;
  return out;
}

SimApiServer::SimApiServer(ApiServerOptions options, std::uint64_t seed)
    : options_(options), random_(seed) {}

std::uint32_t SimApiServer::addName(const std::string& name, std::uint32_t scope, bool heartbeat) {
  const auto id = static_cast<std::uint32_t>(entries_.size());
  entries_.push_back({name, scope, heartbeat, nullptr});
  ids_.emplace(name, id);
  return id;
}

std::optional<std::uint32_t> SimApiServer::idOf(std::string_view name) const {
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void SimApiServer::addWatcher(LeaseWatcher* watcher, std::uint32_t scope) {
  watches_[scope].push_back({watcher, MonotonicTime{}});
}

LeasePtr SimApiServer::read(std::uint32_t id) {
  ++counters_.reads;
  return entries_[id].lease;
}

std::vector<std::pair<std::uint32_t, LeasePtr>> SimApiServer::list(std::uint32_t scope) const {
  std::vector<std::pair<std::uint32_t, LeasePtr>> out;
  for (std::uint32_t id = 0; id < entries_.size(); ++id) {
    const Entry& entry = entries_[id];
    if (entry.lease && (scope == kAllScopes || entry.scope == scope)) {
      out.emplace_back(id, entry.lease);
    }
  }
  return out;
}

std::optional<MonotonicTime> SimApiServer::admit(MonotonicTime now) {
  if (options_.write_rate <= 0) return now;
  const MonotonicTime start = busy_until_ > now ? busy_until_ : now;
  const double waiting = std::chrono::duration<double>(start - now).count() * options_.write_rate;
  if (waiting >= options_.write_queue) {
    ++counters_.throttled;
    return std::nullopt;
  }
  busy_until_ = start + std::chrono::duration_cast<MonotonicTime::duration>(
                            std::chrono::duration<double>(1.0 / options_.write_rate));
  return busy_until_;
}

LeasePtr SimApiServer::store(const k8s::LeaseSpec& spec) {
  auto lease =
      std::make_shared<const k8s::Lease>(storedLease(spec, std::to_string(++resource_version_)));
  entries_[ids_.at(spec.name)].lease = lease;
  return lease;
}

void SimApiServer::seed(const k8s::LeaseSpec& spec) {
  store(spec);
}

WriteAnswer SimApiServer::commit(const k8s::LeaseSpec& spec, MonotonicTime now) {
  const std::uint32_t id = ids_.at(spec.name);
  const LeasePtr& current = entries_[id].lease;
  const bool matches = spec.resource_version.empty()
                           ? current == nullptr
                           : current && current->meta.resource_version == spec.resource_version;
  if (!matches) {
    ++counters_.conflicts;
    return {WriteOutcome::Conflict, nullptr};
  }
  LeasePtr stored = store(spec);
  if (entries_[id].heartbeat) {
    ++counters_.heartbeat_writes;
  } else {
    ++counters_.vip_writes;
  }
  fanOut(id, now);
  return {WriteOutcome::Written, stored};
}

void SimApiServer::fanOut(std::uint32_t id, MonotonicTime now) {
  if (auto all = watches_.find(kAllScopes); all != watches_.end()) fanOutTo(all->second, id, now);
  const std::uint32_t scope = entries_[id].scope;
  if (scope == kAllScopes) return;
  if (auto own = watches_.find(scope); own != watches_.end()) fanOutTo(own->second, id, now);
}

void SimApiServer::fanOutTo(std::vector<Watch>& watches, std::uint32_t id, MonotonicTime now) {
  const LeasePtr& lease = entries_[id].lease;
  const auto jitter_ms = options_.watch_jitter.count();
  std::uniform_int_distribution<std::int64_t> jitter_us(0, jitter_ms * 1000);
  std::uint64_t& delivered =
      entries_[id].heartbeat ? counters_.heartbeat_events : counters_.vip_events;
  for (Watch& watch : watches) {
    if (!watch.watcher->watchOpen()) continue;
    MonotonicTime at = now + options_.watch_latency +
                       std::chrono::microseconds(jitter_ms > 0 ? jitter_us(random_) : 0);
    if (at < watch.last) at = watch.last;  // one stream: in order
    watch.last = at;
    ++delivered;
    watch.watcher->deliver(id, lease, at);
  }
}

}  // namespace lbd::sim
