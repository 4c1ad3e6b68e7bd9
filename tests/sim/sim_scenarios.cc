#include "sim_scenarios.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>

#include "sim_world.h"

namespace lbd::sim {
namespace {

using namespace std::chrono_literals;

double secondsOf(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

std::string number(double value, int decimals = 0) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string millis(std::chrono::nanoseconds d) {
  return number(std::chrono::duration<double, std::milli>(d).count()) + " ms";
}

// Nearest rank, as bench/README.md's other tables.
std::chrono::nanoseconds percentile(std::vector<std::chrono::nanoseconds> values, double p) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

std::string design(const SimConfig& config) {
  return number(static_cast<double>(config.hosts)) + " hosts, " +
         number(static_cast<double>(config.vips)) + " VIPs, " +
         (config.segment_size == 0
              ? std::string("one segment, every host watches every Lease")
              : "segments of " + number(static_cast<double>(config.segment_size)) +
                    " hosts watching their own Leases");
}

// VIPs answered per running host: "min / max".
std::string vipsPerHost(SimWorld& world) {
  std::size_t low = SIZE_MAX, high = 0;
  for (std::size_t h = 0; h < world.hostCount(); ++h) {
    if (world.host(h).phase() == SimHost::Phase::Down) continue;
    low = std::min(low, world.host(h).announcing().size());
    high = std::max(high, world.host(h).announcing().size());
  }
  if (high == 0 && low == SIZE_MAX) return "-";
  return number(static_cast<double>(low)) + " / " + number(static_cast<double>(high));
}

// Starts every host and runs until every VIP is answered, then 3 s more to settle.
void warmUp(SimWorld& world, Figures& figures) {
  world.startAll(1s);
  const bool ok = world.runUntil(kSimStart + 120s, 50ms, [&] {
    return world.now() > kSimStart + 1100ms && world.unanswered() == 0;
  });
  figures.add("start-up (seeded Leases): every VIP answered after",
              ok ? millis(world.now() - kSimStart) : "not within 120 s");
  if (!ok) {
    figures.failures.push_back("start-up: " + number(static_cast<double>(world.unanswered())) +
                               " VIPs still unanswered after 120 s");
  }
  world.runUntil(world.now() + 3s);
}

void checkDoubles(SimWorld& world, Figures& figures) {
  figures.add("times two hosts answered one VIP (longest overlap)",
              number(static_cast<double>(world.doubleAnnouncements())) + " (" +
                  millis(world.longestDouble()) + ")");
  if (world.doubleAnnouncements() > 0) {
    figures.failures.push_back("two hosts answered one VIP: " + world.firstDouble());
  }
}

std::string writesRow(const ApiCounters& c) {
  return number(static_cast<double>(c.vip_writes)) + " VIP, " +
         number(static_cast<double>(c.heartbeat_writes)) + " heartbeat, " +
         number(static_cast<double>(c.conflicts)) + " 409, " +
         number(static_cast<double>(c.throttled)) + " 429";
}

}  // namespace

Figures runSteady(const SimConfig& config) {
  const auto wall_start = std::chrono::steady_clock::now();
  Figures figures{"1. steady state", {}, {}, 0};
  SimWorld world(config);
  figures.add("design", design(config));
  warmUp(world, figures);

  const std::size_t hosts = world.hostCount();
  const ApiCounters before = world.api().counters();
  std::vector<std::uint64_t> events_before(hosts), decides_before(hosts), ns_before(hosts);
  for (std::size_t h = 0; h < hosts; ++h) {
    events_before[h] = world.host(h).eventsReceived();
    decides_before[h] = world.host(h).decides();
    ns_before[h] = world.host(h).decideNanoseconds();
  }
  const std::size_t starts_before = world.starts().size();
  world.runUntil(world.now() + config.measure);
  const ApiCounters c = world.api().counters() - before;
  const double s = secondsOf(config.measure);
  const double n = static_cast<double>(hosts);

  std::uint64_t events_min = UINT64_MAX, events_max = 0, events = 0, decides = 0, ns = 0;
  for (std::size_t h = 0; h < hosts; ++h) {
    const std::uint64_t e = world.host(h).eventsReceived() - events_before[h];
    events_min = std::min(events_min, e);
    events_max = std::max(events_max, e);
    events += e;
    decides += world.host(h).decides() - decides_before[h];
    ns += world.host(h).decideNanoseconds() - ns_before[h];
  }
  const double writes = static_cast<double>(c.vip_writes + c.heartbeat_writes) / s;
  const double per_host_writes = writes / n;
  const double watch = static_cast<double>(c.heartbeat_events + c.vip_events) / s;
  const double decide_us =
      decides ? static_cast<double>(ns) / static_cast<double>(decides) / 1e3 : 0;
  const double events_per_host = static_cast<double>(events) / n / s;

  figures.add("measured window", number(s) + " s");
  figures.add("API writes/s, total (heartbeats + VIP Leases)",
              number(writes) + " (" + number(static_cast<double>(c.heartbeat_writes) / s) + " + " +
                  number(static_cast<double>(c.vip_writes) / s) + ")");
  figures.add("API writes/s per host (target <= 2)",
              number(per_host_writes, 2) + (per_host_writes <= 2.0 ? " (met)" : " (missed)"));
  figures.add("write budget; 409/s; 429/s",
              (config.api.write_rate > 0 ? number(config.api.write_rate) + "/s" : "none") + "; " +
                  number(static_cast<double>(c.conflicts) / s, 1) + "; " +
                  number(static_cast<double>(c.throttled) / s, 1));
  figures.add("watch events/s the API server delivers, total", number(watch));
  figures.add("  of which heartbeat renewals", number(static_cast<double>(c.heartbeat_events) / s));
  figures.add("watch events/s per host (min / mean / max)",
              number(static_cast<double>(events_min) / s) + " / " + number(events_per_host) +
                  " / " + number(static_cast<double>(events_max) / s));
  figures.add("watch target (<= 50,000/s for one kube-apiserver, see README)",
              watch <= 50000 ? "met" : "missed by " + number(watch / 50000, 1) + "x");
  figures.add("VIPs per host (min / max)", vipsPerHost(world));
  figures.add("decide() calls/s per host run here (" +
                  std::string(config.exact ? "after every event" : "fast mode") + ")",
              number(static_cast<double>(decides) / n / s, 1));
  figures.add("decide() CPU per call on this machine", number(decide_us, 1) + " us");
  figures.add("daemon CPU per host if each watch event decides once",
              number(events_per_host * decide_us / 1e4, 1) + " % of a core");
  const std::size_t changes = world.starts().size() - starts_before;
  figures.add("owner changes in the window", number(static_cast<double>(changes)));
  checkDoubles(world, figures);
  figures.wall_seconds = secondsOf(std::chrono::steady_clock::now() - wall_start);
  return figures;
}

Figures runCrash(const SimConfig& config) {
  const auto wall_start = std::chrono::steady_clock::now();
  Figures figures{
      "2. " + number(static_cast<double>(config.crash_hosts)) + " hosts crash at once", {}, {}, 0};
  SimWorld world(config);
  figures.add("design", design(config));
  warmUp(world, figures);

  std::vector<std::uint32_t> order(world.hostCount());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), world.random());
  order.resize(std::min(config.crash_hosts, world.hostCount() - 1));
  std::set<std::uint32_t> orphans;
  for (std::uint32_t h : order) {
    for (const auto& ip : world.host(h).announcing())
      orphans.insert(*world.vipIndex(ip));
  }
  const MonotonicTime crashed_at = world.now();
  const ApiCounters before = world.api().counters();
  const std::size_t starts_before = world.starts().size();
  for (std::uint32_t h : order)
    world.host(h).crash();
  const bool all = world.runUntil(crashed_at + 120s, 10ms, [&] { return world.unanswered() == 0; });
  const MonotonicTime done_at = world.now();
  const ApiCounters c = world.api().counters() - before;

  std::map<std::uint32_t, std::chrono::nanoseconds> reowned;
  for (std::size_t i = starts_before; i < world.starts().size(); ++i) {
    const AnnounceStart& start = world.starts()[i];
    if (orphans.contains(start.vip)) reowned.try_emplace(start.vip, start.at - crashed_at);
  }
  std::vector<std::chrono::nanoseconds> times;
  for (const auto& [vip, t] : reowned)
    times.push_back(t);
  const auto& e = config.election;
  const Duration bound = e.lease_duration + e.renew_interval + 2 * e.claim_step;
  const auto over = std::count_if(times.begin(), times.end(),
                                  [&](std::chrono::nanoseconds t) { return t > bound; });

  figures.add("VIPs orphaned", number(static_cast<double>(orphans.size())));
  figures.add("re-owned (p50 / p99 / max after the crash)",
              millis(percentile(times, 0.5)) + " / " + millis(percentile(times, 0.99)) + " / " +
                  millis(percentile(times, 1.0)));
  figures.add("bound: lease-duration + renew-interval + 2 x claim-step", millis(bound));
  figures.add("VIPs over the bound / never re-owned",
              number(static_cast<double>(over)) + " / " +
                  number(static_cast<double>(orphans.size() - reowned.size())));
  figures.add("storm: crash -> every VIP answered", all ? millis(done_at - crashed_at) : "-");
  figures.add("writes during the storm", writesRow(c));
  figures.add("VIPs per surviving host (min / max)", vipsPerHost(world));
  if (over > 0) {
    figures.failures.push_back(number(static_cast<double>(over)) + " VIPs re-owned later than " +
                               millis(bound));
  }
  if (!all || reowned.size() != orphans.size()) {
    figures.failures.push_back("some VIPs were not re-owned within 120 s");
  }
  checkDoubles(world, figures);
  figures.wall_seconds = secondsOf(std::chrono::steady_clock::now() - wall_start);
  return figures;
}

Figures runStall(const SimConfig& config) {
  const auto wall_start = std::chrono::steady_clock::now();
  Figures figures{"3. API server stalls for " + millis(config.stall) +
                      (config.stall_refuses ? " (requests refused)" : " (requests hang)"),
                  {},
                  {},
                  0};
  SimWorld world(config);
  figures.add("design", design(config));
  warmUp(world, figures);

  const MonotonicTime from = world.now();
  const MonotonicTime until = from + config.stall;
  world.api().stall(from, until);
  std::uniform_int_distribution<std::int64_t> reconnect_us(0,
                                                           config.watch_reconnect.count() * 1000);
  for (std::size_t h = 0; h < world.hostCount(); ++h) {
    world.host(h).watchBroken(from,
                              until + std::chrono::microseconds(reconnect_us(world.random())));
  }
  const std::size_t gaps_before = world.gaps().size();
  const std::size_t starts_before = world.starts().size();
  // Up to the instant before the server comes back: what it then serves counts as after.
  world.runUntil(until - std::chrono::microseconds(1));
  const ApiCounters at_recovery = world.api().counters();
  const std::size_t starts_at_recovery = world.starts().size();
  world.runUntil(until + 15s);
  const ApiCounters after = world.api().counters() - at_recovery;

  std::size_t lost = world.gaps().size() - gaps_before;
  for (std::uint32_t v = 0; v < world.vipCount(); ++v) {
    if (world.announcers(v) == 0) ++lost;  // still unanswered
  }
  std::size_t fresh = 0;
  for (std::size_t h = 0; h < world.hostCount(); ++h)
    fresh += world.host(h).heartbeatFresh();
  const std::size_t changes_during = starts_at_recovery - starts_before;
  const std::size_t changes_after = world.starts().size() - starts_at_recovery;
  figures.add("VIPs unanswered at some point (stall + 15 s after)",
              number(static_cast<double>(lost)));
  figures.add("VIP claims sent while the API was stalled",
              number(static_cast<double>(world.api().counters().stalled_vip_writes)));
  figures.add("owner changes during the stall / in the 15 s after",
              number(static_cast<double>(changes_during)) + " / " +
                  number(static_cast<double>(changes_after)));
  figures.add("writes from the recovery on (15 s)", writesRow(after));
  figures.add(
      "hosts with a fresh heartbeat 15 s after",
      number(static_cast<double>(fresh)) + " of " + number(static_cast<double>(world.hostCount())));
  figures.add("VIPs per host (min / max)", vipsPerHost(world));
  if (lost > 0) figures.failures.push_back("VIPs went unanswered around an API stall");
  if (changes_during + changes_after > 0) {
    figures.failures.push_back("VIP ownership changed around an API stall (flapping)");
  }
  checkDoubles(world, figures);
  figures.wall_seconds = secondsOf(std::chrono::steady_clock::now() - wall_start);
  return figures;
}

Figures runRolling(const SimConfig& config) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::size_t count =
      config.rolling_hosts == 0 ? config.hosts : std::min(config.rolling_hosts, config.hosts);
  Figures figures{
      "4. rolling restart of " + number(static_cast<double>(count)) + " hosts", {}, {}, 0};
  SimWorld world(config);
  figures.add("design", design(config));
  warmUp(world, figures);

  const MonotonicTime from = world.now();
  const std::size_t gaps_before = world.gaps().size();
  const ApiCounters before = world.api().counters();
  bool stuck = false;
  for (std::uint32_t h = 0; h < count && !stuck; ++h) {
    SimHost& host = world.host(h);
    host.stop(nullptr);
    stuck |= !world.runUntil(world.now() + 10s, 5ms,
                             [&] { return host.phase() == SimHost::Phase::Down; });
    world.runUntil(world.now() + config.restart_delay);
    host.start();
    stuck |= !world.runUntil(world.now() + 10s, 5ms, [&] {
      return host.phase() == SimHost::Phase::Running && host.heartbeatFresh();
    });
    // Peers see it live before the next one goes.
    world.runUntil(world.now() + config.election.lease_duration + 500ms);
  }
  const ApiCounters c = world.api().counters() - before;

  std::vector<std::chrono::nanoseconds> gaps;
  for (std::size_t i = gaps_before; i < world.gaps().size(); ++i) {
    gaps.push_back(world.gaps()[i].to - world.gaps()[i].from);
  }
  const auto& e = config.election;
  // Derived from DESIGN.md section 3 (release: "the next host claims at once, no wait for
  // expiry"): the release is stored (half a round trip), seen by the next host (the longest
  // watch delay), its claim stored and answered (a round trip), and at most one claim-step if a
  // better-ranked host did not see the release yet.
  const Duration target =
      config.write_rtt * 2 + config.api.watch_latency + config.api.watch_jitter + e.claim_step;
  const auto over = std::count_if(gaps.begin(), gaps.end(),
                                  [&](std::chrono::nanoseconds g) { return g > target; });
  figures.add("simulated time", millis(world.now() - from));
  figures.add("handovers (a VIP without answer, then answered)",
              number(static_cast<double>(gaps.size())));
  figures.add("unanswered per handover (p50 / p99 / max)",
              millis(percentile(gaps, 0.5)) + " / " + millis(percentile(gaps, 0.99)) + " / " +
                  millis(percentile(gaps, 1.0)));
  figures.add("graceful target: 2 x write round trip + longest watch delay + claim-step",
              millis(target));
  figures.add(
      "handovers over the target / VIPs unanswered at the end",
      number(static_cast<double>(over)) + " / " + number(static_cast<double>(world.unanswered())));
  figures.add("writes during the restarts", writesRow(c));
  figures.add("VIPs per host at the end (min / max)", vipsPerHost(world));
  if (stuck) figures.failures.push_back("a host did not stop or come back within 10 s");
  if (over > 0) {
    figures.failures.push_back(number(static_cast<double>(over)) +
                               " graceful handovers took longer than " + millis(target));
  }
  if (world.unanswered() > 0) figures.failures.push_back("VIPs unanswered after the restarts");
  checkDoubles(world, figures);
  figures.wall_seconds = secondsOf(std::chrono::steady_clock::now() - wall_start);
  return figures;
}

std::string formatTable(const std::string& title, const std::vector<std::string>& designs,
                        const std::vector<const Figures*>& columns) {
  std::string out = "| " + title;
  for (const auto& name : designs)
    out += " | " + name;
  out += " |\n|---";
  for (std::size_t i = 0; i < designs.size(); ++i)
    out += "|---";
  out += "|\n";
  const Figures& first = *columns.front();
  for (std::size_t r = 0; r < first.rows.size(); ++r) {
    out += "| " + first.rows[r].first;
    for (const Figures* column : columns) {
      out += " | " + (r < column->rows.size() ? column->rows[r].second : std::string("-"));
    }
    out += " |\n";
  }
  out += "| wall time of this run";
  for (const Figures* column : columns)
    out += " | " + number(column->wall_seconds, 1) + " s";
  out += " |\n";
  return out;
}

}  // namespace lbd::sim
