// Real BGP sessions decoded with lbd's codec: BIRD 2.0.12, FRR bgpd 8.4.4 and GoBGP 3.10.0, each
// as AS 65010 originating 198.51.100.0/24, 198.51.100.7/32, 2001:db8:ff::/48 and
// 2001:db8:ff::7/128 (communities 65000:100 and no-export, large community 65000:1:2, MED 50) to
// a peer in AS 65020 over one IPv4 and one IPv6 session, then withdrawing the /32 and the /128.
// tests/data/bgp/capture.sh made the captures, README.md there says what each stream holds. Every
// message must decode cleanly under the options the sessions negotiated (4-octet AS, external),
// carry what the daemons were configured to send, and survive lbd's encoder unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/bgp/codec.h"

namespace lbd {
// Readable failure messages: without these gtest dumps the values' bytes.
void PrintTo(const IpAddress& address, std::ostream* out) {
  *out << address.toString();
}

namespace bgp {
void PrintTo(const Family& family, std::ostream* out) {
  *out << toString(family);
}
void PrintTo(const GracefulRestartCapability::FamilyFlags& flags, std::ostream* out) {
  *out << toString(flags.family) << (flags.forwarding_preserved ? " F" : "");
}
void PrintTo(const Prefix& prefix, std::ostream* out) {
  *out << prefix.toString();
}
void PrintTo(const PathAttributes& attributes, std::ostream* out) {
  *out << "{origin " << (attributes.origin ? std::to_string(int(*attributes.origin)) : "-")
       << ", as_path" << (attributes.has_as_path ? "" : " (absent)");
  for (const auto& segment : attributes.as_path) {
    *out << (segment.type == AsPathSegmentType::AsSet ? " {" : " [");
    for (auto asn : segment.asns)
      *out << " " << asn;
    *out << (segment.type == AsPathSegmentType::AsSet ? " }" : " ]");
  }
  *out << ", next_hop " << (attributes.next_hop ? attributes.next_hop->toString() : "-") << ", med "
       << (attributes.med ? std::to_string(*attributes.med) : "-") << ", local_pref "
       << (attributes.local_pref ? std::to_string(*attributes.local_pref) : "-")
       << (attributes.atomic_aggregate ? ", atomic_aggregate" : "") << ", communities";
  for (auto community : attributes.communities)
    *out << " " << formatCommunity(community);
  *out << ", large";
  for (const auto& large : attributes.large_communities)
    *out << " " << formatLargeCommunity(large);
  *out << ", unknown";
  for (const auto& unknown : attributes.unknown)
    *out << " " << int(unknown.code);
  *out << "}";
}
void PrintTo(const UpdateMessage& update, std::ostream* out) {
  *out << "{withdrawn " << ::testing::PrintToString(update.withdrawn) << ", attributes "
       << ::testing::PrintToString(update.attributes);
  if (update.mp_reach)
    *out << ", mp_reach " << toString(update.mp_reach->family) << " via "
         << update.mp_reach->next_hop.toString()
         << (update.mp_reach->link_local_next_hop
                 ? " " + update.mp_reach->link_local_next_hop->toString()
                 : "")
         << " " << ::testing::PrintToString(update.mp_reach->nlri);
  if (update.mp_unreach)
    *out << ", mp_unreach " << toString(update.mp_unreach->family) << " "
         << ::testing::PrintToString(update.mp_unreach->withdrawn);
  *out << ", nlri " << ::testing::PrintToString(update.nlri) << "}";
}
}  // namespace bgp
}  // namespace lbd

namespace lbd::bgp {
namespace {

using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

const fs::path kCaptureDir = LBD_BGP_CAPTURE_DIR;
const CodecOptions kSession{.four_octet_asn = true, .internal_peer = false};

IpAddress ip(const char* text) {
  return IpAddress::parse(text).value();
}

Bytes readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

enum class Daemon { Bird, Frr, Gobgp };

/// How each daemon behaves on the wire, as captured (the README lists the same).
struct DaemonTraits {
  Origin origin;  // of the routes it originates: the configs leave it to the daemon
  std::optional<IpAddress> link_local_next_hop;       // its second IPv6 next hop, if it sends one
  std::vector<std::uint8_t> unknown_capabilities_v4;  // codes lbd does not interpret, sorted
  std::vector<std::uint8_t> unknown_capabilities_v6;
  bool restart_state;  // graceful restart R bit: FRR sets it on the first session after start
  bool restart_notification;                       // N bit (RFC 8538)
  std::optional<std::uint8_t> cease_when_stopped;  // its NOTIFICATION when stopped, if any
};

DaemonTraits traitsOf(Daemon daemon) {
  switch (daemon) {
    case Daemon::Bird:
      // 70: enhanced route refresh, 71: long-lived graceful restart. The link-local next hop is
      // vA's EUI-64 address from the MAC capture.sh gives it.
      return {.origin = Origin::Igp,
              .link_local_next_hop = ip("fe80::ff:fe00:a01"),
              .unknown_capabilities_v4 = {70, 71},
              .unknown_capabilities_v6 = {70, 71},
              .restart_state = false,
              .restart_notification = false,
              .cease_when_stopped = cease::kAdministrativeShutdown};
    case Daemon::Frr:
      // 6: extended message, 69: ADD-PATH, 70, 71, 73: FQDN, 128: pre-RFC route refresh. No
      // link-local next hop: bgpd runs without zebra (-Z), so it does not know vA's address.
      return {.origin = Origin::Igp,
              .link_local_next_hop = std::nullopt,
              .unknown_capabilities_v4 = {6, 69, 70, 71, 73, 128},
              .unknown_capabilities_v6 = {6, 69, 70, 71, 73, 128},
              .restart_state = true,
              .restart_notification = true,
              .cease_when_stopped = std::nullopt};
    case Daemon::Gobgp:
      // 73: FQDN; 5: extended next hop (RFC 8950) on the IPv4 session only. `gobgp global rib
      // add` gives routes ORIGIN INCOMPLETE.
      return {.origin = Origin::Incomplete,
              .link_local_next_hop = std::nullopt,
              .unknown_capabilities_v4 = {5, 73},
              .unknown_capabilities_v6 = {73},
              .restart_state = false,
              .restart_notification = false,
              .cease_when_stopped = cease::kPeerDeconfigured};
  }
  return {};
}

const char* nameOf(Daemon daemon) {
  switch (daemon) {
    case Daemon::Bird:
      return "bird";
    case Daemon::Frr:
      return "frr";
    case Daemon::Gobgp:
      return "gobgp";
  }
  return "?";
}

/// One direction of one session: `router` was in namespace A (AS 65010) and originated the
/// routes; `sent` is its own stream, otherwise its peer's (AS 65020).
struct Capture {
  Daemon router;
  bool v6;
  bool sent;

  std::string name() const {
    return std::string(nameOf(router)) + (v6 ? "-v6-" : "-v4-") + (sent ? "sent" : "received");
  }
  fs::path file() const { return kCaptureDir / (name() + ".bin"); }
  /// gobgpd is the peer of BIRD and FRR, BIRD the peer of GoBGP.
  Daemon speaker() const {
    if (sent) return router;
    return router == Daemon::Gobgp ? Daemon::Bird : Daemon::Gobgp;
  }
  std::uint32_t asn() const { return sent ? 65010 : 65020; }
  std::uint32_t routerId() const { return sent ? 0xC0000201 : 0xC0000202; }  // 192.0.2.1 / .2
  Family family() const { return v6 ? Family::ipv6Unicast() : Family::ipv4Unicast(); }
};

std::vector<Capture> allCaptures(std::optional<bool> sent = std::nullopt) {
  std::vector<Capture> out;
  for (Daemon router : {Daemon::Bird, Daemon::Frr, Daemon::Gobgp})
    for (bool v6 : {false, true})
      for (bool is_sent : {true, false})
        if (!sent || *sent == is_sent) out.push_back({router, v6, is_sent});
  return out;
}

void PrintTo(const Capture& capture, std::ostream* out) {
  *out << capture.name();
}

struct Frame {
  Bytes bytes;
  DecodedMessage decoded;
};

template <class T>
const T* as(const Frame& frame) {
  return std::get_if<T>(&frame.decoded.message);
}

std::set<std::string> texts(const std::vector<Prefix>& prefixes) {
  std::set<std::string> out;
  for (const auto& prefix : prefixes)
    out.insert(prefix.toString());
  return out;
}

class BgpCaptureStream : public ::testing::TestWithParam<Capture> {
 protected:
  /// Splits the stream as a session's receive buffer would and decodes every message.
  void SetUp() override {
    stream_ = readFile(GetParam().file());
    ASSERT_FALSE(stream_.empty()) << GetParam().file();
    std::span<const std::uint8_t> rest(stream_);
    while (!rest.empty()) {
      auto framed = frameLength(rest);
      ASSERT_TRUE(framed.ok()) << "at offset " << stream_.size() - rest.size() << ": "
                               << framed.error().describe();
      ASSERT_TRUE(framed->has_value())
          << "stream ends inside a message at offset " << stream_.size() - rest.size();
      const auto frame = rest.first(**framed);
      auto decoded = decodeMessage(frame, kSession);
      ASSERT_TRUE(decoded.ok()) << "message " << frames_.size() << ": "
                                << decoded.error().describe();
      frames_.push_back({Bytes(frame.begin(), frame.end()), std::move(decoded).value()});
      rest = rest.subspan(frame.size());
    }
  }

  std::vector<const UpdateMessage*> updates() const {
    std::vector<const UpdateMessage*> out;
    for (const auto& frame : frames_)
      if (const auto* update = as<UpdateMessage>(frame)) out.push_back(update);
    return out;
  }

  Bytes stream_;
  std::vector<Frame> frames_;
};

std::string captureName(const ::testing::TestParamInfo<Capture>& info) {
  std::string name = info.param.name();
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

TEST_P(BgpCaptureStream, EveryMessageFramesAndDecodesCleanly) {
  ASSERT_GE(frames_.size(), 4u);
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    const auto& frame = frames_[i];
    // A message cut anywhere (as TCP may deliver it) is "need more bytes", never an error.
    for (std::size_t n = 0; n < frame.bytes.size(); ++n) {
      auto framed = frameLength(std::span(frame.bytes).first(n));
      ASSERT_TRUE(framed.ok()) << i << " " << n;
      EXPECT_FALSE(framed->has_value()) << i << " " << n;
    }
    EXPECT_EQ(frame.decoded.update_action, UpdateErrorAction::None)
        << "message " << i << ": " << frame.decoded.problem;
    EXPECT_EQ(frame.decoded.problem, "") << "message " << i;
  }
}

TEST_P(BgpCaptureStream, OpenNamesTheSpeakerAndItsCapabilities) {
  const Capture capture = GetParam();
  const DaemonTraits traits = traitsOf(capture.speaker());
  const auto* open = as<OpenMessage>(frames_.front());
  ASSERT_NE(open, nullptr) << "the first message is not an OPEN";
  EXPECT_EQ(open->version, 4);
  EXPECT_EQ(open->my_as, capture.asn());  // fits in 2 octets: no AS_TRANS
  EXPECT_EQ(open->asn(), capture.asn());
  EXPECT_EQ(open->hold_time, 9);
  EXPECT_EQ(open->bgp_identifier, capture.routerId());

  const Capabilities& caps = open->capabilities;
  EXPECT_EQ(caps.four_octet_asn, capture.asn());
  EXPECT_EQ(caps.multiprotocol, std::vector<Family>{capture.family()});
  EXPECT_TRUE(caps.route_refresh);
  ASSERT_TRUE(caps.graceful_restart.has_value());
  EXPECT_EQ(caps.graceful_restart->restart_time, 120);
  EXPECT_EQ(caps.graceful_restart->restart_state, traits.restart_state);
  EXPECT_EQ(caps.graceful_restart->notification, traits.restart_notification);
  EXPECT_EQ(caps.graceful_restart->families,
            (std::vector<GracefulRestartCapability::FamilyFlags>{{capture.family(), false}}));
  auto unknown = caps.unknown;
  std::sort(unknown.begin(), unknown.end());
  EXPECT_EQ(unknown, capture.v6 ? traits.unknown_capabilities_v6 : traits.unknown_capabilities_v4);

  // Nothing but the OPEN is an OPEN.
  for (std::size_t i = 1; i < frames_.size(); ++i)
    EXPECT_EQ(as<OpenMessage>(frames_[i]), nullptr) << i;
}

TEST_P(BgpCaptureStream, KeepaliveConfirmsTheOpenAndThenComesEveryFewSeconds) {
  ASSERT_GE(frames_.size(), 2u);
  EXPECT_NE(as<KeepaliveMessage>(frames_[1]), nullptr) << "the OPEN is confirmed by a KEEPALIVE";
  // The capture keeps the sessions up 6.5 s after the routes arrived; keepalive time is 3 s.
  const auto keepalives = std::count_if(frames_.begin(), frames_.end(), [](const Frame& frame) {
    return as<KeepaliveMessage>(frame) != nullptr;
  });
  EXPECT_GE(keepalives, 3);
  for (const auto& frame : frames_) {
    if (as<KeepaliveMessage>(frame)) {
      EXPECT_EQ(frame.bytes.size(), kHeaderSize);
    }
  }
}

TEST_P(BgpCaptureStream, OneEndOfRibForTheSessionsFamily) {
  // RFC 4724 section 2: every speaker here negotiated graceful restart, and sends the marker once
  // its initial routes (none, for the peers) are out.
  const Capture capture = GetParam();
  std::vector<std::size_t> markers;
  std::optional<std::size_t> first_announcement;
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    const auto* update = as<UpdateMessage>(frames_[i]);
    if (!update) continue;
    if (auto family = update->endOfRib()) {
      EXPECT_EQ(*family, capture.family()) << i;
      markers.push_back(i);
    } else if ((!update->nlri.empty() || update->mp_reach) && !first_announcement) {
      first_announcement = i;
    }
  }
  ASSERT_EQ(markers.size(), 1u);
  if (capture.sent) {
    ASSERT_TRUE(first_announcement.has_value());
    EXPECT_GT(markers[0], *first_announcement);
    // The IPv4 marker is the empty UPDATE; IPv6's an UPDATE with only an empty MP_UNREACH_NLRI.
    const Bytes expected = capture.v6 ? Bytes{0, 0, 0, 6, 0x80, 15, 3, 0, 2, 1} : Bytes{0, 0, 0, 0};
    const Bytes& bytes = frames_[markers[0]].bytes;
    EXPECT_EQ(Bytes(bytes.begin() + kHeaderSize, bytes.end()), expected);
  }
}

TEST_P(BgpCaptureStream, MessagesRoundTripThroughTheEncoder) {
  std::size_t updates = 0;
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    const auto& frame = frames_[i];
    Bytes bytes;
    if (const auto* open = as<OpenMessage>(frame)) {
      OpenMessage known = *open;
      known.capabilities.unknown.clear();  // lbd only sends what it speaks
      encodeOpen(known, bytes);
      auto again = decodeMessage(bytes, kSession);
      ASSERT_TRUE(again.ok()) << again.error().describe();
      EXPECT_EQ(std::get<OpenMessage>(again->message), known);
    } else if (const auto* update = as<UpdateMessage>(frame)) {
      if (!update->attributes.unknown.empty()) continue;
      ++updates;
      ASSERT_TRUE(encodeUpdate(*update, kSession, bytes).ok()) << i;
      auto again = decodeMessage(bytes, kSession);
      ASSERT_TRUE(again.ok()) << i << ": " << again.error().describe();
      EXPECT_EQ(again->update_action, UpdateErrorAction::None) << i << ": " << again->problem;
      ASSERT_TRUE(std::holds_alternative<UpdateMessage>(again->message)) << i;
      EXPECT_EQ(std::get<UpdateMessage>(again->message), *update) << i;
    } else if (as<KeepaliveMessage>(frame)) {
      encodeKeepalive(bytes);
      EXPECT_EQ(bytes, frame.bytes) << i;
    } else if (const auto* notification = as<NotificationMessage>(frame)) {
      encodeNotification(*notification, bytes);
      EXPECT_EQ(bytes, frame.bytes) << i;
    }
  }
  EXPECT_EQ(updates, this->updates().size()) << "no capture carries an attribute lbd ignores";
}

INSTANTIATE_TEST_SUITE_P(Captures, BgpCaptureStream, ::testing::ValuesIn(allCaptures()),
                         captureName);

// ---- the router's own stream --------------------------------------------------------------------

using BgpCaptureRouter = BgpCaptureStream;

TEST_P(BgpCaptureRouter, AnnouncesExactlyItsRoutesWithTheirAttributes) {
  const Capture capture = GetParam();
  const DaemonTraits traits = traitsOf(capture.router);
  PathAttributes expected;
  expected.origin = traits.origin;
  expected.has_as_path = true;
  expected.as_path = {{AsPathSegmentType::AsSequence, {65010}}};
  expected.med = 50;
  expected.communities = {0xFDE80064, kCommunityNoExport};  // 65000:100, no-export
  expected.large_communities = {{65000, 1, 2}};
  if (!capture.v6) expected.next_hop = ip("192.0.2.1");

  std::set<std::string> announced;
  for (const UpdateMessage* update : updates()) {
    if (update->nlri.empty() && !update->mp_reach) continue;
    EXPECT_TRUE(update->withdrawn.empty());
    EXPECT_FALSE(update->mp_unreach.has_value());
    PathAttributes attributes = update->attributes;
    std::sort(attributes.communities.begin(), attributes.communities.end());
    EXPECT_EQ(attributes, expected);
    EXPECT_EQ(formatCommunity(update->attributes.communities.at(0)), "65000:100");
    EXPECT_EQ(formatCommunity(update->attributes.communities.at(1)), "no-export");
    EXPECT_EQ(formatLargeCommunity(update->attributes.large_communities.at(0)), "65000:1:2");
    if (capture.v6) {
      ASSERT_TRUE(update->mp_reach.has_value());
      EXPECT_TRUE(update->nlri.empty());
      EXPECT_EQ(update->mp_reach->family, Family::ipv6Unicast());
      EXPECT_EQ(update->mp_reach->next_hop, ip("2001:db8:1::1"));
      EXPECT_EQ(update->mp_reach->link_local_next_hop, traits.link_local_next_hop);
      for (const auto& prefix : texts(update->mp_reach->nlri))
        announced.insert(prefix);
    } else {
      EXPECT_FALSE(update->mp_reach.has_value());
      for (const auto& prefix : texts(update->nlri))
        announced.insert(prefix);
    }
  }
  EXPECT_EQ(announced, capture.v6
                           ? (std::set<std::string>{"2001:db8:ff::/48", "2001:db8:ff::7/128"})
                           : (std::set<std::string>{"198.51.100.0/24", "198.51.100.7/32"}));
}

TEST_P(BgpCaptureRouter, WithdrawsOneRouteLast) {
  const Capture capture = GetParam();
  std::optional<std::size_t> withdrawal;
  std::size_t last_announcement = 0;
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    const auto* update = as<UpdateMessage>(frames_[i]);
    if (!update || update->endOfRib()) continue;
    if (!update->nlri.empty() || update->mp_reach) {
      last_announcement = i;
      continue;
    }
    ASSERT_FALSE(withdrawal.has_value()) << "a second withdrawal at message " << i;
    withdrawal = i;
    // A bare withdrawal: no path attributes besides MP_UNREACH_NLRI for IPv6.
    EXPECT_EQ(update->attributes, PathAttributes{});
    EXPECT_TRUE(update->nlri.empty());
    if (capture.v6) {
      EXPECT_TRUE(update->withdrawn.empty());
      ASSERT_TRUE(update->mp_unreach.has_value());
      EXPECT_EQ(update->mp_unreach->family, Family::ipv6Unicast());
      EXPECT_EQ(texts(update->mp_unreach->withdrawn), std::set<std::string>{"2001:db8:ff::7/128"});
    } else {
      EXPECT_FALSE(update->mp_unreach.has_value());
      EXPECT_EQ(texts(update->withdrawn), std::set<std::string>{"198.51.100.7/32"});
    }
  }
  ASSERT_TRUE(withdrawal.has_value());
  EXPECT_GT(*withdrawal, last_announcement);
}

TEST_P(BgpCaptureRouter, EndsAsTheDaemonStopped) {
  const auto cease = traitsOf(GetParam().router).cease_when_stopped;
  const auto* last = as<NotificationMessage>(frames_.back());
  if (!cease) {
    EXPECT_EQ(last, nullptr) << "FRR closes the connection without a NOTIFICATION";
    return;
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->code, static_cast<std::uint8_t>(ErrorCode::Cease));
  EXPECT_EQ(last->subcode, *cease);
  EXPECT_TRUE(last->data.empty());
  EXPECT_EQ(std::count_if(frames_.begin(), frames_.end(),
                          [](const Frame& frame) { return as<NotificationMessage>(frame); }),
            1);
}

INSTANTIATE_TEST_SUITE_P(Captures, BgpCaptureRouter, ::testing::ValuesIn(allCaptures(true)),
                         captureName);

// ---- the peer's stream --------------------------------------------------------------------------

using BgpCapturePeer = BgpCaptureStream;

TEST_P(BgpCapturePeer, SendsNoRoutesOnlyItsEndOfRib) {
  // The peer originates nothing and does not send the router's routes back to it.
  const auto updates = this->updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]->endOfRib(), GetParam().family());
  for (const auto& frame : frames_)
    EXPECT_EQ(as<NotificationMessage>(frame), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Captures, BgpCapturePeer, ::testing::ValuesIn(allCaptures(false)),
                         captureName);

// ---- the folder and the fuzz corpus
// --------------------------------------------------------------

TEST(BgpCapture, FolderHoldsOneStreamPerRouterSessionAndDirection) {
  std::set<std::string> found, expected;
  for (const auto& entry : fs::directory_iterator(kCaptureDir))
    if (entry.path().extension() == ".bin") found.insert(entry.path().filename().string());
  for (const auto& capture : allCaptures())
    expected.insert(capture.name() + ".bin");
  EXPECT_EQ(found, expected);
}

TEST(BgpCapture, EveryStreamIsAFuzzSeed) {
  // capture.sh copies each stream into the corpus behind a 0x00 (4-octet AS, external session).
  const fs::path corpus = fs::path(LBD_SOURCE_DIR) / "tests/fuzz/corpus/bgp_message_fuzz";
  for (const auto& capture : allCaptures()) {
    Bytes seed = {0x00};
    const Bytes stream = readFile(capture.file());
    seed.insert(seed.end(), stream.begin(), stream.end());
    EXPECT_TRUE(readFile(corpus / ("capture-" + capture.name() + ".bin")) == seed)
        << capture.name();
  }
}

}  // namespace
}  // namespace lbd::bgp
