#!/usr/bin/python3
"""bgp_routers.py proves itself without lbd: gobgpd on the hosts plays the speaker (AS 65001, both
hosts, IPv4 and IPv6 sessions) toward BIRD, FRR and GoBGP routers (AS 64512), and every reader
must show what the speaker announced, exactly: next hops, communities (well-known ones numeric),
large communities, MED, AS path; ECMP across both hosts; withdrawals; stale paths while the
speaker restarts gracefully; Cease notifications in both directions; an MD5 password that
matches establishes and one that does not, does not. The GarbageRouter's malformed messages get
the NOTIFICATION RFC 4271 prescribes from a BIRD speaker (treat-as-withdraw ones keep the session,
RFC 7606), and it counts the reconnections. About 55 s, mostly gobgpd's fixed 5 s connect retry
and idle hold."""
import time
import unittest

from bgp_routers import GARBAGE, BirdRouter, FrrRouter, GarbageRouter, GobgpRouter, Neighbor
from l2lab import L2Lab, wait_for

SPEAKER_AS, ROUTER_AS = 65001, 64512
KINDS = {'bird': BirdRouter, 'frr': FrrRouter, 'gobgp': GobgpRouter}
PASSWORD = 'lbd-test-md5'
# GarbageRouter endpoint -> what it sends on successive connections (the last one repeats); every
# entry of GARBAGE is here but 'long-keepalive': BIRD 2.0.12 does not check a KEEPALIVE's length
# (bgp_rx_keepalive), the session just goes on. The treat-as-withdraw ones (the session stays up)
# need an endpoint each.
GARBAGE_CASES = {'g-marker': ['bad-marker'], 'g-type': ['bad-type'], 'g-upd': ['update-bad-lengths'],
                 'g-as': ['open-bad-as'], 'g-seq': ['open-bad-version', 'open-bad-hold'],
                 'g-again': ['bad-length', None], 'g-valid': ['valid-update'],
                 'g-nohop': ['update-missing-next-hop'], 'g-overrun': ['update-attribute-overrun'],
                 'g-origin': ['update-bad-origin']}
TREAT_AS_WITHDRAW = ('g-nohop', 'g-overrun', 'g-origin')


class RealRouters(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.lab = lab = L2Lab(hosts=3, api=False, routers=('bird', 'frr', 'gobgp', 'md5') + tuple(GARBAGE_CASES))
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        lab = cls.lab
        cls.h1, cls.h2, cls.h3 = lab.hosts
        cls.speaker_hosts = [cls.h1, cls.h2]
        cls.routers = {}
        for kind, make in KINDS.items():
            e = lab.router(kind)
            # BIRD's sessions to h1 carry an MD5 password (the speaker's matches)
            password = PASSWORD if kind == 'bird' else None
            cls.routers[kind] = make(lab, e, asn=ROUTER_AS, neighbors=[
                Neighbor(h.ip4 if f == 'ipv4' else h.ip6, SPEAKER_AS,
                         password=password if h is cls.h1 else None)
                for h in cls.speaker_hosts for f in ('ipv4', 'ipv6')])
        # A BIRD whose password differs from the speaker's; passive (h2's speaker connects to it).
        cls.md5 = BirdRouter(lab, lab.router('md5'), asn=ROUTER_AS,
                             neighbors=[Neighbor(cls.h2.ip4, SPEAKER_AS, password='not-' + PASSWORD,
                                                 passive=True)])
        # The GarbageRouters' referee: BIRD in h3 connecting to each of them. (gobgpd 3.10 cannot
        # be the referee: a malformed header in Established panics it, a nil pointer in
        # fsmHandler.handlingError.)
        cls.garbage = {name: GarbageRouter(lab, lab.router(name), cls.h3.ip4, asn=ROUTER_AS, garbage=cases)
                       for name, cases in GARBAGE_CASES.items()}
        for g in cls.garbage.values():
            g.start()
        cls.referee = BirdRouter(lab, cls.h3, asn=SPEAKER_AS,
                                 neighbors=[Neighbor(lab.router(name).ip4, ROUTER_AS) for name in GARBAGE_CASES])
        # The speakers: gobgpd exporting what `announce` adds, passive toward the real routers (no
        # connection collisions; BIRD and FRR connect within a second, GoBGP within 5 s: gobgpd
        # 3.10 never retries faster), active toward the md5 BIRD.
        cls.speakers = {}
        for h in cls.speaker_hosts:
            ns = []
            for kind in KINDS:
                e = lab.router(kind)
                password = PASSWORD if (kind, h) == ('bird', cls.h1) else None
                ns += [Neighbor(e.ip4, ROUTER_AS, passive=True, password=password),
                       Neighbor(e.ip6, ROUTER_AS, passive=True, password=password)]
            if h is cls.h2:
                ns.append(Neighbor(lab.router('md5').ip4, ROUTER_AS, password=PASSWORD))
            cls.speakers[h.name] = GobgpRouter(lab, h, asn=SPEAKER_AS, neighbors=ns, export=True)
        # speakers first: the routers' first connections find them listening
        for r in list(cls.speakers.values()) + list(cls.routers.values()) + [cls.md5, cls.referee]:
            r.start()

    @classmethod
    def tearDownClass(cls):
        for g in getattr(cls, 'garbage', {}).values():
            g.stop()
        cls.lab.close()
        print('\n  (%.1f s with setup and cleanup)' % (time.monotonic() - cls.t0))

    def all_established(self, timeout=20):
        for r in self.routers.values():
            r.wait_established(timeout=timeout)

    # ----- sessions and routes

    def test_sessions_established_on_both_families(self):
        self.all_established()
        for kind, r in self.routers.items():
            for h in self.speaker_hosts:
                for address in (h.ip4, h.ip6):
                    self.assertEqual(r.neighbor_state(address), 'established', (kind, address))
                    self.assertEqual(self.speakers[h.name].neighbor_state(
                        r.endpoint.ip6 if ':' in address else r.endpoint.ip4), 'established')
        # the routers export nothing to the speaker
        self.assertEqual(self.speakers['h1'].routes('ipv4'), {})
        self.assertEqual(self.speakers['h1'].routes('ipv6'), {})

    def test_routes_with_attributes_then_withdrawn(self):
        self.all_established()
        s, h1 = self.speakers['h1'], self.h1
        expect = {'198.51.100.5/32': h1.ip4, '2001:db8:ff::5/128': h1.ip6}
        for prefix in expect:
            s.announce(prefix, communities=['65000:100', 'no-export', '65535:0'],
                       large_communities=['1:2:3', '65000:7:8'], med=10)
        for kind, r in self.routers.items():
            for prefix, hop in expect.items():
                route = r.wait_route(prefix, check=lambda x: x.next_hops == [hop])
                with self.subTest(router=kind, prefix=prefix):
                    self.assertEqual(route.prefix, prefix)
                    self.assertEqual(route.next_hops, [hop])
                    self.assertEqual(route.communities, ['65000:100', '65535:0', '65535:65281'])
                    self.assertEqual(route.large_communities, ['1:2:3', '65000:7:8'])
                    self.assertEqual(route.med, 10)
                    self.assertEqual(route.as_path, [SPEAKER_AS])
                    self.assertIsNone(route.local_pref)          # eBGP
                    self.assertEqual(route.origin, 'incomplete')  # gobgp's default for rib add
                    self.assertFalse(route.stale)
                    self.assertEqual([p.peer for p in route.paths], [hop])
                    self.assertTrue(route.paths[0].best)
        for prefix in expect:
            s.withdraw(prefix)
        for kind, r in self.routers.items():
            for prefix in expect:
                r.wait_no_route(prefix)
            self.assertNotIn('198.51.100.5/32', r.routes('ipv4'))

    def test_ecmp_paths_from_both_hosts(self):
        self.all_established()
        v4, v6 = '198.51.100.6/32', '2001:db8:ff::6/128'
        for h in self.speaker_hosts:
            self.speakers[h.name].announce(v4, med=5)
            self.speakers[h.name].announce(v6, med=5)
        hops4 = sorted(h.ip4 for h in self.speaker_hosts)
        hops6 = sorted(h.ip6 for h in self.speaker_hosts)
        for kind, r in self.routers.items():
            for prefix, hops in ((v4, hops4), (v6, hops6)):
                route = r.wait_route(prefix, check=lambda x: x.next_hops == hops)
                self.assertEqual(len(route.paths), 2, (kind, route))
                self.assertEqual(sum(p.best for p in route.paths), 1, (kind, route))
                if kind == 'frr':                                # FRR tells which paths it multipaths
                    self.assertTrue(all(p.multipath for p in route.paths), route)
        # one host withdraws: one next hop left
        self.speakers['h2'].withdraw(v4)
        for r in self.routers.values():
            r.wait_route(v4, check=lambda x: x.next_hops == [self.h1.ip4])
        for h in self.speaker_hosts:
            self.speakers[h.name].withdraw(v6)
        self.speakers['h1'].withdraw(v4)
        for r in self.routers.values():
            r.wait_no_route(v4)
            r.wait_no_route(v6)

    def test_graceful_restart_keeps_stale_paths_until_end_of_rib(self):
        self.all_established()
        s, h1 = self.speakers['h1'], self.h1
        v4, v6 = '198.51.100.7/32', '2001:db8:ff::7/128'
        s.announce(v4)
        s.announce(v6)
        for r in self.routers.values():
            for prefix in (v4, v6):
                self.assertFalse(r.wait_route(prefix).stale)
        s.kill()                                 # a crash: no NOTIFICATION, the TCP sessions just end
        for kind, r in self.routers.items():
            for prefix, hop in ((v4, h1.ip4), (v6, h1.ip6)):
                route = r.wait_route(prefix, timeout=15, check=lambda x: x.stale)
                self.assertEqual(route.next_hops, [hop], kind)
                self.assertNotEqual(r.neighbor_state(hop), 'established', kind)
        # The speaker comes back in restart state without the routes: after its End-of-RIB the
        # routers drop the stale paths. gobgpd -r sends End-of-RIB to nobody before every peer
        # sent it its own, and the GoBGP router is back only after 10-15 s (5 s idle hold, then
        # connect retries 5 s apart), hence the long wait.
        s.start(restarted=True)
        for kind, r in self.routers.items():
            r.wait_established(h1.ip4, timeout=30)
            r.wait_established(h1.ip6, timeout=30)
            r.wait_no_route(v4, timeout=30)
            r.wait_no_route(v6, timeout=30)

    # ----- notifications

    def test_cease_notifications_both_ways(self):
        self.all_established()
        s, h2 = self.speakers['h2'], self.h2
        # The speaker shuts its IPv6 sessions: each router received Cease/Administrative Shutdown.
        # Each router shuts its IPv4 session with h2: the speaker received the same.
        for r in self.routers.values():
            s.disable(r.endpoint.ip6)
            r.disable(h2.ip4)
        try:
            for kind, r in self.routers.items():
                wait_for(lambda: r.last_notification(h2.ip6) is not None, 10, '%s: notification' % kind)
                n = r.last_notification(h2.ip6)
                self.assertEqual((n.direction, n.code, n.subcode), ('received', 6, 2), kind)
                self.assertRegex(r.last_error(h2.ip6).lower(), 'shutdown', kind)
                self.assertEqual(s.last_notification(r.endpoint.ip6), ('sent', 6, 2, b''), kind)
                self.assertEqual(r.neighbor_state(h2.ip4), 'down', kind)
                if kind == 'gobgp':     # BIRD and FRR do not record what they send on a shutdown
                    self.assertEqual(r.last_notification(h2.ip4), ('sent', 6, 2, b''))
                wait_for(lambda: s.last_notification(r.endpoint.ip4) is not None, 10, 'speaker: notification')
                n = s.last_notification(r.endpoint.ip4)
                self.assertEqual((n.direction, n.code, n.subcode), ('received', 6, 2), kind)
        finally:
            problems = []
            for r in self.routers.values():
                for undo in (lambda: s.enable(r.endpoint.ip6), lambda: r.enable(h2.ip4)):
                    try:
                        undo()
                    except Exception as e:      # undo the rest all the same
                        problems.append(e)
            if problems:
                raise problems[0]
        for r in self.routers.values():
            r.wait_established(h2.ip4, timeout=20)
            r.wait_established(h2.ip6, timeout=20)

    # ----- MD5

    def test_md5_password_must_match(self):
        bird, md5 = self.routers['bird'], self.md5
        bird.wait_established(self.h1.ip4)
        bird.wait_established(self.h1.ip6)
        self.assertIn('password "%s";' % PASSWORD, bird.config_text)
        # the other BIRD has the wrong password: 3 s of the speaker's connection attempts fail
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            self.assertNotEqual(md5.neighbor_state(self.h2.ip4), 'established')
            time.sleep(0.2)
        self.assertNotEqual(self.speakers['h2'].neighbor_state(md5.endpoint.ip4), 'established')
        # the same BIRD with the right password establishes: the password was the only problem
        md5.neighbors[0].password = PASSWORD
        md5.restart()
        md5.wait_established(self.h2.ip4, timeout=20)

    # ----- GarbageRouter (referee: BIRD in h3)

    def test_garbage_router_gets_the_rfc_notifications(self):
        self.assertEqual(sorted({c for cases in GARBAGE_CASES.values() for c in cases if c} | {'long-keepalive'}),
                         sorted(GARBAGE))
        referee = self.referee
        for name, cases in GARBAGE_CASES.items():
            g, address = self.garbage[name], self.lab.router(name).ip4
            for i, case in enumerate(cases):
                expected = case and GARBAGE[case].expected
                if expected is None:
                    continue
                with self.subTest(name=name, garbage=case):
                    n = g.wait_notification(i, timeout=15)
                    self.assertEqual((n.direction, n.code, n.subcode), ('received',) + expected, g.log())
                    c = g.connections[i]
                    self.assertEqual(c.open['asn'], SPEAKER_AS)
                    self.assertEqual(c.open['router_id'], self.h3.ip4)
                    self.assertEqual(c.closed, 'peer')
                    self.assertIn('garbage:' + case, c.sent)
            # the referee's own reader agrees on the last one (a well-behaved session clears it)
            if cases[-1] is not None and GARBAGE[cases[-1]].expected:
                seen = referee.last_notification(address)
                self.assertEqual(seen, ('sent',) + GARBAGE[cases[-1]].expected + (b'',),
                                 referee.last_error(address))
        # bad-length / bad-type: the data is the offending field (RFC 4271 6.1)
        self.assertEqual(self.garbage['g-again'].wait_notification(0).data, b'\x00\x12')
        self.assertEqual(self.garbage['g-type'].wait_notification(0).data, b'\x2a')

    def test_garbage_router_counts_reconnections(self):
        g = self.garbage['g-again']            # bad-length once, then a well-behaved session
        g.wait_connections(2, timeout=20)
        second = g.connections[1]
        wait_for(lambda: second.established, 10, 'the second session')
        self.referee.wait_established(self.lab.router('g-again').ip4, timeout=10)
        self.assertIsNone(second.notification)
        self.assertEqual(g.connections[0].notification[1:3], (1, 2))

    def test_treat_as_withdraw_keeps_the_session(self):
        referee, valid = self.referee, self.lab.router('g-valid').ip4
        # the control: the same prefix in a well-formed UPDATE is accepted from g-valid
        referee.wait_route('198.51.100.99/32', timeout=15)
        for name in TREAT_AS_WITHDRAW:
            g = self.garbage[name]
            wait_for(lambda: g.connections and 'garbage:' + GARBAGE_CASES[name][0] in g.connections[0].sent,
                     15, 'the garbage of ' + name)
        time.sleep(1)
        for name in TREAT_AS_WITHDRAW:
            g = self.garbage[name]
            with self.subTest(name=name):
                self.assertEqual(len(g.connections), 1, g.log())
                self.assertIsNone(g.connections[0].notification, g.log())
                self.assertTrue(g.connections[0].established)
                self.assertEqual(referee.neighbor_state(self.lab.router(name).ip4), 'established')
        route = referee.route('198.51.100.99/32')
        self.assertEqual([p.peer for p in route.paths], [valid], route)     # none from the others
        self.assertEqual(route.next_hops, [valid])
        self.assertEqual(route.as_path, [ROUTER_AS])

if __name__ == '__main__':
    unittest.main()
