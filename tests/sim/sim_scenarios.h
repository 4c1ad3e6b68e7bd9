#pragma once
// The four scenarios of issue 11 item 1, each on a fresh simulated cluster, each returning its
// figures as table rows plus the invariants it found broken (any makes election_sim fail).

#include <string>
#include <utility>
#include <vector>

#include "sim_config.h"

namespace lbd::sim {

struct Figures {
  std::string scenario;
  std::vector<std::pair<std::string, std::string>> rows;
  std::vector<std::string> failures;
  double wall_seconds = 0;

  void add(std::string label, std::string value) {
    rows.emplace_back(std::move(label), std::move(value));
  }
};

/// 1: steady state, writes and watch events per second, VIPs per host.
Figures runSteady(const SimConfig& config);
/// 2: `crash_hosts` hosts die at once: time until each of their VIPs is answered again.
Figures runCrash(const SimConfig& config);
/// 3: the API server answers nothing for `stall`: no VIP unanswered, no owner change after.
Figures runStall(const SimConfig& config);
/// 4: every host (or `rolling_hosts`) stopped gracefully and started again, one by one.
Figures runRolling(const SimConfig& config);

/// A markdown table: one row per label, one column per design.
std::string formatTable(const std::string& title, const std::vector<std::string>& designs,
                        const std::vector<const Figures*>& columns);

}  // namespace lbd::sim
