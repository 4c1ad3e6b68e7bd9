#pragma once
// One lbd process in the simulation, driving the pure election (VipElection, heartbeat.h) the
// way daemon/app/layer2_role.cc does:
//   - a new process LISTs the election namespace's Leases, then watches them; only then does it
//     renew its heartbeat and decide (the daemon starts deciding once its caches are synced);
//   - every Lease event is observed, then a decide is posted (decideSoon: one per burst); the
//     decide's next_wakeup re-arms one timer; a write's answer decides at once. A decide keeps
//     the host's one thread busy for a time that grows with its VIP table (SimConfig), and
//     whatever comes in meanwhile is decided on together right after;
//   - the heartbeat is renewed every renew-interval from the last stored copy (one request, not
//     doubled while one is in flight) and counts (heartbeatWritten) only while the Lease watch
//     is open: after an API outage the watch may come back later than the first renewal;
//   - claims and releases go through LeaseClient::writeFrom: decide on the cached copy, PUT with
//     its resourceVersion, on 409 GET and decide again (up to 5 conflicts), a 429 holds the
//     host's Lease requests for Retry-After and the request goes again (up to 20 times); at
//     most one write per Lease in flight;
//   - a graceful stop: stop(), announce nothing, the heartbeat release first and the VIP
//     releases behind it, exit when all are answered or the stop timeout passes.
// Each host has its own monotonic clock (an offset from simulated time: the election only ever
// compares its own readings) and a skewed wall clock (only written into Leases).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/election/heartbeat.h"
#include "core/election/vip_election.h"
#include "sim_api_server.h"
#include "sim_event_queue.h"

namespace lbd::sim {

class SimWorld;

class SimHost final : public LeaseWatcher {
 public:
  enum class Phase { Down, Listing, Running, Stopping };

  SimHost(SimWorld& world, std::uint32_t index, Duration clock_offset, Duration wall_skew);

  /// A new process starts: LIST, watch, heartbeat, decide.
  void start();
  /// The process dies: it answers nothing any more, its requests' answers go nowhere.
  void crash();
  /// systemctl stop; `down` runs when the process has exited.
  void stop(std::function<void()> down);

  void handle(const Event& event);
  bool watchOpen() const override { return phase_ != Phase::Down; }
  void deliver(std::uint32_t lease_id, const LeasePtr& lease, MonotonicTime at) override;
  /// The API is unreachable from `from`; the watch reopens at `reopen` (informer backoff).
  void watchBroken(MonotonicTime from, MonotonicTime reopen);

  const std::string& name() const { return name_; }
  std::uint32_t index() const { return index_; }
  Phase phase() const { return phase_; }
  const std::set<IpAddress>& announcing() const { return announce_; }
  bool heartbeatFresh() const;

  std::uint64_t eventsReceived() const { return events_received_; }
  std::uint64_t decides() const { return decides_; }
  std::uint64_t decideNanoseconds() const { return decide_ns_; }

 private:
  struct WriteOp {
    std::uint32_t lease_id = 0;
    std::optional<IpAddress> vip;  // nullopt: our heartbeat
    bool heartbeat_release = false;
    MonotonicTime sent_at{};  // our clock: when the renewal was started
    k8s::LeaseSpec spec;
    int conflicts = 0;
    int refusals = 0;
    std::function<void()> then;  // the stop's countdown
  };
  using OpPtr = std::shared_ptr<WriteOp>;
  enum class Outcome { Written, Unchanged, Failed };

  MonotonicTime localNow() const;
  MonotonicTime toSim(MonotonicTime local) const { return local - clock_offset_; }
  k8s::WallClock wallNow() const;
  election::HeartbeatIdentity identity() const;
  std::optional<k8s::Lease> cached(std::uint32_t id) const;
  bool watching() const;

  void listed();
  void onWatchDue();
  void observe(std::uint32_t id, const LeasePtr& lease);
  void postDecide();
  void decide();
  void apply(const election::Decisions& decisions);
  void setAnnounce(std::set<IpAddress> announce);
  void heartbeat();
  void writeVip(const IpAddress& vip, const std::string& lease_name,
                std::function<void()> then = nullptr);
  void writeHeartbeat(bool release, std::function<void()> then);

  // LeaseClient::writeFrom, request by request.
  void decideAndWrite(const OpPtr& op, std::optional<k8s::Lease> current);
  void send(const OpPtr& op);
  void arrive(const OpPtr& op, std::uint64_t epoch, MonotonicTime sent);
  void answered(const OpPtr& op, std::uint64_t epoch, WriteAnswer answer);
  void finish(const OpPtr& op, Outcome outcome, std::optional<k8s::Lease> lease);
  void goDown();

  SimWorld& world_;
  std::uint32_t index_;
  std::string name_;
  Duration clock_offset_;
  Duration wall_skew_;
  std::uint32_t scope_;

  Phase phase_ = Phase::Down;
  std::uint64_t epoch_ = 0;  // process incarnation: events of an earlier one are dropped
  std::unique_ptr<election::VipElection> election_;
  std::vector<LeasePtr> cache_;  // the Lease informer's cache, by Lease id
  std::optional<k8s::Lease> own_heartbeat_;
  bool heartbeat_in_flight_ = false;
  std::set<std::uint32_t> vip_writes_in_flight_;
  std::set<IpAddress> announce_;
  MonotonicTime held_until_{};  // 429: Lease requests wait

  struct Delivery {
    MonotonicTime at;
    std::uint32_t id;
    LeasePtr lease;
  };
  std::deque<Delivery> inbox_;
  bool watch_due_armed_ = false;
  MonotonicTime watch_closed_from_ = MonotonicTime::max();
  MonotonicTime watch_open_at_{};               // deliveries wait for the watch to be open
  std::vector<MonotonicTime> peer_live_until_;  // by host index, for the fast mode

  bool decide_posted_ = false;
  MonotonicTime busy_until_{};  // the daemon's one thread is deciding until then
  std::chrono::nanoseconds decide_cost_{};
  std::uint64_t wakeup_generation_ = 0;
  std::function<void()> stopped_;

  std::uint64_t events_received_ = 0;
  std::uint64_t decides_ = 0;
  std::uint64_t decide_ns_ = 0;
};

}  // namespace lbd::sim
