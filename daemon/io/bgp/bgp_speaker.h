#pragma once
// This host's BGP speaker: one BgpPeerSession per configured peer, a listener for the peers'
// own connections (port 179 by default, dual-stack), and the Adj-RIB-Out they all send from.
// The RIB is held once here; sessions read it (no per-peer copy).
//
// A planned stop follows RFC 8326: every route is announced again with GRACEFUL_SHUTDOWN, the
// speaker waits `graceful-shutdown-time` so the routers move traffic away, then withdraws
// everything and closes with Cease / Administrative Shutdown.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/bgp/adj_rib_out.h"
#include "io/bgp/bgp_peer_session.h"

namespace lbd::bgp {

class BgpSpeaker {
 public:
  BgpSpeaker(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> log);
  ~BgpSpeaker();

  /// Runs these peers (index = position). A session whose spec and index are unchanged keeps
  /// running; others are closed (Cease / Peer De-configured or Other Configuration Change) and
  /// started anew. `listen_port` 0: do not listen (connect out only).
  void configure(std::vector<PeerSpec> peers, std::uint16_t listen_port);
  /// Replaces what is advertised; sessions send only the difference.
  void setRoutes(AdjRibOut rib);
  const AdjRibOut& routes() const { return rib_; }

  /// RFC 8326 stop (see above), then `done`.
  void stop(std::chrono::milliseconds graceful_shutdown_time, std::function<void()> done);

  std::vector<PeerView> peers() const;
  /// The listener's problem, "" when listening (or not asked to).
  const std::string& listenError() const { return listen_error_; }
  void onStateChange(BgpPeerSession::StateHandler handler) { on_state_ = std::move(handler); }

 private:
  void listen(std::uint16_t port);
  void acceptNext();
  void applyListenerKeys();
  void waitForFlush(int rounds_left, std::function<void()> then);

  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> log_;
  AdjRibOut rib_;
  bool rib_ready_ = false;  // setRoutes() was called: the cluster's state is known
  std::vector<std::unique_ptr<BgpPeerSession>> sessions_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  bool acceptor_v6_ = true;
  std::uint16_t listen_port_ = 0;
  std::string listen_error_;
  boost::asio::steady_timer stop_timer_;
  // Routers may hold this host's routes from before a restart until started_ plus
  // graceful-restart-time (see BgpPeerSession's restart window).
  std::chrono::steady_clock::time_point started_;
  BgpPeerSession::StateHandler on_state_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lbd::bgp
