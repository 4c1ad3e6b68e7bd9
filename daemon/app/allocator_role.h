#pragma once
// The allocator role: campaigns for Lease `lbd-allocator`, and while it holds it, feeds the
// Services from the informer to the allocation controller (core/ipam) and writes what it
// decides - status, the pool annotation, Events. Only the holder writes; a host that loses the
// Lease forgets its decisions at once and drops writes not yet sent.
//
// Handover: a standby watches the Lease (informer) and tries to take it the moment it expires
// by its own clock, lease-duration after the holder's last renewal; a holder that stops cleanly
// releases it so a standby takes over at once. The new holder rebuilds from the Services'
// status (Services with addresses first, oldest first), so nothing is assigned twice.

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/kubernetes_watch.h"
#include "core/backoff.h"
#include "core/config/config.h"
#include "core/election/leader_election.h"
#include "core/ipam/allocation_controller.h"
#include "io/k8s/event_recorder.h"
#include "io/k8s/lease_client.h"
#include "io/k8s/service_status_writer.h"

namespace lbd {

inline constexpr const char* kAllocatorLeaseName = "lbd-allocator";

class AllocatorRole {
 public:
  AllocatorRole(boost::asio::io_context& io, KubernetesWatch& cluster, const Config& config,
                std::string identity, std::shared_ptr<spdlog::logger> log);
  ~AllocatorRole();

  void start();
  /// Called when this host becomes or stops being the allocator (to publish it on D-Bus now).
  void onRoleChange(std::function<void()> callback) { on_role_change_ = std::move(callback); }
  /// Steps down: releases the Lease if held, then calls `done` (also when the API does not
  /// answer within `timeout`).
  void stop(std::chrono::milliseconds timeout, std::function<void()> done);

  /// A new configuration (pools, class settings): the holder re-decides every Service.
  void configure(const Config& config);

  /// "leader", "standby", or "disabled" (no pools configured: this host cannot allocate).
  std::string state() const;
  /// The current holder as last seen ("" when none).
  std::string holder() const;
  bool leader() const { return leader_; }
  const k8s::EventCounters& eventCounters() const { return events_.counters(); }

  /// What `lbctl services` shows: the holder's decisions, or on a standby what the Services'
  /// status says.
  std::vector<ipam::ServiceView> services() const;
  /// Addresses in use per pool and family: from the decisions on the holder, from the
  /// Services' status elsewhere.
  ipam::PoolUsage usage(const std::string& pool) const;
  /// Status writes decided but not yet handed to the request scheduler.
  std::size_t statusWritesWaiting() const;

 private:
  struct PendingStatus {
    ipam::StatusUpdate wanted;
    // Which decision the last request carried (not a copy of it: 10,000 of those add up).
    std::uint32_t wanted_generation = 1;
    std::uint32_t sent_generation = 0;
    bool in_flight = false;  // waiting in status_waiting_, queued in the scheduler, or on the wire
    bool waiting = false;    // in status_waiting_, not yet handed to the scheduler
    std::unique_ptr<boost::asio::steady_timer> retry;
    Backoff backoff{std::chrono::milliseconds(500), std::chrono::seconds(30)};
  };

  void campaign();
  void scheduleCampaign(std::chrono::steady_clock::duration after);
  void reviewLeadership();
  void becomeLeader();
  void stepDown(const char* why);
  void resync();
  void apply(ipam::Decisions decisions);
  void recordEvents(std::vector<ipam::ServiceEvent> events);
  void sendStatus(const std::string& key);
  Labels namespaceLabels(const std::string& name) const;
  void onService(const k8s::Service& service);
  void onServiceDeleted(const k8s::Service& service);
  void onNamespace(const k8s::Namespace& ns);
  void observeLease(const k8s::Lease& lease);

  boost::asio::io_context& io_;
  KubernetesWatch& cluster_;
  std::shared_ptr<spdlog::logger> log_;
  std::string identity_;
  std::string lease_namespace_;
  bool enabled_ = false;
  KubernetesConfig kubernetes_config_;

  election::LeaderElection election_;
  k8s::LeaseClient lease_client_;
  k8s::ServiceStatusWriter status_writer_;
  k8s::EventRecorder events_;
  ipam::AllocationController controller_;

  bool running_ = false;
  bool leader_ = false;
  bool campaign_in_flight_ = false;
  std::string last_campaign_error_;
  boost::asio::steady_timer campaign_timer_;
  boost::asio::steady_timer deadline_timer_;  // leadership lapses here unless renewed
  std::map<std::string, PendingStatus> pending_status_;
  // Status writes are handed to the request scheduler a few at a time, the rest wait here as
  // bare keys: each one in the scheduler costs ~400 bytes of closures, and after a resync of
  // 10,000 Services they all wait at once. Twice the default in-flight limit keeps its status
  // queue from running dry between answers.
  static constexpr std::size_t kStatusWritesSubmitted = 32;
  std::deque<std::string> status_waiting_;
  std::size_t status_submitted_ = 0;
  void submitWaitingStatus();
  void submitStatus(const std::string& key);
  std::function<void()> on_role_change_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Our handlers in the informer caches, which outlive us when a reload recreates the role.
  std::vector<std::function<void()>> unsubscribe_;
  template <class T>
  void subscribe(k8s::InformerCache<T>& cache, typename k8s::InformerCache<T>::Handlers handlers) {
    const auto id = cache.addHandlers(std::move(handlers));
    unsubscribe_.push_back([&cache, id] { cache.removeHandlers(id); });
  }  // for callbacks after us
};

}  // namespace lbd
