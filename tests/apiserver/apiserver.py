#!/usr/bin/python3
"""Kubernetes API test server for lbd: a faithful double of kube-apiserver v1.28 (see README.md).

  /usr/bin/python3 tests/apiserver/apiserver.py --listen 127.0.0.1:0 --cert-dir DIR \
      [--tokens tokens.json] [--control 127.0.0.1:0] [--ready-file FILE] [--kubeconfig FILE]

When it is ready it writes --ready-file (JSON: url, port, controlUrl, ca, kubeconfig, token) via a
temporary file + rename, so a test can poll for the file and read it whole.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys

sys.dont_write_bytecode = True   # keep the source tree clean when tests start it
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server import certs                      # noqa: E402
from server.api import APIServer, Options     # noqa: E402
from server.auth import Auth                  # noqa: E402
from server.control import Control            # noqa: E402
from server.faults import Faults              # noqa: E402
from server.transport import Listener, tls_context   # noqa: E402


def split_hostport(s):
    host, _, port = s.rpartition(':')
    return host.strip('[]'), int(port)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--listen', default='127.0.0.1:0', help='HTTPS address (host:port, port 0 = any)')
    p.add_argument('--advertise', help='host:port announced in /api and kubeconfig (default: listen)')
    p.add_argument('--cert-dir', required=True, help='CA and certificates live (or are made) here')
    p.add_argument('--tokens', help='tokens/users file (default: one admin token, made up)')
    p.add_argument('--control', help='control API address, e.g. 127.0.0.1:0 (plain HTTP)')
    p.add_argument('--ready-file', help='JSON written once listening')
    p.add_argument('--kubeconfig', help='kubeconfig to write (default: CERT_DIR/kubeconfig)')
    p.add_argument('--kubeconfig-token', help='token for the kubeconfig (default: an admin token)')
    p.add_argument('--client-cert', action='append', default=[], metavar='USER[:GROUP,...]',
                   help='also issue CERT_DIR/client-USER.crt/.key for this user')
    p.add_argument('--service-cidr', default='10.96.0.0/16', help='comma-separated, one per family')
    p.add_argument('--bookmark-interval', type=float, default=60.0, help='seconds (real: ~60)')
    p.add_argument('--bookmark-before-timeout', type=float, default=2.0)
    p.add_argument('--min-request-timeout', type=float, default=1800.0,
                   help='watches without timeoutSeconds end after a random [x, 2x] seconds')
    p.add_argument('--version-minor', default='28', help='/version minor (kubectl dispatcher picks by it)')
    p.add_argument('--compaction-interval', type=float, default=300.0,
                   help='like --etcd-compaction-interval: every tick compact at the RV of the '
                        'previous tick (0 = never; history then grows without bound)')
    p.add_argument('--no-anonymous', action='store_true', help='401 instead of system:anonymous')
    p.add_argument('--max-requests-inflight', type=int, default=400,
                   help='with the next one, the seats API Priority and Fairness shares out (real: 400)')
    p.add_argument('--max-mutating-requests-inflight', type=int, default=200, help='(real: 200)')
    p.add_argument('--apf-queue-wait-limit', type=float, default=15.0,
                   help='seconds a request may wait in an APF queue before its 429 '
                        '(real: a quarter of --request-timeout, 15 s)')
    p.add_argument('--write-latency', type=float, default=0.0,
                   help='seconds every write (POST/PUT/PATCH/DELETE) waits while holding its APF seat, '
                        'as the real one waits for etcd (default 0: writes take only their CPU time)')
    p.add_argument('--write-rate', type=float, default=0.0,
                   help='at most this many writes per second, one after the other, each waiting for its '
                        'turn while holding its seat (a real v1.28 apiserver with etcd on the 2-core '
                        'project machine: ~470 status patches/s); default 0 = no limit')
    p.add_argument('--too-large-rv-wait', type=float, default=3.0,
                   help='seconds a read from the watch cache at a resourceVersion newer than the '
                        'server\'s waits for it before its 504 "Too large resource version" (real: 3)')
    return p.parse_args(argv)


def load_auth(args):
    if args.tokens:
        with open(args.tokens) as f:
            cfg = json.load(f)
    else:
        cfg = {'users': {'admin': {'groups': ['system:masters']}},
               'tokens': {secrets.token_hex(16): 'admin'}}
    if args.no_anonymous:
        cfg['anonymous'] = False
    return Auth(cfg), cfg


async def compactor(api, interval):
    """What kube-apiserver does every --etcd-compaction-interval: compact at the revision it saw
    one interval ago (so old continue tokens and RVs expire; the watch cache is untouched)."""
    previous = None
    while True:
        await asyncio.sleep(interval)
        if previous is not None:
            api.store.compact(previous, reset_caches=False)
        previous = api.store.rv


async def main(argv):
    args = parse_args(argv)
    os.makedirs(args.cert_dir, exist_ok=True)
    host, port = split_hostport(args.listen)
    ca, _ = certs.ensure_ca(args.cert_dir)
    cert, key = certs.server_cert(args.cert_dir, host)
    for spec in args.client_cert:
        user, _, groups = spec.partition(':')
        certs.issue(args.cert_dir, 'client-' + user, user, [g for g in groups.split(',') if g], server=False)
    auth, cfg = load_auth(args)
    faults = Faults()
    adv = args.advertise
    options = Options(bookmark_interval=args.bookmark_interval,
                      bookmark_before_timeout=args.bookmark_before_timeout,
                      min_request_timeout=args.min_request_timeout, version_minor=args.version_minor,
                      service_cidrs=[c for c in args.service_cidr.split(',') if c],
                      max_requests_inflight=args.max_requests_inflight,
                      max_mutating_requests_inflight=args.max_mutating_requests_inflight,
                      apf_queue_wait_limit=args.apf_queue_wait_limit, write_latency=args.write_latency,
                      too_large_rv_wait=args.too_large_rv_wait,
                      write_rate=args.write_rate)
    api = APIServer(auth, options, faults)
    listener = Listener(api, host, port, tls_context(cert, key, ca))
    await listener.start()
    shown_host = host if host not in ('0.0.0.0', '::', '') else '127.0.0.1'
    if ':' in shown_host:
        shown_host = '[%s]' % shown_host
    options.server_address = adv or '%s:%d' % (shown_host, listener.port)
    url = 'https://' + options.server_address
    token = args.kubeconfig_token
    if token is None:
        token = next((t for t, u in cfg.get('tokens', {}).items()
                      if 'system:masters' in cfg.get('users', {}).get(u, {}).get('groups', [])), None)
    kubeconfig = certs.kubeconfig(args.kubeconfig or os.path.join(args.cert_dir, 'kubeconfig'), url, ca, token)
    ready = {'url': url, 'port': listener.port, 'ca': ca, 'kubeconfig': kubeconfig, 'token': token,
             'pid': os.getpid()}
    if args.control:
        chost, cport = split_hostport(args.control)
        control = Control(api, listener)
        ready['controlPort'] = await control.start(chost, cport)
        ready['controlUrl'] = 'http://%s:%d' % (chost, ready['controlPort'])
    print(json.dumps(ready), flush=True)
    if args.ready_file:
        tmp = args.ready_file + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(ready, f)
        os.replace(tmp, args.ready_file)
    if args.compaction_interval > 0:
        asyncio.ensure_future(compactor(api, args.compaction_interval))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == '__main__':
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
