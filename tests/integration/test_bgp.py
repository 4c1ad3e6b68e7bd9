#!/usr/bin/python3
"""BGP end to end (issue 10): three hosts running lbd, each peering over IPv4 and IPv6 with real
BIRD 2, FRR bgpd and GoBGP routers on one segment (tests/integration/bgp_routers.py), the API
test server in its own namespace. Everything is checked from each router's own CLI:

- sessions come up with every router on both families, and lbctl peers says so;
- a dual-stack Service's IPs arrive at every router as /32 and /128 with the configured
  communities and large communities (and LOCAL_PREF on the iBGP router, GoBGP), next hop self,
  one path per host: ECMP over the 3 hosts (FRR marks all three multipath);
- a deleted Service is withdrawn everywhere; externalTrafficPolicy: Local is advertised only by
  the host with a ready endpoint and withdrawn when it goes;
- a planned stop shows the GRACEFUL_SHUTDOWN community (RFC 8326) on the stopping host's paths
  first, then withdraws them; the others stay;
- kill -9 leaves the host's paths in place (stale, RFC 4724) for lbd's graceful-restart-time,
  then they go; a restart within that time refreshes them;
- TCP MD5: h3's sessions with all three routers are signed (so every scenario runs over MD5 on
  h3, IPv4 and IPv6); a wrong password never establishes and lbctl peers says why;
- a router sending garbage gets the RFC's NOTIFICATION and lbd reconnects.

Router ASes: BIRD 64512 and FRR 64513 are external; GoBGP shares lbd's AS 65001 (internal), so
LOCAL_PREF is seen on the wire."""

import ipaddress
import os
import signal
import subprocess
import time
import unittest

from bgp_routers import BirdRouter, FrrRouter, GarbageRouter, GobgpRouter, Neighbor
from l2lab import L2Lab, wait_for

LBD = os.environ.get('LBD_BIN', '')
LOCAL_AS = 65001
# lbd's graceful-restart-time in this lab: the routers keep stale paths this long. GoBGP refuses
# connections for 5 s after a session ends, so lbd has about 7 s to get back in.
RESTART_TIME = 12
SHUTDOWN_TIME = 3  # lbd's graceful-shutdown-time: GSHUT is on the wire this long before withdraw
SIGNED_PASSWORD = 'h3-signs-it'
FAR_PORT = 1179
FAR_SOURCE = '192.0.2.33'  # h3's second address
GSHUT = '65535:0'
COMMUNITIES = ['65000:100', '65535:65281']  # 65535:65281 = no-export
LARGE = ['65000:1:2']
POOL = '''[[pool]]
name = "bgp"
mode = "bgp"
addresses = ["198.51.100.0/28", "2001:db8:ff::/124"]

[[bgp.advertisement]]
name = "everywhere"
communities = ["65000:100", "no-export"]
large-communities = ["65000:1:2"]
local-pref = 300
'''


def peer_block(name, address, asn, extra=''):
    return ('\n[[bgp.peer]]\nname = "%s"\naddress = "%s"\nasn = %d\nhold-time = "9s"\n'
            'connect-retry = "1s"\n%s' % (name, address, asn, extra))


@unittest.skipUnless(LBD, 'needs LBD_BIN (run through CTest)')
class BgpInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = L2Lab(hosts=3, routers=('bird', 'frr', 'gobgp', 'md5', 'junk'),
                        api_args=('--service-cidr', '10.96.0.0/16,fd00:96::/108'))
        try:
            cls._build()
        except BaseException:
            cls.lab.close()
            raise

    @classmethod
    def _build(cls):
        lab = cls.lab
        for ns in ('lbd-system', 'shop'):
            lab.cluster.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})
        lab.create_nodes()
        hosts = lab.hosts

        # h3's sessions with the three routers are signed (TCP MD5) on both families, so every
        # scenario below also proves MD5 against BIRD, FRR and GoBGP over IPv4 and IPv6.
        def sessions():
            return [Neighbor(address, LOCAL_AS, password=SIGNED_PASSWORD if h is hosts[2] else None)
                    for h in hosts for address in (h.ip4, h.ip6)]

        cls.routers = {
            'bird': BirdRouter(lab, lab.router('bird'), asn=64512, neighbors=sessions()),
            'frr': FrrRouter(lab, lab.router('frr'), asn=64513, neighbors=sessions()),
            'gobgp': GobgpRouter(lab, lab.router('gobgp'), asn=LOCAL_AS, neighbors=sessions()),
        }
        # TCP MD5: h1 and h2 are configured with the password on the router's side; h2's lbd has
        # another one.
        cls.md5 = BirdRouter(lab, lab.router('md5'), asn=64520,
                             neighbors=[Neighbor(hosts[0].ip4, LOCAL_AS, password='s3cret'),
                                        Neighbor(hosts[1].ip4, LOCAL_AS, password='s3cret')])
        for router in list(cls.routers.values()) + [cls.md5]:
            router.start()
        for i, h in enumerate(hosts):
            d = lab.lbd(h)
            with open(os.path.join(d.dir, 'lbd.toml')) as f:
                main = f.read()
            main += ('\n[bgp]\nasn = %d\ngraceful-restart-time = "%ds"\ngraceful-shutdown-time = "%ds"\n'
                     % (LOCAL_AS, RESTART_TIME, SHUTDOWN_TIME))
            signed = ''
            if i == 2:
                signed_file = os.path.join(d.dir, 'routers.key')
                with open(signed_file, 'w') as f:
                    f.write(SIGNED_PASSWORD + '\n')
                os.chmod(signed_file, 0o600)
                signed = 'password-file = "%s"\n' % signed_file
            for name, router in cls.routers.items():
                main += peer_block(name, router.endpoint.ip4, router.asn, signed)
                main += peer_block(name + '6', router.endpoint.ip6, router.asn, signed)
            if i == 0:  # a session only hosts labelled rack=r1 open (nobody listens there)
                main += peer_block('rack', '192.0.2.250', 64540, 'node-selector = "rack=r1"\n')
            if i < 2:
                password = os.path.join(d.dir, 'md5.key')
                with open(password, 'w') as f:
                    f.write('s3cret\n' if i == 0 else 'wrong\n')
                os.chmod(password, 0o600)
                main += peer_block('md5', lab.router('md5').ip4, 64520,
                                   'password-file = "%s"\n' % password)
            else:
                main += peer_block('junk', lab.router('junk').ip4, 64530)
                # Session options on the wire: another source address, another port, a TTL.
                main += peer_block('far', lab.router('md5').ip4, 64550,
                                   'port = %d\nsource-address = "%s"\nebgp-multihop = 3\n'
                                   % (FAR_PORT, FAR_SOURCE))
            d.write('lbd.toml', main)
            d.write('pools.d/bgp.toml', POOL)
        # A second BIRD in the md5 router's namespace, listening on FAR_PORT for h3's second
        # address, three hops allowed, passive: the session can only be lbd's connection.
        lab.run(hosts[2].ns, 'ip', 'addr', 'add', FAR_SOURCE + '/24', 'dev', 'eth0')
        cls.far_ctl = os.path.join(lab.dir, 'far.ctl')
        far_conf = os.path.join(lab.dir, 'far.conf')
        with open(far_conf, 'w') as f:
            f.write('log stderr all;\nrouter id %s;\nprotocol device { }\n'
                    'protocol bgp far { local %s port %d as 64550; neighbor %s as %d; multihop 3; passive on;\n'
                    '  hold time 9; connect delay time 1; connect retry time 1; error wait time 1, 5;\n'
                    '  ipv4 { import all; export none; }; }\n'
                    % (lab.router('md5').ip4, lab.router('md5').ip4, FAR_PORT, FAR_SOURCE, LOCAL_AS))
        lab.spawn(lab.router('md5').ns, ['bird', '-f', '-c', far_conf, '-s', cls.far_ctl, '-P',
                                         os.path.join(lab.dir, 'far.pid')], name='bird-far')
        cls.junk = GarbageRouter(lab, lab.router('junk'), hosts[2].ip4, asn=64530,
                                 garbage=['bad-marker', 'open-bad-as', 'bad-type', 'update-bad-lengths',
                                          'update-bad-origin'])
        cls.junk.start()
        for h in hosts:
            lab.lbd(h).start_lbd()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.junk.stop()
        finally:
            cls.lab.close()

    # ----- helpers

    def setUp(self):
        # Every test starts with all three lbd running and every session up.
        for h in self.lab.hosts:
            if not self.lab.lbd(h).lbd or self.lab.lbd(h).lbd.poll() is not None:
                self.lab.lbd(h).start_lbd()
        self.wait_sessions()

    def wait_sessions(self, timeout=30):
        for router in self.routers.values():
            router.wait_established(timeout=timeout)

    def delete_quietly(self, kind, name):
        if self.lab.cluster.get(kind, 'shop', name):
            self.lab.cluster.delete(kind, 'shop', name)

    def daemon(self, i):
        return self.lab.lbd(self.lab.hosts[i])

    def next_hops(self, family, hosts=None):
        hosts = self.lab.hosts if hosts is None else hosts
        return sorted((h.ip4 if family == 4 else h.ip6 for h in hosts), key=_address_key)

    def service(self, name, local=False):
        spec = {'type': 'LoadBalancer', 'selector': {'app': name}, 'allocateLoadBalancerNodePorts': False,
                'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}],
                'ipFamilies': ['IPv4', 'IPv6'], 'ipFamilyPolicy': 'RequireDualStack'}
        if local:
            spec['externalTrafficPolicy'] = 'Local'
        self.lab.cluster.create({'apiVersion': 'v1', 'kind': 'Service',
                                 'metadata': {'name': name, 'namespace': 'shop'}, 'spec': spec})
        self.addCleanup(self.delete_quietly, 'Service', name)
        svc = wait_for(lambda: (s := self.lab.cluster.get('Service', 'shop', name))
                       and len(s.get('status', {}).get('loadBalancer', {}).get('ingress', [])) == 2 and s,
                       20, 'two IPs for ' + name)
        ips = [i['ip'] for i in svc['status']['loadBalancer']['ingress']]
        v4 = next(ip for ip in ips if ':' not in ip)
        v6 = next(ip for ip in ips if ':' in ip)
        return v4 + '/32', v6 + '/128'

    def wait_paths(self, router, prefix, next_hops, timeout=20):
        return self.routers[router].wait_route(prefix, timeout=timeout,
                                               check=lambda r: r.next_hops == next_hops)

    # ----- the tests

    def test_sessions_are_established_and_lbctl_shows_them(self):
        for h in self.lab.hosts:
            peers = wait_for(lambda: (p := self.lab.lbd(h).lbctl_json('peers'))
                             and all(x['state'] == 'established' for x in p if x['name'] in self.routers)
                             and p, 20, 'peers of ' + h.name)
            by_name = {p['name']: p for p in peers}
            for name, router in self.routers.items():
                self.assertEqual(by_name[name]['address'], router.endpoint.ip4)
                self.assertEqual(by_name[name]['peer_asn'], router.asn)
                self.assertEqual(by_name[name]['local_asn'], LOCAL_AS)
                self.assertEqual(by_name[name]['families'], ['ipv4-unicast'])
                self.assertEqual(by_name[name + '6']['families'], ['ipv6-unicast'])
                self.assertEqual(by_name[name]['hold_time'], 9)
                self.assertTrue(by_name[name]['graceful_restart'], name)
                self.assertGreater(by_name[name]['established_at_usec'], 0)
        table = self.daemon(0).lbctl('peers').stdout
        self.assertRegex(table, r'(?m)^bird +192\.0\.2\.201 +65001 +64512 +established ')
        self.assertIn('established.', table.splitlines()[-1])

    def test_session_changes_are_signalled_on_dbus_and_shown_with_the_notification(self):
        h1, d = self.lab.hosts[0], self.daemon(0)
        bird = self.routers['bird']
        monitor = subprocess.Popen(['gdbus', 'monitor', '--address', d.address, '--dest', 'io.lbd1',
                                    '--object-path', '/io/lbd1'], stdout=subprocess.PIPE, text=True)
        self.addCleanup(monitor.stdout.close)
        self.addCleanup(monitor.wait)
        self.addCleanup(monitor.terminate)
        self.assertIn('Monitoring signals', monitor.stdout.readline())
        # The peer's own object, /io/lbd1/bgp/peer/bird (io.lbd1.BgpPeer).
        peer_path = '/io/lbd1/bgp/peer/bird'
        peer_monitor = subprocess.Popen(['gdbus', 'monitor', '--address', d.address, '--dest', 'io.lbd1',
                                         '--object-path', peer_path], stdout=subprocess.PIPE, text=True)
        self.addCleanup(peer_monitor.stdout.close)
        self.addCleanup(peer_monitor.wait)
        self.addCleanup(peer_monitor.terminate)
        self.assertIn('Monitoring signals', peer_monitor.stdout.readline())

        def peer_property(name):
            out = subprocess.run(['busctl', '--address=' + d.address, 'get-property', 'io.lbd1', peer_path,
                                  'io.lbd1.BgpPeer', name], capture_output=True, text=True, timeout=10)
            self.assertEqual(out.returncode, 0, out.stderr)
            return out.stdout.strip()
        self.assertEqual(peer_property('State'), 's "established"')
        self.assertEqual(peer_property('PeerAsn'), 'u 64512')
        self.assertEqual(peer_property('Address'), 's "192.0.2.201"')

        def signal_line(text):
            return wait_for(lambda: (l := monitor.stdout.readline()) and 'BgpPeerStateChanged' in l
                            and text in l and l, 30, 'BgpPeerStateChanged with ' + text)
        bird.disable(h1.ip4)  # BIRD closes with Cease / Administrative Shutdown
        line = signal_line("('bird', '192.0.2.201', 'established', 'idle'")
        self.assertIn('Administrative Shutdown', line)
        peer = next(p for p in d.lbctl_json('peers') if p['name'] == 'bird')
        self.assertNotEqual(peer['state'], 'established')
        self.assertIn('peer sent NOTIFICATION Cease / Administrative Shutdown', peer['last_error'])
        self.assertIn('Administrative Shutdown', d.log())
        changed = wait_for(lambda: (l := peer_monitor.stdout.readline()) and 'PropertiesChanged' in l and l,
                           30, 'PropertiesChanged on ' + peer_path)
        self.assertIn("'io.lbd1.BgpPeer'", changed)
        self.assertNotEqual(peer_property('State'), 's "established"')
        self.assertIn('Administrative Shutdown', peer_property('LastError'))
        bird.enable(h1.ip4)
        signal_line("'open-confirm', 'established'")
        bird.wait_established(h1.ip4)

    def test_peer_node_selector_follows_the_node_labels(self):
        d = self.daemon(0)

        def rack_peer():
            return next(p for p in d.lbctl_json('peers') if p['name'] == 'rack')
        peer = rack_peer()
        self.assertEqual(peer['state'], 'disabled')
        self.assertIn('node-selector does not match Node h1', peer['last_error'])

        def label(labels):
            node = self.lab.cluster.get('Node', '', 'h1')
            node['metadata']['labels'] = labels
            self.lab.cluster.update(node)
        label({'rack': 'r1'})
        self.addCleanup(label, {})
        wait_for(lambda: rack_peer()['state'] != 'disabled', 10, 'rack session enabled')
        self.assertIn('peer rack: enabled', d.log())
        label({'rack': 'r2'})
        wait_for(lambda: rack_peer()['state'] == 'disabled', 10, 'rack session disabled again')
        self.assertEqual(self.routers['bird'].neighbor_state(self.lab.hosts[0].ip4), 'established',
                         'other sessions are untouched')

    def test_source_address_port_and_ttl_are_what_the_peer_config_says(self):
        h3 = self.lab.hosts[2]
        md5 = self.lab.router('md5')

        def far_state():
            out = subprocess.run(['birdc', '-s', self.far_ctl, 'show', 'protocols', 'all', 'far'],
                                 capture_output=True, text=True).stdout
            return out
        wait_for(lambda: 'Established' in far_state(), 30, 'the far session (port %d, from %s)'
                 % (FAR_PORT, FAR_SOURCE))
        self.assertIn('Neighbor address: %s' % FAR_SOURCE, far_state())
        # On the wire: the far session's packets leave with TTL 3 (ebgp-multihop = 3); a
        # directly connected eBGP session's with TTL 1 (RFC 4271's default for eBGP).
        capture = self.lab.run(md5.ns, 'timeout', '15', 'tcpdump', '-n', '-v', '-c', '2', '-i', 'eth0',
                               'tcp and src %s and dst port %d' % (FAR_SOURCE, FAR_PORT), check=False)
        self.assertRegex(capture.stdout, r'ttl 3\b', capture.stdout + capture.stderr)
        bird = self.lab.router('bird')
        capture = self.lab.run(bird.ns, 'timeout', '15', 'tcpdump', '-n', '-v', '-c', '2', '-i', 'eth0',
                               'tcp and src %s and port 179' % h3.ip4, check=False)
        self.assertRegex(capture.stdout, r'ttl 1\b', capture.stdout + capture.stderr)
        far = next(p for p in self.daemon(2).lbctl_json('peers') if p['name'] == 'far')
        self.assertEqual(far['state'], 'established')

    def test_routes_with_attributes_ecmp_and_withdraw_on_delete(self):
        v4, v6 = self.service('web')
        for name, router in self.routers.items():
            for prefix, family in ((v4, 4), (v6, 6)):
                route = self.wait_paths(name, prefix, self.next_hops(family))
                self.assertEqual(len(route.paths), 3, route)
                for path in route.paths:
                    self.assertEqual(path.communities, COMMUNITIES, (name, path))
                    self.assertEqual(path.large_communities, LARGE, (name, path))
                    if name == 'gobgp':  # internal: LOCAL_PREF sent, no AS prepended
                        self.assertEqual(path.local_pref, 300, path)
                        self.assertEqual(path.as_path, [], path)
                    else:
                        self.assertEqual(path.as_path, [LOCAL_AS], path)
                    self.assertEqual(path.origin, 'igp', path)
                    self.assertFalse(path.stale, path)
                if name == 'frr':  # FRR's own verdict: one route, three equal next hops
                    self.assertEqual(sum(1 for p in route.paths if p.best or p.multipath), 3, route)
        # lbctl services: every host advertises it.
        line = next(l for l in self.daemon(1).lbctl('services').stdout.splitlines() if 'shop/web' in l)
        self.assertIn('bgp:h1,h2,h3', line)
        vips = self.daemon(1).lbctl_json('services')
        web = next(s for s in vips if s['name'] == 'web')
        self.assertEqual({v['mode'] for v in web['vips']}, {'bgp'})
        self.assertEqual(sorted(web['vips'][0]['advertising_hosts']), ['h1', 'h2', 'h3'])
        # Sent counts: one /32 to each IPv4 session, one /128 to each IPv6 one.
        peers = {p['name']: p for p in self.daemon(0).lbctl_json('peers')}
        self.assertEqual(peers['bird']['prefixes_sent'], 1)
        self.assertEqual(peers['bird6']['prefixes_sent'], 1)

        self.lab.cluster.delete('Service', 'shop', 'web')
        for router in self.routers.values():
            router.wait_no_route(v4)
            router.wait_no_route(v6)

    def test_local_traffic_policy_follows_the_ready_endpoint(self):
        v4, v6 = self.service('local', local=True)
        time.sleep(2)
        for router in self.routers.values():
            self.assertIsNone(router.route(v4), 'no ready endpoint: nobody advertises')

        def endpoint_slice(family, node, ready):
            return {'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
                    'metadata': {'name': 'local-v%d' % family, 'namespace': 'shop',
                                 'labels': {'kubernetes.io/service-name': 'local'}},
                    'addressType': 'IPv%d' % family,
                    'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}],
                    'endpoints': [{'addresses': ['10.244.0.5' if family == 4 else 'fd00:244::5'],
                                   'conditions': {'ready': ready}, 'nodeName': node}]}
        h2 = [self.lab.host('h2')]
        self.lab.cluster.create(endpoint_slice(4, 'h2', True))
        self.addCleanup(self.delete_quietly, 'EndpointSlice', 'local-v4')
        for name in self.routers:
            self.wait_paths(name, v4, self.next_hops(4, h2))
        # The IPv6 address needs an IPv6 endpoint (kube-proxy sends IPv6 traffic to IPv6
        # endpoints only): not advertised yet.
        for router in self.routers.values():
            self.assertIsNone(router.route(v6), 'no IPv6 endpoint: nobody advertises the IPv6 VIP')
        self.lab.cluster.create(endpoint_slice(6, 'h2', True))
        self.addCleanup(self.delete_quietly, 'EndpointSlice', 'local-v6')
        for name in self.routers:
            self.wait_paths(name, v6, self.next_hops(6, h2))
        line = next(l for l in self.daemon(0).lbctl('services').stdout.splitlines() if 'shop/local' in l)
        self.assertIn('bgp:h2', line)
        # The endpoints go unready: withdrawn everywhere.
        for family in (4, 6):
            current = self.lab.cluster.get('EndpointSlice', 'shop', 'local-v%d' % family)
            unready = endpoint_slice(family, 'h2', False)
            unready['metadata']['resourceVersion'] = current['metadata']['resourceVersion']
            self.lab.cluster.update(unready)
        for router in self.routers.values():
            router.wait_no_route(v4)
            router.wait_no_route(v6)

    def test_planned_stop_sends_graceful_shutdown_then_withdraws(self):
        v4, v6 = self.service('drain')
        for name in self.routers:
            self.wait_paths(name, v4, self.next_hops(4))
        h1 = self.lab.hosts[0]
        d = self.daemon(0)
        d.lbd.send_signal(signal.SIGTERM)
        # Within graceful-shutdown-time every router sees h1's path carry 65535:0 ...
        seen = set()
        deadline = time.monotonic() + SHUTDOWN_TIME + 2
        while time.monotonic() < deadline and len(seen) < len(self.routers):
            for name, router in self.routers.items():
                route = router.route(v4)
                for path in (route.paths if route else []):
                    if path.next_hop == h1.ip4 and GSHUT in path.communities:
                        seen.add(name)
            time.sleep(0.05)
        self.assertEqual(seen, set(self.routers), 'routers that saw GRACEFUL_SHUTDOWN on h1\'s path')
        # ... then the path is withdrawn (not kept stale: this was a clean Cease), the others stay.
        others = self.next_hops(4, self.lab.hosts[1:])
        for name in self.routers:
            route = self.wait_paths(name, v4, others, timeout=SHUTDOWN_TIME + 10)
            self.assertFalse(any(GSHUT in p.communities for p in route.paths), route)
            self.wait_paths(name, v6, self.next_hops(6, self.lab.hosts[1:]))
        self.assertEqual(d.lbd.wait(timeout=10), 0)
        self.assertIn('graceful shutdown', d.log().lower())

    def test_crash_keeps_routes_for_the_restart_time_then_drops_them(self):
        v4, _ = self.service('crash')
        for name in self.routers:
            self.wait_paths(name, v4, self.next_hops(4))
        h1 = self.lab.hosts[0]
        d = self.daemon(0)
        d.lbd.kill()
        d.lbd.wait()
        killed = time.monotonic()
        # The routers notice at hold-time (9 s) at the latest and keep h1's paths, stale.
        for name, router in self.routers.items():
            wait_for(lambda: (r := router.route(v4)) and r.stale and h1.ip4 in r.next_hops, 15,
                     '%s keeps h1\'s path as stale' % name)
        # Not past the restart time: dropped after it (counted from the session's end).
        for name in self.routers:
            self.wait_paths(name, v4, self.next_hops(4, self.lab.hosts[1:]), timeout=9 + RESTART_TIME + 10)
        self.assertGreater(time.monotonic() - killed, RESTART_TIME - 1)
        # Back: its paths return, fresh.
        d.start_lbd()
        for name in self.routers:
            self.wait_paths(name, v4, self.next_hops(4), timeout=30)
        wait_for(lambda: all((r := router.route(v4)) and not r.stale for router in self.routers.values()),
                 15, 'no stale paths')

    def test_restart_within_the_restart_time_keeps_and_refreshes_routes(self):
        v4, v6 = self.service('restart')
        for name in self.routers:
            self.wait_paths(name, v4, self.next_hops(4))
        d = self.daemon(1)
        d.lbd.kill()
        d.lbd.wait()
        d.start_lbd()
        # Throughout, every router keeps three paths; once lbd is back and sent End-of-RIB none is
        # stale.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            routes = {name: router.route(v4) for name, router in self.routers.items()}
            for name, route in routes.items():
                self.assertIsNotNone(route, name)
                self.assertEqual(route.next_hops, self.next_hops(4), (name, route))
            if all(not r.stale for r in routes.values()) and all(
                    router.neighbor_state(self.lab.hosts[1].ip4) == 'established'
                    for router in self.routers.values()):
                break
            time.sleep(0.1)
        else:
            self.fail('paths still stale 30 s after the restart: %s' % routes)
        for name in self.routers:
            self.wait_paths(name, v6, self.next_hops(6))
        # RFC 4724 4.1: the restarted speaker's OPEN has the Restart State bit (GoBGP says when not).
        h2 = self.lab.hosts[1]
        unflagged = [line for line in self.routers['gobgp'].log().splitlines()
                     if 'restart flag is not set' in line and h2.ip4 in line]
        self.assertEqual(unflagged, [])

    def test_md5_right_password_establishes_wrong_one_fails_clearly(self):
        h1, h2 = self.lab.hosts[0], self.lab.hosts[1]
        self.md5.wait_established(h1.ip4, timeout=30)
        v4, _ = self.service('signed')
        self.md5.wait_route(v4, check=lambda r: h1.ip4 in r.next_hops)
        self.assertNotEqual(self.md5.neighbor_state(h2.ip4), 'established')
        peer = wait_for(lambda: (p := next(x for x in self.daemon(1).lbctl_json('peers') if x['name'] == 'md5'))
                        and 'password' in p['last_error'] and p, 30, 'md5 error on h2')
        self.assertNotEqual(peer['state'], 'established')
        self.assertIn('no answer', peer['last_error'])
        self.assertIn('password', self.daemon(1).lbctl('peers').stdout)

    def test_garbage_from_a_router_gets_the_rfc_notification_and_lbd_reconnects(self):
        from bgp_routers import GARBAGE
        # Each connection of the junk router sends one kind; lbd answers, closes and reconnects.
        # The last kind is treat-as-withdraw (RFC 7606): that session stays up.
        kinds = ['bad-marker', 'open-bad-as', 'bad-type', 'update-bad-lengths', 'update-bad-origin']
        self.junk.wait_connections(len(kinds), timeout=90)
        connections = self.junk.connections
        for kind, c in zip(kinds, connections):
            expected = GARBAGE[kind].expected
            if expected is None:
                self.assertIsNone(c.notification, (kind, c))
            else:
                self.assertIsNotNone(c.notification, (kind, c))
                self.assertEqual((c.notification.code, c.notification.subcode), expected, (kind, c))
        peer = wait_for(lambda: (p := next(x for x in self.daemon(2).lbctl_json('peers') if x['name'] == 'junk'))
                        and p['state'] == 'established' and p['malformed_updates'] >= 1 and p, 30,
                        'junk session up, the malformed UPDATE counted')
        self.assertEqual(len(self.junk.connections), len(kinds), 'no reconnect after treat-as-withdraw')
        self.assertIn('junk', self.daemon(2).log())
        # The last error names what lbd sent, in the RFC's words.
        self.assertIn('Malformed Attribute List', self.daemon(2).log())


def _address_key(text):
    return ipaddress.ip_address(text)


if __name__ == '__main__':
    unittest.main()
