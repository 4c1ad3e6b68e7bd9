// election_sim: a discrete-event simulation of the layer-2 election (DESIGN.md section 3) at
// cluster scale, driving the daemon's own pure election code (VipElection, heartbeat.h) against
// a simulated API server. Prints one table per scenario; exits 1 when an invariant broke (two
// hosts answering one VIP, a VIP re-owned too late after a crash, flapping after an API stall,
// a graceful handover over its target), 2 on a bad option.
//
//   election_sim --hosts 1000 --vips 10000 --scenario all|steady,crash,stall,rolling
//                [--compare] [--segment-size N] [--exact] [--write-rate R] [--seed S] ...

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "sim_scenarios.h"

namespace {

using lbd::Duration;
using lbd::sim::Figures;
using lbd::sim::SimConfig;

void usage() {
  std::fprintf(stderr,
               "usage: election_sim [--hosts N] [--vips N] [--scenario all|steady,crash,stall,"
               "rolling]\n"
               "  [--segment-size N]   hosts per L2 segment watching only their own Leases "
               "(0: current design)\n"
               "  [--compare]          current design and --segment-size (default 50) side by "
               "side\n"
               "  [--exact]            decide after every observation, as the daemon does\n"
               "  [--write-rate R]     API writes/s committed (0: no limit; default 400)\n"
               "  [--write-queue N]    writes waiting before 429 (default 300)\n"
               "  [--stall-mode hang|refuse]  requests during the stall hang (default) or fail\n"
               "  [--write-rtt-ms N] [--watch-latency-ms N] [--watch-jitter-ms N]\n"
               "  [--lease-duration-ms N] [--renew-interval-ms N] [--claim-step-ms N]\n"
               "  [--crash-hosts N] [--stall-ms N] [--rolling-hosts N (0: all)] [--measure-ms N]\n"
               "  [--decide-ns-per-vip N]  a decide's CPU time per VIP (default 700)\n"
               "  [--seed N]\n");
}

}  // namespace

int main(int argc, char** argv) {
  SimConfig config;
  std::string scenario = "all";
  bool compare = false;
  std::size_t compare_segment = 50;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> long long {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return std::atoll(argv[++i]);
    };
    if (arg == "--hosts") {
      config.hosts = static_cast<std::size_t>(value());
    } else if (arg == "--vips") {
      config.vips = static_cast<std::size_t>(value());
    } else if (arg == "--scenario") {
      if (i + 1 >= argc) {
        usage();
        return 2;
      }
      scenario = argv[++i];
    } else if (arg == "--segment-size") {
      config.segment_size = static_cast<std::size_t>(value());
      compare_segment = config.segment_size;
    } else if (arg == "--compare") {
      compare = true;
    } else if (arg == "--exact") {
      config.exact = true;
    } else if (arg == "--write-rate") {
      config.api.write_rate = static_cast<double>(value());
    } else if (arg == "--write-queue") {
      config.api.write_queue = static_cast<double>(value());
    } else if (arg == "--stall-mode") {
      if (i + 1 >= argc) {
        usage();
        return 2;
      }
      const std::string mode = argv[++i];
      if (mode != "hang" && mode != "refuse") {
        usage();
        return 2;
      }
      config.stall_refuses = mode == "refuse";
    } else if (arg == "--write-rtt-ms") {
      config.write_rtt = Duration(value());
    } else if (arg == "--watch-latency-ms") {
      config.api.watch_latency = Duration(value());
    } else if (arg == "--watch-jitter-ms") {
      config.api.watch_jitter = Duration(value());
    } else if (arg == "--lease-duration-ms") {
      config.election.lease_duration = Duration(value());
    } else if (arg == "--renew-interval-ms") {
      config.election.renew_interval = Duration(value());
    } else if (arg == "--claim-step-ms") {
      config.election.claim_step = Duration(value());
    } else if (arg == "--crash-hosts") {
      config.crash_hosts = static_cast<std::size_t>(value());
    } else if (arg == "--stall-ms") {
      config.stall = Duration(value());
    } else if (arg == "--rolling-hosts") {
      config.rolling_hosts = static_cast<std::size_t>(value());
    } else if (arg == "--measure-ms") {
      config.measure = Duration(value());
    } else if (arg == "--decide-ns-per-vip") {
      config.decide_ns_per_vip = static_cast<double>(value());
    } else if (arg == "--seed") {
      config.seed = static_cast<std::uint64_t>(value());
    } else {
      usage();
      return 2;
    }
  }
  // A comma-separated list of scenarios, or all.
  std::set<std::string> wanted;
  for (std::size_t start = 0; start <= scenario.size();) {
    const std::size_t comma = std::min(scenario.find(',', start), scenario.size());
    wanted.insert(scenario.substr(start, comma - start));
    start = comma + 1;
  }
  bool known = !wanted.empty();
  for (const auto& name : wanted) {
    known = known && (name == "all" || name == "steady" || name == "crash" || name == "stall" ||
                      name == "rolling");
  }
  if (!known || config.hosts < 2 || config.vips < 1 || (compare && compare_segment == 0)) {
    usage();
    return 2;
  }

  std::vector<std::string> designs;
  std::vector<SimConfig> configs;
  if (compare) {
    SimConfig current = config;
    current.segment_size = 0;
    SimConfig segmented = config;
    segmented.segment_size = compare_segment;
    designs = {"current design", "segmented watches (" + std::to_string(compare_segment) + ")"};
    configs = {current, segmented};
  } else {
    designs = {config.segment_size == 0
                   ? std::string("current design")
                   : "segmented watches (" + std::to_string(config.segment_size) + ")"};
    configs = {config};
  }

  std::printf("election_sim");
  for (int i = 1; i < argc; ++i)
    std::printf(" %s", argv[i]);
  std::printf("\n(write rate %g/s, write queue %g, stall mode %s, seed %llu)\n",
              config.api.write_rate, config.api.write_queue,
              config.stall_refuses ? "refuse" : "hang",
              static_cast<unsigned long long>(config.seed));
  std::fflush(stdout);
  using Runner = Figures (*)(const SimConfig&);
  const std::vector<std::pair<std::string, Runner>> scenarios = {{"steady", lbd::sim::runSteady},
                                                                 {"crash", lbd::sim::runCrash},
                                                                 {"stall", lbd::sim::runStall},
                                                                 {"rolling", lbd::sim::runRolling}};
  int failures = 0;
  for (const auto& [name, run] : scenarios) {
    if (!wanted.contains("all") && !wanted.contains(name)) continue;
    std::vector<Figures> results;
    for (const auto& c : configs)
      results.push_back(run(c));
    std::vector<const Figures*> columns;
    for (const auto& r : results)
      columns.push_back(&r);
    std::printf("\n%s", lbd::sim::formatTable(results.front().scenario, designs, columns).c_str());
    for (std::size_t d = 0; d < results.size(); ++d) {
      for (const auto& failure : results[d].failures) {
        std::printf("FAILED (%s): %s\n", designs[d].c_str(), failure.c_str());
        ++failures;
      }
    }
    std::fflush(stdout);
  }
  return failures > 0 ? 1 : 0;
}
