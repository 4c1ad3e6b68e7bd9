#!/usr/bin/python3
"""Layer 2 end to end (issue 9): three hosts running lbd and a client on one bridge, the API
test server in its own namespace (tests/integration/l2lab.py). Seen from the client, with
arp_watch probing every 10 ms: exactly one MAC answers each VIP and it is the Lease holder's;
VIPs spread evenly; a crash (kill -9 + cable pulled) moves the VIP and the new owner announces
it; a graceful stop hands over with no instant where two MACs answer and no wait for expiry; a
host that comes back takes nothing; a link going down moves its VIPs; externalTrafficPolicy
Local follows the ready endpoint; an API outage leaves every VIP answered; a rogue announcer is
logged and does not take the VIP; TCP reaches the owner. Layer2IPv6 runs the failover scenarios
again with IPv6 VIPs (NDP: neighbour solicitations and unsolicited advertisements), and the API
outage watches an IPv4 and an IPv6 VIP at once."""

import os
import signal
import socket
import subprocess
import time
import unittest

import l2frames
from arp_watch import ArpWatch
from l2lab import L2Lab, wait_for
from netns import socket_in

LEASE_NS = 'lbd-system'
POOL = ('[[pool]]\nname = "l2"\nmode = "layer2"\n'
        'addresses = ["192.0.2.200-192.0.2.239", "2001:db8::200-2001:db8::23f"]\n')
OUTAGE = float(os.environ.get('L2_API_OUTAGE_SECONDS', '60'))
LBD = os.environ.get('LBD_BIN', '')


def lease_name(ip):
    if ':' in ip:
        return 'lbd-vip-' + ip.replace(':', '-')
    return 'lbd-vip-' + ip.replace('.', '-')


@unittest.skipUnless(LBD, 'needs LBD_BIN (run through CTest)')
class Layer2(unittest.TestCase):
    FAMILY = 4  # of the VIPs the failover scenarios use

    def vip(self, last):
        """The scenario's address: 192.0.2.<last>, or 2001:db8::<last> for IPv6 (both in POOL)."""
        return '192.0.2.%d' % last if self.FAMILY == 4 else '2001:db8::%d' % last

    def watch(self, ip, **kwargs):
        """arp_watch on the client for one VIP: ARP for IPv4, neighbour solicitations for IPv6."""
        return ArpWatch(self.lab.client.ns, **({'vip6': ip} if ':' in ip else {'vip4': ip}), **kwargs)

    def setUp(self):
        # Dual stack, so IPv6 Services can be made.
        self.lab = L2Lab(hosts=3, api_args=('--service-cidr', '10.96.0.0/16,fd00:96::/108'))
        self.addCleanup(self.lab.close)
        for ns in (LEASE_NS, 'shop'):
            self.lab.cluster.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})
        self.lab.create_nodes()
        self.macs = {h.name: h.mac for h in self.lab.hosts}

    def start(self, host, extra='', election=''):
        d = self.lab.lbd(host)
        d.write('pools.d/l2.toml', POOL + extra)
        if election:
            with open(os.path.join(d.dir, 'lbd.toml')) as f:
                main = f.read()
            if '[election]' not in main:
                d.write('lbd.toml', main + '\n[election]\n' + election)
        d.start_lbd()
        return d

    def start_all(self, election=''):
        for h in self.lab.hosts:
            self.start(h, election=election)
        for h in self.lab.hosts:
            wait_for(lambda: self.lab.lbd(h).lbctl_json('status')['kubernetes_state'] == 'connected', 20,
                     '%s connected' % h.name)

    def service(self, name, ips=None, families=None, local=False):
        if families is None:
            families = tuple('IPv6' if ':' in ip else 'IPv4' for ip in ips) if ips else ('IPv4',)
        meta = {'name': name, 'namespace': 'shop'}
        if ips:
            meta['annotations'] = {'lbd.io/loadBalancerIPs': ','.join(ips)}
        spec = {'type': 'LoadBalancer', 'selector': {'app': name}, 'allocateLoadBalancerNodePorts': False,
                'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}], 'ipFamilies': list(families),
                'ipFamilyPolicy': 'RequireDualStack' if len(families) == 2 else 'SingleStack'}
        if local:
            spec['externalTrafficPolicy'] = 'Local'
        return self.lab.cluster.create({'apiVersion': 'v1', 'kind': 'Service', 'metadata': meta, 'spec': spec})

    def holder(self, ip):
        lease = self.lab.cluster.get('Lease', LEASE_NS, lease_name(ip))
        return (lease or {}).get('spec', {}).get('holderIdentity', '')

    def wait_holder(self, ip, timeout=15, not_in=()):
        return wait_for(lambda: (h := self.holder(ip)) and h not in not_in and h, timeout,
                        'a holder for %s' % ip)

    def daemon_of(self, name):
        return self.lab.lbd(self.lab.host(name))

    # ---------------------------------------------------------------------------------------

    def test_one_owner_per_vip_spread_evenly_and_traffic_reaches_it(self):
        # The ranks split a burst of VIPs evenly; a host that decides more than claim-step late
        # loses its share to the next rank (on purpose: that is failover). The allocator host
        # is busiest in a burst, and under ASan on 2 cores it was late by more than the default
        # 100 ms (4/13/13): a wider step keeps this a test of the spread, not of speed.
        self.start_all(election='claim-step = "400ms"\n')
        # A host claims nothing for lease-duration after its first heartbeat (it must see its
        # peers first); VIPs appearing meanwhile go to the hosts already up. Let all three be up.
        time.sleep(2.5)
        names = ['web-%02d' % i for i in range(30)]
        for name in names:
            self.service(name)
        ips = {}
        for name in names:
            svc = wait_for(lambda: (s := self.lab.cluster.get('Service', 'shop', name))
                           and s.get('status', {}).get('loadBalancer', {}).get('ingress') and s, 20, name)
            ips[name] = svc['status']['loadBalancer']['ingress'][0]['ip']
        holders = {ip: self.wait_holder(ip, timeout=20) for ip in ips.values()}
        counts = {h.name: sum(1 for x in holders.values() if x == h.name) for h in self.lab.hosts}
        print('\n30 VIPs over 3 hosts: %s' % counts)
        if any(abs(count - 10) > 1 for count in counts.values()):
            for h in self.lab.hosts:  # what each host thought, for the CI log
                print('--- %s: %s\n%s' % (h.name, self.lab.lbd(h).lbctl_json('status')['layer2'],
                                         self.lab.lbd(h).log()[-4000:]))
        for count in counts.values():
            self.assertLessEqual(abs(count - 10), 1, counts)  # within +-1 of an even split
        # Every host answers exactly what it holds, and says so.
        for h in self.lab.hosts:
            mine = sorted(ip for ip, x in holders.items() if x == h.name)
            status = wait_for(lambda: (s := self.lab.lbd(h).lbctl_json('status')['layer2'])
                              and s['announced'] == len(mine) and s, 10, '%s announces %d' % (h.name, len(mine)))
            self.assertTrue(status['heartbeat_fresh'])
            self.assertEqual(sorted(status['peers']), sorted(x.name for x in self.lab.hosts if x is not h))
        # From the client: one MAC per VIP, the holder's (10 VIPs probed for 0.5 s each).
        for ip in sorted(ips.values())[:10]:
            with ArpWatch(self.lab.client.ns, vip4=ip) as watch:
                answer = watch.wait_answer(timeout=5)
                time.sleep(0.5)
            timeline = watch.timeline()
            self.assertEqual(set(timeline.macs()), {self.macs[holders[ip]]}, ip)
            self.assertEqual(timeline.conflicts(), [], ip)
            self.assertEqual(answer['mac'], self.macs[holders[ip]])
        # lbctl services on a host: holder and "here" side by side.
        rows = {s['name']: s for s in self.lab.lbd(self.lab.hosts[0]).lbctl_json('services')}
        for name, ip in ips.items():
            [vip] = rows[name]['vips']
            self.assertEqual(vip['holder'], holders[ip])
            self.assertEqual(vip['announcing_here'], holders[ip] == self.lab.hosts[0].name)
        # Traffic: the client's TCP connection to a VIP lands on its owner (DNAT = kube-proxy).
        ip = ips['web-00']
        for h in self.lab.hosts:
            self.lab.serve_vip(h, vip4=ip)
        self.assertEqual(self.lab.tcp_request(ip).strip(), holders[ip])
        neighbours = self.lab.neighbours()
        self.assertEqual(neighbours.get(ip, {}).get('mac'), self.macs[holders[ip]], neighbours)
        # The new owner recorded a nodeAssigned Event on the Service.
        events = [e for e in self.lab.cluster.objects('Event')
                  if e['involvedObject']['name'] == 'web-00' and e['reason'] == 'nodeAssigned']
        self.assertTrue(events)
        self.assertIn('"%s"' % holders[ip], events[-1]['message'])

    def test_ipv6_one_owner_answers_ndp(self):
        self.start_all()
        self.service('v6', families=('IPv6',))
        svc = wait_for(lambda: (s := self.lab.cluster.get('Service', 'shop', 'v6'))
                       and s.get('status', {}).get('loadBalancer', {}).get('ingress') and s, 20, 'v6 address')
        ip = svc['status']['loadBalancer']['ingress'][0]['ip']
        owner = self.wait_holder(ip)
        with ArpWatch(self.lab.client.ns, vip6=ip) as watch:
            answer = watch.wait_answer(timeout=10)
            time.sleep(0.5)
        self.assertEqual(answer['mac'], self.macs[owner])
        self.assertEqual(set(watch.timeline().macs()), {self.macs[owner]})
        out = self.lab.run(self.lab.client.ns, 'ndisc6', '-1', '-r', '3', ip, 'eth0').stdout
        self.assertIn(self.macs[owner].upper(), out.upper())
        self.lab.serve_vip(self.lab.host(owner), vip6=ip)
        self.assertEqual(self.lab.tcp_request(ip).strip(), owner)

    def test_crash_moves_the_vip_and_the_new_owner_announces_it(self):
        self.start_all()
        ip = self.vip(210)
        self.service('web', ips=[ip])
        owner = self.wait_holder(ip)
        with self.watch(ip) as watch:
            watch.wait_answer(mac=self.macs[owner], timeout=10)
            crashed = time.monotonic()
            self.daemon_of(owner).lbd.kill()
            self.lab.link(self.lab.host(owner), up=False)
            answer = watch.wait_answer(after=crashed, exclude={self.macs[owner]}, timeout=10)
            took = answer['t'] - crashed
            wait_for(lambda: watch.timeline().announcements(after=crashed, mac=answer['mac']), 5,
                     'a gratuitous ARP (IPv6: unsolicited NA) from the new owner')
        print('\nIPv%d crash failover (kill -9 + cable): %.0f ms' % (self.FAMILY, took * 1000))
        self.assertLess(took, 2.5, 'crash failover took %.2f s' % took)
        new_owner = self.wait_holder(ip, not_in=(owner,))
        self.assertEqual(answer['mac'], self.macs[new_owner])

    def test_graceful_stop_hands_over_at_once_with_never_two_answers_and_takes_nothing_back(self):
        self.start_all()
        vips = [self.vip(220), self.vip(221), self.vip(222)]
        for i, ip in enumerate(vips):
            self.service('g%d' % i, ips=[ip])
        holders = {ip: self.wait_holder(ip) for ip in vips}
        owner = holders[vips[0]]
        with self.watch(vips[0]) as watch:
            watch.wait_answer(mac=self.macs[owner], timeout=10)
            stopped = time.monotonic()
            self.daemon_of(owner).stop_lbd()
            answer = watch.wait_answer(after=stopped, exclude={self.macs[owner]}, timeout=5)
            took = answer['t'] - stopped
            time.sleep(0.5)
        timeline = watch.timeline()
        print('\nIPv%d graceful handover (SIGTERM): %.0f ms' % (self.FAMILY, took * 1000))
        self.assertEqual(timeline.conflicts(), [], 'two MACs answered at once')
        self.assertLess(took, 1.0, 'a graceful handover must not wait for lease expiry (2 s)')
        # The stopped host released its heartbeat and VIPs: its Leases say so.
        self.assertEqual(self.lab.cluster.get('Lease', LEASE_NS, 'lbd-node-' + owner)['spec'].get('holderIdentity', ''), '')
        after = {ip: self.wait_holder(ip, not_in=(owner,)) for ip in vips if holders[ip] == owner}
        # It comes back and takes nothing back.
        self.daemon_of(owner).start_lbd()
        wait_for(lambda: owner in self.lab.lbd(self.lab.hosts[0] if self.lab.hosts[0].name != owner
                                                else self.lab.hosts[1]).lbctl_json('status')['layer2']['peers'],
                 10, 'the returning host is alive again')
        time.sleep(3)
        for ip, holder in after.items():
            self.assertEqual(self.holder(ip), holder, 'no preemption')

    def test_link_down_on_the_owner_moves_its_vips(self):
        self.start_all()
        ip = self.vip(230)
        self.service('web', ips=[ip])
        owner = self.wait_holder(ip)
        with self.watch(ip) as watch:
            watch.wait_answer(mac=self.macs[owner], timeout=10)
            down = time.monotonic()
            self.lab.link(self.lab.host(owner), up=False)
            answer = watch.wait_answer(after=down, exclude={self.macs[owner]}, timeout=10)
        new_owner = self.wait_holder(ip, not_in=(owner,))
        self.assertEqual(answer['mac'], self.macs[new_owner])
        # The API server is on the same segment, so the cut-off owner cannot write its release:
        # the others take over when its heartbeat expires, as after a crash. The owner itself
        # saw its link go down, stopped answering, and keeps running.
        self.assertLess(answer['t'] - down, 2.5)
        wait_for(lambda: 'links: ' in self.daemon_of(owner).log(), 5, 'the owner logs the link change')
        self.assertIsNone(self.daemon_of(owner).lbd.poll())

    def test_local_traffic_policy_follows_the_ready_endpoint(self):
        self.start_all()
        ip = self.vip(235)
        self.service('local', ips=[ip], local=True)

        def slice_on(node):
            return {'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
                    'metadata': {'name': 'local-abc', 'namespace': 'shop',
                                 'labels': {'kubernetes.io/service-name': 'local'}},
                    'addressType': 'IPv%d' % self.FAMILY,
                    'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}],
                    'endpoints': [{'addresses': ['10.244.0.5' if self.FAMILY == 4 else 'fd00:244::5'],
                                   'conditions': {'ready': True}, 'nodeName': node}]}
        time.sleep(3)
        self.assertEqual(self.holder(ip), '', 'no ready endpoint: nobody announces')
        self.lab.cluster.create(slice_on('h2'))
        self.assertEqual(self.wait_holder(ip), 'h2')
        current = self.lab.cluster.get('EndpointSlice', 'shop', 'local-abc')
        moved = slice_on('h3')
        moved['metadata']['resourceVersion'] = current['metadata']['resourceVersion']
        self.lab.cluster.update(moved)
        self.assertEqual(self.wait_holder(ip, not_in=('h2',)), 'h3')
        with self.watch(ip) as watch:
            answer = watch.wait_answer(timeout=5)
        self.assertEqual(answer['mac'], self.macs['h3'])

    def test_an_api_outage_leaves_every_vip_answered(self):
        self.start_all()
        vips = ['192.0.2.201', '192.0.2.202', '2001:db8::201', '2001:db8::202']
        for i, ip in enumerate(vips):
            self.service('o%d' % i, ips=[ip])
        holders = {ip: self.wait_holder(ip) for ip in vips}
        watches = [self.watch(ip) for ip in vips]
        try:
            for w in watches:
                w.wait_answer(timeout=10)
            start = time.monotonic()
            self.lab.server.control('POST', '/refuse', {'seconds': OUTAGE, 'dropExisting': True})
            time.sleep(OUTAGE + 1)
            end = time.monotonic()
        finally:
            for w in watches:
                w.stop()
        for ip, w in zip(vips, watches):
            timeline = w.timeline()
            print('\n%s: %d probes during the outage, %d answered after the next probe went out, '
                  'slowest answer %.1f ms' % (ip, len(timeline.answers(after=start, before=end)), len(timeline.unanswered(after=start, before=end)),
                                              timeline.slowest_reply_ms(after=start, before=end - 0.2)))
            # A client whose ARP request goes unanswered asks again after 1 s (retrans_time_ms);
            # 100 ms is ten times tighter than that, yet loose enough for a loaded 2-core CI
            # machine where a probe's answer sometimes comes after the next 10 ms probe.
            self.assertEqual(timeline.unanswered_within(0.1, after=start, before=end - 0.2), [], ip)
            self.assertEqual(set(timeline.macs(after=start, before=end)), {self.macs[holders[ip]]}, ip)
        # Heartbeats are fresh again soon after the API is back: a successful renewal brings the
        # Lease watch back from its backoff (grown to 15-30 s during the outage) at once.
        for h in self.lab.hosts:
            wait_for(lambda: self.lab.lbd(h).lbctl_json('status')['layer2']['heartbeat_fresh'],
                     max(0.5, end + 5 - time.monotonic()), '%s heartbeat fresh again within 5 s' % h.name)
        # And nobody took a VIP from its (live) owner.
        time.sleep(3)
        for ip in vips:
            self.assertEqual(self.holder(ip), holders[ip], ip)

    def test_a_rogue_announcer_is_logged_and_does_not_take_the_vip(self):
        self.start_all()
        ip = self.vip(205)
        self.service('web', ips=[ip])
        owner = self.wait_holder(ip)
        rogue = '02:00:00:00:0b:ad'
        announce = l2frames.gratuitous_arp if self.FAMILY == 4 else l2frames.neighbor_advertisement
        with self.watch(ip) as watch:
            watch.wait_answer(mac=self.macs[owner], timeout=10)
            started = time.monotonic()
            with socket_in(self.lab.client.ns, socket.AF_PACKET, socket.SOCK_RAW) as s:
                s.bind(('eth0', 0))
                for _ in range(3):
                    s.send(announce(rogue, ip))
                    time.sleep(0.2)
            time.sleep(1.0)
        wait_for(lambda: 'another station (%s) announces %s' % (rogue, ip) in self.daemon_of(owner).log(), 5,
                 'the conflict logged')
        answers = set(watch.timeline().macs(after=started))
        self.assertEqual(answers, {self.macs[owner]}, 'only the owner answers requests')
        self.assertEqual(self.holder(ip), owner)
        responders = self.daemon_of(owner).lbctl_json('status')['layer2']['responders']
        self.assertGreaterEqual(responders[0]['conflicts_seen'], 1)


class Layer2IPv6(Layer2):
    """The failover scenarios again with IPv6 VIPs, answered through NDP. The spread, traffic and
    API outage tests run once, in Layer2 (the outage one with both families)."""
    FAMILY = 6
    test_one_owner_per_vip_spread_evenly_and_traffic_reaches_it = None
    test_ipv6_one_owner_answers_ndp = None
    test_an_api_outage_leaves_every_vip_answered = None


if __name__ == '__main__':
    unittest.main()
