// The BGP FSM of RFC 4271 section 8 (see session_fsm.h). Each event is handled by one Step over
// the FSM's fields, which appends actions in the order the adapter performs them. Every way out
// of a session goes through Step::down(), so a session always ends the same way: NOTIFICATION
// (if one is due), close, both timers cancelled, StateChanged to Idle, then SessionDown.
#include "core/bgp/session_fsm.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core/ip.h"

namespace lbd::bgp {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

using std::chrono::seconds;

// RFC 4271 section 8.2.2 (Connect/Active on TcpConnectionConfirmed): until the peer's OPEN
// says otherwise the hold timer runs with "a large value"; 4 minutes is the suggested one.
constexpr seconds kInitialHoldTime{240};

NotificationMessage notification(ErrorCode code, std::uint8_t subcode,
                                 std::vector<std::uint8_t> data = {}) {
  return {static_cast<std::uint8_t>(code), subcode, std::move(data)};
}

// The OPEN's fields are 16 bits (hold time) and 12 bits (restart time, RFC 4724 section 3).
std::uint16_t offeredHoldTime(const SessionSettings& settings) {
  return static_cast<std::uint16_t>(
      std::clamp<seconds::rep>(settings.hold_time.count(), 0, 0xFFFF));
}
std::uint16_t offeredRestartTime(const SessionSettings& settings) {
  return std::min<std::uint16_t>(settings.graceful_restart_time, 0x0FFF);
}

const char* messageName(const Message& message) {
  static constexpr std::array<const char*, std::variant_size_v<Message>> kNames = {
      "OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE", "ROUTE-REFRESH"};
  return kNames[message.index()];
}

bool contains(const std::vector<Family>& families, const Family& family) {
  return std::find(families.begin(), families.end(), family) != families.end();
}

// RFC 4760 section 8: without the multiprotocol capability a speaker carries what plain
// RFC 4271 carries, IPv4 unicast only.
std::vector<Family> carried(const std::vector<Family>& offered) {
  return offered.empty() ? std::vector<Family>{Family::ipv4Unicast()} : offered;
}

std::vector<Family> commonFamilies(const std::vector<Family>& ours,
                                   const std::vector<Family>& theirs) {
  const std::vector<Family> local = carried(ours);
  const std::vector<Family> peer = carried(theirs);
  std::vector<Family> common;
  for (const Family& family : local) {
    if (contains(peer, family) && !contains(common, family)) common.push_back(family);
  }
  return common;
}

// States in which we have sent our OPEN, so that a NOTIFICATION may follow it (the FSM runs
// with SendNOTIFICATIONwithoutOPEN off, RFC 4271 section 8.1.1).
bool openSent(SessionState state) {
  return state == SessionState::OpenSent || state == SessionState::OpenConfirm ||
         state == SessionState::Established;
}

// RFC 6608: the Finite State Machine Error subcode names the state the message arrived in.
std::uint8_t fsmErrorSubcode(SessionState state) {
  switch (state) {
    case SessionState::OpenSent:
      return 1;
    case SessionState::OpenConfirm:
      return 2;
    case SessionState::Established:
      return 3;
    default:
      return 0;  // unspecified
  }
}

struct Rejection {
  NotificationMessage notification;
  std::string reason;
};

// RFC 4271 section 6.2, in the section's order: version, peer AS, hold time, BGP identifier.
std::optional<Rejection> checkOpen(const OpenMessage& open, const SessionSettings& settings) {
  if (open.version != kBgpVersion) {
    // The data is the largest version we support, as a 2-octet number.
    return Rejection{notification(ErrorCode::OpenMessage, open_error::kUnsupportedVersionNumber,
                                  {0, kBgpVersion}),
                     "bad OPEN: unsupported version " + std::to_string(open.version)};
  }
  if (open.asn() != settings.peer_asn) {
    return Rejection{notification(ErrorCode::OpenMessage, open_error::kBadPeerAs),
                     "bad OPEN: peer AS " + std::to_string(open.asn()) + ", expected " +
                         std::to_string(settings.peer_asn)};
  }
  // Section 4.2: zero or at least three seconds.
  if (open.hold_time == 1 || open.hold_time == 2) {
    return Rejection{notification(ErrorCode::OpenMessage, open_error::kUnacceptableHoldTime),
                     "bad OPEN: hold time " + std::to_string(open.hold_time) + " s"};
  }
  // RFC 6286 section 2.2 refuses zero, and an identifier equal to ours from an internal peer;
  // lbd refuses an equal one from any peer, since collision resolution (section 6.8) could not
  // tell the two connections apart.
  if (open.bgp_identifier == 0 || open.bgp_identifier == settings.router_id) {
    return Rejection{notification(ErrorCode::OpenMessage, open_error::kBadBgpIdentifier),
                     "bad OPEN: BGP identifier " + IpAddress::v4(open.bgp_identifier).toString()};
  }
  return std::nullopt;
}

Negotiated negotiate(const OpenMessage& open, const SessionSettings& settings) {
  Negotiated result;
  result.peer_asn = open.asn();
  result.peer_router_id = open.bgp_identifier;
  // RFC 4271 section 4.2: the smaller hold time, zero meaning none (either side can ask).
  const seconds ours{offeredHoldTime(settings)};
  const seconds theirs{open.hold_time};
  result.hold_time =
      (ours.count() == 0 || theirs.count() == 0) ? seconds{0} : std::min(ours, theirs);
  // Section 4.4: keepalives at most a third of the hold time apart, and at least a second.
  if (result.hold_time.count() > 0) {
    result.keepalive_time =
        std::max(seconds{1}, std::min(settings.keepalive_time, result.hold_time / 3));
  }
  const Capabilities& capabilities = open.capabilities;
  result.families = commonFamilies(settings.families, capabilities.multiprotocol);
  // RFC 6793 section 4: 4-octet AS paths when both sent the capability (we always do).
  result.codec.four_octet_asn = capabilities.four_octet_asn.has_value();
  result.codec.internal_peer = result.peer_asn == settings.local_asn;
  result.route_refresh = capabilities.route_refresh;  // RFC 2918 section 3
  result.peer_graceful_restart = capabilities.graceful_restart;
  result.peer_open = open;
  return result;
}

class Step {
 public:
  Step(const SessionFsm& fsm, SessionState& state, std::optional<Negotiated>& negotiated)
      : fsm_(fsm), settings_(fsm.settings()), state_(state), negotiated_(negotiated) {}

  std::vector<SessionAction> take() { return std::move(actions_); }

  // Event 1. The adapter connects out (or accepts) and reports TcpConnected.
  void manualStart() {
    if (state_ != SessionState::Idle) return;
    moveTo(SessionState::Connect);
    emit(Connect{});
  }

  // Event 2: Cease after our OPEN, a plain close before it.
  void manualStop(const NotificationMessage& cease) {
    if (state_ == SessionState::Idle) return;
    down("stopped", openSent(state_) ? std::optional(cease) : std::nullopt, std::nullopt);
  }

  // Events 16/17 (section 8.2.2, Connect and Active): send OPEN, wait for the peer's.
  void tcpConnected() {
    if (openSent(state_)) return;
    emit(SendMessage{fsm_.openMessage()});
    emit(ArmTimer{Timer::Hold, kInitialHoldTime});
    moveTo(SessionState::OpenSent);
  }

  // Event 18: the connection is already gone, nothing to send or close.
  void tcpFailed() {
    if (state_ == SessionState::Idle) return;
    const char* reason = openSent(state_) ? "connection closed" : "connection failed";
    down(reason, std::nullopt, std::nullopt, /*close=*/false);
  }

  void timerExpired(Timer timer) {
    if (!openSent(state_)) return;  // fired after the session ended: stale
    if (timer == Timer::Hold) {
      // Section 6.5.
      down("hold timer expired", notification(ErrorCode::HoldTimerExpired, 0), std::nullopt);
      return;
    }
    // Section 8.2.2 (OpenConfirm, Established): KeepaliveTimer_Expires.
    if (state_ == SessionState::OpenSent || keepalive().count() == 0) return;
    emit(SendMessage{KeepaliveMessage{}});
    emit(ArmTimer{Timer::Keepalive, keepalive()});
  }

  // Events 21/22/28 (section 6.1, 6.2, 6.3): the codec's NOTIFICATION goes out as it is.
  void messageError(const NotificationMessage& error) {
    if (state_ == SessionState::Idle) return;
    down("bad message: " + error.describe(), openSent(state_) ? std::optional(error) : std::nullopt,
         std::nullopt);
  }

  void message(const DecodedMessage& decoded) {
    const Message& message = decoded.message;
    if (state_ == SessionState::Idle) return;
    // Events 24/25: a NOTIFICATION ends the session in every state.
    if (const auto* received = std::get_if<NotificationMessage>(&message)) {
      down("peer sent NOTIFICATION " + received->describe(), std::nullopt, *received);
      return;
    }
    switch (state_) {
      case SessionState::OpenSent:  // event 19
        if (const auto* open = std::get_if<OpenMessage>(&message)) return receiveOpen(*open);
        break;
      case SessionState::OpenConfirm:  // event 26
        if (std::holds_alternative<KeepaliveMessage>(message)) return confirm();
        break;
      case SessionState::Established:
        if (!std::holds_alternative<OpenMessage>(message)) return established(decoded);
        break;
      default:
        break;
    }
    unexpected(message);
  }

 private:
  void emit(SessionAction action) { actions_.push_back(std::move(action)); }

  void moveTo(SessionState to) {
    emit(StateChanged{state_, to});
    state_ = to;
  }

  seconds hold() const { return negotiated_ ? negotiated_->hold_time : seconds{0}; }
  seconds keepalive() const { return negotiated_ ? negotiated_->keepalive_time : seconds{0}; }

  void restartHold() {
    if (hold().count() > 0) emit(ArmTimer{Timer::Hold, hold()});
  }

  void receiveOpen(const OpenMessage& open) {
    if (auto rejection = checkOpen(open, settings_)) {
      down(std::move(rejection->reason), std::move(rejection->notification), std::nullopt);
      return;
    }
    negotiated_ = negotiate(open, settings_);
    // Section 8.2.2 (OpenSent, BGPOpen): KEEPALIVE, timers from the negotiated hold time.
    emit(SendMessage{KeepaliveMessage{}});
    if (hold().count() > 0)
      emit(ArmTimer{Timer::Hold, hold()});
    else
      emit(CancelTimer{Timer::Hold});
    if (keepalive().count() > 0) emit(ArmTimer{Timer::Keepalive, keepalive()});
    moveTo(SessionState::OpenConfirm);
  }

  void confirm() {
    restartHold();
    moveTo(SessionState::Established);
    emit(SessionEstablished{*negotiated_});
  }

  // Section 8.2.2 (Established): KEEPALIVE and UPDATE restart the hold timer (events 26/27).
  void established(const DecodedMessage& decoded) {
    std::visit(Overloaded{
                   [&](const KeepaliveMessage&) { restartHold(); },
                   [&](const UpdateMessage& update) {
                     restartHold();
                     emit(UpdateReceived{update, decoded.update_action, decoded.problem});
                   },
                   // RFC 2918 section 4: a family not negotiated is ignored.
                   [&](const RouteRefreshMessage& refresh) {
                     if (contains(negotiated_->families, refresh.family))
                       emit(RouteRefreshRequested{refresh.family});
                   },
                   [&](const auto&) {},  // OPEN and NOTIFICATION never get here
               },
               decoded.message);
  }

  // Section 6.6 with RFC 6608's subcodes; before our OPEN there is nothing to send.
  void unexpected(const Message& message) {
    std::string reason =
        std::string("unexpected ") + messageName(message) + " in " + std::string(toString(state_));
    std::optional<NotificationMessage> sent;
    if (openSent(state_))
      sent = notification(ErrorCode::FiniteStateMachine, fsmErrorSubcode(state_));
    down(std::move(reason), std::move(sent), std::nullopt);
  }

  // Back to Idle, releasing everything (section 8.2.2, the common "goes to Idle" steps).
  void down(std::string reason, std::optional<NotificationMessage> sent,
            std::optional<NotificationMessage> received, bool close = true) {
    const bool was_established = state_ == SessionState::Established;
    if (sent) emit(SendMessage{*sent});
    if (close) emit(CloseConnection{});
    emit(CancelTimer{Timer::Hold});
    emit(CancelTimer{Timer::Keepalive});
    moveTo(SessionState::Idle);
    negotiated_.reset();
    emit(SessionDown{std::move(reason), std::move(sent), std::move(received), was_established});
  }

  const SessionFsm& fsm_;
  const SessionSettings& settings_;
  SessionState& state_;
  std::optional<Negotiated>& negotiated_;
  std::vector<SessionAction> actions_;
};

}  // namespace

std::string_view toString(SessionState state) {
  switch (state) {
    case SessionState::Idle:
      return "idle";
    case SessionState::Connect:
      return "connect";
    case SessionState::Active:
      return "active";
    case SessionState::OpenSent:
      return "open-sent";
    case SessionState::OpenConfirm:
      return "open-confirm";
    case SessionState::Established:
      return "established";
  }
  return "unknown";
}

SessionFsm::SessionFsm(SessionSettings settings) : settings_(std::move(settings)) {}

std::vector<SessionAction> SessionFsm::handle(const SessionEvent& event) {
  Step step(*this, state_, negotiated_);
  std::visit(Overloaded{
                 [&](const ManualStart&) { step.manualStart(); },
                 [&](const ManualStop& stop) { step.manualStop(stop.notification); },
                 [&](const TcpConnected&) { step.tcpConnected(); },
                 [&](const TcpFailed&) { step.tcpFailed(); },
                 [&](const TimerExpired& expired) { step.timerExpired(expired.timer); },
                 [&](const MessageReceived& received) { step.message(received.decoded); },
                 [&](const MessageError& error) { step.messageError(error.notification); },
             },
             event);
  return step.take();
}

// RFC 4271 section 4.2 and the capabilities of RFC 5492: multiprotocol (RFC 4760), route
// refresh (RFC 2918), 4-octet AS (RFC 6793, with AS_TRANS in My AS), graceful restart (RFC 4724).
OpenMessage SessionFsm::openMessage() const {
  OpenMessage open;
  open.version = kBgpVersion;
  open.my_as =
      settings_.local_asn <= 0xFFFF ? static_cast<std::uint16_t>(settings_.local_asn) : kAsTrans;
  open.hold_time = offeredHoldTime(settings_);
  open.bgp_identifier = settings_.router_id;
  Capabilities& capabilities = open.capabilities;
  capabilities.multiprotocol = settings_.families;
  capabilities.route_refresh = true;
  capabilities.four_octet_asn = settings_.local_asn;
  if (settings_.graceful_restart_time > 0) {
    GracefulRestartCapability restart;
    restart.restart_state = settings_.restarting;
    restart.restart_time = offeredRestartTime(settings_);
    for (const Family& family : settings_.families)
      restart.families.push_back({family, settings_.forwarding_preserved});
    capabilities.graceful_restart = std::move(restart);
  }
  return open;
}

bool collisionKeepsIncoming(std::uint32_t local_router_id, std::uint32_t peer_router_id) {
  // RFC 4271 section 6.8: identifiers compare as host-order unsigned integers; the connection
  // opened by the higher one survives.
  return peer_router_id > local_router_id;
}

}  // namespace lbd::bgp
