"""Real BGP routers (BIRD 2, FRR bgpd, GoBGP) in the layer-2 lab's namespaces, read through their
own CLIs, and a GarbageRouter that sends a malformed message on purpose: the peers of lbd's BGP
speaker in the interop tests.

    lab = L2Lab(hosts=1, api=False, routers=('bird', 'frr', 'gobgp'))
    h1 = lab.hosts[0]
    bird = BirdRouter(lab, lab.router('bird'), asn=64512,
                      neighbors=[Neighbor(h1.ip4, 65001, password='s3cret'), Neighbor(h1.ip6, 65001)])
    bird.start()                                   # returns once its CLI answers
    bird.wait_established(h1.ip4)
    r = bird.wait_route('198.51.100.5/32')         # -> Route
    r.next_hops, r.communities, r.med, r.stale ...

Neighbor(address, asn, password=None, multihop=None, families=None, passive=False, hold=None,
         keepalive=None)
    One session. families defaults to the address's own family (('ipv4',) for an IPv4 address,
    ('ipv6',) for an IPv6 one: IPv6 routes arrive in MP_REACH_NLRI on the IPv6 session).
    multihop: eBGP TTL (None: directly connected). passive: the router never connects out.
    hold/keepalive: None takes the router's.

BirdRouter / FrrRouter / GobgpRouter(lab, endpoint, asn=64512, neighbors=(), graceful_restart=True,
         restart_time=120, hold=9, keepalive=3, connect_retry=1, router_id=None, export=False)
    endpoint is a lab Endpoint (lab.router('bird'), or a host); router_id defaults to its IPv4
    address; neighbors may be edited before a (re)start. GobgpRouter also takes api_port=50051.
    Every router imports everything and exports nothing (eBGP policy made explicit: BIRD
    `import all; export none`, FRR `no bgp ebgp-requires-policy` and a deny-all route-map out,
    GoBGP default export policy reject), keeps every path of a prefix (multipath: FRR
    `maximum-paths 8` + `bestpath as-path multipath-relax`, GoBGP use-multiple-paths; BIRD keeps
    one route per protocol anyway), retries connections after connect_retry (1 s; gobgpd 3.10
    never retries faster than every 5 s, whatever the config), and with graceful_restart
    advertises GR (restart_time) and keeps a restarting peer's routes as stale (helper).

    (export=True exports everything instead: a GobgpRouter on a host is a stand-in speaker.)
    BIRD also waits only 1-5 s after a session error (`error wait time 1, 5`; default 60-300 s).
    GoBGP waits 5 s in Idle after any session failure whatever the config (gobgpd's holdtimeIdle).

    start(timeout=15, restarted=False)   writes the config, starts the daemon, returns when its CLI
                                 answers; restarted: come back in graceful-restart state (BIRD -R,
                                 gobgpd -r; FRR 8.4's bgpd has no such flag)
    stop() / kill()              SIGTERM (clean shutdown, Cease to peers) / SIGKILL (crash)
    restart(timeout=15, restarted=False)   stop() then start()
    running                      property
    neighbor_state(address)      'established', 'idle', 'connect', 'active', 'opensent',
                                 'openconfirm', or 'down' (disabled / not running) ...
    wait_established(address=None, timeout=20)    None: every neighbor
    wait_state(address, state, timeout=20)
    routes(family='ipv4')        {prefix: Route}
    route(prefix)                Route or None (family from the prefix)
    wait_route(prefix, timeout=10, check=None)   -> Route once present (and check(route) true)
    wait_no_route(prefix, timeout=10)
    last_error(address)          the router's own text for the last error on the session, or None
    last_notification(address)   Notification(direction 'sent'|'received', code, subcode) or None;
                                 BIRD and FRR do not count the Cease they send on disable()
    disable(address) / enable(address)   administrative shutdown of the session (the router sends
                                 Cease/Administrative Shutdown) and back: BIRD `disable <protocol>`,
                                 FRR `neighbor X shutdown`, GoBGP `neighbor X disable`
    log()                        the daemon's log (stdout + stderr, every run)
    cli(*args)                   the raw CLI output (birdc / vtysh -c per argument / gobgp)
    config_path, config_text, dir
    BirdRouter.protocol_name(address), .protocols();  FrrRouter.configure(*lines) (inside
    `router bgp`);  GobgpRouter.announce(prefix, next_hop=None, communities=(), large_communities=(),
    med=None, local_pref=None, origin=None) / withdraw(prefix) (communities as gobgp spells them:
    numeric, or no-export, no-advertise, blackhole, planned-shut for 65535:0 ...)

Route: prefix; paths (one Path per peer that sent it, best first); and from the best path (BIRD:
the one marked '*'; FRR: bestpath; GoBGP: best) as_path, communities, large_communities, med,
local_pref, origin; next_hops = sorted next hops of ALL paths (ECMP: one per lbd host that
advertises the prefix); stale = any path stale.
Path: peer, next_hop, as_path, communities, large_communities, med, local_pref, origin, best,
stale, multipath (FRR only; None elsewhere).

Normal forms (the same whatever router shows them):
- communities: sorted list of numeric "high:low" strings. Well-known communities are numeric too:
  no-export "65535:65281", no-advertise "65535:65282", graceful-shutdown "65535:0",
  blackhole "65535:666" (FRR prints names, GoBGP integers, BIRD "(65535,65281)").
- large_communities: sorted list of "global:local1:local2".
- as_path: list of ints in path order (AS_SET members flattened in; lbd never sends sets).
- next hops: the global address only (an IPv6 link-local second next hop is dropped).
- med: int or None. origin: 'igp' | 'egp' | 'incomplete'.
- local_pref: int from iBGP peers; None on eBGP paths, where LOCAL_PREF is not sent (RFC 4271
  5.1.5) and each router shows its own default instead (BIRD 100, FRR 0 or nothing).
- stale (graceful restart, RFC 4724): FRR and GoBGP mark each path. BIRD 2.0 does not show it per
  route, so a path is stale while its channel shows "Neighbor GR: Regular" or "Long-lived" in
  `show protocols all` (peer down in GR, or re-established and before its End-of-RIB).
- states: lowercase RFC 4271 names as above (BIRD's "Passive", listening only, is 'active').
- last_error text, as each router says it: BIRD "Received: Administrative reset" / "BGP Error: Bad
  peer AS" (sent) / "Socket: Connection closed"; FRR "BGP Notification received: Cease/
  Administrative Reset" (its lastResetDueTo [: lastNotificationReason]); GoBGP the Reason of the
  log's last "Peer Down" line, "notification-received code 6(cease) subcode 4(administrative
  reset)". BIRD clears it once the session is up again; FRR and GoBGP keep it.

GarbageRouter(lab, endpoint, neighbor_address, asn=64512, garbage='bad-marker', hold=9)
    A pure Python peer (a thread in the test process, listening on port 179 of the endpoint's
    address inside its namespace; it never connects out). Per accepted connection: reads the
    speaker's OPEN, answers OPEN + KEEPALIVE, waits for the speaker's KEEPALIVE, sends its garbage,
    then behaves (KEEPALIVE every hold/3) and records whatever comes back until the speaker closes.
    garbage: a name of GARBAGE (below), raw bytes, a callable(router, connection) -> bytes, None
    (no garbage: a well-behaved session), or a list of those used by successive connections (the
    last one repeats). Garbage of stage 'open' replaces its OPEN.
    start(), stop(); connections (list of Connection: peer, open, sent, received message types,
    notification, closed, established); notifications; wait_connections(n, timeout=20);
    wait_notification(index=None, timeout=20) -> Notification('received', code, subcode, data)
    of connection number index (None: the first one any connection gets); log() of events.
    GARBAGE[name].expected: what RFC 4271 / 7606 say the speaker must answer, (code, subcode), or
    None where the session must stay up (treat-as-withdraw; 'valid-update' is the control that
    announces 198.51.100.99/32 correctly). BIRD 2.0.12 answers every case as expected
    (test_bgp_routers) but 'long-keepalive', which it accepts. gobgpd 3.10 cannot be a referee:
    a malformed header in Established panics it (nil pointer in fsmHandler.handlingError).

All CLI commands that talk to the network side run inside the lab's namespaces (`ip netns exec`):
gobgp's gRPC port is the namespace's own 127.0.0.1:50051. birdc and vtysh use unix sockets in the
lab directory. Nothing here adds anything to the root namespace. The daemons are lab processes,
so L2Lab.close() stops them even if a test forgets; a GarbageRouter should be stopped by its test
(addCleanup), its threads are daemons in any case.
"""
import collections
import ipaddress
import json
import os
import re
import shlex
import socket
import struct
import subprocess
import threading
import time

from l2lab import wait_for
from netns import socket_in

FAMILY_AFI = {'ipv4': 1, 'ipv6': 2}


def family_of(address):
    """'ipv4' or 'ipv6' of an address or prefix."""
    return 'ipv6' if ':' in address else 'ipv4'


Notification = collections.namedtuple('Notification', 'direction code subcode data', defaults=(b'',))


class Neighbor:
    """One BGP session of a router (see the module docstring)."""

    def __init__(self, address, asn, password=None, multihop=None, families=None, passive=False,
                 hold=None, keepalive=None):
        self.address = str(ipaddress.ip_address(address))
        self.asn, self.password, self.multihop, self.passive = int(asn), password, multihop, passive
        self.families = tuple(families or (family_of(self.address),))
        for f in self.families:
            if f not in FAMILY_AFI:
                raise ValueError('family %r: ipv4 or ipv6' % f)
        self.hold, self.keepalive = hold, keepalive

    @property
    def family(self):
        return family_of(self.address)

    def __repr__(self):
        return '<Neighbor %s AS%d %s>' % (self.address, self.asn, ','.join(self.families))


class Path:
    """One path of a prefix as a router holds it, in the normal forms of the module docstring."""

    def __init__(self, peer, next_hop, as_path=(), communities=(), large_communities=(), med=None,
                 local_pref=None, origin=None, best=False, stale=False, multipath=None):
        self.peer, self.next_hop, self.as_path = peer, next_hop, list(as_path)
        self.communities = sorted(set(communities), key=_community_key)
        self.large_communities = sorted(set(large_communities), key=_community_key)
        self.med, self.local_pref, self.origin = med, local_pref, origin
        self.best, self.stale, self.multipath = bool(best), bool(stale), multipath

    def __repr__(self):
        return '<Path from %s via %s%s%s as_path=%s comm=%s large=%s med=%s lp=%s>' % (
            self.peer, self.next_hop, ' best' if self.best else '', ' stale' if self.stale else '',
            self.as_path, self.communities, self.large_communities, self.med, self.local_pref)


class Route:
    """A prefix with all its paths; attributes of the best path, next hops of all paths."""

    def __init__(self, prefix, paths):
        self.prefix = prefix
        self.paths = sorted(paths, key=lambda p: not p.best)     # best first, else router order
        best = self.paths[0]
        self.next_hops = sorted({p.next_hop for p in self.paths if p.next_hop},
                                key=lambda a: ipaddress.ip_address(a))
        self.as_path, self.communities = best.as_path, best.communities
        self.large_communities, self.med = best.large_communities, best.med
        self.local_pref, self.origin = best.local_pref, best.origin
        self.stale = any(p.stale for p in self.paths)

    def __repr__(self):
        return '<Route %s next_hops=%s%s paths=%s>' % (self.prefix, self.next_hops,
                                                      ' stale' if self.stale else '', self.paths)


def _community_key(text):
    return tuple(int(x) for x in text.split(':'))


def _prefix(text):
    return str(ipaddress.ip_network(text, strict=False))


# Well-known communities (RFC 1997, 8326, 7999, 9494 ...) by the names FRR prints, squashed to
# lowercase letters and digits so both its strings ("no-export") and JSON keys ("noExport") match.
WELL_KNOWN = {
    'gracefulshutdown': '65535:0', 'acceptown': '65535:1', 'routefiltertranslatedv4': '65535:2',
    'routefilterv4': '65535:3', 'routefiltertranslatedv6': '65535:4', 'routefilterv6': '65535:5',
    'llgrstale': '65535:6', 'nollgr': '65535:7', 'acceptownnexthop': '65535:8',
    'blackhole': '65535:666', 'noexport': '65535:65281', 'noadvertise': '65535:65282',
    'localas': '65535:65283', 'noexportsubconfed': '65535:65283', 'nopeer': '65535:65284',
}


def community_normal(text):
    """'65000:100', 'no-export', 'noExport' -> numeric 'high:low'."""
    if re.fullmatch(r'\d+:\d+', text):
        return text
    key = re.sub(r'[^a-z0-9]', '', text.lower())
    if key not in WELL_KNOWN:
        raise ValueError('unknown community %r' % text)
    return WELL_KNOWN[key]


class Router:
    """What the three daemons share: files, process, waiting; subclasses speak to the daemon."""
    kind = None

    def __init__(self, lab, endpoint, asn=64512, neighbors=(), graceful_restart=True, restart_time=120,
                 hold=9, keepalive=3, connect_retry=1, router_id=None, export=False):
        self.lab, self.endpoint, self.ns = lab, endpoint, endpoint.ns
        self.export = export
        self.asn, self.neighbors = int(asn), list(neighbors)
        self.graceful_restart, self.restart_time = graceful_restart, restart_time
        self.hold, self.keepalive, self.connect_retry = hold, keepalive, connect_retry
        self.router_id = router_id or endpoint.ip4
        self.name = '%s-%s' % (self.kind, endpoint.name)
        self.dir = os.path.join(lab.dir, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.procs = []
        self.config_path = os.path.join(self.dir, self.config_name)
        self.config_text = None

    def __repr__(self):
        return '<%s %s AS%d>' % (type(self).__name__, self.ns, self.asn)

    # ----- process

    @property
    def proc(self):
        return self.procs[-1] if self.procs else None

    @property
    def running(self):
        return bool(self.proc and self.proc.alive())

    def start(self, timeout=15, restarted=False):
        if self.running:
            raise RuntimeError('%s already runs' % self)
        self.config_text = self.config()
        with open(self.config_path, 'w') as f:
            f.write(self.config_text)
        self._before_start()
        self.procs.append(self.lab.spawn(self.ns, self.argv(restarted), name=self.name))
        try:
            wait_for(lambda: not self.running or self._ready(), timeout, '%s to answer' % self.name,
                     interval=0.05)
        except AssertionError:
            raise RuntimeError('%s did not answer within %ss:\n%s' % (self.name, timeout, self.log()[-3000:]))
        if not self.running:
            raise RuntimeError('%s exited (rc %s):\n%s\nconfig:\n%s' % (
                self.name, self.proc.popen.returncode, self.log()[-3000:], self.config_text))
        return self

    def stop(self, timeout=10):
        if self.proc:
            return self.proc.stop(timeout=timeout)

    def kill(self):
        if self.proc:
            self.proc.kill9()

    def restart(self, timeout=15, restarted=False):
        self.stop()
        return self.start(timeout, restarted)

    def log(self):
        return ''.join(p.log() for p in self.procs)

    def _before_start(self):
        pass

    # ----- neighbors

    def neighbor(self, address):
        address = str(ipaddress.ip_address(address))
        for n in self.neighbors:
            if n.address == address:
                return n
        raise KeyError('%s has no neighbor %s' % (self, address))

    def _hold(self, n):
        return n.hold if n.hold is not None else self.hold

    def _keepalive(self, n):
        return n.keepalive if n.keepalive is not None else self.keepalive

    def wait_state(self, address, state, timeout=20):
        last = []

        def reached():
            last[:] = [self.neighbor_state(address)]
            return last[0] == state
        try:
            wait_for(reached, timeout, '', interval=0.1)
        except AssertionError:
            raise AssertionError('%s: neighbor %s is %s, not %s after %ss (last error: %s)\n%s' % (
                self, address, last and last[0], state, timeout, self.last_error(address),
                self.log()[-2000:])) from None

    def wait_established(self, address=None, timeout=20):
        deadline = time.monotonic() + timeout
        for n in ([self.neighbor(address)] if address else self.neighbors):
            self.wait_state(n.address, 'established', max(0.1, deadline - time.monotonic()))

    def neighbor_state(self, address):
        if not self.running:
            return 'down'
        return self._neighbor_state(str(ipaddress.ip_address(address)))

    # ----- routes

    def route(self, prefix):
        prefix = _prefix(prefix)
        return self.routes(family_of(prefix)).get(prefix)

    def wait_route(self, prefix, timeout=10, check=None):
        """The Route once the router has the prefix (and check(route) holds)."""
        prefix, seen = _prefix(prefix), []

        def present():
            r = self.route(prefix)
            seen[:] = [r]
            return r if r is not None and (check is None or check(r)) else None
        try:
            return wait_for(present, timeout, '', interval=0.1)
        except AssertionError:
            raise AssertionError('%s: no route %s%s after %ss; last seen %r' % (
                self, prefix, ' passing the check' if check else '', timeout, seen and seen[0])) from None

    def wait_no_route(self, prefix, timeout=10):
        prefix = _prefix(prefix)
        try:
            wait_for(lambda: self.route(prefix) is None, timeout, '', interval=0.1)
        except AssertionError:
            raise AssertionError('%s: %s still there after %ss: %r' % (self, prefix, timeout,
                                                                     self.route(prefix))) from None

    def _local_pref(self, peer, value):
        """None on eBGP paths (see the module docstring)."""
        try:
            external = self.neighbor(peer).asn != self.asn
        except (KeyError, ValueError):
            external = True
        return None if external or value is None else int(value)

    # ----- running CLI commands

    def _run(self, argv, ns=None, timeout=10, check=True):
        argv = ['ip', 'netns', 'exec', ns] + argv if ns else argv
        p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError('%s: %s: rc=%d\n%s%s' % (self, shlex.join(map(str, argv)), p.returncode,
                                                       p.stdout, p.stderr))
        return p.stdout


# ---------------------------------------------------------------------------------------- BIRD

# BIRD's texts of NOTIFICATION codes (proto/bgp/packets.c, bgp_msg_table), for last_notification().
BIRD_ERRORS = {
    'Invalid message header': (1, 0), 'Connection not synchronized': (1, 1),
    'Bad message length': (1, 2), 'Bad message type': (1, 3),
    'Invalid OPEN message': (2, 0), 'Unsupported version number': (2, 1), 'Bad peer AS': (2, 2),
    'Bad BGP identifier': (2, 3), 'Unsupported optional parameter': (2, 4),
    'Authentication failure': (2, 5), 'Unacceptable hold time': (2, 6),
    'Required capability missing': (2, 7), 'No supported AFI/SAFI': (2, 8), 'Role mismatch': (2, 11),
    'Invalid UPDATE message': (3, 0), 'Malformed attribute list': (3, 1),
    'Unrecognized well-known attribute': (3, 2), 'Missing mandatory attribute': (3, 3),
    'Invalid attribute flags': (3, 4), 'Invalid attribute length': (3, 5),
    'Invalid ORIGIN attribute': (3, 6), 'AS routing loop': (3, 7), 'Invalid NEXT_HOP attribute': (3, 8),
    'Optional attribute error': (3, 9), 'Invalid network field': (3, 10), 'Malformed AS_PATH': (3, 11),
    'Hold timer expired': (4, 0), 'Finite state machine error': (5, 0),
    'Unexpected message in OpenSent state': (5, 1), 'Unexpected message in OpenConfirm state': (5, 2),
    'Unexpected message in Established state': (5, 3), 'Cease': (6, 0),
    'Maximum number of prefixes reached': (6, 1), 'Administrative shutdown': (6, 2),
    'Peer de-configured': (6, 3), 'Administrative reset': (6, 4), 'Connection rejected': (6, 5),
    'Other configuration change': (6, 6), 'Connection collision resolution': (6, 7),
    'Out of Resources': (6, 8), 'Hard reset': (6, 9), 'BFD session down': (6, 10),
    'Invalid ROUTE-REFRESH message': (7, 0), 'Invalid ROUTE-REFRESH message length': (7, 1),
}


class BirdRouter(Router):
    """BIRD 2: one `protocol bgp` per neighbor, read with birdc over its control socket."""
    kind = 'bird'
    config_name = 'bird.conf'

    @property
    def ctl(self):
        return os.path.join(self.dir, 'bird.ctl')

    @staticmethod
    def protocol_name(address):
        return 'n' + re.sub(r'[.:]', '_', address)

    def config(self):
        out = ['log stderr all;', 'router id %s;' % self.router_id,
               'protocol device { }     # else no interfaces: BGP never leaves Idle (RECIPES 3.4)']
        for n in self.neighbors:
            local = self.endpoint.ip6 if n.family == 'ipv6' else self.endpoint.ip4
            out += ['protocol bgp %s {' % self.protocol_name(n.address),
                    '  local %s as %d;' % (local, self.asn),
                    '  neighbor %s as %d;' % (n.address, n.asn),
                    '  hold time %d; keepalive time %d;' % (self._hold(n), self._keepalive(n)),
                    '  connect delay time %d; connect retry time %d;' % (self.connect_retry, self.connect_retry),
                    '  error wait time 1, 5;     # default 60, 300: a failed session would stay down a minute']
            if self.graceful_restart:
                out.append('  graceful restart on; graceful restart time %d;' % self.restart_time)
            else:
                out.append('  graceful restart off;')
            if n.password is not None:
                out.append('  password "%s";' % n.password)
            if n.multihop:
                out.append('  multihop %d;' % n.multihop)
            if n.passive:
                out.append('  passive on;')
            for f in n.families:
                out.append('  %s { import all; export %s; };' % (f, 'all' if self.export else 'none'))
            out.append('}')
        return '\n'.join(out) + '\n'

    def argv(self, restarted=False):
        return ['bird', '-f', '-c', self.config_path, '-s', self.ctl, '-P', os.path.join(self.dir, 'bird.pid')] \
            + (['-R'] if restarted else [])

    def _before_start(self):
        if os.path.exists(self.ctl):
            os.unlink(self.ctl)

    def _ready(self):
        return os.path.exists(self.ctl) and \
            subprocess.run(['birdc', '-s', self.ctl, 'show', 'status'], capture_output=True).returncode == 0

    def cli(self, *args):
        out = self._run(['birdc', '-s', self.ctl] + list(args))
        lines = out.splitlines()
        if lines and lines[0].startswith('BIRD ') and lines[0].endswith('ready.'):
            lines = lines[1:]
        return '\n'.join(lines)

    def protocols(self):
        """{protocol name: {'state', 'last_error', 'gr' {family: 'None'|'Regular'|...}}} of the
        BGP protocols, from `show protocols all`."""
        out, cur, channel = {}, None, None
        for line in self.cli('show', 'protocols', 'all').splitlines():
            m = re.match(r'^(\S+)\s+BGP\s', line)
            if m:
                cur = out[m.group(1)] = {'state': None, 'last_error': None, 'gr': {}}
                channel = None
                continue
            if re.match(r'^\S', line):
                cur = None                       # another protocol type (device) or the header
                continue
            if cur is None:
                continue
            s = line.strip()
            if s.startswith('BGP state:'):
                cur['state'] = s.split(':', 1)[1].strip()
            elif s.startswith('Last error:'):
                cur['last_error'] = s.split(':', 1)[1].strip()
            elif s.startswith('Channel '):
                channel = s.split()[1]
            elif s.startswith('Neighbor GR:') and channel:
                cur['gr'][channel] = s.split(':', 1)[1].strip()
        return out

    def _protocol(self, address):
        self.neighbor(address)
        return self.protocols().get(self.protocol_name(address))

    def _neighbor_state(self, address):
        p = self._protocol(address)
        state = (p and p['state'] or 'down').lower()
        return 'active' if state == 'passive' else state     # passive: listening, RFC 4271 Active

    def disable(self, address):
        self.neighbor(address)
        self.cli('disable', self.protocol_name(address))

    def enable(self, address):
        self.neighbor(address)
        self.cli('enable', self.protocol_name(address))

    def last_error(self, address):
        if not self.running:
            return None
        p = self._protocol(address)
        return p and p['last_error']

    def last_notification(self, address):
        text = self.last_error(address)
        # "Received: <what>" (from the neighbor), "BGP Error: <what>" (BIRD sent it)
        m = re.match(r'^(Received|BGP Error): (.*?)(?: \(.*\))?(?: ".*")?$', text or '')
        if not m:
            return None
        code = BIRD_ERRORS.get(m.group(2))
        if code is None:
            return Notification('received' if m.group(1) == 'Received' else 'sent', None, None)
        return Notification('received' if m.group(1) == 'Received' else 'sent', *code)

    def routes(self, family='ipv4'):
        table = 'master4' if family == 'ipv4' else 'master6'
        ours = {self.protocol_name(n.address): n for n in self.neighbors}
        stale = {name: any(v not in ('None', '') for v in p['gr'].values())
                 for name, p in self.protocols().items()}
        text = self.cli('show', 'route', 'all', 'table', table)
        paths, prefix, cur = collections.defaultdict(list), None, None
        for line in text.splitlines():
            # "198.51.100.5/32      unicast [n192_0_2_11 05:50:44.425] * (100) [AS65001?]", and for
            # further paths of the same prefix the same without the prefix.
            m = re.match(r'^(\S+)?\s+(unicast|unreachable|blackhole|prohibited)\s+\[(\S+) [^\]]*\](\s\*)?', line)
            if m and not line.startswith('\t'):
                if m.group(1):
                    prefix = _prefix(m.group(1))
                cur = None
                if m.group(3) in ours:
                    cur = {'peer': ours[m.group(3)].address, 'best': bool(m.group(4)),
                           'stale': stale.get(m.group(3), False)}
                    paths[prefix].append(cur)
                continue
            if cur is None or ':' not in line:
                continue
            key, value = (s.strip() for s in line.strip().split(':', 1))
            cur[key] = value
        out = {}
        for prefix, ps in paths.items():
            out[prefix] = Route(prefix, [self._path(p) for p in ps])
        return out

    def _path(self, p):
        hops = p.get('BGP.next_hop', '').split()
        hop = next((h for h in hops if not ipaddress.ip_address(h).is_link_local), hops[0] if hops else None)
        as_path = [int(a) for a in re.findall(r'\d+', p.get('BGP.as_path', ''))]
        comms = re.findall(r'\((\d+),(\d+)\)', p.get('BGP.community', ''))
        large = re.findall(r'\((\d+), (\d+), (\d+)\)', p.get('BGP.large_community', ''))
        med = p.get('BGP.med')
        return Path(p['peer'], hop, as_path, ['%s:%s' % c for c in comms], [':'.join(c) for c in large],
                    int(med) if med is not None else None,
                    self._local_pref(p['peer'], p.get('BGP.local_pref')),
                    (p.get('BGP.origin') or '').lower() or None, p['best'], p['stale'])


# ----------------------------------------------------------------------------------------- FRR

class FrrRouter(Router):
    """FRR bgpd alone (-Z: no zebra; FRR 8.4 has no mgmtd), read with vtysh over its vty socket."""
    kind = 'frr'
    config_name = 'bgpd.conf'

    def config(self):
        out = ['frr defaults traditional', 'hostname %s' % self.name, 'log stdout informational',
               'debug bgp neighbor-events',
               '! export none: every neighbor gets this route-map out',
               'route-map LBD-TEST-NONE deny 10', 'exit',
               'router bgp %d' % self.asn,
               ' bgp router-id %s' % self.router_id,
               ' no bgp ebgp-requires-policy',
               ' no bgp default ipv4-unicast',
               ' no bgp network import-check',
               ' bgp bestpath as-path multipath-relax']
        if self.graceful_restart:
            out += [' bgp graceful-restart', ' bgp graceful-restart restart-time %d' % self.restart_time]
        else:
            out.append(' bgp graceful-restart-disable')
        for n in self.neighbors:
            a = n.address
            out += [' neighbor %s remote-as %d' % (a, n.asn),
                    ' neighbor %s timers %d %d' % (a, self._keepalive(n), self._hold(n)),
                    ' neighbor %s timers connect %d' % (a, self.connect_retry)]
            if n.password is not None:
                out.append(' neighbor %s password %s' % (a, n.password))
            if n.multihop:
                out.append(' neighbor %s ebgp-multihop %d' % (a, n.multihop))
            if n.passive:
                out.append(' neighbor %s passive' % a)
        for f in ('ipv4', 'ipv6'):
            ns = [n for n in self.neighbors if f in n.families]
            if not ns:
                continue
            out += [' address-family %s unicast' % f, '  maximum-paths 8', '  maximum-paths ibgp 8']
            for n in ns:
                out.append('  neighbor %s activate' % n.address)
                if not self.export:
                    out.append('  neighbor %s route-map LBD-TEST-NONE out' % n.address)
            out.append(' exit-address-family')
        out.append('exit')
        return '\n'.join(out) + '\n'

    def argv(self, restarted=False):          # FRR 8.4's bgpd has no restart-state flag
        return ['/usr/lib/frr/bgpd', '-Z', '-S', '-n', '-P', '0', '-f', self.config_path,
                '--vty_socket', self.dir, '-i', os.path.join(self.dir, 'bgpd.pid'), '--log', 'stdout']

    def _before_start(self):
        vty = os.path.join(self.dir, 'bgpd.vty')
        if os.path.exists(vty):
            os.unlink(vty)

    def _ready(self):
        return os.path.exists(os.path.join(self.dir, 'bgpd.vty')) and subprocess.run(
            ['vtysh', '--vty_socket', self.dir, '-c', 'show bgp summary json'],
            capture_output=True).returncode == 0

    def cli(self, *commands):
        """vtysh -c for each command (one string each, e.g. 'show bgp summary')."""
        argv = ['vtysh', '--vty_socket', self.dir]
        for c in commands:
            argv += ['-c', c]
        return self._run(argv)

    def _json(self, command):
        out = self.cli(command).strip()
        return json.loads(out) if out else {}

    def _peer(self, address):
        self.neighbor(address)
        return self._json('show bgp neighbors %s json' % address).get(address, {})

    def _neighbor_state(self, address):
        p = self._peer(address)
        if p.get('adminShutDown'):
            return 'down'
        return (p.get('bgpState') or 'unknown').lower()

    def configure(self, *lines):
        """Configuration commands inside `router bgp ASN`, e.g. configure('neighbor X shutdown')."""
        return self.cli('configure terminal', 'router bgp %d' % self.asn, *lines, 'end')

    def disable(self, address):
        self.neighbor(address)
        self.configure('neighbor %s shutdown' % address)

    def enable(self, address):
        self.neighbor(address)
        self.configure('no neighbor %s shutdown' % address)

    def last_error(self, address):
        if not self.running:
            return None
        p = self._peer(address)
        due = p.get('lastResetDueTo')
        if not due:
            return None
        return due + (': ' + p['lastNotificationReason'] if p.get('lastNotificationReason') else '')

    def last_notification(self, address):
        if not self.running:
            return None
        p = self._peer(address)
        code = p.get('lastErrorCodeSubcode')         # "0604": only after a NOTIFICATION
        if not code:
            return None
        direction = 'received' if 'received' in p.get('lastResetDueTo', '') else 'sent'
        return Notification(direction, int(code[:2]), int(code[2:]))

    def routes(self, family='ipv4'):
        data = self._json('show bgp %s unicast json detail' % family)
        out = {}
        for prefix, entries in (data.get('routes') or {}).items():
            # entries: a header {"prefix", "version"}, then one object per path
            paths = [self._path(e) for e in entries if 'nexthops' in e or 'peer' in e]
            if paths:
                out[_prefix(prefix)] = Route(_prefix(prefix), paths)
        return out

    def _path(self, e):
        peer = (e.get('peer') or {}).get('peerId')
        hops = [h['ip'] for h in e.get('nexthops', []) if h.get('scope') != 'link-local'
                and not ipaddress.ip_address(h['ip']).is_link_local]
        as_path = []
        for seg in (e.get('aspath') or {}).get('segments', []):
            as_path += [int(a) for a in seg.get('list', [])]
        comms = [community_normal(c) for c in (e.get('community') or {}).get('string', '').split()]
        large = (e.get('largeCommunity') or {}).get('string', '').split()
        best = e.get('bestpath')
        best = best.get('overall', False) if isinstance(best, dict) else bool(best)
        return Path(peer, hops[0] if hops else None, as_path, comms, large, e.get('metric'),
                    self._local_pref(peer, e.get('locPrf')), (e.get('origin') or '').lower() or None, best,
                    e.get('stale', False), e.get('multipath', False) or best)


# --------------------------------------------------------------------------------------- GoBGP

GOBGP_STATES = {1: 'idle', 2: 'connect', 3: 'active', 4: 'opensent', 5: 'openconfirm', 6: 'established'}
GOBGP_FAMILY = {'ipv4': 'ipv4-unicast', 'ipv6': 'ipv6-unicast'}


class GobgpRouter(Router):
    """gobgpd, read with the gobgp CLI over gRPC on the namespace's 127.0.0.1:api_port."""
    kind = 'gobgp'
    config_name = 'gobgpd.toml'

    def __init__(self, *args, api_port=50051, **kwargs):
        super().__init__(*args, **kwargs)
        self.api_port = api_port

    def config(self):
        out = ['[global.config]', '  as = %d' % self.asn, '  router-id = "%s"' % self.router_id,
               '[global.use-multiple-paths.config]', '  enabled = true',
               '[global.apply-policy.config]',
               '  default-export-policy = "%s"' % ('accept-route' if self.export else 'reject-route')]
        for n in self.neighbors:
            out += ['[[neighbors]]', '  [neighbors.config]',
                    '    neighbor-address = "%s"' % n.address, '    peer-as = %d' % n.asn]
            if n.password is not None:
                out.append('    auth-password = "%s"' % n.password)
            out += ['  [neighbors.timers.config]', '    connect-retry = %d' % self.connect_retry,
                    '    hold-time = %d' % self._hold(n), '    keepalive-interval = %d' % self._keepalive(n)]
            if n.passive:
                out += ['  [neighbors.transport.config]', '    passive-mode = true']
            if n.multihop:
                out += ['  [neighbors.ebgp-multihop.config]', '    enabled = true',
                        '    multihop-ttl = %d' % n.multihop]
            if self.graceful_restart:
                out += ['  [neighbors.graceful-restart.config]', '    enabled = true',
                        '    restart-time = %d' % self.restart_time]
            for f in n.families:
                out += ['  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]',
                        '      afi-safi-name = "%s"' % GOBGP_FAMILY[f]]
                if self.graceful_restart:
                    out += ['    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true']
        return '\n'.join(out) + '\n'

    def argv(self, restarted=False):
        return ['gobgpd', '-f', self.config_path, '-p', '-l', 'info', '--api-hosts',
                '127.0.0.1:%d' % self.api_port, '--pprof-disable'] + (['-r'] if restarted else [])

    def _ready(self):
        # gobgpd answers before it has read its config: ready once every neighbor is there.
        p = subprocess.run(['ip', 'netns', 'exec', self.ns, 'gobgp', '-p', str(self.api_port),
                            'neighbor', '-j'], capture_output=True, text=True)
        if p.returncode != 0:
            return False
        try:
            have = {x['state']['neighbor_address'] for x in json.loads(p.stdout or '[]') or []}
        except (ValueError, KeyError, TypeError):
            return False
        return all(n.address in have for n in self.neighbors)

    def cli(self, *args):
        return self._run(['gobgp', '-p', self.api_port] + list(args), ns=self.ns)

    def _neighbor_state(self, address):
        self.neighbor(address)
        data = json.loads(self.cli('neighbor', address, '-j'))
        state = data.get('state', {})
        if state.get('admin_state') == 1:       # ADMIN_STATE_DOWN
            return 'down'
        return GOBGP_STATES.get(state.get('session_state', 1), 'unknown')

    def disable(self, address):
        self.neighbor(address)
        self.cli('neighbor', address, 'disable')

    def enable(self, address):
        self.neighbor(address)
        self.cli('neighbor', address, 'enable')

    def announce(self, prefix, next_hop=None, communities=(), large_communities=(), med=None,
                 local_pref=None, origin=None):
        """Originates prefix (exported only with export=True: GobgpRouter as a stand-in speaker)."""
        args = ['global', 'rib', 'add', '-a', family_of(prefix), prefix]
        if next_hop:
            args += ['nexthop', next_hop]
        if origin:
            args += ['origin', origin]
        if communities:
            args += ['community', ','.join(communities)]
        if large_communities:
            args += ['large-community', ','.join(large_communities)]
        if med is not None:
            args += ['med', med]
        if local_pref is not None:
            args += ['local-pref', local_pref]
        self.cli(*args)

    def withdraw(self, prefix):
        self.cli('global', 'rib', 'del', '-a', family_of(prefix), prefix)

    def _log_events(self, address):
        """[(kind, text)] from the log lines about address, oldest first: ('down', reason) of
        "Peer Down" lines, ('notification', Notification) of "sent/received notification" lines
        and of Peer Down reasons naming one (gobgpd writes either or both, depending on the path:
        an admin shutdown with graceful restart logs Reason=graceful-restart)."""
        out = []
        for line in self.log().splitlines():
            key = re.search(r' Key="?([^" ]+)"?', line)
            if not key or key.group(1) != address:
                continue
            if 'msg="Peer Down"' in line:
                reason = re.search(r'Reason="?([^"]*?)"? State=', line) or re.search(r'Reason="([^"]*)"', line)
                if reason:
                    out.append(('down', reason.group(1)))
                    m = re.match(r'notification-(sent|received) code (\d+)\(.*\) subcode (\d+)', reason.group(1))
                    if m:
                        out.append(('notification', Notification(m.group(1), int(m.group(2)), int(m.group(3)))))
            m = re.search(r'msg="(sent|received) notification".* Code=(\d+) .*Subcode=(\d+)', line)
            if m:
                out.append(('notification', Notification(m.group(1), int(m.group(2)), int(m.group(3)))))
        return out

    def last_error(self, address):
        self.neighbor(address)
        downs = [text for kind, text in self._log_events(address) if kind == 'down']
        return downs[-1] if downs else None

    def last_notification(self, address):
        self.neighbor(address)
        seen = [n for kind, n in self._log_events(address) if kind == 'notification']
        return seen[-1] if seen else None

    def routes(self, family='ipv4'):
        text = self.cli('global', 'rib', '-a', family, '-j').strip()
        data = json.loads(text) if text else {}
        out = {}
        for prefix, paths in (data or {}).items():
            ps = [self._path(p) for p in paths]
            if ps:
                out[_prefix(prefix)] = Route(_prefix(prefix), ps)
        return out

    def _path(self, p):
        attrs = {a['type']: a for a in p.get('attrs', [])}
        hop = (attrs.get(14) or attrs.get(3) or {}).get('nexthop')
        as_path = []
        for seg in (attrs.get(2) or {}).get('as_paths', []):
            as_path += [int(a) for a in seg.get('asns', [])]
        comms = ['%d:%d' % divmod(c, 65536) for c in (attrs.get(8) or {}).get('communities', [])]
        large = ['%d:%d:%d' % (c['ASN'], c['LocalData1'], c['LocalData2'])
                 for c in (attrs.get(32) or {}).get('value', [])]
        origin = {0: 'igp', 1: 'egp', 2: 'incomplete'}.get((attrs.get(1) or {}).get('value'))
        peer = p.get('neighbor-ip')
        return Path(peer, hop, as_path, comms, large, (attrs.get(4) or {}).get('metric'),
                    self._local_pref(peer, (attrs.get(5) or {}).get('value')), origin,
                    p.get('best', False), p.get('stale', False))


ROUTERS = {'bird': BirdRouter, 'frr': FrrRouter, 'gobgp': GobgpRouter}


# ------------------------------------------------------------------------------ GarbageRouter

MARKER = b'\xff' * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5
MESSAGE_NAMES = {OPEN: 'open', UPDATE: 'update', NOTIFICATION: 'notification', KEEPALIVE: 'keepalive',
                 ROUTE_REFRESH: 'route-refresh'}
AS_TRANS = 23456


def bgp_message(kind, body=b'', marker=MARKER, length=None):
    """A BGP message (RFC 4271 4.1); marker and length can be forced wrong."""
    return marker + struct.pack('!HB', 19 + len(body) if length is None else length, kind) + body


def open_message(asn, router_id, hold=9, families=('ipv4',), version=4):
    """OPEN with capabilities multiprotocol (RFC 4760), route refresh (RFC 2918) and 4-octet AS
    (RFC 6793)."""
    caps = b''.join(struct.pack('!BBHBB', 1, 4, FAMILY_AFI[f], 0, 1) for f in families)
    caps += struct.pack('!BB', 2, 0) + struct.pack('!BBI', 65, 4, asn)
    params = struct.pack('!BB', 2, len(caps)) + caps
    body = struct.pack('!BHH4sB', version, asn if asn < 65536 else AS_TRANS, hold,
                       socket.inet_aton(router_id), len(params)) + params
    return bgp_message(OPEN, body)


def update_message(withdrawn=b'', attributes=b'', nlri=b'', withdrawn_length=None, attributes_length=None):
    """UPDATE (RFC 4271 4.3) from encoded parts; the two length fields can be forced wrong."""
    return bgp_message(UPDATE, struct.pack('!H', len(withdrawn) if withdrawn_length is None else withdrawn_length)
                       + withdrawn + struct.pack('!H', len(attributes) if attributes_length is None
                                                 else attributes_length) + attributes + nlri)


def attribute(flags, code, value, length=None):
    return struct.pack('!BBB', flags, code, len(value) if length is None else length) + value


def parse_open(body):
    """{'version', 'asn', 'hold', 'router_id', 'capabilities': [(code, bytes)]} of an OPEN body."""
    version, asn, hold, rid, plen = struct.unpack('!BHH4sB', body[:10])
    caps, params = [], body[10:10 + plen]
    while len(params) >= 2:
        ptype, l = params[0], params[1]
        value, params = params[2:2 + l], params[2 + l:]
        while ptype == 2 and len(value) >= 2:
            caps.append((value[0], value[2:2 + value[1]]))
            if value[0] == 65 and value[1] == 4:
                asn = struct.unpack('!I', value[2:6])[0]
            value = value[2 + value[1]:]
    return {'version': version, 'asn': asn, 'hold': hold, 'router_id': socket.inet_ntoa(rid),
            'capabilities': caps}


_IPV4_NLRI = b'\x20\xc6\x33\x64\x63'               # 198.51.100.99/32
_ORIGIN = attribute(0x40, 1, b'\x02')              # INCOMPLETE


def _as_path(asn):
    return attribute(0x40, 2, struct.pack('!BBI', 2, 1, asn))


def _next_hop(router):
    return attribute(0x40, 3, socket.inet_aton(router.endpoint.ip4))


Garbage = collections.namedtuple('Garbage', 'stage build expected why')

# name -> Garbage(stage 'open' (instead of our OPEN) | 'established', build(router) -> bytes,
# expected NOTIFICATION (code, subcode) or None (the session must stay up), the rule).
# The UPDATE cases carry IPv4 NLRI: use them on IPv4 sessions.
GARBAGE = {
    'bad-marker': Garbage('established', lambda r: bgp_message(KEEPALIVE, marker=b'\0' * 16), (1, 1),
                          'RFC 4271 6.1: marker not all ones -> Connection Not Synchronized'),
    'bad-length': Garbage('established', lambda r: bgp_message(KEEPALIVE, length=18), (1, 2),
                          'RFC 4271 6.1: length < 19 -> Bad Message Length (data: the length)'),
    'long-keepalive': Garbage('established', lambda r: bgp_message(KEEPALIVE, b'\0'), (1, 2),
                              'RFC 4271 6.1: KEEPALIVE not 19 octets -> Bad Message Length '
                              '(BIRD 2.0.12 does not check it and goes on)'),
    'bad-type': Garbage('established', lambda r: bgp_message(42), (1, 3),
                        'RFC 4271 6.1: unknown type -> Bad Message Type (data: the type)'),
    'open-bad-version': Garbage('open', lambda r: open_message(r.asn, r.router_id, r.hold, r.families,
                                                               version=3), (2, 1),
                                'RFC 4271 6.2: version -> Unsupported Version Number'),
    'open-bad-hold': Garbage('open', lambda r: open_message(r.asn, r.router_id, 2, r.families), (2, 6),
                             'RFC 4271 6.2: hold time 1 or 2 -> Unacceptable Hold Time'),
    'open-bad-as': Garbage('open', lambda r: open_message(r.asn + 1, r.router_id, r.hold, r.families),
                           (2, 2), 'RFC 4271 6.2: not the configured peer AS -> Bad Peer AS'),
    'valid-update': Garbage('established', lambda r: update_message(
        attributes=_ORIGIN + _as_path(r.asn) + _next_hop(r), nlri=_IPV4_NLRI), None,
        'not garbage: the control for the treat-as-withdraw cases, 198.51.100.99/32 accepted'),
    'update-bad-lengths': Garbage('established', lambda r: update_message(
        attributes=_ORIGIN + _as_path(r.asn) + _next_hop(r), nlri=_IPV4_NLRI, attributes_length=200),
        (3, 1), 'RFC 4271 6.3, RFC 7606 4: Total Path Attribute Length beyond the message '
                '-> Malformed Attribute List'),
    'update-attribute-overrun': Garbage('established', lambda r: update_message(
        attributes=_ORIGIN + _as_path(r.asn) + attribute(0x40, 3, socket.inet_aton(r.endpoint.ip4), length=9),
        nlri=_IPV4_NLRI), None,
        'RFC 7606 4: an attribute overrunning the attributes -> treat-as-withdraw, session stays up'),
    'update-missing-next-hop': Garbage('established', lambda r: update_message(
        attributes=_ORIGIN + _as_path(r.asn), nlri=_IPV4_NLRI), None,
        'RFC 7606 3(d): missing well-known mandatory attribute -> treat-as-withdraw'),
    'update-bad-origin': Garbage('established', lambda r: update_message(
        attributes=attribute(0x40, 1, b'\x07') + _as_path(r.asn) + _next_hop(r), nlri=_IPV4_NLRI), None,
        'RFC 7606 7.1: undefined ORIGIN value -> treat-as-withdraw'),
}


class Connection:
    """One TCP connection the GarbageRouter accepted and what happened on it."""

    def __init__(self, peer, garbage):
        self.peer, self.garbage = peer, garbage
        self.open = None                 # the speaker's OPEN, parsed
        self.sent = []                   # what we sent: 'open', 'keepalive', 'garbage:<name>'
        self.received = []               # message type names the speaker sent, in order
        self.notification = None         # Notification('received', code, subcode, data)
        self.established = False         # both KEEPALIVEs exchanged
        self.closed = None               # 'peer' (EOF / reset), 'us', 'error: ...'

    def __repr__(self):
        return '<Connection from %s garbage=%s received=%s notification=%s closed=%s>' % (
            self.peer, self.garbage, self.received, self.notification, self.closed)


class GarbageRouter:
    """A BGP peer that misbehaves on purpose (see the module docstring)."""

    def __init__(self, lab, endpoint, neighbor_address, asn=64512, garbage='bad-marker', hold=9,
                 router_id=None):
        self.lab, self.endpoint = lab, endpoint
        self.neighbor_address = str(ipaddress.ip_address(neighbor_address))
        self.family = family_of(self.neighbor_address)
        self.families = (self.family,)
        self.address = endpoint.ip6 if self.family == 'ipv6' else endpoint.ip4
        self.asn, self.hold, self.router_id = asn, hold, router_id or endpoint.ip4
        self.garbage = list(garbage) if isinstance(garbage, (list, tuple)) else [garbage]
        self.connections = []
        self.events = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = None
        self._threads = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _event(self, text):
        with self._lock:
            self.events.append('%.3f %s' % (time.monotonic(), text))

    def log(self):
        with self._lock:
            return '\n'.join(self.events)

    def start(self):
        family = socket.AF_INET6 if self.family == 'ipv6' else socket.AF_INET
        s = socket_in(self.endpoint.ns, family)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.address, 179))
        s.listen(8)
        s.settimeout(0.2)
        self._listener = s
        t = threading.Thread(target=self._accept_loop, name='garbage-router', daemon=True)
        t.start()
        self._threads.append(t)
        self._event('listening on %s port 179' % self.address)
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        if self._listener:
            self._listener.close()
            self._listener = None

    @property
    def notifications(self):
        with self._lock:
            return [c.notification for c in self.connections if c.notification]

    def wait_connections(self, count, timeout=20):
        try:
            wait_for(lambda: len(self.connections) >= count, timeout, '', interval=0.05)
        except AssertionError:
            raise AssertionError('%d connections to %s after %ss, not %d:\n%s' % (
                len(self.connections), self.address, timeout, count, self.log())) from None

    def wait_notification(self, index=None, timeout=20):
        """The NOTIFICATION received on connection number `index` (0: the first), or by default
        the first NOTIFICATION on any connection; waits for it."""
        def got():
            with self._lock:
                if index is None:
                    return next((c.notification for c in self.connections if c.notification), None)
                return self.connections[index].notification if len(self.connections) > index else None
        try:
            return wait_for(got, timeout, '', interval=0.05)
        except AssertionError:
            raise AssertionError('no NOTIFICATION at %s after %ss: %r\n%s' % (
                self.address, timeout, self.connections, self.log())) from None

    # ----- the connections

    def _garbage_for(self, i):
        return self.garbage[min(i, len(self.garbage) - 1)] if self.garbage else None

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                c = Connection(peer[0], self._garbage_for(len(self.connections)))
                self.connections.append(c)
            self._event('connection %d from %s' % (len(self.connections), peer[0]))
            t = threading.Thread(target=self._serve, args=(conn, c), name='garbage-conn', daemon=True)
            t.start()
            self._threads.append(t)

    def _build(self, garbage, c):
        if garbage is None:
            return None, None
        if isinstance(garbage, bytes):
            return 'established', garbage
        if callable(garbage):
            return 'established', garbage(self, c)
        g = GARBAGE[garbage]
        return g.stage, g.build(self)

    def _serve(self, sock, c):
        sock.settimeout(0.2)
        buf = bytearray()
        try:
            stage, garbage = self._build(c.garbage, c)
            msg = self._read(sock, buf, c, timeout=10)
            if msg is None or msg[0] != OPEN:
                return
            c.open = parse_open(msg[1])
            if stage == 'open':
                self._send(sock, c, garbage, 'garbage:%s' % c.garbage)
            else:
                self._send(sock, c, open_message(self.asn, self.router_id, self.hold, self.families), 'open')
                self._send(sock, c, bgp_message(KEEPALIVE), 'keepalive')
            while not c.established:
                msg = self._read(sock, buf, c, timeout=10)
                if msg is None:
                    return
                if msg[0] == KEEPALIVE:
                    c.established = True
            if stage == 'established':
                self._send(sock, c, garbage, 'garbage:%s' % (c.garbage if isinstance(c.garbage, str) else 'bytes'))
            # From here on: a well-behaved peer until the speaker closes or stop().
            interval = max(1.0, min(self.hold, c.open['hold'] or self.hold) / 3.0)
            next_keepalive = time.monotonic() + interval
            while not self._stop.is_set():
                if time.monotonic() >= next_keepalive:
                    self._send(sock, c, bgp_message(KEEPALIVE), 'keepalive')
                    next_keepalive = time.monotonic() + interval
                msg = self._read(sock, buf, c, timeout=min(interval, 0.5), idle_ok=True)
                if msg is None and c.closed:
                    return
            c.closed = c.closed or 'us'
        except OSError as e:
            c.closed = c.closed or 'error: %s' % e
        finally:
            sock.close()
            self._event('connection from %s done: %r' % (c.peer, c))

    def _send(self, sock, c, data, what):
        sock.sendall(data)
        c.sent.append(what)
        self._event('sent %s (%d octets)' % (what, len(data)))

    def _read(self, sock, buf, c, timeout, idle_ok=False):
        """The next (type, body) from the speaker; None on EOF (c.closed set), on a NOTIFICATION
        (recorded, c.closed set), or after timeout (idle_ok: nothing else; else c.closed set)."""
        deadline = time.monotonic() + timeout
        while True:
            if len(buf) >= 19:
                length, kind = struct.unpack('!HB', bytes(buf[16:19]))
                if buf[:16] != MARKER or length < 19:
                    c.closed = 'error: bad header from the speaker %s' % bytes(buf[:19]).hex()
                    return None
                if len(buf) >= length:
                    body = bytes(buf[19:length])
                    del buf[:length]
                    c.received.append(MESSAGE_NAMES.get(kind, str(kind)))
                    self._event('received %s (%d octets)' % (MESSAGE_NAMES.get(kind, kind), length))
                    if kind == NOTIFICATION:
                        c.notification = Notification('received', body[0] if body else None,
                                                      body[1] if len(body) > 1 else None, body[2:])
                        c.closed = 'peer'
                        return None
                    return kind, body
            if self._stop.is_set():
                c.closed = c.closed or 'us'
                return None
            if time.monotonic() >= deadline:
                if not idle_ok:
                    c.closed = 'error: timeout waiting for the speaker'
                return None
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                data = b''
            if not data:
                c.closed = 'peer'
                return None
            buf += data
