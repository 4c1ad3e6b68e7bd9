"""The control API: plain HTTP/1.1 + JSON, meant for 127.0.0.1, driven by the tests.

  GET    /healthz                     -> ok
  GET    /store                       -> {"resourceVersion": N, "objects": {"v1/services": [...], ...}}
  GET    /objects?apiVersion=v1&kind=Service[&namespace=demo]  -> [objects]
  POST   /request   {"method","path","body","contentType","query"} -> {"code", "body"}
                    runs one API request as system:masters through the normal REST code
  POST   /objects   <object>          -> create (namespace from metadata), {"code","body"}
  POST   /objects   {"kind": "List", "items": [<object>, ...]} -> create each, {"codes": [...]}
  PUT    /objects   <object>          -> update, {"code","body"}
  DELETE /objects?apiVersion=&kind=&namespace=&name= -> delete, {"code","body"}
  POST   /faults    {"type": "error"|"delay"|"close"|"cut-watch"|"drop-event", "count": 1,
                     "method": "GET", "path": "<regex on path?query>", "code": 429,
                     "retryAfter": 1, "seconds": 2}
  GET    /faults, DELETE /faults
  POST   /refuse    {"seconds": 3, "dropExisting": true}   stop listening for a while
  POST   /close-watches                   abort every open watch (no terminating chunk)
  POST   /restart                         close watches + restart the watch caches at the current RV
  POST   /compact   {"resourceVersion": N, "watchCache": true}   (default: current RV)
  POST   /snapshot                        -> {"snapshot": "1", "resourceVersion": "N"}  etcd backup
  POST   /restore   {"snapshot": "1", "bumpRevision": 0, "markCompacted": false}
                                          rebuild the cluster from that backup (RVs go back to N
                                          unless bumped) and restart the apiserver on it
  POST   /options   {"bookmarkInterval": 1.0, "bookmarkBeforeTimeout": 2.0,
                     "minRequestTimeout": 1800, "versionMinor": "33", "writeLatency": 0.01,
                     "writeRate": 470, "tooLargeRvWait": 3}
  GET    /requests, DELETE /requests      log of API requests (method, path, code, user, proto, peer,
                                          flowSchema, priorityLevel)
  GET    /flowcontrol                     API Priority and Fairness: per priority level seats,
                                          inFlight, queued, dispatched, rejected (429s), peaks;
                                          the FlowSchemas in matching order with their match counts
  DELETE /flowcontrol                     reset those counters
"""

import asyncio
import json
import urllib.parse

from . import resources


def _resource_for(api_version, kind):
    for r in resources.RESOURCES:
        if r.api_version == api_version and r.kind == kind:
            return r
    return None


def _object_path(res, ns, name=None):
    p = res.prefix()
    if res.namespaced:
        p += '/namespaces/%s' % ns
    p += '/' + res.plural
    if name:
        p += '/' + name
    return p


class Control:
    def __init__(self, api, listener):
        self.api, self.listener = api, listener
        self.snapshots = {}

    async def start(self, host, port):
        self.server = await asyncio.start_server(self.on_conn, host, port, reuse_address=True)
        return self.server.sockets[0].getsockname()[1]

    async def on_conn(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _ = line.decode().split(' ', 2)
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b'\r\n', b'\n', b''):
                        break
                    k, _, v = h.decode().partition(':')
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get('content-length', '0') or 0))
                try:
                    code, out = await self.handle(method, target, body)
                except Exception as e:   # a control-API bug must not kill the server
                    code, out = 500, {'error': '%s: %s' % (type(e).__name__, e)}
                data = json.dumps(out, indent=1).encode() + b'\n'
                writer.write(b'HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                             % (code, len(data)) + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def handle(self, method, target, body):
        u = urllib.parse.urlsplit(target)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        data = json.loads(body) if body.strip() else {}
        api, path = self.api, u.path.rstrip('/')
        if path == '/healthz':
            return 200, 'ok'
        if path == '/store' and method == 'GET':
            return 200, self.dump()
        if path == '/objects':
            if method == 'GET':
                res = _resource_for(q.get('apiVersion', 'v1'), q.get('kind', ''))
                if res is None:
                    return 404, {'error': 'unknown kind'}
                ns = q.get('namespace')
                return 200, [api.rest.external(res, o) for o in api.store.items(res.storage, ns)]
            if method == 'POST' and data.get('kind') == 'List':
                return 200, {'codes': [self.create(o) for o in data.get('items') or []]}
            if method in ('POST', 'PUT'):
                res = _resource_for(data.get('apiVersion'), data.get('kind'))
                if res is None:
                    return 404, {'error': 'unknown kind'}
                ns = data.get('metadata', {}).get('namespace', 'default')
                name = data.get('metadata', {}).get('name') if method == 'PUT' else None
                code, out = api.internal_request(method, _object_path(res, ns, name), data)
                return 200, {'code': code, 'body': out}
            if method == 'DELETE':
                res = _resource_for(q.get('apiVersion', 'v1'), q.get('kind', ''))
                if res is None:
                    return 404, {'error': 'unknown kind'}
                code, out = api.internal_request('DELETE', _object_path(res, q.get('namespace', 'default'), q['name']))
                return 200, {'code': code, 'body': out}
        if path == '/request' and method == 'POST':
            body_arg = data.get('body')
            code, out = api.internal_request(data.get('method', 'GET'), data['path'], body_arg,
                                             data.get('contentType', 'application/json'),
                                             query=data.get('query', ''))
            return 200, {'code': code, 'body': out}
        if path == '/faults':
            if method == 'POST':
                if data.get('type') == 'refuse':
                    await self.listener.refuse(float(data.get('seconds', 1)), data.get('dropExisting', True))
                    return 200, {'refusing': data.get('seconds', 1)}
                f = api.faults.add(data)
                return 200, f.describe()
            if method == 'DELETE':
                api.faults.clear()
                return 200, []
            return 200, [f.describe() for f in api.faults.faults]
        if path == '/refuse' and method == 'POST':
            await self.listener.refuse(float(data.get('seconds', 1)), data.get('dropExisting', True))
            return 200, {'refusing': data.get('seconds', 1)}
        if path == '/close-watches' and method == 'POST':
            api.faults.kill_watches()
            return 200, {}
        if path == '/restart' and method == 'POST':
            api.faults.kill_watches()
            api.store.restart()
            return 200, {'resourceVersion': api.store.rv}
        if path == '/compact' and method == 'POST':
            rv = int(data.get('resourceVersion') or api.store.rv)
            api.store.compact(rv, data.get('watchCache', True))
            return 200, {'compacted': api.store.compacted}
        if path == '/snapshot' and method == 'POST':
            sid = str(len(self.snapshots) + 1)
            self.snapshots[sid] = api.store.snapshot()
            return 200, {'snapshot': sid, 'resourceVersion': str(api.store.rv)}
        if path == '/restore' and method == 'POST':
            snap = self.snapshots.get(str(data.get('snapshot', '')))
            if snap is None:
                return 404, {'error': 'no such snapshot: %s' % data.get('snapshot')}
            api.restore(snap, int(data.get('bumpRevision', 0)), bool(data.get('markCompacted', False)))
            return 200, {'resourceVersion': str(api.store.rv), 'compacted': api.store.compacted}
        if path == '/options' and method == 'POST':
            o = api.options
            o.bookmark_interval = float(data.get('bookmarkInterval', o.bookmark_interval))
            o.bookmark_before_timeout = float(data.get('bookmarkBeforeTimeout', o.bookmark_before_timeout))
            o.min_request_timeout = float(data.get('minRequestTimeout', o.min_request_timeout))
            o.write_latency = float(data.get('writeLatency', o.write_latency))
            o.write_rate = float(data.get('writeRate', o.write_rate))
            o.too_large_rv_wait = float(data.get('tooLargeRvWait', o.too_large_rv_wait))
            o.version_minor = str(data.get('versionMinor', o.version_minor))
            return 200, vars(o)
        if path == '/flowcontrol':
            if method == 'DELETE':
                api.flowcontrol.reset_counters()
            return 200, api.flowcontrol.describe()
        if path == '/requests':
            if method == 'DELETE':
                api.request_log.clear()
                return 200, []
            return 200, api.request_log
        return 404, {'error': 'no such control endpoint: %s %s' % (method, path)}

    def create(self, obj):
        res = _resource_for(obj.get('apiVersion'), obj.get('kind'))
        if res is None:
            return 404
        ns = obj.get('metadata', {}).get('namespace', 'default')
        return self.api.internal_request('POST', _object_path(res, ns), obj)[0]

    def dump(self):
        api = self.api
        objects = {}
        for r in resources.RESOURCES:
            if r.storage_converts and r.group:
                continue
            objects['%s/%s' % (r.api_version, r.plural)] = [api.rest.external(r, o)
                                                           for o in api.store.items(r.storage)]
        return {'resourceVersion': str(api.store.rv), 'compacted': api.store.compacted,
                'objects': objects}
