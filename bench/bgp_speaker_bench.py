#!/usr/bin/python3
"""lbd's BGP speaker beside gobgpd, against the same BIRD 2 peer: for N synthetic /32 prefixes,
the time from session Established to the last of the N routes imported by BIRD (BIRD's own
timestamps), and the speaker's peak RSS (VmHWM, read once all N are imported).

  cmake --build --preset release --target lbd_bgp_speaker_driver
  /usr/bin/python3 bench/bgp_speaker_bench.py [--sizes 10000,100000,1000000] [--repeat K]
      [--driver PATH] [--speakers lbd,gobgpd]

Lab (network namespaces created and deleted by this script, nothing in the root namespace):
namespace R runs BIRD (AS 64512, 192.0.2.254 on a bridge), L the lbd driver
(bench/bgp_speaker_driver.cc, 192.0.2.1, AS 65001), G gobgpd (192.0.2.2, AS 65002). BIRD has one
eBGP protocol per speaker (`import all; export none;`), both `disabled` at start. For each N and
each repeat, the two speakers run one after the other (odd repeats in the other order), each a
fresh process with the N prefixes loaded before the session may come up: the driver until it
creates its READY_FILE; gobgpd by `gobgp mrt inject global` of a TABLE_DUMP_V2 file written here
(ORIGIN IGP, empty AS_PATH, NEXT_HOP 192.0.2.2; through a FIFO, see GobgpSpeaker.inject) until
`gobgp global rib summary` counts N, then `gobgp neighbor add`. Both send AS_PATH [own AS], ORIGIN
IGP, NEXT_HOP self. Then
`birdc enable X`; when BIRD's protocol says "Routes: N imported", the speaker's VmHWM is read, the
Established time taken from `show protocols X` and the last import time as the latest route time
in `show route protocol X` (both in BIRD's microsecond timeformat; BIRD stamps a route with the
time of the event-loop round that imported it). Then BIRD's protocol is disabled and its routes
flushed, and the speaker stopped. Reported: the median of --repeat runs.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = 'lbdbgpb-'                     # namespaces of this bench: lbdbgpb-<pid>-r|l|g

BIRD_ADDR, BIRD_AS = '192.0.2.254', 64512
SPEAKERS = {
    'lbd': {'ns': 'l', 'addr': '192.0.2.1', 'asn': 65001},
    'gobgpd': {'ns': 'g', 'addr': '192.0.2.2', 'asn': 65002},
}

BIRD_CONF = """log stderr all;
router id %(bird_addr)s;
timeformat route iso long us;
timeformat protocol iso long us;
protocol device { }
""" + ''.join("""protocol bgp %s {
  disabled;
  local %%(bird_addr)s as %%(bird_as)d;
  neighbor %s as %d;
  connect delay time 1;
  connect retry time 1;
  debug { states, events };
  ipv4 { import all; export none; };
}
""" % (name, s['addr'], s['asn']) for name, s in SPEAKERS.items())

GOBGPD_CONF = """[global.config]
  as = %(asn)d
  router-id = "%(addr)s"
"""

TIME = rb'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})'


def parse_time(text):
    return datetime.strptime(text, '%Y-%m-%d %H:%M:%S.%f')


def run(argv, check=True, timeout=600):
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError('%s: rc %d\n%s%s' % (' '.join(map(str, argv)), p.returncode, p.stdout, p.stderr))
    return p


def kill_and_delete_netns(ns):
    # Whatever still runs inside was started by this bench: killed by pid, or the namespace would
    # live on anonymously after `ip netns del` (RECIPES 2.1).
    for pid in run(['ip', 'netns', 'pids', ns], check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    run(['ip', 'netns', 'del', ns], check=False)


def remove_stale_labs():
    """Namespaces left by a run of this bench whose process is gone (crashed, SIGKILLed)."""
    for ns in os.listdir('/run/netns') if os.path.isdir('/run/netns') else []:
        parts = ns[len(PREFIX):].split('-')
        if ns.startswith(PREFIX) and len(parts) == 2 and parts[0].isdigit() and \
                not os.path.exists('/proc/' + parts[0]):
            kill_and_delete_netns(ns)


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(interval)


class Proc:
    """A daemon in a namespace, in the foreground; `ip netns exec` execs it, so same pid."""

    def __init__(self, ns, argv, log_path, env=None):
        self.log_path = log_path
        self.log_file = open(log_path, 'w')
        self.popen = subprocess.Popen(['ip', 'netns', 'exec', ns] + [str(a) for a in argv],
                                      stdin=subprocess.DEVNULL, stdout=self.log_file,
                                      stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def memory_kib(self):
        """VmHWM (peak resident set) and VmRSS (now) from /proc/<pid>/status, in KiB."""
        out = {}
        with open('/proc/%d/status' % self.pid) as f:
            for line in f:
                if line.startswith(('VmHWM:', 'VmRSS:')):
                    out[line.split(':')[0]] = int(line.split()[1])
        if 'VmHWM' not in out:
            raise RuntimeError('no VmHWM for pid %d' % self.pid)
        return out

    def stop(self, timeout=20):
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log_file.close()

    def cpu_s(self):
        """utime + stime so far (/proc/<pid>/stat fields 14 and 15)."""
        with open('/proc/%d/stat' % self.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def log(self, tail=3000):
        with open(self.log_path, errors='replace') as f:
            return f.read()[-tail:]


class Birdc:
    """BIRD's control socket spoken directly (what birdc does): reply lines are `DDDD-text`
    (more follow), ` text` (same code continued) and `DDDD text` (the last)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b''
        self._reply(lambda code, text: None)        # 0001 BIRD 2.0.12 ready.

    def close(self):
        self.sock.close()

    def _lines(self):
        while True:
            while b'\n' not in self.buf:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise RuntimeError('BIRD closed its control socket')
                self.buf += chunk
            lines = self.buf.split(b'\n')
            self.buf = lines.pop()
            yield from lines

    def _reply(self, on_line):
        code = None
        for line in self._lines():
            if line[:4].isdigit() and line[4:5] in (b'-', b' '):
                code, text, last = int(line[:4]), line[5:], line[4:5] == b' '
            else:
                text, last = line[1:], False
            if code is not None and code >= 8000:
                raise RuntimeError('BIRD: %s' % text.decode(errors='replace'))
            on_line(code, text)
            if last:
                return

    def cmd(self, command):
        self.sock.sendall(command.encode() + b'\n')
        out = []
        self._reply(lambda code, text: out.append(text.decode(errors='replace')))
        return '\n'.join(out)

    def cmd_stream(self, command, on_line):
        self.sock.sendall(command.encode() + b'\n')
        self._reply(on_line)


class Lab:
    def __init__(self, workdir):
        self.dir = workdir
        self.ns = {k: '%s%d-%s' % (PREFIX, os.getpid(), k) for k in ('r', 'l', 'g')}
        self.bird = None
        self.birdc = None

    def __enter__(self):
        remove_stale_labs()
        try:
            self._build()
            self._start_bird()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _build(self):
        r = self.ns['r']
        for ns in self.ns.values():
            if os.path.exists('/run/netns/' + ns):
                kill_and_delete_netns(ns)
            run(['ip', 'netns', 'add', ns])
            run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
        run(['ip', '-n', r, 'link', 'add', 'br0', 'type', 'bridge'])
        run(['ip', '-n', r, 'addr', 'add', BIRD_ADDR + '/24', 'dev', 'br0'])
        run(['ip', '-n', r, 'link', 'set', 'br0', 'up'])
        for name, s in SPEAKERS.items():
            ns, port = self.ns[s['ns']], 'p' + s['ns']
            # both ends created inside their namespaces: the root namespace is never touched
            run(['ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', r])
            run(['ip', '-n', r, 'link', 'set', port, 'master', 'br0'])
            run(['ip', '-n', r, 'link', 'set', port, 'up'])
            run(['ip', '-n', ns, 'addr', 'add', s['addr'] + '/24', 'dev', 'eth0'])
            run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
        for s in SPEAKERS.values():
            wait_for(lambda: run(['ip', 'netns', 'exec', self.ns[s['ns']], 'ping', '-c1', '-W1', BIRD_ADDR],
                                 check=False).returncode == 0, 10, 'ping %s -> BIRD' % s['addr'])

    def _start_bird(self):
        conf = os.path.join(self.dir, 'bird.conf')
        with open(conf, 'w') as f:
            f.write(BIRD_CONF % {'bird_addr': BIRD_ADDR, 'bird_as': BIRD_AS})
        ctl = os.path.join(self.dir, 'bird.ctl')
        self.bird = Proc(self.ns['r'], ['bird', '-f', '-c', conf, '-s', ctl, '-P', os.path.join(self.dir, 'bird.pid')],
                         os.path.join(self.dir, 'bird.log'))
        wait_for(lambda: os.path.exists(ctl) or not self.bird.alive(), 10, 'BIRD control socket')
        if not self.bird.alive():
            raise RuntimeError('BIRD exited:\n' + self.bird.log())
        self.birdc = Birdc(ctl)

    def close(self):
        if self.birdc:
            self.birdc.close()
        if self.bird:
            self.bird.stop()
        for ns in self.ns.values():
            if os.path.exists('/run/netns/' + ns):
                kill_and_delete_netns(ns)


def ip_of(i):
    return '%d.%d.%d.%d' % (i >> 24, (i >> 16) & 255, (i >> 8) & 255, i & 255)


FIRST = (10 << 24) + 1                  # 10.0.0.1 onwards: /32 NLRI only, never addressed


def write_prefix_file(path, n):
    with open(path, 'w') as f:
        for i in range(FIRST, FIRST + n):
            f.write('%s/32\n' % ip_of(i))


def write_mrt(path, n, next_hop, peer_id, peer_as):
    """MRT TABLE_DUMP_V2 (RFC 6396): a PEER_INDEX_TABLE, then one RIB_IPV4_UNICAST record per
    prefix with one entry: ORIGIN IGP, AS_PATH empty (gobgpd prepends its AS, as lbd does),
    NEXT_HOP."""
    now = int(time.time())
    nh = socket.inet_aton(next_hop)
    pid = socket.inet_aton(peer_id)
    # peer type 0x02: IPv4 address, 4-byte AS
    peer = struct.pack('!B4s4sI', 0x02, pid, pid, peer_as)
    body = struct.pack('!4sHH', pid, 0, 1) + peer
    records = [struct.pack('!IHHI', now, 13, 1, len(body)) + body]
    attrs = bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, 0]) + bytes([0x40, 3, 4]) + nh
    entry = struct.pack('!HIH', 0, now, len(attrs)) + attrs
    head = struct.pack('!IHH', now, 13, 2)
    length = struct.pack('!I', 4 + 1 + 4 + 2 + len(entry))
    pack = struct.Struct('!IBIH').pack
    with open(path, 'wb') as f:
        f.write(records[0])
        chunk = []
        for seq, i in enumerate(range(FIRST, FIRST + n)):
            chunk.append(head + length + pack(seq, 32, i, 1) + entry)
            if len(chunk) == 65536:
                f.write(b''.join(chunk))
                chunk = []
        f.write(b''.join(chunk))


def mrt_chunks(path, limit=4096):
    """The MRT file as runs of whole records, each run at most `limit` (PIPE_BUF) bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    start = off = 0
    while off < len(data):
        end = off + 12 + struct.unpack_from('!I', data, off + 8)[0]
        if end - start > limit:
            if off == start:
                raise ValueError('MRT record of %d bytes > %d' % (end - off, limit))
            yield data[start:off]
            start = off
        off = end
    if off > start:
        yield data[start:off]


class LbdSpeaker:
    name = 'lbd'

    def __init__(self, lab, driver, prefix_file, n):
        self.lab, self.driver, self.prefix_file, self.n = lab, driver, prefix_file, n
        self.proc = None
        self.load_s = None

    def start(self):
        s = SPEAKERS['lbd']
        ready = os.path.join(self.lab.dir, 'lbd.ready')
        if os.path.exists(ready):
            os.unlink(ready)
        env = dict(os.environ, PREFIX_FILE=self.prefix_file, N=str(self.n), LOCAL_ADDR=s['addr'],
                   LOCAL_AS=str(s['asn']), ROUTER_ID=s['addr'], PEER_ADDR=BIRD_ADDR, PEER_AS=str(BIRD_AS),
                   NEXT_HOP=s['addr'], READY_FILE=ready, HOLD_TIME='90')
        t = time.monotonic()
        self.proc = Proc(self.lab.ns['l'], [self.driver], os.path.join(self.lab.dir, 'lbd-%d.log' % self.n), env=env)
        wait_for(lambda: os.path.exists(ready) or not self.proc.alive(), 120 + self.n / 1000, 'the driver READY_FILE')
        if not self.proc.alive():
            raise RuntimeError('the driver exited (rc %s):\n%s' % (self.proc.popen.returncode, self.proc.log()))
        self.load_s = time.monotonic() - t

    def stop(self):
        if self.proc:
            self.proc.stop()


class GobgpSpeaker:
    name = 'gobgpd'

    def __init__(self, lab, mrt_file, n):
        self.lab, self.mrt_file, self.n = lab, mrt_file, n
        self.proc = None
        self.load_s = None

    def gobgp(self, *args, timeout=600):
        return run(['ip', 'netns', 'exec', self.lab.ns['g'], 'gobgp'] + list(args), timeout=timeout).stdout

    def rib_count(self):
        out = self.gobgp('global', 'rib', 'summary', '-a', 'ipv4')
        m = re.search(r'Destination:\s*(\d+)', out)
        return int(m.group(1)) if m else 0

    def start(self):
        s = SPEAKERS['gobgpd']
        conf = os.path.join(self.lab.dir, 'gobgpd.toml')
        with open(conf, 'w') as f:
            f.write(GOBGPD_CONF % s)
        t = time.monotonic()
        self.proc = Proc(self.lab.ns['g'], ['gobgpd', '-f', conf, '-p', '-l', 'info', '--api-hosts',
                                            '127.0.0.1:50051', '--pprof-disable'],
                         os.path.join(self.lab.dir, 'gobgpd-%d.log' % self.n))

        def api_up():
            if not self.proc.alive():
                raise RuntimeError('gobgpd exited:\n' + self.proc.log())
            return run(['ip', 'netns', 'exec', self.lab.ns['g'], 'gobgp', 'global'], check=False).returncode == 0
        wait_for(api_up, 20, 'the gobgpd API')
        self.inject()
        self.load_s = time.monotonic() - t
        self.gobgp('neighbor', 'add', BIRD_ADDR, 'as', str(BIRD_AS))

    def stop(self):
        if self.proc:
            self.proc.stop()

    def inject(self):
        """`gobgp mrt inject global` of the MRT file, through a FIFO held open until gobgpd's RIB
        counts N: gobgp 3.10's CLI returns from the inject without CloseAndRecv() on its gRPC
        stream, so it exits with the last records still unsent, and gobgpd gets a random part of
        the tail (390 of 1000 prefixes, 0 of 44 on a retry). Blocked on the FIFO, it has flushed
        everything before it sees EOF. Its reader uses plain Read() (no ReadFull), so a short read
        would split a record: the FIFO gets whole records only, in writes of at most PIPE_BUF
        bytes (atomic), so a pipe never holds part of a record."""
        fifo = os.path.join(self.lab.dir, 'inject.mrt')
        if os.path.exists(fifo):
            os.unlink(fifo)
        os.mkfifo(fifo)
        release = threading.Event()
        fed = {}

        def feed():
            try:
                fd = os.open(fifo, os.O_WRONLY)     # returns once the CLI opens the FIFO
                try:
                    for chunk in mrt_chunks(self.mrt_file):
                        if os.write(fd, chunk) != len(chunk):
                            raise OSError('short write to the FIFO')
                    release.wait()
                finally:
                    os.close(fd)
                fed['ok'] = True
            except OSError as e:                    # the CLI went away
                fed['error'] = e
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        log = open(os.path.join(self.lab.dir, 'gobgp-inject-%d.log' % self.n), 'w')
        cli = subprocess.Popen(['ip', 'netns', 'exec', self.lab.ns['g'], 'gobgp', 'mrt', 'inject', 'global', fifo],
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            def loaded():
                if cli.poll() is not None:
                    raise RuntimeError('gobgp mrt inject exited (rc %d) with %d of %d prefixes in the RIB'
                                       % (cli.returncode, self.rib_count(), self.n))
                return self.rib_count() >= self.n
            wait_for(loaded, 120 + self.n / 1000, 'gobgpd RIB to count %d' % self.n, interval=0.2)
        finally:
            release.set()
            if not fed:                             # never opened by the CLI: unblock the writer
                try:
                    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
                except OSError:
                    pass
            feeder.join(10)
            try:
                cli.wait(30)
            except subprocess.TimeoutExpired:
                cli.kill()
                cli.wait()
            log.close()
            os.unlink(fifo)
        count = self.rib_count()
        if count != self.n:
            raise RuntimeError('gobgpd RIB has %d destinations, expected %d' % (count, self.n))


def protocol_state(birdc, proto):
    """(state, since) from `show protocols X`: since is the last state change, so once
    Established the time the session came up."""
    out = birdc.cmd('show protocols ' + proto)
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == proto:
            m = re.search(TIME.decode(), line)
            return line, (parse_time(m.group(1)) if m else None)
    raise RuntimeError('no protocol %s in:\n%s' % (proto, out))


def imported(birdc, proto):
    m = re.search(r'Routes:\s+(\d+) imported', birdc.cmd('show protocols all ' + proto))
    return int(m.group(1)) if m else 0


def route_times(birdc, proto):
    """(count, latest) of the routes of proto, streamed from `show route protocol X`."""
    pattern = re.compile(rb'\[' + re.escape(proto.encode()) + rb' ' + TIME)
    state = {'count': 0, 'latest': b''}

    def on_line(code, text):
        m = pattern.search(text)
        if m:
            state['count'] += 1
            if m.group(1) > state['latest']:      # fixed-width timestamps: text order is time order
                state['latest'] = m.group(1)
    birdc.cmd_stream('show route protocol ' + proto, on_line)
    return state['count'], parse_time(state['latest'].decode()) if state['latest'] else None


def table_routes(birdc):
    m = re.search(r'(\d+) of (\d+) routes', birdc.cmd('show route count'))
    return int(m.group(2)) if m else 0


def measure(lab, speaker, n):
    proto = speaker.name
    birdc = lab.birdc
    try:
        speaker.start()
        cpu = (speaker.proc.cpu_s(), lab.bird.cpu_s())
        log_start = os.path.getsize(lab.bird.log_path)
        birdc.cmd('enable ' + proto)
        t_enable = time.monotonic()
        timeout = 60 + n / 2000

        def done():
            if not speaker.proc.alive():
                raise RuntimeError('%s exited:\n%s' % (proto, speaker.proc.log()))
            return imported(birdc, proto) >= n
        try:
            wait_for(done, timeout, '%d routes imported from %s' % (n, proto), interval=0.05)
        except RuntimeError as e:
            line, _ = protocol_state(birdc, proto)
            raise RuntimeError('%s\nBIRD: %s (%d imported)\n%s log:\n%s\nBIRD log:\n%s'
                               % (e, line, imported(birdc, proto), proto, speaker.proc.log(), lab.bird.log()))
        wall = time.monotonic() - t_enable
        memory = speaker.proc.memory_kib()
        # CPU from enable to all imported (the session's set-up and the import): who was busy
        cpu = (speaker.proc.cpu_s() - cpu[0], lab.bird.cpu_s() - cpu[1])
        line, established = protocol_state(birdc, proto)
        if 'Established' not in line:
            raise RuntimeError('session not Established after the import: ' + line)
        # One session only: after a flap BIRD's Established would be the second session's.
        with open(lab.bird.log_path, errors='replace') as f:
            f.seek(log_start)
            trace = [x.rstrip() for x in f if ' %s: ' % proto in x]
        sessions = sum(x.endswith(': BGP session established') for x in trace)
        if sessions != 1:
            raise RuntimeError('%d sessions with %s during the run (BIRD log):\n%s\n%s log:\n%s'
                               % (sessions, proto, '\n'.join(trace[-40:]), proto, speaker.proc.log()))
        count, last = route_times(birdc, proto)
        if count != n:
            raise RuntimeError('%d routes of %s in BIRD, expected %d' % (count, proto, n))
        if last < established:
            raise RuntimeError('last route %s before Established %s: the session flapped?' % (last, established))
        result = {'time_s': (last - established).total_seconds(), 'vm_hwm_kib': memory['VmHWM'],
                  'vm_rss_kib': memory.get('VmRSS'),
                  'load_s': round(speaker.load_s, 3), 'established': str(established), 'last_import': str(last),
                  'enable_to_all_imported_s': round(wall, 3), 'speaker_cpu_s': round(cpu[0], 2),
                  'bird_cpu_s': round(cpu[1], 2)}
    finally:
        try:
            birdc.cmd('disable ' + proto)
        finally:
            speaker.stop()
    wait_for(lambda: table_routes(birdc) == 0, 120, 'BIRD to flush the routes of ' + proto, interval=0.2)
    return result


def find_driver(path):
    candidates = [path] if path else [os.path.join(ROOT, 'build', b, 'bench', 'lbd_bgp_speaker_driver')
                                      for b in ('release', 'debug')]
    for c in candidates:
        if os.access(c, os.X_OK):
            return os.path.abspath(c)
    sys.exit('no lbd_bgp_speaker_driver at %s: cmake --build --preset release --target lbd_bgp_speaker_driver'
             % ' or '.join(candidates))


def ratio(a, b):
    return a / b if a is not None and b else None


def ms(seconds):
    return seconds * 1e3 if seconds is not None else None


def cell(value, fmt):
    return fmt % value if value is not None else '-'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--sizes', default='10000,100000', help='prefix counts, comma separated (default 10000,100000)')
    p.add_argument('--repeat', type=int, default=1, help='runs per size and speaker; the median is reported')
    p.add_argument('--driver', help='lbd_bgp_speaker_driver (default build/release/bench/..., else build/debug/...)')
    p.add_argument('--speakers', default='lbd,gobgpd', help='which speakers to run (default lbd,gobgpd)')
    p.add_argument('--keep', action='store_true', help='keep the work directory (logs, configs)')
    a = p.parse_args()
    sizes = [int(x) for x in a.sizes.replace('_', '').split(',') if x]
    speakers = [s for s in a.speakers.split(',') if s]
    for s in speakers:
        if s not in SPEAKERS:
            p.error('unknown speaker ' + s)
    driver = find_driver(a.driver) if 'lbd' in speakers else None
    # SIGTERM / SIGINT unwind through the finally blocks, so the lab and its daemons go away.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print('$ ' + ' '.join(shlex.quote(x) for x in [sys.executable] + sys.argv), flush=True)
    bird_version = run(['bird', '--version'], check=False)
    print('driver: %s; %s; %s' % (driver, (bird_version.stdout + bird_version.stderr).strip(),
                                  run(['gobgpd', '--version'], check=False).stdout.strip()), flush=True)
    print('load average before: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]), flush=True)
    workdir = tempfile.mkdtemp(prefix='lbdbgpb-')
    runs = {n: {s: [] for s in speakers} for n in sizes}
    try:
        with Lab(workdir) as lab:
            for n in sizes:
                prefix_file = os.path.join(workdir, 'prefixes-%d.txt' % n)
                mrt_file = os.path.join(workdir, 'prefixes-%d.mrt' % n)
                if 'lbd' in speakers:
                    write_prefix_file(prefix_file, n)
                if 'gobgpd' in speakers:
                    write_mrt(mrt_file, n, SPEAKERS['gobgpd']['addr'], SPEAKERS['gobgpd']['addr'],
                              SPEAKERS['gobgpd']['asn'])
                for k in range(a.repeat):
                    # odd repeats in the other order, so neither always finds BIRD fresh from the other
                    for s in (speakers if k % 2 == 0 else speakers[::-1]):
                        speaker = (LbdSpeaker(lab, driver, prefix_file, n) if s == 'lbd'
                                   else GobgpSpeaker(lab, mrt_file, n))
                        r = measure(lab, speaker, n)
                        runs[n][s].append(r)
                        print('  N=%d %-6s run %d: Established -> last import %9.1f ms, VmHWM %7.1f MiB '
                              '(load %.1f s; enable -> all imported seen %.2f s, CPU meanwhile: %s %.2f s, '
                              'BIRD %.2f s)'
                              % (n, s, k + 1, r['time_s'] * 1e3, r['vm_hwm_kib'] / 1024, r['load_s'],
                                 r['enable_to_all_imported_s'], s, r['speaker_cpu_s'], r['bird_cpu_s']),
                              flush=True)
                for f in (prefix_file, mrt_file):
                    if os.path.exists(f):
                        os.unlink(f)
    finally:
        if a.keep:
            print('work directory kept: ' + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print('load average after: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))

    summary = []
    for n in sizes:
        row = {'n': n}
        for s in SPEAKERS:
            rs = runs[n].get(s) or []
            row[s + '_time_s'] = statistics.median(r['time_s'] for r in rs) if rs else None
            row[s + '_rss_mib'] = statistics.median(r['vm_hwm_kib'] for r in rs) / 1024 if rs else None
        row['time_ratio'] = ratio(row['lbd_time_s'], row['gobgpd_time_s'])
        row['rss_ratio'] = ratio(row['lbd_rss_mib'], row['gobgpd_rss_mib'])
        summary.append(row)
    print()
    print('Established -> last route imported by BIRD, and peak RSS (VmHWM) of the speaker; median of %d' % a.repeat)
    print()
    print('| N | lbd time | gobgpd time | ratio | lbd RSS MiB | gobgpd RSS MiB | ratio |')
    print('|---|---|---|---|---|---|---|')
    for row in summary:
        print('| %d | %s | %s | %s | %s | %s | %s |' % (
            row['n'], cell(ms(row['lbd_time_s']), '%.1f ms'), cell(ms(row['gobgpd_time_s']), '%.1f ms'),
            cell(row['time_ratio'], '%.2f'), cell(row['lbd_rss_mib'], '%.1f'), cell(row['gobgpd_rss_mib'], '%.1f'),
            cell(row['rss_ratio'], '%.2f')))
    for row in summary:
        if row['n'] == 100000 and row['time_ratio'] is not None:
            print()
            print('targets at 100000: time ratio %.2f (<= 0.5: %s), RSS ratio %.2f (<= 0.25: %s)' % (
                row['time_ratio'], 'met' if row['time_ratio'] <= 0.5 else 'MISSED',
                row['rss_ratio'], 'met' if row['rss_ratio'] <= 0.25 else 'MISSED'))
    print()
    print(json.dumps({'argv': sys.argv[1:], 'repeat': a.repeat, 'summary': summary,
                      'runs': {str(n): runs[n] for n in sizes}}, sort_keys=True))


if __name__ == '__main__':
    main()
