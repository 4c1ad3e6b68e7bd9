#include "core/bgp/message.h"

#include <cstdio>

namespace lbd::bgp {

std::string toString(const Family& family) {
  if (family == Family::ipv4Unicast()) return "ipv4-unicast";
  if (family == Family::ipv6Unicast()) return "ipv6-unicast";
  return "afi " + std::to_string(family.afi) + " safi " + std::to_string(family.safi);
}

std::string Prefix::toString() const {
  return address.toString() + "/" + std::to_string(length);
}

std::optional<Family> UpdateMessage::endOfRib() const {
  // RFC 4724 section 2: nothing at all is IPv4 unicast's marker; an UPDATE whose only content
  // is an MP_UNREACH_NLRI without withdrawn routes is that family's.
  const bool no_attributes = attributes == PathAttributes{};
  if (!withdrawn.empty() || !nlri.empty() || mp_reach || !no_attributes) return std::nullopt;
  if (!mp_unreach) return Family::ipv4Unicast();
  if (mp_unreach->withdrawn.empty()) return mp_unreach->family;
  return std::nullopt;
}

namespace {

const char* codeName(std::uint8_t code) {
  switch (code) {
    case 1:
      return "Message Header Error";
    case 2:
      return "OPEN Message Error";
    case 3:
      return "UPDATE Message Error";
    case 4:
      return "Hold Timer Expired";
    case 5:
      return "Finite State Machine Error";
    case 6:
      return "Cease";
    case 7:
      return "ROUTE-REFRESH Message Error";
    default:
      return nullptr;
  }
}

// Subcode names from RFC 4271 section 4.5, RFC 5492, RFC 4486, RFC 6608, RFC 7313, RFC 8538.
const char* subcodeName(std::uint8_t code, std::uint8_t subcode) {
  static const char* const kHeader[] = {nullptr, "Connection Not Synchronized",
                                        "Bad Message Length", "Bad Message Type"};
  static const char* const kOpen[] = {nullptr,
                                      "Unsupported Version Number",
                                      "Bad Peer AS",
                                      "Bad BGP Identifier",
                                      "Unsupported Optional Parameter",
                                      nullptr,
                                      "Unacceptable Hold Time",
                                      "Unsupported Capability",
                                      nullptr,
                                      nullptr,
                                      nullptr,
                                      "Role Mismatch"};
  static const char* const kUpdate[] = {nullptr,
                                        "Malformed Attribute List",
                                        "Unrecognized Well-known Attribute",
                                        "Missing Well-known Attribute",
                                        "Attribute Flags Error",
                                        "Attribute Length Error",
                                        "Invalid ORIGIN Attribute",
                                        nullptr,
                                        "Invalid NEXT_HOP Attribute",
                                        "Optional Attribute Error",
                                        "Invalid Network Field",
                                        "Malformed AS_PATH"};
  static const char* const kFsm[] = {nullptr, "Receive Unexpected Message in OpenSent State",
                                     "Receive Unexpected Message in OpenConfirm State",
                                     "Receive Unexpected Message in Established State"};
  static const char* const kCease[] = {nullptr,
                                       "Maximum Number of Prefixes Reached",
                                       "Administrative Shutdown",
                                       "Peer De-configured",
                                       "Administrative Reset",
                                       "Connection Rejected",
                                       "Other Configuration Change",
                                       "Connection Collision Resolution",
                                       "Out of Resources",
                                       "Hard Reset",
                                       "BFD Down"};
  static const char* const kRefresh[] = {nullptr, "Invalid Message Length"};
  auto pick = [subcode](const auto& table) -> const char* {
    return subcode < std::size(table) ? table[subcode] : nullptr;
  };
  switch (code) {
    case 1:
      return pick(kHeader);
    case 2:
      return pick(kOpen);
    case 3:
      return pick(kUpdate);
    case 5:
      return pick(kFsm);
    case 6:
      return pick(kCease);
    case 7:
      return pick(kRefresh);
    default:
      return nullptr;
  }
}

std::string hex(const std::vector<std::uint8_t>& data, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < data.size() && i < limit; ++i) {
    char byte[4];
    std::snprintf(byte, sizeof byte, "%s%02x", i ? " " : "", data[i]);
    out += byte;
  }
  if (data.size() > limit) out += " ...";
  return out;
}

// RFC 8203 / RFC 9003: a Shutdown Communication is one length octet and that much UTF-8.
std::optional<std::string> shutdownCommunication(const std::vector<std::uint8_t>& data) {
  if (data.empty() || data[0] == 0 || data.size() < 1u + data[0]) return std::nullopt;
  std::string text(data.begin() + 1, data.begin() + 1 + data[0]);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // keep log lines whole
  }
  return text;
}

}  // namespace

std::string NotificationMessage::describe() const {
  std::string text;
  if (const char* name = codeName(code)) {
    text = name;
  } else {
    text = "error code " + std::to_string(code);
  }
  if (const char* name = subcodeName(code, subcode)) {
    text += " / ";
    text += name;
  } else if (subcode != 0) {
    text += " / subcode " + std::to_string(subcode);
  }
  const bool shutdown =
      code == static_cast<std::uint8_t>(ErrorCode::Cease) &&
      (subcode == cease::kAdministrativeShutdown || subcode == cease::kAdministrativeReset);
  if (shutdown) {
    if (auto message = shutdownCommunication(data)) return text + ": \"" + *message + "\"";
  }
  if (!data.empty()) text += " (data " + hex(data, 16) + ")";
  return text;
}

}  // namespace lbd::bgp
