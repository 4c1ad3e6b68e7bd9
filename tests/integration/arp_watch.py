#!/usr/bin/python3
"""Client-side prober for layer-2 failover: who answers ARP / NDP for a VIP, and when.

Run inside the client's network namespace, it sends an ARP request (and, for IPv6, a Neighbor
Solicitation) for the VIP every --interval seconds from a raw AF_PACKET socket and writes one JSON
line per event to stdout:

  {"ev": "start", "t": ..., "iface": "eth0", "mac": ..., "interval": 0.01, "vip4": ..., "vip6": ...}
  {"ev": "probe", "t": ..., "fam": 4, "seq": 17}
  {"ev": "reply", "t": ..., "fam": 4, "seq": 17, "mac": "02:..", "rtt_us": 41.2}
  {"ev": "announce", "t": ..., "fam": 4, "mac": ..., "kind": "garp" | "arp-reply" | "una"}
  {"ev": "stop", "t": ..., "probes": N, "late": L, "max_send_lag_us": ...}

Every "t" is CLOCK_MONOTONIC in seconds, the clock time.monotonic() reads in any process of the
machine (namespaces do not change it), so a test can compare its own fault time with these.
Reply times are the kernel's receive timestamps (SO_TIMESTAMPNS), not the moment Python woke up.
rtt_us is measured on the wire, from the kernel's timestamp of our own request as it left eth0
(the packet socket sees its outgoing copy) to the reply's: Python's own delays are not in it.
A reply belongs to the latest probe of its family sent before it ("seq").

In a test, use ArpWatch (starts this in a namespace, collects the lines) and Timeline (the
questions failover tests ask). CLI: arp_watch.py --iface eth0 --vip4 192.0.2.200 [--vip6 ...]
[--src4 A --src6 A] [--interval 0.01] [--count N | --duration S] [--summary].
"""
import argparse
import bisect
import ctypes
import json
import math
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import l2frames as f  # noqa: E402

SO_TIMESTAMPNS = 35          # SO_TIMESTAMPNS_OLD: struct timespec of 2 longs in the cmsg
SO_ATTACH_FILTER = 26
ETH_P_ALL = 3
PACKET_OUTGOING = 4          # pkttype of a frame this host sent, seen by its packet sockets


def _realtime_to_monotonic_offset():
    """CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from the tightest of a few paired reads."""
    best = None
    for _ in range(5):
        a = time.monotonic_ns()
        r = time.clock_gettime_ns(time.CLOCK_REALTIME)
        b = time.monotonic_ns()
        if best is None or b - a < best[0]:
            best = (b - a, r - (a + b) // 2)
    return best[1]


def _attach_filter(sock):
    """Classic BPF: keep ARP, and ICMPv6 NS/NA without extension headers; so the receiver, which
    sees every frame (ETH_P_ALL), is not woken up by the TCP traffic of the same test."""
    code = [(0x28, 0, 0, 12),            # ldh [12]          ethertype
            (0x15, 6, 0, f.ETH_P_ARP),   # jeq ARP -> accept
            (0x15, 0, 6, f.ETH_P_IPV6),  # jne IPv6 -> drop
            (0x30, 0, 0, 20),            # ldb [20]          next header
            (0x15, 0, 4, 58),            # jne ICMPv6 -> drop
            (0x30, 0, 0, 54),            # ldb [54]          ICMPv6 type
            (0x15, 1, 0, f.ICMP6_NA),    # jeq NA -> accept
            (0x15, 0, 1, f.ICMP6_NS),    # jne NS -> drop
            (0x06, 0, 0, 0xFFFF),        # accept
            (0x06, 0, 0, 0)]             # drop
    program = ctypes.create_string_buffer(b''.join(struct.pack('HBBI', *c) for c in code))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                    struct.pack('HL', len(code), ctypes.addressof(program)))


class Prober:
    """The loop that runs in the namespace; emit(dict) receives every event."""

    def __init__(self, iface, vip4=None, vip6=None, src4=None, src6=None, interval=0.01, emit=print):
        self.iface, self.vip4, self.vip6, self.interval, self.emit = iface, vip4, vip6, interval, emit
        # One receiver for everything: only ETH_P_ALL sockets get the kernel's copy of frames this
        # host sends (with their wire timestamp), and the kernel never loops a frame back to the
        # socket that sent it, so requests leave by a second socket that receives nothing.
        self.receiver = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        _attach_filter(self.receiver)
        self.receiver.bind((iface, ETH_P_ALL))
        self.receiver.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.receiver.setblocking(False)
        self.sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sender.bind((iface, 0))
        self.mac = open('/sys/class/net/%s/address' % iface).read().strip()
        self.src4 = src4 or (self._first_address(socket.AF_INET) if vip4 else None)
        self.src6 = src6 or (self._first_address(socket.AF_INET6) if vip6 else None)
        self.requests = {}           # fam -> (frame, ethertype)
        if vip4:
            self.requests[4] = (f.arp_request(self.mac, self.src4, vip4), f.ETH_P_ARP)
        if vip6:
            self.requests[6] = (f.neighbor_solicitation(self.mac, self.src6, vip6), f.ETH_P_IPV6)
        self.seq = {4: -1, 6: -1}
        self.sent_at = {}            # fam -> realtime ns of the latest probe, before send()
        self.on_wire = {}            # fam -> kernel timestamp of that probe leaving eth0
        self.send_delays = []        # ns from the clock read before send() to the wire
        self.stopping = False

    def _first_address(self, family):
        out = subprocess.run(['ip', '-j', '-%d' % (4 if family == socket.AF_INET else 6), 'addr', 'show',
                              'dev', self.iface, 'scope', 'global'], capture_output=True, text=True, check=True)
        for a in json.loads(out.stdout)[0]['addr_info']:
            return a['local']
        raise SystemExit('no global address on %s to send from' % self.iface)

    def _t(self, realtime_ns):
        return round((realtime_ns - self.offset) / 1e9, 7)

    def run(self, count=None, duration=None):
        self.offset = _realtime_to_monotonic_offset()
        start = time.clock_gettime_ns(time.CLOCK_REALTIME)
        self.emit({'ev': 'start', 't': self._t(start), 'iface': self.iface, 'mac': self.mac,
                   'interval': self.interval, 'vip4': self.vip4, 'vip6': self.vip6,
                   'src4': self.src4, 'src6': self.src6})
        step = int(self.interval * 1e9)
        next_send, probes, late, max_lag, last_sync = start, 0, 0, 0, start
        end = start + int(duration * 1e9) if duration else None
        while not self.stopping:
            now = time.clock_gettime_ns(time.CLOCK_REALTIME)
            if end and now >= end:
                break
            if now >= next_send:
                if count is not None and probes >= count:
                    if now >= next_send + step:      # the last probe had a whole interval to be answered
                        break
                else:
                    max_lag = max(max_lag, now - next_send)
                    for fam, (frame, ethertype) in self.requests.items():
                        self.seq[fam] += 1
                        t = time.clock_gettime_ns(time.CLOCK_REALTIME)
                        self.sender.sendto(frame, (self.iface, ethertype))
                        self.sent_at[fam] = t
                        self.emit({'ev': 'probe', 't': self._t(t), 'fam': fam, 'seq': self.seq[fam]})
                    probes += 1
                next_send += step
                if next_send <= now:                 # fell a whole interval behind: do not burst to catch up
                    late += 1
                    next_send = now + step
            if now - last_sync > 1_000_000_000:      # follow NTP slewing of CLOCK_REALTIME
                self.offset, last_sync = _realtime_to_monotonic_offset(), now
            wait = max(0, next_send - time.clock_gettime_ns(time.CLOCK_REALTIME)) / 1e9
            try:
                ready, _, _ = select.select([self.receiver], [], [], wait)
            except InterruptedError:
                continue
            if ready:
                self._drain()
        delays = sorted(self.send_delays) or [0]
        self.emit({'ev': 'stop', 't': self._t(time.clock_gettime_ns(time.CLOCK_REALTIME)), 'probes': probes,
                   'late': late, 'max_send_lag_us': round(max_lag / 1e3, 1),
                   'send_to_wire_us': {'p50': round(percentile(delays, 50) / 1e3, 1),
                                       'p99': round(percentile(delays, 99) / 1e3, 1),
                                       'max': round(delays[-1] / 1e3, 1)}})

    def _drain(self):
        while True:
            try:
                frame, ancillary, _, address = self.receiver.recvmsg(2048, 64)
            except BlockingIOError:
                return
            rx = next((struct.unpack('qq', data[:16]) for level, kind, data in ancillary
                       if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS), None)
            rx_ns = rx[0] * 1_000_000_000 + rx[1] if rx else time.clock_gettime_ns(time.CLOCK_REALTIME)
            fam = 4 if frame[12:14] == b'\x08\x06' else 6
            if address[2] == PACKET_OUTGOING:
                if fam in self.requests and frame == self.requests[fam][0] and fam in self.sent_at:
                    self.on_wire[fam] = rx_ns
                    self.send_delays.append(rx_ns - self.sent_at[fam])
                continue
            event = self._classify4(frame) if fam == 4 else self._classify6(frame)
            if not event:
                continue
            event['t'] = self._t(rx_ns)
            if event['ev'] == 'reply':
                event['seq'] = self.seq[fam]
                sent = self.on_wire.get(fam, self.sent_at.get(fam))
                event['rtt_us'] = round((rx_ns - sent) / 1e3, 1) if sent else None
            self.emit(event)

    def _classify4(self, frame):
        a = f.parse_arp(frame)
        if not a or a['spa'] != self.vip4:
            return None
        if a['op'] == f.ARP_REPLY and a['tha'] == self.mac and a['tpa'] == self.src4:
            return {'ev': 'reply', 'fam': 4, 'mac': a['sha']}
        if a['tpa'] == self.vip4:                    # request or reply "VIP is-at" about itself
            return {'ev': 'announce', 'fam': 4, 'mac': a['sha'], 'kind': 'garp'}
        if a['op'] == f.ARP_REPLY:                   # a reply to someone else's request
            return {'ev': 'announce', 'fam': 4, 'mac': a['sha'], 'kind': 'arp-reply'}
        return None                                  # a request the VIP's owner sends: not about ownership

    def _classify6(self, frame):
        n = f.parse_nd(frame)
        if not n or n['type'] != f.ICMP6_NA or n['target'] != self.vip6 or n['hop_limit'] != 255:
            return None
        mac = n['lladdr'] or n['eth_src']
        if n['flags'] & f.NA_SOLICITED:
            if n['dst'] == self.src6:
                return {'ev': 'reply', 'fam': 6, 'mac': mac}
            return None
        return {'ev': 'announce', 'fam': 6, 'mac': mac, 'kind': 'una'}


# ----- analysis (pure, on the list of events)

def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


class Timeline:
    """The questions a failover test asks of what the prober saw. Times are monotonic seconds."""

    def __init__(self, events):
        self.events = list(events)
        self.start = next((e for e in self.events if e['ev'] == 'start'), None)
        self.probes = [e for e in self.events if e['ev'] == 'probe']
        self.replies = [e for e in self.events if e['ev'] == 'reply']
        self.announces = [e for e in self.events if e['ev'] == 'announce']

    def _in(self, e, fam, after, before):
        return (fam is None or e['fam'] == fam) and (after is None or e['t'] >= after) \
            and (before is None or e['t'] <= before)

    def _reply_waits(self, fam, after, before):
        """[(probe, seconds until the next reply of its family, inf if none)] for the probes
        sent in [after, before]. A reply that came after the next probe still counts."""
        reply_times = {f: sorted(e['t'] for e in self.replies if e['fam'] == f) for f in (4, 6)}
        waits = []
        for p in self.probes:
            if self._in(p, fam, after, before):
                times = reply_times[p['fam']]
                i = bisect.bisect_left(times, p['t'])
                waits.append((p, times[i] - p['t'] if i < len(times) else float('inf')))
        return waits

    def unanswered_within(self, max_delay, fam=None, after=None, before=None):
        """Probes that no reply of their family followed within max_delay seconds: whether a
        client would have been left without an answer, not how fast it came (unanswered())."""
        return [p for p, wait in self._reply_waits(fam, after, before) if wait > max_delay]

    def slowest_reply_ms(self, fam=None, after=None, before=None):
        """The longest wait from a probe to the next reply of its family, in ms (None: no probes)."""
        waits = [wait for _, wait in self._reply_waits(fam, after, before)]
        return max(waits) * 1000 if waits else None

    def answers(self, fam=None, after=None, before=None):
        return [e for e in self.replies if self._in(e, fam, after, before)]

    def first_answer(self, mac=None, after=None, fam=None, exclude=()):
        """The first reply (by mac, or by any MAC not in exclude) at or after `after`, or None."""
        for e in self.answers(fam, after):
            if (mac is None or e['mac'] == mac) and e['mac'] not in exclude:
                return e
        return None

    def macs(self, fam=None, after=None, before=None):
        return sorted({e['mac'] for e in self.answers(fam, after, before)})

    def owner_changes(self, fam=None):
        """[(t, mac)] each time the replying MAC differs from the previous reply's."""
        out, last = [], None
        for e in self.answers(fam):
            if e['mac'] != last:
                out.append((e['t'], e['mac']))
                last = e['mac']
        return out

    def conflicts(self, fam=None, after=None, before=None):
        """Probes answered by more than one MAC: [(probe time, fam, seq, [macs])]."""
        by_probe = {}
        for e in self.answers(fam, after, before):
            by_probe.setdefault((e['fam'], e['seq']), set()).add(e['mac'])
        sent = {(p['fam'], p['seq']): p['t'] for p in self.probes}
        return [(sent.get(k), k[0], k[1], sorted(m)) for k, m in sorted(by_probe.items()) if len(m) > 1]

    def unanswered(self, fam=None, after=None, before=None):
        """Probes sent in [after, before] that got no reply at all before the next probe."""
        answered = {(e['fam'], e['seq']) for e in self.replies}
        return [p for p in self.probes
                if self._in(p, fam, after, before) and (p['fam'], p['seq']) not in answered]

    def announcements(self, fam=None, after=None, before=None, mac=None):
        return [e for e in self.announces if self._in(e, fam, after, before) and (mac is None or e['mac'] == mac)]

    def rtts_us(self, fam=None):
        """Round trips of the first reply to each probe."""
        seen, out = set(), []
        for e in self.answers(fam):
            if (e['fam'], e['seq']) not in seen and e.get('rtt_us') is not None:
                seen.add((e['fam'], e['seq']))
                out.append(e['rtt_us'])
        return out


# ----- in-process handle

class ArpWatch:
    """Runs the prober in a namespace as its own process (so its timing does not depend on the
    test's), collects its events in a thread. Use as a context manager or call stop()."""

    def __init__(self, netns, vip4=None, vip6=None, iface='eth0', interval=0.01, src4=None, src6=None,
                 log=None, realtime=True):
        argv = ['ip', 'netns', 'exec', netns, '/usr/bin/python3', os.path.abspath(__file__),
                '--iface', iface, '--interval', str(interval)] + (['--realtime'] if realtime else [])
        for flag, value in (('--vip4', vip4), ('--vip6', vip6), ('--src4', src4), ('--src6', src6)):
            if value:
                argv += [flag, value]
        self.events = []
        self.ended = False           # the prober's output is closed: nothing more will come
        self.cond = threading.Condition()
        # stderr: the caller's file, else inherited, so a prober that fails says why in the test output
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.wait(lambda tl: tl.start is not None, timeout=10):
            self.stop()
            raise RuntimeError('arp_watch did not start in %s' % netns)

    def _read(self):
        for line in self.proc.stdout:
            event = json.loads(line)
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()
        with self.cond:
            self.ended = True
            self.cond.notify_all()

    def timeline(self):
        with self.cond:
            return Timeline(self.events)

    def wait(self, predicate, timeout=10.0, every=0.02):
        """Blocks until predicate(Timeline) is truthy (returns its value) or timeout / the prober's
        end (returns None). Evaluated at most every `every` s: a Timeline of a long run is not free."""
        deadline = time.monotonic() + timeout
        while True:
            with self.cond:
                events, ended = list(self.events), self.ended
            value = predicate(Timeline(events))
            left = deadline - time.monotonic()
            if value or ended or left <= 0:
                return value or None
            time.sleep(min(left, every))

    def wait_answer(self, mac=None, after=None, fam=None, exclude=(), timeout=10.0):
        """Timeline.first_answer as it happens: scans each event once, so it is cheap however
        long the prober has been running."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for e in self.events[seen:]:
                    if e['ev'] == 'reply' and (fam is None or e['fam'] == fam) and \
                            (after is None or e['t'] >= after) and (mac is None or e['mac'] == mac) and \
                            e['mac'] not in exclude:
                        return e
                seen = len(self.events)
                left = deadline - time.monotonic()
                if self.ended or left <= 0:
                    return None
                self.cond.wait(min(left, 0.05))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        return self.timeline()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--iface', default='eth0')
    p.add_argument('--vip4')
    p.add_argument('--vip6')
    p.add_argument('--src4', help='sender address of the ARP requests (default: first global on iface)')
    p.add_argument('--src6', help='source address of the solicitations (default: first global on iface)')
    p.add_argument('--interval', type=float, default=0.01, help='seconds between probes (default 0.01)')
    p.add_argument('--count', type=int, help='stop after this many probes (per family)')
    p.add_argument('--duration', type=float, help='stop after this many seconds')
    p.add_argument('--summary', action='store_true', help='print only a summary (rtt percentiles) at the end')
    p.add_argument('--realtime', action='store_true',
                   help='SCHED_FIFO priority 1: probes leave on time on a busy machine (uses ~5%% of a core)')
    a = p.parse_args()
    if a.realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    if not a.vip4 and not a.vip6:
        p.error('give --vip4 and/or --vip6')
    events = []
    emit = events.append if a.summary else (lambda e: print(json.dumps(e), flush=True))
    prober = Prober(a.iface, a.vip4, a.vip6, a.src4, a.src6, a.interval, emit)

    def stop(*_):
        prober.stopping = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    prober.run(a.count, a.duration)
    if a.summary:
        tl = Timeline(events)
        out = {'probes': len(tl.probes), 'replies': len(tl.replies), 'macs': tl.macs(),
               'unanswered': len(tl.unanswered()), 'announcements': len(tl.announces), **events[-1]}
        for fam in (4, 6):
            rtts = tl.rtts_us(fam)
            if rtts:
                out['rtt%d_us' % fam] = {'p50': percentile(rtts, 50), 'p99': percentile(rtts, 99),
                                         'max': max(rtts), 'n': len(rtts)}
        out.pop('ev')
        out.pop('t')
        print(json.dumps(out))


if __name__ == '__main__':
    main()
