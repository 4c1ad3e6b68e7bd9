#pragma once
// One configured BGP peer on the Asio loop: connects out (with backoff and jitter), takes the
// peer's incoming connection, runs core/bgp/session_fsm.h on each connection and does what it
// says, settles connection collisions (RFC 4271 section 6.8), and sends this host's routes
// (core/bgp/adj_rib_out.h) once Established, then only what changes.
//
// Received routes are decoded, validated and counted (RFC 7606 errors included), never
// installed: lbd originates routes, it does not route.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/backoff.h"
#include "core/bgp/adj_rib_out.h"
#include "core/bgp/session_fsm.h"
#include "core/config/config.h"
#include "io/bgp/bgp_connection.h"

namespace lbd::bgp {

/// Everything a session needs to know about its peer, resolved from the configuration.
struct PeerSpec {
  BgpPeer peer;                             // as configured
  std::uint32_t local_asn = 0;              // peer.local_asn or [bgp].asn
  std::uint32_t router_id = 0;              // host order
  std::string md5_key;                      // "" = no TCP MD5
  std::uint16_t graceful_restart_time = 0;  // 0 = do not offer graceful restart
  std::uint16_t listen_port = 179;
  /// Next hop to send instead of this end's address ("next-hop self"), for its family only.
  /// Unset in the daemon; the benchmark driver sets it (NEXT_HOP) to match its peer's setup.
  std::optional<IpAddress> next_hop;
  /// False when this host must not open the session (node-selector, unreadable password file):
  /// the peer is listed with `disabled_reason` and never connected.
  bool enabled = true;
  std::string disabled_reason;
  bool operator==(const PeerSpec&) const = default;
};

/// A peer as lbctl peers shows it.
struct PeerView {
  std::string name;
  std::string address;
  std::uint32_t local_asn = 0;
  std::uint32_t peer_asn = 0;
  std::string state;                      // toString(SessionState), or "disabled"
  std::uint64_t established_at_usec = 0;  // wall clock, 0 = not established
  std::uint64_t prefixes_sent = 0;
  std::uint64_t prefixes_received = 0;
  std::uint64_t updates_received = 0;
  std::uint64_t malformed_updates = 0;  // RFC 7606 treat-as-withdraw / attribute-discard
  std::uint32_t hold_time = 0;          // negotiated, seconds
  std::vector<std::string> families;    // negotiated
  std::string last_error;               // last session end, as a sentence
  std::string peer_router_id;
  bool graceful_restart = false;  // both sides offered it
};

class BgpPeerSession {
 public:
  /// The speaker's Adj-RIB-Out, or nullptr until this host knows what to advertise (its
  /// Kubernetes caches synced): sessions that come up earlier send nothing, not even End-of-RIB,
  /// so routers that kept our routes across a restart (RFC 4724) do not flush them.
  using RibAccess = std::function<const AdjRibOut*()>;
  using StateHandler = std::function<void(const std::string& peer, SessionState from,
                                          SessionState to, const std::string& reason)>;

  /// `restart_window_end`: lbd's start plus its graceful-restart-time. Until then, and until
  /// this peer's first session is Established, the peer may still hold our routes from before
  /// a restart (RFC 4724): OPENs carry the Restart State bit and reconnects are not backed off
  /// beyond connect-retry, so the routes are refreshed before the router's timer drops them.
  BgpPeerSession(boost::asio::io_context& io, PeerIndex index, PeerSpec spec, RibAccess rib,
                 std::shared_ptr<spdlog::logger> log, StateHandler on_state,
                 std::chrono::steady_clock::time_point restart_window_end);
  ~BgpPeerSession();
  BgpPeerSession(const BgpPeerSession&) = delete;
  BgpPeerSession& operator=(const BgpPeerSession&) = delete;

  void start();
  /// Closes the session with `notification` (Cease) and stops reconnecting.
  void stop(const NotificationMessage& notification);

  /// A connection the listener accepted from this peer's address. Taken unless a session is
  /// already Established (then refused with Cease / Connection Collision Resolution).
  void acceptIncoming(boost::asio::ip::tcp::socket socket);

  /// The RIB changed from `before` to the current one: send this peer what changed.
  void routesChanged(const AdjRibOut& before);
  /// RFC 8326: sends every route again with the GRACEFUL_SHUTDOWN community (and LOCAL_PREF 0
  /// on iBGP) so the routers move traffic away before the withdrawals.
  void announceGracefulShutdown();
  /// Withdraws everything sent.
  void withdrawAll();
  /// Bytes written to the socket but not yet acknowledged by the kernel send buffer.
  std::size_t queuedBytes() const;

  bool established() const;
  PeerIndex index() const { return index_; }
  const PeerSpec& spec() const { return spec_; }
  PeerView view() const;

 private:
  struct Attempt;
  void connectSoon(bool at_once);
  void connect();
  std::shared_ptr<Attempt> newAttempt(bool incoming);
  void adopt(const std::shared_ptr<Attempt>& attempt, boost::asio::ip::tcp::socket socket);
  void feed(const std::shared_ptr<Attempt>& attempt, const SessionEvent& event);
  void perform(const std::shared_ptr<Attempt>& attempt, const SessionAction& action);
  void onEstablished(const std::shared_ptr<Attempt>& attempt, const Negotiated& negotiated);
  void onDown(const std::shared_ptr<Attempt>& attempt, const SessionDown& down);
  void onUpdate(const UpdateReceived& update);
  void settleCollision(const std::shared_ptr<Attempt>& arrived);
  void removeAttempt(const std::shared_ptr<Attempt>& attempt);
  void updateShownState(const std::string& reason);
  void sendRoutes(const std::map<AttributeSetId, std::vector<Prefix>>& groups, const AdjRibOut& rib,
                  bool graceful_shutdown);
  void sendWithdrawals(const std::vector<Prefix>& prefixes);
  void sendInitialTable(const std::shared_ptr<Attempt>& attempt, const AdjRibOut& rib);
  std::shared_ptr<Attempt> establishedAttempt() const;
  SessionSettings settings() const;
  bool inRestartWindow() const;
  std::string describe() const;

  boost::asio::io_context& io_;
  PeerIndex index_;
  PeerSpec spec_;
  RibAccess rib_;
  std::shared_ptr<spdlog::logger> log_;
  StateHandler on_state_;
  bool running_ = false;
  std::vector<std::shared_ptr<Attempt>> attempts_;  // at most one outgoing and one incoming
  boost::asio::steady_timer retry_timer_;
  bool retry_armed_ = false;
  Backoff backoff_;
  Backoff restart_window_backoff_;  // jitter only: never beyond connect-retry
  std::chrono::steady_clock::time_point restart_window_end_;
  bool established_once_ = false;
  SessionState shown_state_ = SessionState::Idle;  // the furthest attempt's, for lbctl
  std::uint64_t established_at_usec_ = 0;
  bool initial_table_sent_ = false;  // routes and End-of-RIB since the session came up
  std::set<Prefix> received_;        // prefixes the peer announced and did not withdraw
  std::uint64_t updates_received_ = 0;
  std::uint64_t malformed_updates_ = 0;
  std::string last_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lbd::bgp
