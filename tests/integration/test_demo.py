#!/usr/bin/python3
"""The README's main command, run as a user would (non-interactively) with the binaries under
test: ./scripts/demo must show every step of docs/lab.md and leave nothing behind. Asserted on its
output, so the demo never rots:

- both Services get an IP from their pool (kubectl get svc);
- the layer-2 VIP answers the client on the segment and the BGP VIP the client behind the router,
  each from more than one backend (the kube-proxy stand-in spreads requests);
- BIRD's route for the BGP VIP has the three hosts as next hops, two after one stops (with the
  GRACEFUL_SHUTDOWN community seen first), none after the Service is deleted;
- the layer-2 failover after kill -9 and a pulled cable is within the bound the configuration
  implies, and not faster than the heartbeat Lease allows;
- the deleted layer-2 VIP gets no ARP answer; the demo finishes in under 2 minutes;
- afterwards no lbd-demo namespace, process or /tmp/lbd-demo is left."""

import os
import re
import subprocess
import time
import unittest

LBD = os.environ.get('LBD_BIN', '')
ROOT = os.environ.get('LBD_SOURCE_DIR', os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
LAB_DIR = '/tmp/lbd-demo'
# Heartbeat Lease defaults: lease-duration 2 s, renew-interval 0.5 s. The crashed owner renewed at
# most renew-interval before the kill, so its heartbeat cannot expire sooner than 1.5 s after it;
# the demo prints the upper bound it derives (2.7 s); the ARP probe adds up to 10 ms.
FAILOVER_AT_LEAST = 1.5 - 0.1


def sections(output):
    """The demo's '## title' sections: {first words of the title: body}."""
    parts = re.split(r'\n\x1b\[1m## (.*?)\x1b\[0m\n', '\n' + output)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def section(output, start):
    for title, body in sections(output):
        if title.startswith(start):
            return body
    raise AssertionError('no section "%s" in the demo output:\n%s' % (start, output[-3000:]))


def backends(text):
    return set(re.findall(r'-> +hello from (demo-h\d)', text))


def next_hops(birdc_text):
    return sorted(re.findall(r'via (192\.0\.2\.1\d) on eth0', birdc_text))


def lab_leftovers():
    namespaces = [line.split()[0] for line in subprocess.run(
        ['ip', 'netns', 'list'], capture_output=True, text=True).stdout.splitlines()
        if line.startswith('lbd-demo-')]
    processes = subprocess.run(['pgrep', '-fa', LAB_DIR], capture_output=True, text=True).stdout
    return namespaces, processes.strip(), os.path.exists(LAB_DIR)


@unittest.skipUnless(LBD, 'needs LBD_BIN (run through CTest)')
class Demo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        started = time.monotonic()
        run = subprocess.run([os.path.join(ROOT, 'scripts', 'demo')], capture_output=True, text=True,
                             timeout=300, env=dict(os.environ))
        cls.seconds = time.monotonic() - started
        cls.output = run.stdout + run.stderr
        cls.returncode = run.returncode

    def test_runs_to_the_end_and_leaves_nothing_behind(self):
        self.assertEqual(self.returncode, 0, self.output[-4000:])
        done = re.search(r'## Done in (\d+) s', self.output)
        self.assertIsNotNone(done, self.output[-2000:])
        self.assertLess(int(done.group(1)), 120, 'the demo must finish in under 2 minutes')
        self.assertEqual(lab_leftovers(), ([], '', False))

    def test_both_services_get_an_ip_from_their_pool(self):
        services = section(self.output, 'Two LoadBalancer Services')
        self.assertRegex(services, r'\nweb +LoadBalancer +\S+ +192\.0\.2\.24\d ')
        self.assertRegex(services, r'\napi +LoadBalancer +\S+ +198\.51\.100\.\d+ ')
        self.assertIn('service  ips', section(self.output, 'What lbd says'))

    def test_each_vip_answers_from_more_than_one_backend(self):
        l2 = section(self.output, 'The layer-2 VIP')
        self.assertRegex(l2, r'Unicast reply from 192\.0\.2\.24\d')
        self.assertGreaterEqual(len(backends(l2)), 2, l2)
        routed = section(self.output, 'The BGP VIP')
        self.assertGreaterEqual(len(backends(routed)), 2, routed)
        self.assertNotIn('no answer', l2 + routed)

    def test_router_has_three_next_hops_then_two_then_none(self):
        routed = section(self.output, 'The BGP VIP')
        hosts = ['192.0.2.11', '192.0.2.12', '192.0.2.13']
        self.assertEqual(next_hops(routed.split('$ ip -n')[0]), hosts)
        self.assertEqual(routed.count('nexthop via'), 3, routed)
        stop = next(body for title, body in sections(self.output) if 'stops (SIGTERM' in title)
        before, after = stop.split('after:')
        self.assertEqual(next_hops(before.split('graceful shutdown')[0]), hosts)
        self.assertIn('(65535,0)', before, 'GRACEFUL_SHUTDOWN community before the withdrawal')
        self.assertEqual(len(next_hops(after.split('$ ip -n')[0])), 2, after)
        gone = section(self.output, 'Delete both Services')
        self.assertIn('Network not found', gone)
        self.assertIn('Received 0 response(s)', gone)

    def test_failover_is_within_the_bound_and_not_faster_than_the_lease(self):
        failover = section(self.output, 'Failover')
        m = re.search(r'failover: ([\d.]+) s \(bound from the configuration: ([\d.]+) s\), new owner (demo-h\d)',
                      failover)
        self.assertIsNotNone(m, failover)
        seconds, bound = float(m.group(1)), float(m.group(2))
        self.assertLessEqual(seconds, bound, failover)
        self.assertGreaterEqual(seconds, FAILOVER_AT_LEAST, failover)
        # The client still gets answers through the new owner.
        self.assertGreaterEqual(len(backends(failover)), 1, failover)
        self.assertNotIn('no answer', failover)
        # The host that comes back takes nothing back (no preemption).
        back = next(body for title, body in sections(self.output) if 'comes back' in title)
        self.assertIn(m.group(3), back)


if __name__ == '__main__':
    unittest.main()
