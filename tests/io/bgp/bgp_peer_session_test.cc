// BgpPeerSession against a scripted router on loopback: how it reconnects and what its OPEN says
// about a restart (RFC 4724). The router is a plain blocking socket on its own thread; the
// session runs on an Asio loop in the test's thread, as in the daemon.
//
// The case that matters: after lbd restarts, a router keeps lbd's routes for the restart time,
// but may refuse connections for a while (GoBGP does, for 5 s after a session ends). If lbd
// backed off meanwhile, its next attempt could come after the router dropped the routes.
#include "io/bgp/bgp_peer_session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include "core/bgp/codec.h"

namespace lbd::bgp {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kLocalAs = 65001;
constexpr std::uint32_t kRouterAs = 64512;

/// What the router saw of one connection from lbd.
struct Arrival {
  Clock::time_point at;
  bool open_received = false;
  bool restart_state = false;  // R bit of lbd's graceful restart capability
};

/// Accepts lbd's connections on 127.0.0.1. Reads lbd's OPEN, then either closes at once (a router
/// refusing sessions for now) or, for the first `sessions_to_complete` connections, completes
/// the session (OPEN, KEEPALIVE, waits for lbd's KEEPALIVE) and closes it right after.
class ScriptedRouter {
 public:
  explicit ScriptedRouter(int sessions_to_complete) : to_complete_(sessions_to_complete) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedRouter() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }
  std::vector<Arrival> arrivals() {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) != 1) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      Arrival arrival{.at = Clock::now()};
      auto open = readMessage(fd);
      if (open && std::holds_alternative<OpenMessage>(open->message)) {
        arrival.open_received = true;
        const auto& restart = std::get<OpenMessage>(open->message).capabilities.graceful_restart;
        arrival.restart_state = restart && restart->restart_state;
      }
      {
        std::lock_guard lock(mutex_);
        arrivals_.push_back(arrival);
      }
      if (arrival.open_received && to_complete_ > 0) {
        --to_complete_;
        completeSession(fd);
      }
      ::close(fd);
    }
  }

  void completeSession(int fd) {
    OpenMessage open;
    open.my_as = static_cast<std::uint16_t>(kRouterAs);
    open.hold_time = 9;
    open.bgp_identifier = 0xC0000201;
    open.capabilities.multiprotocol = {Family::ipv4Unicast()};
    open.capabilities.four_octet_asn = kRouterAs;
    std::vector<std::uint8_t> out;
    encodeOpen(open, out);
    encodeKeepalive(out);
    ASSERT_EQ(::send(fd, out.data(), out.size(), MSG_NOSIGNAL), static_cast<ssize_t>(out.size()));
    // lbd's KEEPALIVE: it is Established.
    for (int i = 0; i < 4; ++i) {
      auto message = readMessage(fd);
      if (!message || std::holds_alternative<KeepaliveMessage>(message->message)) break;
    }
  }

  // One whole message within 2 s, or nullopt.
  static std::optional<DecodedMessage> readMessage(int fd) {
    std::vector<std::uint8_t> buffer;
    const auto deadline = Clock::now() + 2s;
    while (Clock::now() < deadline) {
      if (auto length = frameLength(buffer); length && *length && buffer.size() >= **length) {
        auto decoded = decodeMessage(std::span(buffer.data(), **length), CodecOptions{});
        if (!decoded) return std::nullopt;
        return std::move(*decoded);
      }
      pollfd ready{fd, POLLIN, 0};
      if (::poll(&ready, 1, 50) != 1) continue;
      std::uint8_t chunk[4096];
      const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return std::nullopt;
      buffer.insert(buffer.end(), chunk, chunk + got);
    }
    return std::nullopt;
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  int to_complete_;
  std::atomic<bool> stop_ = false;
  std::mutex mutex_;
  std::vector<Arrival> arrivals_;
  std::thread thread_;
};

PeerSpec specFor(std::uint16_t port, std::uint16_t graceful_restart_time) {
  PeerSpec spec;
  spec.peer.name = "router";
  spec.peer.address = *IpAddress::parse("127.0.0.1");
  spec.peer.asn = kRouterAs;
  spec.peer.port = port;
  spec.peer.hold_time = 9s;
  spec.peer.keepalive_time = 3s;
  spec.peer.connect_retry = 200ms;
  spec.peer.families = {AddressFamilyName::Ipv4Unicast};
  spec.local_asn = kLocalAs;
  spec.router_id = 0xC000020B;
  spec.graceful_restart_time = graceful_restart_time;
  spec.listen_port = 0;
  return spec;
}

/// Runs a session against `router` for `duration` and returns what the router saw.
std::vector<Arrival> runSession(ScriptedRouter& router, PeerSpec spec,
                                Clock::time_point restart_window_end, Clock::duration duration) {
  boost::asio::io_context io;
  auto log = std::make_shared<spdlog::logger>("bgp-session-test");
  BgpPeerSession session(
      io, 0, std::move(spec), [] { return nullptr; }, log,
      [](const std::string&, SessionState, SessionState, const std::string&) {},
      restart_window_end);
  session.start();
  io.run_for(duration);
  session.stop(NotificationMessage{
      static_cast<std::uint8_t>(ErrorCode::Cease), cease::kAdministrativeShutdown, {}});
  io.run_for(50ms);
  return router.arrivals();
}

Clock::duration largestGap(const std::vector<Arrival>& arrivals) {
  Clock::duration gap{};
  for (std::size_t i = 1; i < arrivals.size(); ++i)
    gap = std::max(gap, arrivals[i].at - arrivals[i - 1].at);
  return gap;
}

TEST(BgpPeerSessionRestart, RetriesAtConnectRetryWithTheRestartBitUntilTheFirstSession) {
  ScriptedRouter router(0);  // refuses every session, as GoBGP in its idle hold
  auto arrivals = runSession(router, specFor(router.port(), 60), Clock::now() + 60s, 2500ms);
  ASSERT_GE(arrivals.size(), 6u);
  // Spaced by at most connect-retry (200 ms; 150 ms of slack for a loaded machine), never
  // backed off: the router's restart timer is running.
  EXPECT_LT(largestGap(arrivals), 350ms);
  for (const auto& arrival : arrivals) {
    ASSERT_TRUE(arrival.open_received);
    EXPECT_TRUE(arrival.restart_state) << "RFC 4724 4.1: the restarting speaker sets R";
  }
}

TEST(BgpPeerSessionRestart, AfterTheFirstSessionReconnectsBackOffWithoutTheRestartBit) {
  ScriptedRouter router(1);  // one session, then refusals
  auto arrivals = runSession(router, specFor(router.port(), 60), Clock::now() + 60s, 3500ms);
  ASSERT_GE(arrivals.size(), 4u);
  EXPECT_TRUE(arrivals[0].restart_state);
  for (std::size_t i = 1; i < arrivals.size(); ++i)
    EXPECT_FALSE(arrivals[i].restart_state) << "attempt " << i;
  // Backoff grows to 4x connect-retry, jittered in [ceiling/2, ceiling]: some gap >= 400 ms.
  EXPECT_GE(largestGap(arrivals), 390ms);
}

TEST(BgpPeerSessionRestart, PastTheRestartWindowReconnectsBackOffWithoutTheRestartBit) {
  ScriptedRouter router(0);
  auto arrivals = runSession(router, specFor(router.port(), 60), Clock::now(), 3500ms);
  ASSERT_GE(arrivals.size(), 4u);
  for (const auto& arrival : arrivals)
    EXPECT_FALSE(arrival.restart_state);
  EXPECT_GE(largestGap(arrivals), 390ms);
}

TEST(BgpPeerSessionRestart, WithoutGracefulRestartThereIsNoRestartWindow) {
  ScriptedRouter router(0);
  auto arrivals = runSession(router, specFor(router.port(), 0), Clock::now() + 60s, 3500ms);
  ASSERT_GE(arrivals.size(), 4u);
  for (const auto& arrival : arrivals)
    EXPECT_FALSE(arrival.restart_state);
  EXPECT_GE(largestGap(arrivals), 390ms);
}

}  // namespace
}  // namespace lbd::bgp
