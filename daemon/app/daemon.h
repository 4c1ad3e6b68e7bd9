#pragma once
// The daemon: owns the event loop and every component, and wires them together. Nothing else
// creates objects or connects them (DESIGN.md section 6).

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "app/allocator_role.h"
#include "app/bgp_role.h"
#include "app/daemon_options.h"
#include "app/kubernetes_watch.h"
#include "app/layer2_role.h"
#include "core/config/config.h"
#include "io/bus/bgp_peer_bus.h"
#include "io/bus/bus_loop.h"
#include "io/bus/manager_bus.h"
#include "io/sd/sd_notifier.h"

namespace lbd {

/// `lbd --check-config`: validates, prints the result, returns the exit code.
int checkConfig(const DaemonOptions& options);

class Daemon final : private bus::ManagerModel {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Loads the config, takes the bus name, serves until SIGTERM/SIGINT. Returns the exit code.
  int run();

 private:
  std::vector<bus::PoolRow> poolRows() const override;
  std::vector<bus::PoolUsageRow> poolUsageRows() const override;
  std::vector<bus::ServiceRow> serviceRows() const override;
  bus::RequestQueueSnapshot requestQueue() const override;
  std::vector<bus::VipRow> vipRows() const override;
  bus::Layer2Snapshot layer2() const override;
  bus::FastFailoverSnapshot fastFailover() const override;
  std::vector<bus::BgpPeerRow> bgpPeerRows() const override;
  std::vector<bus::BgpVipRow> bgpVipRows() const override;
  Result<void, std::string> reloadConfig() override;

  /// Reads and validates the files; swaps the new config in only if it is valid.
  Result<void, Diagnostics> loadConfig();
  void logDiagnostics(const Diagnostics& diagnostics) const;
  bus::ManagerProperties properties() const;
  std::string statusLine() const;
  void publish();
  void waitForSignal();
  /// (Re)creates the Kubernetes watch when its settings changed (or stops it).
  void applyKubernetesConfig(const Config* previous);
  void applyLayer2Config();
  void applyBgpConfig();
  void applyBgpRole();
  /// One io.lbd1.BgpPeer object per configured peer while the BGP role runs.
  void syncBgpPeerObjects();
  void scheduleRefresh();
  void onSignal(int signal_number);
  /// Steps down from every role (releasing Leases), then stops the loop.
  void shutdown();

  DaemonOptions options_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  sd::SdNotifier notifier_;
  std::shared_ptr<spdlog::logger> log_;

  std::shared_ptr<const Config> config_;  // swapped whole, never edited in place
  std::string node_name_;
  std::string config_error_;  // diagnostics of the last failed (re)load
  std::uint64_t config_loaded_at_usec_ = 0;
  std::uint64_t started_at_usec_ = 0;

  std::unique_ptr<KubernetesWatch> kubernetes_;
  std::unique_ptr<AllocatorRole> allocator_;    // destroyed before kubernetes_ (uses its caches)
  std::unique_ptr<Layer2Role> layer2_;          // likewise; only with layer2 pools
  std::unique_ptr<BgpRole> bgp_;                // likewise; only with bgp pools and peers
  std::shared_ptr<const Config> previous_bgp_;  // the config bgp_ was started with
  std::string kubernetes_failure_;  // why the watch could not start (bad credentials file)
  boost::asio::steady_timer refresh_timer_;

  std::unique_ptr<sdbus::IConnection> bus_connection_;
  std::unique_ptr<bus::BusLoop> bus_loop_;
  std::unique_ptr<bus::ManagerBus> manager_bus_;
  std::map<std::string, std::unique_ptr<bus::BgpPeerBus>> bgp_peer_buses_;
};

}  // namespace lbd
