#pragma once
// ARP (RFC 826) for IPv4 over Ethernet, the only kind lbd speaks: hardware type 1 (Ethernet),
// protocol type 0x0800, address lengths 6 and 4, operation request (1) or reply (2). Anything
// else decodes to an error. Probes and announcements are RFC 5227's: a probe is a request with
// sender IP 0.0.0.0, an announcement ("gratuitous ARP") has sender IP = target IP.
// Free functions over buffers: no sockets, no clocks.

#include <cstdint>
#include <span>
#include <vector>

#include "core/ip.h"
#include "core/mac_address.h"
#include "core/result.h"

namespace lbd::arp {

enum class ArpOperation : std::uint16_t { Request = 1, Reply = 2 };

/// The fixed size of an Ethernet/IPv4 ARP packet (without the Ethernet header or padding).
inline constexpr std::size_t kArpPacketSize = 28;

struct ArpPacket {
  ArpOperation operation = ArpOperation::Request;
  MacAddress sender_mac;
  IpAddress sender_ip;  // always IPv4
  MacAddress target_mac;
  IpAddress target_ip;  // always IPv4

  /// RFC 5227 section 2.1.1: a request with sender IP 0.0.0.0 (address conflict detection).
  bool isProbe() const;
  /// RFC 5227 section 3: sender IP = target IP, request or reply form.
  bool isAnnouncement() const;
  bool operator==(const ArpPacket&) const = default;
};

/// Decodes the payload of an EtherType 0x0806 frame. Bytes after the 28 of the packet (the
/// Ethernet minimum-size padding) are ignored.
Result<ArpPacket> decodeArpPacket(std::span<const std::uint8_t> payload);

/// Appends the 28-byte packet; sender_ip and target_ip must be IPv4.
void encodeArpPacket(const ArpPacket& packet, std::vector<std::uint8_t>& out);

/// The Ethernet frame answering `request` (which asked for an address we own) with `our_mac`:
/// a reply "target_ip is-at our_mac", unicast to the requester's hardware address. For a
/// probe the target protocol address stays 0.0.0.0, as the kernel does and RFC 5227 section
/// 2.1.1 expects (the prober sees our reply's sender IP and knows the address is taken).
std::vector<std::uint8_t> arpReplyFrame(const ArpPacket& request, const MacAddress& our_mac);

/// A gratuitous ARP announcing that `ip` (IPv4) is at `our_mac`, broadcast.
///
/// Request form, as RFC 5227 section 3 specifies for ARP Announcements: an ARP request is
/// broadcast by nature and every implementation runs it through RFC 826's merge step, which
/// updates an existing cache entry for the sender whatever the operation; a broadcast reply
/// is a packet no one asked for and some implementations drop it. Linux peers with the
/// default arp_accept=0 update an existing entry from either form and create none from
/// either, so nothing is lost on them. Target hardware address zero (RFC 5227 section 2.3).
std::vector<std::uint8_t> gratuitousArpFrame(const IpAddress& ip, const MacAddress& our_mac);

}  // namespace lbd::arp
