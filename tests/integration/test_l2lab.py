#!/usr/bin/python3
"""The layer-2 lab proves itself: hosts reach the API server over HTTPS with its CA and see their
Node objects, the client reaches every host on both families, a pulled cable cuts a host off
and comes back, the kube-proxy stand-in serves a VIP on whichever host receives it, a capture
and the neighbour table show what happened, lbd runs per host on a bus of its own, and the root
namespace is exactly as before once the lab is gone."""
import json
import os
import signal
import subprocess
import unittest

import l2frames as f
import lbdlab
from l2lab import L2Lab, wait_for


def root_namespace():
    """What the lab must never change: the root namespace's links, addresses, routes, netns list."""
    def out(*argv):
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return {'addr': out('ip', '-br', 'addr'), 'link': out('ip', '-br', 'link'),
            'route4': out('ip', '-4', 'route'), 'route6': out('ip', '-6', 'route'),
            'netns': sorted(l.split()[0] for l in out('ip', 'netns', 'list').splitlines() if l.strip())}


def gone(pid):
    """Exited (a zombie waiting for an init that may not reap counts as gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
    except FileNotFoundError:
        return True


class LabLifecycle(unittest.TestCase):
    def test_root_namespace_untouched_and_everything_removed(self):
        before = root_namespace()
        lab = L2Lab(hosts=3)
        try:
            during = root_namespace()
            self.assertEqual(sorted(ns for ns in during['netns'] if ns.startswith(lab.prefix + '-')),
                             sorted([e.ns for e in lab.endpoints] + [lab.switch_ns]))
            for key in ('addr', 'link', 'route4', 'route6'):
                self.assertEqual(during[key], before[key], 'the lab changed the root namespace: ' + key)
            pids = [lab.spawn(lab.hosts[0].ns, ['sleep', '600']).pid, lab.server.proc.pid]
        finally:
            lab.close()
        after = root_namespace()
        # Other engineers' namespaces may come and go meanwhile: only ours are compared.
        self.assertEqual([ns for ns in after['netns'] if ns.startswith(lab.prefix + '-')], [])
        for key in ('addr', 'link', 'route4', 'route6'):
            self.assertEqual(after[key], before[key], 'the root namespace differs after the lab: ' + key)
        for pid in pids:
            self.assertTrue(gone(pid), 'process %d outlived the lab' % pid)
        self.assertFalse(os.path.exists(lab.dir))

    def test_failure_in_setup_still_cleans_up(self):
        # An API server that cannot start (bad argument) makes L2Lab() raise: nothing may be left.
        before = root_namespace()['netns']
        with self.assertRaises(Exception):
            L2Lab(hosts=1, api_args=('--no-such-option',))
        self.assertEqual([ns for ns in root_namespace()['netns'] if ns not in before], [])


    def test_namespaces_of_a_killed_run_are_removed(self):
        # A lab whose process died without cleaning up (SIGKILL, CTest timeout): a namespace named
        # after a pid that no longer runs, with a process still inside.
        dead = subprocess.Popen(['true'])
        dead.wait()
        stale = 'lbdl2-%d-0-h1' % dead.pid
        subprocess.run(['ip', 'netns', 'add', stale], check=True)
        sleeper = subprocess.Popen(['ip', 'netns', 'exec', stale, 'sleep', '600'])
        try:
            wait_for(lambda: os.stat('/proc/%d/ns/net' % sleeper.pid).st_ino == os.stat('/run/netns/' + stale).st_ino,
                     5, 'the sleeper inside the stale namespace')
            L2Lab(hosts=1, api=False).close()
            self.assertNotIn(stale, root_namespace()['netns'])
            self.assertEqual(sleeper.wait(timeout=5), -signal.SIGKILL)
        finally:
            sleeper.kill()
            subprocess.run(['ip', 'netns', 'del', stale], capture_output=True)


class InTheLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = L2Lab(hosts=3)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def test_hosts_reach_the_api_server_over_https(self):
        lab = self.lab
        self.assertEqual(lab.server.url, 'https://192.0.2.10:6443')
        for h in lab.hosts:
            # curl verifies the server certificate with the lab's CA (no -k)
            r = lab.run(h.ns, 'curl', '-sS', '--fail', '--cacert', lab.server.ca, lab.server.url + '/version')
            self.assertEqual(json.loads(r.stdout)['gitVersion'], 'v1.28.7')

    def test_nodes_are_ready_with_their_addresses(self):
        lab = self.lab
        if not lab.cluster.get('Node', None, 'h1'):
            lab.create_nodes()
        # read back over HTTPS from a host, as lbd will (admin token of the lab's kubeconfig)
        r = lab.run(lab.hosts[2].ns, 'curl', '-sS', '--fail', '--cacert', lab.server.ca, '-H',
                    'Authorization: Bearer ' + lab.server.admin_token, lab.server.url + '/api/v1/nodes')
        nodes = {n['metadata']['name']: n for n in json.loads(r.stdout)['items']}
        self.assertEqual(sorted(nodes), ['h1', 'h2', 'h3'])
        for h in lab.hosts:
            status = nodes[h.name]['status']
            self.assertIn({'type': 'InternalIP', 'address': h.ip4}, status['addresses'])
            self.assertIn({'type': 'InternalIP', 'address': h.ip6}, status['addresses'])
            self.assertTrue(any(c['type'] == 'Ready' and c['status'] == 'True' for c in status['conditions']))
        with open(lab.server.kubeconfig) as f:
            self.assertIn('server: https://192.0.2.10:6443', f.read())

    def test_client_reaches_every_host(self):
        lab = self.lab
        for h in lab.hosts:
            self.assertTrue(lab.ping(lab.client.ns, h.ip4), h)
            self.assertTrue(lab.ping(lab.client.ns, h.ip6), h)
        self.assertTrue(lab.ping(lab.hosts[0].ns, lab.hosts[2].ip4))
        neighbours = lab.neighbours()
        for h in lab.hosts:
            self.assertEqual(neighbours[h.ip4]['mac'], h.mac)
            self.assertEqual(neighbours[h.ip6]['mac'], h.mac)

    def test_pulled_cable(self):
        lab, h2 = self.lab, self.lab.hosts[1]
        lab.link(h2, up=False)
        try:
            self.assertFalse(lab.carrier(h2))
            link = json.loads(lab.run(h2.ns, 'ip', '-j', 'addr', 'show', 'dev', 'eth0').stdout)[0]
            self.assertIn('UP', link['flags'])                     # administratively up, no carrier
            self.assertIn('NO-CARRIER', link['flags'])
            self.assertIn(h2.ip6, [a['local'] for a in link['addr_info']])   # addresses kept
            self.assertFalse(lab.ping(lab.client.ns, h2.ip4, timeout=1))
        finally:
            lab.link(h2, up=True)
        self.assertTrue(lab.ping(lab.client.ns, h2.ip4))

    def test_host_side_link_down_restores_addresses(self):
        lab, h3 = self.lab, self.lab.hosts[2]
        lab.link(h3, up=False, where='host')
        try:
            self.assertFalse(lab.ping(lab.client.ns, h3.ip4, timeout=1))
        finally:
            lab.link(h3, up=True, where='host')
        self.assertTrue(lab.ping(lab.client.ns, h3.ip6))
        self.assertTrue(lab.ping(lab.client.ns, h3.ip4))

    def test_vip_served_by_whichever_host_receives_it(self):
        lab = self.lab
        vip4, vip6 = '192.0.2.200', '2001:db8::200'
        h1, h2, h3 = lab.hosts
        lab.serve_vip(h2, vip4, vip6)
        lab.serve_vip(h3, vip4, vip6)
        self.addCleanup(lab.flush_neighbours)
        # Nobody answers ARP for the VIP yet: static neighbour entries stand in for the winner.
        for owner in (h2, h3):
            for vip in (vip4, vip6):
                lab.run(lab.client.ns, 'ip', 'neigh', 'replace', vip, 'lladdr', owner.mac, 'dev', 'eth0')
                self.assertEqual(lab.tcp_request(vip), owner.name + '\n')
        # h1 has no DNAT rule: traffic for the VIP sent to it goes nowhere
        lab.run(lab.client.ns, 'ip', 'neigh', 'replace', vip4, 'lladdr', h1.mac, 'dev', 'eth0')
        with self.assertRaises(OSError):
            lab.tcp_request(vip4, timeout=1)

    def test_capture_and_learned_announcements(self):
        lab, h1 = self.lab, self.lab.hosts[0]
        vip = '192.0.2.202'
        lab.learn_announcements()
        cap = lab.capture()
        lab.sysctl(h1.ns, 'net.ipv4.ip_nonlocal_bind', 1)         # iputils arping -U binds the VIP (RECIPES 2.3)
        lab.run(h1.ns, 'arping', '-U', '-c1', '-I', 'eth0', vip, check=False)
        wait_for(lambda: lab.neighbours().get(vip), 5, 'the client to learn the VIP from a gratuitous ARP')
        cap.stop()
        self.assertEqual(lab.neighbours()[vip]['mac'], h1.mac)
        arps = [f.parse_arp(frame) for _, frame in cap.frames()]
        self.assertIn((h1.mac, vip, vip), [(a['sha'], a['spa'], a['tpa']) for a in arps if a])

    def test_kill9_takes_the_whole_process_group(self):
        lab = self.lab
        p = lab.spawn(lab.hosts[0].ns, ['sh', '-c', 'sleep 600 & echo $!; wait'])
        child = int(wait_for(lambda: p.log().strip(), 5, 'the child pid'))
        p.kill9()
        self.assertEqual(p.popen.returncode, -signal.SIGKILL)
        wait_for(lambda: gone(child), 5, 'the child to die with its group')

    def test_lbd_per_host_on_its_own_bus(self):
        if not os.path.isfile(lbdlab.LBD):
            self.skipTest('LBD_BIN not set to a built lbd (run through ctest)')
        lab = self.lab
        daemons = {h.name: lab.lbd(h) for h in lab.hosts[:2]}
        self.assertNotEqual(daemons['h1'].socket, daemons['h2'].socket)
        for d in daemons.values():
            d.start_lbd()
        for name, d in daemons.items():
            status = wait_for(lambda: (lambda s: s['kubernetes_state'] == 'connected' and s)(d.lbctl_json('status')),
                              20, 'lbd on %s connected' % name)
            self.assertEqual(status['node'], name)
            self.assertEqual(status['kubernetes_server'], 'https://192.0.2.10:6443')
        # lbd really runs in its host's namespace (same inode as the bind mount in /run/netns)
        for h in lab.hosts[:2]:
            self.assertEqual(os.stat('/proc/%d/ns/net' % daemons[h.name].lbd.pid).st_ino,
                             os.stat('/run/netns/' + h.ns).st_ino)


if __name__ == '__main__':
    unittest.main()
