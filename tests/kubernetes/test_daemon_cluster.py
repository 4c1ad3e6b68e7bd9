#!/usr/bin/python3
"""lbd itself against a cluster: it connects with a kubeconfig, syncs every informer, and shows
the server, the connection state, the last error and per-resource sync state and object counts
in `lbctl status` (so on D-Bus), following the cluster as it changes and as it fails."""

import os
import sys
import time
import unittest

from cluster import ClusterTest, harness, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'integration'))
from lbdlab import Lab  # noqa: E402


class DaemonAgainstCluster(ClusterTest):
    def setUp(self):
        super().setUp()
        self.lab = Lab().start_bus()
        self.addCleanup(self.lab.close)
        self.lab.write('lbd.toml', '[kubernetes]\nkubeconfig = "%s"\n\n[election]\nnamespace = "%s"\n'
                       % (self.cluster.kubeconfig, self.lease_ns))

    def status(self):
        return self.lab.lbctl_json('status')

    def counts(self):
        """What lbd should count: every Service, EndpointSlice, Node and Namespace, the Leases of its namespace."""
        return {'services': len(self.cluster.objects('Service')),
                'endpointslices': len(self.cluster.objects('EndpointSlice')),
                'nodes': len(self.cluster.objects('Node')),
                'leases': len([o for o in self.cluster.objects('Lease') if o['metadata']['namespace'] == self.lease_ns]),
                'namespaces': len(self.cluster.objects('Namespace'))}

    def connected_with(self, counts):
        s = self.status()
        seen = {r['resource']: r['objects'] for r in s['kubernetes_resources']}
        return s['kubernetes_state'] == 'connected' and seen == counts and all(
            r['synced'] for r in s['kubernetes_resources']) and s

    def test_connects_syncs_and_counts(self):
        for i in range(3):
            self.cluster.create(self.service('web-%d' % i))
        self.cluster.create(self.slice('web-0-abc', 'web-0', ['10.244.0.1']))
        self.cluster.create(self.lease('vip-a', 'node-a'))
        self.lab.start_lbd()
        status = wait_for(lambda: self.connected_with(self.counts()), what='lbd connected and synced')
        self.assertEqual(status['kubernetes_last_error'], '')
        with open(self.cluster.kubeconfig) as f:
            server = [l for l in f if 'server:' in l][0].split('server:')[1].strip()
        self.assertEqual(status['kubernetes_server'], server)
        text = self.lab.lbctl('status').stdout
        self.assertIn('    Kubernetes: connected (%s)\n' % server, text)
        self.assertIn('\n      services: synced, %d objects (watching)\n' % self.counts()['services'], text)

        self.cluster.create(self.service('web-new'))
        self.cluster.delete('Lease', self.lease_ns, 'vip-a')
        wait_for(lambda: self.connected_with(self.counts()), what='counts following the cluster')

    def test_outage_is_visible_and_recovered_from(self):
        self.need_faults()
        self.lab.start_lbd()
        wait_for(lambda: self.connected_with(self.counts()), what='connected')
        self.cluster.control('POST', '/refuse', {'seconds': 4, 'dropExisting': True})
        status = wait_for(lambda: (s := self.status())['kubernetes_state'] == 'retrying' and s,
                          what='retrying during the outage')
        self.assertIn('Failed to connect to 127.0.0.1 port', status['kubernetes_last_error'])
        self.cluster.create(self.service('made-during-outage'))
        status = wait_for(lambda: self.connected_with(self.counts()), timeout=40, what='reconnected')
        self.assertEqual(status['kubernetes_last_error'], '')

    def test_restored_cluster_and_a_lost_event_are_repaired_and_shown(self):
        """Issue 12 with the whole daemon: the cluster restored from an older backup (fewer
        Services, resourceVersions back) and later a watch event lost; lbctl status follows
        the server's counts and says what happened."""
        self.need_faults()
        self.lab.write('lbd.toml', '[kubernetes]\nkubeconfig = "%s"\nresync-interval = "10s"\n\n'
                       '[election]\nnamespace = "%s"\n' % (self.cluster.kubeconfig, self.lease_ns))
        for i in range(4):
            self.cluster.create(self.service('kept-%d' % i))
        snap = self.cluster.control('POST', '/snapshot')
        for i in range(47):
            self.cluster.create(self.service('lost-%d' % i))
        self.lab.start_lbd()
        wait_for(lambda: self.connected_with(self.counts()), what='connected with 51 + 1 Services')
        self.cluster.control('POST', '/restore', {'snapshot': snap['snapshot']})
        started = time.monotonic()
        status = wait_for(lambda: self.connected_with(self.counts()), timeout=15, what='the restored counts')
        print('\nlbctl status showed the restored cluster %.1f s after the restore' % (time.monotonic() - started))
        services = [r for r in status['kubernetes_resources'] if r['resource'] == 'services'][0]
        self.assertEqual(services['objects'], 5)            # kept-0..3 and default/kubernetes
        self.assertEqual(services['server_behind'], 1)
        self.assertIn('server behind 1 time (restored?)', self.lab.lbctl('status').stdout)

        self.cluster.fault(type='drop-event', count=1, path='/api/v1/services.*watch=true')
        self.cluster.delete('Service', self.ns, 'kept-0')
        started = time.monotonic()
        status = wait_for(lambda: self.connected_with(self.counts()), timeout=20, what='the lost delete repaired')
        print('lost event repaired %.1f s after it (resync-interval 10s)' % (time.monotonic() - started))
        self.assertEqual(self.cluster.control('GET', '/faults')[0]['fired'], 1)
        services = [r for r in status['kubernetes_resources'] if r['resource'] == 'services'][0]
        self.assertEqual(services['repaired'], 1)
        self.assertGreaterEqual(services['resyncs'], 1)
        self.assertIn('1 repaired by resync', self.lab.lbctl('status').stdout)

    def test_an_empty_or_unreadable_token_file_is_an_error_never_an_anonymous_request(self):
        """A token file that is empty (a Secret not mounted yet) or missing must not turn into
        requests without credentials, which the server would run as system:anonymous (403s
        that point at RBAC instead of the file): lbd says what is wrong with the file, in its
        log and in lbctl status, and connects once the token is there."""
        self.need_faults()
        token = os.path.join(self.lab.dir, 'token')
        open(token, 'w').close()
        self.lab.write('lbd.toml', '[kubernetes]\nserver = "%s"\nca-file = "%s"\ntoken-file = "%s"\n\n'
                       '[election]\nnamespace = "%s"\n'
                       % (self.cluster.server.info['url'], self.cluster.server.ca, token, self.lease_ns))
        self.cluster.control('DELETE', '/requests')
        self.lab.start_lbd()
        status = wait_for(lambda: (s := self.status())['kubernetes_last_error'] and s, what='an error')
        self.assertEqual(status['kubernetes_last_error'],
                         'token file %s is empty: no request is sent without credentials' % token)
        self.assertEqual(status['kubernetes_state'], 'retrying')
        self.assertIn('token file %s is empty' % token, self.lab.lbctl('status').stdout)
        os.unlink(token)
        wait_for(lambda: 'cannot read token file %s: No such file or directory' % token
                 in self.status()['kubernetes_last_error'], what='the missing file named')
        # The log line and the status come from the same failure, but the log is a file another
        # process writes: wait for it rather than read it at once (it lagged on a loaded machine).
        wait_for(lambda: 'cannot read token file %s' % token in self.lab.log(), timeout=10,
                 what='the missing file named in the log')
        self.assertEqual([e for e in self.cluster.control('GET', '/requests')
                          if e['user'] == 'system:anonymous'], [])
        with open(token, 'w') as f:
            f.write(harness.ADMIN + '\n')
        status = wait_for(lambda: self.connected_with(self.counts()), timeout=40, what='connected once the token is there')
        self.assertEqual(status['kubernetes_last_error'], '')


if __name__ == '__main__':
    unittest.main()
