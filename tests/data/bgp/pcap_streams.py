#!/usr/bin/python3
"""Cuts the BGP byte streams out of a capture made by capture.sh.

usage: pcap_streams.py CAPTURE.pcap OUT_DIR ROUTER

Reads a classic pcap (Ethernet or Linux cooked), reassembles each direction of each TCP
connection by sequence number (duplicates and retransmissions are laid over the same offsets and
must agree; a gap is an error), and writes for the one connection per address family that
carried data:
  ROUTER-v4-sent.bin       what the router (192.0.2.1) sent on the IPv4 session
  ROUTER-v4-received.bin   what its peer (192.0.2.2) sent on the IPv4 session
  ROUTER-v6-sent.bin       the same for the IPv6 session (2001:db8:1::1 / 2001:db8:1::2)
  ROUTER-v6-received.bin
Standard library only.
"""
import ipaddress
import os
import struct
import sys

ROUTER_ADDRESSES = {ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("2001:db8:1::1")}
MESSAGE_TYPES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}


def packets(path):
    """Yields (linktype, frame) for each record of a classic pcap file."""
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit(f"{path}: not a classic pcap file (pcapng is not read)")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    at = 24
    while at + 16 <= len(data):
        captured, original = struct.unpack(endian + "II", data[at + 8:at + 16])
        if captured != original:
            sys.exit(f"{path}: a packet was cut by the snap length")
        yield linktype, data[at + 16:at + 16 + captured]
        at += 16 + captured


def ip_packet(linktype, frame):
    """Returns (ethertype, network-layer bytes) or None."""
    if linktype == 1:  # Ethernet, with any 802.1Q tags
        at, ethertype = 14, struct.unpack(">H", frame[12:14])[0]
        while ethertype in (0x8100, 0x88A8):
            ethertype = struct.unpack(">H", frame[at + 2:at + 4])[0]
            at += 4
        return ethertype, frame[at:]
    if linktype == 113:  # Linux cooked v1
        return struct.unpack(">H", frame[14:16])[0], frame[16:]
    if linktype == 276:  # Linux cooked v2
        return struct.unpack(">H", frame[0:2])[0], frame[20:]
    sys.exit(f"link type {linktype} is not read")


def tcp_segment(ethertype, packet):
    """Returns (src, dst, tcp bytes) or None when the packet is not TCP."""
    if ethertype == 0x0800:
        header = (packet[0] & 0x0F) * 4
        total = struct.unpack(">H", packet[2:4])[0]
        if packet[9] != 6:
            return None
        return (ipaddress.ip_address(packet[12:16]), ipaddress.ip_address(packet[16:20]),
                packet[header:total])
    if ethertype == 0x86DD:
        next_header, at = packet[6], 40
        end = 40 + struct.unpack(">H", packet[4:6])[0]
        while next_header in (0, 43, 60):  # hop-by-hop, routing, destination options
            next_header, at = packet[at], at + (packet[at + 1] + 1) * 8
        if next_header != 6:
            return None
        return (ipaddress.ip_address(packet[8:24]), ipaddress.ip_address(packet[24:40]),
                packet[at:end])
    return None


class Direction:
    def __init__(self):
        self.isn = None  # sequence number of the SYN
        self.segments = []  # (seq, payload)

    def stream(self, name):
        if not self.segments:
            return b""
        base = (self.isn + 1) & 0xFFFFFFFF if self.isn is not None else self.segments[0][0]
        data, known = bytearray(), bytearray()
        for seq, payload in self.segments:
            offset = (seq - base) & 0xFFFFFFFF
            if offset >= 1 << 31:  # before the start: a retransmitted SYN's data, none here
                sys.exit(f"{name}: segment before the initial sequence number")
            end = offset + len(payload)
            if end > len(data):
                data.extend(bytes(end - len(data)))
                known.extend(bytes(end - len(known)))
            for i, byte in enumerate(payload):
                if known[offset + i] and data[offset + i] != byte:
                    sys.exit(f"{name}: retransmitted bytes differ at offset {offset + i}")
                data[offset + i], known[offset + i] = byte, 1
        if not all(known):
            sys.exit(f"{name}: gap in the stream at offset {known.index(0)}")
        return bytes(data)


def message_summary(stream):
    counts, at = {}, 0
    while at + 19 <= len(stream):
        length = struct.unpack(">H", stream[at + 16:at + 18])[0]
        kind = MESSAGE_TYPES.get(stream[at + 18], f"type {stream[at + 18]}")
        counts[kind] = counts.get(kind, 0) + 1
        at += max(length, 19)
    rest = "" if at == len(stream) else f", {len(stream) - at} trailing bytes"
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) + rest


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    capture, out_dir, router = sys.argv[1:]
    directions = {}  # (src, sport, dst, dport) -> Direction
    for linktype, frame in packets(capture):
        network = ip_packet(linktype, frame)
        segment = tcp_segment(*network) if network else None
        if segment is None:
            continue
        src, dst, tcp = segment
        sport, dport, seq = struct.unpack(">HHI", tcp[0:8])
        flags, payload = tcp[13], tcp[(tcp[12] >> 4) * 4:]
        direction = directions.setdefault((src, sport, dst, dport), Direction())
        if flags & 0x02:  # SYN
            direction.isn = seq
        if payload:
            direction.segments.append((seq, payload))

    sessions = {}  # "v4"/"v6" -> the router's end of the one connection that carried data
    for key, direction in directions.items():
        src, sport, dst, dport = key
        if not direction.segments or src not in ROUTER_ADDRESSES:
            continue
        family = f"v{src.version}"
        if family in sessions:
            sys.exit(f"{capture}: more than one {family} connection carried data")
        sessions[family] = key
    for family, (src, sport, dst, dport) in sorted(sessions.items()):
        for suffix, key in (("sent", (src, sport, dst, dport)),
                            ("received", (dst, dport, src, sport))):
            name = f"{router}-{family}-{suffix}.bin"
            stream = directions.get(key, Direction()).stream(name)
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(stream)
            print(f"{name}: {len(stream)} bytes: {message_summary(stream)}")


if __name__ == "__main__":
    main()
