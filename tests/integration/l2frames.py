"""Ethernet frames of layer-2 address resolution, built and parsed by hand (stdlib only): ARP
requests/replies and gratuitous ARP, IPv6 Neighbor Solicitation/Advertisement with their
link-layer address options. Used by the prober (arp_watch.py) and by tests that play a rival
announcer. Pure functions on bytes, so they are unit-tested without a network.
"""
import ipaddress
import struct

ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
BROADCAST = b'\xff' * 6
ARP_REQUEST, ARP_REPLY = 1, 2
ICMP6_NS, ICMP6_NA = 135, 136
NA_ROUTER, NA_SOLICITED, NA_OVERRIDE = 0x80, 0x40, 0x20


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(':', '')) if isinstance(mac, str) else bytes(mac)


def mac_str(raw):
    return raw.hex(':')


# ----- ARP

def arp_frame(op, sha, spa, tha, tpa, dst=None):
    """One ARP frame for IPv4 over Ethernet; dst defaults to broadcast for requests, tha for replies."""
    sha, tha = mac_bytes(sha), mac_bytes(tha)
    dst = mac_bytes(dst) if dst is not None else (BROADCAST if op == ARP_REQUEST else tha)
    return (dst + sha + struct.pack('!H', ETH_P_ARP) + struct.pack('!HHBBH', 1, 0x0800, 6, 4, op)
            + sha + ipaddress.IPv4Address(spa).packed + tha + ipaddress.IPv4Address(tpa).packed)


def arp_request(sha, spa, tpa):
    return arp_frame(ARP_REQUEST, sha, spa, b'\x00' * 6, tpa)


def gratuitous_arp(sha, ip):
    """'who-has IP tell IP', broadcast: what keepalived and most announcers send on takeover."""
    return arp_frame(ARP_REQUEST, sha, ip, b'\x00' * 6, ip)


def parse_arp(frame):
    """dict(op, sha, spa, tha, tpa, eth_src, eth_dst) for an IPv4-over-Ethernet ARP frame, else None.
    Frames may carry Ethernet padding up to 60 bytes: only the first 42 matter."""
    if len(frame) < 42 or frame[12:14] != b'\x08\x06':
        return None
    htype, ptype, hlen, plen, op = struct.unpack('!HHBBH', frame[14:22])
    if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4:
        return None
    return {'op': op, 'sha': mac_str(frame[22:28]), 'spa': str(ipaddress.IPv4Address(frame[28:32])),
            'tha': mac_str(frame[32:38]), 'tpa': str(ipaddress.IPv4Address(frame[38:42])),
            'eth_src': mac_str(frame[6:12]), 'eth_dst': mac_str(frame[0:6])}


# ----- IPv6 neighbour discovery

def solicited_node(ip):
    """ff02::1:ffXX:XXXX of an address: where a Neighbor Solicitation for it is sent."""
    return ipaddress.IPv6Address(b'\xff\x02' + b'\x00' * 9 + b'\x01\xff' + ipaddress.IPv6Address(ip).packed[13:])


def multicast_mac(ip6):
    return b'\x33\x33' + ipaddress.IPv6Address(ip6).packed[12:]


def _icmp6_checksum(src, dst, payload):
    pseudo = src.packed + dst.packed + struct.pack('!I3xB', len(payload), 58)
    data = pseudo + payload + (b'\x00' if len(payload) % 2 else b'')
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv6_frame(eth_dst, eth_src, src, dst, icmp):
    src, dst = ipaddress.IPv6Address(src), ipaddress.IPv6Address(dst)
    icmp = icmp[:2] + struct.pack('!H', _icmp6_checksum(src, dst, icmp)) + icmp[4:]
    # version 6, hop limit 255: receivers drop neighbour discovery that crossed a router
    header = struct.pack('!IHBB', 6 << 28, len(icmp), 58, 255) + src.packed + dst.packed
    return mac_bytes(eth_dst) + mac_bytes(eth_src) + struct.pack('!H', ETH_P_IPV6) + header + icmp


def neighbor_solicitation(src_mac, src_ip, target):
    """Multicast NS for target (to its solicited-node group) with a source link-layer address option."""
    group = solicited_node(target)
    icmp = (struct.pack('!BBHI', ICMP6_NS, 0, 0, 0) + ipaddress.IPv6Address(target).packed
            + struct.pack('!BB', 1, 1) + mac_bytes(src_mac))
    return _ipv6_frame(multicast_mac(group), src_mac, src_ip, group, icmp)


def neighbor_advertisement(src_mac, target, dst_ip='ff02::1', dst_mac=None, solicited=False, override=True):
    """NA for target from target, with a target link-layer address option. Unsolicited by default
    (to all-nodes, S=0, O=1): the IPv6 counterpart of a gratuitous ARP."""
    flags = (NA_SOLICITED if solicited else 0) | (NA_OVERRIDE if override else 0)
    icmp = (struct.pack('!BBHB3x', ICMP6_NA, 0, 0, flags) + ipaddress.IPv6Address(target).packed
            + struct.pack('!BB', 2, 1) + mac_bytes(src_mac))
    dst_mac = multicast_mac(dst_ip) if dst_mac is None else dst_mac
    return _ipv6_frame(dst_mac, src_mac, target, dst_ip, icmp)


def _lladdr_option(options, wanted):
    """The MAC in the first option of type `wanted` (1 source, 2 target link-layer address)."""
    while len(options) >= 8:
        kind, length = options[0], options[1] * 8
        if length == 0 or length > len(options):
            return None
        if kind == wanted and length >= 8:
            return mac_str(options[2:8])
        options = options[length:]
    return None


def parse_nd(frame):
    """dict(type, target, flags, lladdr, src, dst, eth_src, eth_dst, hop_limit) for an NS or NA
    without IPv6 extension headers (what neighbour discovery sends), else None. lladdr is the
    source (NS) or target (NA) link-layer address option, None when absent."""
    if len(frame) < 14 + 40 + 24 or frame[12:14] != b'\x86\xdd' or frame[14] >> 4 != 6:
        return None
    payload_len, next_header, hop_limit = struct.unpack('!HBB', frame[18:22])
    icmp = frame[54:54 + payload_len]
    if next_header != 58 or len(icmp) < 24 or icmp[0] not in (ICMP6_NS, ICMP6_NA) or icmp[1] != 0:
        return None
    return {'type': icmp[0], 'flags': icmp[4], 'target': str(ipaddress.IPv6Address(icmp[8:24])),
            'lladdr': _lladdr_option(icmp[24:], 1 if icmp[0] == ICMP6_NS else 2),
            'src': str(ipaddress.IPv6Address(frame[22:38])), 'dst': str(ipaddress.IPv6Address(frame[38:54])),
            'eth_src': mac_str(frame[6:12]), 'eth_dst': mac_str(frame[0:6]), 'hop_limit': hop_limit}
