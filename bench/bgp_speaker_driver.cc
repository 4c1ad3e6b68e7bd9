// Runs lbd's real BGP speaker (io/bgp/bgp_speaker.h, the code the daemon runs) with N synthetic
// prefixes against one peer, configured from the environment so any harness can drive it:
//   PREFIX_FILE  file of prefixes, one "a.b.c.d/len" (or IPv6) per line; else N generated /32s
//   N            how many prefixes (from PREFIX_FILE: the first N; default all)
//   LOCAL_ADDR   our address (source of the connection; we listen on port 179 of every address)
//   LOCAL_AS, ROUTER_ID, PEER_ADDR, PEER_AS
//   NEXT_HOP     next hop of the routes (default LOCAL_ADDR)
//   READY_FILE   created once all prefixes are loaded, before the session may come up
//   HOLD_TIME    seconds (default 90)
// It runs until SIGTERM/SIGINT, then stops like the daemon does (graceful shutdown).

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>  // stderr_logger_st (spdlog 1.10)
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "io/bgp/bgp_speaker.h"

namespace {

std::string env(const char* name, const char* fallback = nullptr) {
  const char* value = std::getenv(name);
  if (value && *value) return value;
  if (fallback) return fallback;
  std::cerr << "bgp_speaker_driver: " << name << " is not set\n";
  std::exit(2);
}

lbd::IpAddress address(const std::string& text, const char* what) {
  auto parsed = lbd::IpAddress::parse(text);
  if (!parsed) {
    std::cerr << "bgp_speaker_driver: " << what << ": " << parsed.error().message << '\n';
    std::exit(2);
  }
  return parsed.value();
}

lbd::bgp::Prefix parsePrefix(const std::string& line) {
  const auto slash = line.find('/');
  const auto ip = address(line.substr(0, slash), "PREFIX_FILE");
  const int length =
      slash == std::string::npos ? static_cast<int>(ip.bits()) : std::stoi(line.substr(slash + 1));
  return lbd::bgp::Prefix{ip, static_cast<std::uint8_t>(length)};
}

}  // namespace

int main() {
  auto log = spdlog::stderr_logger_st("bgp");
  log->set_level(spdlog::level::info);
  const std::size_t limit = std::stoull(env("N", "0"));
  lbd::bgp::AdjRibOut rib;
  const lbd::bgp::RouteAttributes attributes;
  const auto load_start = std::chrono::steady_clock::now();
  if (const char* file = std::getenv("PREFIX_FILE"); file && *file) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line) && (limit == 0 || rib.size() < limit)) {
      if (!line.empty()) rib.add(parsePrefix(line), 0, attributes);
    }
  } else {
    // 10.0.0.0/8 onwards: /32 NLRI only, never addressed.
    for (std::uint32_t i = 0; i < limit; ++i)
      rib.add(lbd::bgp::Prefix{lbd::IpAddress::v4(0x0A000000u + i), 32}, 0, attributes);
  }
  const auto load_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - load_start);
  log->info("loaded {} prefixes in {} ms", rib.size(), load_ms.count());

  lbd::BgpPeer peer;
  peer.name = "bench";
  peer.address = address(env("PEER_ADDR"), "PEER_ADDR");
  peer.asn = static_cast<std::uint32_t>(std::stoul(env("PEER_AS")));
  peer.source_address = address(env("LOCAL_ADDR"), "LOCAL_ADDR");
  peer.hold_time = std::chrono::seconds(std::stoi(env("HOLD_TIME", "90")));
  peer.keepalive_time = peer.hold_time / 3;
  peer.connect_retry = std::chrono::seconds(1);
  peer.families.push_back(peer.address.isV4() ? lbd::AddressFamilyName::Ipv4Unicast
                                              : lbd::AddressFamilyName::Ipv6Unicast);
  lbd::bgp::PeerSpec spec;
  spec.peer = peer;
  spec.local_asn = static_cast<std::uint32_t>(std::stoul(env("LOCAL_AS")));
  spec.router_id = static_cast<std::uint32_t>(address(env("ROUTER_ID"), "ROUTER_ID").toInteger());
  spec.next_hop = address(env("NEXT_HOP", env("LOCAL_ADDR").c_str()), "NEXT_HOP");

  boost::asio::io_context io;
  lbd::bgp::BgpSpeaker speaker(io, log);
  speaker.setRoutes(std::move(rib));
  if (const char* ready = std::getenv("READY_FILE"); ready && *ready) std::ofstream(ready) << "";
  speaker.configure({spec}, 179);

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    speaker.stop(std::chrono::milliseconds(0), [&io] { io.stop(); });
  });
  io.run();
  return 0;
}
