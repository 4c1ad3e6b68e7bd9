"""WATCH streams: initial events, live events with selector transitions, BOOKMARKs, timeouts.

Two sources, as in kube-apiserver: the watch cache (a resourceVersion given, types with a cache)
and "etcd" (resourceVersion unset, or Events which have no cache). Only cache watches get
bookmarks. Each event is written as one chunk / DATA frame holding one JSON line.
"""

import asyncio
import random
import time

from . import gojson, table as tablemod
from .errors import APIError


class Watcher:
    """One registered watch: receives every store event and keeps the ones for its type."""

    def __init__(self, storage):
        self.storage = storage
        self.queue = asyncio.Queue()

    def offer(self, ev):
        if ev.res == self.storage:
            self.queue.put_nowait(ev)


def expired_event(message):
    return {'type': 'ERROR', 'object': {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
                                        'status': 'Failure', 'message': message,
                                        'reason': 'Expired', 'code': 410}}


class WatchStream:
    def __init__(self, server, rest, req, resp, res, ns, label_reqs, field_terms, as_table):
        self.server, self.rest, self.req, self.resp = server, rest, req, resp
        self.res, self.ns = res, ns
        self.label_reqs, self.field_terms = label_reqs, field_terms
        self.as_table = as_table
        self.columns_sent = False
        self.store = server.store

    def matches(self, obj):
        if obj is None:
            return False
        if self.ns is not None and obj['metadata'].get('namespace', '') != self.ns:
            return False
        return self.rest.matches(self.res, obj, self.label_reqs, self.field_terms)

    def translate(self, ev):
        """Event as this watcher sees it: selector transitions become ADDED / DELETED."""
        if ev.type == 'ADDED':
            return ('ADDED', ev.obj) if self.matches(ev.obj) else None
        if ev.type == 'DELETED':
            return ('DELETED', ev.obj) if self.matches(ev.prev) else None
        now, before = self.matches(ev.obj), self.matches(ev.prev)
        if now and before:
            return ('MODIFIED', ev.obj)
        if now:
            return ('ADDED', ev.obj)
        if before:
            gone = self.server.copy(ev.prev)
            gone['metadata']['resourceVersion'] = ev.obj['metadata']['resourceVersion']
            return ('DELETED', gone)
        return None

    def encode(self, type_, obj):
        ext = self.rest.view(self.res, obj)
        if self.as_table and type_ in ('ADDED', 'MODIFIED', 'DELETED'):
            t = tablemod.table(self.res, {'resourceVersion': ext['metadata'].get('resourceVersion', '')},
                               [tablemod.row(self.res, obj, ext)], with_columns=not self.columns_sent)
            self.columns_sent = True
            ext = t
        return gojson.dumps({'type': type_, 'object': ext})

    async def send(self, data):
        fault = self.server.faults.take_watch_cut(self.req)
        if fault:
            await self.resp.write_partial(data)
            raise ConnectionResetError('watch cut by fault injection')
        await self.resp.write(data)

    async def run(self, rv, allow_bookmarks, timeout):
        res, store = self.res, self.store
        cache = store.caches.get(res.storage)
        watcher = Watcher(res.storage)
        initial = []
        start_rv = store.rv
        error = None
        # Registering and reading the initial state happen without an await in between, so no
        # write can fall into the gap.
        if cache is not None and rv not in (None, ''):
            if rv == '0':
                start_rv = self.rest.cache_rv(res)
                initial = [('ADDED', o) for o in store.objects[res.storage].values() if self.matches(o)]
            else:
                start_rv = int(rv)
                floor = cache.oldest_minus_one()
                if start_rv < floor:
                    error = 'too old resource version: %d (%d)' % (start_rv, floor)
                else:
                    initial = [t for t in (self.translate(e) for e in cache.since(start_rv)) if t]
        elif rv not in (None, '', '0'):
            start_rv = int(rv)
            if start_rv < store.compacted:
                error = 'The resourceVersion for the provided watch is too old.'
            else:
                initial = [t for t in (self.translate(e) for e in store.log_since(res.storage, start_rv)) if t]
        else:
            initial = [('ADDED', o) for o in store.items(res.storage, self.ns) if self.matches(o)]
        if error is None:
            store.watchers.add(watcher)
        bookmarks = allow_bookmarks and cache is not None and rv not in (None, '')

        await self.resp.start(200, [('Content-Type', 'application/json')] + self.server.common_headers(self.req))
        try:
            if error is not None:
                await self.send(gojson.dumps(expired_event(error)))
                await self.resp.finish()
                return
            for type_, obj in initial:
                await self.send(self.encode(type_, obj))
            # Priority and fairness: a watch holds its seat only until it is initialized.
            if self.req.apf_ticket is not None:
                self.req.apf_ticket.release()
            await self.live(watcher, start_rv, bookmarks, timeout)
        except (ConnectionError, asyncio.CancelledError):
            raise
        finally:
            store.watchers.discard(watcher)

    async def live(self, watcher, start_rv, bookmarks, timeout):
        opts = self.server.options
        started = time.monotonic()
        deadline = started + timeout
        interval = opts.bookmark_interval
        pre = opts.bookmark_before_timeout
        next_bm = started + interval
        pre_bm_done = False
        last_rv = start_rv
        closed = self.resp.closed_event()
        killer = self.server.faults.watch_killer()
        while True:
            now = time.monotonic()
            if now >= deadline:
                await self.resp.finish()
                return
            wake = deadline
            if bookmarks:
                if not pre_bm_done and deadline - pre > now:
                    wake = min(wake, deadline - pre, next_bm)
                else:
                    wake = min(wake, next_bm)
            get = asyncio.ensure_future(watcher.queue.get())
            closed_w = asyncio.ensure_future(closed.wait())
            kill_w = asyncio.ensure_future(killer.wait())
            done, _ = await asyncio.wait({get, closed_w, kill_w}, timeout=max(0, wake - now),
                                         return_when=asyncio.FIRST_COMPLETED)
            for f in (closed_w, kill_w):
                if not f.done():
                    f.cancel()
            if get not in done:
                get.cancel()
            if closed_w in done:
                return
            if kill_w in done:
                await self.resp.abort()
                return
            if get in done:
                ev = get.result()
                if ev.rv <= last_rv:
                    continue
                t = self.translate(ev)
                if t and not self.server.faults.take_watch_drop(self.req):
                    await self.send(self.encode(*t))
                last_rv = ev.rv
                continue
            now = time.monotonic()
            if bookmarks and (now >= next_bm or (not pre_bm_done and now >= deadline - pre)):
                if now >= deadline - pre:
                    pre_bm_done = True
                next_bm = now + interval
                brv = self.rest.cache_rv(self.res)
                if brv > start_rv and not self.as_table:
                    await self.send(gojson.dumps({'type': 'BOOKMARK',
                                                  'object': self.res.strategy.bookmark(brv)}))


def watch_timeout(req, options):
    """timeoutSeconds, or the server's own random pick in [min-request-timeout, 2x]."""
    ts = req.query.get('timeoutSeconds')
    if ts:
        try:
            return max(0.0, float(int(ts[-1])))
        except ValueError:
            pass
    m = options.min_request_timeout
    return random.uniform(m, 2 * m)


def check_watch_params(req):
    from .errors import invalid_options, forbidden
    if (req.query.get('sendInitialEvents') or [''])[-1] in ('true', '1'):
        raise invalid_options('ListOptions', [forbidden(
            'sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled')])
    rv = (req.query.get('resourceVersion') or [''])[-1]
    if rv:
        try:
            int(rv)
        except ValueError:
            raise APIError(500, 'resourceVersion: Invalid value: "%s": strconv.ParseUint: parsing "%s": invalid syntax' % (rv, rv))
    return rv
