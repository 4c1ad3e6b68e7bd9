"""The API server proper: routing, authn/authz, content negotiation and response encoding.

Transport-independent: a request comes in as `Request`, the answer goes out through the
transport's writer (`send` for a whole body, `start`/`write`/`finish`/`abort` for streams).
"""

import asyncio
import gzip
import json
import re
import time
import urllib.parse
import uuid

import yaml

from . import discovery, gojson, resources, selectors, table as tablemod, watch as watchmod
from .errors import (APIError, page_not_found, resource_not_found, method_not_allowed,
                     not_acceptable)
from .flowcontrol import FlowControl
from .gotypes import clone, normalize
from .kinds import flowcontrol as fcdata
from .kinds.services import Allocator
from .openapi import OpenAPI
from .rest import Rest, one
from .schema import SelfSubjectAccessReview
from .store import Store

PRETTY_AGENTS = ('curl', 'Wget', 'Mozilla/5.0')
WRITES = ('POST', 'PUT', 'PATCH', 'DELETE')
GZIP_MIN = 128 * 1024



GO_DURATION = re.compile(r'(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)')
GO_UNITS = {'h': 3600.0, 'm': 60.0, 's': 1.0, 'ms': 1e-3, 'us': 1e-6, 'µs': 1e-6, 'ns': 1e-9}


def parse_go_duration(text):
    """Go's time.ParseDuration for what clients send ("1500ms", "2s", "1m30s"); None if bad."""
    parts = GO_DURATION.findall(text or '')
    if not parts or ''.join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * GO_UNITS[u] for n, u in parts)


def request_deadline(req, started):
    """The deadline of a non-watch request given ?timeout= (WithRequestDeadline), or None."""
    query = urllib.parse.parse_qs(req.raw_query or '')
    if query.get('watch', ['false'])[0] in ('true', '1'):
        return None
    timeout = parse_go_duration(query.get('timeout', [''])[0])
    return started + timeout if timeout else None

class Request:
    def __init__(self, method, target, headers, body, proto='http/1.1', peer_cert=None, peer=None):
        self.method = method.upper()
        self.target = target
        parts = urllib.parse.urlsplit(target)
        self.path = urllib.parse.unquote(parts.path) or '/'
        self.query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        self.raw_query = parts.query
        self.headers = headers          # lower-case name -> value
        self.body = body or b''
        self.proto = proto
        self.peer_cert = peer_cert
        self.peer = peer
        self.user = None
        self.audit_id = str(uuid.uuid4())
        self.flow_schema = self.priority_level = None    # set by API Priority and Fairness
        self.apf_ticket = None                            # the seat it holds


class Options:
    def __init__(self, **kw):
        self.bookmark_interval = kw.get('bookmark_interval', 60.0)
        self.bookmark_before_timeout = kw.get('bookmark_before_timeout', 2.0)
        self.min_request_timeout = kw.get('min_request_timeout', 1800.0)
        self.version_minor = kw.get('version_minor', '28')
        self.git_version = kw.get('git_version', 'v1.28.7')
        self.server_address = kw.get('server_address', '127.0.0.1:6443')
        self.service_cidrs = kw.get('service_cidrs', ['10.96.0.0/16'])
        self.max_requests_inflight = kw.get('max_requests_inflight', 400)
        self.max_mutating_requests_inflight = kw.get('max_mutating_requests_inflight', 200)
        self.apf_queue_wait_limit = kw.get('apf_queue_wait_limit', 15.0)
        self.write_latency = kw.get('write_latency', 0.0)
        self.write_rate = kw.get('write_rate', 0.0)
        # How long a read from the watch cache at a resourceVersion newer than the cache's waits
        # for it before the 504 "Too large resource version" (the cacher's blockTimeout: 3 s).
        self.too_large_rv_wait = kw.get('too_large_rv_wait', 3.0)


class APIServer:
    def __init__(self, auth, options, faults):
        self.auth = auth
        self.options = options
        self.faults = faults
        self.store = Store(resources.cached_storages())
        self.allocator = Allocator(options.service_cidrs)
        self.rest = Rest(self)
        self.openapi = OpenAPI()
        self.flowcontrol = FlowControl(self, options.max_requests_inflight + options.max_mutating_requests_inflight,
                                       options.apf_queue_wait_limit)
        self.request_log = []
        self.next_commit = 0.0          # --write-rate: when the next write may commit
        self.bootstrapping = True
        self.bootstrap()
        self.bootstrapping = False

    # ----- state helpers -----

    def copy(self, obj):
        return clone(obj)

    def storage_resource(self, res):
        """The resource whose Go type is the storage form (core/v1 for both event groups)."""
        if res.storage_converts and res.group:
            return next(r for r in resources.RESOURCES if r.storage == res.storage and not r.group)
        return res

    def restore(self, snap, bump_revision=0, mark_compacted=False):
        """The cluster rebuilt from an etcd snapshot, and the apiserver restarted on it: open
        watches end as when the process dies, the allocations are the restored Services' (the
        real bitmaps live in etcd too), and API Priority and Fairness re-reads its objects."""
        self.faults.kill_watches()
        self.store.restore(snap, bump_revision, mark_compacted)
        self.allocator.ips.clear()
        self.allocator.ports.clear()
        for svc in self.store.items('services'):
            spec = svc.get('spec') or {}
            self.allocator.ips.update(ip for ip in spec.get('clusterIPs') or [] if ip != 'None')
            self.allocator.ports.update(p['nodePort'] for p in spec.get('ports') or [] if p.get('nodePort'))
            if spec.get('healthCheckNodePort'):
                self.allocator.ports.add(spec['healthCheckNodePort'])
        self.flowcontrol.dirty = True

    def bootstrap(self):
        """What a fresh kube-apiserver has: the four system namespaces and Service `kubernetes`."""
        for name in ('default', 'kube-node-lease', 'kube-public', 'kube-system'):
            self.internal_request('POST', '/api/v1/namespaces',
                                  {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': name}},
                                  user_agent='kube-apiserver/v1.28.7 (linux/amd64) kubernetes/snapshot')
        first = next(iter(self.allocator.cidrs.values()))
        ip = str(first.network_address + 1)
        self.internal_request('POST', '/api/v1/namespaces/default/services', {
            'apiVersion': 'v1', 'kind': 'Service',
            'metadata': {'name': 'kubernetes', 'labels': {'component': 'apiserver', 'provider': 'kubernetes'}},
            'spec': {'type': 'ClusterIP', 'clusterIP': ip, 'ipFamilyPolicy': 'SingleStack',
                     'sessionAffinity': 'None',
                     'ports': [{'name': 'https', 'port': 443, 'protocol': 'TCP', 'targetPort': 6443}]}},
            user_agent='kube-apiserver/v1.28.7 (linux/amd64) kubernetes/snapshot')
        # API Priority and Fairness: the config producer writes the bootstrap objects (with the
        # recorded UIDs), the config consumer then marks each FlowSchema's Dangling condition.
        for plural, objects, kind in (('prioritylevelconfigurations', fcdata.BOOTSTRAP_LEVELS, 'PriorityLevelConfiguration'),
                                      ('flowschemas', fcdata.BOOTSTRAP_SCHEMAS, 'FlowSchema')):
            for name, spec in objects:
                self.internal_request('POST', '/apis/flowcontrol.apiserver.k8s.io/v1beta3/' + plural, {
                    'apiVersion': 'flowcontrol.apiserver.k8s.io/v1beta3', 'kind': kind,
                    'metadata': {'name': name, 'annotations': {fcdata.AUTO_UPDATE: 'true'}}, 'spec': spec},
                    user_agent='kube-apiserver/v1.28.7', query='fieldManager=' + fcdata.PRODUCER)
        self.flowcontrol.sync_status()
        self.store.restart()

    def internal_request(self, method, path, body=None, content_type='application/json',
                         user_agent='apiserver-control/1.0', query=''):
        """Run a request through the REST pipeline as system:masters (control API, bootstrap)."""
        target = path + ('?' + query if query else '')
        data = json.dumps(body).encode() if body is not None and not isinstance(body, (bytes, str)) else (
            body.encode() if isinstance(body, str) else (body or b''))
        req = Request(method, target, {'content-type': content_type, 'user-agent': user_agent,
                                       'accept': 'application/json'}, data)
        req.user = self.auth.user('system:admin', ['system:masters'])
        try:
            route = self.route(req)
            if route is None or route[0] != 'resource':
                raise page_not_found()
            result = self.resource_call(req, *route[1:])
            return result.code, result.body
        except APIError as e:
            return e.code, e.status()

    def common_headers(self, req):
        return [('Audit-Id', req.audit_id), ('Cache-Control', 'no-cache, private')] + flow_headers(req)

    # ----- entry point -----

    async def handle(self, req, resp):
        started = time.monotonic()
        code = 0
        # Logged when it starts (long watches show up at once); code/seconds filled in at the end.
        entry = {'method': req.method, 'path': req.path, 'query': req.raw_query, 'code': 0,
                 'proto': req.proto, 'userAgent': req.headers.get('user-agent', ''), 'user': '',
                 'peer': '%s:%s' % tuple(req.peer[:2]) if req.peer else '',
                 'flowSchema': '', 'priorityLevel': ''}
        self.request_log.append(entry)
        del self.request_log[:-2000]
        deadline = request_deadline(req, started)
        try:
            # The filter order of kube-apiserver: authentication (a bad token is 401 even on
            # /version, and has no X-Kubernetes-Pf-* headers), then priority and fairness (a 429
            # from it carries them), then everything else. Faults act while the seat is held,
            # so a delay fault keeps a seat busy.
            req.user = self.auth.authenticate(req.headers, req.peer_cert)
            req.apf_ticket = await self.flowcontrol.admit(req)
            if req.method in WRITES:
                wait = self.storage_wait()
                if wait > 0:
                    await asyncio.sleep(wait)
            fault = self.faults.match(req)
            if fault is not None:
                code = await fault.apply(self, req, resp)
                if code:
                    return
            if deadline is not None and time.monotonic() > deadline:
                # kube-apiserver's request deadline (?timeout=, capped by --request-timeout) is
                # the context of the storage call: a write that waited past it in the queues is
                # never committed, the client gets 504.
                raise APIError(504, 'Timeout: request did not complete within requested timeout - '
                               'context deadline exceeded', 'Timeout', {})
            code = await self.dispatch(req, resp)
        except APIError as e:
            code = e.code
            await self.send_error(req, resp, e)
        except (ConnectionError, asyncio.CancelledError):
            code = 499
            raise
        finally:
            if req.apf_ticket is not None:
                req.apf_ticket.release()
            entry.update(code=code, user=req.user.name if req.user else '',
                         seconds=round(time.monotonic() - started, 3))
            if req.flow_schema is not None:
                entry.update(flowSchema=req.flow_schema.name, priorityLevel=req.priority_level.name)

    def storage_wait(self):
        """How long a write waits for "etcd" while it holds its seat: --write-latency, plus its
        turn when --write-rate caps the writes per second (commits are serialized, as a loaded
        real apiserver's are). The real one holds a write's seat meanwhile, which is what makes a
        burst of writes queue and, past the queues, get 429s."""
        wait = self.options.write_latency
        if self.options.write_rate > 0:
            now = time.monotonic()
            slot = max(now, self.next_commit)
            self.next_commit = slot + 1.0 / self.options.write_rate
            wait += slot - now
        return wait

    async def dispatch(self, req, resp):
        path = req.path.rstrip('/') or '/'
        if path in ('/healthz', '/livez', '/readyz') or path.startswith(('/healthz/', '/livez/', '/readyz/')):
            return await self.health(req, resp, path)
        if path == '/version':
            body = json.dumps(self.version(), indent=2).encode()
            await self.send(req, resp, 200, body, 'application/json')
            return 200
        if path in ('/api', '/apis') or path.startswith(('/api/', '/apis/', '/openapi/')):
            route = self.route(req)
            if route is None:
                self.auth.check_path(req.user, path)
                raise page_not_found()
            kind = route[0]
            if kind != 'resource':
                self.auth.check_path(req.user, path)
                return await self.serve_static(req, resp, route)
            return await self.serve_resource(req, resp, route)
        self.auth.check_path(req.user, path)
        raise page_not_found()

    def version(self):
        minor = str(self.options.version_minor)
        git = self.options.git_version if minor == '28' else 'v1.%s.0' % minor
        return {'major': '1', 'minor': minor, 'gitVersion': git, 'gitCommit': 'lbd-test-apiserver',
                'gitTreeState': 'clean', 'buildDate': '2026-11-23T12:55:31Z', 'goVersion': 'go1.21.13',
                'compiler': 'gc', 'platform': 'linux/amd64'}

    async def health(self, req, resp, path):
        if 'verbose' in req.query:
            name = path.strip('/').split('/')[0]
            checks = ['ping', 'log', 'etcd', 'informer-sync', 'shutdown'] if name != 'livez' else ['ping', 'log', 'etcd']
            body = ''.join('[+]%s ok\n' % c for c in checks) + '%s check passed\n' % name
        else:
            body = 'ok'
        await self.send(req, resp, 200, body.encode(), 'text/plain; charset=utf-8',
                        extra=[('X-Content-Type-Options', 'nosniff')])
        return 200

    # ----- routing -----

    def route(self, req):
        """-> ('discovery', ...), ('openapi', ...) or ('resource', res, ns, name, sub, is_watch_prefix)."""
        segs = [s for s in req.path.split('/') if s]
        if not segs:
            return None
        if segs[0] == 'openapi':
            return ('openapi', segs[1:])
        if segs[0] == 'api':
            group, rest = '', segs[1:]
            if not rest:
                return ('api',)
            version, rest = rest[0], rest[1:]
        elif segs[0] == 'apis':
            if len(segs) == 1:
                return ('apis',)
            group = segs[1]
            if len(segs) == 2:
                return ('group', group) if discovery.api_group(group) else None
            version, rest = segs[2], segs[3:]
        else:
            return None
        if not resources.served_group_version(group, version):
            return None
        if not rest:
            return ('resourcelist', group)
        watch_prefix = False
        if rest[0] == 'watch':
            watch_prefix, rest = True, rest[1:]
        ns = None
        if rest[0] == 'namespaces' and len(rest) >= 3 and rest[2] not in ('status', 'finalize'):
            ns, rest = rest[1], rest[2:]
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ''
        if len(rest) > 3:
            return ('unknown',)
        if group == 'authorization.k8s.io' and plural == 'selfsubjectaccessreviews' and ns is None and name is None:
            return ('ssar',)
        res = resources.find(group, version, plural)
        if res is None:
            return ('unknown',)
        if ns is not None and not res.namespaced:
            return ('unknown',)
        if name is not None and res.namespaced and ns is None:
            return ('unknown',)
        if sub and sub not in res.subresources:
            return ('unknown',)
        return ('resource', res, ns, name, sub, watch_prefix)

    async def serve_static(self, req, resp, route):
        kind = route[0]
        if kind == 'unknown':
            raise resource_not_found()
        if kind == 'ssar':
            return await self.ssar(req, resp)
        if req.method != 'GET':
            raise method_not_allowed()
        if kind == 'openapi':
            return await self.serve_openapi(req, resp, route[1])
        accept = req.headers.get('accept', '')
        if kind in ('api', 'apis') and discovery.wants_aggregated(accept):
            doc = discovery.aggregated(kind == 'api')
            tag = discovery.etag(doc)
            extra = [('Etag', tag), ('Vary', 'Accept')]
            if req.headers.get('if-none-match') == tag:
                await self.send(req, resp, 304, b'', None, extra=extra, cache='public')
                return 304
            await self.send(req, resp, 200, gojson.dumps(doc), discovery.AGGREGATED_CT, extra=extra,
                            cache='public')
            return 200
        if kind == 'api':
            doc = discovery.api_versions(self.options.server_address)
        elif kind == 'apis':
            doc = discovery.api_group_list()
        elif kind == 'group':
            doc = discovery.api_group(route[1])
        else:
            doc = discovery.resource_list(route[1])
        await self.send_object(req, resp, 200, doc)
        return 200

    async def serve_openapi(self, req, resp, segs):
        if segs == ['v2']:
            accept = req.headers.get('accept', '')
            if 'protobuf' in accept:
                body, ct = self.openapi.v2_protobuf(), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'
            else:
                body, ct = self.openapi.v2_json(), 'application/json'
            await self.send(req, resp, 200, body, ct, extra=[('Vary', 'Accept')], fixed_length=True)
            return 200
        if segs == ['v3']:
            await self.send(req, resp, 200, self.openapi.index(), 'text/plain; charset=utf-8',
                            fixed_length=True)
            return 200
        if segs and segs[0] == 'v3':
            found = self.openapi.doc('/'.join(segs[1:]))
            if found is None:
                raise page_not_found()
            body, h = found
            extra = [('Etag', '"%s"' % h), ('Vary', 'Accept')]
            cache = 'no-cache, private'
            if one(req.query, 'hash'):
                cache = 'public, immutable'
                expires = time.strftime('%a, %d %b %Y %H:%M:%S UTC', time.gmtime(time.time() + 365 * 86400))
                extra.append(('Expires', expires))
            if req.headers.get('if-none-match') == '"%s"' % h:
                await self.send(req, resp, 304, b'', None, extra=extra, cache=cache)
                return 304
            await self.send(req, resp, 200, body, 'application/json', extra=extra, cache=cache,
                            fixed_length=True)
            return 200
        raise page_not_found()

    async def ssar(self, req, resp):
        if req.method != 'POST':
            raise method_not_allowed()
        data = gojson.parse(req.body) if req.body else {}
        obj, _ = normalize(data, SelfSubjectAccessReview)
        ra = obj.get('spec', {}).get('resourceAttributes') or {}
        allowed = self.auth.allowed(req.user, ra.get('verb', ''), ra.get('group', ''),
                                    ra.get('resource', ''), ra.get('subresource', ''),
                                    ra.get('namespace', ''), ra.get('name', ''))
        obj['kind'], obj['apiVersion'] = 'SelfSubjectAccessReview', 'authorization.k8s.io/v1'
        obj = {'kind': obj['kind'], 'apiVersion': obj['apiVersion'],
               'metadata': {'creationTimestamp': None}, 'spec': obj.get('spec', {}),
               'status': {'allowed': allowed}}
        await self.send_object(req, resp, 201, obj)
        return 201

    # ----- resources -----

    def verb_of(self, req, name, sub, is_watch):
        m = req.method
        if m == 'GET':
            if name is None:
                return 'watch' if is_watch else 'list'
            return 'get'
        return {'POST': 'create', 'PUT': 'update', 'PATCH': 'patch',
                'DELETE': 'delete' if name else 'deletecollection'}.get(m, m.lower())

    async def serve_resource(self, req, resp, route):
        _, res, ns, name, sub, watch_prefix = route
        is_watch = watch_prefix or (name is None and one(req.query, 'watch', '') in ('1', 'true'))
        verb = self.verb_of(req, name, sub, is_watch)
        self.auth.check_resource(req.user, verb, res, sub, ns, name)
        accept = req.headers.get('accept', '')
        as_table = tablemod.wants_table(accept)
        if not as_table:
            self.output_format(accept)
        if is_watch and req.method == 'GET':
            if name is not None:
                raise resource_not_found()
            rv = watchmod.check_watch_params(req)
            label_reqs = selectors.parse_label_selector(one(req.query, 'labelSelector', ''))
            field_terms = selectors.parse_fields(one(req.query, 'fieldSelector', ''), res)
            stream = watchmod.WatchStream(self, self.rest, req, resp, res, ns, label_reqs, field_terms, as_table)
            timeout = watchmod.watch_timeout(req, self.options)
            await stream.run(rv, one(req.query, 'allowWatchBookmarks') in ('true', '1'), timeout)
            return 200
        if req.method == 'GET':
            await self.wait_until_fresh(req)
        result = self.resource_call(req, res, ns, name, sub, watch_prefix)
        body = result.body
        if as_table and req.method == 'GET':
            body = self.to_table(res, result)
        await self.send_object(req, resp, result.code, body, extra=result.headers)
        return result.code

    async def wait_until_fresh(self, req):
        """A GET or LIST the watch cache serves (resourceVersion set and not 0, no Exact match, no
        continue token, no limit: rest.list's rules) for a resourceVersion the cache has not
        reached yet waits for it, up to 3 s, as the cacher does; the handler then answers 200,
        or the recorded 504 "Too large resource version" (05-compaction/12,13)."""
        q = req.query
        rv, match = one(q, 'resourceVersion'), one(q, 'resourceVersionMatch')
        if not rv or rv == '0' or match == 'Exact' or one(q, 'continue'):
            return
        if _int_or_zero(one(q, 'limit', '0')):
            return
        try:
            wanted = int(rv)
        except ValueError:
            return
        if wanted > self.store.rv:
            await self.store.wait_for_rv(wanted, self.options.too_large_rv_wait)

    def resource_call(self, req, res, ns, name, sub, watch_prefix=False):
        m = req.method
        if res.verbs and m == 'DELETE' and name is None and 'deletecollection' not in res.verbs:
            raise method_not_allowed()
        if sub == 'finalize' and m != 'PUT':
            raise method_not_allowed()
        if name is None:
            if m == 'GET':
                return self.rest.list(req, res, ns)
            if m == 'POST':
                return self.rest.create(req, res, ns or '', dry_run='All' in req.query.get('dryRun', []))
            if m == 'DELETE':
                return self.rest.delete_collection(req, res, ns)
            raise method_not_allowed()
        if m == 'GET':
            return self.rest.get(req, res, ns or '', name, sub)
        if m == 'PUT':
            return self.rest.update(req, res, ns or '', name, sub)
        if m == 'PATCH':
            return self.rest.patch(req, res, ns or '', name, sub)
        if m == 'DELETE' and not sub:
            return self.rest.delete(req, res, ns or '', name)
        raise method_not_allowed()

    def to_table(self, res, result):
        body = result.body
        if body.get('kind', '').endswith('List') and 'items' in body:
            rows = []
            for item in body['items']:
                m = item['metadata']
                internal = self.store.get(res.storage, m.get('namespace', ''), m['name']) or res.to_internal(item)
                rows.append(tablemod.row(res, internal, item))
            meta = dict(body['metadata'])
            return tablemod.table(res, meta, rows)
        if body.get('kind') == res.kind:
            m = body['metadata']
            internal = self.store.get(res.storage, m.get('namespace', ''), m['name']) or res.to_internal(body)
            return tablemod.table(res, {'resourceVersion': m.get('resourceVersion', '')},
                                  [tablemod.row(res, internal, body)])
        return body

    # ----- encoding -----

    def output_format(self, accept):
        """'json' or 'yaml' from the Accept header; 406 for anything else."""
        if not accept.strip():
            return 'json'
        for part in accept.split(','):
            mt = part.split(';')[0].strip().lower()
            if mt in ('application/json', '*/*', 'application/*', 'application/json;stream=watch'):
                return 'json'
            if mt == 'application/yaml':
                return 'yaml'
        raise not_acceptable()

    def pretty(self, req):
        p = one(req.query, 'pretty')
        if p is not None:
            return p in ('true', '1')
        return req.headers.get('user-agent', '').startswith(PRETTY_AGENTS)

    async def send_object(self, req, resp, code, obj, extra=(), pretty=None):
        fmt = 'json'
        try:
            fmt = self.output_format(req.headers.get('accept', ''))
        except APIError:
            pass
        if fmt == 'yaml':
            body = yaml.safe_dump(obj, default_flow_style=False, sort_keys=True, allow_unicode=True).encode()
            ct = 'application/yaml'
        else:
            body = gojson.dumps(obj, self.pretty(req) if pretty is None else pretty)
            ct = 'application/json'
        await self.send(req, resp, code, body, ct, extra=list(extra))

    async def send_error(self, req, resp, err):
        if err.plain:
            await self.send(req, resp, err.code, err.message.encode(), 'text/plain; charset=utf-8',
                            extra=[('X-Content-Type-Options', 'nosniff')] + list(err.headers.items()))
            return
        extra = list(err.headers.items())
        body = gojson.dumps(err.status(), err.pretty or self.pretty(req))
        await self.send(req, resp, err.code, body, 'application/json', extra=extra)

    async def send(self, req, resp, code, body, content_type, extra=(), cache='no-cache, private',
                   fixed_length=False):
        headers = [('Audit-Id', req.audit_id), ('Cache-Control', cache)]
        if content_type:
            headers.append(('Content-Type', content_type))
        headers += list(extra)
        headers += flow_headers(req)
        if len(body) >= GZIP_MIN and 'gzip' in req.headers.get('accept-encoding', ''):
            body = gzip.compress(body)
            headers += [('Content-Encoding', 'gzip'), ('Vary', 'Accept-Encoding')]
            fixed_length = True
        headers.sort(key=lambda h: h[0].lower())
        await resp.send(code, headers, body, fixed_length=fixed_length)


def _int_or_zero(text):
    try:
        return int(text)
    except ValueError:
        return 0


def flow_headers(req):
    """The UIDs of the FlowSchema and priority level that classified the request (none before
    classification, e.g. on a 401)."""
    if req.flow_schema is None:
        return []
    return [('X-Kubernetes-Pf-Flowschema-Uid', req.flow_schema.uid),
            ('X-Kubernetes-Pf-Prioritylevel-Uid', req.priority_level.uid)]
