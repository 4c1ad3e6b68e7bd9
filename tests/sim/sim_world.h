#pragma once
// The simulated cluster: one API server, N hosts, the VIP table, and the monitors that check
// the invariants at every change (an announcer set changes only inside an event, so checking
// there is checking at every simulated instant): never two hosts answering one VIP, and how
// long each VIP went unanswered.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/election/cluster_view.h"
#include "core/ip.h"
#include "sim_api_server.h"
#include "sim_config.h"
#include "sim_event_queue.h"
#include "sim_host.h"

namespace lbd::sim {

/// A stretch of time a VIP had no host answering it.
struct Gap {
  std::uint32_t vip;
  MonotonicTime from;
  MonotonicTime to;
};

/// A host starting to answer a VIP.
struct AnnounceStart {
  MonotonicTime at;
  std::uint32_t vip;
  std::uint32_t host;
};

class SimWorld {
 public:
  /// Hosts down, every VIP's Lease held (round robin within its segment) and every heartbeat
  /// written just now: a cluster that was running before the simulation starts.
  explicit SimWorld(SimConfig config);
  ~SimWorld();

  const SimConfig& config() const { return config_; }
  EventQueue& queue() { return queue_; }
  SimApiServer& api() { return api_; }
  MonotonicTime now() const { return queue_.now(); }
  std::mt19937_64& random() { return random_; }

  std::size_t hostCount() const { return hosts_.size(); }
  SimHost& host(std::size_t index) { return *hosts_[index]; }
  std::uint32_t segments() const { return segments_; }
  std::uint32_t segmentOfHost(std::uint32_t host) const;
  /// The watch scope of a host (kAllScopes in the current design).
  std::uint32_t scopeOfHost(std::uint32_t host) const;
  const election::ClusterView& view(std::uint32_t segment) const { return views_[segment]; }
  std::uint32_t heartbeatId(std::uint32_t host) const { return host; }
  std::string hostName(std::uint32_t host) const;

  std::size_t vipCount() const { return vips_.size(); }
  std::optional<std::uint32_t> vipIndex(const IpAddress& vip) const;

  /// Starts every host, spread over `spread`.
  void startAll(Duration spread);
  void runUntil(MonotonicTime until);
  /// Runs until `done` holds (checked every `step`) or `limit`; whether it held.
  template <class Done>
  bool runUntil(MonotonicTime limit, Duration step, Done done) {
    while (now() < limit) {
      if (done()) return true;
      runUntil(std::min(limit, now() + step));
    }
    return done();
  }

  // Monitors.
  void announceChanged(std::uint32_t host, const std::set<IpAddress>& before,
                       const std::set<IpAddress>& after);
  std::size_t unanswered() const { return unanswered_; }
  std::uint64_t doubleAnnouncements() const { return double_announcements_; }
  const std::string& firstDouble() const { return first_double_; }
  /// The longest stretch any VIP had two or more hosts answering (ended ones).
  std::chrono::nanoseconds longestDouble() const { return longest_double_; }
  const std::vector<Gap>& gaps() const { return gaps_; }
  const std::vector<AnnounceStart>& starts() const { return starts_; }
  /// Hosts announcing each VIP now (0, 1 or more).
  std::uint32_t announcers(std::uint32_t vip) const { return announcers_[vip]; }
  std::optional<MonotonicTime> unansweredSince(std::uint32_t vip) const;

 private:
  void buildTable();

  SimConfig config_;
  EventQueue queue_;
  SimApiServer api_;
  std::mt19937_64 random_;
  std::uint32_t segments_ = 1;
  std::vector<IpAddress> vips_;
  std::vector<std::uint32_t> vip_segment_;
  std::unordered_map<std::uint32_t, std::uint32_t> vip_by_address_;  // IPv4 only
  std::vector<election::ClusterView> views_;                         // by segment
  std::vector<std::unique_ptr<SimHost>> hosts_;

  std::vector<std::uint32_t> announcers_;
  std::vector<MonotonicTime> unanswered_since_;
  std::size_t unanswered_ = 0;
  std::uint64_t double_announcements_ = 0;
  std::string first_double_;
  std::vector<MonotonicTime> double_since_;
  std::chrono::nanoseconds longest_double_{};
  std::vector<Gap> gaps_;
  std::vector<AnnounceStart> starts_;
};

/// What host `node` writes into its heartbeat.
election::HeartbeatIdentity heartbeatIdentity(const ElectionConfig& config,
                                              const std::string& node);

/// The simulation's epoch: 1,000 h on every host's clock plus its offset.
inline const MonotonicTime kSimStart = MonotonicTime{} + std::chrono::hours(1000);
/// 2026-11-24T20:00:00Z, plus each host's skew.
inline const k8s::WallClock kWallStart = k8s::WallClock{} + std::chrono::seconds(1795550400);

}  // namespace lbd::sim
