#include "core/bgp/codec.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace lbd::bgp {
namespace {

// ---- byte helpers ------------------------------------------------------------------------------

/// A read cursor over untrusted bytes: every read is bounds-checked by the caller via has().
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool has(std::size_t n) const { return bytes_.size() - pos_ >= n; }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool done() const { return pos_ == bytes_.size(); }
  std::uint8_t u8() { return bytes_[pos_++]; }
  std::uint16_t u16() {
    const auto value = static_cast<std::uint16_t>(bytes_[pos_] << 8 | bytes_[pos_ + 1]);
    pos_ += 2;
    return value;
  }
  std::uint32_t u32() {
    const std::uint32_t value = std::uint32_t{bytes_[pos_]} << 24 |
                                std::uint32_t{bytes_[pos_ + 1]} << 16 |
                                std::uint32_t{bytes_[pos_ + 2]} << 8 | bytes_[pos_ + 3];
    pos_ += 4;
    return value;
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    auto part = bytes_.subspan(pos_, n);
    pos_ += n;
    return part;
  }
  std::span<const std::uint8_t> rest() { return take(remaining()); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

void put8(std::vector<std::uint8_t>& out, std::uint8_t value) {
  out.push_back(value);
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}
void patch16(std::vector<std::uint8_t>& out, std::size_t at, std::size_t value) {
  out[at] = static_cast<std::uint8_t>(value >> 8);
  out[at + 1] = static_cast<std::uint8_t>(value);
}

/// Appends the 19-byte header with a zero length; finishMessage() fills the length in.
std::size_t beginMessage(std::vector<std::uint8_t>& out, MessageType type) {
  const std::size_t start = out.size();
  out.insert(out.end(), 16, 0xFF);
  put16(out, 0);
  put8(out, static_cast<std::uint8_t>(type));
  return start;
}
void finishMessage(std::vector<std::uint8_t>& out, std::size_t start) {
  patch16(out, start + 16, out.size() - start);
}

NotificationMessage notification(ErrorCode code, std::uint8_t subcode,
                                 std::vector<std::uint8_t> data = {}) {
  return NotificationMessage{static_cast<std::uint8_t>(code), subcode, std::move(data)};
}

std::vector<std::uint8_t> be16(std::size_t value) {
  return {static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

// ---- prefixes (RFC 4271 section 4.3, RFC 4760 section 5) ----------------------------------------

unsigned familyBits(Afi afi) {
  return afi == Afi::Ipv4 ? 32 : 128;
}

/// Decodes a run of (length, prefix) NLRI entries. False on a length beyond the family or a
/// prefix that overruns the field: the field's boundary is lost, which no RFC 7606 approach
/// short of a reset recovers from.
bool decodePrefixes(std::span<const std::uint8_t> field, Afi afi, std::vector<Prefix>& out) {
  const unsigned max_bits = familyBits(afi);
  Reader reader(field);
  while (!reader.done()) {
    const std::uint8_t length = reader.u8();
    if (length > max_bits) return false;
    const std::size_t octets = (length + 7u) / 8u;
    if (!reader.has(octets)) return false;
    auto bytes = reader.take(octets);
    std::array<std::uint8_t, 16> address{};
    std::copy(bytes.begin(), bytes.end(), address.begin());
    // RFC 4271: trailing bits are irrelevant; clear them so equal prefixes compare equal.
    if (length % 8 != 0) address[octets - 1] &= static_cast<std::uint8_t>(0xFF00u >> (length % 8));
    Prefix prefix;
    prefix.length = length;
    if (afi == Afi::Ipv4) {
      prefix.address =
          IpAddress::v4(std::uint32_t{address[0]} << 24 | std::uint32_t{address[1]} << 16 |
                        std::uint32_t{address[2]} << 8 | address[3]);
    } else {
      prefix.address = IpAddress::v6(address);
    }
    out.push_back(prefix);
  }
  return true;
}

std::size_t encodedPrefixSize(const Prefix& prefix) {
  return 1 + (prefix.length + 7u) / 8u;
}

/// Appends one prefix without allocating: the address is read from its integer value.
void encodePrefix(const Prefix& prefix, std::vector<std::uint8_t>& out) {
  out.push_back(prefix.length);
  const unsigned bits = prefix.address.bits();
  const uint128 value = prefix.address.toInteger();
  const unsigned octets = (prefix.length + 7u) / 8u;
  for (unsigned i = 0; i < octets; ++i) {
    out.push_back(static_cast<std::uint8_t>(value >> (bits - 8 * (i + 1))));
  }
}

void putAddress(std::vector<std::uint8_t>& out, const IpAddress& address) {
  const unsigned bits = address.bits();
  const uint128 value = address.toInteger();
  for (unsigned i = 0; i < bits / 8; ++i)
    out.push_back(static_cast<std::uint8_t>(value >> (bits - 8 * (i + 1))));
}

IpAddress readAddress(Reader& reader, Afi afi) {
  if (afi == Afi::Ipv4) return IpAddress::v4(reader.u32());
  std::array<std::uint8_t, 16> bytes{};
  auto part = reader.take(16);
  std::copy(part.begin(), part.end(), bytes.begin());
  return IpAddress::v6(bytes);
}

std::optional<Afi> knownAfi(const Family& family) {
  if (family.safi != static_cast<std::uint8_t>(Safi::Unicast)) return std::nullopt;
  if (family.afi == 1) return Afi::Ipv4;
  if (family.afi == 2) return Afi::Ipv6;
  return std::nullopt;
}

// ---- path attributes: one table (RFC 4271 section 5, RFC 7606 section 7) -----------------------

constexpr std::uint8_t kOptional = 0x80;
constexpr std::uint8_t kTransitive = 0x40;
constexpr std::uint8_t kExtendedLength = 0x10;

enum AttributeCode : std::uint8_t {
  kOrigin = 1,
  kAsPath = 2,
  kNextHop = 3,
  kMed = 4,
  kLocalPref = 5,
  kAtomicAggregate = 6,
  kAggregator = 7,
  kCommunities = 8,
  kMpReachNlri = 14,
  kMpUnreachNlri = 15,
  kAs4Path = 17,
  kAs4Aggregator = 18,
  kLargeCommunity = 32,
};

/// What a decoder found wrong, graded by RFC 7606 section 2.
struct AttributeProblem {
  UpdateErrorAction action;
  std::uint8_t subcode;
  std::string what;
};

/// Everything an attribute decoder may write into besides PathAttributes.
struct UpdateContext {
  const CodecOptions& options;
  UpdateMessage& update;
  std::vector<AsPathSegment> as4_path;
  bool has_as4_path = false;
  /// Session-resetting errors (MP_REACH/MP_UNREACH) end decoding at once.
  std::optional<NotificationMessage> reset;
};

using DecodeFn = std::optional<AttributeProblem> (*)(std::span<const std::uint8_t> value,
                                                     UpdateContext& context);
using EncodeFn = void (*)(const PathAttributes& attributes, const CodecOptions& options,
                          std::vector<std::uint8_t>& out);

struct AttributeSpec {
  std::uint8_t code;
  const char* name;
  std::uint8_t flags;          // optional / transitive bits as RFC 4271 fixes them
  UpdateErrorAction on_error;  // RFC 7606 section 7's approach for this attribute
  DecodeFn decode;
  EncodeFn encode;  // nullptr: never sent by lbd (or written by the UPDATE encoder itself)
};

AttributeProblem problem(const AttributeSpec& spec, std::uint8_t subcode, const std::string& what) {
  return {spec.on_error, subcode, std::string(spec.name) + ": " + what};
}

void putAttributeHeader(std::vector<std::uint8_t>& out, std::uint8_t flags, std::uint8_t code,
                        std::size_t length) {
  if (length > 255) {
    put8(out, flags | kExtendedLength);
    put8(out, code);
    put16(out, static_cast<std::uint16_t>(length));
  } else {
    put8(out, flags);
    put8(out, code);
    put8(out, static_cast<std::uint8_t>(length));
  }
}

const AttributeSpec& specFor(std::uint8_t code);

// -- AS_PATH / AS4_PATH (RFC 4271 section 4.3, RFC 6793 section 4, RFC 7606 section 7.2)

bool decodeSegments(std::span<const std::uint8_t> value, std::size_t as_size,
                    std::vector<AsPathSegment>& out) {
  Reader reader(value);
  while (!reader.done()) {
    if (!reader.has(2)) return false;
    const std::uint8_t type = reader.u8();
    const std::uint8_t count = reader.u8();
    // Types 1-2 (RFC 4271) and 3-4 (confederations, RFC 5065); a zero-length segment is
    // malformed (RFC 7606 section 7.2).
    if (type < 1 || type > 4 || count == 0 || !reader.has(count * as_size)) return false;
    AsPathSegment segment;
    segment.type = static_cast<AsPathSegmentType>(type);
    segment.asns.reserve(count);
    for (unsigned i = 0; i < count; ++i)
      segment.asns.push_back(as_size == 4 ? reader.u32() : reader.u16());
    out.push_back(std::move(segment));
  }
  return true;
}

std::optional<AttributeProblem> decodeAsPath(std::span<const std::uint8_t> value,
                                             UpdateContext& context) {
  auto& attributes = context.update.attributes;
  if (!decodeSegments(value, context.options.four_octet_asn ? 4 : 2, attributes.as_path)) {
    attributes.as_path.clear();
    return problem(specFor(kAsPath), update_error::kMalformedAsPath, "malformed segment");
  }
  attributes.has_as_path = true;
  return std::nullopt;
}

std::optional<AttributeProblem> decodeAs4Path(std::span<const std::uint8_t> value,
                                              UpdateContext& context) {
  // RFC 6793 section 6: a malformed AS4_PATH is discarded; so is one from a 4-octet peer,
  // which must not send it.
  if (context.options.four_octet_asn) return std::nullopt;
  if (!decodeSegments(value, 4, context.as4_path)) {
    context.as4_path.clear();
    return problem(specFor(kAs4Path), update_error::kOptionalAttributeError, "malformed segment");
  }
  context.has_as4_path = true;
  return std::nullopt;
}

std::size_t pathLength(const std::vector<AsPathSegment>& path) {
  std::size_t length = 0;
  for (const auto& segment : path) {
    if (segment.type == AsPathSegmentType::AsSequence)
      length += segment.asns.size();
    else if (segment.type == AsPathSegmentType::AsSet)
      length += 1;
  }
  return length;
}

/// RFC 6793 section 4.2.3: the real path is AS_PATH's leading ASes followed by AS4_PATH, unless
/// AS4_PATH is the longer (then it is ignored).
void mergeAs4Path(std::vector<AsPathSegment>& as_path, std::vector<AsPathSegment> as4_path) {
  const std::size_t length = pathLength(as_path);
  const std::size_t length4 = pathLength(as4_path);
  if (length4 > length) return;
  std::size_t keep = length - length4;
  std::vector<AsPathSegment> merged;
  for (auto& segment : as_path) {
    if (keep == 0) break;
    if (segment.type == AsPathSegmentType::AsSequence) {
      if (segment.asns.size() > keep) segment.asns.resize(keep);
      keep -= segment.asns.size();
    } else {
      keep -= segment.type == AsPathSegmentType::AsSet ? 1 : 0;
    }
    merged.push_back(std::move(segment));
  }
  for (auto& segment : as4_path)
    merged.push_back(std::move(segment));
  as_path = std::move(merged);
}

void encodeSegments(const std::vector<AsPathSegment>& path, bool four_octet,
                    std::vector<std::uint8_t>& out) {
  for (const auto& segment : path) {
    // A segment holds at most 255 ASes: longer ones continue in another of the same type.
    for (std::size_t first = 0; first < segment.asns.size(); first += 255) {
      const std::size_t count = std::min<std::size_t>(255, segment.asns.size() - first);
      put8(out, static_cast<std::uint8_t>(segment.type));
      put8(out, static_cast<std::uint8_t>(count));
      for (std::size_t i = first; i < first + count; ++i) {
        const std::uint32_t asn = segment.asns[i];
        if (four_octet)
          put32(out, asn);
        else
          put16(out, static_cast<std::uint16_t>(asn > 0xFFFF ? kAsTrans : asn));
      }
    }
  }
}

bool needsAs4Path(const std::vector<AsPathSegment>& path) {
  for (const auto& segment : path)
    for (const auto asn : segment.asns)
      if (asn > 0xFFFF) return true;
  return false;
}

void encodeAsPath(const PathAttributes& attributes, const CodecOptions& options,
                  std::vector<std::uint8_t>& out) {
  if (!attributes.has_as_path && attributes.as_path.empty()) return;
  std::vector<std::uint8_t> value;
  encodeSegments(attributes.as_path, options.four_octet_asn, value);
  putAttributeHeader(out, kTransitive, kAsPath, value.size());
  out.insert(out.end(), value.begin(), value.end());
}

void encodeAs4Path(const PathAttributes& attributes, const CodecOptions& options,
                   std::vector<std::uint8_t>& out) {
  // RFC 6793 section 4.2.2: only toward a 2-octet peer, only when AS_TRANS stands in somewhere.
  if (options.four_octet_asn || !needsAs4Path(attributes.as_path)) return;
  std::vector<std::uint8_t> value;
  encodeSegments(attributes.as_path, true, value);
  putAttributeHeader(out, kOptional | kTransitive, kAs4Path, value.size());
  out.insert(out.end(), value.begin(), value.end());
}

// -- ORIGIN, NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR

std::optional<AttributeProblem> decodeOrigin(std::span<const std::uint8_t> value,
                                             UpdateContext& context) {
  if (value.size() != 1)
    return problem(specFor(kOrigin), update_error::kAttributeLengthError, "length not 1");
  if (value[0] > 2)
    return problem(specFor(kOrigin), update_error::kInvalidOriginAttribute,
                   "value " + std::to_string(value[0]));
  context.update.attributes.origin = static_cast<Origin>(value[0]);
  return std::nullopt;
}

void encodeOrigin(const PathAttributes& attributes, const CodecOptions&,
                  std::vector<std::uint8_t>& out) {
  if (!attributes.origin) return;
  putAttributeHeader(out, kTransitive, kOrigin, 1);
  put8(out, static_cast<std::uint8_t>(*attributes.origin));
}

std::optional<AttributeProblem> decodeNextHop(std::span<const std::uint8_t> value,
                                              UpdateContext& context) {
  if (value.size() != 4)
    return problem(specFor(kNextHop), update_error::kAttributeLengthError, "length not 4");
  Reader reader(value);
  const std::uint32_t address = reader.u32();
  // RFC 4271 section 6.3 / RFC 7606 section 7.3: 0.0.0.0, multicast and class E are invalid.
  if (address == 0 || (address >> 28) == 0xE || (address >> 28) == 0xF)
    return problem(specFor(kNextHop), update_error::kInvalidNextHopAttribute,
                   IpAddress::v4(address).toString() + " is not a unicast address");
  context.update.attributes.next_hop = IpAddress::v4(address);
  return std::nullopt;
}

void encodeNextHop(const PathAttributes& attributes, const CodecOptions&,
                   std::vector<std::uint8_t>& out) {
  if (!attributes.next_hop || !attributes.next_hop->isV4()) return;
  putAttributeHeader(out, kTransitive, kNextHop, 4);
  putAddress(out, *attributes.next_hop);
}

std::optional<AttributeProblem> decodeMed(std::span<const std::uint8_t> value,
                                          UpdateContext& context) {
  if (value.size() != 4)
    return problem(specFor(kMed), update_error::kAttributeLengthError, "length not 4");
  Reader reader(value);
  context.update.attributes.med = reader.u32();
  return std::nullopt;
}

void encodeMed(const PathAttributes& attributes, const CodecOptions&,
               std::vector<std::uint8_t>& out) {
  if (!attributes.med) return;
  putAttributeHeader(out, kOptional, kMed, 4);
  put32(out, *attributes.med);
}

std::optional<AttributeProblem> decodeLocalPref(std::span<const std::uint8_t> value,
                                                UpdateContext& context) {
  // RFC 4271 section 5.1.5: from an external peer it is ignored.
  if (!context.options.internal_peer) return std::nullopt;
  if (value.size() != 4)
    return problem(specFor(kLocalPref), update_error::kAttributeLengthError, "length not 4");
  Reader reader(value);
  context.update.attributes.local_pref = reader.u32();
  return std::nullopt;
}

void encodeLocalPref(const PathAttributes& attributes, const CodecOptions& options,
                     std::vector<std::uint8_t>& out) {
  // RFC 4271 section 5.1.5: never sent to an external peer.
  if (!attributes.local_pref || !options.internal_peer) return;
  putAttributeHeader(out, kTransitive, kLocalPref, 4);
  put32(out, *attributes.local_pref);
}

std::optional<AttributeProblem> decodeAtomicAggregate(std::span<const std::uint8_t> value,
                                                      UpdateContext& context) {
  if (!value.empty())
    return problem(specFor(kAtomicAggregate), update_error::kAttributeLengthError, "length not 0");
  context.update.attributes.atomic_aggregate = true;
  return std::nullopt;
}

void encodeAtomicAggregate(const PathAttributes& attributes, const CodecOptions&,
                           std::vector<std::uint8_t>& out) {
  if (attributes.atomic_aggregate) putAttributeHeader(out, kTransitive, kAtomicAggregate, 0);
}

std::optional<AttributeProblem> decodeAggregator(std::span<const std::uint8_t> value,
                                                 UpdateContext& context) {
  // Validated (RFC 7606 section 7.7), not kept: lbd only counts received routes.
  const std::size_t expected = context.options.four_octet_asn ? 8 : 6;
  if (value.size() != expected)
    return problem(
        specFor(kAggregator), update_error::kAttributeLengthError,
        "length " + std::to_string(value.size()) + ", expected " + std::to_string(expected));
  return std::nullopt;
}

std::optional<AttributeProblem> decodeAs4Aggregator(std::span<const std::uint8_t> value,
                                                    UpdateContext&) {
  if (value.size() != 8)
    return problem(specFor(kAs4Aggregator), update_error::kAttributeLengthError, "length not 8");
  return std::nullopt;
}

// -- COMMUNITIES (RFC 1997, RFC 7606 section 7.8), LARGE_COMMUNITY (RFC 8092 section 6)

std::optional<AttributeProblem> decodeCommunities(std::span<const std::uint8_t> value,
                                                  UpdateContext& context) {
  if (value.empty() || value.size() % 4 != 0)
    return problem(specFor(kCommunities), update_error::kOptionalAttributeError,
                   "length " + std::to_string(value.size()) + " is not a positive multiple of 4");
  Reader reader(value);
  while (!reader.done())
    context.update.attributes.communities.push_back(reader.u32());
  return std::nullopt;
}

void encodeCommunities(const PathAttributes& attributes, const CodecOptions&,
                       std::vector<std::uint8_t>& out) {
  if (attributes.communities.empty()) return;
  putAttributeHeader(out, kOptional | kTransitive, kCommunities, 4 * attributes.communities.size());
  for (const auto community : attributes.communities)
    put32(out, community);
}

std::optional<AttributeProblem> decodeLargeCommunity(std::span<const std::uint8_t> value,
                                                     UpdateContext& context) {
  if (value.empty() || value.size() % 12 != 0)
    return problem(specFor(kLargeCommunity), update_error::kOptionalAttributeError,
                   "length " + std::to_string(value.size()) + " is not a positive multiple of 12");
  Reader reader(value);
  while (!reader.done()) {
    LargeCommunity community;
    community.global_admin = reader.u32();
    community.local_data1 = reader.u32();
    community.local_data2 = reader.u32();
    context.update.attributes.large_communities.push_back(community);
  }
  return std::nullopt;
}

void encodeLargeCommunity(const PathAttributes& attributes, const CodecOptions&,
                          std::vector<std::uint8_t>& out) {
  if (attributes.large_communities.empty()) return;
  putAttributeHeader(out, kOptional | kTransitive, kLargeCommunity,
                     12 * attributes.large_communities.size());
  for (const auto& community : attributes.large_communities) {
    put32(out, community.global_admin);
    put32(out, community.local_data1);
    put32(out, community.local_data2);
  }
}

// -- MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760; RFC 7606 sections 5.3 and 7.11: a malformed one
// resets the session, as its NLRI cannot be located)

NotificationMessage mpError(std::uint8_t code, std::span<const std::uint8_t> value) {
  std::vector<std::uint8_t> data;
  data.push_back(kOptional);
  data.push_back(code);
  data.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(value.size(), 255)));
  data.insert(data.end(), value.begin(), value.begin() + std::min<std::size_t>(value.size(), 255));
  return notification(ErrorCode::UpdateMessage, update_error::kOptionalAttributeError,
                      std::move(data));
}

std::optional<AttributeProblem> decodeMpReach(std::span<const std::uint8_t> value,
                                              UpdateContext& context) {
  Reader reader(value);
  if (!reader.has(5)) {
    context.reset = mpError(kMpReachNlri, value);
    return std::nullopt;
  }
  Family family;
  family.afi = reader.u16();
  family.safi = reader.u8();
  const std::uint8_t next_hop_length = reader.u8();
  const auto afi = knownAfi(family);
  if (!afi) return std::nullopt;  // a family lbd never offered: nothing to validate against
  const bool length_ok =
      *afi == Afi::Ipv4 ? next_hop_length == 4 : (next_hop_length == 16 || next_hop_length == 32);
  if (!length_ok || !reader.has(next_hop_length + 1u)) {
    context.reset = mpError(kMpReachNlri, value);
    return std::nullopt;
  }
  MpReach reach;
  reach.family = family;
  reach.next_hop = readAddress(reader, *afi);
  if (next_hop_length == 32) reach.link_local_next_hop = readAddress(reader, *afi);
  reader.u8();  // reserved (RFC 4760: formerly the SNPA count)
  if (!decodePrefixes(reader.rest(), *afi, reach.nlri)) {
    context.reset = mpError(kMpReachNlri, value);
    return std::nullopt;
  }
  context.update.mp_reach = std::move(reach);
  return std::nullopt;
}

std::optional<AttributeProblem> decodeMpUnreach(std::span<const std::uint8_t> value,
                                                UpdateContext& context) {
  Reader reader(value);
  if (!reader.has(3)) {
    context.reset = mpError(kMpUnreachNlri, value);
    return std::nullopt;
  }
  MpUnreach unreach;
  unreach.family.afi = reader.u16();
  unreach.family.safi = reader.u8();
  const auto afi = knownAfi(unreach.family);
  if (!afi) return std::nullopt;
  if (!decodePrefixes(reader.rest(), *afi, unreach.withdrawn)) {
    context.reset = mpError(kMpUnreachNlri, value);
    return std::nullopt;
  }
  context.update.mp_unreach = std::move(unreach);
  return std::nullopt;
}

// The table. Order is the order lbd writes attributes in (ascending codes, as RFC 4271 section
// 5 recommends); MP_REACH/MP_UNREACH are written by the UPDATE encoders around it.
constexpr auto TaW = UpdateErrorAction::TreatAsWithdraw;
constexpr auto Discard = UpdateErrorAction::AttributeDiscard;
const AttributeSpec kAttributes[] = {
    {kOrigin, "ORIGIN", kTransitive, TaW, decodeOrigin, encodeOrigin},
    {kAsPath, "AS_PATH", kTransitive, TaW, decodeAsPath, encodeAsPath},
    {kNextHop, "NEXT_HOP", kTransitive, TaW, decodeNextHop, encodeNextHop},
    {kMed, "MULTI_EXIT_DISC", kOptional, TaW, decodeMed, encodeMed},
    {kLocalPref, "LOCAL_PREF", kTransitive, TaW, decodeLocalPref, encodeLocalPref},
    {kAtomicAggregate, "ATOMIC_AGGREGATE", kTransitive, Discard, decodeAtomicAggregate,
     encodeAtomicAggregate},
    {kAggregator, "AGGREGATOR", kOptional | kTransitive, Discard, decodeAggregator, nullptr},
    {kCommunities, "COMMUNITIES", kOptional | kTransitive, TaW, decodeCommunities,
     encodeCommunities},
    {kMpReachNlri, "MP_REACH_NLRI", kOptional, TaW, decodeMpReach, nullptr},
    {kMpUnreachNlri, "MP_UNREACH_NLRI", kOptional, TaW, decodeMpUnreach, nullptr},
    {kAs4Path, "AS4_PATH", kOptional | kTransitive, Discard, decodeAs4Path, encodeAs4Path},
    {kAs4Aggregator, "AS4_AGGREGATOR", kOptional | kTransitive, Discard, decodeAs4Aggregator,
     nullptr},
    {kLargeCommunity, "LARGE_COMMUNITY", kOptional | kTransitive, TaW, decodeLargeCommunity,
     encodeLargeCommunity},
};

const AttributeSpec* findSpec(std::uint8_t code) {
  for (const auto& spec : kAttributes)
    if (spec.code == code) return &spec;
  return nullptr;
}

const AttributeSpec& specFor(std::uint8_t code) {
  return *findSpec(code);
}

void encodePathAttributes(const PathAttributes& attributes, const CodecOptions& options,
                          std::vector<std::uint8_t>& out) {
  for (const auto& spec : kAttributes)
    if (spec.encode) spec.encode(attributes, options, out);
}

// ---- UPDATE (RFC 4271 sections 4.3 and 6.3, RFC 7606) -------------------------------------------

struct UpdateOutcome {
  UpdateErrorAction action = UpdateErrorAction::None;
  std::string problem;
  void grade(UpdateErrorAction found, const std::string& what) {
    if (found > action) action = found;  // treat-as-withdraw outranks attribute-discard
    if (!problem.empty()) problem += "; ";
    problem += what;
  }
};

Result<DecodedMessage, NotificationMessage> decodeUpdate(std::span<const std::uint8_t> body,
                                                         const CodecOptions& options) {
  Reader reader(body);
  DecodedMessage decoded{UpdateMessage{}, UpdateErrorAction::None, {}};
  auto& update = std::get<UpdateMessage>(decoded.message);
  UpdateOutcome outcome;

  // Section 6.3: lengths that do not add up leave no boundary to trust.
  const std::uint16_t withdrawn_length = reader.u16();
  if (!reader.has(withdrawn_length + 2u))
    return Unexpected{
        notification(ErrorCode::UpdateMessage, update_error::kMalformedAttributeList)};
  if (!decodePrefixes(reader.take(withdrawn_length), Afi::Ipv4, update.withdrawn))
    return Unexpected{notification(ErrorCode::UpdateMessage, update_error::kInvalidNetworkField)};
  const std::uint16_t attributes_length = reader.u16();
  if (!reader.has(attributes_length))
    return Unexpected{
        notification(ErrorCode::UpdateMessage, update_error::kMalformedAttributeList)};
  Reader attributes(reader.take(attributes_length));
  if (!decodePrefixes(reader.rest(), Afi::Ipv4, update.nlri))
    return Unexpected{notification(ErrorCode::UpdateMessage, update_error::kInvalidNetworkField)};

  UpdateContext context{options, update, {}, false, std::nullopt};
  std::array<bool, 256> seen{};
  while (!attributes.done()) {
    // RFC 7606 section 4: an attribute header or value that overruns the Total Attribute
    // Length is treat-as-withdraw; the NLRI was located by that length already.
    if (!attributes.has(3)) {
      outcome.grade(TaW, "attribute list ends inside an attribute header");
      break;
    }
    const std::uint8_t flags = attributes.u8();
    const std::uint8_t code = attributes.u8();
    std::size_t length = 0;
    if (flags & kExtendedLength) {
      if (!attributes.has(2)) {
        outcome.grade(TaW, "attribute list ends inside an attribute header");
        break;
      }
      length = attributes.u16();
    } else {
      length = attributes.u8();
    }
    if (!attributes.has(length)) {
      outcome.grade(TaW, "attribute " + std::to_string(code) + " overruns the attribute list");
      break;
    }
    const auto value = attributes.take(length);
    const AttributeSpec* spec = findSpec(code);
    if (!spec) {
      // Section 6.3: an unrecognized well-known attribute resets; unknown optional ones are
      // kept (lbd forwards nothing, so the Partial bit needs no update).
      if (!(flags & kOptional)) {
        std::vector<std::uint8_t> data{flags, code};
        if (flags & kExtendedLength) {
          auto len = be16(length);
          data.insert(data.end(), len.begin(), len.end());
        } else {
          data.push_back(static_cast<std::uint8_t>(length));
        }
        data.insert(data.end(), value.begin(), value.end());
        return Unexpected{notification(ErrorCode::UpdateMessage,
                                       update_error::kUnrecognizedWellKnownAttribute,
                                       std::move(data))};
      }
      update.attributes.unknown.push_back(
          UnknownAttribute{flags, code, std::vector<std::uint8_t>(value.begin(), value.end())});
      continue;
    }
    // RFC 7606 section 3(g): a repeated MP_REACH/MP_UNREACH resets; other repeats are dropped.
    if (seen[code]) {
      if (code == kMpReachNlri || code == kMpUnreachNlri)
        return Unexpected{
            notification(ErrorCode::UpdateMessage, update_error::kMalformedAttributeList)};
      outcome.grade(Discard, std::string(spec->name) + ": repeated, later copy discarded");
      continue;
    }
    seen[code] = true;
    // RFC 7606 section 3(c): wrong Optional/Transitive bits get the attribute's own approach.
    if ((flags & (kOptional | kTransitive)) != spec->flags) {
      if (code == kMpReachNlri || code == kMpUnreachNlri) return Unexpected{mpError(code, value)};
      outcome.grade(spec->on_error, std::string(spec->name) + ": attribute flags error");
      continue;
    }
    if (auto found = spec->decode(value, context)) outcome.grade(found->action, found->what);
    if (context.reset) return Unexpected{*context.reset};
  }

  if (context.has_as4_path && update.attributes.has_as_path)
    mergeAs4Path(update.attributes.as_path, std::move(context.as4_path));

  // RFC 7606 section 3(d): a missing well-known mandatory attribute is treat-as-withdraw, and
  // only matters when the UPDATE announces something.
  const bool announces =
      !update.nlri.empty() || (update.mp_reach && !update.mp_reach->nlri.empty());
  if (announces) {
    auto require = [&](bool present, const char* name) {
      if (!present) outcome.grade(TaW, std::string("missing well-known attribute ") + name);
    };
    require(update.attributes.origin.has_value() || seen[kOrigin], "ORIGIN");
    require(update.attributes.has_as_path || seen[kAsPath], "AS_PATH");
    if (!update.nlri.empty())
      require(update.attributes.next_hop.has_value() || seen[kNextHop], "NEXT_HOP");
    if (options.internal_peer)
      require(update.attributes.local_pref.has_value() || seen[kLocalPref], "LOCAL_PREF");
  }
  decoded.update_action = outcome.action;
  decoded.problem = std::move(outcome.problem);
  return decoded;
}

// ---- OPEN (RFC 4271 section 4.2, RFC 5492) ------------------------------------------------------

enum CapabilityCode : std::uint8_t {
  kCapMultiprotocol = 1,
  kCapRouteRefresh = 2,
  kCapGracefulRestart = 64,
  kCapFourOctetAsn = 65,
};

bool decodeCapability(std::uint8_t code, std::span<const std::uint8_t> value,
                      Capabilities& capabilities) {
  Reader reader(value);
  switch (code) {
    case kCapMultiprotocol: {
      if (value.size() != 4) return false;
      Family family;
      family.afi = reader.u16();
      reader.u8();  // reserved
      family.safi = reader.u8();
      if (std::find(capabilities.multiprotocol.begin(), capabilities.multiprotocol.end(), family) ==
          capabilities.multiprotocol.end())
        capabilities.multiprotocol.push_back(family);
      return true;
    }
    case kCapRouteRefresh:
      capabilities.route_refresh = true;
      return true;  // RFC 2918 says length 0; some speakers pad, so extra bytes are ignored
    case kCapFourOctetAsn:
      if (value.size() != 4) return false;
      capabilities.four_octet_asn = reader.u32();
      return true;
    case kCapGracefulRestart: {
      if (value.size() < 2 || (value.size() - 2) % 4 != 0) return false;
      GracefulRestartCapability restart;
      const std::uint16_t word = reader.u16();
      restart.restart_state = word & 0x8000;
      restart.notification = word & 0x4000;
      restart.restart_time = word & 0x0FFF;
      while (!reader.done()) {
        GracefulRestartCapability::FamilyFlags flags;
        flags.family.afi = reader.u16();
        flags.family.safi = reader.u8();
        flags.forwarding_preserved = reader.u8() & 0x80;
        restart.families.push_back(flags);
      }
      capabilities.graceful_restart = std::move(restart);
      return true;
    }
    default:
      capabilities.unknown.push_back(code);
      return true;
  }
}

Result<DecodedMessage, NotificationMessage> decodeOpen(std::span<const std::uint8_t> body) {
  Reader reader(body);
  OpenMessage open;
  open.version = reader.u8();
  open.my_as = reader.u16();
  open.hold_time = reader.u16();
  open.bgp_identifier = reader.u32();
  const std::uint8_t parameters_length = reader.u8();
  if (reader.remaining() != parameters_length)
    return Unexpected{notification(ErrorCode::MessageHeader, header_error::kBadMessageLength,
                                   be16(body.size() + kHeaderSize))};
  Reader parameters(reader.rest());
  while (!parameters.done()) {
    if (!parameters.has(2))
      return Unexpected{notification(ErrorCode::OpenMessage, 0)};  // unspecific (section 6.2)
    const std::uint8_t type = parameters.u8();
    const std::uint8_t length = parameters.u8();
    if (!parameters.has(length)) return Unexpected{notification(ErrorCode::OpenMessage, 0)};
    auto value = parameters.take(length);
    if (type != 2) {  // RFC 5492: 2 = Capabilities; RFC 4271's type 1 (authentication) is gone
      return Unexpected{
          notification(ErrorCode::OpenMessage, open_error::kUnsupportedOptionalParameter)};
    }
    Reader capabilities(value);
    while (!capabilities.done()) {
      if (!capabilities.has(2)) return Unexpected{notification(ErrorCode::OpenMessage, 0)};
      const std::uint8_t code = capabilities.u8();
      const std::uint8_t capability_length = capabilities.u8();
      if (!capabilities.has(capability_length))
        return Unexpected{notification(ErrorCode::OpenMessage, 0)};
      if (!decodeCapability(code, capabilities.take(capability_length), open.capabilities))
        return Unexpected{notification(ErrorCode::OpenMessage, 0)};
    }
  }
  return DecodedMessage{std::move(open), UpdateErrorAction::None, {}};
}

void encodeCapability(std::vector<std::uint8_t>& out, std::uint8_t code,
                      const std::vector<std::uint8_t>& value) {
  put8(out, code);
  put8(out, static_cast<std::uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
}

}  // namespace

// ---- framing ------------------------------------------------------------------------------------

Result<std::optional<std::size_t>, NotificationMessage> frameLength(
    std::span<const std::uint8_t> buffer) {
  if (buffer.size() < kHeaderSize) return std::optional<std::size_t>{};
  // Section 6.1: the marker must be all ones.
  if (!std::all_of(buffer.begin(), buffer.begin() + 16, [](std::uint8_t b) { return b == 0xFF; }))
    return Unexpected{
        notification(ErrorCode::MessageHeader, header_error::kConnectionNotSynchronized)};
  const std::size_t length = std::size_t{buffer[16]} << 8 | buffer[17];
  const std::uint8_t type = buffer[18];
  auto bad_length = [&] {
    return Unexpected{notification(ErrorCode::MessageHeader, header_error::kBadMessageLength,
                                   {buffer[16], buffer[17]})};
  };
  if (length < kHeaderSize || length > kMaxMessageSize) return bad_length();
  switch (static_cast<MessageType>(type)) {
    case MessageType::Open:
      if (length < 29) return bad_length();
      break;
    case MessageType::Update:
      if (length < 23) return bad_length();
      break;
    case MessageType::Notification:
      if (length < 21) return bad_length();
      break;
    case MessageType::Keepalive:
      if (length != 19) return bad_length();
      break;
    case MessageType::RouteRefresh:
      // RFC 7313 section 5: its own error code for a bad length.
      if (length != 23)
        return Unexpected{
            notification(ErrorCode::RouteRefresh, 1,
                         std::vector<std::uint8_t>(buffer.begin(), buffer.begin() + kHeaderSize))};
      break;
    default:
      return Unexpected{
          notification(ErrorCode::MessageHeader, header_error::kBadMessageType, {type})};
  }
  if (buffer.size() < length) return std::optional<std::size_t>{};
  return std::optional<std::size_t>{length};
}

Result<DecodedMessage, NotificationMessage> decodeMessage(std::span<const std::uint8_t> frame,
                                                          const CodecOptions& options) {
  auto framed = frameLength(frame);
  if (!framed) return Unexpected{framed.error()};
  if (!*framed || **framed != frame.size())
    return Unexpected{notification(ErrorCode::MessageHeader, header_error::kBadMessageLength,
                                   be16(frame.size()))};
  const auto body = frame.subspan(kHeaderSize);
  switch (static_cast<MessageType>(frame[18])) {
    case MessageType::Open:
      return decodeOpen(body);
    case MessageType::Update:
      return decodeUpdate(body, options);
    case MessageType::Notification: {
      NotificationMessage message{body[0], body[1], {body.begin() + 2, body.end()}};
      return DecodedMessage{std::move(message), UpdateErrorAction::None, {}};
    }
    case MessageType::Keepalive:
      return DecodedMessage{KeepaliveMessage{}, UpdateErrorAction::None, {}};
    case MessageType::RouteRefresh: {
      Reader reader(body);
      RouteRefreshMessage refresh;
      refresh.family.afi = reader.u16();
      reader.u8();  // RFC 7313 subtype: BoRR/EoRR markers are read as plain requests
      refresh.family.safi = reader.u8();
      return DecodedMessage{refresh, UpdateErrorAction::None, {}};
    }
  }
  return Unexpected{
      notification(ErrorCode::MessageHeader, header_error::kBadMessageType, {frame[18]})};
}

// ---- encoders -----------------------------------------------------------------------------------

void encodeOpen(const OpenMessage& open, std::vector<std::uint8_t>& out) {
  const std::size_t start = beginMessage(out, MessageType::Open);
  put8(out, open.version);
  put16(out, open.my_as);
  put16(out, open.hold_time);
  put32(out, open.bgp_identifier);
  // One Capabilities parameter per capability, as BIRD, FRR and GoBGP send them.
  std::vector<std::uint8_t> parameters;
  auto add = [&](std::uint8_t code, const std::vector<std::uint8_t>& value) {
    put8(parameters, 2);
    put8(parameters, static_cast<std::uint8_t>(value.size() + 2));
    encodeCapability(parameters, code, value);
  };
  const auto& capabilities = open.capabilities;
  for (const auto& family : capabilities.multiprotocol) {
    std::vector<std::uint8_t> value;
    put16(value, family.afi);
    put8(value, 0);
    put8(value, family.safi);
    add(kCapMultiprotocol, value);
  }
  if (capabilities.route_refresh) add(kCapRouteRefresh, {});
  if (capabilities.graceful_restart) {
    const auto& restart = *capabilities.graceful_restart;
    std::vector<std::uint8_t> value;
    put16(value, static_cast<std::uint16_t>((restart.restart_state ? 0x8000 : 0) |
                                            (restart.notification ? 0x4000 : 0) |
                                            (restart.restart_time & 0x0FFF)));
    for (const auto& family : restart.families) {
      put16(value, family.family.afi);
      put8(value, family.family.safi);
      put8(value, family.forwarding_preserved ? 0x80 : 0);
    }
    add(kCapGracefulRestart, value);
  }
  if (capabilities.four_octet_asn) {
    std::vector<std::uint8_t> value;
    put32(value, *capabilities.four_octet_asn);
    add(kCapFourOctetAsn, value);
  }
  put8(out, static_cast<std::uint8_t>(parameters.size()));
  out.insert(out.end(), parameters.begin(), parameters.end());
  finishMessage(out, start);
}

void encodeKeepalive(std::vector<std::uint8_t>& out) {
  finishMessage(out, beginMessage(out, MessageType::Keepalive));
}

void encodeNotification(const NotificationMessage& message, std::vector<std::uint8_t>& out) {
  const std::size_t start = beginMessage(out, MessageType::Notification);
  put8(out, message.code);
  put8(out, message.subcode);
  const std::size_t room = kMaxMessageSize - kHeaderSize - 2;
  out.insert(out.end(), message.data.begin(),
             message.data.begin() + std::min(room, message.data.size()));
  finishMessage(out, start);
}

void encodeRouteRefresh(const RouteRefreshMessage& refresh, std::vector<std::uint8_t>& out) {
  const std::size_t start = beginMessage(out, MessageType::RouteRefresh);
  put16(out, refresh.family.afi);
  put8(out, 0);
  put8(out, refresh.family.safi);
  finishMessage(out, start);
}

namespace {

void encodeMpReachAttribute(const MpReach& reach, std::span<const Prefix> nlri,
                            std::vector<std::uint8_t>& out) {
  const std::size_t next_hop_length =
      reach.next_hop.bits() / 8 + (reach.link_local_next_hop ? 16 : 0);
  std::size_t length = 5 + next_hop_length;
  for (const auto& prefix : nlri)
    length += encodedPrefixSize(prefix);
  putAttributeHeader(out, kOptional, kMpReachNlri, length);
  put16(out, reach.family.afi);
  put8(out, reach.family.safi);
  put8(out, static_cast<std::uint8_t>(next_hop_length));
  putAddress(out, reach.next_hop);
  if (reach.link_local_next_hop) putAddress(out, *reach.link_local_next_hop);
  put8(out, 0);
  for (const auto& prefix : nlri)
    encodePrefix(prefix, out);
}

void encodeMpUnreachAttribute(const Family& family, std::span<const Prefix> withdrawn,
                              std::vector<std::uint8_t>& out) {
  std::size_t length = 3;
  for (const auto& prefix : withdrawn)
    length += encodedPrefixSize(prefix);
  putAttributeHeader(out, kOptional, kMpUnreachNlri, length);
  put16(out, family.afi);
  put8(out, family.safi);
  for (const auto& prefix : withdrawn)
    encodePrefix(prefix, out);
}

Family familyOf(const Prefix& prefix) {
  return prefix.address.isV4() ? Family::ipv4Unicast() : Family::ipv6Unicast();
}

// Room for UPDATE content after the header and the two length fields.
constexpr std::size_t kUpdateRoom = kMaxMessageSize - kHeaderSize - 4;

}  // namespace

Result<void> encodeUpdate(const UpdateMessage& update, const CodecOptions& options,
                          std::vector<std::uint8_t>& out) {
  std::vector<std::uint8_t> message;
  const std::size_t start = beginMessage(message, MessageType::Update);
  put16(message, 0);
  for (const auto& prefix : update.withdrawn)
    encodePrefix(prefix, message);
  patch16(message, start + kHeaderSize, message.size() - start - kHeaderSize - 2);
  const std::size_t attributes_at = message.size();
  put16(message, 0);
  if (update.mp_unreach)
    encodeMpUnreachAttribute(update.mp_unreach->family, update.mp_unreach->withdrawn, message);
  if (update.mp_reach) encodeMpReachAttribute(*update.mp_reach, update.mp_reach->nlri, message);
  encodePathAttributes(update.attributes, options, message);
  patch16(message, attributes_at, message.size() - attributes_at - 2);
  for (const auto& prefix : update.nlri)
    encodePrefix(prefix, message);
  if (message.size() > kMaxMessageSize)
    return fail("UPDATE of " + std::to_string(message.size()) + " bytes exceeds " +
                std::to_string(kMaxMessageSize));
  finishMessage(message, start);
  out.insert(out.end(), message.begin(), message.end());
  return {};
}

std::size_t encodeAnnouncements(const PathAttributes& attributes, const IpAddress& next_hop,
                                const std::optional<IpAddress>& link_local_next_hop,
                                std::span<const Prefix> prefixes, const CodecOptions& options,
                                std::vector<std::uint8_t>& out) {
  if (prefixes.empty()) return 0;
  const bool v4 = prefixes.front().address.isV4();
  // The attributes are the same in every message: encode them once.
  PathAttributes shared = attributes;
  shared.next_hop = v4 ? std::optional<IpAddress>(next_hop) : std::nullopt;
  std::vector<std::uint8_t> encoded;
  encodePathAttributes(shared, options, encoded);

  const std::size_t mp_header =
      v4 ? 0 : 4 + 5 + next_hop.bits() / 8 + (link_local_next_hop ? 16 : 0);
  const std::size_t room = kUpdateRoom - encoded.size() - mp_header;
  std::size_t messages = 0;
  std::size_t next = 0;
  while (next < prefixes.size()) {
    std::size_t used = 0;
    std::size_t end = next;
    while (end < prefixes.size() && used + encodedPrefixSize(prefixes[end]) <= room)
      used += encodedPrefixSize(prefixes[end++]);
    const auto batch = prefixes.subspan(next, end - next);
    const std::size_t start = beginMessage(out, MessageType::Update);
    put16(out, 0);  // no withdrawn routes
    const std::size_t attributes_at = out.size();
    put16(out, 0);
    if (!v4) {
      MpReach reach;
      reach.family = Family::ipv6Unicast();
      reach.next_hop = next_hop;
      reach.link_local_next_hop = link_local_next_hop;
      encodeMpReachAttribute(reach, batch, out);
    }
    out.insert(out.end(), encoded.begin(), encoded.end());
    patch16(out, attributes_at, out.size() - attributes_at - 2);
    if (v4)
      for (const auto& prefix : batch)
        encodePrefix(prefix, out);
    finishMessage(out, start);
    ++messages;
    next = end;
  }
  return messages;
}

std::size_t encodeWithdrawals(std::span<const Prefix> prefixes, std::vector<std::uint8_t>& out) {
  std::size_t messages = 0;
  std::size_t next = 0;
  while (next < prefixes.size()) {
    const bool v4 = prefixes[next].address.isV4();
    const std::size_t room = v4 ? kUpdateRoom : kUpdateRoom - 4 - 3;
    std::size_t used = 0;
    std::size_t end = next;
    while (end < prefixes.size() && prefixes[end].address.isV4() == v4 &&
           used + encodedPrefixSize(prefixes[end]) <= room)
      used += encodedPrefixSize(prefixes[end++]);
    const auto batch = prefixes.subspan(next, end - next);
    const std::size_t start = beginMessage(out, MessageType::Update);
    if (v4) {
      put16(out, static_cast<std::uint16_t>(used));
      for (const auto& prefix : batch)
        encodePrefix(prefix, out);
      put16(out, 0);
    } else {
      put16(out, 0);
      const std::size_t attributes_at = out.size();
      put16(out, 0);
      encodeMpUnreachAttribute(familyOf(batch.front()), batch, out);
      patch16(out, attributes_at, out.size() - attributes_at - 2);
    }
    finishMessage(out, start);
    ++messages;
    next = end;
  }
  return messages;
}

void encodeEndOfRib(const Family& family, std::vector<std::uint8_t>& out) {
  const std::size_t start = beginMessage(out, MessageType::Update);
  put16(out, 0);
  if (family == Family::ipv4Unicast()) {
    put16(out, 0);
  } else {
    put16(out, 6);
    encodeMpUnreachAttribute(family, {}, out);
  }
  finishMessage(out, start);
}

// ---- communities in text ------------------------------------------------------------------------

namespace {

struct NamedCommunity {
  const char* name;
  std::uint32_t value;
};
constexpr NamedCommunity kNamedCommunities[] = {
    {"no-export", kCommunityNoExport},
    {"no-advertise", kCommunityNoAdvertise},
    {"no-export-subconfed", kCommunityNoExportSubconfed},
    {"no-peer", 0xFFFFFF04},  // RFC 3765
    {"graceful-shutdown", kCommunityGracefulShutdown},
};

template <class T>
std::optional<T> number(std::string_view text) {
  T value{};
  if (text.empty() || text.size() > 10 || text[0] < '0' || text[0] > '9') return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t from = 0;
  for (;;) {
    const auto at = text.find(separator, from);
    parts.push_back(text.substr(from, at == std::string_view::npos ? at : at - from));
    if (at == std::string_view::npos) return parts;
    from = at + 1;
  }
}

}  // namespace

Result<std::uint32_t> parseCommunity(std::string_view text) {
  for (const auto& named : kNamedCommunities)
    if (text == named.name) return named.value;
  const auto parts = split(text, ':');
  if (parts.size() == 2) {
    auto high = number<std::uint16_t>(parts[0]);
    auto low = number<std::uint16_t>(parts[1]);
    if (high && low) return std::uint32_t{*high} << 16 | *low;
  }
  return fail("\"" + std::string(text) +
              "\" is not a BGP community: use \"ASN:VALUE\" (each 0-65535) or one of no-export, "
              "no-advertise, no-export-subconfed, no-peer, graceful-shutdown");
}

Result<LargeCommunity> parseLargeCommunity(std::string_view text) {
  const auto parts = split(text, ':');
  if (parts.size() == 3) {
    auto a = number<std::uint32_t>(parts[0]);
    auto b = number<std::uint32_t>(parts[1]);
    auto c = number<std::uint32_t>(parts[2]);
    if (a && b && c) return LargeCommunity{*a, *b, *c};
  }
  return fail("\"" + std::string(text) +
              "\" is not a BGP large community: use \"GLOBAL:LOCAL1:LOCAL2\" (each 0-4294967295)");
}

std::string formatCommunity(std::uint32_t community) {
  for (const auto& named : kNamedCommunities)
    if (community == named.value) return named.name;
  return std::to_string(community >> 16) + ":" + std::to_string(community & 0xFFFF);
}

std::string formatLargeCommunity(const LargeCommunity& community) {
  return std::to_string(community.global_admin) + ":" + std::to_string(community.local_data1) +
         ":" + std::to_string(community.local_data2);
}

}  // namespace lbd::bgp
