#!/usr/bin/python3
"""Layer-2 failover as a client sees it, in the l2lab (three hosts and a client on one bridge, in
network namespaces): how long after a fault on the VIP's owner the VIP is answered by another
MAC, seen by arp_watch probing every 10 ms from the client. Reference: keepalived (VRRP).

  cmake --build --preset release --target lbd lbctl
  /usr/bin/python3 bench/l2_failover_bench.py [--implementation keepalived|lbd|lbd-fast[,...]]
      [--trials 30] [--scenarios crash,graceful,arp-latency,steady-cost] [--arp-requests 1000]

Scenarios (each trial starts from a fresh, stable state: everything restarted, h1 the owner):
  crash       SIGKILL of the owner's whole daemon and its cable pulled (the bridge port goes down,
              so the owner's kernel, which still holds the VIP, can no longer answer);
  graceful    SIGTERM to the owner's daemon (it releases on purpose);
  arp-latency the kernel answering ARP for a host's own address, wire to wire on the client
              (1000 requests): the reference for lbd's user-space responder (target <= 2x);
  steady-cost lbd's CPU per host over 20 s of steady state, and with lbd-fast ([election]
              fast-failover on) the direct heartbeat datagrams per second: what fast failover
              costs is lbd-fast's figures against lbd's in the same run.
Reported: p50 / p99 / max in ms (p99 is nearest-rank: with 30 trials, the largest); also which
host took over, probes answered by two MACs after the fault, and the unanswered window (last
answer by the old owner -> first by the new).
"""
import argparse
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The release build unless told otherwise: timings of a debug build say little.
os.environ.setdefault('LBD_BIN', os.path.join(ROOT, 'build', 'release', 'daemon', 'lbd'))
os.environ.setdefault('LBCTL_BIN', os.path.join(ROOT, 'build', 'release', 'ctl', 'lbctl'))
os.environ.setdefault('LBD_SOURCE_DIR', ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
from arp_watch import ArpWatch, percentile  # noqa: E402
from l2lab import L2Lab, wait_for  # noqa: E402

VIP4 = '192.0.2.200'

# VRRP, advert_int 1 (RFC 5798 timing: backups take over after 3 x advert_int + skew, skew =
# (256 - priority) / 256 s). All start as BACKUP with nopreempt: the node that returns after a
# failure does not take the VIP back (no second interruption), which is also lbd's default
# (DESIGN.md 3), and nopreempt only works with initial state BACKUP. The garp_* settings stay at
# their defaults (5 gratuitous ARPs on becoming master, 5 more 5 s later): what users run.
KEEPALIVED_CONF = """global_defs {
  router_id %(host)s
}
vrrp_instance VI_1 {
  state BACKUP
  nopreempt
  interface eth0
  virtual_router_id 51
  priority %(priority)d
  advert_int 1
  virtual_ipaddress {
    %(vip)s/32 dev eth0
  }
}
"""


class Keepalived:
    """keepalived 2.2 (Debian) in each host namespace, in the foreground, with its own files."""
    name = 'keepalived'

    def __init__(self, lab, vip=VIP4):
        self.lab, self.vip, self.procs = lab, vip, {}
        self.conf = {}
        for i, h in enumerate(lab.hosts):
            path = os.path.join(lab.dir, 'keepalived-%s.conf' % h.name)
            with open(path, 'w') as f:
                f.write(KEEPALIVED_CONF % {'host': h.name, 'priority': 100 - i, 'vip': vip})
            self.conf[h.name] = path

    def start(self, h):
        d = self.lab.dir
        # -n foreground, -l -D log details to the console (the lab's log file), -G no syslog,
        # -P VRRP only; pid files of our own so instances (and a host's keepalived) never collide.
        argv = ['keepalived', '-n', '-l', '-D', '-G', '-P', '-f', self.conf[h.name],
                '-p', '%s/keepalived-%s.pid' % (d, h.name), '-r', '%s/vrrp-%s.pid' % (d, h.name),
                '-c', '%s/checkers-%s.pid' % (d, h.name)]
        self.procs[h.name] = self.lab.spawn(h.ns, argv, name='keepalived-' + h.name)

    def start_all(self, watch):
        """h1 first, alone until it owns the VIP (seen by the client), then the others as backups;
        returns once they have heard h1's adverts, at a random point of the advert cycle."""
        first, others = self.lab.hosts[0], self.lab.hosts[1:]
        t = time.monotonic()
        self.start(first)
        if not watch.wait_answer(mac=first.mac, after=t, timeout=15):
            raise RuntimeError('h1 did not take the VIP:\n' + self.procs[first.name].log()[-2000:])
        for h in others:
            self.start(h)
        for h in others:
            wait_for(lambda: 'Entering BACKUP STATE' in self.procs[h.name].log(), 10, h.name + ' as backup')
        time.sleep(1.2 + random.uniform(0, 1.0))    # > 1 advert heard, fault at a random phase

    def crash(self, h):
        self.procs[h.name].kill9()
        self.lab.link(h, up=False)

    def graceful(self, h):
        self.procs[h.name].send(15, group=False)    # SIGTERM, as systemd would; do not wait for it

    def reset(self):
        for p in self.procs.values():
            p.stop(timeout=5)
        self.procs = {}
        for h in self.lab.hosts:
            if not self.lab.carrier(h):
                self.lab.link(h, up=True)
            # SIGKILL leaves the VIP on the dead owner's eth0
            self.lab.run(h.ns, 'ip', 'addr', 'del', self.vip + '/32', 'dev', 'eth0', check=False)


class Lbd:
    """lbd's layer-2 role with default settings ([election] lease-duration 2s, renew-interval
    500ms, claim-step 100ms): lbd on every host (its own bus, the lab's API server), Nodes for
    the hosts, a layer2 pool holding VIP4 and a Service pinned to it; h1 started alone until it
    owns the VIP, then h2 and h3."""
    name = 'lbd'
    POOL = '[[pool]]\nname = "bench"\nmode = "layer2"\naddresses = ["%s/32"]\n'

    def __init__(self, lab, vip=VIP4):
        self.lab, self.vip = lab, vip
        for ns in ('lbd-system', 'bench'):
            lab.cluster.create({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': ns}})
        lab.create_nodes()
        for h in lab.hosts:
            lab.lbd(h).write('pools.d/bench.toml', self.POOL % vip)
        lab.cluster.create({'apiVersion': 'v1', 'kind': 'Service',
                            'metadata': {'name': 'vip', 'namespace': 'bench',
                                         'annotations': {'lbd.io/loadBalancerIPs': vip}},
                            'spec': {'type': 'LoadBalancer', 'selector': {'app': 'vip'},
                                     'allocateLoadBalancerNodePorts': False,
                                     'ports': [{'port': 80, 'protocol': 'TCP'}]}})

    def start(self, h):
        self.lab.lbd(h).start_lbd()

    def start_all(self, watch):
        first, others = self.lab.hosts[0], self.lab.hosts[1:]
        t = time.monotonic()
        self.start(first)
        if not watch.wait_answer(mac=first.mac, after=t, timeout=20):
            raise RuntimeError('h1 did not take the VIP:\n' + self.lab.lbd(first).log()[-2000:])
        for h in others:
            self.start(h)
        for h in others:
            wait_for(lambda: (s := self.lab.lbd(h).lbctl_json('status').get('layer2')) and s['heartbeat_fresh']
                     and first.name in s['peers'], 15, h.name + ' sees h1 alive')
        # Steady state: a host claims nothing for lease-duration (2 s) after its first heartbeat
        # (it must see its peers' renewals first), so a fault sooner than that measures the
        # start-up hold, not failover. Then a random phase of the 500 ms renewals.
        time.sleep(2.2 + random.uniform(0, 0.5))

    def crash(self, h):
        self.lab.lbd(h).lbd.kill()                  # SIGKILL
        self.lab.link(h, up=False)

    def graceful(self, h):
        self.lab.lbd(h).lbd.send_signal(signal.SIGTERM)  # as systemd would; do not wait for it

    def reset(self):
        for h in self.lab.hosts:
            self.lab.lbd(h).stop_lbd()
        for h in self.lab.hosts:
            if not self.lab.carrier(h):
                self.lab.link(h, up=True)


class LbdFast(Lbd):
    """lbd with [election] fast-failover on (direct UDP heartbeats every 100 ms, silent after 3
    missed), the rest as Lbd."""
    name = 'lbd-fast'

    def __init__(self, lab, vip=VIP4):
        super().__init__(lab, vip)
        for h in lab.hosts:
            d = lab.lbd(h)
            key = os.path.join(d.dir, 'fast.key')
            with open(key, 'w') as f:
                f.write('bench key, the same on every host\n')
            os.chmod(key, 0o600)
            with open(os.path.join(d.dir, 'lbd.toml')) as f:
                main = f.read()
            if '[election]' not in main:
                d.write('lbd.toml', main + '\n[election]\nfast-failover = true\nfast-key-file = "%s"\n' % key)

    def start_all(self, watch):
        super().start_all(watch)
        for h in self.lab.hosts:
            wait_for(lambda: len(self.lab.lbd(h).lbctl_json('status')['fast_failover']['heard']) == 2, 10,
                     h.name + ' hears both peers directly')


IMPLEMENTATIONS = {'keepalived': Keepalived, 'lbd': Lbd, 'lbd-fast': LbdFast}


def cpu_seconds(pid):
    fields = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def run_steady_cost(lab, impl, seconds=20.0):
    """Per host in steady state (3 hosts, one VIP): CPU of lbd as a share of one core, and for
    lbd-fast the direct heartbeat datagrams sent and received per second."""
    impl.reset()
    with ArpWatch(lab.client.ns, vip4=impl.vip, interval=0.1) as watch:
        impl.start_all(watch)
    time.sleep(1.0)
    daemons = [lab.lbd(h) for h in lab.hosts]
    pids = [d.lbd.pid for d in daemons]
    fast = impl.name == 'lbd-fast'
    before = [cpu_seconds(p) for p in pids]
    counts = [d.lbctl_json('status')['fast_failover'] for d in daemons] if fast else None
    t0 = time.monotonic()
    time.sleep(seconds)
    took = time.monotonic() - t0
    cpu = [(cpu_seconds(p) - b) / took * 100 for p, b in zip(pids, before)]
    out = {'cpu_percent_per_host': stats(cpu)}
    line = '%s steady state, per host: CPU %s %% of a core' % (impl.name, fmt(out['cpu_percent_per_host']))
    if fast:
        after = [d.lbctl_json('status')['fast_failover'] for d in daemons]
        sent = [(a['sent'] - b['sent']) / took for a, b in zip(after, counts)]
        received = [(a['received'] - b['received']) / took for a, b in zip(after, counts)]
        out['datagrams_sent_per_s'] = stats(sent)
        out['datagrams_received_per_s'] = stats(received)
        line += '; datagrams sent/s %s, received/s %s' % (fmt(out['datagrams_sent_per_s']),
                                                           fmt(out['datagrams_received_per_s']))
    print(line, flush=True)
    impl.reset()
    return out


def run_responder_latency(lab, impl, requests, interval):
    """lbd's user-space responder answering for the VIP, in the same run as the kernel's figures
    (they move with the machine's load), and the ratio."""
    h1 = lab.hosts[0]
    impl.reset()
    with ArpWatch(lab.client.ns, vip4=impl.vip, interval=interval) as watch:
        t = time.monotonic()
        impl.start(h1)
        if not watch.wait_answer(mac=h1.mac, after=t, timeout=20):
            raise RuntimeError('lbd on h1 did not answer for the VIP')
        start = len(watch.timeline().probes)
        watch.wait(lambda tl: len(tl.probes) >= start + requests, timeout=requests * interval * 10 + 10)
        tl = watch.stop()
    rtts = tl.rtts_us(4)[-requests:]
    impl.reset()
    out = dict(stats(rtts), lost=len(tl.unanswered(after=t + 1)))
    print('lbd ARP reply latency (wire to wire on the client), us: %s' % fmt(stats(rtts)), flush=True)
    return out


def run_minimal_responder_latency(lab, vip, requests, interval):
    """bench/min_arp_responder.c (a blocking recv and an immediate reply, nothing else) on h1
    for the VIP: what answering in user space costs before any of lbd's own work."""
    h1 = lab.hosts[0]
    binary = os.path.join(lab.dir, 'min_arp_responder')
    subprocess.run(['gcc', '-O2', '-o', binary, os.path.join(ROOT, 'bench', 'min_arp_responder.c')], check=True)
    proc = lab.spawn(h1.ns, [binary, 'eth0', vip])
    try:
        with ArpWatch(lab.client.ns, vip4=vip, interval=interval) as watch:
            if not watch.wait_answer(mac=h1.mac, timeout=10):
                raise RuntimeError('min_arp_responder did not answer')
            start = len(watch.timeline().probes)
            watch.wait(lambda tl: len(tl.probes) >= start + requests, timeout=requests * interval * 10 + 10)
            tl = watch.stop()
    finally:
        proc.stop()
    rtts = tl.rtts_us(4)[-requests:]
    print('minimal user-space responder ARP reply latency (wire to wire on the client), us: %s'
          % fmt(stats(rtts)), flush=True)
    return stats(rtts)





def failover_trial(lab, impl, scenario, interval):
    owner = lab.hosts[0]
    impl.reset()
    with ArpWatch(lab.client.ns, vip4=impl.vip, interval=interval) as watch:
        impl.start_all(watch)
        before = time.monotonic()
        stable = watch.timeline()
        if stable.macs(after=before - 1.0) != [owner.mac]:
            raise RuntimeError('not stable before the fault: %s' % stable.macs(after=before - 1.0))
        t0 = time.monotonic()
        getattr(impl, scenario)(owner)
        new = watch.wait_answer(after=t0, exclude={owner.mac}, timeout=20)
        if not new:
            raise RuntimeError('no other host answered within 20 s')
        time.sleep(1.0)                              # watch a little longer for double answers
        tl = watch.stop()
    old = [e for e in tl.answers(after=before - 1.0, before=new['t']) if e['mac'] == owner.mac]
    return {'ms': (new['t'] - t0) * 1e3, 'new': next(h.name for h in lab.hosts if h.mac == new['mac']),
            'gap_ms': (new['t'] - old[-1]['t']) * 1e3 if old else None,
            'double': len(tl.conflicts(after=t0)), 'owners_after': len(tl.macs(after=new['t']))}


def stats(values):
    return {'p50': percentile(values, 50), 'p99': percentile(values, 99), 'max': max(values),
            'min': min(values), 'n': len(values)}


def fmt(s):
    return 'p50 %.1f  p99 %.1f  max %.1f  (min %.1f, n=%d)' % (s['p50'], s['p99'], s['max'], s['min'], s['n'])


def run_failover(lab, impl, scenario, trials, interval):
    rows = []
    for i in range(trials):
        try:
            rows.append(failover_trial(lab, impl, scenario, interval))
        finally:
            impl.reset()
        r = rows[-1]
        print('  %s trial %2d: %7.1f ms -> %s (unanswered %s ms, double answers %d)'
              % (scenario, i + 1, r['ms'], r['new'], '%.1f' % r['gap_ms'] if r['gap_ms'] is not None else '-',
                 r['double']), flush=True)
    out = {'to_new_mac_ms': stats([r['ms'] for r in rows]),
           'unanswered_ms': stats([r['gap_ms'] for r in rows if r['gap_ms'] is not None]),
           'new_owner': {n: sum(r['new'] == n for r in rows) for n in sorted({r['new'] for r in rows})},
           'trials_with_double_answers': sum(r['double'] > 0 for r in rows)}
    print('%s %s: fault -> new MAC %s' % (impl.name, scenario, fmt(out['to_new_mac_ms'])))
    print('%s %s: unanswered window %s; new owner %s; trials with two MACs answering %d'
          % (impl.name, scenario, fmt(out['unanswered_ms']), out['new_owner'], out['trials_with_double_answers']),
          flush=True)
    return out


def run_arp_latency(lab, requests, interval):
    """The kernel of h1 answering for its own addresses; rtt on the client's wire, in us."""
    h1 = lab.hosts[0]
    out = {}
    for fam, kw in ((4, {'vip4': h1.ip4}), (6, {'vip6': h1.ip6})):
        with ArpWatch(lab.client.ns, interval=interval, **kw) as watch:
            watch.wait(lambda tl: len(tl.probes) >= requests, timeout=requests * interval * 10 + 10)
            tl = watch.stop()
        rtts = tl.rtts_us(fam)[:requests]
        lost = len(tl.unanswered())
        if not rtts:
            raise RuntimeError('h1 never answered the client')
        out['ipv%d_us' % fam] = dict(stats(rtts), lost=lost)
        print('kernel %s reply latency (wire to wire on the client), us: %s, unanswered %d'
              % ('ARP' if fam == 4 else 'NDP', fmt(stats(rtts)), lost), flush=True)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--implementation', default='keepalived',
                   help='one or more of %s, comma-separated: run one after the other, each in a '
                        'fresh lab' % ', '.join(sorted(IMPLEMENTATIONS)))
    p.add_argument('--trials', type=int, default=30)
    p.add_argument('--scenarios', default='crash,graceful,arp-latency')
    p.add_argument('--arp-requests', type=int, default=1000)
    p.add_argument('--interval', type=float, default=0.01, help='probe interval, s (default 0.01)')
    p.add_argument('--json', help='also write the figures here')
    a = p.parse_args()
    # SIGTERM / SIGINT unwind through the finally blocks, so the lab and keepalived go away (a
    # background job inherits SIGINT ignored: reset it too).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print('$ ' + ' '.join(shlex.quote(x) for x in [sys.executable] + sys.argv), flush=True)
    print('load average before: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]), flush=True)
    results = {}
    for name in a.implementation.split(','):
        if name not in IMPLEMENTATIONS:
            p.error('unknown implementation ' + name)
    for name in a.implementation.split(','):
        results[name] = run_implementation(p, a, name)
    print('load average after: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]), flush=True)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'implementation': a.implementation, 'trials': a.trials, 'results': results}, f, indent=1)


def run_implementation(p, a, name):
    results = {}
    with L2Lab(hosts=3, api=name != 'keepalived') as lab:
        impl = IMPLEMENTATIONS[name](lab)
        try:
            for scenario in a.scenarios.split(','):
                if scenario == 'arp-latency':
                    results[scenario] = run_arp_latency(lab, a.arp_requests, 0.005)
                    if name == 'lbd':
                        lbd = run_responder_latency(lab, impl, a.arp_requests, 0.005)
                        minimal = run_minimal_responder_latency(lab, impl.vip, a.arp_requests, 0.005)
                        kernel = results[scenario]['ipv4_us']
                        results[scenario]['lbd_ipv4_us'] = lbd
                        results[scenario]['minimal_ipv4_us'] = minimal
                        print('lbd / kernel ARP reply latency: p50 %.2fx, p99 %.2fx'
                              % (lbd['p50'] / kernel['p50'], lbd['p99'] / kernel['p99']), flush=True)
                        print('minimal user-space responder / kernel: p50 %.2fx, p99 %.2fx; '
                              'lbd / minimal: p50 %.2fx, p99 %.2fx'
                              % (minimal['p50'] / kernel['p50'], minimal['p99'] / kernel['p99'],
                                 lbd['p50'] / minimal['p50'], lbd['p99'] / minimal['p99']), flush=True)
                elif scenario in ('crash', 'graceful'):
                    results[scenario] = run_failover(lab, impl, scenario, a.trials, a.interval)
                elif scenario == 'steady-cost':
                    if name == 'keepalived':
                        continue
                    results[scenario] = run_steady_cost(lab, impl)
                else:
                    p.error('unknown scenario ' + scenario)
        finally:
            impl.reset()
    return results


if __name__ == '__main__':
    main()
