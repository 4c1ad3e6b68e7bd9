#include "core/election/lease_names.h"

#include <algorithm>
#include <array>

#include "core/sha256.h"

namespace lbd::election {
namespace {

constexpr std::size_t kMaxObjectName = 253;  // DNS-1123 subdomain
constexpr std::size_t kNodeHashLength = 16;  // hex digits of sha256: 64 bits

// RFC 5952 text of an IPv6 address, hex groups only, with '-' for ':'.
std::string ipv6Name(const IpAddress& vip) {
  std::array<std::uint16_t, 8> groups{};
  for (int i = 0; i < 8; ++i) {
    groups[7 - i] = static_cast<std::uint16_t>((vip.toInteger() >> (16 * i)) & 0xFFFF);
  }
  const auto [best_start, best_length] = longestZeroRun(groups);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "--";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != '-') out += '-';
    const std::uint16_t group = groups[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned digit = (group >> shift) & 0xF;
      if (digit != 0 || started || shift == 0) {
        out += kHex[digit];
        started = true;
      }
    }
  }
  if (out.back() == '-') out += '0';  // "2001:db8::" must not end the name with '-'
  return out;
}

}  // namespace

std::string heartbeatLeaseName(std::string_view node) {
  std::string name(kHeartbeatLeasePrefix);
  if (name.size() + node.size() <= kMaxObjectName) return name.append(node);
  // Cut, drop a trailing '.' or '-' (a label may not end with one, nor start with the '-' that
  // follows), then add a hash of the whole node name so that two long names stay distinct.
  const std::size_t keep = kMaxObjectName - name.size() - 1 - kNodeHashLength;
  std::string_view head = node.substr(0, keep);
  while (!head.empty() && (head.back() == '.' || head.back() == '-'))
    head.remove_suffix(1);
  name.append(head);
  name += '-';
  name += sha256Hex(node).substr(0, kNodeHashLength);
  return name;
}

std::string vipLeaseName(const IpAddress& vip) {
  std::string name(kVipLeasePrefix);
  if (vip.isV4()) {
    std::string text = vip.toString();
    std::replace(text.begin(), text.end(), '.', '-');
    return name + text;
  }
  return name + ipv6Name(vip);
}

std::optional<IpAddress> parseVipLeaseName(std::string_view name) {
  if (name.substr(0, kVipLeasePrefix.size()) != kVipLeasePrefix) return std::nullopt;
  std::string text(name.substr(kVipLeasePrefix.size()));
  const bool v4 =
      std::count(text.begin(), text.end(), '-') == 3 && text.find("--") == std::string::npos;
  std::replace(text.begin(), text.end(), '-', v4 ? '.' : ':');
  auto address = IpAddress::parse(text);
  if (!address) return std::nullopt;
  // Only the one spelling vipLeaseName produces: two names for one VIP would be two Leases,
  // and with them two owners.
  if (vipLeaseName(*address) != name) return std::nullopt;
  return *address;
}

}  // namespace lbd::election
