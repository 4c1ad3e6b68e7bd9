"""Fault injection, driven by the tests through the control API (see control.py).

Faults are armed with a count and an optional match on method and path (a regular expression
searched in the path, query included); each matching request consumes one.
"""

import asyncio
import re
import time

from .errors import APIError


class Fault:
    def __init__(self, spec):
        self.kind = spec['type']
        self.count = int(spec.get('count', 1))
        self.method = (spec.get('method') or '').upper()
        self.path = re.compile(spec['path']) if spec.get('path') else None
        self.code = int(spec.get('code', 500))
        self.retry_after = spec.get('retryAfter')
        self.seconds = float(spec.get('seconds', 0))
        self.fired = 0

    def matches(self, req):
        if self.count == 0:
            return False
        if self.method and req.method != self.method:
            return False
        target = req.path + ('?' + req.raw_query if req.raw_query else '')
        if self.path and not self.path.search(target):
            return False
        return True

    def consume(self):
        if self.count > 0:
            self.count -= 1
        self.fired += 1

    async def apply(self, server, req, resp):
        """Returns the status code sent, or 0 to let the request continue."""
        self.consume()
        if self.kind == 'delay':
            await asyncio.sleep(self.seconds)
            return 0
        if self.kind == 'error':
            if self.code == 429:
                err = APIError(429, 'Too many requests, please try again later.', 'TooManyRequests',
                               {'causes': [{'reason': 'UnexpectedServerResponse',
                                            'message': 'injected by the test apiserver'}],
                                'retryAfterSeconds': int(self.retry_after or 1)},
                               headers={'Retry-After': str(int(self.retry_after or 1))})
            else:
                err = APIError(self.code, 'Internal error occurred: injected fault', 'InternalError',
                               {'causes': [{'message': 'injected fault'}]})
                if self.retry_after is not None:
                    err.headers['Retry-After'] = str(int(self.retry_after))
            await server.send_error(req, resp, err)
            return self.code
        if self.kind == 'close':
            await resp.abort()
            return 499
        return 0

    def describe(self):
        return {'type': self.kind, 'remaining': self.count, 'fired': self.fired,
                'method': self.method, 'path': self.path.pattern if self.path else '',
                'code': self.code, 'seconds': self.seconds}


class Faults:
    REQUEST_KINDS = ('delay', 'error', 'close')

    def __init__(self):
        self.faults = []
        self.refuse_until = 0.0
        self._killer = asyncio.Event()

    def add(self, spec):
        f = Fault(spec)
        self.faults.append(f)
        return f

    def clear(self):
        self.faults = []
        self.refuse_until = 0.0

    def match(self, req):
        for f in self.faults:
            if f.kind in self.REQUEST_KINDS and f.matches(req):
                return f
        return None

    def take_watch_drop(self, req):
        """A 'drop-event' fault: the next object event of a matching watch is never sent (a lost
        event; the stream goes on as if it had been)."""
        for f in self.faults:
            if f.kind == 'drop-event' and f.matches(req):
                f.consume()
                return f
        return None

    def take_watch_cut(self, req):
        for f in self.faults:
            if f.kind == 'cut-watch' and f.matches(req):
                f.consume()
                return f
        return None

    def watch_killer(self):
        return self._killer

    def kill_watches(self):
        """Abort every open watch (as if the apiserver process died), then re-arm."""
        self._killer.set()
        self._killer = asyncio.Event()

    def refusing(self):
        return time.monotonic() < self.refuse_until
