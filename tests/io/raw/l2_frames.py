#!/usr/bin/python3
"""Hand-made ARP/NDP frames for test_l2_responder.py, built with scapy (Debian's python3-scapy,
run with /usr/bin/python3) so that the frames the responder is tested with do not come from
lbd's own encoder. Run inside the client namespace; prints one JSON line.

  l2_frames.py ns IFACE --eth-src M --eth-dst M --src IP --dst IP --target IP
                        [--hlim N] [--sll M|none] [--bad-checksum] [--wait S]
      sends a Neighbor Solicitation; with --wait, reports the first NA for the target
  l2_frames.py na IFACE --eth-src M --target IP [--tll M]
      sends an unsolicited Neighbor Advertisement (to ff02::1, O flag) for the target
  l2_frames.py arp IFACE --eth-src M --op 1|2 --psrc IP --pdst IP [--hwtype N]
      sends a broadcast ARP packet
"""
import argparse
import json
import sys
import time

from scapy.all import ARP, AsyncSniffer, Ether, conf, raw, sendp  # noqa: E402
from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,  # noqa: E402
                                ICMPv6NDOptSrcLLAddr, IPv6)

conf.verb = 0


def neighbor_solicitation(a):
    ns = ICMPv6ND_NS(tgt=a.target)
    if a.sll != "none":
        ns = ns / ICMPv6NDOptSrcLLAddr(lladdr=a.sll or a.eth_src)
    frame = Ether(src=a.eth_src, dst=a.eth_dst) / IPv6(src=a.src, dst=a.dst, hlim=a.hlim) / ns
    if a.bad_checksum:
        frame = Ether(raw(frame))
        frame[ICMPv6ND_NS].cksum ^= 0x0101
    if not a.wait:
        sendp(frame, iface=a.iface)
        return {"sent": True}
    sniffer = AsyncSniffer(iface=a.iface, count=1, timeout=a.wait,
                           lfilter=lambda p: (ICMPv6ND_NA in p and p[ICMPv6ND_NA].tgt == a.target and
                                            p[IPv6].dst == a.src))
    sniffer.start()
    time.sleep(0.2)  # the sniffer's socket is open
    sendp(frame, iface=a.iface)
    sniffer.join()
    if not sniffer.results:
        return {"answered": False}
    answer = sniffer.results[0]
    na = answer[ICMPv6ND_NA]
    tll = answer[ICMPv6NDOptDstLLAddr].lladdr if ICMPv6NDOptDstLLAddr in answer else None
    return {"answered": True, "eth_src": answer[Ether].src, "eth_dst": answer[Ether].dst,
            "src": answer[IPv6].src, "dst": answer[IPv6].dst, "hlim": answer[IPv6].hlim,
            "target": na.tgt, "R": na.R, "S": na.S, "O": na.O, "tll": tll}


def neighbor_advertisement(a):
    frame = (Ether(src=a.eth_src, dst="33:33:00:00:00:01") /
             IPv6(src=a.target, dst="ff02::1", hlim=255) /
             ICMPv6ND_NA(tgt=a.target, R=0, S=0, O=1) /
             ICMPv6NDOptDstLLAddr(lladdr=a.tll or a.eth_src))
    sendp(frame, iface=a.iface)
    return {"sent": True}


def arp(a):
    frame = (Ether(src=a.eth_src, dst="ff:ff:ff:ff:ff:ff") /
             ARP(hwtype=a.hwtype, op=a.op, hwsrc=a.eth_src, psrc=a.psrc, pdst=a.pdst))
    sendp(frame, iface=a.iface)
    return {"sent": True}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="kind", required=True)
    ns = sub.add_parser("ns")
    ns.add_argument("iface")
    for flag in ("--eth-src", "--eth-dst", "--src", "--dst", "--target"):
        ns.add_argument(flag, required=True)
    ns.add_argument("--hlim", type=int, default=255)
    ns.add_argument("--sll")
    ns.add_argument("--bad-checksum", action="store_true")
    ns.add_argument("--wait", type=float, default=0)
    na = sub.add_parser("na")
    na.add_argument("iface")
    na.add_argument("--eth-src", required=True)
    na.add_argument("--target", required=True)
    na.add_argument("--tll")
    ar = sub.add_parser("arp")
    ar.add_argument("iface")
    ar.add_argument("--eth-src", required=True)
    ar.add_argument("--op", type=int, required=True)
    ar.add_argument("--psrc", required=True)
    ar.add_argument("--pdst", required=True)
    ar.add_argument("--hwtype", type=int, default=1)
    a = p.parse_args()
    result = {"ns": neighbor_solicitation, "na": neighbor_advertisement, "arp": arp}[a.kind](a)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
