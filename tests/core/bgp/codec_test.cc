// The BGP codec on hand-built byte vectors: every check of RFC 4271 section 6, the RFC 7606
// grading of malformed UPDATEs, 4-octet AS (RFC 6793) and MP-BGP (RFC 4760) round trips, and
// the packing of many NLRI per UPDATE. Messages captured from BIRD, FRR and GoBGP are decoded
// in bgp_capture_test.cc.
#include "core/bgp/codec.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace lbd::bgp {
namespace {

using Bytes = std::vector<std::uint8_t>;

IpAddress ip(const char* text) {
  return IpAddress::parse(text).value();
}
Prefix prefix(const char* address, std::uint8_t length) {
  return Prefix{ip(address), length};
}

/// A whole message: marker, length, type, body.
Bytes message(MessageType type, const Bytes& body) {
  Bytes out(16, 0xFF);
  const std::size_t length = kHeaderSize + body.size();
  out.push_back(static_cast<std::uint8_t>(length >> 8));
  out.push_back(static_cast<std::uint8_t>(length));
  out.push_back(static_cast<std::uint8_t>(type));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

/// An UPDATE body from its three parts.
Bytes updateBody(const Bytes& withdrawn, const Bytes& attributes, const Bytes& nlri) {
  Bytes body;
  body.push_back(static_cast<std::uint8_t>(withdrawn.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(withdrawn.size()));
  body.insert(body.end(), withdrawn.begin(), withdrawn.end());
  body.push_back(static_cast<std::uint8_t>(attributes.size() >> 8));
  body.push_back(static_cast<std::uint8_t>(attributes.size()));
  body.insert(body.end(), attributes.begin(), attributes.end());
  body.insert(body.end(), nlri.begin(), nlri.end());
  return body;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Well-formed mandatory attributes for an eBGP IPv4 announcement (4-octet session).
const Bytes kOriginIgp = {0x40, 1, 1, 0};
const Bytes kAsPath65001 = {0x40, 2, 6, 2, 1, 0, 0, 0xFD, 0xE9};
const Bytes kNextHop = {0x40, 3, 4, 192, 0, 2, 11};
const Bytes kNlri198 = {32, 198, 51, 100, 5};

DecodedMessage decodeOk(const Bytes& frame, CodecOptions options = {}) {
  auto decoded = decodeMessage(frame, options);
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().describe());
  return decoded.ok() ? decoded.value() : DecodedMessage{KeepaliveMessage{}, {}, {}};
}

NotificationMessage decodeError(const Bytes& frame, CodecOptions options = {}) {
  auto decoded = decodeMessage(frame, options);
  EXPECT_FALSE(decoded.ok());
  return decoded.ok() ? NotificationMessage{} : decoded.error();
}

UpdateMessage updateOf(const DecodedMessage& decoded) {
  EXPECT_TRUE(std::holds_alternative<UpdateMessage>(decoded.message));
  return std::holds_alternative<UpdateMessage>(decoded.message)
             ? std::get<UpdateMessage>(decoded.message)
             : UpdateMessage{};
}

// ---- framing (RFC 4271 section 6.1) -------------------------------------------------------------

TEST(BgpFrame, NeedsTheWholeHeaderAndThenTheWholeMessage) {
  Bytes keepalive = message(MessageType::Keepalive, {});
  for (std::size_t n = 0; n < keepalive.size(); ++n) {
    auto framed = frameLength(std::span(keepalive).first(n));
    ASSERT_TRUE(framed.ok());
    EXPECT_FALSE(framed->has_value()) << n;
  }
  auto framed = frameLength(keepalive);
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(**framed, 19u);

  Bytes open = message(MessageType::Open, Bytes(10, 0));
  auto partial = frameLength(std::span(open).first(25));
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
}

TEST(BgpFrame, BadMarkerIsConnectionNotSynchronized) {
  Bytes frame = message(MessageType::Keepalive, {});
  frame[7] = 0xFE;
  auto framed = frameLength(frame);
  ASSERT_FALSE(framed.ok());
  EXPECT_EQ(framed.error().code, 1);
  EXPECT_EQ(framed.error().subcode, header_error::kConnectionNotSynchronized);
}

TEST(BgpFrame, BadLengthsCarryTheLengthField) {
  struct Case {
    MessageType type;
    std::size_t body;
  };
  // Section 6.1: below the header, above 4096, and each type's own minimum or exact size.
  for (auto [type, body] :
       {Case{MessageType::Keepalive, 1}, Case{MessageType::Open, 9}, Case{MessageType::Update, 3},
        Case{MessageType::Notification, 1}, Case{MessageType::Update, 4096}}) {
    Bytes frame = message(type, Bytes(body, 0));
    auto framed = frameLength(frame);
    ASSERT_FALSE(framed.ok()) << int(type) << " " << body;
    EXPECT_EQ(framed.error().code, 1);
    EXPECT_EQ(framed.error().subcode, header_error::kBadMessageLength);
    EXPECT_EQ(framed.error().data, (Bytes{frame[16], frame[17]}));
  }
  Bytes tiny = message(MessageType::Keepalive, {});
  tiny[17] = 18;
  EXPECT_FALSE(frameLength(tiny).ok());
}

TEST(BgpFrame, UnknownTypeIsBadMessageType) {
  Bytes frame = message(static_cast<MessageType>(9), {});
  auto framed = frameLength(frame);
  ASSERT_FALSE(framed.ok());
  EXPECT_EQ(framed.error().subcode, header_error::kBadMessageType);
  EXPECT_EQ(framed.error().data, Bytes{9});
}

TEST(BgpFrame, RouteRefreshOfWrongLengthUsesItsOwnCode) {
  Bytes frame = message(MessageType::RouteRefresh, {0, 1, 0, 1, 0});
  auto framed = frameLength(frame);
  ASSERT_FALSE(framed.ok());
  EXPECT_EQ(framed.error().code, static_cast<std::uint8_t>(ErrorCode::RouteRefresh));
  EXPECT_EQ(framed.error().subcode, 1);
}

// ---- OPEN ---------------------------------------------------------------------------------------

OpenMessage fullOpen() {
  OpenMessage open;
  open.my_as = kAsTrans;
  open.hold_time = 90;
  open.bgp_identifier = 0xC000020B;
  open.capabilities.multiprotocol = {Family::ipv4Unicast(), Family::ipv6Unicast()};
  open.capabilities.route_refresh = true;
  open.capabilities.four_octet_asn = 4200000001u;
  GracefulRestartCapability restart;
  restart.restart_state = true;
  restart.restart_time = 120;
  restart.families = {{Family::ipv4Unicast(), true}, {Family::ipv6Unicast(), false}};
  open.capabilities.graceful_restart = restart;
  return open;
}

TEST(BgpOpen, RoundTripsEveryCapability) {
  Bytes frame;
  encodeOpen(fullOpen(), frame);
  auto decoded = decodeOk(frame);
  ASSERT_TRUE(std::holds_alternative<OpenMessage>(decoded.message));
  const auto& open = std::get<OpenMessage>(decoded.message);
  EXPECT_EQ(open, fullOpen());
  EXPECT_EQ(open.asn(), 4200000001u);
}

TEST(BgpOpen, MatchesTheBytesOfAMinimalOpen) {
  OpenMessage open;
  open.my_as = 65001;
  open.hold_time = 9;
  open.bgp_identifier = 0x01020304;
  open.capabilities.four_octet_asn = 65001;
  Bytes frame;
  encodeOpen(open, frame);
  const Bytes expected = message(MessageType::Open, {4, 0xFD, 0xE9, 0, 9, 1, 2, 3, 4, 8,
                                                     // parameter 2 (capabilities), length 6:
                                                     2, 6, 65, 4, 0, 0, 0xFD, 0xE9});
  EXPECT_EQ(frame, expected);
}

TEST(BgpOpen, UnknownCapabilitiesAreListedNotRejected) {
  // Capability 70 (enhanced route refresh) and 73 (FQDN) as FRR sends them.
  Bytes body = {4, 0xFD, 0xE9, 0, 90, 1, 2, 3, 4, 11, 2, 9, 70, 0, 73, 5, 3, 'f', 'r', 'r', 0};
  auto decoded = decodeOk(message(MessageType::Open, body));
  const auto& open = std::get<OpenMessage>(decoded.message);
  EXPECT_EQ(open.capabilities.unknown, (std::vector<std::uint8_t>{70, 73}));
  EXPECT_EQ(open.asn(), 65001u);
}

TEST(BgpOpen, MalformedParametersAreOpenErrors) {
  // Optional parameter of type 1 (authentication, deprecated).
  auto error = decodeError(message(MessageType::Open, {4, 0, 1, 0, 90, 1, 2, 3, 4, 2, 1, 0}));
  EXPECT_EQ(error.code, 2);
  EXPECT_EQ(error.subcode, open_error::kUnsupportedOptionalParameter);
  // A capability longer than its parameter.
  error = decodeError(message(MessageType::Open, {4, 0, 1, 0, 90, 1, 2, 3, 4, 4, 2, 2, 65, 4}));
  EXPECT_EQ(error.code, 2);
  // A 4-octet AS capability of length 2.
  error =
      decodeError(message(MessageType::Open, {4, 0, 1, 0, 90, 1, 2, 3, 4, 6, 2, 4, 65, 2, 0, 1}));
  EXPECT_EQ(error.code, 2);
  // Optional Parameters Length that disagrees with the message length.
  error = decodeError(message(MessageType::Open, {4, 0, 1, 0, 90, 1, 2, 3, 4, 5, 2, 0}));
  EXPECT_EQ(error.code, 1);
  EXPECT_EQ(error.subcode, header_error::kBadMessageLength);
}

TEST(BgpOpen, EveryTruncationIsAnErrorNotACrash) {
  Bytes frame;
  encodeOpen(fullOpen(), frame);
  for (std::size_t cut = kHeaderSize + 10; cut < frame.size(); ++cut) {
    Bytes truncated(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(cut));
    truncated[16] = static_cast<std::uint8_t>(cut >> 8);
    truncated[17] = static_cast<std::uint8_t>(cut);
    EXPECT_FALSE(decodeMessage(truncated, {}).ok()) << cut;
  }
}

// ---- KEEPALIVE, NOTIFICATION, ROUTE-REFRESH
// -------------------------------------------------------

TEST(BgpMessages, KeepaliveNotificationAndRouteRefreshRoundTrip) {
  Bytes frame;
  encodeKeepalive(frame);
  EXPECT_EQ(frame, message(MessageType::Keepalive, {}));
  EXPECT_TRUE(std::holds_alternative<KeepaliveMessage>(decodeOk(frame).message));

  NotificationMessage cease{6, cease::kAdministrativeShutdown, {5, 'b', 'y', 'e', '!', '!'}};
  frame.clear();
  encodeNotification(cease, frame);
  EXPECT_EQ(std::get<NotificationMessage>(decodeOk(frame).message), cease);

  RouteRefreshMessage refresh{Family::ipv6Unicast()};
  frame.clear();
  encodeRouteRefresh(refresh, frame);
  EXPECT_EQ(frame, message(MessageType::RouteRefresh, {0, 2, 0, 1}));
  EXPECT_EQ(std::get<RouteRefreshMessage>(decodeOk(frame).message), refresh);
}

TEST(BgpMessages, NotificationDataIsCutToFit) {
  NotificationMessage big{3, 1, Bytes(5000, 0xAB)};
  Bytes frame;
  encodeNotification(big, frame);
  EXPECT_EQ(frame.size(), kMaxMessageSize);
  EXPECT_TRUE(decodeMessage(frame, {}).ok());
}

TEST(BgpMessages, NotificationsDescribeThemselvesInTheRfcsWords) {
  EXPECT_EQ((NotificationMessage{4, 0, {}}.describe()), "Hold Timer Expired");
  EXPECT_EQ((NotificationMessage{3, 11, {2, 1}}.describe()),
            "UPDATE Message Error / Malformed AS_PATH (data 02 01)");
  EXPECT_EQ((NotificationMessage{6, 2, {8, 'u', 'p', 'g', 'r', 'a', 'd', 'e', '!'}}.describe()),
            "Cease / Administrative Shutdown: \"upgrade!\"");
  EXPECT_EQ((NotificationMessage{2, 2, {}}.describe()), "OPEN Message Error / Bad Peer AS");
  EXPECT_EQ((NotificationMessage{42, 7, {}}.describe()), "error code 42 / subcode 7");
}

// ---- UPDATE: well-formed ------------------------------------------------------------------------

TEST(BgpUpdate, DecodesAnIpv4AnnouncementWithEveryAttribute) {
  const Bytes attributes = concat({kOriginIgp,
                                   kAsPath65001,
                                   kNextHop,
                                   {0x80, 4, 4, 0, 0, 0, 10},                           // MED 10
                                   {0xC0, 8, 8, 0xFD, 0xE8, 0, 100, 0xFF, 0xFF, 0, 0},  // 2 comms
                                   {0xC0, 32, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}});
  auto decoded = decodeOk(message(MessageType::Update, updateBody({}, attributes, kNlri198)));
  EXPECT_EQ(decoded.update_action, UpdateErrorAction::None) << decoded.problem;
  auto update = updateOf(decoded);
  EXPECT_EQ(update.nlri, std::vector<Prefix>{prefix("198.51.100.5", 32)});
  EXPECT_EQ(update.attributes.origin, Origin::Igp);
  ASSERT_EQ(update.attributes.as_path.size(), 1u);
  EXPECT_EQ(update.attributes.as_path[0].asns, std::vector<std::uint32_t>{65001});
  EXPECT_EQ(update.attributes.next_hop, ip("192.0.2.11"));
  EXPECT_EQ(update.attributes.med, 10u);
  EXPECT_EQ(update.attributes.communities,
            (std::vector<std::uint32_t>{0xFDE80064, kCommunityGracefulShutdown}));
  EXPECT_EQ(update.attributes.large_communities, (std::vector<LargeCommunity>{{1, 2, 3}}));
  EXPECT_FALSE(update.endOfRib());
}

TEST(BgpUpdate, ClearsTrailingBitsOfPrefixes) {
  // 10.1.2.3/20 on the wire as three octets 10.1.2 (the .2's low bits are not part of it).
  auto decoded = decodeOk(
      message(MessageType::Update,
              updateBody({}, concat({kOriginIgp, kAsPath65001, kNextHop}), {20, 10, 1, 0x1F})));
  EXPECT_EQ(updateOf(decoded).nlri, std::vector<Prefix>{prefix("10.1.16.0", 20)});
}

TEST(BgpUpdate, EndOfRibMarkers) {
  auto v4 = updateOf(decodeOk(message(MessageType::Update, updateBody({}, {}, {}))));
  EXPECT_EQ(v4.endOfRib(), Family::ipv4Unicast());
  Bytes frame;
  encodeEndOfRib(Family::ipv6Unicast(), frame);
  EXPECT_EQ(frame, message(MessageType::Update, updateBody({}, {0x80, 15, 3, 0, 2, 1}, {})));
  EXPECT_EQ(updateOf(decodeOk(frame)).endOfRib(), Family::ipv6Unicast());
  frame.clear();
  encodeEndOfRib(Family::ipv4Unicast(), frame);
  EXPECT_EQ(frame, message(MessageType::Update, updateBody({}, {}, {})));
  // A withdrawal is not a marker.
  auto withdraw = updateOf(decodeOk(message(MessageType::Update, updateBody({8, 10}, {}, {}))));
  EXPECT_FALSE(withdraw.endOfRib());
  EXPECT_EQ(withdraw.withdrawn, std::vector<Prefix>{prefix("10.0.0.0", 8)});
}

TEST(BgpUpdate, Ipv6RoundTripsThroughMpReachAndMpUnreach) {
  UpdateMessage update;
  update.attributes.origin = Origin::Igp;
  update.attributes.has_as_path = true;
  update.attributes.as_path = {{AsPathSegmentType::AsSequence, {65001}}};
  update.mp_reach = MpReach{Family::ipv6Unicast(),
                            ip("2001:db8::11"),
                            ip("fe80::1"),
                            {prefix("2001:db8:ffff::1", 128), prefix("2001:db8:1::", 48)}};
  Bytes frame;
  ASSERT_TRUE(encodeUpdate(update, {}, frame).ok());
  auto decoded = decodeOk(frame);
  EXPECT_EQ(decoded.update_action, UpdateErrorAction::None) << decoded.problem;
  EXPECT_EQ(updateOf(decoded), update);

  UpdateMessage withdraw;
  withdraw.mp_unreach = MpUnreach{Family::ipv6Unicast(), {prefix("2001:db8:ffff::1", 128)}};
  frame.clear();
  ASSERT_TRUE(encodeUpdate(withdraw, {}, frame).ok());
  EXPECT_EQ(updateOf(decodeOk(frame)), withdraw);
}

TEST(BgpUpdate, TwoOctetSessionsCarryAs4Path) {
  // RFC 6793 section 4.2.2: toward a 2-octet peer a 4-octet AS becomes AS_TRANS in AS_PATH and
  // the real path travels in AS4_PATH; the receiver merges them back.
  UpdateMessage update;
  update.attributes.origin = Origin::Igp;
  update.attributes.has_as_path = true;
  update.attributes.as_path = {{AsPathSegmentType::AsSequence, {4200000001u, 65002}}};
  update.attributes.next_hop = ip("192.0.2.11");
  update.nlri = {prefix("198.51.100.5", 32)};
  const CodecOptions two_octet{false, false};
  Bytes frame;
  ASSERT_TRUE(encodeUpdate(update, two_octet, frame).ok());
  const Bytes as_path_2 = {0x40, 2, 6, 2, 2, 0x5B, 0xA0, 0xFD, 0xEA};  // AS_TRANS 65002
  EXPECT_NE(std::search(frame.begin(), frame.end(), as_path_2.begin(), as_path_2.end()),
            frame.end());
  EXPECT_EQ(updateOf(decodeOk(frame, two_octet)), update);

  // Only AS4_PATH's part that AS_PATH also has is taken: here AS_PATH has one more AS in front
  // (a 2-octet speaker prepended itself), which is kept.
  const Bytes attributes = concat({kOriginIgp,
                                   {0x40, 2, 8, 2, 3, 0xFD, 0xE9, 0x5B, 0xA0, 0xFD, 0xEA},
                                   kNextHop,
                                   {0xC0, 17, 10, 2, 2, 0xFA, 0x56, 0xEA, 0x01, 0, 0, 0xFD, 0xEA}});
  auto merged = updateOf(
      decodeOk(message(MessageType::Update, updateBody({}, attributes, kNlri198)), two_octet));
  ASSERT_EQ(merged.attributes.as_path.size(), 2u);
  EXPECT_EQ(merged.attributes.as_path[0].asns, std::vector<std::uint32_t>{65001});
  EXPECT_EQ(merged.attributes.as_path[1].asns, (std::vector<std::uint32_t>{4200000001u, 65002}));
}

TEST(BgpUpdate, LocalPrefGoesOnlyToInternalPeers) {
  UpdateMessage update;
  update.attributes.origin = Origin::Igp;
  update.attributes.has_as_path = true;
  update.attributes.next_hop = ip("192.0.2.11");
  update.attributes.local_pref = 0;
  update.nlri = {prefix("198.51.100.5", 32)};
  Bytes external, internal;
  ASSERT_TRUE(encodeUpdate(update, {true, false}, external).ok());
  ASSERT_TRUE(encodeUpdate(update, {true, true}, internal).ok());
  EXPECT_EQ(internal.size(), external.size() + 7);
  EXPECT_EQ(updateOf(decodeOk(internal, {true, true})).attributes.local_pref, 0u);
  // From an external peer LOCAL_PREF is ignored (RFC 4271 section 5.1.5).
  EXPECT_EQ(updateOf(decodeOk(internal, {true, false})).attributes.local_pref, std::nullopt);
}

// ---- UPDATE: RFC 7606 grading -------------------------------------------------------------------

struct GradeCase {
  const char* name;
  Bytes attributes;
  UpdateErrorAction action;
};

TEST(BgpUpdate, MalformedAttributesAreGradedByRfc7606) {
  const GradeCase cases[] = {
      {"ORIGIN value 3", concat({{0x40, 1, 1, 3}, kAsPath65001, kNextHop}),
       UpdateErrorAction::TreatAsWithdraw},
      {"ORIGIN length 2", concat({{0x40, 1, 2, 0, 0}, kAsPath65001, kNextHop}),
       UpdateErrorAction::TreatAsWithdraw},
      {"AS_PATH segment overrun",
       concat({kOriginIgp, {0x40, 2, 6, 2, 2, 0, 0, 0xFD, 0xE9}, kNextHop}),
       UpdateErrorAction::TreatAsWithdraw},
      {"AS_PATH zero-length segment", concat({kOriginIgp, {0x40, 2, 2, 2, 0}, kNextHop}),
       UpdateErrorAction::TreatAsWithdraw},
      {"AS_PATH segment type 7",
       concat({kOriginIgp, {0x40, 2, 6, 7, 1, 0, 0, 0xFD, 0xE9}, kNextHop}),
       UpdateErrorAction::TreatAsWithdraw},
      {"NEXT_HOP length 3", concat({kOriginIgp, kAsPath65001, {0x40, 3, 3, 1, 2, 3}}),
       UpdateErrorAction::TreatAsWithdraw},
      {"NEXT_HOP 0.0.0.0", concat({kOriginIgp, kAsPath65001, {0x40, 3, 4, 0, 0, 0, 0}}),
       UpdateErrorAction::TreatAsWithdraw},
      {"NEXT_HOP missing", concat({kOriginIgp, kAsPath65001}), UpdateErrorAction::TreatAsWithdraw},
      {"ORIGIN missing", concat({kAsPath65001, kNextHop}), UpdateErrorAction::TreatAsWithdraw},
      {"MED length 2", concat({kOriginIgp, kAsPath65001, kNextHop, {0x80, 4, 2, 0, 1}}),
       UpdateErrorAction::TreatAsWithdraw},
      {"COMMUNITIES length 5",
       concat({kOriginIgp, kAsPath65001, kNextHop, {0xC0, 8, 5, 0, 0, 0, 1, 9}}),
       UpdateErrorAction::TreatAsWithdraw},
      {"LARGE_COMMUNITY length 8",
       concat({kOriginIgp, kAsPath65001, kNextHop, {0xC0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 2}}),
       UpdateErrorAction::TreatAsWithdraw},
      {"ORIGIN flagged optional", concat({{0xC0, 1, 1, 0}, kAsPath65001, kNextHop}),
       UpdateErrorAction::TreatAsWithdraw},
      {"attribute overruns the list",
       concat({kOriginIgp, kAsPath65001, kNextHop, {0xC0, 8, 40, 0}}),
       UpdateErrorAction::TreatAsWithdraw},
      {"two bytes left over", concat({kOriginIgp, kAsPath65001, kNextHop, {0xC0, 8}}),
       UpdateErrorAction::TreatAsWithdraw},
      {"ATOMIC_AGGREGATE length 1", concat({kOriginIgp, kAsPath65001, kNextHop, {0x40, 6, 1, 0}}),
       UpdateErrorAction::AttributeDiscard},
      {"AGGREGATOR length 5",
       concat({kOriginIgp, kAsPath65001, kNextHop, {0xC0, 7, 5, 0, 0, 0, 0, 0}}),
       UpdateErrorAction::AttributeDiscard},
      {"ORIGIN twice", concat({kOriginIgp, kAsPath65001, kNextHop, {0x40, 1, 1, 2}}),
       UpdateErrorAction::AttributeDiscard},
      {"unknown optional attribute", concat({kOriginIgp, kAsPath65001, kNextHop, {0xC0, 99, 1, 7}}),
       UpdateErrorAction::None},
  };
  for (const auto& c : cases) {
    auto decoded =
        decodeMessage(message(MessageType::Update, updateBody({}, c.attributes, kNlri198)), {});
    ASSERT_TRUE(decoded.ok()) << c.name << ": " << decoded.error().describe();
    EXPECT_EQ(decoded->update_action, c.action) << c.name << ": " << decoded->problem;
    EXPECT_EQ(decoded->problem.empty(), c.action == UpdateErrorAction::None) << c.name;
    // The routes are still reported, so treat-as-withdraw can act on them.
    EXPECT_EQ(std::get<UpdateMessage>(decoded->message).nlri.size(), 1u) << c.name;
  }
}

TEST(BgpUpdate, ErrorsThatLoseTheMessageBoundaryResetTheSession) {
  struct Case {
    const char* name;
    Bytes body;
    std::uint8_t subcode;
  };
  const Case cases[] = {
      {"withdrawn length beyond the message", {0, 50, 0, 0}, update_error::kMalformedAttributeList},
      {"attribute length beyond the message", {0, 0, 0, 50}, update_error::kMalformedAttributeList},
      {"NLRI prefix length 33",
       updateBody({}, concat({kOriginIgp, kAsPath65001, kNextHop}), {33, 1, 2, 3, 4, 5}),
       update_error::kInvalidNetworkField},
      {"NLRI prefix overruns",
       updateBody({}, concat({kOriginIgp, kAsPath65001, kNextHop}), {24, 10, 0}),
       update_error::kInvalidNetworkField},
      {"withdrawn prefix overruns", updateBody({32, 10}, {}, {}),
       update_error::kInvalidNetworkField},
      {"MP_REACH next hop length 5",
       updateBody(
           {}, concat({kOriginIgp, kAsPath65001, {0x80, 14, 11, 0, 2, 1, 5, 1, 2, 3, 4, 5, 0, 0}}),
           {}),
       update_error::kOptionalAttributeError},
      {"MP_REACH prefix overruns",
       updateBody({}, concat({kOriginIgp, kAsPath65001, {0x80, 14,   23, 0, 2,    1, 16,  0x20, 1,
                                                         0xd,  0xb8, 0,  0, 0,    0, 0,   0,    0,
                                                         0,    0,    0,  0, 0x11, 0, 128, 1}}),
                  {}),
       update_error::kOptionalAttributeError},
      {"MP_UNREACH truncated", updateBody({}, {0x80, 15, 2, 0, 2}, {}),
       update_error::kOptionalAttributeError},
      {"MP_UNREACH twice", updateBody({}, {0x80, 15, 3, 0, 2, 1, 0x80, 15, 3, 0, 2, 1}, {}),
       update_error::kMalformedAttributeList},
      {"unrecognized well-known attribute",
       updateBody({}, concat({kOriginIgp, kAsPath65001, kNextHop, {0x40, 99, 1, 7}}), kNlri198),
       update_error::kUnrecognizedWellKnownAttribute},
  };
  for (const auto& c : cases) {
    auto error = decodeError(message(MessageType::Update, c.body));
    EXPECT_EQ(error.code, 3) << c.name;
    EXPECT_EQ(error.subcode, c.subcode) << c.name << ": " << error.describe();
  }
}

TEST(BgpUpdate, MissingLocalPrefMattersOnlyOnInternalSessions) {
  const Bytes frame = message(
      MessageType::Update, updateBody({}, concat({kOriginIgp, kAsPath65001, kNextHop}), kNlri198));
  EXPECT_EQ(decodeOk(frame, {true, false}).update_action, UpdateErrorAction::None);
  EXPECT_EQ(decodeOk(frame, {true, true}).update_action, UpdateErrorAction::TreatAsWithdraw);
}

TEST(BgpUpdate, EveryTruncationOfAValidUpdateIsHandled) {
  UpdateMessage update;
  update.attributes.origin = Origin::Igp;
  update.attributes.has_as_path = true;
  update.attributes.as_path = {{AsPathSegmentType::AsSequence, {65001, 65002}}};
  update.attributes.communities = {1, 2};
  update.mp_reach = MpReach{
      Family::ipv6Unicast(), ip("2001:db8::11"), std::nullopt, {prefix("2001:db8:ffff::1", 128)}};
  Bytes frame;
  ASSERT_TRUE(encodeUpdate(update, {}, frame).ok());
  for (std::size_t cut = 23; cut < frame.size(); ++cut) {
    Bytes truncated(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(cut));
    truncated[17] = static_cast<std::uint8_t>(cut);
    auto decoded = decodeMessage(truncated, {});
    if (decoded.ok()) {
      EXPECT_NE(decoded->update_action, UpdateErrorAction::None) << cut;
    }
  }
}

// ---- announcement packing -----------------------------------------------------------------------

std::vector<Prefix> hostRoutes(std::uint32_t first, std::size_t count) {
  std::vector<Prefix> prefixes;
  for (std::size_t i = 0; i < count; ++i)
    prefixes.push_back(Prefix{IpAddress::v4(first + static_cast<std::uint32_t>(i)), 32});
  return prefixes;
}

/// Splits a byte stream into frames and decodes each.
std::vector<UpdateMessage> decodeAll(const Bytes& stream, CodecOptions options = {}) {
  std::vector<UpdateMessage> updates;
  std::span<const std::uint8_t> rest(stream);
  while (!rest.empty()) {
    auto framed = frameLength(rest);
    EXPECT_TRUE(framed.ok() && framed->has_value());
    if (!framed.ok() || !framed->has_value()) break;
    auto decoded = decodeMessage(rest.first(**framed), options);
    EXPECT_TRUE(decoded.ok());
    if (!decoded.ok()) break;
    EXPECT_EQ(decoded->update_action, UpdateErrorAction::None) << decoded->problem;
    updates.push_back(std::get<UpdateMessage>(decoded->message));
    EXPECT_LE(**framed, kMaxMessageSize);
    rest = rest.subspan(**framed);
  }
  return updates;
}

PathAttributes ebgpAttributes() {
  PathAttributes attributes;
  attributes.origin = Origin::Igp;
  attributes.has_as_path = true;
  attributes.as_path = {{AsPathSegmentType::AsSequence, {65001}}};
  attributes.communities = {0xFDE80064};
  return attributes;
}

TEST(BgpAnnouncements, PackAsManyIpv4RoutesPerUpdateAsFit) {
  const auto prefixes = hostRoutes(0x0A000000, 10000);
  Bytes stream;
  const std::size_t messages =
      encodeAnnouncements(ebgpAttributes(), ip("192.0.2.11"), std::nullopt, prefixes, {}, stream);
  const auto updates = decodeAll(stream);
  ASSERT_EQ(updates.size(), messages);
  // 5 bytes per /32 in 4096 - 23 - 28 bytes of attributes: 809 per UPDATE.
  EXPECT_EQ(messages, (10000 + 808) / 809);
  std::vector<Prefix> received;
  for (const auto& update : updates) {
    EXPECT_EQ(update.attributes.next_hop, ip("192.0.2.11"));
    EXPECT_EQ(update.attributes.communities, std::vector<std::uint32_t>{0xFDE80064});
    received.insert(received.end(), update.nlri.begin(), update.nlri.end());
  }
  EXPECT_EQ(received, prefixes);
}

TEST(BgpAnnouncements, Ipv6GoesInMpReachWithBothNextHops) {
  std::vector<Prefix> prefixes;
  for (std::uint8_t i = 0; i < 250; ++i) {
    std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff};
    bytes[15] = i;
    bytes[14] = 1;
    prefixes.push_back(Prefix{IpAddress::v6(bytes), 128});
  }
  Bytes stream;
  const std::size_t messages = encodeAnnouncements(ebgpAttributes(), ip("2001:db8::11"),
                                                   ip("fe80::11"), prefixes, {}, stream);
  const auto updates = decodeAll(stream);
  ASSERT_EQ(updates.size(), messages);
  EXPECT_EQ(messages, 2u);  // 17 bytes per /128: 236 fit beside the attributes
  std::vector<Prefix> received;
  for (const auto& update : updates) {
    ASSERT_TRUE(update.mp_reach);
    EXPECT_TRUE(update.nlri.empty());
    EXPECT_FALSE(update.attributes.next_hop);
    EXPECT_EQ(update.mp_reach->next_hop, ip("2001:db8::11"));
    EXPECT_EQ(update.mp_reach->link_local_next_hop, ip("fe80::11"));
    received.insert(received.end(), update.mp_reach->nlri.begin(), update.mp_reach->nlri.end());
  }
  EXPECT_EQ(received, prefixes);
}

TEST(BgpAnnouncements, WithdrawalsSplitByFamilyAndSize) {
  auto prefixes = hostRoutes(0x0A000000, 2000);
  prefixes.push_back(prefix("2001:db8::1", 128));
  prefixes.push_back(prefix("2001:db8::2", 128));
  Bytes stream;
  const std::size_t messages = encodeWithdrawals(prefixes, stream);
  const auto updates = decodeAll(stream);
  ASSERT_EQ(updates.size(), messages);
  EXPECT_EQ(messages, 4u);  // 2000 /32s need three UPDATEs (814 each), the /128s one
  std::vector<Prefix> received;
  for (const auto& update : updates) {
    received.insert(received.end(), update.withdrawn.begin(), update.withdrawn.end());
    if (update.mp_unreach)
      received.insert(received.end(), update.mp_unreach->withdrawn.begin(),
                      update.mp_unreach->withdrawn.end());
  }
  EXPECT_EQ(received, prefixes);
}

TEST(BgpAnnouncements, AnUpdateTooBigToSendIsRefused) {
  UpdateMessage update;
  update.nlri = hostRoutes(0x0A000000, 900);
  Bytes out;
  EXPECT_FALSE(encodeUpdate(update, {}, out).ok());
  EXPECT_TRUE(out.empty());
}

// ---- communities in text ------------------------------------------------------------------------

TEST(BgpCommunityText, ParsesAndFormatsEveryForm) {
  EXPECT_EQ(parseCommunity("65000:100").value(), 0xFDE80064u);
  EXPECT_EQ(parseCommunity("0:0").value(), 0u);
  EXPECT_EQ(parseCommunity("no-export").value(), kCommunityNoExport);
  EXPECT_EQ(parseCommunity("no-peer").value(), 0xFFFFFF04u);
  EXPECT_EQ(parseCommunity("graceful-shutdown").value(), kCommunityGracefulShutdown);
  for (const char* bad :
       {"65536:1", "1:65536", "1", "1:2:3", "a:b", ":1", "1:", "-1:2", "+1:2", "1 :2", ""}) {
    auto parsed = parseCommunity(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("is not a BGP community"), std::string::npos);
  }
  EXPECT_EQ(formatCommunity(0xFDE80064), "65000:100");
  EXPECT_EQ(formatCommunity(kCommunityNoAdvertise), "no-advertise");
  EXPECT_EQ(formatCommunity(kCommunityGracefulShutdown), "graceful-shutdown");

  EXPECT_EQ(parseLargeCommunity("4200000000:1:2").value(), (LargeCommunity{4200000000u, 1, 2}));
  for (const char* bad : {"1:2", "1:2:3:4", "4294967296:1:1", "a:1:1", "1::1"})
    EXPECT_FALSE(parseLargeCommunity(bad).ok()) << bad;
  EXPECT_EQ(formatLargeCommunity({1, 2, 3}), "1:2:3");
}

}  // namespace
}  // namespace lbd::bgp
