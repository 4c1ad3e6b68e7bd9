#pragma once
// The BGP finite state machine of RFC 4271 section 8, for one TCP connection to one peer, as
// events in and actions out: the adapter (io/bgp) owns the socket and the timers, feeds what
// happened, and does what the returned actions say, in order. No clocks: timers are durations
// the adapter arms and reports back as events.
//
// Differences from the RFC's optional attributes (section 8.1.1), chosen for a route-server-
// facing speaker that only originates routes:
//   - DelayOpen, DampPeerOscillations, SendNOTIFICATIONwithoutOPEN: off;
//   - one FSM per connection: the adapter runs a second FSM for an incoming connection that
//     collides with one in OpenSent/OpenConfirm and settles the collision with
//     collisionKeepsIncoming() once that connection's OPEN arrives (section 6.8);
//   - connect-retry spacing (with backoff and jitter) is the adapter's: the FSM only says when a
//     connection is needed and when it failed.
// The OPEN is checked here (section 6.2: version, peer AS, hold time, BGP identifier) and the
// capabilities negotiated (RFC 5492, RFC 6793, RFC 4760, RFC 4724); the result is in Negotiated.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bgp/codec.h"
#include "core/bgp/message.h"

namespace lbd::bgp {

enum class SessionState : std::uint8_t {
  Idle,
  Connect,
  Active,
  OpenSent,
  OpenConfirm,
  Established
};
/// "idle", "connect", "active", "open-sent", "open-confirm", "established" (lbctl, D-Bus).
std::string_view toString(SessionState state);

/// What this side offers and expects; fixed for the life of a connection.
struct SessionSettings {
  std::uint32_t local_asn = 0;
  std::uint32_t peer_asn = 0;               // the peer's OPEN must carry this AS (else Bad Peer AS)
  std::uint32_t router_id = 0;              // our BGP identifier, host order, != 0
  std::chrono::seconds hold_time{90};       // 0 (no keepalives) or >= 3
  std::chrono::seconds keepalive_time{30};  // used when the negotiated hold time allows it
  std::vector<Family> families;             // offered in the multiprotocol capability
  /// RFC 4724: offer graceful restart with this restart time (0 = do not offer).
  std::uint16_t graceful_restart_time = 0;
  /// RFC 4724 section 3: the R bit, set when lbd starts again after a planned restart.
  bool restarting = false;
  /// Forwarding preserved across our restart (F bit): true for lbd, whose "forwarding" (the
  /// host's kube-proxy) does not stop when lbd does.
  bool forwarding_preserved = true;
};

/// The result of a successful OPEN exchange.
struct Negotiated {
  std::uint32_t peer_asn = 0;
  std::uint32_t peer_router_id = 0;
  std::chrono::seconds hold_time{0};       // min(ours, theirs); 0 = no hold timer
  std::chrono::seconds keepalive_time{0};  // 0 = no keepalives
  std::vector<Family> families;            // offered by both (IPv4 unicast if neither sent MP)
  CodecOptions codec;                      // four_octet_asn, internal_peer
  bool route_refresh = false;              // the peer accepts ROUTE-REFRESH
  std::optional<GracefulRestartCapability> peer_graceful_restart;
  OpenMessage peer_open;  // as received, for lbctl
};

enum class Timer : std::uint8_t { Hold, Keepalive };

// ---- Events (section 8.1.2-8.1.5, the subset lbd needs) ----
struct ManualStart {};  // event 1: the adapter may connect out and accept
struct ManualStop {     // event 2: close with NOTIFICATION Cease (the given subcode/data)
  NotificationMessage notification{
      static_cast<std::uint8_t>(ErrorCode::Cease), cease::kAdministrativeShutdown, {}};
};
struct TcpConnected {};  // events 16/17: the connection (either direction) is up
struct TcpFailed {};     // event 18: connect failed or the connection closed/reset
struct TimerExpired {    // events 10/11
  Timer timer;
};
struct MessageReceived {  // events 19-28: a decoded message (codec.h)
  DecodedMessage decoded;
};
struct MessageError {  // events 21/22/28: the codec's NOTIFICATION for a bad message
  NotificationMessage notification;
};
using SessionEvent = std::variant<ManualStart, ManualStop, TcpConnected, TcpFailed, TimerExpired,
                                  MessageReceived, MessageError>;

// ---- Actions ----
struct Connect {};    // open a connection (or keep accepting); the adapter spaces retries
struct SendMessage {  // encode and write (for UPDATEs the adapter encodes from its RIB)
  Message message;
};
struct CloseConnection {};  // after any queued writes are flushed
struct ArmTimer {           // (re)start the timer with this duration
  Timer timer;
  std::chrono::seconds duration;
};
struct CancelTimer {
  Timer timer;
};
struct StateChanged {  // for logs, lbctl, D-Bus signals
  SessionState from;
  SessionState to;
};
struct SessionEstablished {  // send the Adj-RIB-Out now, then End-of-RIB per family
  Negotiated negotiated;
};
struct SessionDown {   // the session (or attempt) ended; retry per the adapter's backoff
  std::string reason;  // one phrase: "hold timer expired", "peer sent NOTIFICATION ..."
  std::optional<NotificationMessage> sent;      // what we sent, if anything
  std::optional<NotificationMessage> received;  // what the peer sent, if anything
  bool was_established = false;
};
struct UpdateReceived {  // counted, validated, never installed
  UpdateMessage update;
  UpdateErrorAction action = UpdateErrorAction::None;
  std::string problem;
};
struct RouteRefreshRequested {  // re-send the Adj-RIB-Out of this family
  Family family;
};
using SessionAction =
    std::variant<Connect, SendMessage, CloseConnection, ArmTimer, CancelTimer, StateChanged,
                 SessionEstablished, SessionDown, UpdateReceived, RouteRefreshRequested>;

class SessionFsm {
 public:
  explicit SessionFsm(SessionSettings settings);

  /// Feeds one event; returns what to do, in order.
  std::vector<SessionAction> handle(const SessionEvent& event);

  SessionState state() const { return state_; }
  const std::optional<Negotiated>& negotiated() const { return negotiated_; }
  const SessionSettings& settings() const { return settings_; }

  /// The OPEN this side sends.
  OpenMessage openMessage() const;

 private:
  SessionSettings settings_;
  SessionState state_ = SessionState::Idle;
  std::optional<Negotiated> negotiated_;
};

/// RFC 4271 section 6.8: when a second connection to the same peer reaches OpenConfirm (or
/// receives its OPEN) while another is in OpenSent/OpenConfirm, the one initiated by the side
/// with the higher BGP identifier survives. True when the incoming connection (initiated by the
/// peer) is kept and ours is closed with Cease / Connection Collision Resolution.
bool collisionKeepsIncoming(std::uint32_t local_router_id, std::uint32_t peer_router_id);

}  // namespace lbd::bgp
