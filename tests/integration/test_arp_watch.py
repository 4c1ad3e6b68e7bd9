#!/usr/bin/python3
"""The layer-2 prober (arp_watch.py) and its frame code (l2frames.py): frames parsed and built
byte for byte against frames captured from iputils arping, ndisc6 and the Linux kernel; the
timeline queries on known event lists; and in the lab, real kernels answering, a duplicate
address seen as a conflict, a pulled cable seen as unanswered probes, announcements recorded."""
import json
import os
import socket
import time
import unittest

import l2frames as f
from arp_watch import ArpWatch, Timeline, percentile
from l2lab import L2Lab, socket_in

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_MAC, H1_MAC = '02:00:00:00:01:00', '02:00:00:00:00:11'

# Captured with tcpdump on the lab's client (192.0.2.100) while h1 (192.0.2.11) was asked:
ARPING_REQUEST = bytes.fromhex('ffffffffffff02000000010008060001080006040001020000000100c0000264ffffffffffffc000020b')
KERNEL_ARP_REPLY = bytes.fromhex('02000000010002000000001108060001080006040002020000000011c000020b020000000100c0000264')
ARPING_GRATUITOUS = bytes.fromhex('ffffffffffff02000000001108060001080006040001020000000011c000020bffffffffffffc000020b')
NDISC6_NS = bytes.fromhex(
    '3333ff00001102000000010086dd60028bf300203afffe80000000000000000000fffe000100ff0200000000000000000001ff000011'
    '87004a430000000020010db80000000000000000000000110101020000000100')
KERNEL_NA = bytes.fromhex(
    '02000000010002000000001186dd6000000000203aff20010db8000000000000000000000011fe80000000000000000000fffe000100'
    '8800b97d6000000020010db80000000000000000000000110201020000000011')


class Frames(unittest.TestCase):
    def test_arp_parsed(self):
        self.assertEqual(f.parse_arp(KERNEL_ARP_REPLY),
                         {'op': 2, 'sha': H1_MAC, 'spa': '192.0.2.11', 'tha': CLIENT_MAC, 'tpa': '192.0.2.100',
                          'eth_src': H1_MAC, 'eth_dst': CLIENT_MAC})
        self.assertEqual(f.parse_arp(ARPING_REQUEST)['op'], 1)
        g = f.parse_arp(ARPING_GRATUITOUS)
        self.assertEqual((g['spa'], g['tpa'], g['sha']), ('192.0.2.11', '192.0.2.11', H1_MAC))
        # Ethernet padding to 60 bytes (real NICs) changes nothing; other frames are not ARP
        self.assertEqual(f.parse_arp(KERNEL_ARP_REPLY + bytes(18)), f.parse_arp(KERNEL_ARP_REPLY))
        self.assertIsNone(f.parse_arp(KERNEL_NA))
        self.assertIsNone(f.parse_arp(KERNEL_ARP_REPLY[:41]))

    def test_arp_built_like_the_kernel(self):
        self.assertEqual(f.arp_frame(f.ARP_REPLY, H1_MAC, '192.0.2.11', CLIENT_MAC, '192.0.2.100'),
                         KERNEL_ARP_REPLY)
        # arping fills the target hardware address with ff:ff..., we with zeros (RFC 826 leaves it open)
        ours = f.arp_request(CLIENT_MAC, '192.0.2.100', '192.0.2.11')
        self.assertEqual(ours[:32], ARPING_REQUEST[:32])
        self.assertEqual(ours[38:], ARPING_REQUEST[38:])
        self.assertEqual(f.gratuitous_arp(H1_MAC, '192.0.2.11')[:32], ARPING_GRATUITOUS[:32])

    def test_nd_parsed(self):
        na = f.parse_nd(KERNEL_NA)
        self.assertEqual(na, {'type': 136, 'flags': f.NA_SOLICITED | f.NA_OVERRIDE, 'target': '2001:db8::11',
                              'lladdr': H1_MAC, 'src': '2001:db8::11', 'dst': 'fe80::ff:fe00:100',
                              'eth_src': H1_MAC, 'eth_dst': CLIENT_MAC, 'hop_limit': 255})
        ns = f.parse_nd(NDISC6_NS)
        self.assertEqual((ns['type'], ns['target'], ns['lladdr'], ns['dst']),
                         (135, '2001:db8::11', CLIENT_MAC, 'ff02::1:ff00:11'))
        self.assertIsNone(f.parse_nd(KERNEL_ARP_REPLY))
        # an NA without the target link-layer option: no lladdr, the prober falls back to eth_src
        self.assertIsNone(f.parse_nd(KERNEL_NA[:-8][:18] + b'\x00\x18' + KERNEL_NA[20:-8])['lladdr'])

    def test_nd_built_like_ndisc6_and_the_kernel(self):
        # Byte for byte from the payload length on (ndisc6 sets a flow label), checksums included.
        ns = f.neighbor_solicitation(CLIENT_MAC, 'fe80::ff:fe00:100', '2001:db8::11')
        self.assertEqual(ns[:14], NDISC6_NS[:14])
        self.assertEqual(ns[18:], NDISC6_NS[18:])
        na = f.neighbor_advertisement(H1_MAC, '2001:db8::11', dst_ip='fe80::ff:fe00:100', dst_mac=f.mac_bytes(CLIENT_MAC),
                                      solicited=True)
        self.assertEqual(na, KERNEL_NA)
        self.assertEqual(str(f.solicited_node('2001:db8::1:2345')), 'ff02::1:ff01:2345')


def ev(event, t, fam=4, **kw):
    return dict(ev=event, t=t, fam=fam, **kw)


class TimelineQueries(unittest.TestCase):
    """A handover from A to B with a gap, a probe answered twice, an announcement."""
    events = [{'ev': 'start', 't': 0.0},
              ev('probe', 1.00, seq=0), ev('reply', 1.0001, seq=0, mac='A', rtt_us=50),
              ev('probe', 1.01, seq=1), ev('reply', 1.0101, seq=1, mac='A', rtt_us=60),
              ev('probe', 1.02, seq=2),
              ev('probe', 1.03, seq=3),
              ev('announce', 1.035, mac='B', kind='garp'),
              ev('probe', 1.04, seq=4), ev('reply', 1.0401, seq=4, mac='B', rtt_us=70),
              ev('reply', 1.0402, seq=4, mac='A', rtt_us=80),
              ev('probe', 1.05, seq=5), ev('reply', 1.0501, seq=5, mac='B', rtt_us=40),
              ev('probe', 1.05, 6, seq=0), ev('reply', 1.0502, 6, seq=0, mac='C', rtt_us=30)]

    def setUp(self):
        self.tl = Timeline(self.events)

    def test_first_answer(self):
        self.assertEqual(self.tl.first_answer(mac='B')['t'], 1.0401)
        self.assertEqual(self.tl.first_answer(exclude={'A'}, fam=4)['t'], 1.0401)
        self.assertEqual(self.tl.first_answer(after=1.02)['mac'], 'B')
        self.assertIsNone(self.tl.first_answer(mac='B', after=1.06))

    def test_conflicts_and_gaps(self):
        self.assertEqual(self.tl.conflicts(), [(1.04, 4, 4, ['A', 'B'])])
        self.assertEqual([p['seq'] for p in self.tl.unanswered()], [2, 3])
        self.assertEqual(self.tl.unanswered(after=1.035), [])
        self.assertEqual(self.tl.owner_changes(fam=4), [(1.0001, 'A'), (1.0401, 'B'), (1.0402, 'A'), (1.0501, 'B')])
        self.assertEqual(self.tl.macs(fam=4, after=1.045), ['B'])
        self.assertEqual(len(self.tl.announcements(mac='B')), 1)

    def test_late_answers_count_as_answers_within_a_bound(self):
        # Probes 2 and 3 wait 20 and 10 ms for the next IPv4 reply (at 1.0401).
        self.assertEqual([p['seq'] for p in self.tl.unanswered_within(0.015, fam=4)], [2])
        self.assertEqual(self.tl.unanswered_within(0.025, fam=4), [])
        self.assertAlmostEqual(self.tl.slowest_reply_ms(fam=4), 20.1, places=3)
        # The last probe of a family with no reply after it is unanswered at any bound.
        tail = Timeline(self.events + [ev('probe', 1.06, seq=6)])
        self.assertEqual([p['seq'] for p in tail.unanswered_within(10, fam=4)], [6])
        self.assertEqual(tail.slowest_reply_ms(fam=4), float('inf'))

    def test_rtts(self):
        self.assertEqual(self.tl.rtts_us(4), [50, 60, 70, 40])   # the second reply to probe 4 is not a round trip
        self.assertEqual(percentile([5, 1, 4, 2, 3], 50), 3)
        self.assertEqual(percentile(list(range(1, 101)), 99), 99)


class InTheLab(unittest.TestCase):
    """The prober against real kernels: a host's kernel answers for the addresses it owns."""

    @classmethod
    def setUpClass(cls):
        cls.lab = L2Lab(hosts=3, api=False)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def watch(self, **kw):
        w = ArpWatch(self.lab.client.ns, **kw)
        self.addCleanup(w.stop)
        return w

    def test_kernel_answers_its_own_address(self):
        h1 = self.lab.hosts[0]
        w = self.watch(vip4=h1.ip4, vip6=h1.ip6, interval=0.01)
        start = w.timeline().start['t']
        self.assertTrue(w.wait(lambda tl: len(tl.probes) >= 60, timeout=10))
        tl = w.stop()
        self.assertEqual(tl.macs(fam=4), [h1.mac])
        self.assertEqual(tl.macs(fam=6), [h1.mac])
        self.assertEqual(tl.unanswered(), [])
        self.assertEqual(tl.conflicts(), [])
        # probes every ~10 ms (median: this machine may be busy), timestamps on the test's clock
        sent = [p['t'] for p in tl.probes if p['fam'] == 4]
        self.assertAlmostEqual(percentile([b - a for a, b in zip(sent, sent[1:])], 50), 0.01, delta=0.002)
        self.assertLess(abs(start - time.monotonic()), 30)
        self.assertTrue(all(0 < r < 100_000 for r in tl.rtts_us()), tl.rtts_us())

    def test_two_answerers_are_a_conflict(self):
        h1, h2 = self.lab.hosts[:2]
        self.lab.run(h2.ns, 'ip', 'addr', 'add', h1.ip4 + '/32', 'dev', 'eth0')   # duplicate address
        self.addCleanup(self.lab.run, h2.ns, 'ip', 'addr', 'del', h1.ip4 + '/32', 'dev', 'eth0')
        w = self.watch(vip4=h1.ip4)
        conflicts = w.wait(lambda tl: tl.conflicts(), timeout=5)
        self.assertTrue(conflicts, 'both kernels answer, the prober must see it')
        self.assertEqual(conflicts[0][3], sorted([h1.mac, h2.mac]))

    def test_pulled_cable_leaves_probes_unanswered(self):
        h3 = self.lab.hosts[2]
        w = self.watch(vip4=h3.ip4, interval=0.005)
        w.wait_answer(mac=h3.mac, timeout=5)
        down = time.monotonic()
        self.lab.link(h3, up=False)
        time.sleep(0.3)
        up = time.monotonic()
        self.lab.link(h3, up=True)
        back = w.wait_answer(mac=h3.mac, after=up, timeout=5)
        self.assertIsNotNone(back, 'h3 answers again once its cable is back')
        tl = w.timeline()
        gap = tl.unanswered(after=down + 0.02, before=up)      # the first few ms: the switch reacting
        self.assertGreater(len(gap), 30, 'about 60 probes of 5 ms went unanswered')
        self.assertGreater(len(tl.unanswered_within(0.1, after=down + 0.02, before=up - 0.1)), 20)
        self.assertEqual(tl.answers(after=down + 0.02, before=up), [])
        self.assertLess(back['t'] - up, 1.0)

    def test_announcements_are_recorded(self):
        h3 = self.lab.hosts[2]
        vip4, vip6 = '192.0.2.201', '2001:db8::201'
        w = self.watch(vip4=vip4, vip6=vip6)
        # h3 plays a rival announcer with raw frames (as a takeover test will)
        with socket_in(h3.ns, socket.AF_PACKET, socket.SOCK_RAW, 0) as s:
            s.bind(('eth0', 0))
            s.send(f.gratuitous_arp(h3.mac, vip4))
            s.send(f.arp_frame(f.ARP_REPLY, h3.mac, vip4, f.BROADCAST, vip4))
            s.send(f.neighbor_advertisement(h3.mac, vip6))
        seen = w.wait(lambda tl: len(tl.announcements()) >= 3 and tl.announcements(), timeout=5)
        self.assertEqual(sorted((a['fam'], a['kind'], a['mac']) for a in seen),
                         [(4, 'garp', h3.mac), (4, 'garp', h3.mac), (6, 'una', h3.mac)])
        tl = w.stop()
        self.assertEqual(tl.replies, [])                 # nobody owns the VIP: no replies
        self.assertEqual(len(tl.unanswered()), len(tl.probes))

    def test_cli_summary(self):
        h2 = self.lab.hosts[1]
        out = self.lab.run(self.lab.client.ns, '/usr/bin/python3', os.path.join(HERE, 'arp_watch.py'),
                           '--vip4', h2.ip4, '--interval', '0.002', '--count', '100', '--summary').stdout
        summary = json.loads(out)
        self.assertEqual((summary['probes'], summary['replies'], summary['unanswered']), (100, 100, 0))
        self.assertEqual(summary['macs'], [h2.mac])
        self.assertEqual(summary['rtt4_us']['n'], 100)
        self.assertLessEqual(summary['rtt4_us']['p50'], summary['rtt4_us']['p99'])


if __name__ == '__main__':
    unittest.main()
