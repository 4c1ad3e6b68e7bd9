#include "io/bgp/bgp_next_hop.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <string>

namespace lbd::bgp {
namespace {

std::optional<IpAddress> addressOf(const sockaddr* address) {
  if (!address) return std::nullopt;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return IpAddress::v4(ntohl(in->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &in6->sin6_addr, 16);
    return IpAddress::v6(bytes);
  }
  return std::nullopt;
}

bool usableNextHop(const IpAddress& address) {
  if (address.isV4()) return true;
  const auto value = address.toInteger();
  const auto top16 = static_cast<unsigned>(value >> 112);
  return (top16 & 0xffc0) != 0xfe80 && value != 1;  // not link-local, not ::1
}

}  // namespace

IpAddress fromAsio(const boost::asio::ip::address& address) {
  if (address.is_v4()) return IpAddress::v4(address.to_v4().to_uint());
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped())
    return IpAddress::v4(
        boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_uint());
  std::array<std::uint8_t, 16> bytes{};
  const auto raw = v6.to_bytes();
  std::copy(raw.begin(), raw.end(), bytes.begin());
  return IpAddress::v6(bytes);
}

boost::asio::ip::address toAsio(const IpAddress& address) {
  if (address.isV4())
    return boost::asio::ip::address_v4(static_cast<std::uint32_t>(address.toInteger()));
  boost::asio::ip::address_v6::bytes_type bytes{};
  const auto raw = address.bytes();
  std::copy(raw.begin(), raw.end(), bytes.begin());
  return boost::asio::ip::address_v6(bytes);
}

std::optional<IpAddress> nextHopFor(IpFamily family, const IpAddress& local) {
  if (local.family() == family) return local;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::string interface;
  for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (addressOf(entry->ifa_addr) == local) {
      interface = entry->ifa_name;
      break;
    }
  }
  std::optional<IpAddress> found;
  for (const ifaddrs* entry = list; entry && !interface.empty(); entry = entry->ifa_next) {
    if (interface != entry->ifa_name) continue;
    auto address = addressOf(entry->ifa_addr);
    if (address && address->family() == family && usableNextHop(*address)) {
      found = address;
      break;
    }
  }
  freeifaddrs(list);
  return found;
}

}  // namespace lbd::bgp

namespace lbd::bgp {
std::optional<IpAddress> firstHostIpv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<IpAddress> found;
  for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr || entry->ifa_addr->sa_family != AF_INET) continue;
    if (entry->ifa_flags & IFF_LOOPBACK) continue;
    found = addressOf(entry->ifa_addr);
    if (found) break;
  }
  freeifaddrs(list);
  return found;
}
}  // namespace lbd::bgp
