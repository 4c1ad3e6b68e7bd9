#pragma once
// The BGP-4 wire codec: bytes in, message values (message.h) out, and back. Free functions over
// buffers, no sockets and no clocks, after BIRD's proto/bgp/packets.c split.
//
// Errors are data in the RFC's own terms: a decoder returns the NOTIFICATION (code, subcode,
// data) that RFC 4271 section 6 asks the receiver to send, with the section cited at each check.
// UPDATE errors are graded by RFC 7606: most attribute errors do not reset the session but make
// the receiver treat the UPDATE's routes as withdrawn ("treat-as-withdraw") or drop one optional
// attribute ("attribute-discard"); only errors that leave the message unparseable (bad lengths
// that break the NLRI boundary, a bad MP_REACH/MP_UNREACH) reset the session.
// Path attributes are handled through one table (code, flags, decode, encode, name), not a
// switch per place.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/bgp/message.h"
#include "core/result.h"

namespace lbd::bgp {

/// What the session negotiated, which changes how UPDATEs look on the wire.
struct CodecOptions {
  bool four_octet_asn = true;  // both sides sent the 4-octet AS capability (RFC 6793)
  bool internal_peer = false;  // iBGP: LOCAL_PREF expected (RFC 7606 section 7.5)
};

/// How the front of a receive buffer frames (RFC 4271 section 4.1): the whole length of the
/// message there (header included) once it is complete, nullopt while more bytes are needed, or
/// the Message Header Error NOTIFICATION for a bad marker, length or type (section 6.1).
Result<std::optional<std::size_t>, NotificationMessage> frameLength(
    std::span<const std::uint8_t> buffer);

/// RFC 7606 section 2's outcomes for an UPDATE that parsed but carried a bad attribute.
enum class UpdateErrorAction : std::uint8_t {
  None,              // clean
  AttributeDiscard,  // a malformed optional attribute was dropped; the routes stand
  TreatAsWithdraw,   // the UPDATE's announced routes are to be treated as withdrawn
};

struct DecodedMessage {
  Message message;
  UpdateErrorAction update_action = UpdateErrorAction::None;  // UPDATE only
  std::string problem;  // what was wrong when update_action != None, for logs and counters
};

/// Decodes one complete message (`frame` = exactly frameLength() bytes, header included).
/// A KEEPALIVE with a body, an OPEN that violates section 6.2, an unparseable UPDATE etc. return
/// the NOTIFICATION to send.
Result<DecodedMessage, NotificationMessage> decodeMessage(std::span<const std::uint8_t> frame,
                                                          const CodecOptions& options);

/// Encoders append whole messages (header included) to `out`.
void encodeOpen(const OpenMessage& open, std::vector<std::uint8_t>& out);
void encodeKeepalive(std::vector<std::uint8_t>& out);
/// NOTIFICATION data is cut so the message fits kMaxMessageSize.
void encodeNotification(const NotificationMessage& notification, std::vector<std::uint8_t>& out);
void encodeRouteRefresh(const RouteRefreshMessage& refresh, std::vector<std::uint8_t>& out);
/// One UPDATE as given; an error (and nothing appended) when it would exceed kMaxMessageSize.
Result<void> encodeUpdate(const UpdateMessage& update, const CodecOptions& options,
                          std::vector<std::uint8_t>& out);

/// Announces `prefixes` (all of one family) with one attribute set in as few UPDATEs as fit
/// kMaxMessageSize: IPv4 in the NLRI field with NEXT_HOP = `next_hop`; IPv6 in MP_REACH_NLRI
/// with `next_hop` (+ `link_local_next_hop`). `attributes.next_hop` is ignored. Returns the
/// number of messages appended.
std::size_t encodeAnnouncements(const PathAttributes& attributes, const IpAddress& next_hop,
                                const std::optional<IpAddress>& link_local_next_hop,
                                std::span<const Prefix> prefixes, const CodecOptions& options,
                                std::vector<std::uint8_t>& out);
/// Withdraws `prefixes` (all of one family) in as few UPDATEs as fit. Returns the count.
std::size_t encodeWithdrawals(std::span<const Prefix> prefixes, std::vector<std::uint8_t>& out);
/// RFC 4724 section 2.
void encodeEndOfRib(const Family& family, std::vector<std::uint8_t>& out);

/// Parses "65000:100", "no-export", "no-advertise", "no-export-subconfed", "graceful-shutdown"
/// (RFC 1997 / RFC 8326) and "65000:1:2" (RFC 8092): the forms lbd.toml accepts.
Result<std::uint32_t> parseCommunity(std::string_view text);
Result<LargeCommunity> parseLargeCommunity(std::string_view text);
std::string formatCommunity(std::uint32_t community);  // "65000:100" (well-known by name)
std::string formatLargeCommunity(const LargeCommunity& community);

}  // namespace lbd::bgp
