#pragma once
// The simulation's knobs, with the defaults the figures in bench/README.md were made with.

#include <cstdint>
#include <string>

#include "core/config/config.h"
#include "core/duration.h"
#include "sim_api_server.h"

namespace lbd::sim {

struct SimConfig {
  std::size_t hosts = 1000;
  std::size_t vips = 10000;
  ElectionConfig election;  // lease-duration 2s, renew-interval 500ms, claim-step 100ms
  ApiServerOptions api;
  Duration write_rtt{10};           // a request's round trip (half each way)
  Duration retry_after{1000};       // what the 429 says (kube-apiserver sends 1 s)
  Duration request_timeout{30000};  // ApiClient's default
  Duration list_latency{50};        // a restarted process: LIST, then the watch opens
  Duration watch_reconnect{1000};   // after an API stall: watches reopen within this
  Duration stop_timeout{5000};      // graceful stop: releases get this long
  // 0: the current design (one L2 segment, every host watches every Lease of the namespace).
  // N: hosts in segments of N, each with its own pool, watching only its segment's Leases.
  std::size_t segment_size = 0;
  // Decide after every observation, as the daemon does. Off: renewals that only extend an
  // already live heartbeat (a peer's, or our own while fresh) post no decide: they cannot
  // change a decision (liveness only grows; the wakeup armed at the earlier expiry re-checks).
  bool exact = false;
  // A decide takes this long per VIP of the host's table (decide() measured 0.4-0.7 us per VIP
  // on this VM, 7.3 ms at 10,000), and the daemon is one thread: whatever comes in meanwhile
  // waits and is decided on together (decideSoon), as it would on a busy host. Without it
  // every host at 1,000 x 10,000 would decide once per Lease event of a storm: 7 ms each, far
  // more CPU than a host has, and hours of simulation.
  double decide_ns_per_vip = 700;
  Duration measure{10000};       // steady: the window measured, after start-up has settled
  Duration restart_delay{1000};  // rolling: from exit to the new process starting
  std::size_t crash_hosts = 100;
  Duration stall{30000};
  // Stall: requests hang and are served when the server comes back (an etcd stall), unless
  // the client gave up first; refuses: every request fails at once (the API unreachable).
  bool stall_refuses = false;
  std::size_t rolling_hosts = 0;  // 0: all
  std::uint64_t seed = 1;
};

}  // namespace lbd::sim
