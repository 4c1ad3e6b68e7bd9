"""The layer-2 lab: one Ethernet segment in network namespaces, for lbd's ARP/NDP tests and
benchmarks.

    api     192.0.2.10   2001:db8::10    the Kubernetes API test server, https://192.0.2.10:6443
    h1..hN  192.0.2.11.. 2001:db8::11..  the hosts (Kubernetes nodes), eth0 each
    client  192.0.2.100  2001:db8::100   where ARP probes, captures and TCP clients run
    r-X     192.0.2.201.. 2001:db8::201.. BGP routers (L2Lab(routers=('bird', 'frr')), the BGP lab)
    sw      br0, one port per namespace above: the switch, in a namespace of its own

Every namespace is named lbdl2-<pid>-<lab>-<role>, so parallel tests never collide, and all of
them are deleted by close() (also on failure: use `with L2Lab() as lab:`), after every process
the lab started (and anything else left inside its namespaces) is killed. Nothing is added to
the root namespace: veth pairs are created with both ends already in their namespaces.
MACs are fixed (02:00:00:00:HH:LL for 192.0.2.HHLL in decimal, e.g. .11 -> 02:00:00:00:00:11)
so a failure message says which host answered.

Needs root, iproute2; tcpdump, iptables and curl for the helpers that use them.
"""
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'kubernetes'))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'apiserver', 'tests'))
from netns import kill_and_delete_netns, set_link, socket_in  # noqa: E402,F401  (re-exported)
import cluster  # noqa: E402  (TestServerCluster: object helpers over the control API)
import harness  # noqa: E402  (TOKENS: the admin / lbd / limited users of the API tests)
import lbdlab  # noqa: E402

PYTHON = '/usr/bin/python3'
APISERVER = os.path.join(os.path.dirname(HERE), 'apiserver', 'apiserver.py')
API_PORT = 6443
_labs = itertools.count()


def wait_for(predicate, timeout=10.0, what='condition', interval=0.02):
    """cluster.wait_for with the lab's shorter defaults (lab events take milliseconds)."""
    return cluster.wait_for(predicate, timeout, what, interval)


def mac_for(octet):
    return '02:00:00:00:%02d:%02d' % divmod(octet, 100)


def remove_stale_labs():
    """Namespaces of labs whose process is gone (killed by a CTest timeout, SIGKILL...): removed
    with what runs in them, so a crashed run does not leave the next one its mess. A lab whose
    pid is alive (this process included) is never touched."""
    for ns in os.listdir('/run/netns') if os.path.isdir('/run/netns') else []:
        parts = ns.split('-')
        if len(parts) >= 4 and parts[0] == 'lbdl2' and parts[1].isdigit() and \
                not os.path.exists('/proc/' + parts[1]):
            kill_and_delete_netns(ns)


def read_pcap(path):
    """[(seconds, frame bytes)] of a classic pcap file (what tcpdump -w writes)."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = int.from_bytes(data[:4], 'little')
    order = 'little' if magic in (0xA1B2C3D4, 0xA1B23C4D) else 'big'
    scale = 1e9 if magic in (0xA1B23C4D, 0x4D3CB2A1) else 1e6
    out, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, caplen = (int.from_bytes(data[pos + i:pos + i + 4], order) for i in (0, 4, 8))
        out.append((sec + frac / scale, data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return out


class Endpoint:
    """One namespace on the segment: its name, eth0's addresses and MAC, its switch port."""

    def __init__(self, lab, role, octet):
        self.name, self.octet = role, octet
        self.ns = '%s-%s' % (lab.prefix, role)
        self.ip4 = '192.0.2.%d' % octet
        self.ip6 = '2001:db8::%d' % octet
        self.mac = mac_for(octet)
        self.port = 'p-' + role           # its bridge port in the switch namespace (<= 15 chars)

    def __repr__(self):
        return '<%s %s %s %s>' % (self.name, self.ns, self.ip4, self.mac)


class Proc:
    """A process the lab started in a namespace, in a process group of its own (so killing it
    also kills the children it forked, e.g. keepalived's VRRP process)."""

    def __init__(self, name, ns, argv, log_path, env=None):
        self.name, self.ns, self.log_path = name, ns, log_path
        self.log_file = open(log_path, 'w+')
        self.popen = subprocess.Popen(['ip', 'netns', 'exec', ns] + list(argv), stdin=subprocess.DEVNULL,
                                      stdout=self.log_file, stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)
        self.pid = self.popen.pid         # `ip netns exec` execs the command: same pid

    def alive(self):
        return self.popen.poll() is None

    def send(self, sig, group=True):
        if self.alive():
            try:
                os.killpg(self.pid, sig) if group else os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill9(self):
        """A crash: SIGKILL to the whole process group, nothing gets to clean up."""
        self.send(signal.SIGKILL)
        self.popen.wait()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Graceful stop (signal to the leader, as an init system would), SIGKILL after timeout."""
        self.send(sig, group=False)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
        try:
            os.killpg(self.pid, signal.SIGKILL)   # stragglers of its group (children that outlived it)
        except ProcessLookupError:
            pass
        return self.popen.returncode

    def log(self):
        self.log_file.flush()
        with open(self.log_path) as f:
            return f.read()


class Capture:
    """tcpdump in a namespace writing a pcap; stop() returns its path, frames() its contents."""

    def __init__(self, lab, ns, iface, bpf, path):
        self.path = path
        self.proc = lab.spawn(ns, ['tcpdump', '-i', iface, '-nn', '-U', '--immediate-mode', '-w', path]
                              + ([bpf] if bpf else []), name=os.path.basename(path) + '.tcpdump')
        wait_for(lambda: 'listening on' in self.proc.log() or not self.proc.alive(), 10, 'tcpdump to listen')
        if not self.proc.alive():
            raise RuntimeError('tcpdump failed: ' + self.proc.log())

    def stop(self):
        self.proc.stop(signal.SIGINT)     # SIGINT: tcpdump flushes and closes the file
        return self.path

    def frames(self):
        return read_pcap(self.path)


class ApiServer:
    """The API test server in the api namespace; control API on its 127.0.0.1, reached via socket_in."""

    def __init__(self, lab, extra_args=()):
        self.dir = os.path.join(lab.dir, 'api')
        os.mkdir(self.dir)
        tokens = os.path.join(self.dir, 'tokens.json')
        with open(tokens, 'w') as f:
            json.dump(harness.TOKENS, f)
        ready = os.path.join(self.dir, 'ready.json')
        self.netns = lab.api.ns
        self.proc = lab.spawn(self.netns, [PYTHON, APISERVER, '--listen', '%s:%d' % (lab.api.ip4, API_PORT),
                                           '--cert-dir', self.dir, '--tokens', tokens, '--control',
                                           '127.0.0.1:0', '--ready-file', ready] + list(extra_args),
                              name='apiserver')
        wait_for(lambda: os.path.exists(ready) or not self.proc.alive(), 30, 'the API server')
        if not self.proc.alive():
            raise RuntimeError('API server failed: ' + self.proc.log())
        with open(ready) as f:
            self.info = json.load(f)
        self.url, self.ca, self.kubeconfig = self.info['url'], self.info['ca'], self.info['kubeconfig']
        self.admin_token = self.info['token']

    def control(self, method, path, body=None):
        """Same contract as harness.Server.control: JSON in, JSON out."""
        import http.client

        class Conn(http.client.HTTPConnection):
            def connect(conn):
                conn.sock = socket_in(self.netns)
                conn.sock.settimeout(30)
                conn.sock.connect(('127.0.0.1', self.info['controlPort']))
        c = Conn('127.0.0.1', self.info['controlPort'], timeout=30)
        try:
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={'Content-Type': 'application/json'})
            r = c.getresponse()
            data = r.read()
            if r.status >= 400:
                raise RuntimeError('control %s %s: %d %s' % (method, path, r.status, data[:500]))
            return json.loads(data)
        finally:
            c.close()

    def fault(self, **spec):
        return self.control('POST', '/faults', spec)

    def stop(self):
        pass                              # the lab stops the process with the others


class LabCluster(cluster.TestServerCluster):
    """create/update/delete/get/objects/fault of the Kubernetes tests, on the lab's server."""

    def __init__(self, server):
        self.server = server
        self.kubeconfig = server.kubeconfig

    def close(self):
        pass


class L2Lab:
    def __init__(self, hosts=3, api=True, api_args=(), routers=()):
        self.prefix = 'lbdl2-%d-%d' % (os.getpid(), next(_labs))
        self.dir = tempfile.mkdtemp(prefix=self.prefix + '-')
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, 'logs'))
        self.switch_ns = self.prefix + '-sw'
        self.api = Endpoint(self, 'api', 10)
        self.hosts = [Endpoint(self, 'h%d' % i, 10 + i) for i in range(1, hosts + 1)]
        self.client = Endpoint(self, 'client', 100)
        # BGP routers on the same segment (the BGP lab): r-<name> at .201, .202, ...
        self.routers = [Endpoint(self, 'r-' + name, 201 + i) for i, name in enumerate(routers)]
        self.procs, self.namespaces, self.daemons = [], [], {}
        self.server = self.cluster = None
        remove_stale_labs()
        try:
            self._build()
            if api:
                self.start_api(*api_args)
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)

    def router(self, name):
        return next(r for r in self.routers if r.name == 'r-' + name)

    @property
    def endpoints(self):
        return [self.api] + self.hosts + [self.client] + self.routers

    # ----- topology

    def _netns_add(self, ns):
        if os.path.exists('/run/netns/' + ns):    # left by a crashed run of a process with our pid
            self._netns_del(ns)
        subprocess.run(['ip', 'netns', 'add', ns], check=True)
        self.namespaces.append(ns)
        self.run(ns, 'ip', 'link', 'set', 'lo', 'up')

    def _build(self):
        self._netns_add(self.switch_ns)
        # The switch has no IPv6 of its own: no MLD or router solicitations of br0 in captures.
        self.sysctl(self.switch_ns, 'net.ipv6.conf.all.disable_ipv6', 1)
        self.sysctl(self.switch_ns, 'net.ipv6.conf.default.disable_ipv6', 1)
        # No STP (ports forward at once); no multicast snooping: NS to solicited-node groups are
        # flooded like on an unmanaged switch, whoever joined what.
        self.run(self.switch_ns, 'ip', 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0',
                 'mcast_snooping', '0')
        self.run(self.switch_ns, 'ip', 'link', 'set', 'br0', 'up')
        for e in self.endpoints:
            self._netns_add(e.ns)
            # DAD off before eth0 exists, link-local included: addresses usable at once (RECIPES 2.6)
            self.sysctl(e.ns, 'net.ipv6.conf.all.accept_dad', 0)
            self.sysctl(e.ns, 'net.ipv6.conf.default.accept_dad', 0)
            subprocess.run(['ip', 'link', 'add', 'eth0', 'netns', e.ns, 'address', e.mac, 'type', 'veth',
                            'peer', 'name', e.port, 'netns', self.switch_ns], check=True)
            self.run(self.switch_ns, 'ip', 'link', 'set', e.port, 'master', 'br0')
            self.run(self.switch_ns, 'ip', 'link', 'set', e.port, 'up')
            self.run(e.ns, 'ip', 'addr', 'add', e.ip4 + '/24', 'dev', 'eth0')
            self.run(e.ns, 'ip', 'addr', 'add', e.ip6 + '/64', 'dev', 'eth0')
            self.run(e.ns, 'ip', 'link', 'set', 'eth0', 'up')
        for e in self.endpoints:
            wait_for(lambda: self.carrier(e), 5, 'carrier on %s' % e.name)

    def _netns_del(self, ns):
        kill_and_delete_netns(ns)

    def close(self):
        for d in reversed(list(self.daemons.values())):
            d.close()                     # lbd leaves its bus before the bus goes
        self.daemons = {}
        for p in reversed(self.procs):
            p.stop(timeout=3)
            p.log_file.close()
        self.procs = []
        for ns in reversed(self.namespaces):
            self._netns_del(ns)
        self.namespaces = []
        if os.environ.get('L2LAB_KEEP'):
            print('l2lab: logs kept in', self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ----- running things

    def run(self, ns, *argv, check=True, timeout=30, input=None):
        """A command in a namespace; CompletedProcess with text output."""
        p = subprocess.run(['ip', 'netns', 'exec', ns] + [str(a) for a in argv], capture_output=True,
                           text=True, timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise RuntimeError('%s in %s: rc=%d\n%s%s' % (' '.join(map(str, argv)), ns, p.returncode,
                                                          p.stdout, p.stderr))
        return p

    def sysctl(self, ns, key, value):
        self.run(ns, 'sysctl', '-qw', '%s=%s' % (key, value))

    def spawn(self, ns, argv, name=None, env=None):
        """Starts argv in namespace ns; stopped (TERM, then KILL) by close(), newest first."""
        name = name or os.path.basename(str(argv[0]))
        log = os.path.join(self.dir, 'logs', '%s.%s.log' % (name, len(self.procs)))
        p = Proc(name, ns, [str(a) for a in argv], log, env)
        self.procs.append(p)
        return p

    # ----- links

    def carrier(self, e):
        out = self.run(e.ns, 'ip', '-j', 'link', 'show', 'dev', 'eth0').stdout
        return 'LOWER_UP' in json.loads(out)[0]['flags']

    def link(self, e, up, where='cable'):
        """Takes e's link down or up. where='cable' (default) sets its *bridge port* down: the
        host's eth0 stays administratively up but loses carrier (NO-CARRIER), like a pulled cable
        or a dead switch port, and keeps its addresses, so bringing it back restores the host
        exactly. where='host' sets eth0 itself down inside the host: an administrative action
        the host's software is told about, and which flushes its IPv6 addresses (unless
        keep_addr_on_down), so this helper adds them back on up."""
        if where == 'cable':
            set_link(self.switch_ns, e.port, up)
        elif where == 'host':
            set_link(e.ns, 'eth0', up)
            if up:
                self.run(e.ns, 'ip', 'addr', 'replace', e.ip6 + '/64', 'dev', 'eth0')
        else:
            raise ValueError(where)
        if up:
            wait_for(lambda: self.carrier(e), 5, 'carrier on %s' % e.name)

    # ----- observing

    def ping(self, ns, address, count=1, timeout=2):
        return self.run(ns, 'ping', '-n', '-c', count, '-W', timeout, address, check=False).returncode == 0

    def neighbours(self, ns=None, dev='eth0'):
        """{ip: {'mac': .., 'state': [..]}} of a namespace's neighbour table (default: the client's)."""
        out = self.run(ns or self.client.ns, 'ip', '-j', 'neigh', 'show', 'dev', dev).stdout
        return {n['dst']: {'mac': n.get('lladdr'), 'state': n.get('state', [])} for n in json.loads(out or '[]')}

    def learn_announcements(self, ns=None):
        """Lets a namespace's kernel create neighbour entries from gratuitous ARP / unsolicited NA
        (off by default in Linux, RECIPES 2.3/2.5), so neighbours() shows what was announced."""
        ns = ns or self.client.ns
        self.sysctl(ns, 'net.ipv4.conf.eth0.arp_accept', 1)
        self.sysctl(ns, 'net.ipv6.conf.eth0.forwarding', 1)
        self.sysctl(ns, 'net.ipv6.conf.eth0.accept_untracked_na', 1)

    def flush_neighbours(self, ns=None):
        self.run(ns or self.client.ns, 'ip', 'neigh', 'flush', 'dev', 'eth0')

    def capture(self, ns=None, bpf='arp or icmp6', iface='eth0', name='client'):
        """Starts tcpdump (returns once it listens); Capture.stop() -> pcap path."""
        path = os.path.join(self.dir, 'logs', '%s-%d.pcap' % (name, len(self.procs)))
        return Capture(self, ns or self.client.ns, iface, bpf, path)

    def tcp_request(self, address, port=8080, ns=None, timeout=3.0):
        """Connects from a namespace (default the client) and returns what the server says first."""
        family = socket.AF_INET6 if ':' in address else socket.AF_INET
        with socket_in(ns or self.client.ns, family) as s:
            s.settimeout(timeout)
            s.connect((address, port))
            return s.recv(256).decode()

    # ----- kube-proxy stand-in

    def serve_vip(self, host, vip4=None, vip6=None, port=8080):
        """What kube-proxy does for a LoadBalancer IP, reduced to one host: DNAT the VIP to the
        host's own address and a TCP server there that answers its host's name, so a client's
        connection to the VIP completes on whichever host received it (the one that answered ARP)."""
        for vip, tool, to in ((vip4, 'iptables', host.ip4), (vip6, 'ip6tables', '[%s]' % host.ip6)):
            if vip:
                self.run(host.ns, tool, '-t', 'nat', '-A', 'PREROUTING', '-d', vip, '-p', 'tcp', '--dport',
                         port, '-j', 'DNAT', '--to-destination', '%s:%d' % (to, port))
        server = ('import socket,sys\n'
                  's=socket.socket(socket.AF_INET6);s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n'
                  's.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0);s.bind(("::",%d));s.listen(64)\n'
                  'print("listening",flush=True)\n'
                  'while True:\n c,_=s.accept();c.sendall(sys.argv[1].encode()+b"\\n");c.close()\n' % port)
        p = self.spawn(host.ns, [PYTHON, '-c', server, host.name], name='serve-%s' % host.name)
        wait_for(lambda: 'listening' in p.log() or not p.alive(), 10, 'TCP server on %s' % host.name)
        return p

    # ----- Kubernetes

    def start_api(self, *extra_args):
        """The API test server at https://192.0.2.10:6443 in the api namespace; its kubeconfig
        (admin token) points there, so it works from every host namespace."""
        self.server = ApiServer(self, extra_args)
        self.cluster = LabCluster(self.server)
        return self.server

    def node_object(self, host, ready=True, labels=None):
        return {'apiVersion': 'v1', 'kind': 'Node', 'metadata': {'name': host.name, 'labels': dict(labels or {})},
                'status': {'conditions': [{'type': 'Ready', 'status': 'True' if ready else 'False',
                                           'reason': 'KubeletReady', 'message': 'l2lab',
                                           'lastHeartbeatTime': '2026-01-01T00:00:00Z',
                                           'lastTransitionTime': '2026-01-01T00:00:00Z'}],
                           'addresses': [{'type': 'InternalIP', 'address': host.ip4},
                                         {'type': 'InternalIP', 'address': host.ip6},
                                         {'type': 'Hostname', 'address': host.name}]}}

    def create_nodes(self, ready=True, labels=None):
        """One Ready Node per host, named like the host (h1, h2, ...), InternalIPs of its eth0."""
        return [self.cluster.create(self.node_object(h, ready, labels)) for h in self.hosts]

    def kubectl(self, *args, ns=None, check=True):
        """kubectl (admin) from a namespace, default the first host."""
        return self.run(ns or self.hosts[0].ns, 'kubectl', '--kubeconfig', self.server.kubeconfig, *args,
                        check=check)

    # ----- lbd per host

    def lbd(self, host):
        """An lbdlab.Lab for this host: its own private D-Bus (socket in its own dir), config
        (lbd.toml naming the node after the host, the lab's kubeconfig if the API server runs),
        pools.d and logs; start_lbd() runs lbd inside the host's namespace, lbctl() talks to it
        over that host's bus. Tests add pools with daemon.write('pools.d/x.toml', ...)."""
        if host.name not in self.daemons:
            d = lbdlab.Lab(wrap=['ip', 'netns', 'exec', host.ns]).start_bus()
            text = '[node]\nname = "%s"\n' % host.name
            if self.server:
                text += '\n[kubernetes]\nkubeconfig = "%s"\n' % self.server.kubeconfig
            d.write('lbd.toml', text)
            self.daemons[host.name] = d
        return self.daemons[host.name]
