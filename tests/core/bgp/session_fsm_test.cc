// The BGP session FSM (RFC 4271 section 8) driven event by event: the exact actions of the happy
// path, OPEN checks (section 6.2) and capability negotiation (RFC 4760, RFC 6793, RFC 4724),
// hold timer expiry, FSM errors with RFC 6608 subcodes, NOTIFICATIONs either way, ManualStop in
// each state and the collision rule of section 6.8.
#include "core/bgp/session_fsm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lbd::bgp {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr std::uint32_t kLocalId = 0x0A000001;  // 10.0.0.1
constexpr std::uint32_t kPeerId = 0x0A000002;   // 10.0.0.2
const Family kOtherFamily{3, 5};

SessionSettings settings() {
  SessionSettings s;
  s.local_asn = 65001;
  s.peer_asn = 65002;
  s.router_id = kLocalId;
  s.hold_time = seconds(90);
  s.keepalive_time = seconds(30);
  s.families = {Family::ipv4Unicast(), Family::ipv6Unicast()};
  return s;
}

OpenMessage peerOpen() {
  OpenMessage open;
  open.my_as = 65002;
  open.hold_time = 90;
  open.bgp_identifier = kPeerId;
  open.capabilities.multiprotocol = {Family::ipv4Unicast(), Family::ipv6Unicast()};
  open.capabilities.route_refresh = true;
  open.capabilities.four_octet_asn = 65002;
  return open;
}

NotificationMessage notification(ErrorCode code, std::uint8_t subcode) {
  return {static_cast<std::uint8_t>(code), subcode, {}};
}

SessionEvent received(Message message) {
  return MessageReceived{DecodedMessage{std::move(message), UpdateErrorAction::None, {}}};
}

std::string familyText(const Family& family) {
  return std::to_string(family.afi) + "/" + std::to_string(family.safi);
}
std::string timerText(Timer timer) {
  return timer == Timer::Hold ? "hold" : "keepalive";
}
std::string codes(const std::optional<NotificationMessage>& n) {
  return n ? std::to_string(n->code) + "/" + std::to_string(n->subcode) : "-";
}

// One line per action, so that whole sequences compare at a glance.
std::string text(const SessionAction& action) {
  static const char* const kMessages[] = {"OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE",
                                          "ROUTE-REFRESH"};
  struct Visitor {
    std::string operator()(const Connect&) const { return "connect"; }
    std::string operator()(const SendMessage& send) const {
      std::string out = std::string("send ") + kMessages[send.message.index()];
      if (const auto* n = std::get_if<NotificationMessage>(&send.message)) out += " " + codes(*n);
      return out;
    }
    std::string operator()(const CloseConnection&) const { return "close"; }
    std::string operator()(const ArmTimer& arm) const {
      return "arm " + timerText(arm.timer) + " " + std::to_string(arm.duration.count()) + "s";
    }
    std::string operator()(const CancelTimer& cancel) const {
      return "cancel " + timerText(cancel.timer);
    }
    std::string operator()(const StateChanged& changed) const {
      return std::string(toString(changed.from)) + " -> " + std::string(toString(changed.to));
    }
    std::string operator()(const SessionEstablished&) const { return "established"; }
    std::string operator()(const SessionDown& down) const {
      return "down sent=" + codes(down.sent) + " received=" + codes(down.received) +
             (down.was_established ? " was-established" : "");
    }
    std::string operator()(const UpdateReceived&) const { return "update"; }
    std::string operator()(const RouteRefreshRequested& refresh) const {
      return "refresh " + familyText(refresh.family);
    }
  };
  return std::visit(Visitor{}, action);
}

std::vector<std::string> texts(const std::vector<SessionAction>& actions) {
  std::vector<std::string> out;
  for (const auto& action : actions)
    out.push_back(text(action));
  return out;
}

const SessionDown& lastDown(const std::vector<SessionAction>& actions) {
  return std::get<SessionDown>(actions.back());
}

// The FSM brought to a state by the happy path.
SessionFsm inOpenSent(SessionSettings s = settings()) {
  SessionFsm fsm(std::move(s));
  fsm.handle(ManualStart{});
  fsm.handle(TcpConnected{});
  return fsm;
}
SessionFsm inOpenConfirm(SessionSettings s = settings(), OpenMessage open = peerOpen()) {
  SessionFsm fsm = inOpenSent(std::move(s));
  fsm.handle(received(std::move(open)));
  return fsm;
}
SessionFsm inEstablished(SessionSettings s = settings(), OpenMessage open = peerOpen()) {
  SessionFsm fsm = inOpenConfirm(std::move(s), std::move(open));
  fsm.handle(received(KeepaliveMessage{}));
  return fsm;
}

// What the peer's OPEN negotiates, given our settings.
Negotiated negotiatedWith(SessionSettings s, OpenMessage open) {
  SessionFsm fsm = inOpenConfirm(std::move(s), std::move(open));
  EXPECT_EQ(fsm.state(), SessionState::OpenConfirm);
  return fsm.negotiated().value_or(Negotiated{});
}

// ---- names ----

TEST(SessionFsm, StateNames) {
  EXPECT_EQ(toString(SessionState::Idle), "idle");
  EXPECT_EQ(toString(SessionState::Connect), "connect");
  EXPECT_EQ(toString(SessionState::Active), "active");
  EXPECT_EQ(toString(SessionState::OpenSent), "open-sent");
  EXPECT_EQ(toString(SessionState::OpenConfirm), "open-confirm");
  EXPECT_EQ(toString(SessionState::Established), "established");
}

// ---- the happy path ----

TEST(SessionFsm, HappyPathActionsInOrder) {
  SessionFsm fsm(settings());
  EXPECT_EQ(fsm.state(), SessionState::Idle);
  EXPECT_THAT(texts(fsm.handle(ManualStart{})), ElementsAre("idle -> connect", "connect"));
  EXPECT_EQ(fsm.state(), SessionState::Connect);

  // Section 8.2.2: OPEN out, a large hold time (4 minutes) until the peer's OPEN.
  const auto connected = fsm.handle(TcpConnected{});
  EXPECT_THAT(texts(connected), ElementsAre("send OPEN", "arm hold 240s", "connect -> open-sent"));
  EXPECT_EQ(std::get<OpenMessage>(std::get<SendMessage>(connected[0]).message), fsm.openMessage());
  EXPECT_FALSE(fsm.negotiated());

  EXPECT_THAT(texts(fsm.handle(received(peerOpen()))),
              ElementsAre("send KEEPALIVE", "arm hold 90s", "arm keepalive 30s",
                          "open-sent -> open-confirm"));
  ASSERT_TRUE(fsm.negotiated());

  const auto up = fsm.handle(received(KeepaliveMessage{}));
  EXPECT_THAT(texts(up), ElementsAre("arm hold 90s", "open-confirm -> established", "established"));
  EXPECT_EQ(fsm.state(), SessionState::Established);
  const Negotiated& negotiated = std::get<SessionEstablished>(up[2]).negotiated;
  EXPECT_EQ(negotiated.peer_asn, 65002u);
  EXPECT_EQ(negotiated.peer_router_id, kPeerId);
  EXPECT_EQ(negotiated.hold_time, seconds(90));
  EXPECT_EQ(negotiated.keepalive_time, seconds(30));
  EXPECT_EQ(negotiated.families,
            (std::vector<Family>{Family::ipv4Unicast(), Family::ipv6Unicast()}));
  EXPECT_TRUE(negotiated.codec.four_octet_asn);
  EXPECT_FALSE(negotiated.codec.internal_peer);
  EXPECT_TRUE(negotiated.route_refresh);
  EXPECT_FALSE(negotiated.peer_graceful_restart);
  EXPECT_EQ(negotiated.peer_open, peerOpen());
  EXPECT_EQ(fsm.negotiated()->peer_open, peerOpen());
}

TEST(SessionFsm, ManualStartOutsideIdleDoesNothing) {
  SessionFsm fsm(settings());
  fsm.handle(ManualStart{});
  EXPECT_THAT(fsm.handle(ManualStart{}), IsEmpty());
  EXPECT_EQ(fsm.state(), SessionState::Connect);
  fsm.handle(TcpConnected{});
  EXPECT_THAT(fsm.handle(ManualStart{}), IsEmpty());
  EXPECT_EQ(fsm.state(), SessionState::OpenSent);
  SessionFsm established = inEstablished();
  EXPECT_THAT(established.handle(ManualStart{}), IsEmpty());
  EXPECT_THAT(established.handle(TcpConnected{}), IsEmpty());
  EXPECT_EQ(established.state(), SessionState::Established);
}

TEST(SessionFsm, AcceptedConnectionGoesFromIdleToOpenSent) {
  SessionFsm fsm(settings());
  EXPECT_THAT(texts(fsm.handle(TcpConnected{})),
              ElementsAre("send OPEN", "arm hold 240s", "idle -> open-sent"));
}

// ---- our OPEN ----

TEST(SessionFsm, OpenMessageCarriesSettingsAndCapabilities) {
  const OpenMessage open = SessionFsm(settings()).openMessage();
  EXPECT_EQ(open.version, 4);
  EXPECT_EQ(open.my_as, 65001);
  EXPECT_EQ(open.hold_time, 90);
  EXPECT_EQ(open.bgp_identifier, kLocalId);
  EXPECT_EQ(open.capabilities.multiprotocol, settings().families);
  EXPECT_TRUE(open.capabilities.route_refresh);
  EXPECT_EQ(open.capabilities.four_octet_asn, 65001u);
  EXPECT_FALSE(open.capabilities.graceful_restart);
  EXPECT_THAT(open.capabilities.unknown, IsEmpty());
}

TEST(SessionFsm, OpenMessageUsesAsTransForFourOctetAsn) {
  SessionSettings s = settings();
  s.local_asn = 4200000001;
  const OpenMessage open = SessionFsm(s).openMessage();
  EXPECT_EQ(open.my_as, kAsTrans);
  EXPECT_EQ(open.capabilities.four_octet_asn, 4200000001u);
  s.local_asn = 65535;  // the largest that fits
  EXPECT_EQ(SessionFsm(s).openMessage().my_as, 65535);
}

TEST(SessionFsm, OpenMessageOffersGracefulRestart) {
  SessionSettings s = settings();
  s.graceful_restart_time = 120;
  s.restarting = true;
  s.forwarding_preserved = true;
  auto restart = SessionFsm(s).openMessage().capabilities.graceful_restart;
  ASSERT_TRUE(restart);
  EXPECT_TRUE(restart->restart_state);
  EXPECT_FALSE(restart->notification);
  EXPECT_EQ(restart->restart_time, 120);
  EXPECT_THAT(restart->families,
              ElementsAre(GracefulRestartCapability::FamilyFlags{Family::ipv4Unicast(), true},
                          GracefulRestartCapability::FamilyFlags{Family::ipv6Unicast(), true}));

  s.restarting = false;
  s.forwarding_preserved = false;
  restart = SessionFsm(s).openMessage().capabilities.graceful_restart;
  ASSERT_TRUE(restart);
  EXPECT_FALSE(restart->restart_state);
  for (const auto& family : restart->families)
    EXPECT_FALSE(family.forwarding_preserved);
}

// ---- negotiation ----

TEST(SessionFsm, HoldTimeIsTheSmallerAndKeepaliveAThirdOfIt) {
  OpenMessage open = peerOpen();
  open.hold_time = 30;
  SessionFsm fsm = inOpenSent();
  EXPECT_THAT(texts(fsm.handle(received(open))),
              ElementsAre("send KEEPALIVE", "arm hold 30s", "arm keepalive 10s",
                          "open-sent -> open-confirm"));
  EXPECT_EQ(fsm.negotiated()->hold_time, seconds(30));
  EXPECT_EQ(fsm.negotiated()->keepalive_time, seconds(10));

  // Ours is the smaller one.
  open.hold_time = 180;
  EXPECT_EQ(negotiatedWith(settings(), open).hold_time, seconds(90));
  // A configured keepalive below a third of the hold time is kept.
  SessionSettings s = settings();
  s.keepalive_time = seconds(5);
  EXPECT_EQ(negotiatedWith(s, peerOpen()).keepalive_time, seconds(5));
}

TEST(SessionFsm, HoldTimeZeroOnEitherSideMeansNoTimers) {
  OpenMessage open = peerOpen();
  open.hold_time = 0;
  SessionFsm fsm = inOpenSent();
  EXPECT_THAT(texts(fsm.handle(received(open))),
              ElementsAre("send KEEPALIVE", "cancel hold", "open-sent -> open-confirm"));
  EXPECT_EQ(fsm.negotiated()->hold_time, seconds(0));
  EXPECT_EQ(fsm.negotiated()->keepalive_time, seconds(0));
  // Established without a hold timer: nothing to re-arm, ever.
  EXPECT_THAT(texts(fsm.handle(received(KeepaliveMessage{}))),
              ElementsAre("open-confirm -> established", "established"));
  EXPECT_THAT(fsm.handle(received(KeepaliveMessage{})), IsEmpty());
  EXPECT_THAT(fsm.handle(TimerExpired{Timer::Keepalive}), IsEmpty());

  SessionSettings s = settings();
  s.hold_time = seconds(0);
  const Negotiated ours_zero = negotiatedWith(s, peerOpen());
  EXPECT_EQ(ours_zero.hold_time, seconds(0));
  EXPECT_EQ(ours_zero.keepalive_time, seconds(0));
}

TEST(SessionFsm, KeepaliveIsAtLeastOneSecond) {
  OpenMessage open = peerOpen();
  open.hold_time = 3;
  const Negotiated negotiated = negotiatedWith(settings(), open);
  EXPECT_EQ(negotiated.hold_time, seconds(3));
  EXPECT_EQ(negotiated.keepalive_time, seconds(1));
  open.hold_time = 4;  // a third is 1.33: one second, never zero
  EXPECT_EQ(negotiatedWith(settings(), open).keepalive_time, seconds(1));
  SessionSettings s = settings();
  s.keepalive_time = seconds(0);
  EXPECT_EQ(negotiatedWith(s, peerOpen()).keepalive_time, seconds(1));
}

TEST(SessionFsm, FamiliesAreTheIntersection) {
  OpenMessage open = peerOpen();
  open.capabilities.multiprotocol = {kOtherFamily, Family::ipv6Unicast()};
  EXPECT_EQ(negotiatedWith(settings(), open).families, std::vector<Family>{Family::ipv6Unicast()});
}

TEST(SessionFsm, NoMultiprotocolCapabilityMeansIpv4UnicastOnly) {
  // Neither side sent one.
  SessionSettings s = settings();
  s.families.clear();
  OpenMessage open = peerOpen();
  open.capabilities.multiprotocol.clear();
  EXPECT_EQ(negotiatedWith(s, open).families, std::vector<Family>{Family::ipv4Unicast()});
  // Only we did: the peer carries IPv4 unicast only.
  EXPECT_EQ(negotiatedWith(settings(), open).families, std::vector<Family>{Family::ipv4Unicast()});
  // Only the peer did.
  EXPECT_EQ(negotiatedWith(s, peerOpen()).families, std::vector<Family>{Family::ipv4Unicast()});
  // We offer IPv6 only and the peer sent nothing: nothing in common.
  s.families = {Family::ipv6Unicast()};
  EXPECT_THAT(negotiatedWith(s, open).families, IsEmpty());
}

TEST(SessionFsm, FourOctetAsnFromTheCapability) {
  SessionSettings s = settings();
  s.peer_asn = 4200000002;
  OpenMessage open = peerOpen();
  open.my_as = kAsTrans;
  open.capabilities.four_octet_asn = 4200000002;
  const Negotiated negotiated = negotiatedWith(s, open);
  EXPECT_EQ(negotiated.peer_asn, 4200000002u);
  EXPECT_TRUE(negotiated.codec.four_octet_asn);

  // A peer without the capability: 2-octet AS paths on the wire (RFC 6793 section 4.2).
  open = peerOpen();
  open.capabilities.four_octet_asn.reset();
  const Negotiated old_speaker = negotiatedWith(settings(), open);
  EXPECT_EQ(old_speaker.peer_asn, 65002u);
  EXPECT_FALSE(old_speaker.codec.four_octet_asn);
}

TEST(SessionFsm, InternalPeerWhenTheAsnsMatch) {
  SessionSettings s = settings();
  s.peer_asn = s.local_asn;
  OpenMessage open = peerOpen();
  open.my_as = 65001;
  open.capabilities.four_octet_asn = 65001;
  EXPECT_TRUE(negotiatedWith(s, open).codec.internal_peer);
  EXPECT_FALSE(negotiatedWith(settings(), peerOpen()).codec.internal_peer);
}

TEST(SessionFsm, PeerCapabilitiesAreCopied) {
  OpenMessage open = peerOpen();
  open.capabilities.route_refresh = false;
  GracefulRestartCapability restart;
  restart.restart_state = true;
  restart.restart_time = 90;
  restart.families = {{Family::ipv4Unicast(), true}};
  open.capabilities.graceful_restart = restart;
  const Negotiated negotiated = negotiatedWith(settings(), open);
  EXPECT_FALSE(negotiated.route_refresh);
  EXPECT_EQ(negotiated.peer_graceful_restart, restart);
  EXPECT_EQ(negotiated.peer_open, open);
}

// ---- OPEN errors (section 6.2) ----

struct OpenErrorCase {
  const char* name;
  void (*change)(OpenMessage&);
  std::uint8_t subcode;
};

class OpenErrors : public ::testing::TestWithParam<OpenErrorCase> {};

TEST_P(OpenErrors, NotificationThenDown) {
  OpenMessage open = peerOpen();
  GetParam().change(open);
  SessionFsm fsm = inOpenSent();
  const auto actions = fsm.handle(received(open));
  const std::string sent = "2/" + std::to_string(GetParam().subcode);
  EXPECT_THAT(texts(actions),
              ElementsAre("send NOTIFICATION " + sent, "close", "cancel hold", "cancel keepalive",
                          "open-sent -> idle", "down sent=" + sent + " received=-"));
  EXPECT_EQ(fsm.state(), SessionState::Idle);
  EXPECT_FALSE(fsm.negotiated());
  const SessionDown& down = lastDown(actions);
  EXPECT_EQ(down.sent, std::get<NotificationMessage>(std::get<SendMessage>(actions[0]).message));
  EXPECT_FALSE(down.reason.empty());
}

INSTANTIATE_TEST_SUITE_P(
    SessionFsm, OpenErrors,
    ::testing::Values(
        OpenErrorCase{"Version3", [](OpenMessage& o) { o.version = 3; }, 1},
        OpenErrorCase{"Version5", [](OpenMessage& o) { o.version = 5; }, 1},
        OpenErrorCase{"WrongPeerAs",
                      [](OpenMessage& o) {
                        o.my_as = 65003;
                        o.capabilities.four_octet_asn = 65003;
                      },
                      2},
        // The capability counts, not the 2-octet field.
        OpenErrorCase{"WrongFourOctetAs",
                      [](OpenMessage& o) { o.capabilities.four_octet_asn = 4200000002; }, 2},
        // Without the capability, my_as is the AS: AS_TRANS is not 65002.
        OpenErrorCase{"AsTransWithoutCapability",
                      [](OpenMessage& o) {
                        o.my_as = kAsTrans;
                        o.capabilities.four_octet_asn.reset();
                      },
                      2},
        OpenErrorCase{"HoldTime1", [](OpenMessage& o) { o.hold_time = 1; }, 6},
        OpenErrorCase{"HoldTime2", [](OpenMessage& o) { o.hold_time = 2; }, 6},
        OpenErrorCase{"IdentifierZero", [](OpenMessage& o) { o.bgp_identifier = 0; }, 3},
        OpenErrorCase{"IdentifierOurs", [](OpenMessage& o) { o.bgp_identifier = kLocalId; }, 3}),
    [](const ::testing::TestParamInfo<OpenErrorCase>& test) {
      return std::string(test.param.name);
    });

TEST(SessionFsm, UnsupportedVersionCarriesOurVersion) {
  OpenMessage open = peerOpen();
  open.version = 5;
  SessionFsm fsm = inOpenSent();
  const auto actions = fsm.handle(received(open));
  const auto& sent = std::get<NotificationMessage>(std::get<SendMessage>(actions[0]).message);
  EXPECT_EQ(sent.data, (std::vector<std::uint8_t>{0, 4}));
}

TEST(SessionFsm, OpenChecksGoInTheRfcOrder) {
  // Version before AS, AS before hold time, hold time before identifier.
  OpenMessage open = peerOpen();
  open.version = 3;
  open.my_as = 1;
  open.capabilities.four_octet_asn = 1;
  open.hold_time = 1;
  open.bgp_identifier = 0;
  auto subcodeFor = [](const OpenMessage& o) {
    SessionFsm fsm = inOpenSent();
    return std::get<SessionDown>(fsm.handle(received(o)).back()).sent->subcode;
  };
  EXPECT_EQ(subcodeFor(open), open_error::kUnsupportedVersionNumber);
  open.version = 4;
  EXPECT_EQ(subcodeFor(open), open_error::kBadPeerAs);
  open.my_as = 65002;
  open.capabilities.four_octet_asn = 65002;
  EXPECT_EQ(subcodeFor(open), open_error::kUnacceptableHoldTime);
  open.hold_time = 3;
  EXPECT_EQ(subcodeFor(open), open_error::kBadBgpIdentifier);
}

TEST(SessionFsm, HoldTimesZeroAndThreeAreAccepted) {
  for (std::uint16_t hold : {0, 3}) {
    OpenMessage open = peerOpen();
    open.hold_time = hold;
    SessionFsm fsm = inOpenConfirm(settings(), open);
    EXPECT_EQ(fsm.state(), SessionState::OpenConfirm) << hold;
  }
}

// ---- Established ----

TEST(SessionFsm, KeepaliveAndUpdateRestartTheHoldTimer) {
  SessionFsm fsm = inEstablished();
  EXPECT_THAT(texts(fsm.handle(received(KeepaliveMessage{}))), ElementsAre("arm hold 90s"));

  UpdateMessage update;
  update.nlri.push_back(Prefix{IpAddress::v4(0xC0000200), 24});
  DecodedMessage decoded{update, UpdateErrorAction::TreatAsWithdraw, "bad ORIGIN"};
  const auto actions = fsm.handle(MessageReceived{decoded});
  EXPECT_THAT(texts(actions), ElementsAre("arm hold 90s", "update"));
  const auto& got = std::get<UpdateReceived>(actions[1]);
  EXPECT_EQ(got.update, update);
  EXPECT_EQ(got.action, UpdateErrorAction::TreatAsWithdraw);
  EXPECT_EQ(got.problem, "bad ORIGIN");
  EXPECT_EQ(fsm.state(), SessionState::Established);
}

TEST(SessionFsm, RouteRefreshForNegotiatedFamiliesOnly) {
  OpenMessage open = peerOpen();
  open.capabilities.multiprotocol = {Family::ipv6Unicast()};
  SessionFsm fsm = inEstablished(settings(), open);
  EXPECT_THAT(texts(fsm.handle(received(RouteRefreshMessage{Family::ipv6Unicast()}))),
              ElementsAre("refresh 2/1"));
  // RFC 2918 section 4: a family not negotiated is ignored, without an error.
  EXPECT_THAT(fsm.handle(received(RouteRefreshMessage{Family::ipv4Unicast()})), IsEmpty());
  EXPECT_THAT(fsm.handle(received(RouteRefreshMessage{kOtherFamily})), IsEmpty());
  EXPECT_EQ(fsm.state(), SessionState::Established);
}

TEST(SessionFsm, KeepaliveTimerSendsKeepalive) {
  SessionFsm confirm = inOpenConfirm();
  EXPECT_THAT(texts(confirm.handle(TimerExpired{Timer::Keepalive})),
              ElementsAre("send KEEPALIVE", "arm keepalive 30s"));
  SessionFsm established = inEstablished();
  EXPECT_THAT(texts(established.handle(TimerExpired{Timer::Keepalive})),
              ElementsAre("send KEEPALIVE", "arm keepalive 30s"));
  EXPECT_EQ(established.state(), SessionState::Established);
  // Not armed before the OPEN exchange, so a stray expiry there is ignored.
  SessionFsm sent = inOpenSent();
  EXPECT_THAT(sent.handle(TimerExpired{Timer::Keepalive}), IsEmpty());
}

// ---- hold timer expiry (section 6.5) ----

TEST(SessionFsm, HoldTimerExpiryInEachState) {
  struct Case {
    SessionFsm fsm;
    const char* from;
    bool established;
  };
  Case cases[] = {{inOpenSent(), "open-sent", false},
                  {inOpenConfirm(), "open-confirm", false},
                  {inEstablished(), "established", true}};
  for (auto& c : cases) {
    const auto actions = c.fsm.handle(TimerExpired{Timer::Hold});
    EXPECT_THAT(texts(actions), ElementsAre("send NOTIFICATION 4/0", "close", "cancel hold",
                                            "cancel keepalive", std::string(c.from) + " -> idle",
                                            std::string("down sent=4/0 received=-") +
                                                (c.established ? " was-established" : "")));
    EXPECT_EQ(lastDown(actions).reason, "hold timer expired");
    EXPECT_EQ(c.fsm.state(), SessionState::Idle);
  }
}

TEST(SessionFsm, TimersInIdleAndConnectAreStale) {
  SessionFsm fsm(settings());
  EXPECT_THAT(fsm.handle(TimerExpired{Timer::Hold}), IsEmpty());
  fsm.handle(ManualStart{});
  EXPECT_THAT(fsm.handle(TimerExpired{Timer::Hold}), IsEmpty());
  EXPECT_THAT(fsm.handle(TimerExpired{Timer::Keepalive}), IsEmpty());
  EXPECT_EQ(fsm.state(), SessionState::Connect);
}

// ---- FSM errors (section 6.6, RFC 6608 subcodes) ----

TEST(SessionFsm, UnexpectedMessagesGetFsmErrorSubcodes) {
  struct Case {
    SessionFsm fsm;
    Message message;
    const char* from;
    std::uint8_t subcode;
    bool established;
  };
  Case cases[] = {
      {inOpenSent(), UpdateMessage{}, "open-sent", 1, false},
      {inOpenSent(), KeepaliveMessage{}, "open-sent", 1, false},
      {inOpenSent(), RouteRefreshMessage{}, "open-sent", 1, false},
      {inOpenConfirm(), peerOpen(), "open-confirm", 2, false},
      {inOpenConfirm(), UpdateMessage{}, "open-confirm", 2, false},
      {inEstablished(), peerOpen(), "established", 3, true},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(std::string(c.from) + " " + std::to_string(c.message.index()));
    const auto actions = c.fsm.handle(received(c.message));
    const std::string sent = "5/" + std::to_string(c.subcode);
    EXPECT_THAT(texts(actions), ElementsAre("send NOTIFICATION " + sent, "close", "cancel hold",
                                            "cancel keepalive", std::string(c.from) + " -> idle",
                                            "down sent=" + sent + " received=-" +
                                                (c.established ? " was-established" : "")));
    EXPECT_THAT(lastDown(actions).reason, StartsWith("unexpected "));
  }
}

// ---- NOTIFICATIONs ----

TEST(SessionFsm, NotificationReceivedInEachState) {
  const NotificationMessage cease = notification(ErrorCode::Cease, cease::kAdministrativeReset);
  struct Case {
    SessionFsm fsm;
    const char* from;
    bool established;
  };
  Case cases[] = {{inOpenSent(), "open-sent", false},
                  {inOpenConfirm(), "open-confirm", false},
                  {inEstablished(), "established", true}};
  for (auto& c : cases) {
    const auto actions = c.fsm.handle(received(cease));
    EXPECT_THAT(texts(actions), ElementsAre("close", "cancel hold", "cancel keepalive",
                                            std::string(c.from) + " -> idle",
                                            std::string("down sent=- received=6/4") +
                                                (c.established ? " was-established" : "")));
    const SessionDown& down = lastDown(actions);
    EXPECT_THAT(down.reason, StartsWith("peer sent NOTIFICATION "));
    EXPECT_EQ(down.received, cease);
    EXPECT_FALSE(c.fsm.negotiated());
  }
}

TEST(SessionFsm, CodecErrorIsSentAndEndsTheSession) {
  NotificationMessage error =
      notification(ErrorCode::UpdateMessage, update_error::kMalformedAsPath);
  error.data = {2, 1};
  for (SessionFsm fsm : {inOpenSent(), inEstablished()}) {
    const bool established = fsm.state() == SessionState::Established;
    const auto actions = fsm.handle(MessageError{error});
    EXPECT_THAT(texts(actions),
                ElementsAre("send NOTIFICATION 3/11", "close", "cancel hold", "cancel keepalive",
                            established ? "established -> idle" : "open-sent -> idle",
                            std::string("down sent=3/11 received=-") +
                                (established ? " was-established" : "")));
    EXPECT_EQ(std::get<NotificationMessage>(std::get<SendMessage>(actions[0]).message), error);
    EXPECT_EQ(lastDown(actions).sent, error);
  }
}

// ---- ManualStop (event 2) ----

TEST(SessionFsm, ManualStopInIdleDoesNothing) {
  SessionFsm fsm(settings());
  EXPECT_THAT(fsm.handle(ManualStop{}), IsEmpty());
  EXPECT_EQ(fsm.state(), SessionState::Idle);
}

TEST(SessionFsm, ManualStopBeforeOpenOnlyCloses) {
  SessionFsm fsm(settings());
  fsm.handle(ManualStart{});
  const auto actions = fsm.handle(ManualStop{});
  EXPECT_THAT(texts(actions), ElementsAre("close", "cancel hold", "cancel keepalive",
                                          "connect -> idle", "down sent=- received=-"));
  EXPECT_EQ(lastDown(actions).reason, "stopped");
}

TEST(SessionFsm, ManualStopAfterOpenSendsTheCease) {
  struct Case {
    SessionFsm fsm;
    const char* from;
    bool established;
  };
  Case cases[] = {{inOpenSent(), "open-sent", false},
                  {inOpenConfirm(), "open-confirm", false},
                  {inEstablished(), "established", true}};
  for (auto& c : cases) {
    const auto actions = c.fsm.handle(ManualStop{});
    EXPECT_THAT(texts(actions), ElementsAre("send NOTIFICATION 6/2", "close", "cancel hold",
                                            "cancel keepalive", std::string(c.from) + " -> idle",
                                            std::string("down sent=6/2 received=-") +
                                                (c.established ? " was-established" : "")));
    EXPECT_EQ(lastDown(actions).reason, "stopped");
  }
  // The given NOTIFICATION goes out as it is (here: collision resolution).
  const NotificationMessage collision =
      notification(ErrorCode::Cease, cease::kConnectionCollisionResolution);
  SessionFsm fsm = inOpenConfirm();
  const auto actions = fsm.handle(ManualStop{collision});
  EXPECT_EQ(std::get<NotificationMessage>(std::get<SendMessage>(actions[0]).message), collision);
  EXPECT_EQ(lastDown(actions).sent, collision);
}

// ---- the connection going away (event 18) ----

TEST(SessionFsm, TcpFailedInEachState) {
  SessionFsm idle(settings());
  EXPECT_THAT(idle.handle(TcpFailed{}), IsEmpty());

  SessionFsm connecting(settings());
  connecting.handle(ManualStart{});
  auto actions = connecting.handle(TcpFailed{});
  EXPECT_THAT(texts(actions), ElementsAre("cancel hold", "cancel keepalive", "connect -> idle",
                                          "down sent=- received=-"));
  EXPECT_EQ(lastDown(actions).reason, "connection failed");

  SessionFsm sent = inOpenSent();
  actions = sent.handle(TcpFailed{});
  EXPECT_THAT(texts(actions), ElementsAre("cancel hold", "cancel keepalive", "open-sent -> idle",
                                          "down sent=- received=-"));
  EXPECT_EQ(lastDown(actions).reason, "connection closed");

  SessionFsm established = inEstablished();
  actions = established.handle(TcpFailed{});
  EXPECT_THAT(texts(actions), ElementsAre("cancel hold", "cancel keepalive", "established -> idle",
                                          "down sent=- received=- was-established"));
  EXPECT_EQ(lastDown(actions).reason, "connection closed");
}

TEST(SessionFsm, IdleIgnoresMessages) {
  SessionFsm fsm(settings());
  EXPECT_THAT(fsm.handle(received(peerOpen())), IsEmpty());
  EXPECT_THAT(fsm.handle(received(notification(ErrorCode::Cease, 2))), IsEmpty());
  EXPECT_THAT(fsm.handle(MessageError{notification(ErrorCode::MessageHeader, 1)}), IsEmpty());
  EXPECT_EQ(fsm.state(), SessionState::Idle);
}

TEST(SessionFsm, StartsAgainAfterGoingDown) {
  SessionFsm fsm = inEstablished();
  fsm.handle(TimerExpired{Timer::Hold});
  EXPECT_FALSE(fsm.negotiated());
  EXPECT_THAT(texts(fsm.handle(ManualStart{})), ElementsAre("idle -> connect", "connect"));
  fsm.handle(TcpConnected{});
  OpenMessage open = peerOpen();
  open.hold_time = 9;
  fsm.handle(received(open));
  EXPECT_THAT(texts(fsm.handle(received(KeepaliveMessage{}))),
              ElementsAre("arm hold 9s", "open-confirm -> established", "established"));
  EXPECT_EQ(fsm.negotiated()->hold_time, seconds(9));
}

// ---- collisions (section 6.8) ----

TEST(SessionFsm, CollisionKeepsTheConnectionOfTheHigherIdentifier) {
  EXPECT_TRUE(collisionKeepsIncoming(kLocalId, kPeerId));
  EXPECT_FALSE(collisionKeepsIncoming(kPeerId, kLocalId));
  EXPECT_FALSE(collisionKeepsIncoming(kLocalId, kLocalId));
  // Unsigned: 128.0.0.0 is above 127.255.255.255 (a signed compare says otherwise).
  EXPECT_TRUE(collisionKeepsIncoming(0x7FFFFFFF, 0x80000000));
  EXPECT_FALSE(collisionKeepsIncoming(0xFFFFFFFF, 0x00000001));
}

}  // namespace
}  // namespace lbd::bgp
