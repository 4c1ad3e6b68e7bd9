#include "io/bgp/bgp_socket_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace lbd::bgp {

Result<void> setMd5Key(int fd, bool socket_is_v6, const IpAddress& peer, const std::string& key) {
  if (key.size() > TCP_MD5SIG_MAXKEYLEN)
    return fail("the TCP MD5 key is longer than " + std::to_string(TCP_MD5SIG_MAXKEYLEN) +
                " bytes");
  tcp_md5sig md5{};
  if (socket_is_v6) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    std::array<std::uint8_t, 16> bytes{};
    if (peer.isV4()) {
      // ::ffff:a.b.c.d
      bytes[10] = 0xff;
      bytes[11] = 0xff;
      const auto v4 = peer.bytes();
      std::copy(v4.begin(), v4.end(), bytes.begin() + 12);
    } else {
      const auto v6 = peer.bytes();
      std::copy(v6.begin(), v6.end(), bytes.begin());
    }
    std::memcpy(&address.sin6_addr, bytes.data(), 16);
    std::memcpy(&md5.tcpm_addr, &address, sizeof address);
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    const auto v4 = peer.bytes();
    std::memcpy(&address.sin_addr, v4.data(), 4);
    std::memcpy(&md5.tcpm_addr, &address, sizeof address);
  }
  md5.tcpm_keylen = static_cast<std::uint16_t>(key.size());
  std::memcpy(md5.tcpm_key, key.data(), key.size());
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof md5) != 0)
    return fail(std::string("cannot set the TCP MD5 key: ") + std::strerror(errno));
  return {};
}

Result<void> setTtl(int fd, bool socket_is_v6, int ttl) {
  // A dual-stack socket talking IPv4 uses IP_TTL; set both so either path is covered.
  if (socket_is_v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) != 0)
    return fail(std::string("cannot set the IPv6 hop limit: ") + std::strerror(errno));
  if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0 && !socket_is_v6)
    return fail(std::string("cannot set the TTL: ") + std::strerror(errno));
  return {};
}

Result<std::string> readPasswordFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return fail(path + ": cannot read the password file: " + std::strerror(errno));
  std::string key;
  std::getline(file, key);
  if (!key.empty() && key.back() == '\r') key.pop_back();
  if (key.empty()) return fail(path + ": the password file is empty");
  if (key.size() > TCP_MD5SIG_MAXKEYLEN)
    return fail(path + ": the password is longer than " + std::to_string(TCP_MD5SIG_MAXKEYLEN) +
                " bytes (TCP MD5 limit)");
  return key;
}

}  // namespace lbd::bgp
