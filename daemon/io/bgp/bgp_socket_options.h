#pragma once
// Socket options a BGP session needs beyond plain TCP: the TCP MD5 signature (RFC 2385) keyed
// per peer address, and the IP TTL / IPv6 hop limit (eBGP single hop sends TTL 1 so a spoofed
// session from further away cannot reach us; ebgp-multihop raises it).

#include <string>

#include "core/ip.h"
#include "core/result.h"

namespace lbd::bgp {

/// Sets (or with an empty key, removes) the MD5 key for `peer` on socket `fd`. On an IPv6
/// socket an IPv4 peer is keyed as its v4-mapped address (how Linux matches dual-stack
/// listeners). Fails with a sentence when the kernel refuses (no CONFIG_TCP_MD5SIG, key > 80).
Result<void> setMd5Key(int fd, bool socket_is_v6, const IpAddress& peer, const std::string& key);

/// TTL (IPv4) / unicast hop limit (IPv6) of packets sent on `fd`.
Result<void> setTtl(int fd, bool socket_is_v6, int ttl);

/// Reads a TCP MD5 password file: the key is the file's first line, without the newline.
/// Errors name the file and say what is wrong (missing, unreadable, empty, longer than 80).
Result<std::string> readPasswordFile(const std::string& path);

}  // namespace lbd::bgp
