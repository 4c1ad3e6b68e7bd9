#pragma once
// The next hop this host puts in its routes: "next-hop self", the local address of the session's
// TCP connection. Routes of the other family (IPv6 prefixes over an IPv4 session, RFC 4760 /
// RFC 8950 style deployments without extended next hop) need an address of that family: the
// first global one on the interface that holds the session's local address.

#include <optional>

#include <boost/asio/ip/address.hpp>

#include "core/ip.h"

namespace lbd::bgp {

/// Our address type from Asio's, with v4-mapped IPv6 (a dual-stack listener's view of an IPv4
/// peer) turned back into IPv4.
IpAddress fromAsio(const boost::asio::ip::address& address);
boost::asio::ip::address toAsio(const IpAddress& address);

/// Next hop of `family` for a session whose local address is `local`; nullopt when this host
/// has no usable address of that family on that interface.
std::optional<IpAddress> nextHopFor(IpFamily family, const IpAddress& local);

}  // namespace lbd::bgp

namespace lbd::bgp {
/// The BGP router ID to use when none is configured: this host's first IPv4 address that is not
/// loopback (RFC 6286 only asks for a 4-octet value unique in the AS).
std::optional<IpAddress> firstHostIpv4();
}  // namespace lbd::bgp
