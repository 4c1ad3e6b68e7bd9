#pragma once
// BGP-4 messages as values (RFC 4271 section 4), with the extensions lbd speaks:
//   - capabilities in OPEN (RFC 5492): multiprotocol (RFC 4760), route refresh (RFC 2918),
//     4-octet AS numbers (RFC 6793), graceful restart (RFC 4724);
//   - MP_REACH_NLRI / MP_UNREACH_NLRI for IPv6 unicast (RFC 4760), next hop global (+ link-local);
//   - COMMUNITIES (RFC 1997), LARGE_COMMUNITY (RFC 8092), LOCAL_PREF, MULTI_EXIT_DISC;
//   - ROUTE-REFRESH (RFC 2918), End-of-RIB markers (RFC 4724 section 2).
// Plain data: the codec (codec.h) turns bytes into these and back; nothing here does I/O.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/ip.h"

namespace lbd::bgp {

inline constexpr std::size_t kHeaderSize = 19;        // marker 16 + length 2 + type 1
inline constexpr std::size_t kMaxMessageSize = 4096;  // RFC 4271 section 4.1 (no RFC 8654)
inline constexpr std::uint16_t kAsTrans = 23456;      // RFC 6793 section 9
inline constexpr std::uint8_t kBgpVersion = 4;

enum class MessageType : std::uint8_t {
  Open = 1,
  Update = 2,
  Notification = 3,
  Keepalive = 4,
  RouteRefresh = 5,
};

enum class Afi : std::uint16_t { Ipv4 = 1, Ipv6 = 2 };
enum class Safi : std::uint8_t { Unicast = 1 };

/// An address family as (AFI, SAFI). Only unicast IPv4/IPv6 are understood; others received in
/// capabilities are kept as numbers so negotiation can ignore them.
struct Family {
  std::uint16_t afi = 1;
  std::uint8_t safi = 1;
  static Family ipv4Unicast() { return {1, 1}; }
  static Family ipv6Unicast() { return {2, 1}; }
  auto operator<=>(const Family&) const = default;
};
std::string toString(const Family& family);  // "ipv4-unicast", "ipv6-unicast", "afi 3 safi 5"

/// RFC 4724 section 3.
struct GracefulRestartCapability {
  bool restart_state = false;      // R bit: the sender has restarted
  bool notification = false;       // N bit (RFC 8538), kept for display, never set by lbd
  std::uint16_t restart_time = 0;  // seconds, 12 bits
  struct FamilyFlags {
    Family family;
    bool forwarding_preserved = false;  // F bit
    auto operator<=>(const FamilyFlags&) const = default;
  };
  std::vector<FamilyFlags> families;
  auto operator<=>(const GracefulRestartCapability&) const = default;
};

/// The capabilities lbd understands; any other capability code is listed in `unknown` (its
/// code) so that it can be logged, and otherwise ignored (RFC 5492 section 3).
struct Capabilities {
  std::vector<Family> multiprotocol;
  bool route_refresh = false;
  std::optional<std::uint32_t> four_octet_asn;
  std::optional<GracefulRestartCapability> graceful_restart;
  std::vector<std::uint8_t> unknown;
  auto operator<=>(const Capabilities&) const = default;
};

struct OpenMessage {
  std::uint8_t version = kBgpVersion;
  std::uint16_t my_as = 0;           // the 2-octet field: kAsTrans when the real ASN does not fit
  std::uint16_t hold_time = 0;       // seconds: 0 or >= 3
  std::uint32_t bgp_identifier = 0;  // host order
  Capabilities capabilities;
  /// The sender's AS: the 4-octet capability's when present, else my_as.
  std::uint32_t asn() const { return capabilities.four_octet_asn.value_or(my_as); }
  auto operator<=>(const OpenMessage&) const = default;
};

/// An IP prefix in NLRI form. `address` has its host bits zero after decoding (RFC 4271 says
/// trailing bits are irrelevant; the decoder clears them).
struct Prefix {
  IpAddress address;
  std::uint8_t length = 0;
  std::string toString() const;  // "192.0.2.1/32"
  auto operator<=>(const Prefix&) const = default;
};

enum class Origin : std::uint8_t { Igp = 0, Egp = 1, Incomplete = 2 };

enum class AsPathSegmentType : std::uint8_t { AsSet = 1, AsSequence = 2 };
struct AsPathSegment {
  AsPathSegmentType type = AsPathSegmentType::AsSequence;
  std::vector<std::uint32_t> asns;
  auto operator<=>(const AsPathSegment&) const = default;
};

struct LargeCommunity {
  std::uint32_t global_admin = 0;
  std::uint32_t local_data1 = 0;
  std::uint32_t local_data2 = 0;
  auto operator<=>(const LargeCommunity&) const = default;
};

/// Well-known communities (RFC 1997, RFC 8326).
inline constexpr std::uint32_t kCommunityNoExport = 0xFFFFFF01;
inline constexpr std::uint32_t kCommunityNoAdvertise = 0xFFFFFF02;
inline constexpr std::uint32_t kCommunityNoExportSubconfed = 0xFFFFFF03;
inline constexpr std::uint32_t kCommunityGracefulShutdown = 0xFFFF0000;

/// An attribute lbd does not interpret, carried so it can be counted/logged (never re-sent:
/// lbd does not forward routes).
struct UnknownAttribute {
  std::uint8_t flags = 0;
  std::uint8_t code = 0;
  std::vector<std::uint8_t> value;
  auto operator<=>(const UnknownAttribute&) const = default;
};

/// The path attributes of one UPDATE (RFC 4271 section 5), decoded into fields. AS numbers are
/// always 4-octet here; the codec converts from/to 2-octet AS_PATH + AS4_PATH when the session
/// did not negotiate 4-octet ASNs (RFC 6793 section 4.2).
struct PathAttributes {
  std::optional<Origin> origin;
  std::vector<AsPathSegment> as_path;  // empty path is valid (iBGP origination)
  bool has_as_path = false;            // the attribute was present (an empty one counts)
  std::optional<IpAddress> next_hop;   // NEXT_HOP (IPv4 NLRI only)
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::vector<std::uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  std::vector<UnknownAttribute> unknown;
  auto operator<=>(const PathAttributes&) const = default;
};

/// MP_REACH_NLRI (RFC 4760 section 3): routes of one family with their next hop(s).
struct MpReach {
  Family family;
  IpAddress next_hop;                            // global
  std::optional<IpAddress> link_local_next_hop;  // IPv6: the optional second next hop
  std::vector<Prefix> nlri;
  auto operator<=>(const MpReach&) const = default;
};

/// MP_UNREACH_NLRI (RFC 4760 section 4).
struct MpUnreach {
  Family family;
  std::vector<Prefix> withdrawn;
  auto operator<=>(const MpUnreach&) const = default;
};

struct UpdateMessage {
  std::vector<Prefix> withdrawn;  // IPv4 unicast, in the Withdrawn Routes field
  PathAttributes attributes;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::vector<Prefix> nlri;  // IPv4 unicast, in the NLRI field

  /// RFC 4724 section 2: an UPDATE with nothing in it is IPv4 unicast End-of-RIB; one whose
  /// only attribute is an empty MP_UNREACH_NLRI is that family's End-of-RIB.
  std::optional<Family> endOfRib() const;
  auto operator<=>(const UpdateMessage&) const = default;
};

/// RFC 4271 section 4.5 error codes (and RFC 4486 / RFC 8203 Cease subcodes).
enum class ErrorCode : std::uint8_t {
  MessageHeader = 1,
  OpenMessage = 2,
  UpdateMessage = 3,
  HoldTimerExpired = 4,
  FiniteStateMachine = 5,
  Cease = 6,
  RouteRefresh = 7,  // RFC 7313
};

namespace header_error {  // subcodes of MessageHeader
inline constexpr std::uint8_t kConnectionNotSynchronized = 1;
inline constexpr std::uint8_t kBadMessageLength = 2;
inline constexpr std::uint8_t kBadMessageType = 3;
}  // namespace header_error
namespace open_error {
inline constexpr std::uint8_t kUnsupportedVersionNumber = 1;
inline constexpr std::uint8_t kBadPeerAs = 2;
inline constexpr std::uint8_t kBadBgpIdentifier = 3;
inline constexpr std::uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr std::uint8_t kUnacceptableHoldTime = 6;
inline constexpr std::uint8_t kUnsupportedCapability = 7;  // RFC 5492
}  // namespace open_error
namespace update_error {
inline constexpr std::uint8_t kMalformedAttributeList = 1;
inline constexpr std::uint8_t kUnrecognizedWellKnownAttribute = 2;
inline constexpr std::uint8_t kMissingWellKnownAttribute = 3;
inline constexpr std::uint8_t kAttributeFlagsError = 4;
inline constexpr std::uint8_t kAttributeLengthError = 5;
inline constexpr std::uint8_t kInvalidOriginAttribute = 6;
inline constexpr std::uint8_t kInvalidNextHopAttribute = 8;
inline constexpr std::uint8_t kOptionalAttributeError = 9;
inline constexpr std::uint8_t kInvalidNetworkField = 10;
inline constexpr std::uint8_t kMalformedAsPath = 11;
}  // namespace update_error
namespace cease {  // RFC 4486
inline constexpr std::uint8_t kMaximumPrefixes = 1;
inline constexpr std::uint8_t kAdministrativeShutdown = 2;
inline constexpr std::uint8_t kPeerDeconfigured = 3;
inline constexpr std::uint8_t kAdministrativeReset = 4;
inline constexpr std::uint8_t kConnectionRejected = 5;
inline constexpr std::uint8_t kOtherConfigurationChange = 6;
inline constexpr std::uint8_t kConnectionCollisionResolution = 7;
inline constexpr std::uint8_t kOutOfResources = 8;
inline constexpr std::uint8_t kHardReset = 9;  // RFC 8538
}  // namespace cease

struct NotificationMessage {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  std::vector<std::uint8_t> data;
  /// "Cease / Administrative Shutdown: <RFC 8203 message>", "UPDATE Message Error / Malformed
  /// AS_PATH (data 02 01 ...)": names from the RFCs, for logs and lbctl.
  std::string describe() const;
  auto operator<=>(const NotificationMessage&) const = default;
};

struct KeepaliveMessage {
  auto operator<=>(const KeepaliveMessage&) const = default;
};

/// RFC 2918 (subtype 0 of RFC 7313: plain refresh request).
struct RouteRefreshMessage {
  Family family;
  auto operator<=>(const RouteRefreshMessage&) const = default;
};

using Message = std::variant<OpenMessage, UpdateMessage, NotificationMessage, KeepaliveMessage,
                             RouteRefreshMessage>;

}  // namespace lbd::bgp
